//! Pooled lookups and the concatenation of column outputs.
use crate::{build, out_of_range_attrs, read_enum, read_out_of_range, Combiner, OutOfRange, OutOfRangeKind};
use melior::{
    ir::{operation::{OperationBuilder, OperationLike, OperationRef}, Location, Operation, Type, Value, ValueLike},
    Context,
};
use recom_ir::{
    check::{attr, int_vector, result_tensor, tensor, Check},
    kit::{self, AttrError, Elem, TensorInfo},
    op_view, AttrC, AttrSlot, OpDef, Slot,
};

/// The ops of this group, in declaration order.
pub const LOOKUP_OPS: &[OpDef] = &[LOOKUP, CONCAT];

/// `emb.lookup`.
pub const LOOKUP: OpDef = OpDef {
    name: "emb.lookup",
    doc: "Pooled lookup of one column: [B, DIM] from table, ids, row_offsets and
optional per-id weights (w = 1 without them). Ids < 0 are dropped; for
mean and sqrtn, ids whose weight is <= 0 are dropped too. Empty rows give
zeros. sum = Σ w·e, mean = Σ w·e / Σ w, sqrtn = Σ w·e / sqrt(Σ w²).
An id >= the table's row count is never read: on_out_of_range says what
happens (\"error\": the request fails, \"drop\": ignored, \"default\": replaced
by the attribute default_id).",
    operands: &[Slot::tensor("table"), Slot::tensor("ids"), Slot::tensor("row_offsets"), Slot::tensor("weights").optional()],
    results: &[Slot::tensor("result")],
    attributes: &[AttrSlot::new("combiner", AttrC::OneOf(Combiner::SPELLINGS)), AttrSlot::new("on_out_of_range", AttrC::OneOf(OutOfRangeKind::SPELLINGS))],
    verify: check_lookup,
    int_range: None,
    host: None,
};

/// `emb.concat`.
pub const CONCAT: OpDef = OpDef {
    name: "emb.concat",
    doc: "Concatenation of column outputs along dim 1, in operand order:
[B, D0] ... [B, Dn] -> [B, ΣD]. IRDL variadics must share one type, so
column outputs entering a concat are typed tensor<?x?xT>.",
    operands: &[Slot::tensor("columns").variadic()],
    results: &[Slot::tensor("result")],
    attributes: &[],
    verify: check_concat,
    int_range: None,
    host: None,
};

// ---- builders and views ----------------------------------------------------

/// Operands of a pooled lookup.
pub struct LookupInputs<'c, 'a> {
    pub table: Value<'c, 'a>,
    pub ids: Value<'c, 'a>,
    pub row_offsets: Value<'c, 'a>,
    pub weights: Option<Value<'c, 'a>>,
}

/// `emb.lookup`: pooled lookup of one column.
pub fn lookup<'c>(
    context: &'c Context,
    location: Location<'c>,
    inputs: LookupInputs<'c, '_>,
    combiner: Combiner,
    on_out_of_range: OutOfRange,
    result: Type<'c>,
) -> Operation<'c> {
    let mut operands = vec![inputs.table, inputs.ids, inputs.row_offsets];
    operands.extend(inputs.weights);
    let mut attrs = vec![kit::named(context, "combiner", kit::string(context, combiner.as_str()))];
    attrs.extend(out_of_range_attrs(context, on_out_of_range));
    build(OperationBuilder::new(LookupOp::NAME, location).add_operands(&operands).add_attributes(&attrs).add_results(&[result]))
}

/// `emb.concat`: column outputs side by side.
pub fn concat<'c>(location: Location<'c>, columns: &[Value<'c, '_>], result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(ConcatOp::NAME, location).add_operands(columns).add_results(&[result]))
}

op_view!(
    /// `emb.lookup`.
    LookupOp, "emb.lookup"
);
impl<'c, 'a> LookupOp<'c, 'a> {
    pub fn table(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn ids(&self) -> Value<'c, 'a> {
        self.operand(1)
    }
    pub fn row_offsets(&self) -> Value<'c, 'a> {
        self.operand(2)
    }
    pub fn weights(&self) -> Option<Value<'c, 'a>> {
        use melior::ir::operation::OperationLike;
        (self.0.operand_count() > 3).then(|| self.operand(3))
    }
    pub fn combiner(&self) -> Result<Combiner, AttrError> {
        read_enum(&self.0, "combiner")
    }
    pub fn on_out_of_range(&self) -> Result<OutOfRange, AttrError> {
        read_out_of_range(&self.0)
    }
    pub fn output(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `emb.concat`.
    ConcatOp, "emb.concat"
);
impl<'c, 'a> ConcatOp<'c, 'a> {
    pub fn columns(&self) -> impl Iterator<Item = Value<'c, 'a>> + '_ {
        use melior::ir::operation::OperationLike;
        self.0.operands()
    }
}

// ---- verification --------------------------------------------------------

fn check_lookup(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = LookupOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let table = tensor(view.table(), "table")?;
    if table.rank() != 2 {
        return Err(format!("table must be rank 2, got {}", view.table().r#type()));
    }
    let ids = int_vector(view.ids(), "ids", &[64])?;
    int_vector(view.row_offsets(), "row_offsets", &[64])?;
    attr(view.combiner())?;
    if let Some(weights) = view.weights() {
        let w = tensor(weights, "weights")?;
        if w.rank() != 1 || w.elem != Elem::F32 {
            return Err(format!("weights must be a rank-1 tensor of f32, got {}", weights.r#type()));
        }
        if let (Some(a), Some(b)) = (ids.shape[0], w.shape[0]) {
            if a != b {
                return Err(format!("has {b} weights for {a} ids"));
            }
        }
    }
    if let OutOfRange::Default(id) = attr(view.on_out_of_range())? {
        if id < 0 || table.shape[0].is_some_and(|rows| id >= rows) {
            return Err(format!("default_id {id} is not a row of the table {}", view.table().r#type()));
        }
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 {
        return Err(format!("result must be rank 2 [batch x dim], got {}", view.output().r#type()));
    }
    if out.elem != table.elem {
        return Err(format!("result element type differs from the table's ({} vs {})", view.output().r#type(), view.table().r#type()));
    }
    if let (Some(d), Some(td)) = (out.shape[1], table.shape[1]) {
        if d != td {
            return Err(format!("result dim {d} differs from the table dim {td}"));
        }
    }
    Ok(())
}

fn check_concat(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    if op.operand_count() == 0 {
        return Err("needs at least one column".into());
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 {
        return Err("result must be rank 2 [batch x total dim]".into());
    }
    let mut total = Some(0i64);
    for (i, column) in op.operands().enumerate() {
        let t = tensor(column, &format!("column {i}"))?;
        if t.rank() != 2 || t.elem != out.elem {
            return Err(format!("column {i} must be a rank-2 tensor of the result's element type, got {}", column.r#type()));
        }
        // Column outputs are typed tensor<?x?xT> (IRDL variadics share one
        // type); the width of a lookup's output is its table's dim.
        let width = t.shape[1].or_else(|| {
            let owner = recom_ir::ext::op_result(column)?.owner();
            let table = LookupOp::wrap(owner)?.table();
            TensorInfo::of(table.r#type())?.shape.get(1).copied().flatten()
        });
        total = total.zip(width).map(|(a, b)| a + b);
    }
    if let (Some(total), Some(d)) = (total, out.shape[1]) {
        if total != d {
            return Err(format!("result width {d} differs from the sum of the column widths {total}"));
        }
    }
    Ok(())
}
