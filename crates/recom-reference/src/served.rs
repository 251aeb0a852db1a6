//! A served model (a compiled bundle) through the reference semantics, and
//! hostile requests made from a real one — what the CPU tests and
//! `recom-bench hostile` (the GPU under compute-sanitizer) check a compiled
//! model against. Behind the `served` feature: it reads bundles with
//! `recom-runtime`, which the oracle itself does not need.
//!
//! The reference path of a request is the runtime's host program (ids from
//! the raw features), then [`crate::evaluate`] for the embedding layer and
//! the runtime's CPU dense program: it checks the kernels, not the host
//! program (which the corpus tests check against TensorFlow).
use recom_runtime::{
    bundle::Bundle,
    host::{Feed, FeedSpec},
    serve::{dense_feeds, dense_on_cpu, name_outputs, Outputs},
};

/// Which part of a SparseTensor a feed is, by its name.
fn sparse_part(name: &str) -> Option<&str> {
    name.rsplit_once('/').map(|(_, p)| p).filter(|p| matches!(*p, "indices" | "values" | "shape"))
}

/// Every sparse input with no entries (dense_shape kept).
fn empty(specs: &[FeedSpec], feeds: &[Feed]) -> Vec<Feed> {
    specs
        .iter()
        .zip(feeds)
        .map(|(spec, feed)| match (sparse_part(&spec.name), feed) {
            (Some("indices"), Feed::I64 { shape, .. }) => Feed::I64 { shape: vec![0, shape.get(1).copied().unwrap_or(2)], data: vec![] },
            (Some("values"), Feed::I64 { .. }) => Feed::I64 { shape: vec![0], data: vec![] },
            (Some("values"), Feed::F32 { .. }) => Feed::F32 { shape: vec![0], data: vec![] },
            (Some("values"), Feed::Str { .. }) => Feed::Str { shape: vec![0], data: vec![] },
            _ => feed.clone(),
        })
        .collect()
}

/// Every sparse entry repeated `k` times in its row (the last index
/// coordinate spread out, dense_shape's last dimension times `k`).
fn longer(specs: &[FeedSpec], feeds: &[Feed], k: usize) -> Vec<Feed> {
    fn rep<T: Clone>(data: &[T], k: usize) -> Vec<T> {
        data.iter().flat_map(|v| std::iter::repeat_n(v.clone(), k)).collect()
    }
    specs
        .iter()
        .zip(feeds)
        .map(|(spec, feed)| match (sparse_part(&spec.name), feed) {
            (Some("indices"), Feed::I64 { shape, data }) if shape.len() == 2 && shape[1] >= 1 => {
                let w = shape[1];
                let mut out = Vec::with_capacity(data.len() * k);
                for entry in data.chunks_exact(w) {
                    for j in 0..k as i64 {
                        out.extend_from_slice(&entry[..w - 1]);
                        out.push(entry[w - 1].saturating_mul(k as i64).saturating_add(j));
                    }
                }
                Feed::I64 { shape: vec![shape[0] * k, w], data: out }
            }
            (Some("shape"), Feed::I64 { shape, data }) if !data.is_empty() => {
                let mut data = data.clone();
                let last = data.len() - 1;
                if last > 0 {
                    data[last] = data[last].saturating_mul(k as i64);
                }
                Feed::I64 { shape: shape.clone(), data }
            }
            (Some("values"), Feed::I64 { shape, data }) => Feed::I64 { shape: vec![shape[0] * k], data: rep(data, k) },
            (Some("values"), Feed::F32 { shape, data }) => Feed::F32 { shape: vec![shape[0] * k], data: rep(data, k) },
            (Some("values"), Feed::Str { shape, data }) => Feed::Str { shape: vec![shape[0] * k], data: rep(data, k) },
            _ => feed.clone(),
        })
        .collect()
}

/// Every value at an edge (indices and dense_shapes kept; int features
/// too unless `ints`).
fn edges(specs: &[FeedSpec], feeds: &[Feed], ints: bool) -> Vec<Feed> {
    const INTS: [i64; 6] = [i64::MAX, i64::MIN, -1, 0, 1 << 40, 3];
    const FLOATS: [f32; 6] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 1e30, 0.5];
    let strings: [&[u8]; 4] = [b"", b"\xff\xfe\x80", "é ü".as_bytes(), b"a,b c"];
    specs
        .iter()
        .zip(feeds)
        .map(|(spec, feed)| match (sparse_part(&spec.name), feed) {
            (Some("indices" | "shape"), _) => feed.clone(),
            (_, Feed::I64 { .. }) if !ints => feed.clone(),
            (_, Feed::I64 { shape, data }) => Feed::I64 { shape: shape.clone(), data: (0..data.len()).map(|i| INTS[i % INTS.len()]).collect() },
            (_, Feed::F32 { shape, data }) => Feed::F32 { shape: shape.clone(), data: (0..data.len()).map(|i| FLOATS[i % FLOATS.len()]).collect() },
            (_, Feed::Str { shape, data }) => Feed::Str { shape: shape.clone(), data: (0..data.len()).map(|i| strings[i % strings.len()].to_vec()).collect() },
        })
        .collect()
}

