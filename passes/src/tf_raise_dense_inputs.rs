//! `tf-raise-dense-inputs`: a dense categorical input turned into a
//! SparseTensor (`to_sparse_input`) becomes one host-side
//! `emb.sparse_from_dense`.
//!
//! [Pattern: to_sparse_input]
//! IN:  %i = "tf.Where"("tf.NotEqual"(%x : tensor<?xNxT>, ignore))
//!      %v = "tf.GatherNd"(%x, %i)
//!      %s = "tf.Shape"(%x) {out_type = i64}
//! OUT: %i, %v, %s = "emb.sparse_from_dense"(%x) {ignore_value = ignore}
//!
//! Every `tf.Shape(%x)` of type i64 is the dense shape and takes the result.
//! `negative_`: a comparison that is not NotEqual, a GatherNd of another
//! tensor than the one compared, a non-constant ignore value.
use crate::tf_match::{const_int, const_strings, def_named, i64_type, int_attr, operand, ranked, type_attr, users};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, IgnoreValue};
use recom_ir::{registry::PassFailure, rewrite::Pattern, OptionValues, PassDef};
use recom_opkit::{Elem, TensorInfo};

pub static PASS: PassDef = PassDef {
    argument: "tf-raise-dense-inputs",
    name: "TfRaiseDenseInputs",
    summary: "Raise to_sparse_input (NotEqual/Where/GatherNd/Shape on a dense input) to emb.sparse_from_dense",
    description: "Dense categorical inputs become SparseTensors on the host, without their missing entries.",
    anchor: None,
    options: &[],
    run,
};

fn run(_: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    crate::tf_match::apply(
        PASS.argument,
        root,
        &[Pattern { root: "tf.GatherNd", generates: &[emb::SparseFromDenseOp::NAME], rewrite: raise }],
    )
}

fn raise(gather: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(indices)) = (operand(gather, 0), operand(gather, 1)) else { return false };
    let Some(info) = TensorInfo::of(x.r#type()).filter(|t| t.rank() == 2) else { return false };
    let Some(where_op) = def_named(indices, "tf.Where") else { return false };
    let Some(not_equal) = operand(where_op, 0).and_then(|c| def_named(c, "tf.NotEqual")) else { return false };
    let (Some(compared), Some(ignore)) = (operand(not_equal, 0), operand(not_equal, 1)) else { return false };
    if compared.to_raw().ptr != x.to_raw().ptr {
        return false;
    }
    let ignore = match info.elem {
        Elem::Int(64) => match const_int(ignore) {
            Some(v) => IgnoreValue::I64(v),
            None => return false,
        },
        Elem::Str => match const_strings(ignore).as_deref() {
            Some([s]) => IgnoreValue::Str(s.clone()),
            _ => return false,
        },
        _ => return false,
    };
    let context_ref = gather.context();
    let context = unsafe { context_ref.to_ref() };
    let element = unsafe { melior::ir::Type::from_raw(mlir_sys::mlirShapedTypeGetElementType(melior::ir::TypeLike::to_raw(&x.r#type()))) };
    let i64t = i64_type(context);
    let base = rewriter.as_rewriter_base();
    // Right after x: the dense shape may be used before the gather.
    base.set_insertion_point_after_value(x);
    let sparse = base.insert(emb::sparse_from_dense(
        context,
        gather.location(),
        x,
        &ignore,
        [ranked(&[-1, 2], i64t), ranked(&[-1], element), ranked(&[2], i64t)],
    ));
    let result = |i: usize| -> Value { sparse.result(i).unwrap().into() };
    // The dense shape: every i64 Shape of x.
    for user in users(x) {
        let is_shape = crate::tf_match::name_of(user) == "tf.Shape"
            && type_attr(user, "out_type").is_some_and(|t| t == i64t)
            && int_attr(user, "unused").is_none();
        if is_shape {
            base.replace_op_with_values(user, &[result(2)]);
        }
    }
    base.replace_op_with_values(where_op, &[result(0)]);
    base.replace_op_with_values(gather, &[result(1)]);
    true
}
