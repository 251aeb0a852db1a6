//! recom's IR infrastructure. It knows no dialect of recom's own; the
//! dialect crates, the passes and the facade build on it:
//! - [`context`]: an MLIR [`Context`](melior::Context) with every upstream
//!   dialect, the LLVM translations and given IRDL dialects loaded;
//! - [`opdef`]: ops declared as data ([`OpDef`]): their IRDL text, docs and
//!   verifier hooks come from one declaration;
//! - [`kit`]: typed views of IRDL ops ([`op_view!`]), attribute access with
//!   errors that name the attribute, tensor type facts;
//! - [`diagnostics`]: MLIR diagnostics captured as values that keep their
//!   locations, printed as `file:line:col: error: message`;
//! - [`parse`]: parsing text with a real file name in every location;
//! - [`registry`]: recom passes and pipelines, described as data, registered
//!   under their names so pipeline strings can mix them with upstream passes;
//! - [`opt_main`]: an `mlir-opt` on MLIR's own `MlirOptMain`, with a tool's
//!   IRDL dialects, importer and translation (recom-opt is one).

pub mod context;
pub mod check;
pub mod diagnostics;
pub mod ext;
pub mod kit;
pub mod opdef;
mod ffi;
pub mod opt_main;
pub mod parse;
pub mod registry;
pub mod rewrite;

pub use context::{create_context, load_irdl, register_upstream};
pub use opdef::{AttrC, AttrSlot, HostHook, IntBounds, IntRange, IrdlDialect, OpDef, Slot, TypeC};
pub use diagnostics::{Diagnostic, DiagnosticCapture, Severity, SourceLocation};
pub use parse::{parse_module, ParseError};
pub use registry::{
    create_pass, registered_pass_names, OptionDef, OptionKind, OptionValues, PassDef,
    PipelineDef, RegistryError,
};