/// The reference path's answer to `feeds`: the runtime's host program, the reference
/// evaluator's embedding layer, the CPU dense program.
pub fn outputs(bundle: &Bundle, model: &crate::Model, feeds: &[Feed]) -> Result<Outputs, String> {
    let plan = &bundle.artifact.plan;
    let (inputs, host_values) = plan.prepare_all(feeds).map_err(|e| e.to_string())?;
    let embedding = crate::evaluate(model, &inputs).map_err(|e| e.to_string())?;
    let batch = inputs.first().map_or(0, |c| c.offsets.len().saturating_sub(1));
    let dense = dense_feeds(plan, feeds, batch).map_err(|e| e.to_string())?;
    let values = dense_on_cpu(plan, &bundle.dense_weights(), &embedding, &dense, &host_values, batch);
    Ok(name_outputs(plan, batch, values))
}

/// The outputs that are the embedding layer itself (no dense step after).
pub fn embedding_outputs(bundle: &Bundle) -> Vec<String> {
    let plan = &bundle.artifact.plan;
    plan.outputs.iter().filter(|o| matches!(o.source, recom_abi::dense::Operand::Embedding)).map(|o| o.name.clone()).collect()
}

/// The bundle's embedding layer as the reference evaluator's model.
pub fn model(bundle: &Bundle) -> Result<crate::Model, String> {
    let plan = &bundle.artifact.plan;
    let tables = plan
        .tables
        .iter()
        .map(|slot| {
            let data = match bundle.tensor(&slot.name) {
                Some(data) => data,
                None if recom_abi::kernel::identity_table_size(&slot.name) == Some(slot.rows) => {
                    recom_abi::kernel::identity_table(slot.rows)
                }
                None => return Err(format!("table '{}' has no data in the bundle", slot.name)),
            };
            Ok(crate::Table { rows: slot.rows, dim: slot.dim, data })
        })
        .collect::<Result<_, String>>()?;
    let columns = plan
        .columns
        .iter()
        .map(|c| crate::Column { table: c.table, combiner: c.combiner, weighted: c.weighted, filter: c.filter, on_out_of_range: c.on_out_of_range, transform: c.transform.clone() })
        .collect();
    Ok(crate::Model { tables, columns })
}

/// Hostile variants of a real request, named: as given; one row; every
/// sparse input empty; every bag 64 times longer; every value at an edge
/// (int features at the i64 limits, -1 and 2^40 — ids out of range under
/// each column's policy —, floats NaN/±inf/−0.0/1e30, strings empty,
/// non-UTF-8 or non-ASCII); the edges in one row; the float and string
/// edges alone.
pub fn hostile_variants(specs: &[FeedSpec], feeds: &[Feed]) -> Result<Vec<(&'static str, Vec<Feed>)>, String> {
    let one = recom_runtime::resize_feeds(specs, feeds, 1)?;
    Ok(vec![
        ("as given", feeds.to_vec()),
        ("sparse inputs empty", empty(specs, feeds)),
        ("bags 64x longer", longer(specs, feeds, 64)),
        ("edge values", edges(specs, feeds, true)),
        ("edge values, one row", edges(specs, &one, true)),
        // Where an out-of-range id refuses the whole request, the floats and
        // strings at their edges still reach the kernels this way.
        ("edge floats and strings", edges(specs, feeds, false)),
        ("one row", one),
    ])
}

/// Whether a compiled path's answer agrees with the reference's: the same
/// outputs within `tolerance(output)` relative to max(1, |reference|)
/// (NaN-aware,
/// lengths checked: a NaN on one side or a missing element never agrees),
/// or both refusing the request. `Ok` says how they agree, `Err` how they
/// differ.
pub fn agree(got: &Result<Outputs, String>, want: &Result<Outputs, String>, tolerance: impl Fn(&str) -> f64) -> Result<String, String> {
    match (got, want) {
        (Err(g), Err(w)) => Ok(format!("both refuse: '{g}'; reference '{w}'")),
        (Ok(_), Err(w)) => Err(format!("answered where the reference refused: {w}")),
        (Err(g), Ok(_)) => Err(format!("refused where the reference answered: {g}")),
        (Ok(got), Ok(want)) => {
            let mut worst = 0f64;
            for (out, (_, w)) in want {
                let Some((_, g)) = got.get(out) else { return Err(format!("output '{out}' is missing")) };
                let diff = crate::compare(g, w).map_err(|e| format!("output '{out}': {e}"))?;
                if !(diff.max_rel <= tolerance(out)) {
                    let i = diff.worst;
                    return Err(format!("output '{out}': max rel err {:e} at element {i}: got {}, reference {}", diff.max_rel, g[i], w[i]));
                }
                worst = worst.max(diff.max_rel);
            }
            Ok(format!("equal (max rel err {worst:e} over {} outputs)", want.len()))
        }
    }
}
