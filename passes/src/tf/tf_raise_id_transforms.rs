//! `tf-raise-id-transforms`: the id transforms in front of a column's lookup
//! become `emb` ops.
//!
//! [Pattern: hash bucket]  "tf.StringToHashBucketFast"(%s : tensor<?x!tf.string>) {num_buckets = N}
//!                         -> "emb.hash_bucket"(%s) {num_buckets = N}
//! [Pattern: int hash]     "tf.StringToHashBucketFast"("tf.AsString"(%x : tensor<?xi64>)) (default format)
//!                         -> "emb.hash_bucket"(%x)
//! [Pattern: identity default] (categorical_column_with_identity with default_value)
//!   "tf.SelectV2"("tf.LogicalOr"("tf.Less"(%x, lo), "tf.GreaterEqual"(%x, hi)), "tf.Fill"(_, d), %x)
//!   -> "emb.range_filter"(%x) {lo, hi, on_out_of_range = "default", default_id = d}
//! [Pattern: vocabulary]   "tf.LookupTableFindV2"(%table, %keys, d) where %table = "tf.HashTableV2" is
//!   filled only by "tf.LookupTableImportV2"(%table, K, Cast(Range(f, f + n, 1)))
//!   -> "emb.vocabulary"(%keys) {keys = K, default_id = d} (first_id = f when f > 0:
//!   Keras' StringLookup numbers its keys after the OOV indices)
//!
//! [Pattern: OOV buckets] (vocabulary_list with num_oov_buckets = k)
//!   "tf.SelectV2"("tf.NotEqual"(%v, -1), %v, "tf.AddV2"(hash(%keys, k), "tf.LookupTableSizeV2"(%table)))
//!   with %v = emb.vocabulary(%keys) {default_id = -1} (raised first)
//!   -> "emb.vocabulary"(%keys) {..., num_oov_buckets = k}
//!   Keras' StringLookup / IntegerLookup with k > 1 OOV indices:
//!   "tf.SelectV2"("tf.Equal"(%v, -1), "tf.AddV2"(hash(%keys, k), c), %v), %v
//!   numbering its keys from first_id = k + ...
//!   -> "emb.vocabulary"(%keys) {..., num_oov_buckets = k, first_id, oov_base = c}
//!
//! Inputs must be ranked (run tf-raise-feeds first). These emb ops run on the
//! host (the runtime's host program), see the emb dialect. `negative_`: an
//! AsString with a non-default format, a range check whose bounds are not
//! constants or whose Select picks the default for in-range ids, a table
//! imported twice or with values other than 0..n.
use crate::tf::tf_match::{const_int, const_ints, const_strings, def_named, i64_type, int_attr, operand, ranked, string_attr, users};
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, Filter, Keys};
use recom_ir::rewrite::Pattern;
use recom_ir::kit::{Elem, TensorInfo};

crate::pattern_pass! {
    argument: "tf-raise-id-transforms",
    name: "TfRaiseIdTransforms",
    summary: "Raise TF id transforms (hash bucket, identity default, vocabulary) to emb ops",
    description: "StringToHashBucketFast [AsString] -> emb.hash_bucket, the identity column's range check -> \
                  emb.range_filter, HashTableV2 + LookupTableFindV2 -> emb.vocabulary.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern { root: "tf.StringToHashBucketFast", generates: &[emb::HashBucketOp::NAME], rewrite: raise_hash },
            Pattern { root: "tf.SelectV2", generates: &[emb::RangeFilterOp::NAME], rewrite: raise_identity_default },
            Pattern { root: "tf.LookupTableFindV2", generates: &[emb::VocabularyOp::NAME], rewrite: raise_vocabulary },
            Pattern { root: "tf.SelectV2", generates: &[emb::VocabularyOp::NAME], rewrite: raise_oov_buckets }],
}


