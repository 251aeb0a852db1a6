//! Runs a model's host program ([`recom_abi::host::HostProgram`]) on a
//! request: from the model's named inputs ("feeds": TensorFlow's
//! placeholders, e.g. a SparseTensor's `indices`, `values` and
//! `dense_shape`) to the CSR input of every column, through the host-side
//! ops (string hashing, vocabularies, dense -> sparse, bucketizing,
//! crosses, COO -> CSR). Every problem is an error naming the input it
//! comes from; every size taken from a request is checked before anything
//! is allocated for it.
pub use recom_abi::host::{FeedSpec, FeedType, HostOp, HostProgram, Ignore, Keys, ValueRef};
use recom_abi::{
    hash::{fingerprint64, fingerprint_cat64, string_to_hash_bucket},
    request::ColumnInput,
};
use std::collections::HashMap;

/// A value given for one input, or made by a host step.
#[derive(Clone, Debug, PartialEq)]
pub enum Feed {
    I64 { shape: Vec<usize>, data: Vec<i64> },
    F32 { shape: Vec<usize>, data: Vec<f32> },
    Str { shape: Vec<usize>, data: Vec<Vec<u8>> },
}

impl Feed {
    pub fn shape(&self) -> &[usize] {
        match self {
            Feed::I64 { shape, .. } | Feed::F32 { shape, .. } | Feed::Str { shape, .. } => shape,
        }
    }
    pub fn dtype(&self) -> FeedType {
        match self {
            Feed::I64 { .. } => FeedType::I64,
            Feed::F32 { .. } => FeedType::F32,
            Feed::Str { .. } => FeedType::Str,
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Feed::I64 { data, .. } => data.len(),
            Feed::F32 { data, .. } => data.len(),
            Feed::Str { data, .. } => data.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn vector(data: Vec<i64>) -> Feed {
        Feed::I64 { shape: vec![data.len()], data }
    }
}

/// Why a request's inputs are rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HostError {
    #[error("the model has {expected} inputs ({names}) but the request has {got}")]
    FeedCount { expected: usize, got: usize, names: String },
    #[error("input '{name}': {problem}")]
    BadFeed { name: String, problem: String },
    #[error("the host program is malformed: {0}")]
    Program(String),
}

/// What one request may ask for, checked before anything is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Rows of a batch (a dense shape's first dim, a row index + 1).
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_batch: 1 << 24 }
    }
}

fn bad(spec: &FeedSpec, problem: impl Into<String>) -> HostError {
    HostError::BadFeed { name: spec.name.clone(), problem: problem.into() }
}

/// Checks every feed against its spec (element type, rank, static dims).
pub fn check_feeds(specs: &[FeedSpec], feeds: &[Feed]) -> Result<(), HostError> {
    if specs.len() != feeds.len() {
        let names = specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
        return Err(HostError::FeedCount { expected: specs.len(), got: feeds.len(), names });
    }
    for (spec, feed) in specs.iter().zip(feeds) {
        if spec.dtype != feed.dtype() {
            return Err(bad(spec, format!("expected {:?} values, got {:?}", spec.dtype, feed.dtype())));
        }
        let shape = feed.shape();
        let elements = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if elements != Some(feed.len()) {
            return Err(bad(spec, format!("shape {shape:?} does not hold its {} values", feed.len())));
        }
        if let Some(expected) = &spec.shape {
            let fits = expected.len() == shape.len() && expected.iter().zip(shape).all(|(&e, &s)| e < 0 || e as usize == s);
            if !fits {
                return Err(bad(spec, format!("expected shape {expected:?} (-1 = any), got {shape:?}")));
            }
        }
    }
    Ok(())
}

/// One operand: its value and the input it derives from (named in errors).
#[derive(Clone, Copy)]
struct Operand<'v> {
    value: &'v Feed,
    origin: &'v FeedSpec,
}

impl<'v> Operand<'v> {
    fn bad(&self, problem: impl Into<String>) -> HostError {
        bad(self.origin, problem)
    }

