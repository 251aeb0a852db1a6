//! The fused embedding kernel's ABI: what the compiler's lowering
//! (`emb-lower-fused-columns`), the CPU and GPU runtimes and the artifact
//! agree on.
//!
//! The kernel is one loop function over [`Buffer::SIGNATURE`]. Per-column
//! facts do not become arguments: they are data in two small tables,
//! * the column table, [`COLUMN_FIELDS`] `i64` per column (see [`field`]),
//! * the work-item table, `[items, ITEM_FIELDS]`: each item is `per_item`
//!   consecutive output elements `d0 .. d0 + per_item` (clipped to the
//!   column's dim) of one column, with what the kernel needs to gather them
//!   (see [`item`]). Items of all columns together cover every output element
//!   of a row once.
//!
//! so the kernel's code does not grow with the number of columns; it is
//! specialized per [`ColumnKind`] only.
use crate::semantics::{Combiner, Filter, IdTransform, Keys, OutOfRange, OutOfRangeKind};
/// How the kernel decodes a string column's references.
pub use crate::request::STRING_LEN_BITS;
use serde::{Deserialize, Serialize};

/// The kernel's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Buffer {
    /// Every table in one buffer ([`PackedTable::layout`]).
    Tables,
    /// The request's ids, all columns after each other.
    Ids,
    /// Each column's B + 1 row offsets, absolute into [`Buffer::Ids`].
    Offsets,
    /// One weight per id (ones for unweighted columns); empty when no column
    /// is weighted.
    Weights,
    /// `[items, ITEM_FIELDS]` work items.
    Items,
    /// The column table.
    Columns,
    /// `[B, ΣD]` output.
    Out,
    /// One status word: 0, or [`encode_status`] of the first out-of-range id
    /// of an `error` column (merged with an unsigned atomic max).
    Status,
    /// The request's string bytes, all string columns after each other; a
    /// string column's ids are references into it
    /// ([`crate::request::string_ref`]). Empty when no column takes strings.
    Bytes,
}

/// A buffer's element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    F32,
    I64,
    /// Bytes (i8).
    Byte,
    /// The kernel's index width: i32 or i64 (`index_bits`).
    Index,
}

/// A buffer's dimension: known when the kernel is built, or per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    Dynamic,
    Fixed(usize),
}

impl Buffer {
    /// The kernel's arguments, in order. Written here once: the lowering
    /// builds the loop function's signature from it, the runtimes pass
    /// their buffers in this order.
    pub const SIGNATURE: [Buffer; 9] = [
        Buffer::Tables,
        Buffer::Ids,
        Buffer::Offsets,
        Buffer::Weights,
        Buffer::Items,
        Buffer::Columns,
        Buffer::Out,
        Buffer::Status,
        Buffer::Bytes,
    ];

    /// Argument `n` of the kernel.
    pub fn from_argument(n: usize) -> Option<Buffer> {
        Self::SIGNATURE.get(n).copied()
    }

    /// The position of this buffer among the kernel's arguments.
    pub fn argument(self) -> usize {
        Self::SIGNATURE.iter().position(|&b| b == self).expect("every buffer is in the signature")
    }

    pub fn elem(self) -> Elem {
        match self {
            Buffer::Tables | Buffer::Weights | Buffer::Out => Elem::F32,
            Buffer::Ids | Buffer::Offsets => Elem::Index,
            Buffer::Items | Buffer::Columns | Buffer::Status => Elem::I64,
            Buffer::Bytes => Elem::Byte,
        }
    }

    pub fn shape(self) -> &'static [Dim] {
        match self {
            Buffer::Tables | Buffer::Ids | Buffer::Offsets | Buffer::Weights | Buffer::Columns | Buffer::Bytes => &[Dim::Dynamic],
            Buffer::Items => &[Dim::Dynamic, Dim::Fixed(ITEM_FIELDS)],
            Buffer::Out => &[Dim::Dynamic, Dim::Dynamic],
            Buffer::Status => &[Dim::Fixed(1)],
        }
    }
}

/// The status word for an out-of-range id in `column` at `row`.
pub fn encode_status(column: usize, row: usize) -> i64 {
    ((column as i64) << 32 | row as i64) + 1
}

