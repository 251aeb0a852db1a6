//! The `dense` dialect: what a model's outputs compute after its embedding
//! layer — MLP layers, heads, the dense inputs' bottom MLP — as a few
//! coarse ops a runtime maps onto GEMM libraries and generated elementwise
//! kernels.
//!
//! Every op is declared once, here: its [`OpDef`] (the dialect's IRDL is
//! generated from it), builder, typed view and verifier hook. The semantics
//! (activations, reductions, the elementwise expression language) are
//! `recom_abi::dense`'s, shared with the runtime that executes them.
//!
//! Types: a *batched* value is a ranked f32 tensor whose dim 0 is dynamic
//! (the request's batch), `[?, d1, ...]`, of width `d1·...` (1 for `[?]`);
//! a *constant* (`dense.weight`) has a static shape.
use melior::{
    ir::{
        operation::{OperationBuilder, OperationLike, OperationRef},
        Location, Operation, Type, Value, ValueLike,
    },
    Context,
};
pub use recom_abi::dense::{Activation, Expr, Func, Reduction};
use recom_ir::{
    check::{attr, result_tensor, tensor, Check},
    kit::{self, AttrError, Elem, TensorInfo},
    op_view, AttrC, AttrSlot, OpDef, Slot,
};

/// The dialect.
pub const DIALECT: recom_ir::IrdlDialect = recom_ir::IrdlDialect {
    name: "dense",
    doc: "The `dense` dialect, version 0: the dense part of a recommendation model.

A batched value is a ranked f32 tensor `[?, d1, ...]` (dim 0 the batch) of
width d1·...; a constant is a static f32 tensor from `dense.weight`.
Broadcasting is explicit (`dense.broadcast`), so the inputs of an
elementwise `dense.map` all have its result's type.

Generated from the op declarations in crates/recom-dense/src/lib.rs (do not edit).",
    ops: &[DENSE_OPS],
};

/// The ops, in declaration order.
pub const DENSE_OPS: &[OpDef] = &[WEIGHT, LINEAR, BROADCAST, MAP, CONCAT, REDUCE, RESHAPE];

pub const WEIGHT: OpDef = OpDef {
    name: "dense.weight",
    doc: "A constant of the model (a layer's kernel or bias), bound by name at run
time from the model's weights; a static f32 tensor.
  attrs: name : string",
    operands: &[],
    results: &[Slot::tensor("value")],
    attributes: &[AttrSlot::new("name", AttrC::String)],
    verify: check_weight,
    int_range: None,
    host: None,
};

pub const LINEAR: OpDef = OpDef {
    name: "dense.linear",
    doc: "A fully connected layer: activation(input · W + bias) on a batched
`[?, K]` input; W is `[K, N]` (`[N, K]` with transpose_weight), bias
`[N]`; the result is `[?, N]`. Bias and activation are the GEMM's
epilogue (`dense-fuse-epilogue` folds them in).
  attrs: activation : \"none\" | \"relu\"; transpose_weight : bool (optional)",
    operands: &[Slot::tensor("input"), Slot::tensor("weight"), Slot::tensor("bias").optional()],
    results: &[Slot::tensor("output")],
    attributes: &[AttrSlot::new("activation", AttrC::OneOf(Activation::NAMES))],
    verify: check_linear,
    int_range: None,
    host: None,
};

pub const BROADCAST: OpDef = OpDef {
    name: "dense.broadcast",
    doc: "A value made to a batched type of width W for an elementwise map: a
batched width-1 value repeated over the columns, a constant of W (or 1)
elements repeated over the rows, or a batched value of width W in
another shape. No data moves: the map reads its input with strides.",
    operands: &[Slot::tensor("input")],
    results: &[Slot::tensor("output")],
    attributes: &[],
    verify: check_broadcast,
    int_range: None,
    host: None,
};

pub const MAP: OpDef = OpDef {
    name: "dense.map",
    doc: "An elementwise expression over the inputs (`x0`, `x1`, ... in `expr`,
e.g. \"sigmoid(add(x0, x1))\"); every input has the result's (batched)
type. `dense-fuse-elementwise` merges chains of maps.
  attrs: expr : string",
    operands: &[Slot::tensor("inputs").variadic()],
    results: &[Slot::tensor("output")],
    attributes: &[AttrSlot::new("expr", AttrC::String)],
    verify: check_map,
    int_range: None,
    host: None,
};

