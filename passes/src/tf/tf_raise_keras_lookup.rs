//! `tf-raise-keras-lookup`: Keras `Embedding` layers (no feature columns)
//! become `emb.lookup`s. A Keras lookup is a plain `GatherV2` of a constant
//! table by a dense `[B, L]` id input, pooled by the layers after it:
//!
//! [Pattern: flattened ids] (Embedding + Flatten / Reshape)
//! IN:  "tf.Reshape"("tf.GatherV2"(%t, %ids : [?, L], 0), [-1, L·D]) (the
//!      target may be built as Pack(Shape(gather)[0], L·D or -1))
//! OUT: L = 1: sum lookup of the row's one id; L > 1: "tf.ConcatV2" of L
//!      such lookups, lookup j reading column j of the ids
//!      (`emb.sparse_from_dense {column = j}`), which tf-raise-input-layer
//!      takes apart into L columns
//!
//! [Pattern: pooled ids] (a Lambda / GlobalPooling over the L ids)
//! IN:  "tf.Sum"(%g, [1]) | "tf.Mean"(%g, [1]), %g = "tf.GatherV2"(%t, %ids : [?, L], 0)
//! OUT: sum | mean lookup of every id of the row
//!
//! [Pattern: masked pooling] (mask_zero=True, or a mask of ids != 0)
//! IN:  %m = "tf.Cast"("tf.NotEqual"(%ids, 0)) to f32
//!      %s = "tf.Sum"("tf.Mul"(%g, "tf.ExpandDims"(%m, -1)), [1])
//!      %s (masked sum) | "tf.RealDiv"(%s, %n) (masked mean) where %n is
//!      "tf.Sum"(%m or its ExpandDims, [1]), possibly through
//!      "tf.Maximum"(%n, eps > 0)
//! OUT: sum | mean lookup of the row's ids != 0 (a row of padding gives 0)
//!
//! The ids may reach the gather through id transforms of the input (a
//! `Hashing` layer's StringToHashBucketFast, a `StringLookup`'s
//! LookupTableFindV2, Casts): the dense input becomes a SparseTensor with
//! every entry (`emb.sparse_from_dense`), the transforms are repeated on its
//! values (tf-raise-id-transforms raises them), and the lookup pools them.
//! A `Discretization` (Bucketize of a [?, 1] float input) becomes
//! `emb.bucketized_sparse`.
//!
//! Not exactly TensorFlow where TensorFlow fails a request: a negative id
//! (GatherV2 rejects it) is dropped; an id >= the table's rows is an error
//! as in TensorFlow; an unmasked mean of zero ids is 0 (TensorFlow: NaN).
//! `negative_`: a gather of a computed (not constant) table, along axis 1,
//! a mask of another input, a pooling along another axis.
use crate::tf::tf_match::{const_f32, const_int, const_ints, def, def_named, i64_type, name_of, operand, ranked, refuse, skip_identity};
use crate::tf::tf_raise_lookup::{replace_with_lookup, table_shape, Column};
use melior::{
    ir::{
        operation::{OperationBuilder, OperationLike, OperationRef},
        Value, ValueLike,
    },
    PatternRewriter,
};
use recom_emb::{self as emb, Combiner, Ignore};
use recom_ir::{
    kit::{Elem, TensorInfo},
    rewrite::Pattern,
};

crate::pattern_pass! {
    argument: "tf-raise-keras-lookup",
    name: "TfRaiseKerasLookup",
    summary: "Raise Keras Embedding lookups (GatherV2 of a constant table by a dense id input, flattened or pooled) to emb.lookup",
    description: "Flatten/Reshape of one id per row, Sum/Mean over the ids, and masked (ids != 0) sums and means become \
                  sum or mean lookups of the dense input's entries.",
    apply: crate::tf::tf_match::apply,
    patterns: {
        let generates: &[&str] = &[emb::TableOp::NAME, emb::CooRowsOp::NAME, emb::LookupOp::NAME, emb::SparseFromDenseOp::NAME];
        vec![
            Pattern { root: "tf.Reshape", generates, rewrite: flattened },
            Pattern { root: "tf.Sum", generates, rewrite: pooled },
            Pattern { root: "tf.Mean", generates, rewrite: pooled },
            Pattern { root: "tf.RealDiv", generates, rewrite: masked_mean },
        ]
    },
}

