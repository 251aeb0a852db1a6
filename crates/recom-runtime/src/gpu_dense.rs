//! The dense program on the GPU, after the embedding kernel and on its
//! stream, reading the embedding layer's output where the kernel wrote it:
//!
//! * `Linear`: one cuBLASLt GEMM with the bias and ReLU as its epilogue
//!   (`BIAS` / `RELU_BIAS` / `RELU`); compute type from the program's
//!   precision (fp32: `CUBLAS_COMPUTE_32F`, IEEE products and sums; tf32 and
//!   bf16: the fast tensor-core modes);
//! * `Map`: the elementwise kernel the compiler generated for the step
//!   (MLIR → NVVM → PTX), broadcasting by strides of 0;
//! * `Concat`: the generated strided copy, one launch per input, into the
//!   input's column slice;
//! * `Reduce`: a GEMM with a vector of ones (scaled by 1/K for a mean).
//!
//! Row-major `[B, K] · [K, N]` is the column-major product
//! `[N, K] · [K, B]`, so the weight is cuBLAS's A and the activations its B.
use crate::plan::{DenseKernel, RunError};
use cudarc::{
    cublaslt::{result as lt, sys as ltsys},
    driver::{CudaFunction, CudaModule, CudaSlice, CudaStream, DevicePtr, LaunchConfig, PushKernelArg},
};
use recom_abi::dense::{Activation, DenseProgram, Operand, Precision, Reduction, Step};
use std::{collections::HashMap, sync::Arc};

fn err(what: &str, e: impl std::fmt::Debug) -> RunError {
    RunError::Device(format!("{what}: {e:?}"))
}

/// A cuBLASLt handle, destroyed on drop.
struct Handle(ltsys::cublasLtHandle_t);
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}
impl Drop for Handle {
    fn drop(&mut self) {
        let _ = unsafe { lt::destroy_handle(self.0) };
    }
}

/// Whether cuBLASLt can be loaded (cudarc panics on first use otherwise).
pub fn cublaslt_available() -> Result<(), RunError> {
    if unsafe { ltsys::is_culib_present() } {
        Ok(())
    } else {
        Err(RunError::Device(
            "the dense layers need cuBLASLt, and no libcublasLt.so (.12 or unversioned) was found on the library path: \
             install the CUDA toolkit's cublas, or put the directory of libcublasLt.so on LD_LIBRARY_PATH"
                .into(),
        ))
    }
}

/// A value on the device: `[B, width]` (batched) or a weight.
#[derive(Clone, Copy)]
struct View {
    ptr: u64,
    width: usize,
    batched: bool,
}

/// The dense program loaded on one GPU: what every stream shares (weights,
/// kernels). Each stream that runs it has a [`DenseLane`].
pub struct GpuDense {
    program: DenseProgram,
    weights: Vec<CudaSlice<f32>>,
    /// Ones (or 1/K) vectors of the reductions, by step.
    reducers: HashMap<usize, CudaSlice<f32>>,
    maps: HashMap<usize, (CudaFunction, DenseKernel)>,
    copy: Option<(CudaFunction, DenseKernel)>,
    _modules: Vec<Arc<CudaModule>>,
    compute: ltsys::cublasComputeType_t,
}

