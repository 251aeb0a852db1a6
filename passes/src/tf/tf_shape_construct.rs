//! `tf-shape-construct`: every shape a data op consumes comes from ONE
//! `symshape.shape_construct` over the function's symbols, and reshapes that
//! symbolic equality proves no-ops go. Runs after `tf-infer-shapes` (whose
//! `symshape.value` / `symshape.shapes` annotations it reads).
//!
//! [Pattern: re-root] a value whose content is known but not constant
//!   (`symshape.values = ["[s6, 4]"]`) with a user that is a data op (an op whose
//!   results have no known content) is replaced by
//!   `arith.index_cast(tensor.from_elements(%sc#i, %sc#j))` of results of the
//!   one `%sc = symshape.shape_construct(symbols...)`; the shape subgraph that
//!   computed it becomes dead (erased by `tf-erase-dead`).
//! [Pattern: no-op reshape] `tf.Reshape` whose result shape equals its
//!   input's, `tf.SparseReshape` whose new dense shape equals the old one,
//!   `tf.Tile` by all ones: replaced by their input.
//!
//! [Pattern: constant shape] a shape computation whose content is all
//!   constants and that a data op uses folds to a `tf.Const`.
//!
//! `negative_`: a value only shape ops use is not re-rooted; a reshape to a
//! different symbolic shape stays.
use crate::tf::tf_match::{name_of, operand, result};
use melior::ir::{
    block::BlockLike,
    operation::{OperationBuilder, OperationLike, OperationRef},
    r#type::{IntegerType, RankedTensorType},
    RegionLike, Type, Value, ValueLike,
};
use recom_ir::{diagnostics::emit_error, registry::PassFailure, OptionValues, PassDef};
use recom_symshape::{expr::Expr, ShapeConstructOp, SymbolOp};

pub static PASS: PassDef = PassDef {
    argument: "tf-shape-construct",
    name: "TfShapeConstruct",
    summary: "Re-root every symbolic shape consumed by data ops on one symshape.shape_construct; drop no-op reshapes",
    description: "Uses tf-infer-shapes' annotations: shape values become results of one host-side shape program over \
                  the symbols, and reshapes proven to keep their input's shape are removed.",
    anchor: Some("func.func"),
    options: &[],
    run,
};

use crate::tf::tf_match::{symbolic_content as content, symbolic_shape as shape};

/// An op computing shapes: every result's content is known.
fn is_shape_op(op: OperationRef) -> bool {
    op.result_count() > 0 && (0..op.result_count()).all(|k| result(op, k).and_then(content).is_some())
}

