//! The translation from compiled IR to the runtime's [`Plan`]: the seam
//! between the compiler and the lean runtime.
//!
//! Input: a module after `recom-default`, with ONE `emb.fused_columns`
//! lowered to a kernel (`kernel = @fn`, `kernel_*` attributes). The plan is
//! read off the IR:
//! * the tables and columns from `emb.packed_tables` and the fused op's
//!   `columns`, the kernel's metadata tables encoded by `recom_abi::kernel`;
//! * each column's host program from what produces its `emb.pack_inputs`
//!   operands: a function argument (a model input) or one of the host-side
//!   `emb` ops (hash bucket, vocabulary, crosses, dense → sparse, numeric
//!   inputs, COO → CSR), whose operands are followed in turn;
//! * the request's sizes from the layer's `symshape.shape_construct`;
//! * the model's inputs from the function's arguments (`recom.feed` names).
//!
//! Anything it cannot translate is an error located at the op concerned and
//! naming the attribute or operand, never a silent "not supported".
//! `recom-opt --emit-plan` prints the plan as JSON (lit tests:
//! `lit_tests/translate/emit-plan*.mlir`).
use melior::ir::{
    block::{BlockArgument, BlockLike},
    operation::{OperationLike, OperationRef, OperationResult, WalkOrder, WalkResult},
    Module, Value, ValueLike,
};
use recom_abi::kernel::{encode_columns, encode_items, row_pitch, PackedTable};
use recom_emb::{self as emb, FusedColumnsOp, PackInputsOp, PackedTablesOp};
use recom_ir::{
    kit::{self, AttrError},
    Diagnostic, Severity, SourceLocation,
};
use recom_runtime::{
    host::{CrossInput, FeedSpec, FeedType, IdSource, Ignore, Keys, RowSource, Values, WeightSource},
    plan::{ColumnPlan, Plan, TableSlot},
    shape::{ShapeProgram, ShapeSymbol},
};

/// An error at `op`.
fn error_at(op: OperationRef, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Severity::Error, SourceLocation::from_mlir(op.location()), message.into())
}

/// An attribute error of `op`, as MLIR's verifier would word it.
fn attr_error<'c, 'a>(op: OperationRef<'c, 'a>) -> impl Fn(AttrError) -> Diagnostic + use<'c, 'a> {
    move |e| error_at(op, format!("'{}' op {e}", op_name(op)))
}

fn op_name(op: OperationRef) -> String {
    kit::identifier_text(op.name()).into_owned()
}

/// The plan of the module's one fused embedding layer.
pub fn emit_plan(module: &Module) -> Result<Plan, Diagnostic> {
    let mut fused = Vec::new();
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if FusedColumnsOp::wrap(op).is_some() {
            fused.push(op.to_raw());
        }
        WalkResult::Advance
    });
    match fused[..] {
        [one] => plan_of(FusedColumnsOp::wrap(unsafe { OperationRef::from_raw(one) }).expect("found by wrap")),
        _ => Err(error_at(
            module.as_operation(),
            format!("expected one fused embedding layer (emb.fused_columns), found {}", fused.len()),
        )),
    }
}

fn defining<'c, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    OperationResult::try_from(value).ok().map(|r| r.owner())
}

fn result_number(value: Value) -> Option<usize> {
    OperationResult::try_from(value).ok().map(|r| r.result_number())
}

/// Where a value the host program needs comes from, for error messages.
fn producer(value: Value) -> String {
    match defining(value) {
        Some(op) => format!("'{}' (result {})", op_name(op), result_number(value).unwrap_or(0)),
        None => match BlockArgument::try_from(value) {
            Ok(argument) => format!("block argument {}", argument.argument_number()),
            Err(_) => "a value with no producer".into(),
        },
    }
}

/// Follows the producers of a column's host-side inputs. `user` is the op
/// that consumes the value being followed (errors are located there when the
/// value has no producer to blame).
struct Sources<'c, 'a> {
    /// The model function's entry block arguments are its inputs.
    function: OperationRef<'c, 'a>,
}

impl<'c, 'a> Sources<'c, 'a> {
    /// The model input `value` is.
    fn feed(&self, value: Value<'c, 'a>) -> Option<usize> {
        let argument = BlockArgument::try_from(value).ok()?;
        let owner = argument.owner().parent_operation()?;
        (owner.to_raw().ptr == self.function.to_raw().ptr).then(|| argument.argument_number())
    }

    fn refuse(&self, user: OperationRef<'c, 'a>, what: &str, value: Value<'c, 'a>, expected: &str) -> Diagnostic {
        let at = defining(value).unwrap_or(user);
        error_at(at, format!("{what} comes from {}, but the runtime's host program takes {expected} there", producer(value)))
    }