    fn ints(&self, what: &str) -> Result<&'v [i64], HostError> {
        match self.value {
            Feed::I64 { data, .. } => Ok(data),
            other => Err(self.bad(format!("{what} must be integers, got {:?}", other.dtype()))),
        }
    }

    /// A dense `[rows, width]` input.
    fn matrix(&self, what: &str) -> Result<(usize, usize), HostError> {
        match *self.value.shape() {
            [rows, width] => Ok((rows, width)),
            ref shape => Err(self.bad(format!("{what} is [batch, n], got shape {shape:?}"))),
        }
    }

    /// A SparseTensor's `[N, 2]` indices.
    fn indices(&self) -> Result<&'v [i64], HostError> {
        let data = self.ints("indices")?;
        match *self.value.shape() {
            [_, 2] => Ok(data),
            ref shape => Err(self.bad(format!("indices must be [N, 2], got {shape:?}"))),
        }
    }
}

fn is_kept(ignore: &Ignore, i: Option<i64>, s: Option<&[u8]>) -> bool {
    match ignore {
        Ignore::I64(v) => i != Some(*v),
        Ignore::Str(v) => s != Some(v.as_bytes()),
        Ignore::KeepAll => true,
    }
}

fn check_batch(rows: i64, limits: &Limits, operand: &Operand, what: &str) -> Result<usize, HostError> {
    match usize::try_from(rows) {
        Ok(r) if r <= limits.max_batch => Ok(r),
        Ok(_) => Err(operand.bad(format!("{what} of {rows} rows is more than the {} rows a request may have", limits.max_batch))),
        Err(_) => Err(operand.bad(format!("{what} of {rows} rows is negative"))),
    }
}

/// A SparseTensor's dense shape `[rows, width]`, checked.
fn dense_shape(shape: &Operand, limits: &Limits) -> Result<(usize, i64), HostError> {
    let dims = shape.ints("a dense_shape")?;
    let [rows, width] = dims[..] else {
        return Err(shape.bad(format!("a dense_shape has 2 values [batch, width], got {}", dims.len())));
    };
    if rows < 0 || width < 0 {
        return Err(shape.bad(format!("dense_shape [{rows}, {width}] has a negative size")));
    }
    Ok((check_batch(rows, limits, shape, "a batch")?, width))
}

/// B + 1 row offsets of a COO SparseTensor; its indices must be in row order
/// and inside the dense shape (without one: rows up to the largest row index,
/// TensorFlow's SparseSegment* without a count).
fn coo_rows(indices: &Operand, shape: Option<&Operand>, limits: &Limits) -> Result<Vec<i64>, HostError> {
    let entries = indices.indices()?;
    let (rows, width) = match shape {
        Some(shape) => dense_shape(shape, limits)?,
        None => {
            let last = entries.chunks_exact(2).map(|e| e[0]).max().unwrap_or(-1);
            if let Some(k) = entries.chunks_exact(2).position(|e| e[0] < 0) {
                return Err(indices.bad(format!("entry {k} has the negative row index {}", entries[2 * k])));
            }
            (check_batch(last.saturating_add(1), limits, indices, "a sparse input")?, i64::MAX)
        }
    };
    let mut offsets = vec![0i64; rows + 1];
    let mut previous = 0;
    for (k, entry) in entries.chunks_exact(2).enumerate() {
        let (row, position) = (entry[0], entry[1]);
        if row < 0 || row as u64 >= rows as u64 || position < 0 || position >= width {
            return Err(indices.bad(format!("entry {k} = [{row}, {position}] is outside the dense_shape [{rows}, {width}]")));
        }
        if row < previous {
            return Err(indices.bad(format!("entry {k} is in row {row} after row {previous}: indices must be in row-major order")));
        }
        previous = row;
        offsets[row as usize + 1] += 1;
    }
    for r in 0..rows {
        offsets[r + 1] += offsets[r];
    }
    Ok(offsets)
}

/// The indices `[N, 2]` and dense shape of row-major entries, `kept[i]`
/// saying which entries of a `[rows, width]` input are in.
fn sparse_of(rows: usize, width: usize, kept: impl Iterator<Item = bool>) -> (Feed, Feed) {
    let mut indices = Vec::new();
    for (i, keep) in kept.enumerate() {
        if keep {
            indices.extend([(i / width.max(1)) as i64, (i % width.max(1)) as i64]);
        }
    }
    let n = indices.len() / 2;
    (Feed::I64 { shape: vec![n, 2], data: indices }, Feed::vector(vec![rows as i64, width as i64]))
}

