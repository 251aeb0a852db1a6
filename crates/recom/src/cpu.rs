//! The CPU path: the kernel module's loops, JIT-compiled by MLIR's
//! ExecutionEngine and called from Rust. Used by the tests (same loops as the
//! GPU gets) and for serving where there is no GPU.
use crate::Error;
use melior::{ir::Module, pass::PassManager, Context};
use recom_ir::DiagnosticCapture;
use recom_abi::{
    kernel::{Buffer, ITEM_FIELDS},
    request::ColumnInput,
};
use recom_runtime::{
    host::Feed,
    plan::{Plan, RunError},
};
use std::ffi::c_void;

/// MLIR's descriptor of a ranked memref (`llvm.emit_c_interface` ABI).
#[repr(C)]
struct MemRef<T, const N: usize> {
    allocated: *mut T,
    aligned: *mut T,
    offset: i64,
    sizes: [i64; N],
    strides: [i64; N],
}

impl<T> MemRef<T, 1> {
    /// A read-only vector (the kernel never writes its inputs).
    fn input(data: &[T]) -> Self {
        let ptr = data.as_ptr() as *mut T;
        MemRef { allocated: ptr, aligned: ptr, offset: 0, sizes: [data.len() as i64], strides: [1] }
    }
    /// `len` elements at `at` bytes past `base` (the packed request; a
    /// section of a [`recom_abi::request::ByteLayout`], so in bounds).
    fn at(base: *mut u8, at: usize, len: usize) -> Self {
        let ptr = unsafe { base.add(at) } as *mut T;
        MemRef { allocated: ptr, aligned: ptr, offset: 0, sizes: [len as i64], strides: [1] }
    }
    fn output(data: &mut [T]) -> Self {
        let ptr = data.as_mut_ptr();
        MemRef { allocated: ptr, aligned: ptr, offset: 0, sizes: [data.len() as i64], strides: [1] }
    }
}

/// The packed form of the loop kernel's C interface
/// (`_mlir__mlir_ciface_<kernel>`): one slot per argument of
/// [`Buffer::SIGNATURE`], each pointing at the argument, a pointer to that
/// buffer's memref descriptor. The ids and offsets descriptors are the same
/// struct whether the kernel reads i32 or i64 (`Plan::index_bits`): only
/// the pointed-to bytes differ.
type Kernel = unsafe extern "C" fn(*mut *mut c_void);

use recom_ir::ext::ExecutionEngine as Engine;

/// A model's fused embedding layer, JIT-compiled for this CPU.
pub struct CpuExecutable {
    plan: Plan,
    // Keeps the compiled code alive for `kernel`.
    _engine: Engine,
    kernel: Kernel,
    /// The id-transform pass ([`Plan::transform_kernel`]), run before the kernel.
    transform: Option<Kernel>,
    /// The work-item table, 16-byte aligned (the kernel reads it in 16-byte loads).
    items: Vec<u128>,
    /// The plan's shape program, parsed.
    shapes: Option<recom_runtime::shape::CompiledShapes>,
}

