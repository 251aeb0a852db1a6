//! `tf-remove-unique`: the legacy (TF <= 2.14, TF 1.x) lookup gathers the
//! rows of the unique ids, then pools them through the inverse index; pooling
//! the table directly by the ids is the same function (TF >= 2.15 emits that).
//!
//! [Pattern: unique gather]
//! IN:  %u:2 = "tf.Unique"(%ids)
//!      %rows = "tf.GatherV2"(%table, %u#0, %axis = 0)   [tf.Identity]*
//!      %p = "tf.SparseSegment{Sum,Mean,SqrtN}"(%rows, %u#1, %segments)
//! OUT: %p = "tf.SparseSegment{Sum,Mean,SqrtN}"(%table, %ids, %segments)
//!
//! [Pattern: unique regather] (weighted columns, both lowerings)
//! IN:  %rows = "tf.GatherV2"(%table, %u#0, 0)   [tf.Identity]*
//!      %e = "tf.GatherV2"(%rows, %u#1, 0)
//! OUT: %e = "tf.GatherV2"(%table, %ids, 0)
//!
//! [Pattern: unique gather, clipped] (embedding_column(max_norm = c))
//! IN:  as above with %rows = clip_by_norm("tf.GatherV2"(%table, %u#0, 0), c)
//! OUT: the pooling over the table with its rows clipped at compile time:
//!      "tf.Const"() {value_ref = "<table>@max_norm=<c>"} (recom_abi's name;
//!      the weights stage clips each row with clip_by_norm's arithmetic)
//!
//! `negative_`: a gather along an axis other than 0, a pooling that uses the
//! index of a different Unique than the gather, or a Unique whose outputs
//! have other users (they stay, and the dead ops are left to tf-erase-dead).
use crate::tf::tf_match::{attributes_of, const_int, def_named, i64_type, is_result, name_of, operand, skip_identity};
use melior::{
    ir::{
        attribute::TypeAttribute,
        operation::{OperationBuilder, OperationLike, OperationRef},
        Identifier, Value, ValueLike,
    },
    PatternRewriter,
};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "tf-remove-unique",
    name: "TfRemoveUnique",
    summary: "Pool tables directly by the ids instead of through tf.Unique + tf.GatherV2 (legacy lowering)",
    description: "Rewrites SparseSegment*(GatherV2(table, Unique(ids)#0), Unique(ids)#1, segments) to \
                  SparseSegment*(table, ids, segments).",
    apply: crate::tf::tf_match::apply,
    patterns: {
        let mut patterns: Vec<Pattern> =
            POOLS.iter().map(|&name| Pattern { root: name, generates: &POOLS, rewrite: remove_unique }).collect();
        patterns.push(Pattern { root: "tf.GatherV2", generates: &["tf.GatherV2"], rewrite: remove_regather });
        patterns
    },
}

const POOLS: [&str; 3] = ["tf.SparseSegmentSum", "tf.SparseSegmentMean", "tf.SparseSegmentSqrtN"];


fn remove_unique(pool: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(rows), Some(index), Some(segments)) = (operand(pool, 0), operand(pool, 1), operand(pool, 2)) else {
        return false;
    };
    // max_norm: the gathered rows are clipped before pooling.
    let (rows, max_norm) = match clip_by_norm(skip_identity(rows)) {
        Some((gathered, c)) => (gathered, Some(c)),
        None => (rows, None),
    };
    let Some(gather) = def_named(skip_identity(rows), "tf.GatherV2") else { return false };
    let (Some(table), Some(unique_ids), Some(axis)) = (operand(gather, 0), operand(gather, 1), operand(gather, 2)) else {
        return false;
    };
    let table = match max_norm {
        None => table,
        Some(c) => match clipped_table(pool, table, c, &rewriter) {
            Some(t) => t,
            None => return crate::tf::tf_match::refuse(pool, "max_norm clipping of rows that do not come from a constant table"),
        },
    };
    if const_int(axis) != Some(0) || crate::tf::tf_match::int_attr(gather, "batch_dims").unwrap_or(0) != 0 {
        return false;
    }
    let Some(unique) = def_named(unique_ids, "tf.Unique") else { return false };
    if !is_result(unique_ids, unique, 0) || !is_result(index, unique, 1) {
        return false;
    }
    let Some(ids) = operand(unique, 0) else { return false };
    let context_ref = pool.context();
    let context = unsafe { context_ref.to_ref() };
    let mut attributes = attributes_of(pool, &["Tidx"]);
    attributes.push((Identifier::new(context, "Tidx"), TypeAttribute::new(i64_type(context)).into()));
    let result_type = pool.result(0).unwrap().r#type();
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(pool);
    let new = base.insert(
        OperationBuilder::new(&name_of(pool), pool.location())
            .add_operands(&[table, ids, segments])
            .add_attributes(&attributes)
            .add_results(&[result_type])
            .build()
            .expect("pooling op"),
    );
    base.replace_op_with_operation(pool, new);
    true
}

