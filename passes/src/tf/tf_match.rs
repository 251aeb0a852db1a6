//! Helpers the `tf-*` passes share to match imported TensorFlow graphs (not a
//! pass). Imported ops are unregistered `tf.<Op>` operations whose results
//! are unranked tensors until `tf-raise-feeds` gives the inputs ranked types;
//! small constants are `tf.Const` with a dense `value` (see
//! `recom::import`), tables a `value_ref` into the weights store.
use recom_ir::ext;
use melior::{
    ir::{
        attribute::{DenseI64ArrayAttribute, IntegerAttribute, StringAttribute, TypeAttribute},
        operation::{OperationBuilder, OperationLike, OperationRef},
        r#type::{IntegerType, RankedTensorType},
        Attribute, Identifier, Location, Operation, Type, Value, ValueLike,
    },
    Context,
};

/// The op defining `value`, if it is an op result.
pub fn def<'c: 'a, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    recom_ir::ext::op_result(value).map(|r| r.owner())
}

/// Operand `i` of `op`, with the op's lifetimes.
pub fn operand<'c: 'a, 'a>(op: OperationRef<'c, 'a>, i: usize) -> Option<Value<'c, 'a>> {
    op.operand(i).ok().map(|v| unsafe { Value::from_raw(v.to_raw()) })
}

/// Result `i` of `op`, with the op's lifetimes.
pub fn result<'c: 'a, 'a>(op: OperationRef<'c, 'a>, i: usize) -> Option<Value<'c, 'a>> {
    op.result(i).ok().map(|v| unsafe { Value::from_raw(v.to_raw()) })
}

/// The op's name, e.g. `"tf.GatherV2"`.
pub fn name_of(op: OperationRef) -> String {
    recom_ir::kit::identifier_text(op.name()).into_owned()
}

/// The op defining `value` if it is named `name`.
pub fn def_named<'c: 'a, 'a>(value: Value<'c, 'a>, name: &str) -> Option<OperationRef<'c, 'a>> {
    def(value).filter(|op| name_of(*op) == name)
}

/// Which result of its op `value` is (0 for block arguments).
pub fn result_number(value: Value) -> usize {
    recom_ir::ext::op_result(value).map(|r| r.result_number()).unwrap_or(0)
}

/// `value` is result `k` of `op`.
pub fn is_result(value: Value, op: OperationRef, k: usize) -> bool {
    def(value).is_some_and(|d| d.to_raw().ptr == op.to_raw().ptr) && result_number(value) == k
}

/// `value` with any `tf.Identity` in front of it skipped.
pub fn skip_identity<'c: 'a, 'a>(mut value: Value<'c, 'a>) -> Value<'c, 'a> {
    while let Some(op) = def_named(value, "tf.Identity") {
        // An Identity without a data input (only control inputs) is left as it is.
        let Some(input) = operand(op, 0) else { break };
        value = input;
    }
    value
}

pub fn has_uses(value: Value) -> bool {
    ext::has_uses(value)
}

/// Number of uses of `value`.
pub fn use_count(value: Value) -> usize {
    ext::use_count(value)
}

/// The ops using `value` (one entry per use).
pub fn users<'c: 'a, 'a>(value: Value<'c, 'a>) -> Vec<OperationRef<'c, 'a>> {
    ext::users(value)
}

/// Integer values of a small constant: a `tf.Const` with a dense integer
/// `value`, possibly behind `tf.Cast` and `tf.Identity`.
pub fn const_ints(value: Value) -> Option<Vec<i64>> {
    let mut value = skip_identity(value);
    while let Some(cast) = def_named(value, "tf.Cast") {
        value = skip_identity(cast.operand(0).ok()?);
    }
    let op = def_named(value, "tf.Const")?;
    ext::dense_ints(op.attribute("value").ok()?)
}

