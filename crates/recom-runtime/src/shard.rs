//! The fused kernel cut as a model's table placement
//! ([`recom_abi::shard::ShardPlan`], `recom compile --gpus N`) says: one
//! part per GPU, each with the tables that GPU holds, packed as the kernel
//! reads them, and the work items of the columns reading those tables.
//!
//! Every part runs the same kernel code over the same packed request (its
//! ids, offsets, weights, strings and column table are the whole model's):
//! only the tables buffer and the work-item table differ, the items' table
//! bases rebased into the part's own packed buffer. Items keep their output
//! columns, so the parts together write every element of the `[B, ΣD]`
//! output once, each computed by the same code on the same rows as the
//! unsharded kernel: a sharded result equals the unsharded one bit for bit.
//!
//! Table-wise placements only: a table split by rows over several GPUs
//! needs its rows gathered per GPU and pooled in the request's order
//! (`recom_reference::sharded` fixes that contract), which no runtime does
//! yet; such a plan is refused with the table named.
use crate::plan::{Plan, RunError};
use recom_abi::{
    kernel::{item, ITEM_FIELDS},
    shard::Placement,
};

/// One GPU's part of the fused kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelShard {
    /// The GPU (the plan's numbering).
    pub gpu: usize,
    /// Indices into [`Plan::tables`] of the tables it holds, in plan order.
    pub tables: Vec<usize>,
    /// Where each of [`Self::tables`] starts in its packed buffer (elements).
    pub offsets: Vec<usize>,
    /// Elements of its packed tables buffer.
    pub packed_len: usize,
    /// Its work items ([`ITEM_FIELDS`] each), table bases rebased.
    pub items: Vec<i64>,
}

impl KernelShard {
    pub fn num_items(&self) -> usize {
        self.items.len() / ITEM_FIELDS
    }

    /// Its packed tables buffer, cut from the whole model's (`packed`, as
    /// [`Plan::bind_tables`] makes it).
    pub fn tables_of(&self, plan: &Plan, packed: &[f32]) -> Result<Vec<f32>, RunError> {
        if packed.len() != plan.packed_tables_len() {
            return Err(RunError::Table { name: "<packed>".into(), problem: format!("expected {} values, got {}", plan.packed_tables_len(), packed.len()) });
        }
        let mut out = vec![0f32; self.packed_len];
        for (&t, &at) in self.tables.iter().zip(&self.offsets) {
            let slot = &plan.tables[t];
            let len = slot.rows * slot.pitch;
            out[at..at + len].copy_from_slice(&packed[slot.offset..slot.offset + len]);
        }
        Ok(out)
    }
}

fn placement_error(problem: String) -> RunError {
    RunError::Device(format!("plan.sharding: {problem}"))
}

