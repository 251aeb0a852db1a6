//! From `emb` IR to a compiled model: the host [`Plan`] (what the runtime
//! does per request) plus a kernel module (the loop function, alone, ready for
//! the CPU or GPU lowering).
use crate::Error;
use melior::{
    ir::{
        block::BlockArgument,
        operation::{OperationLike, OperationRef, OperationResult, WalkOrder, WalkResult},
        BlockLike, Location, Module, Value,
    },
    pass::PassManager,
    Context,
};
use recom_emb::{kernel_meta, FusedColumnsOp, PackInputsOp, PackedTable, PackedTablesOp};
use recom_ir::{Diagnostic, DiagnosticCapture, Severity, SourceLocation};
use recom_runtime::{
    host::{CrossInput, FeedSpec, FeedType, IdSource, Ignore, Keys, RowSource, Values, WeightSource},
    plan::{ColumnPlan, Plan, TableSlot},
    shape::{ShapeProgram, ShapeSymbol},
};

/// A model compiled down to its kernel module.
pub struct Compiled<'c> {
    pub plan: Plan,
    /// The kernel function alone in a module, still at the loop level.
    pub kernel_module: Module<'c>,
}

fn unsupported(op: OperationRef, message: String) -> Error {
    Error::Failed(vec![Diagnostic::new(Severity::Error, SourceLocation::from_mlir(op.location()), message)])
}

/// Runs `recom-default` on `module` and extracts the plan of its one fused
/// embedding layer.
pub fn compile<'c>(context: &'c Context, module: &mut Module<'c>) -> Result<Compiled<'c>, Error> {
    compile_with(context, module, "")
}

/// [`compile`] with `recom-default` options in MLIR's syntax, e.g.
/// `"elements-per-item=2"`.
pub fn compile_with<'c>(context: &'c Context, module: &mut Module<'c>, options: &str) -> Result<Compiled<'c>, Error> {
    let capture = DiagnosticCapture::attach(context);
    let pm = PassManager::new(context);
    crate::add_pipeline(&pm, &format!("builtin.module(recom-default{{{options}}})"))?;
    if pm.run(module).is_err() {
        return Err(Error::Failed(capture.take()));
    }
    drop(capture);

    let mut fused = Vec::new();
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if FusedColumnsOp::wrap(op).is_some() {
            fused.push(op.to_raw());
        }
        WalkResult::Advance
    });
    let op = match fused[..] {
        [one] => unsafe { OperationRef::from_raw(one) },
        _ => {
            return Err(unsupported(
                module.as_operation(),
                format!("expected one fused embedding layer (an emb.concat of lookups), found {}", fused.len()),
            ))
        }
    };
    let plan = plan_of(FusedColumnsOp::wrap(op).unwrap())?;

    // The kernel, cloned into a module of its own.
    let kernel_module = Module::new(Location::new(context, &plan.kernel, 0, 0));
    let mut kernel = None;
    let mut next = module.body().first_operation();
    while let Some(f) = next {
        let name = f.attribute("sym_name").ok().and_then(recom_ir::kit::string_value);
        if name.as_deref() == Some(plan.kernel.as_str()) {
            kernel = Some(f.to_raw());
        }
        next = f.next_in_block();
    }
    let kernel = kernel.ok_or_else(|| unsupported(op, format!("kernel @{} is missing", plan.kernel)))?;
    let clone = unsafe { melior::ir::Operation::from_raw(mlir_sys::mlirOperationClone(kernel)) };
    kernel_module.body().append_operation(clone);
    Ok(Compiled { plan, kernel_module })
}

fn defining<'c, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    OperationResult::try_from(value).ok().map(|r| r.owner())
}

/// The function argument `value` is, if it is one.
fn argument_number(value: Value) -> Option<usize> {
    BlockArgument::try_from(value).ok().map(|a| a.argument_number())
}

/// A column's raw values on the host: a function argument or the values of
/// an `emb.sparse_from_dense` of one.
fn values_source(value: Value) -> Option<Values> {
    if let Some(n) = argument_number(value) {
        return Some(Values::Feed(n));
    }
    if OperationResult::try_from(value).ok()?.result_number() != 1 {
        return None;
    }
    let op = defining(value)?;
    if let Some(bucketized) = recom_emb::BucketizedSparseOp::wrap(op) {
        return Some(Values::Bucketized { feed: argument_number(bucketized.dense())?, boundaries: bucketized.boundaries().ok()? });
    }
    let dense = recom_emb::SparseFromDenseOp::wrap(op)?;
    Some(Values::Dense { feed: argument_number(dense.dense())?, ignore: ignore_of(&dense)? })
}

