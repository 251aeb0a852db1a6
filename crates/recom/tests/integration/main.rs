//! recom's library-level integration tests (one test binary: each links all
//! of MLIR).
/// Returns from the calling test, saying so on stderr, when the shared
/// corpus (`../shared/corpus` beside the checkout) is absent.
macro_rules! require_corpus {
    ($test:literal) => {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        if !dir.is_dir() {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {}: no TensorFlow corpus at {}", $test, dir.display());
            return;
        }
    };
}

mod corpus_models;
mod serve_models;
mod artifact;
mod cpu_jit;
mod dialect_irdl;
mod gpu_compile;
mod gpu_run;
mod library_use;
pub mod model_ir;
mod pipeline_snapshots;
mod sharded;
mod tf_import;
