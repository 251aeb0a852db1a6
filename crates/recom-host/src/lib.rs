//! recom's host program: what the runtime runs per request, before the
//! kernel, to turn a model's inputs ("feeds": TensorFlow's placeholders, e.g.
//! a SparseTensor's `indices`, `values` and `dense_shape`, dense features)
//! into the CSR input of every column — string hashing, vocabularies, dense
//! -> sparse, bucketizing, crosses, COO -> CSR. The compiler emits it (each
//! host-side `emb` op's declaration says which [`HostOp`] it is); the
//! runtime runs it ([`prepare`]). Plain Rust, no MLIR.
//!
//! Every problem is an error naming the input it comes from; every size
//! taken from a request is checked against [`Limits`] before anything is
//! allocated for it.
mod ops;
mod program;
mod value;

pub use ops::{HostOp, Ignore, Keys, Limits};
pub use program::{ColumnSource, FeedSpec, FeedType, HostGraph, HostProgram, HostStep, HostValue, ScheduleCache, ValueRef};
use program::Schedule;
use ops::{evaluate, Operand};
use value::{Data, Elements, Sink, Value};
use recom_abi::request::ColumnInput;

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

pub(crate) fn bad(spec: &FeedSpec, problem: impl Into<String>) -> HostError {
    HostError::BadFeed { name: spec.name.clone(), problem: problem.into() }
}

/// Checks every feed against its spec (element type, rank, static dims).
pub fn check_feeds(specs: &[FeedSpec], feeds: &[Feed]) -> Result<(), HostError> {
    checked_shapes(specs, feeds).map(drop)
}

/// [`check_feeds`], and the shape each feed is read as where it is not its
/// own: a [B] feed given for a [?, 1] input is read as [B, 1] (and keeps its
/// data: no copy).
fn checked_shapes(specs: &[FeedSpec], feeds: &[Feed]) -> Result<Vec<Option<[usize; 2]>>, HostError> {
    if specs.len() != feeds.len() {
        let names = specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
        return Err(HostError::FeedCount { expected: specs.len(), got: feeds.len(), names });
    }
    let mut columns = Vec::with_capacity(feeds.len());
    for (spec, feed) in specs.iter().zip(feeds) {
        if spec.dtype != feed.dtype() {
            return Err(bad(spec, format!("expected {:?} values, got {:?}", spec.dtype, feed.dtype())));
        }
        let shape = feed.shape();
        let elements = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if elements != Some(feed.len()) {
            return Err(bad(spec, format!("shape {shape:?} does not hold its {} values", feed.len())));
        }
        let mut column = false;
        if let Some(expected) = &spec.shape {
            column = as_column(expected, shape);
            let fits = expected.len() == shape.len() && expected.iter().zip(shape).all(|(&e, &s)| e < 0 || e as usize == s) || column;
            if !fits {
                return Err(bad(spec, format!("expected shape {expected:?} (-1 = any), got {shape:?}")));
            }
        }
        columns.push(column.then(|| [feed.len(), 1]));
    }
    Ok(columns)
}

/// A [B] feed given for a [?, 1] input (the same values).
fn as_column(expected: &[i64], shape: &[usize]) -> bool {
    expected == [-1, 1] && shape.len() == 1
}

/// Runs the host program with the default [`Limits`]: the CSR input of
/// every column from the feeds.
pub fn prepare(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed]) -> Result<Vec<ColumnInput>, HostError> {
    prepare_with(specs, program, feeds, &Limits::default())
}

/// [`prepare`], plus the values the host program hands to the dense
/// program ([`HostProgram::values`]), each `[B, width]` f32.
pub fn prepare_all(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed], limits: &Limits) -> Result<(Vec<ColumnInput>, Vec<Vec<f32>>), HostError> {
    let mut values = Vec::new();
    let columns = prepare_inner(specs, program, feeds, limits, Some(&mut values), None, None)?;
    Ok((columns, values))
}

/// Where a request's host program spent its time (wall clock, as it ran).
#[derive(Clone, Debug, Default)]
pub struct HostPhases {
    /// The feeds checked against their specs, the schedule fetched.
    pub check: std::time::Duration,
    /// Each level of steps (in parallel on a large request).
    pub levels: Vec<std::time::Duration>,
    /// The columns' inputs assembled from the results (and the dense
    /// program's host values copied out).
    pub columns: std::time::Duration,
}

