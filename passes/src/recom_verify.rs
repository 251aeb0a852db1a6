//! `recom-verify`: the semantic checks of `emb` and `symshape` that IRDL
//! cannot express (element types, ranks, value ranges, consistency between
//! operands and attributes, expression syntax, operand origins).
//!
//! Every problem is reported as a located diagnostic on the offending op,
//! worded like MLIR's own verifiers (`'emb.lookup' op ...`); the pass fails if
//! any error was reported. With `warnings-as-errors`, warnings (legal but
//! almost certainly unintended IR) fail it too.
use melior::ir::{
    operation::{OperationLike, OperationRef, OperationResult, WalkOrder, WalkResult},
    Value, ValueLike,
};
use recom_emb::{self as emb, OutOfRange};
use recom_ir::{diagnostics::{emit_error, emit_warning}, registry::PassFailure, OptionDef, OptionKind, OptionValues, PassDef};
use recom_ir::kit::{Elem, TensorInfo};
use recom_symshape::{self as symshape, ExprKind};
use std::collections::HashMap;

pub static PASS: PassDef = PassDef {
    argument: "recom-verify",
    name: "RecomVerify",
    summary: "Check the semantic rules of the emb and symshape dialects that IRDL cannot express",
    description: "Checks element types, ranks, attribute ranges and cross-operand consistency of emb and \
                  symshape ops, and that shape_construct expressions parse and use only symbols.",
    anchor: None,
    options: &[OptionDef {
        name: "warnings-as-errors",
        description: "fail the pass on warnings too",
        kind: OptionKind::Bool,
        default: "false",
    }],
    run,
};

type Check = Result<(), String>;

fn run(options: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    let mut errors = 0usize;
    let mut warnings = 0usize;
    // Tables by name: a name may be shared (shared embeddings) only with one type.
    let mut tables: HashMap<String, String> = HashMap::new();
    root.walk(WalkOrder::PreOrder, |op| {
        let name = recom_ir::kit::identifier_text(op.name());
        let outcome = match name.as_ref() {
            "emb.table" => check_table(op, &mut tables),
            "emb.hash_bucket" => check_hash_bucket(op),
            "emb.vocabulary" => check_vocabulary(op),
            "emb.coo_rows" => check_coo_rows(op),
            "emb.sparse_from_dense" => check_sparse_from_dense(op),
            "emb.bucketized_sparse" => check_bucketized_sparse(op),
            "emb.fingerprint" => check_fingerprint(op),
            "emb.numeric_input" => check_numeric_input(op),
            "emb.cross_hashed" => check_cross_hashed(op),
            "emb.bucketize" => check_bucketize(op, &mut warnings),
            "emb.range_filter" => check_range_filter(op),
            "emb.lookup" => check_lookup(op),
            "emb.concat" => check_concat(op),
            "emb.fused_columns" => check_fused_columns(op),
            "emb.packed_tables" => check_packed_tables(op),
            "emb.pack_inputs" => check_pack_inputs(op),
            "symshape.symbol" => check_symbol(op),
            "symshape.expr" => check_expr(op),
            "symshape.shape_construct" => check_shape_construct(op),
            _ => Ok(()),
        };
        if let Err(message) = outcome {
            emit_error(op.location(), &format!("'{name}' op {message}"));
            errors += 1;
        }
        WalkResult::Advance
    });
    if errors > 0 || (warnings > 0 && options.bool("warnings-as-errors")) {
        Err(PassFailure)
    } else {
        Ok(())
    }
}