/// `(column, row)` of a non-zero status word.
pub fn decode_status(status: i64) -> Option<(usize, usize)> {
    (status != 0).then(|| {
        let code = status.wrapping_sub(1) as u64;
        ((code >> 32) as usize, (code & 0xffff_ffff) as usize)
    })
}

/// Rows in the packed tables buffer are padded with zeros to a multiple of
/// this many elements (16 bytes), so a row starts 16-byte aligned and the
/// kernel gathers 4 floats with one vector load.
pub const ROW_ALIGN: i64 = 4;

/// Elements between consecutive rows of a table of `dim` in the packed buffer.
pub fn row_pitch(dim: i64) -> i64 {
    (dim + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN
}

/// One table of the packed tables buffer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackedTable {
    pub name: String,
    pub rows: i64,
    pub dim: i64,
}

impl PackedTable {
    /// Offsets (in elements) of each table in the packed buffer, and its
    /// length (rows are [`row_pitch`] elements apart).
    pub fn layout(tables: &[PackedTable]) -> (Vec<i64>, i64) {
        let mut offsets = Vec::with_capacity(tables.len());
        let mut total = 0i64;
        for t in tables {
            offsets.push(total);
            total += t.rows * row_pitch(t.dim);
        }
        (offsets, total)
    }
}

/// Prefix of the synthetic N x N identity tables (numeric and indicator
/// columns) that the runtime makes itself.
pub const IDENTITY_TABLE_PREFIX: &str = "recom.identity.";

/// The synthetic N x N identity table's name.
pub fn identity_table_name(n: i64) -> String {
    format!("{IDENTITY_TABLE_PREFIX}{n}")
}

/// The side of the identity table `name` names, if it names one.
pub fn identity_table_size(name: &str) -> Option<usize> {
    name.strip_prefix(IDENTITY_TABLE_PREFIX)?.parse().ok()
}

/// Whether a table of `rows x dim` named `name` is the identity table the
/// name says (made, never stored): its side in the name, square.
pub fn is_identity_table(name: &str, rows: usize, dim: usize) -> bool {
    identity_table_size(name) == Some(rows) && rows == dim
}

/// The values of an `n`-row identity table (`[n, n]`, row-major), which
/// indicator and numeric columns look up and no model stores.
pub fn identity_table(n: usize) -> Vec<f32> {
    (0..n * n).map(|i| if i / n == i % n { 1.0 } else { 0.0 }).collect()
}

/// One column of the fused kernel (an entry of `emb.fused_columns`'
/// `columns`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FusedColumn {
    /// Offset of the column's table in the packed tables buffer, in elements.
    pub table_offset: i64,
    pub rows: i64,
    pub dim: i64,
    pub combiner: Combiner,
    pub weighted: bool,
    pub on_out_of_range: OutOfRange,
    /// An absorbed `emb.range_filter`, applied to ids before the lookup.
    pub filter: Option<Filter>,
    /// An absorbed id transform (the ids given are raw values), applied
    /// before the filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<IdTransform>,
}

/// What the kernel's code for a column depends on; every distinct kind
/// gets its own specialized loop (the rest is data in the column table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ColumnKind {
    pub combiner: Combiner,
    pub weighted: bool,
    pub filtered: bool,
    pub policy: OutOfRangeKind,
    /// The transform's kind (its parameter is data in the column table).
    pub transform: Option<TransformKind>,
}

/// What the kernel's code for an id transform depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransformKind {
    /// [`IdTransform::IntHashBucket`].
    IntHashBucket,
    /// [`IdTransform::StrHashBucket`].
    StrHashBucket,
    /// [`IdTransform::Vocabulary`] of integer keys.
    IntVocabulary,
    /// [`IdTransform::Vocabulary`] of string keys.
    StrVocabulary,
    /// [`IdTransform::Bucketize`].
    Bucketize,
}

impl TransformKind {
    pub fn of(transform: &IdTransform) -> Self {
        match transform {
            IdTransform::IntHashBucket { .. } => TransformKind::IntHashBucket,
            IdTransform::StrHashBucket { .. } => TransformKind::StrHashBucket,
            IdTransform::Vocabulary { keys: Keys::I64(_), .. } => TransformKind::IntVocabulary,
            IdTransform::Vocabulary { keys: Keys::Str(_), .. } => TransformKind::StrVocabulary,
            IdTransform::Bucketize { .. } => TransformKind::Bucketize,
        }
    }

