//! A model whose tables are placed on several GPUs (`recom compile --gpus
//! N`), served on them: GPU g holds part g of the kernel (the tables the
//! plan places on it and the work items of the columns reading them,
//! `crate::shard`), every GPU runs its part over the same packed request,
//! and NCCL brings the pooled columns together on GPU 0.
//!
//! The exchange is one `ncclReduce` onto GPU 0 of each GPU's `[B, ΣD]`
//! output, summed as 32-bit integers: a part writes the elements of its own
//! columns and its buffer is zero elsewhere, so every element of the sum is
//! one part's bits plus zeros — the unsharded output bit for bit (a float
//! sum would turn a -0.0 into +0.0). It moves N - 1 whole outputs over
//! NVLink; sends of each part's own columns would move less, and an
//! all-to-all of a batch split across the GPUs (the dense layers then
//! data-parallel) is the other design `docs/sharding.md` lays out — both to
//! be measured on a machine with several GPUs.
//!
//! `libnccl` is loaded at run time: where it is absent, loading such a
//! model is an error that says so ([`nccl_available`]).
use super::{
    device_count, device_error,
    request::{outputs_of, stage_extras, Regions},
    copy_out, GpuModel, Lane, Pinned, Tables,
};
use crate::plan::{Artifact, RunError};
use cudarc::{
    driver::{sys, CudaEvent, CudaSlice, DevicePtr},
    nccl::{result as nccl, sys as nccl_sys},
};
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// Whether NCCL can be loaded, as a clear error where it cannot.
pub fn nccl_available() -> Result<(), RunError> {
    if unsafe { nccl_sys::is_culib_present() } {
        Ok(())
    } else {
        Err(RunError::Device(
            "serving a model on several GPUs exchanges its pooled columns with NCCL, and no libnccl was found \
             (looked for libnccl.so and its versioned names on the library path): install NCCL, or put a link \
             named libnccl.so to libnccl.so.2 on LD_LIBRARY_PATH"
                .into(),
        ))
    }
}

/// One NCCL communicator per GPU (`ncclCommInitAll`), destroyed on drop.
struct Communicators(Vec<nccl_sys::ncclComm_t>);

// NCCL communicators may be used from any thread; every use here is under
// the model's lock.
unsafe impl Send for Communicators {}
unsafe impl Sync for Communicators {}

impl Communicators {
    fn new(devices: &[usize]) -> Result<Self, RunError> {
        nccl_available()?;
        let ordinals: Vec<i32> = devices.iter().map(|&d| d as i32).collect();
        let mut comms = vec![std::ptr::null_mut(); devices.len()];
        unsafe { nccl::comm_init_all(comms.as_mut_ptr(), ordinals.len() as i32, ordinals.as_ptr()) }
            .map_err(|e| RunError::Device(format!("NCCL: making communicators for GPUs {devices:?}: {e:?}")))?;
        Ok(Communicators(comms))
    }
}

impl Drop for Communicators {
    fn drop(&mut self) {
        for &comm in &self.0 {
            // Nothing is in flight: every request waits for its exchange.
            let _ = unsafe { nccl::comm_destroy(comm) };
        }
    }
}

/// Where one request's time went on several GPUs.
#[derive(Clone, Copy, Debug, Default)]
pub struct MultiTimes {
    /// Validation and packing on the host (once for every GPU).
    pub stage: Duration,
    /// The request copied to every GPU, every part's kernel, and NCCL's
    /// exchange onto GPU 0, until GPU 0 has the whole output.
    pub kernels_and_exchange: Duration,
    /// The output (landed with the exchange's wait) checked and copied out.
    pub download: Duration,
    /// Timed by events on the GPUs ([`MultiGpuModel::run_timed`] only): the
    /// request's copy to the GPU and its part's kernel, on the slowest GPU.
    pub gpu_kernels: Option<Duration>,
    /// Timed by events: NCCL's exchange, from the end of the last GPU's
    /// kernel to the end of its share of the reduce (the GPUs that finished
    /// their kernels earlier wait for it inside NCCL).
    pub nccl: Option<Duration>,
}

/// What a request brings back.
enum Sink<'a> {
    /// The `[B, ΣD]` embedding layer.
    Embedding(&'a mut Vec<f32>),
    /// The model's outputs, the dense program run on GPU 0.
    Outputs { dense_feeds: &'a [Option<&'a [f32]>], host_values: &'a [Vec<f32>], out: &'a mut Vec<Vec<f32>> },
}