pub const CONCAT: OpDef = OpDef {
    name: "dense.concat",
    doc: "Two batched values side by side: `[?, a]`, `[?, b]` to `[?, a + b]` (an
n-ary concatenation is a chain).",
    operands: &[Slot::tensor("lhs"), Slot::tensor("rhs")],
    results: &[Slot::tensor("output")],
    attributes: &[],
    verify: check_concat,
    int_range: None,
    host: None,
};

pub const REDUCE: OpDef = OpDef {
    name: "dense.reduce",
    doc: "Each row of a batched input reduced to one value: `[?, ...]` to `[?]` or
`[?, 1]`.
  attrs: reduction : \"sum\" | \"mean\"",
    operands: &[Slot::tensor("input")],
    results: &[Slot::tensor("output")],
    attributes: &[AttrSlot::new("reduction", AttrC::OneOf(Reduction::NAMES))],
    verify: check_reduce,
    int_range: None,
    host: None,
};

pub const RESHAPE: OpDef = OpDef {
    name: "dense.reshape",
    doc: "A batched value with other trailing dims of the same width (the rows
and their order are kept; no data moves).",
    operands: &[Slot::tensor("input")],
    results: &[Slot::tensor("output")],
    attributes: &[],
    verify: check_reshape,
    int_range: None,
    host: None,
};

// ---- shapes ----------------------------------------------------------------

/// A value of the dialect: batched (width) or constant (element count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Batched { width: i64 },
    Constant { elements: i64 },
}

impl Kind {
    /// The kind of an f32 ranked tensor type with static trailing dims.
    pub fn of(ty: Type) -> Option<Kind> {
        let t = TensorInfo::of(ty)?;
        if t.elem != Elem::F32 {
            return None;
        }
        let static_product = |dims: &[Option<i64>]| dims.iter().try_fold(1i64, |n, d| d.and_then(|d| (d >= 0).then_some(d)).and_then(|d| n.checked_mul(d)));
        match t.shape.first() {
            Some(None) => Some(Kind::Batched { width: static_product(&t.shape[1..])? }),
            _ => Some(Kind::Constant { elements: static_product(&t.shape)? }),
        }
    }
    /// Elements per row (a constant broadcasts all of its elements).
    pub fn width(self) -> i64 {
        match self {
            Kind::Batched { width } => width,
            Kind::Constant { elements } => elements,
        }
    }
}

fn kind(value: Value, what: &str) -> Result<Kind, String> {
    Kind::of(value.r#type()).ok_or_else(|| format!("{what} must be an f32 tensor with static dims after the first, got {}", value.r#type()))
}

fn batched(value: Value, what: &str) -> Result<i64, String> {
    match kind(value, what)? {
        Kind::Batched { width } => Ok(width),
        Kind::Constant { .. } => Err(format!("{what} must be batched (dim 0 dynamic), got {}", value.r#type())),
    }
}

/// `tensor<?x<width>xf32>`: the type the dialect's builders give batched values.
pub fn batched_type<'c>(context: &'c Context, width: i64) -> Type<'c> {
    recom_ir::ext::ranked_tensor(&[i64::MIN, width], Type::float32(context))
}

// ---- builders and views ----------------------------------------------------

fn build<'c>(builder: OperationBuilder<'c>) -> Operation<'c> {
    builder.build().expect("dense builders produce well-formed operations")
}

/// `dense.weight`: the weight `name` of type `ty`.
pub fn weight<'c>(context: &'c Context, location: Location<'c>, name: &str, ty: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(WeightOp::NAME, location).add_attributes(&[kit::named(context, "name", kit::string(context, name))]).add_results(&[ty]))
}

/// `dense.linear`.
#[allow(clippy::too_many_arguments)]
pub fn linear<'c>(
    context: &'c Context,
    location: Location<'c>,
    input: Value<'c, '_>,
    weight: Value<'c, '_>,
    bias: Option<Value<'c, '_>>,
    activation: Activation,
    transpose_weight: bool,
    result: Type<'c>,
) -> Operation<'c> {
    let mut operands = vec![input, weight];
    operands.extend(bias);
    let mut attrs = vec![kit::named(context, "activation", kit::string(context, activation.as_str()))];
    if transpose_weight {
        attrs.push(kit::named(context, "transpose_weight", kit::boolean(context, true)));
    }
    build(OperationBuilder::new(LinearOp::NAME, location).add_operands(&operands).add_attributes(&attrs).add_results(&[result]))
}