/// A request's columns' inputs and the dense program's host values
/// ([`prepare_all`]).
pub type Prepared = (Vec<ColumnInput>, Vec<Vec<f32>>);

/// [`prepare_all`], with where its time went.
pub fn prepare_all_timed(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed], limits: &Limits) -> Result<(Prepared, HostPhases), HostError> {
    let (mut values, mut phases) = (Vec::new(), HostPhases::default());
    let columns = prepare_inner(specs, program, feeds, limits, Some(&mut values), None, Some(&mut phases))?;
    Ok(((columns, values), phases))
}

/// [`prepare`] under `limits`.
pub fn prepare_with(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed], limits: &Limits) -> Result<Vec<ColumnInput>, HostError> {
    prepare_inner(specs, program, feeds, limits, None, None, None)
}

/// The time each step of the host program takes on `feeds`, run one after
/// another on this thread (where a request's time goes, by step; `recom
/// bench` and `recom-bench host` sum it by [`HostOp::kind`]).
pub fn step_times(specs: &[FeedSpec], program: &HostProgram, feeds: &[Feed], limits: &Limits) -> Result<Vec<std::time::Duration>, HostError> {
    let mut times = vec![std::time::Duration::ZERO; program.steps.len()];
    prepare_inner(specs, program, feeds, limits, None, Some(&mut times), None)?;
    Ok(times)
}

/// The feed elements from which a request's host program runs its steps
/// in parallel.
const PARALLEL_ELEMENTS: usize = 1 << 14;

/// Every value a request's host program reads: its inputs and its steps'
/// results so far.
#[derive(Clone, Copy)]
struct Values<'v> {
    specs: &'v [FeedSpec],
    feeds: &'v [Feed],
    /// [`checked_shapes`].
    columns: &'v [Option<[usize; 2]>],
    schedule: &'v Schedule,
    /// The steps' results so far, each in its slot. A step reads only
    /// results of earlier steps, which lie in the slots before its own:
    /// run alone, a step is shown those (its own come after them).
    slots: &'v [Option<Value>],
}

impl<'v> Values<'v> {
    /// These values with the steps' results in `slots`.
    fn with<'s>(self, slots: &'s [Option<Value>]) -> Values<'s>
    where
        'v: 's,
    {
        Values { slots, ..self }
    }

    /// A value of the program (checked to exist by `HostProgram::check`
    /// and, for a step's result, made before its readers run by the level
    /// order) with the input it derives from.
    // Inlined: returned through memory, an operand was read back before
    // its stores had landed (a stall per operand).
    #[inline(always)]
    fn operand(&self, value: ValueRef) -> (Operand<'v>, usize) {
        let (data, shape, origin) = match value {
            ValueRef::Feed(n) => {
                let feed = &self.feeds[n];
                (feed.elements(), self.columns[n].as_ref().map_or(feed.shape(), |s| s.as_slice()), n)
            }
            ValueRef::Step { step, result } => {
                let value = self.slots[self.schedule.slot(step, result)].as_ref().expect("steps run before their users");
                (value.data.elements(), value.shape.dims(), self.schedule.origin[step])
            }
        };
        (Operand { data, origin: &self.specs[origin], shape }, origin)
    }

    /// Runs step `i`, its results put in `own` (its slots).
    fn run(&self, program: &HostProgram, i: usize, limits: &Limits, own: &mut [Option<Value>]) -> Result<(), HostError> {
        let step = &program.steps[i];
        let mut out = Sink::new(own);
        with_operands(&step.operands, |v| self.operand(v).0, |operands| evaluate(&step.op, operands, limits, program.graph.0.as_deref(), &mut out))?;
        if out.count != step.op.result_count() {
            return Err(HostError::Program(format!("host step {i} made {} results", out.count)));
        }
        Ok(())
    }
}

