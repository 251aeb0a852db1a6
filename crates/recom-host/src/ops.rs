//! The host-side ops and what each does to its operands. Adding a host op
//! is a variant of [`HostOp`] and its arm in [`evaluate`], here, plus the
//! `emb` op's declaration that names it (`OpDef::host`).
use crate::value::{Elements, Sink, Value};
use crate::{bad, FeedSpec, HostError};
use recom_abi::hash::{fingerprint64, fingerprint_cat64, string_to_hash_bucket};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Vocabulary keys (shared with the kernel's vocabulary transform).
pub use recom_abi::semantics::Keys;

/// The "missing" marker of a dense categorical input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ignore {
    I64(i64),
    Str(String),
    /// Nothing is missing: every entry is kept.
    KeepAll,
}

/// One host-side operation (an `emb` op that runs on the host). Operands
/// and results are tensors: ids and values rank 1, SparseTensor indices
/// `[N, 2]`, dense shapes `[2]`, row offsets `[B + 1]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HostOp {
    /// `emb.hash_bucket`: (values) -> ids, FarmHash Fingerprint64 of each
    /// string (of the decimal string of each integer) mod `buckets`.
    HashBucket { buckets: u64 },
    /// `emb.range_filter` where a host op reads its ids (a crossed
    /// column's input; a lookup applies it in the kernel instead): ids
    /// outside `[lo, hi)` become -1 or the filter's default.
    RangeFilter { filter: recom_abi::semantics::Filter },
    /// `emb.vocabulary`: (values) -> ids, the position of each key in
    /// `keys`; an absent key gives `keys.len()` + Fingerprint64 mod
    /// `oov_buckets` when there are OOV buckets, else `default`.
    /// Keys are numbered from `first` (Keras' StringLookup: after its OOV
    /// indices); 0 for feature columns.
    Vocabulary {
        keys: Keys,
        default: i64,
        oov_buckets: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        first: i64,
        /// The first OOV bucket's id (none: `first` + the key count, after
        /// the keys, as feature columns number them; Keras' lookups put
        /// their OOV indices before the keys).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        oov_base: Option<i64>,
        /// The keys' positions, built at the first request (not per request).
        #[serde(skip)]
        index: KeyIndex,
    },
    /// `emb.sparse_from_dense`: (dense [B, N]) -> (indices, values,
    /// dense_shape) of the entries that are not `ignore`, row-major; with
    /// `column`, of column `column` alone (indices [r, 0], dense_shape [B, 1]).
    SparseFromDense {
        ignore: Ignore,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<usize>,
    },
    /// `emb.bucketized_sparse`: (dense [B, K] floats) -> (indices, values,
    /// dense_shape) of every entry, value bucket(x) + j * (len + 1), bucket
    /// = the number of boundaries <= x (compared in f32).
    /// (integer inputs are cast to f32 first)
    BucketizedSparse { boundaries: Vec<f64> },
    /// `emb.float_entries`: (dense [B, K] numbers) -> (indices, entries,
    /// dense_shape) of every entry, entry (r, j) shipped as
    /// `recom_abi::semantics::float_entry(j, x)` for the kernel to
    /// bucketize (integer inputs are cast to f32 first).
    FloatEntries,
    /// `emb.fingerprint`: (strings) -> their Fingerprint64 bits.
    Fingerprint,
    /// `emb.cross_hashed`: (C indices, C values, C dense shapes) -> the
    /// hashed cross (indices, ids, dense_shape), TensorFlow's SparseCross.
    CrossHashed { num_buckets: u64, hash_key: u64 },
    /// `emb.coo_rows`: (indices [, dense_shape]) -> B + 1 row offsets;
    /// without a dense shape, rows up to the largest row index.
    CooRows,
    /// `emb.numeric_input`: (dense [B, K] f32) -> (ids: B zeros, row
    /// offsets 0..=B, weights: column `column`, through `(x - shift) *
    /// (1 / scale)` in f32 (TensorFlow's optimized division) when `normalizer` is (shift, scale)).
    /// (an integer input is cast to f32 first)
    NumericInput { column: usize, normalizer: Option<(f32, f32)> },
    /// `emb.string_split`: (strings [B]) -> (indices, tokens, dense_shape),
    /// TensorFlow's StringSplitV2: split on `sep` (empty tokens kept, ""
    /// gives [""]), or with an empty `sep` on runs of ASCII whitespace
    /// (no empty tokens); at most `maxsplit` splits when it is >= 0.
    StringSplit { sep: String, maxsplit: i64 },
    /// A `StringSplit` whose tokens only a `HashBucket` reads, fused by
    /// [`crate::HostProgram::fuse`] when a plan is loaded: (strings [B]) ->
    /// (indices, the tokens' hash-bucket ids, dense_shape), hashing each
    /// token where it lies in its string (no token is copied).
    SplitHashBucket { sep: String, maxsplit: i64, buckets: u64 },
    /// `emb.tf_output` (host fallback): (every model input) -> the listed
    /// outputs (`node` or `node:k`) of the model's TensorFlow graph, run
    /// by recom's TensorFlow evaluator ([`recom_tf_eval`]) on the
    /// program's graph ([`crate::HostProgram::graph`]).
    TfGraph { outputs: Vec<String> },
}

/// A vocabulary's key → position map, built once and shared by clones: a
/// cache, not part of the op (every index compares equal).
#[derive(Clone, Default)]
pub struct KeyIndex(std::sync::Arc<std::sync::OnceLock<KeyPositions>>);

/// Keys are the model's; request values are only looked up (the seed is
/// random per process, so a request cannot aim at collisions either).
type KeyMap<K> = HashMap<K, i64, foldhash::fast::RandomState>;

enum KeyPositions {
    Str(KeyMap<Vec<u8>>),
    I64(KeyMap<i64>),
}

