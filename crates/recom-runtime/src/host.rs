//! The host program of a compiled model: from a request's named inputs
//! ("feeds": TensorFlow's placeholders, e.g. a SparseTensor's `indices`,
//! `values` and `dense_shape`) to the CSR input of every column, running the
//! id transforms that are not in the kernel yet (string hashing, vocabulary
//! lookups) and the COO -> CSR conversion. Every problem is an error naming
//! the input.
use recom_abi::{
    hash::{fingerprint64, fingerprint_cat64, string_to_hash_bucket},
    request::ColumnInput,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Element type of a model input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedType {
    I64,
    F32,
    Str,
}

/// One input of the model function (a raised placeholder).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedSpec {
    /// The TF node name (`recom.feed`), or `arg<N>`.
    pub name: String,
    pub dtype: FeedType,
    /// Static shape, -1 for dynamic dims; `None` if the rank is unknown.
    pub shape: Option<Vec<i64>>,
}

/// A value given for one input.
#[derive(Clone, Debug, PartialEq)]
pub enum Feed {
    I64 { shape: Vec<usize>, data: Vec<i64> },
    F32 { shape: Vec<usize>, data: Vec<f32> },
    Str { shape: Vec<usize>, data: Vec<Vec<u8>> },
}

impl Feed {
    fn shape(&self) -> &[usize] {
        match self {
            Feed::I64 { shape, .. } | Feed::F32 { shape, .. } | Feed::Str { shape, .. } => shape,
        }
    }
    fn dtype(&self) -> FeedType {
        match self {
            Feed::I64 { .. } => FeedType::I64,
            Feed::F32 { .. } => FeedType::F32,
            Feed::Str { .. } => FeedType::Str,
        }
    }
    fn len(&self) -> usize {
        match self {
            Feed::I64 { data, .. } => data.len(),
            Feed::F32 { data, .. } => data.len(),
            Feed::Str { data, .. } => data.len(),
        }
    }
}

/// Vocabulary keys (`emb.vocabulary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Keys {
    Str(Vec<String>),
    I64(Vec<i64>),
}

/// The "missing" marker of a dense categorical input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ignore {
    I64(i64),
    Str(String),
    /// Nothing is missing: every entry is kept.
    KeepAll,
}

/// A column's raw values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Values {
    /// Input `n` (a SparseTensor's `values`).
    Feed(usize),
    /// The entries of the dense [B, N] input `feed` that are not `ignore`,
    /// row-major (`emb.sparse_from_dense`).
    Dense { feed: usize, ignore: Ignore },
    /// Every entry of the dense [B, K] float input `feed`, bucketized:
    /// bucket(x[r, j]) + j * (len(boundaries) + 1), bucket(v) = the number of
    /// boundaries <= v in f32 (`emb.bucketized_sparse`).
    Bucketized { feed: usize, boundaries: Vec<f64> },
}

/// Where a column's ids come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IdSource {
    /// The values as they are (integers).
    Values(Values),
    /// FarmHash Fingerprint64 of the string (of the decimal string for
    /// integers) mod `buckets`: TensorFlow's StringToHashBucketFast.
    Hash { values: Values, buckets: u64 },
    /// Position of the key in `keys`; when absent, `keys.len()` +
    /// Fingerprint64(key as a string) mod `oov_buckets` if there are OOV
    /// buckets, else `default`.
    Vocabulary { values: Values, keys: Keys, default: i64, oov_buckets: u64 },
    /// One id 0 per row of input `feed` (numeric columns).
    Zeros { feed: usize },
    /// TensorFlow's hashed SparseCross of several sparse inputs (ids and
    /// rows together; the column's rows are [`RowSource::Cross`]).
    Cross { inputs: Vec<CrossInput>, num_buckets: u64, hash_key: u64 },
}

/// One input of a cross: its values (feature hashes: Fingerprint64 of
/// strings when `fingerprint`, integers as they are) and its rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossInput {
    pub values: Values,
    pub fingerprint: bool,
    pub rows: RowSource,
}

impl IdSource {
    /// The values whose input names errors about the column's ids.
    fn values(&self) -> &Values {
        match self {
            IdSource::Values(v) | IdSource::Hash { values: v, .. } | IdSource::Vocabulary { values: v, .. } => v,
            IdSource::Cross { inputs, .. } => &inputs[0].values,
            IdSource::Zeros { .. } => unreachable!("zeros have no values"),
        }
    }
}

