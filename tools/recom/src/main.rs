//! `recom`: compile a TensorFlow recommendation model into a bundle, inspect
//! it, run a batch through it and benchmark it — the user's entry point.
//! Every failure prints one located message and exits 1 (2 for bad flags,
//! as clap does); a mismatch found by `run --expected` exits 3.

// Requests allocate and free many short vectors from several threads:
// mimalloc's thread-local pages cost 1.3-2.8x less than glibc's malloc per
// host program on the H200 machine (bench/results/2026-12-01-h200-run8.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand, ValueEnum};
use recom::{
    runtime::{bundle::Bundle, npz::Batch, plan::Artifact},
    serve::{compile_model, CompileOptions, Device, Model, Outputs},
};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

#[derive(Parser)]
#[command(name = "recom", version, about = "Compile TensorFlow recommendation models into one fused GPU kernel plus their dense layers, and serve them")]
#[command(after_help = "Examples:\n  recom compile model.pb -o model.recom\n  recom inspect model.recom\n  recom run model.recom --input batch.npz --expected batch.npz\n  recom bench model.recom --input batch.npz --batch 1,32,512")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Target {
    Cpu,
    Gpu,
    All,
}

/// `recom compile --id-transforms`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum IdTransforms {
    Host,
    Kernel,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RunDevice {
    Cpu,
    Gpu,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a frozen GraphDef (.pb or .pbtxt) into a model folder
    Compile {
        /// The model: a frozen TensorFlow GraphDef
        model: PathBuf,
        /// Output node names (node or node:k), comma separated [default: the graph's sinks]
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
        /// The compiled model folder to write
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Where it will run
        #[arg(long, value_enum, default_value = "all")]
        device: Target,
        /// GPU chips to compile for
        #[arg(long, value_delimiter = ',', default_value = "sm_80,sm_90")]
        chips: Vec<String>,
        /// GEMM precision on the GPU (the CPU computes in fp32)
        #[arg(long, default_value = "fp32", value_parser = ["fp32", "tf32", "bf16"])]
        precision: String,
        /// Place the embedding tables on this many GPUs (table-wise; row-wise
        /// for a table one GPU cannot hold); the plan goes in the artifact
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        gpus: Option<u32>,
        /// Memory for tables on each GPU, in GiB (with --gpus)
        #[arg(long, default_value_t = 80.0, requires = "gpus")]
        gpu_memory: f64,
        /// Print every refusal of the raising matchers (node: op: why), to see why a part stays on the host
        #[arg(long)]
        explain: bool,
        /// Where hashes, vocabularies and bucketize of the columns' ids run:
        /// the host program, or the fused kernel (the host ships raw values
        /// and strings; on an H200 with 16 host cores hashing there was
        /// slower, see `docs/design.md`)
        #[arg(long, value_enum, default_value = "host")]
        id_transforms: IdTransforms,
        /// The fused kernel's shape (the options of `emb-lower-fused-columns`;
        /// the defaults are its own)
        #[command(flatten)]
        shape: KernelShape,
    },
    /// Show a model's inputs, outputs and columns (a .pb/.pbtxt or a compiled folder)
    Inspect {
        model: PathBuf,
    },
    /// Run one batch and write or check the outputs
    Run {
        /// The compiled model folder
        model: PathBuf,
        /// The inputs: in.<name> arrays (strings as .utf8 + .offsets)
        #[arg(long)]
        input: PathBuf,
        /// Write the outputs (out.<name>) here
        #[arg(long)]
        output: Option<PathBuf>,
        /// Compare with the out.<name> arrays of this file
        #[arg(long)]
        expected: Option<PathBuf>,
        /// Largest allowed absolute difference
        #[arg(long, default_value_t = 1e-5)]
        tolerance: f64,
        #[arg(long, value_enum)]
        device: Option<RunDevice>,
        /// The GPUs to serve on, comma separated: one, or one per part of a
        /// model compiled with --gpus N (distinct GPUs exchange the columns
        /// over NCCL; one GPU repeated runs every part on it) [default: 0;
        /// a model compiled with --gpus N: 0..N]
        #[arg(long, value_delimiter = ',')]
        devices: Vec<usize>,
    },
    /// Time whole requests (host inputs to host outputs): p50/p99, throughput, breakdown
    Bench {
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long, value_enum)]
        device: Option<RunDevice>,
        /// The GPUs to serve on, comma separated: one, or one per part of a
        /// model compiled with --gpus N (distinct GPUs exchange the columns
        /// over NCCL; one GPU repeated runs every part on it) [default: 0;
        /// a model compiled with --gpus N: 0..N]
        #[arg(long, value_delimiter = ',')]
        devices: Vec<usize>,
        /// Batch sizes: rows of the input batch, repeated or cut to each size
        #[arg(long, value_delimiter = ',')]
        batch: Vec<usize>,
        /// Requests in flight at once
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Timed requests per batch size
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
}

