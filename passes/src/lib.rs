//! recom's passes and named pipelines.
//!
//! One pass per file, the file named after the pass argument
//! (`recom-verify` -> `recom_verify.rs`), grouped by what they work on:
//! `tf/` (imported TensorFlow graphs), `emb/` (the embedding dialect),
//! `dense/` (the dense dialect), `gpu/` (the way to PTX); `recom_verify.rs` checks both dialects. Each file exports a `PASS`
//! ([`recom_ir::PassDef`]); [`PASSES`] lists them and [`register_all`] makes
//! every pass and pipeline nameable in pipeline strings.
/// Declares a pass made of rewrite patterns: its `PASS` (no anchor, no
/// options) and a `run` that hands `patterns` (a `Vec<Pattern>`) to `apply`
/// (`recom_ir::rewrite::apply`, or `tf_match::apply` for tf passes, which
/// also refines result types afterwards).
#[macro_export]
macro_rules! pattern_pass {
    (
        argument: $argument:literal,
        name: $name:literal,
        summary: $summary:expr,
        description: $description:expr,
        apply: $apply:path,
        patterns: $patterns:expr $(,)?
    ) => {
        pub static PASS: recom_ir::PassDef = recom_ir::PassDef {
            argument: $argument,
            name: $name,
            summary: $summary,
            description: $description,
            anchor: None,
            options: &[],
            run,
        };

        fn run(
            _: &recom_ir::OptionValues,
            root: melior::ir::operation::OperationRef,
        ) -> Result<(), recom_ir::registry::PassFailure> {
            let patterns: Vec<recom_ir::rewrite::Pattern> = $patterns;
            $apply(PASS.argument, root, &patterns)
        }
    };
}

pub mod dense;
pub mod emb;
pub mod gpu;
pub mod pipelines;
pub mod recom_verify;
pub mod tf;

use dense::{dense_fuse_elementwise, dense_fuse_epilogue};
use emb::{emb_fuse_columns, emb_lower_fused_columns, emb_shape_construct};
use gpu::recom_math_to_nvvm_intrinsics;
use tf::{
    tf_check_raised, tf_erase_dead, tf_host_fallback, tf_host_outputs, tf_infer_shapes, tf_raise_cross, tf_raise_dense, tf_raise_dense_inputs, tf_raise_feeds, tf_raise_id_transforms, tf_raise_keras_lookup,
    tf_raise_input_layer, tf_raise_lookup, tf_remove_fill_empty_rows, tf_remove_identity, tf_remove_noop_reshape, tf_remove_prune,
    tf_remove_unique, tf_shape_construct,
};
use recom_ir::{IrdlDialect, OpDef, PassDef, PipelineDef};

/// The dialects recom's passes build and read.
pub const DIALECTS: [&IrdlDialect; 3] = [&recom_emb::DIALECT, &recom_dense::DIALECT, &recom_symshape::DIALECT];

/// The declaration of a recom op by full name: what passes dispatch on
/// (verifier hooks, interfaces) instead of matching op names.
pub fn op_def(name: &str) -> Option<&'static OpDef> {
    DIALECTS.iter().find_map(|d| d.op(name))
}

/// Every recom pass, alphabetically by argument.
pub const PASSES: &[&PassDef] = &[
    &dense_fuse_elementwise::PASS,
    &dense_fuse_epilogue::PASS,
    &emb_fuse_columns::PASS,
    &emb_lower_fused_columns::PASS,
    &emb_shape_construct::PASS,
    &recom_math_to_nvvm_intrinsics::PASS,
    &recom_verify::PASS,
    &tf_check_raised::PASS,
    &tf_erase_dead::PASS,
    &tf_host_fallback::PASS,
    &tf_host_outputs::PASS,
    &tf_infer_shapes::PASS,
    &tf_raise_cross::PASS,
    &tf_raise_keras_lookup::PASS,
    &tf_raise_dense::PASS,
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
