//! `emb-shape-construct`: the host shape program of a fused embedding layer.
//! Every size the runtime needs per request — the batch, the packed buffers,
//! the output, the kernel's grid — becomes a result of ONE
//! `symshape.shape_construct` whose operands are the symbols of the layer's
//! inputs (the lengths of each column's CSR row offsets and ids).
//!
//! [Pattern: fused layer] for `%f = emb.fused_columns(...)` fed by
//! `emb.pack_inputs(%ids_c..., %offsets_c..., %w...)`:
//!   %L_c = symshape.symbol(%offsets_c) {dim = 0}   (B + 1 offsets)
//!   %N_c = symshape.symbol(%ids_c) {dim = 0}       (ids of column c)
//!   %sizes:K = symshape.shape_construct(%L_0.., %N_0..) {exprs = [...], roles = [...]}
//! roles: "batch" = L_0 - 1, "ids" = Σ N_c, "offsets" = Σ L_c, "weights" =
//! Σ N_c when a column is weighted (else 0), "output" = (L_0 - 1) · ΣD, "grid_x" =
//! ceildiv(L_0 - 1, rows per item) (with `rows-per-item`), and
//! "batch_min" / "batch_max" over the columns (the runtime checks that every
//! column has the batch).
//!
//! The fused op is marked `shape_program` (unit); `recom::compile` finds the
//! program by its symbols' sources and puts it in the plan.
//! `negative_`: an op that already has its shape program gets no second one.
use melior::ir::{
    attribute::StringAttribute,
    block::BlockLike,
    operation::{OperationLike, OperationMutLike, OperationRef, OperationRefMut, WalkOrder, WalkResult},
    Attribute, Value, ValueLike,
};
use recom_emb::{FusedColumnsOp, PackInputsOp};
use recom_ir::{registry::PassFailure, OptionDef, OptionKind, OptionValues, PassDef};
use recom_symshape::expr::{BinOp, Expr};

pub static PASS: PassDef = PassDef {
    argument: "emb-shape-construct",
    name: "EmbShapeConstruct",
    summary: "Build the host shape program (one symshape.shape_construct) of each fused embedding layer",
    description: "Batch, packed buffer sizes, output size and grid as shape_construct results over the inputs' symbols.",
    anchor: Some("builtin.module"),
    options: &[ROWS_PER_ITEM],
    run,
};

/// Rows one kernel iteration handles (`emb-lower-fused-columns`' option).
pub const ROWS_PER_ITEM: OptionDef = OptionDef {
    name: "rows-per-item",
    description: "rows one kernel iteration handles (the grid's x extent is ceil(B / this))",
    kind: OptionKind::IntIn(1, 16),
    default: "1",
};

/// `op` over terms as a balanced tree (depth log n: thousands of columns
/// stay shallow), `empty` for none.
fn fold(op: BinOp, empty: Expr, terms: impl Iterator<Item = Expr>) -> Expr {
    fn balanced(op: BinOp, terms: &[Expr]) -> Expr {
        match terms {
            [one] => one.clone(),
            _ => {
                let (a, b) = terms.split_at(terms.len() / 2);
                Expr::Bin(op, Box::new(balanced(op, a)), Box::new(balanced(op, b)))
            }
        }
    }
    let terms: Vec<Expr> = terms.collect();
    if terms.is_empty() {
        empty
    } else {
        balanced(op, &terms)
    }
}

fn sum(terms: impl Iterator<Item = Expr>) -> Expr {
    fold(BinOp::Add, Expr::Const(0), terms)
}

fn run(options: &OptionValues, module: OperationRef) -> Result<(), PassFailure> {
    let rows_per_item = options.int(&ROWS_PER_ITEM);
    let context_ref = module.context();
    let context = unsafe { context_ref.to_ref() };
    let mut fused = Vec::new();
    module.walk(WalkOrder::PreOrder, |op| {
        if FusedColumnsOp::wrap(op).is_some() && !op.has_attribute("shape_program") {
            fused.push(op.to_raw());
        }
        WalkResult::Advance
    });
    for raw in fused {
        let op = unsafe { OperationRef::from_raw(raw) };
        let view = FusedColumnsOp::wrap(op).unwrap();
        let Ok(columns) = view.columns() else { continue };
        let Some(pack) = crate::tf::tf_match::def(view.row_offsets()).and_then(PackInputsOp::wrap) else { continue };
        let (Ok(ids), Ok(offsets)) = (pack.group(0), pack.group(1)) else { continue };
        let c = columns.len();
        let location = op.location();
        let block = op.block().expect("in a block");
        // Symbols right before the pack (their sources dominate it).
        let mut symbols: Vec<Value> = Vec::with_capacity(2 * c);
        let named: Vec<(Value, String)> = offsets
            .iter()
            .enumerate()
            .map(|(k, v)| (*v, format!("column {k} offsets")))
            .chain(ids.iter().enumerate().map(|(k, v)| (*v, format!("column {k} ids"))))
            .collect();
        for (source, name) in named {
            let s = recom_symshape::symbol(context, location, Some(source), &name, 0, &[recom_symshape::Fact::NonNegative]);
            let s = block.insert_operation_before(pack.op(), s);
            symbols.push(unsafe { Value::from_raw(s.result(0).unwrap().to_raw()) });
        }
        let l = |k: usize| Expr::Sym(k);
        let n = |k: usize| Expr::Sym(c + k);
        let batch = recom_symshape::sym::sub(&l(0), &Expr::Const(1));
        let width: i64 = columns.iter().map(|col| col.dim).sum();
        let mut roles = vec!["batch", "ids", "offsets", "weights", "output", "grid_x"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let mut exprs = vec![
            batch.clone(),
            sum((0..c).map(n)),
            sum((0..c).map(l)),
            // One weight per id of every column as soon as one column is weighted.
            if columns.iter().any(|col| col.weighted) { sum((0..c).map(n)) } else { Expr::Const(0) },
            recom_symshape::sym::mul(&batch, &Expr::Const(width)),
            recom_symshape::sym::bin(BinOp::CeilDiv, &batch, &Expr::Const(rows_per_item)),
        ];
        // Every column must have the batch: min and max of their offsets agree.
        roles.push("batch_min".into());
        exprs.push(recom_symshape::sym::sub(&fold(BinOp::Min, Expr::Const(0), (0..c).map(l)), &Expr::Const(1)));
        roles.push("batch_max".into());
        exprs.push(recom_symshape::sym::sub(&fold(BinOp::Max, Expr::Const(0), (0..c).map(l)), &Expr::Const(1)));
        let construct = recom_symshape::shape_construct(context, location, &symbols, &exprs);
        let construct = block.insert_operation_before(pack.op(), construct);
        let role_attrs: Vec<Attribute> = roles.iter().map(|r| StringAttribute::new(context, r).into()).collect();
        let mut construct_mut = unsafe { OperationRefMut::from_raw(construct.to_raw()) };
        construct_mut.set_attribute("roles", melior::ir::attribute::ArrayAttribute::new(context, &role_attrs).into());
        let mut op_mut = unsafe { OperationRefMut::from_raw(raw) };
        op_mut.set_attribute("shape_program", Attribute::unit(context));
    }
    Ok(())
}