fn main() -> ExitCode {
    // Output piped into `head` ends the process quietly, as for any Unix tool.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile { model, outputs, output, device, chips, precision, gpus, gpu_memory, explain, id_transforms, shape } => {
            recom::passes::tf::tf_match::set_explain(explain);
            let result = compile(&model, outputs, &output, device, chips, &precision, gpus.map(|g| (g as usize, gpu_memory)), id_transforms, &shape);
            if explain {
                let log = recom::passes::tf::tf_match::take_explanations();
                println!("refusals of the raising matchers: {}", log.len());
                for entry in log {
                    println!("  {entry}");
                }
            }
            result
        }
        Command::Inspect { model } => inspect(&model),
        Command::Run { model, input, output, expected, tolerance, device, devices } => {
            run(&model, &input, output.as_deref(), expected.as_deref(), tolerance, device, &devices)
        }
        Command::Bench { model, input, device, devices, batch, concurrency, requests } => bench(&model, &input, device, &devices, &batch, concurrency, requests),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("recom: error: {message}");
            ExitCode::from(1)
        }
    }
}

/// `recom compile`'s kernel-shape flags: each unset one keeps the pass's
/// default (`recom::compile::Options::default`).
#[derive(clap::Args, Debug)]
struct KernelShape {
    /// Output elements one work item computes per iteration (1-8; 0: 8
    /// where every column's dim is a multiple of 8, else 4)
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=8))]
    elements_per_item: Option<i64>,
    /// Rows one work item computes (1-16)
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=16))]
    rows_per_item: Option<i64>,
    /// Ids of a bag gathered per iteration of the bag loop, every load
    /// issued before any is used (1-16)
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=16))]
    ids_per_iteration: Option<i64>,
}