/// A Keras table lookup: `GatherV2(table, ids, 0)` of a constant `[R, D]`
/// table by `[?, L]` ids (L static): (table op, ids, L, D).
fn gather<'c: 'a, 'a>(g: Value<'c, 'a>) -> Option<(OperationRef<'c, 'a>, Value<'c, 'a>, i64, i64)> {
    let gather = def_named(g, "tf.GatherV2")?;
    if const_int(operand(gather, 2)?) != Some(0) || crate::tf::tf_match::int_attr(gather, "batch_dims").unwrap_or(0) != 0 {
        return None;
    }
    let table = def_named(skip_identity(operand(gather, 0)?), "tf.Const")?;
    let dims = table_shape(table)?;
    crate::tf::tf_match::string_attr(table, "value_ref")?;
    let ids = operand(gather, 1)?;
    let l = ids_width(ids)?;
    Some((table, ids, l, dims[1]))
}

/// L of `[?, L]` ids: from their type, or from the input they are
/// transformed from.
fn ids_width(ids: Value) -> Option<i64> {
    if let Some(t) = TensorInfo::of(ids.r#type()) {
        return (t.rank() == 2).then_some(t.shape[1]).flatten();
    }
    // A Discretization's Bucketize (behind Casts) keeps its input's shape.
    let mut at = ids;
    while let Some(cast) = def_named(at, "tf.Cast") {
        at = operand(cast, 0)?;
    }
    let input = match def_named(at, "tf.Bucketize") {
        Some(bucketize) => operand(bucketize, 0)?,
        None => transforms(ids)?.0,
    };
    TensorInfo::of(input.r#type()).filter(|t| t.rank() == 2).and_then(|t| t.shape[1])
}

/// The id transforms between a dense model input and `ids`, innermost
/// first: (the input, the ops). Each transform is elementwise on its data
/// operand.
fn transforms<'c: 'a, 'a>(ids: Value<'c, 'a>) -> Option<(Value<'c, 'a>, Vec<OperationRef<'c, 'a>>)> {
    let mut chain = Vec::new();
    let mut v = ids;
    loop {
        if recom_ir::ext::block_argument(v).is_some() {
            chain.reverse();
            return Some((v, chain));
        }
        let op = def(v)?;
        let next = match name_of(op).as_str() {
            "tf.Cast" | "tf.StringToHashBucketFast" | "tf.AsString" | "tf.Identity" => operand(op, 0)?,
            "tf.LookupTableFindV2" => operand(op, 1)?,
            "tf.SelectV2" => keras_oov(op)?.1,
            _ => return None,
        };
        if chain.len() > 8 {
            return None;
        }
        chain.push(op);
        v = next;
    }
}

/// A Keras lookup with several OOV indices:
/// SelectV2(Equal(find, -1), AddV2(StringToHashBucketFast(x), c), find),
/// find = LookupTableFindV2(table, x, -1): (the find, x).
fn keras_oov<'c: 'a, 'a>(select: OperationRef<'c, 'a>) -> Option<(OperationRef<'c, 'a>, Value<'c, 'a>)> {
    let equal = def_named(operand(select, 0)?, "tf.Equal")?;
    let find = def_named(operand(select, 2)?, "tf.LookupTableFindV2")?;
    let same = |a: Value, b: Value| a.to_raw().ptr == b.to_raw().ptr;
    if !same(operand(equal, 0)?, operand(select, 2)?) || const_int(operand(equal, 1)?) != Some(-1) {
        return None;
    }
    let add = def_named(operand(select, 1)?, "tf.AddV2")?;
    const_int(operand(add, 1)?)?;
    let hash = def_named(operand(add, 0)?, "tf.StringToHashBucketFast")?;
    let x = operand(find, 1)?;
    same(operand(hash, 0)?, x).then_some((find, x))
}