    fn feed_of(&self, user: OperationRef<'c, 'a>, what: &str, value: Value<'c, 'a>) -> Result<usize, Diagnostic> {
        self.feed(value).ok_or_else(|| self.refuse(user, what, value, "a model input"))
    }

    /// A column's raw values: a model input, or the values of an
    /// `emb.sparse_from_dense` / `emb.bucketized_sparse` of one.
    fn values(&self, user: OperationRef<'c, 'a>, what: &str, value: Value<'c, 'a>) -> Result<Values, Diagnostic> {
        if let Some(n) = self.feed(value) {
            return Ok(Values::Feed(n));
        }
        let expected = "a model input or result 1 of emb.sparse_from_dense / emb.bucketized_sparse";
        let op = defining(value).filter(|_| result_number(value) == Some(1));
        if let Some(bucketized) = op.and_then(emb::BucketizedSparseOp::wrap) {
            let o = bucketized.op();
            return Ok(Values::Bucketized {
                feed: self.feed_of(o, "the dense input of emb.bucketized_sparse", bucketized.dense())?,
                boundaries: bucketized.boundaries().map_err(attr_error(o))?,
            });
        }
        if let Some(dense) = op.and_then(emb::SparseFromDenseOp::wrap) {
            let o = dense.op();
            return Ok(Values::Dense {
                feed: self.feed_of(o, "the dense input of emb.sparse_from_dense", dense.dense())?,
                ignore: ignore_of(&dense)?,
            });
        }
        Err(self.refuse(user, what, value, expected))
    }

    fn ids(&self, user: OperationRef<'c, 'a>, value: Value<'c, 'a>) -> Result<IdSource, Diagnostic> {
        let what = "a column's ids";
        let Some(op) = defining(value) else {
            return self.values(user, what, value).map(IdSource::Values);
        };
        if let Some(numeric) = emb::NumericInputOp::wrap(op) {
            expect_result(op, value, 0, what)?;
            return Ok(IdSource::Zeros { feed: self.feed_of(op, "the input of emb.numeric_input", numeric.dense())? });
        }
        if let Some(cross) = emb::CrossHashedOp::wrap(op) {
            expect_result(op, value, 1, what)?;
            let inputs = cross
                .inputs()
                .into_iter()
                .map(|[indices, values, shape]| {
                    let (values, fingerprint) = match defining(values).and_then(emb::FingerprintOp::wrap) {
                        Some(f) => (f.values(), true),
                        None => (values, false),
                    };
                    Ok(CrossInput {
                        values: self.values(op, "a crossed input's values", values)?,
                        fingerprint,
                        rows: self.sparse_rows(op, indices, Some(shape))?,
                    })
                })
                .collect::<Result<Vec<_>, Diagnostic>>()?;
            let num_buckets = positive(op, "num_buckets", cross.num_buckets())?;
            return Ok(IdSource::Cross { inputs, num_buckets, hash_key: cross.hash_key().map_err(attr_error(op))? });
        }
        if let Some(hash) = emb::HashBucketOp::wrap(op) {
            return Ok(IdSource::Hash {
                values: self.values(op, "the input of emb.hash_bucket", hash.ids())?,
                buckets: positive(op, "num_buckets", hash.num_buckets())?,
            });
        }
        if let Some(vocabulary) = emb::VocabularyOp::wrap(op) {
            let keys = match vocabulary.keys().map_err(attr_error(op))? {
                emb::VocabKeys::Str(k) => Keys::Str(k),
                emb::VocabKeys::I64(k) => Keys::I64(k),
            };
            let oov = vocabulary.num_oov_buckets().map_err(attr_error(op))?;
            let oov_buckets = u64::try_from(oov).map_err(|_| attr_error(op)(AttrError::new("num_oov_buckets", "must be >= 0")))?;
            return Ok(IdSource::Vocabulary {
                values: self.values(op, "the input of emb.vocabulary", vocabulary.input())?,
                keys,
                default: vocabulary.default_id().map_err(attr_error(op))?,
                oov_buckets,
            });
        }
        self.values(user, what, value).map(IdSource::Values)
    }