impl KernelShape {
    fn options(&self, kernel_id_transforms: bool) -> recom::compile::Options {
        let default = recom::compile::Options::default();
        recom::compile::Options {
            elements_per_item: self.elements_per_item.unwrap_or(default.elements_per_item),
            rows_per_item: self.rows_per_item.unwrap_or(default.rows_per_item),
            ids_per_iteration: self.ids_per_iteration.unwrap_or(default.ids_per_iteration),
            kernel_id_transforms,
            ..default
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn compile(
    model: &Path,
    outputs: Vec<String>,
    out: &Path,
    device: Target,
    chips: Vec<String>,
    precision: &str,
    shard: Option<(usize, f64)>,
    id_transforms: IdTransforms,
    shape: &KernelShape,
) -> Result<ExitCode, String> {
    for chip in &chips {
        if !recom::serve::SUPPORTED_CHIPS.contains(&chip.as_str()) {
            return Err(format!("--chips: '{chip}' is not one of {}", recom::serve::SUPPORTED_CHIPS.join(", ")));
        }
    }
    let shard = match shard {
        Some((_, gib)) if !(gib > 0.0 && gib <= 1e6) => return Err(format!("--gpu-memory: {gib} GiB is not a memory size (0 < GiB <= 1e6)")),
        Some((gpus, gib)) => Some(recom::serve::ShardOptions { gpus, memory_bytes: (gib * (1u64 << 30) as f64) as u64 }),
        None => None,
    };
    let options = CompileOptions {
        outputs,
        cpu: device != Target::Gpu,
        chips: if device == Target::Cpu { Vec::new() } else { chips },
        precision: precision.parse()?,
        shard,
        kernel: shape.options(id_transforms == IdTransforms::Kernel),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("template"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let start = Instant::now();
    let artifact = compile_model(model, out, &options, &mut |stage| bar.set_message(stage.to_string())).map_err(|e| e.to_string());
    bar.finish_and_clear();
    let artifact = artifact?;
    println!("wrote {} in {:.1} s", out.display(), start.elapsed().as_secs_f64());
    print_summary(&artifact, false);
    Ok(ExitCode::SUCCESS)
}

fn print_summary(artifact: &Artifact, full: bool) {
    let plan = &artifact.plan;
    if let Some(s) = &artifact.summary {
        if plan.is_host_only() {
            println!(
                "{} TensorFlow nodes -> no embedding layer to fuse: the host program (TensorFlow evaluator) computes the outputs; {} host steps, {} dense steps; {:.1} MB of weights",
                s.tf_nodes,
                s.host_steps,
                s.dense_steps,
                s.weight_bytes as f64 / 1e6
            );
        } else {
            println!(
                "{} TensorFlow nodes -> {} columns in 1 fused kernel, {} host steps, {} dense steps; {:.1} MB of weights",
                s.tf_nodes,
                s.columns,
                s.host_steps,
                s.dense_steps,
                s.weight_bytes as f64 / 1e6
            );
        }
        let stages: Vec<String> = s.stages.iter().map(|(n, ms)| format!("{n} {ms:.0} ms")).collect();
        println!("stages: {}", stages.join(", "));
        // The host program by op kind (what runs on the CPU per request).
        let mut kinds: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for step in &plan.host.steps {
            *kinds.entry(step.op.kind().to_string()).or_default() += 1;
        }
        if !kinds.is_empty() {
            let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
            println!("host program: {}", kinds.join(", "));
        }
        if !s.host_fallback.is_empty() {
            println!("on the host (not raised yet, TensorFlow evaluator): {} value(s)", s.host_fallback.len());
            for node in s.host_fallback.iter().take(if full { usize::MAX } else { 5 }) {
                match node.char_indices().nth(200) {
                    Some((cut, _)) if !full => println!("  {} ...", &node[..cut]),
                    _ => println!("  {node}"),
                }
            }
            if !full && s.host_fallback.len() > 5 {
                println!("  ... (recom inspect lists them all)");
            }
        }
    }
    let chips: Vec<&str> = artifact.gpu.iter().map(|k| k.chip.as_str()).collect();
    println!(
        "targets: {}{}",
        if artifact.cpu.is_some() { "cpu " } else { "" },
        if chips.is_empty() { String::new() } else { format!("gpu ({})", chips.join(", ")) }
    );
    println!("inputs: {}", plan.feeds.len());
    let shown = if full { plan.feeds.len() } else { plan.feeds.len().min(8) };
    for f in &plan.feeds[..shown] {
        println!("  {:<40} {:?} {:?}", f.name, f.dtype, f.shape.as_deref().unwrap_or(&[]));
    }
    if shown < plan.feeds.len() {
        println!("  ... ({} more: recom inspect lists them all)", plan.feeds.len() - shown);
    }
    println!("outputs:");
    for o in &plan.outputs {
        println!("  {:<40} f32 {:?}", o.name, o.shape);
    }
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for c in &plan.columns {
        let t = &plan.tables[c.table];
        let kind = if recom::abi::kernel::identity_table_size(&t.name).is_some() { "indicator/numeric" } else if c.weighted { "weighted embedding" } else { "embedding" };
        *kinds.entry(kind.to_string()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("columns: {} ({}), output width {}", plan.columns.len(), kinds.join(", "), plan.width);
    // What the kernel turns raw values into ids with (--id-transforms kernel).
    let mut transforms = std::collections::BTreeMap::<&str, usize>::new();
    for c in &plan.columns {
        use recom::abi::kernel::TransformKind::*;
        if let Some(t) = &c.transform {
            let name = match recom::abi::kernel::TransformKind::of(t) {
                IntHashBucket => "integer hash",
                StrHashBucket => "string hash",
                IntVocabulary => "integer vocabulary",
                StrVocabulary => "string vocabulary",
                Bucketize => "bucketize",
            };
            *transforms.entry(name).or_default() += 1;
        }
    }
    if !transforms.is_empty() {
        let list: Vec<String> = transforms.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!("id transforms in the kernel: {}", list.join(", "));
    }
    if let Some(sharding) = &plan.sharding {
        print_sharding(sharding, full);
    }
}

/// The tables' placement: per GPU its bytes, traffic and tables.
fn print_sharding(sharding: &recom::abi::shard::ShardPlan, full: bool) {
    use recom::abi::shard::Placement;
    fn size(bytes: u64) -> String {
        match bytes {
            b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
            b if b >= 1 << 20 => format!("{:.2} MiB", b as f64 / (1u64 << 20) as f64),
            b => format!("{b} B"),
        }
    }
    println!("sharding: {} GPUs, {} each", sharding.gpus, size(sharding.memory_bytes));
    for (g, load) in sharding.loads.iter().enumerate() {
        let mut names = Vec::new();
        for (name, p) in &sharding.tables {
            match p {
                Placement::Whole { gpu } if *gpu == g => names.push(name.clone()),
                Placement::Rows { parts } => names.extend(parts.iter().filter(|r| r.gpu == g).map(|r| format!("{name}[{}..{})", r.begin, r.end))),
                _ => {}
            }
        }
        let shown = if full { names.len() } else { names.len().min(6) };
        let more = if shown < names.len() { format!(", ... ({} more)", names.len() - shown) } else { String::new() };
        println!(
            "  gpu {g}: {}, {:.0} B gathered per request row, {} table(s): {}{more}",
            size(load.bytes),
            load.traffic,
            names.len(),
            names[..shown].join(", ")
        );
    }
}

fn inspect(model: &Path) -> Result<ExitCode, String> {
    if model.is_dir() {
        let bundle = Bundle::read(model).map_err(|e| e.to_string())?;
        print_summary(&bundle.artifact, true);
        return Ok(ExitCode::SUCCESS);
    }
    let graph = recom::tf::read_graph(model).map_err(|e| e.to_string())?;
    println!("{}: {} nodes", model.display(), graph.node.len());
    println!("inputs:");
    for n in graph.node.iter().filter(|n| n.op == "Placeholder" || n.op == "PlaceholderWithDefault") {
        let dtype = n.attr.get("dtype").and_then(|a| a.value.as_ref()).map(|v| format!("{v:?}")).unwrap_or_default();
        println!("  {:<40} {} {}", n.name, n.op, dtype);
    }
    let consumed: std::collections::HashSet<&str> =
        graph.node.iter().flat_map(|n| n.input.iter()).map(|i| i.trim_start_matches('^').split(':').next().unwrap_or("")).collect();
    println!("sinks (default outputs):");
    for n in graph.node.iter().filter(|n| !consumed.contains(n.name.as_str()) && !matches!(n.op.as_str(), "Placeholder" | "Const" | "NoOp")) {
        println!("  {:<40} {}", n.name, n.op);
    }
    let mut ops = std::collections::BTreeMap::<&str, usize>::new();
    for n in &graph.node {
        *ops.entry(n.op.as_str()).or_default() += 1;
    }
    let top: Vec<String> = ops.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("ops: {}", top.join(", "));
    // What recom makes of it: compiled for no target into a scratch folder.
    let scratch = std::env::temp_dir().join(format!("recom-inspect-{}", std::process::id()));
    let options = CompileOptions { cpu: false, chips: Vec::new(), ..Default::default() };
    println!();
    match compile_model(model, &scratch, &options, &mut |_| {}) {
        Ok(artifact) => print_summary(&artifact, true),
        Err(e) => println!("recom cannot compile it yet (the default outputs): {e}"),
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(ExitCode::SUCCESS)
}

/// The device to serve on and its GPUs (`--devices` implies the GPU).
fn pick_device(device: Option<RunDevice>, devices: &[usize]) -> Result<Device, String> {
    Ok(match device {
        Some(RunDevice::Cpu) if !devices.is_empty() => return Err("--devices names GPUs: it does not go with --device cpu".into()),
        Some(RunDevice::Cpu) => Device::Cpu,
        Some(RunDevice::Gpu) => Device::Gpu,
        None if !devices.is_empty() || recom::runtime::gpu::driver_available().is_ok() => Device::Gpu,
        None => Device::Cpu,
    })
}

fn run(model: &Path, input: &Path, output: Option<&Path>, expected: Option<&Path>, tolerance: f64, device: Option<RunDevice>, devices: &[usize]) -> Result<ExitCode, String> {
    let device = pick_device(device, devices)?;
    let model_loaded = Model::load_on(model, device, devices).map_err(|e| e.to_string())?;
    let mut batch = Batch::open(input).map_err(|e| e.to_string())?;
    check_no_extra_inputs(&batch, &model_loaded, input)?;
    let feeds = batch.feeds(&model_loaded.plan().feeds).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let (outputs, times) = model_loaded.run_timed(&feeds).map_err(|e| format!("{}: {e}", input.display()))?;
    let elapsed = start.elapsed();
    println!(
        "ran {} on the {} in {:.2} ms (host program {:.2}, {} {:.2}, dense on the host {:.2})",
        input.display(),
        if device == Device::Gpu { "GPU" } else { "CPU" },
        elapsed.as_secs_f64() * 1e3,
        times.host.as_secs_f64() * 1e3,
        if device == Device::Gpu { "upload + embedding kernel + dense layers + download" } else { "embedding kernel" },
        times.device.as_secs_f64() * 1e3,
        times.dense.as_secs_f64() * 1e3
    );
    if let Some(path) = output {
        recom::runtime::npz::write_outputs(path, &outputs).map_err(|e| e.to_string())?;
        println!("wrote {}", path.display());
    }
    let Some(path) = expected else {
        for (name, (shape, values)) in &outputs {
            println!("{name} {shape:?}: {:?}{}", &values[..values.len().min(8)], if values.len() > 8 { " ..." } else { "" });
        }
        return Ok(ExitCode::SUCCESS);
    };
    compare(&outputs, path, tolerance)
}

/// Arrays named like inputs the model does not take are a mistake worth a message.
fn check_no_extra_inputs(batch: &Batch, model: &Model, file: &Path) -> Result<(), String> {
    let known: Vec<String> = model.plan().feeds.iter().map(|f| recom::runtime::npz::input_key(&f.name)).collect();
    for name in batch.names() {
        if name.starts_with("in.") && !known.iter().any(|k| name == *k || name.starts_with(&format!("{k}."))) {
            return Err(format!("{}: array '{name}' is not an input of the model (inputs: {})", file.display(), known.join(", ")));
        }
    }
    Ok(())
}

fn compare(outputs: &Outputs, path: &Path, tolerance: f64) -> Result<ExitCode, String> {
    let mut expected = Batch::open(path).map_err(|e| e.to_string())?;
    let mut compared = 0;
    let mut failed = false;
    for (name, (shape, got)) in outputs {
        let Some((want_shape, want)) = expected.output(name).map_err(|e| e.to_string())? else { continue };
        compared += 1;
        if want.len() != got.len() {
            println!("{name}: MISMATCH: shape {shape:?}, expected {want_shape:?}");
            failed = true;
            continue;
        }
        let diff = recom::runtime::compare_outputs(got, &want).map_err(|e| format!("{name}: {e}"))?;
        match diff {
            Some((i, g, w, err)) if !(err <= tolerance) => {
                println!("{name}: MISMATCH: max abs err {err:e} > {tolerance:e} at element {i} (row {}): got {g}, expected {w}", i / (got.len() / shape[0].max(1)).max(1));
                failed = true;
            }
            Some((_, _, _, err)) => {
                println!("{name}: ok, max abs err {err:e} ({} values)", got.len());
                // The first rows beside TensorFlow's, for outputs narrow enough to read.
                let width = got.len() / shape[0].max(1);
                if width <= 2 {
                    for r in 0..shape[0].min(4) {
                        println!("  row {r}: recom {:?}  expected {:?}", &got[r * width..(r + 1) * width], &want[r * width..(r + 1) * width]);
                    }
                }
            }
            None => println!("{name}: ok (empty)"),
        }
    }
    if compared == 0 {
        return Err(format!("{}: has no out.<name> array for any output of the model ({})", path.display(), outputs.keys().cloned().collect::<Vec<_>>().join(", ")));
    }
    Ok(if failed { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn bench(model: &Path, input: &Path, device: Option<RunDevice>, devices: &[usize], batches: &[usize], concurrency: usize, requests: usize) -> Result<ExitCode, String> {
    if concurrency == 0 || requests == 0 {
        return Err("--concurrency and --requests must be at least 1".into());
    }
    let device = pick_device(device, devices)?;
    let model = Model::load_on(model, device, devices).map_err(|e| e.to_string())?;
    let mut batch = Batch::open(input).map_err(|e| e.to_string())?;
    let feeds = batch.feeds(&model.plan().feeds).map_err(|e| e.to_string())?;
    let rows = feeds.first().map(|f| f.shape().first().copied().unwrap_or(0)).unwrap_or(0);
    let sizes: Vec<usize> = if batches.is_empty() { vec![rows] } else { batches.to_vec() };
    println!("device: {}; concurrency {concurrency}; {requests} requests per size", if device == Device::Gpu { "GPU" } else { "CPU" });
    println!("(host: the host program; device: {})", if device == Device::Gpu { "pack + upload + embedding kernel + dense kernels and GEMMs + downloads" } else { "the JIT'd embedding kernel; dense: the dense layers on the CPU" });
    println!("{}", recom::runtime::serve::BenchRow::HEADER);
    for &size in &sizes {
        if size == 0 {
            return Err("--batch: sizes must be at least 1".into());
        }
        let feeds = recom::runtime::resize_feeds(&model.plan().feeds, &feeds, size).map_err(|e| format!("{}: {e}", input.display()))?;
        let row = recom::runtime::serve::bench(&|f: &[recom::runtime::host::Feed]| model.run_timed(f), &feeds, size, concurrency, requests).map_err(|e| e.to_string())?;
        println!("{}", row.markdown());
    }
    Ok(ExitCode::SUCCESS)
}