/// One step's results.
fn evaluate(op: &HostOp, operands: &[Operand], limits: &Limits) -> Result<Vec<Feed>, HostError> {
    let arity = |n: usize| -> Result<(), HostError> {
        if operands.len() == n {
            Ok(())
        } else {
            Err(HostError::Program(format!("{op:?} takes {n} operands, got {}", operands.len())))
        }
    };
    Ok(match op {
        HostOp::HashBucket { buckets } => {
            arity(1)?;
            if *buckets == 0 {
                return Err(HostError::Program("a hash bucket count is 0".into()));
            }
            vec![Feed::vector(match operands[0].value {
                Feed::Str { data, .. } => data.iter().map(|s| string_to_hash_bucket(s, *buckets)).collect(),
                Feed::I64 { data, .. } => data.iter().map(|x| string_to_hash_bucket(x.to_string().as_bytes(), *buckets)).collect(),
                Feed::F32 { .. } => return Err(operands[0].bad("expected integer or string ids, got floats")),
            })]
        }
        HostOp::Vocabulary { keys, default, oov_buckets } => {
            arity(1)?;
            let size = keys.len() as i64;
            let absent = |bytes: &[u8]| match oov_buckets {
                0 => *default,
                &k => size + string_to_hash_bucket(bytes, k),
            };
            vec![Feed::vector(match (operands[0].value, keys) {
                (Feed::Str { data, .. }, Keys::Str(keys)) => {
                    let index: HashMap<&[u8], i64> = keys.iter().enumerate().map(|(i, k)| (k.as_bytes(), i as i64)).collect();
                    data.iter().map(|s| index.get(s.as_slice()).copied().unwrap_or_else(|| absent(s))).collect()
                }
                (Feed::I64 { data, .. }, Keys::I64(keys)) => {
                    let index: HashMap<i64, i64> = keys.iter().enumerate().map(|(i, &k)| (k, i as i64)).collect();
                    data.iter().map(|v| index.get(v).copied().unwrap_or_else(|| absent(v.to_string().as_bytes()))).collect()
                }
                _ => return Err(operands[0].bad("the values do not have the vocabulary's key type")),
            })]
        }
        HostOp::SparseFromDense { ignore } => {
            arity(1)?;
            let (rows, width) = operands[0].matrix("a dense categorical input")?;
            let (kept, values) = match operands[0].value {
                Feed::I64 { data, .. } => {
                    let kept: Vec<bool> = data.iter().map(|&v| is_kept(ignore, Some(v), None)).collect();
                    let values = data.iter().zip(&kept).filter(|(_, &k)| k).map(|(&v, _)| v).collect();
                    (kept, Feed::vector(values))
                }
                Feed::Str { data, .. } => {
                    let kept: Vec<bool> = data.iter().map(|s| is_kept(ignore, None, Some(s))).collect();
                    let values: Vec<Vec<u8>> = data.iter().zip(&kept).filter(|(_, &k)| k).map(|(s, _)| s.clone()).collect();
                    (kept, Feed::Str { shape: vec![values.len()], data: values })
                }
                Feed::F32 { .. } => return Err(operands[0].bad("expected integer or string values, got floats")),
            };
            let (indices, shape) = sparse_of(rows, width, kept.into_iter());
            vec![indices, values, shape]
        }
        HostOp::BucketizedSparse { boundaries } => {
            arity(1)?;
            let Feed::F32 { shape, data } = operands[0].value else {
                return Err(operands[0].bad("a bucketized column needs a [batch, k] float input"));
            };
            let [rows, k] = shape[..] else {
                return Err(operands[0].bad("a bucketized column needs a [batch, k] float input"));
            };
            let stride = boundaries.len() as i64 + 1;
            let bucket = |v: f32| boundaries.partition_point(|&b| b <= v as f64) as i64;
            let values = data.iter().enumerate().map(|(i, &v)| bucket(v) + (i % k) as i64 * stride).collect();
            let (indices, shape) = sparse_of(rows, k, std::iter::repeat_n(true, rows * k));
            vec![indices, Feed::vector(values), shape]
        }
        HostOp::Fingerprint => {
            arity(1)?;
            match operands[0].value {
                Feed::Str { data, .. } => vec![Feed::vector(data.iter().map(|s| fingerprint64(s) as i64).collect())],
                _ => return Err(operands[0].bad("a fingerprint takes strings")),
            }
        }
        HostOp::CrossHashed { num_buckets, hash_key } => cross(operands, *num_buckets, *hash_key, limits)?,
        HostOp::CooRows => match operands {
            [indices] => vec![Feed::vector(coo_rows(indices, None, limits)?)],
            [indices, shape] => vec![Feed::vector(coo_rows(indices, Some(shape), limits)?)],
            _ => return Err(HostError::Program(format!("CooRows takes 1 or 2 operands, got {}", operands.len()))),
        },
        HostOp::NumericInput { column, normalizer } => {
            arity(1)?;
            let dense = &operands[0];
            let (rows, k) = dense.matrix("a numeric input")?;
            let Feed::F32 { data, .. } = dense.value else {
                return Err(dense.bad("a numeric input is floats"));
            };
            if *column >= k {
                return Err(dense.bad(format!("expected a [batch, k > {column}] float input, got [{rows}, {k}]")));
            }
            let values = data.iter().skip(*column).step_by(k);
            let weights: Vec<f32> = match normalizer {
                // Sub then RealDiv in f32, as TensorFlow evaluates them.
                Some((shift, scale)) => values.map(|&x| (x - shift) / scale).collect(),
                None => values.copied().collect(),
            };
            vec![Feed::vector(vec![0; rows]), Feed::vector((0..=rows as i64).collect()), Feed::F32 { shape: vec![rows], data: weights }]
        }
    })
}

