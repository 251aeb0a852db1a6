//! `tf-raise-lookup`: a column's pooling becomes one `emb.lookup`.
//!
//! [Pattern: pooled column]
//! IN:  %t = "tf.Const"() {value_ref = "<table node>", value_shape = [R, D]}   [tf.Identity]*
//!      %y = "tf.SparseSegment{Sum,Mean,SqrtN}WithNumSegments"(%t, %ids,
//!              StridedSlice(%indices)[:, 0], StridedSlice(%dense_shape)[0])
//!      (optionally behind a kept prune: %ids = GatherV2(%v, %keep), %indices =
//!       GatherV2(%i, %keep) with %keep = Where(%v >= 0): the lookup drops
//!       ids < 0 itself, so it takes %v and %i)
//! OUT: %y = "emb.lookup"("emb.table"() {name = "<table node>"} : tensor<RxDxf32>, %ids,
//!              "emb.coo_rows"(%indices, %dense_shape)) {combiner, on_out_of_range = "error"}
//!
//! [Pattern: weighted column] (weighted_categorical_column; after tf-remove-unique)
//! IN:  %f:4 = SparseFillEmptyRows(%i', %ids', %shape, 0), %g:4 = SparseFillEmptyRows(%i'', %w', %shape, 1.0)
//!      %wr = Reshape(%g#1, _), %seg = Cast(StridedSlice(%f#0)[:, 0])
//!      %s = SegmentSum(Mul(GatherV2(%t, %f#1, 0), %wr), %seg)
//!      %p = %s (sum) | DivNoNan(%s, SegmentSum(%wr, %seg)) (mean)
//!           | DivNoNan(%s, Sqrt(SegmentSum(Pow(%wr, 2), %seg))) (sqrtn)
//!      %y = Select(Tile(Reshape(%f#2, _), _), ZerosLike(%p), %p)
//!      where %ids', %i', %w', %i'' are prunes of (%ids, %i, %w, %i) that drop ids < 0
//!      (and, for mean and sqrtn, weights <= 0)
//! OUT: %y = "emb.lookup"(table, %ids, "emb.coo_rows"(%i, %shape), %w) {combiner}
//! The lookup applies the prunes, empty rows and the weight rules itself, so
//! the fill and mask (the weighted form of tf-remove-fill-empty-rows) go too.
//!
//! [Pattern: non-safe column] (embedding_column(use_safe_embedding_lookup=False))
//! IN:  %y = "tf.SparseSegment{Sum,Mean,SqrtN}"(%t, %ids, StridedSlice(%indices)[:, 0])
//!      with %ids and %indices ranked inputs (no fill, no prune)
//! OUT: %y = "emb.lookup"(table, %ids, "emb.coo_rows"(%indices)) — rows up to the
//!      largest row index, as TensorFlow's output (the runtime then rejects a
//!      batch whose last rows are empty, where TensorFlow's concat fails too)
//!
//! `on_out_of_range = "error"` is TensorFlow's behaviour (SparseSegment* fails
//! the request on an id >= R). Runs after tf-remove-fill-empty-rows (which
//! makes the segment count explicit) and tf-raise-feeds (ranked inputs).
//! `negative_`: a table that is not a constant, segments that are not the
//! rows of the same indices, unranked ids.
use crate::tf::tf_match::{refuse, column_slice, const_int, def_named, element_slice, i64_type, is_result, operand, ranked, shape_attr, skip_identity, string_attr};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Type, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, Combiner, OutOfRange};
use recom_ir::rewrite::Pattern;
use recom_ir::kit::{Elem, TensorInfo};

