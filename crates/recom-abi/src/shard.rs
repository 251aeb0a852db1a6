//! Placing a model's embedding tables on several GPUs (issue: tables beyond
//! one GPU).
//!
//! The planner assigns every table either **whole** to one GPU (table-wise
//! sharding) or, when it is larger than what one GPU has free, **by rows**:
//! contiguous row ranges on several GPUs (row-wise sharding). It balances
//! two loads at once — bytes held and expected lookup traffic (bytes read
//! per request) — and is deterministic: the same tables, GPUs and memory
//! give the same plan, whatever order the tables come in.
//!
//! Algorithm: tables in decreasing size (name breaks ties); each goes whole
//! to the GPU where it fits that minimizes the larger of the two normalized
//! loads after placing it (lowest index breaks ties); a table no GPU can
//! hold whole is cut into row ranges filling the GPUs with the most free
//! memory first. A table larger than all GPUs' free memory together is an
//! error naming it and the numbers.
//!
//! The plan is data (serialized in the artifact); [`ShardPlan::route`] says
//! which GPU holds each id of a table and its row there, which is all a
//! runtime needs to split a request's ids per GPU and put the rows back in
//! the request's order (so a sharded lookup pools the same rows in the same
//! order as an unsharded one: same bits).
use serde::{Deserialize, Serialize};

/// What the planner knows of one table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableLoad {
    pub name: String,
    pub rows: u64,
    /// Bytes of one stored row (the packed row pitch times 4).
    pub row_bytes: u64,
    /// Expected bytes read from the table per request (columns reading it
    /// times their expected ids times the row's bytes); 0 when unknown.
    pub traffic: f64,
}

impl TableLoad {
    pub fn bytes(&self) -> u64 {
        self.rows.saturating_mul(self.row_bytes)
    }
}

/// The planner's view of a model's tables: `tables[t]` = (name, rows, dim)
/// stored at the kernel's row pitch; traffic = the bytes per request row the
/// columns reading each table gather, column c reading table
/// `column_tables[c]` with `ids_per_row[c]` expected ids per row (1 where
/// not given).
pub fn table_loads(tables: &[(String, u64, u64)], column_tables: &[usize], ids_per_row: &[f64]) -> Vec<TableLoad> {
    tables
        .iter()
        .enumerate()
        .map(|(t, (name, rows, dim))| {
            let row_bytes = crate::kernel::row_pitch(*dim as i64) as u64 * 4;
            let traffic = column_tables
                .iter()
                .enumerate()
                .filter(|(_, &table)| table == t)
                .map(|(c, _)| ids_per_row.get(c).copied().unwrap_or(1.0) * row_bytes as f64)
                .sum();
            TableLoad { name: name.clone(), rows: *rows, row_bytes, traffic }
        })
        .collect()
}

/// Where one table lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// All of it on `gpu`.
    Whole { gpu: usize },
    /// Rows `[begin, end)` of each part on its `gpu`; the parts cover
    /// `[0, rows)` in order, without gaps or overlaps.
    Rows { parts: Vec<RowRange> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowRange {
    pub gpu: usize,
    pub begin: u64,
    pub end: u64,
}

/// One GPU's share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuLoad {
    pub bytes: u64,
    pub traffic: f64,
}

/// The placement of every table of a model on `gpus` GPUs of
/// `memory_bytes` usable each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardPlan {
    pub gpus: usize,
    pub memory_bytes: u64,
    /// Per table, by name, in the model's table order.
    pub tables: Vec<(String, Placement)>,
    pub loads: Vec<GpuLoad>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShardError {
    #[error("sharding needs at least one GPU with memory, got {gpus} GPU(s) of {memory_bytes} bytes")]
    NoGpus { gpus: usize, memory_bytes: u64 },
    #[error("table '{name}' needs {bytes} bytes, more than the {free} bytes of whole rows the {gpus} GPU(s) have free together ({memory_bytes} bytes each, {placed} bytes placed before it)")]
    TooLarge { name: String, bytes: u64, free: u64, gpus: usize, memory_bytes: u64, placed: u64 },
    #[error("two tables are named '{0}'")]
    Duplicate(String),
}

