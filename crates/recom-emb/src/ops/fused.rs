//! The fused layer: every column of a function in one
//! `emb.fused_columns` over the packed inputs of `emb.pack_inputs`.
use crate::{build, out_of_range_attrs, read_enum, read_out_of_range, row_pitch, Filter, FusedColumn, IdTransform, OutOfRange};
use melior::{
    ir::{operation::{OperationBuilder, OperationLike, OperationRef}, Location, Operation, Type, Value, ValueLike},
    Context,
};
use recom_ir::{
    check::{attr, int_vector, result_tensor, tensor, Check},
    kit::{self, AttrError, AttrSource, Elem},
    op_view, string_enum, AttrC, AttrSlot, OpDef, Slot,
};

/// The ops of this group, in declaration order.
pub const FUSED_OPS: &[OpDef] = &[STRING_REFS, PACK_INPUTS, FUSED_COLUMNS];

/// `emb.string_refs`.
pub const STRING_REFS: OpDef = OpDef {
    name: "emb.string_refs",
    doc: "A string column's raw ids as the fused kernel reads them: one i64
reference per string, start << 24 | length, into the request's bytes (the
runtime packs the strings' bytes once and writes the references; the
kernel hashes or looks them up, `transform = \"str_hash_bucket\"` or a
string-keyed `\"vocabulary\"`). Only an operand of
emb.pack_inputs for such a column; the plan reads the strings through it.",
    operands: &[Slot::tensor("strings")],
    results: &[Slot::tensor("refs")],
    attributes: &[],
    verify: check_string_refs,
    int_range: None,
    host: None,
};

/// `emb.pack_inputs`.
pub const PACK_INPUTS: OpDef = OpDef {
    name: "emb.pack_inputs",
    doc: "Packs C columns' CSR inputs into the fused layout (done on the host):
  ids     = the columns' ids, column after column;
  offsets = per column B + 1 offsets, rebased to absolute positions in ids;
  weights = one weight per id (1.0 for unweighted columns), empty when no
            column is weighted.
Operands: C ids, C row_offsets, then one weights tensor per weighted
column (in column order). attrs: weighted : array<i1>, one per column.",
    operands: &[Slot::tensor("ids").variadic(), Slot::tensor("row_offsets").variadic(), Slot::tensor("weights").variadic()],
    results: &[Slot::tensor("packed_ids"), Slot::tensor("packed_offsets"), Slot::tensor("packed_weights")],
    attributes: &[AttrSlot::new("weighted", AttrC::DenseArray)],
    verify: check_pack_inputs,
    int_range: None,
    host: None,
};