/// Where a column's row offsets come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RowSource {
    /// Input `n` holds the B + 1 offsets.
    Feed(usize),
    /// A SparseTensor's `indices` [N, 2] (canonical row-major order) and
    /// `dense_shape` [2]; without one, rows up to the largest row index (the
    /// non-safe lookup).
    Coo { indices: usize, dense_shape: Option<usize> },
    /// One entry per row of input `feed` (numeric columns).
    OnePerRow { feed: usize },
    /// The rows of a dense [B, N] input without its `ignore` entries.
    Dense { feed: usize, ignore: Ignore },
    /// Every entry of a dense [B, K] input: K per row.
    Every { feed: usize },
    /// The rows of the crossed SparseTensor ([`IdSource::Cross`]).
    Cross,
}

/// Where a weighted column's weights come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WeightSource {
    /// Input `n` as is.
    Feed(usize),
    /// Column `column` of the numeric [B, K] input `feed`, through
    /// `(x - shift) / scale` in f32 when `normalizer` is (shift, scale).
    Numeric { feed: usize, column: usize, normalizer: Option<(f32, f32)> },
}

/// Why a request's inputs are rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HostError {
    #[error("the model has {expected} inputs ({names}) but the request has {got}")]
    FeedCount { expected: usize, got: usize, names: String },
    #[error("input '{name}': {problem}")]
    BadFeed { name: String, problem: String },
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
        if shape.iter().product::<usize>() != feed.len() {
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

fn ints<'f>(spec: &FeedSpec, feed: &'f Feed) -> Result<&'f [i64], HostError> {
    match feed {
        Feed::I64 { data, .. } => Ok(data),
        _ => Err(bad(spec, "expected int64 values")),
    }
}

/// Raw values of a column.
enum Raw<'f> {
    I64(std::borrow::Cow<'f, [i64]>),
    Str(Vec<&'f [u8]>),
}

fn is_kept(ignore: &Ignore, i: Option<i64>, s: Option<&[u8]>) -> bool {
    match ignore {
        Ignore::I64(v) => i != Some(*v),
        Ignore::Str(v) => s != Some(v.as_bytes()),
        Ignore::KeepAll => true,
    }
}

fn raw_values<'f>(values: &Values, specs: &[FeedSpec], feeds: &'f [Feed]) -> Result<Raw<'f>, HostError> {
    Ok(match values {
        Values::Feed(n) => match &feeds[*n] {
            Feed::I64 { data, .. } => Raw::I64(data.as_slice().into()),
            Feed::Str { data, .. } => Raw::Str(data.iter().map(|s| s.as_slice()).collect()),
            Feed::F32 { .. } => return Err(bad(&specs[*n], "expected integer or string ids, got floats")),
        },
        Values::Dense { feed, ignore } => match &feeds[*feed] {
            Feed::I64 { data, .. } => Raw::I64(data.iter().copied().filter(|&v| is_kept(ignore, Some(v), None)).collect::<Vec<_>>().into()),
            Feed::Str { data, .. } => Raw::Str(data.iter().map(|s| s.as_slice()).filter(|s| is_kept(ignore, None, Some(s))).collect()),
            Feed::F32 { .. } => return Err(bad(&specs[*feed], "expected integer or string ids, got floats")),
        },
        Values::Bucketized { feed, boundaries } => match &feeds[*feed] {
            Feed::F32 { shape, data } if shape.len() == 2 => {
                let (k, stride) = (shape[1], boundaries.len() as i64 + 1);
                let bucket = |v: f32| boundaries.partition_point(|&b| b <= v as f64) as i64;
                Raw::I64(data.iter().enumerate().map(|(i, &v)| bucket(v) + (i % k) as i64 * stride).collect::<Vec<_>>().into())
            }
            _ => return Err(bad(&specs[*feed], "a bucketized column needs a [batch, k] float input")),
        },
    })
}

fn feed_of(values: &Values) -> usize {
    match values {
        Values::Feed(n) | Values::Dense { feed: n, .. } | Values::Bucketized { feed: n, .. } => *n,
    }
}