impl KeyIndex {
    fn get(&self, keys: &Keys) -> &KeyPositions {
        self.0.get_or_init(|| match keys {
            Keys::Str(k) => KeyPositions::Str(k.iter().enumerate().map(|(i, k)| (k.as_bytes().to_vec(), i as i64)).collect()),
            Keys::I64(k) => KeyPositions::I64(k.iter().enumerate().map(|(i, &k)| (k, i as i64)).collect()),
        })
    }
}

impl PartialEq for KeyIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "KeyIndex(built)" } else { "KeyIndex" })
    }
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl HostOp {
    /// The op's name, for reports (`recom inspect`, step timings).
    pub fn kind(&self) -> &'static str {
        match self {
            HostOp::HashBucket { .. } => "HashBucket",
            HostOp::RangeFilter { .. } => "RangeFilter",
            HostOp::Vocabulary { .. } => "Vocabulary",
            HostOp::SparseFromDense { .. } => "SparseFromDense",
            HostOp::BucketizedSparse { .. } => "BucketizedSparse",
            HostOp::FloatEntries => "FloatEntries",
            HostOp::Fingerprint => "Fingerprint",
            HostOp::CrossHashed { .. } => "CrossHashed",
            HostOp::CooRows => "CooRows",
            HostOp::NumericInput { .. } => "NumericInput",
            HostOp::StringSplit { .. } => "StringSplit",
            HostOp::SplitHashBucket { .. } => "SplitHashBucket",
            HostOp::TfGraph { .. } => "TfGraph",
        }
    }

    /// The op's own parameters make sense (a plan is untrusted input).
    pub fn check(&self) -> Result<(), String> {
        match self {
            HostOp::HashBucket { buckets: 0 } | HostOp::CrossHashed { num_buckets: 0, .. } | HostOp::SplitHashBucket { buckets: 0, .. } => {
                Err("0 hash buckets".into())
            }
            // Checked with the program on every request: a fold over all
            // pairs vectorizes, where `any` (an early exit) would not.
            HostOp::BucketizedSparse { boundaries } if !boundaries.windows(2).fold(true, |increasing, w| increasing & (w[0] < w[1])) => {
                Err("bucket boundaries are not strictly increasing".into())
            }
            _ => Ok(()),
        }
    }

    /// How many results the op has.
    pub fn result_count(&self) -> usize {
        match self {
            HostOp::HashBucket { .. } | HostOp::RangeFilter { .. } | HostOp::Vocabulary { .. } | HostOp::Fingerprint | HostOp::CooRows => 1,
            HostOp::SparseFromDense { .. } | HostOp::BucketizedSparse { .. } | HostOp::FloatEntries | HostOp::CrossHashed { .. } => 3,
            HostOp::NumericInput { .. } | HostOp::StringSplit { .. } | HostOp::SplitHashBucket { .. } => 3,
            HostOp::TfGraph { outputs } => outputs.len(),
        }
    }
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

/// One operand: its value and the input it derives from (named in errors).
#[derive(Clone, Copy)]
pub(crate) struct Operand<'v> {
    pub(crate) data: Elements<'v>,
    pub(crate) origin: &'v FeedSpec,
    /// The value's shape as the program reads it (a [B] input read as [B, 1]
    /// keeps its data and gets this shape).
    pub(crate) shape: &'v [usize],
}

impl<'v> Operand<'v> {
    pub(crate) fn bad(&self, problem: impl Into<String>) -> HostError {
        bad(self.origin, problem)
    }

    pub(crate) fn ints(&self, what: &str) -> Result<&'v [i64], HostError> {
        match self.data {
            Elements::I64(data) => Ok(data),
            other => Err(self.bad(format!("{what} must be integers, got {:?}", other.dtype()))),
        }
    }

    /// A dense `[rows, width]` input.
    fn matrix(&self, what: &str) -> Result<(usize, usize), HostError> {
        match *self.shape {
            [rows, width] => Ok((rows, width)),
            ref shape => Err(self.bad(format!("{what} is [batch, n], got shape {shape:?}"))),
        }
    }

    /// A SparseTensor's `[N, 2]` indices.
    fn indices(&self) -> Result<&'v [i64], HostError> {
        let data = self.ints("indices")?;
        match *self.shape {
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
    // Not `vec![0; rows + 1]`: the allocator's zeroing path costs more
    // than writing the zeros for the few rows of most requests.
    let mut offsets = Vec::with_capacity(rows + 1);
    offsets.resize(rows + 1, 0i64);
    let mut previous = 0;
    for entry in entries.chunks_exact(2) {
        let (row, position) = (entry[0], entry[1]);
        // Outside the dense shape (as unsigned, a negative value is too) or
        // before the entry it follows. The error is made apart: formatting
        // it here kept the loop's values in memory, not registers.
        if row as u64 >= rows as u64 || position as u64 >= width as u64 || row < previous {
            return Err(coo_error(indices, entries, rows, width));
        }
        previous = row;
        offsets[row as usize + 1] += 1;
    }
    // The running sum, kept in a register (not read back from the offset
    // just written).
    let mut end = 0;
    for offset in &mut offsets {
        end += *offset;
        *offset = end;
    }
    Ok(offsets)
}

/// The error that names the first entry [`coo_rows`] refuses.
#[cold]
fn coo_error(indices: &Operand, entries: &[i64], rows: usize, width: i64) -> HostError {
    let mut previous = 0;
    for (k, entry) in entries.chunks_exact(2).enumerate() {
        let (row, position) = (entry[0], entry[1]);
        if row < 0 || row as u64 >= rows as u64 || position < 0 || position >= width {
            return indices.bad(format!("entry {k} = [{row}, {position}] is outside the dense_shape [{rows}, {width}]"));
        }
        if row < previous {
            return indices.bad(format!("entry {k} is in row {row} after row {previous}: indices must be in row-major order"));
        }
        previous = row;
    }
    unreachable!("coo_rows refuses only entries this refuses")
}

