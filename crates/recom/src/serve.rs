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
use recom_runtime::{
    bundle::{Bundle, BundleError, Tensor},
    dense::DenseInputs,
    plan::{Artifact, CompileSummary, CpuKernel, Plan, RunError},
};
use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

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
    pub kernel: Options,
}

/// The chips the PTX path supports.
pub const SUPPORTED_CHIPS: &[&str] = &["sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100"];

/// The chips compiled for by default: Ampere and Hopper.
pub const DEFAULT_CHIPS: &[&str] = &["sm_80", "sm_90"];

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { outputs: Vec::new(), cpu: true, chips: DEFAULT_CHIPS.iter().map(|c| c.to_string()).collect(), kernel: Options::default() }
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
    if model.file_name().is_some_and(|n| n == "saved_model.pb") {
        return Err(CompileError::Model(format!(
            "{}: a SavedModel, not a frozen GraphDef: freeze it first (tools/tf/freeze_saved_model.py, which needs TensorFlow)",
            model.display()
        )));
    }
    let mut stages: Vec<(String, f64)> = Vec::new();
    fn timed(stages: &mut Vec<(String, f64)>, name: &str, start: Instant) {
        stages.push((name.to_string(), start.elapsed().as_secs_f64() * 1e3));
    }

    progress("read");
    let start = Instant::now();
    let graph = recom_tf::read_graph(model)?;
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
    let plan = compiled.plan;
    if plan.columns.is_empty() {
        return Err(CompileError::Model(format!("{file}: no embedding column was fused (the outputs read no embedding layer)")));
    }
    let kernel_text = compiled.kernel_module.as_operation().to_string();

    let mut gpu = Vec::new();
    for chip in &options.chips {
        progress(&format!("ptx {chip}"));
        let start = Instant::now();
        let kernel_module = Module::parse(&context, &kernel_text).ok_or_else(|| CompileError::Model("the kernel module does not parse back".into()))?;
        let gpu_options = crate::gpu::GpuOptions { chip: chip.clone(), ..Default::default() };
        gpu.push(crate::gpu::compile_ptx(&context, kernel_module, &gpu_options)?);
        timed(&mut stages, &format!("ptx {chip}"), start);
    }

    progress("weights");
    let start = Instant::now();
    let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
    let mut names: Vec<&str> = plan.tables.iter().map(|t| t.name.as_str()).filter(|n| recom_abi::kernel::identity_table_size(n).is_none()).collect();
    names.extend(plan.dense.weights.iter().map(|w| w.name.as_str()));
    for name in names {
        if tensors.iter().any(|(n, _, _)| n == name) {
            continue;
        }
        let tensor = imported.weights.get(name).ok_or_else(|| CompileError::Model(format!("{file}: the weights have no constant '{name}'")))?;
        let shape = recom_tf::tensor::shape(tensor).map_err(|e| CompileError::Model(format!("{file}: constant '{name}': {e}")))?;
        let values = match recom_tf::tensor::values(tensor).map_err(|e| CompileError::Model(format!("{file}: constant '{name}': {e}")))? {
            recom_tf::tensor::Values::F32(v) => v,
            _ => return Err(CompileError::Model(format!("{file}: constant '{name}' is not float32; recom serves f32 tables and weights"))),
        };
        tensors.push((name.to_string(), shape.iter().map(|&d| d as usize).collect(), values));
    }
    let weight_bytes = tensors.iter().map(|(_, _, v)| v.len() as u64 * 4).sum();
    let summary = CompileSummary {
        source: file.clone(),
        tf_nodes,
        columns: plan.columns.len(),
        kernels: 1,
        host_steps: plan.host.steps.len(),
        dense_steps: plan.dense.steps.len(),
        weight_bytes,
        stages: Vec::new(),
    };
    let mut artifact = Artifact { plan, gpu, cpu: options.cpu.then(|| CpuKernel { mlir: kernel_text }), weights: None, summary: Some(summary) };
    timed(&mut stages, "weights", start);
    if let Some(s) = artifact.summary.as_mut() {
        s.stages = stages;
    }
    progress("write");
    let views: Vec<Tensor> = tensors.iter().map(|(name, shape, data)| Tensor { name, shape: shape.clone(), data }).collect();
    Ok(recom_runtime::bundle::write(out, &artifact, &views).inspect(|a| artifact = a.clone())?)
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

/// The embedding layer's engine.
enum Engine {
    Cpu { executable: crate::cpu::CpuExecutable, tables: Vec<f32> },
    Gpu(recom_runtime::gpu::GpuModel),
}

