//! The reference semantics of recom's embedding columns, in plain Rust.
//!
//! This crate is the oracle every compiled path (CPU JIT, GPU) is tested
//! against; it links no MLIR. It fixes the contract:
//!
//! * A column maps a batch of B rows, each with 0..n `i64` ids (and optionally
//!   one `f32` weight per id), to a `[B, D]` block of its table.
//! * An optional range filter first maps ids outside `[lo, hi)` to -1 (drop)
//!   or to a default id.
//! * Ids < 0 are dropped. For `mean` and `sqrtn`, ids whose weight is <= 0 are
//!   dropped too (TensorFlow's `safe_embedding_lookup_sparse`).
//! * An id >= the table's row count is never read: [`OutOfRange`] says whether
//!   the request fails, the id is dropped, or a default row is used.
//! * Empty rows (after dropping) give zeros.
//! * `sum` = Σ w·e, `mean` = Σ w·e / Σ w, `sqrtn` = Σ w·e / sqrt(Σ w²), with
//!   w = 1 for unweighted columns, accumulated in f32 in TensorFlow's order:
//!   weighted columns in id order (`SegmentSum`); unweighted ones as the
//!   `SparseSegment*` CPU kernel does — the first n % 8 kept rows (8 when 8
//!   divides n) in order, then each further block of 8 rows summed on its
//!   own and added to the total.
//! * Column outputs are concatenated into `[B, ΣD]` in column order.
//!
//! The vocabulary (combiners, policies, filters) and the input type are
//! `recom_abi`'s; the checks of a batch are this crate's own
//! ([`check_inputs`]), written apart from the runtime's so that a bug in
//! either shows up as a disagreement.
pub mod sharded;
pub mod synthetic;
#[cfg(feature = "served")]
pub mod served;

pub use recom_abi::{request::ColumnInput, Combiner, Filter, IdTransform, OutOfRange};

/// A row-major table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub rows: usize,
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Table {
    pub fn row(&self, id: usize) -> &[f32] {
        &self.data[id * self.dim..(id + 1) * self.dim]
    }
}

/// One column of a model: which table, how ids are filtered and pooled.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub table: usize,
    pub combiner: Combiner,
    pub weighted: bool,
    pub filter: Option<Filter>,
    pub on_out_of_range: OutOfRange,
    /// The ids are raw values that this transform turns into ids (before
    /// the filter).
    pub transform: Option<IdTransform>,
}

/// The embedding part of a model: tables (possibly shared) and columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub tables: Vec<Table>,
    pub columns: Vec<Column>,
}

impl Model {
    /// Width of the concatenated output, ΣD.
    pub fn width(&self) -> usize {
        self.columns.iter().map(|c| self.tables[c.table].dim).sum()
    }
}

/// Why a batch cannot be evaluated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("the model has {expected} columns, the batch {got}")]
    ColumnCount { expected: usize, got: usize },
    #[error("column {column}: {problem}")]
    BadInput { column: usize, problem: String },
    #[error("column {column}, row {row}: id {id} is not a row of its {rows}-row table")]
    IdOutOfRange { column: usize, row: usize, id: i64, rows: usize },
}

/// Evaluates the model on a batch: the `[B, ΣD]` output, row-major.
pub fn evaluate(model: &Model, inputs: &[ColumnInput]) -> Result<Vec<f32>, EvalError> {
    let batch = check_inputs(model, inputs)?;
    let width = model.width();
    let mut out = vec![0f32; batch * width];
    let mut base = 0;
    for (c, (column, input)) in model.columns.iter().zip(inputs).enumerate() {
        let table = &model.tables[column.table];
        for row in 0..batch {
            let dst = &mut out[row * width + base..row * width + base + table.dim];
            pool_bag(c, row, column, table.rows, |id| table.row(id), input, dst)?;
        }
        base += table.dim;
    }
    Ok(out)
}

