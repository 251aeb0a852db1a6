//! The compile driver: a model goes through named stages, in order —
//!
//! | stage | what | where |
//! |---|---|---|
//! | `import` | GraphDef → one `tf.<Op>` per node of the outputs' graph | `recom-tf-import` |
//! | `raise` | `tf` → `emb` + `symshape`, redundant work removed | pipeline `recom-tf-raise` |
//! | `fuse` | every column into one `emb.fused_columns`, its shape program, its loop kernel | pipeline `recom-default` |
//! | `plan` | the runtime's plan read off the IR | translation [`crate::emit_plan`] |
//! | `kernel` | the loop kernel alone in a module | here |
//!
//! then `cpu` ([`crate::cpu`], the JIT) or `gpu` ([`crate::gpu`], PTX). Each
//! stage's pipeline text comes from [`Options`], the same option definitions
//! the pipelines declare, and [`Compiled::stages`] records how long each took.
use crate::Error;
use melior::{
    ir::{operation::OperationLike, BlockLike, Location, Module},
    pass::PassManager,
    Context,
};
use recom_ir::{Diagnostic, DiagnosticCapture, OptionDef, Severity, SourceLocation};
use recom_passes::emb::emb_fuse_columns as fuse;
use recom_passes::emb::emb_lower_fused_columns as lower;
use recom_runtime::plan::Plan;
use std::time::{Duration, Instant};

/// The kernel's shape: `recom-default`'s options (the definitions of
/// `emb-lower-fused-columns`, which it forwards).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Output elements per work item; 0 = chosen from the columns' dims.
    pub elements_per_item: i64,
    pub rows_per_item: i64,
    pub ids_per_iteration: i64,
    /// Width of the packed ids and offsets: 32, 64, or 0 = 32 where it fits.
    pub index_bits: i64,
    pub prefetch_ids: bool,
    /// Hashes of columns' i64 and string ids in the kernel (`id-transforms=kernel`)
    /// instead of the host program.
    pub kernel_id_transforms: bool,
}

impl Default for Options {
    fn default() -> Self {
        let int = |def: &OptionDef| def.default.parse().expect("option defaults parse");
        Options {
            elements_per_item: int(&lower::ELEMENTS_PER_ITEM),
            rows_per_item: int(&lower::ROWS_PER_ITEM),
            ids_per_iteration: int(&lower::IDS_PER_ITERATION),
            index_bits: int(&lower::INDEX_BITS),
            prefetch_ids: lower::PREFETCH_IDS.default == "true",
            kernel_id_transforms: fuse::ID_TRANSFORMS.default == "kernel",
        }
    }
}

impl Options {
    /// The options in MLIR's syntax, named by their definitions.
    pub fn to_pipeline_options(&self) -> String {
        format!(
            "{}={} {}={} {}={} {}={} {}={} {}={}",
            fuse::ID_TRANSFORMS.name,
            if self.kernel_id_transforms { "kernel" } else { "host" },
            lower::ELEMENTS_PER_ITEM.name,
            self.elements_per_item,
            lower::ROWS_PER_ITEM.name,
            self.rows_per_item,
            lower::IDS_PER_ITERATION.name,
            self.ids_per_iteration,
            lower::INDEX_BITS.name,
            self.index_bits,
            lower::PREFETCH_IDS.name,
            self.prefetch_ids
        )
    }
}

/// One stage of compilation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Import,
    Raise,
    Fuse,
    Plan,
    Kernel,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Import, Stage::Raise, Stage::Fuse, Stage::Plan, Stage::Kernel];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Import => "import",
            Stage::Raise => "raise",
            Stage::Fuse => "fuse",
            Stage::Plan => "plan",
            Stage::Kernel => "kernel",
        }
    }

    /// The pipeline the stage runs, for the stages that are pipelines.
    pub fn pipeline(self, options: &Options) -> Option<String> {
        match self {
            Stage::Raise => Some("builtin.module(recom-tf-raise)".into()),
            Stage::Fuse => Some(format!("builtin.module(recom-default{{{}}})", options.to_pipeline_options())),
            Stage::Import | Stage::Plan | Stage::Kernel => None,
        }
    }
}