    fn weights(&self, user: OperationRef<'c, 'a>, value: Value<'c, 'a>) -> Result<WeightSource, Diagnostic> {
        if let Some(n) = self.feed(value) {
            return Ok(WeightSource::Feed(n));
        }
        let expected = "a model input or result 2 of emb.numeric_input";
        let Some(numeric) = defining(value).and_then(emb::NumericInputOp::wrap) else {
            return Err(self.refuse(user, "a column's weights", value, expected));
        };
        let op = numeric.op();
        expect_result(op, value, 2, "a column's weights")?;
        let column = numeric.column().map_err(attr_error(op))?;
        Ok(WeightSource::Numeric {
            feed: self.feed_of(op, "the input of emb.numeric_input", numeric.dense())?,
            column: usize::try_from(column).map_err(|_| attr_error(op)(AttrError::new("column", "must be >= 0")))?,
            normalizer: numeric.normalizer().map_err(attr_error(op))?.map(|n| (n.shift as f32, n.scale as f32)),
        })
    }

    fn rows(&self, user: OperationRef<'c, 'a>, value: Value<'c, 'a>) -> Result<RowSource, Diagnostic> {
        if let Some(n) = self.feed(value) {
            return Ok(RowSource::Feed(n));
        }
        let op = defining(value);
        if let Some(numeric) = op.and_then(emb::NumericInputOp::wrap) {
            expect_result(numeric.op(), value, 1, "a column's row offsets")?;
            return Ok(RowSource::OnePerRow { feed: self.feed_of(numeric.op(), "the input of emb.numeric_input", numeric.dense())? });
        }
        match op.and_then(emb::CooRowsOp::wrap) {
            Some(coo) => self.sparse_rows(coo.op(), coo.indices(), coo.dense_shape()),
            None => Err(self.refuse(user, "a column's row offsets", value, "a model input, emb.coo_rows or emb.numeric_input")),
        }
    }

    /// The rows of a SparseTensor given as (indices, dense_shape).
    fn sparse_rows(
        &self,
        user: OperationRef<'c, 'a>,
        indices: Value<'c, 'a>,
        shape: Option<Value<'c, 'a>>,
    ) -> Result<RowSource, Diagnostic> {
        let Some(shape) = shape else {
            return Ok(RowSource::Coo { indices: self.feed_of(user, "a SparseTensor's indices", indices)?, dense_shape: None });
        };
        if let (Some(i), Some(s)) = (self.feed(indices), self.feed(shape)) {
            return Ok(RowSource::Coo { indices: i, dense_shape: Some(s) });
        }
        // Both from one emb.sparse_from_dense / emb.bucketized_sparse / emb.cross_hashed (results 0 and 2).
        let expected = "model inputs, or results 0 and 2 of one emb.sparse_from_dense, emb.bucketized_sparse or emb.cross_hashed";
        let refuse = || self.refuse(user, "a SparseTensor's indices and dense shape", indices, expected);
        let (Some(op), Some(shape_op)) = (defining(indices), defining(shape)) else { return Err(refuse()) };
        if op.to_raw().ptr != shape_op.to_raw().ptr || (result_number(indices), result_number(shape)) != (Some(0), Some(2)) {
            return Err(refuse());
        }
        if let Some(bucketized) = emb::BucketizedSparseOp::wrap(op) {
            return Ok(RowSource::Every { feed: self.feed_of(op, "the dense input of emb.bucketized_sparse", bucketized.dense())? });
        }
        if emb::CrossHashedOp::wrap(op).is_some() {
            return Ok(RowSource::Cross);
        }
        match emb::SparseFromDenseOp::wrap(op) {
            Some(dense) => Ok(RowSource::Dense {
                feed: self.feed_of(op, "the dense input of emb.sparse_from_dense", dense.dense())?,
                ignore: ignore_of(&dense)?,
            }),
            None => Err(refuse()),
        }
    }
}

fn expect_result(op: OperationRef, value: Value, number: usize, what: &str) -> Result<(), Diagnostic> {
    match result_number(value) {
        Some(n) if n == number => Ok(()),
        n => Err(error_at(op, format!("{what} is result {} of '{}'; the host program takes result {number}", n.unwrap_or(0), op_name(op)))),
    }
}

fn positive(op: OperationRef, name: &str, value: Result<i64, AttrError>) -> Result<u64, Diagnostic> {
    let value = value.map_err(attr_error(op))?;
    u64::try_from(value).ok().filter(|&v| v > 0).ok_or_else(|| attr_error(op)(AttrError::new(name, format!("must be > 0, got {value}"))))
}

fn ignore_of(dense: &emb::SparseFromDenseOp) -> Result<Ignore, Diagnostic> {
    Ok(match dense.ignore_value().map_err(attr_error(dense.op()))? {
        emb::IgnoreValue::I64(v) => Ignore::I64(v),
        emb::IgnoreValue::Str(s) => Ignore::Str(s),
        emb::IgnoreValue::KeepAll => Ignore::KeepAll,
    })
}