/// The entries of a dense `[rows, width]` input that `keep` keeps
/// (`entries`: its entries, row-major), in one pass: their `[N, 2]`
/// indices, their values and the dense shape.
fn sparse_of<'e, T: Clone + 'e>(rows: usize, width: usize, entries: impl Iterator<Item = &'e T>, keep: impl Fn(&T) -> bool) -> (Value, Vec<T>, Value) {
    let capacity = rows.saturating_mul(width).min(1 << 24);
    let (mut indices, mut values) = (Vec::with_capacity(2 * capacity), Vec::with_capacity(capacity));
    let width = width.max(1);
    let (mut row, mut position) = (0i64, 0usize);
    for entry in entries {
        if keep(entry) {
            indices.extend([row, position as i64]);
            values.push(entry.clone());
        }
        position += 1;
        if position == width {
            position = 0;
            row += 1;
        }
    }
    let n = values.len();
    (Value::new(indices, &[n, 2]), values, Value::vector(vec![rows as i64, width as i64]))
}

/// `f(j, x)` of every entry x of a dense `[B, k]` numeric input, j its
/// position in its row (integers cast to f32 first, round to nearest, as
/// TensorFlow's Cast).
fn each_entry(input: &Operand, k: usize, f: impl Fn(usize, f32) -> i64) -> Result<Vec<i64>, HostError> {
    let k = k.max(1);
    Ok(match input.data {
        Elements::F32(data) => data.iter().enumerate().map(|(i, &x)| f(i % k, x)).collect(),
        Elements::I64(data) => data.iter().enumerate().map(|(i, &x)| f(i % k, x as f32)).collect(),
        Elements::Str(_) => return Err(input.bad("a bucketized column needs a [batch, k] numeric input, got strings")),
    })
}

/// The indices `[rows * k, 2]` of every entry of a dense `[rows, k]` input
/// (row r, position j) and its dense shape.
fn every_entry(rows: usize, k: usize) -> (Value, Value) {
    let mut indices = Vec::with_capacity(2 * rows * k);
    for r in 0..rows as i64 {
        for j in 0..k as i64 {
            indices.extend_from_slice(&[r, j]);
        }
    }
    let n = indices.len() / 2;
    (Value::new(indices, &[n, 2]), Value::vector(vec![rows as i64, k as i64]))
}

/// How many of the sorted `boundaries` are <= `v` (std::upper_bound; NaN
/// compares false, so it is past them all). Evenly spaced boundaries (a
/// range, a linspace: most bucketized columns) give the answer by
/// arithmetic, confirmed by the boundaries on either side; anything else
/// (uneven spacing, NaN, ±inf, rounding at an edge) takes a binary search
/// without data-dependent branches.
fn upper_bound(boundaries: &[f64], v: f64) -> usize {
    let n = boundaries.len();
    if n >= 2 {
        let (first, step) = (boundaries[0], boundaries[1] - boundaries[0]);
        let guess = ((v - first) / step).floor() + 1.0;
        // False for NaN and ±inf guesses.
        if (0.0..=n as f64).contains(&guess) {
            let g = guess as usize;
            // Sorted strictly increasing (checked with the op): the two
            // neighbours decide, `!(v < b)` being "b <= v".
            if (g == 0 || !(v < boundaries[g - 1])) && (g == n || v < boundaries[g]) {
                return g;
            }
        }
    }
    search_upper_bound(boundaries, v)
}

/// [`upper_bound`] by a binary search without data-dependent branches.
fn search_upper_bound(boundaries: &[f64], v: f64) -> usize {
    let (mut base, mut len) = (0usize, boundaries.len());
    while len > 1 {
        let half = len / 2;
        // `!(v < b)`: the boundary is <= v (or v is NaN).
        base = if !(v < boundaries[base + half - 1]) { base + half } else { base };
        len -= half;
    }
    base + (len == 1 && !(v < boundaries[base])) as usize
}

/// Every string of a `[B]` input split (Python's `str.split`, TensorFlow's
/// StringSplitV2), each token mapped by `token` where it lies: the tokens'
/// `[N, 2]` indices (row, position), the mapped tokens, and the dense shape
/// `[B, longest row]`.
fn split_rows<T>(input: &Operand, sep: &str, maxsplit: i64, mut token: impl FnMut(&[u8]) -> T) -> Result<(Value, Vec<T>, Value), HostError> {
    let Elements::Str(data) = input.data else {
        return Err(input.bad("a string split takes strings"));
    };
    if input.shape.len() != 1 {
        return Err(input.bad(format!("a string split takes a [batch] input, got shape {:?}", input.shape)));
    }
    let (mut indices, mut out, mut width) = (Vec::with_capacity(2 * data.len()), Vec::with_capacity(data.len()), 0usize);
    for (row, s) in data.iter().enumerate() {
        let mut k = 0i64;
        split_each(s, sep.as_bytes(), maxsplit, |part| {
            indices.extend([row as i64, k]);
            out.push(token(part));
            k += 1;
        });
        width = width.max(k as usize);
    }
    let n = out.len();
    Ok((Value::new(indices, &[n, 2]), out, Value::vector(vec![data.len() as i64, width as i64])))
}

/// One step's results, put where they are kept.
/// Rows from which a cross makes its combinations on all cores. (Crosses
/// read other steps' results, so they run in the later levels of a
/// schedule, beside few other steps; splitting the element-wise steps of
/// the first level as well was measured slower: that level already keeps
/// every core busy.)
const PARALLEL_CROSS_ROWS: usize = 256;