fn ignore_of(dense: &recom_emb::SparseFromDenseOp) -> Option<Ignore> {
    Some(match dense.ignore_value().ok()? {
        recom_emb::IgnoreValue::I64(v) => Ignore::I64(v),
        recom_emb::IgnoreValue::Str(s) => Ignore::Str(s),
        recom_emb::IgnoreValue::KeepAll => Ignore::KeepAll,
    })
}

/// The host-side source of a column's ids: its values, possibly hashed or
/// looked up in a vocabulary.
fn id_source(value: Value) -> Option<IdSource> {
    if let Some(values) = values_source(value) {
        return Some(IdSource::Values(values));
    }
    if let Some(feed) = numeric_feed(value, 0) {
        return Some(IdSource::Zeros { feed });
    }
    let op = defining(value)?;
    if let Some(cross) = recom_emb::CrossHashedOp::wrap(op) {
        if OperationResult::try_from(value).ok()?.result_number() != 1 {
            return None;
        }
        let inputs = cross
            .inputs()
            .into_iter()
            .map(|[indices, values, shape]| {
                let (values, fingerprint) = match defining(values).and_then(recom_emb::FingerprintOp::wrap) {
                    Some(f) => (f.values(), true),
                    None => (values, false),
                };
                Some(CrossInput { values: values_source(values)?, fingerprint, rows: rows_of_pair(indices, Some(shape))? })
            })
            .collect::<Option<Vec<_>>>()?;
        return Some(IdSource::Cross { inputs, num_buckets: cross.num_buckets().ok()? as u64, hash_key: cross.hash_key().ok()? });
    }
    if let Some(hash) = recom_emb::HashBucketOp::wrap(op) {
        return Some(IdSource::Hash { values: values_source(hash.ids())?, buckets: hash.num_buckets().ok()? as u64 });
    }
    if let Some(vocabulary) = recom_emb::VocabularyOp::wrap(op) {
        let keys = match vocabulary.keys().ok()? {
            recom_emb::VocabKeys::Str(k) => Keys::Str(k),
            recom_emb::VocabKeys::I64(k) => Keys::I64(k),
        };
        return Some(IdSource::Vocabulary {
            values: values_source(vocabulary.input())?,
            keys,
            default: vocabulary.default_id().ok()?,
            oov_buckets: vocabulary.num_oov_buckets().ok()? as u64,
        });
    }
    None
}

/// Where a column's weights come from: an argument, or a numeric column.
fn weight_source(value: Value) -> Option<WeightSource> {
    if let Some(n) = argument_number(value) {
        return Some(WeightSource::Feed(n));
    }
    let numeric = recom_emb::NumericInputOp::wrap(defining(value)?)?;
    (OperationResult::try_from(value).ok()?.result_number() == 2).then_some(())?;
    Some(WeightSource::Numeric {
        feed: argument_number(numeric.dense())?,
        column: numeric.column().ok()? as usize,
        normalizer: numeric.normalizer().ok()?.map(|n| (n.shift as f32, n.scale as f32)),
    })
}

/// The numeric input `value` is result `k` of, with its feed.
fn numeric_feed(value: Value, k: usize) -> Option<usize> {
    let numeric = recom_emb::NumericInputOp::wrap(defining(value)?)?;
    (OperationResult::try_from(value).ok()?.result_number() == k).then_some(())?;
    argument_number(numeric.dense())
}

/// The host-side source of a column's row offsets.
fn row_source(value: Value) -> Option<RowSource> {
    if let Some(n) = argument_number(value) {
        return Some(RowSource::Feed(n));
    }
    if let Some(feed) = numeric_feed(value, 1) {
        return Some(RowSource::OnePerRow { feed });
    }
    let coo = recom_emb::CooRowsOp::wrap(defining(value)?)?;
    rows_of_pair(coo.indices(), coo.dense_shape())
}