    /// Whether the transform reads a record of data after the column
    /// entries ([`record`]; [`field::TRANSFORM`] is its offset).
    pub fn has_record(self) -> bool {
        !matches!(self, TransformKind::IntHashBucket | TransformKind::StrHashBucket)
    }

    /// Whether its raw values are string references.
    pub fn takes_strings(self) -> bool {
        matches!(self, TransformKind::StrHashBucket | TransformKind::StrVocabulary)
    }
}

impl ColumnKind {
    pub fn of(column: &FusedColumn) -> Self {
        ColumnKind {
            combiner: column.combiner,
            weighted: column.weighted,
            filtered: column.filter.is_some(),
            policy: column.on_out_of_range.kind(),
            transform: column.transform.as_ref().map(TransformKind::of),
        }
    }
}

/// The distinct kinds in first-appearance order, and each column's kind index.
pub fn kinds(columns: &[FusedColumn]) -> (Vec<ColumnKind>, Vec<usize>) {
    let mut kinds: Vec<ColumnKind> = Vec::new();
    let index = columns
        .iter()
        .map(|c| {
            let kind = ColumnKind::of(c);
            kinds.iter().position(|k| *k == kind).unwrap_or_else(|| {
                kinds.push(kind);
                kinds.len() - 1
            })
        })
        .collect();
    (kinds, index)
}

/// Entries per column in the column table.
pub const COLUMN_FIELDS: usize = 6;

/// Field offsets within a column's entry: the data the kind-specialized
/// code reads (everything else is either compiled into the code for the
/// column's kind or carried by its work items).
pub mod field {
    /// The replacement row under the `default` policy (0 otherwise).
    pub const DEFAULT_ID: usize = 0;
    /// Without a filter: i64::MIN and i64::MAX.
    pub const FILTER_LO: usize = 1;
    pub const FILTER_HI: usize = 2;
    /// The id for filtered-out ids; -1 drops them.
    pub const FILTER_DEFAULT: usize = 3;
    /// Index of the column's [`ColumnKind`](super::ColumnKind) in [`kinds`](super::kinds).
    pub const KIND: usize = 4;
    /// The id transform's parameter: a hash's bucket count, or the offset
    /// of the transform's [`record`](super::record) in the column table;
    /// 0 without a transform.
    pub const TRANSFORM: usize = 5;
}

/// A data-carrying transform's record, after every column's entry in the
/// column table: a header of [`record::HEADER`] values, then its data.
///
/// * vocabulary of integer keys: the keys sorted (signed), then each
///   sorted key's id (`first` + its position in the model's order);
/// * vocabulary of string keys: the keys' Fingerprint64s sorted (unsigned,
///   all distinct), each one's id, each key's offset in the column table
///   (where its bytes start, 8 per value, little-endian) and its length;
///   then the keys' bytes;
/// * bucketize: the boundaries as f64 bits.
///
/// The kernel finds a value with a branch-free binary search of
/// [`record::STEPS`] steps (the bit length of the count), confirming a
/// string key's bytes after a fingerprint matched.
pub mod record {
    /// How many keys or boundaries.
    pub const LEN: usize = 0;
    /// Binary-search steps: the bit length of the count.
    pub const STEPS: usize = 1;
    /// A vocabulary's id for absent keys without OOV buckets; bucketize:
    /// the block stride, len + 1.
    pub const DEFAULT: usize = 2;
    /// A vocabulary's OOV bucket count (0: none).
    pub const OOV_BUCKETS: usize = 3;
    /// A vocabulary's first OOV bucket id.
    pub const OOV_BASE: usize = 4;
    pub const HEADER: usize = 5;
}

/// The record of `transform` placed at `at` ([`record`]; empty for the
/// hashes, which need none).
fn encode_record(transform: &IdTransform, at: usize) -> Vec<i64> {
    let steps = |n: usize| (usize::BITS - n.leading_zeros()) as i64;
    let mut out = record_values(transform, at, steps);
    // An empty record still has one data value, which the kernel's clamped
    // probe reads (and never uses).
    if out.len() == record::HEADER {
        out.push(0);
    }
    out
}