/// A model served on several GPUs: part g of its kernel on `devices[g]`.
pub struct MultiGpuModel {
    parts: Vec<GpuModel>,
    devices: Vec<usize>,
    comms: Communicators,
    /// The buffers every request reuses. NCCL's collectives must be issued
    /// in the same order on every GPU: one request at a time, under this lock.
    buffers: Mutex<Buffers>,
}

/// Reused across requests, grown as needed: the packed request and the
/// landing buffers in page-locked memory every GPU's context may copy from
/// and to (portable), and each GPU's request and output.
#[derive(Default)]
struct Buffers {
    staging: Option<Pinned<u8>>,
    landing: Option<Pinned<f32>>,
    /// Every part's status word, side by side.
    status: Option<Pinned<i64>>,
    inputs: Vec<Option<CudaSlice<u8>>>,
    outputs: Vec<Option<CudaSlice<f32>>>,
    /// A request queued work and did not see it finish (it failed on the
    /// way): the next synchronizes every GPU before reusing the buffers.
    in_flight: bool,
    /// Per GPU: timing events at the request's start, its kernel's end and
    /// the exchange's end (made by the first timed request).
    events: Vec<[CudaEvent; 3]>,
}

impl MultiGpuModel {
    /// Loads part g of the artifact's kernel on `devices[g]`: as many
    /// distinct GPUs as the plan places its tables on (`tables`: the packed
    /// tables of the whole model, [`crate::plan::Plan::bind_tables`]).
    pub fn load(artifact: &Artifact, tables: &[f32], devices: &[usize]) -> Result<Self, RunError> {
        Self::load_tables(artifact, Tables::Packed(tables), devices)
    }

    /// [`Self::load`] with the tables from `tables` (made on each GPU with
    /// [`Tables::Generated`]: a model larger than the host's memory).
    pub fn load_tables(artifact: &Artifact, tables: Tables<'_>, devices: &[usize]) -> Result<Self, RunError> {
        let placed = artifact.plan.sharding.as_ref().map_or(1, |s| s.gpus);
        if devices.is_empty() {
            return Err(RunError::Device("no GPU was given to serve the model on".into()));
        }
        if devices.len() != placed {
            return Err(RunError::Device(format!("the model's tables are placed on {placed} GPU(s), {} device(s) were given", devices.len())));
        }
        let mut seen = devices.to_vec();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != devices.len() {
            return Err(RunError::Device(format!("devices {devices:?}: each part needs a GPU of its own (NCCL runs one rank per GPU)")));
        }
        let present = device_count()?;
        if let Some(&missing) = devices.iter().find(|&&d| d >= present) {
            return Err(RunError::Device(format!("GPU {missing} does not exist: this machine has {present}")));
        }
        nccl_available()?;
        let parts = devices.iter().enumerate().map(|(g, &device)| GpuModel::load_part(artifact, tables, g, device)).collect::<Result<Vec<_>, _>>()?;
        let comms = Communicators::new(devices)?;
        let buffers = Buffers { inputs: devices.iter().map(|_| None).collect(), outputs: devices.iter().map(|_| None).collect(), ..Default::default() };
        Ok(MultiGpuModel { parts, devices: devices.to_vec(), comms, buffers: Mutex::new(buffers) })
    }

    pub fn devices(&self) -> &[usize] {
        &self.devices
    }

    pub fn plan(&self) -> &crate::plan::Plan {
        &self.parts[0].plan
    }

    /// Loads the plan's dense program (its weights, in the program's order)
    /// on GPU 0, where the exchange gathers the embedding layer, so that
    /// [`Self::run_outputs_timed`] computes the model's outputs.
    pub fn attach_dense(&mut self, weights: &[Vec<f32>]) -> Result<(), RunError> {
        self.parts[0].attach_dense(weights)
    }

    /// One request to the model's outputs ([`crate::plan::Plan::outputs`], in
    /// order): the embedding layer on every GPU and gathered onto GPU 0 as
    /// [`Self::run`] does, then the dense program there, and one download of
    /// the outputs (`dense_feeds` and `host_values` as
    /// [`GpuModel::run_outputs`] takes them), with where its time went on
    /// the host (no events: [`MultiTimes::gpu_kernels`] and
    /// [`MultiTimes::nccl`] are `None`).
    pub fn run_outputs_timed(
        &self,
        inputs: &[recom_abi::request::ColumnInput],
        dense_feeds: &[Option<&[f32]>],
        host_values: &[Vec<f32>],
    ) -> Result<(Vec<Vec<f32>>, MultiTimes), RunError> {
        let mut out = Vec::new();
        let times = self.run_inner(inputs, Sink::Outputs { dense_feeds, host_values, out: &mut out }, false)?;
        Ok((out, times))
    }