fn ids_of(source: &IdSource, specs: &[FeedSpec], feeds: &[Feed]) -> Result<Vec<i64>, HostError> {
    match source {
        IdSource::Cross { .. } => unreachable!("crosses make ids and rows together (cross_of)"),
        IdSource::Zeros { feed } => return Ok(vec![0; feeds[*feed].shape().first().copied().unwrap_or(0)]),
        _ => {}
    }
    let raw = raw_values(source.values(), specs, feeds)?;
    let spec = &specs[feed_of(source.values())];
    Ok(match (source, raw) {
        (IdSource::Values(_), Raw::I64(v)) => v.into_owned(),
        (IdSource::Values(_), Raw::Str(_)) => return Err(bad(spec, "string ids need a hash or a vocabulary")),
        (IdSource::Hash { buckets, .. }, Raw::Str(v)) => v.iter().map(|s| string_to_hash_bucket(s, *buckets)).collect(),
        (IdSource::Hash { buckets, .. }, Raw::I64(v)) => v.iter().map(|x| string_to_hash_bucket(x.to_string().as_bytes(), *buckets)).collect(),
        (IdSource::Cross { .. } | IdSource::Zeros { .. }, _) => unreachable!("handled above"),
        (IdSource::Vocabulary { keys, default, oov_buckets, .. }, raw) => {
            let size = match keys {
                Keys::Str(k) => k.len(),
                Keys::I64(k) => k.len(),
            } as i64;
            let absent = |bytes: &[u8]| match oov_buckets {
                0 => *default,
                &k => size + string_to_hash_bucket(bytes, k),
            };
            match (raw, keys) {
                (Raw::Str(data), Keys::Str(keys)) => {
                    let index: HashMap<&[u8], i64> = keys.iter().enumerate().map(|(i, k)| (k.as_bytes(), i as i64)).collect();
                    data.iter().map(|s| index.get(s).copied().unwrap_or_else(|| absent(s))).collect()
                }
                (Raw::I64(data), Keys::I64(keys)) => {
                    let index: HashMap<i64, i64> = keys.iter().enumerate().map(|(i, &k)| (k, i as i64)).collect();
                    data.iter().map(|v| index.get(v).copied().unwrap_or_else(|| absent(v.to_string().as_bytes()))).collect()
                }
                _ => return Err(bad(spec, "the values do not have the vocabulary's key type")),
            }
        }
    })
}

/// B + 1 row offsets of a dense [B, N] input without its `ignore` entries.
fn dense_rows(spec: &FeedSpec, feed: &Feed, ignore: &Ignore) -> Result<Vec<i64>, HostError> {
    let shape = feed.shape();
    let [rows, width] = shape[..] else {
        return Err(bad(spec, format!("a dense categorical input is [batch, n], got shape {shape:?}")));
    };
    let kept: Vec<bool> = match feed {
        Feed::I64 { data, .. } => data.iter().map(|&v| is_kept(ignore, Some(v), None)).collect(),
        Feed::Str { data, .. } => data.iter().map(|s| is_kept(ignore, None, Some(s))).collect(),
        Feed::F32 { .. } => return Err(bad(spec, "expected integer or string values, got floats")),
    };
    let mut offsets = vec![0i64; rows + 1];
    for r in 0..rows {
        offsets[r + 1] = offsets[r] + kept[r * width..(r + 1) * width].iter().filter(|&&k| k).count() as i64;
    }
    Ok(offsets)
}

/// B + 1 row offsets of a COO SparseTensor; its indices must be in row order
/// and inside `dense_shape`.
fn coo_rows(indices_spec: &FeedSpec, indices: &Feed, shape: Option<(&FeedSpec, &Feed)>) -> Result<Vec<i64>, HostError> {
    let (rows, width) = match shape {
        Some((shape_spec, shape)) => {
            let dense_shape = ints(shape_spec, shape)?;
            let [rows, width] = dense_shape[..] else {
                return Err(bad(shape_spec, format!("a dense_shape has 2 values [batch, width], got {}", dense_shape.len())));
            };
            if rows < 0 || width < 0 {
                return Err(bad(shape_spec, format!("dense_shape [{rows}, {width}] has a negative size")));
            }
            (rows, width)
        }
        // Rows up to the largest row index (TensorFlow's SparseSegment* without a count).
        None => (ints(indices_spec, indices)?.chunks_exact(2).map(|e| e[0] + 1).max().unwrap_or(0), i64::MAX),
    };
    let entries = ints(indices_spec, indices)?;
    if indices.shape().len() != 2 || indices.shape()[1] != 2 {
        return Err(bad(indices_spec, format!("indices must be [N, 2], got {:?}", indices.shape())));
    }
    let mut offsets = vec![0i64; rows as usize + 1];
    let mut previous = 0;
    for (k, entry) in entries.chunks_exact(2).enumerate() {
        let (row, position) = (entry[0], entry[1]);
        if row < 0 || row >= rows || position < 0 || position >= width {
            return Err(bad(indices_spec, format!("entry {k} = [{row}, {position}] is outside the dense_shape [{rows}, {width}]")));
        }
        if row < previous {
            return Err(bad(indices_spec, format!("entry {k} is in row {row} after row {previous}: indices must be in row-major order")));
        }
        previous = row;
        offsets[row as usize + 1] += 1;
    }
    for r in 0..rows as usize {
        offsets[r + 1] += offsets[r];
    }
    Ok(offsets)
}

