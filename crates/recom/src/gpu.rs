//! The GPU path, compile side: the kernel module's loops → `gpu` (rows to
//! blocks, output elements to threads) → NVVM → PTX, all in-process, plus
//! the launch metadata the runtime needs ([`GpuKernel`]).
use crate::Error;
use melior::{
    ir::{
        attribute::ArrayAttribute,
        block::BlockArgument,
        BlockLike,
        operation::{OperationLike, OperationRef, WalkOrder, WalkResult},
        Module,
    },
    pass::PassManager,
    Context,
};
use recom_ir::DiagnosticCapture;
use recom_abi::kernel::Buffer;
use recom_runtime::plan::{DenseKernel, GpuEntry, GpuKernel};

/// Options of the GPU compilation (see `recom-gpu-outline` and `recom-gpu-to-ptx`).
#[derive(Clone, Debug)]
pub struct GpuOptions {
    pub chip: String,
    pub ptx: u32,
    pub opt_level: u32,
    pub threads: u32,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions { chip: "sm_90".into(), ptx: 80, opt_level: 3, threads: 64 }
    }
}

fn run_pipeline(context: &Context, module: &mut Module, pipeline: &str) -> Result<(), Error> {
    let capture = DiagnosticCapture::attach(context);
    let pm = PassManager::new(context);
    crate::add_pipeline(&pm, pipeline)?;
    pm.run(module).map_err(|_| Error::Failed(capture.take()))
}

fn find_all<'c, 'a>(module: &'a Module<'c>, name: &str) -> Vec<OperationRef<'c, 'a>> {
    let mut found = Vec::new();
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if recom_ir::kit::identifier_text(op.name()) == name {
            found.push(op.to_raw());
        }
        WalkResult::Advance
    });
    found.into_iter().map(|raw| unsafe { OperationRef::from_raw(raw) }).collect()
}

/// Compiles the kernel module (from [`crate::compile::compile`]) to PTX.
/// With an id-transform pass (`<kernel>__transform_ids`), that loop function
/// and the transforms' functions become a PTX module of their own
/// ([`GpuKernel::transform`]); the kernel's has the kernel alone.
pub fn compile_ptx(context: &Context, kernel_module: Module, options: &GpuOptions) -> Result<GpuKernel, Error> {
    let buffers = |params: &[usize]| {
        params
            .iter()
            .map(|&a| Buffer::from_argument(a).ok_or_else(|| Error::Pipeline(format!("kernel operand {a} is not one of the kernel's buffers"))))
            .collect::<Result<Vec<_>, _>>()
    };
    // The module's functions by name: the kernel, its transform pass, the
    // transforms' functions (`<kernel>__<...>`).
    let mut functions = Vec::new();
    let mut next = kernel_module.body().first_operation();
    while let Some(f) = next {
        let name = f.attribute("sym_name").ok().and_then(recom_ir::kit::string_value).map(|n| n.into_owned()).unwrap_or_default();
        functions.push((name, f));
        next = f.next_in_block();
    }
    let split = functions.iter().any(|(n, _)| n.ends_with("__transform_ids"));
    let (kernel_module, transform) = if split {
        let location = kernel_module.as_operation().location();
        let (gather, pass) = (Module::new(location), Module::new(location));
        for (name, f) in &functions {
            if !name.contains("__") {
                gather.body().append_operation(recom_ir::ext::clone_operation(*f));
            } else {
                pass.body().append_operation(recom_ir::ext::clone_operation(*f));
            }
        }
        let lowered = loops_to_ptx(context, pass, options)?;
        let params = buffers(&lowered.params)?;
        (gather, Some(GpuEntry { ptx: lowered.ptx, entry: lowered.entry, params }))
    } else {
        (kernel_module, None)
    };
    let lowered = loops_to_ptx(context, kernel_module, options)?;
    let params = buffers(&lowered.params)?;
    Ok(GpuKernel { ptx: lowered.ptx, entry: lowered.entry, chip: options.chip.clone(), params, threads: options.threads, dense: Vec::new(), transform })
}

/// A loop function lowered to PTX: its entry and, in launch order, which
/// argument of the loop function each kernel parameter is.
struct Lowered {
    ptx: String,
    entry: String,
    params: Vec<usize>,
}