crate::pattern_pass! {
    argument: "tf-raise-lookup",
    name: "TfRaiseLookup",
    summary: "Raise pooled table lookups (tf.SparseSegment*WithNumSegments over a constant table) to emb.lookup",
    description: "One emb.lookup per column, its rows from emb.coo_rows of the column's SparseTensor.",
    apply: crate::tf::tf_match::apply,
    patterns: {
        let generates: &[&str] = &[emb::TableOp::NAME, emb::CooRowsOp::NAME, emb::LookupOp::NAME];
        let mut patterns: Vec<Pattern> =
            POOLS.iter().map(|&(name, _)| Pattern { root: name, generates, rewrite: raise }).collect();
        patterns.push(Pattern { root: "tf.Select", generates, rewrite: raise_weighted });
        for name in ["tf.SparseSegmentSum", "tf.SparseSegmentMean", "tf.SparseSegmentSqrtN"] {
            patterns.push(Pattern { root: name, generates, rewrite: raise_unsafe });
        }
        patterns
    },
}

const POOLS: [(&str, Combiner); 3] = [
    ("tf.SparseSegmentSumWithNumSegments", Combiner::Sum),
    ("tf.SparseSegmentMeanWithNumSegments", Combiner::Mean),
    ("tf.SparseSegmentSqrtNWithNumSegments", Combiner::Sqrtn),
];


/// `(%v, %i)` if `(ids, indices)` are a prune of them (`Where(%v >= 0)`).
fn unprune<'c: 'a, 'a>(ids: Value<'c, 'a>, indices: Value<'c, 'a>) -> Option<(Value<'c, 'a>, Value<'c, 'a>)> {
    let g_ids = def_named(ids, "tf.GatherV2")?;
    let g_ind = def_named(indices, "tf.GatherV2")?;
    let keep = operand(g_ids, 1)?;
    if operand(g_ind, 1)?.to_raw().ptr != keep.to_raw().ptr || const_int(operand(g_ids, 2)?) != Some(0) || const_int(operand(g_ind, 2)?) != Some(0) {
        return None;
    }
    let reshape = def_named(keep, "tf.Reshape")?;
    let where_op = def_named(operand(reshape, 0)?, "tf.Where")?;
    let ge = def_named(operand(where_op, 0)?, "tf.GreaterEqual")?;
    let v = operand(g_ids, 0)?;
    (operand(ge, 0)?.to_raw().ptr == v.to_raw().ptr && const_int(operand(ge, 1)?) == Some(0)).then(|| (v, operand(g_ind, 0).unwrap()))
}

/// Refuses a pooling whose data is not a constant table, naming what makes it.
fn not_a_table(op: OperationRef, data: Value) -> bool {
    let producer = crate::tf::tf_match::def(skip_identity(data)).map(crate::tf::tf_match::name_of).unwrap_or_else(|| "a function argument".into());
    refuse(op, format!("the pooled data is not a constant table: it is computed by {producer} (e.g. max_norm clipping of gathered rows)"))
}

fn raise(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let name = crate::tf::tf_match::name_of(op);
    let Some(&(_, combiner)) = POOLS.iter().find(|(n, _)| *n == name) else { return false };
    let (Some(data), Some(ids), Some(segments), Some(count)) = (operand(op, 0), operand(op, 1), operand(op, 2), operand(op, 3))
    else {
        return false;
    };
    let Some(table) = def_named(skip_identity(data), "tf.Const") else { return not_a_table(op, data) };
    let Some(indices) = column_slice(segments, 0) else { return refuse(op, "the segment ids are not the row column of a SparseTensor's indices") };
    let Some(dense_shape) = element_slice(count, 0) else { return refuse(op, "the segment count is not the dense shape's first dimension") };
    let (ids, indices) = unprune(ids, indices).unwrap_or((ids, indices));
    let vector_i64 = |v: Value, rank: usize| TensorInfo::of(v.r#type()).is_some_and(|t| t.rank() == rank && t.elem == Elem::Int(64));
    if !vector_i64(ids, 1) || !vector_i64(indices, 2) || !vector_i64(dense_shape, 1) {
        return refuse(op, "its ids, indices or dense shape are not ranked int64 values (an input or id transform not raised)");
    }
    replace_with_lookup(op, rewriter, Column { table, ids, indices, dense_shape: Some(dense_shape), weights: None, combiner })
}

/// `[rows, dim]` of a table constant (`value_shape` from the importer).
pub(crate) fn table_shape(table: OperationRef) -> Option<Vec<i64>> {
    shape_attr(table, "value_shape").filter(|d| d.len() == 2 && d.iter().all(|&d| d >= 0))
}

/// Peels prune gathers `GatherV2(x, Reshape(Where(c), [-1]), 0)` off `value`:
/// the value before them and each level's condition `c`.
fn peel<'c: 'a, 'a>(mut value: Value<'c, 'a>) -> (Value<'c, 'a>, Vec<Value<'c, 'a>>) {
    let mut conditions = Vec::new();
    loop {
        value = skip_identity(value);
        let Some(gather) = def_named(value, "tf.GatherV2") else { break };
        let level = (|| {
            if const_int(operand(gather, 2)?) != Some(0) {
                return None;
            }
            let reshape = def_named(operand(gather, 1)?, "tf.Reshape")?;
            if crate::tf::tf_match::const_ints(operand(reshape, 1)?) != Some(vec![-1]) {
                return None;
            }
            let where_op = def_named(operand(reshape, 0)?, "tf.Where")?;
            Some((operand(gather, 0)?, operand(where_op, 0)?))
        })();
        let Some((inner, condition)) = level else { break };
        conditions.push(condition);
        value = inner;
    }
    conditions.reverse();
    (value, conditions)
}

