//! `emb-fuse-columns`: every column that feeds an `emb.concat` becomes part
//! of ONE `emb.fused_columns` op.
//!
//! [Pattern: concat of lookups]
//! IN:  %l_i = emb.lookup(emb.table{name_i}, [emb.range_filter](%ids_i), %offsets_i, [%w_i])
//!      %out = emb.concat(%l_0, ..., %l_n)
//! OUT: %tables = emb.packed_tables {tables = [distinct tables]}
//!      %ids, %offsets, %weights = emb.pack_inputs(%ids_*, %offsets_*, %w_*)
//!      %out = emb.fused_columns(%tables, %ids, %offsets, %weights) {columns = [...], schedule = "element"}
//!
//! Tables shared by several columns (same name) are packed once. A range
//! filter that directly produces a lookup's ids is absorbed into the column
//! (its `filter_*` fields); with `id-transforms=kernel`, so is the
//! `emb.hash_bucket` or `emb.vocabulary` of i64 or string ids that produces
//! them (directly or through that filter), and an `emb.bucketized_sparse`
//! whose ids only this lookup reads (replaced by `emb.float_entries`, the
//! dense entries raw): the column's ids are then the raw values (strings:
//! `emb.string_refs`, references into the request's bytes) and the kernel
//! transforms them (`transform`), so the host ships each value once instead
//! of transforming it. Lookups, filters, transforms and tables left without
//! users are erased. The pattern does not fire (`negative_` tests) when an operand of the
//! concat is not an `emb.lookup`, or a table is not an `emb.table` of f32.
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Type, Value, ValueLike,
    },
    Context, PatternRewriter,
};
use recom_emb::{self as emb, FusedColumn, FusedInputs, PackedTable, Schedule};
use recom_ir::rewrite::Pattern;
use recom_ir::{registry::PassFailure, OptionDef, OptionKind, OptionValues};
use recom_ir::kit::{Elem, TensorInfo};

pub static PASS: recom_ir::PassDef = recom_ir::PassDef {
    argument: "emb-fuse-columns",
    name: "EmbFuseColumns",
    summary: "Fuse the columns feeding each emb.concat into one emb.fused_columns over packed inputs",
    description: "Rewrites emb.concat of emb.lookup results into emb.packed_tables + emb.pack_inputs + \
                  emb.fused_columns, absorbing range filters, packing shared tables once and, with \
                  id-transforms=kernel, absorbing the hashes and vocabularies of i64 and string ids and \
                  bucketized columns.",
    anchor: None,
    options: &[ID_TRANSFORMS],
    run,
};

/// Where an `emb.hash_bucket` that produces a column's ids runs.
pub const ID_TRANSFORMS: OptionDef = OptionDef {
    name: "id-transforms",
    description: "where hashes, vocabularies and bucketize of a column's ids run: host (the host program) or kernel (absorbed into the \
                  column; the host ships raw values). Host by default: on an H200 with 16 host cores the kernel's \
                  per-id hashing made medium's requests 1.2-1.5x slower (bench/results/2026-12-01-h200-id-transforms.md)",
    kind: OptionKind::Enum(&["host", "kernel"]),
    default: "host",
};

thread_local! {
    /// `id-transforms=kernel` for the rewrite running on this thread (the
    /// patterns are plain functions; the pass sets it around `apply`).
    static ABSORB_TRANSFORMS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn run(options: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    let patterns = vec![Pattern {
        root: emb::ConcatOp::NAME,
        generates: &[emb::StringRefsOp::NAME, emb::PackedTablesOp::NAME, emb::PackInputsOp::NAME, emb::FusedColumnsOp::NAME],
        rewrite: fuse_concat,
    }];
    ABSORB_TRANSFORMS.with(|a| a.set(options.str(&ID_TRANSFORMS) == "kernel"));
    let result = recom_ir::rewrite::apply(PASS.argument, root, &patterns);
    ABSORB_TRANSFORMS.with(|a| a.set(false));
    result
}

fn defining_op<'c, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    recom_ir::ext::op_result(value).map(|r| r.owner())
}

fn has_uses(value: Value) -> bool {
    recom_ir::ext::has_uses(value)
}

/// One matched column, before rewriting.
struct Matched<'c, 'a> {
    lookup: OperationRef<'c, 'a>,
    filter: Option<OperationRef<'c, 'a>>,
    /// The absorbed `emb.hash_bucket` or `emb.vocabulary`.
    producer: Option<OperationRef<'c, 'a>>,
    /// The absorbed `emb.bucketized_sparse` (its lookup reads its ids):
    /// replaced by an `emb.float_entries` whose entries the column reads.
    bucketized: Option<OperationRef<'c, 'a>>,
    table: OperationRef<'c, 'a>,
    name: String,
    rows: i64,
    dim: i64,
    ids: Value<'c, 'a>,
    column: FusedColumn,
}

