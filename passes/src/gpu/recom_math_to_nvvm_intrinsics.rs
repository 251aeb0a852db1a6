//! `recom-math-to-nvvm-intrinsics`: `math.sqrt` on f32 inside a `gpu.module`
//! becomes a call of the correctly rounded NVVM intrinsic
//! `llvm.nvvm.sqrt.rn.f`.
//!
//! MLIR's `convert-gpu-to-nvvm` lowers `math.sqrt` to a call of libdevice's
//! `__nv_sqrtf`, which only links where a CUDA toolkit is installed (recom
//! makes PTX without one), and it rejects `llvm.intr.sqrt`. The intrinsic
//! gives the same correctly rounded result as the CPU path's `llvm.sqrt`.
//! `negative_` cases: f64 sqrt and sqrt outside a `gpu.module` are left alone.
use melior::{
    ir::{
        attribute::StringAttribute,
        operation::{OperationBuilder, OperationLike, OperationRef},
        Identifier, Type, ValueLike,
    },
    Context, PatternRewriter,
};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "recom-math-to-nvvm-intrinsics",
    name: "RecomMathToNvvmIntrinsics",
    summary: "Lower f32 math.sqrt in gpu.module to llvm.nvvm.sqrt.rn.f (no libdevice needed)",
    description: "convert-gpu-to-nvvm maps math.sqrt to libdevice, which needs a CUDA toolkit; this maps it to the \
                  correctly rounded NVVM intrinsic instead.",
    apply: recom_ir::rewrite::apply,
    patterns: vec![Pattern { root: "math.sqrt", generates: &["llvm.call_intrinsic"], rewrite: rewrite_sqrt }],
}

fn inside_gpu_module(op: OperationRef) -> bool {
    let mut current = op.parent_operation();
    while let Some(p) = current {
        if recom_ir::kit::identifier_text(p.name()) == "gpu.module" {
            return true;
        }
        current = p.parent_operation();
    }
    false
}


fn rewrite_sqrt(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let context_ref = op.context();
    let context: &Context = unsafe { context_ref.to_ref() };
    let Ok(input) = op.operand(0) else { return false };
    let f32t = Type::float32(context);
    if input.r#type() != f32t || !inside_gpu_module(op) {
        return false;
    }
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let call = OperationBuilder::new("llvm.call_intrinsic", op.location())
        .add_operands(&[input])
        .add_attributes(&[
            (Identifier::new(context, "intrin"), StringAttribute::new(context, "llvm.nvvm.sqrt.rn.f").into()),
            (Identifier::new(context, "op_bundle_sizes"), recom_ir::kit::i32_array(context, &[])),
            (Identifier::new(context, "operandSegmentSizes"), recom_ir::kit::i32_array(context, &[1, 0])),
        ])
        .add_results(&[f32t])
        .build();
    let Ok(call) = call else { return false };
    let call = base.insert(call);
    base.replace_op_with_operation(op, call);
    true
}
