//! recom-bench: the benchmark workloads, shared by every system in the run.
//!
//! * `recom-bench dump --out DIR` writes each workload (packed tables, ids,
//!   offsets, table slots) for the peers script (`bench/peers.py`).
//! * `recom-bench gpu --artifacts DIR --out FILE` loads each artifact
//!   (compiled by `cargo run -p recom --example bench_artifacts`), checks the
//!   GPU output against the reference evaluator and times the fused kernel
//!   (inputs resident) and whole requests (pack + one upload + launch +
//!   download).
//!
//! Workloads are seeded: every system sees the same model and batch.

// Requests allocate and free many short vectors from several threads (see
// the recom command's main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod hostile;
mod sharded;

use clap::{Parser, Subcommand};
use recom_reference::{
    evaluate,
    synthetic::{benchmark_workloads as workloads, workload},
    Model,
};
use recom_abi::request::ColumnInput;
use recom_runtime::{
    gpu::GpuModel,
    plan::Artifact,
};
use serde::Serialize;
use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
    time::Instant,
};

#[derive(Parser)]
#[command(name = "recom-bench", about = "recom's GPU benchmark workloads, checks and timings")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write every workload for the peers script.
    Dump {
        #[arg(long)]
        out: PathBuf,
    },
    /// Check and time recom on the GPU.
    Gpu {
        /// Folder with <workload>.json artifacts.
        #[arg(long)]
        artifacts: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Timed repetitions (median reported).
        #[arg(long, default_value_t = 200)]
        reps: usize,
        #[arg(long, default_value_t = 0)]
        device: usize,
        /// Only this workload.
        #[arg(long)]
        only: Option<String>,
        /// L2 fetch granularity in bytes per miss (32, 64, 128), else the driver's default.
        #[arg(long)]
        l2_fetch_bytes: Option<usize>,
    },
    /// Serve compiled model bundles on the GPU (what `recom run` and `recom
    /// bench` do, without MLIR): check every output against the batch's
    /// expected outputs, then time whole requests at each batch size.
    Serve {
        /// Bundle folders (`recom compile -o ...`).
        #[arg(long, required = true, num_args = 1..)]
        model: Vec<PathBuf>,
        /// One batch file per model, with in.* inputs and out.* expected outputs.
        #[arg(long, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        #[arg(long, value_delimiter = ',', default_value = "1,32,512,2048")]
        batch: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_value = "1")]
        concurrency: Vec<usize>,
        #[arg(long, default_value_t = 300)]
        requests: usize,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write each model's columns, weights and per-batch CSR inputs
        /// (after the host program) here, for bench/model_peer.py.
        #[arg(long)]
        dump: Option<PathBuf>,
        /// The largest absolute error against the expected outputs that
        /// passes; a larger one, a NaN on one side or a missing element
        /// fails the run before anything is timed.
        #[arg(long, default_value_t = 1e-5)]
        tolerance: f64,
    },
    /// Serve a bundle compiled with `--gpus N` on N GPUs (`MultiGpuModel`:
    /// each GPU its part, NCCL gathering the columns onto GPU 0, the dense
    /// layers there) and, for comparison, every part on GPU 0 (one stream
    /// each): the embedding layer and every output of the whole model
    /// checked equal bit for bit, then both timed per batch size with the
    /// breakdown (stage; copies, kernels and NCCL, and the kernels and
    /// NCCL timed by events on the GPUs; download).
    Multi {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        /// The GPUs, one per part of the model's placement.
        #[arg(long, value_delimiter = ',', required = true)]
        devices: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_value = "32,512,4096")]
        batch: Vec<usize>,
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// The benchmark of tables beyond one GPU: a model of `bench_artifacts
    /// --beyond` served with its tables made on the GPUs that hold them
    /// (never on the host), on its placement's GPUs (NCCL gathering the
    /// columns onto the first) or on one; a small and a large batch checked
    /// against the reference, then requests timed per batch size with the
    /// breakdown (stage; copy + kernel on the slowest GPU; NCCL; download).
    Sharded {
        /// The artifact (`<out>/beyond_<GIB>gib_<GPUS>gpu.json`).
        #[arg(long)]
        artifact: PathBuf,
        /// The seed of the tables' values.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The GPUs, one per part of the placement (default 0, 1, ...).
        #[arg(long, value_delimiter = ',')]
        devices: Option<Vec<usize>>,
        #[arg(long, value_delimiter = ',', default_value = "32,128,512,1024,2048,4096")]
        batch: Vec<usize>,
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Write the rows as JSON here too.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Time the host side of each benchmark workload's request alone
    /// (validation + packing into a reused buffer, with the shape program
    /// beside it) on this machine's CPU: median and p99 over the requests.
    Stage {
        /// Folder with <workload>.json artifacts.
        #[arg(long)]
        artifacts: PathBuf,
        #[arg(long, default_value_t = 500)]
        requests: usize,
    },
    /// Time a bundle's host program alone (raw request -> the columns' CSR
    /// ids and the dense program's host values) on this machine's CPU, at
    /// each batch size: median and p99 over the requests.
    Host {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long, value_delimiter = ',', default_value = "1,32,512,2048")]
        batch: Vec<usize>,
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Also write the model and its batches for the peers
        /// (`bench/model_peer.py`, `bench/peer_host.py`), recom's outputs
        /// from the reference path (no GPU needed).
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// Hostile requests made from each batch (one row, empty bags, 64x
    /// longer bags, values at the edges) on the GPU, each answer — or
    /// refusal — checked against the reference path.
    Hostile {
        /// Bundle folders (`recom compile -o ...`).
        #[arg(long, required = true, num_args = 1..)]
        model: Vec<PathBuf>,
        /// One batch file per model (its inputs are the starting point).
        #[arg(long, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        /// Relative error allowed in the dense outputs (the GPU's GEMMs
        /// sum in another order than the CPU's: with 64x longer bags the
        /// activations grow and logits differ by ~5e-5 relative); the
        /// embedding layer's outputs are held to 1e-6.
        #[arg(long, default_value_t = 1e-3)]
        tolerance: f64,
    },
    /// Write a wider model made from a real one (every input-layer column
    /// repeated `copies` more times, `recom_tf::widen`) and its batch (the
    /// inputs under each copy's names, the output repeated): scale tests of
    /// the compiler and the runtime without TensorFlow.
    Widen {
        /// The frozen GraphDef to widen.
        #[arg(long)]
        model: PathBuf,
        /// One of its batch files (in.* inputs, out.<output> expected).
        #[arg(long)]
        input: Option<PathBuf>,
        /// The input layer's output node.
        #[arg(long, default_value = "input_layer_output")]
        output: String,
        #[arg(long)]
        copies: usize,
        /// Folder to write model.pb (and batch.npz) into.
        #[arg(long)]
        out: PathBuf,
    },
    /// List the workloads with their byte counts: the floor's (every
    /// gathered row counted) and the distinct rows' (what DRAM must serve
    /// when the L2 cache catches every repeat).
    List,
}