/// `f` of a step's operands: on the stack for the one or two nearly every op
/// takes (a small request's step is a few hundred instructions, to which
/// an allocation added a good part), in a vector for a cross or a
/// TensorFlow fallback step.
fn with_operands<'v, R>(refs: &[ValueRef], operand: impl Fn(ValueRef) -> Operand<'v>, f: impl FnOnce(&[Operand<'v>]) -> R) -> R {
    match *refs {
        [a] => f(&[operand(a)]),
        [a, b] => f(&[operand(a), operand(b)]),
        _ => f(&refs.iter().map(|&v| operand(v)).collect::<Vec<_>>()),
    }
}

fn prepare_inner(
    specs: &[FeedSpec],
    program: &HostProgram,
    feeds: &[Feed],
    limits: &Limits,
    values_out: Option<&mut Vec<Vec<f32>>>,
    mut step_times: Option<&mut [std::time::Duration]>,
    mut phases: Option<&mut HostPhases>,
) -> Result<Vec<ColumnInput>, HostError> {
    use rayon::prelude::*;
    let mut clock = std::time::Instant::now();
    // The time since the last mark, into `phases` when it is kept.
    let mut mark = |phases: &mut Option<&mut HostPhases>, put: fn(&mut HostPhases, std::time::Duration)| {
        if let Some(p) = phases.as_deref_mut() {
            let now = std::time::Instant::now();
            put(p, now - clock);
            clock = now;
        }
    };
    let columns = checked_shapes(specs, feeds)?;
    let schedule = program.schedule(specs.len()).map_err(HostError::Program)?;
    mark(&mut phases, |p, d| p.check = d);
    let mut slots: Vec<Option<Value>> = Vec::new();
    slots.resize_with(schedule.slots(), || None);
    let values = Values { specs, feeds, columns: &columns, schedule: &schedule, slots: &[] };
    // Steps run in parallel only when the request is large enough for that
    // to pay: waking the pool's threads costs more than a small request's
    // whole host program (at B = 1 most of its time went to scheduling).
    let parallel = step_times.is_none() && feeds.iter().map(Feed::len).sum::<usize>() >= PARALLEL_ELEMENTS;
    if parallel {
        for level in schedule.levels.windows(2) {
            let steps = &schedule.order[level[0]..level[1]];
            // Each step's results made apart, then moved into its slots (a
            // level of one step runs on this thread: no pool to wake).
            let done: Vec<Result<Vec<Option<Value>>, HostError>> = {
                let values = values.with(&slots);
                let run = |&i: &usize| {
                    let mut own: Vec<Option<Value>> = (0..program.steps[i].op.result_count()).map(|_| None).collect();
                    values.run(program, i, limits, &mut own).map(|()| own)
                };
                if steps.len() == 1 {
                    steps.iter().map(run).collect()
                } else {
                    steps.par_iter().map(run).collect()
                }
            };
            // The level's first error in program order.
            for (&i, own) in steps.iter().zip(done) {
                slots[schedule.first[i]..].iter_mut().zip(own?).for_each(|(slot, value)| *slot = value);
            }
            mark(&mut phases, |p, d| p.levels.push(d));
        }
    } else {
        for &i in &schedule.order {
            // The step reads the slots before its own.
            let (before, own) = slots.split_at_mut(schedule.first[i]);
            let (values, own) = (values.with(before), &mut own[..program.steps[i].op.result_count()]);
            match step_times.as_deref_mut() {
                Some(times) => {
                    let start = std::time::Instant::now();
                    values.run(program, i, limits, own)?;
                    times[i] = start.elapsed();
                }
                None => values.run(program, i, limits, own)?,
            }
        }
        mark(&mut phases, |p, d| p.levels.push(d));
    }
    if let Some(out) = values_out {
        for (k, v) in program.values.iter().enumerate() {
            match values.with(&slots).operand(v.value).0.data {
                Elements::F32(data) if data.len() % v.width.max(1) == 0 => out.push(data.to_vec()),
                other => return Err(HostError::Program(format!("host value {k} is not float32 of width {} ({:?})", v.width, other.dtype()))),
            }
        }
    }
    // The columns' inputs: a step result only one column reads moves into
    // its ColumnInput (no copy); a model input or a shared result is copied.
    // String columns' references and bytes (the kernel transforms them) are
    // made from the strings where they lie, for a large request all columns'
    // at once beforehand, else each column's in its turn.
    type Refs = Result<(Vec<i64>, Vec<u8>), String>;
    let refs = |ids: &Operand| match ids.data {
        Elements::Str(data) => Some(recom_abi::request::string_refs(data)),
        _ => None,
    };
    // (Only where a column's ids are strings: a parallel pass over the
    // columns costs tens of µs in waking the pool's threads even when it
    // has nothing to do.)
    let strings_total: usize = feeds.iter().map(|f| if let Feed::Str { data, .. } = f { data.len() } else { 0 }).sum();
    let string_ids = || {
        let values = values.with(&slots);
        program.columns.iter().any(|column| matches!(values.operand(column.ids).0.data, Elements::Str(_)))
    };
    let mut made: Option<std::vec::IntoIter<Option<Refs>>> = (strings_total >= PARALLEL_STRINGS && string_ids()).then(|| {
        let values = values.with(&slots);
        program.columns.par_iter().map(|column| refs(&values.operand(column.ids).0)).collect::<Vec<_>>().into_iter()
    });
    let mut inputs = Vec::with_capacity(program.columns.len());
    for column in &program.columns {
        // Checks (and errors) as the values are: through `operand`.
        let values = values.with(&slots);
        let (ids_origin, strings) = {
            let (ids, ids_origin) = values.operand(column.ids);
            let (rows, rows_origin) = values.operand(column.row_offsets);
            // Strings are a string column's raw values (the kernel hashes them).
            let n_ids = match ids.data {
                Elements::Str(data) => data.len(),
                _ => ids.ints("ids")?.len(),
            };
            let entries = *rows.ints("row offsets")?.last().unwrap_or(&0);
            if let Some(w) = column.weights {
                let weights = values.operand(w).0;
                if !matches!(weights.data, Elements::F32(_)) {
                    return Err(weights.bad("expected float weights"));
                }
            }
            if entries != n_ids as i64 {
                let problem = if rows_origin != ids_origin {
                    format!("{n_ids} values but '{}' has {entries} entries", specs[rows_origin].name)
                } else {
                    format!("{n_ids} values for {entries} entries of the sparse input")
                };
                return Err(bad(&specs[ids_origin], problem));
            }
            let strings = match made.as_mut() {
                Some(made) => made.next().flatten(),
                None => refs(&ids),
            };
            (ids_origin, strings)
        };
        let strings = strings.transpose().map_err(|e| bad(&specs[ids_origin], e))?;
        let mut take = |v: ValueRef| -> Data {
            match v {
                ValueRef::Step { step, result } => {
                    let slot = &mut slots[schedule.slot(step, result)];
                    match schedule.readers[schedule.slot(step, result)] {
                        1 => slot.take().expect("steps run before their users").data,
                        _ => slot.as_ref().expect("steps run before their users").data.clone(),
                    }
                }
                ValueRef::Feed(n) => feeds[n].elements().to_data(),
            }
        };
        let (ids, bytes) = match strings {
            Some((refs, bytes)) => (refs, Some(bytes)),
            None => match take(column.ids) {
                Data::I64(data) => (data, None),
                _ => unreachable!("checked to be integers or strings above"),
            },
        };
        let offsets = match take(column.row_offsets) {
            Data::I64(data) => data,
            _ => unreachable!("checked to be integers above"),
        };
        let weights = column.weights.map(|w| match take(w) {
            Data::F32(data) => data,
            _ => unreachable!("checked to be floats above"),
        });
        inputs.push(ColumnInput { ids, offsets, weights, bytes });
    }
    mark(&mut phases, |p, d| p.columns = d);
    Ok(inputs)
}

/// Strings in a request's feeds from which the string columns' references
/// are made on all cores.
const PARALLEL_STRINGS: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    use recom_abi::hash::{fingerprint64, fingerprint_cat64};

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
            values: Vec::new(), graph: Default::default(), schedule: Default::default(),
        }
    }

    fn vocabulary(oov_buckets: u64) -> HostProgram {
        sparse_column(HostOp::Vocabulary { keys: Keys::Str(vec!["x".into(), "y".into()]), default: -1, oov_buckets, first: 0, oov_base: None, index: Default::default() }, true)
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
    fn keras_oov_indices_come_before_the_keys() {
        // StringLookup(num_oov_indices = 3): keys numbered from 3, an absent
        // key hashed into [0, 3).
        let op = HostOp::Vocabulary { keys: Keys::Str(vec!["x".into(), "y".into()]), default: -1, oov_buckets: 3, first: 3, oov_base: Some(0), index: Default::default() };
        let got = prepare(&specs(), &sparse_column(op, true), &feeds(&["y", "q"], &[0, 0, 0, 1], [1, 2])).unwrap();
        assert_eq!(got[0].ids, vec![3 + 1, (fingerprint64(b"q") % 3) as i64]);
    }

    #[test]
    fn dense_inputs_drop_missing_entries() {
        let specs = vec![FeedSpec { name: "country".into(), dtype: FeedType::Str, shape: Some(vec![-1, 2]) }];
        let feeds = vec![Feed::Str { shape: vec![3, 2], data: ["US", "", "", "", "CN", "XX"].map(|s| s.as_bytes().to_vec()).to_vec() }];
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::SparseFromDense { ignore: Ignore::Str(String::new()), column: None }, operands: vec![ValueRef::Feed(0)] },
                HostStep {
                    op: HostOp::Vocabulary { keys: Keys::Str(vec!["US".into(), "CN".into()]), default: -1, oov_buckets: 0, first: 0, oov_base: None, index: Default::default() },
                    operands: vec![step(0, 1)],
                },
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0), step(0, 2)] },
            ],
            columns: vec![ColumnSource { ids: step(1, 0), row_offsets: step(2, 0), weights: None }], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
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
            columns: vec![ColumnSource { ids: step(0, 1), row_offsets: step(1, 0), weights: None }], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
        let got = prepare(&specs, &program, &feeds).unwrap();
        // buckets: -2 -> 0, 0 -> 1 (on the boundary), 0.5 -> 2, 9 -> 2; + j * 3
        assert_eq!(got[0].ids, vec![0, 1 + 3, 2, 2 + 3]);
        assert_eq!(got[0].offsets, vec![0, 2, 4]);
        // TensorFlow's edge values (issue 14): NaN and +inf in the last
        // bucket, -inf in the first, -0.0 like 0.0 (on the boundary).
        let edges = vec![Feed::F32 { shape: vec![2, 2], data: vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0] }];
        let got = prepare(&specs, &program, &edges).unwrap();
        assert_eq!(got[0].ids, vec![2, 2 + 3, 0, 1 + 3]);
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
                HostStep { op: HostOp::SparseFromDense { ignore: Ignore::I64(-1), column: None }, operands: vec![ValueRef::Feed(0)] },
                HostStep { op: HostOp::SparseFromDense { ignore: Ignore::KeepAll, column: None }, operands: vec![ValueRef::Feed(1)] },
                HostStep { op: HostOp::Fingerprint, operands: vec![step(1, 1)] },
                HostStep {
                    op: HostOp::CrossHashed { num_buckets: 1000, hash_key: 42 },
                    operands: vec![step(0, 0), step(1, 0), step(0, 1), step(2, 0), step(0, 2), step(1, 2)],
                },
                HostStep { op: HostOp::CooRows, operands: vec![step(3, 0), step(3, 2)] },
            ],
            columns: vec![ColumnSource { ids: step(3, 1), row_offsets: step(4, 0), weights: None }], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
        let got = prepare(&specs, &program, &feeds).unwrap();
        let x = fingerprint64(b"x");
        let expect = |v: u64| (fingerprint_cat64(fingerprint_cat64(42, v), x) % 1000) as i64;
        // Row 0: (7, x), (8, x); row 1 has no entry of a: no cross.
        assert_eq!(got[0].ids, vec![expect(7), expect(8)]);
        assert_eq!(got[0].offsets, vec![0, 2, 2]);
        // Inputs of different batches: the error names the input that
        // disagrees and the one it is crossed with.
        let short = vec![feeds[0].clone(), Feed::Str { shape: vec![3, 1], data: vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()] }];
        assert_eq!(
            prepare(&specs, &program, &short).unwrap_err().to_string(),
            "input 'b': batch of 3 rows, but 'a', crossed with it, has 2"
        );
        // A cross of many rows is made in row ranges on all cores: the same
        // combinations, in the same order, as row by row.
        let rows = 1000usize;
        let a: Vec<i64> = (0..2 * rows as i64).map(|k| if k % 7 == 3 { -1 } else { k % 13 }).collect();
        let b: Vec<Vec<u8>> = (0..rows).map(|r| format!("s{}", r % 5).into_bytes()).collect();
        let feeds = vec![Feed::I64 { shape: vec![rows, 2], data: a.clone() }, Feed::Str { shape: vec![rows, 1], data: b.clone() }];
        let got = prepare(&specs, &program, &feeds).unwrap();
        let (mut ids, mut offsets) = (Vec::new(), vec![0i64]);
        for r in 0..rows {
            for &v in a[2 * r..2 * r + 2].iter().filter(|&&v| v != -1) {
                ids.push((fingerprint_cat64(fingerprint_cat64(42, v as u64), fingerprint64(&b[r])) % 1000) as i64);
            }
            offsets.push(ids.len() as i64);
        }
        assert_eq!((&got[0].ids, &got[0].offsets), (&ids, &offsets));
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
            columns: vec![ColumnSource { ids: step(0, 0), row_offsets: step(0, 1), weights: Some(step(0, 2)) }], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
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

    /// The steps run level by level, however they are listed: a request's
    /// error is the first one in that order (here a level-0 step listed
    /// after a failing level-1 step), run in parallel or one by one.
    #[test]
    fn errors_come_in_level_order() {
        let program = HostProgram {
            steps: vec![
                HostStep { op: HostOp::HashBucket { buckets: 10 }, operands: vec![ValueRef::Feed(0)] },
                // Level 1: ids are not [N, 2] indices.
                HostStep { op: HostOp::CooRows, operands: vec![step(0, 0)] },
                // Level 0: a negative dense shape.
                HostStep { op: HostOp::CooRows, operands: vec![ValueRef::Feed(1), ValueRef::Feed(2)] },
            ],
            columns: vec![ColumnSource { ids: step(0, 0), row_offsets: step(2, 0), weights: None }],
            values: Vec::new(),
            graph: Default::default(), schedule: Default::default(),
        };
        let expected = "input 'a/shape': dense_shape [-1, 1] has a negative size";
        let small = feeds(&["x"], &[0, 0], [-1, 1]);
        assert_eq!(prepare(&specs(), &program, &small).unwrap_err().to_string(), expected);
        assert_eq!(step_times(&specs(), &program, &small, &Limits::default()).unwrap_err().to_string(), expected);
        // Enough elements for the parallel run.
        let n = PARALLEL_ELEMENTS;
        let values: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let indices: Vec<i64> = (0..n as i64).flat_map(|r| [r, 0]).collect();
        let large = feeds(&values, &indices, [-1, 1]);
        assert_eq!(prepare(&specs(), &program, &large).unwrap_err().to_string(), expected);
    }

    /// A large request (its steps run in parallel, a level at a time) and
    /// the same steps run one by one in program order give the same columns.
    #[test]
    fn parallel_and_sequential_runs_agree() {
        let n = PARALLEL_ELEMENTS;
        let values: Vec<String> = (0..n).map(|i| format!("v{}", i % 7)).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        // Rows with 0, 1 or 2 entries.
        let indices: Vec<i64> = (0..n as i64).flat_map(|k| [k / 2 + k / 6, k % 2]).collect();
        let rows = indices[indices.len() - 2] + 1;
        let feeds = feeds(&values, &indices, [rows, 2]);
        for program in [vocabulary(2), sparse_column(HostOp::HashBucket { buckets: 100 }, true), sparse_column(HostOp::HashBucket { buckets: 100 }, false)] {
            let parallel = prepare(&specs(), &program, &feeds).unwrap();
            let mut times = vec![std::time::Duration::ZERO; program.steps.len()];
            let one_by_one = prepare_inner(&specs(), &program, &feeds, &Limits::default(), None, Some(&mut times), None).unwrap();
            assert_eq!(parallel, one_by_one);
            assert_eq!(parallel[0].offsets.len() as i64, rows + 1);
        }
    }
}
