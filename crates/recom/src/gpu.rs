//! The GPU path, compile side: the kernel module's loops → `gpu` (rows to
//! blocks, output elements to threads) → NVVM → PTX, all in-process, plus
//! the launch metadata the runtime needs ([`GpuKernel`]).
use crate::Error;
use melior::{
    ir::{
        attribute::ArrayAttribute,
        block::BlockArgument,
        operation::{OperationLike, OperationRef, WalkOrder, WalkResult},
        Module,
    },
    pass::PassManager,
    Context,
};
use recom_ir::DiagnosticCapture;
use recom_abi::kernel::Buffer;
use recom_runtime::plan::GpuKernel;

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
pub fn compile_ptx(context: &Context, mut kernel_module: Module, options: &GpuOptions) -> Result<GpuKernel, Error> {
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
                .ok()
                .and_then(|a| Buffer::from_argument(a.argument_number()))
                .ok_or_else(|| Error::Pipeline(format!("kernel operand {i} is not one of the kernel's buffers")))
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
    Ok(GpuKernel { ptx, entry, chip: options.chip.clone(), params, threads: options.threads })
}