/// Plans `tables` on `gpus` GPUs of `memory_bytes` each (see the module
/// documentation).
pub fn plan(tables: &[TableLoad], gpus: usize, memory_bytes: u64) -> Result<ShardPlan, ShardError> {
    if gpus == 0 || memory_bytes == 0 {
        return Err(ShardError::NoGpus { gpus, memory_bytes });
    }
    let mut names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(ShardError::Duplicate(w[0].to_string()));
    }
    let total_bytes: f64 = tables.iter().map(|t| t.bytes() as f64).sum::<f64>().max(1.0);
    let total_traffic: f64 = tables.iter().map(|t| t.traffic.max(0.0)).sum::<f64>().max(f64::MIN_POSITIVE);
    let mut order: Vec<usize> = (0..tables.len()).collect();
    order.sort_by(|&a, &b| tables[b].bytes().cmp(&tables[a].bytes()).then_with(|| tables[a].name.cmp(&tables[b].name)));
    let mut loads = vec![GpuLoad { bytes: 0, traffic: 0.0 }; gpus];
    let mut placements: Vec<Option<Placement>> = vec![None; tables.len()];
    let mut placed = 0u64;
    for i in order {
        let t = &tables[i];
        let bytes = t.bytes();
        let traffic = t.traffic.max(0.0);
        let free = |l: &GpuLoad| memory_bytes.saturating_sub(l.bytes);
        // Whole, where it fits, on the GPU whose larger normalized load
        // after placing it is least.
        let cost = |l: &GpuLoad| ((l.bytes + bytes) as f64 / total_bytes).max((l.traffic + traffic) / total_traffic);
        let best = (0..gpus).filter(|&g| free(&loads[g]) >= bytes).min_by(|&a, &b| cost(&loads[a]).total_cmp(&cost(&loads[b])).then(a.cmp(&b)));
        let placement = match best {
            Some(g) => {
                loads[g].bytes += bytes;
                loads[g].traffic += traffic;
                Placement::Whole { gpu: g }
            }
            None => {
                // What the GPUs can take in whole rows (a row is not split).
                let all_free: u64 = loads.iter().map(|l| free(l) / t.row_bytes.max(1) * t.row_bytes).sum();
                if all_free < bytes || t.row_bytes == 0 {
                    return Err(ShardError::TooLarge { name: t.name.clone(), bytes, free: all_free, gpus, memory_bytes, placed });
                }
                // Rows, filling the GPUs with the most free memory first.
                let mut by_free: Vec<usize> = (0..gpus).collect();
                by_free.sort_by(|&a, &b| free(&loads[b]).cmp(&free(&loads[a])).then(a.cmp(&b)));
                let mut parts = Vec::new();
                let mut begin = 0u64;
                for g in by_free {
                    if begin == t.rows {
                        break;
                    }
                    let fit = (free(&loads[g]) / t.row_bytes).min(t.rows - begin);
                    if fit == 0 {
                        continue;
                    }
                    let end = begin + fit;
                    loads[g].bytes += fit * t.row_bytes;
                    loads[g].traffic += traffic * fit as f64 / t.rows as f64;
                    parts.push(RowRange { gpu: g, begin, end });
                    begin = end;
                }
                if begin < t.rows {
                    return Err(ShardError::TooLarge { name: t.name.clone(), bytes, free: all_free, gpus, memory_bytes, placed });
                }
                Placement::Rows { parts }
            }
        };
        placed += bytes;
        placements[i] = Some(placement);
    }
    let tables = tables.iter().zip(placements).map(|(t, p)| (t.name.clone(), p.expect("every table was placed"))).collect();
    Ok(ShardPlan { gpus, memory_bytes, tables, loads })
}

impl ShardPlan {
    /// The placement of table `name`.
    pub fn placement(&self, name: &str) -> Option<&Placement> {
        self.tables.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }

    /// For row `row` of the table placed by `placement`: the GPU holding it
    /// and its row in that GPU's copy (a part starts at its own row 0).
    pub fn route(placement: &Placement, row: u64) -> Option<(usize, u64)> {
        match placement {
            Placement::Whole { gpu } => Some((*gpu, row)),
            Placement::Rows { parts } => {
                // Parts are in row order: binary search.
                let k = parts.partition_point(|p| p.end <= row);
                parts.get(k).filter(|p| p.begin <= row).map(|p| (p.gpu, row - p.begin))
            }
        }
    }