/// The hashed cross of C SparseTensors (C indices, C values, C dense
/// shapes): every combination of one entry per input in each row (last
/// input fastest), hashed like TensorFlow's SparseCross.
fn cross(operands: &[Operand], num_buckets: u64, hash_key: u64, limits: &Limits) -> Result<Vec<Feed>, HostError> {
    let n = operands.len() / 3;
    if n == 0 || operands.len() != 3 * n || num_buckets == 0 {
        return Err(HostError::Program(format!("a cross takes 3 operands per input and buckets > 0, got {} operands", operands.len())));
    }
    let mut columns = Vec::with_capacity(n);
    for k in 0..n {
        let values = &operands[n + k];
        let hashes = values.ints("a crossed input's values (strings are fingerprinted first)")?;
        let offsets = coo_rows(&operands[k], Some(&operands[2 * n + k]), limits)?;
        let entries = *offsets.last().unwrap_or(&0);
        if entries != hashes.len() as i64 {
            return Err(values.bad(format!("{} values for {entries} entries of the sparse input", hashes.len())));
        }
        columns.push((hashes, offsets));
    }
    let batch = columns[0].1.len() - 1;
    if let Some(k) = columns.iter().position(|c| c.1.len() - 1 != batch) {
        return Err(operands[n + k].bad(format!("batch of {} rows, but the first crossed input has {batch}", columns[k].1.len() - 1)));
    }
    let mut ids = Vec::new();
    let mut indices = Vec::new();
    let mut width = 0i64;
    let mut position = vec![0usize; n];
    for r in 0..batch {
        let counts: Vec<usize> = columns.iter().map(|(_, o)| (o[r + 1] - o[r]) as usize).collect();
        let start = ids.len();
        if counts.iter().all(|&c| c > 0) {
            position.iter_mut().for_each(|p| *p = 0);
            'combinations: loop {
                let mut h = hash_key;
                for (c, (hashes, o)) in columns.iter().enumerate() {
                    h = fingerprint_cat64(h, hashes[o[r] as usize + position[c]] as u64);
                }
                indices.extend([r as i64, (ids.len() - start) as i64]);
                ids.push((h % num_buckets) as i64);
                // Next combination, the last input fastest.
                let mut c = n;
                loop {
                    if c == 0 {
                        break 'combinations;
                    }
                    c -= 1;
                    position[c] += 1;
                    if position[c] < counts[c] {
                        break;
                    }
                    position[c] = 0;
                }
            }
        }
        width = width.max((ids.len() - start) as i64);
    }
    let entries = ids.len();
    Ok(vec![Feed::I64 { shape: vec![entries, 2], data: indices }, Feed::vector(ids), Feed::vector(vec![batch as i64, width])])
}

