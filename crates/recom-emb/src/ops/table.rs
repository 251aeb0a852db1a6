//! Tables: `emb.table` (one table, bound by name at run time) and
//! `emb.packed_tables` (every table of a fused layer in one buffer).
use crate::{build, row_pitch, PackedTable};
use melior::{
    ir::{operation::{OperationBuilder, OperationRef}, Location, Operation, Type, Value, ValueLike},
    Context,
};
use recom_ir::{
    check::{attr, result_tensor, Check},
    kit::{self, AttrError, Elem},
    op_view, AttrC, AttrSlot, OpDef, Slot,
};

/// The ops of this group, in declaration order.
pub const TABLE_OPS: &[OpDef] = &[TABLE, PACKED_TABLES];

/// `emb.table`.
pub const TABLE: OpDef = OpDef {
    name: "emb.table",
    doc: "A table of embeddings, `tensor<ROWS x DIM x T>` with T in {f32, f16, bf16}.
Its contents are bound at run time by name (from the model's weights
store), never printed in the IR. Names \"recom.identity.<N>\" are
synthetic N x N identity tables the runtime makes itself (indicator
columns count ids through them; numeric columns use recom.identity.1).
  attrs: name : string (unique in the module)",
    operands: &[],
    results: &[Slot::tensor("table")],
    attributes: &[AttrSlot::new("name", AttrC::String)],
    verify: check_table,
    int_range: None,
    host: None,
};

/// `emb.packed_tables`.
pub const PACKED_TABLES: OpDef = OpDef {
    name: "emb.packed_tables",
    doc: "The packed tables buffer: every distinct table of `tables`, row-major,
one after another, in the listed order, each row padded with zeros to a
multiple of 4 elements (16 bytes). Bound by name at run time.
  attrs: tables : array of {name : string, rows : i64, dim : i64}
  result: tensor<N x T>, N = Σ rows·pitch, pitch = dim rounded up to 4",
    operands: &[],
    results: &[Slot::tensor("tables")],
    attributes: &[AttrSlot::new("tables", AttrC::Array)],
    verify: check_packed_tables,
    int_range: None,
    host: None,
};

// ---- builders and views ----------------------------------------------------

/// `emb.table`: a table bound by `name` at run time, of type `tensor<RxDxT>`.
pub fn table<'c>(context: &'c Context, location: Location<'c>, name: &str, ty: Type<'c>) -> Operation<'c> {
    build(
        OperationBuilder::new(TableOp::NAME, location)
            .add_attributes(&[kit::named(context, "name", kit::string(context, name))])
            .add_results(&[ty]),
    )
}

/// `emb.packed_tables`: the listed tables in one buffer of type `result`.
pub fn packed_tables<'c>(context: &'c Context, location: Location<'c>, tables: &[PackedTable], result: Type<'c>) -> Operation<'c> {
    let entries: Vec<_> = tables
        .iter()
        .map(|t| {
            kit::dictionary(
                context,
                &[
                    kit::named(context, "name", kit::string(context, &t.name)),
                    kit::named(context, "rows", kit::i64(context, t.rows)),
                    kit::named(context, "dim", kit::i64(context, t.dim)),
                ],
            )
        })
        .collect();
    build(
        OperationBuilder::new(PackedTablesOp::NAME, location)
            .add_attributes(&[kit::named(
                context,
                "tables",
                melior::ir::attribute::ArrayAttribute::new(context, &entries),
            )])
            .add_results(&[result]),
    )
}

op_view!(
    /// `emb.table`.
    TableOp, "emb.table"
);
impl<'c, 'a> TableOp<'c, 'a> {
    pub fn name(&self) -> Result<std::borrow::Cow<'c, str>, AttrError> {
        kit::str_attr(&self.0, "name")
    }
    pub fn table(&self) -> Value<'c, 'a> {
        self.result()
    }
}

op_view!(
    /// `emb.packed_tables`.
    PackedTablesOp, "emb.packed_tables"
);
impl<'c, 'a> PackedTablesOp<'c, 'a> {
    pub fn tables(&self) -> Result<Vec<PackedTable>, AttrError> {
        kit::dict_array_attr(&self.0, "tables")?
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let entry = || -> Result<PackedTable, AttrError> {
                    Ok(PackedTable { name: kit::str_attr(d, "name")?.into_owned(), rows: kit::i64_attr(d, "rows")?, dim: kit::i64_attr(d, "dim")? })
                };
                entry().map_err(|e| AttrError::new("tables", format!("entry {i}: {e}")))
            })
            .collect()
    }
}

// ---- verification --------------------------------------------------------

/// One table's own rules; that a name shared by several `emb.table` ops
/// (shared embeddings) has one type is `recom-verify`'s module-wide check.
fn check_table(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = TableOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let name = attr(view.name())?;
    if name.is_empty() {
        return Err("attribute 'name' must not be empty".into());
    }
    let t = result_tensor(op)?;
    if t.rank() != 2 || t.shape.iter().any(Option::is_none) {
        return Err(format!("result must be a static rank-2 tensor <rows x dim x T>, got {}", view.table().r#type()));
    }
    if !matches!(t.elem, Elem::F32 | Elem::F16 | Elem::BF16) {
        return Err(format!("table element type must be f32, f16 or bf16, got {}", view.table().r#type()));
    }
    let (rows, dim) = (t.shape[0].unwrap_or(0), t.shape[1].unwrap_or(0));
    if rows == 0 || dim == 0 {
        return Err(format!("table must have at least one row and one column, got {}", view.table().r#type()));
    }
    if rows.checked_mul(row_pitch(dim)).is_none() {
        return Err(format!("table of {rows} x {dim} elements does not fit in 64-bit indexing, got {}", view.table().r#type()));
    }
    Ok(())
}

fn check_packed_tables(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = PackedTablesOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let tables = attr(view.tables())?;
    let mut total = 0i64;
    for (i, t) in tables.iter().enumerate() {
        if t.name.is_empty() || t.rows <= 0 || t.dim <= 0 {
            return Err(format!("table {i} needs a name and positive rows and dim"));
        }
        total = t
            .rows
            .checked_mul(row_pitch(t.dim))
            .and_then(|n| n.checked_add(total))
            .ok_or("packed tables overflow i64")?;
    }
    let out = result_tensor(op)?;
    if out.rank() != 1 || !matches!(out.elem, Elem::F32 | Elem::F16 | Elem::BF16) {
        return Err("result must be a rank-1 tensor of f32, f16 or bf16".into());
    }
    match out.shape[0] {
        Some(n) if n != total => Err(format!("result has {n} elements but the tables hold {total}")),
        _ => Ok(()),
    }
}