fn tensor(value: Value, what: &str) -> Result<TensorInfo, String> {
    TensorInfo::of(value.r#type()).ok_or_else(|| format!("{what} must be a ranked tensor, got {}", value.r#type()))
}

fn result_tensor(op: OperationRef) -> Result<TensorInfo, String> {
    tensor(op.result(0).expect("one result").into(), "result")
}

/// A rank-1 tensor of integers (ids, offsets).
fn int_vector(value: Value, what: &str, widths: &[u32]) -> Result<TensorInfo, String> {
    let t = tensor(value, what)?;
    if t.rank() != 1 || !matches!(t.elem, Elem::Int(w) if widths.contains(&w)) {
        let widths: Vec<String> = widths.iter().map(|w| format!("i{w}")).collect();
        return Err(format!("{what} must be a rank-1 tensor of {}, got {}", widths.join(" or "), value.r#type()));
    }
    Ok(t)
}

fn ids_result(op: OperationRef, input: &TensorInfo) -> Check {
    let result: Value = op.result(0).expect("one result").into();
    let r = int_vector(result, "result", &[64])?;
    if let (Some(a), Some(b)) = (input.shape[0], r.shape[0]) {
        if a != b {
            return Err(format!("result has {b} ids but the input has {a}"));
        }
    }
    Ok(())
}

fn attr<T>(r: Result<T, recom_ir::kit::AttrError>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn check_table(op: OperationRef, tables: &mut HashMap<String, String>) -> Check {
    let view = emb::TableOp::wrap(op).expect("dispatched by name");
    let name = attr(view.name())?;
    if name.is_empty() {
        return Err("attribute 'name' must not be empty".into());
    }
    let t = result_tensor(op)?;
    if t.rank() != 2 || t.shape.iter().any(Option::is_none) {
        return Err(format!("result must be a static rank-2 tensor <rows x dim x T>, got {}", view.table().r#type()));
    }
    if !matches!(t.elem, Elem::F32 | Elem::F16 | Elem::BF16) {
        return Err(format!("table element type must be f32, f16 or bf16, got {}", view.table().r#type()));
    }
    if t.shape[0] == Some(0) || t.shape[1] == Some(0) {
        return Err(format!("table must have at least one row and one column, got {}", view.table().r#type()));
    }
    let ty = view.table().r#type().to_string();
    match tables.get(name.as_ref()) {
        Some(previous) if *previous != ty => Err(format!(
            "table '{name}' is declared again with type {ty}; an earlier declaration has type {previous}"
        )),
        _ => {
            tables.insert(name.to_string(), ty);
            Ok(())
        }
    }
}

fn check_hash_bucket(op: OperationRef) -> Check {
    let view = emb::HashBucketOp::wrap(op).expect("dispatched by name");
    let n = attr(view.num_buckets())?;
    if n <= 0 {
        return Err(format!("attribute 'num_buckets' must be positive, got {n}"));
    }
    let input = match tensor(view.ids(), "ids")? {
        t if t.rank() == 1 && t.elem == Elem::Str => t,
        _ => int_vector(view.ids(), "ids", &[32, 64]).map_err(|e| format!("{e} (or of !tf.string)"))?,
    };
    ids_result(op, &input)
}

fn check_vocabulary(op: OperationRef) -> Check {
    let view = emb::VocabularyOp::wrap(op).expect("dispatched by name");
    let keys = attr(view.keys())?;
    attr(view.default_id())?;
    let oov = attr(view.num_oov_buckets())?;
    if oov < 0 {
        return Err(format!("attribute 'num_oov_buckets' must be >= 0, got {oov}"));
    }
    let input = tensor(view.input(), "keys operand")?;
    let fits = match &keys {
        emb::VocabKeys::Str(_) => input.elem == Elem::Str,
        emb::VocabKeys::I64(_) => input.elem == Elem::Int(64),
    };
    if input.rank() != 1 || !fits {
        let want = if matches!(keys, emb::VocabKeys::Str(_)) { "!tf.string" } else { "i64" };
        return Err(format!("keys operand must be a rank-1 tensor of {want} like the vocabulary, got {}", view.input().r#type()));
    }
    let duplicate = match &keys {
        emb::VocabKeys::Str(k) => (1..k.len()).find(|&i| k[..i].contains(&k[i])).map(|i| format!("\"{}\"", k[i])),
        emb::VocabKeys::I64(k) => (1..k.len()).find(|&i| k[..i].contains(&k[i])).map(|i| k[i].to_string()),
    };
    if let Some(key) = duplicate {
        return Err(format!("vocabulary key {key} appears twice"));
    }
    ids_result(op, &input)
}

fn check_sparse_from_dense(op: OperationRef) -> Check {
    let view = emb::SparseFromDenseOp::wrap(op).expect("dispatched by name");
    let ignore = attr(view.ignore_value())?;
    let dense = tensor(view.dense(), "dense input")?;
    let fits = match ignore {
        emb::IgnoreValue::I64(_) => matches!(dense.elem, Elem::Int(32 | 64)),
        emb::IgnoreValue::Str(_) => dense.elem == Elem::Str,
        emb::IgnoreValue::KeepAll => matches!(dense.elem, Elem::Int(64) | Elem::Str),
    };
    if dense.rank() != 2 || !fits {
        return Err(format!(
            "dense input must be a rank-2 tensor of the ignore_value's kind (integers or !tf.string), got {}",
            view.dense().r#type()
        ));
    }
    let result = |i: usize| -> Value { op.result(i).expect("three results").into() };
    coo_indices(result(0))?;
    let values = tensor(result(1), "values")?;
    if values.rank() != 1 || values.elem != dense.elem {
        return Err(format!("values must be a rank-1 tensor of the input's element type, got {}", result(1).r#type()));
    }
    int_vector(result(2), "dense_shape", &[64])?;
    Ok(())
}

fn check_bucketized_sparse(op: OperationRef) -> Check {
    let view = emb::BucketizedSparseOp::wrap(op).expect("dispatched by name");
    check_boundaries(&attr(view.boundaries())?)?;
    let dense = tensor(view.dense(), "dense input")?;
    if dense.rank() != 2 || !dense.elem.is_float() {
        return Err(format!("dense input must be a rank-2 tensor of floats, got {}", view.dense().r#type()));
    }
    let result = |i: usize| -> Value { op.result(i).expect("three results").into() };
    coo_indices(result(0))?;
    int_vector(result(1), "values", &[64])?;
    int_vector(result(2), "dense_shape", &[64])?;
    Ok(())
}

fn check_numeric_input(op: OperationRef) -> Check {
    let view = emb::NumericInputOp::wrap(op).expect("dispatched by name");
    let dense = tensor(view.dense(), "dense input")?;
    if dense.rank() != 2 || dense.elem != Elem::F32 {
        return Err(format!("dense input must be a [B, K] tensor of f32, got {}", view.dense().r#type()));
    }
    let column = attr(view.column())?;
    if column < 0 || dense.shape[1].is_some_and(|k| column >= k) {
        return Err(format!("column {column} is not a column of {}", view.dense().r#type()));
    }
    if let Some(n) = attr(view.normalizer())? {
        if n.scale == 0.0 || !n.scale.is_finite() || !n.shift.is_finite() {
            return Err(format!("normalizer (x - {}) / {} is not a finite affine map", n.shift, n.scale));
        }
    }
    let result = |i: usize| -> Value { op.result(i).expect("three results").into() };
    int_vector(result(0), "ids", &[64])?;
    int_vector(result(1), "row_offsets", &[64])?;
    let w = tensor(result(2), "weights")?;
    if w.rank() != 1 || w.elem != Elem::F32 {
        return Err(format!("weights must be a rank-1 tensor of f32, got {}", result(2).r#type()));
    }
    Ok(())
}

fn check_fingerprint(op: OperationRef) -> Check {
    let view = emb::FingerprintOp::wrap(op).expect("dispatched by name");
    let input = tensor(view.values(), "values")?;
    if input.rank() != 1 || input.elem != Elem::Str {
        return Err(format!("values must be a rank-1 tensor of !tf.string, got {}", view.values().r#type()));
    }
    ids_result(op, &input)
}

fn check_cross_hashed(op: OperationRef) -> Check {
    let view = emb::CrossHashedOp::wrap(op).expect("dispatched by name");
    let buckets = attr(view.num_buckets())?;
    if buckets <= 0 {
        return Err(format!("attribute 'num_buckets' must be positive, got {buckets}"));
    }
    attr(view.hash_key())?;
    if op.operand_count() % 3 != 0 || op.operand_count() < 6 {
        return Err(format!("needs at least 2 inputs of (indices, values, dense_shape), got {} operands", op.operand_count()));
    }
    for (k, [indices, values, shape]) in view.inputs().into_iter().enumerate() {
        let i = tensor(indices, "indices")?;
        if i.rank() != 2 || i.elem != Elem::Int(64) {
            return Err(format!("input {k}: indices must be a [N, 2] tensor of i64, got {}", indices.r#type()));
        }
        int_vector(values, &format!("input {k}: values (feature hashes)"), &[64])?;
        int_vector(shape, &format!("input {k}: dense_shape"), &[64])?;
    }
    Ok(())
}

/// A COO `indices` tensor: [N, 2] of i64.
fn coo_indices(v: Value) -> Check {
    let indices = tensor(v, "indices")?;
    if indices.rank() != 2 || indices.elem != Elem::Int(64) || indices.shape[1].is_some_and(|d| d != 2) {
        return Err(format!("indices must be a [N, 2] tensor of i64, got {}", v.r#type()));
    }
    Ok(())
}

fn check_coo_rows(op: OperationRef) -> Check {
    let view = emb::CooRowsOp::wrap(op).expect("dispatched by name");
    coo_indices(view.indices())?;
    if let Some(dense_shape) = view.dense_shape() {
        let shape = int_vector(dense_shape, "dense_shape", &[64])?;
        if shape.shape[0].is_some_and(|d| d != 2) {
            return Err(format!("dense_shape must have 2 elements, got {}", dense_shape.r#type()));
        }
    }
    int_vector(op.result(0).expect("one result").into(), "result", &[64])?;
    Ok(())
}

/// Bucket boundaries: no NaN, strictly increasing.
fn check_boundaries(boundaries: &[f64]) -> Check {
    if let Some(i) = boundaries.iter().position(|b| b.is_nan()) {
        return Err(format!("boundary {i} is NaN"));
    }
    if let Some(i) = boundaries.windows(2).position(|w| w[0] >= w[1]) {
        return Err(format!(
            "boundaries must be strictly increasing, but boundary {} ({}) >= boundary {} ({})",
            i,
            boundaries[i],
            i + 1,
            boundaries[i + 1]
        ));
    }
    Ok(())
}

fn check_bucketize(op: OperationRef, warnings: &mut usize) -> Check {
    let view = emb::BucketizeOp::wrap(op).expect("dispatched by name");
    let boundaries = attr(view.boundaries())?;
    check_boundaries(&boundaries)?;
    let input = tensor(view.values(), "values")?;
    if input.rank() != 1 || !(input.elem.is_float() || matches!(input.elem, Elem::Int(32 | 64))) {
        return Err(format!("values must be a rank-1 tensor of floats or i32/i64, got {}", view.values().r#type()));
    }
    if boundaries.is_empty() {
        emit_warning(op.location(), "'emb.bucketize' op has no boundaries: every value maps to bucket 0");
        *warnings += 1;
    }
    ids_result(op, &input)
}

fn check_range_filter(op: OperationRef) -> Check {
    let view = emb::RangeFilterOp::wrap(op).expect("dispatched by name");
    let (lo, hi) = (attr(view.lo())?, attr(view.hi())?);
    if lo >= hi {
        return Err(format!("range [lo, hi) = [{lo}, {hi}) is empty"));
    }
    if let Some(id) = attr(view.filter())?.default {
        if id < lo || id >= hi {
            return Err(format!("default_id {id} lies outside [{lo}, {hi})"));
        }
    }
    let input = int_vector(view.ids(), "ids", &[64])?;
    ids_result(op, &input)
}

fn check_lookup(op: OperationRef) -> Check {
    let view = emb::LookupOp::wrap(op).expect("dispatched by name");
    let table = tensor(view.table(), "table")?;
    if table.rank() != 2 {
        return Err(format!("table must be rank 2, got {}", view.table().r#type()));
    }
    let ids = int_vector(view.ids(), "ids", &[64])?;
    int_vector(view.row_offsets(), "row_offsets", &[64])?;
    attr(view.combiner())?;
    if let Some(weights) = view.weights() {
        let w = tensor(weights, "weights")?;
        if w.rank() != 1 || w.elem != Elem::F32 {
            return Err(format!("weights must be a rank-1 tensor of f32, got {}", weights.r#type()));
        }
        if let (Some(a), Some(b)) = (ids.shape[0], w.shape[0]) {
            if a != b {
                return Err(format!("has {b} weights for {a} ids"));
            }
        }
    }
    if let OutOfRange::Default(id) = attr(view.on_out_of_range())? {
        if id < 0 || table.shape[0].is_some_and(|rows| id >= rows) {
            return Err(format!("default_id {id} is not a row of the table {}", view.table().r#type()));
        }
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 {
        return Err(format!("result must be rank 2 [batch x dim], got {}", view.output().r#type()));
    }
    if out.elem != table.elem {
        return Err(format!("result element type differs from the table's ({} vs {})", view.output().r#type(), view.table().r#type()));
    }
    if let (Some(d), Some(td)) = (out.shape[1], table.shape[1]) {
        if d != td {
            return Err(format!("result dim {d} differs from the table dim {td}"));
        }
    }
    Ok(())
}

fn check_concat(op: OperationRef) -> Check {
    if op.operand_count() == 0 {
        return Err("needs at least one column".into());
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 {
        return Err("result must be rank 2 [batch x total dim]".into());
    }
    let mut total = Some(0i64);
    for (i, column) in op.operands().enumerate() {
        let t = tensor(column, &format!("column {i}"))?;
        if t.rank() != 2 || t.elem != out.elem {
            return Err(format!("column {i} must be a rank-2 tensor of the result's element type, got {}", column.r#type()));
        }
        // Column outputs are typed tensor<?x?xT> (IRDL variadics share one
        // type); the width of a lookup's output is its table's dim.
        let width = t.shape[1].or_else(|| {
            let owner = OperationResult::try_from(column).ok()?.owner();
            let table = emb::LookupOp::wrap(owner)?.table();
            TensorInfo::of(table.r#type())?.shape.get(1).copied().flatten()
        });
        total = total.zip(width).map(|(a, b)| a + b);
    }
    if let (Some(total), Some(d)) = (total, out.shape[1]) {
        if total != d {
            return Err(format!("result width {d} differs from the sum of the column widths {total}"));
        }
    }
    Ok(())
}

fn check_fused_columns(op: OperationRef) -> Check {
    let view = emb::FusedColumnsOp::wrap(op).expect("dispatched by name");
    let tables = tensor(view.tables(), "tables")?;
    if tables.rank() != 1 || !matches!(tables.elem, Elem::F32 | Elem::F16 | Elem::BF16) {
        return Err(format!("tables must be a rank-1 tensor of f32, f16 or bf16, got {}", view.tables().r#type()));
    }
    int_vector(view.ids(), "ids", &[64])?;
    int_vector(view.row_offsets(), "row_offsets", &[64])?;
    let weights = tensor(view.weights(), "weights")?;
    if weights.rank() != 1 || weights.elem != Elem::F32 {
        return Err(format!("weights must be a rank-1 tensor of f32, got {}", view.weights().r#type()));
    }
    let columns = attr(view.columns())?;
    if columns.is_empty() {
        return Err("needs at least one column".into());
    }
    let mut width = 0i64;
    for (i, c) in columns.iter().enumerate() {
        if c.rows <= 0 || c.dim <= 0 || c.table_offset < 0 {
            return Err(format!("column {i}: rows, dim must be positive and table_offset non-negative"));
        }
        let end = c.rows.checked_mul(emb::row_pitch(c.dim)).and_then(|n| n.checked_add(c.table_offset));
        match (end, tables.shape[0]) {
            (None, _) => return Err(format!("column {i}: table slice overflows i64")),
            (Some(end), Some(len)) if end > len => {
                return Err(format!("column {i}: table slice [{}, {end}) exceeds the {len} packed table elements", c.table_offset))
            }
            _ => {}
        }
        if let OutOfRange::Default(id) = c.on_out_of_range {
            if id < 0 || id >= c.rows {
                return Err(format!("column {i}: default_id {id} is not a row of its {}-row table", c.rows));
            }
        }
        if let Some(f) = c.filter {
            if f.lo >= f.hi {
                return Err(format!("column {i}: filter range [{}, {}) is empty", f.lo, f.hi));
            }
            if f.default.is_some_and(|d| d < f.lo || d >= f.hi) {
                return Err(format!("column {i}: filter_default lies outside [{}, {})", f.lo, f.hi));
            }
        }
        width += c.dim;
    }
    let out = result_tensor(op)?;
    if out.rank() != 2 || out.elem != tables.elem {
        return Err("result must be a rank-2 tensor of the tables' element type".into());
    }
    if let Some(d) = out.shape[1] {
        if d != width {
            return Err(format!("result width {d} differs from the sum of the column dims {width}"));
        }
    }
    Ok(())
}

fn check_packed_tables(op: OperationRef) -> Check {
    let view = emb::PackedTablesOp::wrap(op).expect("dispatched by name");
    let tables = attr(view.tables())?;
    let mut total = 0i64;
    for (i, t) in tables.iter().enumerate() {
        if t.name.is_empty() || t.rows <= 0 || t.dim <= 0 {
            return Err(format!("table {i} needs a name and positive rows and dim"));
        }
        total = t
            .rows
            .checked_mul(emb::row_pitch(t.dim))
            .and_then(|n| n.checked_add(total))
            .ok_or("packed tables overflow i64")?;
    }
    let out = result_tensor(op)?;
    if out.rank() != 1 || !matches!(out.elem, Elem::F32 | Elem::F16 | Elem::BF16) {
        return Err("result must be a rank-1 tensor of f32, f16 or bf16".into());
    }
    match out.shape[0] {
        Some(n) if n != total => Err(format!("result has {n} elements but the tables hold {total}")),
        _ => Ok(()),
    }
}

fn check_pack_inputs(op: OperationRef) -> Check {
    let view = emb::PackInputsOp::wrap(op).expect("dispatched by name");
    let [ids, offsets, weights] = attr(view.segments())?;
    let weighted = attr(view.weighted())?;
    if ids == 0 || ids != offsets || ids != weighted.len() {
        return Err(format!(
            "needs one ids and one row_offsets operand and one 'weighted' flag per column, got {ids} ids, {offsets} row_offsets, {} flags",
            weighted.len()
        ));
    }
    let expected = weighted.iter().filter(|&&w| w).count();
    if weights != expected {
        return Err(format!("has {weights} weights operands for {expected} weighted columns"));
    }
    for (group, what, widths) in [(0, "ids", &[64u32][..]), (1, "row_offsets", &[64][..])] {
        for (i, v) in attr(view.group(group))?.into_iter().enumerate() {
            int_vector(v, &format!("{what} operand {i}"), widths)?;
        }
    }
    for (i, v) in attr(view.group(2))?.into_iter().enumerate() {
        let t = tensor(v, &format!("weights operand {i}"))?;
        if t.rank() != 1 || t.elem != Elem::F32 {
            return Err(format!("weights operand {i} must be a rank-1 tensor of f32, got {}", v.r#type()));
        }
    }
    let results: Vec<Value> = op.results().map(Into::into).collect();
    int_vector(results[0], "packed ids", &[64])?;
    int_vector(results[1], "packed row_offsets", &[64])?;
    let w = tensor(results[2], "packed weights")?;
    if w.rank() != 1 || w.elem != Elem::F32 {
        return Err(format!("packed weights must be a rank-1 tensor of f32, got {}", results[2].r#type()));
    }
    Ok(())
}

fn check_symbol(op: OperationRef) -> Check {
    let view = symshape::SymbolOp::wrap(op).expect("dispatched by name");
    if attr(view.name())?.is_empty() {
        return Err("attribute 'name' must not be empty".into());
    }
    attr(view.facts())?;
    let dim = attr(view.dim())?;
    if dim < 0 {
        return Err(format!("attribute 'dim' must be non-negative, got {dim}"));
    }
    if let Some(k) = recom_ir::kit::opt_i64_attr(&op, "equal_to").map_err(|e| e.to_string())? {
        if k < 0 {
            return Err(format!("attribute 'equal_to' names symbol {k}, which cannot exist"));
        }
    }
    if let Some(source) = view.source() {
        if let Some(t) = TensorInfo::of(source.r#type()) {
            if dim as usize >= t.rank() {
                return Err(format!("dim {dim} is out of range for the rank-{} source {}", t.rank(), source.r#type()));
            }
        }
    }
    Ok(())
}

fn check_expr(op: OperationRef) -> Check {
    let kind: ExprKind = attr(symshape::ExprOp::wrap(op).expect("dispatched by name").kind())?;
    if op.operand_count() != kind.arity() {
        return Err(format!("'{}' takes {} operands, got {}", kind.as_str(), kind.arity(), op.operand_count()));
    }
    Ok(())
}

fn check_shape_construct(op: OperationRef) -> Check {
    let view = symshape::ShapeConstructOp::wrap(op).expect("dispatched by name");
    let exprs = attr(view.exprs())?;
    if exprs.len() != op.result_count() {
        return Err(format!("has {} expressions for {} results", exprs.len(), op.result_count()));
    }
    let symbols = op.operand_count();
    for (i, e) in exprs.iter().enumerate() {
        if let Some(k) = e.max_symbol().filter(|&k| k >= symbols) {
            return Err(format!("expression {i} ({e}) uses s{k} but the op has {symbols} symbol operands"));
        }
    }
    for (i, value) in view.symbols().enumerate() {
        let from_symbol = OperationResult::try_from(value)
            .ok()
            .is_some_and(|r| symshape::SymbolOp::wrap(r.owner()).is_some());
        if !from_symbol {
            return Err(format!("operand {i} must be the result of a symshape.symbol (a symbolic input), not a computed value"));
        }
    }
    Ok(())
}
