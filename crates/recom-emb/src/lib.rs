//! The `emb` dialect: embedding columns of recommendation models.
//!
//! The ops are defined in IRDL (`dialects/emb.irdl.mlir`, embedded here as
//! [`IRDL`]) and loaded at run time by `recom_ir::load_recom_dialects`. This
//! crate gives passes typed builders (functions named after the ops) and typed
//! views (`LookupOp`, ...) so no pass builds or reads an `emb` op by strings.
use melior::{
    ir::{operation::OperationBuilder, Location, Operation, Type, Value},
    Context,
};
use recom_opkit::{self as kit, op_view, string_enum, AttrError, AttrSource};
use std::str::FromStr;

/// The dialect's namespace.
pub const DIALECT: &str = "emb";
/// The IRDL definition of the dialect.
pub const IRDL: &str = include_str!("../../../dialects/emb.irdl.mlir");

string_enum! {
    /// How a row's embeddings are pooled.
    Combiner { Sum = "sum", Mean = "mean", Sqrtn = "sqrtn" }
}

string_enum! {
    /// The `on_out_of_range` policy of a lookup, without its default id.
    OutOfRangeKind { Error = "error", Drop = "drop", Default = "default" }
}

/// What a lookup does with an id >= the table's row count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    /// The request fails with an error naming the column.
    Error,
    /// The id is ignored, like a negative id.
    Drop,
    /// The id is replaced by this row.
    Default(i64),
}

/// What a range filter does with ids outside `[lo, hi)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterMode {
    /// The id becomes -1, which every lookup drops.
    Drop,
    /// The id becomes this value.
    Default(i64),
}

fn read_enum<'c, T: FromStr<Err = String>>(src: &impl AttrSource<'c>, name: &str) -> Result<T, AttrError> {
    kit::str_attr(src, name)?.parse().map_err(|e| AttrError::new(name, e))
}

fn read_out_of_range<'c>(src: &impl AttrSource<'c>) -> Result<OutOfRange, AttrError> {
    Ok(match read_enum::<OutOfRangeKind>(src, "on_out_of_range")? {
        OutOfRangeKind::Error => OutOfRange::Error,
        OutOfRangeKind::Drop => OutOfRange::Drop,
        OutOfRangeKind::Default => OutOfRange::Default(
            kit::opt_i64_attr(src, "default_id")?
                .ok_or_else(|| AttrError::new("default_id", "is required when on_out_of_range = \"default\""))?,
        ),
    })
}

fn out_of_range_attrs<'c>(context: &'c Context, policy: OutOfRange) -> Vec<(melior::ir::Identifier<'c>, melior::ir::Attribute<'c>)> {
    let (kind, default) = match policy {
        OutOfRange::Error => ("error", None),
        OutOfRange::Drop => ("drop", None),
        OutOfRange::Default(id) => ("default", Some(id)),
    };
    let mut attrs = vec![kit::named(context, "on_out_of_range", kit::string(context, kind))];
    if let Some(id) = default {
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
pub fn range_filter<'c>(
    context: &'c Context,
    location: Location<'c>,
    ids: Value<'c, '_>,
    lo: i64,
    hi: i64,
    mode: FilterMode,
    result: Type<'c>,
) -> Operation<'c> {
    let mut attrs = vec![kit::named(context, "lo", kit::i64(context, lo)), kit::named(context, "hi", kit::i64(context, hi))];
    match mode {
        FilterMode::Drop => attrs.push(kit::named(context, "on_out_of_range", kit::string(context, "drop"))),
        FilterMode::Default(id) => {
            attrs.push(kit::named(context, "on_out_of_range", kit::string(context, "default")));
            attrs.push(kit::named(context, "default_id", kit::i64(context, id)));
        }
    }
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

/// Per-column metadata of `emb.fused_columns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FusedColumn {
    /// Offset of the column's table in the packed tables buffer, in elements.
    pub table_offset: i64,
    pub rows: i64,
    pub dim: i64,
    pub combiner: Combiner,
    pub weighted: bool,
    pub on_out_of_range: OutOfRange,
}

impl FusedColumn {
    fn to_attr<'c>(&self, context: &'c Context) -> melior::ir::Attribute<'c> {
        let mut entries = vec![
            kit::named(context, "table_offset", kit::i64(context, self.table_offset)),
            kit::named(context, "rows", kit::i64(context, self.rows)),
            kit::named(context, "dim", kit::i64(context, self.dim)),
            kit::named(context, "combiner", kit::string(context, self.combiner.as_str())),
            kit::named(context, "weighted", kit::boolean(context, self.weighted)),
        ];
        entries.extend(out_of_range_attrs(context, self.on_out_of_range));
        kit::dictionary(context, &entries)
    }

    fn from_attr<'c>(src: &impl AttrSource<'c>) -> Result<Self, AttrError> {
        Ok(FusedColumn {
            table_offset: kit::i64_attr(src, "table_offset")?,
            rows: kit::i64_attr(src, "rows")?,
            dim: kit::i64_attr(src, "dim")?,
            combiner: read_enum(src, "combiner")?,
            weighted: kit::bool_attr(src, "weighted")?,
            on_out_of_range: read_out_of_range(src)?,
        })
    }
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
    result: Type<'c>,
) -> Operation<'c> {
    let columns: Vec<_> = columns.iter().map(|c| c.to_attr(context)).collect();
    build(
        OperationBuilder::new(FusedColumnsOp::NAME, location)
            .add_operands(&[inputs.tables, inputs.ids, inputs.row_offsets, inputs.weights])
            .add_attributes(&[kit::named(
                context,
                "columns",
                melior::ir::attribute::ArrayAttribute::new(context, &columns),
            )])
            .add_results(&[result]),
    )
}

// ---- views --------------------------------------------------------------------

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
    pub fn mode(&self) -> Result<FilterMode, AttrError> {
        match kit::str_attr(&self.0, "on_out_of_range")?.as_ref() {
            "drop" => Ok(FilterMode::Drop),
            "default" => kit::opt_i64_attr(&self.0, "default_id")?
                .map(FilterMode::Default)
                .ok_or_else(|| AttrError::new("default_id", "is required when on_out_of_range = \"default\"")),
            other => Err(AttrError::new("on_out_of_range", format!("'{other}' is not one of drop, default"))),
        }
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
    /// Per-column metadata; the error names the column index.
    pub fn columns(&self) -> Result<Vec<FusedColumn>, AttrError> {
        kit::dict_array_attr(&self.0, "columns")?
            .iter()
            .enumerate()
            .map(|(i, d)| {
                FusedColumn::from_attr(d).map_err(|e| AttrError::new("columns", format!("entry {i}: {e}")))
            })
            .collect()
    }
}