fn match_column<'c, 'a>(value: Value<'c, 'a>) -> Option<Matched<'c, 'a>> {
    let lookup = emb::LookupOp::wrap(defining_op(value)?)?;
    let table = emb::TableOp::wrap(defining_op(lookup.table())?)?;
    let info = TensorInfo::of(table.table().r#type())?;
    let (Some(rows), Some(dim)) = (info.shape[0], info.shape[1]) else { return None };
    if info.elem != Elem::F32 {
        return None;
    }
    let (ids, filter, id_filter) = match defining_op(lookup.ids()).and_then(emb::RangeFilterOp::wrap) {
        Some(f) => (f.ids(), Some(f.op()), Some(f.filter().ok()?)),
        None => (lookup.ids(), None, None),
    };
    let absorb = ABSORB_TRANSFORMS.with(|a| a.get());
    let (ids, producer, bucketized, transform) = if absorb { absorbed_transform(ids) } else { None }.unwrap_or((ids, None, None, None));
    Some(Matched {
        lookup: lookup.op(),
        filter,
        producer,
        bucketized,
        table: table.op(),
        name: table.name().ok()?.into_owned(),
        rows,
        dim,
        ids,
        column: FusedColumn {
            table_offset: 0, // set once tables are packed
            rows,
            dim,
            combiner: lookup.combiner().ok()?,
            weighted: lookup.weights().is_some(),
            on_out_of_range: lookup.on_out_of_range().ok()?,
            filter: id_filter,
            transform,
        },
    })
}

/// What an absorbed transform makes of a column whose ids (after its
/// filter) are `ids`: the raw values it reads, the op producing the ids
/// (erased when dead), the `emb.bucketized_sparse` to replace, and the
/// transform. None: nothing to absorb (the ids stay as they are).
#[allow(clippy::type_complexity)]
fn absorbed_transform<'c, 'a>(
    ids: Value<'c, 'a>,
) -> Option<(Value<'c, 'a>, Option<OperationRef<'c, 'a>>, Option<OperationRef<'c, 'a>>, Option<emb::IdTransform>)> {
    let producer = defining_op(ids)?;
    let elem = |v: Value| TensorInfo::of(v.r#type()).map(|t| t.elem);
    if let Some(h) = emb::HashBucketOp::wrap(producer) {
        let buckets = h.num_buckets().ok().filter(|&b| b > 0)? as u64;
        let transform = match elem(h.ids())? {
            Elem::Int(64) => emb::IdTransform::IntHashBucket { buckets },
            Elem::Str => emb::IdTransform::StrHashBucket { buckets },
            _ => return None,
        };
        return Some((h.ids(), Some(producer), None, Some(transform)));
    }
    if let Some(v) = emb::VocabularyOp::wrap(producer) {
        let keys = v.keys().ok()?;
        let input_fits = match (&keys, elem(v.input())?) {
            (emb::Keys::I64(_), Elem::Int(64)) | (emb::Keys::Str(_), Elem::Str) => true,
            _ => false,
        };
        let transform = emb::IdTransform::Vocabulary {
            keys,
            default: v.default_id().ok()?,
            oov_buckets: u64::try_from(v.num_oov_buckets().ok()?).ok()?,
            first: v.first_id().ok()?,
            oov_base: v.oov_base().ok()?,
        };
        // String keys whose fingerprints collide stay on the host.
        if !input_fits || transform.check().is_err() {
            return None;
        }
        return Some((v.input(), Some(producer), None, Some(transform)));
    }
    // A bucketized column's ids, read by this lookup alone.
    let result = recom_ir::ext::op_result(ids)?;
    let sparse = emb::BucketizedSparseOp::wrap(producer)?;
    if result.result_number() != 1 || recom_ir::ext::use_count(ids) != 1 {
        return None;
    }
    let transform = emb::IdTransform::Bucketize { boundaries: sparse.boundaries().ok()? };
    transform.check().ok()?;
    Some((ids, None, Some(producer), Some(transform)))
}

fn unique<'c, 'a>(ops: impl Iterator<Item = OperationRef<'c, 'a>>) -> Vec<OperationRef<'c, 'a>> {
    let mut seen: Vec<OperationRef> = Vec::new();
    for op in ops {
        if !seen.iter().any(|s| s.to_raw().ptr == op.to_raw().ptr) {
            seen.push(op);
        }
    }
    seen
}

fn fuse_concat(concat: OperationRef, rewriter: PatternRewriter) -> bool {
    let Some(matched) = concat.operands().map(match_column).collect::<Option<Vec<_>>>() else {
        return false;
    };
    if matched.is_empty() {
        return false;
    }
    let context_ref = concat.context();
    let context: &Context = unsafe { context_ref.to_ref() };
    let location = concat.location();

    // Distinct tables in first-use order; shared names map to one slot.
    let mut tables: Vec<PackedTable> = Vec::new();
    let mut columns = Vec::with_capacity(matched.len());
    for m in &matched {
        let slot = match tables.iter().position(|t| t.name == m.name) {
            Some(i) if tables[i].rows == m.rows && tables[i].dim == m.dim => i,
            // Same name, different shape: recom-verify rejects this; do not fuse.
            Some(_) => return false,
            None => {
                tables.push(PackedTable { name: m.name.clone(), rows: m.rows, dim: m.dim });
                tables.len() - 1
            }
        };
        columns.push(slot);
    }
    let (offsets, total) = PackedTable::layout(&tables);
    let columns: Vec<FusedColumn> = matched
        .iter()
        .zip(&columns)
        .map(|(m, &slot)| FusedColumn { table_offset: offsets[slot], ..m.column.clone() })
        .collect();

    let f32t = Type::float32(context);
    let i64t = melior::ir::r#type::IntegerType::new(context, 64).into();
    let dynamic = |elem| melior::ir::r#type::RankedTensorType::new(&[i64::MIN as u64], elem, None).into();
    let static_1d = melior::ir::r#type::RankedTensorType::new(&[total as u64], f32t, None).into();

    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(concat);
    let packed_tables = base.insert(emb::packed_tables(context, location, &tables, static_1d));
    // A bucketized column reads its raw entries: emb.float_entries
    // replaces its emb.bucketized_sparse (indices and dense shape alike).
    let mut entries: Vec<(OperationRef, Value)> = Vec::new();
    for sparse in unique(matched.iter().filter_map(|m| m.bucketized)) {
        let view = emb::BucketizedSparseOp::wrap(sparse).expect("matched as one");
        let types: Vec<Type> = (0..3).map(|i| sparse.result(i).unwrap().r#type()).collect();
        base.set_insertion_point_after(sparse);
        let raw = base.insert(emb::float_entries(sparse.location(), view.dense(), [types[0], types[1], types[2]]));
        for i in [0, 2] {
            recom_ir::ext::replace_all_uses(sparse.result(i).unwrap().into(), raw.result(i).unwrap().into());
        }
        entries.push((sparse, raw.result(1).unwrap().into()));
    }
    base.set_insertion_point_before(concat);
    // A string column's packed ids are references to its strings.
    let ids: Vec<Value> = matched
        .iter()
        .map(|m| match (&m.column.transform, m.bucketized) {
            (_, Some(sparse)) => entries.iter().find(|(s, _)| s.to_raw().ptr == sparse.to_raw().ptr).expect("replaced above").1,
            (Some(t), None) if t.takes_strings() => base.insert(emb::string_refs(location, m.ids, dynamic(i64t))).result(0).unwrap().into(),
            _ => m.ids,
        })
        .collect();
    let row_offsets: Vec<Value> = matched.iter().map(|m| emb::LookupOp::wrap(m.lookup).unwrap().row_offsets()).collect();
    let weights: Vec<Value> = matched.iter().filter_map(|m| emb::LookupOp::wrap(m.lookup).unwrap().weights()).collect();
    let weighted: Vec<bool> = columns.iter().map(|c| c.weighted).collect();
    let packed = base.insert(emb::pack_inputs(
        context,
        location,
        &ids,
        &row_offsets,
        &weights,
        &weighted,
        [dynamic(i64t), dynamic(i64t), dynamic(f32t)],
    ));
    let result_type = concat.result(0).expect("concat has a result").r#type();
    let fused = base.insert(emb::fused_columns(
        context,
        location,
        FusedInputs {
            tables: packed_tables.result(0).unwrap().into(),
            ids: packed.result(0).unwrap().into(),
            row_offsets: packed.result(1).unwrap().into(),
            weights: packed.result(2).unwrap().into(),
        },
        &columns,
        Schedule::Element,
        result_type,
    ));
    base.replace_op_with_operation(concat, fused);

    // Erase what became dead, users before producers; each op once (columns
    // may share a lookup, a filter or a table).
    let lookups = unique(matched.iter().map(|m| m.lookup));
    let filters = unique(matched.iter().filter_map(|m| m.filter));
    let producers = unique(matched.iter().filter_map(|m| m.producer));
    let bucketized = unique(matched.iter().filter_map(|m| m.bucketized));
    let tables = unique(matched.iter().map(|m| m.table));
    for op in lookups.into_iter().chain(filters).chain(producers).chain(bucketized).chain(tables) {
        if !op.results().any(|r| has_uses(r.into())) {
            base.erase_op(op);
        }
    }
    true
}
