//! `tf-raise-input-layer`: `input_layer`'s concatenation of the column
//! outputs becomes `emb.concat`.
//!
//! [Pattern: input layer] "tf.ConcatV2"(%c_0, ..., %c_n, axis) with every %c_i an
//!   emb.lookup result and axis 1 or -1
//!   -> "emb.concat"(%c_0, ..., %c_n) : tensor<?x(ΣD)xf32>
//!
//! A function returning the layer gets its ranked result type.
//! `negative_`: an operand that is not a raised column (a numeric column, a
//! leftover tf op), a concatenation along axis 0.
use crate::tf_match::{const_int, def, operand, ranked};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Type, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb as emb;
use recom_ir::{
    registry::PassFailure,
    rewrite::Pattern,
    OptionValues, PassDef,
};
use recom_opkit::TensorInfo;

pub static PASS: PassDef = PassDef {
    argument: "tf-raise-input-layer",
    name: "TfRaiseInputLayer",
    summary: "Raise the input_layer's tf.ConcatV2 of raised columns to emb.concat",
    description: "Concatenations along dim 1 whose operands are all emb.lookup results become emb.concat.",
    anchor: None,
    options: &[],
    run,
};

fn run(_: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    crate::tf_match::apply(PASS.argument, root, &[Pattern { root: "tf.ConcatV2", generates: &[emb::ConcatOp::NAME], rewrite: raise }])
}

fn raise(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let n = op.operand_count();
    if n < 2 || !operand(op, n - 1).and_then(const_int).is_some_and(|axis| axis == 1 || axis == -1) {
        return false;
    }
    let columns: Vec<Value> = (0..n - 1).filter_map(|i| operand(op, i)).collect();
    let mut width = 0;
    for &c in &columns {
        let Some(lookup) = def(c).and_then(emb::LookupOp::wrap) else { return false };
        let Some(dim) = TensorInfo::of(lookup.table().r#type()).and_then(|t| t.shape[1]) else { return false };
        width += dim;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let concat = base.insert(emb::concat(op.location(), &columns, ranked(&[-1, width], Type::float32(context))));
    base.replace_op_with_operation(op, concat);
    true
}
