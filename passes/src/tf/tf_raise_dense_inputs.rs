//! `tf-raise-dense-inputs`: a dense categorical input turned into a
//! SparseTensor (`to_sparse_input`) becomes one host-side
//! `emb.sparse_from_dense`.
//!
//! [Pattern: to_sparse_input]
//! IN:  %i = "tf.Where"("tf.NotEqual"(%x : tensor<?xNxT>, ignore))
//!      %v = "tf.GatherNd"(%x, %i)
//!      %s = "tf.Shape"(%x) {out_type = i64}
//! OUT: %i, %v, %s = "emb.sparse_from_dense"(%x) {ignore_value = ignore}
//!
//! Every `tf.Shape(%x)` of type i64 is the dense shape and takes the result.
//!
//! [Pattern: bucketized column] a dense [B, K] float input %x:
//!   %bz = "tf.Bucketize"(%x) {boundaries}, %b = StridedSlice("tf.Shape"(%bz))[0]
//!   %j = "tf.Tile"("tf.Range"(0, K, 1), "tf.Pack"(%b))
//!   values  = "tf.AddV2"("tf.Reshape"(%bz, [-1]), "tf.Mul"(len(boundaries) + 1, %j))
//!   indices = "tf.Cast"("tf.Transpose"("tf.Pack"(rows, %j), [1, 0]))
//!             rows = "tf.Reshape"("tf.Tile"("tf.ExpandDims"("tf.Range"(0, %b, 1), 1), [1, K]), [-1])
//!   dense_shape = "tf.Cast"("tf.Pack"(%b, K))
//!   -> indices, values, dense_shape = "emb.bucketized_sparse"(%x) {boundaries}
//!   (an integer input %y arrives as %x = "tf.Cast"(%y) {DstT = f32}: the op
//!   takes %y and casts itself)
//! [Pattern: split] StringSplitV2 of a [B] string input -> emb.string_split.
//! `negative_`: a comparison that is not NotEqual, a GatherNd of another
//! tensor than the one compared, a non-constant ignore value; a bucketized
//! offset other than len(boundaries) + 1.
use crate::tf::tf_match::{const_int, const_strings, def_named, i64_type, int_attr, operand, ranked, type_attr, users};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, Ignore};
use recom_ir::rewrite::Pattern;
use recom_ir::kit::{Elem, TensorInfo};

crate::pattern_pass! {
    argument: "tf-raise-dense-inputs",
    name: "TfRaiseDenseInputs",
    summary: "Raise to_sparse_input (NotEqual/Where/GatherNd/Shape on a dense input) to emb.sparse_from_dense",
    description: "Dense categorical inputs become SparseTensors on the host, without their missing entries.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern { root: "tf.GatherNd", generates: &[emb::SparseFromDenseOp::NAME], rewrite: raise },
            Pattern { root: "tf.AddV2", generates: &[emb::BucketizedSparseOp::NAME], rewrite: raise_bucketized },
            Pattern { root: "tf.StringSplitV2", generates: &[emb::StringSplitOp::NAME], rewrite: raise_string_split }],
}

/// [Pattern: split] "tf.StringSplitV2"(%x : tensor<?x!tf.string>, sep) {maxsplit}
///   with a constant scalar separator -> "emb.string_split"(%x) {sep, maxsplit}
///   (indices [?, 2], tokens [?], dense_shape [2]: a SparseTensor like a
///   sparse input's, which the column patterns then raise).
fn raise_string_split(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(sep)) = (operand(op, 0), operand(op, 1)) else { return false };
    let Some(t) = TensorInfo::of(x.r#type()) else { return false };
    if t.rank() != 1 || t.elem != Elem::Str || op.result_count() != 3 {
        return false;
    }
    let Some(sep) = const_strings(sep).and_then(|v| (v.len() == 1).then(|| v[0].clone())) else { return false };
    let maxsplit = int_attr(op, "maxsplit").unwrap_or(-1);
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let i64t = i64_type(context);
    let tokens = ranked(&[-1], recom_ir::ext::opaque_type(context, "tf", "string"));
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let split = base.insert(emb::string_split(context, op.location(), x, &sep, maxsplit, [ranked(&[-1, 2], i64t), tokens, ranked(&[2], i64t)]));
    base.replace_op_with_operation(op, split);
    true
}


