//! `tf-raise-dense`: the dense part of a model (what its outputs compute
//! from the embedding layer and the dense inputs) becomes the `dense`
//! dialect, one TF op at a time, from the embedding layer down.
//!
//! A *dense value* is an f32 ranked tensor `[?, ...]` with static trailing
//! dims that is not made by a tf op (the embedding layer `emb.concat`, a
//! model input, a `dense` op); a *weight* is an f32 `tf.Const` (its values
//! stay in the weights store: `dense.weight {name = <node>}`).
//!
//! [Pattern: linear] "tf.MatMul"(%x, %w) with %x dense `[?, K]`, %w a
//!   weight `[K, N]` (`[N, K]` with transpose_b), transpose_a false
//!   -> "dense.linear"(%x, "dense.weight") {activation = "none"} : tensor<?xNxf32>
//! [Pattern: elementwise] a unary (Relu, Relu6, LeakyRelu, Sigmoid, Tanh,
//!   Round, Square, Sqrt, Rsqrt, Exp, Log, Neg, Abs) or binary (BiasAdd,
//!   Add, AddV2, Sub, Mul, RealDiv, Div, Maximum, Minimum) op on dense
//!   values and weights, at least one operand dense and every operand
//!   broadcastable to the result's width
//!   -> "dense.map"(operands) {expr = "<fn>(x0, x1)"}; scalar constants
//!   become literals of the expression (but a BiasAdd's bias, a vector
//!   even of one element, stays a weight), operands of another shape are
//!   broadcast ("dense.broadcast") to the result's type
//! [Pattern: concat] "tf.ConcatV2"(%a, ..., axis) of dense rank-2 values
//!   along axis 1 or -1 -> a chain of binary "dense.concat"
//! [Pattern: reshape] "tf.Reshape"(%x, shape) of a dense value to
//!   `[-1, d1, ...]` (or `[d0, d1, ...]` with d0 the batch, from
//!   `Shape(%x)[0]`) of the same width -> "dense.reshape"
//! [Pattern: reduce] "tf.Sum"/"tf.Mean"(%x, axes) over every dim but the
//!   batch -> "dense.reduce" (`[?, 1]` with keep_dims, else `[?]`)
//!
//! `negative_`: a MatMul of two dense values, a transposed input, a
//! reduction over the batch, a reshape that moves rows, a concat along
//! the batch, an op on a non-f32 or unraised operand.
use crate::tf::tf_match::{bool_attr, const_f32, const_int, const_ints, def, def_named, name_of, node_name, operand, ranked, skip_identity};
use melior::{
    ir::{
        attribute::DenseElementsAttribute,
        operation::{OperationLike, OperationRef},
        Type, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_dense::{self as dense, Activation, Expr, Func, Kind, Reduction};
use recom_ir::{kit::TensorInfo, rewrite::Pattern};

const GENERATES: &[&str] = &[dense::WeightOp::NAME, dense::LinearOp::NAME, dense::BroadcastOp::NAME, dense::MapOp::NAME];

/// The TF elementwise ops and the expression each is, over `x0` (and `x1`).
fn elementwise(op: OperationRef) -> Option<Expr> {
    let x = |i| Expr::Input(i);
    let unary = |f| Some(Expr::call(f, vec![x(0)]));
    let binary = |f| Some(Expr::call(f, vec![x(0), x(1)]));
    match name_of(op).as_str() {
        "tf.Relu" => unary(Func::Relu),
        "tf.Relu6" => Some(Expr::call(Func::Min, vec![Expr::call(Func::Relu, vec![x(0)]), Expr::Const(6.0)])),
        "tf.LeakyRelu" => {
            let alpha = melior::ir::attribute::FloatAttribute::try_from(op.attribute("alpha").ok()?).ok()?.value() as f32;
            // max(x, αx) is LeakyRelu for α <= 1 only.
            (alpha <= 1.0).then(|| Expr::call(Func::Max, vec![x(0), Expr::call(Func::Mul, vec![x(0), Expr::Const(alpha)])]))
        }
        "tf.Sigmoid" => unary(Func::Sigmoid),
        "tf.Tanh" => unary(Func::Tanh),
        "tf.Round" => unary(Func::Round),
        "tf.Square" => unary(Func::Square),
        "tf.Sqrt" => unary(Func::Sqrt),
        "tf.Rsqrt" => unary(Func::Rsqrt),
        "tf.Exp" => unary(Func::Exp),
        "tf.Log" => unary(Func::Log),
        "tf.Neg" => unary(Func::Neg),
        "tf.Abs" => unary(Func::Abs),
        "tf.BiasAdd" => {
            // NCHW would add along dim 1 of a rank-4 tensor; dense layers are NHWC.
            let format = crate::tf::tf_match::string_attr(op, "data_format");
            format.is_none_or(|f| f == "NHWC").then(|| Expr::call(Func::Add, vec![x(0), x(1)]))
        }
        "tf.Add" | "tf.AddV2" => binary(Func::Add),
        "tf.Sub" => binary(Func::Sub),
        "tf.Mul" => binary(Func::Mul),
        "tf.RealDiv" | "tf.Div" => binary(Func::Div),
        "tf.Maximum" => binary(Func::Max),
        "tf.Minimum" => binary(Func::Min),
        _ => None,
    }
}

pub(crate) const ELEMENTWISE: &[&str] = &[
    "tf.Relu", "tf.Relu6", "tf.LeakyRelu", "tf.Sigmoid", "tf.Tanh", "tf.Round", "tf.Square", "tf.Sqrt", "tf.Rsqrt", "tf.Exp", "tf.Log",
    "tf.Neg", "tf.Abs", "tf.BiasAdd", "tf.Add", "tf.AddV2", "tf.Sub", "tf.Mul", "tf.RealDiv", "tf.Div", "tf.Maximum", "tf.Minimum",
];

fn patterns() -> Vec<Pattern> {
    let mut patterns = vec![
        Pattern { root: "tf.MatMul", generates: GENERATES, rewrite: matmul },
        Pattern { root: "tf.ConcatV2", generates: &[dense::ConcatOp::NAME], rewrite: concat },
        Pattern { root: "tf.Reshape", generates: &[dense::ReshapeOp::NAME], rewrite: reshape },
        Pattern { root: "tf.Sum", generates: &[dense::ReduceOp::NAME], rewrite: reduce },
        Pattern { root: "tf.Mean", generates: &[dense::ReduceOp::NAME], rewrite: reduce },
    ];
    patterns.extend(ELEMENTWISE.iter().map(|root| Pattern { root, generates: GENERATES, rewrite: map }));
    patterns
}

crate::pattern_pass! {
    argument: "tf-raise-dense",
    name: "TfRaiseDense",
    summary: "Raise the dense part of a model (MatMul, BiasAdd, activations, elementwise ops, concat, reshape, reductions) to the dense dialect",
    description: "Raises TF ops on dense values (the embedding layer, f32 model inputs, dense ops) and f32 constants \
                  to dense.linear / dense.map / dense.concat / dense.reshape / dense.reduce, constants to dense.weight.",
    apply: crate::tf::tf_match::apply,
    patterns: patterns(),
}

/// A dense value: f32, `[?, static...]`, not made by a tf op.
fn dense_value(value: Value) -> Option<i64> {
    let Kind::Batched { width } = Kind::of(value.r#type())? else { return None };
    match def(value) {
        Some(op) if name_of(op).starts_with("tf.") => None,
        _ => Some(width),
    }
}

/// An f32 `tf.Const` (behind Identity): its name in the weights store and
/// its static shape.
fn weight_const<'c: 'a, 'a>(value: Value<'c, 'a>) -> Option<(OperationRef<'c, 'a>, String, Vec<i64>)> {
    let op = def_named(skip_identity(value), "tf.Const")?;
    let ty = crate::tf::tf_match::type_attr(op, "dtype");
    if ty.is_some_and(|t| recom_ir::kit::Elem::of(t) != recom_ir::kit::Elem::F32) {
        return None;
    }
    let name = crate::tf::tf_match::string_attr(op, "value_ref").or_else(|| node_name(op.location()))?;
    let shape = match op.attribute("value").ok().and_then(|a| DenseElementsAttribute::try_from(a).ok()) {
        Some(attr) => TensorInfo::of(melior::ir::attribute::AttributeLike::r#type(&attr))?.shape.iter().map(|d| d.unwrap_or(-1)).collect(),
        None => crate::tf::tf_match::shape_attr(op, "value_shape")?,
    };
    if shape.iter().any(|&d| d < 0) {
        return None;
    }
    Some((op, name, shape))
}

/// A `dense.weight` for the constant, before `op`.
fn insert_weight<'c, 'a>(rewriter: &PatternRewriter, op: OperationRef<'c, 'a>, name: &str, shape: &[i64], at: melior::ir::Location<'c>) -> Value<'c, 'a> {
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let w = base.insert(dense::weight(context, at, name, ranked(shape, Type::float32(context))));
    unsafe { Value::from_raw(w.result(0).expect("one result").to_raw()) }
}

fn matmul(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(w)) = (operand(op, 0), operand(op, 1)) else { return false };
    if op.operand_count() != 2 || bool_attr(op, "transpose_a") == Some(true) {
        return false;
    }
    let transpose = bool_attr(op, "transpose_b") == Some(true);
    let Some(k) = dense_value(x) else { return false };
    let Some((const_op, name, shape)) = weight_const(w) else { return false };
    let [a, b] = shape[..] else { return false };
    let (wk, n) = if transpose { (b, a) } else { (a, b) };
    if wk != k || TensorInfo::of(x.r#type()).is_none_or(|t| t.rank() != 2) {
        return false;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let weight = insert_weight(&rewriter, op, &name, &shape, const_op.location());
    let base = rewriter.as_rewriter_base();
    let linear = base.insert(dense::linear(context, op.location(), x, weight, None, Activation::None, transpose, dense::batched_type(context, n)));
    base.replace_op_with_operation(op, linear);
    true
}

fn map<'c, 'a>(op: OperationRef<'c, 'a>, rewriter: PatternRewriter) -> bool {
    let Some(expr) = elementwise(op) else { return false };
    if crate::tf::tf_raise_input_layer::in_numeric_column(op) {
        return false;
    }
    let n = op.operand_count();
    if n != expr.inputs() || op.result_count() != 1 {
        return false;
    }
    // Each operand: a dense value, a scalar literal or a weight.
    enum Arg<'c, 'a> {
        Dense(Value<'c, 'a>, i64),
        Literal(f32),
        Weight(OperationRef<'c, 'a>, String, Vec<i64>),
    }
    // A BiasAdd's bias is a weight even with one element (a width-1
    // layer's): `dense-fuse-epilogue` makes it the GEMM's bias.
    let bias_add = name_of(op) == "tf.BiasAdd";
    let mut args = Vec::new();
    for i in 0..n {
        let Some(v) = operand(op, i) else { return false };
        if let Some(width) = dense_value(v) {
            args.push(Arg::Dense(v, width));
        } else if let Some((c, name, shape)) = weight_const(v).filter(|_| bias_add && i == 1) {
            args.push(Arg::Weight(c, name, shape));
        } else if let Some(c) = const_f32(v) {
            args.push(Arg::Literal(c));
        } else if let Some((c, name, shape)) = weight_const(v) {
            args.push(Arg::Weight(c, name, shape));
        } else {
            return false;
        }
    }
    // The result: the widest dense operand's type (its rank and dims).
    let Some((result_ty, width)) = args
        .iter()
        .filter_map(|a| match a {
            Arg::Dense(v, w) => Some((v.r#type(), *w)),
            _ => None,
        })
        .max_by_key(|(_, w)| *w)
    else {
        return false;
    };
    for a in &args {
        let w = match a {
            Arg::Dense(_, w) => *w,
            Arg::Weight(_, _, shape) => shape.iter().product(),
            Arg::Literal(_) => 1,
        };
        if w != width && w != 1 {
            return false;
        }
    }
    // Every input of the map has the result's type: others are broadcast.
    let broadcast = |v: Value<'c, 'a>| -> Value<'c, 'a> {
        if v.r#type() == result_ty {
            return v;
        }
        let base = rewriter.as_rewriter_base();
        base.set_insertion_point_before(op);
        let b = base.insert(dense::broadcast(op.location(), v, result_ty));
        unsafe { Value::from_raw(b.result(0).expect("one result").to_raw()) }
    };
    let mut inputs = Vec::new();
    let mut slot = Vec::new();
    for a in &args {
        slot.push(match a {
            Arg::Literal(c) => Expr::Const(*c),
            Arg::Dense(v, _) => {
                inputs.push(broadcast(*v));
                Expr::Input(inputs.len() - 1)
            }
            Arg::Weight(c, name, shape) => {
                let w = insert_weight(&rewriter, op, name, shape, c.location());
                inputs.push(broadcast(w));
                Expr::Input(inputs.len() - 1)
            }
        });
    }
    let expr = expr.substitute(&|i| slot[i].clone());
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let mapped = base.insert(dense::map(context, op.location(), &inputs, &expr, result_ty));
    base.replace_op_with_operation(op, mapped);
    true
}

fn concat(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let n = op.operand_count();
    if n < 2 {
        return false;
    }
    let Some(axis) = operand(op, n - 1).and_then(const_int) else { return false };
    let mut inputs = Vec::new();
    for i in 0..n - 1 {
        let Some(v) = operand(op, i) else { return false };
        let Some(width) = dense_value(v) else { return false };
        if TensorInfo::of(v.r#type()).is_none_or(|t| t.rank() != 2) {
            return false;
        }
        inputs.push((v, width));
    }
    if axis != 1 && axis != -1 {
        return false;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    // A chain of binary concatenations, left to right.
    let (mut acc, mut total) = inputs[0];
    for &(v, width) in &inputs[1..] {
        total += width;
        let c = base.insert(dense::concat(op.location(), acc, v, dense::batched_type(context, total)));
        acc = unsafe { Value::from_raw(c.result(0).expect("one result").to_raw()) };
    }
    base.replace_op_with_values(op, &[acc]);
    true
}

fn reshape(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(target)) = (operand(op, 0), operand(op, 1)) else { return false };
    let Some(width) = dense_value(x) else { return false };
    let Some(dims) = crate::tf::tf_match::target_dims(x, target) else { return false };
    // [-1, d1, ...] with d1·... = width keeps the rows.
    let Some((&first, rest)) = dims.split_first() else { return false };
    if first != -1 || rest.iter().any(|&d| d < 0) || rest.iter().product::<i64>() != width {
        return false;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let r = base.insert(dense::reshape(op.location(), x, ranked(&dims, Type::float32(context))));
    base.replace_op_with_operation(op, r);
    true
}

fn reduce(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(axes)) = (operand(op, 0), operand(op, 1)) else { return false };
    if dense_value(x).is_none() {
        return false;
    }
    let Some(rank) = TensorInfo::of(x.r#type()).map(|t| t.rank() as i64) else { return false };
    let Some(mut axes) = const_ints(axes) else { return false };
    for a in &mut axes {
        if *a < 0 {
            *a += rank;
        }
    }
    axes.sort();
    axes.dedup();
    if axes != (1..rank).collect::<Vec<_>>() || rank < 2 {
        return false;
    }
    let reduction = if name_of(op) == "tf.Sum" { Reduction::Sum } else { Reduction::Mean };
    let keep = bool_attr(op, "keep_dims") == Some(true);
    let dims: Vec<i64> = if keep { std::iter::once(-1).chain((1..rank).map(|_| 1)).collect() } else { vec![-1] };
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let r = base.insert(dense::reduce(context, op.location(), x, reduction, ranked(&dims, Type::float32(context))));
    base.replace_op_with_operation(op, r);
    true
}