/// `emb.fused_columns`.
pub const FUSED_COLUMNS: OpDef = OpDef {
    name: "emb.fused_columns",
    doc: "Every column of a function in one op (the unit that becomes ONE kernel).
Operands are packed buffers, so heterogeneous tables need no
heterogeneous variadics:
  tables      : tensor<?xT>   all tables, row-major, one after another,
                              rows padded to a multiple of 4 elements
  ids         : tensor<?xi64> all columns' ids
  row_offsets : tensor<?xi64> per column B + 1 offsets into `ids`
                              (absolute positions), columns one after another
  weights     : tensor<?xf32> per-id weights parallel to `ids`, or empty
Result: [B, ΣDIM]. attrs:
  columns : array of dictionaries, one per column:
    {table_offset : i64 (elements), rows : i64, dim : i64,
     combiner : \"sum\"|\"mean\"|\"sqrtn\", weighted : bool,
     on_out_of_range : \"error\"|\"drop\"|\"default\", [default_id : i64],
     [filter_lo : i64, filter_hi : i64, [filter_default : i64]],
     [transform : \"int_hash_bucket\"|\"str_hash_bucket\", transform_buckets : i64 > 0],
     [transform : \"vocabulary\", transform_keys : array of strings or i64,
      transform_default : i64, [transform_oov_buckets : i64 > 0],
      [transform_first : i64], [transform_oov_base : i64]],
     [transform : \"bucketize\", transform_boundaries : array<f64>]}
    (the optional filter is an absorbed emb.range_filter; the optional
    transform an absorbed emb.hash_bucket or emb.vocabulary of integer or
    string ids, or an absorbed emb.bucketized_sparse: the column's `ids` are
    then the raw values (a bucketized column's emb.float_entries), turned
    into ids in the kernel before the filter; a string column's packed ids
    are references into the request's bytes);
  schedule : \"element\" -- one work item per output element (row, k),
    k over ΣDIM, so columns of any dim and bag length share one flat,
    balanced iteration space.
  [kernel : symbol of the loop function the op was lowered to, with
   kernel_elements_per_item, kernel_rows_per_item and kernel_index_bits
   (32: the kernel reads ids and offsets packed as i32, each id clamped
   into i32 by the host; 64: as given)]",
    operands: &[Slot::tensor("tables"), Slot::tensor("ids"), Slot::tensor("row_offsets"), Slot::tensor("weights")],
    results: &[Slot::tensor("result")],
    attributes: &[AttrSlot::new("columns", AttrC::Array), AttrSlot::new("schedule", AttrC::OneOf(Schedule::ALL))],
    verify: check_fused_columns,
    int_range: None,
    host: None,
};

// ---- builders and views ----------------------------------------------------

string_enum! {
    /// How `emb.fused_columns` maps work to parallel iterations.
    Schedule { Element = "element" }
}

/// `emb.fused_columns`' per-column entries are dictionaries of a
/// [`FusedColumn`]'s fields.
fn fused_column_attr<'c>(context: &'c Context, column: &FusedColumn) -> melior::ir::Attribute<'c> {
    let mut entries = vec![
        kit::named(context, "table_offset", kit::i64(context, column.table_offset)),
        kit::named(context, "rows", kit::i64(context, column.rows)),
        kit::named(context, "dim", kit::i64(context, column.dim)),
        kit::named(context, "combiner", kit::string(context, column.combiner.as_str())),
        kit::named(context, "weighted", kit::boolean(context, column.weighted)),
    ];
    entries.extend(out_of_range_attrs(context, column.on_out_of_range));
    if let Some(f) = column.filter {
        entries.push(kit::named(context, "filter_lo", kit::i64(context, f.lo)));
        entries.push(kit::named(context, "filter_hi", kit::i64(context, f.hi)));
        if let Some(d) = f.default {
            entries.push(kit::named(context, "filter_default", kit::i64(context, d)));
        }
    }
    match &column.transform {
        Some(t @ (IdTransform::IntHashBucket { .. } | IdTransform::StrHashBucket { .. })) => {
            let name = if t.takes_strings() { "str_hash_bucket" } else { "int_hash_bucket" };
            entries.push(kit::named(context, "transform", kit::string(context, name)));
            entries.push(kit::named(context, "transform_buckets", kit::i64(context, t.buckets().unwrap_or(0) as i64)));
        }
        Some(IdTransform::Vocabulary { keys, default, oov_buckets, first, oov_base }) => {
            entries.push(kit::named(context, "transform", kit::string(context, "vocabulary")));
            entries.push(kit::named(context, "transform_keys", super::ids::keys_attr(context, keys)));
            entries.push(kit::named(context, "transform_default", kit::i64(context, *default)));
            if *oov_buckets > 0 {
                entries.push(kit::named(context, "transform_oov_buckets", kit::i64(context, *oov_buckets as i64)));
            }
            if *first != 0 {
                entries.push(kit::named(context, "transform_first", kit::i64(context, *first)));
            }
            if let Some(base) = oov_base {
                entries.push(kit::named(context, "transform_oov_base", kit::i64(context, *base)));
            }
        }
        Some(IdTransform::Bucketize { boundaries }) => {
            entries.push(kit::named(context, "transform", kit::string(context, "bucketize")));
            entries.push(kit::named(context, "transform_boundaries", kit::f64_array(context, boundaries)));
        }
        None => {}
    }
    kit::dictionary(context, &entries)
}

fn fused_column_of<'c>(src: &impl AttrSource<'c>) -> Result<FusedColumn, AttrError> {
    Ok(FusedColumn {
        table_offset: kit::i64_attr(src, "table_offset")?,
        rows: kit::i64_attr(src, "rows")?,
        dim: kit::i64_attr(src, "dim")?,
        combiner: read_enum(src, "combiner")?,
        weighted: kit::bool_attr(src, "weighted")?,
        on_out_of_range: read_out_of_range(src)?,
        filter: match (kit::opt_i64_attr(src, "filter_lo")?, kit::opt_i64_attr(src, "filter_hi")?) {
            (Some(lo), Some(hi)) => Some(Filter { lo, hi, default: kit::opt_i64_attr(src, "filter_default")? }),
            (None, None) => None,
            _ => return Err(AttrError::new("filter_lo", "and filter_hi must be given together")),
        },
        transform: match kit::opt_str_attr(src, "transform")?.as_deref() {
            None => None,
            Some(name @ ("int_hash_bucket" | "str_hash_bucket")) => {
                let buckets = kit::i64_attr(src, "transform_buckets")?;
                if buckets <= 0 {
                    return Err(AttrError::new("transform_buckets", format!("must be positive, got {buckets}")));
                }
                let buckets = buckets as u64;
                Some(if name == "int_hash_bucket" { IdTransform::IntHashBucket { buckets } } else { IdTransform::StrHashBucket { buckets } })
            }
            Some("vocabulary") => {
                let oov = kit::opt_i64_attr(src, "transform_oov_buckets")?.unwrap_or(0);
                let t = IdTransform::Vocabulary {
                    keys: super::ids::keys_of(src, "transform_keys")?,
                    default: kit::i64_attr(src, "transform_default")?,
                    oov_buckets: u64::try_from(oov).map_err(|_| AttrError::new("transform_oov_buckets", format!("must be >= 0, got {oov}")))?,
                    first: kit::opt_i64_attr(src, "transform_first")?.unwrap_or(0),
                    oov_base: kit::opt_i64_attr(src, "transform_oov_base")?,
                };
                t.check().map_err(|e| AttrError::new("transform_keys", e))?;
                Some(t)
            }
            Some("bucketize") => {
                let t = IdTransform::Bucketize { boundaries: kit::f64_array_attr(src, "transform_boundaries")? };
                t.check().map_err(|e| AttrError::new("transform_boundaries", e))?;
                Some(t)
            }
            Some(other) => {
                return Err(AttrError::new("transform", format!("'{other}' is not a transform (int_hash_bucket, str_hash_bucket, vocabulary, bucketize)")))
            }
        },
    })
}

/// Packed operands of `emb.fused_columns`.
pub struct FusedInputs<'c, 'a> {
    pub tables: Value<'c, 'a>,
    pub ids: Value<'c, 'a>,
    pub row_offsets: Value<'c, 'a>,
    pub weights: Value<'c, 'a>,
}

/// `emb.fused_columns`: every column of a function in one op.
pub fn fused_columns<'c>(
    context: &'c Context,
    location: Location<'c>,
    inputs: FusedInputs<'c, '_>,
    columns: &[FusedColumn],
    schedule: Schedule,
    result: Type<'c>,
) -> Operation<'c> {
    let columns: Vec<_> = columns.iter().map(|c| fused_column_attr(context, c)).collect();
    build(
        OperationBuilder::new(FusedColumnsOp::NAME, location)
            .add_operands(&[inputs.tables, inputs.ids, inputs.row_offsets, inputs.weights])
            .add_attributes(&[
                kit::named(context, "columns", melior::ir::attribute::ArrayAttribute::new(context, &columns)),
                kit::named(context, "schedule", kit::string(context, schedule.as_str())),
            ])
            .add_results(&[result]),
    )
}

