//! What the recom-tf test binaries share: the corpus (`../shared/corpus`,
//! beside the checkout, as CI lays it out).
use std::path::PathBuf;

/// The corpus directory (tests call `require_corpus!` first).
pub fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// Returns from the calling test, saying so on stderr, when the corpus is
/// absent.
macro_rules! require_corpus {
    ($test:literal) => {
        let dir = common::corpus();
        if !dir.is_dir() {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {}: no TensorFlow corpus at {}", $test, dir.display());
            return;
        }
    };
}
