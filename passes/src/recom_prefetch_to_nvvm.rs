//! `recom-prefetch-to-nvvm`: a read `memref.prefetch` of a rank-1 memref with
//! the identity layout, inside a `gpu.module`, becomes the NVVM intrinsic
//! `llvm.nvvm.prefetch.global.L2` on the element's address.
//!
//! MLIR lowers `memref.prefetch` to `llvm.prefetch`, which the NVPTX backend
//! drops without a word, so on the GPU the hint would be lost. A prefetch to
//! L2 asks the memory system for a line without holding a register or a
//! load slot of the SM: the kernel uses it to put every row of a bag in
//! flight before the loads that use them. `negative_` cases: write
//! prefetches, other ranks, and prefetches outside a `gpu.module` stay.
use melior::{
    ir::{
        attribute::{AttributeLike, BoolAttribute, IntegerAttribute, StringAttribute},
        operation::{OperationBuilder, OperationLike, OperationRef},
        r#type::{IntegerType, MemRefType},
        Attribute, Identifier, Location, ShapedTypeLike, Type, TypeLike, Value, ValueLike,
    },
    Context, PatternRewriter, RewriterBase,
};
use recom_ir::{
    registry::PassFailure,
    rewrite::{self, Pattern},
    OptionValues, PassDef,
};

pub static PASS: PassDef = PassDef {
    argument: "recom-prefetch-to-nvvm",
    name: "RecomPrefetchToNvvm",
    summary: "Lower read memref.prefetch of rank-1 memrefs in gpu.module to llvm.nvvm.prefetch.global.L2",
    description: "MLIR lowers memref.prefetch to llvm.prefetch, which the NVPTX backend drops; this maps it to the NVVM \
                  L2 prefetch of the element's global address instead.",
    anchor: None,
    options: &[],
    run,
};

fn inside_gpu_module(op: OperationRef) -> bool {
    let mut current = op.parent_operation();
    while let Some(p) = current {
        if recom_opkit::identifier_text(p.name()) == "gpu.module" {
            return true;
        }
        current = p.parent_operation();
    }
    false
}

fn run(_: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    rewrite::apply(
        PASS.argument,
        root,
        &[Pattern { root: "memref.prefetch", generates: &["llvm.call_intrinsic"], rewrite: rewrite_prefetch }],
    )
}

fn rewrite_prefetch(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let context_ref = op.context();
    let context: &Context = unsafe { context_ref.to_ref() };
    if !inside_gpu_module(op) || op.operand_count() != 2 {
        return false;
    }
    let is_write = op.attribute("isWrite").ok().and_then(|a| BoolAttribute::try_from(a).ok()).is_some_and(|b| b.value());
    if is_write {
        return false;
    }
    let (Ok(memref), Ok(index)) = (op.operand(0), op.operand(1)) else { return false };
    let Ok(memref_type) = MemRefType::try_from(memref.r#type()) else { return false };
    // Identity layout, offset 0: the element is at aligned pointer + index × size.
    if memref_type.rank() != 1 || !is_identity(memref_type) {
        return false;
    }
    let element = memref_type.element();
    let bytes = if element.is_f32() || element.is_integer() && IntegerType::try_from(element).is_ok_and(|t| t.width() == 32) {
        4
    } else if element.is_f64() || element.is_integer() && IntegerType::try_from(element).is_ok_and(|t| t.width() == 64) {
        8
    } else {
        return false;
    };
    let location = op.location();
    let index_t = Type::index(context);
    let i64t: Type = IntegerType::new(context, 64).into();
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let pointer = emit_op(&base, context, location, "memref.extract_aligned_pointer_as_index", &[memref], &[], Some(index_t));
    let size = emit_op(&base, context, location, "arith.constant", &[], &[("value", IntegerAttribute::new(index_t, bytes).into())], Some(index_t));
    let offset = emit_op(&base, context, location, "arith.muli", &[index, size], &[], Some(index_t));
    let address = emit_op(&base, context, location, "arith.addi", &[pointer, offset], &[], Some(index_t));
    let address = emit_op(&base, context, location, "arith.index_cast", &[address], &[], Some(i64t));
    let global_ptr = Type::parse(context, "!llvm.ptr<1>").expect("llvm pointer type");
    let pointer = emit_op(&base, context, location, "llvm.inttoptr", &[address], &[], Some(global_ptr));
    emit_op(&base, context, location, 
        "llvm.call_intrinsic",
        &[pointer],
        &[
            ("intrin", StringAttribute::new(context, "llvm.nvvm.prefetch.global.L2").into()),
            ("op_bundle_sizes", recom_opkit::i32_array(context, &[])),
            ("operandSegmentSizes", recom_opkit::i32_array(context, &[1, 0])),
        ],
        None,
    );
    base.erase_op(op);
    true
}

/// Inserts one op at the rewriter's insertion point; returns its result
/// (the op itself is reached through it), or a dangling-free dummy for none.
fn emit_op<'c, 'r>(
    base: &'r RewriterBase<'c, '_>,
    context: &'c Context,
    location: Location<'c>,
    name: &str,
    operands: &[Value<'c, '_>],
    attrs: &[(&str, Attribute<'c>)],
    result: Option<Type<'c>>,
) -> Value<'c, 'r> {
    let mut builder = OperationBuilder::new(name, location)
        .add_operands(operands)
        .add_attributes(&attrs.iter().map(|(n, a)| (Identifier::new(context, n), *a)).collect::<Vec<_>>());
    if let Some(t) = result {
        builder = builder.add_results(&[t]);
    }
    let op = base.insert(builder.build().unwrap_or_else(|e| panic!("building {name}: {e}")));
    match op.result(0) {
        Ok(r) => r.into(),
        // No result: hand back the op's first operand (unused by callers).
        Err(_) => op.operand(0).expect("an operand"),
    }
}

fn is_identity(t: MemRefType) -> bool {
    let layout = t.layout();
    unsafe { mlir_sys::mlirAttributeIsAAffineMap(layout.to_raw()) && mlir_sys::mlirAffineMapIsIdentity(mlir_sys::mlirAffineMapAttrGetValue(layout.to_raw())) }
}