/// `emb.string_refs`: the references the kernel reads for `strings`.
pub fn string_refs<'c>(location: Location<'c>, strings: Value<'c, '_>, result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(StringRefsOp::NAME, location).add_operands(&[strings]).add_results(&[result]))
}

/// `emb.pack_inputs`: C columns' inputs (`weights` only for weighted
/// columns, in column order) into packed ids, offsets and weights.
pub fn pack_inputs<'c>(
    context: &'c Context,
    location: Location<'c>,
    ids: &[Value<'c, '_>],
    row_offsets: &[Value<'c, '_>],
    weights: &[Value<'c, '_>],
    weighted: &[bool],
    types: [Type<'c>; 3],
) -> Operation<'c> {
    let segments = [ids.len() as i32, row_offsets.len() as i32, weights.len() as i32];
    let operands: Vec<Value> = ids.iter().chain(row_offsets).chain(weights).copied().collect();
    build(
        OperationBuilder::new(PackInputsOp::NAME, location)
            .add_operands(&operands)
            .add_attributes(&[
                kit::named(context, "operandSegmentSizes", kit::i32_array(context, &segments)),
                kit::named(context, "weighted", kit::bool_array(context, weighted)),
            ])
            .add_results(&types),
    )
}

op_view!(
    /// `emb.fused_columns`.
    FusedColumnsOp, "emb.fused_columns"
);
impl<'c, 'a> FusedColumnsOp<'c, 'a> {
    pub fn tables(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn ids(&self) -> Value<'c, 'a> {
        self.operand(1)
    }
    pub fn row_offsets(&self) -> Value<'c, 'a> {
        self.operand(2)
    }
    pub fn weights(&self) -> Value<'c, 'a> {
        self.operand(3)
    }
    pub fn schedule(&self) -> Result<Schedule, AttrError> {
        read_enum(&self.0, "schedule")
    }
    /// The loop function the op was lowered to, if any.
    pub fn kernel(&self) -> Option<String> {
        use melior::ir::operation::OperationLike;
        self.0.attribute("kernel").ok().and_then(recom_ir::ext::flat_symbol)
    }
    /// Per-column metadata; the error names the column index.
    pub fn columns(&self) -> Result<Vec<FusedColumn>, AttrError> {
        kit::dict_array_attr(&self.0, "columns")?
            .iter()
            .enumerate()
            .map(|(i, d)| {
                fused_column_of(d).map_err(|e| AttrError::new("columns", format!("entry {i}: {e}")))
            })
            .collect()
    }
}

op_view!(
    /// `emb.string_refs`.
    StringRefsOp, "emb.string_refs"
);
impl<'c, 'a> StringRefsOp<'c, 'a> {
    pub fn strings(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
}

op_view!(
    /// `emb.pack_inputs`.
    PackInputsOp, "emb.pack_inputs"
);
impl<'c, 'a> PackInputsOp<'c, 'a> {
    /// Operand counts of the (ids, row_offsets, weights) groups.
    pub fn segments(&self) -> Result<[usize; 3], AttrError> {
        let s = kit::i32_array_attr(&self.0, "operandSegmentSizes")?;
        match s[..] {
            [a, b, c] if a >= 0 && b >= 0 && c >= 0 => Ok([a as usize, b as usize, c as usize]),
            _ => Err(AttrError::new("operandSegmentSizes", "must hold three non-negative sizes")),
        }
    }
    pub fn weighted(&self) -> Result<Vec<bool>, AttrError> {
        kit::bool_array_attr(&self.0, "weighted")
    }
    /// Operands of group `group` (0: ids, 1: row_offsets, 2: weights).
    pub fn group(&self, group: usize) -> Result<Vec<Value<'c, 'a>>, AttrError> {
        let s = self.segments()?;
        let start: usize = s[..group].iter().sum();
        Ok((start..start + s[group]).map(|i| self.operand(i)).collect())
    }
}

// ---- verification --------------------------------------------------------

fn check_fused_columns(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = FusedColumnsOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let tables = tensor(view.tables(), "tables")?;
    if tables.rank() != 1 || !matches!(tables.elem, Elem::F32 | Elem::F16 | Elem::BF16) {
        return Err(format!("tables must be a rank-1 tensor of f32, f16 or bf16, got {}", view.tables().r#type()));
    }
    int_vector(view.ids(), "ids", &[64])?;
    int_vector(view.row_offsets(), "row_offsets", &[64])?;
    let weights = tensor(view.weights(), "weights")?;
    if weights.rank() != 1 || weights.elem != Elem::F32 {
        return Err(format!("weights must be a rank-1 tensor of f32, got {}", view.weights().r#type()));
    }
    let columns = attr(view.columns())?;
    if columns.is_empty() {
        return Err("needs at least one column".into());
    }
    let mut width = 0i64;
    for (i, c) in columns.iter().enumerate() {
        if c.rows <= 0 || c.dim <= 0 || c.table_offset < 0 {
            return Err(format!("column {i}: rows, dim must be positive and table_offset non-negative"));
        }
        let end = c.rows.checked_mul(row_pitch(c.dim)).and_then(|n| n.checked_add(c.table_offset));
        match (end, tables.shape[0]) {
            (None, _) => return Err(format!("column {i}: table slice overflows i64")),
            (Some(end), Some(len)) if end > len => {
                return Err(format!("column {i}: table slice [{}, {end}) exceeds the {len} packed table elements", c.table_offset))
            }
            _ => {}
        }
        if let OutOfRange::Default(id) = c.on_out_of_range {
            if id < 0 || id >= c.rows {
                return Err(format!("column {i}: default_id {id} is not a row of its {}-row table", c.rows));
            }
        }
        if let Some(f) = c.filter {
            if f.lo >= f.hi {
                return Err(format!("column {i}: filter range [{}, {}) is empty", f.lo, f.hi));
            }
            if f.default.is_some_and(|d| d < f.lo || d >= f.hi) {
                return Err(format!("column {i}: filter_default lies outside [{}, {})", f.lo, f.hi));
            }
        }
        width += c.dim;
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 || out.elem != tables.elem {
        return Err("result must be a rank-2 tensor of the tables' element type".into());
    }
    if let Some(d) = out.shape[1] {
        if d != width {
            return Err(format!("result width {d} differs from the sum of the column dims {width}"));
        }
    }
    Ok(())
}

fn check_string_refs(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = StringRefsOp::wrap(op).ok_or("was given to another op's verifier")?;
    let strings = tensor(view.strings(), "strings")?;
    if strings.rank() != 1 || strings.elem != Elem::Str {
        return Err(format!("strings must be a rank-1 tensor of !tf.string, got {}", view.strings().r#type()));
    }
    int_vector(result_tensor_value(op)?, "refs", &[64])?;
    Ok(())
}

fn result_tensor_value<'c, 'a>(op: OperationRef<'c, 'a>) -> Result<Value<'c, 'a>, String> {
    op.result(0).map(Into::into).map_err(|_| "has no result".to_string())
}

fn check_pack_inputs(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = PackInputsOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let [ids, offsets, weights] = attr(view.segments())?;
    let weighted = attr(view.weighted())?;
    if ids == 0 || ids != offsets || ids != weighted.len() {
        return Err(format!(
            "needs one ids and one row_offsets operand and one 'weighted' flag per column, got {ids} ids, {offsets} row_offsets, {} flags",
            weighted.len()
        ));
    }
    let expected = weighted.iter().filter(|&&w| w).count();
    if weights != expected {
        return Err(format!("has {weights} weights operands for {expected} weighted columns"));
    }
    for (group, what, widths) in [(0, "ids", &[64u32][..]), (1, "row_offsets", &[64][..])] {
        for (i, v) in attr(view.group(group))?.into_iter().enumerate() {
            int_vector(v, &format!("{what} operand {i}"), widths)?;
        }
    }
    for (i, v) in attr(view.group(2))?.into_iter().enumerate() {
        let t = tensor(v, &format!("weights operand {i}"))?;
        if t.rank() != 1 || t.elem != Elem::F32 {
            return Err(format!("weights operand {i} must be a rank-1 tensor of f32, got {}", v.r#type()));
        }
    }
    let results: Vec<Value> = op.results().map(Into::into).collect();
    int_vector(results[0], "packed ids", &[64])?;
    int_vector(results[1], "packed row_offsets", &[64])?;
    let w = tensor(results[2], "packed weights")?;
    if w.rank() != 1 || w.elem != Elem::F32 {
        return Err(format!("packed weights must be a rank-1 tensor of f32, got {}", results[2].r#type()));
    }
    Ok(())
}