fn run(_: &OptionValues, func: OperationRef) -> Result<(), PassFailure> {
    let Some(block) = func.region(0).ok().and_then(|r| r.first_block()) else { return Ok(()) };
    let context_ref = func.context();
    let context = unsafe { context_ref.to_ref() };
    let mut ops = Vec::new();
    let mut next = block.first_operation();
    while let Some(op) = next {
        ops.push(op);
        next = op.next_in_block();
    }
    let symbols: Vec<OperationRef> = ops.iter().copied().filter(|op| SymbolOp::wrap(*op).is_some()).collect();
    if ops.iter().any(|op| ShapeConstructOp::wrap(*op).is_some()) {
        emit_error(func.location(), "tf-shape-construct: the function already has a symshape.shape_construct");
        return Err(PassFailure);
    }

    // 1. No-op reshapes, by symbolic equality of the annotated shapes.
    for &op in &ops {
        let noop: Option<Vec<Value>> = match name_of(op).as_str() {
            "tf.Reshape" => {
                let x = operand(op, 0);
                x.filter(|x| shape(*x).is_some_and(|s| Some(s) == result(op, 0).and_then(shape))).map(|x| vec![x])
            }
            "tf.SparseReshape" => {
                let (i, s) = (operand(op, 0), operand(op, 1));
                let old = s.and_then(content);
                let new = result(op, 1).and_then(content);
                match (i, s, old, new) {
                    (Some(i), Some(s), Some(a), Some(b)) if a == b && shape(i).is_some() && shape(i) == result(op, 0).and_then(shape) => {
                        Some(vec![i, s])
                    }
                    _ => None,
                }
            }
            "tf.Tile" => {
                let ones = operand(op, 1).and_then(content).is_some_and(|e| e.iter().all(|x| x == "1"));
                (ones && operand(op, 0).is_some()).then(|| vec![operand(op, 0).unwrap()])
            }
            _ => None,
        };
        if let Some(values) = noop {
            for (k, v) in values.iter().enumerate() {
                let r = op.result(k).unwrap();
                recom_ir::ext::replace_all_uses(r.into(), *v);
            }
        }
    }

    // 2. Values with symbolic content used by data ops.
    let mut rerooted: Vec<(Value, Vec<Expr>)> = Vec::new();
    for &op in &ops {
        if !is_shape_op(op) || op.result_count() != 1 {
            continue;
        }
        let Some(items) = content(op.result(0).unwrap().into()) else { continue };
        let exprs: Option<Vec<Expr>> = items.iter().map(|e| e.parse::<Expr>().ok()).collect();
        let Some(exprs) = exprs else { continue };
        let v: Value = op.result(0).unwrap().into();
        let data_user = crate::tf::tf_match::users(v).into_iter().any(|u| !is_shape_op(u) && name_of(u).starts_with("tf."));
        if !data_user {
            continue;
        }
        let constants: Option<Vec<i64>> = exprs.iter().map(|e| if let Expr::Const(c) = e { Some(*c) } else { None }).collect();
        match constants {
            // Constant shapes fold to a tf.Const (already one: nothing to do).
            Some(values) if name_of(op) != "tf.Const" => {
                let scalar = shape(v).is_some_and(|s| s.is_empty());
                let element = element_type(v, context);
                let dims: Vec<i64> = if scalar { vec![] } else { vec![values.len() as i64] };
                let constant = int_const(context, op.location(), &values, &dims, element);
                let constant = block.insert_operation_before(op, constant);
                recom_ir::ext::replace_all_uses(v, constant.result(0).unwrap().into());
            }
            Some(_) => {}
            None => rerooted.push((v, exprs)),
        }
    }
    if rerooted.is_empty() {
        return Ok(());
    }
    let all: Vec<Expr> = rerooted.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
    let symbol_values: Vec<Value> = symbols.iter().map(|s| s.result(0).unwrap().into()).collect();
    let location = func.location();
    let construct = recom_symshape::shape_construct(context, location, &symbol_values, &all);
    let insert_after = symbols.last().copied();
    let construct = match insert_after {
        Some(last) => block.insert_operation_after(last, construct),
        None => match block.first_operation() {
            Some(first) => block.insert_operation_before(first, construct),
            None => block.append_operation(construct),
        },
    };
    let mut at = construct;
    let mut k = 0;
    for (v, exprs) in &rerooted {
        let values: Vec<Value> = (k..k + exprs.len()).map(|i| construct.result(i).unwrap().into()).collect();
        k += exprs.len();
        let scalar = shape(*v).is_some_and(|s| s.is_empty());
        let dims: Vec<u64> = if scalar { vec![] } else { vec![exprs.len() as u64] };
        let element = element_type(*v, context);
        let index_tensor: Type = RankedTensorType::new(&dims, Type::index(context), None).into();
        let typed: Type = RankedTensorType::new(&dims, element, None).into();
        let from = OperationBuilder::new("tensor.from_elements", location)
            .add_operands(&values)
            .add_results(&[index_tensor])
            .build()
            .expect("tensor.from_elements");
        let from = block.insert_operation_after(at, from);
        let cast = OperationBuilder::new("arith.index_cast", location)
            .add_operands(&[from.result(0).unwrap().into()])
            .add_results(&[typed])
            .build()
            .expect("arith.index_cast");
        let cast = block.insert_operation_after(from, cast);
        at = cast;
        recom_ir::ext::replace_all_uses(*v, cast.result(0).unwrap().into());
    }
    Ok(())
}

fn element_type<'c>(v: Value<'c, '_>, context: &'c melior::Context) -> Type<'c> {
    match recom_ir::ext::element_type(v.r#type()) {
        Some(e) if recom_ir::ext::integer_width(e).is_some() => e,
        _ => IntegerType::new(context, 64).into(),
    }
}

/// A `tf.Const` of integers of `element` (i32 or i64) with shape `dims`.
fn int_const<'c>(context: &'c melior::Context, location: melior::ir::Location<'c>, values: &[i64], dims: &[i64], element: Type<'c>) -> melior::ir::Operation<'c> {
    let ty = crate::tf::tf_match::ranked(dims, element);
    let value = if recom_ir::ext::integer_width(element) == Some(32) {
        let v: Vec<i32> = values.iter().map(|&x| x as i32).collect();
        recom_ir::ext::dense_elements(ty, recom_ir::ext::DenseValues::I32(&v))
    } else {
        recom_ir::ext::dense_elements(ty, recom_ir::ext::DenseValues::I64(values))
    }
    .expect("a folded shape's values fill its dims");
    OperationBuilder::new("tf.Const", location)
        .add_attributes(&[
            (melior::ir::Identifier::new(context, "dtype"), melior::ir::attribute::TypeAttribute::new(element).into()),
            (melior::ir::Identifier::new(context, "value"), value),
        ])
        .add_results(&[ty])
        .build()
        .expect("tf.Const")
}
