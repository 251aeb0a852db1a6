//! Whole models, the way a user serves them: [`compile_model`] turns a
//! TensorFlow GraphDef into a bundle (`MODEL.recom/`: artifact + weights,
//! see `recom_runtime::bundle`), and [`Model`] loads a bundle and answers
//! requests — the model's inputs by name in, its outputs by name out — on
//! the GPU (the fused embedding kernel) or on the CPU (the same kernel
//! through the MLIR JIT), the dense program after it.
//!
//! The `recom` command and the tests use this API.
use crate::{
    compile::{compile_graph, Options},
    Error,
};
use melior::ir::{operation::OperationLike, Module};
use recom_host::Feed;
pub use recom_runtime::serve::{Breakdown, Outputs};
use recom_runtime::{
    bundle::{Bundle, BundleError, Tensor},
    plan::{Artifact, CompileSummary, CpuKernel, Plan, RunError},
    serve::GpuServer,
};
use std::{path::Path, time::Instant};

/// Where a model runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Gpu,
}

/// What to compile for.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Output node names (`node` or `node:k`); empty = the graph's sinks.
    pub outputs: Vec<String>,
    /// Compile the CPU kernel (JIT at load).
    pub cpu: bool,
    /// GPU chips to compile PTX for (empty = no GPU kernel).
    pub chips: Vec<String>,
    /// The GEMMs' precision on the GPU.
    pub precision: recom_abi::dense::Precision,
    pub kernel: Options,
    /// Place the tables on several GPUs: their count and the bytes usable
    /// on each (`recom_abi::shard`); none: one device.
    pub shard: Option<ShardOptions>,
}

/// `recom compile --gpus N --gpu-memory GIB`.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardOptions {
    pub gpus: usize,
    pub memory_bytes: u64,
}

/// The chips the PTX path supports.
pub const SUPPORTED_CHIPS: &[&str] = &["sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100"];

/// The chips compiled for by default: Ampere and Hopper.
pub const DEFAULT_CHIPS: &[&str] = &["sm_80", "sm_90"];

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            outputs: Vec::new(),
            cpu: true,
            chips: DEFAULT_CHIPS.iter().map(|c| c.to_string()).collect(),
            precision: Default::default(),
            kernel: Options::default(),
            shard: None,
        }
    }
}