/// Row offsets from a row source (not a cross), and the indices feed whose
/// entry count must match the values.
fn rows_of(rows: &RowSource, specs: &[FeedSpec], feeds: &[Feed]) -> Result<(Vec<i64>, Option<usize>), HostError> {
    Ok(match rows {
        RowSource::Feed(n) => (ints(&specs[*n], &feeds[*n])?.to_vec(), None),
        RowSource::Coo { indices, dense_shape } => {
            let shape = dense_shape.map(|s| (&specs[s], &feeds[s]));
            (coo_rows(&specs[*indices], &feeds[*indices], shape)?, Some(*indices))
        }
        RowSource::OnePerRow { feed } => match feeds[*feed].shape() {
            &[rows, ..] => ((0..=rows as i64).collect(), None),
            shape => return Err(bad(&specs[*feed], format!("expected a [batch, k] input, got shape {shape:?}"))),
        },
        RowSource::Dense { feed, ignore } => (dense_rows(&specs[*feed], &feeds[*feed], ignore)?, None),
        RowSource::Every { feed } => match feeds[*feed].shape() {
            &[rows, k] => ((0..=rows).map(|r| (r * k) as i64).collect(), None),
            shape => return Err(bad(&specs[*feed], format!("expected a [batch, k] input, got shape {shape:?}"))),
        },
        RowSource::Cross => unreachable!("crosses make ids and rows together (cross_of)"),
    })
}

/// The crossed column: every combination of one entry per input in each row
/// (last input fastest), hashed like TensorFlow's SparseCross.
fn cross_of(inputs: &[CrossInput], num_buckets: u64, hash_key: u64, specs: &[FeedSpec], feeds: &[Feed]) -> Result<(Vec<i64>, Vec<i64>), HostError> {
    let mut columns = Vec::with_capacity(inputs.len());
    for input in inputs {
        let spec = &specs[feed_of(&input.values)];
        let hashes: Vec<u64> = match (raw_values(&input.values, specs, feeds)?, input.fingerprint) {
            (Raw::Str(v), true) => v.iter().map(|s| fingerprint64(s)).collect(),
            (Raw::I64(v), false) => v.iter().map(|&x| x as u64).collect(),
            _ => return Err(bad(spec, "a crossed input must be strings (fingerprinted) or integers")),
        };
        let (offsets, _) = rows_of(&input.rows, specs, feeds)?;
        if *offsets.last().unwrap_or(&0) != hashes.len() as i64 {
            return Err(bad(spec, format!("{} values for {} entries of the sparse input", hashes.len(), offsets.last().unwrap_or(&0))));
        }
        columns.push((hashes, offsets));
    }
    let batch = columns[0].1.len() - 1;
    if let Some((k, _)) = columns.iter().enumerate().find(|(_, c)| c.1.len() - 1 != batch) {
        return Err(bad(&specs[feed_of(&inputs[k].values)], format!("batch of {} rows, but the first crossed input has {batch}", columns[k].1.len() - 1)));
    }
    let mut ids = Vec::new();
    let mut offsets = vec![0i64];
    let mut position = vec![0usize; columns.len()];
    for r in 0..batch {
        let counts: Vec<usize> = columns.iter().map(|(_, o)| (o[r + 1] - o[r]) as usize).collect();
        if counts.iter().all(|&c| c > 0) {
            position.iter_mut().for_each(|p| *p = 0);
            'combinations: loop {
                let mut h = hash_key;
                for (c, (hashes, o)) in columns.iter().enumerate() {
                    h = fingerprint_cat64(h, hashes[o[r] as usize + position[c]]);
                }
                ids.push((h % num_buckets) as i64);
                // Next combination, the last input fastest.
                let mut c = columns.len();
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
        offsets.push(ids.len() as i64);
    }
    Ok((ids, offsets))
}

/// One column's inputs and their sources.
pub struct ColumnSources<'p> {
    pub ids: &'p IdSource,
    pub rows: &'p RowSource,
    pub weights: Option<&'p WeightSource>,
}

