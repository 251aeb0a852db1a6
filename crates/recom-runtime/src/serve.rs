//! Serving a compiled model: the model's inputs by name in, its outputs by
//! name out. [`GpuServer`] runs everything after the host program on the
//! GPU (no MLIR needed: this is what a serving process links); the CPU
//! engine (the JIT'd embedding kernel) lives in the `recom` facade, which
//! shares [`Breakdown`], [`Outputs`] and [`dense_on_cpu`] with it.
use crate::{
    bundle::Bundle,
    gpu::{multi::MultiGpuModel, GpuModel},
    plan::{Plan, RunError},
};
use recom_abi::dense::Operand;
use recom_host::Feed;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// Outputs by name: shape (batch first) and values.
pub type Outputs = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Where one request's time went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Breakdown {
    /// The host program: validation, hashing, vocabulary, COO → CSR.
    pub host: Duration,
    /// GPU: packing, the upload, the embedding kernel, the dense program's
    /// kernels and GEMMs, the downloads. CPU: the JIT'd embedding kernel.
    pub device: Duration,
    /// CPU only: the dense program.
    pub dense: Duration,
    /// GPU, the parts of `device`: validation and packing into page-locked
    /// staging (`Plan::stage`), ...
    pub stage: Duration,
    /// ... queuing the request's work (a captured graph: updating its nodes
    /// and launching it), ...
    pub launch: Duration,
    /// ... and waiting for it to finish (the outputs landed).
    pub wait: Duration,
}

/// Where a request's time on the GPU path went ([`Breakdown`]'s parts).
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    pub stage: Duration,
    pub launch: Duration,
    pub wait: Duration,
}

/// The feeds the dense program (or an output) reads.
pub fn dense_feeds_read(plan: &Plan) -> Vec<usize> {
    let mut reads: Vec<usize> = plan
        .dense
        .steps
        .iter()
        .flat_map(|s| s.operands())
        .chain(plan.outputs.iter().map(|o| o.source))
        .filter_map(|o| match o {
            Operand::Feed(f) => Some(f),
            _ => None,
        })
        .collect();
    reads.sort();
    reads.dedup();
    reads
}

/// The dense feeds' values, checked to be `[batch, width]` f32 (`None` for
/// feeds the dense program does not read).
pub fn dense_feeds<'a>(plan: &Plan, feeds: &'a [Feed], batch: usize) -> Result<Vec<Option<&'a [f32]>>, RunError> {
    let widths = plan.feed_widths();
    let reads = dense_feeds_read(plan);
    let mut out = vec![None; feeds.len()];
    for i in reads {
        match (feeds.get(i), widths.get(i).copied().flatten()) {
            (Some(Feed::F32 { data, .. }), Some(w)) if data.len() == batch * w => out[i] = Some(&data[..]),
            _ => {
                let name = plan.feeds.get(i).map_or("?", |f| f.name.as_str());
                return Err(RunError::Device(format!("input '{name}' must be float32 [{batch}, {}] for the dense layers", widths.get(i).copied().flatten().unwrap_or(0))));
            }
        }
    }
    Ok(out)
}

/// Shapes the outputs (`-1` dims are the batch), in the plan's order.
pub fn name_outputs(plan: &Plan, batch: usize, values: Vec<Vec<f32>>) -> Outputs {
    plan.outputs
        .iter()
        .zip(values)
        .map(|(output, values)| {
            let shape = output.shape.iter().map(|&d| if d < 0 { batch } else { d as usize }).collect();
            (output.name.clone(), (shape, values))
        })
        .collect()
}