/// The rows of a SparseTensor given as (indices, dense_shape) values.
fn rows_of_pair(indices: Value, shape: Option<Value>) -> Option<RowSource> {
    let Some(shape) = shape else {
        return Some(RowSource::Coo { indices: argument_number(indices)?, dense_shape: None });
    };
    if let (Some(i), Some(s)) = (argument_number(indices), argument_number(shape)) {
        return Some(RowSource::Coo { indices: i, dense_shape: Some(s) });
    }
    // Both from one emb.sparse_from_dense / emb.bucketized_sparse (results 0 and 2).
    let op = defining(indices)?;
    let same_op = defining(shape).is_some_and(|d| d.to_raw().ptr == op.to_raw().ptr);
    let numbers = (OperationResult::try_from(indices).ok()?.result_number(), OperationResult::try_from(shape).ok()?.result_number());
    (same_op && numbers == (0, 2)).then_some(())?;
    if let Some(bucketized) = recom_emb::BucketizedSparseOp::wrap(op) {
        return Some(RowSource::Every { feed: argument_number(bucketized.dense())? });
    }
    if recom_emb::CrossHashedOp::wrap(op).is_some() {
        return Some(RowSource::Cross);
    }
    let dense = recom_emb::SparseFromDenseOp::wrap(op)?;
    Some(RowSource::Dense { feed: argument_number(dense.dense())?, ignore: ignore_of(&dense)? })
}

/// The layer's host shape program: the `symshape.shape_construct` with
/// `roles` whose symbols are dims of the layer's packed inputs.
fn shape_program(func: OperationRef, ids: &[Value], offsets: &[Value]) -> Option<ShapeProgram> {
    use melior::ir::operation::WalkOrder;
    let mut found = None;
    func.walk(WalkOrder::PreOrder, |op| {
        if let Some(construct) = recom_symshape::ShapeConstructOp::wrap(op) {
            if op.has_attribute("roles") && found.is_none() {
                found = program_of(construct, ids, offsets);
            }
        }
        WalkResult::Advance
    });
    found
}

fn program_of(construct: recom_symshape::ShapeConstructOp, ids: &[Value], offsets: &[Value]) -> Option<ShapeProgram> {
    use melior::ir::ValueLike;
    let same = |a: Value, b: &Value| a.to_raw().ptr == b.to_raw().ptr;
    let symbols = construct
        .symbols()
        .map(|s| {
            let symbol = recom_symshape::SymbolOp::wrap(defining(s)?)?;
            let source = symbol.source()?;
            if let Some(c) = offsets.iter().position(|o| same(source, o)) {
                return Some(ShapeSymbol::OffsetsLen(c));
            }
            ids.iter().position(|i| same(source, i)).map(ShapeSymbol::IdsLen)
        })
        .collect::<Option<Vec<_>>>()?;
    let exprs = construct.expr_texts().ok()?.into_iter().map(|e| e.into_owned()).collect();
    let roles = recom_ir::kit::str_array_attr(&construct.op(), "roles").ok()?.into_iter().map(|r| r.into_owned()).collect();
    Some(ShapeProgram { symbols, exprs, roles })
}

/// The function's arguments as model inputs: element type, static shape and
/// the `recom.feed` name (`arg<N>` without one).
fn feed_specs(func: OperationRef) -> Vec<FeedSpec> {
    use melior::ir::{attribute::{ArrayAttribute, DictionaryAttribute}, RegionLike, TypeLike, ValueLike};
    let Some(block) = func.region(0).ok().and_then(|r| r.first_block()) else { return Vec::new() };
    let arg_attrs = func.attribute("arg_attrs").ok().and_then(|a| ArrayAttribute::try_from(a).ok());
    (0..block.argument_count())
        .map(|i| {
            let argument = block.argument(i).unwrap();
            let name = arg_attrs
                .as_ref()
                .and_then(|a| a.element(i).ok())
                .and_then(|d| DictionaryAttribute::try_from(d).ok())
                .and_then(|d| d.element_by_name("recom.feed"))
                .and_then(recom_ir::kit::string_value)
                .map(|s| s.into_owned())
                .unwrap_or_else(|| format!("arg{i}"));
            let ty = argument.r#type();
            let element = unsafe {
                if mlir_sys::mlirTypeIsAShaped(ty.to_raw()) {
                    recom_ir::kit::Elem::of(melior::ir::Type::from_raw(mlir_sys::mlirShapedTypeGetElementType(ty.to_raw())))
                } else {
                    recom_ir::kit::Elem::Other
                }
            };
            let dtype = match element {
                recom_ir::kit::Elem::Str => FeedType::Str,
                recom_ir::kit::Elem::F32 => FeedType::F32,
                _ => FeedType::I64,
            };
            let shape = recom_ir::kit::TensorInfo::of(ty).map(|t| t.shape.iter().map(|d| d.unwrap_or(-1)).collect());
            FeedSpec { name, dtype, shape }
        })
        .collect()
}