impl CpuExecutable {
    /// Lowers the kernel module (`recom-cpu-kernel`) and JIT-compiles it.
    pub fn new(context: &Context, mut kernel_module: Module, plan: Plan) -> Result<Self, Error> {
        plan.validate().map_err(|e| Error::Pipeline(e.to_string()))?;
        let capture = DiagnosticCapture::attach(context);
        let pm = PassManager::new(context);
        crate::add_pipeline(&pm, "builtin.module(recom-cpu-kernel)")?;
        if pm.run(&mut kernel_module).is_err() {
            return Err(Error::Failed(capture.take()));
        }
        let mut diagnostics = capture.take();
        let Some(engine) = Engine::new(&kernel_module, 2) else {
            diagnostics.insert(
                0,
                recom_ir::Diagnostic::new(
                    recom_ir::Severity::Error,
                    recom_ir::SourceLocation::Unknown,
                    format!("the JIT could not compile kernel @{} (is every op lowered to LLVM?)", plan.kernel),
                ),
            );
            return Err(Error::Failed(diagnostics));
        };
        let symbol = engine.lookup(&format!("_mlir__mlir_ciface_{}", plan.kernel));
        if symbol.is_null() {
            return Err(Error::Pipeline(format!("the JIT has no symbol for kernel @{}", plan.kernel)));
        }
        let kernel: Kernel = unsafe { std::mem::transmute(symbol) };
        let transform = match &plan.transform_kernel {
            Some(name) => {
                let symbol = engine.lookup(&format!("_mlir__mlir_ciface_{name}"));
                if symbol.is_null() {
                    return Err(Error::Pipeline(format!("the JIT has no symbol for the transform pass @{name}")));
                }
                Some(unsafe { std::mem::transmute::<*mut c_void, Kernel>(symbol) })
            }
            None => None,
        };
        let items = aligned_items(&plan.items);
        let shapes = plan.shapes.as_ref().map(|p| p.compile()).transpose().map_err(Error::Pipeline)?;
        Ok(CpuExecutable { plan, _engine: engine, kernel, transform, items, shapes })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Runs one request given as the model's inputs (one [`Feed`] per
    /// [`Plan::feeds`] entry, e.g. a TensorFlow model's placeholders): the
    /// host program makes the column inputs, then [`Self::run`].
    pub fn run_feeds(&self, tables: &[f32], feeds: &[Feed]) -> Result<Vec<f32>, RunError> {
        let inputs = self.plan.prepare(feeds)?;
        self.run(tables, &inputs)
    }

    /// Runs one request: `tables` is the packed tables buffer
    /// ([`Plan::bind_tables`]), `inputs` one CSR input per column. Returns
    /// the `[B, ΣD]` output, row-major.
    pub fn run(&self, tables: &[f32], inputs: &[ColumnInput]) -> Result<Vec<f32>, RunError> {
        if tables.len() != self.plan.packed_tables_len() {
            return Err(RunError::Table {
                name: "<packed>".into(),
                problem: format!("expected {} values, got {}", self.plan.packed_tables_len(), tables.len()),
            });
        }
        self.run_parts(&[(tables, &self.items)], inputs)
    }

    /// [`Self::run`] the way a sharded runtime runs it: the kernel once per
    /// part of the plan's table placement (`recom_runtime::shard`), each
    /// over its own tables (cut from `tables`, the whole packed buffer) and
    /// work items, into one output. Equals [`Self::run`] bit for bit. The
    /// parts' tables are cut from `tables` at each call: this is the sharded
    /// runtime's contract on the CPU (tests), not a serving path.
    pub fn run_sharded(&self, tables: &[f32], inputs: &[ColumnInput]) -> Result<Vec<f32>, RunError> {
        let shards = self.plan.kernel_shards()?;
        let mut parts = Vec::with_capacity(shards.len());
        for shard in &shards {
            parts.push((shard.tables_of(&self.plan, tables)?, aligned_items(&shard.items)));
        }
        let parts: Vec<(&[f32], &[u128])> = parts.iter().map(|(t, i)| (t.as_slice(), i.as_slice())).collect();
        self.run_parts(&parts, inputs)
    }

    /// The kernel over each `(tables, work items)` part in turn, into one
    /// output; the parts' items write disjoint output elements.
    fn run_parts(&self, parts: &[(&[f32], &[u128])], inputs: &[ColumnInput]) -> Result<Vec<f32>, RunError> {
        // The request packed as the GPU gets it (ids and offsets i32 or i64,
        // as the kernel was built), in 8-byte words for alignment.
        let mut request: Vec<u64> = Vec::new();
        let (layout, sizes) = self.plan.stage(self.shapes.as_ref(), inputs, |bytes| {
            request.resize(bytes.div_ceil(8), 0);
            Ok(unsafe { std::slice::from_raw_parts_mut(request.as_mut_ptr() as *mut u8, 8 * request.len()) })
        })?;
        let mut out = vec![0f32; sizes.output];
        // Raw values become ids in place first, over every column's items.
        if let (Some(transform), Some(&(tables, _))) = (self.transform, parts.first()) {
            let items = self.items.as_ptr() as *mut i64;
            let count = self.items.len() * 2 / ITEM_FIELDS;
            unsafe { call(transform, tables, items, count, request.as_mut_ptr() as *mut u8, &layout, &self.plan.columns_meta, out.as_mut_ptr(), self.plan.width) };
        }
        let request = &request;
        let mut status = 0i64;
        for &(tables, all_items) in parts {
            // The kernel reads rows with 16-byte vector loads.
            let aligned;
            let tables = if (tables.as_ptr() as usize).is_multiple_of(16) {
                tables
            } else {
                aligned = Aligned::copy(tables);
                aligned.as_slice()
            };
            let part = self.run_items(tables, all_items, request, &layout, &mut out);
            status = (status as u64).max(part as u64) as i64;
        }
        self.plan.check_status(status, inputs)?;
        Ok(out)
    }

    /// One part's work items (`all_items`, 16-byte aligned records) over
    /// `tables`, writing their elements of `out`; the merged status word.
    fn run_items(&self, tables: &[f32], all_items: &[u128], request: &[u64], layout: &recom_abi::request::ByteLayout, out: &mut [f32]) -> i64 {
        let batch = layout.batch;
        let width = self.plan.width;
        let num_items = all_items.len() * 2 / ITEM_FIELDS;
        // Work items write disjoint output elements and carry everything they
        // need in their own records, so the item table is cut into chunks run
        // on all cores; each chunk reports into its own status word, merged
        // as the kernel's atomic unsigned max would.
        // Slices of at most 16 items also keep each call's tables in cache:
        // the kernel's loops run rows outside, items inside, so one call over
        // all items touches every table for every row (2 cores here: c500
        // 173 ms in one call, 41 ms in 16-item slices).
        let per_chunk = if num_items * batch < PARALLEL_MIN_WORK {
            num_items.max(1)
        } else {
            CHUNK_ITEMS.min(num_items.div_ceil(rayon::current_num_threads() * 4)).max(1)
        };
        if num_items == 0 {
            return 0;
        }
        let out_ptr = Shared(out.as_mut_ptr());
        let request_ptr = Shared(request.as_ptr() as *mut u8);
        // Only what the calls need (the engine itself is not shared).
        let (kernel, columns_meta) = (self.kernel, &self.plan.columns_meta);
        let run_chunk = |first: usize| -> i64 {
            let count = per_chunk.min(num_items - first);
            // Records are 64 bytes (4 u128): a chunk starts 16-byte aligned.
            let items = all_items[first * ITEM_FIELDS / 2..].as_ptr() as *mut i64;
            // The kernel only reads the request (its transform pass ran before).
            unsafe { call(kernel, tables, items, count, request_ptr.get(), layout, columns_meta, out_ptr.get(), width) }
        };
        if per_chunk >= num_items {
            run_chunk(0)
        } else {
            use rayon::prelude::*;
            (0..num_items)
                .into_par_iter()
                .step_by(per_chunk)
                .map(run_chunk)
                .reduce(|| 0, |a, b| (a as u64).max(b as u64) as i64)
        }
    }
}

/// A work-item table as 16-byte aligned records (the kernel reads them in
/// 16-byte loads).
fn aligned_items(items: &[i64]) -> Vec<u128> {
    items.chunks(2).map(|p| (p[0] as u64 as u128) | ((p.get(1).copied().unwrap_or(0) as u64 as u128) << 64)).collect()
}

/// One call of a loop function over the kernel's buffers: `tables`, the
/// `count` work-item records at `items`, the packed request at `request`
/// (laid out as `layout`), the column table and the `[B, width]` output at
/// `out`. Returns the call's status word.
///
/// # Safety
/// Every pointer must be valid for the layout's extents; the function
/// writes only the output elements of its items (and, for the transform
/// pass, the request's ids).
#[allow(clippy::too_many_arguments)]
unsafe fn call(kernel: Kernel, tables: &[f32], items: *mut i64, count: usize, request: *mut u8, layout: &recom_abi::request::ByteLayout, columns_meta: &[i64], out: *mut f32, width: usize) -> i64 {
    let batch = layout.batch;
    let mut status = [0i64];
    let mut tables = MemRef::input(tables);
    let mut ids = MemRef::<u8, 1>::at(request, layout.ids.0, layout.ids.1);
    let mut offsets = MemRef::<u8, 1>::at(request, layout.offsets.0, layout.offsets.1);
    let mut weights = MemRef::<f32, 1>::at(request, layout.weights.0, layout.weights.1);
    let mut bytes = MemRef::<u8, 1>::at(request, layout.strings.0, layout.strings.1);
    let mut items = MemRef { allocated: items, aligned: items, offset: 0, sizes: [count as i64, ITEM_FIELDS as i64], strides: [ITEM_FIELDS as i64, 1] };
    let mut columns = MemRef::input(columns_meta);
    let mut out = MemRef::<f32, 2> { allocated: out, aligned: out, offset: 0, sizes: [batch as i64, width as i64], strides: [width as i64, 1] };
    let mut status_ref = MemRef::output(&mut status[..]);
    fn erase<T>(descriptor: &mut T) -> *mut c_void {
        descriptor as *mut T as *mut c_void
    }
    let mut descriptors = Buffer::SIGNATURE.map(|buffer| match buffer {
        Buffer::Tables => erase(&mut tables),
        Buffer::Ids => erase(&mut ids),
        Buffer::Offsets => erase(&mut offsets),
        Buffer::Weights => erase(&mut weights),
        Buffer::Items => erase(&mut items),
        Buffer::Columns => erase(&mut columns),
        Buffer::Out => erase(&mut out),
        Buffer::Status => erase(&mut status_ref),
        Buffer::Bytes => erase(&mut bytes),
    });
    let mut slots = descriptors.each_mut().map(|d| d as *mut *mut c_void as *mut c_void);
    unsafe { kernel(slots.as_mut_ptr()) };
    status[0]
}

/// Below this many (row, work item) pairs a request runs as one call.
const PARALLEL_MIN_WORK: usize = 1 << 14;
/// Work items per call, at most, when a request is cut up.
const CHUNK_ITEMS: usize = 16;

/// A buffer several kernel calls use at once: the output (each call writes
/// only the elements of its own work items) or the packed request (which
/// they only read).
#[derive(Clone, Copy)]
struct Shared<T>(*mut T);
unsafe impl<T> Send for Shared<T> {}
unsafe impl<T> Sync for Shared<T> {}
impl<T> Shared<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// A copy of a float buffer that starts 16-byte aligned.
struct Aligned {
    blocks: Vec<[f32x4; 1]>,
    len: usize,
}

#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
#[allow(non_camel_case_types)]
struct f32x4([f32; 4]);

impl Aligned {
    fn copy(data: &[f32]) -> Self {
        let mut blocks = vec![[f32x4::default()]; data.len().div_ceil(4)];
        let flat = unsafe { std::slice::from_raw_parts_mut(blocks.as_mut_ptr() as *mut f32, blocks.len() * 4) };
        flat[..data.len()].copy_from_slice(data);
        Aligned { blocks, len: data.len() }
    }
    fn as_slice(&self) -> &[f32] {
        unsafe { std::slice::from_raw_parts(self.blocks.as_ptr() as *const f32, self.len) }
    }
}
