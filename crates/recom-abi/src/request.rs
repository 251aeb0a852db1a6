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
    /// For a column whose raw values are strings (a string transform): the
    /// strings' bytes, and `ids` are references into them ([`string_ref`]).
    pub bytes: Option<Vec<u8>>,
}

/// Bits of a string reference that hold the length: a string may have up
/// to 16 MiB - 1 bytes.
pub const STRING_LEN_BITS: u32 = 24;

/// The most bytes a request's strings may have in all (references hold the
/// start in the remaining 39 bits).
pub const MAX_STRING_BYTES: usize = 1 << 39;

/// The reference to `len` bytes at `start` of a column's (or, packed, the
/// request's) bytes: `start << 24 | len`.
pub fn string_ref(start: usize, len: usize) -> i64 {
    ((start as i64) << STRING_LEN_BITS) | len as i64
}

/// `(start, len)` of a reference.
pub fn string_span(raw: i64) -> (usize, usize) {
    ((raw as u64 >> STRING_LEN_BITS) as usize, (raw & ((1 << STRING_LEN_BITS) - 1)) as usize)
}

/// The string a reference names in `bytes`, `None` if it lies outside.
pub fn string_of(raw: i64, bytes: &[u8]) -> Option<&[u8]> {
    let (start, len) = string_span(raw);
    (raw >= 0).then_some(())?;
    bytes.get(start..start.checked_add(len)?)
}

/// The references and bytes of `strings` (a string column's raw values).
pub fn string_refs<S: AsRef<[u8]>>(strings: &[S]) -> Result<(Vec<i64>, Vec<u8>), String> {
    let total: usize = strings.iter().map(|s| s.as_ref().len()).sum();
    if total >= MAX_STRING_BYTES {
        return Err(format!("the strings have {total} bytes in all, more than {MAX_STRING_BYTES}"));
    }
    let mut bytes = Vec::with_capacity(total);
    let mut refs = Vec::with_capacity(strings.len());
    for (k, s) in strings.iter().enumerate() {
        let s = s.as_ref();
        if s.len() >> STRING_LEN_BITS != 0 {
            return Err(format!("string {k} has {} bytes, more than the {} a hashed string may have", s.len(), (1usize << STRING_LEN_BITS) - 1));
        }
        refs.push(string_ref(bytes.len(), s.len()));
        bytes.extend_from_slice(s);
    }
    Ok((refs, bytes))
}