/// `dense.map`.
pub fn map<'c>(context: &'c Context, location: Location<'c>, inputs: &[Value<'c, '_>], expr: &Expr, result: Type<'c>) -> Operation<'c> {
    build(
        OperationBuilder::new(MapOp::NAME, location)
            .add_operands(inputs)
            .add_attributes(&[kit::named(context, "expr", kit::string(context, &expr.to_string()))])
            .add_results(&[result]),
    )
}

/// `dense.concat`.
pub fn concat<'c>(location: Location<'c>, lhs: Value<'c, '_>, rhs: Value<'c, '_>, result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(ConcatOp::NAME, location).add_operands(&[lhs, rhs]).add_results(&[result]))
}

/// `dense.broadcast`.
pub fn broadcast<'c>(location: Location<'c>, input: Value<'c, '_>, result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(BroadcastOp::NAME, location).add_operands(&[input]).add_results(&[result]))
}

/// `dense.reduce`.
pub fn reduce<'c>(context: &'c Context, location: Location<'c>, input: Value<'c, '_>, reduction: Reduction, result: Type<'c>) -> Operation<'c> {
    build(
        OperationBuilder::new(ReduceOp::NAME, location)
            .add_operands(&[input])
            .add_attributes(&[kit::named(context, "reduction", kit::string(context, reduction.as_str()))])
            .add_results(&[result]),
    )
}

/// `dense.reshape`.
pub fn reshape<'c>(location: Location<'c>, input: Value<'c, '_>, result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(ReshapeOp::NAME, location).add_operands(&[input]).add_results(&[result]))
}

