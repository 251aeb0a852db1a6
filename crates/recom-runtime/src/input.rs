//! Requests: one CSR input per column, validated and packed into the layout
//! the fused kernel reads (one buffer each for ids, offsets and weights, so a
//! request is one host-to-device copy).

/// One column's input for a batch, in CSR form.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ColumnInput {
    pub ids: Vec<i64>,
    /// B + 1 offsets into `ids`: row r owns `ids[offsets[r]..offsets[r + 1]]`.
    pub offsets: Vec<i64>,
    /// One weight per id for weighted columns, `None` otherwise.
    pub weights: Option<Vec<f32>>,
}

/// Why a request is rejected before anything runs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("the model has {expected} columns but the request has {got}")]
    ColumnCount { expected: usize, got: usize },
    #[error("column {column}: {problem}")]
    BadColumn { column: usize, problem: String },
}

fn bad(column: usize, problem: impl Into<String>) -> InputError {
    InputError::BadColumn { column, problem: problem.into() }
}

/// Checks one column's CSR input; returns its batch size. Valid offsets are
/// what keeps every kernel read in bounds.
pub fn validate(column: usize, input: &ColumnInput, weighted: bool) -> Result<usize, InputError> {
    let offsets = &input.offsets;
    if offsets.is_empty() {
        return Err(bad(column, "row offsets are empty (a batch of B rows needs B + 1 offsets)"));
    }
    if offsets[0] != 0 {
        return Err(bad(column, format!("row offsets must start at 0, got {}", offsets[0])));
    }
    if let Some(r) = offsets.windows(2).position(|w| w[1] < w[0]) {
        return Err(bad(column, format!("row offsets decrease at row {r}: {} > {}", offsets[r], offsets[r + 1])));
    }
    let last = *offsets.last().unwrap();
    if last != input.ids.len() as i64 {
        return Err(bad(column, format!("the last row offset is {last} but there are {} ids", input.ids.len())));
    }
    match (&input.weights, weighted) {
        (Some(w), true) if w.len() != input.ids.len() => {
            Err(bad(column, format!("{} weights for {} ids", w.len(), input.ids.len())))
        }
        (None, true) => Err(bad(column, "the column is weighted but no weights were given")),
        (Some(_), false) => Err(bad(column, "the column is unweighted but weights were given")),
        _ => Ok(offsets.len() - 1),
    }
}

/// Validates every column and returns the common batch size.
pub fn validate_all(inputs: &[ColumnInput], weighted: &[bool]) -> Result<usize, InputError> {
    if inputs.len() != weighted.len() {
        return Err(InputError::ColumnCount { expected: weighted.len(), got: inputs.len() });
    }
    let mut batch = None;
    for (c, (input, &w)) in inputs.iter().zip(weighted).enumerate() {
        let b = validate(c, input, w)?;
        match batch {
            None => batch = Some(b),
            Some(b0) if b0 != b => return Err(bad(c, format!("batch of {b} rows, but column 0 has {b0}"))),
            _ => {}
        }
    }
    Ok(batch.unwrap_or(0))
}

/// All columns' inputs in the fused kernel's layout.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Packed {
    /// Every column's ids, column after column.
    pub ids: Vec<i64>,
    /// Per column B + 1 offsets into `ids` (absolute positions), column after column.
    pub offsets: Vec<i64>,
    /// One weight per id (1.0 for unweighted columns), or empty when no column is weighted.
    pub weights: Vec<f32>,
    pub batch: usize,
}

/// Validates and packs a request (`weighted[c]`: whether column c has weights).
pub fn pack(inputs: &[ColumnInput], weighted: &[bool]) -> Result<Packed, InputError> {
    let batch = validate_all(inputs, weighted)?;
    let any_weighted = weighted.iter().any(|&w| w);
    let total: usize = inputs.iter().map(|i| i.ids.len()).sum();
    let mut packed = Packed {
        ids: Vec::with_capacity(total),
        offsets: Vec::with_capacity(inputs.len() * (batch + 1)),
        weights: Vec::with_capacity(if any_weighted { total } else { 0 }),
        batch,
    };
    for input in inputs {
        let base = packed.ids.len() as i64;
        packed.offsets.extend(input.offsets.iter().map(|o| o + base));
        packed.ids.extend_from_slice(&input.ids);
        if any_weighted {
            match &input.weights {
                Some(w) => packed.weights.extend_from_slice(w),
                None => packed.weights.extend(std::iter::repeat_n(1.0, input.ids.len())),
            }
        }
    }
    Ok(packed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ids: &[i64], offsets: &[i64], weights: Option<&[f32]>) -> ColumnInput {
        ColumnInput { ids: ids.to_vec(), offsets: offsets.to_vec(), weights: weights.map(|w| w.to_vec()) }
    }

    #[test]
    fn packs_columns_with_absolute_offsets() {
        let inputs = [input(&[0, 2], &[0, 1, 2], None), input(&[4, 4, 1], &[0, 2, 3], Some(&[1.0, 0.5, 2.0]))];
        let packed = pack(&inputs, &[false, true]).unwrap();
        assert_eq!(packed.ids, vec![0, 2, 4, 4, 1]);
        assert_eq!(packed.offsets, vec![0, 1, 2, 2, 4, 5]);
        assert_eq!(packed.weights, vec![1.0, 1.0, 1.0, 0.5, 2.0]);
        assert_eq!(packed.batch, 2);
        assert!(pack(&inputs[..1], &[false]).unwrap().weights.is_empty());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let e = |ids: &[i64], offs: &[i64]| pack(&[input(ids, offs, None)], &[false]).unwrap_err().to_string();
        assert_eq!(e(&[], &[]), "column 0: row offsets are empty (a batch of B rows needs B + 1 offsets)");
        assert_eq!(e(&[0], &[1, 1]), "column 0: row offsets must start at 0, got 1");
        assert_eq!(e(&[0, 1], &[0, 2, 1]), "column 0: row offsets decrease at row 1: 2 > 1");
        assert_eq!(e(&[0, 1], &[0, 1]), "column 0: the last row offset is 1 but there are 2 ids");
        assert!(pack(&[input(&[0], &[0, 1], Some(&[]))], &[true]).unwrap_err().to_string().contains("0 weights for 1 ids"));
        assert!(pack(&[input(&[0], &[0, 1], None)], &[true]).is_err());
        assert!(pack(&[input(&[0], &[0, 1], Some(&[1.0]))], &[false]).is_err());
        assert_eq!(pack(&[], &[false]).unwrap_err(), InputError::ColumnCount { expected: 1, got: 0 });
        let two = [input(&[0], &[0, 1], None), input(&[], &[0, 0, 0], None)];
        assert_eq!(pack(&two, &[false, false]).unwrap_err().to_string(), "column 1: batch of 2 rows, but column 0 has 1");
    }
}