/// Checks that `inputs` is a batch of `model`: one CSR input per column,
/// offsets from 0 to the id count, never decreasing, the same row count in
/// every column, one weight per id exactly in weighted columns. Returns the
/// batch size.
pub fn check_inputs(model: &Model, inputs: &[ColumnInput]) -> Result<usize, EvalError> {
    if inputs.len() != model.columns.len() {
        return Err(EvalError::ColumnCount { expected: model.columns.len(), got: inputs.len() });
    }
    let mut batch = None;
    for (c, (column, input)) in model.columns.iter().zip(inputs).enumerate() {
        let bad = |problem: String| Err(EvalError::BadInput { column: c, problem });
        let Some((&first, rest)) = input.offsets.split_first() else {
            return bad("no row offsets".into());
        };
        let mut previous = first;
        if first != 0 {
            return bad(format!("the first row offset is {first}, not 0"));
        }
        for &offset in rest {
            if offset < previous {
                return bad(format!("row offset {offset} follows {previous}"));
            }
            previous = offset;
        }
        if usize::try_from(previous) != Ok(input.ids.len()) {
            return bad(format!("the offsets end at {previous}, the ids number {}", input.ids.len()));
        }
        match (&input.weights, column.weighted) {
            (Some(w), true) if w.len() == input.ids.len() => {}
            (None, false) => {}
            (w, weighted) => {
                return bad(format!("weighted: {weighted}, weights given: {:?}", w.as_ref().map(Vec::len)));
            }
        }
        let strings = column.transform.as_ref().is_some_and(|t| t.takes_strings());
        match &input.bytes {
            Some(bytes) if strings => {
                if let Some(k) = input.ids.iter().position(|&raw| recom_abi::request::string_of(raw, bytes).is_none()) {
                    return bad(format!("string reference {k} lies outside the column's {} bytes", bytes.len()));
                }
            }
            None if !strings => {}
            b => return bad(format!("takes strings: {strings}, bytes given: {:?}", b.as_ref().map(Vec::len))),
        }
        let rows = rest.len();
        match batch {
            Some(b) if b != rows => return bad(format!("{rows} rows, column 0 has {b}")),
            _ => batch = Some(rows),
        }
    }
    Ok(batch.unwrap_or(0))
}

/// The id actually read for entry `id`, or `None` if the entry is dropped.
pub fn effective_id(column: &Column, rows: usize, id: i64, bytes: &[u8]) -> Result<Option<i64>, i64> {
    let id = column.transform.as_ref().map_or(id, |t| t.apply(id, bytes));
    let id = column.filter.map_or(id, |f| f.apply(id));
    if id < 0 {
        return Ok(None);
    }
    if id >= rows as i64 {
        return match column.on_out_of_range {
            OutOfRange::Error => Err(id),
            OutOfRange::Drop => Ok(None),
            OutOfRange::Default(d) => Ok(Some(d)),
        };
    }
    Ok(Some(id))
}

/// Pools bag `row` of column `c` into `dst`; `rows` is the column's table's
/// row count and `fetch` gives a row of it (the table itself, or the rows
/// other shards sent, [`sharded`]).
pub(crate) fn pool_bag<'t>(
    c: usize,
    row: usize,
    column: &Column,
    rows: usize,
    fetch: impl Fn(usize) -> &'t [f32],
    input: &ColumnInput,
    dst: &mut [f32],
) -> Result<(), EvalError> {
    let (start, end) = (input.offsets[row] as usize, input.offsets[row + 1] as usize);
    // The rows the bag pools, with their weights, in id order.
    let mut kept: Vec<(usize, f32)> = Vec::with_capacity(end - start);
    for j in start..end {
        let w = match &input.weights {
            Some(ws) if column.weighted => ws[j],
            _ => 1.0,
        };
        // Like TensorFlow and the kernels: only weights > 0 count (NaN too is dropped).
        if column.combiner != Combiner::Sum && !(w > 0.0) {
            continue;
        }
        match effective_id(column, rows, input.ids[j], input.bytes.as_deref().unwrap_or_default()) {
            Ok(Some(id)) => kept.push((id as usize, w)),
            Ok(None) => continue,
            Err(id) => return Err(EvalError::IdOutOfRange { column: c, row, id, rows }),
        }
    }
    let mut sum_w = 0f32;
    let mut sum_w2 = 0f32;
    if column.weighted {
        // Weighted columns: Σ w·e in id order (TensorFlow's SegmentSum).
        for &(id, w) in &kept {
            for (d, e) in dst.iter_mut().zip(fetch(id)) {
                *d += w * e;
            }
            sum_w += w;
            sum_w2 += w * w;
        }
    } else {
        // Unweighted columns: TensorFlow's SparseSegment* CPU order — the
        // first n % 8 rows (8 when 8 divides n) in order, then each further
        // block of 8 rows summed on its own and added to the total.
        let n = kept.len();
        let head = if n % 8 == 0 { 8 } else { n % 8 };
        for (d, out) in dst.iter_mut().enumerate() {
            let mut acc = 0f32;
            for &(id, _) in kept.iter().take(head) {
                acc += fetch(id)[d];
            }
            for block in kept.get(head..).unwrap_or(&[]).chunks(8) {
                let mut b = 0f32;
                for &(id, _) in block {
                    b += fetch(id)[d];
                }
                acc += b;
            }
            *out += acc;
        }
        sum_w = n as f32;
        sum_w2 = n as f32;
    }
    let divisor = match column.combiner {
        Combiner::Sum => return Ok(()),
        Combiner::Mean => sum_w,
        Combiner::Sqrtn => sum_w2.sqrt(),
    };
    if divisor > 0.0 {
        for d in dst.iter_mut() {
            *d /= divisor;
        }
    }
    Ok(())
}

