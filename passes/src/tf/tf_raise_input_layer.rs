//! `tf-raise-input-layer`: `input_layer`'s concatenation of the column
//! outputs becomes `emb.concat`.
//!
//! [Pattern: input layer] "tf.ConcatV2"(%c_0, ..., %c_n, axis) with axis 1 or -1
//!   and every %c_i a column:
//!   - an emb.lookup result (embedding columns);
//!   - a numeric column: a [?, K] f32 input %x (a model input or an
//!     emb.tf_output, a column the host computes; or an integer input behind
//!     its "tf.Cast" to f32), or "tf.RealDiv"("tf.Sub"(%x, a), b)
//!     (normalizer_fn (x - a) / b; a and b scalars or one per column, as
//!     Keras' Normalization), possibly behind its [batch, K] Reshape: K
//!     lookups, one per input column, of one weighted id
//!     ("emb.numeric_input") in the 1 x 1 table recom.identity.1;
//!   - an indicator column: "tf.Sum"("tf.OneHot"("tf.SparseToDense"(%i, %s, %ids, -1), W, 1.0, 0.0), -2)
//!     (behind its Reshape): a sum lookup of %ids in the W x W identity table
//!     recom.identity.W (ids outside [0, W) dropped, as OneHot gives zeros);
//!   - a weighted indicator column (see [`weighted_indicator`]): the same
//!     lookup with the column's weights;
//!
//!   -> "emb.concat"(columns...) : tensor<?x(ΣD)xf32>
//!
//! An operand that is a "tf.ConcatV2" {recom.flattened} of emb.lookup
//! results along the same axis (tf-raise-keras-lookup's flattened lookups),
//! or an emb.concat this concatenation alone reads (those lookups raised
//! first, into a layer of their own), gives its columns, in order: one
//! layer, not two.
//!
//! A function returning the layer gets its ranked result type.
//! `negative_`: an operand that is not a raised column (a leftover tf op, a
//! normalizer that is not affine), a concatenation along axis 0.
use crate::tf::tf_match::{const_int, def, operand, ranked};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Type, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, OutOfRange};
use recom_ir::rewrite::Pattern;
use recom_ir::kit::TensorInfo;

crate::pattern_pass! {
    argument: "tf-raise-input-layer",
    name: "TfRaiseInputLayer",
    summary: "Raise the input_layer's tf.ConcatV2 of raised columns to emb.concat",
    description: "Concatenations along dim 1 whose operands are all emb.lookup results become emb.concat.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern { root: "tf.ConcatV2", generates: &[emb::ConcatOp::NAME], rewrite: raise }],
}


/// `v` without a `Reshape(v', Pack(StridedSlice(Shape(v'))[0], width))`
/// around it (the input layer's [batch, width] reshape of each column).
fn strip_batch_reshape<'c: 'a, 'a>(v: Value<'c, 'a>) -> (Value<'c, 'a>, Option<i64>) {
    let stripped = (|| {
        let reshape = crate::tf::tf_match::def_named(v, "tf.Reshape")?;
        let inner = operand(reshape, 0)?;
        let pack = crate::tf::tf_match::def_named(operand(reshape, 1)?, "tf.Pack")?;
        let shape = crate::tf::tf_match::element_slice(operand(pack, 0)?, 0).and_then(|s| crate::tf::tf_match::def_named(s, "tf.Shape"))?;
        (operand(shape, 0)?.to_raw().ptr == inner.to_raw().ptr && pack.operand_count() == 2).then_some(())?;
        Some((inner, const_int(operand(pack, 1)?)?))
    })();
    match stripped {
        Some((inner, width)) => (inner, Some(width)),
        None => (v, None),
    }
}

