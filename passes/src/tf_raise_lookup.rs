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
//! `on_out_of_range = "error"` is TensorFlow's behaviour (SparseSegment* fails
//! the request on an id >= R). Runs after tf-remove-fill-empty-rows (which
//! makes the segment count explicit) and tf-raise-feeds (ranked inputs).
//! `negative_`: a table that is not a constant, segments that are not the
//! rows of the same indices, unranked ids.
use crate::tf_match::{column_slice, const_int, def_named, element_slice, i64_type, operand, ranked, shape_attr, skip_identity, string_attr};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Type, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, Combiner, OutOfRange};
use recom_ir::{
    registry::PassFailure,
    rewrite::Pattern,
    OptionValues, PassDef,
};
use recom_opkit::{Elem, TensorInfo};

pub static PASS: PassDef = PassDef {
    argument: "tf-raise-lookup",
    name: "TfRaiseLookup",
    summary: "Raise pooled table lookups (tf.SparseSegment*WithNumSegments over a constant table) to emb.lookup",
    description: "One emb.lookup per column, its rows from emb.coo_rows of the column's SparseTensor.",
    anchor: None,
    options: &[],
    run,
};

const POOLS: [(&str, Combiner); 3] = [
    ("tf.SparseSegmentSumWithNumSegments", Combiner::Sum),
    ("tf.SparseSegmentMeanWithNumSegments", Combiner::Mean),
    ("tf.SparseSegmentSqrtNWithNumSegments", Combiner::Sqrtn),
];

fn run(_: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    let generates: &[&str] = &[emb::TableOp::NAME, emb::CooRowsOp::NAME, emb::LookupOp::NAME];
    let patterns: Vec<Pattern> =
        POOLS.iter().map(|&(name, _)| Pattern { root: name, generates, rewrite: raise }).collect();
    crate::tf_match::apply(PASS.argument, root, &patterns)
}

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

fn raise(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let name = crate::tf_match::name_of(op);
    let Some(&(_, combiner)) = POOLS.iter().find(|(n, _)| *n == name) else { return false };
    let (Some(data), Some(ids), Some(segments), Some(count)) = (operand(op, 0), operand(op, 1), operand(op, 2), operand(op, 3))
    else {
        return false;
    };
    let Some(table) = def_named(skip_identity(data), "tf.Const") else { return false };
    let (Some(table_name), Some(shape)) = (string_attr(table, "value_ref"), table_shape(table)) else { return false };
    let Some(indices) = column_slice(segments, 0) else { return false };
    let Some(dense_shape) = element_slice(count, 0) else { return false };
    let (ids, indices) = unprune(ids, indices).unwrap_or((ids, indices));
    let vector_i64 = |v: Value, rank: usize| TensorInfo::of(v.r#type()).is_some_and(|t| t.rank() == rank && t.elem == Elem::Int(64));
    if !vector_i64(ids, 1) || !vector_i64(indices, 2) || !vector_i64(dense_shape, 1) {
        return false;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let location = op.location();
    let f32t = Type::float32(context);
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let table = base.insert(emb::table(context, table.location(), &table_name, ranked(&shape, f32t)));
    let rows = base.insert(emb::coo_rows(location, indices, dense_shape, ranked(&[-1], i64_type(context))));
    let lookup = base.insert(emb::lookup(
        context,
        location,
        emb::LookupInputs {
            table: table.result(0).unwrap().into(),
            ids,
            row_offsets: rows.result(0).unwrap().into(),
            weights: None,
        },
        combiner,
        OutOfRange::Error,
        ranked(&[-1, -1], f32t),
    ));
    base.replace_op_with_operation(op, lookup);
    true
}

/// `[rows, dim]` of a table constant (`value_shape` from the importer).
fn table_shape(table: OperationRef) -> Option<Vec<i64>> {
    shape_attr(table, "value_shape").filter(|d| d.len() == 2 && d.iter().all(|&d| d >= 0))
}
