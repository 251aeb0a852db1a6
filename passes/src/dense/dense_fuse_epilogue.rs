//! `dense-fuse-epilogue`: a bias add and a ReLU after a `dense.linear`
//! become the GEMM's epilogue (cuBLASLt's BIAS / RELU_BIAS, the CPU
//! GEMM's row pass), so the layer's output is written once.
//!
//! [Pattern: epilogue] "dense.map"(%l, %b) {expr = "add(x0, x1)"} (either
//!   order), "dense.map"(%l) {expr = "relu(x0)"} or
//!   "dense.map"(%l, %b) {expr = "relu(add(x0, x1))"}, where
//!   %l = "dense.linear"(%x, %w) {activation = "none"} without a bias, used
//!   only here, and %b = "dense.broadcast"(%c) of a constant %c of N
//!   elements (N = the layer's width)
//!   -> "dense.linear"(%x, %w, %b) {activation = "relu" | "none"}
//!
//! `negative_`: a linear with another user, a linear that already has a
//! bias and is given another, a batched addend, a subtraction, a ReLU
//! before the bias add.
use crate::dense::only_user;
use melior::{
    ir::{operation::{OperationLike, OperationRef}, Value, ValueLike},
    PatternRewriter,
};
use recom_dense::{self as dense, Activation, Expr, Func, Kind};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "dense-fuse-epilogue",
    name: "DenseFuseEpilogue",
    summary: "Fold a bias add and a ReLU after dense.linear into the linear's epilogue",
    description: "dense.map ops adding a bias to and/or applying relu to a single-use dense.linear result become \
                  the linear's bias operand and activation.",
    apply: recom_ir::rewrite::apply,
    patterns: vec![Pattern { root: dense::MapOp::NAME, generates: &[dense::LinearOp::NAME], rewrite: fuse }],
}

fn fuse(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let Some(map) = dense::MapOp::wrap(op) else { return false };
    let Ok(expr) = map.expr() else { return false };
    let inputs = map.inputs();
    let (relu, inner) = match &expr {
        Expr::Call(Func::Relu, args) => (true, &args[0]),
        other => (false, other),
    };
    // (the linear's input index, the bias's input index)
    let (l, b) = match inner {
        Expr::Input(i) if relu => (*i, None),
        Expr::Call(Func::Add, args) => match (&args[0], &args[1]) {
            (Expr::Input(i), Expr::Input(j)) => {
                if is_plain_linear(inputs[*i]) {
                    (*i, Some(*j))
                } else {
                    (*j, Some(*i))
                }
            }
            _ => return false,
        },
        _ => return false,
    };
    let Some(linear) = crate::tf::tf_match::def(inputs[l]).and_then(dense::LinearOp::wrap) else { return false };
    // A ReLU alone may follow a linear that has its bias already.
    let foldable = if b.is_none() { linear.activation() == Ok(Activation::None) } else { is_plain_linear(inputs[l]) };
    if !foldable || only_user(inputs[l]).is_none_or(|u| u.to_raw().ptr != op.to_raw().ptr) {
        return false;
    }
    if inputs[l].r#type() != map.output().r#type() {
        return false;
    }
    let width = match Kind::of(linear.output().r#type()) {
        Some(Kind::Batched { width }) => width,
        _ => return false,
    };
    // The bias: a broadcast constant of `width` elements.
    let mut dead = vec![linear.op()];
    let bias = match b {
        Some(j) => {
            let Some(c) = crate::tf::tf_match::def(inputs[j]).and_then(dense::BroadcastOp::wrap).map(|b| b.input()) else { return false };
            match Kind::of(c.r#type()) {
                Some(Kind::Constant { elements }) if elements == width && j != l => {
                    let broadcast = crate::tf::tf_match::def(inputs[j]).expect("a broadcast");
                    if only_user(inputs[j]).is_some() {
                        dead.push(broadcast);
                    }
                    Some(c)
                }
                _ => return false,
            }
        }
        None => None,
    };
    let (Ok(transpose), context_ref) = (linear.transpose_weight(), op.context()) else { return false };
    let context = unsafe { context_ref.to_ref() };
    let activation = if relu { Activation::Relu } else { Activation::None };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let bias = bias.or_else(|| linear.bias());
    let fused = base.insert(dense::linear(context, linear.op().location(), linear.input(), linear.weight(), bias, activation, transpose, map.output().r#type()));
    base.replace_op_with_operation(op, fused);
    // IRDL ops are not Pure: what the fused op replaced is erased here.
    for d in dead {
        base.erase_op(d);
    }
    true
}

/// A `dense.linear` result with no bias and no activation yet.
fn is_plain_linear(value: Value) -> bool {
    crate::tf::tf_match::def(value)
        .and_then(dense::LinearOp::wrap)
        .is_some_and(|l| l.bias().is_none() && l.activation() == Ok(Activation::None))
}