/// Why a request is rejected before anything runs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("the model has {expected} columns but the request has {got}")]
    ColumnCount { expected: usize, got: usize },
    #[error("column {column}: {problem}")]
    BadColumn { column: usize, problem: String },
    #[error("the request has {ids} ids, more than the {max} this model's kernel can address (it reads 32-bit offsets)")]
    TooManyIds { ids: usize, max: usize },
    #[error("the request's strings have {bytes} bytes in all, more than {max}")]
    TooManyBytes { bytes: usize, max: usize },
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
    if let Some(bytes) = &input.bytes {
        if let Some(k) = input.ids.iter().position(|&raw| string_of(raw, bytes).is_none()) {
            let (start, len) = string_span(input.ids[k]);
            return Err(bad(column, format!("string reference {k} ({len} bytes at {start}) lies outside the column's {} bytes", bytes.len())));
        }
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

/// The ids (and offsets) from which a request is validated and packed on several cores:
/// below it, waking the thread pool costs more than the work.
pub const PARALLEL_IDS: usize = 1 << 14;

pub fn is_large(inputs: &[ColumnInput]) -> bool {
    inputs.iter().map(|i| i.ids.len() + i.offsets.len()).sum::<usize>() >= PARALLEL_IDS
}

/// Validates every column (in parallel for a large request) and returns the common batch size.
/// The error is the one of the first bad column.
pub fn validate_all(inputs: &[ColumnInput], weighted: &[bool]) -> Result<usize, InputError> {
    use rayon::prelude::*;
    if inputs.len() != weighted.len() {
        return Err(InputError::ColumnCount { expected: weighted.len(), got: inputs.len() });
    }
    let check = |(c, (input, &w)): (usize, (&ColumnInput, &bool))| validate(c, input, w);
    let batches: Vec<Result<usize, InputError>> = if is_large(inputs) {
        inputs.par_iter().zip(weighted).enumerate().map(check).collect()
    } else {
        inputs.iter().zip(weighted).enumerate().map(check).collect()
    };
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

/// Where each section of a request lies in ONE byte buffer (what the GPU
/// runtime uploads in a single copy, and the CPU path hands to the kernel):
/// an 8-byte status word (zero), then the packed ids, offsets and weights,
/// each 8-byte aligned. `(byte offset, count)`. Ids and offsets are
/// `index_bytes` wide: 8, or 4 for a kernel that reads them as i32 (each id
/// clamped into i32: the kernel's rules give a clamped id the same fate,
/// see `emb-lower-fused-columns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteLayout {
    pub batch: usize,
    pub index_bytes: usize,
    pub ids: (usize, usize),
    pub offsets: (usize, usize),
    pub weights: (usize, usize),
    /// The string bytes of every string column.
    pub strings: (usize, usize),
    pub bytes: usize,
}

impl ByteLayout {
    /// Validates the request and lays it out for a kernel reading
    /// `index_bits`-wide (32 or 64) ids and offsets.
    pub fn of(inputs: &[ColumnInput], weighted: &[bool], index_bits: u32) -> Result<ByteLayout, InputError> {
        Self::with_limit(inputs, weighted, index_bits, i32::MAX as usize)
    }

    /// [`Self::of`] with the most ids 32-bit offsets may address as a
    /// parameter (tests use a small one).
    fn with_limit(inputs: &[ColumnInput], weighted: &[bool], index_bits: u32, max_ids: usize) -> Result<ByteLayout, InputError> {
        let batch = validate_all(inputs, weighted)?;
        Self::sized(inputs, weighted, index_bits, max_ids, batch)
    }

    /// The layout a request will have, from its lengths alone (one look at
    /// each column, no pass over its values): what a caller needs to size
    /// the buffer [`Unvalidated::write_validated`] then checks and fills in
    /// one pass. Fails on what the lengths already show (column count, a
    /// batch that differs between columns, the last offset against the ids).
    pub fn size(inputs: &[ColumnInput], weighted: &[bool], index_bits: u32) -> Result<Unvalidated, InputError> {
        if inputs.len() != weighted.len() {
            return Err(InputError::ColumnCount { expected: weighted.len(), got: inputs.len() });
        }
        // On a fault seen in column c, a fault the full check finds in column
        // c or before is the one reported, as `validate_all` would.
        let first_fault = |c: usize, fault: InputError| -> InputError {
            (0..=c).find_map(|k| validate(k, &inputs[k], weighted[k]).err()).unwrap_or(fault)
        };
        let mut batch = None;
        for (c, input) in inputs.iter().enumerate() {
            let rows = match input.offsets.last() {
                None => return Err(first_fault(c, bad(c, "row offsets are empty (a batch of B rows needs B + 1 offsets)"))),
                Some(&last) if last != input.ids.len() as i64 => {
                    return Err(first_fault(c, bad(c, format!("the last row offset is {last} but there are {} ids", input.ids.len()))))
                }
                Some(_) => input.offsets.len() - 1,
            };
            match batch {
                None => batch = Some(rows),
                Some(b0) if b0 != rows => return Err(first_fault(c, bad(c, format!("batch of {rows} rows, but column 0 has {b0}")))),
                _ => {}
            }
        }
        Self::sized(inputs, weighted, index_bits, i32::MAX as usize, batch.unwrap_or(0)).map(Unvalidated)
    }

    fn sized(inputs: &[ColumnInput], weighted: &[bool], index_bits: u32, max_ids: usize, batch: usize) -> Result<ByteLayout, InputError> {
        let n_ids: usize = inputs.iter().map(|i| i.ids.len()).sum();
        let index_bytes = if index_bits == 32 { 4 } else { 8 };
        if index_bytes == 4 && n_ids > max_ids {
            return Err(InputError::TooManyIds { ids: n_ids, max: max_ids });
        }
        let n_weights = if weighted.iter().any(|&w| w) { n_ids } else { 0 };
        let n_strings: usize = inputs.iter().filter_map(|i| i.bytes.as_ref()).map(Vec::len).sum();
        if n_strings >= MAX_STRING_BYTES {
            return Err(InputError::TooManyBytes { bytes: n_strings, max: MAX_STRING_BYTES });
        }
        if index_bytes == 4 && inputs.iter().any(|i| i.bytes.is_some()) {
            return Err(bad(inputs.iter().position(|i| i.bytes.is_some()).unwrap_or(0), "string references need a kernel reading 64-bit ids"));
        }
        let ids = (8, n_ids);
        let offsets = ((ids.0 + index_bytes * n_ids).next_multiple_of(8), inputs.len() * (batch + 1));
        let weights = ((offsets.0 + index_bytes * offsets.1).next_multiple_of(8), n_weights);
        let strings = ((weights.0 + 4 * n_weights).next_multiple_of(8), n_strings);
        let bytes = (strings.0 + n_strings).next_multiple_of(8);
        Ok(ByteLayout { batch, index_bytes, ids, offsets, weights, strings, bytes })
    }

    /// Writes the validated request into `out` (at least `bytes` long): the
    /// same layout [`pack`] builds, as bytes. Columns are written in parallel
    /// (each owns disjoint parts of `out`).
    pub fn write(&self, inputs: &[ColumnInput], out: &mut [u8]) {
        let Ok(()) = self.write_pieces::<std::convert::Infallible>(inputs, out, |_, _| Ok(()));
    }

    /// Cuts `out` into each column's pieces and writes them, running
    /// `check(column, input)` on each column first (in parallel for a large
    /// request); the first failing column's error (by column order) wins.
    fn write_pieces<E: Send>(&self, inputs: &[ColumnInput], out: &mut [u8], check: impl Fn(usize, &ColumnInput) -> Result<(), E> + Sync) -> Result<(), E> {
        use rayon::prelude::*;
        let (status, rest) = out.split_at_mut(self.ids.0);
        status[..8].fill(0);
        let (mut ids, rest) = rest.split_at_mut(self.offsets.0 - self.ids.0);
        let (mut offsets, rest) = rest.split_at_mut(self.weights.0 - self.offsets.0);
        let (mut weights, rest) = rest.split_at_mut(self.strings.0 - self.weights.0);
        weights = &mut weights[..4 * self.weights.1];
        let mut strings = &mut rest[..self.strings.1];
        // Each column's three pieces, cut off the front of each section.
        let mut pieces = Vec::with_capacity(inputs.len());
        let mut base = 0i64;
        let mut string_base = 0i64;
        let width = self.index_bytes;
        for input in inputs {
            let (i, rest) = std::mem::take(&mut ids).split_at_mut(width * input.ids.len());
            ids = rest;
            let (o, rest) = std::mem::take(&mut offsets).split_at_mut(width * input.offsets.len());
            offsets = rest;
            let n_w = if self.weights.1 > 0 { 4 * input.ids.len() } else { 0 };
            let (w, rest) = std::mem::take(&mut weights).split_at_mut(n_w);
            weights = rest;
            let n_s = input.bytes.as_ref().map_or(0, Vec::len);
            let (s, rest) = std::mem::take(&mut strings).split_at_mut(n_s);
            strings = rest;
            pieces.push((pieces.len(), input, i, o, w, s, base, string_base));
            base += input.ids.len() as i64;
            string_base += n_s as i64;
        }
        let write = |(column, input, i, o, w, s, base, string_base): Piece| -> Result<(), E> {
            check(column, input)?;
            if let Some(bytes) = &input.bytes {
                // References move by the bytes of the string columns before.
                s.copy_from_slice(bytes);
                put(i, &input.ids, |raw| raw + (string_base << STRING_LEN_BITS));
                put(o, &input.offsets, |offset| offset + base);
            } else if width == 8 {
                i.copy_from_slice(as_bytes(&input.ids));
                put(o, &input.offsets, |offset| offset + base);
            } else {
                // Clamped: past i32's range an id keeps its fate (negative:
                // dropped; too large: past every table's end and filter).
                put(i, &input.ids, |id| id.clamp(i32::MIN.into(), i32::MAX.into()) as i32);
                // Fits: the request's ids were counted against i32::MAX.
                put(o, &input.offsets, |offset| (offset + base) as i32);
            }
            match &input.weights {
                Some(weights) if !w.is_empty() => w.copy_from_slice(as_bytes(weights)),
                _ => w.chunks_exact_mut(4).for_each(|chunk| chunk.copy_from_slice(&1.0f32.to_ne_bytes())),
            }
            Ok(())
        };
        if is_large(inputs) {
            // Every column is written even after one failed; the first
            // failure by column order is the one reported.
            let done: Vec<Result<(), E>> = pieces.into_par_iter().map(write).collect();
            done.into_iter().collect()
        } else {
            pieces.into_iter().try_for_each(write)
        }
    }
}

/// A request's layout from its lengths ([`ByteLayout::size`]), before its
/// values are checked: it can size a buffer but not fill one unchecked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unvalidated(ByteLayout);

impl Unvalidated {
    /// Bytes the packed request takes.
    pub fn bytes(&self) -> usize {
        self.0.bytes
    }

    /// Validates every column ([`validate`]: offsets, string references,
    /// weights) and writes it into `out` in the same pass, in parallel over
    /// columns for a large request: each column's values are read once,
    /// straight into `out` (e.g. page-locked staging). On an error `out`
    /// holds a partial request that must not be used.
    pub fn write_validated(self, inputs: &[ColumnInput], weighted: &[bool], out: &mut [u8]) -> Result<ByteLayout, InputError> {
        let layout = self.0;
        layout.write_pieces(inputs, out, |c, input| {
            let rows = validate(c, input, weighted[c])?;
            if rows != layout.batch {
                return Err(bad(c, format!("batch of {rows} rows, but column 0 has {}", layout.batch)));
            }
            Ok(())
        })?;
        Ok(layout)
    }
}

/// One column's part of a packed request: its index and input, its pieces of the ids,
/// offsets, weights and string sections, and the ids and string bytes of
/// the columns before it.
type Piece<'a, 'b> = (usize, &'a ColumnInput, &'b mut [u8], &'b mut [u8], &'b mut [u8], &'b mut [u8], i64, i64);

/// The integer widths a packed request holds (i32 or i64 ids and offsets).
trait Word: Copy {}
impl Word for i32 {}
impl Word for i64 {}

/// Writes `f(v)` for every `v` of `values` into `out`, one native-endian
/// word after another at any alignment (`out` must hold exactly that many
/// words): one unaligned store per value, no byte slice per value.
fn put<W: Word>(out: &mut [u8], values: &[i64], f: impl Fn(i64) -> W) {
    assert_eq!(out.len(), std::mem::size_of::<W>() * values.len(), "a piece holds one word per value");
    let at = out.as_mut_ptr() as *mut W;
    for (k, &v) in values.iter().enumerate() {
        // In bounds: checked above; `W` is a plain integer.
        unsafe { at.add(k).write_unaligned(f(v)) };
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
        ColumnInput { ids: ids.to_vec(), offsets: offsets.to_vec(), weights: weights.map(|w| w.to_vec()), bytes: None }
    }

    /// The sections of a written layout, read back as i64 ids and offsets and f32 weights.
    fn read_back(layout: &ByteLayout, bytes: &[u8]) -> (Vec<i64>, Vec<i64>, Vec<f32>) {
        let w = layout.index_bytes;
        let index = |(at, n): (usize, usize)| -> Vec<i64> {
            (0..n)
                .map(|k| {
                    let b = &bytes[at + w * k..at + w * k + w];
                    if w == 8 { i64::from_ne_bytes(b.try_into().unwrap()) } else { i32::from_ne_bytes(b.try_into().unwrap()).into() }
                })
                .collect()
        };
        let weights = (0..layout.weights.1)
            .map(|k| f32::from_ne_bytes(bytes[layout.weights.0 + 4 * k..layout.weights.0 + 4 * k + 4].try_into().unwrap()))
            .collect();
        (index(layout.ids), index(layout.offsets), weights)
    }

    #[test]
    fn packs_columns_with_absolute_offsets_at_both_widths() {
        let inputs = [input(&[0, 2], &[0, 1, 2], None), input(&[4, 4, 1], &[0, 2, 3], Some(&[1.0, 0.5, 2.0]))];
        let weighted = [false, true];
        for bits in [32, 64] {
            let layout = ByteLayout::of(&inputs, &weighted, bits).unwrap();
            let mut bytes = vec![0xffu8; layout.bytes];
            layout.write(&inputs, &mut bytes);
            assert_eq!(&bytes[..8], &[0; 8], "{bits}: status word");
            let (ids, offsets, weights) = read_back(&layout, &bytes);
            assert_eq!(ids, vec![0, 2, 4, 4, 1], "{bits}");
            assert_eq!(offsets, vec![0, 1, 2, 2, 4, 5], "{bits}");
            assert_eq!(weights, vec![1.0, 1.0, 1.0, 0.5, 2.0], "{bits}");
            assert_eq!(layout.batch, 2);
            assert_eq!(layout.offsets.0 % 8, 0);
            assert_eq!(layout.weights.0 % 8, 0);
        }
        assert_eq!(ByteLayout::of(&inputs[..1], &[false], 64).unwrap().weights.1, 0);
        // 5 ids and 6 offsets: 8 + 40 + 48 + 20 bytes at 64 bits, 8 + 24 (20 aligned) + 24 + 20 at 32.
        assert_eq!(ByteLayout::of(&inputs, &weighted, 64).unwrap().bytes, 120);
        assert_eq!(ByteLayout::of(&inputs, &weighted, 32).unwrap().bytes, 80);
    }

    #[test]
    fn string_columns_pack_their_bytes_and_rebase_their_references() {
        let (refs0, bytes0) = string_refs(&[&b"ab"[..], b"", b"xyz"]).unwrap();
        let (refs1, bytes1) = string_refs(&["é"]).unwrap();
        let inputs = [
            ColumnInput { ids: refs0, offsets: vec![0, 2, 3], weights: None, bytes: Some(bytes0) },
            input(&[4, 5], &[0, 1, 2], None),
            ColumnInput { ids: refs1, offsets: vec![0, 0, 1], weights: None, bytes: Some(bytes1) },
        ];
        let layout = ByteLayout::of(&inputs, &[false; 3], 64).unwrap();
        assert_eq!(layout.strings.1, 7);
        let mut bytes = vec![0xffu8; layout.bytes];
        layout.write(&inputs, &mut bytes);
        let (ids, offsets, _) = read_back(&layout, &bytes);
        let strings = &bytes[layout.strings.0..layout.strings.0 + layout.strings.1];
        assert_eq!(strings, "abxyzé".as_bytes());
        let named: Vec<&[u8]> = [0, 1, 2, 5].iter().map(|&k| string_of(ids[k], strings).unwrap()).collect();
        assert_eq!(named, [&b"ab"[..], b"", b"xyz", "é".as_bytes()]);
        assert_eq!(&ids[3..5], &[4, 5]);
        assert_eq!(offsets, vec![0, 2, 3, 3, 4, 5, 5, 5, 6]);
        // References must lie inside the column's bytes; strings need 64-bit ids.
        let mut bad = inputs.clone();
        bad[2].ids[0] = string_ref(1, 2);
        assert_eq!(
            ByteLayout::of(&bad, &[false; 3], 64).unwrap_err().to_string(),
            "column 2: string reference 0 (2 bytes at 1) lies outside the column's 2 bytes"
        );
        bad[2].ids[0] = -1;
        assert!(ByteLayout::of(&bad, &[false; 3], 64).is_err());
        assert_eq!(ByteLayout::of(&inputs, &[false; 3], 32).unwrap_err().to_string(), "column 0: string references need a kernel reading 64-bit ids");
        assert!(string_refs(&[vec![0u8; 1 << 24]]).unwrap_err().contains("more than the 16777215"));
    }

    #[test]
    fn ids_past_32_bits_are_clamped_keeping_their_fate() {
        let big = [i64::MAX, i64::from(i32::MAX) + 1, -(1 << 40), i64::from(i32::MIN), 7];
        let inputs = [input(&big, &[0, 2, 5], None)];
        let layout = ByteLayout::of(&inputs, &[false], 32).unwrap();
        let mut bytes = vec![0u8; layout.bytes];
        layout.write(&inputs, &mut bytes);
        let (ids, offsets, _) = read_back(&layout, &bytes);
        let (max, min) = (i64::from(i32::MAX), i64::from(i32::MIN));
        assert_eq!(ids, vec![max, max, min, min, 7]);
        assert_eq!(offsets, vec![0, 2, 5]);
    }

    #[test]
    fn too_many_ids_for_32_bit_offsets_is_an_error() {
        let inputs = [input(&[1, 2, 3], &[0, 3], None)];
        let e = ByteLayout::with_limit(&inputs, &[false], 32, 2).unwrap_err();
        assert_eq!(e.to_string(), "the request has 3 ids, more than the 2 this model's kernel can address (it reads 32-bit offsets)");
        assert!(ByteLayout::with_limit(&inputs, &[false], 64, 2).is_ok());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let pack = |inputs: &[ColumnInput], weighted: &[bool]| ByteLayout::of(inputs, weighted, 64);
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

    /// Sizing from the lengths, then checking and writing in one pass: the
    /// same bytes as validating and writing apart, and the same errors,
    /// the first bad column's, on small (one thread) and large (parallel)
    /// requests alike.
    #[test]
    fn validating_while_writing_equals_validating_then_writing() {
        let one_pass = |inputs: &[ColumnInput], weighted: &[bool], bits: u32| -> Result<(ByteLayout, Vec<u8>), InputError> {
            let sized = ByteLayout::size(inputs, weighted, bits)?;
            let mut out = vec![0u8; sized.bytes()];
            let layout = sized.write_validated(inputs, weighted, &mut out)?;
            Ok((layout, out))
        };
        let two_passes = |inputs: &[ColumnInput], weighted: &[bool], bits: u32| -> Result<(ByteLayout, Vec<u8>), InputError> {
            let layout = ByteLayout::of(inputs, weighted, bits)?;
            let mut out = vec![0u8; layout.bytes];
            layout.write(inputs, &mut out);
            Ok((layout, out))
        };
        // Columns of 0..7 ids per row over `batch` rows: small and large requests.
        let column = |c: usize, batch: usize| {
            let mut ids = Vec::new();
            let mut offsets = vec![0i64];
            for r in 0..batch {
                ids.extend((0..(r + c) % 7).map(|k| (r * 31 + k * 7 + c) as i64));
                offsets.push(ids.len() as i64);
            }
            let weights = (c % 2 == 1).then(|| ids.iter().map(|&i| i as f32 * 0.5).collect());
            ColumnInput { ids, offsets, weights, bytes: None }
        };
        for batch in [1, 3, 2000] {
            let inputs: Vec<ColumnInput> = (0..9).map(|c| column(c, batch)).collect();
            let weighted: Vec<bool> = (0..9).map(|c| c % 2 == 1).collect();
            assert_eq!(is_large(&inputs), batch == 2000);
            for bits in [32, 64] {
                let (one, two) = (one_pass(&inputs, &weighted, bits).unwrap(), two_passes(&inputs, &weighted, bits).unwrap());
                assert_eq!(one.0, two.0, "batch {batch}, {bits}-bit");
                assert!(one.1 == two.1, "batch {batch}, {bits}-bit: other bytes");
            }
            // Faults in columns 2 and 6: column 2's is reported, as before.
            let mut bad = inputs.clone();
            bad[2].offsets[0] = 1;
            bad[6].offsets[0] = 5;
            let expected = two_passes(&bad, &weighted, 32).unwrap_err();
            assert!(expected.to_string().starts_with("column 2: "), "{expected}");
            assert_eq!(one_pass(&bad, &weighted, 32).unwrap_err(), expected);
            // Column 1's offsets decrease (and give another batch unless B = 3):
            // that fault is named, not the batch the other columns disagree with.
            let mut shrunk = inputs.clone();
            shrunk[1].offsets = vec![0, 2, 1, shrunk[1].ids.len() as i64];
            let expected = two_passes(&shrunk, &weighted, 32).unwrap_err();
            assert!(expected.to_string().contains("decrease"), "{expected}");
            assert_eq!(one_pass(&shrunk, &weighted, 32).unwrap_err(), expected);
            if batch != 3 {
                // Seen from the lengths already (a batch of 3 is not).
                assert_eq!(ByteLayout::size(&shrunk, &weighted, 32).unwrap_err(), expected);
            }
            // What the lengths show is found before any buffer is asked for.
            let mut short = inputs.clone();
            short[4].offsets.pop();
            let last = *short[4].offsets.last().unwrap();
            short[4].ids.truncate(last as usize);
            short[4].weights = None;
            assert!(ByteLayout::size(&short, &weighted, 32).unwrap_err().to_string().starts_with("column 4: batch of"));
            let mut unweighted = inputs.clone();
            unweighted[3].weights = None;
            let expected = two_passes(&unweighted, &weighted, 32).unwrap_err();
            assert_eq!(one_pass(&unweighted, &weighted, 32).unwrap_err(), expected);
        }
    }
}