impl Plan {
    /// The kernel's parts, one per GPU of the plan's placement (one part,
    /// the whole kernel, without one). A GPU holding no table gets a part
    /// without items.
    pub fn kernel_shards(&self) -> Result<Vec<KernelShard>, RunError> {
        let Some(sharding) = &self.sharding else {
            return Ok(vec![KernelShard {
                gpu: 0,
                tables: (0..self.tables.len()).collect(),
                offsets: self.tables.iter().map(|t| t.offset).collect(),
                packed_len: self.packed_tables_len(),
                items: self.items.clone(),
            }]);
        };
        // The GPU of each table.
        let mut gpu_of = Vec::with_capacity(self.tables.len());
        for slot in &self.tables {
            match sharding.placement(&slot.name) {
                Some(Placement::Whole { gpu }) if *gpu < sharding.gpus => gpu_of.push(*gpu),
                Some(Placement::Whole { gpu }) => return Err(placement_error(format!("table '{}' is on GPU {gpu} of {}", slot.name, sharding.gpus))),
                Some(Placement::Rows { parts }) => {
                    let gpus: Vec<String> = parts.iter().map(|p| p.gpu.to_string()).collect();
                    return Err(placement_error(format!(
                        "table '{}' is split by rows over GPUs {}: the runtime serves table-wise placements only (recompile with more --gpu-memory, so that every table fits one GPU)",
                        slot.name,
                        gpus.join(", ")
                    )));
                }
                None => return Err(placement_error(format!("table '{}' is not placed", slot.name))),
            }
        }
        let mut shards: Vec<KernelShard> =
            (0..sharding.gpus).map(|gpu| KernelShard { gpu, tables: Vec::new(), offsets: Vec::new(), packed_len: 0, items: Vec::new() }).collect();
        // Each GPU packs its tables in plan order, rows 16-byte aligned as before.
        let mut rebased = vec![0usize; self.tables.len()];
        for (t, slot) in self.tables.iter().enumerate() {
            let shard = &mut shards[gpu_of[t]];
            shard.tables.push(t);
            shard.offsets.push(shard.packed_len);
            rebased[t] = shard.packed_len;
            shard.packed_len += slot.rows * slot.pitch;
        }
        for record in self.items.chunks_exact(ITEM_FIELDS) {
            let column = usize::try_from(record[item::COLUMN]).ok().and_then(|c| self.columns.get(c));
            let Some(column) = column else {
                return Err(placement_error(format!("a work item names column {}", record[item::COLUMN])));
            };
            let t = column.table;
            let mut record = record.to_vec();
            record[item::TABLE_BASE] = record[item::TABLE_BASE] - self.tables[t].offset as i64 + rebased[t] as i64;
            shards[gpu_of[t]].items.extend(record);
        }
        Ok(shards)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recom_abi::shard::{GpuLoad, RowRange, ShardPlan};

    /// The runtime's test plan (three tables, pitches 4, 8, 4, one column
    /// each, one or two items each) placed on two GPUs as given.
    fn plan(placements: Vec<Placement>) -> Plan {
        let mut plan = crate::plan::tests::plan();
        let names = ["a", "b", "c"];
        plan.sharding = Some(ShardPlan {
            gpus: 2,
            memory_bytes: 1 << 20,
            tables: names.iter().zip(placements).map(|(n, p)| (n.to_string(), p)).collect(),
            loads: vec![GpuLoad { bytes: 0, traffic: 0.0 }; 2],
        });
        plan
    }

    #[test]
    fn parts_hold_their_tables_and_items_rebased() {
        let plan = plan(vec![Placement::Whole { gpu: 1 }, Placement::Whole { gpu: 0 }, Placement::Whole { gpu: 1 }]);
        let shards = plan.kernel_shards().unwrap();
        assert_eq!(shards.len(), 2);
        // GPU 0: table b alone at 0; its two items rebased from 8 and 12.
        assert_eq!((shards[0].tables.clone(), shards[0].packed_len), (vec![1], 24));
        let bases: Vec<i64> = shards[0].items.chunks(ITEM_FIELDS).map(|r| r[item::TABLE_BASE]).collect();
        assert_eq!(bases, vec![0, 4]);
        // GPU 1: a at 0, c at 8; every item keeps its output column.
        assert_eq!((shards[1].tables.clone(), shards[1].offsets.clone(), shards[1].packed_len), (vec![0, 2], vec![0, 8], 12));
        let outs: Vec<(i64, i64)> = shards[1].items.chunks(ITEM_FIELDS).map(|r| (r[item::TABLE_BASE], r[item::OUT_BASE])).collect();
        assert_eq!(outs, vec![(0, 0), (8, 12)]);
        // Their tables cut from the whole packed buffer.
        let packed: Vec<f32> = (0..plan.packed_tables_len()).map(|i| i as f32).collect();
        assert_eq!(shards[1].tables_of(&plan, &packed).unwrap()[8], 32.0);
        assert_eq!(shards[0].tables_of(&plan, &packed).unwrap(), packed[8..32].to_vec());
        // Every item once over the parts.
        assert_eq!(shards.iter().map(KernelShard::num_items).sum::<usize>(), plan.items.len() / ITEM_FIELDS);
    }

    #[test]
    fn unplaced_and_row_split_tables_are_clear_errors() {
        let rows = Placement::Rows { parts: vec![RowRange { gpu: 0, begin: 0, end: 2 }, RowRange { gpu: 1, begin: 2, end: 3 }] };
        let plan = plan(vec![Placement::Whole { gpu: 0 }, rows, Placement::Whole { gpu: 1 }]);
        let e = plan.kernel_shards().unwrap_err().to_string();
        assert!(e.contains("table 'b' is split by rows over GPUs 0, 1") && e.contains("table-wise placements only"), "{e}");
        let plan = plan_with_gpu(5);
        let e = plan.kernel_shards().unwrap_err().to_string();
        assert!(e.contains("table 'a' is on GPU 5 of 2"), "{e}");
    }

    fn plan_with_gpu(gpu: usize) -> Plan {
        plan(vec![Placement::Whole { gpu }, Placement::Whole { gpu: 0 }, Placement::Whole { gpu: 0 }])
    }

    #[test]
    fn without_a_placement_one_part_is_the_whole_kernel() {
        let mut plan = plan(vec![Placement::Whole { gpu: 0 }; 3]);
        plan.sharding = None;
        let shards = plan.kernel_shards().unwrap();
        assert_eq!(shards.len(), 1);
        assert_eq!(shards[0].items, plan.items);
        assert_eq!(shards[0].packed_len, plan.packed_tables_len());
    }
}
