//! `tf-infer-shapes`: symbolic shapes of an imported TensorFlow function.
//!
//! Every value gets a shape of symbolic dimensions, and small integer
//! tensors (shape vectors, sizes) also get their content, so the shape
//! arithmetic feature columns do (`Shape`, `StridedSlice`, `Pack`, `Prod`,
//! `ConcatV2`, ...) is followed symbolically: a column's `dense_shape`
//! becomes `[B, w]`, the pooled output `[B, dim]`.
//!
//! Symbols are made for what only the request knows: the dynamic dims of the
//! inputs (`<feed>#<dim>`), the content of 1-D int64 inputs of static length
//! (a SparseTensor's `dense_shape`: `<feed>[<i>]`), and data-dependent sizes
//! (`Where`, `Unique`, `SparseFillEmptyRows`, `SparseSegment*` rows: named
//! after the node). Equalities that ops imply (elementwise operands, the
//! batch of a concatenation) merge symbols. An op without a rule gets unknown
//! shapes (rank unknown): never a wrong answer.
//!
//! Results: one `symshape.symbol` per symbol at the top of the function (in
//! index order, so `s<k>` is the k-th; a symbol merged with an older one
//! carries `equal_to = <k>` and is never used), and on each op with results
//! `symshape.shapes` (per result, `[d0, d1, ...]` in the `shape_construct`
//! expression syntax, or `?`) and, when some are known, `symshape.values`
//! (per result, the content of a small integer result, or `?`); the function
//! gets `symshape.arg_shapes` and `symshape.arg_values` for its arguments.
use melior::ir::{
    attribute::{ArrayAttribute, StringAttribute},
    block::BlockLike,
    operation::{OperationLike, OperationMutLike, OperationRef, OperationRefMut},
    Attribute, RegionLike, Value, ValueLike,
};
use recom_ir::{registry::PassFailure, OptionValues, PassDef};
use recom_ir::kit::{Elem, TensorInfo};
use recom_symshape::{
    expr::Expr,
    sym::{self, Symbols},
};
use std::collections::HashMap;

#[path = "tf_infer_shapes/rules.rs"]
mod rules;
use rules::infer;

pub static PASS: PassDef = PassDef {
    argument: "tf-infer-shapes",
    name: "TfInferShapes",
    summary: "Infer symbolic shapes (and small integer contents) of an imported TensorFlow function",
    description: "Annotates ops with symshape.shapes / symshape.value and declares the symbols as symshape.symbol ops.",
    anchor: Some("func.func"),
    options: &[],
    run,
};

/// What is known of one value.
#[derive(Clone, Debug, Default)]
pub(super) struct Info {
    pub(super) shape: Option<Vec<Expr>>,
    /// Elements of a small integer tensor, row-major.
    pub(super) content: Option<Vec<Expr>>,
}

/// Symbols with where they come from (argument and dim, for the op).
pub(super) struct State {
    pub(super) symbols: Symbols,
    sources: Vec<Option<(usize, i64)>>,
    infos: HashMap<usize, Info>,
}

impl State {
    pub(super) fn fresh(&mut self, name: String, source: Option<(usize, i64)>) -> Expr {
        self.sources.push(source);
        self.symbols.fresh(name)
    }
    pub(super) fn info(&self, v: Value) -> Info {
        self.infos.get(&(v.to_raw().ptr as usize)).cloned().unwrap_or_default()
    }
    pub(super) fn set(&mut self, v: Value, info: Info) {
        self.infos.insert(v.to_raw().ptr as usize, info);
    }
}

pub(super) const C: fn(i64) -> Expr = Expr::Const;

pub(super) fn product(dims: &[Expr]) -> Expr {
    dims.iter().fold(C(1), |acc, d| sym::mul(&acc, d))
}

