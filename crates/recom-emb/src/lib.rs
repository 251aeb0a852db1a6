//! The `emb` dialect: embedding columns of recommendation models.
//!
//! The ops are defined in IRDL (`dialects/emb.irdl.mlir`, embedded here in
//! [`DIALECT`]) and loaded at run time (`recom_ir::load_irdl`). This
//! crate gives passes typed builders (functions named after the ops) and typed
//! views (`LookupOp`, ...) so no pass builds or reads an `emb` op by strings.
use melior::{
    ir::{operation::OperationBuilder, AttributeLike, Location, Operation, Type, Value},
    Context,
};
use recom_ir::{
    kit::{self, AttrError, AttrSource},
    op_view, string_enum,
};
use std::str::FromStr;

/// The dialect, defined in IRDL.
pub const DIALECT: recom_ir::IrdlDialect =
    recom_ir::IrdlDialect { name: "emb", irdl: include_str!("../../../dialects/emb.irdl.mlir"), probe: "emb.lookup" };

pub use recom_abi::{
    kernel::{self as kernel_meta, identity_table_name, row_pitch, FusedColumn, PackedTable, IDENTITY_TABLE_PREFIX, ROW_ALIGN},
    Combiner, Filter, OutOfRange, OutOfRangeKind,
};

string_enum! {
    /// How `emb.fused_columns` maps work to parallel iterations.
    Schedule { Element = "element" }
}

fn read_enum<'c, T: FromStr<Err = String>>(src: &impl AttrSource<'c>, name: &str) -> Result<T, AttrError> {
    kit::str_attr(src, name)?.parse().map_err(|e| AttrError::new(name, e))
}

fn read_out_of_range<'c>(src: &impl AttrSource<'c>) -> Result<OutOfRange, AttrError> {
    let kind = read_enum::<OutOfRangeKind>(src, "on_out_of_range")?;
    OutOfRange::from_kind(kind, kit::opt_i64_attr(src, "default_id")?).map_err(|e| AttrError::new("default_id", e))
}

fn out_of_range_attrs<'c>(context: &'c Context, policy: OutOfRange) -> Vec<(melior::ir::Identifier<'c>, melior::ir::Attribute<'c>)> {
    let mut attrs = vec![kit::named(context, "on_out_of_range", kit::string(context, policy.kind().as_str()))];
    if let Some(id) = policy.default_id() {
        attrs.push(kit::named(context, "default_id", kit::i64(context, id)));
    }
    attrs
}

fn build<'c>(builder: OperationBuilder<'c>) -> Operation<'c> {
    builder.build().expect("emb builders produce well-formed operations")
}

// ---- builders ---------------------------------------------------------------

/// `emb.table`: a table bound by `name` at run time, of type `tensor<RxDxT>`.
pub fn table<'c>(context: &'c Context, location: Location<'c>, name: &str, ty: Type<'c>) -> Operation<'c> {
    build(
        OperationBuilder::new(TableOp::NAME, location)
            .add_attributes(&[kit::named(context, "name", kit::string(context, name))])
            .add_results(&[ty]),
    )
}

/// `emb.hash_bucket`: ids -> Fingerprint64(decimal string) mod `num_buckets`.
pub fn hash_bucket<'c>(
    context: &'c Context,
    location: Location<'c>,
    ids: Value<'c, '_>,
    num_buckets: i64,
    result: Type<'c>,
) -> Operation<'c> {
    build(
        OperationBuilder::new(HashBucketOp::NAME, location)
            .add_operands(&[ids])
            .add_attributes(&[kit::named(context, "num_buckets", kit::i64(context, num_buckets))])
            .add_results(&[result]),
    )
}

/// `emb.bucketize`: values -> number of `boundaries` <= value.
pub fn bucketize<'c>(
    context: &'c Context,
    location: Location<'c>,
    values: Value<'c, '_>,
    boundaries: &[f64],
    result: Type<'c>,
) -> Operation<'c> {
    build(
        OperationBuilder::new(BucketizeOp::NAME, location)
            .add_operands(&[values])
            .add_attributes(&[kit::named(context, "boundaries", kit::f64_array(context, boundaries))])
            .add_results(&[result]),
    )
}