fn record_values(transform: &IdTransform, at: usize, steps: impl Fn(usize) -> i64) -> Vec<i64> {
    match transform {
        IdTransform::IntHashBucket { .. } | IdTransform::StrHashBucket { .. } => Vec::new(),
        IdTransform::Vocabulary { keys, default, oov_buckets, first, oov_base } => {
            let n = keys.len();
            let base = crate::semantics::first_oov_id(*first, n, *oov_base);
            let mut out = vec![n as i64, steps(n), *default, *oov_buckets as i64, base];
            match keys {
                Keys::I64(k) => {
                    let mut order: Vec<usize> = (0..n).collect();
                    order.sort_by_key(|&i| k[i]);
                    out.extend(order.iter().map(|&i| k[i]));
                    out.extend(order.iter().map(|&i| first.wrapping_add(i as i64)));
                }
                Keys::Str(k) => {
                    let fps: Vec<u64> = k.iter().map(|k| crate::hash::fingerprint64(k.as_bytes())).collect();
                    let mut order: Vec<usize> = (0..n).collect();
                    order.sort_by_key(|&i| fps[i]);
                    out.extend(order.iter().map(|&i| fps[i] as i64));
                    out.extend(order.iter().map(|&i| first.wrapping_add(i as i64)));
                    // Each key's bytes start on a value of their own.
                    let mut word = at + record::HEADER + 4 * n;
                    let mut starts = Vec::with_capacity(n);
                    for &i in &order {
                        starts.push(word as i64);
                        word += k[i].len().div_ceil(8);
                    }
                    out.extend(starts);
                    out.extend(order.iter().map(|&i| k[i].len() as i64));
                    for &i in &order {
                        out.extend(k[i].as_bytes().chunks(8).map(|c| {
                            let mut w = [0u8; 8];
                            w[..c.len()].copy_from_slice(c);
                            i64::from_le_bytes(w)
                        }));
                    }
                }
            }
            out
        }
        IdTransform::Bucketize { boundaries } => {
            let n = boundaries.len();
            let mut out = vec![n as i64, steps(n), n as i64 + 1, 0, 0];
            out.extend(boundaries.iter().map(|b| b.to_bits() as i64));
            out
        }
    }
}

/// The column table: [`COLUMN_FIELDS`] values per column, then the
/// transforms' [`record`]s.
pub fn encode_columns(columns: &[FusedColumn]) -> Vec<i64> {
    let mut meta = Vec::with_capacity(columns.len() * COLUMN_FIELDS);
    let mut records = Vec::new();
    let (_, kind_of) = kinds(columns);
    for (column, kind) in columns.iter().zip(kind_of) {
        let (lo, hi, fdefault) = match column.filter {
            Some(f) => (f.lo, f.hi, f.default.unwrap_or(-1)),
            None => (i64::MIN, i64::MAX, -1),
        };
        let transform = match &column.transform {
            None => 0,
            Some(t) => match t.buckets() {
                Some(buckets) => buckets as i64,
                None => {
                    let at = columns.len() * COLUMN_FIELDS + records.len();
                    records.extend(encode_record(t, at));
                    at as i64
                }
            },
        };
        meta.extend([column.on_out_of_range.default_id().unwrap_or(0), lo, hi, fdefault, kind as i64, transform]);
    }
    meta.extend(records);
    meta
}

/// Entries per work item in the work-item table (one 64-byte record).
pub const ITEM_FIELDS: usize = 8;

/// Field offsets within a work item's record.
pub mod item {
    pub const COLUMN: usize = 0;
    /// Packed-tables index of the item's first element in row 0
    /// (`table_offset + d0`).
    pub const TABLE_BASE: usize = 1;
    /// Output column of the item's first element (`out_offset + d0`).
    pub const OUT_BASE: usize = 2;
    /// Elements between rows of the column's table.
    pub const PITCH: usize = 3;
    pub const ROWS: usize = 4;
    /// How many of the item's elements are inside the dim.
    pub const VALID: usize = 5;
}

/// Work items a GPU warp runs together (consecutive items of one row).
pub const WARP_ITEMS: usize = 32;

