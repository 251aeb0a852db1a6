//! `recom-bench sharded`: the benchmark of tables beyond one GPU.
//!
//! The model is `recom_reference::synthetic::beyond_one_gpu`, compiled on the
//! build machine without table values (`bench_artifacts --beyond`); its
//! tables are made on the GPUs that hold them ([`Tables::Generated`]), so a
//! model larger than the host's memory is served without crossing the bus.
//! A small batch is checked against the reference evaluator (the rows it
//! reads computed on the host by the same rule), then requests are timed at
//! each batch size with where their time went.
use recom_abi::request::ColumnInput;
use recom_reference::{
    evaluate,
    synthetic::{beyond_one_gpu, workload_shapes},
    Model, Table,
};
use recom_runtime::{
    gpu::{multi::MultiGpuModel, GeneratedTables, GpuModel, Tables},
    plan::{Artifact, Plan},
};
use serde::Serialize;
use std::{collections::HashMap, path::Path, time::Instant};

/// The model's served form: on several GPUs, or on one.
enum Served {
    Multi(Box<MultiGpuModel>),
    One(Box<GpuModel>),
}

#[derive(Serialize)]
struct Row {
    batch: usize,
    gpus: usize,
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    requests_per_s: f64,
    /// Means, ms (several GPUs only: the GPUs' share timed by events).
    stage_ms: Option<f64>,
    gpu_kernels_ms: Option<f64>,
    nccl_ms: Option<f64>,
    download_ms: Option<f64>,
    /// One GPU only: the kernel alone, the request resident (median of
    /// event-timed launches).
    kernel_ms: Option<f64>,
}

/// The model the artifact was compiled from, checked against its plan.
fn model_of(plan: &Plan, seed: u64, batch: usize) -> Result<(Model, Vec<ColumnInput>), String> {
    let rows = plan.tables.first().map_or(0, |t| t.rows) as u64;
    let spec = beyond_one_gpu(rows * 16 * 256, batch, seed);
    let (model, inputs) = workload_shapes(&spec);
    let matches = model.tables.len() == plan.tables.len()
        && model.tables.iter().enumerate().all(|(i, t)| plan.tables.iter().any(|s| s.name == format!("table_{i}") && s.rows == t.rows && s.dim == t.dim));
    if !matches {
        return Err("the artifact is not a model of `bench_artifacts --beyond` (its tables differ from beyond_one_gpu's)".into());
    }
    Ok((model, inputs))
}

/// The reference's answer for `inputs`, from tables holding only the rows
/// they read (each computed by the generation rule), ids renumbered.
fn reference(model: &Model, inputs: &[ColumnInput], generated: GeneratedTables) -> Result<Vec<f32>, String> {
    let mut tables = Vec::with_capacity(model.tables.len());
    let mut renumbered = Vec::with_capacity(inputs.len());
    let mut columns = model.columns.clone();
    for (c, (column, input)) in model.columns.iter().zip(inputs).enumerate() {
        let table = &model.tables[column.table];
        let name = format!("table_{}", column.table);
        let mut index: HashMap<i64, i64> = HashMap::new();
        let mut data = Vec::new();
        let ids = input
            .ids
            .iter()
            .map(|&id| {
                let next = index.len() as i64;
                *index.entry(id).or_insert_with(|| {
                    data.extend((0..table.dim).map(|col| generated.value(&name, table.rows, table.dim, id as usize, col)));
                    next
                })
            })
            .collect();
        tables.push(Table { rows: index.len(), dim: table.dim, data });
        columns[c].table = c;
        renumbered.push(ColumnInput { ids, offsets: input.offsets.clone(), weights: input.weights.clone(), bytes: input.bytes.clone() });
    }
    evaluate(&Model { tables, columns }, &renumbered).map_err(|e| format!("reference: {e}"))
}