/// One `scf.parallel` loop function (rows x columns) alone in a module →
/// `gpu.launch_func` (rows to blocks, columns to `threads` threads) → PTX.
fn loops_to_ptx(context: &Context, mut kernel_module: Module, options: &GpuOptions) -> Result<Lowered, Error> {
    run_pipeline(context, &mut kernel_module, &format!("builtin.module(recom-gpu-outline{{threads={}}})", options.threads))?;

    // Launch metadata, read off the one gpu.launch_func.
    let launches = find_all(&kernel_module, "gpu.launch_func");
    let [launch] = launches[..] else {
        return Err(Error::Pipeline(format!("expected one gpu.launch_func, found {}", launches.len())));
    };
    let segments = recom_ir::kit::i32_array_attr(&launch, "operandSegmentSizes").map_err(|e| Error::Pipeline(e.to_string()))?;
    // Segments: async deps, grid x/y/z, block x/y/z, cluster x/y/z, dynamic shared memory, kernel operands, async object.
    if segments.len() != 13 {
        return Err(Error::Pipeline(format!("unexpected gpu.launch_func layout {segments:?}")));
    }
    let start: i32 = segments[..11].iter().sum();
    let params = (start..start + segments[11])
        .map(|i| {
            let value = launch.operand(i as usize).expect("segment in range");
            BlockArgument::try_from(value)
                .map(|a| a.argument_number())
                .map_err(|_| Error::Pipeline(format!("kernel operand {i} is not an argument of the loop function")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let kernel_symbol = launch.attribute("kernel").map_err(|_| Error::Pipeline("gpu.launch_func has no kernel".into()))?;
    let entry = recom_ir::ext::symbol_leaf(kernel_symbol).ok_or_else(|| Error::Pipeline("gpu.launch_func's kernel is not a symbol".into()))?;

    run_pipeline(
        context,
        &mut kernel_module,
        &format!(
            "builtin.module(recom-gpu-to-ptx{{chip={} ptx={} opt-level={}}})",
            options.chip, options.ptx, options.opt_level
        ),
    )?;
    let binaries = find_all(&kernel_module, "gpu.binary");
    let [binary] = binaries[..] else {
        return Err(Error::Pipeline(format!("expected one gpu.binary, found {}", binaries.len())));
    };
    let objects = binary
        .attribute("objects")
        .ok()
        .and_then(|a| ArrayAttribute::try_from(a).ok())
        .ok_or_else(|| Error::Pipeline("gpu.binary has no objects".into()))?;
    let object = objects.element(0).map_err(|_| Error::Pipeline("gpu.binary has no object".into()))?;
    let ptx = recom_ir::ext::gpu_object(object).ok_or_else(|| Error::Pipeline("gpu.binary's object is not a #gpu.object".into()))?;
    if !ptx.contains(&format!(".entry {entry}")) {
        return Err(Error::Pipeline(format!("the PTX has no entry {entry}")));
    }
    Ok(Lowered { ptx, entry, params })
}

/// Threads per block for a map over `width` columns.
fn map_threads(width: usize) -> u32 {
    (width.div_ceil(32) * 32).clamp(32, 256) as u32
}

/// The dense program's elementwise kernels for one chip: one per `Map`
/// step, plus the strided copy (`Concat` steps and the runtime's small
/// transfers use it). Each is a loop function
/// generated as MLIR (`scf.parallel` over rows x columns, arith ops and NVVM
/// intrinsics: no libdevice) and lowered like the embedding kernel.
pub fn compile_dense_ptx(context: &Context, program: &recom_abi::dense::DenseProgram, options: &GpuOptions) -> Result<Vec<DenseKernel>, Error> {
    use recom_abi::dense::{Expr, Step};
    let mut kernels = Vec::new();
    let mut lower = |name: String, expr: &Expr, inputs: usize, width: usize, step: Option<usize>| -> Result<(), Error> {
        let text = map_kernel_mlir(&name, expr, inputs);
        let module = Module::parse(context, &text).ok_or_else(|| Error::Pipeline(format!("the generated kernel {name} does not parse:\n{text}")))?;
        let threads = map_threads(width);
        let lowered = loops_to_ptx(context, module, &GpuOptions { threads, ..options.clone() })?;
        kernels.push(DenseKernel { step, ptx: lowered.ptx, entry: lowered.entry, params: lowered.params, threads });
        Ok(())
    };
    for (s, step) in program.steps.iter().enumerate() {
        if let Step::Map { inputs, expr, width } = step {
            let expr = Expr::parse(expr).map_err(|e| Error::Pipeline(format!("dense step {s}: {e}")))?;
            lower(format!("dense_map_{s}"), &expr, inputs.len(), *width, Some(s))?;
        }
    }
    // The copy: the dense program's concatenations, and the runtime's
    // transfers of small requests through page-locked memory (a kernel
    // reading or writing it over the bus, where a copy engine's transfer
    // costs more in waiting for the engines to hand over than in moving bytes).
    let widest = program.steps.iter().map(|s| s.width()).max().unwrap_or(1);
    lower("dense_copy".into(), &Expr::Input(0), 1, widest.max(256), None)?;
    Ok(kernels)
}

/// The MLIR of a map kernel: `out[r, c] = expr(in0[r, c], ...)` over the
/// rows and columns of `out`; every memref is strided, so a broadcast input
/// is a stride of 0 and a concatenation writes a column slice of its output.
fn map_kernel_mlir(name: &str, expr: &recom_abi::dense::Expr, inputs: usize) -> String {
    use recom_abi::dense::{Expr, Func};
    use std::fmt::Write;
    const T: &str = "memref<?x?xf32, strided<[?, ?], offset: ?>>";
    let mut body = String::new();
    let mut next = 0usize;
    let mut fresh = || {
        next += 1;
        format!("%v{next}")
    };
    let args: Vec<String> = (0..inputs).map(|i| format!("%in{i}: {T}")).collect();
    let mut loads = Vec::new();
    for i in 0..inputs {
        let v = fresh();
        let _ = writeln!(body, "      {v} = memref.load %in{i}[%r, %c] : {T}");
        loads.push(v);
    }
    fn emit(e: &Expr, loads: &[String], body: &mut String, fresh: &mut dyn FnMut() -> String) -> String {
        let constant = |c: f32, body: &mut String, fresh: &mut dyn FnMut() -> String| {
            let v = fresh();
            let _ = writeln!(body, "      {v} = arith.constant 0x{:08X} : f32", c.to_bits());
            v
        };
        let intrinsic = |name: &str, a: &str, body: &mut String, fresh: &mut dyn FnMut() -> String| {
            let v = fresh();
            let _ = writeln!(body, "      {v} = llvm.call_intrinsic \"{name}\"({a}) : (f32) -> f32");
            v
        };
        let binary = |op: &str, a: &str, b: &str, body: &mut String, fresh: &mut dyn FnMut() -> String| {
            let v = fresh();
            let _ = writeln!(body, "      {v} = arith.{op} {a}, {b} : f32");
            v
        };
        // exp(x) = 2^(x·log2 e) through the PTX ex2 instruction.
        let exp = |a: &str, body: &mut String, fresh: &mut dyn FnMut() -> String| {
            let l = constant(std::f32::consts::LOG2_E, body, fresh);
            let t = binary("mulf", a, &l, body, fresh);
            intrinsic("llvm.nvvm.ex2.approx.f32", &t, body, fresh)
        };
        match e {
            Expr::Input(i) => loads[*i].clone(),
            Expr::Const(c) => constant(*c, body, fresh),
            Expr::Call(f, args) => {
                let a = emit(&args[0], loads, body, fresh);
                let b = args.get(1).map(|b| emit(b, loads, body, fresh));
                let b = b.as_deref().unwrap_or("");
                match f {
                    Func::Add => binary("addf", &a, b, body, fresh),
                    Func::Sub => binary("subf", &a, b, body, fresh),
                    Func::Mul => binary("mulf", &a, b, body, fresh),
                    Func::Div => binary("divf", &a, b, body, fresh),
                    Func::Max => binary("maximumf", &a, b, body, fresh),
                    Func::Min => binary("minimumf", &a, b, body, fresh),
                    Func::Square => binary("mulf", &a, &a, body, fresh),
                    Func::Neg => {
                        let v = fresh();
                        let _ = writeln!(body, "      {v} = arith.negf {a} : f32");
                        v
                    }
                    Func::Relu => {
                        let z = constant(0.0, body, fresh);
                        binary("maximumf", &a, &z, body, fresh)
                    }
                    Func::Abs => {
                        let (i, m, r, v) = (fresh(), fresh(), fresh(), fresh());
                        let _ = writeln!(body, "      {i} = arith.bitcast {a} : f32 to i32");
                        let _ = writeln!(body, "      {m} = arith.constant 2147483647 : i32");
                        let _ = writeln!(body, "      {r} = arith.andi {i}, {m} : i32");
                        let _ = writeln!(body, "      {v} = arith.bitcast {r} : i32 to f32");
                        v
                    }
                    Func::Sigmoid => {
                        let n = fresh();
                        let _ = writeln!(body, "      {n} = arith.negf {a} : f32");
                        let e = exp(&n, body, fresh);
                        let one = constant(1.0, body, fresh);
                        let d = binary("addf", &one, &e, body, fresh);
                        binary("divf", &one, &d, body, fresh)
                    }
                    Func::Tanh => {
                        // 1 - 2 / (exp(2x) + 1): exact limits ±1, no overflow to NaN.
                        let two = constant(2.0, body, fresh);
                        let x2 = binary("mulf", &a, &two, body, fresh);
                        let e = exp(&x2, body, fresh);
                        let one = constant(1.0, body, fresh);
                        let d = binary("addf", &e, &one, body, fresh);
                        let q = binary("divf", &two, &d, body, fresh);
                        binary("subf", &one, &q, body, fresh)
                    }
                    Func::Exp => exp(&a, body, fresh),
                    Func::Log => {
                        let l = intrinsic("llvm.nvvm.lg2.approx.f", &a, body, fresh);
                        let ln2 = constant(std::f32::consts::LN_2, body, fresh);
                        binary("mulf", &l, &ln2, body, fresh)
                    }
                    Func::Sqrt => intrinsic("llvm.nvvm.sqrt.rn.f", &a, body, fresh),
                    Func::Rsqrt => {
                        let s = intrinsic("llvm.nvvm.sqrt.rn.f", &a, body, fresh);
                        let one = constant(1.0, body, fresh);
                        binary("divf", &one, &s, body, fresh)
                    }
                    Func::Round => {
                        // Round half to even: (|x| + 2^23) - 2^23 rounds in the FPU's
                        // nearest-even mode for |x| < 2^23 (larger floats are integers),
                        // then the sign goes back.
                        let (bits, mask, absb, absx, big, sum, diff, small, res, sign, signb, resb, outb, out) =
                            (fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh(), fresh());
                        let _ = writeln!(body, "      {bits} = arith.bitcast {a} : f32 to i32");
                        let _ = writeln!(body, "      {mask} = arith.constant 2147483647 : i32");
                        let _ = writeln!(body, "      {absb} = arith.andi {bits}, {mask} : i32");
                        let _ = writeln!(body, "      {absx} = arith.bitcast {absb} : i32 to f32");
                        let _ = writeln!(body, "      {big} = arith.constant 0x4B000000 : f32");
                        let _ = writeln!(body, "      {sum} = arith.addf {absx}, {big} : f32");
                        let _ = writeln!(body, "      {diff} = arith.subf {sum}, {big} : f32");
                        let _ = writeln!(body, "      {small} = arith.cmpf olt, {absx}, {big} : f32");
                        let _ = writeln!(body, "      {res} = arith.select {small}, {diff}, {absx} : f32");
                        let _ = writeln!(body, "      {sign} = arith.constant -2147483648 : i32");
                        let _ = writeln!(body, "      {signb} = arith.andi {bits}, {sign} : i32");
                        let _ = writeln!(body, "      {resb} = arith.bitcast {res} : f32 to i32");
                        let _ = writeln!(body, "      {outb} = arith.ori {resb}, {signb} : i32");
                        let _ = writeln!(body, "      {out} = arith.bitcast {outb} : i32 to f32");
                        out
                    }
                }
            }
        }
    }
    let result = emit(expr, &loads, &mut body, &mut fresh);
    format!(
        "module {{
  func.func @{name}(%out: {T}, {args}) {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %rows = memref.dim %out, %c0 : {T}
    %cols = memref.dim %out, %c1 : {T}
    scf.parallel (%r, %c) = (%c0, %c0) to (%rows, %cols) step (%c1, %c1) {{
{body}      memref.store {result}, %out[%r, %c] : {T}
      scf.reduce
    }}
    return
  }}
}}
",
        args = args.join(", ")
    )
}