/// Static facts of a value's type: the shape with fresh symbols for dynamic dims.
pub(super) fn type_shape(v: Value) -> Option<Vec<Option<i64>>> {
    TensorInfo::of(v.r#type()).map(|t| t.shape)
}

/// Small integer tensors whose content is tracked.
pub(super) const MAX_CONTENT: usize = 16;

fn run(_: &OptionValues, func: OperationRef) -> Result<(), PassFailure> {
    let Some(block) = func.region(0).ok().and_then(|r| r.first_block()) else { return Ok(()) };
    let mut state = State { symbols: Symbols::new(), sources: Vec::new(), infos: HashMap::new() };
    // Arguments.
    let feed_names: Vec<String> = (0..block.argument_count())
        .map(|i| {
            func.attribute("arg_attrs")
                .ok()
                .and_then(|a| ArrayAttribute::try_from(a).ok())
                .and_then(|a| a.element(i).ok())
                .and_then(|d| melior::ir::attribute::DictionaryAttribute::try_from(d).ok())
                .and_then(|d| d.element_by_name("recom.feed"))
                .and_then(recom_ir::kit::string_value)
                .map(|s| s.into_owned())
                .unwrap_or_else(|| format!("arg{i}"))
        })
        .collect();
    for (i, name) in feed_names.iter().enumerate() {
        let arg: Value = block.argument(i).unwrap().into();
        let Some(dims) = type_shape(arg) else { continue };
        let shape: Vec<Expr> = dims
            .iter()
            .enumerate()
            .map(|(d, size)| match size {
                Some(s) => C(*s),
                None => state.fresh(format!("{name}#{d}"), Some((i, d as i64))),
            })
            .collect();
        // A 1-D integer input of static length (a dense_shape): its content.
        let content = match (TensorInfo::of(arg.r#type()).map(|t| t.elem), &dims[..]) {
            (Some(Elem::Int(64 | 32)), [Some(n)]) if (*n as usize) <= MAX_CONTENT => {
                Some((0..*n).map(|k| state.fresh(format!("{name}[{k}]"), None)).collect())
            }
            _ => None,
        };
        state.set(arg, Info { shape: Some(shape), content });
    }
    // Ops, in order.
    let mut ops = Vec::new();
    let mut next = block.first_operation();
    while let Some(op) = next {
        ops.push(op);
        next = op.next_in_block();
    }
    for &op in &ops {
        let results = infer(&mut state, op);
        for (k, info) in results.into_iter().enumerate() {
            if let Ok(r) = op.result(k) {
                state.set(r.into(), info);
            }
        }
    }
    annotate(&state, func, &ops);
    Ok(())
}

fn shape_text(state: &State, shape: &Option<Vec<Expr>>) -> String {
    match shape {
        None => "?".into(),
        Some(dims) => format!("[{}]", dims.iter().map(|d| state.symbols.resolve(d).to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// Per value, its content in expression syntax, or "?".
fn values_attr<'c>(state: &State, context: &'c melior::Context, infos: &[Info]) -> Attribute<'c> {
    let items: Vec<Attribute> = infos
        .iter()
        .map(|i| {
            let text = match &i.content {
                Some(c) => shape_text(state, &Some(c.clone())),
                None => "?".into(),
            };
            StringAttribute::new(context, &text).into()
        })
        .collect();
    ArrayAttribute::new(context, &items).into()
}

fn annotate(state: &State, func: OperationRef, ops: &[OperationRef]) {
    let context_ref = func.context();
    let context = unsafe { context_ref.to_ref() };
    for &op in ops {
        if op.result_count() == 0 {
            continue;
        }
        let infos: Vec<Info> = (0..op.result_count()).map(|k| state.info(op.result(k).unwrap().into())).collect();
        let shapes: Vec<Attribute> =
            infos.iter().map(|i| StringAttribute::new(context, &shape_text(state, &i.shape)).into()).collect();
        let mut op_mut = unsafe { OperationRefMut::from_raw(op.to_raw()) };
        op_mut.set_attribute("symshape.shapes", ArrayAttribute::new(context, &shapes).into());
        if infos.iter().any(|i| i.content.is_some()) {
            op_mut.set_attribute("symshape.values", values_attr(state, context, &infos));
        }
    }
    // The arguments' contents (dense shapes), for tf-shape-construct.
    let block = func.region(0).unwrap().first_block().unwrap();
    let args: Vec<Info> = (0..block.argument_count()).map(|i| state.info(block.argument(i).unwrap().into())).collect();
    let mut func_mut = unsafe { OperationRefMut::from_raw(func.to_raw()) };
    if args.iter().any(|i| i.content.is_some()) {
        func_mut.set_attribute("symshape.arg_values", values_attr(state, context, &args));
    }
    let arg_shapes: Vec<Attribute> = args.iter().map(|i| StringAttribute::new(context, &shape_text(state, &i.shape)).into()).collect();
    func_mut.set_attribute("symshape.arg_shapes", ArrayAttribute::new(context, &arg_shapes).into());
    // The symbols, in index order, at the top of the function.
    let block = func.region(0).unwrap().first_block().unwrap();
    let first = block.first_operation();
    let location = func.location();
    for k in 0..state.symbols.len() {
        let info = state.symbols.info(k);
        let source = state.sources[k].map(|(arg, dim)| (Value::from(block.argument(arg).unwrap()), dim));
        let mut facts = vec![recom_symshape::Fact::NonNegative];
        if info.non_zero {
            facts.push(recom_symshape::Fact::NonZero);
        }
        let symbol = recom_symshape::symbol(context, location, source.map(|s| s.0), &info.name, source.map_or(0, |s| s.1), &facts);
        let symbol = match first {
            Some(f) => block.insert_operation_before(f, symbol),
            None => block.append_operation(symbol),
        };
        // Merged with an older symbol: recorded, the older one is used.
        let representative = state.symbols.find(k);
        if representative != k {
            let mut symbol = unsafe { OperationRefMut::from_raw(symbol.to_raw()) };
            symbol.set_attribute("equal_to", recom_ir::kit::i64(context, representative as i64));
        }
    }
}
