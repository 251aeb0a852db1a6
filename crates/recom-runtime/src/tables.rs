//! Where a model's table values come from when it is loaded.
//!
//! A served model's tables come from its bundle ([`Tables::Packed`], as
//! [`crate::plan::Plan::bind_tables`] packs them). A model whose tables are
//! larger than the host's memory — the benchmark of tables beyond one GPU —
//! has them made on each GPU that holds them instead ([`Tables::Generated`]):
//! the host uploads one block of [`GeneratedTables::PERIOD_ROWS`] rows per
//! table and the GPU repeats it by device-to-device copies that double the
//! filled range, so hundreds of gigabytes are made in a fraction of a second
//! and never cross the bus.
//!
//! The values are a function of the table's name, row and column alone
//! ([`GeneratedTables::value`]), not of where a table is placed: a table
//! made whole on one GPU equals the same table made as part of a shard, and
//! the host can compute any row to check an answer ([`GeneratedTables::table`]).
use recom_abi::kernel::{identity_table, is_identity_table};

/// The packed tables of a whole model, or a rule that makes them on the GPU.
#[derive(Clone, Copy, Debug)]
pub enum Tables<'a> {
    /// [`crate::plan::Plan::bind_tables`]'s buffer.
    Packed(&'a [f32]),
    /// Made on the device from a seed.
    Generated(GeneratedTables),
}

/// Tables made from a seed: row `r` of table `t` is row `r mod PERIOD_ROWS`
/// of a block of hashed values in `[-1, 1)` salted by the seed and the
/// table's name. Identity tables (indicator and numeric columns, named as
/// `recom_abi::kernel::is_identity_table` says) are identities, as
/// [`crate::plan::Plan::bind_tables`] makes them.
/// The most values one generated block may have (4,093 rows of 65,536
/// floats; an identity table of 16,384 rows).
const MAX_BLOCK_ELEMENTS: usize = 1 << 28;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneratedTables {
    pub seed: u64,
}

impl GeneratedTables {
    /// Rows after which a generated table repeats (a prime, so ids that
    /// differ by a power of two read different rows).
    pub const PERIOD_ROWS: usize = 4093;

    fn salt(&self, table: &str) -> u64 {
        // FNV-1a of the name, mixed with the seed.
        let name = table.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
        name ^ self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn hashed(salt: u64, i: u64) -> f32 {
        let mut x = i.wrapping_add(salt);
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Element `col` of row `row` of `table` (`dim` wide).
    pub fn value(&self, table: &str, rows: usize, dim: usize, row: usize, col: usize) -> f32 {
        if is_identity_table(table, rows, dim) {
            return if row == col { 1.0 } else { 0.0 };
        }
        Self::hashed(self.salt(table), ((row % Self::PERIOD_ROWS) * dim + col) as u64)
    }

    /// The whole table, row-major `rows x dim` (for tests and checks on
    /// tables that fit the host).
    pub fn table(&self, table: &str, rows: usize, dim: usize) -> Vec<f32> {
        if is_identity_table(table, rows, dim) {
            return identity_table(rows);
        }
        let block = self.block(table, rows.min(Self::PERIOD_ROWS), dim, dim);
        (0..rows * dim).map(|i| block[i % block.len().max(1)]).collect()
    }

    /// The first `rows` (at most [`Self::PERIOD_ROWS`]) rows of `table`
    /// laid out `pitch` elements apart, the padding zeros: what the device
    /// copies and then repeats.
    pub(crate) fn block(&self, table: &str, rows: usize, dim: usize, pitch: usize) -> Vec<f32> {
        let salt = self.salt(table);
        let mut out = vec![0f32; rows * pitch.max(dim)];
        let pitch = pitch.max(dim);
        for (r, row) in out.chunks_exact_mut(pitch.max(1)).enumerate() {
            for (c, v) in row[..dim].iter_mut().enumerate() {
                *v = Self::hashed(salt, (r * dim + c) as u64);
            }
        }
        out
    }

    /// The table's whole-period block at `pitch`: an identity table's
    /// rows are all distinct (its rows are its dim), so its block is all
    /// of it.
    pub(crate) fn period_block(&self, table: &str, rows: usize, dim: usize, pitch: usize) -> Result<Vec<f32>, String> {
        let identity = is_identity_table(table, rows, dim);
        let block_rows = if identity { rows } else { rows.min(Self::PERIOD_ROWS) };
        // A plan is untrusted: its sizes are checked before the host
        // allocates for them.
        let len = block_rows.checked_mul(pitch.max(dim)).filter(|&n| n <= MAX_BLOCK_ELEMENTS).ok_or_else(|| {
            format!("a block of {block_rows} rows of pitch {pitch} is more than the {MAX_BLOCK_ELEMENTS} values a generated block may have")
        })?;
        if identity {
            let mut out = vec![0f32; len];
            for r in 0..rows {
                out[r * pitch.max(dim) + r] = 1.0;
            }
            return Ok(out);
        }
        Ok(self.block(table, block_rows, dim, pitch))
    }

    /// Every table by name, made on the host: what `bind_tables` takes to
    /// pack the same values (tests compare the two loads).
    pub fn by_name(&self, plan: &crate::plan::Plan) -> std::collections::HashMap<String, Vec<f32>> {
        plan.tables.iter().map(|t| (t.name.clone(), self.table(&t.name, t.rows, t.dim))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_repeat_with_the_period_and_depend_on_the_name_and_seed() {
        let g = GeneratedTables { seed: 7 };
        let rows = GeneratedTables::PERIOD_ROWS + 10;
        let t = g.table("t", rows, 3);
        assert_eq!(t.len(), rows * 3);
        assert_eq!(&t[..30], &t[GeneratedTables::PERIOD_ROWS * 3..GeneratedTables::PERIOD_ROWS * 3 + 30]);
        assert_eq!(t[5 * 3 + 2], g.value("t", rows, 3, 5, 2));
        assert_eq!(t[(GeneratedTables::PERIOD_ROWS + 5) * 3 + 1], g.value("t", rows, 3, 5, 1));
        assert_ne!(g.table("u", 4, 3), g.table("t", 4, 3));
        assert_ne!(GeneratedTables { seed: 8 }.table("t", 4, 3), g.table("t", 4, 3));
        assert!(t.iter().all(|v| (-1.0..1.0).contains(v)));
        // Distinct rows inside a period.
        assert_ne!(&t[..3], &t[3..6]);
    }

    #[test]
    fn blocks_are_padded_with_zeros_and_identities_stay_identities() {
        let g = GeneratedTables { seed: 1 };
        let block = g.block("t", 2, 3, 4);
        assert_eq!(block.len(), 8);
        assert_eq!((block[3], block[7]), (0.0, 0.0));
        assert_eq!(&block[4..7], &g.table("t", 2, 3)[3..6]);
        let name = recom_abi::kernel::identity_table_name(3);
        assert_eq!(g.table(&name, 3, 3), identity_table(3));
        assert_eq!(g.period_block(&name, 3, 3, 4).unwrap(), vec![1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0.]);
        // A hostile pitch is an error, not an allocation.
        assert!(g.period_block("t", 10, 3, usize::MAX / 2).unwrap_err().contains("pitch"));
    }
}