/// The one integer of a scalar or one-element constant.
/// The target dims of a reshape of `x`: a constant, or a Pack whose first
/// element is `Shape(x)[0]` and whose others are constants (-1 = the batch;
/// Keras' Flatten and Reshape layers build theirs so), or, once
/// tf-shape-construct has moved that computation, a value whose symbolic
/// content is `[x's batch, d1, ...]`.
pub fn target_dims(x: Value, target: Value) -> Option<Vec<i64>> {
    if let Some(dims) = const_ints(target) {
        return Some(dims);
    }
    if let (Some(content), Some(shape)) = (symbolic_content(target), symbolic_shape(x)) {
        let (first, rest) = content.split_first()?;
        if shape.first() == Some(first) {
            let mut dims = vec![-1];
            for d in rest {
                dims.push(d.trim().parse().ok()?);
            }
            return Some(dims);
        }
    }
    let pack = def_named(target, "tf.Pack")?;
    let mut dims = Vec::new();
    for i in 0..pack.operand_count() {
        let v = operand(pack, i)?;
        let batch = element_slice(v, 0).and_then(|s| def_named(s, "tf.Shape")).and_then(|s| operand(s, 0)).is_some_and(|s| s.to_raw().ptr == x.to_raw().ptr);
        dims.push(if batch && i == 0 { -1 } else { const_int(v)? });
    }
    Some(dims)
}

pub fn const_int(value: Value) -> Option<i64> {
    match const_ints(value)?[..] {
        [v] => Some(v),
        _ => None,
    }
}

/// String values of a small `tf.Const` (imported as an array of strings).
pub fn const_strings(value: Value) -> Option<Vec<String>> {
    let op = def_named(skip_identity(value), "tf.Const")?;
    recom_ir::kit::str_array_attr(&op, "value").ok().map(|v| v.into_iter().map(|s| s.into_owned()).collect())
}

/// An integer attribute of a tf op.
pub fn int_attr(op: OperationRef, name: &str) -> Option<i64> {
    IntegerAttribute::try_from(op.attribute(name).ok()?).ok().map(|a| a.value())
}

/// A type attribute (`T`, `dtype`, ...) of a tf op.
pub fn type_attr<'c>(op: OperationRef<'c, '_>, name: &str) -> Option<Type<'c>> {
    TypeAttribute::try_from(op.attribute(name).ok()?).ok().map(|a| a.value())
}

/// A constant `tf.StridedSlice`: its input, begin, end, strides and masks
/// (begin, end, shrink_axis, ellipsis, new_axis).
struct StridedSlice<'c, 'a> {
    input: Value<'c, 'a>,
    begin: Vec<i64>,
    end: Vec<i64>,
    strides: Vec<i64>,
    masks: (i64, i64, i64, i64, i64),
}

fn strided_slice<'c: 'a, 'a>(value: Value<'c, 'a>) -> Option<StridedSlice<'c, 'a>> {
    let op = def_named(value, "tf.StridedSlice")?;
    Some(StridedSlice {
        input: operand(op, 0)?,
        begin: const_ints(operand(op, 1)?)?,
        end: const_ints(operand(op, 2)?)?,
        strides: const_ints(operand(op, 3)?)?,
        masks: (
            int_attr(op, "begin_mask")?,
            int_attr(op, "end_mask")?,
            int_attr(op, "shrink_axis_mask")?,
            int_attr(op, "ellipsis_mask").unwrap_or(0),
            int_attr(op, "new_axis_mask").unwrap_or(0),
        ),
    })
}

/// `tf.StridedSlice(x, begin, end, strides)` taking column `column` of a
/// rank-2 `x` (`x[:, column]`), returns `x`.
pub fn column_slice<'c: 'a, 'a>(value: Value<'c, 'a>, column: i64) -> Option<Value<'c, 'a>> {
    let s = strided_slice(value)?;
    // begin [_, c], end [_, c + 1], strides [1, 1], dim 0 full (masked), dim 1 shrunk.
    let ok = s.begin.len() == 2
        && s.end.len() == 2
        && s.strides == [1, 1]
        && s.begin[1] == column
        && s.end[1] == column + 1
        && s.masks == (1, 1, 2, 0, 0);
    ok.then_some(s.input)
}

/// `tf.StridedSlice(x, [k], [k + 1], [1])` with shrink_axis_mask 1 (the
/// scalar `x[k]` of a vector), returns `x`.
pub fn element_slice<'c: 'a, 'a>(value: Value<'c, 'a>, k: i64) -> Option<Value<'c, 'a>> {
    let s = strided_slice(value)?;
    (s.begin == [k] && s.end == [k + 1] && s.strides == [1] && s.masks == (0, 0, 1, 0, 0)).then_some(s.input)
}