    /// Checks the plan's own invariants against `tables`: every table placed
    /// once, row ranges covering it, no GPU over its memory, loads equal to
    /// what the placements add up to.
    pub fn check(&self, tables: &[TableLoad]) -> Result<(), String> {
        if self.gpus == 0 {
            return Err("the tables are placed on 0 GPUs".into());
        }
        if self.tables.len() != tables.len() {
            return Err(format!("{} placements for {} tables", self.tables.len(), tables.len()));
        }
        let mut bytes = vec![0u64; self.gpus];
        for (t, (name, p)) in tables.iter().zip(&self.tables) {
            if &t.name != name {
                return Err(format!("placement of '{name}' where table '{}' is", t.name));
            }
            match p {
                Placement::Whole { gpu } => *bytes.get_mut(*gpu).ok_or(format!("'{name}' on GPU {gpu} of {}", self.gpus))? += t.bytes(),
                Placement::Rows { parts } => {
                    let mut next = 0;
                    for r in parts {
                        if r.begin != next || r.end <= r.begin {
                            return Err(format!("'{name}': rows [{}, {}) after row {next}", r.begin, r.end));
                        }
                        *bytes.get_mut(r.gpu).ok_or(format!("'{name}' on GPU {} of {}", r.gpu, self.gpus))? += (r.end - r.begin) * t.row_bytes;
                        next = r.end;
                    }
                    if next != t.rows {
                        return Err(format!("'{name}': rows up to {next} of {} placed", t.rows));
                    }
                }
            }
        }
        for (g, b) in bytes.iter().enumerate() {
            if *b > self.memory_bytes {
                return Err(format!("GPU {g} holds {b} bytes of {}", self.memory_bytes));
            }
            if self.loads.get(g).map(|l| l.bytes) != Some(*b) {
                return Err(format!("GPU {g}: load says {:?} bytes, placements {b}", self.loads.get(g).map(|l| l.bytes)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, rows: u64, dim: u64, traffic: f64) -> TableLoad {
        TableLoad { name: name.into(), rows, row_bytes: dim * 4, traffic }
    }

    #[test]
    fn tables_that_fit_go_whole_and_balance() {
        let tables = vec![t("a", 1000, 8, 10.0), t("b", 1000, 8, 10.0), t("c", 500, 8, 1.0), t("d", 500, 8, 1.0)];
        let p = plan(&tables, 2, 1 << 20).unwrap();
        p.check(&tables).unwrap();
        assert!(p.tables.iter().all(|(_, p)| matches!(p, Placement::Whole { .. })));
        assert_eq!(p.loads[0].bytes, p.loads[1].bytes, "{p:?}");
    }

    #[test]
    fn a_table_larger_than_one_gpu_is_split_by_rows() {
        // 10,000 rows x 32 B = 320,000 B on GPUs of 200,000 B.
        let tables = vec![t("big", 10_000, 8, 5.0), t("small", 100, 8, 1.0)];
        let p = plan(&tables, 2, 200_000).unwrap();
        p.check(&tables).unwrap();
        let Placement::Rows { parts } = p.placement("big").unwrap() else { panic!("{p:?}") };
        assert_eq!(parts.len(), 2);
        assert_eq!(ShardPlan::route(p.placement("big").unwrap(), 0), Some((parts[0].gpu, 0)));
        assert_eq!(ShardPlan::route(p.placement("big").unwrap(), parts[1].begin), Some((parts[1].gpu, 0)));
        assert_eq!(ShardPlan::route(p.placement("big").unwrap(), 9_999), Some((parts[1].gpu, 9_999 - parts[1].begin)));
        assert_eq!(ShardPlan::route(p.placement("big").unwrap(), 10_000), None);
    }

    #[test]
    fn bad_placements_are_clear_errors() {
        let e = plan(&[t("huge", 1 << 20, 64, 1.0)], 2, 1 << 20).unwrap_err().to_string();
        assert!(e.contains("'huge'") && e.contains("268435456 bytes") && e.contains("2097152 bytes"), "{e}");
        assert!(matches!(plan(&[t("a", 1, 1, 0.0)], 0, 1), Err(ShardError::NoGpus { .. })));
        assert!(matches!(plan(&[t("a", 1, 1, 0.0), t("a", 2, 1, 0.0)], 1, 100), Err(ShardError::Duplicate(_))));
        // A plan read from an artifact that places nothing on no GPU.
        let none = ShardPlan { gpus: 0, memory_bytes: 1, tables: Vec::new(), loads: Vec::new() };
        assert!(none.check(&[]).unwrap_err().contains("0 GPUs"));
    }

    /// Properties over many random table sets: every table placed, memory
    /// respected, deterministic and independent of the tables' order.
    #[test]
    fn random_table_sets() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for round in 0..500 {
            let count = 1 + next(40) as usize;
            let tables: Vec<TableLoad> = (0..count).map(|i| t(&format!("t{i}"), 1 + next(100_000), 1 + next(128), next(1000) as f64)).collect();
            let gpus = 1 + next(8) as usize;
            let total: u64 = tables.iter().map(TableLoad::bytes).sum();
            let memory = (total / gpus as u64).max(1) * (80 + next(80)) / 100 + 1;
            match plan(&tables, gpus, memory) {
                Ok(p) => {
                    p.check(&tables).unwrap_or_else(|e| panic!("round {round}: {e}"));
                    assert_eq!(plan(&tables, gpus, memory).unwrap(), p, "round {round}: deterministic");
                    let mut reversed = tables.clone();
                    reversed.reverse();
                    let q = plan(&reversed, gpus, memory).unwrap();
                    for (name, placement) in &p.tables {
                        assert_eq!(q.placement(name), Some(placement), "round {round}: order-independent");
                    }
                }
                // Only when the whole rows left free cannot hold the table.
                Err(ShardError::TooLarge { name, free, bytes, .. }) => assert!(free < bytes, "round {round}: {name} {bytes} B refused with {free} B free"),
                Err(e) => panic!("round {round}: {e}"),
            }
        }
    }
}
