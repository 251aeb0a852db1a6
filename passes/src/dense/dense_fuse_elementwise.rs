//! `dense-fuse-elementwise`: chains of `dense.map` become one map, one
//! kernel (or one pass over the rows on the CPU) instead of one per TF op.
//!
//! [Pattern: producer into consumer] "dense.map"(..., %p, ...) {expr = E}
//!   where %p = "dense.map"(ins) {expr = P} is used only there
//!   -> "dense.map"(..., ins, ...) {expr = E[x_k := P]} (inputs deduplicated)
//!
//! `negative_`: a producer with a second user (fusing would compute it
//! twice), a producer that is not a map (a linear, a reduction).
use crate::dense::only_user;
use melior::{
    ir::{operation::{OperationLike, OperationRef}, Value, ValueLike},
    PatternRewriter,
};
use recom_dense::{self as dense, Expr};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "dense-fuse-elementwise",
    name: "DenseFuseElementwise",
    summary: "Merge chains of dense.map ops into one",
    description: "A dense.map whose operand is another dense.map's single-use result absorbs that map's expression.",
    apply: recom_ir::rewrite::apply,
    patterns: vec![Pattern { root: dense::MapOp::NAME, generates: &[dense::MapOp::NAME], rewrite: fuse }],
}

fn same(a: Value, b: Value) -> bool {
    a.to_raw().ptr == b.to_raw().ptr
}

/// `v`'s index in `merged`, appended if new.
fn index<'c, 'a>(v: Value<'c, 'a>, merged: &mut Vec<Value<'c, 'a>>) -> usize {
    merged.iter().position(|m| same(*m, v)).unwrap_or_else(|| {
        merged.push(v);
        merged.len() - 1
    })
}

fn fuse(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let Some(map) = dense::MapOp::wrap(op) else { return false };
    let Ok(expr) = map.expr() else { return false };
    let inputs = map.inputs();
    // The first operand made by a single-use map (used once, here).
    let Some((k, producer)) = inputs.iter().enumerate().find_map(|(k, v)| {
        let p = crate::tf::tf_match::def(*v).and_then(dense::MapOp::wrap)?;
        let user = only_user(*v)?;
        (user.to_raw().ptr == op.to_raw().ptr).then_some((k, p))
    }) else {
        return false;
    };
    let Ok(inner) = producer.expr() else { return false };
    // New inputs: the consumer's without x_k, then the producer's, deduplicated.
    let mut merged: Vec<Value> = Vec::new();
    let outer: Vec<Option<usize>> = inputs.iter().enumerate().map(|(i, v)| (i != k).then(|| index(*v, &mut merged))).collect();
    let inner_map: Vec<usize> = producer.inputs().iter().map(|v| index(*v, &mut merged)).collect();
    let inner = inner.substitute(&|i| Expr::Input(inner_map[i]));
    let fused = expr.substitute(&|i| match outer[i] {
        Some(j) => Expr::Input(j),
        None => inner.clone(),
    });
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let new = base.insert(dense::map(context, op.location(), &merged, &fused, map.output().r#type()));
    base.replace_op_with_operation(op, new);
    // IRDL ops are not Pure: the absorbed producer is erased here.
    base.erase_op(producer.op());
    true
}
