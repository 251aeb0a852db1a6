//! The `symshape` dialect: symbolic dimensions, shape expressions and the
//! host-side `shape_construct` program.
//!
//! Each op is declared once here: its [`OpDef`] (the IRDL definition
//! loaded at run time is generated from it; `dialects/symshape.irdl.mlir`
//! keeps a copy for readers), its builder, its typed view and its verifier
//! hook; [`expr`] (the
//! expression language of `shape_construct`) and [`sym`] (symbol tables) come
//! from `recom-expr`, which the runtime shares.
pub use recom_expr::{expr, sym};

use melior::{
    ir::{operation::OperationBuilder, r#type::Type, Location, Operation, Value},
    Context,
};
use melior::ir::{
    operation::{OperationLike, OperationRef},
    ValueLike,
};
use recom_ir::{
    check::{attr, Check},
    kit::{self, AttrError, TensorInfo},
    op_view, string_enum, AttrC, AttrSlot, OpDef, Slot, TypeC,
};

pub use expr::{Expr, ExprError};

/// The dialect: its ops' declarations.
pub const DIALECT: recom_ir::IrdlDialect = recom_ir::IrdlDialect {
    name: "symshape",
    doc: "The `symshape` dialect, version 0: symbolic shapes.

A symbol is an `index` value standing for a size known only at run time
(batch B, ids per column, rows kept by a filter). Shape expressions combine
symbols and constants. `shape_construct` is the single host-side program
that computes every shape a function needs from the symbols alone.
Semantic checks (facts, arities, expression syntax, operand origins) are the
ops' verifier hooks, run by `recom-verify`.

Generated from the op declarations in crates/recom-symshape/src/lib.rs: do not edit.",
    ops: &[OPS],
};

/// The ops, in declaration order.
pub const OPS: &[OpDef] = &[SYMBOL, EXPR, SHAPE_CONSTRUCT];

/// `symshape.symbol`.
pub const SYMBOL: OpDef = OpDef {
    name: "symshape.symbol",
    doc: "A symbolic dimension: dimension `dim` of the generator `source` (when
given). attrs: name : string, dim : i64 >= 0,
  facts : array of \"non_negative\" | \"non_zero\" (known properties),
  [equal_to : i64, the index of an older symbol of the same function
  known to be equal (shape inference merged them)].",
    operands: &[Slot::of("source", TypeC::Any).optional()],
    results: &[Slot::of("result", TypeC::Index)],
    attributes: &[AttrSlot::new("name", AttrC::String), AttrSlot::new("dim", AttrC::Integer), AttrSlot::new("facts", AttrC::Array)],
    verify: check_symbol,
    int_range: None,
    host: None,
};

/// `symshape.expr`.
pub const EXPR: OpDef = OpDef {
    name: "symshape.expr",
    doc: "One shape expression over index values: add, sub, mul, floordiv,
ceildiv, max, min take two operands; select(c, a, b) = c != 0 ? a : b.",
    operands: &[Slot::of("operands", TypeC::Index).variadic()],
    results: &[Slot::of("result", TypeC::Index)],
    attributes: &[AttrSlot::new("kind", AttrC::OneOf(ExprKind::ALL))],
    verify: check_expr,
    int_range: None,
    host: None,
};

/// `symshape.shape_construct`.
pub const SHAPE_CONSTRUCT: OpDef = OpDef {
    name: "symshape.shape_construct",
    doc: "The host shape program: results[i] = exprs[i] evaluated over the
operands, which must all be `symshape.symbol` results. exprs use s<k> for
operand k, integer literals, + - *, floordiv, ceildiv, and the functions
max(a, b), min(a, b), select(c, a, b).",
    operands: &[Slot::of("symbols", TypeC::Index).variadic()],
    results: &[Slot::of("shapes", TypeC::Index).variadic()],
    attributes: &[AttrSlot::new("exprs", AttrC::Array)],
    verify: check_shape_construct,
    int_range: None,
    host: None,
};

string_enum! {
    /// A known property of a symbol.
    Fact { NonNegative = "non_negative", NonZero = "non_zero" }
}

string_enum! {
    /// The operation of a `symshape.expr`.
    ExprKind {
        Add = "add", Sub = "sub", Mul = "mul", FloorDiv = "floordiv", CeilDiv = "ceildiv",
        Max = "max", Min = "min", Select = "select",
    }
}

impl ExprKind {
    /// How many operands the kind takes.
    pub fn arity(self) -> usize {
        if self == ExprKind::Select {
            3
        } else {
            2
        }
    }
}

fn index<'c>(context: &'c Context) -> Type<'c> {
    Type::index(context)
}

// ---- builders ---------------------------------------------------------------

/// `symshape.symbol`: dimension `dim` of `source` (if any), named `name`.
pub fn symbol<'c>(
    context: &'c Context,
    location: Location<'c>,
    source: Option<Value<'c, '_>>,
    name: &str,
    dim: i64,
    facts: &[Fact],
) -> Operation<'c> {
    let facts: Vec<&str> = facts.iter().map(|f| f.as_str()).collect();
    let mut builder = OperationBuilder::new(SymbolOp::NAME, location)
        .add_attributes(&[
            kit::named(context, "name", kit::string(context, name)),
            kit::named(context, "dim", kit::i64(context, dim)),
            kit::named(context, "facts", kit::strings(context, &facts)),
        ])
        .add_results(&[index(context)]);
    if let Some(source) = source {
        builder = builder.add_operands(&[source]);
    }
    builder.build().expect("well-formed symshape.symbol")
}

