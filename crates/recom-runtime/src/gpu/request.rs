//! A whole-model request on the GPU as one CUDA graph: the upload of the
//! packed request (and of the dense program's f32 inputs), the transform
//! pass and the kernel's parts, the dense program, and ONE download of
//! every output computed on the device together with the status word.
//!
//! The lane's device buffer is laid out per batch size ([`Regions`]) so
//! that the outputs and the status word are contiguous. The first request of
//! a batch size runs eagerly (making the dense program's buffers and GEMM
//! plans), the second is captured, and from then on each request updates
//! the graph's few per-request parameters — the upload's length and the
//! kernels' parameters, which follow the request's layout — and launches
//! it: one driver call instead of a copy, a launch, a graph launch and four
//! downloads, with no gap on the GPU between them while the host issues the
//! next (on an H200 at B = 1: the GPU was idle 6 µs between the upload and
//! the kernel and 6 µs between the kernel and the dense layers, and each
//! download took 2.8 µs).
//!
//! A small request (up to [`ZERO_COPY_BYTES`] each way) moves through
//! page-locked memory by the artifact's copy kernel instead of the copy
//! engines: in a graph, handing work between a copy engine and the SMs
//! left the GPU idle 6-11 µs per hand-over (H200, B = 1), longer than the
//! kernel takes to read a few KiB over the bus.
use super::{device_error, GpuModel, Lane, Pinned};
use crate::plan::{Plan, RunError};
use cudarc::driver::{result, sys, CudaContext, CudaGraph, CudaStream, DevicePtr};
use recom_abi::dense::Operand;
use crate::serve::Phases;
use std::{ffi::c_void, sync::Arc, time::Instant};

/// Which kernel of a request a launch (and its captured node) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// The id-transform pass.
    Transform,
    /// Part k of the kernel (the whole kernel: part 0).
    Part(usize),
}

/// A captured node whose parameters change from request to request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// The upload of the packed request (its length).
    Upload,
    /// The same by the copy kernel.
    CopyIn,
    Kernel(Role),
}

/// The largest request (and download) moved by the copy kernel through
/// page-locked memory rather than by a copy engine.
pub(super) const ZERO_COPY_BYTES: usize = 128 << 10;

/// The artifact's copy kernel (`out[r, c] = in[r, c]` over f32 memrefs).
pub(super) struct CopyKernel {
    pub(super) _module: Arc<cudarc::driver::CudaModule>,
    pub(super) function: cudarc::driver::CudaFunction,
    /// Per parameter: 0 = out, 1 = in.
    pub(super) params: Vec<usize>,
    pub(super) threads: u32,
}

impl CopyKernel {
    /// A copy of `bytes` (rounded up to whole 4-byte words) from `src` to
    /// `dst`, either of which may be page-locked host memory (mapped: its
    /// host address is its device address).
    fn launch(&self, dst: u64, src: u64, bytes: usize) -> Launch {
        let words = bytes.div_ceil(4) as u64;
        let descriptor = |ptr: u64| [ptr, ptr, 0, 1, words, words, 1];
        let params = self.params.iter().flat_map(|&p| descriptor(if p == 0 { dst } else { src })).collect();
        let threads = self.threads.max(1);
        Launch { function: self.function.cu_function(), grid: (1, words.div_ceil(threads as u64).max(1) as u32, 1), block: (1, threads, 1), params }
    }
}

/// One kernel launch: the function, grid, block and parameters (each
/// parameter one 64-bit value: the memref descriptors' pointers and sizes).
#[derive(PartialEq, Eq)]
pub(super) struct Launch {
    pub(super) function: sys::CUfunction,
    pub(super) grid: (u32, u32, u32),
    pub(super) block: (u32, u32, u32),
    pub(super) params: Vec<u64>,
}

impl Launch {
    fn pointers(&mut self) -> Vec<*mut c_void> {
        self.params.iter_mut().map(|p| p as *mut u64 as *mut c_void).collect()
    }

    /// Queues the launch on `stream`.
    pub(super) fn issue(&mut self, stream: &CudaStream) -> Result<(), RunError> {
        let mut pointers = self.pointers();
        unsafe { result::launch_kernel(self.function, self.grid, self.block, 0, stream.cu_stream(), &mut pointers) }.map_err(device_error)
    }