    /// One request's `[B, ΣD]` embedding layer (validated, computed on every
    /// GPU, gathered onto GPU 0 and checked as [`GpuModel::run`] does).
    pub fn run(&self, inputs: &[recom_abi::request::ColumnInput]) -> Result<Vec<f32>, RunError> {
        let mut out = Vec::new();
        self.run_inner(inputs, Sink::Embedding(&mut out), false)?;
        Ok(out)
    }

    /// [`Self::run`] into a caller's vector (resized to `[B, ΣD]`), so a
    /// serving loop reuses its output memory.
    pub fn run_into(&self, inputs: &[recom_abi::request::ColumnInput], out: &mut Vec<f32>) -> Result<(), RunError> {
        self.run_inner(inputs, Sink::Embedding(out), false).map(drop)
    }

    /// [`Self::run`] with where its time went, the GPUs' share timed by
    /// events (which cost a few microseconds a request).
    pub fn run_timed(&self, inputs: &[recom_abi::request::ColumnInput]) -> Result<(Vec<f32>, MultiTimes), RunError> {
        let mut out = Vec::new();
        let times = self.run_inner(inputs, Sink::Embedding(&mut out), true)?;
        Ok((out, times))
    }

    /// [`Self::run_timed`] into a caller's vector.
    pub fn run_into_timed(&self, inputs: &[recom_abi::request::ColumnInput], out: &mut Vec<f32>) -> Result<MultiTimes, RunError> {
        self.run_inner(inputs, Sink::Embedding(out), true)
    }