/// A `kernel_*` attribute the lowering stamps on the fused op, in `range`.
fn kernel_attr(op: OperationRef, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, Diagnostic> {
    let value = kit::i64_attr(&op, name).map_err(|e| {
        error_at(op, format!("'emb.fused_columns' op {e} (was emb-lower-fused-columns run?)"))
    })?;
    if !range.contains(&value) {
        return Err(attr_error(op)(AttrError::new(name, format!("must be in [{}, {}], got {value}", range.start(), range.end()))));
    }
    Ok(value)
}

fn plan_of(fused: FusedColumnsOp) -> Result<Plan, Diagnostic> {
    let op = fused.op();
    let function = op
        .parent_operation()
        .filter(|f| kit::identifier_text(f.name()) == "func.func")
        .ok_or_else(|| error_at(op, "emb.fused_columns must be directly in a func.func (the model function)"))?;
    let columns = fused.columns().map_err(attr_error(op))?;
    let kernel = fused.kernel().ok_or_else(|| {
        error_at(op, "'emb.fused_columns' op attribute 'kernel' is missing (was emb-lower-fused-columns run?)")
    })?;
    let per_item = kernel_attr(op, "kernel_elements_per_item", 1..=8)? as usize;
    let rows_per_item = kernel_attr(op, "kernel_rows_per_item", 1..=16)? as usize;
    let index_bits = kernel_attr(op, "kernel_index_bits", 32..=64)?;
    if index_bits != 32 && index_bits != 64 {
        return Err(attr_error(op)(AttrError::new("kernel_index_bits", format!("must be 32 or 64, got {index_bits}"))));
    }
    let tables_op = defining(fused.tables())
        .and_then(PackedTablesOp::wrap)
        .ok_or_else(|| error_at(op, format!("the tables operand comes from {}, not emb.packed_tables", producer(fused.tables()))))?;
    let tables = tables_op.tables().map_err(attr_error(tables_op.op()))?;
    for (i, t) in tables.iter().enumerate() {
        if t.rows < 0 || t.dim <= 0 || t.rows.checked_mul(row_pitch(t.dim)).is_none() {
            return Err(attr_error(tables_op.op())(AttrError::new(
                "tables",
                format!("entry {i} ('{}'): {} x {} is not a table", t.name, t.rows, t.dim),
            )));
        }
    }
    let (offsets, _) = PackedTable::layout(&tables);
    let pack = defining(fused.row_offsets())
        .and_then(PackInputsOp::wrap)
        .ok_or_else(|| error_at(op, format!("the inputs come from {}, not emb.pack_inputs", producer(fused.row_offsets()))))?;
    let pack_op = pack.op();
    let ids = pack.group(0).map_err(attr_error(pack_op))?;
    let row_offsets = pack.group(1).map_err(attr_error(pack_op))?;
    let weights = pack.group(2).map_err(attr_error(pack_op))?;
    let weighted = columns.iter().filter(|c| c.weighted).count();
    if ids.len() != columns.len() || row_offsets.len() != columns.len() || weights.len() != weighted {
        return Err(error_at(
            pack_op,
            format!(
                "emb.pack_inputs has {} ids, {} row offsets and {} weights operands for {} columns ({weighted} weighted)",
                ids.len(),
                row_offsets.len(),
                weights.len(),
                columns.len()
            ),
        ));
    }
    let sources = Sources { function };
    let mut weights = weights.into_iter();
    let mut plans = Vec::with_capacity(columns.len());
    for (c, column) in columns.iter().enumerate() {
        let in_column = |d: Diagnostic| Diagnostic { message: format!("column {c}: {}", d.message), ..d };
        let table = offsets.iter().position(|&o| o == column.table_offset).ok_or_else(|| {
            attr_error(op)(AttrError::new("columns", format!("entry {c}: table_offset {} starts no packed table", column.table_offset)))
        })?;
        if (tables[table].rows, tables[table].dim) != (column.rows, column.dim) {
            return Err(attr_error(op)(AttrError::new(
                "columns",
                format!("entry {c}: {} x {} does not match its table '{}' ({} x {})", column.rows, column.dim, tables[table].name, tables[table].rows, tables[table].dim),
            )));
        }
        let weights = match column.weighted {
            true => Some(sources.weights(pack_op, weights.next().expect("counted above")).map_err(in_column)?),
            false => None,
        };
        plans.push(ColumnPlan {
            table,
            weighted: column.weighted,
            filter: column.filter,
            ids: sources.ids(pack_op, ids[c]).map_err(in_column)?,
            rows: sources.rows(pack_op, row_offsets[c]).map_err(in_column)?,
            weights,
        });
    }
    Ok(Plan {
        function: function.attribute("sym_name").ok().and_then(kit::string_value).map(|s| s.into_owned()).unwrap_or_default(),
        kernel,
        feeds: feed_specs(function),
        tables: tables
            .iter()
            .zip(&offsets)
            .map(|(t, &o)| TableSlot {
                name: t.name.clone(),
                rows: t.rows as usize,
                dim: t.dim as usize,
                pitch: row_pitch(t.dim) as usize,
                offset: o as usize,
            })
            .collect(),
        columns: plans,
        width: columns.iter().map(|c| c.dim as usize).sum(),
        columns_meta: encode_columns(&columns),
        items: encode_items(&columns, per_item),
        per_item,
        rows_per_item,
        index_bits: index_bits as u32,
        shapes: shape_program(function, &ids, &row_offsets)?,
    })
}

/// The layer's host shape program: the `symshape.shape_construct` with
/// `roles` (made by `emb-shape-construct`) whose symbols are dims of the
/// layer's packed inputs. `None` where the pipeline made none.
fn shape_program(function: OperationRef, ids: &[Value], offsets: &[Value]) -> Result<Option<ShapeProgram>, Diagnostic> {
    let mut found = None;
    function.walk(WalkOrder::PreOrder, |op| {
        if recom_symshape::ShapeConstructOp::wrap(op).is_some() && op.has_attribute("roles") && found.is_none() {
            found = Some(op.to_raw());
        }
        WalkResult::Advance
    });
    let Some(raw) = found else { return Ok(None) };
    let op = unsafe { OperationRef::from_raw(raw) };
    let construct = recom_symshape::ShapeConstructOp::wrap(op).expect("found by wrap");
    let same = |a: Value, b: &Value| a.to_raw().ptr == b.to_raw().ptr;
    let symbols = construct
        .symbols()
        .enumerate()
        .map(|(i, s)| {
            let refuse = |why: &str| error_at(op, format!("symbol {i} of the layer's shape program {why}"));
            let symbol = defining(s).and_then(recom_symshape::SymbolOp::wrap).ok_or_else(|| refuse("is not a symshape.symbol"))?;
            let source = symbol.source().ok_or_else(|| refuse("has no source value"))?;
            if let Some(c) = offsets.iter().position(|o| same(source, o)) {
                return Ok(ShapeSymbol::OffsetsLen(c));
            }
            ids.iter().position(|v| same(source, v)).map(ShapeSymbol::IdsLen).ok_or_else(|| refuse("is not a size of a column's ids or row offsets"))
        })
        .collect::<Result<Vec<_>, Diagnostic>>()?;
    let exprs = construct.expr_texts().map_err(attr_error(op))?.into_iter().map(|e| e.into_owned()).collect();
    let roles = kit::str_array_attr(&op, "roles").map_err(attr_error(op))?.into_iter().map(|r| r.into_owned()).collect();
    Ok(Some(ShapeProgram { symbols, exprs, roles }))
}

/// The function's arguments as model inputs: element type, static shape and
/// the `recom.feed` name (`arg<N>` without one).
fn feed_specs(func: OperationRef) -> Vec<FeedSpec> {
    use melior::ir::{
        attribute::{ArrayAttribute, DictionaryAttribute},
        BlockLike, RegionLike,
    };
    let Some(block) = func.region(0).ok().and_then(|r| r.first_block()) else { return Vec::new() };
    let arg_attrs = func.attribute("arg_attrs").ok().and_then(|a| ArrayAttribute::try_from(a).ok());
    (0..block.argument_count())
        .map(|i| {
            let argument = block.argument(i).expect("counted");
            let name = arg_attrs
                .as_ref()
                .and_then(|a| a.element(i).ok())
                .and_then(|d| DictionaryAttribute::try_from(d).ok())
                .and_then(|d| d.element_by_name("recom.feed"))
                .and_then(kit::string_value)
                .map(|s| s.into_owned())
                .unwrap_or_else(|| format!("arg{i}"));
            let ty = argument.r#type();
            let dtype = match kit::Elem::element_of(ty) {
                kit::Elem::Str => FeedType::Str,
                kit::Elem::F32 => FeedType::F32,
                _ => FeedType::I64,
            };
            let shape = kit::TensorInfo::of(ty).map(|t| t.shape.iter().map(|d| d.unwrap_or(-1)).collect());
            FeedSpec { name, dtype, shape }
        })
        .collect()
}