/// Time spent per part of one request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Breakdown {
    /// The host program: validation, hashing, vocabulary, COO → CSR.
    pub host: Duration,
    /// The embedding layer: packing, upload, kernel, download (GPU) or the JIT'd kernel (CPU).
    pub embedding: Duration,
    /// The dense program.
    pub dense: Duration,
}

/// Outputs by name: shape (batch first) and values.
pub type Outputs = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// A loaded model.
pub struct Model {
    plan: Plan,
    engine: Engine,
    dense_weights: Vec<Vec<f32>>,
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
    /// Loads a bundle for `device` (GPU 0).
    pub fn load(path: &Path, device: Device) -> Result<Model, LoadError> {
        let bundle = Bundle::read(path)?;
        let fail = |problem: String| LoadError::Model { path: path.display().to_string(), problem };
        let tables = bundle.packed_tables().map_err(|e| fail(e.to_string()))?;
        let dense_weights = bundle.dense_weights();
        let artifact = &bundle.artifact;
        let engine = match device {
            Device::Cpu => {
                let cpu = artifact.cpu.as_ref().ok_or_else(|| fail("the artifact has no CPU kernel (compile it with --device cpu or all)".into()))?;
                let context = crate::create_context().map_err(|e| fail(e.to_string()))?;
                let module = Module::parse(&context, &cpu.mlir).ok_or_else(|| fail("artifact.json: cpu.mlir does not parse".into()))?;
                let executable = crate::cpu::CpuExecutable::new(&context, module, artifact.plan.clone()).map_err(|e| fail(format!("cpu kernel: {e}")))?;
                Engine::Cpu { executable, tables }
            }
            Device::Gpu => Engine::Gpu(recom_runtime::gpu::GpuModel::load(artifact, &tables, 0).map_err(|e| fail(e.to_string()))?),
        };
        Ok(Model { plan: artifact.plan.clone(), engine, dense_weights, device, summary: artifact.summary.clone() })
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
        let mut times = Breakdown::default();
        if feeds.len() != self.plan.feeds.len() {
            return Err(RunError::Device(format!("the model takes {} inputs, got {}", self.plan.feeds.len(), feeds.len())));
        }
        let start = Instant::now();
        let inputs = self.plan.prepare(feeds)?;
        times.host = start.elapsed();
        let start = Instant::now();
        let embedding = match &self.engine {
            Engine::Cpu { executable, tables } => executable.run(tables, &inputs)?,
            Engine::Gpu(gpu) => gpu.run(&inputs)?,
        };
        times.embedding = start.elapsed();
        let batch = embedding.len() / self.plan.width.max(1);
        let start = Instant::now();
        let feed_widths = self.plan.feed_widths();
        let dense_feeds: Vec<Option<(&[f32], usize)>> = feeds
            .iter()
            .zip(&feed_widths)
            .map(|(f, w)| match (f, w) {
                (Feed::F32 { data, .. }, Some(w)) if data.len() == batch * w => Some((&data[..], *w)),
                _ => None,
            })
            .collect();
        for (i, step) in self.plan.dense.steps.iter().enumerate() {
            for o in step.operands() {
                if let recom_abi::dense::Operand::Feed(f) = o {
                    if dense_feeds.get(f).copied().flatten().is_none() {
                        let name = &self.plan.feeds[f].name;
                        return Err(RunError::Device(format!("dense step {i}: input '{name}' must be float32 [{batch}, {:?}]", feed_widths[f])));
                    }
                }
            }
        }
        let weights: Vec<&[f32]> = self.dense_weights.iter().map(Vec::as_slice).collect();
        let dense_inputs = DenseInputs { batch, embedding: Some((&embedding, self.plan.width)), feeds: dense_feeds.clone() };
        let results = recom_runtime::dense::run(&self.plan.dense, &weights, &dense_inputs);
        times.dense = start.elapsed();
        let mut outputs = Outputs::new();
        for output in &self.plan.outputs {
            let values = match output.source {
                recom_abi::dense::Operand::Embedding => embedding.clone(),
                recom_abi::dense::Operand::Step(s) => results[s].clone(),
                recom_abi::dense::Operand::Feed(f) => dense_feeds[f].map(|(d, _)| d.to_vec()).unwrap_or_default(),
                recom_abi::dense::Operand::Weight(_) => Vec::new(),
            };
            let shape = output.shape.iter().map(|&d| if d < 0 { batch } else { d as usize }).collect();
            outputs.insert(output.name.clone(), (shape, values));
        }
        Ok((outputs, times))
    }
}