impl DenseLane {
    /// Changes whenever a step's output buffer moves.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// What one stream running the dense program owns: a cuBLASLt handle and
/// workspace, and per step its output buffer (grown as batches grow) and
/// its GEMM's descriptors and algorithm for the last batch size, so a
/// request re-plans nothing.
pub struct DenseLane {
    handle: Handle,
    workspace: CudaSlice<u8>,
    state: Vec<StepState>,
    /// Bumped whenever a step's buffer moves (a captured graph must not be
    /// replayed across it).
    generation: u64,
}

#[derive(Default)]
struct StepState {
    out: Option<CudaSlice<f32>>,
    gemm: Option<GemmPlan>,
}

/// A GEMM's cuBLASLt descriptors and chosen algorithm for one batch size.
struct GemmPlan {
    batch: usize,
    desc: ltsys::cublasLtMatmulDesc_t,
    layouts: [ltsys::cublasLtMatrixLayout_t; 3],
    algo: ltsys::cublasLtMatmulAlgo_t,
}
unsafe impl Send for GemmPlan {}
impl Drop for GemmPlan {
    fn drop(&mut self) {
        unsafe {
            let _ = lt::destroy_matmul_desc(self.desc);
            for l in self.layouts {
                let _ = lt::destroy_matrix_layout(l);
            }
        }
    }
}

impl GpuDense {
    /// Loads the program; `embedding_width` and `feed_widths` are the plan's.
    pub fn load(
        stream: &Arc<CudaStream>,
        program: &DenseProgram,
        weights: &[Vec<f32>],
        kernels: &[DenseKernel],
        embedding_width: usize,
        feed_widths: &[Option<usize>],
        host_widths: &[usize],
    ) -> Result<GpuDense, RunError> {
        cublaslt_available()?;
        let weights = weights.iter().map(|w| stream.clone_htod(w)).collect::<Result<Vec<_>, _>>().map_err(|e| err("weights", e))?;
        let mut reducers = HashMap::new();
        let mut maps = HashMap::new();
        let mut copy = None;
        let mut modules = Vec::new();
        for kernel in kernels {
            let module = stream.context().load_module(cudarc::nvrtc::Ptx::from_src(kernel.ptx.clone())).map_err(|e| err("dense kernel", e))?;
            let function = module.load_function(&kernel.entry).map_err(|e| err("dense kernel", e))?;
            modules.push(module);
            match kernel.step {
                Some(s) => {
                    maps.insert(s, (function, kernel.clone()));
                }
                None => copy = Some((function, kernel.clone())),
            }
        }
        let infos = program.check(Some(embedding_width), feed_widths, host_widths).map_err(|e| RunError::Device(format!("dense program: {e}")))?;
        let input_width = |o: Operand| match o {
            Operand::Embedding => Some(embedding_width),
            Operand::Feed(f) => feed_widths.get(f).copied().flatten(),
            Operand::Host(h) => host_widths.get(h).copied(),
            Operand::Weight(w) => program.weights.get(w).map(|w| w.len()),
            Operand::Step(t) => infos.get(t).map(|i| i.width),
        };
        for (s, step) in program.steps.iter().enumerate() {
            match step {
                Step::Map { .. } if !maps.contains_key(&s) => {
                    return Err(RunError::Device(format!("the artifact has no GPU kernel for dense step {s} (recompile it)")))
                }
                Step::Concat { .. } if copy.is_none() => return Err(RunError::Device("the artifact has no GPU copy kernel for its concatenations (recompile it)".into())),
                Step::Reduce { input, reduction, .. } => {
                    let k = input_width(*input).ok_or_else(|| RunError::Device(format!("dense step {s}: unknown input width")))?;
                    let value = if *reduction == Reduction::Mean { 1.0 / k as f32 } else { 1.0 };
                    reducers.insert(s, stream.clone_htod(&vec![value; k]).map_err(|e| err("reduction", e))?);
                }
                _ => {}
            }
        }
        let compute = match program.precision {
            Precision::Fp32 => ltsys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            Precision::Tf32 => ltsys::cublasComputeType_t::CUBLAS_COMPUTE_32F_FAST_TF32,
            Precision::Bf16 => ltsys::cublasComputeType_t::CUBLAS_COMPUTE_32F_FAST_16BF,
        };
        Ok(GpuDense { program: program.clone(), weights, reducers, maps, copy, _modules: modules, compute })
    }

    /// The per-stream state of a stream that will run the program.
    pub fn lane(&self, stream: &Arc<CudaStream>) -> Result<DenseLane, RunError> {
        let handle = Handle(lt::create_handle().map_err(|e| err("cublasLtCreate", e))?);
        let workspace = unsafe { stream.alloc::<u8>(WORKSPACE) }.map_err(|e| err("workspace", e))?;
        let state = (0..self.program.steps.len()).map(|_| StepState::default()).collect();
        Ok(DenseLane { handle, workspace, state, generation: 0 })
    }