pub(crate) fn evaluate(op: &HostOp, operands: &[Operand], limits: &Limits, graph: Option<&recom_tf_eval::Graph>, out: &mut Sink) -> Result<(), HostError> {
    let arity = |n: usize| -> Result<(), HostError> {
        if operands.len() == n {
            Ok(())
        } else {
            Err(HostError::Program(format!("{op:?} takes {n} operands, got {}", operands.len())))
        }
    };
    match op {
        HostOp::HashBucket { buckets } => {
            arity(1)?;
            if *buckets == 0 {
                return Err(HostError::Program("a hash bucket count is 0".into()));
            }
            out.push(Value::vector(match operands[0].data {
                Elements::Str(data) => data.iter().map(|s| string_to_hash_bucket(s, *buckets)).collect::<Vec<_>>(),
                Elements::I64(data) => {
                    let mut text = itoa::Buffer::new();
                    data.iter().map(|&x| string_to_hash_bucket(text.format(x).as_bytes(), *buckets)).collect()
                }
                Elements::F32(_) => return Err(operands[0].bad("expected integer or string ids, got floats")),
            }));
        }
        HostOp::RangeFilter { filter } => {
            arity(1)?;
            let Elements::I64(data) = operands[0].data else {
                return Err(operands[0].bad("a range filter takes integer ids"));
            };
            out.push(Value::vector(data.iter().map(|&id| filter.apply(id)).collect::<Vec<_>>()));
        }
        HostOp::Vocabulary { keys, default, oov_buckets, first, oov_base, index } => {
            arity(1)?;
            let id = |position: Option<i64>, bytes: &[u8]| {
                recom_abi::semantics::vocabulary_id(position.map(|p| p as usize), keys.len(), *first, *default, *oov_buckets, *oov_base, |k| string_to_hash_bucket(bytes, k))
            };
            out.push(Value::vector(match (operands[0].data, index.get(keys)) {
                (Elements::Str(data), KeyPositions::Str(index)) => data.iter().map(|s| id(index.get(s.as_slice()).copied(), s)).collect::<Vec<_>>(),
                (Elements::I64(data), KeyPositions::I64(index)) => {
                    let mut text = itoa::Buffer::new();
                    data.iter()
                        .map(|v| match index.get(v) {
                            Some(&p) => id(Some(p), &[]),
                            None => id(None, text.format(*v).as_bytes()),
                        })
                        .collect()
                }
                _ => return Err(operands[0].bad("the values do not have the vocabulary's key type")),
            }));
        }
        HostOp::SparseFromDense { ignore, column } => {
            arity(1)?;
            let (rows, width) = operands[0].matrix("a dense categorical input")?;
            // The entries read: all, or column `column` of each row.
            let (skip, step, out_width) = match *column {
                Some(j) if j < width => (j, width, 1),
                Some(j) => return Err(operands[0].bad(format!("expected a [batch, n > {j}] input for its column {j}, got [{rows}, {width}]"))),
                None => (0, 1, width),
            };
            let [indices, values, shape] = match operands[0].data {
                Elements::I64(data) => {
                    let (indices, values, shape) = sparse_of(rows, out_width, data.iter().skip(skip).step_by(step), |&v| is_kept(ignore, Some(v), None));
                    [indices, Value::vector(values), shape]
                }
                Elements::Str(data) => {
                    let (indices, values, shape) = sparse_of(rows, out_width, data.iter().skip(skip).step_by(step), |s| is_kept(ignore, None, Some(s)));
                    [indices, Value::vector(values), shape]
                }
                Elements::F32(_) => return Err(operands[0].bad("expected integer or string values, got floats")),
            };
            out.extend([indices, values, shape]);
        }
        HostOp::BucketizedSparse { boundaries } => {
            arity(1)?;
            // An integer input is cast to f32 first (a numeric column's
            // transform: round to nearest, as TensorFlow's Cast).
            let [rows, k] = operands[0].shape[..] else {
                return Err(operands[0].bad("a bucketized column needs a [batch, k] numeric input"));
            };
            let stride = boundaries.len() as i64 + 1;
            // TensorFlow's Bucketize: the first boundary the value is below
            // (std::upper_bound), so NaN, below none, lands in the last bucket;
            // entry j of a row is shifted into the j-th block of buckets.
            let values = each_entry(&operands[0], k, |j, x| upper_bound(boundaries, x as f64) as i64 + j as i64 * stride)?;
            let (indices, shape) = every_entry(rows, k);
            out.extend([indices, Value::vector(values), shape]);
        }
        HostOp::FloatEntries => {
            arity(1)?;
            let [rows, k] = operands[0].shape[..] else {
                return Err(operands[0].bad("a bucketized column needs a [batch, k] numeric input"));
            };
            let values = each_entry(&operands[0], k, recom_abi::semantics::float_entry)?;
            let (indices, shape) = every_entry(rows, k);
            out.extend([indices, Value::vector(values), shape]);
        }
        HostOp::Fingerprint => {
            arity(1)?;
            match operands[0].data {
                Elements::Str(data) => out.push(Value::vector(data.iter().map(|s| fingerprint64(s) as i64).collect::<Vec<_>>())),
                _ => return Err(operands[0].bad("a fingerprint takes strings")),
            }
        }
        HostOp::CrossHashed { num_buckets, hash_key } => out.extend(cross(operands, *num_buckets, *hash_key, limits)?),
        HostOp::CooRows => out.push(Value::vector(match operands {
            [indices] => coo_rows(indices, None, limits)?,
            [indices, shape] => coo_rows(indices, Some(shape), limits)?,
            _ => return Err(HostError::Program(format!("CooRows takes 1 or 2 operands, got {}", operands.len()))),
        })),
        HostOp::TfGraph { outputs } => out.extend(tf_graph(graph, outputs, operands, limits)?),
        HostOp::SplitHashBucket { sep, maxsplit, buckets } => {
            arity(1)?;
            if *buckets == 0 {
                return Err(HostError::Program("a hash bucket count is 0".into()));
            }
            let (indices, ids, shape) = split_rows(&operands[0], sep, *maxsplit, |token| string_to_hash_bucket(token, *buckets))?;
            out.extend([indices, Value::vector(ids), shape]);
        }
        HostOp::StringSplit { sep, maxsplit } => {
            arity(1)?;
            let (indices, tokens, shape) = split_rows(&operands[0], sep, *maxsplit, <[u8]>::to_vec)?;
            out.extend([indices, Value::vector(tokens), shape]);
        }
        HostOp::NumericInput { column, normalizer } => {
            arity(1)?;
            let dense = &operands[0];
            let (rows, k) = dense.matrix("a numeric input")?;
            if *column >= k {
                return Err(dense.bad(format!("expected a [batch, k > {column}] numeric input, got [{rows}, {k}]")));
            }
            // An integer input is cast to f32 first (numeric_column's
            // transform: round to nearest, as TensorFlow's Cast).
            let values: Vec<f32> = match dense.data {
                Elements::F32(data) => data.iter().skip(*column).step_by(k).copied().collect(),
                Elements::I64(data) => data.iter().skip(*column).step_by(k).map(|&x| x as f32).collect(),
                Elements::Str(_) => return Err(dense.bad("a numeric input is numbers, got strings")),
            };
            let weights: Vec<f32> = match normalizer {
                // Sub, then the division by a constant as TensorFlow's graph
                // optimizer runs it: times the reciprocal rounded to f32.
                Some((shift, scale)) => {
                    let reciprocal = 1.0 / scale;
                    values.iter().map(|&x| (x - shift) * reciprocal).collect()
                }
                None => values,
            };
            out.extend([Value::vector(vec![0i64; rows]), Value::vector((0..=rows as i64).collect::<Vec<_>>()), Value::vector(weights)]);
        }
    }
    Ok(())
}