op_view!(
    /// `dense.weight`.
    WeightOp, "dense.weight"
);
impl<'c, 'a> WeightOp<'c, 'a> {
    pub fn name(&self) -> Result<std::borrow::Cow<'c, str>, AttrError> {
        kit::str_attr(&self.0, "name")
    }
    pub fn value(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `dense.linear`.
    LinearOp, "dense.linear"
);
impl<'c, 'a> LinearOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn weight(&self) -> Value<'c, 'a> {
        self.operand(1)
    }
    pub fn bias(&self) -> Option<Value<'c, 'a>> {
        (self.0.operand_count() > 2).then(|| self.operand(2))
    }
    pub fn activation(&self) -> Result<Activation, AttrError> {
        kit::str_attr(&self.0, "activation")?.parse().map_err(|e| AttrError::new("activation", e))
    }
    pub fn transpose_weight(&self) -> Result<bool, AttrError> {
        if self.0.has_attribute("transpose_weight") {
            kit::bool_attr(&self.0, "transpose_weight")
        } else {
            Ok(false)
        }
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `dense.map`.
    MapOp, "dense.map"
);
impl<'c, 'a> MapOp<'c, 'a> {
    pub fn inputs(&self) -> Vec<Value<'c, 'a>> {
        (0..self.0.operand_count()).map(|i| self.operand(i)).collect()
    }
    pub fn expr(&self) -> Result<Expr, AttrError> {
        Expr::parse(&kit::str_attr(&self.0, "expr")?).map_err(|e| AttrError::new("expr", e))
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `dense.broadcast`.
    BroadcastOp, "dense.broadcast"
);
impl<'c, 'a> BroadcastOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `dense.concat`.
    ConcatOp, "dense.concat"
);
impl<'c, 'a> ConcatOp<'c, 'a> {
    pub fn lhs(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn rhs(&self) -> Value<'c, 'a> {
        self.operand(1)
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `dense.reduce`.
    ReduceOp, "dense.reduce"
);
impl<'c, 'a> ReduceOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn reduction(&self) -> Result<Reduction, AttrError> {
        kit::str_attr(&self.0, "reduction")?.parse().map_err(|e| AttrError::new("reduction", e))
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `dense.reshape`.
    ReshapeOp, "dense.reshape"
);
impl<'c, 'a> ReshapeOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

// ---- verification ----------------------------------------------------------

fn output<'c, 'a>(op: OperationRef<'c, 'a>) -> Result<Value<'c, 'a>, String> {
    recom_ir::check::result(op, 0)
}

fn check_weight(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = WeightOp::wrap(op).ok_or("was given to another op's verifier")?;
    if attr(view.name())?.is_empty() {
        return Err("attribute 'name' must not be empty".into());
    }
    let t = result_tensor(op)?;
    if t.elem != Elem::F32 || t.shape.iter().any(Option::is_none) {
        return Err(format!("result must be a static f32 tensor, got {}", view.value().r#type()));
    }
    Ok(())
}

fn check_linear(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = LinearOp::wrap(op).ok_or("was given to another op's verifier")?;
    attr(view.activation())?;
    let transpose = attr(view.transpose_weight())?;
    let k = batched(view.input(), "input")?;
    let w = tensor(view.weight(), "weight")?;
    let dims: Vec<i64> = w.shape.iter().map(|d| d.unwrap_or(-1)).collect();
    let (wk, n) = match dims[..] {
        [a, b] if a >= 0 && b >= 0 && w.elem == Elem::F32 => {
            if transpose {
                (b, a)
            } else {
                (a, b)
            }
        }
        _ => return Err(format!("weight must be a static rank-2 f32 tensor, got {}", view.weight().r#type())),
    };
    if wk != k {
        return Err(format!("input has width {k} but the weight maps {wk} inputs{}", if transpose { " (transposed)" } else { "" }));
    }
    if let Some(bias) = view.bias() {
        match kind(bias, "bias")? {
            Kind::Constant { elements } if elements == n => {}
            other => return Err(format!("bias must be a constant of {n} elements, got {} ({other:?})", bias.r#type())),
        }
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 || out.shape[0].is_some() || out.shape[1] != Some(n) || out.elem != Elem::F32 {
        return Err(format!("result must be tensor<?x{n}xf32>, got {}", view.output().r#type()));
    }
    Ok(())
}

fn check_broadcast(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = BroadcastOp::wrap(op).ok_or("was given to another op's verifier")?;
    let width = batched(view.output(), "result")?;
    let k = kind(view.input(), "input")?;
    if k.width() != width && k.width() != 1 {
        return Err(format!("input {} does not broadcast to width {width}", view.input().r#type()));
    }
    Ok(())
}

fn check_map(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = MapOp::wrap(op).ok_or("was given to another op's verifier")?;
    let expr = attr(view.expr())?;
    let inputs = view.inputs();
    if expr.inputs() > inputs.len() {
        return Err(format!("expr reads x{} but the op has {} inputs", expr.inputs() - 1, inputs.len()));
    }
    let out = output(op)?;
    batched(out, "result")?;
    if inputs.is_empty() {
        return Err("needs at least one input".into());
    }
    for (i, input) in inputs.iter().enumerate() {
        if input.r#type() != out.r#type() {
            return Err(format!("input {i} has type {} but the result has {} (broadcast it first)", input.r#type(), out.r#type()));
        }
    }
    Ok(())
}

fn check_concat(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = ConcatOp::wrap(op).ok_or("was given to another op's verifier")?;
    let total = batched(view.lhs(), "lhs")?.checked_add(batched(view.rhs(), "rhs")?).ok_or("width overflows")?;
    let width = batched(view.output(), "result")?;
    if width != total {
        return Err(format!("inputs have total width {total} but the result has width {width}"));
    }
    Ok(())
}

fn check_reduce(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = ReduceOp::wrap(op).ok_or("was given to another op's verifier")?;
    attr(view.reduction())?;
    batched(view.input(), "input")?;
    if batched(view.output(), "result")? != 1 {
        return Err(format!("result must be one value per row, got {}", view.output().r#type()));
    }
    Ok(())
}

fn check_reshape(op: OperationRef, _: &mut Vec<String>) -> Check {
    let view = ReshapeOp::wrap(op).ok_or("was given to another op's verifier")?;
    let (a, b) = (batched(view.input(), "input")?, batched(view.output(), "result")?);
    if a != b {
        return Err(format!("input has width {a} but the result has width {b}"));
    }
    Ok(())
}
