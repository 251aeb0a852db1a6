//! `tf-raise-cross`: crossed columns' hashed `tf.SparseCross` becomes one
//! host-side `emb.cross_hashed` over feature hashes.
//!
//! [Pattern: hashed cross]
//! IN:  %i, %v, %s = "tf.SparseCross"(%ind_0..%ind_n, %val_0..%val_n, %shape_0..%shape_n, %dense_0..%dense_m)
//!        {hashed_output = true, num_buckets = N, hash_key = K, N = n + 1, out_type = i64}
//! OUT: each dense input %d becomes "emb.sparse_from_dense"(%d) {ignore_value = unit} (every
//!      entry), string values go through "emb.fingerprint", then
//!      %i, %v, %s = "emb.cross_hashed"(indices..., hashes..., shapes...) {num_buckets = N, hash_key = K}
//!
//! Inputs keep the op's order (sparse first, then dense), which is the
//! crossing order. A `tf.Cast` to i64 of values that already are i64 is
//! looked through. `negative_`: an unhashed cross (string output), an input
//! that is not ranked (not raised yet).
use crate::tf::tf_match::{def_named, i64_type, int_attr, operand, ranked};
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
    argument: "tf-raise-cross",
    name: "TfRaiseCross",
    summary: "Raise hashed tf.SparseCross (crossed columns) to emb.cross_hashed",
    description: "Feature crosses become one host-side op over Fingerprint64 feature hashes, bit-exact with TensorFlow.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern {
            root: "tf.SparseCross",
            generates: &[emb::CrossHashedOp::NAME, emb::FingerprintOp::NAME, emb::SparseFromDenseOp::NAME],
            rewrite: raise,
        }],
}


fn info(v: Value) -> Option<TensorInfo> {
    TensorInfo::of(v.r#type())
}

/// `v` with a no-op `tf.Cast` (of an i64 tensor) in front skipped.
fn skip_noop_cast<'c: 'a, 'a>(v: Value<'c, 'a>) -> Value<'c, 'a> {
    match def_named(v, "tf.Cast").and_then(|c| operand(c, 0)) {
        Some(inner) if info(inner).is_some_and(|t| t.elem == Elem::Int(64)) => inner,
        _ => v,
    }
}

fn raise(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let hashed = crate::tf::tf_match::bool_attr(op, "hashed_output") == Some(true);
    let (Some(buckets), Some(key)) = (int_attr(op, "num_buckets"), int_attr(op, "hash_key")) else { return false };
    let Some(n) = int_attr(op, "N") else { return false };
    let n = n as usize;
    let dense_count = op.operand_count().checked_sub(3 * n);
    let Some(dense_count) = dense_count else { return false };
    if !hashed || buckets <= 0 || n + dense_count < 2 {
        return crate::tf::tf_match::refuse(op, "not a hashed cross of two or more inputs (crossed columns hash their output)");
    }
    // Every input ranked: sparse (indices [?, 2], values [?] of i64 or strings, shape [2]) or dense [?, k].
    for k in 0..n {
        let (Some(i), Some(v), Some(s)) = (operand(op, k), operand(op, n + k), operand(op, 2 * n + k)) else { return false };
        let v = skip_noop_cast(v);
        let ok = info(i).is_some_and(|t| t.rank() == 2 && t.elem == Elem::Int(64))
            && info(v).is_some_and(|t| t.rank() == 1 && matches!(t.elem, Elem::Int(64) | Elem::Str))
            && info(s).is_some_and(|t| t.rank() == 1 && t.elem == Elem::Int(64));
        if !ok {
            return crate::tf::tf_match::refuse(op, format!("sparse input {k} is not ranked int64 or string values yet (its id transform is not raised)"));
        }
    }
    for k in 0..dense_count {
        let Some(d) = operand(op, 3 * n + k) else { return false };
        if !info(d).is_some_and(|t| t.rank() == 2 && matches!(t.elem, Elem::Int(64) | Elem::Str)) {
            return crate::tf::tf_match::refuse(op, format!("dense input {k} is not a ranked [batch, k] int64 or string value"));
        }
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let location = op.location();
    let i64t = i64_type(context);
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    // Strings are crossed by their Fingerprint64.
    let fingerprint = |v: Value| -> Value {
        let hashed: Value = if info(v).is_some_and(|t| t.elem == Elem::Str) {
            base.insert(emb::fingerprint(location, v, ranked(&[-1], i64t))).result(0).unwrap().into()
        } else {
            v
        };
        // SAFETY: the op lives in the function being rewritten, past this rewrite.
        unsafe { recom_ir::ext::unbind(hashed) }
    };
    let mut inputs = Vec::with_capacity(n + dense_count);
    for k in 0..n {
        let v = skip_noop_cast(operand(op, n + k).unwrap());
        let hashed = fingerprint(v);
        let indices = operand(op, k).unwrap();
        inputs.push([indices, hashed, crate::tf::tf_match::sparse_shape(indices, operand(op, 2 * n + k).unwrap())]);
    }
    for k in 0..dense_count {
        let d = operand(op, 3 * n + k).unwrap();
        let element = recom_ir::ext::element_type(d.r#type()).unwrap_or(i64t);
        let sparse = base.insert(emb::sparse_from_dense(
            context,
            location,
            d,
            &Ignore::KeepAll,
            [ranked(&[-1, 2], i64t), ranked(&[-1], element), ranked(&[2], i64t)],
        ));
        let r = |i: usize| -> Value { unsafe { Value::from_raw(sparse.result(i).unwrap().to_raw()) } };
        let hashed = fingerprint(r(1));
        inputs.push([r(0), hashed, r(2)]);
    }
    let cross = base.insert(emb::cross_hashed(
        context,
        location,
        &inputs,
        buckets,
        key as u64,
        [ranked(&[-1, 2], i64t), ranked(&[-1], i64t), ranked(&[2], i64t)],
    ));
    base.replace_op_with_operation(op, cross);
    true
}
