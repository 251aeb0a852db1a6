//! The embedding layer evaluated the way a sharded runtime runs it, on the
//! CPU: the tables cut as a [`ShardPlan`] places them (each GPU holds only
//! its tables and row ranges), a request's ids split per GPU, each GPU
//! working on what it holds, the results brought back. It must give the
//! same bits as [`crate::evaluate`] on the whole tables — the property the
//! tests check over random models and plans — which fixes the runtime's
//! contract before any second GPU runs it:
//!
//! * a column whose table is **whole** on one GPU is pooled there (that
//!   GPU's kernel) and its `[B, D]` block travels to the output;
//! * a column of a table **split by rows** has its ids routed to the GPUs
//!   holding them ([`ShardPlan::route`]), each GPU gathers its rows, the
//!   rows travel back and are pooled in the request's order — pooling
//!   partial sums per GPU would round differently.
//!
//! Errors are the unsharded ones: the same checks, in the same order.
use crate::{check_inputs, pool_bag, ColumnInput, EvalError, Model, Table};
use recom_abi::shard::{Placement, ShardPlan, TableLoad};
use std::collections::HashMap;

/// What one GPU holds: per table of the model, its first row and the rows
/// (`None`: none of that table).
#[derive(Clone, Debug, PartialEq)]
pub struct Shard {
    pub tables: Vec<Option<(usize, Table)>>,
}

/// The planner's view of `model`'s tables, named `names`: bytes as the
/// kernel stores them (rows padded to `row_pitch`) and the traffic of the
/// columns reading each, with `ids_per_row[c]` expected ids per row in
/// column c (1 where unknown).
pub fn loads(model: &Model, names: &[String], ids_per_row: &[f64]) -> Vec<TableLoad> {
    let tables: Vec<(String, u64, u64)> = model.tables.iter().zip(names).map(|(t, n)| (n.clone(), t.rows as u64, t.dim as u64)).collect();
    let column_tables: Vec<usize> = model.columns.iter().map(|c| c.table).collect();
    recom_abi::shard::table_loads(&tables, &column_tables, ids_per_row)
}

/// Cuts `model`'s tables (named `names`) as `plan` places them.
pub fn shards(model: &Model, names: &[String], plan: &ShardPlan) -> Result<Vec<Shard>, String> {
    let mut shards = vec![Shard { tables: vec![None; model.tables.len()] }; plan.gpus];
    for (t, (table, name)) in model.tables.iter().zip(names).enumerate() {
        let placement = plan.placement(name).ok_or_else(|| format!("the plan places no table '{name}'"))?;
        let ranges: Vec<(usize, usize, usize)> = match placement {
            Placement::Whole { gpu } => vec![(*gpu, 0, table.rows)],
            Placement::Rows { parts } => parts.iter().map(|p| (p.gpu, p.begin as usize, p.end as usize)).collect(),
        };
        for (gpu, begin, end) in ranges {
            let shard = shards.get_mut(gpu).ok_or_else(|| format!("table '{name}' on GPU {gpu} of {}", plan.gpus))?;
            if end > table.rows || begin > end {
                return Err(format!("table '{name}': rows [{begin}, {end}) of {}", table.rows));
            }
            let data = table.data[begin * table.dim..end * table.dim].to_vec();
            shard.tables[t] = Some((begin, Table { rows: end - begin, dim: table.dim, data }));
        }
    }
    Ok(shards)
}

/// Evaluates a batch on `shards` (made by [`shards`] from the same plan).
pub fn evaluate_sharded(model: &Model, names: &[String], plan: &ShardPlan, shards: &[Shard], inputs: &[ColumnInput]) -> Result<Vec<f32>, EvalError> {
    let batch = check_inputs(model, inputs)?;
    let width = model.width();
    let mut out = vec![0f32; batch * width];
    let mut base = 0;
    for (c, (column, input)) in model.columns.iter().zip(inputs).enumerate() {
        let full = &model.tables[column.table];
        let (rows, dim) = (full.rows, full.dim);
        let placement = plan.placement(&names[column.table]).expect("shards() checked every table is placed");
        match placement {
            Placement::Whole { gpu } => {
                // Pooled on the GPU holding the table, from its copy.
                let (_, table) = shards[*gpu].tables[column.table].as_ref().expect("shards() put the table there");
                for row in 0..batch {
                    let dst = &mut out[row * width + base..row * width + base + dim];
                    pool_bag(c, row, column, rows, |id| table.row(id), input, dst)?;
                }
            }
            Placement::Rows { .. } => {
                // Split: every id the bags may read, routed to its GPU.
                let mut wanted: Vec<Vec<(usize, usize)>> = vec![Vec::new(); plan.gpus];
                for &raw in &input.ids {
                    let candidate = match crate::effective_id(column, rows, raw, input.bytes.as_deref().unwrap_or_default()) {
                        Ok(Some(id)) => id,
                        // Dropped, or an error pool_bag reports in order.
                        _ => continue,
                    };
                    if let Some((gpu, local)) = ShardPlan::route(placement, candidate as u64) {
                        wanted[gpu].push((candidate as usize, local as usize));
                    }
                }
                // Each GPU gathers its rows; they travel back.
                let mut received: HashMap<usize, Vec<f32>> = HashMap::new();
                for (gpu, ids) in wanted.iter().enumerate() {
                    let Some((_, part)) = shards[gpu].tables[column.table].as_ref() else { continue };
                    for &(id, local) in ids {
                        received.entry(id).or_insert_with(|| part.row(local).to_vec());
                    }
                }
                // Pooled in the request's order from the rows received.
                for row in 0..batch {
                    let dst = &mut out[row * width + base..row * width + base + dim];
                    pool_bag(c, row, column, rows, |id| received.get(&id).map(Vec::as_slice).expect("every kept id was routed and gathered"), input, dst)?;
                }
            }
        }
        base += dim;
    }
    Ok(out)
}