/// The dense program on the CPU after the embedding layer's `[batch, ΣD]`
/// output: every output's values, in the plan's order.
pub fn dense_on_cpu(plan: &Plan, weights: &[Vec<f32>], embedding: &[f32], feeds: &[Option<&[f32]>], host: &[Vec<f32>], batch: usize) -> Vec<Vec<f32>> {
    let widths = plan.feed_widths();
    let feed_views: Vec<Option<(&[f32], usize)>> = feeds.iter().zip(&widths).map(|(f, w)| f.zip(*w)).collect();
    let weights: Vec<&[f32]> = weights.iter().map(Vec::as_slice).collect();
    let host_views: Vec<(&[f32], usize)> = host.iter().zip(&plan.host.values).map(|(d, v)| (d.as_slice(), v.width)).collect();
    let inputs = crate::dense::DenseInputs { batch, embedding: Some((embedding, plan.width)), feeds: feed_views.clone(), host: host_views };
    let results = crate::dense::run(&plan.dense, &weights, &inputs);
    plan.outputs
        .iter()
        .map(|o| match o.source {
            Operand::Embedding => embedding.to_vec(),
            Operand::Step(s) => results[s].clone(),
            Operand::Host(h) => host.get(h).cloned().unwrap_or_default(),
            Operand::Feed(f) => feed_views.get(f).copied().flatten().map(|(d, _)| d.to_vec()).unwrap_or_default(),
            Operand::Weight(_) => Vec::new(),
        })
        .collect()
}

/// A bundle served on its GPUs: one, or, for a model whose tables are
/// placed on several (`recom compile --gpus N`), one per part with the
/// columns gathered onto the first over NCCL and the dense program there.
pub struct GpuServer {
    engine: GpuEngine,
}

enum GpuEngine {
    /// On one GPU (a sharded model: every part on it, a stream each).
    One(Box<GpuModel>),
    /// Part g on GPU g.
    Spread(Box<MultiGpuModel>),
}

impl GpuServer {
    /// Loads the bundle's tables, kernels and dense program onto GPU
    /// `ordinal` (a model placed on N GPUs: onto GPUs 0..N, [`Self::load_on`]).
    pub fn load(bundle: &Bundle, ordinal: usize) -> Result<GpuServer, RunError> {
        let placed = bundle.artifact.plan.sharding.as_ref().map_or(1, |s| s.gpus);
        if placed > 1 {
            return Self::load_on(bundle, &[]);
        }
        Self::load_on(bundle, &[ordinal])
    }

    /// Loads the bundle onto `devices`: one GPU, or one per part of a model
    /// placed on several (distinct GPUs exchange over NCCL; one GPU repeated
    /// runs every part there). Empty: GPU 0, or GPUs 0..N for a model placed
    /// on N.
    pub fn load_on(bundle: &Bundle, devices: &[usize]) -> Result<GpuServer, RunError> {
        let artifact = &bundle.artifact;
        let placed = artifact.plan.sharding.as_ref().map_or(1, |s| s.gpus);
        let devices: Vec<usize> = if devices.is_empty() {
            if placed > 1 {
                let present = crate::gpu::device_count()?;
                if present < placed {
                    return Err(RunError::Device(format!(
                        "the model's tables are placed on {placed} GPUs (recom compile --gpus {placed}), this machine has {present}: \
                         name one GPU {placed} times (recom run --devices 0,0,...) to run every part on it"
                    )));
                }
            }
            (0..placed).collect()
        } else {
            devices.to_vec()
        };
        let tables = bundle.packed_tables()?;
        let dense = !artifact.plan.dense.steps.is_empty();
        let distinct = devices.iter().any(|&d| d != devices[0]);
        let engine = if placed > 1 && distinct {
            let mut spread = MultiGpuModel::load(artifact, &tables, &devices)?;
            if dense {
                spread.attach_dense(&bundle.dense_weights())?;
            }
            GpuEngine::Spread(Box::new(spread))
        } else {
            let mut gpu = GpuModel::load_on(artifact, &tables, &devices)?;
            if dense {
                gpu.attach_dense(&bundle.dense_weights())?;
            }
            GpuEngine::One(Box::new(gpu))
        };
        Ok(GpuServer { engine })
    }

    pub fn plan(&self) -> &Plan {
        match &self.engine {
            GpuEngine::One(gpu) => gpu.plan(),
            GpuEngine::Spread(spread) => spread.plan(),
        }
    }

    /// The model on one GPU (`None`: spread over several).
    pub fn model(&self) -> Option<&GpuModel> {
        match &self.engine {
            GpuEngine::One(gpu) => Some(gpu),
            GpuEngine::Spread(_) => None,
        }
    }