/// A ranked tensor type.
pub fn ranked<'c>(shape: &[i64], element: Type<'c>) -> Type<'c> {
    let dims: Vec<u64> = shape.iter().map(|&d| if d < 0 { i64::MIN as u64 } else { d as u64 }).collect();
    RankedTensorType::new(&dims, element, None).into()
}

pub fn i64_type(context: &Context) -> Type<'_> {
    IntegerType::new(context, 64).into()
}

/// A `tf.Const` of i32 values with the given shape (`[]` = scalar).
pub fn const_i32<'c>(context: &'c Context, location: Location<'c>, values: &[i32], shape: &[i64]) -> Operation<'c> {
    let i32t: Type = IntegerType::new(context, 32).into();
    let ty = ranked(shape, i32t);
    let value = ext::dense_elements(ty, ext::DenseValues::I32(values)).expect("const_i32's values fill its shape");
    OperationBuilder::new("tf.Const", location)
        .add_attributes(&[
            (Identifier::new(context, "dtype"), TypeAttribute::new(i32t).into()),
            (Identifier::new(context, "value"), value),
        ])
        .add_results(&[ty])
        .build()
        .expect("tf.Const")
}

/// Copies every attribute of `from` (but `skip`) for a new op.
pub fn attributes_of<'c>(from: OperationRef<'c, '_>, skip: &[&str]) -> Vec<(Identifier<'c>, Attribute<'c>)> {
    let context_ref = from.context();
    let context = ext::context_of(&context_ref);
    ext::attributes(from)
        .into_iter()
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .map(|(name, attr)| (Identifier::new(context, &name), attr))
        .collect()
}

/// The TF node name in `location` (`NameLoc("node", ...)`), if any.
pub fn node_name(location: Location) -> Option<String> {
    ext::location_name(location)
}

/// A `shape` attribute (dense i64 array, -1 for unknown dims).
pub fn shape_attr(op: OperationRef, name: &str) -> Option<Vec<i64>> {
    let attr = DenseI64ArrayAttribute::try_from(op.attribute(name).ok()?).ok()?;
    Some((0..attr.len()).map(|i| attr.element(i).unwrap()).collect())
}

/// A string attribute.
pub fn string_attr(op: OperationRef, name: &str) -> Option<String> {
    StringAttribute::try_from(op.attribute(name).ok()?).ok().and_then(|s| recom_ir::kit::string_value(s.into()).map(|s| s.into_owned()))
}

/// A bool attribute.
pub fn bool_attr(op: OperationRef, name: &str) -> Option<bool> {
    melior::ir::attribute::BoolAttribute::try_from(op.attribute(name).ok()?).ok().map(|a| a.value())
}

