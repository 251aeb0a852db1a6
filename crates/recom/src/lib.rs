//! recom as a library.
//!
//! Another melior-based compiler embeds recom in two calls:
//!
//! ```ignore
//! let context = my_compiler_context();          // any melior Context
//! recom::load_into(&context)?;                  // emb + symshape dialects, passes, pipelines
//! let pm = melior::pass::PassManager::new(&context);
//! melior::utility::parse_pass_pipeline(
//!     pm.as_operation_pass_manager(),
//!     "builtin.module(recom-verify,canonicalize,my-own-pass)",
//! )?;
//! // or, without pipeline strings:
//! pm.add_pass(recom::pass("recom-verify", "warnings-as-errors=true")?);
//! ```
//!
//! Data flows model → IR → kernel → runtime; the crates behind this facade
//! are, in that order: [`ir`] (context, diagnostics, registry), [`emb`] and
//! [`symshape`] (the dialects), [`passes`] (passes and pipelines).
use melior::{
    ir::{operation::OperationLike, Module},
    pass::PassManager,
    Context,
};

pub use melior;
pub use recom_abi as abi;
pub use recom_dense as dense;
pub use recom_emb as emb;
pub use recom_ir as ir;
pub use recom_passes as passes;
pub use recom_runtime as runtime;
pub use recom_symshape as symshape;
pub use recom_tf as tf;
pub use recom_tf_import as import;

pub mod compile;
pub mod cpu;
pub mod emit_plan;
pub mod gpu;
pub mod serve;

use recom_ir::{context::ContextError, Diagnostic, DiagnosticCapture, PipelineDef};

/// Errors of the library entry points.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error("no recom pass named '{0}'")]
    UnknownPass(String),
    #[error("{0}")]
    Options(#[from] recom_ir::RegistryError),
    #[error("invalid pass pipeline: {0}")]
    Pipeline(String),
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Failed(Vec<Diagnostic>),
}

impl From<recom_tf_import::ImportError> for Error {
    fn from(e: recom_tf_import::ImportError) -> Self {
        Error::Failed(e.0)
    }
}

/// Loads recom's dialects into `context` and registers recom's passes and
/// pipelines (and the upstream ones) by name. Idempotent.
pub fn load_into(context: &Context) -> Result<(), Error> {
    recom_passes::register_all();
    recom_ir::load_irdl(context, &DIALECTS)?;
    Ok(())
}

/// recom's dialects.
pub const DIALECTS: [recom_ir::IrdlDialect; 3] = [recom_emb::DIALECT, recom_dense::DIALECT, recom_symshape::DIALECT];

/// The IRDL text of recom's dialects, as one file (what recom-opt loads).
pub fn dialects_irdl() -> String {
    DIALECTS.iter().map(|d| d.irdl()).collect::<Vec<_>>().join("\n")
}

/// A context with every upstream dialect and recom's, ready to use.
pub fn create_context() -> Result<Context, Error> {
    recom_passes::register_all();
    Ok(recom_ir::create_context(&DIALECTS)?)
}

/// A recom pass by argument, with options in MLIR's `name=value` syntax.
pub fn pass(argument: &str, options: &str) -> Result<melior::pass::Pass, Error> {
    let def = recom_passes::find_pass(argument).ok_or_else(|| Error::UnknownPass(argument.to_string()))?;
    Ok(recom_ir::create_pass(def, options)?)
}

/// Parses a textual pipeline (anchored, e.g. `builtin.module(...)`) into `pm`.
pub fn add_pipeline(pm: &PassManager, pipeline: &str) -> Result<(), Error> {
    melior::utility::parse_pass_pipeline(pm.as_operation_pass_manager(), pipeline).map_err(|e| match e {
        melior::Error::ParsePassPipeline(message) => Error::Pipeline(message),
        other => Error::Pipeline(other.to_string()),
    })
}

/// The module after one stage of a pipeline.
#[derive(Debug)]
pub struct StageResult {
    pub stage: String,
    /// The printed module after the stage.
    pub ir: String,
    /// Whether the stage changed the printed module.
    pub changed: bool,
}

/// Runs a named pipeline one stage at a time, verifying the module after each
/// stage, and returns the IR after every stage. Used by the snapshot tests.
pub fn run_stepwise(
    context: &Context,
    module: &mut Module,
    pipeline: &PipelineDef,
    options: &str,
) -> Result<Vec<StageResult>, Error> {
    let capture = DiagnosticCapture::attach(context);
    let mut before = module.as_operation().to_string();
    let mut results = Vec::new();
    for stage in pipeline.stages_for(options)? {
        let pm = PassManager::new(context);
        add_pipeline(&pm, &format!("builtin.module({stage})"))?;
        if pm.run(module).is_err() || !module.as_operation().verify() {
            let mut diagnostics = capture.take();
            diagnostics.insert(
                0,
                Diagnostic::new(
                    recom_ir::Severity::Error,
                    recom_ir::SourceLocation::Unknown,
                    format!("stage '{stage}' of pipeline '{}' failed", pipeline.argument),
                ),
            );
            return Err(Error::Failed(diagnostics));
        }
        let after = module.as_operation().to_string();
        results.push(StageResult { stage, changed: after != before, ir: after.clone() });
        before = after;
    }
    Ok(results)
}