/// The work-item table, [`ITEM_FIELDS`] entries per item: each item is
/// `per_item` consecutive output elements of one column.
///
/// The items are grouped by the columns' kinds (kinds in first-appearance
/// order, columns in model order within a kind, a column's items in
/// element order), and every kind's group but the last is padded to a
/// multiple of [`WARP_ITEMS`] with **padding items** (`VALID` = 0, the
/// group's last item otherwise, which the kernel skips). The kernel's code
/// is specialized per kind: a warp whose items are of k kinds runs k code
/// paths one after another, each a chain of dependent loads; so each warp
/// runs one. The id-transform pass also relies on a column's items being
/// consecutive, its first item doing the column's ids.
pub fn encode_items(columns: &[FusedColumn], per_item: usize) -> Vec<i64> {
    let per_item = per_item.max(1) as i64;
    let mut out_offsets = Vec::with_capacity(columns.len());
    let mut out_offset = 0;
    for column in columns {
        out_offsets.push(out_offset);
        out_offset += column.dim;
    }
    let (_, kind_of) = kinds(columns);
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&c| kind_of[c]);
    let mut items = Vec::new();
    for (n, &c) in order.iter().enumerate() {
        if n > 0 && kind_of[c] != kind_of[order[n - 1]] {
            pad_to_warp(&mut items);
        }
        let (column, out_offset) = (&columns[c], out_offsets[c]);
        let mut d0 = 0;
        while d0 < column.dim {
            let mut record = [0i64; ITEM_FIELDS];
            record[item::COLUMN] = c as i64;
            record[item::TABLE_BASE] = column.table_offset + d0;
            record[item::OUT_BASE] = out_offset + d0;
            record[item::PITCH] = row_pitch(column.dim);
            record[item::ROWS] = column.rows;
            record[item::VALID] = per_item.min(column.dim - d0);
            items.extend(record);
            d0 += per_item;
        }
    }
    items
}