/// How far an output is from the expected one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diff {
    /// Largest |got - expected|.
    pub max_abs: f64,
    /// Largest |got - expected| / max(1, |expected|).
    pub max_rel: f64,
    /// The element with the largest relative error.
    pub worst: usize,
}

/// Compares two outputs element by element, the way every test and the
/// benchmark must: the lengths must agree (an error otherwise), a NaN or an
/// infinity where the other side has something else is an infinite error
/// (NaN against NaN and equal infinities match), so no NaN hides behind a
/// `max` that drops it.
pub fn compare(got: &[f32], expected: &[f32]) -> Result<Diff, String> {
    if got.len() != expected.len() {
        return Err(format!("{} values, expected {}", got.len(), expected.len()));
    }
    let mut diff = Diff { max_abs: 0.0, max_rel: 0.0, worst: 0 };
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let (g, e) = (g as f64, e as f64);
        let (abs, rel) = if g == e || (g.is_nan() && e.is_nan()) {
            (0.0, 0.0)
        } else if !g.is_finite() || !e.is_finite() {
            (f64::INFINITY, f64::INFINITY)
        } else {
            let abs = (g - e).abs();
            (abs, abs / e.abs().max(1.0))
        };
        if rel > diff.max_rel || (i == 0 && rel > 0.0) {
            diff.max_rel = rel;
            diff.worst = i;
        }
        diff.max_abs = diff.max_abs.max(abs);
    }
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize, dim: usize) -> Table {
        Table { rows, dim, data: (0..rows * dim).map(|i| i as f32).collect() }
    }

    fn col(combiner: Combiner, weighted: bool) -> Column {
        Column { table: 0, combiner, weighted, filter: None, on_out_of_range: OutOfRange::Error, transform: None }
    }

    fn input(ids: &[i64], offsets: &[i64], weights: Option<&[f32]>) -> ColumnInput {
        ColumnInput { ids: ids.to_vec(), offsets: offsets.to_vec(), weights: weights.map(|w| w.to_vec()), bytes: None }
    }

    #[test]
    fn combiners_and_empty_rows() {
        let t = table(4, 2); // row i = [2i, 2i+1]
        let ids = [1, 3, -1];
        let offs = [0, 2, 2, 3];
        let run = |c| evaluate(&Model { tables: vec![t.clone()], columns: vec![col(c, false)] }, &[input(&ids, &offs, None)]);
        // row 0: rows 1 and 3 = [2,3] + [6,7]; row 1 empty; row 2 only a dropped id.
        assert_eq!(run(Combiner::Sum).unwrap(), vec![8., 10., 0., 0., 0., 0.]);
        assert_eq!(run(Combiner::Mean).unwrap(), vec![4., 5., 0., 0., 0., 0.]);
        let s = 2f32.sqrt();
        assert_eq!(run(Combiner::Sqrtn).unwrap(), vec![8. / s, 10. / s, 0., 0., 0., 0.]);
    }

    #[test]
    fn weights_and_nonpositive_weights() {
        let t = table(4, 1);
        let ids = [1, 2, 3];
        let offs = [0, 3];
        let w = [2.0, -1.0, 0.5];
        let run = |c| {
            evaluate(&Model { tables: vec![t.clone()], columns: vec![col(c, true)] }, &[input(&ids, &offs, Some(&w))])
        };
        assert_eq!(run(Combiner::Sum).unwrap(), vec![2. * 1. - 2. + 0.5 * 3.]);
        // mean/sqrtn drop the -1 weight.
        assert_eq!(run(Combiner::Mean).unwrap(), vec![(2. + 1.5) / 2.5]);
        assert_eq!(run(Combiner::Sqrtn).unwrap(), vec![3.5 / (4.25f32).sqrt()]);
        // A NaN weight: dropped by mean and sqrtn (as TensorFlow and the
        // kernels do), a NaN sum.
        let w = [2.0, f32::NAN, 0.5];
        let run = |c| {
            evaluate(&Model { tables: vec![t.clone()], columns: vec![col(c, true)] }, &[input(&ids, &offs, Some(&w))])
        };
        assert_eq!(run(Combiner::Mean).unwrap(), vec![(2. + 1.5) / 2.5]);
        assert_eq!(run(Combiner::Sqrtn).unwrap(), vec![3.5 / (4.25f32).sqrt()]);
        assert!(run(Combiner::Sum).unwrap()[0].is_nan());
    }

    #[test]
    fn out_of_range_policies_and_filters() {
        let t = table(4, 1);
        let ids = [7, 2];
        let offs = [0, 2];
        let mut c = col(Combiner::Sum, false);
        let model = |c: &Column| Model { tables: vec![t.clone()], columns: vec![c.clone()] };
        assert_eq!(
            evaluate(&model(&c), &[input(&ids, &offs, None)]),
            Err(EvalError::IdOutOfRange { column: 0, row: 0, id: 7, rows: 4 })
        );
        c.on_out_of_range = OutOfRange::Drop;
        assert_eq!(evaluate(&model(&c), &[input(&ids, &offs, None)]).unwrap(), vec![2.]);
        c.on_out_of_range = OutOfRange::Default(3);
        assert_eq!(evaluate(&model(&c), &[input(&ids, &offs, None)]).unwrap(), vec![5.]);
        c.on_out_of_range = OutOfRange::Error;
        c.filter = Some(Filter { lo: 0, hi: 3, default: None });
        assert_eq!(evaluate(&model(&c), &[input(&ids, &offs, None)]).unwrap(), vec![2.]);
        c.filter = Some(Filter { lo: 0, hi: 3, default: Some(0) });
        assert_eq!(evaluate(&model(&c), &[input(&ids, &offs, None)]).unwrap(), vec![2.]);
        c.filter = Some(Filter { lo: 0, hi: 2, default: Some(1) });
        assert_eq!(evaluate(&model(&c), &[input(&ids, &offs, None)]).unwrap(), vec![2.]);
    }

    #[test]
    fn comparisons_see_every_nan_and_every_missing_value() {
        let expected = [1.0, 2.0, 3.0];
        assert_eq!(compare(&expected, &expected).unwrap(), Diff { max_abs: 0.0, max_rel: 0.0, worst: 0 });
        let close = compare(&[1.0, 2.5, 3.0], &expected).unwrap();
        assert_eq!((close.max_abs, close.max_rel, close.worst), (0.5, 0.25, 1));
        // One element NaN: an infinite error at that element.
        let nan = compare(&[1.0, 2.0, f32::NAN], &expected).unwrap();
        assert_eq!((nan.max_rel, nan.worst), (f64::INFINITY, 2));
        assert_eq!(compare(&[f32::NAN], &[1.0]).unwrap().max_abs, f64::INFINITY);
        assert_eq!(compare(&[f32::INFINITY], &[1.0]).unwrap().max_rel, f64::INFINITY);
        assert_eq!(compare(&[f32::NAN, f32::INFINITY], &[f32::NAN, f32::INFINITY]).unwrap().max_rel, 0.0);
        // One element short: an error, not a shorter comparison.
        assert_eq!(compare(&expected[..2], &expected).unwrap_err(), "2 values, expected 3");
    }

    #[test]
    fn concat_in_column_order() {
        let model = Model {
            tables: vec![table(3, 2), table(5, 1)],
            columns: vec![col(Combiner::Sum, false), Column { table: 1, ..col(Combiner::Sum, true) }],
        };
        let inputs =
            [input(&[0, 2], &[0, 1, 2], None), input(&[4, 4, 1], &[0, 2, 3], Some(&[1.0, 0.5, 2.0]))];
        assert_eq!(evaluate(&model, &inputs).unwrap(), vec![0., 1., 6., 4., 5., 2.]);
        assert!(matches!(evaluate(&model, &inputs[..1]), Err(EvalError::ColumnCount { .. })));
    }

}