fn same(a: Value, b: Value) -> bool {
    a.to_raw().ptr == b.to_raw().ptr
}

/// A prune condition the lookup applies itself: ids >= 0 (possibly AND a
/// Fill of true) on `ids`, or weights > 0 on `weights` when `weights_rule`.
fn known_prune(condition: Value, ids: Value, weights: Value, weights_rule: bool) -> bool {
    let nonnegative = |v: Value| {
        def_named(v, "tf.GreaterEqual").is_some_and(|ge| {
            operand(ge, 1).and_then(const_int) == Some(0) && operand(ge, 0).is_some_and(|x| same(peel(x).0, ids))
        })
    };
    if nonnegative(condition) {
        return true;
    }
    if let Some(and) = def_named(condition, "tf.LogicalAnd") {
        let (Some(a), Some(b)) = (operand(and, 0), operand(and, 1)) else { return false };
        let all_true = |v: Value| {
            def_named(v, "tf.Fill").and_then(|f| operand(f, 1)).and_then(const_int) == Some(1)
        };
        return (nonnegative(a) && all_true(b)) || (nonnegative(b) && all_true(a));
    }
    if let Some(greater) = def_named(condition, "tf.Greater") {
        let zero = operand(greater, 1).and_then(crate::tf::tf_match::const_f32) == Some(0.0);
        return weights_rule && zero && operand(greater, 0).is_some_and(|w| same(peel(w).0, weights));
    }
    false
}

