//! recom's passes and named pipelines.
//!
//! One pass per file, the file named after the pass argument
//! (`recom-verify` -> `recom_verify.rs`). Each file exports a `PASS`
//! ([`recom_ir::PassDef`]); [`PASSES`] lists them and [`register_all`] makes
//! every pass and pipeline nameable in pipeline strings.
pub mod emb_fuse_columns;
pub mod emb_lower_fused_columns;
pub mod emb_shape_construct;
pub mod pipelines;
pub mod recom_math_to_nvvm_intrinsics;
pub mod recom_verify;
pub mod tf_check_raised;
pub mod tf_erase_dead;
pub mod tf_infer_shapes;
pub mod tf_match;
pub mod tf_raise_cross;
pub mod tf_raise_dense_inputs;
pub mod tf_raise_feeds;
pub mod tf_raise_id_transforms;
pub mod tf_raise_input_layer;
pub mod tf_raise_lookup;
pub mod tf_remove_fill_empty_rows;
pub mod tf_remove_identity;
pub mod tf_remove_noop_reshape;
pub mod tf_remove_prune;
pub mod tf_remove_unique;
pub mod tf_shape_construct;

use recom_ir::{IrdlDialect, OpDef, PassDef, PipelineDef};

/// The dialects recom's passes build and read.
pub const DIALECTS: [&IrdlDialect; 2] = [&recom_emb::DIALECT, &recom_symshape::DIALECT];

/// The declaration of a recom op by full name: what passes dispatch on
/// (verifier hooks, interfaces) instead of matching op names.
pub fn op_def(name: &str) -> Option<&'static OpDef> {
    DIALECTS.iter().find_map(|d| d.op(name))
}

/// Every recom pass, alphabetically by argument.
pub const PASSES: &[&PassDef] = &[
    &emb_fuse_columns::PASS,
    &emb_lower_fused_columns::PASS,
    &emb_shape_construct::PASS,
    &recom_math_to_nvvm_intrinsics::PASS,
    &recom_verify::PASS,
    &tf_check_raised::PASS,
    &tf_erase_dead::PASS,
    &tf_infer_shapes::PASS,
    &tf_raise_cross::PASS,
    &tf_raise_dense_inputs::PASS,
    &tf_raise_feeds::PASS,
    &tf_raise_id_transforms::PASS,
    &tf_raise_input_layer::PASS,
    &tf_raise_lookup::PASS,
    &tf_remove_fill_empty_rows::PASS,
    &tf_remove_identity::PASS,
    &tf_remove_noop_reshape::PASS,
    &tf_remove_prune::PASS,
    &tf_remove_unique::PASS,
    &tf_shape_construct::PASS,
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