/// The model's inputs as the graph's placeholders want them, the graph run,
/// its outputs back as host values.
fn tf_graph(graph: Option<&recom_tf_eval::Graph>, outputs: &[String], operands: &[Operand], limits: &Limits) -> Result<Vec<Value>, HostError> {
    use recom_tf::DataType;
    use recom_tf_eval::{Data, Tensor};
    let graph = graph.ok_or_else(|| HostError::Program("a TensorFlow fallback step without the model's graph (the bundle's host_graph.pb)".into()))?;
    let mut feeds = std::collections::HashMap::new();
    for o in operands {
        let name = &o.origin.name;
        let Some(dtype) = graph.placeholder(name) else { continue };
        let mut shape = o.shape.to_vec();
        // A [B] placeholder the program reads as [B, 1] gets its own shape back.
        if graph.placeholder_rank(name) == Some(1) && shape.len() == 2 && shape[1] == 1 {
            shape.pop();
        }
        if shape.first().is_some_and(|&b| b > limits.max_batch) {
            return Err(o.bad(format!("{} rows, more than the limit of {}", shape[0], limits.max_batch)));
        }
        let data = match (o.data, dtype) {
            (Elements::I64(data), DataType::DtInt64) => Data::I64(data.to_vec()),
            (Elements::I64(data), DataType::DtInt32) => Data::I32(
                data.iter().map(|&x| i32::try_from(x).map_err(|_| o.bad(format!("{x} does not fit the model's int32 input")))).collect::<Result<_, _>>()?,
            ),
            (Elements::F32(data), DataType::DtFloat) => Data::F32(data.to_vec()),
            (Elements::Str(data), DataType::DtString) => Data::Str(data.to_vec()),
            (v, t) => return Err(o.bad(format!("the graph's placeholder is {t:?}, got {:?} values", v.dtype()))),
        };
        feeds.insert(name.clone(), Tensor::new(shape, data));
    }
    let names: Vec<&str> = outputs.iter().map(String::as_str).collect();
    // The evaluator checks what it can; a request it did not foresee must
    // still not take the process down: a panic becomes this request's error.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| graph.run(&feeds, &names)));
    let values = match run {
        Ok(result) => result.map_err(|e| HostError::Program(format!("TensorFlow fallback: {e}")))?,
        Err(payload) => {
            let what = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_default();
            return Err(HostError::Program(format!("TensorFlow fallback: internal error on this request: {what}")));
        }
    };
    values
        .into_iter()
        .zip(outputs)
        .map(|(t, name)| {
            Ok(match t.data {
                Data::F32(data) => Value::new(data, &t.shape),
                Data::I64(data) => Value::new(data, &t.shape),
                Data::I32(data) => Value::new(data.into_iter().map(i64::from).collect::<Vec<_>>(), &t.shape),
                Data::Bool(data) => Value::new(data.into_iter().map(i64::from).collect::<Vec<_>>(), &t.shape),
                Data::Str(data) => Value::new(data, &t.shape),
                d => return Err(HostError::Program(format!("TensorFlow fallback: output '{name}' is {}", d.dtype()))),
            })
        })
        .collect()
}

/// Python's `str.split(sep, maxsplit)` on bytes (TensorFlow's
/// StringSplitV2): the tokens of `s`, each handed to `token` in order.
fn split_each<'s>(s: &'s [u8], sep: &[u8], maxsplit: i64, mut token: impl FnMut(&'s [u8])) {
    let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    let mut count = 0;
    if sep.is_empty() {
        let mut rest = s;
        loop {
            let start = rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(rest.len());
            rest = &rest[start..];
            if rest.is_empty() {
                break;
            }
            if count == limit {
                token(rest);
                break;
            }
            let end = rest.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(rest.len());
            token(&rest[..end]);
            count += 1;
            rest = &rest[end..];
        }
    } else {
        let mut start = 0;
        for at in memchr::memmem::find_iter(s, sep) {
            if count == limit {
                break;
            }
            // Separators found inside an earlier one are not separators.
            if at < start {
                continue;
            }
            token(&s[start..at]);
            count += 1;
            start = at + sep.len();
        }
        token(&s[start..]);
    }
}

#[cfg(test)]
fn split<'s>(s: &'s [u8], sep: &[u8], maxsplit: i64) -> Vec<&'s [u8]> {
    let mut tokens = Vec::new();
    split_each(s, sep, maxsplit, |t| tokens.push(t));
    tokens
}