fn raise_weighted(select: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(mask), Some(zeros), Some(pooled)) = (operand(select, 0), operand(select, 1), operand(select, 2)) else {
        return false;
    };
    if !def_named(zeros, "tf.ZerosLike").and_then(|z| operand(z, 0)).is_some_and(|p| same(p, pooled)) {
        return false;
    }
    // The pooling and its combiner.
    let Some(pool_op) = crate::tf::tf_match::def(pooled) else { return false };
    let (sum, combiner, divisor) = match crate::tf::tf_match::name_of(pool_op).as_str() {
        "tf.SegmentSum" => (pooled, Combiner::Sum, None),
        "tf.DivNoNan" => {
            let (Some(sum), Some(divisor)) = (operand(pool_op, 0), operand(pool_op, 1)) else { return false };
            match def_named(divisor, "tf.Sqrt") {
                Some(sqrt) => (sum, Combiner::Sqrtn, operand(sqrt, 0)),
                None => (sum, Combiner::Mean, Some(divisor)),
            }
        }
        _ => return false,
    };
    let Some(sum_op) = def_named(sum, "tf.SegmentSum") else { return false };
    let (Some(product), Some(segments)) = (operand(sum_op, 0), operand(sum_op, 1)) else { return false };
    let Some(mul) = def_named(product, "tf.Mul") else { return false };
    let (Some(embeddings), Some(weights_column)) = (operand(mul, 0), operand(mul, 1)) else { return false };
    let Some(gather) = def_named(embeddings, "tf.GatherV2") else { return false };
    let (Some(data), Some(filled_ids)) = (operand(gather, 0), operand(gather, 1)) else { return false };
    if operand(gather, 2).and_then(const_int) != Some(0) {
        return false;
    }
    let Some(fill) = def_named(filled_ids, "tf.SparseFillEmptyRows") else { return false };
    let Some(wreshape) = def_named(weights_column, "tf.Reshape") else { return false };
    let Some(filled_weights) = operand(wreshape, 0) else { return false };
    let Some(wfill) = def_named(filled_weights, "tf.SparseFillEmptyRows") else { return false };
    if !is_result(filled_ids, fill, 1) || !is_result(filled_weights, wfill, 1) {
        return false;
    }
    // Segments = rows of the filled ids' indices.
    let segment_rows = def_named(segments, "tf.Cast").and_then(|c| operand(c, 0)).and_then(|v| column_slice(v, 0));
    if !segment_rows.is_some_and(|v| is_result(v, fill, 0)) {
        return false;
    }
    // The divisor: Σw (mean) or Σw² (sqrtn) over the same segments.
    if let Some(divisor) = divisor {
        let Some(wsum) = def_named(divisor, "tf.SegmentSum") else { return false };
        let (Some(summed), Some(wsegments)) = (operand(wsum, 0), operand(wsum, 1)) else { return false };
        let summed_ok = match combiner {
            Combiner::Mean => same(summed, weights_column),
            _ => def_named(summed, "tf.Pow").is_some_and(|p| {
                operand(p, 0).is_some_and(|b| same(b, weights_column))
                    && operand(p, 1).and_then(crate::tf::tf_match::const_f32) == Some(2.0)
            }),
        };
        if !summed_ok || !same(wsegments, segments) {
            return false;
        }
    }
    // The mask re-zeroes the filled rows.
    if !crate::tf::tf_match::is_empty_row_mask(mask, fill) {
        return false;
    }
    // Fill defaults 0 and 1.0, one dense shape.
    let (Some(ind1), Some(ids1), Some(shape), Some(default)) = (operand(fill, 0), operand(fill, 1), operand(fill, 2), operand(fill, 3))
    else {
        return false;
    };
    let (Some(ind2), Some(w1), Some(shape2), Some(wdefault)) = (operand(wfill, 0), operand(wfill, 1), operand(wfill, 2), operand(wfill, 3))
    else {
        return false;
    };
    if const_int(default) != Some(0) || crate::tf::tf_match::const_f32(wdefault) != Some(1.0) || !same(skip_identity(shape), skip_identity(shape2)) {
        return false;
    }
    // Undo the prunes: all four chains must apply the same known conditions.
    let (ids, c_ids) = peel(ids1);
    let (indices, c_ind) = peel(ind1);
    let (weights, c_w) = peel(w1);
    let (indices2, c_ind2) = peel(ind2);
    let same_levels = |a: &[Value], b: &[Value]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(*x, *y));
    if !same(indices, indices2) || !same_levels(&c_ids, &c_ind) || !same_levels(&c_w, &c_ind2) {
        return false;
    }
    let weights_rule = combiner != Combiner::Sum;
    if !c_ids.iter().chain(&c_w).all(|&c| known_prune(c, ids, weights, weights_rule)) {
        return false;
    }
    let shape = skip_identity(shape);
    let ranked_as = |v: Value, rank: usize, elem: Elem| TensorInfo::of(v.r#type()).is_some_and(|t| t.rank() == rank && t.elem == elem);
    if !ranked_as(ids, 1, Elem::Int(64))
        || !ranked_as(indices, 2, Elem::Int(64))
        || !ranked_as(shape, 1, Elem::Int(64))
        || !ranked_as(weights, 1, Elem::F32)
    {
        return false;
    }
    let Some(table) = def_named(skip_identity(data), "tf.Const") else { return false };
    replace_with_lookup(select, rewriter, Column { table, ids, indices, dense_shape: Some(shape), weights: Some(weights), combiner })
}