    /// Runs every step for a batch of `batch` rows (queued on `stream`);
    /// returns each step's `[batch, width]` result as a device address, valid
    /// until the next call. `embedding` is the kernel's output, `feeds` the
    /// dense inputs already on the device. A step with a destination
    /// (`destinations[s]`, `[batch, width]` floats, 16-byte aligned) writes
    /// its result there instead of a buffer of the lane's (a model output
    /// landing next to the others, for one download).
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        lane: &mut DenseLane,
        stream: &Arc<CudaStream>,
        batch: usize,
        embedding: Option<(u64, usize)>,
        feeds: &[Option<(u64, usize)>],
        host: &[(u64, usize)],
        destinations: &[Option<u64>],
    ) -> Result<Vec<u64>, RunError> {
        let DenseLane { handle, workspace, state, generation } = lane;
        let workspace = workspace.device_ptr(stream).0;
        let mut results: Vec<u64> = Vec::with_capacity(self.program.steps.len());
        if batch == 0 {
            return Ok(vec![0; self.program.steps.len()]);
        }
        let weight_ptrs: Vec<u64> = self.weights.iter().map(|w| w.device_ptr(stream).0).collect();
        for (s, step) in self.program.steps.iter().enumerate() {
            let width = step.width();
            let slot = &mut state[s];
            let out_ptr = match destinations.get(s).copied().flatten() {
                Some(ptr) => ptr,
                None => {
                    if slot.out.as_ref().is_none_or(|o| o.len() < batch * width) {
                        *generation += 1;
                        slot.out = None;
                        slot.out = Some(unsafe { stream.alloc::<f32>(batch * width + batch * width / 2) }.map_err(|e| err("dense output", e))?);
                    }
                    slot.out.as_ref().expect("allocated above").device_ptr(stream).0
                }
            };
            let view = |o: Operand, results: &[u64]| -> Result<View, RunError> {
                Ok(match o {
                    Operand::Embedding => {
                        let (ptr, width) = embedding.ok_or_else(|| RunError::Device("the dense program reads an embedding layer the model lacks".into()))?;
                        View { ptr, width, batched: true }
                    }
                    Operand::Feed(f) => {
                        let (ptr, width) = feeds.get(f).copied().flatten().ok_or_else(|| RunError::Device(format!("dense step {s}: feed {f} is not on the device")))?;
                        View { ptr, width, batched: true }
                    }
                    Operand::Host(h) => {
                        let (ptr, width) = host.get(h).copied().ok_or_else(|| RunError::Device(format!("dense step {s}: host value {h} is not on the device")))?;
                        View { ptr, width, batched: true }
                    }
                    Operand::Weight(w) => View { ptr: weight_ptrs[w], width: self.program.weights[w].len(), batched: false },
                    Operand::Step(t) => View { ptr: results[t], width: self.program.steps[t].width(), batched: true },
                })
            };
            match step {
                Step::Linear { input, weight, bias, activation, transpose_weight, .. } => {
                    let x = view(*input, &results)?;
                    let bias = bias.map(|b| weight_ptrs[b]);
                    let shape = GemmShape { transpose_w: *transpose_weight, batch, k: x.width, n: width, bias, activation: *activation };
                    self.gemm(handle, workspace, stream, &mut slot.gemm, &shape, x.ptr, weight_ptrs[*weight], out_ptr)?;
                }
                Step::Reduce { input, .. } => {
                    let x = view(*input, &results)?;
                    let ones = self.reducers[&s].device_ptr(stream).0;
                    let shape = GemmShape { transpose_w: false, batch, k: x.width, n: 1, bias: None, activation: Activation::None };
                    self.gemm(handle, workspace, stream, &mut slot.gemm, &shape, x.ptr, ones, out_ptr)?;
                }
                Step::Map { inputs, .. } => {
                    let (function, kernel) = &self.maps[&s];
                    let views = inputs.iter().map(|o| view(*o, &results)).collect::<Result<Vec<_>, _>>()?;
                    let out_desc = descriptor(out_ptr, 0, batch, width, width as u64, 1);
                    let in_descs: Vec<[u64; 7]> = views.iter().map(|v| broadcast_descriptor(v, batch, width)).collect();
                    launch(stream, function, kernel, &out_desc, &in_descs, batch, width)?;
                }
                Step::Concat { inputs, .. } => {
                    let (function, kernel) = self.copy.as_ref().expect("checked at load");
                    let mut at = 0usize;
                    for o in inputs {
                        let v = view(*o, &results)?;
                        let out_desc = descriptor(out_ptr, at as u64, batch, v.width, width as u64, 1);
                        let in_desc = descriptor(v.ptr, 0, batch, v.width, v.width as u64, 1);
                        launch(stream, function, kernel, &out_desc, &[in_desc], batch, v.width)?;
                        at += v.width;
                    }
                }
            }
            results.push(out_ptr);
        }
        Ok(results)
    }