/// The hashed cross of C SparseTensors (C indices, C values, C dense
/// shapes): every combination of one entry per input in each row (last
/// input fastest), hashed like TensorFlow's SparseCross.
fn cross(operands: &[Operand], num_buckets: u64, hash_key: u64, limits: &Limits) -> Result<[Value; 3], HostError> {
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
        return Err(operands[n + k].bad(format!(
            "batch of {} rows, but '{}', crossed with it, has {batch}",
            columns[k].1.len() - 1,
            operands[n].origin.name
        )));
    }
    // A large cross in row ranges on all cores, each range's combinations
    // made in row order and the ranges joined in order: the same values as
    // one pass (an entry's position is counted within its row).
    // (A combination costs a hash per input, ~50-100 ns a row on one core:
    // a few hundred rows already pay for the pool.)
    if batch >= PARALLEL_CROSS_ROWS {
        use rayon::prelude::*;
        let pieces = rayon::current_num_threads().clamp(1, batch);
        let ranges: Vec<std::ops::Range<usize>> = (0..pieces).map(|p| batch * p / pieces..batch * (p + 1) / pieces).collect();
        let parts: Vec<(Vec<i64>, Vec<i64>, i64)> = ranges.into_par_iter().map(|rows| cross_rows(&columns, rows, num_buckets, hash_key)).collect();
        let entries = parts.iter().map(|p| p.0.len()).sum();
        let (mut ids, mut indices, mut width) = (Vec::with_capacity(entries), Vec::with_capacity(2 * entries), 0);
        for (i, x, w) in parts {
            ids.extend(i);
            indices.extend(x);
            width = width.max(w);
        }
        return Ok([Value::new(indices, &[entries, 2]), Value::vector(ids), Value::vector(vec![batch as i64, width])]);
    }
    let (ids, indices, width) = cross_rows(&columns, 0..batch, num_buckets, hash_key);
    let entries = ids.len();
    Ok([Value::new(indices, &[entries, 2]), Value::vector(ids), Value::vector(vec![batch as i64, width])])
}

