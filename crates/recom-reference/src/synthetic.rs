//! Seeded synthetic workloads: the benchmark's shapes and the random models
//! the compiled paths are tested on. The same seed gives the same model and
//! batch on every machine (ChaCha8).
use crate::{Column, ColumnInput, Combiner, Filter, IdTransform, Model, OutOfRange, Table};
use recom_abi::semantics::Keys;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Zipf};

/// A benchmark workload: C columns over a batch of B rows, each row with
/// 0..=2L ids (a fraction of rows empty), dims drawn from `dims`, table rows
/// log-uniform in `rows`, fp32, sum pooling.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSpec {
    pub columns: usize,
    pub batch: usize,
    pub mean_ids: usize,
    pub dims: Vec<usize>,
    pub rows: (usize, usize),
    pub empty_fraction: f64,
    /// Zipf exponent of the ids (None: uniform).
    pub zipf: Option<f64>,
    pub seed: u64,
}

impl WorkloadSpec {
    /// The spine issue's shape: dims {8,16,32,64}, 1e3..1e5 rows, 5% empty rows.
    pub fn standard(columns: usize, batch: usize, mean_ids: usize, seed: u64) -> Self {
        WorkloadSpec {
            columns,
            batch,
            mean_ids,
            dims: vec![8, 16, 32, 64],
            rows: (1_000, 100_000),
            empty_fraction: 0.05,
            zipf: None,
            seed,
        }
    }
}

/// The benchmark's workloads, by name: the spine issue's three shapes
/// (C columns, batch B, mean ids L) and a Zipf-skewed variant, seed 42.
pub fn benchmark_workloads() -> Vec<(String, WorkloadSpec)> {
    let mut list: Vec<(String, WorkloadSpec)> = [(50, 512, 5), (500, 512, 5), (2000, 64, 2)]
        .into_iter()
        .map(|(c, b, l)| (format!("c{c}_b{b}_l{l}"), WorkloadSpec::standard(c, b, l, 42)))
        .collect();
    list.push(("c500_b512_l5_zipf".into(), WorkloadSpec { zipf: Some(1.1), ..WorkloadSpec::standard(500, 512, 5, 42) }));
    list
}