/// Padding items after the last one until a warp boundary.
fn pad_to_warp(items: &mut Vec<i64>) {
    let Some(last) = items.len().checked_sub(ITEM_FIELDS) else { return };
    let mut padding: [i64; ITEM_FIELDS] = items[last..].try_into().expect("whole records");
    padding[item::VALID] = 0;
    while (items.len() / ITEM_FIELDS) % WARP_ITEMS != 0 {
        items.extend(padding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(dim: i64, combiner: Combiner, filter: Option<Filter>) -> FusedColumn {
        FusedColumn { table_offset: 0, rows: 10, dim, combiner, weighted: false, on_out_of_range: OutOfRange::Drop, filter, transform: None }
    }

    #[test]
    fn signature_positions() {
        for (n, b) in Buffer::SIGNATURE.iter().enumerate() {
            assert_eq!(b.argument(), n);
            assert_eq!(Buffer::from_argument(n), Some(*b));
        }
        assert_eq!(Buffer::from_argument(Buffer::SIGNATURE.len()), None);
    }

    #[test]
    fn status_round_trips() {
        assert_eq!(decode_status(0), None);
        for (c, r) in [(0, 0), (3, 17), (70_000, (1 << 32) - 1)] {
            assert_eq!(decode_status(encode_status(c, r)), Some((c, r)));
        }
    }

    #[test]
    fn layout_pads_rows() {
        assert_eq!((row_pitch(1), row_pitch(4), row_pitch(5)), (4, 4, 8));
        let t = |rows, dim| PackedTable { name: String::new(), rows, dim };
        assert_eq!(PackedTable::layout(&[t(3, 5), t(2, 4)]), (vec![0, 24], 32));
    }

    #[test]
    fn items_cover_every_output_element_once() {
        let columns = [column(6, Combiner::Sum, None), column(3, Combiner::Mean, None)];
        let items = encode_items(&columns, 4);
        let records: Vec<&[i64]> = items.chunks(ITEM_FIELDS).filter(|r| r[item::VALID] > 0).collect();
        let covered: Vec<(i64, i64)> = records.iter().map(|r| (r[item::OUT_BASE], r[item::VALID])).collect();
        assert_eq!(covered, vec![(0, 4), (4, 2), (6, 3)]);
        assert_eq!(records[1][item::TABLE_BASE], 4);
        assert_eq!(records[2][item::COLUMN], 1);
    }

    #[test]
    fn items_are_grouped_by_kind() {
        let mean = column(3, Combiner::Mean, None);
        let columns = [column(6, Combiner::Sum, None), mean.clone(), column(2, Combiner::Sum, None), mean];
        let items = encode_items(&columns, 4);
        let order: Vec<(i64, i64, i64)> = items.chunks(ITEM_FIELDS).map(|r| (r[item::COLUMN], r[item::OUT_BASE], r[item::VALID])).collect();
        // Sum columns 0 and 2 first (column 0's two items in order), padded to a warp, then the
        // mean ones; each keeps its own output columns.
        assert_eq!(order.len(), WARP_ITEMS + 2);
        assert_eq!(order[..3], [(0, 0, 4), (0, 4, 2), (2, 9, 2)]);
        assert!(order[3..WARP_ITEMS].iter().all(|&p| p == (2, 9, 0)), "{order:?}");
        assert_eq!(order[WARP_ITEMS..], [(1, 6, 3), (3, 11, 3)]);
        // One kind: no padding.
        assert_eq!(encode_items(&columns[..1], 4).len(), 2 * ITEM_FIELDS);
    }

    #[test]
    fn kinds_and_column_table() {
        let f = Filter { lo: 2, hi: 5, default: None };
        let columns = [column(4, Combiner::Sum, None), column(4, Combiner::Sum, Some(f)), column(4, Combiner::Sum, None)];
        let (kinds, index) = kinds(&columns);
        assert_eq!((kinds.len(), index), (2, vec![0, 1, 0]));
        let meta = encode_columns(&columns);
        assert_eq!(&meta[COLUMN_FIELDS..2 * COLUMN_FIELDS], &[0, 2, 5, -1, 1, 0]);
        assert_eq!(&meta[..COLUMN_FIELDS], &[0, i64::MIN, i64::MAX, -1, 0, 0]);
        let hashed = FusedColumn { transform: Some(IdTransform::IntHashBucket { buckets: 77 }), ..columns[0].clone() };
        let (kinds, index) = super::kinds(&[columns[0].clone(), hashed.clone()]);
        assert_eq!((kinds.len(), index), (2, vec![0, 1]));
        assert_eq!(kinds[1].transform, Some(TransformKind::IntHashBucket));
        assert_eq!(encode_columns(&[hashed])[field::TRANSFORM], 77);
    }
}

/// What joins a table's name and a max norm in the name of the table whose
/// rows are the base table's clipped to that L2 norm
/// (`embedding_column(max_norm = c)`: TensorFlow clips each gathered row;
/// the rows of a constant table clip the same way once, at compile time).
pub const MAX_NORM_INFIX: &str = "@max_norm=";

/// The clipped table's name: `<base>@max_norm=<the f32's bits in hex>`.
pub fn max_norm_table_name(base: &str, max_norm: f32) -> String {
    format!("{base}{MAX_NORM_INFIX}{:08x}", max_norm.to_bits())
}

/// The base table and max norm a clipped table's name names.
pub fn max_norm_table(name: &str) -> Option<(&str, f32)> {
    let (base, bits) = name.rsplit_once(MAX_NORM_INFIX)?;
    let c = f32::from_bits(u32::from_str_radix(bits, 16).ok()?);
    (c.is_finite() && c > 0.0 && bits.len() == 8).then_some((base, c))
}

/// Clips every `dim`-wide row of `values` to L2 norm `max_norm` with
/// TensorFlow's `clip_by_norm` arithmetic in f32: `x * c / max(norm, c)`,
/// norm = sqrt(sum of squares) (0 for a zero row).
pub fn clip_rows(values: &mut [f32], dim: usize, max_norm: f32) {
    if dim == 0 {
        return;
    }
    for row in values.chunks_mut(dim) {
        let l2sum: f32 = row.iter().map(|x| x * x).sum();
        let l2norm = if l2sum > 0.0 { l2sum.sqrt() } else { l2sum };
        let divisor = l2norm.max(max_norm);
        for x in row.iter_mut() {
            *x = (*x * max_norm) / divisor;
        }
    }
}

#[cfg(test)]
mod max_norm_tests {
    use super::*;

    #[test]
    fn names_round_trip_and_rows_clip() {
        let name = max_norm_table_name("input_layer/e/embedding_weights", 0.7);
        assert_eq!(max_norm_table(&name), Some(("input_layer/e/embedding_weights", 0.7)));
        assert_eq!(max_norm_table("plain"), None);
        assert_eq!(max_norm_table("t@max_norm=zz"), None);
        let mut rows = vec![3.0, 4.0, 0.0, 0.0, 0.3, 0.4];
        clip_rows(&mut rows, 2, 1.0);
        assert_eq!(rows, vec![3.0 / 5.0, 4.0 / 5.0, 0.0, 0.0, 0.3, 0.4]);
    }
}