/// The crossed ids of rows `rows` (each input's hashed values and row
/// offsets in `columns`), their `[row, position]` indices and the widest
/// row's count.
fn cross_rows(columns: &[(&[i64], Vec<i64>)], rows: std::ops::Range<usize>, num_buckets: u64, hash_key: u64) -> (Vec<i64>, Vec<i64>, i64) {
    let n = columns.len();
    // Room for a combination per row (a row of single-valued inputs has
    // one), grown as needed; the per-row buffers are made once.
    let mut ids = Vec::with_capacity(rows.len());
    let mut indices = Vec::with_capacity(2 * rows.len());
    let mut width = 0i64;
    let (mut counts, mut position) = (vec![0usize; n], vec![0usize; n]);
    for r in rows {
        for (count, (_, o)) in counts.iter_mut().zip(columns) {
            *count = (o[r + 1] - o[r]) as usize;
        }
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
    (ids, indices, width)
}


#[cfg(test)]
mod tests {
    use super::split;
    use crate::{prepare, ColumnSource, Feed, FeedSpec, FeedType, HostOp, HostProgram, HostStep, ValueRef};
    use recom_abi::hash::string_to_hash_bucket;

    fn tokens(s: &str, sep: &str, maxsplit: i64) -> Vec<String> {
        split(s.as_bytes(), sep.as_bytes(), maxsplit).into_iter().map(|t| String::from_utf8(t.to_vec()).unwrap()).collect()
    }

    /// The search and the arithmetic on evenly spaced boundaries are
    /// `partition_point`, NaN, ±inf, -0.0 and values on a boundary too.
    #[test]
    fn upper_bound_is_partition_point() {
        use proptest::prelude::*;
        let value = prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(0.0),
            Just(f64::MIN_POSITIVE),
            Just(f64::MAX),
            -50.0..50.0f64,
            (-10i32..10).prop_map(f64::from),
            (-40i32..40).prop_map(|k| f64::from(k) * 0.1),
            (-40i32..40).prop_map(|k| f64::from(k) * 1.5),
        ];
        let uneven = prop::collection::btree_set(-20i32..20, 0..40).prop_map(|s| s.into_iter().map(|b| b as f64 * 1.5).collect::<Vec<f64>>());
        // A range, or a linspace whose steps round (0.1 is not exact).
        let even = (-20i32..20, prop_oneof![Just(1.5), Just(0.1), Just(5.0), Just(1e-3)], 0usize..60)
            .prop_map(|(first, step, n)| (0..n).map(|i| f64::from(first) + i as f64 * step).collect::<Vec<f64>>());
        proptest!(ProptestConfig::with_cases(8000), |(b in prop_oneof![uneven, even], v in value)| {
            let want = b.partition_point(|&x| !(v < x));
            prop_assert_eq!(super::upper_bound(&b, v), want);
            prop_assert_eq!(super::search_upper_bound(&b, v), want);
        });
    }

    /// CooRows (one compare per bound, its error made apart) accepts what
    /// the plain checks accept, gives the same offsets as a count per row,
    /// and names the first entry they refuse: negative, past the dense
    /// shape, or out of row order.
    #[test]
    fn coo_rows_is_the_plain_checks_and_count() {
        use super::{coo_rows, Limits, Operand};
        use crate::value::Elements;
        use proptest::prelude::*;
        // The checks and count as first written, entry by entry.
        fn plain(entries: &[i64], rows: usize, width: i64) -> Result<Vec<i64>, String> {
            let mut offsets = vec![0i64; rows + 1];
            let mut previous = 0;
            for (k, entry) in entries.chunks_exact(2).enumerate() {
                let (row, position) = (entry[0], entry[1]);
                if row < 0 || row as u64 >= rows as u64 || position < 0 || position >= width {
                    return Err(format!("input 'i': entry {k} = [{row}, {position}] is outside the dense_shape [{rows}, {width}]"));
                }
                if row < previous {
                    return Err(format!("input 'i': entry {k} is in row {row} after row {previous}: indices must be in row-major order"));
                }
                previous = row;
                offsets[row as usize + 1] += 1;
            }
            for r in 0..rows {
                offsets[r + 1] += offsets[r];
            }
            Ok(offsets)
        }
        let spec = FeedSpec { name: "i".into(), dtype: FeedType::I64, shape: None };
        let entry = (prop_oneof![Just(-1i64), 0..6i64, Just(i64::MAX)], prop_oneof![Just(-1i64), 0..4i64, Just(i64::MAX)]);
        // Mostly sorted rows (an unsorted draw is an error case too).
        let entries = prop::collection::vec(entry, 0..12).prop_map(|mut e| {
            if e.len() % 3 != 0 {
                e.sort_by_key(|&(r, _)| r);
            }
            e.into_iter().flat_map(|(r, p)| [r, p]).collect::<Vec<i64>>()
        });
        proptest!(ProptestConfig::with_cases(4000), |(entries in entries, rows in 0usize..7, width in 0i64..4)| {
            let shape = [entries.len() / 2, 2];
            let indices = Operand { data: Elements::I64(&entries), origin: &spec, shape: &shape };
            let dense = [rows as i64, width];
            let dense_shape = [2];
            let dims = Operand { data: Elements::I64(&dense), origin: &spec, shape: &dense_shape };
            let got = coo_rows(&indices, Some(&dims), &Limits::default()).map_err(|e| e.to_string());
            prop_assert_eq!(got, plain(&entries, rows, width));
        });
    }

    /// The SIMD search splits where a plain scan does (overlapping
    /// separators, maxsplit, non-UTF-8 bytes too).
    #[test]
    fn split_finds_what_a_plain_scan_finds() {
        use proptest::prelude::*;
        // Python's split as a plain left-to-right scan (the old code).
        fn plain<'s>(s: &'s [u8], sep: &[u8], maxsplit: i64) -> Vec<&'s [u8]> {
            let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
            let (mut tokens, mut rest) = (Vec::new(), s);
            while tokens.len() < limit {
                match rest.windows(sep.len()).position(|w| w == sep) {
                    Some(at) => {
                        tokens.push(&rest[..at]);
                        rest = &rest[at + sep.len()..];
                    }
                    None => break,
                }
            }
            tokens.push(rest);
            tokens
        }
        let bytes = prop::collection::vec(prop_oneof![Just(b'a'), Just(b';'), Just(b'<'), Just(b'>'), Just(0xffu8)], 0..40);
        let sep = prop::collection::vec(prop_oneof![Just(b'a'), Just(b';'), Just(b'<'), Just(b'>')], 1..4);
        proptest!(ProptestConfig::with_cases(2000), |(s in bytes, sep in sep, maxsplit in -1i64..5)| {
            prop_assert_eq!(split(&s, &sep, maxsplit), plain(&s, &sep, maxsplit));
        });
    }

    /// Python's str.split, which StringSplitV2 follows.
    #[test]
    fn split_like_python() {
        assert_eq!(tokens("a;;b", ";", -1), ["a", "", "b"]);
        assert_eq!(tokens("", ";", -1), [""]);
        assert_eq!(tokens(";", ";", -1), ["", ""]);
        assert_eq!(tokens("1<>2<><>3", "<>", -1), ["1", "2", "", "3"]);
        assert_eq!(tokens("a;b;c", ";", 1), ["a", "b;c"]);
        assert_eq!(tokens("a;b;c", ";", 0), ["a;b;c"]);
        assert_eq!(tokens("  hello \t world  ", "", -1), ["hello", "world"]);
        assert_eq!(tokens("", "", -1), Vec::<String>::new());
        assert_eq!(tokens(" \n ", "", -1), Vec::<String>::new());
        assert_eq!(tokens("  a b  c ", "", 1), ["a", "b  c "]);
        assert_eq!(tokens("ü-€;漢", ";", -1), ["ü-€", "漢"]);
    }

    /// A multi-hot string input, split, hashed and pooled per row (dlrm.py's
    /// `categ_hashbucket_sparse` columns).
    #[test]
    fn split_strings_become_a_hashed_sparse_column() {
        let specs = [FeedSpec { name: "tags".into(), dtype: FeedType::Str, shape: Some(vec![-1]) }];
        let feeds = [Feed::Str { shape: vec![3], data: vec![b"a;b".to_vec(), b"".to_vec(), b"c;;a".to_vec()] }];
        let step = |step, result| ValueRef::Step { step, result };
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::StringSplit { sep: ";".into(), maxsplit: -1 }, operands: vec![ValueRef::Feed(0)] },
                HostStep { op: HostOp::HashBucket { buckets: 100 }, operands: vec![step(0, 1)] },
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0), step(0, 2)] },
            ],
            columns: vec![ColumnSource { ids: step(1, 0), row_offsets: step(2, 0), weights: None }], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
        let got = prepare(&specs, &program, &feeds).unwrap();
        let h = |s: &str| string_to_hash_bucket(s.as_bytes(), 100);
        assert_eq!(got[0].ids, vec![h("a"), h("b"), h(""), h("c"), h(""), h("a")]);
        assert_eq!(got[0].offsets, vec![0, 2, 3, 6]);
        // Fused (what every loaded plan runs): one step fewer, the same CSR.
        let mut fused = program.clone();
        fused.fuse();
        assert_eq!(fused.steps.len(), 2);
        assert!(matches!(fused.steps[0].op, HostOp::SplitHashBucket { buckets: 100, .. }));
        assert_eq!(fused.columns[0].ids, step(0, 1));
        assert_eq!(fused.steps[1].operands, vec![step(0, 0), step(0, 2)]);
        assert_eq!(fused.check(1), Ok(()));
        assert_eq!(prepare(&specs, &fused, &feeds).unwrap(), got);
        // Tokens read by anything else stay a StringSplit.
        let mut shared = program.clone();
        shared.steps.push(HostStep { op: HostOp::Fingerprint, operands: vec![step(0, 1)] });
        shared.fuse();
        assert_eq!(shared.steps.len(), 4);
        assert!(matches!(shared.steps[0].op, HostOp::StringSplit { .. }));
        let wrong = [Feed::Str { shape: vec![1, 1], data: vec![b"a".to_vec()] }];
        let specs = [FeedSpec { shape: None, ..specs[0].clone() }];
        assert_eq!(
            prepare(&specs, &program, &wrong).unwrap_err().to_string(),
            "input 'tags': a string split takes a [batch] input, got shape [1, 1]"
        );
    }

    #[test]
    fn range_filters_and_integer_bucketized_inputs_on_the_host() {
        use recom_abi::semantics::Filter;
        let specs = [
            FeedSpec { name: "id".into(), dtype: FeedType::I64, shape: Some(vec![-1, 1]) },
            FeedSpec { name: "n".into(), dtype: FeedType::I64, shape: Some(vec![-1, 2]) },
        ];
        let feeds = [
            Feed::I64 { shape: vec![3, 1], data: vec![-5, 2, 9] },
            Feed::I64 { shape: vec![3, 2], data: vec![0, 243, 244, -1, i64::MAX, 16_777_217] },
        ];
        let step = |step, result| ValueRef::Step { step, result };
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::SparseFromDense { ignore: super::Ignore::KeepAll, column: None }, operands: vec![ValueRef::Feed(0)] },
                HostStep { op: HostOp::RangeFilter { filter: Filter { lo: 0, hi: 5, default: Some(1) } }, operands: vec![step(0, 1)] },
                HostStep { op: HostOp::RangeFilter { filter: Filter { lo: 0, hi: 5, default: None } }, operands: vec![step(0, 1)] },
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0), step(0, 2)] },
                HostStep { op: HostOp::BucketizedSparse { boundaries: vec![243.0, 16_777_216.0] }, operands: vec![ValueRef::Feed(1)] },
                HostStep { op: HostOp::CooRows, operands: vec![step(4, 0), step(4, 2)] },
            ],
            columns: vec![
                ColumnSource { ids: step(1, 0), row_offsets: step(3, 0), weights: None },
                ColumnSource { ids: step(2, 0), row_offsets: step(3, 0), weights: None },
                ColumnSource { ids: step(4, 1), row_offsets: step(5, 0), weights: None },
            ],
            values: Vec::new(),
            graph: Default::default(), schedule: Default::default(),
        };
        let got = prepare(&specs, &program, &feeds).unwrap();
        assert_eq!(got[0].ids, vec![1, 2, 1]);
        assert_eq!(got[1].ids, vec![-1, 2, -1]);
        // Cast to f32 first: 16,777,217 rounds to 16,777,216 (a boundary).
        assert_eq!(got[2].ids, vec![0, 1 + 3, 1, 3, 2, 2 + 3]);
    }

    #[test]
    fn one_column_of_a_dense_input() {
        let specs = [
            FeedSpec { name: "ids".into(), dtype: FeedType::I64, shape: Some(vec![-1, 3]) },
            FeedSpec { name: "tags".into(), dtype: FeedType::Str, shape: Some(vec![-1, 2]) },
        ];
        let feeds = [
            Feed::I64 { shape: vec![2, 3], data: vec![10, 11, 12, 20, -1, 22] },
            Feed::Str { shape: vec![2, 2], data: vec![b"a".to_vec(), b"".to_vec(), b"c".to_vec(), b"d".to_vec()] },
        ];
        let step = |step, result| ValueRef::Step { step, result };
        let column = |ignore, column, feed| HostStep { op: HostOp::SparseFromDense { ignore, column: Some(column) }, operands: vec![ValueRef::Feed(feed)] };
        let program = HostProgram {
            steps: vec![
                column(super::Ignore::KeepAll, 1, 0),
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0), step(0, 2)] },
                column(super::Ignore::I64(-1), 1, 0),
                HostStep { op: HostOp::CooRows, operands: vec![step(2, 0), step(2, 2)] },
                column(super::Ignore::Str(String::new()), 1, 1),
                HostStep { op: HostOp::HashBucket { buckets: 1000 }, operands: vec![step(4, 1)] },
                HostStep { op: HostOp::CooRows, operands: vec![step(4, 0), step(4, 2)] },
            ],
            columns: vec![
                ColumnSource { ids: step(0, 1), row_offsets: step(1, 0), weights: None },
                ColumnSource { ids: step(2, 1), row_offsets: step(3, 0), weights: None },
                ColumnSource { ids: step(5, 0), row_offsets: step(6, 0), weights: None },
            ],
            values: Vec::new(),
            graph: Default::default(), schedule: Default::default(),
        };
        let got = prepare(&specs, &program, &feeds).unwrap();
        // Column 1 of each row, one id per row.
        assert_eq!((got[0].ids.clone(), got[0].offsets.clone()), (vec![11, -1], vec![0, 1, 2]));
        // The missing marker drops row 1's entry.
        assert_eq!((got[1].ids.clone(), got[1].offsets.clone()), (vec![11], vec![0, 1, 1]));
        // Row 0's column 1 is "" (dropped); row 1's is "d".
        assert_eq!(got[2].offsets, vec![0, 0, 1]);
        // A column past the input is an error naming it.
        let past = HostProgram { steps: vec![column(super::Ignore::KeepAll, 3, 0)], columns: vec![ColumnSource { ids: step(0, 1), row_offsets: step(0, 0), weights: None }], ..program.clone() };
        let e = prepare(&specs, &past, &feeds).unwrap_err().to_string();
        assert!(e.contains("column 3") && e.contains("[2, 3]"), "{e}");
    }
}