fn plan_of(fused: FusedColumnsOp) -> Result<Plan, Error> {
    let op = fused.op();
    let attr_error = |e: recom_ir::kit::AttrError| unsupported(op, format!("'emb.fused_columns' op {e}"));
    let columns = fused.columns().map_err(attr_error)?;
    let per_item = recom_ir::kit::i64_attr(&op, "kernel_elements_per_item").map_err(attr_error)? as usize;
    let kernel = fused.kernel().ok_or_else(|| unsupported(op, "emb.fused_columns was not lowered to a kernel".into()))?;
    let tables_op = defining(fused.tables())
        .and_then(PackedTablesOp::wrap)
        .ok_or_else(|| unsupported(op, "the tables operand must come from emb.packed_tables".into()))?;
    let tables = tables_op.tables().map_err(attr_error)?;
    let (offsets, _) = PackedTable::layout(&tables);
    let pack = defining(fused.row_offsets())
        .and_then(PackInputsOp::wrap)
        .ok_or_else(|| unsupported(op, "the inputs must come from emb.pack_inputs".into()))?;
    let ids = pack.group(0).map_err(attr_error)?;
    let row_offsets = pack.group(1).map_err(attr_error)?;
    let mut weights = pack.group(2).map_err(attr_error)?.into_iter();
    let not_run = |what: &str, c: usize, v: Value| -> Error {
        let producer = defining(v).map(|p| recom_ir::kit::identifier_text(p.name()).into_owned()).unwrap_or_default();
        unsupported(
            defining(v).unwrap_or(op),
            format!("column {c}: the {what} come from '{producer}', which the runtime's host program does not run"),
        )
    };
    let mut plans = Vec::with_capacity(columns.len());
    for (c, column) in columns.iter().enumerate() {
        let table = offsets.iter().position(|&o| o == column.table_offset).ok_or_else(|| {
            unsupported(op, format!("column {c}: table_offset {} starts no packed table", column.table_offset))
        })?;
        let weights = match column.weighted {
            true => {
                let w = weights.next().expect("verified weights count");
                Some(weight_source(w).ok_or_else(|| not_run("weights", c, w))?)
            }
            false => None,
        };
        plans.push(ColumnPlan {
            table,
            weighted: column.weighted,
            filter: column.filter,
            ids: id_source(ids[c]).ok_or_else(|| not_run("ids", c, ids[c]))?,
            rows: row_source(row_offsets[c]).ok_or_else(|| not_run("row offsets", c, row_offsets[c]))?,
            weights,
        });
    }
    let function = op
        .parent_operation()
        .and_then(|f| f.attribute("sym_name").ok())
        .and_then(recom_ir::kit::string_value)
        .map(|s| s.into_owned())
        .unwrap_or_default();
    let feeds = match op.parent_operation() {
        Some(func) => feed_specs(func),
        None => Vec::new(),
    };
    let shapes = op.parent_operation().and_then(|func| shape_program(func, &ids, &row_offsets));
    Ok(Plan {
        function,
        kernel,
        feeds,
        tables: tables
            .iter()
            .zip(&offsets)
            .map(|(t, &o)| TableSlot {
                name: t.name.clone(),
                rows: t.rows as usize,
                dim: t.dim as usize,
                pitch: recom_emb::row_pitch(t.dim) as usize,
                offset: o as usize,
            })
            .collect(),
        columns: plans,
        width: columns.iter().map(|c| c.dim as usize).sum(),
        columns_meta: kernel_meta::encode_columns(&columns),
        items: kernel_meta::encode_items(&columns, per_item),
        per_item,
        rows_per_item: recom_ir::kit::i64_attr(&op, "kernel_rows_per_item").map_err(attr_error)? as usize,
        index_bits: recom_ir::kit::i64_attr(&op, "kernel_index_bits").map_err(attr_error)? as u32,
        shapes,
    })
}