fn raise(gather: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(indices)) = (operand(gather, 0), operand(gather, 1)) else { return false };
    let Some(info) = TensorInfo::of(x.r#type()).filter(|t| t.rank() == 2) else { return false };
    let Some(where_op) = def_named(indices, "tf.Where") else { return false };
    let Some(not_equal) = operand(where_op, 0).and_then(|c| def_named(c, "tf.NotEqual")) else { return false };
    let (Some(compared), Some(ignore)) = (operand(not_equal, 0), operand(not_equal, 1)) else { return false };
    if compared.to_raw().ptr != x.to_raw().ptr {
        return false;
    }
    let ignore = match info.elem {
        Elem::Int(64) | Elem::Int(32) => match const_int(ignore) {
            Some(v) => Ignore::I64(v),
            None => return false,
        },
        Elem::Str => match const_strings(ignore).as_deref() {
            Some([s]) => Ignore::Str(s.clone()),
            _ => return false,
        },
        _ => return false,
    };
    let context_ref = gather.context();
    let context = unsafe { context_ref.to_ref() };
    let Some(element) = recom_ir::ext::element_type(x.r#type()) else { return false };
    let i64t = i64_type(context);
    let base = rewriter.as_rewriter_base();
    // Right after x: the dense shape may be used before the gather.
    base.set_insertion_point_after_value(x);
    let sparse = base.insert(emb::sparse_from_dense(
        context,
        gather.location(),
        x,
        &ignore,
        [ranked(&[-1, 2], i64t), ranked(&[-1], element), ranked(&[2], i64t)],
    ));
    let result = |i: usize| -> Value { sparse.result(i).unwrap().into() };
    // The dense shape: every i64 Shape of x.
    for user in users(x) {
        let is_shape = crate::tf::tf_match::name_of(user) == "tf.Shape"
            && type_attr(user, "out_type").is_some_and(|t| t == i64t)
            && int_attr(user, "unused").is_none();
        if is_shape {
            base.replace_op_with_values(user, &[result(2)]);
        }
    }
    base.replace_op_with_values(where_op, &[result(0)]);
    base.replace_op_with_values(gather, &[result(1)]);
    true
}

fn same(a: Option<Value>, b: Value) -> bool {
    a.is_some_and(|a| a.to_raw().ptr == b.to_raw().ptr)
}

/// `Range(0, limit, 1)` -> limit.
fn range_limit<'c: 'a, 'a>(value: Value<'c, 'a>) -> Option<Value<'c, 'a>> {
    let range = def_named(value, "tf.Range")?;
    (operand(range, 0).and_then(const_int) == Some(0) && operand(range, 2).and_then(const_int) == Some(1))
        .then(|| operand(range, 1))
        .flatten()
}

/// The float boundaries of a tf.Bucketize.
fn boundaries(op: OperationRef) -> Option<Vec<f64>> {
    let array = melior::ir::attribute::ArrayAttribute::try_from(op.attribute("boundaries").ok()?).ok()?;
    (0..array.len())
        .map(|i| melior::ir::attribute::FloatAttribute::try_from(array.element(i).ok()?).ok().map(|f| f.value()))
        .collect()
}

