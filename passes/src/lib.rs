//! recom's passes and named pipelines.
//!
//! One pass per file, the file named after the pass argument
//! (`recom-verify` -> `recom_verify.rs`). Each file exports a `PASS`
//! ([`recom_ir::PassDef`]); [`PASSES`] lists them and [`register_all`] makes
//! every pass and pipeline nameable in pipeline strings.
pub mod emb_fuse_columns;
pub mod emb_lower_fused_columns;
pub mod pipelines;
pub mod recom_math_to_nvvm_intrinsics;
pub mod recom_verify;
pub mod tf_remove_identity;

use recom_ir::{PassDef, PipelineDef};

/// Every recom pass, alphabetically by argument.
pub const PASSES: &[&PassDef] = &[
    &emb_fuse_columns::PASS,
    &emb_lower_fused_columns::PASS,
    &recom_math_to_nvvm_intrinsics::PASS,
    &recom_verify::PASS,
    &tf_remove_identity::PASS,
];

/// Registers every recom pass and pipeline, plus the upstream passes, with
/// MLIR's global registry. Idempotent.
pub fn register_all() {
    recom_ir::register_upstream();
    for pass in PASSES {
        pass.register();
    }
    for pipeline in pipelines::PIPELINES {
        pipeline.register();
    }
}

/// A recom pass by argument.
pub fn find_pass(argument: &str) -> Option<&'static PassDef> {
    PASSES.iter().copied().find(|p| p.argument == argument)
}

/// A recom pipeline by argument.
pub fn find_pipeline(argument: &str) -> Option<&'static PipelineDef> {
    pipelines::PIPELINES.iter().copied().find(|p| p.argument == argument)
}