/// The feed named in errors about a column's ids.
fn ids_feed(source: &IdSource) -> usize {
    match source {
        IdSource::Zeros { feed } => *feed,
        other => feed_of(other.values()),
    }
}

/// Runs the host program: the CSR input of every column from the feeds.
pub fn prepare(specs: &[FeedSpec], columns: &[ColumnSources], feeds: &[Feed]) -> Result<Vec<ColumnInput>, HostError> {
    use rayon::prelude::*;
    check_feeds(specs, feeds)?;
    columns
        .par_iter()
        .map(|column| {
            if let IdSource::Cross { inputs, num_buckets, hash_key } = column.ids {
                let (ids, offsets) = cross_of(inputs, *num_buckets, *hash_key, specs, feeds)?;
                return Ok(ColumnInput { ids, offsets, weights: None });
            }
            let ids = ids_of(column.ids, specs, feeds)?;
            let (offsets, coo_indices) = rows_of(column.rows, specs, feeds)?;
            if let Some(indices) = coo_indices {
                let entries = feeds[indices].len() / 2;
                if entries != ids.len() {
                    let values = ids_feed(column.ids);
                    return Err(bad(
                        &specs[values],
                        format!("{} values but '{}' has {entries} entries", ids.len(), specs[indices].name),
                    ));
                }
            }
            if *offsets.last().unwrap_or(&0) != ids.len() as i64 {
                let values = ids_feed(column.ids);
                return Err(bad(&specs[values], format!("{} values for {} entries of the sparse input", ids.len(), offsets.last().unwrap_or(&0))));
            }
            let weights = match column.weights {
                None => None,
                Some(WeightSource::Feed(n)) => match &feeds[*n] {
                    Feed::F32 { data, .. } => Some(data.clone()),
                    _ => return Err(bad(&specs[*n], "expected float weights")),
                },
                Some(WeightSource::Numeric { feed, column, normalizer }) => match &feeds[*feed] {
                    Feed::F32 { shape, data } if shape.len() == 2 && *column < shape[1] => {
                        let k = shape[1];
                        let values = data.iter().skip(*column).step_by(k);
                        Some(match normalizer {
                            // Sub then RealDiv in f32, as TensorFlow evaluates them.
                            Some((shift, scale)) => values.map(|&x| (x - shift) / scale).collect(),
                            None => values.copied().collect(),
                        })
                    }
                    _ => return Err(bad(&specs[*feed], format!("expected a [batch, k > {column}] float input"))),
                },
            };
            Ok(ColumnInput { ids, offsets, weights })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn run(sources: (IdSource, RowSource), feeds: &[Feed]) -> Result<Vec<ColumnInput>, HostError> {
        let column = ColumnSources { ids: &sources.0, rows: &sources.1, weights: None };
        prepare(&specs(), &[column], feeds)
    }

    fn vocabulary() -> (IdSource, RowSource) {
        (
            IdSource::Vocabulary { values: Values::Feed(0), keys: Keys::Str(vec!["x".into(), "y".into()]), default: -1, oov_buckets: 0 },
            RowSource::Coo { indices: 1, dense_shape: Some(2) },
        )
    }

    #[test]
    fn coo_to_csr_with_empty_rows_and_vocabulary() {
        let got = run(vocabulary(), &feeds(&["y", "q", "x"], &[0, 0, 0, 1, 2, 0], [4, 3])).unwrap();
        assert_eq!(got[0].ids, vec![1, -1, 0]);
        assert_eq!(got[0].offsets, vec![0, 2, 2, 3, 3]);
    }

    #[test]
    fn oov_buckets_hash_absent_keys() {
        let sources = (
            IdSource::Vocabulary { values: Values::Feed(0), keys: Keys::Str(vec!["x".into(), "y".into()]), default: -1, oov_buckets: 3 },
            RowSource::Coo { indices: 1, dense_shape: Some(2) },
        );
        let got = run(sources, &feeds(&["y", "q"], &[0, 0, 0, 1], [1, 2])).unwrap();
        assert_eq!(got[0].ids, vec![1, 2 + (fingerprint64(b"q") % 3) as i64]);
    }

    #[test]
    fn dense_inputs_drop_missing_entries() {
        let specs = vec![FeedSpec { name: "country".into(), dtype: FeedType::Str, shape: Some(vec![-1, 2]) }];
        let feeds = vec![Feed::Str { shape: vec![3, 2], data: ["US", "", "", "", "CN", "XX"].map(|s| s.as_bytes().to_vec()).to_vec() }];
        let ignore = Ignore::Str(String::new());
        let ids = IdSource::Vocabulary {
            values: Values::Dense { feed: 0, ignore: ignore.clone() },
            keys: Keys::Str(vec!["US".into(), "CN".into()]),
            default: -1,
            oov_buckets: 0,
        };
        let rows = RowSource::Dense { feed: 0, ignore };
        let got = prepare(&specs, &[ColumnSources { ids: &ids, rows: &rows, weights: None }], &feeds).unwrap();
        assert_eq!(got[0].ids, vec![0, 1, -1]);
        assert_eq!(got[0].offsets, vec![0, 1, 1, 3]);
    }

    #[test]
    fn bucketized_entries_offset_by_position() {
        let specs = vec![FeedSpec { name: "geo".into(), dtype: FeedType::F32, shape: Some(vec![-1, 2]) }];
        let feeds = vec![Feed::F32 { shape: vec![2, 2], data: vec![-2.0, 0.0, 0.5, 9.0] }];
        let ids = IdSource::Values(Values::Bucketized { feed: 0, boundaries: vec![0.0, 0.5] });
        let rows = RowSource::Every { feed: 0 };
        let got = prepare(&specs, &[ColumnSources { ids: &ids, rows: &rows, weights: None }], &feeds).unwrap();
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
        let a = CrossInput { values: Values::Dense { feed: 0, ignore: Ignore::I64(-1) }, fingerprint: false, rows: RowSource::Dense { feed: 0, ignore: Ignore::I64(-1) } };
        let b = CrossInput { values: Values::Dense { feed: 1, ignore: Ignore::KeepAll }, fingerprint: true, rows: RowSource::Dense { feed: 1, ignore: Ignore::KeepAll } };
        let ids = IdSource::Cross { inputs: vec![a, b], num_buckets: 1000, hash_key: 42 };
        let got = prepare(&specs, &[ColumnSources { ids: &ids, rows: &RowSource::Cross, weights: None }], &feeds).unwrap();
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
        let weights = WeightSource::Numeric { feed: 0, column: 0, normalizer: Some((10.0, 20.0)) };
        let column = ColumnSources { ids: &IdSource::Zeros { feed: 0 }, rows: &RowSource::OnePerRow { feed: 0 }, weights: Some(&weights) };
        let got = prepare(&specs, &[column], &feeds).unwrap();
        assert_eq!(got[0].ids, vec![0, 0]);
        assert_eq!(got[0].offsets, vec![0, 1, 2]);
        assert_eq!(got[0].weights, Some(vec![1.0, -1.0]));
    }

    #[test]
    fn coo_without_dense_shape_ends_at_the_last_row() {
        let sources = (IdSource::Hash { values: Values::Feed(0), buckets: 10 }, RowSource::Coo { indices: 1, dense_shape: None });
        let got = run(sources, &feeds(&["a", "b"], &[0, 0, 2, 0], [9, 9])).unwrap();
        assert_eq!(got[0].offsets, vec![0, 1, 1, 2]);
    }

    #[test]
    fn hashing_matches_fingerprint64() {
        let sources = (IdSource::Hash { values: Values::Feed(0), buckets: 100 }, RowSource::Coo { indices: 1, dense_shape: Some(2) });
        let got = run(sources, &feeds(&["hello"], &[0, 0], [1, 1])).unwrap();
        assert_eq!(got[0].ids, vec![(fingerprint64(b"hello") % 100) as i64]);
    }

    fn error(feeds: &[Feed]) -> String {
        run(vocabulary(), feeds).unwrap_err().to_string()
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
            run(vocabulary(), &feeds(&["x"], &[0, 0], [1, 1])[..2]).unwrap_err().to_string(),
            "the model has 3 inputs (a/values, a/indices, a/shape) but the request has 2"
        );
    }
}