fn main() {
    let args = Args::parse();
    let result = match args.command {
        Command::Dump { out } => dump(&out),
        Command::Gpu { artifacts, out, reps, device, only, l2_fetch_bytes } => {
            gpu(&artifacts, &out, reps, device, only.as_deref(), l2_fetch_bytes)
        }
        Command::Serve { model, input, batch, concurrency, requests, out, dump, tolerance } => {
            serve(&model, &input, &batch, &concurrency, requests, out.as_deref(), dump.as_deref(), tolerance)
        }
        Command::Stage { artifacts, requests } => stage(&artifacts, requests),
        Command::Multi { model, input, devices, batch, requests } => multi(&model, &input, &devices, &batch, requests),
        Command::Sharded { artifact, seed, devices, batch, requests, out } => {
            sharded::sharded(&artifact, seed, devices.as_deref(), &batch, requests, out.as_deref())
        }
        Command::Host { model, input, batch, requests, dump } => host(&model, &input, &batch, requests, dump.as_deref()),
        Command::Hostile { model, input, tolerance } => hostile::hostile(&model, &input, tolerance),
        Command::Widen { model, input, output, copies, out } => widen(&model, input.as_deref(), &output, copies, &out),
        Command::List => {
            for (name, spec) in workloads() {
                let (model, inputs) = workload(&spec);
                let (all, distinct) = row_bytes(&model, &inputs);
                println!("{name}: {spec:?}");
                println!(
                    "  floor bytes {:.1} MB, table rows {:.1} MB of which distinct {:.1} MB",
                    minimum_bytes(&model, &inputs) as f64 / 1e6,
                    all as f64 / 1e6,
                    distinct as f64 / 1e6
                );
            }
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("recom-bench: {e}");
        std::process::exit(1);
    }
}

fn write_raw<T: Copy>(path: &PathBuf, data: &[T]) -> Result<(), String> {
    let bytes = unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data)) };
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Serialize)]
struct DumpMeta {
    batch: usize,
    /// Per column: rows, dim, offset of its table in tables.f32.
    tables: Vec<(usize, usize, usize)>,
    /// Per column: number of ids.
    ids: Vec<usize>,
    /// Width of the ids and offsets recom's kernel reads by default: the
    /// peers read the same width.
    index_bits: u32,
}