/// `(gathered, c)` if `v` is TensorFlow's `clip_by_norm(gathered, c)` over
/// the rows (axis 1 or -1):
/// RealDiv(Mul(g, c), Maximum(Select(p, Sqrt(Select(p, s, ones)), s), c)),
/// s = Sum(Mul(g, g), [1], keep_dims), p = Greater(s, 0).
fn clip_by_norm<'c: 'a, 'a>(v: Value<'c, 'a>) -> Option<(Value<'c, 'a>, f32)> {
    use crate::tf::tf_match::const_f32;
    let same = |a: Value, b: Value| a.to_raw().ptr == b.to_raw().ptr;
    let div = def_named(v, "tf.RealDiv")?;
    let scaled = def_named(operand(div, 0)?, "tf.Mul")?;
    let g = operand(scaled, 0)?;
    let c = const_f32(operand(scaled, 1)?)?;
    let max = def_named(operand(div, 1)?, "tf.Maximum")?;
    if const_f32(operand(max, 1)?)? != c || !(c > 0.0 && c.is_finite()) {
        return None;
    }
    let norm = def_named(operand(max, 0)?, "tf.Select")?;
    let positive = def_named(operand(norm, 0)?, "tf.Greater")?;
    let sum_value = operand(positive, 0)?;
    let sum = def_named(sum_value, "tf.Sum")?;
    let axis = crate::tf::tf_match::const_ints(operand(sum, 1)?)?;
    let squares = def_named(operand(sum, 0)?, "tf.Mul")?;
    let ok = const_f32(operand(positive, 1)?) == Some(0.0)
        && (axis == [1] || axis == [-1])
        && crate::tf::tf_match::bool_attr(sum, "keep_dims") == Some(true)
        && same(operand(squares, 0)?, g)
        && same(operand(squares, 1)?, g)
        && same(operand(norm, 2)?, sum_value)
        && def_named(operand(norm, 1)?, "tf.Sqrt").and_then(|r| operand(r, 0)).and_then(|x| def_named(x, "tf.Select")).is_some_and(|safe| {
            operand(safe, 0).is_some_and(|p| same(p, operand(norm, 0).unwrap())) && operand(safe, 1).is_some_and(|x| same(x, sum_value))
        });
    ok.then_some((g, c))
}

/// A `tf.Const` naming the table `table` (a `tf.Const` with `value_ref`)
/// with its rows clipped to L2 norm `c` (recom_abi's max-norm table name;
/// the weights stage clips the rows).
fn clipped_table<'c: 'a, 'a>(before: OperationRef<'c, 'a>, table: Value<'c, 'a>, c: f32, rewriter: &PatternRewriter) -> Option<Value<'c, 'a>> {
    let op = def_named(skip_identity(table), "tf.Const")?;
    let base_name = crate::tf::tf_match::string_attr(op, "value_ref")?;
    let context_ref = before.context();
    let context = unsafe { context_ref.to_ref() };
    let name = recom_emb::kernel_meta::max_norm_table_name(&base_name, c);
    let mut attributes = attributes_of(op, &["value_ref"]);
    attributes.push((Identifier::new(context, "value_ref"), melior::ir::attribute::StringAttribute::new(context, &name).into()));
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(before);
    let clipped = base.insert(
        OperationBuilder::new("tf.Const", op.location()).add_attributes(&attributes).add_results(&[table.r#type()]).build().ok()?,
    );
    // SAFETY: the op lives in the function being rewritten, past this rewrite.
    Some(unsafe { recom_ir::ext::unbind(clipped.result(0).ok()?.into()) })
}

/// `(table, ids)` if `rows` = GatherV2(table, Unique(ids)#0, 0) (through
/// Identity) and `index` is that Unique's #1.
fn unique_gather<'c: 'a, 'a>(rows: Value<'c, 'a>, index: Value<'c, 'a>) -> Option<(Value<'c, 'a>, Value<'c, 'a>)> {
    let gather = def_named(skip_identity(rows), "tf.GatherV2")?;
    let (table, unique_ids, axis) = (operand(gather, 0)?, operand(gather, 1)?, operand(gather, 2)?);
    if const_int(axis) != Some(0) || crate::tf::tf_match::int_attr(gather, "batch_dims").unwrap_or(0) != 0 {
        return None;
    }
    let unique = def_named(unique_ids, "tf.Unique")?;
    (is_result(unique_ids, unique, 0) && is_result(index, unique, 1)).then(|| (table, operand(unique, 0).unwrap()))
}

fn remove_regather(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let (Some(rows), Some(index), Some(axis)) = (operand(op, 0), operand(op, 1), operand(op, 2)) else { return false };
    if const_int(axis) != Some(0) {
        return false;
    }
    let Some((table, ids)) = unique_gather(rows, index) else { return false };
    let context_ref = op.context();
    let context = unsafe { context_ref.to_ref() };
    let mut attributes = attributes_of(op, &["Tindices"]);
    attributes.push((Identifier::new(context, "Tindices"), TypeAttribute::new(i64_type(context)).into()));
    let result_type = op.result(0).unwrap().r#type();
    let base = rewriter.as_rewriter_base();
    base.set_insertion_point_before(op);
    let new = base.insert(
        OperationBuilder::new("tf.GatherV2", op.location())
            .add_operands(&[table, ids, axis])
            .add_attributes(&attributes)
            .add_results(&[result_type])
            .build()
            .expect("tf.GatherV2"),
    );
    base.replace_op_with_operation(op, new);
    true
}
