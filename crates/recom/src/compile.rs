//! From `emb` IR to a compiled model: the host [`Plan`] (what the runtime
//! does per request) plus a kernel module (the loop function, alone, ready for
//! the CPU or GPU lowering).
use crate::Error;
use melior::{
    ir::{operation::OperationLike, BlockLike, Location, Module},
    pass::PassManager,
    Context,
};
use recom_ir::{Diagnostic, DiagnosticCapture, Severity, SourceLocation};
use recom_runtime::plan::Plan;

/// A model compiled down to its kernel module.
pub struct Compiled<'c> {
    pub plan: Plan,
    /// The kernel function alone in a module, still at the loop level.
    pub kernel_module: Module<'c>,
}

/// Runs `recom-default` on `module` and extracts the plan of its one fused
/// embedding layer.
pub fn compile<'c>(context: &'c Context, module: &mut Module<'c>) -> Result<Compiled<'c>, Error> {
    compile_with(context, module, "")
}

/// [`compile`] with `recom-default` options in MLIR's syntax, e.g.
/// `"elements-per-item=2"`.
pub fn compile_with<'c>(context: &'c Context, module: &mut Module<'c>, options: &str) -> Result<Compiled<'c>, Error> {
    let capture = DiagnosticCapture::attach(context);
    let pm = PassManager::new(context);
    crate::add_pipeline(&pm, &format!("builtin.module(recom-default{{{options}}})"))?;
    if pm.run(module).is_err() {
        return Err(Error::Failed(capture.take()));
    }
    drop(capture);

    let plan = crate::emit_plan::emit_plan(module).map_err(|d| Error::Failed(vec![d]))?;

    // The kernel, cloned into a module of its own.
    let kernel_module = Module::new(Location::new(context, &plan.kernel, 0, 0));
    let mut kernel = None;
    let mut next = module.body().first_operation();
    while let Some(f) = next {
        let name = f.attribute("sym_name").ok().and_then(recom_ir::kit::string_value);
        if name.as_deref() == Some(plan.kernel.as_str()) {
            kernel = Some(f.to_raw());
        }
        next = f.next_in_block();
    }
    let kernel = kernel.ok_or_else(|| {
        Error::Failed(vec![Diagnostic::new(
            Severity::Error,
            SourceLocation::from_mlir(module.as_operation().location()),
            format!("the kernel @{} that emb.fused_columns names is not a function of the module", plan.kernel),
        )])
    })?;
    let clone = unsafe { melior::ir::Operation::from_raw(mlir_sys::mlirOperationClone(kernel)) };
    kernel_module.body().append_operation(clone);
    Ok(Compiled { plan, kernel_module })
}
