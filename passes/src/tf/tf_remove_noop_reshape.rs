//! `tf-remove-noop-reshape`: reshapes that provably keep their input's shape.
//! (Structural proofs for the shapes feature columns build; the symbolic
//! shape analysis generalizes them.)
//!
//! [Pattern: sparse flatten] a rank-2 SparseTensor flattened to 2-D:
//!   %r:2 = "tf.SparseReshape"(%indices : tensor<?x2xi64>, %shape : tensor<2xi64>,
//!          "tf.Pack"("tf.Prod"("tf.Slice"(%shape, [0], [1]), [0]), "tf.GatherV2"(%shape, 1, 0)))
//!   -> %r#0 = %indices, %r#1 = %shape
//! [Pattern: restore rows] the pooled [B, D] reshaped to [dense_shape[0], D]:
//!   "tf.Reshape"(%x, "tf.ConcatV2"("tf.Slice"("tf.Cast"(%shape), [0], [1]), "tf.Slice"("tf.Shape"(%x), [1], [-1]), 0))
//!   -> %x   when %x is an emb.lookup whose rows come from emb.coo_rows(_, %shape)
//! [Pattern: batch x dim] "tf.Reshape"(%x, "tf.Pack"(StridedSlice("tf.Shape"(%x))[0], D)) -> %x
//!   when %x is [?, D] (a ranked type or an emb.lookup of a D-wide table)
//!
//! `negative_`: a different target dim, a flatten of a rank-3 SparseTensor,
//! a row count from another SparseTensor's shape.
use crate::tf::tf_match::{const_int, const_ints, def, def_named, element_slice, name_of, operand};
use melior::{
    ir::{operation::OperationLike, operation::OperationRef, Value, ValueLike},
    PatternRewriter,
};
use recom_emb as emb;
use recom_ir::rewrite::Pattern;
use recom_ir::kit::TensorInfo;

crate::pattern_pass! {
    argument: "tf-remove-noop-reshape",
    name: "TfRemoveNoopReshape",
    summary: "Remove tf.SparseReshape / tf.Reshape ops whose target shape equals their input's shape",
    description: "Forwards the inputs of reshapes that feature columns insert to flatten or restore shapes that \
                  are already right.",
    apply: crate::tf::tf_match::apply,
    patterns: vec![Pattern { root: "tf.SparseReshape", generates: &[], rewrite: sparse_flatten },
            Pattern { root: "tf.Reshape", generates: &[], rewrite: reshape }],
}


fn same(a: Option<Value>, b: Value) -> bool {
    a.is_some_and(|a| a.to_raw().ptr == b.to_raw().ptr)
}

fn shape_of(value: Value) -> Option<Vec<Option<i64>>> {
    TensorInfo::of(value.r#type()).map(|t| t.shape)
}

fn sparse_flatten(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(indices), Some(shape), Some(new_shape)) = (operand(op, 0), operand(op, 1), operand(op, 2)) else {
        return false;
    };
    if shape_of(indices).is_none_or(|s| s.len() != 2 || s[1] != Some(2)) || shape_of(shape) != Some(vec![Some(2)]) {
        return false;
    }
    let Some(pack) = def_named(new_shape, "tf.Pack") else { return false };
    if op.operand_count() != 3 || pack.operand_count() != 2 {
        return false;
    }
    let Some(prod) = operand(pack, 0).and_then(|v| def_named(v, "tf.Prod")) else { return false };
    let Some(slice) = operand(prod, 0).and_then(|v| def_named(v, "tf.Slice")) else { return false };
    let slice_ok = same(operand(slice, 0), shape)
        && operand(slice, 1).and_then(const_ints) == Some(vec![0])
        && operand(slice, 2).and_then(const_ints) == Some(vec![1])
        && operand(prod, 1).and_then(const_ints) == Some(vec![0]);
    let Some(gather) = operand(pack, 1).and_then(|v| def_named(v, "tf.GatherV2")) else { return false };
    let gather_ok = same(operand(gather, 0), shape)
        && operand(gather, 1).and_then(const_int) == Some(1)
        && operand(gather, 2).and_then(const_int) == Some(0);
    if !slice_ok || !gather_ok {
        return false;
    }
    rewriter.as_rewriter_base().replace_op_with_values(op, &[indices, shape]);
    true
}