/// Runs the host program with the default [`Limits`]: the CSR input of
/// every column from the feeds.
pub fn prepare(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed]) -> Result<Vec<ColumnInput>, HostError> {
    prepare_with(specs, program, feeds, &Limits::default())
}

/// [`prepare`] under `limits`.
pub fn prepare_with(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed], limits: &Limits) -> Result<Vec<ColumnInput>, HostError> {
    use rayon::prelude::*;
    check_feeds(specs, feeds)?;
    program.check(specs.len()).map_err(HostError::Program)?;
    // Each step's results and the input each derives from (its first
    // operand's), evaluated level by level: the steps of a level read only
    // inputs and results of earlier levels, and run in parallel.
    let mut results: Vec<Option<(Vec<Feed>, usize)>> = vec![None; program.steps.len()];
    let mut level = vec![0usize; program.steps.len()];
    for (i, step) in program.steps.iter().enumerate() {
        level[i] = step
            .operands
            .iter()
            .map(|v| match *v {
                ValueRef::Feed(_) => 0,
                ValueRef::Step { step, .. } => level[step] + 1,
            })
            .max()
            .unwrap_or(0);
    }
    let depth = level.iter().max().map_or(0, |l| l + 1);
    for l in 0..depth {
        let done: Vec<(usize, Result<(Vec<Feed>, usize), HostError>)> = (0..program.steps.len())
            .into_par_iter()
            .filter(|&i| level[i] == l)
            .map(|i| {
                let step = &program.steps[i];
                let operands: Vec<(Operand, usize)> =
                    step.operands.iter().map(|v| operand(v, specs, feeds, &results)).collect();
                let origin = operands.first().map_or(0, |(_, o)| *o);
                let values: Vec<Operand> = operands.into_iter().map(|(o, _)| o).collect();
                (i, evaluate(&step.op, &values, limits).map(|r| (r, origin)))
            })
            .collect();
        for (i, outcome) in done {
            let (values, origin) = outcome?;
            if values.len() != program.steps[i].op.result_count() {
                return Err(HostError::Program(format!("host step {i} made {} results", values.len())));
            }
            results[i] = Some((values, origin));
        }
    }
    program
        .columns
        .par_iter()
        .map(|column| {
            let (ids, ids_origin) = operand(&column.ids, specs, feeds, &results);
            let (rows, rows_origin) = operand(&column.row_offsets, specs, feeds, &results);
            let ids = ids.ints("ids")?.to_vec();
            let offsets = rows.ints("row offsets")?.to_vec();
            let entries = *offsets.last().unwrap_or(&0);
            if entries != ids.len() as i64 {
                let problem = if rows_origin != ids_origin {
                    format!("{} values but '{}' has {entries} entries", ids.len(), specs[rows_origin].name)
                } else {
                    format!("{} values for {entries} entries of the sparse input", ids.len())
                };
                return Err(bad(&specs[ids_origin], problem));
            }
            let weights = match column.weights {
                None => None,
                Some(w) => match operand(&w, specs, feeds, &results).0 {
                    Operand { value: Feed::F32 { data, .. }, .. } => Some(data.clone()),
                    other => return Err(other.bad("expected float weights")),
                },
            };
            Ok(ColumnInput { ids, offsets, weights })
        })
        .collect()
}