pub fn sharded(artifact: &Path, seed: u64, devices: Option<&[usize]>, batches: &[usize], requests: usize, out: Option<&Path>) -> Result<(), String> {
    let text = std::fs::read_to_string(artifact).map_err(|e| format!("{}: {e}", artifact.display()))?;
    let artifact = Artifact::from_json(&text).map_err(|e| e.to_string())?;
    let plan = &artifact.plan;
    let gpus = plan.sharding.as_ref().map_or(1, |s| s.gpus);
    let devices: Vec<usize> = devices.map_or_else(|| (0..gpus).collect(), <[usize]>::to_vec);
    let generated = GeneratedTables { seed };
    let bytes = 4 * plan.packed_tables_len() as u64;
    let start = Instant::now();
    let served = if gpus > 1 {
        Served::Multi(Box::new(MultiGpuModel::load_tables(&artifact, Tables::Generated(generated), &devices).map_err(|e| e.to_string())?))
    } else {
        let [device] = devices[..] else { return Err(format!("the model's tables are on one GPU, {} devices were given", devices.len())) };
        Served::One(Box::new(GpuModel::load_tables(&artifact, Tables::Generated(generated), &[device]).map_err(|e| e.to_string())?))
    };
    println!(
        "{:.1} GiB of tables ({} tables) made on GPUs {devices:?} in {:.2} s",
        bytes as f64 / (1u64 << 30) as f64,
        plan.tables.len(),
        start.elapsed().as_secs_f64()
    );
    if let Some(sharding) = &plan.sharding {
        for (g, load) in sharding.loads.iter().enumerate() {
            println!("  GPU {g}: {:.1} GiB", load.bytes as f64 / (1u64 << 30) as f64);
        }
    }
    // A serving loop: the output vector reused across requests.
    let run = |inputs: &[ColumnInput], out: &mut Vec<f32>| -> Result<Option<recom_runtime::gpu::multi::MultiTimes>, String> {
        match &served {
            Served::Multi(m) => m.run_into_timed(inputs, out).map(Some).map_err(|e| e.to_string()),
            Served::One(g) => g.run_into(inputs, out).map(|()| None).map_err(|e| e.to_string()),
        }
    };
    let mut got = Vec::new();
    // The answer checked on a small batch and on the largest.
    for b in [7, batches.iter().copied().max().unwrap_or(7)] {
        let (model, inputs) = model_of(plan, seed ^ 0x5eed, b)?;
        run(&inputs, &mut got).map_err(|e| format!("B = {b}: {e}"))?;
        let want = reference(&model, &inputs, generated)?;
        match recom_runtime::compare_outputs(&got, &want).map_err(|e| format!("B = {b}: {e}"))? {
            Some((i, g, w, err)) if err > 1e-5 => return Err(format!("B = {b}: output element {i} is {g}, the reference says {w}")),
            worst => println!("B = {b}: equal to the reference (largest error {:.1e})", worst.map_or(0.0, |w| w.3)),
        }
    }
    println!("| batch | GPUs | p50 ms | p99 ms | requests/s | stage ms | copy + kernel ms (slowest GPU) | NCCL ms | download ms | kernel ms (one GPU, resident) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    for &b in batches {
        let (_, inputs) = model_of(plan, seed, b)?;
        // Warm: every lane's buffers grown (a request takes the next lane).
        for _ in 0..3 * recom_runtime::gpu::DEFAULT_LANES {
            run(&inputs, &mut got).map_err(|e| format!("B = {b}: {e}"))?;
        }
        let n = requests.max(1);
        let mut times = Vec::with_capacity(n);
        let mut parts = [0f64; 4];
        let mut profiled = false;
        let all = Instant::now();
        for _ in 0..n {
            let t = Instant::now();
            let phases = run(&inputs, &mut got).map_err(|e| format!("B = {b}: {e}"))?;
            times.push(ms(t.elapsed()));
            if let Some(p) = phases {
                profiled = true;
                let each = [ms(p.stage), p.gpu_kernels.map_or(0.0, ms), p.nccl.map_or(0.0, ms), ms(p.download)];
                for (sum, x) in parts.iter_mut().zip(each) {
                    *sum += x / n as f64;
                }
            }
        }
        let rate = n as f64 / all.elapsed().as_secs_f64();
        let kernel_ms = match &served {
            Served::One(g) => Some(resident_kernel_ms(g, &inputs).map_err(|e| format!("B = {b}: {e}"))?),
            Served::Multi(_) => None,
        };
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        let part = |i: usize| profiled.then_some(parts[i]);
        let row = Row {
            batch: b,
            gpus,
            requests: n,
            p50_ms: pct(0.5),
            p99_ms: pct(0.99),
            requests_per_s: rate,
            stage_ms: part(0),
            gpu_kernels_ms: part(1),
            nccl_ms: part(2),
            download_ms: part(3),
            kernel_ms,
        };
        let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        println!(
            "| {b} | {gpus} | {:.3} | {:.3} | {:.0} | {} | {} | {} | {} | {} |",
            row.p50_ms,
            row.p99_ms,
            row.requests_per_s,
            show(row.stage_ms),
            show(row.gpu_kernels_ms),
            show(row.nccl_ms),
            show(row.download_ms),
            show(row.kernel_ms)
        );
        rows.push(row);
    }
    if let Some(out) = out {
        let json = serde_json::json!({ "table_bytes": bytes, "gpus": gpus, "devices": devices, "seed": seed, "rows": rows });
        std::fs::write(out, serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

/// The kernel alone on one GPU, the request uploaded once: the median of
/// 20 launches timed by events.
fn resident_kernel_ms(gpu: &GpuModel, inputs: &[ColumnInput]) -> Result<f64, String> {
    let request = gpu.upload(inputs).map_err(|e| e.to_string())?;
    let stream = gpu.stream().clone();
    let timing = Some(recom_runtime::gpu::EventFlags::CU_EVENT_DEFAULT);
    let mut times = Vec::with_capacity(20);
    for _ in 0..23 {
        let start = stream.record_event(timing).map_err(|e| format!("{e:?}"))?;
        gpu.launch(&request).map_err(|e| e.to_string())?;
        let end = stream.record_event(timing).map_err(|e| format!("{e:?}"))?;
        times.push(start.elapsed_ms(&end).map_err(|e| format!("{e:?}"))? as f64);
    }
    let (_, status) = gpu.download(&request).map_err(|e| e.to_string())?;
    gpu.plan().check_status(status, inputs).map_err(|e| e.to_string())?;
    times.drain(..3);
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
