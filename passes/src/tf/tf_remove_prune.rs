//! `tf-remove-prune`: `_prune_invalid_ids` drops ids < 0 with
//! GreaterEqual/Where/Reshape/GatherV2 on the ids and on their indices. Where
//! a value-range analysis proves the ids already >= 0 the boundary check is
//! useless and goes; user-supplied ids keep it.
//!
//! [Pattern: prune] IN:  %keep = "tf.Reshape"("tf.Where"("tf.GreaterEqual"(%ids, 0)), [-1])
//!                       %y = "tf.GatherV2"(%x, %keep, 0)     (%x = %ids or their indices)
//!                  OUT: %y = %x                               when range(%ids) >= 0
//!
//! Ranges: `emb.hash_bucket` is [0, N); `emb.bucketize` is [0, #boundaries],
//! the ids of `emb.bucketized_sparse` are >= 0;
//! `emb.range_filter` with a default is [lo, hi); `emb.vocabulary` is
//! [0, #keys + OOV buckets) with OOV buckets or a default >= 0 (a default of
//! -1 is not); a function argument
//! (user ids) is unknown. (RECom's filter `x >= l || x <= r` accepts every id;
//! this check is the plain `lo >= 0`.)
//! `negative_`: user ids, a vocabulary with default -1, a comparison with a
//! constant other than 0.
use crate::tf::tf_match::{const_int, const_ints, def, def_named, name_of, operand, skip_identity};
use melior::{
    ir::{operation::OperationRef, Value},
    PatternRewriter,
};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "tf-remove-prune",
    name: "TfRemovePrune",
    summary: "Drop the ids >= 0 boundary checks (Where/GatherV2) that a value-range analysis proves useless",
    description: "Removes _prune_invalid_ids' gathers on ids produced by hash buckets, bucketize, range filters \
                  with a default and vocabularies with a non-negative default; keeps them for user ids.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern { root: "tf.GatherV2", generates: &[], rewrite: remove_prune }],
}


/// The smallest value `value` can take, when the analysis knows it.
pub fn lower_bound(value: Value) -> Option<i64> {
    let value = skip_identity(value);
    let op = def(value)?;
    let name = name_of(op);
    match name.as_str() {
        "tf.StringToHashBucketFast" | "tf.Bucketize" => Some(0),
        // recom's ops: their value-range interface.
        _ => {
            let range = crate::op_def(&name)?.int_range?;
            range(op, crate::tf::tf_match::result_number(value))?.min
        }
    }
}

fn remove_prune(gather: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(keep), Some(axis)) = (operand(gather, 0), operand(gather, 1), operand(gather, 2)) else {
        return false;
    };
    if const_int(axis) != Some(0) {
        return false;
    }
    let Some(reshape) = def_named(keep, "tf.Reshape") else { return false };
    if operand(reshape, 1).and_then(const_ints) != Some(vec![-1]) {
        return false;
    }
    let Some(where_op) = operand(reshape, 0).and_then(|v| def_named(v, "tf.Where")) else { return false };
    let Some(ge) = operand(where_op, 0).and_then(|v| def_named(v, "tf.GreaterEqual")) else { return false };
    let (Some(ids), Some(zero)) = (operand(ge, 0), operand(ge, 1)) else { return false };
    if const_int(zero) != Some(0) || lower_bound(ids).is_none_or(|lo| lo < 0) {
        return false;
    }
    rewriter.as_rewriter_base().replace_op_with_values(gather, &[x]);
    true
}