/// Why compiling a model failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error(transparent)]
    Read(#[from] recom_tf::ReadError),
    #[error("{0}")]
    Compile(#[from] Error),
    #[error("{0}")]
    Model(String),
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

/// Compiles `model` (a frozen GraphDef, `.pb` or `.pbtxt`) into the bundle
/// folder `out`. `progress` hears each stage's name as it starts.
pub fn compile_model(model: &Path, out: &Path, options: &CompileOptions, progress: &mut dyn FnMut(&str)) -> Result<Artifact, CompileError> {
    if model.file_name().is_some_and(|n| n == "saved_model.pb") || model.join("saved_model.pb").is_file() {
        return Err(CompileError::Model(format!(
            "{}: a SavedModel, not a frozen GraphDef: freeze it first (python3 tools/tf/freeze_saved_model.py SAVED_MODEL_DIR model.pb, which needs TensorFlow)",
            model.display()
        )));
    }
    if model.is_dir() {
        return Err(CompileError::Model(format!("{}: a folder; give the frozen GraphDef file (.pb, or .pbtxt as text)", model.display())));
    }
    let mut stages: Vec<(String, f64)> = Vec::new();
    fn timed(stages: &mut Vec<(String, f64)>, name: &str, start: Instant) {
        stages.push((name.to_string(), start.elapsed().as_secs_f64() * 1e3));
    }

    progress("read");
    let start = Instant::now();
    let mut graph = recom_tf::read_graph(model)?;
    // Vocabulary files (index_table_from_file) are read now, once.
    let model_dir = model.parent().unwrap_or(Path::new("."));
    recom_tf::vocabulary_files::inline_vocabulary_files(&mut graph, model_dir)
        .map_err(|e| CompileError::Model(format!("{}: {e}", model.display())))?;
    timed(&mut stages, "read", start);

    progress("import");
    let start = Instant::now();
    let context = crate::create_context()?;
    let outputs: Vec<&str> = options.outputs.iter().map(String::as_str).collect();
    let file = model.display().to_string();
    let imported = recom_tf_import::import_graph(&context, &graph, &file, "graph", &outputs).map_err(Error::from)?;
    let mut module = imported.module;
    let tf_nodes = count_ops(&module, "tf.");
    if count_ops(&module, "tf.Placeholder") == 0 {
        return Err(CompileError::Model(format!(
            "{file}: the outputs ({}) depend on no input of the graph: they compute nothing from a request",
            if outputs.is_empty() { "the graph's sinks".to_string() } else { outputs.join(", ") }
        )));
    }
    timed(&mut stages, "import", start);

    progress("raise + fuse");
    let compiled = compile_graph(&context, &mut module, &options.kernel)?;
    for (stage, time) in &compiled.stages {
        stages.push((stage.name().to_string(), time.as_secs_f64() * 1e3));
    }
    let mut plan = compiled.plan;
    plan.dense.precision = options.precision;
    if let Some(shard) = &options.shard {
        // One id per row per column: the traffic estimate without a sample.
        let loads = plan.table_loads(&[]);
        plan.sharding = Some(
            recom_abi::shard::plan(&loads, shard.gpus, shard.memory_bytes).map_err(|e| CompileError::Model(format!("{}: placing the tables: {e}", model.display())))?,
        );
    }
    // A model with no embedding layer has no kernel: its outputs come from
    // the host program (and dense ops on model inputs).
    let host_only = plan.is_host_only();
    let kernel_text = compiled.kernel_module.as_operation().to_string();

    let mut gpu = Vec::new();
    for chip in options.chips.iter().filter(|_| !host_only) {
        progress(&format!("ptx {chip}"));
        let start = Instant::now();
        let kernel_module = Module::parse(&context, &kernel_text).ok_or_else(|| CompileError::Model("the kernel module does not parse back".into()))?;
        let gpu_options = crate::gpu::GpuOptions { chip: chip.clone(), ..Default::default() };
        let mut kernel = crate::gpu::compile_ptx(&context, kernel_module, &gpu_options)?;
        kernel.dense = crate::gpu::compile_dense_ptx(&context, &plan.dense, &gpu_options)?;
        gpu.push(kernel);
        timed(&mut stages, &format!("ptx {chip}"), start);
    }

    progress("weights");
    let start = Instant::now();
    // A table stored as raw little-endian f32 bytes goes to the bundle as
    // those bytes (a slice of the mapped model file); others are decoded.
    enum Stored {
        Values(Vec<f32>),
        Bytes(recom_tf::Bytes),
    }
    let mut tensors: Vec<(String, Vec<usize>, Stored)> = Vec::new();
    let mut names: Vec<&str> = plan.tables.iter().map(|t| t.name.as_str()).filter(|n| recom_abi::kernel::identity_table_size(n).is_none()).collect();
    names.extend(plan.dense.weights.iter().map(|w| w.name.as_str()));
    for name in names {
        if tensors.iter().any(|(n, _, _)| n == name) {
            continue;
        }
        // A table clipped to a max norm (embedding_column(max_norm)) is its
        // base table with every row clipped, made here once.
        let (stored, max_norm) = match recom_abi::kernel::max_norm_table(name) {
            Some((base, c)) => (base, Some(c)),
            None => (name, None),
        };
        let tensor = imported.weights.get(stored).ok_or_else(|| CompileError::Model(format!("{file}: the weights have no constant '{stored}'")))?;
        let bad = |e: String| CompileError::Model(format!("{file}: constant '{stored}': {e}"));
        let shape = recom_tf::tensor::shape(tensor).map_err(bad)?;
        let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        if tensor.dtype != recom_tf::DataType::DtFloat as i32 {
            return Err(CompileError::Model(format!("{file}: constant '{stored}' is not float32; recom serves f32 tables and weights")));
        }
        let elements = recom_tf::tensor::element_count(tensor).map_err(bad)?;
        let data = match (max_norm, tensor.tensor_content.len() == elements * 4 && elements > 0) {
            (None, true) if cfg!(target_endian = "little") => Stored::Bytes(tensor.tensor_content.clone()),
            _ => {
                let mut values = match recom_tf::tensor::values(tensor).map_err(bad)? {
                    recom_tf::tensor::Values::F32(v) => v,
                    _ => return Err(CompileError::Model(format!("{file}: constant '{stored}' is not float32; recom serves f32 tables and weights"))),
                };
                if let Some(c) = max_norm {
                    let dim = match shape[..] {
                        [_, d] if d > 0 => d,
                        _ => return Err(CompileError::Model(format!("{file}: constant '{stored}' of shape {shape:?} is not a table to clip"))),
                    };
                    recom_abi::kernel::clip_rows(&mut values, dim, c);
                }
                Stored::Values(values)
            }
        };
        tensors.push((name.to_string(), shape, data));
    }
    let weight_bytes = tensors
        .iter()
        .map(|(_, _, d)| match d {
            Stored::Values(v) => v.len() as u64 * 4,
            Stored::Bytes(b) => b.len() as u64,
        })
        .sum();
    let summary = CompileSummary {
        source: file.clone(),
        tf_nodes,
        columns: plan.columns.len(),
        kernels: 1,
        host_steps: plan.host.steps.len(),
        dense_steps: plan.dense.steps.len(),
        host_fallback: {
            let why = fallback_reasons(&module);
            plan.host.tf_outputs().into_iter().map(|node| match why.get(&node) {
                Some(w) if !w.is_empty() => format!("{node} ({w})"),
                _ => node,
            }).collect()
        },
        weight_bytes,
        stages: Vec::new(),
    };
    // The host fallback's part of the graph.
    let host_graph = host_graph_of(&plan, &graph).map_err(|e| CompileError::Model(format!("{file}: {e}")))?;
    // What runs on the host must be something the evaluator runs: every
    // other op is an error now, each named with its node, not at the first
    // request.
    if let Some(g) = &host_graph {
        let missing: Vec<String> = g
            .node
            .iter()
            .filter(|n| !recom_tf_eval::ops::implements(&n.op))
            .map(|n| format!("  '{}': op '{}'", n.name, n.op))
            .collect();
        if !missing.is_empty() {
            return Err(CompileError::Model(format!(
                "{file}: {} node(s) recom neither raises nor runs on the host (its TensorFlow evaluator does not implement their ops):\n{}",
                missing.len(),
                missing.join("\n")
            )));
        }
    }
    let mut artifact =
        Artifact { plan, gpu, cpu: (options.cpu && !host_only).then(|| CpuKernel { mlir: kernel_text }), weights: None, host_graph: None, summary: Some(summary) };
    timed(&mut stages, "weights", start);
    if let Some(s) = artifact.summary.as_mut() {
        s.stages = stages;
    }
    progress("write");
    let views: Vec<Tensor> = tensors
        .iter()
        .map(|(name, shape, data)| Tensor {
            name,
            shape: shape.clone(),
            data: match data {
                Stored::Values(v) => recom_runtime::bundle::F32Data::Values(v),
                Stored::Bytes(b) => recom_runtime::bundle::F32Data::LittleEndian(b),
            },
        })
        .collect();
    let bytes = host_graph.as_ref().map(|g| recom_tf::encode_binary(g));
    Ok(recom_runtime::bundle::write(out, &artifact, &views, bytes.as_deref()).inspect(|a| artifact = a.clone())?)
}

/// The part of `graph` the plan's host fallback steps run, if any.
pub fn host_graph_of(plan: &Plan, graph: &recom_tf::GraphDef) -> Result<Option<recom_tf::GraphDef>, String> {
    let outputs = plan.host.tf_outputs();
    if outputs.is_empty() {
        return Ok(None);
    }
    recom_tf_eval::prune(graph, &outputs).map(Some)
}

/// Gives an in-memory plan the graph its host fallback steps run (a bundle
/// read from disk has it already).
pub fn attach_host_graph(plan: &mut Plan, graph: &recom_tf::GraphDef) -> Result<(), String> {
    if let Some(pruned) = host_graph_of(plan, graph)? {
        let g = recom_tf_eval::Graph::new(pruned).map_err(|e| e.to_string())?;
        plan.host.graph = recom_host::HostGraph(Some(std::sync::Arc::new(g)));
    }
    Ok(())
}

/// Why each host-fallback graph output is not raised (`emb.tf_output`'s
/// `why`, from the raising matchers), by node.
fn fallback_reasons(module: &Module) -> std::collections::HashMap<String, String> {
    use melior::ir::operation::{WalkOrder, WalkResult};
    let mut why = std::collections::HashMap::new();
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if let Some(out) = recom_emb::TfOutputOp::wrap(op) {
            if let (Ok(node), Ok(reason)) = (out.node(), op.attribute("why")) {
                if let Some(text) = recom_ir::kit::string_value(reason) {
                    why.insert(node.into_owned(), text.into_owned());
                }
            }
        }
        WalkResult::Advance
    });
    why
}