    /// `out[B, N] = act(x[B, K] · W + bias)`, W `[K, N]` (`[N, K]` transposed);
    /// the descriptors and algorithm are made once per batch size.
    #[allow(clippy::too_many_arguments)]
    fn gemm(&self, handle: &Handle, workspace: u64, stream: &Arc<CudaStream>, cached: &mut Option<GemmPlan>, shape: &GemmShape, x: u64, w: u64, out: u64) -> Result<(), RunError> {
        if cached.as_ref().is_none_or(|p| p.batch != shape.batch) {
            *cached = None;
            *cached = Some(self.plan_gemm(handle, shape)?);
        }
        let plan = cached.as_ref().expect("planned above");
        let (alpha, beta) = (1f32, 0f32);
        unsafe {
            lt::matmul(
                handle.0,
                plan.desc,
                (&alpha) as *const f32 as *const _,
                (&beta) as *const f32 as *const _,
                w as *const _,
                plan.layouts[0],
                x as *const _,
                plan.layouts[1],
                out as *const _,
                plan.layouts[2],
                out as *mut _,
                plan.layouts[2],
                (&plan.algo) as *const _,
                workspace as *mut _,
                WORKSPACE,
                stream.cu_stream() as *mut _,
            )
        }
        .map_err(|e| err("cublasLtMatmul", e))
    }

    fn plan_gemm(&self, handle: &Handle, shape: &GemmShape) -> Result<GemmPlan, RunError> {
        use ltsys::{cublasLtEpilogue_t as Ep, cublasLtMatmulDescAttributes_t as Attr, cudaDataType_t::CUDA_R_32F};
        let (m, n_cols, k) = (shape.n as u64, shape.batch as u64, shape.k as u64);
        unsafe {
            let desc = lt::create_matmul_desc(self.compute, CUDA_R_32F).map_err(|e| err("matmul desc", e))?;
            // A: the weight, stored column-major as [N, K] (ld N) or, transposed, [K, N] (ld K).
            let a = if shape.transpose_w { lt::create_matrix_layout(CUDA_R_32F, k, m, k as i64) } else { lt::create_matrix_layout(CUDA_R_32F, m, k, m as i64) };
            let b = lt::create_matrix_layout(CUDA_R_32F, k, n_cols, k as i64);
            let c = lt::create_matrix_layout(CUDA_R_32F, m, n_cols, m as i64);
            let (a, b, c) = match (a, b, c) {
                (Ok(a), Ok(b), Ok(c)) => (a, b, c),
                (a, b, c) => {
                    for l in [a, b, c].into_iter().flatten() {
                        let _ = lt::destroy_matrix_layout(l);
                    }
                    let _ = lt::destroy_matmul_desc(desc);
                    return Err(RunError::Device("cuBLASLt matrix layouts".into()));
                }
            };
            // Owns the handles from here on, also on the error paths below.
            let mut plan = GemmPlan { batch: shape.batch, desc, layouts: [a, b, c], algo: std::mem::zeroed() };
            let transa: i32 = shape.transpose_w as i32;
            lt::set_matmul_desc_attribute(desc, Attr::CUBLASLT_MATMUL_DESC_TRANSA, (&transa) as *const i32 as *const _, 4).map_err(|e| err("transa", e))?;
            let epilogue = match (shape.bias.is_some(), shape.activation) {
                (true, Activation::Relu) => Ep::CUBLASLT_EPILOGUE_RELU_BIAS,
                (true, Activation::None) => Ep::CUBLASLT_EPILOGUE_BIAS,
                (false, Activation::Relu) => Ep::CUBLASLT_EPILOGUE_RELU,
                (false, Activation::None) => Ep::CUBLASLT_EPILOGUE_DEFAULT,
            };
            if let Some(bias) = shape.bias {
                lt::set_matmul_desc_attribute(desc, Attr::CUBLASLT_MATMUL_DESC_BIAS_POINTER, (&bias) as *const u64 as *const _, 8).map_err(|e| err("bias", e))?;
            }
            lt::set_matmul_desc_attribute(desc, Attr::CUBLASLT_MATMUL_DESC_EPILOGUE, (&epilogue) as *const Ep as *const _, std::mem::size_of::<Ep>())
                .map_err(|e| err("epilogue", e))?;
            let pref = lt::create_matmul_pref().map_err(|e| err("preference", e))?;
            let _pref = Guard(move || {
                let _ = lt::destroy_matmul_pref(pref);
            });
            let size = WORKSPACE;
            lt::set_matmul_pref_attribute(
                pref,
                ltsys::cublasLtMatmulPreferenceAttributes_t::CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                (&size) as *const usize as *const _,
                std::mem::size_of::<usize>(),
            )
            .map_err(|e| err("preference", e))?;
            // No split-K reduction by atomics (CUBLASLT_REDUCTION_SCHEME_INPLACE):
            // its summation order varies from run to run, and the same
            // request must always get the same answer. For a small batch,
            // no split-K at all where cuBLASLt has such an algorithm: the
            // H200 at B = 1 ran medium's 393 -> 128 layer as a split-K GEMV
            // (6 us) plus a reduction kernel (10 us, ncu).
            use ltsys::cublasLtReductionScheme_t as Scheme;
            let deterministic = Scheme::CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE as u32 | Scheme::CUBLASLT_REDUCTION_SCHEME_OUTPUT_TYPE as u32;
            let masks: &[u32] = if shape.batch <= NO_SPLIT_K_UP_TO_BATCH { &[Scheme::CUBLASLT_REDUCTION_SCHEME_NONE as u32, deterministic] } else { &[deterministic] };
            let mut found = Err(RunError::Device("no cuBLASLt algorithm for this GEMM".into()));
            for schemes in masks {
                lt::set_matmul_pref_attribute(
                    pref,
                    ltsys::cublasLtMatmulPreferenceAttributes_t::CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                    schemes as *const u32 as *const _,
                    std::mem::size_of::<u32>(),
                )
                .map_err(|e| err("preference", e))?;
                found = lt::get_matmul_algo_heuristic(handle.0, desc, a, b, c, c, pref).map_err(|e| err("no cuBLASLt algorithm for this GEMM", e));
                if found.is_ok() {
                    break;
                }
            }
            let heuristic = found?;
            plan.algo = heuristic.algo;
            Ok(plan)
        }
    }
}

