//! MLIR contexts with IRDL-defined dialects loaded. Which dialects is the
//! caller's choice (the facade, `recom::create_context`, loads recom's).
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

pub use crate::opdef::IrdlDialect;

/// Registers every upstream pass with MLIR's global registry (once per process).
pub fn register_upstream() {
    static ONCE: Once = Once::new();
    ONCE.call_once(register_all_passes);
}

/// A context with every upstream dialect, the LLVM IR translations (needed by
/// the JIT and `gpu-module-to-binary`) and `dialects` loaded.
pub fn create_context(dialects: &[IrdlDialect]) -> Result<Context, ContextError> {
    register_upstream();
    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    register_all_llvm_translations(&context);
    load_irdl(&context, dialects)?;
    Ok(context)
}

/// Loads `dialects` into an existing context (e.g. another compiler's).
/// Loading twice is harmless.
pub fn load_irdl(context: &Context, dialects: &[IrdlDialect]) -> Result<(), ContextError> {
    for dialect in dialects {
        let name = dialect.name;
        if dialect.probe().is_some_and(|probe| context.is_registered_operation(probe)) {
            continue;
        }
        // IRDL ops live in the `irdl` dialect, which must be loaded to parse.
        context.get_or_load_dialect("irdl");
        let module = Module::parse(context, &dialect.irdl()).ok_or(ContextError::IrdlParse(name))?;
        if !load_irdl_dialects(&module) {
            return Err(ContextError::IrdlLoad(name));
        }
    }
    Ok(())
}