/// Functions whose returned values changed type (raised values are ranked)
/// get the new result types.
pub fn refine_results(root: OperationRef) {
    use melior::ir::{attribute::TypeAttribute, operation::{OperationMutLike, OperationRefMut, WalkOrder, WalkResult}, r#type::FunctionType};
    let mut returns = Vec::new();
    root.walk(WalkOrder::PreOrder, |op| {
        if name_of(op) == "func.return" {
            returns.push(op.to_raw());
        }
        WalkResult::Advance
    });
    for raw in returns {
        let ret = unsafe { OperationRef::from_raw(raw) };
        let Some(func) = ret.parent_operation() else { continue };
        let Some(ty) = func.attribute("function_type").ok().and_then(|a| TypeAttribute::try_from(a).ok()).and_then(|a| FunctionType::try_from(a.value()).ok()) else {
            continue;
        };
        let results: Vec<Type> = ret.operands().map(|v| v.r#type()).collect();
        let inputs: Vec<Type> = (0..ty.input_count()).map(|i| ty.input(i).unwrap()).collect();
        if results.len() != ty.result_count() || (0..results.len()).all(|i| ty.result(i).unwrap() == results[i]) {
            continue;
        }
        let context_ref = func.context();
        let context = unsafe { context_ref.to_ref() };
        let mut func = unsafe { OperationRefMut::from_raw(func.to_raw()) };
        func.set_attribute("function_type", TypeAttribute::new(FunctionType::new(context, &inputs, &results).into()).into());
    }
}


/// Runs `patterns` like [`recom_ir::rewrite::apply`], then gives functions
/// whose returned values were replaced by ranked ones their new result types.
pub fn apply(pass: &str, root: OperationRef, patterns: &[recom_ir::rewrite::Pattern]) -> Result<(), recom_ir::registry::PassFailure> {
    recom_ir::rewrite::apply(pass, root, patterns)?;
    refine_results(root);
    Ok(())
}

/// The one float of a scalar or one-element f32 constant.
pub fn const_f32(value: Value) -> Option<f32> {
    let op = def_named(skip_identity(value), "tf.Const")?;
    ext::dense_f32_scalar(op.attribute("value").ok()?)
}

/// The dense shape of the SparseTensor whose indices are `indices`: when a
/// host-side op made the indices (`emb.sparse_from_dense`,
/// `emb.bucketized_sparse`, `emb.cross_hashed`, results 0 and 2), its own;
/// otherwise `shape`. Both describe one SparseTensor, so they are equal.
pub fn sparse_shape<'c: 'a, 'a>(indices: Value<'c, 'a>, shape: Value<'c, 'a>) -> Value<'c, 'a> {
    match def(indices) {
        Some(op)
            if result_number(indices) == 0
                && matches!(name_of(op).as_str(), "emb.sparse_from_dense" | "emb.bucketized_sparse" | "emb.cross_hashed") =>
        {
            result(op, 2).unwrap_or(shape)
        }
        _ => shape,
    }
}

/// Element `k` of an array-of-strings attribute, unless "?".
fn string_at(attr: Option<Attribute>, k: usize) -> Option<String> {
    let array = melior::ir::attribute::ArrayAttribute::try_from(attr?).ok()?;
    recom_ir::kit::string_value(array.element(k).ok()?).map(|s| s.into_owned()).filter(|s| s != "?")
}

/// The function a value is in.
fn function_of<'c: 'a, 'a>(v: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    ext::function_of(v)
}

/// The symbolic content of a small integer value as expression texts, from
/// tf-infer-shapes' annotations, or from the shape_construct a value was
/// re-rooted on (`arith.index_cast(tensor.from_elements(%sc#i, ...))`).
pub fn symbolic_content(v: Value) -> Option<Vec<String>> {
    let Some(op) = def(v) else {
        let arg = recom_ir::ext::block_argument(v)?;
        let func = function_of(v)?;
        return string_at(func.attribute("symshape.arg_values").ok(), arg.argument_number()).and_then(|t| list(&t));
    };
    match name_of(op).as_str() {
        "arith.index_cast" => symbolic_content(operand(op, 0)?),
        "tensor.from_elements" => {
            (0..op.operand_count())
                .map(|k| {
                    let e = operand(op, k)?;
                    let construct = def(e).filter(|c| name_of(*c) == "symshape.shape_construct")?;
                    let exprs = recom_ir::kit::str_array_attr(&construct, "exprs").ok()?;
                    exprs.get(result_number(e)).map(|x| x.to_string())
                })
                .collect()
        }
        _ => string_at(op.attribute("symshape.values").ok(), result_number(v)).and_then(|t| list(&t)),
    }
}

/// The symbolic shape of a value as expression texts (annotations, or the
/// function's `symshape.arg_shapes` for arguments).
pub fn symbolic_shape(v: Value) -> Option<Vec<String>> {
    let text = match def(v) {
        Some(op) => string_at(op.attribute("symshape.shapes").ok(), result_number(v))?,
        None => {
            let arg = recom_ir::ext::block_argument(v)?;
            string_at(function_of(v)?.attribute("symshape.arg_shapes").ok(), arg.argument_number())?
        }
    };
    list(&text)
}