/// What a GEMM computes, for planning it.
struct GemmShape {
    transpose_w: bool,
    batch: usize,
    k: usize,
    n: usize,
    bias: Option<u64>,
    activation: Activation,
}

const WORKSPACE: usize = 32 << 20;

/// Batches up to this size get GEMM algorithms without split-K reductions
/// where cuBLASLt has one (at such sizes a GEMM is a launch-latency-bound
/// GEMV; the reduction is a second kernel on the request's critical path).
const NO_SPLIT_K_UP_TO_BATCH: usize = 64;

/// Runs a closure on drop (descriptor clean-up on every path).
struct Guard<F: FnMut()>(F);
impl<F: FnMut()> Drop for Guard<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// A strided 2-D memref descriptor: allocated, aligned, offset, sizes, strides.
fn descriptor(ptr: u64, offset: u64, rows: usize, cols: usize, row_stride: u64, col_stride: u64) -> [u64; 7] {
    [ptr, ptr, offset, rows as u64, cols as u64, row_stride, col_stride]
}

/// A map input read as `[rows, width]`: a batched width-1 value repeats over
/// the columns, a weight over the rows (strides of 0).
fn broadcast_descriptor(v: &View, rows: usize, width: usize) -> [u64; 7] {
    let row_stride = if v.batched { v.width as u64 } else { 0 };
    let col_stride = if v.width == 1 { 0 } else { 1 };
    descriptor(v.ptr, 0, rows, width, row_stride, col_stride)
}

fn launch(stream: &Arc<CudaStream>, function: &CudaFunction, kernel: &DenseKernel, out: &[u64; 7], inputs: &[[u64; 7]], rows: usize, cols: usize) -> Result<(), RunError> {
    let mut params: Vec<u64> = Vec::with_capacity(7 * kernel.params.len());
    for &arg in &kernel.params {
        let d = if arg == 0 { out } else { inputs.get(arg - 1).ok_or_else(|| RunError::Device(format!("dense kernel {} reads input {}", kernel.entry, arg - 1)))? };
        params.extend_from_slice(d);
    }
    let threads = kernel.threads.max(1);
    let config = LaunchConfig { grid_dim: (rows as u32, (cols as u32).div_ceil(threads), 1), block_dim: (1, threads, 1), shared_mem_bytes: 0 };
    let mut builder = stream.launch_builder(function);
    for p in &params {
        builder.arg(p);
    }
    unsafe { builder.launch(config) }.map_err(|e| err("dense kernel launch", e))?;
    Ok(())
}