fn count_ops(module: &Module, prefix: &str) -> usize {
    use melior::ir::operation::{WalkOrder, WalkResult};
    let mut n = 0;
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if recom_ir::kit::identifier_text(op.name()).starts_with(prefix) {
            n += 1;
        }
        WalkResult::Advance
    });
    n
}

/// Where a loaded model runs.
enum Engine {
    Cpu { executable: crate::cpu::CpuExecutable, tables: Vec<f32>, dense_weights: Vec<Vec<f32>> },
    Gpu(GpuServer),
    /// A model with no embedding layer: the host program and the dense
    /// program on the CPU, whichever device was asked for.
    Host { dense_weights: Vec<Vec<f32>> },
}

/// A loaded model.
pub struct Model {
    plan: Plan,
    engine: Engine,
    pub device: Device,
    pub summary: Option<CompileSummary>,
}

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("{path}: {problem}")]
    Model { path: String, problem: String },
}

impl Model {
    /// Loads a bundle for `device` (GPU 0; a model placed on N GPUs: 0..N).
    pub fn load(path: &Path, device: Device) -> Result<Model, LoadError> {
        Self::load_on(path, device, &[])
    }

    /// [`Self::load`] on the GPUs `devices` (`GpuServer::load_on`; empty:
    /// the default ones). The CPU takes none.
    pub fn load_on(path: &Path, device: Device, devices: &[usize]) -> Result<Model, LoadError> {
        let bundle = Bundle::read(path)?;
        let fail = |problem: String| LoadError::Model { path: path.display().to_string(), problem };
        let artifact = &bundle.artifact;
        if artifact.plan.is_host_only() {
            let engine = Engine::Host { dense_weights: bundle.dense_weights() };
            return Ok(Model { plan: artifact.plan.clone(), engine, device: Device::Cpu, summary: artifact.summary.clone() });
        }
        let engine = match device {
            Device::Cpu if !devices.is_empty() => return Err(fail("GPUs were named for a model served on the CPU".into())),
            Device::Cpu => {
                let cpu = artifact.cpu.as_ref().ok_or_else(|| fail("the artifact has no CPU kernel (compile it with --device cpu or all)".into()))?;
                let context = crate::create_context().map_err(|e| fail(e.to_string()))?;
                // The parser's diagnostics go into the error, not to stderr.
                let capture = recom_ir::DiagnosticCapture::attach(&context);
                let module = Module::parse(&context, &cpu.mlir).ok_or_else(|| {
                    let why: Vec<String> = capture.take().iter().map(|d| d.to_string()).collect();
                    fail(format!("artifact.json: cpu.mlir does not parse: {}", why.join("; ")))
                })?;
                drop(capture);
                let executable = crate::cpu::CpuExecutable::new(&context, module, artifact.plan.clone()).map_err(|e| fail(format!("cpu kernel: {e}")))?;
                let tables = bundle.packed_tables().map_err(|e| fail(e.to_string()))?;
                Engine::Cpu { executable, tables, dense_weights: bundle.dense_weights() }
            }
            Device::Gpu => Engine::Gpu(GpuServer::load_on(&bundle, devices).map_err(|e| fail(e.to_string()))?),
        };
        Ok(Model { plan: artifact.plan.clone(), engine, device, summary: artifact.summary.clone() })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Answers one request.
    pub fn run(&self, feeds: &[Feed]) -> Result<Outputs, RunError> {
        self.run_timed(feeds).map(|(o, _)| o)
    }

    /// Answers one request and says where the time went.
    pub fn run_timed(&self, feeds: &[Feed]) -> Result<(Outputs, Breakdown), RunError> {
        let (executable, tables, dense_weights) = match &self.engine {
            Engine::Gpu(server) => return server.run_timed(feeds),
            Engine::Host { dense_weights } => return self.run_on_host(feeds, dense_weights),
            Engine::Cpu { executable, tables, dense_weights } => (executable, tables, dense_weights),
        };
        let mut times = Breakdown::default();
        let start = Instant::now();
        let (inputs, host_values) = self.plan.prepare_all(feeds)?;
        times.host = start.elapsed();
        let start = Instant::now();
        let embedding = executable.run(tables, &inputs)?;
        times.device = start.elapsed();
        let batch = embedding.len() / self.plan.width.max(1);
        let start = Instant::now();
        let dense_feeds = recom_runtime::serve::dense_feeds(&self.plan, feeds, batch)?;
        let values = recom_runtime::serve::dense_on_cpu(&self.plan, dense_weights, &embedding, &dense_feeds, &host_values, batch);
        times.dense = start.elapsed();
        Ok((recom_runtime::serve::name_outputs(&self.plan, batch, values), times))
    }

    /// A host-only model's request: the host program, then the dense
    /// program on what it computed and the model inputs.
    fn run_on_host(&self, feeds: &[Feed], dense_weights: &[Vec<f32>]) -> Result<(Outputs, Breakdown), RunError> {
        let mut times = Breakdown::default();
        let start = Instant::now();
        let (_, host_values) = self.plan.prepare_all(feeds)?;
        times.host = start.elapsed();
        // The batch: the rows of a value the host computed, or of an f32
        // input the dense program reads.
        let from_host = self.plan.host.values.iter().zip(&host_values).find(|(v, _)| v.width > 0).map(|(v, d)| d.len() / v.width);
        let from_feeds = || {
            let widths = self.plan.feed_widths();
            recom_runtime::serve::dense_feeds_read(&self.plan).into_iter().find_map(|i| match (feeds.get(i), widths.get(i).copied().flatten()) {
                (Some(Feed::F32 { shape, .. }), Some(_)) => shape.first().copied(),
                _ => None,
            })
        };
        let batch = from_host.or_else(from_feeds).ok_or_else(|| RunError::Device("the request gives no batch: the model reads no host value or f32 input".into()))?;
        let start = Instant::now();
        let dense_feeds = recom_runtime::serve::dense_feeds(&self.plan, feeds, batch)?;
        let values = recom_runtime::serve::dense_on_cpu(&self.plan, dense_weights, &[], &dense_feeds, &host_values, batch);
        times.dense = start.elapsed();
        Ok((recom_runtime::serve::name_outputs(&self.plan, batch, values), times))
    }
}