    /// Sets a captured kernel node of `exec` to this launch.
    fn update(&mut self, exec: sys::CUgraphExec, node: sys::CUgraphNode) -> Result<(), RunError> {
        let mut pointers = self.pointers();
        let params = sys::CUDA_KERNEL_NODE_PARAMS {
            func: self.function,
            gridDimX: self.grid.0,
            gridDimY: self.grid.1,
            gridDimZ: self.grid.2,
            blockDimX: self.block.0,
            blockDimY: self.block.1,
            blockDimZ: self.block.2,
            sharedMemBytes: 0,
            kernelParams: pointers.as_mut_ptr(),
            extra: std::ptr::null_mut(),
            kern: std::ptr::null_mut(),
            ctx: std::ptr::null_mut(),
        };
        // The driver copies the parameter values before returning.
        unsafe { sys::cuGraphExecKernelNodeSetParams_v2(exec, node, &params) }.result().map_err(device_error)
    }
}

/// The node the last operation queued on `stream` became, under stream capture.
pub(super) fn captured_node(stream: &CudaStream) -> Result<sys::CUgraphNode, RunError> {
    let mut status = sys::CUstreamCaptureStatus::CU_STREAM_CAPTURE_STATUS_NONE;
    let mut id = 0u64;
    let mut graph: sys::CUgraph = std::ptr::null_mut();
    let mut dependencies: *const sys::CUgraphNode = std::ptr::null();
    let mut count = 0usize;
    unsafe { sys::cuStreamGetCaptureInfo_v2(stream.cu_stream(), &mut status, &mut id, &mut graph, &mut dependencies, &mut count) }.result().map_err(device_error)?;
    if status != sys::CUstreamCaptureStatus::CU_STREAM_CAPTURE_STATUS_ACTIVE || count != 1 || dependencies.is_null() {
        return Err(RunError::Device(format!("stream capture: expected the one node just queued, found {count} ({status:?})")));
    }
    Ok(unsafe { *dependencies })
}

/// What a per-request node of a captured graph is set to: the upload's
/// length, or a kernel's launch.
#[derive(PartialEq, Eq)]
enum Setting {
    /// Source, destination and length.
    Upload(usize, u64, usize),
    Kernel(Launch),
}

/// A one-dimensional copy of `bytes` from page-locked host memory to the device.
fn upload_params(src: *const c_void, dst: sys::CUdeviceptr, bytes: usize) -> sys::CUDA_MEMCPY3D {
    sys::CUDA_MEMCPY3D {
        srcXInBytes: 0,
        srcY: 0,
        srcZ: 0,
        srcLOD: 0,
        srcMemoryType: sys::CUmemorytype::CU_MEMORYTYPE_HOST,
        srcHost: src,
        srcDevice: 0,
        srcArray: std::ptr::null_mut(),
        reserved0: std::ptr::null_mut(),
        srcPitch: 0,
        srcHeight: 0,
        dstXInBytes: 0,
        dstY: 0,
        dstZ: 0,
        dstLOD: 0,
        dstMemoryType: sys::CUmemorytype::CU_MEMORYTYPE_DEVICE,
        dstHost: std::ptr::null_mut(),
        dstDevice: dst,
        dstArray: std::ptr::null_mut(),
        reserved1: std::ptr::null_mut(),
        dstPitch: 0,
        dstHeight: 0,
        WidthInBytes: bytes,
        Height: 1,
        Depth: 1,
    }
}

/// Alignment of every region of the lane's device buffer (cuBLASLt and the
/// kernels' vector loads want 16 bytes; 256 keeps regions off shared lines).
const ALIGN: usize = 256;

/// Where a request's pieces live in its lane's device buffer (byte offsets
/// from its start), for one batch size:
///
/// `[embedding layer, when no output is it | landing: each output computed
/// on the device, in output order | the packed request, status word first]`
///
/// so that one download, `landing .. request + 8`, brings every such output
/// and the status word.
#[derive(Debug, PartialEq)]
pub(super) struct Regions {
    pub(super) embedding: usize,
    /// Per output of the plan: where it lands (`None`: the output is not
    /// computed on the device — a host value or a dense feed passed through).
    pub(super) outputs: Vec<Option<usize>>,
    /// Per dense step: where its result goes when it is an output.
    pub(super) steps: Vec<Option<usize>>,
    pub(super) landing: usize,
    pub(super) request: usize,
    /// Bytes the buffer needs for a request of `request_bytes`.
    pub(super) total: usize,
}