fn dump(out: &Path) -> Result<(), String> {
    for (name, spec) in workloads() {
        let dir = out.join(&name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (model, inputs) = workload(&spec);
        let mut tables = Vec::new();
        let mut slots = Vec::new();
        for t in &model.tables {
            slots.push((t.rows, t.dim, tables.len()));
            tables.extend_from_slice(&t.data);
        }
        write_raw(&dir.join("tables.f32"), &tables)?;
        let ids: Vec<i64> = inputs.iter().flat_map(|i| i.ids.iter().copied()).collect();
        let offsets: Vec<i64> = inputs.iter().flat_map(|i| i.offsets.iter().copied()).collect();
        write_raw(&dir.join("ids.i64"), &ids)?;
        write_raw(&dir.join("offsets.i64"), &offsets)?;
        // The reference evaluator's output, [B, ΣD] row-major in column
        // order: every peer's output is checked against it.
        let expected = evaluate(&model, &inputs).map_err(|e| format!("{name}: reference: {e}"))?;
        write_raw(&dir.join("expected.f32"), &expected)?;
        // 32-bit where every row number and id position fits, as the compiler narrows them.
        let fits = |n: usize| n <= i32::MAX as usize;
        let index_bits = if model.tables.iter().all(|t| fits(t.rows)) && fits(ids.len()) { 32 } else { 64 };
        let meta = DumpMeta { batch: spec.batch, tables: slots, ids: inputs.iter().map(|i| i.ids.len()).collect(), index_bits };
        std::fs::write(dir.join("meta.json"), serde_json::to_string(&meta).unwrap()).map_err(|e| e.to_string())?;
        eprintln!("dumped {name}");
    }
    Ok(())
}

#[derive(Serialize)]
struct GpuResult {
    workload: String,
    columns: usize,
    batch: usize,
    ids: usize,
    width: usize,
    /// Width of the ids and offsets recom's kernel reads (32 or 64).
    index_bits: u32,
    /// Bytes the kernel must move at least: gathered rows (32-byte sectors),
    /// ids, offsets, output.
    bytes: usize,
    /// The same with each distinct table row counted once (every repeat
    /// served by L2).
    distinct_bytes: usize,
    /// Median over rounds of each round's median (warm L2), and the rounds' range.
    kernel_us: f64,
    kernel_spread_us: (f64, f64),
    /// The same with L2 flushed before every launch.
    kernel_cold_us: f64,
    kernel_cold_spread_us: (f64, f64),
    /// Bytes of one request over PCIe: the packed input up, `[B, ΣD]` and
    /// the status word down; at the measured page-locked copy rates.
    input_bytes: usize,
    output_bytes: usize,
    h2d_gbps: f64,
    d2h_gbps: f64,
    /// What those bytes alone take on the link (no latency counted).
    pcie_us: f64,
    request_us: f64,
    /// A request whose output is read in place from page-locked staging
    /// (`GpuModel::run_with`) instead of copied into the caller's vector.
    request_lent_us: f64,
    /// The same two with the kernel writing the output straight into the
    /// page-locked landing buffer (`OutputPath::Mapped`).
    request_mapped_us: f64,
    request_lent_mapped_us: f64,
    /// The served path (`GpuModel::run_outputs`: the request as one
    /// captured CUDA graph), output copied into vectors of the caller's, and
    /// lent in place (`run_outputs_with`).
    request_graph_us: f64,
    request_graph_lent_us: f64,
    /// Parts of a request, each alone (medians): validate + pack + the shape
    /// program on the host; the request's input bytes up and output bytes
    /// down, each one page-locked copy timed with events.
    stage_us: f64,
    h2d_us: f64,
    d2h_us: f64,
    max_rel_err: f64,
    max_abs_err: f64,
}

/// Rounds of timed kernel launches (their medians' spread is reported).
const ROUNDS: usize = 5;
/// Bytes written between cold launches: above every current GPU's L2 (H200: 60 MB).
const FLUSH_BYTES: usize = 512 << 20;

/// The smallest and largest of the rounds' medians.
fn spread(rounds: &[f64]) -> (f64, f64) {
    rounds.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// Page-locked host <-> device copy rates in bytes/s (host-to-device,
/// device-to-host), from copies of 64 MiB each way.
fn link_bandwidth(stream: &std::sync::Arc<recom_runtime::gpu::Stream>) -> Result<(f64, f64), String> {
    const BYTES: usize = 64 << 20;
    let (up, down) = copy_us(stream, BYTES, BYTES)?;
    Ok((BYTES as f64 / (up * 1e-6), BYTES as f64 / (down * 1e-6)))
}

/// Medians of 20 page-locked copies of `up` bytes to the device and `down`
/// bytes back, in µs (CUDA events around each).
fn copy_us(stream: &std::sync::Arc<recom_runtime::gpu::Stream>, up: usize, down: usize) -> Result<(f64, f64), String> {
    let err = |e: recom_runtime::gpu::DriverError| format!("timing host <-> device copies: {e:?}");
    let n = up.max(down).max(1);
    let mut host = unsafe { stream.context().alloc_pinned::<u8>(n) }.map_err(err)?;
    let mut device = stream.alloc_zeros::<u8>(n).map_err(err)?;
    let timing = Some(cudarc_event_flags());
    let (mut ups, mut downs) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let start = stream.record_event(timing).map_err(err)?;
        stream.memcpy_htod(&host.as_slice().map_err(err)?[..up], &mut device.slice_mut(0..up)).map_err(err)?;
        let middle = stream.record_event(timing).map_err(err)?;
        stream.memcpy_dtoh(&device.slice(0..down), &mut host.as_mut_slice().map_err(err)?[..down]).map_err(err)?;
        let end = stream.record_event(timing).map_err(err)?;
        end.synchronize().map_err(err)?;
        ups.push(start.elapsed_ms(&middle).map_err(err)? as f64 * 1e3);
        downs.push(middle.elapsed_ms(&end).map_err(err)? as f64 * 1e3);
    }
    Ok((median(ups), median(downs)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn table_map(model: &Model, artifact: &Artifact) -> HashMap<String, Vec<f32>> {
    // Artifacts name tables table_<i> (the integration tests' model_ir::table_name).
    artifact
        .plan
        .tables
        .iter()
        .map(|slot| {
            let i: usize = slot.name.trim_start_matches("table_").parse().expect("table_<i>");
            (slot.name.clone(), model.tables[i].data.clone())
        })
        .collect()
}

/// Bytes the kernel must move at least: gathered rows, ids, offsets, output.
/// Ids and offsets count as the int64 the workload gives (the same bytes for
/// every system, whatever width recom's kernel reads them at).
fn minimum_bytes(model: &Model, inputs: &[ColumnInput]) -> usize {
    let mut bytes = row_bytes(model, inputs).0;
    for (column, input) in model.columns.iter().zip(inputs) {
        let dim = model.tables[column.table].dim;
        bytes += input.ids.len() * 8 + input.offsets.len() * 8;
        bytes += (input.offsets.len() - 1) * dim * 4;
    }
    bytes
}

/// Bytes of the gathered table rows (each rounded up to 32-byte sectors):
/// all lookups, and distinct rows only.
fn row_bytes(model: &Model, inputs: &[ColumnInput]) -> (usize, usize) {
    let (mut all, mut distinct) = (0, 0);
    for (column, input) in model.columns.iter().zip(inputs) {
        let row = (model.tables[column.table].dim * 4).next_multiple_of(32);
        all += input.ids.len() * row;
        distinct += input.ids.iter().collect::<std::collections::HashSet<_>>().len() * row;
    }
    (all, distinct)
}

/// [`minimum_bytes`] with each distinct table row counted once.
fn distinct_bytes(model: &Model, inputs: &[ColumnInput]) -> usize {
    let (all, distinct) = row_bytes(model, inputs);
    minimum_bytes(model, inputs) - all + distinct
}

fn gpu(artifacts: &Path, out: &Path, reps: usize, device: usize, only: Option<&str>, l2_fetch_bytes: Option<usize>) -> Result<(), String> {
    let mut results = Vec::new();
    for (name, spec) in workloads() {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let path = artifacts.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let artifact = Artifact::from_json(&text)?;
        let t0 = Instant::now();
        let (model, inputs) = workload(&spec);
        let expected = evaluate(&model, &inputs).map_err(|e| e.to_string())?;
        let tables = artifact.plan.bind_tables(&table_map(&model, &artifact)).map_err(|e| e.to_string())?;
        eprintln!("{name}: workload + reference in {:.1} s", t0.elapsed().as_secs_f64());
        let mut gpu = GpuModel::load(&artifact, &tables, device).map_err(|e| e.to_string())?;
        if let Some(bytes) = l2_fetch_bytes {
            gpu.set_l2_fetch_granularity(bytes).map_err(|e| e.to_string())?;
        }
        // The host shape program's cost per request (on this machine's CPU).
        if let Some(program) = artifact.plan.shapes.as_ref() {
            let shapes = program.compile()?;
            let reps = 5000;
            let t = std::time::Instant::now();
            for _ in 0..reps {
                std::hint::black_box(shapes.evaluate(std::hint::black_box(&inputs)).map_err(|e| e.to_string())?);
            }
            eprintln!("{name}: shape program {:.2} us per request", t.elapsed().as_secs_f64() * 1e6 / reps as f64);
        }

        // Correctness: one full request.
        let got = gpu.run(&inputs).map_err(|e| e.to_string())?;
        let diff = recom_reference::compare(&got, &expected).map_err(|e| format!("{name}: GPU output: {e}"))?;
        let (max_rel, max_abs) = (diff.max_rel, diff.max_abs);
        if max_rel > 1e-5 {
            return Err(format!(
                "{name}: GPU output differs from the reference (max rel err {max_rel:e} at element {}: {} vs {})",
                diff.worst, got[diff.worst], expected[diff.worst]
            ));
        }

        // Kernel only, inputs resident: CUDA events around each launch, in
        // ROUNDS rounds (the spread of their medians is reported). Warm: the
        // same request again and again (c50's rows fit in L2). Cold: L2
        // flushed by a write of FLUSH_BYTES before each launch, outside the
        // events.
        let mut request = gpu.upload(&inputs).map_err(|e| e.to_string())?;
        let stream = gpu.stream().clone();
        let timing = Some(cudarc_event_flags());
        let mut flush = stream.alloc_zeros::<u8>(FLUSH_BYTES).map_err(|e| format!("{e:?}"))?;
        for _ in 0..10 {
            gpu.launch(&request).map_err(|e| e.to_string())?;
        }
        let mut warm_rounds = Vec::with_capacity(ROUNDS);
        let mut cold_rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            for cold in [false, true] {
                let mut times = Vec::with_capacity(reps);
                for _ in 0..reps {
                    gpu.reset_status(&mut request).map_err(|e| e.to_string())?;
                    if cold {
                        stream.memset_zeros(&mut flush).map_err(|e| format!("{e:?}"))?;
                    }
                    let start = stream.record_event(timing).map_err(|e| format!("{e:?}"))?;
                    gpu.launch(&request).map_err(|e| e.to_string())?;
                    let end = stream.record_event(timing).map_err(|e| format!("{e:?}"))?;
                    end.synchronize().map_err(|e| format!("{e:?}"))?;
                    times.push(start.elapsed_ms(&end).map_err(|e| format!("{e:?}"))? as f64 * 1000.0);
                }
                if cold { &mut cold_rounds } else { &mut warm_rounds }.push(median(times));
            }
        }
        drop(flush);
        // A launch reading the status word: the timed launches were all in range.
        let (_, status) = gpu.download(&request).map_err(|e| e.to_string())?;
        if status != 0 {
            return Err(format!("{name}: the kernel reported status {status:#x} on a valid request"));
        }
        // Whole requests, wall clock: validate + pack + 1 upload + launch +
        // download, into a reused output vector (a serving loop's steady
        // state). Any error ends the benchmark.
        let mut request_times = Vec::with_capacity(reps);
        let mut output = Vec::new();
        for _ in 0..reps.min(100) {
            let t = Instant::now();
            gpu.run_into(&inputs, &mut output).map_err(|e| format!("{name}: request: {e}"))?;
            request_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if output != got {
            return Err(format!("{name}: a repeated request's output differs from the first"));
        }
        let mut lent_times = Vec::with_capacity(reps);
        let mut checksum = 0f32;
        for _ in 0..reps.min(100) {
            let t = Instant::now();
            let sum = gpu.run_with(&inputs, |out| out[out.len() / 2]).map_err(|e| format!("{name}: request: {e}"))?;
            lent_times.push(t.elapsed().as_secs_f64() * 1e6);
            checksum += sum;
        }
        // Both again with the output written by the kernel over the bus.
        gpu.set_output_path(recom_runtime::gpu::OutputPath::Mapped);
        let (mut mapped_times, mut lent_mapped_times) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
        for _ in 0..reps.min(100) {
            let t = Instant::now();
            gpu.run_into(&inputs, &mut output).map_err(|e| format!("{name}: request (mapped output): {e}"))?;
            mapped_times.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            checksum += gpu.run_with(&inputs, |out| out[out.len() / 2]).map_err(|e| format!("{name}: request (mapped output): {e}"))?;
            lent_mapped_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if output != got {
            return Err(format!("{name}: the output written over the bus differs from the copied one"));
        }
        gpu.set_output_path(recom_runtime::gpu::OutputPath::Copy);
        // The served path: one graph per batch size (each lane captures it
        // on its second request), checked against the first answer.
        for _ in 0..3 * recom_runtime::gpu::DEFAULT_LANES {
            let outs = gpu.run_outputs(&inputs, &[], &[]).map_err(|e| format!("{name}: request (graph): {e}"))?;
            if outs.first() != Some(&got) {
                return Err(format!("{name}: the served path's output differs from the first request's"));
            }
        }
        let (mut graph_times, mut graph_lent_times) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
        for _ in 0..reps.min(100) {
            let t = Instant::now();
            std::hint::black_box(gpu.run_outputs(&inputs, &[], &[]).map_err(|e| format!("{name}: request (graph): {e}"))?);
            graph_times.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            checksum += gpu.run_outputs_with(&inputs, &[], &[], |outs| outs[0][outs[0].len() / 2]).map_err(|e| format!("{name}: request (graph, lent): {e}"))?;
            graph_lent_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        std::hint::black_box(checksum);
        // Where a request's time goes: validation + packing with the shape
        // program beside it (as a request runs them, into a reused buffer),
        // and the request's own bytes over the link each way (CUDA events,
        // page-locked memory).
        let shapes = artifact.plan.shapes.as_ref().map(|p| p.compile()).transpose()?;
        let mut staging: Vec<u8> = Vec::new();
        let stage_times = time_stage(&artifact.plan, shapes.as_ref(), &inputs, &mut staging, 100).map_err(|e| format!("{name}: staging: {e}"))?;
        let input_bytes = staging.len();
        let output_bytes = got.len() * 4 + 8;
        let (h2d_us, d2h_us) = copy_us(gpu.stream(), input_bytes, output_bytes)?;
        let link = link_bandwidth(gpu.stream())?;
        let result = GpuResult {
            workload: name.clone(),
            columns: spec.columns,
            batch: spec.batch,
            ids: inputs.iter().map(|i| i.ids.len()).sum(),
            width: artifact.plan.width,
            index_bits: artifact.plan.index_bits,
            bytes: minimum_bytes(&model, &inputs),
            distinct_bytes: distinct_bytes(&model, &inputs),
            kernel_us: median(warm_rounds.clone()),
            kernel_spread_us: spread(&warm_rounds),
            kernel_cold_us: median(cold_rounds.clone()),
            kernel_cold_spread_us: spread(&cold_rounds),
            input_bytes,
            output_bytes,
            h2d_gbps: link.0 / 1e9,
            d2h_gbps: link.1 / 1e9,
            pcie_us: (input_bytes as f64 / link.0 + output_bytes as f64 / link.1) * 1e6,
            request_us: median(request_times),
            request_lent_us: median(lent_times),
            request_mapped_us: median(mapped_times),
            request_lent_mapped_us: median(lent_mapped_times),
            request_graph_us: median(graph_times),
            request_graph_lent_us: median(graph_lent_times),
            stage_us: median(stage_times),
            h2d_us,
            d2h_us,
            max_rel_err: max_rel,
            max_abs_err: max_abs,
        };
        eprintln!(
            "{name}: kernel {:.1} us (cold {:.1}), request {:.1} us, output lent {:.1} us, mapped output: request {:.1} us, lent {:.1} us, served path (graph): request {:.1} us, lent {:.1} us; PCIe bytes {:.1} us (stage {:.1}, up {:.1}, down {:.1}), max rel err {:e}",
            result.kernel_us, result.kernel_cold_us, result.request_us, result.request_lent_us, result.request_mapped_us, result.request_lent_mapped_us, result.request_graph_us, result.request_graph_lent_us, result.pcie_us, result.stage_us, result.h2d_us, result.d2h_us, result.max_rel_err
        );
        results.push(result);
    }
    let mut file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    file.write_all(serde_json::to_string_pretty(&results).unwrap().as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}

/// `reps` runs of [`recom_runtime::plan::Plan::stage`] (validation and
/// packing with the shape program beside it) into `staging`, resized to the
/// request's bytes: each run's µs.
fn time_stage(
    plan: &recom_runtime::plan::Plan,
    shapes: Option<&recom_runtime::shape::CompiledShapes>,
    inputs: &[ColumnInput],
    staging: &mut Vec<u8>,
    reps: usize,
) -> Result<Vec<f64>, String> {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            plan.stage(shapes, inputs, |n| {
                staging.resize(n, 0);
                Ok(&mut staging[..])
            })
            .map_err(|e| e.to_string())?;
            Ok(t.elapsed().as_secs_f64() * 1e6)
        })
        .collect()
}

fn stage(artifacts: &Path, requests: usize) -> Result<(), String> {
    for (name, spec) in workloads() {
        let path = artifacts.join(format!("{name}.json"));
        let artifact = Artifact::from_json(&std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)?;
        let (_, inputs) = workload(&spec);
        let shapes = artifact.plan.shapes.as_ref().map(|p| p.compile()).transpose()?;
        let mut staging: Vec<u8> = Vec::new();
        let mut times = time_stage(&artifact.plan, shapes.as_ref(), &inputs, &mut staging, requests.max(1)).map_err(|e| format!("{name}: {e}"))?;
        times.sort_by(|a, b| a.total_cmp(b));
        // Its two halves alone: validation + packing, and the shape program.
        let weighted = artifact.plan.weighted();
        let timed = |f: &mut dyn FnMut() -> Result<(), String>| -> Result<f64, String> {
            let mut t: Vec<f64> = Vec::with_capacity(requests.max(1));
            for _ in 0..requests.max(1) {
                let start = Instant::now();
                f()?;
                t.push(start.elapsed().as_secs_f64() * 1e6);
            }
            Ok(median(t))
        };
        let write = timed(&mut || {
            let sized = recom_abi::request::ByteLayout::size(&inputs, &weighted, artifact.plan.index_bits).map_err(|e| e.to_string())?;
            sized.write_validated(&inputs, &weighted, &mut staging).map(|_| ()).map_err(|e| e.to_string())
        })?;
        let shape = match shapes.as_ref() {
            Some(program) => timed(&mut || program.evaluate(&inputs).map(|_| ()).map_err(|e| e.to_string()))?,
            None => 0.0,
        };
        println!(
            "{name}: stage p50 {:.1} us, p99 {:.1} us ({} bytes); alone: validate + pack {write:.1} us, shape program {shape:.1} us",
            times[times.len() / 2],
            times[times.len() * 99 / 100],
            staging.len()
        );
    }
    Ok(())
}

/// `recom-bench multi`.
fn multi(model: &Path, input: &Path, devices: &[usize], batches: &[usize], requests: usize) -> Result<(), String> {
    use recom_runtime::{bundle::Bundle, gpu::multi::MultiGpuModel, npz::Batch};
    let bundle = Bundle::read(model).map_err(|e| e.to_string())?;
    let plan = &bundle.artifact.plan;
    let tables = bundle.packed_tables().map_err(|e| e.to_string())?;
    let mut spread = MultiGpuModel::load(&bundle.artifact, &tables, devices).map_err(|e| e.to_string())?;
    let mut one = GpuModel::load_on(&bundle.artifact, &tables, &vec![devices[0]; devices.len()]).map_err(|e| e.to_string())?;
    let dense = !plan.dense.steps.is_empty();
    if dense {
        spread.attach_dense(&bundle.dense_weights()).map_err(|e| e.to_string())?;
        one.attach_dense(&bundle.dense_weights()).map_err(|e| e.to_string())?;
    }
    let feeds = Batch::open(input).and_then(|mut b| b.feeds(&plan.feeds)).map_err(|e| e.to_string())?;
    println!("{}: {} part(s) on GPUs {devices:?} (NCCL onto GPU {}), against every part on GPU {}", model.display(), devices.len(), devices[0], devices[0]);
    println!("| batch | {} GPUs p50 ms | p99 ms | stage ms | copies + kernels + NCCL ms | kernels (slowest GPU, events) ms | NCCL (events) ms | download ms | one GPU p50 ms | one GPU p99 ms | whole model: {} GPUs p50 ms | one GPU p50 ms |", devices.len(), devices.len());
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    for &b in batches {
        let feeds = recom_runtime::resize_feeds(&plan.feeds, &feeds, b)?;
        let (inputs, host_values) = plan.prepare_all(&feeds).map_err(|e| e.to_string())?;
        let dense_feeds = recom_runtime::serve::dense_feeds(plan, &feeds, b).map_err(|e| e.to_string())?;
        let (got, _) = spread.run_timed(&inputs).map_err(|e| format!("B = {b}: {e}"))?;
        let want = one.run(&inputs).map_err(|e| format!("B = {b}: {e}"))?;
        if got.iter().map(|x| x.to_bits()).ne(want.iter().map(|x| x.to_bits())) {
            return Err(format!("B = {b}: the embedding layer on {} GPUs differs from every part on one", devices.len()));
        }
        // The whole model: every output equal bit for bit.
        let (got, _) = spread.run_outputs_timed(&inputs, &dense_feeds, &host_values).map_err(|e| format!("B = {b}: {e}"))?;
        let want = one.run_outputs(&inputs, &dense_feeds, &host_values).map_err(|e| format!("B = {b}: {e}"))?;
        for (o, (x, y)) in got.iter().zip(&want).enumerate() {
            if x.iter().map(|v| v.to_bits()).ne(y.iter().map(|v| v.to_bits())) {
                return Err(format!("B = {b}: output '{}' on {} GPUs differs from every part on one", plan.outputs[o].name, devices.len()));
            }
        }
        // Warm: every lane of the one-GPU model has its buffers and graphs.
        let mut out = Vec::new();
        for _ in 0..3 * recom_runtime::gpu::DEFAULT_LANES {
            spread.run_into(&inputs, &mut out).map_err(|e| format!("B = {b}: {e}"))?;
            one.run_into(&inputs, &mut out).map_err(|e| format!("B = {b}: {e}"))?;
            spread.run_outputs_timed(&inputs, &dense_feeds, &host_values).map_err(|e| format!("B = {b}: {e}"))?;
            one.run_outputs(&inputs, &dense_feeds, &host_values).map_err(|e| format!("B = {b}: {e}"))?;
        }
        let n = requests.max(1);
        let (mut spread_ms, mut one_ms, mut spread_whole, mut one_whole) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut parts = [0f64; 5];
        for _ in 0..n {
            let t = Instant::now();
            let times = spread.run_into_timed(&inputs, &mut out).map_err(|e| format!("B = {b}: {e}"))?;
            spread_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3 / n as f64;
            let each = [ms(times.stage), ms(times.kernels_and_exchange), times.gpu_kernels.map_or(0.0, ms), times.nccl.map_or(0.0, ms), ms(times.download)];
            for (sum, d) in parts.iter_mut().zip(each) {
                *sum += d;
            }
            let t = Instant::now();
            one.run_into(&inputs, &mut out).map_err(|e| format!("B = {b}: {e}"))?;
            one_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            spread.run_outputs_timed(&inputs, &dense_feeds, &host_values).map_err(|e| format!("B = {b}: {e}"))?;
            spread_whole.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            one.run_outputs(&inputs, &dense_feeds, &host_values).map_err(|e| format!("B = {b}: {e}"))?;
            one_whole.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "| {b} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            pct(&mut spread_ms, 0.5),
            pct(&mut spread_ms, 0.99),
            parts[0],
            parts[1],
            parts[2],
            parts[3],
            parts[4],
            pct(&mut one_ms, 0.5),
            pct(&mut one_ms, 0.99),
            pct(&mut spread_whole, 0.5),
            pct(&mut one_whole, 0.5),
        );
    }
    println!("(every output of the whole model equal bit for bit to every part on one GPU at each batch size)");
    Ok(())
}

fn cudarc_event_flags() -> recom_runtime::gpu::EventFlags {
    recom_runtime::gpu::EventFlags::CU_EVENT_DEFAULT
}

/// `recom-bench serve`.
#[allow(clippy::too_many_arguments)]
fn serve(
    models: &[PathBuf],
    inputs: &[PathBuf],
    batches: &[usize],
    concurrency: &[usize],
    requests: usize,
    out: Option<&Path>,
    dump: Option<&Path>,
    tolerance: f64,
) -> Result<(), String> {
    use recom_runtime::{bundle::Bundle, npz::Batch, serve::GpuServer};
    if models.len() != inputs.len() {
        return Err(format!("{} models but {} inputs: give one batch file per model", models.len(), inputs.len()));
    }
    let mut report = Vec::new();
    for (path, input) in models.iter().zip(inputs) {
        let bundle = Bundle::read(path).map_err(|e| e.to_string())?;
        let server = GpuServer::load(&bundle, 0).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut batch = Batch::open(input).map_err(|e| e.to_string())?;
        let feeds = batch.feeds(&server.plan().feeds).map_err(|e| e.to_string())?;
        let outputs = server.run(&feeds).map_err(|e| format!("{}: {e}", input.display()))?;
        if let Some(dir) = dump {
            dump_model(dir, &bundle, &feeds, batches, &|f: &[recom_runtime::host::Feed]| server.run(f).map_err(|e| e.to_string()))?;
        }
        let mut errors = serde_json::Map::new();
        for (name, (_, got)) in &outputs {
            if let Some((_, want)) = batch.output(name).map_err(|e| e.to_string())? {
                let worst = recom_runtime::compare_outputs(got, &want).map_err(|e| format!("{}: {name}: {e}", input.display()))?;
                let err = worst.map_or(0.0, |w| w.3);
                println!("{}: {name}: max abs err {err:e} vs the expected outputs ({} values)", path.display(), got.len());
                if let Some((i, g, w, err)) = worst.filter(|w| !(w.3 <= tolerance)) {
                    return Err(format!("{}: {name}: max abs err {err:e} > {tolerance:e} at element {i}: got {g}, expected {w}", input.display()));
                }
                errors.insert(name.clone(), serde_json::json!(err));
            }
        }
        println!("{}", recom_runtime::serve::BenchRow::HEADER);
        let mut rows = Vec::new();
        for &c in concurrency {
            for &b in batches {
                let feeds = recom_runtime::resize_feeds(&server.plan().feeds, &feeds, b)?;
                let row = recom_runtime::serve::bench(&|f: &[recom_runtime::host::Feed]| server.run_timed(f), &feeds, b, c, requests).map_err(|e| e.to_string())?;
                println!("{}", row.markdown());
                rows.push(row);
            }
        }
        report.push(serde_json::json!({"model": path.display().to_string(), "input": input.display().to_string(), "max_abs_err": errors, "rows": rows}));
    }
    if let Some(out) = out {
        std::fs::write(out, serde_json::to_string_pretty(&report).expect("serializes")).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

fn host(model: &Path, input: &Path, batches: &[usize], requests: usize, dump: Option<&Path>) -> Result<(), String> {
    use recom_runtime::{bundle::Bundle, npz::Batch};
    let bundle = Bundle::read(model).map_err(|e| e.to_string())?;
    let plan = &bundle.artifact.plan;
    let feeds = Batch::open(input).and_then(|mut b| b.feeds(&plan.feeds)).map_err(|e| e.to_string())?;
    if let Some(dir) = dump {
        let reference = recom_reference::served::model(&bundle)?;
        dump_model(dir, &bundle, &feeds, batches, &|f: &[recom_runtime::host::Feed]| recom_reference::served::outputs(&bundle, &reference, f))?;
    }
    println!("{}: {} host steps, {} columns", model.display(), plan.host.steps.len(), plan.columns.len());
    println!("| batch | host p50 ms | host p99 ms | its phases as it ran (p50), ms | stage p50 ms | one thread ms | longest step per level, ms | its steps by kind, ms |");
    println!("|---|---|---|---|---|---|---|---|");
    let shapes = plan.shapes.as_ref().map(|p| p.compile()).transpose()?;
    let mut staging: Vec<u8> = Vec::new();
    for &b in batches {
        let feeds = recom_runtime::resize_feeds(&plan.feeds, &feeds, b)?;
        plan.prepare_all(&feeds).map_err(|e| e.to_string())?;
        let mut times: Vec<f64> = (0..requests.max(1))
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(plan.prepare_all(std::hint::black_box(&feeds)).expect("prepared once already"));
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        // The same requests' phases as they ran (medians).
        let mut phase_runs = Vec::with_capacity(requests.max(1));
        for _ in 0..requests.max(1) {
            let (_, phases) = recom_runtime::host::prepare_all_timed(&plan.feeds, &plan.host, &feeds, &Default::default()).map_err(|e| e.to_string())?;
            phase_runs.push(phases);
        }
        let median_of = |f: &dyn Fn(&recom_runtime::host::HostPhases) -> f64| median(phase_runs.iter().map(f).collect());
        let level_count = phase_runs.iter().map(|p| p.levels.len()).max().unwrap_or(0);
        let as_ran = format!(
            "check {:.3} + levels {} + columns {:.3}",
            median_of(&|p| p.check.as_secs_f64() * 1e3),
            (0..level_count).map(|l| format!("{:.3}", median_of(&|p| p.levels.get(l).map_or(0.0, |d| d.as_secs_f64() * 1e3)))).collect::<Vec<_>>().join(" + "),
            median_of(&|p| p.columns.as_secs_f64() * 1e3)
        );
        // What the runtime does next with the columns' inputs: validation and
        // packing with the shape program beside it (`Plan::stage`).
        let (inputs, _) = plan.prepare_all(&feeds).map_err(|e| e.to_string())?;
        let stage = if plan.columns.is_empty() { 0.0 } else { median(time_stage(plan, shapes.as_ref(), &inputs, &mut staging, requests.max(1))?) / 1e3 };
        // Where it goes: each step timed alone (one thread), summed by op kind.
        let start = Instant::now();
        let steps = recom_runtime::host::step_times(&plan.feeds, &plan.host, &feeds, &Default::default()).map_err(|e| e.to_string())?;
        let sequential = start.elapsed().as_secs_f64() * 1e3;
        let mut kinds: std::collections::BTreeMap<&str, (usize, f64)> = Default::default();
        for (step, t) in plan.host.steps.iter().zip(&steps) {
            let entry = kinds.entry(step.op.kind()).or_default();
            entry.0 += 1;
            entry.1 += t.as_secs_f64() * 1e3;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, (n, ms))| format!("{n} {k} {ms:.3}")).collect();
        // The longest step of each level, one level after another: the
        // host program's time on unlimited cores (levels run in turn).
        let levels = plan.host.step_levels(plan.feeds.len())?;
        let mut longest = vec![0f64; levels.iter().max().map_or(0, |l| l + 1)];
        for (&l, t) in levels.iter().zip(&steps) {
            longest[l] = longest[l].max(t.as_secs_f64() * 1e3);
        }
        let critical: Vec<String> = longest.iter().map(|ms| format!("{ms:.3}")).collect();
        println!(
            "| {b} | {:.3} | {:.3} | {as_ran} | {stage:.3} | {sequential:.3} | {} | {} |",
            times[times.len() / 2],
            times[times.len() * 99 / 100],
            critical.join(" + "),
            kinds.join(", ")
        );
    }
    Ok(())
}

/// The model for `bench/model_peer.py`: `<name>.json` (tables, columns,
/// dense program, outputs), `<name>_weights.npz` and `<name>_b<B>.npz` per
/// batch size (each column's CSR ids after the host program, with filters and
/// out-of-range policies applied, the dense f32 feeds, and recom's outputs).
/// `run` answers a request (the GPU, or the reference path without one).
/// Also written: the host program and the feeds' specs (`host`,
/// `feed_specs`; the columns with their filter and out-of-range policy) and,
/// per batch, every raw input (`raw<i>`; strings as `raw<i>.utf8` bytes,
/// `raw<i>.offsets`, `raw<i>.shape`), so a peer can run the host side
/// itself (`bench/peer_host.py`).
fn dump_model(
    dir: &Path,
    bundle: &recom_runtime::bundle::Bundle,
    feeds: &[recom_runtime::host::Feed],
    batches: &[usize],
    run: &dyn Fn(&[recom_runtime::host::Feed]) -> Result<recom_runtime::serve::Outputs, String>,
) -> Result<(), String> {
    use npyz::WriterBuilder;
    use recom_abi::OutOfRange;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let plan = &bundle.artifact.plan;
    let name = bundle.dir.file_stem().and_then(|s| s.to_str()).unwrap_or("model").to_string();
    let widths = plan.feed_widths();
    let json = serde_json::json!({
        "name": name,
        "width": plan.width,
        "tables": plan.tables.iter().map(|t| serde_json::json!({"name": t.name, "rows": t.rows, "dim": t.dim})).collect::<Vec<_>>(),
        "columns": plan.columns.iter().map(|c| serde_json::json!({"table": c.table, "combiner": c.combiner, "weighted": c.weighted, "filter": c.filter, "on_out_of_range": c.on_out_of_range})).collect::<Vec<_>>(),
        "feeds": plan.feeds.iter().zip(&widths).map(|(f, w)| serde_json::json!({"name": f.name, "width": w})).collect::<Vec<_>>(),
        "feed_specs": plan.feeds,
        "host": plan.host,
        "dense": plan.dense,
        "outputs": plan.outputs,
    });
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("serializes")).map_err(|e| format!("{}: {e}", path.display()))?;
    enum Data {
        F(Vec<f32>),
        I(Vec<i64>),
        B(Vec<u8>),
    }
    type Arrays = Vec<(String, Vec<u64>, Data)>;
    let write = |path: &Path, arrays: Arrays| -> Result<(), String> {
        let err = |e: std::io::Error| format!("{}: {e}", path.display());
        let mut npz = npyz::npz::NpzWriter::create(path).map_err(err)?;
        for (key, shape, data) in arrays {
            match data {
                Data::F(f) => {
                    let mut w = npz.array::<f32>(&key, Default::default()).map_err(err)?.default_dtype().shape(&shape).begin_nd().map_err(err)?;
                    w.extend(f).map_err(err)?;
                    w.finish().map_err(err)?;
                }
                Data::I(i) => {
                    let mut w = npz.array::<i64>(&key, Default::default()).map_err(err)?.default_dtype().shape(&shape).begin_nd().map_err(err)?;
                    w.extend(i).map_err(err)?;
                    w.finish().map_err(err)?;
                }
                Data::B(b) => {
                    let mut w = npz.array::<u8>(&key, Default::default()).map_err(err)?.default_dtype().shape(&shape).begin_nd().map_err(err)?;
                    w.extend(b).map_err(err)?;
                    w.finish().map_err(err)?;
                }
            }
        }
        Ok(())
    };
    let mut weights: Arrays = Vec::new();
    for (t, slot) in plan.tables.iter().enumerate() {
        let values = match bundle.tensor(&slot.name) {
            Some(v) => v,
            // Synthetic identity tables (indicator, numeric columns).
            None if recom_abi::kernel::identity_table_size(&slot.name) == Some(slot.rows) && slot.rows == slot.dim => recom_abi::kernel::identity_table(slot.rows),
            None => return Err(format!("table '{}' has no data in the bundle", slot.name)),
        };
        weights.push((format!("table{t}"), vec![slot.rows as u64, slot.dim as u64], Data::F(values)));
    }
    for (w, (spec, values)) in plan.dense.weights.iter().zip(bundle.dense_weights()).enumerate() {
        weights.push((format!("weight{w}"), spec.shape.iter().map(|&d| d as u64).collect(), Data::F(values)));
    }
    write(&dir.join(format!("{name}_weights.npz")), weights)?;
    for &b in batches {
        let feeds = recom_runtime::resize_feeds(&plan.feeds, feeds, b)?;
        let inputs = plan.prepare(&feeds).map_err(|e| e.to_string())?;
        let outputs = run(&feeds)?;
        let mut arrays: Arrays = Vec::new();
        for (i, feed) in feeds.iter().enumerate() {
            use recom_runtime::host::Feed;
            let shape: Vec<u64> = feed.shape().iter().map(|&d| d as u64).collect();
            match feed {
                Feed::I64 { data, .. } => arrays.push((format!("raw{i}"), shape, Data::I(data.clone()))),
                Feed::F32 { data, .. } => arrays.push((format!("raw{i}"), shape, Data::F(data.clone()))),
                Feed::Str { data, .. } => {
                    let mut offsets = vec![0i64];
                    for s in data {
                        offsets.push(offsets.last().unwrap() + s.len() as i64);
                    }
                    let bytes: Vec<u8> = data.concat();
                    arrays.push((format!("raw{i}.utf8"), vec![bytes.len() as u64], Data::B(bytes)));
                    arrays.push((format!("raw{i}.offsets"), vec![offsets.len() as u64], Data::I(offsets)));
                    arrays.push((format!("raw{i}.shape"), vec![shape.len() as u64], Data::I(shape.iter().map(|&d| d as i64).collect())));
                }
            }
        }
        for (c, (column, input)) in plan.columns.iter().zip(&inputs).enumerate() {
            let rows = plan.tables[column.table].rows as i64;
            let (mut ids, mut offsets, mut ws) = (Vec::new(), vec![0i64], Vec::new());
            for r in 0..input.offsets.len().saturating_sub(1) {
                for k in input.offsets[r] as usize..input.offsets[r + 1] as usize {
                    let mut id = column.transform.as_ref().map_or(input.ids[k], |t| t.apply(input.ids[k], input.bytes.as_deref().unwrap_or_default()));
                    if let Some(f) = column.filter {
                        id = f.apply(id);
                    }
                    let w = input.weights.as_ref().map_or(1.0, |w| w[k]);
                    if id >= rows {
                        id = match column.on_out_of_range {
                            OutOfRange::Default(d) => d,
                            OutOfRange::Drop | OutOfRange::Error => -1,
                        };
                    }
                    if id < 0 || w.is_nan() {
                        continue;
                    }
                    ids.push(id);
                    ws.push(w);
                }
                offsets.push(ids.len() as i64);
            }
            let n = ids.len() as u64;
            arrays.push((format!("col{c}.ids"), vec![n], Data::I(ids)));
            arrays.push((format!("col{c}.offsets"), vec![offsets.len() as u64], Data::I(offsets)));
            if column.weighted {
                arrays.push((format!("col{c}.weights"), vec![n], Data::F(ws)));
            }
        }
        for i in recom_runtime::serve::dense_feeds_read(plan) {
            if let recom_runtime::host::Feed::F32 { data, .. } = &feeds[i] {
                arrays.push((format!("feed{i}"), vec![b as u64, widths[i].unwrap_or(1) as u64], Data::F(data.clone())));
            }
        }
        for (out_name, (shape, values)) in outputs {
            arrays.push((format!("out.{out_name}"), shape.iter().map(|&d| d as u64).collect(), Data::F(values)));
        }
        write(&dir.join(format!("{name}_b{b}.npz")), arrays)?;
    }
    Ok(())
}

fn widen(model: &Path, input: Option<&Path>, output: &str, copies: usize, out: &Path) -> Result<(), String> {
    let graph = recom_tf::read_graph(model).map_err(|e| e.to_string())?;
    let wide = recom_tf::widen::widen(&graph, output, copies).map_err(|e| format!("{}: {e}", model.display()))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let pb = out.join("model.pb");
    std::fs::write(&pb, recom_tf::encode_binary(&wide)).map_err(|e| format!("{}: {e}", pb.display()))?;
    println!("{}: {} nodes ({} in {})", pb.display(), wide.node.len(), graph.node.len(), model.display());
    if let Some(input) = input {
        let batch = out.join("batch.npz");
        recom_runtime::npz::widen_batch(input, &batch, output, copies).map_err(|e| e.to_string())?;
        println!("{}", batch.display());
    }
    Ok(())
}