fn ranked_vector(value: Value) -> Option<Elem> {
    TensorInfo::of(value.r#type()).filter(|t| t.rank() == 1).map(|t| t.elem)
}

fn raise_hash(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let Some(input) = operand(op, 0) else { return false };
    let Some(buckets) = int_attr(op, "num_buckets") else { return false };
    let ids = match ranked_vector(input) {
        Some(Elem::Str) => input,
        _ => {
            // AsString of integers in its default format (what TF's hashed int columns use).
            let Some(as_string) = def_named(input, "tf.AsString") else { return false };
            let default_format = int_attr(as_string, "precision").unwrap_or(-1) == -1
                && int_attr(as_string, "width").unwrap_or(-1) == -1
                && string_attr(as_string, "fill").unwrap_or_default().is_empty()
                && !crate::tf::tf_match::bool_attr(as_string, "scientific").unwrap_or(false)
                && !crate::tf::tf_match::bool_attr(as_string, "shortest").unwrap_or(false);
            let Some(x) = operand(as_string, 0) else { return false };
            if !default_format || !matches!(ranked_vector(x), Some(Elem::Int(32 | 64))) {
                return false;
            }
            x
        }
    };
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let new = base.insert(emb::hash_bucket(context, op.location(), ids, buckets, ranked(&[-1], i64_type(context))));
    base.replace_op_with_operation(op, new);
    true
}

fn same(a: Option<Value>, b: Value) -> bool {
    a.is_some_and(|a| a.to_raw().ptr == b.to_raw().ptr)
}

fn raise_identity_default(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(condition), Some(fill), Some(x)) = (operand(op, 0), operand(op, 1), operand(op, 2)) else { return false };
    if ranked_vector(x) != Some(Elem::Int(64)) {
        return false;
    }
    let Some(or) = def_named(condition, "tf.LogicalOr") else { return false };
    // Either operand order: Less(x, lo) and GreaterEqual(x, hi).
    let mut lo = None;
    let mut hi = None;
    for k in 0..2 {
        let Some(side) = operand(or, k) else { return false };
        if let Some(less) = def_named(side, "tf.Less") {
            if same(operand(less, 0), x) {
                lo = operand(less, 1).and_then(const_int);
            }
        } else if let Some(ge) = def_named(side, "tf.GreaterEqual") {
            if same(operand(ge, 0), x) {
                hi = operand(ge, 1).and_then(const_int);
            }
        }
    }
    let (Some(lo), Some(hi)) = (lo, hi) else { return false };
    let Some(fill_op) = def_named(fill, "tf.Fill") else { return false };
    let Some(default) = operand(fill_op, 1).and_then(const_int) else { return false };
    if lo >= hi || default < lo || default >= hi {
        return false;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let new = base.insert(emb::range_filter(
        context,
        op.location(),
        x,
        Filter { lo, hi, default: Some(default) },
        ranked(&[-1], i64_type(context)),
    ));
    base.replace_op_with_operation(op, new);
    true
}

fn raise_vocabulary(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(table), Some(keys_in), Some(default)) = (operand(op, 0), operand(op, 1), operand(op, 2)) else {
        return false;
    };
    let Some(default) = const_int(default) else { return false };
    let Some(hash_table) = def_named(table, "tf.HashTableV2") else { return false };
    let imports: Vec<OperationRef> =
        users(table).into_iter().filter(|u| crate::tf::tf_match::name_of(*u) == "tf.LookupTableImportV2").collect();
    let [import] = imports[..] else { return false };
    let _ = hash_table;
    let (Some(keys), Some(values)) = (operand(import, 1), operand(import, 2)) else { return false };
    // values = first..first + n (Cast(Range(first, first + n, 1)) or a
    // constant): feature columns number keys from 0, Keras' StringLookup
    // after its OOV indices.
    let (first, positions) = match def_named(values, "tf.Cast").and_then(|c| operand(c, 0)).and_then(|v| def_named(v, "tf.Range")) {
        Some(range) => match (operand(range, 0).and_then(const_int), operand(range, 1).and_then(const_int), operand(range, 2).and_then(const_int)) {
            (Some(first), Some(end), Some(1)) if first >= 0 && end >= first => (first, Some(end - first)),
            _ => (0, None),
        },
        None => match const_ints(values) {
            Some(v) if !v.is_empty() && v[0] >= 0 && v.iter().enumerate().all(|(i, &x)| x == v[0] + i as i64) => (v[0], Some(v.len() as i64)),
            _ => (0, None),
        },
    };
    let keys = match ranked_vector(keys_in) {
        Some(Elem::Str) => const_strings(keys).map(Keys::Str),
        Some(Elem::Int(64)) => const_ints(keys).map(Keys::I64),
        _ => None,
    };
    let Some(keys) = keys else { return false };
    if positions != Some(keys.len() as i64) {
        return false;
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let new = base.insert(emb::vocabulary(context, op.location(), keys_in, &keys, default, 0, ranked(&[-1], i64_type(context))));
    if first != 0 {
        use melior::ir::operation::OperationMutLike;
        let mut new_mut = unsafe { melior::ir::operation::OperationRefMut::from_raw(new.to_raw()) };
        new_mut.set_attribute("first_id", melior::ir::attribute::IntegerAttribute::new(i64_type(context), first).into());
    }
    base.replace_op_with_operation(op, new);
    true
}

/// The vocabulary's OOV buckets: absent keys (-1) replaced by
/// base + hash(key) mod k — feature columns: SelectV2(found != -1, found,
/// hash + LookupTableSizeV2) (base = the key count, after the keys); Keras'
/// lookups with k OOV indices: SelectV2(found == -1, hash + c, found) with
/// c constant (base c, before the keys, which start at first_id).
fn raise_oov_buckets(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(condition), Some(a), Some(b)) = (operand(op, 0), operand(op, 1), operand(op, 2)) else { return false };
    let (compare, found, oov) = if let Some(ne) = def_named(condition, "tf.NotEqual") {
        (ne, a, b)
    } else if let Some(eq) = def_named(condition, "tf.Equal") {
        (eq, b, a)
    } else {
        return false;
    };
    let Some(vocabulary) = crate::tf::tf_match::def(found).and_then(emb::VocabularyOp::wrap) else { return false };
    let (Ok(keys), Ok(-1), Ok(0), Ok(first)) = (vocabulary.keys(), vocabulary.default_id(), vocabulary.num_oov_buckets(), vocabulary.first_id()) else {
        return false;
    };
    if !same(operand(compare, 0), found) || operand(compare, 1).and_then(const_int) != Some(-1) {
        return false;
    }
    // hash(keys, k) [+ base]
    let (hashed, base) = match def_named(oov, "tf.AddV2") {
        Some(add) => match (operand(add, 0), operand(add, 1)) {
            (Some(h), Some(b)) => (h, Some(b)),
            _ => return false,
        },
        None => (oov, None),
    };
    // hash(keys, k): tf.StringToHashBucketFast or its raised emb.hash_bucket, of the same keys.
    let input = vocabulary.input();
    let buckets = match crate::tf::tf_match::def(hashed) {
        Some(h) if emb::HashBucketOp::wrap(h).is_some() => {
            let h = emb::HashBucketOp::wrap(h).unwrap();
            (h.ids().to_raw().ptr == input.to_raw().ptr).then(|| h.num_buckets().ok()).flatten()
        }
        Some(h) if crate::tf::tf_match::name_of(h) == "tf.StringToHashBucketFast" => {
            same(operand(h, 0), input).then(|| int_attr(h, "num_buckets")).flatten()
        }
        _ => None,
    };
    let Some(buckets) = buckets.filter(|&b| b > 0) else { return false };
    let oov_base = match base {
        None => 0,
        Some(b) => match const_int(b) {
            Some(c) if c >= 0 => c,
            Some(_) => return false,
            None => {
                // The table's size: a table with exactly the vocabulary's
                // keys, checked through the table it was raised from.
                let Some(size_op) = def_named(b, "tf.LookupTableSizeV2") else { return false };
                let Some(table) = operand(size_op, 0) else { return false };
                let imports: Vec<OperationRef> =
                    users(table).into_iter().filter(|u| crate::tf::tf_match::name_of(*u) == "tf.LookupTableImportV2").collect();
                let [import] = imports[..] else { return false };
                let table_keys = match &keys {
                    Keys::Str(_) => operand(import, 1).and_then(const_strings).map(Keys::Str),
                    Keys::I64(_) => operand(import, 1).and_then(const_ints).map(Keys::I64),
                };
                if table_keys.as_ref() != Some(&keys) {
                    return false;
                }
                keys.len() as i64
            }
        },
    };
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let new = base.insert(emb::vocabulary(context, op.location(), input, &keys, -1, buckets, ranked(&[-1], i64_type(context))));
    {
        use melior::ir::operation::OperationMutLike;
        let mut new_mut = unsafe { melior::ir::operation::OperationRefMut::from_raw(new.to_raw()) };
        if first > 0 {
            new_mut.set_attribute("first_id", melior::ir::attribute::IntegerAttribute::new(i64_type(context), first).into());
        }
        if oov_base != first + keys.len() as i64 {
            new_mut.set_attribute("oov_base", melior::ir::attribute::IntegerAttribute::new(i64_type(context), oov_base).into());
        }
    }
    base.replace_op_with_operation(op, new);
    true
}