impl Regions {
    pub(super) fn new(plan: &Plan, batch: usize, request_bytes: usize) -> Regions {
        let up = |n: usize| n.div_ceil(ALIGN) * ALIGN;
        let floats = |width: usize| 4 * width * batch;
        let embedding_out = plan.outputs.iter().any(|o| o.source == Operand::Embedding);
        let mut at = if embedding_out { 0 } else { up(floats(plan.width)) };
        let landing = at;
        let mut embedding = 0;
        let mut steps = vec![None; plan.dense.steps.len()];
        let mut placed: Vec<(Operand, usize)> = Vec::new();
        let outputs = plan
            .outputs
            .iter()
            .map(|output| {
                let width = match output.source {
                    Operand::Embedding => plan.width,
                    Operand::Step(s) => plan.dense.steps.get(s)?.width(),
                    Operand::Host(_) | Operand::Feed(_) | Operand::Weight(_) => return None,
                };
                // An output named twice lands once.
                if let Some(&(_, offset)) = placed.iter().find(|(source, _)| *source == output.source) {
                    return Some(offset);
                }
                let offset = at;
                at = up(at + floats(width));
                placed.push((output.source, offset));
                match output.source {
                    Operand::Embedding => embedding = offset,
                    Operand::Step(s) => steps[s] = Some(offset),
                    _ => {}
                }
                Some(offset)
            })
            .collect();
        let request = up(at);
        // Room for a copy rounded up to whole words.
        Regions { embedding, outputs, steps, landing, request, total: request + up(request_bytes.max(8)) }
    }

    /// The bytes one download brings: the landing region and the status word.
    pub(super) fn download(&self) -> std::ops::Range<usize> {
        self.landing..self.request + 8
    }
}

/// What a captured request graph is valid for: the batch size and every
/// buffer address it uses (a buffer that grows moves, and the dense
/// program's generation changes when one of its buffers moves).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct ReplayKey {
    batch: usize,
    device: u64,
    staging: usize,
    landing: usize,
    extras: (usize, u64, usize),
    dense_generation: u64,
    zero_copy: bool,
}

/// A captured graph and its per-request nodes, each with what it is set to
/// now (a request whose layout equals the last one's, as requests of one
/// shape do, sets nothing). The driver's graph handles may be used from any
/// thread with the context current (cudarc binds it); only the lane that
/// owns it touches it, under the lane's lock.
pub(super) struct SendGraph {
    graph: CudaGraph,
    nodes: Vec<(Node, sys::CUgraphNode, Setting)>,
}
unsafe impl Send for SendGraph {}

/// How requests of one [`ReplayKey`] run.
pub(super) enum Replay {
    /// Ran once eagerly (buffers and GEMM plans made): capture next time.
    Seen,
    Graph(SendGraph),
    /// Capture failed: always eager.
    Eager,
}