/// `emb.range_filter`: ids outside `[lo, hi)` are dropped or defaulted.
pub fn range_filter<'c>(context: &'c Context, location: Location<'c>, ids: Value<'c, '_>, filter: Filter, result: Type<'c>) -> Operation<'c> {
    let mut attrs = vec![kit::named(context, "lo", kit::i64(context, filter.lo)), kit::named(context, "hi", kit::i64(context, filter.hi))];
    let policy = filter.default.map_or(OutOfRange::Drop, OutOfRange::Default);
    attrs.extend(out_of_range_attrs(context, policy));
    build(OperationBuilder::new(RangeFilterOp::NAME, location).add_operands(&[ids]).add_attributes(&attrs).add_results(&[result]))
}

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

/// Vocabulary keys: strings or integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VocabKeys {
    Str(Vec<String>),
    I64(Vec<i64>),
}

impl VocabKeys {
    pub fn len(&self) -> usize {
        match self {
            VocabKeys::Str(k) => k.len(),
            VocabKeys::I64(k) => k.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `emb.vocabulary`: keys -> position in `keys`, `default_id` when absent.
pub fn vocabulary<'c>(
    context: &'c Context,
    location: Location<'c>,
    input: Value<'c, '_>,
    keys: &VocabKeys,
    default_id: i64,
    num_oov_buckets: i64,
    result: Type<'c>,
) -> Operation<'c> {
    let items: Vec<melior::ir::Attribute> = match keys {
        VocabKeys::Str(k) => k.iter().map(|k| kit::string(context, k)).collect(),
        VocabKeys::I64(k) => k.iter().map(|&k| kit::i64(context, k)).collect(),
    };
    build(
        OperationBuilder::new(VocabularyOp::NAME, location)
            .add_operands(&[input])
            .add_attributes(&[
                kit::named(context, "keys", melior::ir::attribute::ArrayAttribute::new(context, &items)),
                kit::named(context, "default_id", kit::i64(context, default_id)),
            ])
            .add_attributes(&if num_oov_buckets > 0 {
                vec![kit::named(context, "num_oov_buckets", kit::i64(context, num_oov_buckets))]
            } else {
                vec![]
            })
            .add_results(&[result]),
    )
}

/// The value a dense categorical input uses for "missing".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreValue {
    I64(i64),
    Str(String),
    /// Nothing is missing: every entry is kept (`ignore_value = unit`).
    KeepAll,
}

/// `emb.sparse_from_dense`: (indices, values, dense_shape) of the entries of
/// a dense [B, N] input that are not `ignore`.
pub fn sparse_from_dense<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    ignore: &IgnoreValue,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    let ignore = match ignore {
        IgnoreValue::I64(v) => kit::i64(context, *v),
        IgnoreValue::Str(s) => kit::string(context, s),
        IgnoreValue::KeepAll => melior::ir::Attribute::unit(context),
    };
    build(
        OperationBuilder::new(SparseFromDenseOp::NAME, location)
            .add_operands(&[dense])
            .add_attributes(&[kit::named(context, "ignore_value", ignore)])
            .add_results(&results),
    )
}

/// `emb.bucketized_sparse`: every entry of a dense [B, K] float input as an
/// id, bucket(x[r, j]) + j * (len(boundaries) + 1).
pub fn bucketized_sparse<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    boundaries: &[f64],
    results: [Type<'c>; 3],
) -> Operation<'c> {
    build(
        OperationBuilder::new(BucketizedSparseOp::NAME, location)
            .add_operands(&[dense])
            .add_attributes(&[kit::named(context, "boundaries", kit::f64_array(context, boundaries))])
            .add_results(&results),
    )
}

/// `emb.fingerprint`: Fingerprint64 of each string as i64 bits.
pub fn fingerprint<'c>(location: Location<'c>, values: Value<'c, '_>, result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(FingerprintOp::NAME, location).add_operands(&[values]).add_results(&[result]))
}

/// `emb.cross_hashed`: the hashed cross of `inputs` (indices, values,
/// dense_shape each).
pub fn cross_hashed<'c>(
    context: &'c Context,
    location: Location<'c>,
    inputs: &[[Value<'c, '_>; 3]],
    num_buckets: i64,
    hash_key: u64,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    let mut operands: Vec<Value> = inputs.iter().map(|i| i[0]).collect();
    operands.extend(inputs.iter().map(|i| i[1]));
    operands.extend(inputs.iter().map(|i| i[2]));
    let n = inputs.len() as i32;
    build(
        OperationBuilder::new(CrossHashedOp::NAME, location)
            .add_operands(&operands)
            .add_attributes(&[
                kit::named(context, "num_buckets", kit::i64(context, num_buckets)),
                kit::named(context, "hash_key", kit::i64(context, hash_key as i64)),
                kit::named(context, "operandSegmentSizes", kit::i32_array(context, &[n, n, n])),
            ])
            .add_results(&results),
    )
}