    /// One request: the host program, then one upload, the kernels and the
    /// downloads of the outputs.
    pub fn run_timed(&self, feeds: &[Feed]) -> Result<(Outputs, Breakdown), RunError> {
        let plan = self.plan();
        let mut times = Breakdown::default();
        let start = Instant::now();
        let (inputs, host_values) = plan.prepare_all(feeds)?;
        times.host = start.elapsed();
        let batch = inputs.first().map_or(0, |c| c.offsets.len().saturating_sub(1));
        let start = Instant::now();
        let dense_feeds = dense_feeds(plan, feeds, batch)?;
        let values = match &self.engine {
            GpuEngine::One(gpu) => {
                let mut phases = Phases::default();
                let values = gpu.run_outputs_timed(&inputs, &dense_feeds, &host_values, &mut phases)?;
                (times.stage, times.launch, times.wait) = (phases.stage, phases.launch, phases.wait);
                values
            }
            GpuEngine::Spread(spread) => {
                let (values, parts) = spread.run_outputs_timed(&inputs, &dense_feeds, &host_values)?;
                (times.stage, times.wait) = (parts.stage, parts.kernels_and_exchange + parts.download);
                values
            }
        };
        times.device = start.elapsed();
        Ok((name_outputs(plan, batch, values), times))
    }

    pub fn run(&self, feeds: &[Feed]) -> Result<Outputs, RunError> {
        self.run_timed(feeds).map(|(o, _)| o)
    }
}

/// Latency and throughput of whole requests at one batch size.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BenchRow {
    pub batch: usize,
    pub concurrency: usize,
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests_per_s: f64,
    pub rows_per_s: f64,
    pub host_ms: f64,
    pub device_ms: f64,
    pub dense_ms: f64,
    /// The parts of `device_ms` (GPU path).
    pub stage_ms: f64,
    pub launch_ms: f64,
    pub wait_ms: f64,
}

/// Times `requests` whole requests (after 5 warm-up ones) of `feeds` from
/// `concurrency` threads at once; `run` answers one request.
pub fn bench<R>(run: &R, feeds: &[Feed], batch: usize, concurrency: usize, requests: usize) -> Result<BenchRow, RunError>
where
    R: Fn(&[Feed]) -> Result<(Outputs, Breakdown), RunError> + Sync,
{
    if concurrency == 0 || requests == 0 {
        return Err(RunError::Device("concurrency and requests must be at least 1".into()));
    }
    // Warm every lane a model may run requests on (each captures its CUDA
    // graphs on its second request of a batch size).
    for _ in 0..5 + 3 * crate::gpu::DEFAULT_LANES {
        run(feeds)?;
    }
    let per_thread = requests.div_ceil(concurrency);
    let start = Instant::now();
    let results: Vec<Result<Vec<(f64, Breakdown)>, RunError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| {
                    let mut times = Vec::with_capacity(per_thread);
                    for _ in 0..per_thread {
                        let t = Instant::now();
                        let (_, b) = run(feeds)?;
                        times.push((t.elapsed().as_secs_f64() * 1e3, b));
                    }
                    Ok(times)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(RunError::Device("a benchmark thread panicked".into())))).collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    let mut lat: Vec<f64> = all.iter().map(|(t, _)| *t).collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    let mean = |f: &dyn Fn(&Breakdown) -> Duration| all.iter().map(|(_, b)| f(b).as_secs_f64() * 1e3).sum::<f64>() / all.len() as f64;
    Ok(BenchRow {
        batch,
        concurrency,
        requests: all.len(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        requests_per_s: all.len() as f64 / wall,
        rows_per_s: (all.len() * batch) as f64 / wall,
        host_ms: mean(&|b| b.host),
        device_ms: mean(&|b| b.device),
        dense_ms: mean(&|b| b.dense),
        stage_ms: mean(&|b| b.stage),
        launch_ms: mean(&|b| b.launch),
        wait_ms: mean(&|b| b.wait),
    })
}

impl BenchRow {
    pub const HEADER: &'static str = "| batch | concurrency | p50 ms | p99 ms | requests/s | rows/s | host ms | device ms | dense ms | stage ms | launch ms | wait ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|";
    pub fn markdown(&self) -> String {
        format!(
            "| {} | {} | {:.3} | {:.3} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {:.4} | {:.4} | {:.4} |",
            self.batch,
            self.concurrency,
            self.p50_ms,
            self.p99_ms,
            self.requests_per_s,
            self.rows_per_s,
            self.host_ms,
            self.device_ms,
            self.dense_ms,
            self.stage_ms,
            self.launch_ms,
            self.wait_ms
        )
    }
}
