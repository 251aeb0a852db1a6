//! The MLIR context every recom tool and pass works in.
use melior::{
    dialect::DialectRegistry,
    ir::Module,
    utility::{load_irdl_dialects, register_all_dialects, register_all_llvm_translations, register_all_passes},
    Context,
};
use std::sync::Once;

/// Why recom's dialects could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("the IRDL definition of dialect '{0}' does not parse")]
    IrdlParse(&'static str),
    #[error("MLIR rejected the IRDL definition of dialect '{0}'")]
    IrdlLoad(&'static str),
}

/// The dialects recom defines, as (name, IRDL text, an op that proves it is loaded).
const RECOM_DIALECTS: [(&str, &str, &str); 2] = [
    (recom_emb::DIALECT, recom_emb::IRDL, "emb.lookup"),
    (recom_symshape::DIALECT, recom_symshape::IRDL, "symshape.shape_construct"),
];

/// Registers every upstream pass with MLIR's global registry (once per process).
pub fn register_upstream() {
    static ONCE: Once = Once::new();
    ONCE.call_once(register_all_passes);
}

/// A context with every upstream dialect, the LLVM IR translations (needed by
/// the JIT and `gpu-module-to-binary`) and recom's dialects loaded.
pub fn create_context() -> Result<Context, ContextError> {
    register_upstream();
    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    register_all_llvm_translations(&context);
    load_recom_dialects(&context)?;
    Ok(context)
}

/// Loads `emb` and `symshape` into an existing context (e.g. another
/// compiler's). Loading twice is harmless.
pub fn load_recom_dialects(context: &Context) -> Result<(), ContextError> {
    for (name, irdl, probe) in RECOM_DIALECTS {
        if context.is_registered_operation(probe) {
            continue;
        }
        // IRDL ops live in the `irdl` dialect, which must be loaded to parse.
        context.get_or_load_dialect("irdl");
        let module = Module::parse(context, irdl).ok_or(ContextError::IrdlParse(name))?;
        if !load_irdl_dialects(&module) {
            return Err(ContextError::IrdlLoad(name));
        }
    }
    Ok(())
}

/// Whether an operation's diagnostics also print the operation as a note.
pub fn set_print_op_on_diagnostic(context: &Context, enable: bool) {
    unsafe { crate::ffi::recom_context_set_print_op_on_diagnostic(context.to_raw(), enable) }
}
