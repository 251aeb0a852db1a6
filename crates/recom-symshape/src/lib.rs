//! The `symshape` dialect: symbolic dimensions, shape expressions and the
//! host-side `shape_construct` program.
//!
//! Ops are defined in IRDL (`dialects/symshape.irdl.mlir`, embedded in
//! [`DIALECT`]). This crate gives typed builders and views; [`expr`] (the
//! expression language of `shape_construct`) and [`sym`] (symbol tables) come
//! from `recom-expr`, which the runtime shares.
pub use recom_expr::{expr, sym};

use melior::{
    ir::{operation::OperationBuilder, r#type::Type, Location, Operation, Value},
    Context,
};
use recom_ir::{
    kit::{self, AttrError},
    op_view, string_enum,
};

pub use expr::{Expr, ExprError};

/// The dialect, defined in IRDL.
pub const DIALECT: recom_ir::IrdlDialect = recom_ir::IrdlDialect {
    name: "symshape",
    irdl: include_str!("../../../dialects/symshape.irdl.mlir"),
    probe: "symshape.shape_construct",
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