fn raise_unsafe(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let combiner = match crate::tf::tf_match::name_of(op).as_str() {
        "tf.SparseSegmentSum" => Combiner::Sum,
        "tf.SparseSegmentMean" => Combiner::Mean,
        "tf.SparseSegmentSqrtN" => Combiner::Sqrtn,
        _ => return false,
    };
    if op.operand_count() != 3 {
        return false;
    }
    let (Some(data), Some(ids), Some(segments)) = (operand(op, 0), operand(op, 1), operand(op, 2)) else { return false };
    let Some(indices) = column_slice(segments, 0) else {
        return refuse(op, "the segment ids are not the row column of a SparseTensor's indices (an empty-row fill or a Unique not removed)");
    };
    let ranked_as = |v: Value, rank: usize| TensorInfo::of(v.r#type()).is_some_and(|t| t.rank() == rank && t.elem == Elem::Int(64));
    if !ranked_as(ids, 1) || !ranked_as(indices, 2) {
        return refuse(op, "its ids or indices are not ranked int64 values (an input or id transform not raised)");
    }
    let Some(table) = def_named(skip_identity(data), "tf.Const") else { return not_a_table(op, data) };
    replace_with_lookup(op, rewriter, Column { table, ids, indices, dense_shape: None, weights: None, combiner })
}

/// What one raised column is made of.
pub(crate) struct Column<'c, 'a> {
    /// The table's `tf.Const` (its `value_ref` names the table).
    pub(crate) table: OperationRef<'c, 'a>,
    pub(crate) ids: Value<'c, 'a>,
    pub(crate) indices: Value<'c, 'a>,
    /// `None` for the non-safe form (rows up to the largest row index).
    pub(crate) dense_shape: Option<Value<'c, 'a>>,
    pub(crate) weights: Option<Value<'c, 'a>>,
    pub(crate) combiner: Combiner,
}

/// Replaces `op` by `emb.table` + `emb.coo_rows` + `emb.lookup` of `column`;
/// false (nothing changed) if the table is not a bound constant.
pub(crate) fn replace_with_lookup(op: OperationRef, rewriter: PatternRewriter, column: Column) -> bool {
    match insert_lookup(op, &rewriter, column) {
        Some(lookup) => {
            rewriter.as_rewriter_base().replace_op_with_values(op, &[lookup]);
            true
        }
        None => false,
    }
}

/// Inserts `emb.table` + `emb.coo_rows` + `emb.lookup` of `column` before
/// `op` and returns the lookup's result (the caller replaces `op`); `None`
/// (nothing inserted) if the table is not a bound constant.
pub(crate) fn insert_lookup<'c, 'a>(op: OperationRef<'c, 'a>, rewriter: &PatternRewriter, column: Column<'c, 'a>) -> Option<Value<'c, 'a>> {
    let (Some(name), Some(dims)) = (string_attr(column.table, "value_ref"), table_shape(column.table)) else { return None };
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let location = op.location();
    let f32t = Type::float32(context);
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let table = base.insert(emb::table(context, column.table.location(), &name, ranked(&dims, f32t)));
    let dense_shape = column.dense_shape.map(|s| crate::tf::tf_match::sparse_shape(column.indices, s));
    let rows = base.insert(emb::coo_rows(location, column.indices, dense_shape, ranked(&[-1], i64_type(context))));
    let lookup = base.insert(emb::lookup(
        context,
        location,
        emb::LookupInputs {
            table: table.result(0).unwrap().into(),
            ids: column.ids,
            row_offsets: rows.result(0).unwrap().into(),
            weights: column.weights,
        },
        column.combiner,
        OutOfRange::Error,
        ranked(&[-1, -1], f32t),
    ));
    // SAFETY: the lookup lives in the function being rewritten, past this rewrite.
    Some(unsafe { recom_ir::ext::unbind(lookup.result(0).unwrap().into()) })
}