/// Table contents from a cheap hash (random-looking, in [-1, 1)): generating
/// gigabytes of tables with a cryptographic RNG would dominate set-up time.
fn table_data(rows: usize, dim: usize, salt: u64) -> Vec<f32> {
    (0..rows * dim)
        .map(|i| {
            let mut x = (i as u64).wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            x ^= x >> 33;
            ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn log_uniform(rng: &mut impl Rng, lo: usize, hi: usize) -> usize {
    let (a, b) = ((lo as f64).ln(), (hi as f64).ln());
    (rng.random_range(a..=b).exp().round() as usize).clamp(lo, hi)
}

/// The model of the benchmark of tables beyond one GPU (`recom-bench
/// sharded`): 16 columns of dim 64, one table each, ~5 ids a row, the
/// tables `total_bytes` together (rows of 256 bytes), a batch of `batch`.
pub fn beyond_one_gpu(total_bytes: u64, batch: usize, seed: u64) -> WorkloadSpec {
    const COLUMNS: usize = 16;
    let rows = (total_bytes / (COLUMNS as u64 * 256)).max(1) as usize;
    WorkloadSpec { columns: COLUMNS, batch, mean_ids: 5, dims: vec![64], rows: (rows, rows), empty_fraction: 0.05, zipf: None, seed }
}

/// The model and one batch of a benchmark workload.
pub fn workload(spec: &WorkloadSpec) -> (Model, Vec<ColumnInput>) {
    workload_with(spec, true)
}

/// [`workload`] with the tables' values left empty (`data` of length 0):
/// the shapes of a model too large for the host's memory, whose tables are
/// made where they are served.
pub fn workload_shapes(spec: &WorkloadSpec) -> (Model, Vec<ColumnInput>) {
    workload_with(spec, false)
}

fn workload_with(spec: &WorkloadSpec, values: bool) -> (Model, Vec<ColumnInput>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut tables = Vec::with_capacity(spec.columns);
    let mut columns = Vec::with_capacity(spec.columns);
    let mut inputs = Vec::with_capacity(spec.columns);
    for c in 0..spec.columns {
        let dim = spec.dims[rng.random_range(0..spec.dims.len())];
        let rows = log_uniform(&mut rng, spec.rows.0, spec.rows.1);
        tables.push(Table { rows, dim, data: if values { table_data(rows, dim, spec.seed ^ c as u64) } else { Vec::new() } });
        columns.push(Column {
            table: c,
            combiner: Combiner::Sum,
            weighted: false,
            filter: None,
            on_out_of_range: OutOfRange::Error,
            transform: None,
        });
        let zipf = spec.zipf.map(|s| Zipf::new(rows as f64, s).expect("valid Zipf parameters"));
        let mut input = ColumnInput { offsets: vec![0], ..Default::default() };
        for _ in 0..spec.batch {
            let n = if rng.random_bool(spec.empty_fraction) { 0 } else { rng.random_range(0..=2 * spec.mean_ids) };
            for _ in 0..n {
                let id = match &zipf {
                    Some(z) => z.sample(&mut rng) as i64 - 1,
                    None => rng.random_range(0..rows as i64),
                };
                input.ids.push(id);
            }
            input.offsets.push(input.ids.len() as i64);
        }
        inputs.push(input);
    }
    (Model { tables, columns }, inputs)
}

/// A random model and batch that exercises every rule of the contract:
/// all combiners, weights (including <= 0), dims 1..=256, shared tables,
/// filters, every out-of-range policy, empty rows and empty columns,
/// duplicate, negative and too-large ids (some past 32 bits), B = 1..=max_batch,
/// and columns whose ids are raw integers hashed into buckets
/// ([`IdTransform::IntHashBucket`]; values at the i64 limits, around powers
/// of ten, and of every decimal length).
/// Columns with the `Error` policy never get too-large ids, so the batch
/// always evaluates.
pub fn random_case(seed: u64, max_columns: usize, max_batch: usize) -> (Model, Vec<ColumnInput>) {
    random_case_with(seed, max_columns, max_batch, false)
}

/// [`random_case`], and with `hostile` also: too-large ids in `Error`
/// columns (the batch must then be refused, by every path), weights that
/// are NaN, ±inf or −0.0.
pub fn random_case_with(seed: u64, max_columns: usize, max_batch: usize, hostile: bool) -> (Model, Vec<ColumnInput>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let num_tables = rng.random_range(1..=max_columns.max(1));
    let tables: Vec<Table> = (0..num_tables)
        .map(|t| {
            let dim = if rng.random_bool(0.3) { rng.random_range(1..=256) } else { [1, 4, 8, 16, 32, 64][rng.random_range(0..6)] };
            let rows = rng.random_range(1..=300);
            Table { rows, dim, data: table_data(rows, dim, seed.wrapping_mul(31) ^ t as u64) }
        })
        .collect();
    let batch = if rng.random_bool(0.2) { rng.random_range(1..=4) } else { rng.random_range(1..=max_batch) };
    let num_columns = rng.random_range(1..=max_columns.max(1));
    let mut columns = Vec::new();
    let mut inputs = Vec::new();
    for _ in 0..num_columns {
        let table = rng.random_range(0..num_tables);
        let rows = tables[table].rows as i64;
        let combiner = [Combiner::Sum, Combiner::Mean, Combiner::Sqrtn][rng.random_range(0..3)];
        let weighted = rng.random_bool(0.4);
        let on_out_of_range = match rng.random_range(0..3) {
            0 => OutOfRange::Error,
            1 => OutOfRange::Drop,
            _ => OutOfRange::Default(rng.random_range(0..rows)),
        };
        let filter = rng.random_bool(0.3).then(|| {
            let lo = rng.random_range(-2..rows.max(1));
            let hi = rng.random_range(lo + 1..=rows + 5);
            // A default is a row inside the filter's range (none where they do not meet).
            let default = rng.random_bool(0.5).then(|| rng.random_range(lo..hi).clamp(0, rows - 1)).filter(|d| (lo..hi).contains(d));
            Filter { lo, hi, default }
        });
        // Transformed columns: under the Error policy (not hostile) every id
        // a transform can give is a row, so the batch evaluates.
        let safe = on_out_of_range == OutOfRange::Error && !hostile;
        let transform = rng.random_bool(0.3).then(|| random_transform(&mut rng, rows, safe));
        let strings = transform.as_ref().is_some_and(|t| t.takes_strings());
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let empty_column = rng.random_bool(0.05);
        let mean_ids = rng.random_range(0..=6);
        let mut input = ColumnInput { offsets: vec![0], weights: weighted.then(Vec::new), ..Default::default() };
        for _ in 0..batch {
            let n = if empty_column || rng.random_bool(0.1) { 0 } else { rng.random_range(0..=2 * mean_ids) };
            for _ in 0..n {
                // Some negative and too-large ids lie past 32 bits (a kernel
                // reading i32 ids gets them clamped and must treat them alike).
                let id = match rng.random_range(0..20) {
                    _ if transform.is_some() => {
                        let max_id = if safe { rows - 1 } else { rows + 4 };
                        let (raw, text) = raw_value(&mut rng, transform.as_ref().expect("a transform"), max_id);
                        texts.extend(text);
                        raw
                    }
                    0 if rng.random_bool(0.3) => [i64::MIN, -(1 << 40), i64::from(i32::MIN) - 1][rng.random_range(0..3)],
                    0 => -rng.random_range(1..5),
                    1 if hostile || on_out_of_range != OutOfRange::Error || filter.is_some_and(|f| f.default.is_none() && f.hi <= rows) => {
                        if rng.random_bool(0.3) {
                            [i64::MAX, 1 << 40, i64::from(i32::MAX) + 1][rng.random_range(0..3)]
                        } else {
                            rows + rng.random_range(0..10)
                        }
                    }
                    2 => input.ids.last().copied().unwrap_or(0),
                    _ => rng.random_range(0..rows),
                };
                input.ids.push(id);
                if let Some(w) = &mut input.weights {
                    w.push(if hostile && rng.random_bool(0.1) {
                        [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0][rng.random_range(0..4)]
                    } else if rng.random_bool(0.1) {
                        -rng.random::<f32>()
                    } else {
                        rng.random_range(0.0..2.0)
                    });
                }
            }
            input.offsets.push(input.ids.len() as i64);
        }
        if strings {
            let (refs, bytes) = recom_abi::request::string_refs(&texts).expect("short strings");
            input.ids = refs;
            input.bytes = Some(bytes);
        }
        columns.push(Column { table, combiner, weighted, filter, on_out_of_range, transform });
        inputs.push(input);
    }
    (Model { tables, columns }, inputs)
}

/// A random id transform of a column whose table has `rows` rows; with
/// `safe`, every id it gives is a row (or dropped).
fn random_transform(rng: &mut impl Rng, rows: i64, safe: bool) -> IdTransform {
    let most = if safe { rows } else { rows + 5 };
    match rng.random_range(0..5) {
        0 => IdTransform::IntHashBucket { buckets: rng.random_range(1..=most.max(1)) as u64 },
        1 => IdTransform::StrHashBucket { buckets: rng.random_range(1..=most.max(1)) as u64 },
        k @ (2 | 3) => {
            // Keys first, then OOV buckets; ids past the table only when not safe.
            let n = rng.random_range(1..=most.clamp(1, 40)) as usize;
            let keys = if k == 2 {
                let mut keys: Vec<i64> = Vec::new();
                while keys.len() < n {
                    let key = raw_integer(rng);
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                Keys::I64(keys)
            } else {
                let mut keys: Vec<String> = Vec::new();
                let mut fps = Vec::new();
                while keys.len() < n {
                    let key = String::from_utf8_lossy(&raw_string(rng)).into_owned();
                    let fp = recom_abi::hash::fingerprint64(key.as_bytes());
                    if !fps.contains(&fp) {
                        fps.push(fp);
                        keys.push(key);
                    }
                }
                Keys::Str(keys)
            };
            let left = most - n as i64;
            let oov_buckets = if left > 0 && rng.random_bool(0.5) { rng.random_range(1..=left.min(5)) as u64 } else { 0 };
            let default = if rng.random_bool(0.5) || rows == 0 { -1 } else { rng.random_range(0..most.max(1)) };
            // Feature columns put OOV buckets after the keys; Keras' lookups
            // before them (ids 0..oov, keys from oov).
            let (first, oov_base) = if oov_buckets > 0 && rng.random_bool(0.3) { (oov_buckets as i64, Some(0)) } else { (0, None) };
            IdTransform::Vocabulary { keys, default, oov_buckets, first, oov_base }
        }
        _ => {
            // Evenly spaced (a linspace) or uneven f32 boundaries, bucket +
            // j * (len + 1) < rows when safe (j below).
            let n = rng.random_range(0..=(most - 1).clamp(0, 20)) as usize;
            let mut boundaries: Vec<f64> = if rng.random_bool(0.5) {
                let (start, step) = (rng.random_range(-100.0f32..100.0), rng.random_range(0.001f32..50.0));
                (0..n).map(|i| (start + step * i as f32) as f64).collect()
            } else {
                (0..n).map(|_| rng.random_range(-1000.0f32..1000.0) as f64).collect()
            };
            boundaries.sort_by(f64::total_cmp);
            boundaries.dedup();
            if rng.random_bool(0.2) && boundaries.first().is_some_and(|&b| b > 0.0) {
                boundaries.insert(0, 0.0);
            }
            IdTransform::Bucketize { boundaries }
        }
    }
}

/// A raw value for `transform` (and the string it references, for string
/// transforms): edge values, and for vocabularies keys about half the time.
/// A bucketized entry's position j keeps its id at most `max_id`.
fn raw_value(rng: &mut impl Rng, transform: &IdTransform, max_id: i64) -> (i64, Option<Vec<u8>>) {
    match transform {
        IdTransform::IntHashBucket { .. } => (raw_integer(rng), None),
        IdTransform::StrHashBucket { .. } => (0, Some(raw_string(rng))),
        IdTransform::Vocabulary { keys: Keys::I64(keys), .. } => {
            (if !keys.is_empty() && rng.random_bool(0.5) { keys[rng.random_range(0..keys.len())] } else { raw_integer(rng) }, None)
        }
        IdTransform::Vocabulary { keys: Keys::Str(keys), .. } => {
            let text = if !keys.is_empty() && rng.random_bool(0.5) {
                keys[rng.random_range(0..keys.len())].as_bytes().to_vec()
            } else if !keys.is_empty() && rng.random_bool(0.2) {
                // A key with its last byte changed: same length, other bytes.
                let mut k = keys[rng.random_range(0..keys.len())].as_bytes().to_vec();
                if let Some(b) = k.last_mut() {
                    *b ^= 1;
                }
                k
            } else {
                raw_string(rng)
            };
            (0, Some(text))
        }
        IdTransform::Bucketize { boundaries } => {
            let x: f32 = match rng.random_range(0..6) {
                0 => [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, f32::MAX, f32::MIN, f32::MIN_POSITIVE][rng.random_range(0..8)],
                1 | 2 if !boundaries.is_empty() => {
                    // On a boundary, or one ulp either side.
                    let b = boundaries[rng.random_range(0..boundaries.len())] as f32;
                    match rng.random_range(0..3) {
                        0 => b,
                        1 => f32::from_bits(b.to_bits().wrapping_add(1)),
                        _ => f32::from_bits(b.to_bits().wrapping_sub(1)),
                    }
                }
                _ => rng.random_range(-1500.0f32..1500.0),
            };
            let n = boundaries.len() as i64;
            let j = rng.random_range(0..=((max_id - n) / (n + 1)).clamp(0, 3));
            (recom_abi::semantics::float_entry(j as usize, x), None)
        }
    }
}

/// A raw string feature value: empty, of every FarmHash length class and
/// both sides of each boundary (3/4, 7/8, 16/17, 32/33, 64/65, multiples of
/// 64), ASCII, UTF-8 or any bytes.
fn raw_string(rng: &mut impl Rng) -> Vec<u8> {
    let len = match rng.random_range(0..4) {
        0 => [0, 1, 3, 4, 7, 8, 16, 17, 32, 33, 64, 65, 128, 192, 200][rng.random_range(0..15)],
        1 => rng.random_range(0..=12),
        2 => rng.random_range(13..=70),
        _ => rng.random_range(0..=300),
    };
    match rng.random_range(0..3) {
        0 => (0..len).map(|_| rng.random_range(b'a'..=b'z')).collect(),
        1 => "é漢ü-€".bytes().cycle().take(len).collect(),
        _ => (0..len).map(|_| rng.random()).collect(),
    }
}

/// A raw integer feature value: the i64 limits, 0 and -1, values around
/// powers of ten (every decimal length, each side of a length change), or
/// any 64-bit pattern.
fn raw_integer(rng: &mut impl Rng) -> i64 {
    match rng.random_range(0..6) {
        0 => [i64::MIN, i64::MAX, 0, -1, i64::MIN + 1, 1][rng.random_range(0..6)],
        1 | 2 => {
            let power = 10i64.pow(rng.random_range(0..19));
            let value = power + rng.random_range(-1..=1);
            if rng.random_bool(0.3) { -value } else { value }
        }
        3 => rng.random_range(-1000..1000),
        _ => rng.random(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate;

    #[test]
    fn workloads_are_reproducible_and_shaped() {
        let spec = WorkloadSpec::standard(20, 64, 5, 7);
        let (m1, i1) = workload(&spec);
        let (m2, i2) = workload(&spec);
        assert_eq!(i1, i2);
        assert_eq!(m1.columns.len(), 20);
        assert!(m1.tables.iter().all(|t| [8, 16, 32, 64].contains(&t.dim) && (1_000..=100_000).contains(&t.rows)));
        assert_eq!(m1.tables[3].data, m2.tables[3].data);
        assert!(i1.iter().all(|i| i.offsets.len() == 65 && i.ids.iter().all(|&id| id >= 0)));
        let zipf = workload(&WorkloadSpec { zipf: Some(1.1), ..spec });
        assert!(zipf.1.iter().zip(&zipf.0.tables).all(|(i, t)| i.ids.iter().all(|&id| (id as usize) < t.rows)));
    }

    #[test]
    fn random_cases_always_evaluate() {
        for seed in 0..200 {
            let (model, inputs) = random_case(seed, 12, 64);
            evaluate(&model, &inputs).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
}
