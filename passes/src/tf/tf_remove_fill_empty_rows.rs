//! `tf-remove-fill-empty-rows`: `safe_embedding_lookup_sparse` fills every
//! empty row with id 0, pools, then zeroes the filled rows again through a
//! mask. Pooling with an explicit segment count gives zeros for empty rows
//! directly, so the fill, the mask and the round trip go.
//!
//! [Pattern: fill + mask]
//! IN:  %f:4 = "tf.SparseFillEmptyRows"(%indices, %ids, %dense_shape, %default)
//!      %p = "tf.SparseSegment{X}"(%data, %f#1, StridedSlice(%f#0)[:, 0])
//!      %m = "tf.Tile"("tf.Reshape"(%f#2, _), _)   (or the Reshape alone: a
//!           dimension-1 table, whose Tile tf-shape-construct removed)
//!      %y = "tf.Select"(%m, "tf.ZerosLike"(%p), %p)
//! OUT: %y = "tf.SparseSegment{X}WithNumSegments"(%data, %ids, StridedSlice(%indices)[:, 0],
//!                                                StridedSlice(%dense_shape)[0])
//!
//! Exact: the filled rows were the empty ones, their pooled value is masked
//! to zero, and the other rows keep their ids in order (indices are in
//! canonical order). `negative_`: a Select whose mask or zeros do not come
//! from the same fill and pooled value (a default row that is really used).
use crate::tf::tf_match::{attributes_of, column_slice, const_i32, def_named, i64_type, is_result, name_of, operand};
use melior::{
    ir::{
        attribute::{IntegerAttribute, TypeAttribute},
        operation::{OperationBuilder, OperationLike, OperationRef},
        r#type::IntegerType,
        Identifier, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "tf-remove-fill-empty-rows",
    name: "TfRemoveFillEmptyRows",
    summary: "Replace SparseFillEmptyRows + pooling + zero mask by pooling with an explicit segment count",
    description: "Rewrites Select(Tile(empty_row_indicator), ZerosLike(p), p) over a pooling of filled rows \
                  to tf.SparseSegment*WithNumSegments over the unfilled ids.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern {
            root: "tf.Select",
            generates: &[
                "tf.StridedSlice",
                "tf.Const",
                "tf.SparseSegmentSumWithNumSegments",
                "tf.SparseSegmentMeanWithNumSegments",
                "tf.SparseSegmentSqrtNWithNumSegments",
            ],
            rewrite: remove_fill,
        }],
}


fn remove_fill(select: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(mask), Some(zeros), Some(pooled)) = (operand(select, 0), operand(select, 1), operand(select, 2)) else {
        return false;
    };
    let Some(pool) = crate::tf::tf_match::def(pooled) else { return false };
    let pool_name = name_of(pool);
    if !matches!(pool_name.as_str(), "tf.SparseSegmentSum" | "tf.SparseSegmentMean" | "tf.SparseSegmentSqrtN") {
        return false;
    }
    // zeros = ZerosLike(pooled)
    let Some(zeros_op) = def_named(zeros, "tf.ZerosLike") else { return false };
    if operand(zeros_op, 0).map(|v| v.to_raw().ptr) != Some(pooled.to_raw().ptr) {
        return false;
    }
    // The pooled ids and segments come from one fill.
    let (Some(data), Some(filled_ids), Some(segments)) = (operand(pool, 0), operand(pool, 1), operand(pool, 2)) else {
        return false;
    };
    let Some(fill) = def_named(filled_ids, "tf.SparseFillEmptyRows") else { return false };
    let Some(slice_input) = column_slice(segments, 0) else { return false };
    if !is_result(filled_ids, fill, 1) || !is_result(slice_input, fill, 0) {
        return false;
    }
    // mask = Tile(Reshape(fill#2, _), _)
    if !crate::tf::tf_match::is_empty_row_mask(mask, fill) {
        return crate::tf::tf_match::refuse(select, "the mask is not the fill's empty-row indicator (the filled default row is used)");
    }
    let (Some(indices), Some(ids), Some(dense_shape)) = (operand(fill, 0), operand(fill, 1), operand(fill, 2)) else {
        return false;
    };

    let context_ref = select.context();
    let context = unsafe { context_ref.to_ref() };
    let location = select.location();
    let segments_op = crate::tf::tf_match::def(segments).expect("matched above");
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(select);
    // segments = indices[:, 0], as before but on the unfilled indices.
    let slice_operands: Vec<Value> =
        vec![indices, operand(segments_op, 1).unwrap(), operand(segments_op, 2).unwrap(), operand(segments_op, 3).unwrap()];
    let new_segments = base.insert(
        OperationBuilder::new("tf.StridedSlice", segments_op.location())
            .add_operands(&slice_operands)
            .add_attributes(&attributes_of(segments_op, &[]))
            .add_results(&[segments.r#type()])
            .build()
            .expect("tf.StridedSlice"),
    );
    // num_segments = dense_shape[0]
    let zero = base.insert(const_i32(context, location, &[0], &[1]));
    let one = base.insert(const_i32(context, location, &[1], &[1]));
    let i64t = i64_type(context);
    let i32t = IntegerType::new(context, 32).into();
    let int = |v: i64| IntegerAttribute::new(i64t, v).into();
    let rows = base.insert(
        OperationBuilder::new("tf.StridedSlice", location)
            .add_operands(&[dense_shape, zero.result(0).unwrap().into(), one.result(0).unwrap().into(), one.result(0).unwrap().into()])
            .add_attributes(&[
                (Identifier::new(context, "Index"), TypeAttribute::new(i32t).into()),
                (Identifier::new(context, "T"), TypeAttribute::new(i64t).into()),
                (Identifier::new(context, "begin_mask"), int(0)),
                (Identifier::new(context, "end_mask"), int(0)),
                (Identifier::new(context, "ellipsis_mask"), int(0)),
                (Identifier::new(context, "new_axis_mask"), int(0)),
                (Identifier::new(context, "shrink_axis_mask"), int(1)),
            ])
            .add_results(&[dense_shape.r#type()])
            .build()
            .expect("tf.StridedSlice"),
    );
    let mut attributes = attributes_of(pool, &[]);
    attributes.push((Identifier::new(context, "Tnumsegments"), TypeAttribute::new(i64t).into()));
    let new = base.insert(
        OperationBuilder::new(&format!("{pool_name}WithNumSegments"), pool.location())
            .add_operands(&[data, ids, new_segments.result(0).unwrap().into(), rows.result(0).unwrap().into()])
            .add_attributes(&attributes)
            .add_results(&[pooled.r#type()])
            .build()
            .expect("pooling op"),
    );
    base.replace_op_with_operation(select, new);
    true
}