    fn run_inner(&self, inputs: &[recom_abi::request::ColumnInput], sink: Sink<'_>, profile: bool) -> Result<MultiTimes, RunError> {
        let mut guard = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        let buffers = &mut *guard;
        let first = &self.parts[0];
        // The whole model: GPU 0's lane 0 (its staging, its dense lane).
        let mut lane = match &sink {
            Sink::Outputs { .. } if !first.plan.dense.steps.is_empty() && first.dense.is_none() => {
                return Err(RunError::Device("the dense program is not loaded on the GPU (MultiGpuModel::attach_dense)".into()))
            }
            Sink::Outputs { .. } => Some(first.lanes[0].lock().unwrap_or_else(|e| e.into_inner())),
            Sink::Embedding(_) => None,
        };
        if profile && buffers.events.is_empty() {
            let timing = Some(sys::CUevent_flags::CU_EVENT_DEFAULT);
            // Every GPU's or none (a failure part way leaves none).
            let mut events = Vec::with_capacity(self.parts.len());
            for part in &self.parts {
                let event = || part.context.new_event(timing).map_err(device_error);
                events.push([event()?, event()?, event()?]);
            }
            buffers.events = events;
        }
        let events = if profile { &buffers.events[..] } else { &[] };
        // Nothing of an earlier request may be in flight when the staging
        // buffers are written.
        if buffers.in_flight {
            for part in &self.parts {
                let _ = part.lane0_stream.synchronize();
            }
            buffers.in_flight = false;
        }
        let portable = sys::CU_MEMHOSTALLOC_PORTABLE;
        let mut times = MultiTimes::default();
        let start = Instant::now();
        let (layout, sizes) = first.plan.stage(first.shapes.as_ref(), inputs, |bytes| {
            if buffers.staging.as_ref().is_none_or(|s| s.len() < bytes) {
                buffers.staging = None;
                buffers.staging = Some(Pinned::new(&first.context, bytes + bytes / 2, portable | sys::CU_MEMHOSTALLOC_WRITECOMBINED)?);
            }
            Ok(buffers.staging.as_mut().expect("allocated above").as_mut_slice())
        })?;
        times.stage = start.elapsed();
        let start = Instant::now();
        let count = sizes.output;
        if buffers.landing.as_ref().is_none_or(|l| l.len() < count.max(1)) {
            buffers.landing = None;
            buffers.landing = Some(Pinned::new(&first.context, count.max(1) + count / 2, portable)?);
        }
        if buffers.status.is_none() {
            buffers.status = Some(Pinned::new(&first.context, self.parts.len(), portable)?);
        }
        let staged = buffers.staging.as_ref().expect("allocated by stage").ptr() as *const std::ffi::c_void;
        // The whole model on GPU 0: the request and the embedding layer in
        // the lane's device buffer, laid out as `GpuModel::run_outputs` lays
        // it ([`Regions`]), the dense program's extra inputs staged.
        let batch = layout.batch;
        let whole = match (&sink, lane.as_deref_mut()) {
            (Sink::Outputs { dense_feeds, host_values, .. }, Some(lane)) => {
                let stream = &lane.stream;
                first.context.bind_to_thread().map_err(device_error)?;
                let regions = Regions::new(&first.plan, batch, layout.bytes);
                let staging = &mut lane.staging;
                if staging.device.as_ref().is_none_or(|d| d.len() < regions.total) {
                    staging.device = None;
                    staging.device = Some(unsafe { stream.alloc::<u8>(regions.total + regions.total / 2) }.map_err(device_error)?);
                }
                let download = regions.download();
                if staging.landing.as_ref().is_none_or(|l| l.len() < download.len()) {
                    staging.landing = None;
                    staging.landing = Some(Pinned::new(&first.context, download.len() + download.len() / 2, 0)?);
                }
                let extras = stage_extras(&first.context, stream, staging, &first.plan, dense_feeds, host_values, sys::CU_MEMHOSTALLOC_WRITECOMBINED, batch)?;
                let base = staging.device.as_ref().expect("allocated above").device_ptr(stream).0;
                Some((regions, extras, base))
            }
            _ => None,
        };
        let mut outs = Vec::with_capacity(self.parts.len());
        buffers.in_flight = true;
        for (g, part) in self.parts.iter().enumerate() {
            let stream = &part.lane0_stream;
            // The driver calls below act in the current context: this GPU's.
            part.context.bind_to_thread().map_err(device_error)?;
            let s = stream.cu_stream();
            // Where this GPU's request and output go: for the whole model,
            // GPU 0's lane buffer (its dense inputs uploaded first); else
            // the GPU's own reused buffers.
            let (input, out) = match (g, &whole) {
                (0, Some((regions, extras, base))) => {
                    if extras.len > 0 {
                        unsafe { sys::cuMemcpyHtoDAsync_v2(extras.base, extras.host as *const std::ffi::c_void, 4 * extras.len, s) }.result().map_err(device_error)?;
                    }
                    (base + regions.request as u64, base + regions.embedding as u64)
                }
                _ => {
                    if buffers.inputs[g].as_ref().is_none_or(|b| b.len() < layout.bytes) {
                        buffers.inputs[g] = None;
                        buffers.inputs[g] = Some(unsafe { stream.alloc::<u8>(layout.bytes + layout.bytes / 2) }.map_err(device_error)?);
                    }
                    if buffers.outputs[g].as_ref().is_none_or(|b| b.len() < count.max(1)) {
                        buffers.outputs[g] = None;
                        buffers.outputs[g] = Some(unsafe { stream.alloc::<f32>(count.max(1) + count / 2) }.map_err(device_error)?);
                    }
                    (buffers.inputs[g].as_ref().expect("allocated above").device_ptr(stream).0, buffers.outputs[g].as_ref().expect("allocated above").device_ptr(stream).0)
                }
            };
            if let Some([start, _, _]) = events.get(g) {
                start.record(stream).map_err(device_error)?;
            }
            unsafe { sys::cuMemcpyHtoDAsync_v2(input, staged, layout.bytes, s) }.result().map_err(device_error)?;
            // Zero where other parts' columns lie: the exchange sums the bits.
            unsafe { sys::cuMemsetD32Async(out, 0, count, s) }.result().map_err(device_error)?;
            part.launch_at(stream, &[], input, out, &layout, &sizes, true, None)?;
            if let Some([_, kernel, _]) = events.get(g) {
                kernel.record(stream).map_err(device_error)?;
            }
            outs.push((input, out));
        }
        if count > 0 {
            nccl::group_start().map_err(|e| RunError::Device(format!("NCCL: {e:?}")))?;
            let issued = self.parts.iter().zip(&outs).zip(&self.comms.0).try_for_each(|((part, &(_, out)), &comm)| {
                let out = out as *mut std::ffi::c_void;
                unsafe { nccl::reduce(out, out, count, nccl_sys::ncclDataType_t::ncclInt32, nccl_sys::ncclRedOp_t::ncclSum, 0, comm, part.lane0_stream.cu_stream() as _) }
                    .map(drop)
                    .map_err(|e| RunError::Device(format!("NCCL: reducing the output onto GPU {}: {e:?}", self.devices[0])))
            });
            // The group is always closed, even after a failed call.
            let closed = nccl::group_end().map_err(|e| RunError::Device(format!("NCCL: {e:?}")));
            issued?;
            closed?;
        }
        for (part, [_, _, exchanged]) in self.parts.iter().zip(events) {
            exchanged.record(&part.lane0_stream).map_err(device_error)?;
        }
        // GPU 0's output (the dense program first, for the whole model),
        // then every part's status word.
        let landing = buffers.landing.as_ref().expect("allocated above").ptr();
        let status = buffers.status.as_ref().expect("allocated above").ptr();
        first.context.bind_to_thread().map_err(device_error)?;
        let s0 = first.lane0_stream.cu_stream();
        match (&whole, lane.as_deref_mut()) {
            (Some((regions, extras, base)), Some(lane)) => {
                let Lane { stream, staging, dense: dense_lane, .. } = lane;
                let destinations: Vec<Option<u64>> = regions.steps.iter().map(|s| s.map(|o| base + o as u64)).collect();
                if let (Some(dense), Some(dense_lane)) = (&first.dense, dense_lane.as_mut()) {
                    if !first.plan.dense.steps.is_empty() {
                        dense.run(dense_lane, stream, batch, Some((outs[0].1, first.plan.width)), &extras.feeds, &extras.values, &destinations)?;
                    }
                }
                let download = regions.download();
                let landed = staging.landing.as_ref().expect("allocated above").ptr();
                unsafe { sys::cuMemcpyDtoHAsync_v2(landed as *mut std::ffi::c_void, base + download.start as u64, download.len(), s0) }.result().map_err(device_error)?;
            }
            _ => unsafe { sys::cuMemcpyDtoHAsync_v2(landing as *mut std::ffi::c_void, outs[0].1, 4 * count, s0) }.result().map_err(device_error)?,
        }
        for (g, (part, &(input, _))) in self.parts.iter().zip(&outs).enumerate() {
            part.context.bind_to_thread().map_err(device_error)?;
            let s = part.lane0_stream.cu_stream();
            unsafe { sys::cuMemcpyDtoHAsync_v2(status.wrapping_add(g) as *mut std::ffi::c_void, input, 8, s) }.result().map_err(device_error)?;
        }
        for part in &self.parts {
            part.lane0_stream.synchronize().map_err(device_error)?;
        }
        buffers.in_flight = false;
        times.kernels_and_exchange = start.elapsed();
        if !events.is_empty() {
            let ms = |a: &CudaEvent, b: &CudaEvent| a.elapsed_ms(b).map(|ms| Duration::from_secs_f64(ms.max(0.0) as f64 / 1e3)).map_err(device_error);
            let kernels = events.iter().map(|[start, kernel, _]| ms(start, kernel)).collect::<Result<Vec<_>, _>>()?;
            let exchanges = events.iter().map(|[_, kernel, exchanged]| ms(kernel, exchanged)).collect::<Result<Vec<_>, _>>()?;
            times.gpu_kernels = kernels.into_iter().max();
            times.nccl = exchanges.into_iter().min();
        }
        let start = Instant::now();
        // Every part reports out-of-range ids of its own columns.
        for &word in buffers.status.as_ref().expect("allocated above").as_slice() {
            first.plan.check_status(word, inputs)?;
        }
        match (sink, &whole, lane.as_deref()) {
            (Sink::Embedding(output), ..) => copy_out(&buffers.landing.as_ref().expect("allocated above").as_slice()[..count], output),
            (Sink::Outputs { dense_feeds, host_values, out }, Some((regions, _, _)), Some(lane)) => {
                let landed = lane.staging.landing.as_ref().expect("allocated above").as_slice();
                *out = outputs_of(&first.plan, regions, landed, batch, dense_feeds, host_values);
            }
            // (The whole model's buffers are made with its lane, above.)
            _ => return Err(RunError::Device("a whole-model request without its lane's buffers".into())),
        }
        times.download = start.elapsed();
        Ok(times)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where libnccl is missing, the error says what to install; where it
    /// is present, there is nothing to check.
    #[test]
    fn a_missing_nccl_is_a_clear_error() {
        match nccl_available() {
            Ok(()) => {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "SKIPPED a_missing_nccl_is_a_clear_error: libnccl is present on this machine");
            }
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains("NCCL") && message.contains("libnccl.so"), "{message}");
            }
        }
    }
}