/// `emb.coo_rows`: CSR row offsets of a COO sparse tensor (rows up to the
/// largest row index without `dense_shape`).
pub fn coo_rows<'c>(location: Location<'c>, indices: Value<'c, '_>, dense_shape: Option<Value<'c, '_>>, result: Type<'c>) -> Operation<'c> {
    let mut operands = vec![indices];
    operands.extend(dense_shape);
    build(OperationBuilder::new(CooRowsOp::NAME, location).add_operands(&operands).add_results(&[result]))
}

/// A numeric column's normalizer `(x - shift) / scale`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalizer {
    pub shift: f64,
    pub scale: f64,
}

/// `emb.numeric_input`: column `column` of a numeric [B, K] input as one
/// weighted id (0) per row.
pub fn numeric_input<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    column: i64,
    normalizer: Option<Normalizer>,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    let mut attrs = vec![kit::named(context, "column", kit::i64(context, column))];
    if let Some(n) = normalizer {
        let f64t = Type::float64(context);
        attrs.push(kit::named(context, "shift", melior::ir::attribute::FloatAttribute::new(context, f64t, n.shift)));
        attrs.push(kit::named(context, "scale", melior::ir::attribute::FloatAttribute::new(context, f64t, n.scale)));
    }
    build(OperationBuilder::new(NumericInputOp::NAME, location).add_operands(&[dense]).add_attributes(&attrs).add_results(&results))
}

// ---- views --------------------------------------------------------------------

op_view!(
    /// `emb.vocabulary`.
    VocabularyOp, "emb.vocabulary"
);
impl<'c, 'a> VocabularyOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn default_id(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "default_id")
    }
    /// Hash buckets for absent keys (0: absent keys give `default_id`).
    pub fn num_oov_buckets(&self) -> Result<i64, AttrError> {
        Ok(kit::opt_i64_attr(&self.0, "num_oov_buckets")?.unwrap_or(0))
    }
    /// The keys; all strings or all integers.
    pub fn keys(&self) -> Result<VocabKeys, AttrError> {
        let array = kit::array_attr(&self.0, "keys")?;
        let mut strings = Vec::new();
        let mut ints = Vec::new();
        for i in 0..array.len() {
            let item = array.element(i).map_err(|e| AttrError::new("keys", e.to_string()))?;
            if let Some(s) = kit::string_value(item) {
                strings.push(s.into_owned());
            } else if let Ok(v) = melior::ir::attribute::IntegerAttribute::try_from(item) {
                ints.push(v.value());
            } else {
                return Err(AttrError::new("keys", format!("element {i} is neither a string nor an integer")));
            }
        }
        match (strings.is_empty(), ints.is_empty()) {
            (_, true) => Ok(VocabKeys::Str(strings)),
            (true, false) => Ok(VocabKeys::I64(ints)),
            (false, false) => Err(AttrError::new("keys", "mixes strings and integers")),
        }
    }
}

op_view!(
    /// `emb.sparse_from_dense`.
    SparseFromDenseOp, "emb.sparse_from_dense"
);
impl<'c, 'a> SparseFromDenseOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn ignore_value(&self) -> Result<IgnoreValue, AttrError> {
        let attr = melior::ir::operation::OperationLike::attribute(&self.0, "ignore_value").map_err(|_| AttrError::new("ignore_value", "is missing"))?;
        if let Some(s) = kit::string_value(attr) {
            return Ok(IgnoreValue::Str(s.into_owned()));
        }
        if unsafe { mlir_sys::mlirAttributeIsAUnit(attr.to_raw()) } {
            return Ok(IgnoreValue::KeepAll);
        }
        melior::ir::attribute::IntegerAttribute::try_from(attr)
            .map(|i| IgnoreValue::I64(i.value()))
            .map_err(|_| AttrError::new("ignore_value", "must be an integer or a string"))
    }
}