/// [rows, D] facts of `value`: the static dim 1, and the dense_shape value
/// its rows come from (emb.lookup over emb.coo_rows).
fn lookup_facts<'c: 'a, 'a>(value: Value<'c, 'a>) -> (Option<i64>, Option<Value<'c, 'a>>) {
    if let Some(lookup) = def(value).and_then(emb::LookupOp::wrap) {
        let dim = TensorInfo::of(lookup.table().r#type()).and_then(|t| t.shape.get(1).copied().flatten());
        let rows = def(lookup.row_offsets()).and_then(emb::CooRowsOp::wrap).and_then(|c| c.dense_shape()).map(|s| unsafe { Value::from_raw(s.to_raw()) });
        return (dim, rows);
    }
    (shape_of(value).filter(|s| s.len() == 2).and_then(|s| s[1]), None)
}

fn reshape(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(x), Some(target)) = (operand(op, 0), operand(op, 1)) else { return false };
    let (dim, rows_from) = lookup_facts(x);
    let Some(dim) = dim else { return false };
    let target_op = def(target);
    let noop = match target_op.map(name_of).as_deref() {
        // [x.shape[0], D]
        Some("tf.Pack") => {
            let pack = target_op.unwrap();
            pack.operand_count() == 2
                && operand(pack, 0)
                    .and_then(|v| element_slice(v, 0))
                    .and_then(|s| def_named(s, "tf.Shape"))
                    .is_some_and(|shape| same(operand(shape, 0), x))
                && operand(pack, 1).and_then(const_int) == Some(dim)
        }
        // concat(dense_shape[0:1], x.shape[1:])
        Some("tf.ConcatV2") => {
            let concat = target_op.unwrap();
            let Some(rows_from) = rows_from else { return false };
            let first = operand(concat, 0).and_then(|v| def_named(v, "tf.Slice"));
            let second = operand(concat, 1).and_then(|v| def_named(v, "tf.Slice"));
            let (Some(first), Some(second)) = (first, second) else { return false };
            let first_ok = operand(first, 0)
                .and_then(|v| def_named(v, "tf.Cast"))
                .is_some_and(|cast| same(operand(cast, 0), rows_from))
                && operand(first, 1).and_then(const_ints) == Some(vec![0])
                && operand(first, 2).and_then(const_ints) == Some(vec![1]);
            let second_ok = operand(second, 0)
                .and_then(|v| def_named(v, "tf.Shape"))
                .is_some_and(|shape| same(operand(shape, 0), x))
                && operand(second, 1).and_then(const_ints) == Some(vec![1])
                && operand(second, 2).and_then(const_ints) == Some(vec![-1]);
            concat.operand_count() == 3 && first_ok && second_ok && operand(concat, 2).and_then(const_int) == Some(0)
        }
        // Symbolically (after tf-shape-construct): the target's content is
        // [rows, D] with rows the lookup's dense_shape[0], or x's own shape.
        _ => {
            let target_content = crate::tf::tf_match::symbolic_content(target);
            let rows = rows_from.and_then(batch_expr);
            let own = crate::tf::tf_match::symbolic_shape(x);
            match target_content {
                Some(t) if t.len() == 2 && t[1] == dim.to_string() => rows.is_some_and(|r| t[0] == r) || own.is_some_and(|o| o == t),
                _ => false,
            }
        }
    };
    if !noop {
        return false;
    }
    rewriter.as_rewriter_base().replace_op_with_values(op, &[x]);
    true
}

/// The symbolic batch (dense_shape[0]) of a SparseTensor's dense shape value:
/// its annotated content, or for a host op's dense shape (made after shape
/// inference) the batch of what it was made from.
fn batch_expr(shape: Value) -> Option<String> {
    if let Some(first) = crate::tf::tf_match::symbolic_content(shape).and_then(|c| c.first().cloned()) {
        return Some(first);
    }
    let op = def(shape)?;
    if crate::tf::tf_match::result_number(shape) != 2 {
        return None;
    }
    match name_of(op).as_str() {
        "emb.sparse_from_dense" | "emb.bucketized_sparse" | "emb.string_split" => crate::tf::tf_match::symbolic_shape(operand(op, 0)?)?.first().cloned(),
        "emb.cross_hashed" => batch_expr(operand(op, 2 * (op.operand_count() / 3))?),
        _ => None,
    }
}