/// "[a, max(b, c)]" -> ["a", "max(b, c)"].
pub fn list(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(inner[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner[start..].trim().to_string());
    Some(out)
}

/// `mask` re-marks the rows `fill` (a `tf.SparseFillEmptyRows`) filled:
/// `Tile(Reshape(fill#2, [-1, 1]), [1, D])`, or the Reshape alone where the
/// Tile's multiples were all ones (a dimension-1 table: `tf-shape-construct`
/// removes that Tile as a no-op).
pub fn is_empty_row_mask(mask: Value, fill: OperationRef) -> bool {
    let mask = match def_named(mask, "tf.Tile") {
        Some(tile) => match operand(tile, 0) {
            Some(v) => v,
            None => return false,
        },
        None => mask,
    };
    def_named(mask, "tf.Reshape").and_then(|r| operand(r, 0)).is_some_and(|v| is_result(v, fill, 2))
}

// ---- refusals ---------------------------------------------------------------

/// Why matchers refused ops, by op (address and name): what the host
/// fallback reports for a column it takes (`emb.tf_output {why}`). A
/// diagnostic side table only: nothing decides by it.
static REFUSALS: std::sync::Mutex<Vec<(usize, String, String)>> = std::sync::Mutex::new(Vec::new());

/// Whether every refusal is also logged for [`take_explanations`]
/// (`recom compile --explain`).
static EXPLAIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static EXPLANATIONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Turns the refusal log on or off (a debugging aid: `recom compile
/// --explain`); off by default.
pub fn set_explain(on: bool) {
    EXPLAIN.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Every refusal logged since the last call, as "node: op: why", in the
/// order the matchers refused.
pub fn take_explanations() -> Vec<String> {
    EXPLANATIONS.lock().map(|mut log| std::mem::take(&mut *log)).unwrap_or_default()
}

/// Records why a matcher did not rewrite `op` (notifyMatchFailure-style)
/// and returns `false`, so `return refuse(op, "...")` ends a match.
pub fn refuse(op: OperationRef, why: impl Into<String>) -> bool {
    let key = op.to_raw().ptr as usize;
    let name = name_of(op);
    let why = why.into();
    if EXPLAIN.load(std::sync::atomic::Ordering::Relaxed) {
        if let Ok(mut log) = EXPLANATIONS.lock() {
            let entry = format!("{}: {name}: {why}", node_name(op.location()).unwrap_or_else(|| "?".into()));
            if log.len() < 100_000 && log.last() != Some(&entry) {
                log.push(entry);
            }
        }
    }
    if let Ok(mut table) = REFUSALS.lock() {
        table.retain(|(k, _, _)| *k != key);
        // Bounded: a diagnostic aid, not a log.
        if table.len() >= 100_000 {
            table.clear();
        }
        table.push((key, name, why));
    }
    false
}

/// The last refusal recorded for `op` (if the op at that address still is
/// the op it was recorded for).
pub fn refusal(op: OperationRef) -> Option<String> {
    let key = op.to_raw().ptr as usize;
    let name = name_of(op);
    let table = REFUSALS.lock().ok()?;
    table.iter().rev().find(|(k, n, _)| *k == key && *n == name).map(|(_, _, why)| why.clone())
}

/// [`apply`], then forgets every refusal: the last raising pass.
pub fn apply_and_forget(pass: &str, root: OperationRef, patterns: &[recom_ir::rewrite::Pattern]) -> Result<(), recom_ir::registry::PassFailure> {
    let result = apply(pass, root, patterns);
    clear_refusals();
    result
}

/// Forgets every refusal (the end of a raising pipeline).
pub fn clear_refusals() {
    if let Ok(mut table) = REFUSALS.lock() {
        table.clear();
    }
}

/// Why the tf ops computing `value` were not raised: the refusals recorded
/// on them, and the kinds of tf op left (at most a few of each).
pub fn why_not_raised(value: Value) -> String {
    let mut stack: Vec<OperationRef> = def(value).into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut left: Vec<String> = Vec::new();
    while let Some(op) = stack.pop() {
        if !seen.insert(op.to_raw().ptr as usize) || seen.len() > 500 {
            continue;
        }
        let name = name_of(op);
        if !name.starts_with("tf.") || name == "tf.Const" {
            continue;
        }
        if let Some(why) = refusal(op) {
            let entry = format!("{name}: {why}");
            if !reasons.contains(&entry) {
                reasons.push(entry);
            }
        }
        if name != "tf.Identity" && !left.contains(&name) {
            left.push(name);
        }
        for i in 0..op.operand_count() {
            if let Some(producer) = operand(op, i).and_then(def) {
                stack.push(producer);
            }
        }
    }
    left.sort();
    let mut text = reasons.into_iter().take(4).collect::<Vec<_>>().join("; ");
    if !left.is_empty() {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&format!("tf ops left: {}", left.join(", ")));
    }
    text
}
