//! Symbolic shape expressions without MLIR: the expression language of
//! `symshape.shape_construct` ([`expr`]: parser and checked evaluator) and
//! the symbol tables of shape inference ([`sym`]). The `recom-symshape`
//! dialect crate builds on it at compile time; `recom-runtime` evaluates
//! compiled shape programs with it per request.
pub mod expr;
pub mod sym;

pub use expr::{BinOp, Expr, ExprError, Program};
