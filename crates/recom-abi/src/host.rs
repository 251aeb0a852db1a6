//! The host program of a compiled model, as data: what the runtime runs per
//! request to turn the model's inputs (TensorFlow's placeholders: a
//! SparseTensor's `indices`, `values` and `dense_shape`, dense features)
//! into the CSR input of every column.
//!
//! It is a straight-line program in SSA form: each [`HostStep`] applies one
//! [`HostOp`] — one of the `emb` dialect's host-side ops — to values that
//! are model inputs ([`ValueRef::Feed`]) or results of earlier steps. The
//! compiler emits it (each host op's declaration says which `HostOp` it is);
//! the runtime evaluates it (`recom_runtime::host`).
use serde::{Deserialize, Serialize};

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

/// Vocabulary keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Keys {
    Str(Vec<String>),
    I64(Vec<i64>),
}

impl Keys {
    pub fn len(&self) -> usize {
        match self {
            Keys::Str(k) => k.len(),
            Keys::I64(k) => k.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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
    /// `emb.vocabulary`: (values) -> ids, the position of each key in
    /// `keys`; an absent key gives `keys.len()` + Fingerprint64 mod
    /// `oov_buckets` when there are OOV buckets, else `default`.
    Vocabulary { keys: Keys, default: i64, oov_buckets: u64 },
    /// `emb.sparse_from_dense`: (dense [B, N]) -> (indices, values,
    /// dense_shape) of the entries that are not `ignore`, row-major.
    SparseFromDense { ignore: Ignore },
    /// `emb.bucketized_sparse`: (dense [B, K] floats) -> (indices, values,
    /// dense_shape) of every entry, value bucket(x) + j * (len + 1), bucket
    /// = the number of boundaries <= x (compared in f32).
    BucketizedSparse { boundaries: Vec<f64> },
    /// `emb.fingerprint`: (strings) -> their Fingerprint64 bits.
    Fingerprint,
    /// `emb.cross_hashed`: (C indices, C values, C dense shapes) -> the
    /// hashed cross (indices, ids, dense_shape), TensorFlow's SparseCross.
    CrossHashed { num_buckets: u64, hash_key: u64 },
    /// `emb.coo_rows`: (indices [, dense_shape]) -> B + 1 row offsets;
    /// without a dense shape, rows up to the largest row index.
    CooRows,
    /// `emb.numeric_input`: (dense [B, K] f32) -> (ids: B zeros, row
    /// offsets 0..=B, weights: column `column`, through `(x - shift) /
    /// scale` in f32 when `normalizer` is (shift, scale)).
    NumericInput { column: usize, normalizer: Option<(f32, f32)> },
}

impl HostOp {
    /// How many results the op has.
    pub fn result_count(&self) -> usize {
        match self {
            HostOp::HashBucket { .. } | HostOp::Vocabulary { .. } | HostOp::Fingerprint | HostOp::CooRows => 1,
            HostOp::SparseFromDense { .. } | HostOp::BucketizedSparse { .. } | HostOp::CrossHashed { .. } => 3,
            HostOp::NumericInput { .. } => 3,
        }
    }
}

/// A value of the host program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueRef {
    /// Model input `n`.
    Feed(usize),
    /// Result `result` of step `step` (an earlier step).
    Step { step: usize, result: usize },
}

/// One step: `op` applied to `operands`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostStep {
    pub op: HostOp,
    pub operands: Vec<ValueRef>,
}

/// Where one column's CSR input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSource {
    pub ids: ValueRef,
    pub row_offsets: ValueRef,
    /// Weighted columns only.
    pub weights: Option<ValueRef>,
}

/// The host program: steps in order, then each column's values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostProgram {
    pub steps: Vec<HostStep>,
    pub columns: Vec<ColumnSource>,
}

impl HostProgram {
    /// Checks that every operand is a model input (of `feeds`) or a result
    /// of an earlier step: the program can be evaluated in order. The error
    /// names the step or column.
    pub fn check(&self, feeds: usize) -> Result<(), String> {
        let valid = |value: &ValueRef, before: usize| match *value {
            ValueRef::Feed(n) => n < feeds,
            ValueRef::Step { step, result } => step < before && result < self.steps[step].op.result_count(),
        };
        for (i, step) in self.steps.iter().enumerate() {
            if let Some(bad) = step.operands.iter().find(|v| !valid(v, i)) {
                return Err(format!("host step {i} ({:?}) reads {bad:?}, which is not an input or an earlier result", step.op));
            }
        }
        for (c, column) in self.columns.iter().enumerate() {
            let values = [Some(column.ids), Some(column.row_offsets), column.weights];
            if let Some(bad) = values.iter().flatten().find(|v| !valid(v, self.steps.len())) {
                return Err(format!("column {c} reads {bad:?}, which is not an input or a step's result"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_read_only_inputs_and_earlier_results() {
        let step = |operands| HostStep { op: HostOp::CooRows, operands };
        let column = |ids| ColumnSource { ids, row_offsets: ValueRef::Step { step: 0, result: 0 }, weights: None };
        let ok = HostProgram { steps: vec![step(vec![ValueRef::Feed(1)])], columns: vec![column(ValueRef::Feed(0))] };
        assert_eq!(ok.check(2), Ok(()));
        assert!(ok.check(1).unwrap_err().contains("host step 0"));
        let forward = HostProgram { steps: vec![step(vec![ValueRef::Step { step: 0, result: 0 }])], columns: vec![] };
        assert!(forward.check(2).is_err());
        let no_result = HostProgram {
            steps: vec![step(vec![ValueRef::Feed(1)])],
            columns: vec![column(ValueRef::Step { step: 0, result: 1 })],
        };
        assert!(no_result.check(2).unwrap_err().starts_with("column 0"));
    }
}