op_view!(
    /// `emb.bucketized_sparse`.
    BucketizedSparseOp, "emb.bucketized_sparse"
);
impl<'c, 'a> BucketizedSparseOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn boundaries(&self) -> Result<Vec<f64>, AttrError> {
        kit::f64_array_attr(&self.0, "boundaries")
    }
}

op_view!(
    /// `emb.fingerprint`.
    FingerprintOp, "emb.fingerprint"
);
impl<'c, 'a> FingerprintOp<'c, 'a> {
    pub fn values(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
}

op_view!(
    /// `emb.cross_hashed`.
    CrossHashedOp, "emb.cross_hashed"
);
impl<'c, 'a> CrossHashedOp<'c, 'a> {
    pub fn num_buckets(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "num_buckets")
    }
    pub fn hash_key(&self) -> Result<u64, AttrError> {
        kit::i64_attr(&self.0, "hash_key").map(|k| k as u64)
    }
    /// The crossed inputs, (indices, values, dense_shape) each.
    pub fn inputs(&self) -> Vec<[Value<'c, 'a>; 3]> {
        let n = melior::ir::operation::OperationLike::operand_count(&self.0) / 3;
        (0..n).map(|i| [self.operand(i), self.operand(n + i), self.operand(2 * n + i)]).collect()
    }
}

op_view!(
    /// `emb.coo_rows`.
    CooRowsOp, "emb.coo_rows"
);
impl<'c, 'a> CooRowsOp<'c, 'a> {
    pub fn indices(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    /// `None` for the non-safe form (rows up to the largest row index).
    pub fn dense_shape(&self) -> Option<Value<'c, 'a>> {
        (melior::ir::operation::OperationLike::operand_count(&self.0) > 1).then(|| self.operand(1))
    }
}

op_view!(
    /// `emb.numeric_input`.
    NumericInputOp, "emb.numeric_input"
);
impl<'c, 'a> NumericInputOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn column(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "column")
    }
    pub fn normalizer(&self) -> Result<Option<Normalizer>, AttrError> {
        let float = |name: &str| -> Result<Option<f64>, AttrError> {
            match melior::ir::operation::OperationLike::attribute(&self.0, name) {
                Err(_) => Ok(None),
                Ok(a) => melior::ir::attribute::FloatAttribute::try_from(a)
                    .map(|f| Some(f.value()))
                    .map_err(|_| AttrError::new(name, "must be a float")),
            }
        };
        match (float("shift")?, float("scale")?) {
            (Some(shift), Some(scale)) => Ok(Some(Normalizer { shift, scale })),
            (None, None) => Ok(None),
            _ => Err(AttrError::new("shift", "and 'scale' go together")),
        }
    }
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
    /// `emb.hash_bucket`.
    HashBucketOp, "emb.hash_bucket"
);
impl<'c, 'a> HashBucketOp<'c, 'a> {
    pub fn ids(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn num_buckets(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "num_buckets")
    }
}

op_view!(
    /// `emb.bucketize`.
    BucketizeOp, "emb.bucketize"
);
impl<'c, 'a> BucketizeOp<'c, 'a> {
    pub fn values(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn boundaries(&self) -> Result<Vec<f64>, AttrError> {
        kit::f64_array_attr(&self.0, "boundaries")
    }
}

op_view!(
    /// `emb.range_filter`.
    RangeFilterOp, "emb.range_filter"
);
impl<'c, 'a> RangeFilterOp<'c, 'a> {
    pub fn ids(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn lo(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "lo")
    }
    pub fn hi(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "hi")
    }
    /// The filter: `[lo, hi)` and what becomes of the ids outside it.
    pub fn filter(&self) -> Result<Filter, AttrError> {
        let policy = read_out_of_range(&self.0)?;
        let default = match policy {
            OutOfRange::Drop => None,
            OutOfRange::Default(id) => Some(id),
            OutOfRange::Error => return Err(AttrError::new("on_out_of_range", "'error' is not one of drop, default")),
        };
        Ok(Filter { lo: self.lo()?, hi: self.hi()?, default })
    }
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
        self.0.attribute("kernel").ok().and_then(|a| {
            unsafe { mlir_sys::mlirAttributeIsAFlatSymbolRef(a.to_raw()) }
                .then(|| kit::text_of(unsafe { mlir_sys::mlirFlatSymbolRefAttrGetValue(a.to_raw()) }).into_owned())
        })
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
