//! Running a compiled model on an NVIDIA GPU through the CUDA driver API
//! (cudarc, libcuda loaded at run time; no CUDA toolkit, no MLIR).
//!
//! Per request: validate and pack the inputs on the host into ONE byte
//! buffer (status word, ids, offsets, weights), copy it to the device in one
//! transfer, launch the fused kernel once, copy `[B, ΣD]` back and check the
//! status word. Tables and the kernel metadata are uploaded once at load.
use crate::plan::{Artifact, GpuKernel, Plan, RunError};
pub use crate::tables::{GeneratedTables, Tables};
use recom_abi::{
    kernel::{Buffer, ITEM_FIELDS},
    request::{ByteLayout, ColumnInput},
};
use cudarc::driver::{
    sys, CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, DevicePtr, PinnedHostSlice,
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub mod multi;
mod request;
use request::{Launch, Role};

fn device_error(e: impl std::fmt::Debug) -> RunError {
    RunError::Device(format!("{e:?}"))
}

/// Whether a CUDA driver is present; the reason when not. cudarc panics on a
/// missing libcuda, so every entry point checks this first.
pub fn driver_available() -> Result<(), RunError> {
    if unsafe { sys::is_culib_present() } {
        Ok(())
    } else {
        Err(RunError::Device("no CUDA driver (libcuda.so) found on this machine".into()))
    }
}

/// How many GPUs the driver sees.
pub fn device_count() -> Result<usize, RunError> {
    driver_available()?;
    Ok(CudaContext::device_count().map_err(device_error)? as usize)
}

/// The kernel to load on a device of compute capability `major.minor`: the
/// one for the newest chip that is not newer than the device (PTX runs on
/// later chips through the driver's JIT, never on earlier ones).
pub fn select_kernel(kernels: &[GpuKernel], major: i32, minor: i32) -> Result<&GpuKernel, RunError> {
    let device = major * 10 + minor;
    let chip_of = |k: &GpuKernel| k.chip.trim_start_matches("sm_").trim_end_matches('a').parse::<i32>().ok();
    kernels
        .iter()
        .filter(|k| chip_of(k).is_some_and(|c| c <= device && !(k.chip.ends_with('a') && c != device)))
        .max_by_key(|k| chip_of(k))
        .ok_or_else(|| {
            let chips: Vec<&str> = kernels.iter().map(|k| k.chip.as_str()).collect();
            RunError::Device(format!(
                "this GPU is sm_{device} (compute capability {major}.{minor}); the artifact was compiled for {} only: recompile with --chips sm_{device}",
                chips.join(", ")
            ))
        })
}

/// A request resident on the device: the packed input buffer and its layout.
pub struct DeviceRequest {
    /// Whether the id-transform pass ran on it (its raw values are ids now).
    transformed: std::cell::Cell<bool>,
    input: CudaSlice<u8>,
    out: CudaSlice<f32>,
    layout: ByteLayout,
    sizes: crate::shape::Sizes,
}

impl DeviceRequest {
    pub fn batch(&self) -> usize {
        self.layout.batch
    }
}

/// Page-locked host memory of a lane, read and written through the address
/// it got when allocated. (cudarc's accessors synchronize an event on every
/// access, a driver call each: four per request on the whole-model path.) A
/// lane's buffers need no such call: the host touches them only while the
/// lane's stream is idle — [`GpuModel::lane`] hands out an idle stream, and a
/// request reads what landed after synchronizing it — and only the request
/// holding the lane does.
struct Pinned<T> {
    _memory: PinnedHostSlice<T>,
    ptr: *mut T,
    len: usize,
}

// The memory is owned (freed with `_memory`) and reached only through `&self`
// / `&mut self`, as a `Vec` would be.
unsafe impl<T: Send> Send for Pinned<T> {}

impl<T: cudarc::driver::DeviceRepr + cudarc::driver::ValidAsZeroBits> Pinned<T> {
    /// `len` elements allocated with `flags` (`CU_MEMHOSTALLOC_*`);
    /// uninitialized: callers write before they read.
    fn new(context: &Arc<CudaContext>, len: usize, flags: u32) -> Result<Self, RunError> {
        let mut memory = unsafe { context.alloc_pinned_with_flags::<T>(len, flags) }.map_err(device_error)?;
        let ptr = memory.as_mut_ptr().map_err(device_error)?;
        Ok(Pinned { _memory: memory, ptr, len })
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The host address (also the device address: mapped, or under unified addressing).
    fn ptr(&self) -> *mut T {
        self.ptr
    }

    fn as_slice(&self) -> &[T] {
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// Buffers reused across requests (grown as needed): page-locked host
/// staging for the upload, and the device input and output.
#[derive(Default)]
struct Staging {
    /// Write-combined: the host only writes it.
    host: Option<Pinned<u8>>,
    input: Option<CudaSlice<u8>>,
    out: Option<CudaSlice<f32>>,
    /// Page-locked landing buffer for the output (copies from the device
    /// into pageable memory run at a fraction of the link's speed); cached,
    /// not write-combined: the host reads it.
    host_out: Option<Pinned<f32>>,
    /// The dense program's f32 feeds and host values, staged and on the device.
    extra_host: Option<Pinned<f32>>,
    extra_dev: Option<CudaSlice<f32>>,
    /// The whole-model path's device buffer ([`request::Regions`]) and its
    /// page-locked landing copy (the outputs, then the status word).
    device: Option<CudaSlice<u8>>,
    landing: Option<Pinned<u8>>,
}

/// How many requests a model runs at once by default ([`GpuModel::lanes`]):
/// with 8, B = 1 throughput at 8 concurrent callers is 4.5-5.2x one caller
/// on an H200 (4 lanes: 3.5-4.3x; bench/results/2026-12-01-h200-run8.md).
pub const DEFAULT_LANES: usize = 8;

/// What one request in flight owns: a stream, its staging buffers, the
/// dense program's per-stream state and the CUDA graphs captured on it.
/// Requests take a free lane; with every lane busy they wait for one.
struct Lane {
    stream: Arc<CudaStream>,
    /// One more stream per further part of a sharded kernel.
    side: Vec<Arc<CudaStream>>,
    staging: Staging,
    dense: Option<crate::gpu_dense::DenseLane>,
    /// How a whole-model request runs, per batch size and buffers
    /// (`request::ReplayKey`): eagerly once, then as a captured graph.
    graphs: HashMap<request::ReplayKey, request::Replay>,
    /// No work of a request is in flight on the stream: the last request
    /// on the lane ended with the stream synchronized.
    idle: bool,
}

/// A model loaded on one GPU: the tables, kernels and dense weights once,
/// shared by [`DEFAULT_LANES`] lanes that run requests concurrently (each
/// on its own stream with its own buffers, so concurrent callers overlap
/// their copies and kernels; a request never touches another's buffers).
pub struct GpuModel {
    plan: Plan,
    kernel: GpuKernel,
    context: Arc<CudaContext>,
    /// Lane 0's stream: loads, and the resident-request API ([`Self::upload`],
    /// [`Self::launch`], ...) the benchmark times the kernel with. A request
    /// runs on its lane's stream only.
    lane0_stream: Arc<CudaStream>,
    /// Lane 0's side streams (its parts after the first).
    lane0_side: Vec<Arc<CudaStream>>,
    _module: Arc<CudaModule>,
    function: CudaFunction,
    /// The kernel's parts (`crate::shard`): one, the whole kernel, unless
    /// the plan places its tables on several GPUs.
    parts: Vec<DevicePart>,
    /// Where columns' ids are raw values: the pass that turns them into ids
    /// in place before the kernel runs.
    transform: Option<TransformPass>,
    columns: CudaSlice<i64>,
    lanes: Vec<Mutex<Lane>>,
    next_lane: std::sync::atomic::AtomicUsize,
    /// The plan's shape program, parsed.
    shapes: Option<crate::shape::CompiledShapes>,
    /// The dense program, when the model has one ([`Self::attach_dense`]).
    dense: Option<crate::gpu_dense::GpuDense>,
    /// The artifact's copy kernel: small requests move through page-locked
    /// memory with it (`request`); without one (older artifacts), by copies.
    copy: Option<request::CopyKernel>,
    /// Where the embedding-only path ([`Self::run_with`]) writes its output.
    output_path: OutputPath,
}

/// Where the embedding-only path's kernel ([`GpuModel::run_with`],
/// [`GpuModel::run`]) writes the `[B, ΣD]` output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputPath {
    /// To device memory, then one copy into the lane's page-locked landing buffer.
    #[default]
    Copy,
    /// Straight into the page-locked landing buffer (mapped) over the bus
    /// while the kernel runs: no copy after it.
    Mapped,
}

/// The id-transform pass on the device ([`Plan::transform_kernel`]).
struct TransformPass {
    _module: Arc<CudaModule>,
    function: CudaFunction,
    params: Vec<Buffer>,
    /// Every column's work items (the pass takes each column's first).
    items: CudaSlice<i64>,
    num_items: u64,
}

/// A part's packed tables made on the device ([`Tables::Generated`]): per
/// table one block of rows uploaded at its offset, then repeated by
/// device-to-device copies of the filled range (each copy starts at a
/// multiple of the block, so row r is block row r mod the block's rows).
fn generate_tables(stream: &Arc<CudaStream>, plan: &Plan, shard: &crate::shard::KernelShard, generated: GeneratedTables) -> Result<CudaSlice<f32>, RunError> {
    let out = unsafe { stream.alloc::<f32>(shard.packed_len.max(1)) }.map_err(|e| {
        RunError::Device(format!("allocating {} bytes of generated tables on GPU part {}: {e:?}", 4 * shard.packed_len, shard.gpu))
    })?;
    let base = out.device_ptr(stream).0;
    let s = stream.cu_stream();
    for (&t, &at) in shard.tables.iter().zip(&shard.offsets) {
        let slot = &plan.tables[t];
        let total = slot.rows * slot.pitch;
        if total == 0 {
            continue;
        }
        let block = generated.period_block(&slot.name, slot.rows, slot.dim, slot.pitch).map_err(|e| RunError::Table { name: slot.name.clone(), problem: e })?;
        let start = base + 4 * at as u64;
        // From pageable memory: the call returns once the block is staged,
        // so it may be freed at the end of this iteration.
        unsafe { sys::cuMemcpyHtoDAsync_v2(start, block.as_ptr() as *const std::ffi::c_void, 4 * block.len(), s) }.result().map_err(device_error)?;
        let mut filled = block.len();
        while filled < total {
            let n = filled.min(total - filled);
            unsafe { sys::cuMemcpyDtoDAsync_v2(start + 4 * filled as u64, start, 4 * n, s) }.result().map_err(device_error)?;
            filled += n;
        }
    }
    stream.synchronize().map_err(device_error)?;
    Ok(out)
}

/// A landed output copied into a caller's vector (resized to it): a large
/// one by all cores (one core's copy out of page-locked memory runs at a
/// fraction of the memory's speed).
fn copy_out(result: &[f32], out: &mut Vec<f32>) {
    use rayon::prelude::*;
    out.resize(result.len(), 0.0);
    const CHUNK: usize = 1 << 16;
    if result.len() <= CHUNK {
        out.copy_from_slice(result);
    } else {
        out.par_chunks_mut(CHUNK).zip(result.par_chunks(CHUNK)).for_each(|(to, from)| to.copy_from_slice(from));
    }
}

/// One part of the kernel on the device: its tables and work items.
struct DevicePart {
    tables: CudaSlice<f32>,
    tables_len: usize,
    items: CudaSlice<i64>,
    num_items: u64,
}

impl GpuModel {
    /// Loads the artifact's PTX on GPU `ordinal` and uploads the packed
    /// tables ([`Plan::bind_tables`]). A model whose tables are placed on
    /// N GPUs (`recom compile --gpus N`) needs N GPUs ([`Self::load_on`]
    /// says where each part runs).
    pub fn load(artifact: &Artifact, tables: &[f32], ordinal: usize) -> Result<Self, RunError> {
        match artifact.plan.sharding.as_ref().filter(|s| s.gpus > 1) {
            None => Self::load_on(artifact, tables, &[ordinal]),
            Some(sharding) => {
                driver_available()?;
                let present = CudaContext::device_count().map_err(device_error)?;
                if (present as usize) < sharding.gpus {
                    return Err(RunError::Device(format!(
                        "the model's tables are placed on {} GPUs (recom compile --gpus {}), this machine has {present}",
                        sharding.gpus, sharding.gpus
                    )));
                }
                Self::load_on(artifact, tables, &(0..sharding.gpus).collect::<Vec<_>>())
            }
        }
    }

    /// [`Self::load`] with part g of the kernel (the tables the plan places
    /// on its GPU g, `crate::shard`) on device `devices[g]`. Every part on
    /// one device runs each part on a stream of its own (the parts of a
    /// request run concurrently and write disjoint output columns): the
    /// sharded path on one GPU. Parts on different devices exchange their
    /// pooled columns with NCCL: [`multi::MultiGpuModel`].
    pub fn load_on(artifact: &Artifact, tables: &[f32], devices: &[usize]) -> Result<Self, RunError> {
        Self::load_parts(artifact, Tables::Packed(tables), devices, None)
    }

    /// [`Self::load_on`] with the tables from `tables`: the packed buffer,
    /// or made on the device ([`Tables::Generated`]: tables larger than the
    /// host's memory never cross the bus).
    pub fn load_tables(artifact: &Artifact, tables: Tables<'_>, devices: &[usize]) -> Result<Self, RunError> {
        Self::load_parts(artifact, tables, devices, None)
    }

    /// Part `part` of the kernel alone on GPU `device` (its tables and work
    /// items; the other parts' output elements are not written): one GPU of
    /// a model served on several ([`multi::MultiGpuModel`]).
    pub(crate) fn load_part(artifact: &Artifact, tables: Tables<'_>, part: usize, device: usize) -> Result<Self, RunError> {
        Self::load_parts(artifact, tables, &[device], Some(part))
    }

    fn load_parts(artifact: &Artifact, tables: Tables<'_>, devices: &[usize], only: Option<usize>) -> Result<Self, RunError> {
        artifact.validate().map_err(|e| RunError::Device(e.to_string()))?;
        driver_available()?;
        if artifact.gpu.is_empty() {
            return Err(RunError::Device("the artifact has no GPU kernel (compile it with --device gpu or all)".into()));
        }
        let plan = artifact.plan.clone();
        if let Tables::Packed(tables) = tables {
            if tables.len() != plan.packed_tables_len() {
                return Err(RunError::Table {
                    name: "<packed>".into(),
                    problem: format!("expected {} values, got {}", plan.packed_tables_len(), tables.len()),
                });
            }
        }
        let mut shards = plan.kernel_shards()?;
        if let Some(part) = only {
            if part >= shards.len() {
                return Err(RunError::Device(format!("the kernel has {} part(s), there is no part {part}", shards.len())));
            }
            shards = vec![shards.swap_remove(part)];
        }
        if devices.len() != shards.len() || devices.is_empty() {
            return Err(RunError::Device(format!("the kernel has {} part(s) (one per GPU of the model's placement), {} device(s) were given", shards.len(), devices.len())));
        }
        let ordinal = devices[0];
        if devices.iter().any(|&d| d != ordinal) {
            return Err(RunError::Device(format!(
                "parts of the kernel on different GPUs ({devices:?}) exchange their columns over NCCL: serve them with MultiGpuModel (or every part on one GPU: GpuModel::load_on with one device repeated)"
            )));
        }
        let present = CudaContext::device_count().map_err(device_error)? as usize;
        if ordinal >= present {
            return Err(RunError::Device(format!("GPU {ordinal} does not exist: this machine has {present}")));
        }
        let context = CudaContext::new(ordinal).map_err(device_error)?;
        let (major, minor) = context.compute_capability().map_err(device_error)?;
        let kernel = select_kernel(&artifact.gpu, major, minor)?.clone();
        // Streams of our own (graph capture is not allowed on the legacy
        // default stream). Everything shared is uploaded on lane 0's stream
        // and synchronized before any lane runs; after that each lane's work
        // is ordered on its own stream (its parts' side streams wait for it
        // and it for them, by events), so cudarc's cross-stream event
        // tracking is not needed.
        unsafe { context.disable_event_tracking() };
        let lanes = (0..DEFAULT_LANES)
            .map(|_| {
                let stream = context.new_stream().map_err(device_error)?;
                let side = (1..shards.len()).map(|_| context.new_stream().map_err(device_error)).collect::<Result<Vec<_>, _>>()?;
                Ok(Mutex::new(Lane { stream, side, staging: Staging::default(), dense: None, graphs: HashMap::new(), idle: false }))
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        let (stream, lane0_side) = {
            let lane0 = lanes[0].lock().unwrap_or_else(|e| e.into_inner());
            (lane0.stream.clone(), lane0.side.clone())
        };
        let module = context.load_module(cudarc::nvrtc::Ptx::from_src(kernel.ptx.clone())).map_err(device_error)?;
        let function = module.load_function(&kernel.entry).map_err(device_error)?;
        let parts = shards
            .iter()
            .map(|shard| {
                let tables = match tables {
                    Tables::Packed(tables) => {
                        // One part's tables cut from the whole buffer (the whole kernel: the buffer itself).
                        let own;
                        let data: &[f32] = if plan.sharding.is_some() {
                            own = shard.tables_of(&plan, tables)?;
                            &own
                        } else {
                            tables
                        };
                        // Empty parts still get a buffer (a zero-byte allocation is an error).
                        stream.clone_htod(if data.is_empty() { &[0f32][..] } else { data }).map_err(device_error)?
                    }
                    Tables::Generated(generated) => generate_tables(&stream, &plan, shard, generated)?,
                };
                let items = stream.clone_htod(if shard.items.is_empty() { &[0i64][..] } else { &shard.items[..] }).map_err(device_error)?;
                Ok(DevicePart { tables, tables_len: shard.packed_len, items, num_items: shard.num_items() as u64 })
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        let transform = match (&plan.transform_kernel, &kernel.transform) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(RunError::Device(format!("the plan transforms raw values before the kernel, but the {} kernel has no transform pass", kernel.chip)))
            }
            (Some(_), Some(entry)) => {
                let module = context.load_module(cudarc::nvrtc::Ptx::from_src(entry.ptx.clone())).map_err(device_error)?;
                let function = module.load_function(&entry.entry).map_err(device_error)?;
                let items = stream.clone_htod(if plan.items.is_empty() { &[0i64][..] } else { &plan.items[..] }).map_err(device_error)?;
                Some(TransformPass { _module: module, function, params: entry.params.clone(), items, num_items: (plan.items.len() / ITEM_FIELDS) as u64 })
            }
        };
        let copy = match kernel.dense.iter().find(|k| k.step.is_none()) {
            Some(k) => {
                let module = context.load_module(cudarc::nvrtc::Ptx::from_src(k.ptx.clone())).map_err(device_error)?;
                let function = module.load_function(&k.entry).map_err(device_error)?;
                Some(request::CopyKernel { _module: module, function, params: k.params.clone(), threads: k.threads })
            }
            None => None,
        };
        let columns = stream.clone_htod(&plan.columns_meta).map_err(device_error)?;
        let shapes = plan.shapes.as_ref().map(|p| p.compile()).transpose().map_err(RunError::Device)?;
        stream.synchronize().map_err(device_error)?;
        Ok(GpuModel {
            shapes,
            plan,
            kernel,
            context,
            lane0_stream: stream,
            lane0_side,
            _module: module,
            function,
            parts,
            transform,
            columns,
            lanes,
            next_lane: Default::default(),
            dense: None,
            copy,
            output_path: OutputPath::default(),
        })
    }

    /// How many parts the kernel runs as (one per GPU of the model's table
    /// placement; 1 without one).
    pub fn parts(&self) -> usize {
        self.parts.len()
    }

    /// How many requests run at once.
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// A free lane (the first free one from a rotating start), or, with
    /// every lane busy, the start one once it is free.
    ///
    /// The lane's stream is idle when it is handed out: a request that ended
    /// in an error after queuing work (a failed launch, a missing dense
    /// program) may have left copies in flight from the staging buffers the
    /// next request writes. A lane whose last request ended synchronized is
    /// not synchronized again (that costs ~1 µs a request); the lane is
    /// handed out marked busy until its request ends synchronized.
    fn lane(&self) -> std::sync::MutexGuard<'_, Lane> {
        let n = self.lanes.len();
        let start = self.next_lane.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % n;
        let mut guard = (0..n)
            .find_map(|k| self.lanes[(start + k) % n].try_lock().ok())
            .unwrap_or_else(|| self.lanes[start].lock().unwrap_or_else(|e| e.into_inner()));
        if !guard.idle {
            let _ = guard.stream.synchronize();
        }
        guard.idle = false;
        guard
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Validates, packs and uploads a request in one host-to-device copy
    /// (into buffers of its own, so it can be launched repeatedly).
    pub fn upload(&self, inputs: &[ColumnInput]) -> Result<DeviceRequest, RunError> {
        let mut bytes = Vec::new();
        let (layout, sizes) = self.plan.stage(self.shapes.as_ref(), inputs, |n| {
            bytes.resize(n, 0u8);
            Ok(&mut bytes[..])
        })?;
        let input = self.lane0_stream.clone_htod(&bytes).map_err(device_error)?;
        let out = unsafe { self.lane0_stream.alloc::<f32>(sizes.output.max(1)) }.map_err(device_error)?;
        Ok(DeviceRequest { transformed: std::cell::Cell::new(false), input, out, layout, sizes })
    }

    /// Launches the fused kernel once on a resident request (asynchronous).
    /// The status word must be zero before the launch: [`Self::upload`] makes
    /// it so, and [`Self::reset_status`] does it again between launches.
    pub fn launch(&self, request: &DeviceRequest) -> Result<(), RunError> {
        let (input, _g1) = request.input.device_ptr(&self.lane0_stream);
        let (out, _g2) = request.out.device_ptr(&self.lane0_stream);
        // The transform pass rewrites the request's raw values in place: once.
        let transform = !request.transformed.replace(true);
        self.launch_at(&self.lane0_stream, &self.lane0_side, input, out, &request.layout, &request.sizes, transform, None)
    }

    /// Launches every part of the kernel on the request laid out at device
    /// address `input`, writing `out`: part 0 on `stream`, part k on
    /// `side[k - 1]`, which waits for `stream`'s work so far; `stream` then
    /// waits for every side stream. Under stream capture, `nodes` collects
    /// each launch's graph node (to update its parameters per request).
    #[allow(clippy::too_many_arguments)]
    fn launch_at(
        &self,
        stream: &Arc<CudaStream>,
        side: &[Arc<CudaStream>],
        input: u64,
        out: u64,
        layout: &ByteLayout,
        sizes: &crate::shape::Sizes,
        transform: bool,
        mut nodes: Option<&mut Vec<(request::Node, sys::CUgraphNode)>>,
    ) -> Result<(), RunError> {
        if layout.batch == 0 || self.plan.width == 0 {
            return Ok(());
        }
        let mut issue = |role: Role, on: &Arc<CudaStream>| -> Result<(), RunError> {
            if let Some(mut launch) = self.launch_of(role, on, input, out, layout, sizes) {
                launch.issue(on)?;
                if let Some(nodes) = nodes.as_deref_mut() {
                    nodes.push((request::Node::Kernel(role), request::captured_node(on)?));
                }
            }
            Ok(())
        };
        // Raw values become ids first, in place, on the lane's stream.
        if transform {
            issue(Role::Transform, stream)?;
        }
        if self.parts.len() == 1 {
            return issue(Role::Part(0), stream);
        }
        let uploaded = stream.record_event(None).map_err(device_error)?;
        for (k, s) in side[..self.parts.len() - 1].iter().enumerate() {
            s.wait(&uploaded).map_err(device_error)?;
            issue(Role::Part(k + 1), s)?;
        }
        issue(Role::Part(0), stream)?;
        for s in &side[..self.parts.len() - 1] {
            stream.join(s).map_err(device_error)?;
        }
        Ok(())
    }

    /// The launch of one kernel of a request (`None`: nothing to run, a
    /// part without items or a model without a transform pass).
    fn launch_of(&self, role: Role, stream: &Arc<CudaStream>, input: u64, out: u64, layout: &ByteLayout, sizes: &crate::shape::Sizes) -> Option<Launch> {
        let threads = self.kernel.threads;
        match role {
            Role::Transform => {
                let pass = self.transform.as_ref()?;
                let (tables, _g1) = self.parts[0].tables.device_ptr(stream);
                let (items, _g2) = pass.items.device_ptr(stream);
                let params = self.parameters(&pass.params, (tables, self.parts[0].tables_len), (items, pass.num_items), stream, input, out, layout);
                Some(Launch { function: pass.function.cu_function(), grid: (pass.num_items.max(1) as u32, 1, 1), block: (1, threads, 1), params })
            }
            Role::Part(k) => {
                let part = &self.parts[k];
                if part.num_items == 0 {
                    return None;
                }
                let (tables, _g1) = part.tables.device_ptr(stream);
                let (items, _g2) = part.items.device_ptr(stream);
                let params = self.parameters(&self.kernel.params, (tables, part.tables_len), (items, part.num_items), stream, input, out, layout);
                // Rows from the shape program; items are static.
                let grid = (sizes.grid_x as u32, part.num_items.div_ceil(threads as u64) as u32, 1);
                Some(Launch { function: self.function.cu_function(), grid, block: (1, threads, 1), params })
            }
        }
    }

    /// The kernel parameters for `buffers`: each memref is (allocated,
    /// aligned, offset, sizes.., strides..); `tables` and `items` are
    /// (device address, elements or records).
    #[allow(clippy::too_many_arguments)]
    fn parameters(&self, buffers: &[Buffer], tables: (u64, usize), items: (u64, u64), stream: &Arc<CudaStream>, input: u64, out: u64, layout: &ByteLayout) -> Vec<u64> {
        let (batch, width) = (layout.batch as u64, self.plan.width as u64);
        let (columns, _g) = self.columns.device_ptr(stream);
        let mut params: Vec<u64> = Vec::with_capacity(7 * buffers.len());
        for buffer in buffers {
            // (pointer, size) of a 1-D memref; (pointer, rows, columns) of a 2-D one.
            let (ptr, size, cols): (u64, u64, Option<u64>) = match buffer {
                Buffer::Tables => (tables.0, tables.1 as u64, None),
                Buffer::Ids => (input + layout.ids.0 as u64, layout.ids.1 as u64, None),
                Buffer::Offsets => (input + layout.offsets.0 as u64, layout.offsets.1 as u64, None),
                Buffer::Weights => (input + layout.weights.0 as u64, layout.weights.1 as u64, None),
                Buffer::Items => (items.0, items.1, Some(ITEM_FIELDS as u64)),
                Buffer::Columns => (columns, self.plan.columns_meta.len() as u64, None),
                Buffer::Out => (out, batch, Some(width)),
                Buffer::Status => (input, 1, None),
                Buffer::Bytes => (input + layout.strings.0 as u64, layout.strings.1 as u64, None),
            };
            // allocated, aligned, offset, sizes..., strides... (row-major).
            params.extend([ptr, ptr, 0, size]);
            match cols {
                Some(c) => params.extend([c, c, 1]),
                None => params.push(1),
            }
        }
        params
    }

    /// Zeroes a resident request's status word (between repeated launches).
    pub fn reset_status(&self, request: &mut DeviceRequest) -> Result<(), RunError> {
        let mut view = request.input.slice_mut(0..8);
        self.lane0_stream.memcpy_htod(&[0u8; 8], &mut view).map_err(device_error)
    }

    /// Waits for the device and returns the output and the status word.
    pub fn download(&self, request: &DeviceRequest) -> Result<(Vec<f32>, i64), RunError> {
        let mut out = self.lane0_stream.clone_dtoh(&request.out).map_err(device_error)?;
        out.truncate(request.layout.batch * self.plan.width);
        let status = self.lane0_stream.clone_dtoh(&request.input.slice(0..8)).map_err(device_error)?;
        Ok((out, i64::from_le_bytes(status.try_into().expect("8 bytes"))))
    }

    /// One request given as the model's inputs ([`crate::plan::Plan::feeds`]):
    /// the host program makes the column inputs, then [`Self::run`].
    pub fn run_feeds(&self, feeds: &[recom_host::Feed]) -> Result<Vec<f32>, RunError> {
        let inputs = self.plan.prepare(feeds)?;
        self.run(&inputs)
    }

    /// One request end to end: validate and pack straight into page-locked
    /// staging, one upload, one launch, download, check. Buffers are reused
    /// across requests.
    pub fn run(&self, inputs: &[ColumnInput]) -> Result<Vec<f32>, RunError> {
        let mut out = Vec::new();
        self.run_into(inputs, &mut out)?;
        Ok(out)
    }

    /// [`Self::run`] into a caller's vector (resized to `[B, ΣD]`), so a
    /// serving loop reuses its output memory. The output lands in
    /// page-locked staging first and is copied out by all cores.
    pub fn run_into(&self, inputs: &[ColumnInput], out: &mut Vec<f32>) -> Result<(), RunError> {
        self.run_with(inputs, |result| copy_out(result, out))
    }

    /// Copies a launched request's `n_out` output values, then its status
    /// word, down into the lane's page-locked landing buffer (asynchronous
    /// copies, one synchronization) and returns the status word.
    fn land_output(&self, lane: &mut Lane, n_out: usize) -> Result<i64, RunError> {
        let Lane { stream, staging, idle, .. } = lane;
        let input = staging.input.as_ref().expect("allocated by stage_and_launch");
        let out_device = staging.out.as_ref().expect("allocated by stage_and_launch");
        let host_out = staging.host_out.as_mut().expect("allocated by stage_and_launch");
        let landing = host_out.as_mut_slice();
        if n_out > 0 && self.output_path == OutputPath::Copy {
            unsafe { cudarc::driver::result::memcpy_dtoh_async(&mut landing[..n_out], out_device.device_ptr(stream).0, stream.cu_stream()) }.map_err(device_error)?;
        }
        // The status word lands after the output (two f32 slots).
        unsafe { cudarc::driver::result::memcpy_dtoh_async(&mut landing[n_out..n_out + 2], input.device_ptr(stream).0, stream.cu_stream()) }.map_err(device_error)?;
        stream.synchronize().map_err(device_error)?;
        *idle = true;
        Ok((landing[n_out].to_bits() as u64 | ((landing[n_out + 1].to_bits() as u64) << 32)) as i64)
    }

    /// Loads the plan's dense program (its weights, in the program's order)
    /// so that [`Self::run_outputs`] computes the model's outputs on the GPU.
    pub fn attach_dense(&mut self, weights: &[Vec<f32>]) -> Result<(), RunError> {
        let feed_widths = self.plan.feed_widths();
        let host_widths: Vec<usize> = self.plan.host.values.iter().map(|v| v.width).collect();
        let dense = crate::gpu_dense::GpuDense::load(&self.lane0_stream, &self.plan.dense, weights, &self.kernel.dense, self.plan.width, &feed_widths, &host_widths)?;
        for lane in &self.lanes {
            let mut lane = lane.lock().unwrap_or_else(|e| e.into_inner());
            lane.dense = Some(dense.lane(&lane.stream)?);
        }
        // The weights reach the device before any lane reads them.
        self.lane0_stream.synchronize().map_err(device_error)?;
        self.dense = Some(dense);
        Ok(())
    }

    /// Validates and packs a request into page-locked staging (grown as
    /// needed), uploads it and launches the embedding kernel.
    fn stage_and_launch(&self, lane: &mut Lane, inputs: &[ColumnInput]) -> Result<(ByteLayout, crate::shape::Sizes), RunError> {
        let Lane { stream, side, staging, .. } = lane;
        let context = &self.context;
        // Validated and packed straight into the lane's page-locked staging
        // (grown as needed, with the device buffer it is copied to).
        let (layout, sizes) = self.plan.stage(self.shapes.as_ref(), inputs, |bytes| {
            if staging.host.as_ref().is_none_or(|h| h.len() < bytes) {
                staging.host = None;
                staging.input = None;
                let capacity = bytes + bytes / 2;
                staging.host = Some(Pinned::new(context, capacity, sys::CU_MEMHOSTALLOC_WRITECOMBINED)?);
                staging.input = Some(unsafe { stream.alloc::<u8>(capacity) }.map_err(device_error)?);
            }
            Ok(staging.host.as_mut().expect("allocated above").as_mut_slice())
        })?;
        let n_out = sizes.output;
        // The landing buffer has two more slots: the status word lands after the output.
        if staging.out.as_ref().is_none_or(|o| o.len() < n_out.max(1)) || staging.host_out.as_ref().is_none_or(|h| h.len() < n_out + 2) {
            let capacity = n_out.max(1) + n_out / 2;
            staging.out = None;
            staging.host_out = None;
            staging.out = Some(unsafe { stream.alloc::<f32>(capacity) }.map_err(device_error)?);
            // Mapped: with `OutputPath::Mapped` the kernel writes it.
            staging.host_out = Some(Pinned::new(&self.context, capacity + 2, sys::CU_MEMHOSTALLOC_DEVICEMAP)?);
        }
        let host = staging.host.as_ref().expect("allocated by stage");
        let input = staging.input.as_mut().expect("allocated by stage");
        let out_device = staging.out.as_ref().expect("allocated above");
        stream
            .memcpy_htod(&host.as_slice()[..layout.bytes], &mut input.slice_mut(0..layout.bytes))
            .map_err(device_error)?;
        let (input_ptr, _g1) = input.device_ptr(stream);
        let (out_ptr, _g2) = out_device.device_ptr(stream);
        // A mapped page-locked allocation's host address is its device address.
        let out_ptr = match self.output_path {
            OutputPath::Copy => out_ptr,
            OutputPath::Mapped => staging.host_out.as_ref().expect("allocated above").ptr() as u64,
        };
        self.launch_at(stream, side, input_ptr, out_ptr, &layout, &sizes, true, None)?;
        Ok((layout, sizes))
    }

    /// [`Self::run`] lending the `[B, ΣD]` output to `f` straight from the
    /// lane's page-locked staging buffer (no copy into pageable memory); the
    /// lane is not lent to another request until `f` returns.
    pub fn run_with<R>(&self, inputs: &[ColumnInput], f: impl FnOnce(&[f32]) -> R) -> Result<R, RunError> {
        let mut lane = self.lane();
        let (_, sizes) = self.stage_and_launch(&mut lane, inputs)?;
        let n_out = sizes.output;
        let status = self.land_output(&mut lane, n_out)?;
        self.plan.check_status(status, inputs)?;
        let host_out = lane.staging.host_out.as_ref().expect("allocated by stage_and_launch");
        Ok(f(&host_out.as_slice()[..n_out]))
    }

    /// Where [`Self::run_with`] has the kernel write its output from now on.
    pub fn set_output_path(&mut self, path: OutputPath) {
        self.output_path = path;
    }

    /// Waits for all queued work (of every lane).
    pub fn synchronize(&self) -> Result<(), RunError> {
        for lane in &self.lanes {
            lane.lock().unwrap_or_else(|e| e.into_inner()).stream.synchronize().map_err(device_error)?;
        }
        Ok(())
    }

    /// Caps how many bytes the L2 cache fetches from memory per miss
    /// (32, 64 or 128; the driver treats it as a hint). Gathers of short
    /// table rows waste bandwidth when a miss fetches more than the row.
    /// The limit belongs to the device's primary context, i.e. to every
    /// model loaded on this GPU by this process.
    pub fn set_l2_fetch_granularity(&self, bytes: usize) -> Result<(), RunError> {
        check_l2_fetch_granularity(bytes)?;
        self.context.bind_to_thread().map_err(device_error)?;
        let set = unsafe { sys::cuCtxSetLimit(sys::CUlimit::CU_LIMIT_MAX_L2_FETCH_GRANULARITY, bytes) };
        if set != sys::CUresult::CUDA_SUCCESS {
            return Err(RunError::Device(format!("setting the L2 fetch granularity to {bytes} bytes: {set:?}")));
        }
        Ok(())
    }

    /// Lane 0's stream, where [`Self::upload`] and [`Self::launch`] run
    /// (for timing the kernel with events).
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.lane0_stream
    }
}

/// CUDA event flags, streams and driver errors (re-exported for timing code
/// that must not name cudarc).
pub type EventFlags = sys::CUevent_flags;
pub type Stream = CudaStream;
pub type DriverError = cudarc::driver::DriverError;

/// The L2 fetch granularities the driver accepts.
fn check_l2_fetch_granularity(bytes: usize) -> Result<(), RunError> {
    if [32, 64, 128].contains(&bytes) {
        Ok(())
    } else {
        Err(RunError::Device(format!("L2 fetch granularity must be 32, 64 or 128 bytes, got {bytes}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(chip: &str) -> GpuKernel {
        GpuKernel { ptx: String::new(), entry: "k".into(), chip: chip.into(), params: vec![], threads: 64, dense: vec![], transform: None }
    }

    #[test]
    fn the_newest_chip_not_newer_than_the_device_is_loaded() {
        let kernels = [kernel("sm_80"), kernel("sm_90"), kernel("sm_90a")];
        assert_eq!(select_kernel(&kernels, 9, 0).unwrap().chip, "sm_90a");
        assert_eq!(select_kernel(&kernels[..2], 9, 0).unwrap().chip, "sm_90");
        assert_eq!(select_kernel(&kernels, 8, 9).unwrap().chip, "sm_80");
        assert_eq!(select_kernel(&kernels, 10, 0).unwrap().chip, "sm_90");
        let err = select_kernel(&kernels, 7, 5).unwrap_err().to_string();
        assert!(err.contains("this GPU is sm_75") && err.contains("sm_80, sm_90, sm_90a") && err.contains("--chips sm_75"), "{err}");
    }

    #[test]
    fn l2_fetch_granularity_is_checked_before_the_driver() {
        for ok in [32, 64, 128] {
            assert!(check_l2_fetch_granularity(ok).is_ok());
        }
        let err = check_l2_fetch_granularity(48).unwrap_err();
        assert!(err.to_string().contains("L2 fetch granularity must be 32, 64 or 128 bytes, got 48"), "{err}");
    }
}
