//! Parsing MLIR text with the file name kept in every location.
use crate::{
    diagnostics::{Diagnostic, DiagnosticCapture},
    ffi,
};
use melior::{ir::Module, Context};

#[derive(Debug, thiserror::Error)]
#[error("{}", .diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ParseError {
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `source` as a module. Top-level operations other than one
/// `builtin.module` are wrapped in an implicit module, as mlir-opt does.
/// Locations name `file_name`. The parser also verifies the IR.
pub fn parse_module<'c>(context: &'c Context, source: &str, file_name: &str) -> Result<Module<'c>, ParseError> {
    let capture = DiagnosticCapture::attach(context);
    let raw = unsafe { ffi::recom_parse_module(context.to_raw(), ffi::string_ref(source), ffi::string_ref(file_name)) };
    let module = unsafe { Module::from_option_raw(raw) };
    let diagnostics = capture.take();
    match module {
        Some(module) => Ok(module),
        None => Err(ParseError { diagnostics }),
    }
}
