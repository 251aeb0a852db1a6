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

/// Validates every column (in parallel) and returns the common batch size.
/// The error is the one of the first bad column.
pub fn validate_all(inputs: &[ColumnInput], weighted: &[bool]) -> Result<usize, InputError> {
    use rayon::prelude::*;
    if inputs.len() != weighted.len() {
        return Err(InputError::ColumnCount { expected: weighted.len(), got: inputs.len() });
    }
    let batches: Vec<Result<usize, InputError>> =
        inputs.par_iter().zip(weighted).enumerate().map(|(c, (input, &w))| validate(c, input, w)).collect();
    let mut batch = None;
    for (c, b) in batches.into_iter().enumerate() {
        let b = b?;
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

/// Where each section of a request lies in ONE byte buffer (what the GPU
/// runtime uploads in a single copy): an 8-byte status word (zero), then the
/// packed ids, offsets and weights, each 8-byte aligned. `(byte offset, count)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteLayout {
    pub batch: usize,
    pub ids: (usize, usize),
    pub offsets: (usize, usize),
    pub weights: (usize, usize),
    pub bytes: usize,
}

impl ByteLayout {
    /// Validates the request and lays it out.
    pub fn of(inputs: &[ColumnInput], weighted: &[bool]) -> Result<ByteLayout, InputError> {
        let batch = validate_all(inputs, weighted)?;
        let n_ids: usize = inputs.iter().map(|i| i.ids.len()).sum();
        let n_weights = if weighted.iter().any(|&w| w) { n_ids } else { 0 };
        let ids = (8, n_ids);
        let offsets = (ids.0 + 8 * n_ids, inputs.len() * (batch + 1));
        let weights = (offsets.0 + 8 * offsets.1, n_weights);
        let bytes = (weights.0 + 4 * n_weights).next_multiple_of(8);
        Ok(ByteLayout { batch, ids, offsets, weights, bytes })
    }

    /// Writes the validated request into `out` (at least `bytes` long): the
    /// same layout [`pack`] builds, as bytes. Columns are written in parallel
    /// (each owns disjoint parts of `out`).
    pub fn write(&self, inputs: &[ColumnInput], out: &mut [u8]) {
        use rayon::prelude::*;
        let (status, rest) = out.split_at_mut(self.ids.0);
        status[..8].fill(0);
        let (mut ids, rest) = rest.split_at_mut(self.offsets.0 - self.ids.0);
        let (mut offsets, rest) = rest.split_at_mut(self.weights.0 - self.offsets.0);
        let mut weights = &mut rest[..4 * self.weights.1];
        // Each column's three pieces, cut off the front of each section.
        let mut pieces = Vec::with_capacity(inputs.len());
        let mut base = 0i64;
        for input in inputs {
            let (i, rest) = std::mem::take(&mut ids).split_at_mut(8 * input.ids.len());
            ids = rest;
            let (o, rest) = std::mem::take(&mut offsets).split_at_mut(8 * input.offsets.len());
            offsets = rest;
            let n_w = if self.weights.1 > 0 { 4 * input.ids.len() } else { 0 };
            let (w, rest) = std::mem::take(&mut weights).split_at_mut(n_w);
            weights = rest;
            pieces.push((input, i, o, w, base));
            base += input.ids.len() as i64;
        }
        pieces.into_par_iter().for_each(|(input, i, o, w, base)| {
            i.copy_from_slice(as_bytes(&input.ids));
            for (chunk, offset) in o.chunks_exact_mut(8).zip(&input.offsets) {
                chunk.copy_from_slice(&(offset + base).to_ne_bytes());
            }
            match &input.weights {
                Some(weights) if !w.is_empty() => w.copy_from_slice(as_bytes(weights)),
                _ => w.chunks_exact_mut(4).for_each(|chunk| chunk.copy_from_slice(&1.0f32.to_ne_bytes())),
            }
        });
    }
}

/// The bytes of a slice of plain numbers (i64, f32: no padding, no invalid
/// byte patterns).
fn as_bytes<T: Copy>(data: &[T]) -> &[u8] {
    unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data)) }
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
    fn byte_layout_matches_pack() {
        let inputs = [input(&[0, 2], &[0, 1, 2], None), input(&[4, 4, 1], &[0, 2, 3], Some(&[1.0, 0.5, 2.0]))];
        let weighted = [false, true];
        let packed = pack(&inputs, &weighted).unwrap();
        let layout = ByteLayout::of(&inputs, &weighted).unwrap();
        let mut bytes = vec![0xffu8; layout.bytes];
        layout.write(&inputs, &mut bytes);
        let read_i64 = |(at, n): (usize, usize)| -> Vec<i64> {
            (0..n).map(|k| i64::from_ne_bytes(bytes[at + 8 * k..at + 8 * k + 8].try_into().unwrap())).collect()
        };
        assert_eq!(&bytes[..8], &[0; 8]);
        assert_eq!(read_i64(layout.ids), packed.ids);
        assert_eq!(read_i64(layout.offsets), packed.offsets);
        let weights: Vec<f32> = (0..layout.weights.1)
            .map(|k| f32::from_ne_bytes(bytes[layout.weights.0 + 4 * k..layout.weights.0 + 4 * k + 4].try_into().unwrap()))
            .collect();
        assert_eq!(weights, packed.weights);
        assert_eq!(layout.batch, 2);
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