/// `symshape.expr` of `kind` over `operands` (index values).
pub fn expr<'c>(context: &'c Context, location: Location<'c>, kind: ExprKind, operands: &[Value<'c, '_>]) -> Operation<'c> {
    OperationBuilder::new(ExprOp::NAME, location)
        .add_operands(operands)
        .add_attributes(&[kit::named(context, "kind", kit::string(context, kind.as_str()))])
        .add_results(&[index(context)])
        .build()
        .expect("well-formed symshape.expr")
}

/// `symshape.shape_construct`: one result per expression over `symbols`.
pub fn shape_construct<'c>(
    context: &'c Context,
    location: Location<'c>,
    symbols: &[Value<'c, '_>],
    exprs: &[Expr],
) -> Operation<'c> {
    let texts: Vec<String> = exprs.iter().map(|e| e.to_string()).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    OperationBuilder::new(ShapeConstructOp::NAME, location)
        .add_operands(symbols)
        .add_attributes(&[kit::named(context, "exprs", kit::strings(context, &texts))])
        .add_results(&vec![index(context); exprs.len()])
        .build()
        .expect("well-formed symshape.shape_construct")
}

// ---- views --------------------------------------------------------------------

op_view!(
    /// `symshape.symbol`.
    SymbolOp, "symshape.symbol"
);
impl<'c, 'a> SymbolOp<'c, 'a> {
    pub fn source(&self) -> Option<Value<'c, 'a>> {
        use melior::ir::operation::OperationLike;
        (self.0.operand_count() > 0).then(|| self.operand(0))
    }
    pub fn name(&self) -> Result<std::borrow::Cow<'c, str>, AttrError> {
        kit::str_attr(&self.0, "name")
    }
    pub fn dim(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "dim")
    }
    pub fn facts(&self) -> Result<Vec<Fact>, AttrError> {
        kit::str_array_attr(&self.0, "facts")?
            .into_iter()
            .map(|f| f.parse().map_err(|e| AttrError::new("facts", e)))
            .collect()
    }
}

op_view!(
    /// `symshape.expr`.
    ExprOp, "symshape.expr"
);
impl<'c, 'a> ExprOp<'c, 'a> {
    pub fn kind(&self) -> Result<ExprKind, AttrError> {
        kit::str_attr(&self.0, "kind")?.parse().map_err(|e| AttrError::new("kind", e))
    }
}

op_view!(
    /// `symshape.shape_construct`.
    ShapeConstructOp, "symshape.shape_construct"
);
impl<'c, 'a> ShapeConstructOp<'c, 'a> {
    pub fn symbols(&self) -> impl Iterator<Item = Value<'c, 'a>> + '_ {
        use melior::ir::operation::OperationLike;
        self.0.operands()
    }
    /// The expression texts, unparsed.
    pub fn expr_texts(&self) -> Result<Vec<std::borrow::Cow<'c, str>>, AttrError> {
        kit::str_array_attr(&self.0, "exprs")
    }
    /// The parsed expressions; the error names the first bad entry.
    pub fn exprs(&self) -> Result<Vec<Expr>, AttrError> {
        self.expr_texts()?
            .into_iter()
            .enumerate()
            .map(|(i, text)| text.parse().map_err(|e: ExprError| AttrError::new("exprs", format!("entry {i} (\"{text}\"): {e}"))))
            .collect()
    }
}

// ---- verification --------------------------------------------------------

fn check_symbol(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = SymbolOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    if attr(view.name())?.is_empty() {
        return Err("attribute 'name' must not be empty".into());
    }
    attr(view.facts())?;
    let dim = attr(view.dim())?;
    if dim < 0 {
        return Err(format!("attribute 'dim' must be non-negative, got {dim}"));
    }
    if let Some(k) = kit::opt_i64_attr(&op, "equal_to").map_err(|e| e.to_string())? {
        if k < 0 {
            return Err(format!("attribute 'equal_to' names symbol {k}, which cannot exist"));
        }
    }
    if let Some(source) = view.source() {
        if let Some(t) = TensorInfo::of(source.r#type()) {
            if dim as usize >= t.rank() {
                return Err(format!("dim {dim} is out of range for the rank-{} source {}", t.rank(), source.r#type()));
            }
        }
    }
    Ok(())
}

fn check_expr(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let kind: ExprKind = attr(ExprOp::wrap(op).ok_or("was given to another op\'s verifier")?.kind())?;
    if op.operand_count() != kind.arity() {
        return Err(format!("'{}' takes {} operands, got {}", kind.as_str(), kind.arity(), op.operand_count()));
    }
    Ok(())
}

fn check_shape_construct(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = ShapeConstructOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let exprs = attr(view.exprs())?;
    if exprs.len() != op.result_count() {
        return Err(format!("has {} expressions for {} results", exprs.len(), op.result_count()));
    }
    let symbols = op.operand_count();
    for (i, e) in exprs.iter().enumerate() {
        if let Some(k) = e.max_symbol().filter(|&k| k >= symbols) {
            return Err(format!("expression {i} ({e}) uses s{k} but the op has {symbols} symbol operands"));
        }
    }
    for (i, value) in view.symbols().enumerate() {
        let from_symbol = recom_ir::ext::op_result(value)
            .is_some_and(|r| SymbolOp::wrap(r.owner()).is_some());
        if !from_symbol {
            return Err(format!("operand {i} must be the result of a symshape.symbol (a symbolic input), not a computed value"));
        }
    }
    Ok(())
}