/// A numeric column: its [?, K] f32 input argument, K and the normalizer.
pub(crate) fn numeric<'c: 'a, 'a>(v: Value<'c, 'a>) -> Option<(Value<'c, 'a>, i64, Option<Vec<emb::Normalizer>>)> {
    let (inner, width) = strip_batch_reshape(v);
    // A model input, or a value the host computes (emb.tf_output); an
    // integer input behind numeric_column's Cast to f32.
    let dense_k = |x: Value<'c, 'a>| -> Option<(Value<'c, 'a>, i64)> {
        let host_value = |x: Value| recom_ir::ext::block_argument(x).is_some() || def(x).and_then(emb::TfOutputOp::wrap).is_some();
        let t = TensorInfo::of(x.r#type());
        if let Some(t) = &t {
            if t.rank() == 2 && t.elem == recom_ir::kit::Elem::F32 && host_value(x) {
                return Some((x, t.shape[1]?));
            }
        }
        let cast = crate::tf::tf_match::def_named(x, "tf.Cast")?;
        let to_f32 = crate::tf::tf_match::type_attr(cast, "DstT").is_some_and(|t| recom_ir::kit::Elem::of(t) == recom_ir::kit::Elem::F32);
        let y = operand(cast, 0)?;
        let ty = TensorInfo::of(y.r#type())?;
        (to_f32 && ty.rank() == 2 && matches!(ty.elem, recom_ir::kit::Elem::Int(32 | 64)) && recom_ir::ext::block_argument(y).is_some())
            .then_some((y, ty.shape[1]?))
    };
    if let Some((x, k)) = dense_k(inner) {
        return (width.is_none_or(|w| w == k)).then_some((x, k, None));
    }
    let div = crate::tf::tf_match::def_named(inner, "tf.RealDiv")?;
    let sub = crate::tf::tf_match::def_named(operand(div, 0)?, "tf.Sub")?;
    let (x, k) = dense_k(operand(sub, 0)?)?;
    // Scalars, or one value per column (Keras' Normalization).
    let per_column = |c: Value| -> Option<Vec<f64>> {
        if let Some(v) = crate::tf::tf_match::const_f32(c) {
            return Some(vec![v as f64; k as usize]);
        }
        let op = crate::tf::tf_match::def_named(crate::tf::tf_match::skip_identity(c), "tf.Const")?;
        let values = recom_ir::ext::dense_f32s(op.attribute("value").ok()?)?;
        (values.len() == k as usize).then(|| values.into_iter().map(f64::from).collect())
    };
    let shifts = per_column(operand(sub, 1)?)?;
    let scales = per_column(operand(div, 1)?)?;
    let ok = width.is_none_or(|w| w == k) && scales.iter().all(|s| *s != 0.0 && s.is_finite()) && shifts.iter().all(|s| s.is_finite());
    ok.then(|| (x, k, Some(shifts.into_iter().zip(scales).map(|(shift, scale)| emb::Normalizer { shift, scale }).collect())))
}

/// `op` is part of a numeric column's normalizer `(x - a) / b` that an input
/// layer's concatenation reads (directly or through its batch reshape):
/// this pass raises it with its column, so tf-raise-dense leaves it.
pub(crate) fn in_numeric_column(op: OperationRef) -> bool {
    use crate::tf::tf_match::{name_of, users};
    let feeds_concat = |v: Value| {
        users(v).into_iter().any(|u| match name_of(u).as_str() {
            "tf.ConcatV2" => true,
            "tf.Reshape" => u.result(0).is_ok_and(|r| users(r.into()).into_iter().any(|w| name_of(w) == "tf.ConcatV2")),
            _ => false,
        })
    };
    let normalizer = |div: OperationRef| {
        name_of(div) == "tf.RealDiv" && div.result(0).is_ok_and(|r| numeric(r.into()).is_some() && feeds_concat(r.into()))
    };
    match name_of(op).as_str() {
        "tf.RealDiv" => normalizer(op),
        "tf.Sub" => op.result(0).is_ok_and(|r| users(r.into()).into_iter().any(normalizer)),
        _ => false,
    }
}

/// An indicator column: (indices, dense_shape, ids, W).
pub(crate) fn indicator<'c: 'a, 'a>(v: Value<'c, 'a>) -> Option<(Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>, i64)> {
    let (inner, width) = strip_batch_reshape(v);
    let sum = crate::tf::tf_match::def_named(inner, "tf.Sum")?;
    let axis = const_int(operand(sum, 1)?)?;
    if (axis != -2 && axis != 1) || crate::tf::tf_match::bool_attr(sum, "keep_dims").unwrap_or(false) {
        return None;
    }
    let one_hot = crate::tf::tf_match::def_named(operand(sum, 0)?, "tf.OneHot")?;
    let depth = const_int(operand(one_hot, 1)?)?;
    let on = crate::tf::tf_match::const_f32(operand(one_hot, 2)?)?;
    let off = crate::tf::tf_match::const_f32(operand(one_hot, 3)?)?;
    if on != 1.0 || off != 0.0 || crate::tf::tf_match::int_attr(one_hot, "axis").unwrap_or(-1) != -1 || width.is_some_and(|w| w != depth) {
        return None;
    }
    let dense = crate::tf::tf_match::def_named(operand(one_hot, 0)?, "tf.SparseToDense")?;
    let (indices, shape, ids, default) = (operand(dense, 0)?, operand(dense, 1)?, operand(dense, 2)?, operand(dense, 3)?);
    let ranked_i64 = |x: Value, rank: usize| TensorInfo::of(x.r#type()).is_some_and(|t| t.rank() == rank && t.elem == recom_ir::kit::Elem::Int(64));
    (const_int(default) == Some(-1) && ranked_i64(indices, 2) && ranked_i64(shape, 1) && ranked_i64(ids, 1) && depth > 0)
        .then_some((indices, shape, ids, depth))
}

/// A weighted indicator column (indicator_column of a
/// weighted_categorical_column): TensorFlow's sparse_merge of (row, id)
/// entries and their weights, sliced to [B, W] (ids < 0 or >= W gone) and
/// summed by ScatterNd:
///   ScatterNd(SparseSlice(SparseReorder(ConcatV2(StridedSlice(%i), ExpandDims(%ids, 1), 1),
///                                       %w, %s2), [0, 0], %s2)),
///   %s2 = ConcatV2(StridedSlice(%shape), [W], 0)
/// = a weighted sum lookup of %ids in the W x W identity table, ids outside
/// [0, W) dropped: (indices, dense_shape, ids, weights, W).
pub(crate) fn weighted_indicator<'c: 'a, 'a>(v: Value<'c, 'a>) -> Option<(Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>, i64)> {
    use crate::tf::tf_match::{const_ints, def_named, is_result};
    let (inner, width) = strip_batch_reshape(v);
    let scatter = def_named(inner, "tf.ScatterNd")?;
    let slice = def_named(operand(scatter, 0)?, "tf.SparseSlice")?;
    if !(0..3).all(|k| operand(scatter, k).is_some_and(|x| is_result(x, slice, k))) {
        return None;
    }
    let reorder = def_named(operand(slice, 0)?, "tf.SparseReorder")?;
    let merged_shape = operand(reorder, 2)?;
    let same = |a: Value, b: Value| a.to_raw().ptr == b.to_raw().ptr;
    let sliced_whole = operand(slice, 1).is_some_and(|x| is_result(x, reorder, 1))
        && operand(slice, 2).is_some_and(|x| same(x, merged_shape))
        && operand(slice, 3).and_then(const_ints) == Some(vec![0, 0])
        && operand(slice, 4).is_some_and(|x| same(x, merged_shape));
    if !sliced_whole {
        return None;
    }
    let weights = operand(reorder, 1)?;
    // The merged indices: the rows of %i, then the ids as the column.
    let concat = def_named(operand(reorder, 0)?, "tf.ConcatV2")?;
    if concat.operand_count() != 3 || operand(concat, 2).and_then(const_int) != Some(1) {
        return None;
    }
    let rows = def_named(operand(concat, 0)?, "tf.StridedSlice")?;
    let indices = operand(rows, 0)?;
    let expand = def_named(operand(concat, 1)?, "tf.ExpandDims")?;
    if operand(expand, 1).and_then(const_int) != Some(1) {
        return None;
    }
    let ids = operand(expand, 0)?;
    // The merged shape: the batch of %shape, then W.
    let shape_concat = def_named(merged_shape, "tf.ConcatV2")?;
    if shape_concat.operand_count() != 3 || operand(shape_concat, 2).and_then(const_int) != Some(0) {
        return None;
    }
    let batch = def_named(operand(shape_concat, 0)?, "tf.StridedSlice")?;
    let shape = operand(batch, 0)?;
    let w = match const_ints(operand(shape_concat, 1)?)?[..] {
        [w] if w > 0 => w,
        _ => return None,
    };
    let typed = |x: Value, rank: usize, elem: recom_ir::kit::Elem| TensorInfo::of(x.r#type()).is_some_and(|t| t.rank() == rank && t.elem == elem);
    use recom_ir::kit::Elem;
    let ok = width.is_none_or(|k| k == w)
        && typed(indices, 2, Elem::Int(64))
        && typed(shape, 1, Elem::Int(64))
        && typed(ids, 1, Elem::Int(64))
        && typed(weights, 1, Elem::F32);
    ok.then_some((indices, shape, ids, weights, w))
}

enum Column<'c, 'a> {
    Lookup(Value<'c, 'a>, i64),
    Numeric(Value<'c, 'a>, i64, Option<Vec<emb::Normalizer>>),
    Indicator(Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>, i64),
    WeightedIndicator(Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>, i64),
}

/// `op` is tf-raise-keras-lookup's concatenation of flattened lookups: a
/// ConcatV2 along axis 1 (or -1), marked `recom.flattened`, of emb.lookup
/// results only.
fn lookups_concat(op: OperationRef) -> bool {
    let n = op.operand_count();
    crate::tf::tf_match::name_of(op) == "tf.ConcatV2"
        && op.has_attribute(FLATTENED)
        && n >= 2
        && operand(op, n - 1).and_then(const_int).is_some_and(|axis| axis == 1 || axis == -1)
        && (0..n - 1).all(|k| operand(op, k).and_then(def).and_then(emb::LookupOp::wrap).is_some())
}

/// The attribute tf-raise-keras-lookup marks its concatenations with.
pub(crate) const FLATTENED: &str = "recom.flattened";


fn raise(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let n = op.operand_count();
    if n < 2 || !operand(op, n - 1).and_then(const_int).is_some_and(|axis| axis == 1 || axis == -1) {
        return false;
    }

    // An operand that is itself a concatenation of lookups along the same
    // axis (a Keras Flatten of several ids per row, tf-raise-keras-lookup)
    // contributes its lookups as columns.
    let mut operands = Vec::with_capacity(n - 1);
    for i in 0..n - 1 {
        let c = operand(op, i).unwrap();
        match def(c) {
            Some(inner) if lookups_concat(inner) => operands.extend((0..inner.operand_count() - 1).filter_map(|k| operand(inner, k))),
            // A layer already raised from them (the inner concatenation
            // raised first), read only here: its columns join this layer.
            Some(inner) if emb::ConcatOp::wrap(inner).is_some() && crate::tf::tf_match::use_count(c) == 1 => {
                operands.extend((0..inner.operand_count()).filter_map(|k| operand(inner, k)))
            }
            _ => operands.push(c),
        }
    }
    let mut columns = Vec::with_capacity(operands.len());
    for c in operands {
        if let Some(lookup) = def(c).and_then(emb::LookupOp::wrap) {
            let Some(dim) = TensorInfo::of(lookup.table().r#type()).and_then(|t| t.shape[1]) else { return false };
            columns.push(Column::Lookup(c, dim));
        } else if let Some((x, k, normalizer)) = numeric(c) {
            columns.push(Column::Numeric(x, k, normalizer));
        } else if let Some((indices, shape, ids, w)) = indicator(c) {
            columns.push(Column::Indicator(indices, shape, ids, w));
        } else if let Some((indices, shape, ids, weights, w)) = weighted_indicator(c) {
            columns.push(Column::WeightedIndicator(indices, shape, ids, weights, w));
        } else {
            return false;
        }
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let location = op.location();
    let f32t = Type::float32(context);
    let i64t = crate::tf::tf_match::i64_type(context);
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let mut operands: Vec<Value> = Vec::new();
    let mut width = 0;
    let lookup = |table_rows: i64, ids: Value, rows: Value, weights: Option<Value>, policy: OutOfRange| -> Value {
        let table = base.insert(emb::table(context, location, &emb::identity_table_name(table_rows), ranked(&[table_rows, table_rows], f32t)));
        let l = base.insert(emb::lookup(
            context,
            location,
            emb::LookupInputs { table: table.result(0).unwrap().into(), ids, row_offsets: rows, weights },
            emb::Combiner::Sum,
            policy,
            ranked(&[-1, -1], f32t),
        ));
        // SAFETY: the lookup lives in the function being rewritten, past this rewrite.
        unsafe { recom_ir::ext::unbind(l.result(0).unwrap().into()) }
    };
    for column in columns {
        match column {
            Column::Lookup(v, dim) => {
                operands.push(v);
                width += dim;
            }
            Column::Numeric(x, k, normalizer) => {
                for j in 0..k {
                    let input = base.insert(emb::numeric_input(
                        context,
                        location,
                        x,
                        j,
                        normalizer.as_ref().map(|n| n[j as usize]),
                        [ranked(&[-1], i64t), ranked(&[-1], i64t), ranked(&[-1], f32t)],
                    ));
                    let r = |i: usize| -> Value { input.result(i).unwrap().into() };
                    operands.push(lookup(1, r(0), r(1), Some(r(2)), OutOfRange::Error));
                }
                width += k;
            }
            Column::Indicator(indices, shape, ids, w) => {
                let shape = crate::tf::tf_match::sparse_shape(indices, shape);
                let rows = base.insert(emb::coo_rows(location, indices, Some(shape), ranked(&[-1], i64t)));
                operands.push(lookup(w, ids, rows.result(0).unwrap().into(), None, OutOfRange::Drop));
                width += w;
            }
            Column::WeightedIndicator(indices, shape, ids, weights, w) => {
                let shape = crate::tf::tf_match::sparse_shape(indices, shape);
                let rows = base.insert(emb::coo_rows(location, indices, Some(shape), ranked(&[-1], i64t)));
                operands.push(lookup(w, ids, rows.result(0).unwrap().into(), Some(weights), OutOfRange::Drop));
                width += w;
            }
        }
    }
    let concat = base.insert(emb::concat(location, &operands, ranked(&[-1, width], f32t)));
    base.replace_op_with_operation(op, concat);
    true
}