/// A model compiled down to its kernel module.
pub struct Compiled<'c> {
    pub plan: Plan,
    /// The kernel function alone in a module, still at the loop level.
    pub kernel_module: Module<'c>,
    /// The stages run, with their wall time.
    pub stages: Vec<(Stage, Duration)>,
}

fn run_pipeline(context: &Context, module: &mut Module, pipeline: &str) -> Result<(), Error> {
    let capture = DiagnosticCapture::attach(context);
    let pm = PassManager::new(context);
    crate::add_pipeline(&pm, pipeline)?;
    pm.run(module).map_err(|_| Error::Failed(capture.take()))
}

/// Compiles an imported TensorFlow graph (`recom::import`): from `raise` on.
pub fn compile_graph<'c>(context: &'c Context, module: &mut Module<'c>, options: &Options) -> Result<Compiled<'c>, Error> {
    compile_from(context, module, Stage::Raise, options)
}

/// Compiles `emb` IR with the default options: from `fuse` on.
pub fn compile<'c>(context: &'c Context, module: &mut Module<'c>) -> Result<Compiled<'c>, Error> {
    compile_from(context, module, Stage::Fuse, &Options::default())
}

/// [`compile`] with `recom-default` options in MLIR's syntax, e.g.
/// `"elements-per-item=2"` (experiments; [`compile_from`] takes [`Options`]).
pub fn compile_with<'c>(context: &'c Context, module: &mut Module<'c>, options: &str) -> Result<Compiled<'c>, Error> {
    let start = Instant::now();
    run_pipeline(context, module, &format!("builtin.module(recom-default{{{options}}})"))?;
    let mut compiled = finish(context, module)?;
    compiled.stages.insert(0, (Stage::Fuse, start.elapsed()));
    Ok(compiled)
}

/// Runs the stages from `first` (after `import`, which makes the module) on.
pub fn compile_from<'c>(context: &'c Context, module: &mut Module<'c>, first: Stage, options: &Options) -> Result<Compiled<'c>, Error> {
    let mut stages = Vec::new();
    for stage in Stage::ALL.into_iter().skip_while(|s| *s != first) {
        let Some(pipeline) = stage.pipeline(options) else { continue };
        let start = Instant::now();
        run_pipeline(context, module, &pipeline)?;
        stages.push((stage, start.elapsed()));
    }
    let mut compiled = finish(context, module)?;
    stages.append(&mut compiled.stages);
    compiled.stages = stages;
    Ok(compiled)
}

/// The `plan` and `kernel` stages.
fn finish<'c>(context: &'c Context, module: &Module<'c>) -> Result<Compiled<'c>, Error> {
    let start = Instant::now();
    let plan = crate::emit_plan::emit_plan(module).map_err(|d| Error::Failed(vec![d]))?;
    let planned = start.elapsed();

    // The kernel, cloned into a module of its own.
    let start = Instant::now();
    let kernel_module = Module::new(Location::new(context, &plan.kernel, 0, 0));
    if plan.is_host_only() {
        // Nothing fused: the host program computes the outputs.
        return Ok(Compiled { plan, kernel_module, stages: vec![(Stage::Plan, planned), (Stage::Kernel, start.elapsed())] });
    }
    // With it, the functions of its id transforms (`<kernel>__<transform>`).
    let mut kernel = None;
    let mut helpers = Vec::new();
    let prefix = format!("{}__", plan.kernel);
    let mut next = module.body().first_operation();
    while let Some(f) = next {
        let name = f.attribute("sym_name").ok().and_then(recom_ir::kit::string_value);
        if name.as_deref() == Some(plan.kernel.as_str()) {
            kernel = Some(f);
        } else if name.as_deref().is_some_and(|n| n.starts_with(&prefix)) {
            helpers.push(f);
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
    let clone = recom_ir::ext::clone_operation(kernel);
    kernel_module.body().append_operation(clone);
    for helper in helpers {
        kernel_module.body().append_operation(recom_ir::ext::clone_operation(helper));
    }
    Ok(Compiled { plan, kernel_module, stages: vec![(Stage::Plan, planned), (Stage::Kernel, start.elapsed())] })
}