impl GpuModel {
    /// One request to the model's outputs ([`Plan::outputs`], in order): the
    /// packed request and the dense program's f32 inputs uploaded, the
    /// embedding kernel, the dense program on the device, and one download
    /// of the outputs and the status word — as one CUDA graph from the
    /// second request of a batch size on (see the module's comment).
    /// `dense_feeds[i]` is feed i's `[B, width]` values where the dense
    /// program reads it.
    pub fn run_outputs(&self, inputs: &[recom_abi::request::ColumnInput], dense_feeds: &[Option<&[f32]>], host_values: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, RunError> {
        self.run_outputs_timed(inputs, dense_feeds, host_values, &mut Phases::default())
    }

    /// [`Self::run_outputs`], with where its time went.
    pub fn run_outputs_timed(
        &self,
        inputs: &[recom_abi::request::ColumnInput],
        dense_feeds: &[Option<&[f32]>],
        host_values: &[Vec<f32>],
        phases: &mut Phases,
    ) -> Result<Vec<Vec<f32>>, RunError> {
        self.run_outputs_landed(inputs, dense_feeds, host_values, phases, |regions, landed, batch| Ok(outputs_of(&self.plan, regions, landed, batch, dense_feeds, host_values)))
    }

    /// [`Self::run_outputs`] with the outputs lent to `f` where they landed
    /// (the lane's page-locked landing buffer, in the plan's order; an
    /// output the device does not compute is the caller's own slice): no
    /// copy into vectors of the caller's. The same graph-captured path.
    pub fn run_outputs_with<R>(
        &self,
        inputs: &[recom_abi::request::ColumnInput],
        dense_feeds: &[Option<&[f32]>],
        host_values: &[Vec<f32>],
        f: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<R, RunError> {
        self.run_outputs_landed(inputs, dense_feeds, host_values, &mut Phases::default(), |regions, landed, batch| {
            let views = self
                .plan
                .outputs
                .iter()
                .zip(&regions.outputs)
                .map(|(output, offset)| match (output.source, offset) {
                    (_, Some(offset)) => {
                        let width: usize = output.shape.iter().skip(1).map(|&d| d.max(0) as usize).product();
                        let bytes = &landed[offset - regions.landing..][..4 * width * batch];
                        // SAFETY: any bit pattern is an f32; `align_to` gives
                        // only whole, aligned ones (the landing buffer is
                        // page-aligned and every region starts at a multiple
                        // of 256 bytes, so all of them).
                        match unsafe { bytes.align_to::<f32>() } {
                            ([], floats, []) => Ok(floats),
                            _ => Err(RunError::Device(format!("output '{}' landed unaligned", output.name))),
                        }
                    }
                    (Operand::Feed(f), None) => Ok(dense_feeds.get(f).copied().flatten().unwrap_or_default()),
                    (Operand::Host(h), None) => Ok(host_values.get(h).map_or(&[][..], Vec::as_slice)),
                    _ => Ok(&[][..]),
                })
                .collect::<Result<Vec<&[f32]>, RunError>>()?;
            Ok(f(&views))
        })
    }

    /// The whole-model request; `land` reads the outputs from the landed
    /// download (`regions.landing ..`), the status word checked first.
    fn run_outputs_landed<R>(
        &self,
        inputs: &[recom_abi::request::ColumnInput],
        dense_feeds: &[Option<&[f32]>],
        host_values: &[Vec<f32>],
        phases: &mut Phases,
        land: impl FnOnce(&Regions, &[u8], usize) -> Result<R, RunError>,
    ) -> Result<R, RunError> {
        let start = Instant::now();
        if !self.plan.dense.steps.is_empty() && self.dense.is_none() {
            return Err(RunError::Device("the dense program is not loaded on the GPU (GpuModel::attach_dense)".into()));
        }
        let mut guard = self.lane();
        let Lane { stream, side, staging, dense: dense_lane, graphs, idle } = &mut *guard;
        let context = &self.context;
        // Validated and packed straight into page-locked staging.
        // Page-locked and mapped (the copy kernel reads it); write-combined:
        // the host only writes it. (The embedding-only path, `run`, shares this
        // buffer and allocates it without DEVICEMAP: under unified addressing,
        // which the 64-bit driver always uses, every page-locked allocation is
        // device-accessible at its host address whatever its flags.)
        let upload_flags = sys::CU_MEMHOSTALLOC_DEVICEMAP | sys::CU_MEMHOSTALLOC_WRITECOMBINED;
        let (layout, sizes) = self.plan.stage(self.shapes.as_ref(), inputs, |bytes| {
            // Room for a copy rounded up to whole words.
            if staging.host.as_ref().is_none_or(|h| h.len() < bytes + 4) {
                staging.host = None;
                staging.host = Some(Pinned::new(context, bytes + 4 + bytes / 2, upload_flags)?);
            }
            Ok(staging.host.as_mut().expect("allocated above").as_mut_slice())
        })?;
        let batch = layout.batch;
        let regions = Regions::new(&self.plan, batch, layout.bytes);
        let download = regions.download();
        if staging.device.as_ref().is_none_or(|d| d.len() < regions.total) {
            staging.device = None;
            staging.device = Some(unsafe { stream.alloc::<u8>(regions.total + regions.total / 2) }.map_err(device_error)?);
        }
        if staging.landing.as_ref().is_none_or(|l| l.len() < download.len()) {
            staging.landing = None;
            // Mapped (the copy kernel writes it) and cached: the host reads it.
            staging.landing = Some(Pinned::new(context, download.len() + download.len() / 2, sys::CU_MEMHOSTALLOC_DEVICEMAP)?);
        }
        let Extras { host: extra_host, base: extra_base, len: extra_len, feeds: feed_ptrs, values: host_ptrs } =
            stage_extras(context, stream, staging, &self.plan, dense_feeds, host_values, upload_flags, layout.batch)?;

        let base = staging.device.as_ref().expect("allocated above").device_ptr(stream).0;
        let staged = staging.host.as_ref().expect("allocated by stage").ptr() as *const u8;
        let landing = staging.landing.as_ref().expect("allocated above").ptr();
        let (input, embedding) = (base + regions.request as u64, base + regions.embedding as u64);
        let destinations: Vec<Option<u64>> = regions.steps.iter().map(|s| s.map(|o| base + o as u64)).collect();
        let key = ReplayKey {
            batch,
            device: base,
            staging: staged as usize,
            landing: landing as usize,
            extras: (extra_host, extra_base, extra_len),
            dense_generation: dense_lane.as_ref().map_or(0, |d| d.generation()),
            zero_copy: self.copy.is_some() && layout.bytes.max(4 * extra_len).max(download.len()) <= ZERO_COPY_BYTES,
        };
        let zero_copy = key.zero_copy.then_some(self.copy.as_ref()).flatten();
        // Everything a request queues, in order (eagerly, or under capture
        // with its per-request nodes collected).
        let mut issue = |mut nodes: Option<&mut Vec<(Node, sys::CUgraphNode)>>| -> Result<(), RunError> {
            let s = stream.cu_stream();
            match zero_copy {
                Some(copy) => {
                    if extra_len > 0 {
                        copy.launch(extra_base, extra_host as u64, 4 * extra_len).issue(stream)?;
                    }
                    copy.launch(input, staged as u64, layout.bytes).issue(stream)?;
                }
                None => {
                    if extra_len > 0 {
                        unsafe { sys::cuMemcpyHtoDAsync_v2(extra_base, extra_host as *const c_void, 4 * extra_len, s) }.result().map_err(device_error)?;
                    }
                    unsafe { sys::cuMemcpyHtoDAsync_v2(input, staged as *const c_void, layout.bytes, s) }.result().map_err(device_error)?;
                }
            }
            if let Some(nodes) = nodes.as_deref_mut() {
                nodes.push((if zero_copy.is_some() { Node::CopyIn } else { Node::Upload }, captured_node(stream)?));
            }
            self.launch_at(stream, side, input, embedding, &layout, &sizes, true, nodes)?;
            if let (Some(dense), Some(lane)) = (&self.dense, dense_lane.as_mut()) {
                if !self.plan.dense.steps.is_empty() {
                    dense.run(lane, stream, batch, Some((embedding, self.plan.width)), &feed_ptrs, &host_ptrs, &destinations)?;
                }
            }
            match zero_copy {
                Some(copy) => copy.launch(landing as u64, base + download.start as u64, download.len()).issue(stream),
                None => unsafe { sys::cuMemcpyDtoHAsync_v2(landing as *mut c_void, base + download.start as u64, download.len(), s) }.result().map_err(device_error),
            }
        };
        let staged_at = Instant::now();
        phases.stage = staged_at - start;
        // What a per-request node is set to for this request.
        let setting = |node: Node| -> Result<Setting, RunError> {
            Ok(match node {
                Node::Upload => Setting::Upload(staged as usize, input, layout.bytes),
                Node::CopyIn => {
                    let copy = zero_copy.ok_or_else(|| RunError::Device("a captured request graph copies by kernel, this request does not".into()))?;
                    Setting::Kernel(copy.launch(input, staged as u64, layout.bytes))
                }
                Node::Kernel(role) => Setting::Kernel(
                    self.launch_of(role, stream, input, embedding, &layout, &sizes)
                        .ok_or_else(|| RunError::Device(format!("a captured request graph launches {role:?}, which this request does not")))?,
                ),
            })
        };
        match graphs.get_mut(&key) {
            Some(Replay::Graph(captured)) => {
                let exec = captured.graph.cu_graph_exec();
                for (node, handle, now) in &mut captured.nodes {
                    let mut wanted = setting(*node)?;
                    if wanted == *now {
                        continue;
                    }
                    match &mut wanted {
                        &mut Setting::Upload(src, dst, bytes) => {
                            let copy = upload_params(src as *const c_void, dst, bytes);
                            unsafe { sys::cuGraphExecMemcpyNodeSetParams(exec, *handle, &copy, context.cu_ctx()) }.result().map_err(device_error)?;
                        }
                        Setting::Kernel(launch) => launch.update(exec, *handle)?,
                    }
                    *now = wanted;
                }
                captured.graph.launch().map_err(device_error)?;
            }
            Some(Replay::Seen) => {
                // Capture; on any failure end the capture and run eagerly from now on.
                let mut nodes = Vec::new();
                let captured = (|| -> Result<Option<CudaGraph>, RunError> {
                    stream.begin_capture(sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL).map_err(device_error)?;
                    let issued = issue(Some(&mut nodes));
                    let graph = stream.end_capture(sys::CUgraphInstantiate_flags(0)).map_err(device_error);
                    issued?;
                    graph
                })();
                // The captured nodes are set to this request's launches.
                let nodes = nodes.into_iter().map(|(node, handle)| setting(node).map(|now| (node, handle, now))).collect::<Result<Vec<_>, _>>();
                match (captured, nodes) {
                    (Ok(Some(graph)), Ok(nodes)) => {
                        graph.launch().map_err(device_error)?;
                        graphs.insert(key, Replay::Graph(SendGraph { graph, nodes }));
                    }
                    _ => {
                        graphs.insert(key, Replay::Eager);
                        issue(None)?;
                    }
                }
            }
            Some(Replay::Eager) => issue(None)?,
            None => {
                issue(None)?;
                graphs.insert(key, Replay::Seen);
            }
        }
        let launched_at = Instant::now();
        phases.launch = launched_at - staged_at;
        stream.synchronize().map_err(device_error)?;
        *idle = true;
        phases.wait = launched_at.elapsed();
        let landed = staging.landing.as_ref().expect("allocated above").as_slice();
        let at = regions.request - regions.landing;
        let status = i64::from_le_bytes(landed[at..at + 8].try_into().expect("8 bytes"));
        self.plan.check_status(status, inputs)?;
        land(&regions, landed, batch)
    }
}

/// The dense program's extra inputs on the device: where they are staged on
/// the host and on the device, and where each feed and host value lies.
pub(super) struct Extras {
    pub(super) host: usize,
    pub(super) base: u64,
    /// Floats (0: none).
    pub(super) len: usize,
    pub(super) feeds: Vec<Option<(u64, usize)>>,
    pub(super) values: Vec<(u64, usize)>,
}

/// Packs the dense program's extra inputs (f32 feeds, host values) into
/// the lane's page-locked staging (grown as needed, with the device buffer
/// one copy uploads them to); the copy itself is the caller's.
pub(super) fn stage_extras(
    context: &Arc<CudaContext>,
    stream: &Arc<CudaStream>,
    staging: &mut super::Staging,
    plan: &Plan,
    dense_feeds: &[Option<&[f32]>],
    host_values: &[Vec<f32>],
    flags: u32,
    batch: usize,
) -> Result<Extras, RunError> {
    let widths = plan.feed_widths();
    // What the dense program reads must be there, `[batch, width]` each:
    // the kernels read it by those sizes.
    for f in crate::serve::dense_feeds_read(plan) {
        let name = plan.feeds.get(f).map_or("?", |s| s.name.as_str());
        let width = widths.get(f).copied().flatten().unwrap_or(0);
        match dense_feeds.get(f).copied().flatten() {
            Some(data) if data.len() == batch * width => {}
            Some(data) => return Err(RunError::Device(format!("input '{name}' must be float32 [{batch}, {width}] for the dense layers, got {} values", data.len()))),
            None => return Err(RunError::Device(format!("the dense layers read input '{name}' (float32 [{batch}, {width}]), which was not given"))),
        }
    }
    if host_values.len() != plan.host.values.len() {
        return Err(RunError::Device(format!("the dense layers read {} host value(s), {} were given", plan.host.values.len(), host_values.len())));
    }
    for (k, (value, spec)) in host_values.iter().zip(&plan.host.values).enumerate() {
        if value.len() != batch * spec.width {
            return Err(RunError::Device(format!("host value {k} must be [{batch}, {}], got {} values", spec.width, value.len())));
        }
    }
    let extras: Vec<&[f32]> = dense_feeds.iter().flatten().copied().chain(host_values.iter().map(Vec::as_slice)).collect();
    let len: usize = extras.iter().map(|e| e.len()).sum();
    if len > 0 && staging.extra_host.as_ref().is_none_or(|h| h.len() < len) {
        staging.extra_host = None;
        staging.extra_dev = None;
        staging.extra_host = Some(Pinned::new(context, len + len / 2, flags)?);
        staging.extra_dev = Some(unsafe { stream.alloc::<f32>(len + len / 2) }.map_err(device_error)?);
    }
    let mut offsets = Vec::with_capacity(extras.len());
    if len > 0 {
        let slice = staging.extra_host.as_mut().expect("allocated above").as_mut_slice();
        let mut at = 0;
        for e in &extras {
            slice[at..at + e.len()].copy_from_slice(e);
            offsets.push(at);
            at += e.len();
        }
    }
    let host = match &staging.extra_host {
        Some(h) if len > 0 => h.ptr() as usize,
        _ => 0,
    };
    let base = staging.extra_dev.as_ref().map_or(0, |d| d.device_ptr(stream).0);
    let mut next = offsets.iter();
    let feeds = dense_feeds.iter().zip(&widths).map(|(f, w)| f.and_then(|_| next.next().copied()).zip(*w).map(|(o, w)| (base + 4 * o as u64, w))).collect();
    let values = plan.host.values.iter().map(|v| (base + 4 * *next.next().unwrap_or(&0) as u64, v.width)).collect();
    Ok(Extras { host, base, len, feeds, values })
}

/// The plan's outputs, in order, from a landed download of `regions`
/// (`landed` starts at `regions.landing`) and the values that never went
/// to the device (dense feeds and host values passed through).
pub(super) fn outputs_of(plan: &Plan, regions: &Regions, landed: &[u8], batch: usize, dense_feeds: &[Option<&[f32]>], host_values: &[Vec<f32>]) -> Vec<Vec<f32>> {
    plan.outputs
        .iter()
        .zip(&regions.outputs)
        .map(|(output, offset)| match (output.source, offset) {
            (_, Some(offset)) => {
                let width: usize = output.shape.iter().skip(1).map(|&d| d.max(0) as usize).product();
                let from = offset - regions.landing;
                landed[from..from + 4 * width * batch].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect()
            }
            (Operand::Feed(f), None) => dense_feeds.get(f).copied().flatten().map(<[f32]>::to_vec).unwrap_or_default(),
            (Operand::Host(h), None) => host_values.get(h).cloned().unwrap_or_default(),
            _ => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with(outputs: &[Operand], steps: usize) -> Plan {
        use recom_abi::dense::{OutputSpec, Step};
        let json = r#"{"function":"f","kernel":"k","tables":[],"columns":[],"width":10,"columns_meta":[],"items":[],
          "per_item":4,"rows_per_item":1,"index_bits":32,"host":{"columns":[],"steps":[],"values":[]},"feeds":[],"outputs":[]}"#;
        let mut plan: Plan = serde_json::from_str(json).unwrap();
        plan.dense.steps = (0..steps).map(|_| Step::Map { inputs: vec![Operand::Embedding], expr: "x0".into(), width: 3 }).collect();
        plan.outputs = outputs.iter().map(|&source| OutputSpec { name: format!("{source:?}"), source, shape: vec![-1, 3] }).collect();
        plan
    }

    #[test]
    fn outputs_and_status_are_one_download() {
        // Embedding not an output: it goes first, outside the download.
        let plan = plan_with(&[Operand::Step(1), Operand::Host(0), Operand::Step(1), Operand::Step(0)], 2);
        let r = Regions::new(&plan, 5, 100);
        assert_eq!(r.embedding, 0);
        assert_eq!(r.landing, 256);
        assert_eq!(r.outputs, vec![Some(256), None, Some(256), Some(512)]);
        assert_eq!(r.steps, vec![Some(512), Some(256)]);
        assert_eq!((r.request, r.total), (768, 1024));
        assert_eq!(r.download(), 256..776);
        // Embedding an output: it lands with the others.
        let plan = plan_with(&[Operand::Embedding, Operand::Step(0)], 1);
        let r = Regions::new(&plan, 100, 8);
        assert_eq!((r.landing, r.embedding), (0, 0));
        assert_eq!(r.outputs, vec![Some(0), Some(4096)]);
        assert_eq!(r.request, 4096 + 1280);
        // Every region stays 256-byte aligned whatever the batch.
        for batch in 0..40 {
            let r = Regions::new(&plan, batch, 8);
            assert!(r.outputs.iter().flatten().chain([&r.request, &r.landing, &r.embedding]).all(|o| o % ALIGN == 0), "{r:?}");
        }
    }
}