/// A value of the program (checked to exist by `HostProgram::check` and
/// the level order) with the input it derives from.
fn operand<'v>(value: &ValueRef, specs: &'v [FeedSpec], feeds: &'v [Feed], results: &'v [Option<(Vec<Feed>, usize)>]) -> (Operand<'v>, usize) {
    let (value, origin) = match *value {
        ValueRef::Feed(n) => (&feeds[n], n),
        ValueRef::Step { step, result } => {
            let (values, origin) = results[step].as_ref().expect("steps run before their users");
            (&values[result], *origin)
        }
    };
    (Operand { value, origin: &specs[origin] }, origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use recom_abi::host::{ColumnSource, HostStep};

    const fn step(step: usize, result: usize) -> ValueRef {
        ValueRef::Step { step, result }
    }

    fn specs() -> Vec<FeedSpec> {
        vec![
            FeedSpec { name: "a/values".into(), dtype: FeedType::Str, shape: Some(vec![-1]) },
            FeedSpec { name: "a/indices".into(), dtype: FeedType::I64, shape: Some(vec![-1, 2]) },
            FeedSpec { name: "a/shape".into(), dtype: FeedType::I64, shape: Some(vec![2]) },
        ]
    }

    fn feeds(values: &[&str], indices: &[i64], shape: [i64; 2]) -> Vec<Feed> {
        vec![
            Feed::Str { shape: vec![values.len()], data: values.iter().map(|s| s.as_bytes().to_vec()).collect() },
            Feed::I64 { shape: vec![indices.len() / 2, 2], data: indices.to_vec() },
            Feed::I64 { shape: vec![2], data: shape.to_vec() },
        ]
    }

    /// `ids_op(a/values)` with rows from `a/indices` (and `a/shape` when `with_shape`).
    fn sparse_column(ids_op: HostOp, with_shape: bool) -> HostProgram {
        let mut rows = vec![ValueRef::Feed(1)];
        if with_shape {
            rows.push(ValueRef::Feed(2));
        }
        HostProgram {
            steps: vec![HostStep { op: ids_op, operands: vec![ValueRef::Feed(0)] }, HostStep { op: HostOp::CooRows, operands: rows }],
            columns: vec![ColumnSource { ids: step(0, 0), row_offsets: step(1, 0), weights: None }],
        }
    }

    fn vocabulary(oov_buckets: u64) -> HostProgram {
        sparse_column(HostOp::Vocabulary { keys: Keys::Str(vec!["x".into(), "y".into()]), default: -1, oov_buckets }, true)
    }

    #[test]
    fn coo_to_csr_with_empty_rows_and_vocabulary() {
        let got = prepare(&specs(), &vocabulary(0), &feeds(&["y", "q", "x"], &[0, 0, 0, 1, 2, 0], [4, 3])).unwrap();
        assert_eq!(got[0].ids, vec![1, -1, 0]);
        assert_eq!(got[0].offsets, vec![0, 2, 2, 3, 3]);
    }

    #[test]
    fn oov_buckets_hash_absent_keys() {
        let got = prepare(&specs(), &vocabulary(3), &feeds(&["y", "q"], &[0, 0, 0, 1], [1, 2])).unwrap();
        assert_eq!(got[0].ids, vec![1, 2 + (fingerprint64(b"q") % 3) as i64]);
    }

    #[test]
    fn dense_inputs_drop_missing_entries() {
        let specs = vec![FeedSpec { name: "country".into(), dtype: FeedType::Str, shape: Some(vec![-1, 2]) }];
        let feeds = vec![Feed::Str { shape: vec![3, 2], data: ["US", "", "", "", "CN", "XX"].map(|s| s.as_bytes().to_vec()).to_vec() }];
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::SparseFromDense { ignore: Ignore::Str(String::new()) }, operands: vec![ValueRef::Feed(0)] },
                HostStep {
                    op: HostOp::Vocabulary { keys: Keys::Str(vec!["US".into(), "CN".into()]), default: -1, oov_buckets: 0 },
                    operands: vec![step(0, 1)],
                },
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0), step(0, 2)] },
            ],
            columns: vec![ColumnSource { ids: step(1, 0), row_offsets: step(2, 0), weights: None }],
        };
        let got = prepare(&specs, &program, &feeds).unwrap();
        assert_eq!(got[0].ids, vec![0, 1, -1]);
        assert_eq!(got[0].offsets, vec![0, 1, 1, 3]);
    }

    #[test]
    fn bucketized_entries_offset_by_position() {
        let specs = vec![FeedSpec { name: "geo".into(), dtype: FeedType::F32, shape: Some(vec![-1, 2]) }];
        let feeds = vec![Feed::F32 { shape: vec![2, 2], data: vec![-2.0, 0.0, 0.5, 9.0] }];
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::BucketizedSparse { boundaries: vec![0.0, 0.5] }, operands: vec![ValueRef::Feed(0)] },
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0), step(0, 2)] },
            ],
            columns: vec![ColumnSource { ids: step(0, 1), row_offsets: step(1, 0), weights: None }],
        };
        let got = prepare(&specs, &program, &feeds).unwrap();
        // buckets: -2 -> 0, 0 -> 1 (on the boundary), 0.5 -> 2, 9 -> 2; + j * 3
        assert_eq!(got[0].ids, vec![0, 1 + 3, 2, 2 + 3]);
        assert_eq!(got[0].offsets, vec![0, 2, 4]);
    }

    #[test]
    fn cross_enumerates_combinations_last_input_fastest() {
        let specs = vec![
            FeedSpec { name: "a".into(), dtype: FeedType::I64, shape: Some(vec![-1, 2]) },
            FeedSpec { name: "b".into(), dtype: FeedType::Str, shape: Some(vec![-1, 1]) },
        ];
        let feeds = vec![
            Feed::I64 { shape: vec![2, 2], data: vec![7, 8, -1, -1] },
            Feed::Str { shape: vec![2, 1], data: vec![b"x".to_vec(), b"y".to_vec()] },
        ];
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::SparseFromDense { ignore: Ignore::I64(-1) }, operands: vec![ValueRef::Feed(0)] },
                HostStep { op: HostOp::SparseFromDense { ignore: Ignore::KeepAll }, operands: vec![ValueRef::Feed(1)] },
                HostStep { op: HostOp::Fingerprint, operands: vec![step(1, 1)] },
                HostStep {
                    op: HostOp::CrossHashed { num_buckets: 1000, hash_key: 42 },
                    operands: vec![step(0, 0), step(1, 0), step(0, 1), step(2, 0), step(0, 2), step(1, 2)],
                },
                HostStep { op: HostOp::CooRows, operands: vec![step(3, 0), step(3, 2)] },
            ],
            columns: vec![ColumnSource { ids: step(3, 1), row_offsets: step(4, 0), weights: None }],
        };
        let got = prepare(&specs, &program, &feeds).unwrap();
        let x = fingerprint64(b"x");
        let expect = |v: u64| (fingerprint_cat64(fingerprint_cat64(42, v), x) % 1000) as i64;
        // Row 0: (7, x), (8, x); row 1 has no entry of a: no cross.
        assert_eq!(got[0].ids, vec![expect(7), expect(8)]);
        assert_eq!(got[0].offsets, vec![0, 2, 2]);
    }

    #[test]
    fn numeric_columns_one_weighted_zero_per_row() {
        let specs = vec![FeedSpec { name: "price".into(), dtype: FeedType::F32, shape: Some(vec![-1, 2]) }];
        let feeds = vec![Feed::F32 { shape: vec![2, 2], data: vec![30.0, 1.0, -10.0, 2.0] }];
        let program = HostProgram {
            steps: vec![HostStep {
                op: HostOp::NumericInput { column: 0, normalizer: Some((10.0, 20.0)) },
                operands: vec![ValueRef::Feed(0)],
            }],
            columns: vec![ColumnSource { ids: step(0, 0), row_offsets: step(0, 1), weights: Some(step(0, 2)) }],
        };
        let got = prepare(&specs, &program, &feeds).unwrap();
        assert_eq!(got[0].ids, vec![0, 0]);
        assert_eq!(got[0].offsets, vec![0, 1, 2]);
        assert_eq!(got[0].weights, Some(vec![1.0, -1.0]));
    }

    #[test]
    fn coo_without_dense_shape_ends_at_the_last_row() {
        let got = prepare(&specs(), &sparse_column(HostOp::HashBucket { buckets: 10 }, false), &feeds(&["a", "b"], &[0, 0, 2, 0], [9, 9]));
        assert_eq!(got.unwrap()[0].offsets, vec![0, 1, 1, 2]);
    }

    #[test]
    fn hashing_matches_fingerprint64() {
        let got = prepare(&specs(), &sparse_column(HostOp::HashBucket { buckets: 100 }, true), &feeds(&["hello"], &[0, 0], [1, 1]));
        assert_eq!(got.unwrap()[0].ids, vec![(fingerprint64(b"hello") % 100) as i64]);
    }

    fn error(feeds: &[Feed]) -> String {
        prepare(&specs(), &vocabulary(0), feeds).unwrap_err().to_string()
    }

    #[test]
    fn bad_requests_name_the_input() {
        assert_eq!(
            error(&feeds(&["x", "y"], &[1, 0, 0, 0], [2, 1])),
            "input 'a/indices': entry 1 is in row 0 after row 1: indices must be in row-major order"
        );
        assert_eq!(
            error(&feeds(&["x"], &[2, 0], [2, 1])),
            "input 'a/indices': entry 0 = [2, 0] is outside the dense_shape [2, 1]"
        );
        assert_eq!(error(&feeds(&["x", "y"], &[0, 0], [1, 1])), "input 'a/values': 2 values but 'a/indices' has 1 entries");
        assert_eq!(error(&feeds(&["x"], &[0, 0], [-1, 1])), "input 'a/shape': dense_shape [-1, 1] has a negative size");
        let mut wrong_type = feeds(&["x"], &[0, 0], [1, 1]);
        wrong_type[0] = Feed::I64 { shape: vec![1], data: vec![3] };
        assert_eq!(error(&wrong_type), "input 'a/values': expected Str values, got I64");
        let mut wrong_rank = feeds(&["x"], &[0, 0], [1, 1]);
        wrong_rank[1] = Feed::I64 { shape: vec![2], data: vec![0, 0] };
        assert_eq!(error(&wrong_rank), "input 'a/indices': expected shape [-1, 2] (-1 = any), got [2]");
        let mut inconsistent = feeds(&["x"], &[0, 0], [1, 1]);
        inconsistent[2] = Feed::I64 { shape: vec![3], data: vec![1, 1] };
        assert_eq!(error(&inconsistent), "input 'a/shape': shape [3] does not hold its 2 values");
        assert_eq!(
            prepare(&specs(), &vocabulary(0), &feeds(&["x"], &[0, 0], [1, 1])[..2]).unwrap_err().to_string(),
            "the model has 3 inputs (a/values, a/indices, a/shape) but the request has 2"
        );
    }

    /// Sizes from a request are checked before anything is allocated
    /// (reliability: a dense_shape of 1e12 rows aborted the process, one of
    /// i64::MAX panicked, as did a negative or huge row index without one).
    #[test]
    fn hostile_sizes_are_errors_before_allocation() {
        for rows in [1_000_000_000_000i64, i64::MAX] {
            assert_eq!(
                error(&feeds(&["x"], &[0, 0], [rows, 4])),
                format!("input 'a/shape': a batch of {rows} rows is more than the 16777216 rows a request may have")
            );
        }
        let hash = sparse_column(HostOp::HashBucket { buckets: 10 }, false);
        let row_index = |row: i64| prepare(&specs(), &hash, &feeds(&["x"], &[row, 0], [1, 1])).unwrap_err().to_string();
        assert_eq!(row_index(-3), "input 'a/indices': entry 0 has the negative row index -3");
        assert_eq!(
            row_index(i64::MAX),
            format!("input 'a/indices': a sparse input of {} rows is more than the 16777216 rows a request may have", i64::MAX)
        );
        let limits = Limits { max_batch: 2 };
        let got = prepare_with(&specs(), &vocabulary(0), &feeds(&["x"], &[0, 0], [3, 1]), &limits);
        assert!(got.unwrap_err().to_string().contains("more than the 2 rows"));
        // A shape whose product overflows.
        let mut overflow = feeds(&["x"], &[0, 0], [1, 1]);
        overflow[1] = Feed::I64 { shape: vec![usize::MAX, 2], data: vec![0, 0] };
        assert_eq!(error(&overflow), format!("input 'a/indices': shape [{}, 2] does not hold its 2 values", usize::MAX));
    }

    #[test]
    fn malformed_programs_are_errors() {
        let mut program = vocabulary(0);
        program.steps[1].operands = vec![ValueRef::Feed(7)];
        let got = prepare(&specs(), &program, &feeds(&["x"], &[0, 0], [1, 1])).unwrap_err().to_string();
        assert!(got.starts_with("the host program is malformed: host step 1"), "{got}");
    }
}