fn raise_bucketized(add: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(flat), Some(offset)) = (operand(add, 0), operand(add, 1)) else { return false };
    let Some(reshape) = def_named(flat, "tf.Reshape") else { return false };
    if operand(reshape, 1).and_then(crate::tf::tf_match::const_ints) != Some(vec![-1]) {
        return false;
    }
    let Some(bz) = operand(reshape, 0) else { return false };
    let Some(bucketize) = def_named(bz, "tf.Bucketize") else { return false };
    let (Some(x), Some(bounds)) = (operand(bucketize, 0), boundaries(bucketize)) else { return false };
    // An integer input reaches Bucketize through the numeric column's Cast
    // to f32, which emb.bucketized_sparse does itself.
    let integer_input = def_named(x, "tf.Cast")
        .filter(|c| type_attr(*c, "DstT").is_some_and(|t| Elem::of(t) == Elem::F32))
        .and_then(|c| operand(c, 0))
        .filter(|y| TensorInfo::of(y.r#type()).is_some_and(|t| t.rank() == 2 && matches!(t.elem, Elem::Int(32 | 64))));
    let bucketized = x;
    let x = integer_input.unwrap_or(x);
    let Some(k) = TensorInfo::of(x.r#type()).filter(|t| t.rank() == 2 && (t.elem.is_float() || integer_input.is_some())).and_then(|t| t.shape[1]) else {
        return false;
    };
    // offset = (len + 1) * j
    let Some(mul) = def_named(offset, "tf.Mul") else { return false };
    let (Some(m0), Some(m1)) = (operand(mul, 0), operand(mul, 1)) else { return false };
    let (factor, j) = if const_int(m0).is_some() { (const_int(m0), m1) } else { (const_int(m1), m0) };
    if factor != Some(bounds.len() as i64 + 1) {
        return false;
    }
    // j = Tile(Range(0, K, 1), [B]): the multiples are Pack(Shape(bz)[0]), or
    // (after tf-shape-construct) symbolically [x.shape[0]].
    let Some(tile) = def_named(j, "tf.Tile") else { return false };
    // 0 .. K: a Range, or its folded constant.
    let positions = operand(tile, 0);
    let is_positions = positions.and_then(range_limit).and_then(const_int) == Some(k)
        || positions.and_then(crate::tf::tf_match::const_ints) == Some((0..k).collect());
    if !is_positions {
        return false;
    }
    let Some(multiples) = operand(tile, 1) else { return false };
    let batch_of_x = crate::tf::tf_match::symbolic_shape(bucketized).or_else(|| crate::tf::tf_match::symbolic_shape(x)).and_then(|s| s.first().cloned());
    let is_batch = |v: Value| -> bool {
        // Structurally Shape(bz)[0]...
        let structural = crate::tf::tf_match::element_slice(v, 0).and_then(|s| def_named(s, "tf.Shape")).is_some_and(|s| same(operand(s, 0), bz));
        // ...or symbolically x's batch.
        structural || (batch_of_x.is_some() && crate::tf::tf_match::symbolic_content(v).and_then(|c| c.first().cloned()) == batch_of_x)
    };
    let multiples_ok = match def_named(multiples, "tf.Pack") {
        Some(pack) => pack.operand_count() == 1 && operand(pack, 0).is_some_and(is_batch),
        None => batch_of_x.is_some() && crate::tf::tf_match::symbolic_content(multiples) == batch_of_x.clone().map(|b| vec![b]),
    };
    if !multiples_ok {
        return false;
    }
    // indices = Cast(Transpose(Pack(rows, j), [1, 0])) among j's users.
    let rows_ok = |rows: Value| -> bool {
        (|| {
            let reshape = def_named(rows, "tf.Reshape")?;
            (operand(reshape, 1).and_then(crate::tf::tf_match::const_ints)? == vec![-1]).then_some(())?;
            // Tile(ExpandDims(rows), [1, K]); a tile by ones is gone after tf-shape-construct.
            let tiled = operand(reshape, 0)?;
            let expanded = match def_named(tiled, "tf.Tile") {
                Some(tile) => {
                    (operand(tile, 1).and_then(crate::tf::tf_match::const_ints)? == vec![1, k]).then_some(())?;
                    operand(tile, 0)?
                }
                None if k == 1 => tiled,
                None => return None,
            };
            let expand = def_named(expanded, "tf.ExpandDims")?;
            (operand(expand, 1).and_then(const_int)? == 1).then_some(())?;
            is_batch(range_limit(operand(expand, 0)?)?).then_some(())
        })()
        .is_some()
    };
    let indices = users(j).into_iter().find_map(|pack| {
        if crate::tf::tf_match::name_of(pack) != "tf.Pack" || pack.operand_count() != 2 || !same(operand(pack, 1), j) || !rows_ok(operand(pack, 0)?) {
            return None;
        }
        let packed = crate::tf::tf_match::result(pack, 0)?;
        let transpose = users(packed).into_iter().find(|t| {
            crate::tf::tf_match::name_of(*t) == "tf.Transpose" && operand(*t, 1).and_then(crate::tf::tf_match::const_ints) == Some(vec![1, 0])
        })?;
        let transposed = crate::tf::tf_match::result(transpose, 0)?;
        users(transposed).into_iter().find(|c| crate::tf::tf_match::name_of(*c) == "tf.Cast")
    });
    // dense_shape = Cast(Pack(batch, K)) among the batch's users, when still
    // there (tf-shape-construct re-roots it; sparse_shape then finds it).
    let shape = multiples_structural_batch(multiples).and_then(|batch| {
        users(batch).into_iter().find_map(|pack| {
            let ok = crate::tf::tf_match::name_of(pack) == "tf.Pack"
                && pack.operand_count() == 2
                && same(operand(pack, 0), batch)
                && operand(pack, 1).and_then(const_int) == Some(k);
            if !ok {
                return None;
            }
            users(crate::tf::tf_match::result(pack, 0)?).into_iter().find(|c| crate::tf::tf_match::name_of(*c) == "tf.Cast")
        })
    });
    let Some(indices) = indices else { return false };

    let context_ref = add.context();
    let context = unsafe { context_ref.to_ref() };
    let i64t = i64_type(context);
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_after_value(x);
    let sparse = base.insert(emb::bucketized_sparse(
        context,
        bucketize.location(),
        x,
        &bounds,
        [ranked(&[-1, 2], i64t), ranked(&[-1], i64t), ranked(&[2], i64t)],
    ));
    let result = |i: usize| -> Value { sparse.result(i).unwrap().into() };
    base.replace_op_with_values(indices, &[result(0)]);
    if let Some(shape) = shape {
        base.replace_op_with_values(shape, &[result(2)]);
    }
    base.replace_op_with_values(add, &[result(1)]);
    true
}

/// The batch value inside `Pack(batch)` multiples, if structural.
fn multiples_structural_batch<'c: 'a, 'a>(multiples: Value<'c, 'a>) -> Option<Value<'c, 'a>> {
    let pack = def_named(multiples, "tf.Pack")?;
    (pack.operand_count() == 1).then(|| operand(pack, 0)).flatten()
}