/// The ids (and their rows) of a Keras lookup, as a column's sparse input:
/// the dense input's entries (those != `ignore` when masked), through the
/// transforms again. Inserted before `before`. (ids, indices, dense shape).
fn sparse_ids<'c: 'a, 'a>(
    before: OperationRef<'c, 'a>,
    rewriter: &PatternRewriter,
    ids: Value<'c, 'a>,
    masked: bool,
    column: Option<i64>,
) -> Option<(Value<'c, 'a>, Value<'c, 'a>, Value<'c, 'a>)> {
    let context_ref = before.context();
    let context = unsafe { context_ref.to_ref() };
    let location = before.location();
    let i64t = i64_type(context);
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(before);
    // SAFETY (every unbind): the ops live in the function being rewritten,
    // past this rewrite.
    // A Discretization: Bucketize of a [?, 1] float input (then a Cast).
    let mut at = ids;
    while let Some(cast) = def_named(at, "tf.Cast") {
        at = operand(cast, 0)?;
    }
    if let Some(bucketize) = def_named(at, "tf.Bucketize") {
        let x = operand(bucketize, 0)?;
        let k = TensorInfo::of(x.r#type()).filter(|t| t.rank() == 2 && t.elem.is_float()).and_then(|t| t.shape[1])?;
        if k != 1 || masked || column.is_some() {
            return None;
        }
        let array = melior::ir::attribute::ArrayAttribute::try_from(bucketize.attribute("boundaries").ok()?).ok()?;
        let bounds: Vec<f64> = (0..array.len())
            .map(|i| melior::ir::attribute::FloatAttribute::try_from(array.element(i).ok()?).ok().map(|f| f.value()))
            .collect::<Option<_>>()?;
        let sparse = base.insert(emb::bucketized_sparse(context, bucketize.location(), x, &bounds, [ranked(&[-1, 2], i64t), ranked(&[-1], i64t), ranked(&[2], i64t)]));
        let r = |i: usize| -> Value<'c, 'a> { unsafe { recom_ir::ext::unbind(sparse.result(i).unwrap().into()) } };
        return Some((r(1), r(0), r(2)));
    }
    let (input, chain) = transforms(ids)?;
    let t = TensorInfo::of(input.r#type()).filter(|t| t.rank() == 2)?;
    let ignore = match (masked, t.elem) {
        (false, Elem::Int(32 | 64) | Elem::Str) => Ignore::KeepAll,
        // The mask is ids != 0 on the gathered ids themselves: no transform.
        (true, Elem::Int(32 | 64)) if chain.is_empty() => Ignore::I64(0),
        _ => return None,
    };
    let values_t = match t.elem {
        Elem::Str => recom_ir::ext::element_type(input.r#type())?,
        _ => i64t,
    };
    let results = [ranked(&[-1, 2], i64t), ranked(&[-1], values_t), ranked(&[2], i64t)];
    let sparse = base.insert(match column {
        Some(j) => emb::sparse_column_from_dense(context, location, input, &ignore, j, results),
        None => emb::sparse_from_dense(context, location, input, &ignore, results),
    });
    let mut values: Value = sparse.result(1).unwrap().into();
    // The transforms again, on the values (rank 1): tf-raise-id-transforms
    // raises them; an integer Cast is a no-op on the i64 values.
    for op in chain {
        let name = name_of(op);
        if name == "tf.Cast" || name == "tf.Identity" {
            let to_int = recom_ir::ext::element_type(op.result(0).ok()?.r#type()).is_some_and(|e| matches!(Elem::of(e), Elem::Int(32 | 64)));
            let from_int = TensorInfo::of(values.r#type()).is_some_and(|t| matches!(t.elem, Elem::Int(32 | 64)));
            if name == "tf.Identity" || (to_int && from_int) {
                continue;
            }
            return None;
        }
        if name == "tf.SelectV2" {
            // The OOV DAG again on the values: find, hash + c, Equal, SelectV2.
            let (find, _) = keras_oov(op)?;
            let equal = def(operand(op, 0)?)?;
            let add = def(operand(op, 1)?)?;
            let hash = def(operand(add, 0)?)?;
            let i64r = ranked(&[-1], i64t);
            macro_rules! clone {
                ($from:expr, $operands:expr, $result:expr) => {{
                    let from = $from;
                    let op = base.insert(
                        OperationBuilder::new(&name_of(from), from.location())
                            .add_operands($operands)
                            .add_attributes(&crate::tf::tf_match::attributes_of(from, &[]))
                            .add_results(&[$result])
                            .build()
                            .ok()?,
                    );
                    let v: Value = op.result(0).unwrap().into();
                    v
                }};
            }
            let found = clone!(find, &[operand(find, 0)?, values, operand(find, 2)?], i64r);
            let hashed = clone!(hash, &[values], i64r);
            let shifted = clone!(add, &[hashed, operand(add, 1)?], i64r);
            let absent = clone!(equal, &[found, operand(equal, 1)?], ranked(&[-1], melior::ir::r#type::IntegerType::new(context, 1).into()));
            values = clone!(op, &[absent, shifted, found], i64r);
            continue;
        }
        let data = usize::from(name == "tf.LookupTableFindV2");
        let mut operands: Vec<Value> = (0..op.operand_count()).filter_map(|i| operand(op, i)).collect();
        operands[data] = values;
        let element = recom_ir::ext::element_type(op.result(0).ok()?.r#type())?;
        let clone = base.insert(
            OperationBuilder::new(&name, op.location())
                .add_operands(&operands)
                .add_attributes(&crate::tf::tf_match::attributes_of(op, &[]))
                .add_results(&[ranked(&[-1], element)])
                .build()
                .ok()?,
        );
        values = clone.result(0).unwrap().into();
    }
    if !TensorInfo::of(values.r#type()).is_some_and(|t| t.rank() == 1 && t.elem == Elem::Int(64)) {
        return None;
    }
    let r = |v: Value| -> Value<'c, 'a> { unsafe { recom_ir::ext::unbind(v) } };
    Some((r(values), r(sparse.result(0).unwrap().into()), r(sparse.result(2).unwrap().into())))
}

fn lookup(op: OperationRef, rewriter: PatternRewriter, table: OperationRef, ids: Value, masked: bool, combiner: Combiner) -> bool {
    // A dead value (e.g. the numerator of a mean already raised) stays dead.
    if !op.result(0).is_ok_and(|r| crate::tf::tf_match::has_uses(r.into())) {
        return false;
    }
    let Some((ids, indices, shape)) = sparse_ids(op, &rewriter, ids, masked, None) else {
        return refuse(op, "its ids are not a dense model input (through Cast, hashing, vocabulary or Discretization) that can become a SparseTensor");
    };
    replace_with_lookup(op, rewriter, Column { table, ids, indices, dense_shape: Some(shape), weights: None, combiner })
}

fn flattened(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let Some(g) = operand(op, 0) else { return false };
    let Some((table, ids, l, d)) = gather(g) else { return false };
    // [-1, L·D], or [Shape(g)[0], L·D | -1] as Keras' Flatten / Reshape build it.
    let dims = operand(op, 1).and_then(|t| crate::tf::tf_match::target_dims(g, t));
    if !matches!(dims.as_deref(), Some([-1, x]) if *x == l * d || *x == -1) {
        return refuse(op, format!("the reshape of the gathered rows is not to [batch, {}]", l * d));
    }
    if l == 1 {
        return lookup(op, rewriter, table, ids, false, Combiner::Sum);
    }
    // Several ids per row, flattened: one lookup of each column's id, side
    // by side (a concatenation tf-raise-input-layer takes apart).
    if !op.result(0).is_ok_and(|r| crate::tf::tf_match::has_uses(r.into())) {
        return false;
    }
    let mut lookups = Vec::with_capacity(l as usize);
    for j in 0..l {
        let Some((ids, indices, shape)) = sparse_ids(op, &rewriter, ids, false, Some(j)) else {
            return refuse(op, "its ids are not a dense model input (through Cast, hashing or vocabulary) that can become a SparseTensor");
        };
        let column = Column { table, ids, indices, dense_shape: Some(shape), weights: None, combiner: Combiner::Sum };
        let Some(lookup) = crate::tf::tf_raise_lookup::insert_lookup(op, &rewriter, column) else { return false };
        lookups.push(lookup);
    }
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let axis = base.insert(crate::tf::tf_match::const_i32(context, op.location(), &[1], &[]));
    lookups.push(axis.result(0).unwrap().into());
    let Ok(concat) = OperationBuilder::new("tf.ConcatV2", op.location())
        .add_operands(&lookups)
        .add_attributes(&[(melior::ir::Identifier::new(context, crate::tf::tf_raise_input_layer::FLATTENED), melior::ir::Attribute::unit(context))])
        .add_results(&[ranked(&[-1, l * d], melior::ir::r#type::Type::float32(context))])
        .build()
    else {
        return false;
    };
    let concat = base.insert(concat);
    base.replace_op_with_operation(op, concat);
    true
}

/// The sum over axis 1 (not keeping it) of `op`'s operand 0, or None.
fn over_ids(op: OperationRef) -> bool {
    operand(op, 1).and_then(const_ints).is_some_and(|a| a == [1] || a == [-2]) && !crate::tf::tf_match::bool_attr(op, "keep_dims").unwrap_or(false)
}

/// `m` = Cast(NotEqual(ids, 0)) (or its ExpandDims(-1)) for these `ids`.
fn is_mask(m: Value, ids: Value) -> bool {
    let m = match def_named(m, "tf.ExpandDims") {
        Some(e) if operand(e, 1).and_then(const_int) == Some(-1) || operand(e, 1).and_then(const_int) == Some(2) => operand(e, 0),
        Some(_) => return false,
        None => Some(m),
    };
    m.and_then(|m| def_named(m, "tf.Cast"))
        .and_then(|c| operand(c, 0))
        .and_then(|n| def_named(n, "tf.NotEqual"))
        .is_some_and(|n| operand(n, 0).is_some_and(|x| x.to_raw().ptr == ids.to_raw().ptr) && operand(n, 1).and_then(const_int) == Some(0))
}

/// A masked sum `Sum(Mul(g, mask), [1])`: (table, ids).
fn masked_sum<'c: 'a, 'a>(sum: OperationRef<'c, 'a>) -> Option<(OperationRef<'c, 'a>, Value<'c, 'a>)> {
    if name_of(sum) != "tf.Sum" || !over_ids(sum) {
        return None;
    }
    let mul = def_named(operand(sum, 0)?, "tf.Mul")?;
    let (a, b) = (operand(mul, 0)?, operand(mul, 1)?);
    let ((table, ids, _, _), m) = match (gather(a), gather(b)) {
        (Some(g), _) => (g, b),
        (_, Some(g)) => (g, a),
        _ => return None,
    };
    is_mask(m, ids).then_some((table, ids))
}

fn pooled(op: OperationRef, rewriter: PatternRewriter) -> bool {
    if let Some((table, ids)) = masked_sum(op) {
        // The numerator of a masked mean is the mean's (masked_mean).
        let divided = op.result(0).is_ok_and(|r| {
            crate::tf::tf_match::users(r.into()).into_iter().any(|u| name_of(u) == "tf.RealDiv" && operand(u, 0).is_some_and(|x| x.to_raw().ptr == r.to_raw().ptr))
        });
        if divided {
            return false;
        }
        return lookup(op, rewriter, table, ids, true, Combiner::Sum);
    }
    let Some((table, ids, _, _)) = operand(op, 0).and_then(gather) else { return false };
    if !over_ids(op) {
        return refuse(op, "a pooling of gathered rows along another axis than the ids'");
    }
    let combiner = if name_of(op) == "tf.Mean" { Combiner::Mean } else { Combiner::Sum };
    lookup(op, rewriter, table, ids, false, combiner)
}

fn masked_mean(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(s), Some(n)) = (operand(op, 0), operand(op, 1)) else { return false };
    let Some((table, ids)) = def(s).and_then(masked_sum) else { return false };
    // The count of ids != 0, possibly kept at least eps.
    let n = match def_named(n, "tf.Maximum") {
        Some(max) if operand(max, 1).and_then(const_f32).is_some_and(|e| e > 0.0) => operand(max, 0),
        Some(_) => return false,
        None => Some(n),
    };
    let counts = n.and_then(|n| def_named(n, "tf.Sum")).is_some_and(|c| {
        operand(c, 1).and_then(const_ints).is_some_and(|a| a == [1] || a == [-1] || a == [-2]) && operand(c, 0).is_some_and(|m| is_mask(m, ids))
    });
    if !counts {
        return refuse(op, "the divisor is not the count of the mask's ids");
    }
    lookup(op, rewriter, table, ids, true, Combiner::Mean)
}
