//! MLIR diagnostics as values, with their locations kept.
//!
//! [`DiagnosticCapture`] swallows every diagnostic the context emits while it
//! is alive, so a library user decides what to print; tools print them as
//! `file:line:col: error: message`, the form FileCheck tests match.
use melior::{diagnostic::DiagnosticSeverity, ir::Location, Context, ContextRef};
use std::{
    fmt,
    sync::{Arc, Mutex},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Note,
    Remark,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Remark => "remark",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a diagnostic points, decoded from an MLIR location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceLocation {
    File { file: String, line: usize, column: usize },
    /// A named location (e.g. a TensorFlow node), with what it wraps.
    Name { name: String, inner: Box<SourceLocation> },
    Unknown,
}

impl SourceLocation {
    pub fn from_mlir(location: Location) -> Self {
        if location.is_file_line_col_range() {
            SourceLocation::File {
                file: crate::kit::identifier_text(location.file_line_col_range_filename()).into_owned(),
                line: location.file_line_col_range_start_line(),
                column: location.file_line_col_range_start_column(),
            }
        } else if location.is_name() {
            SourceLocation::Name {
                name: crate::kit::identifier_text(location.name_value()).into_owned(),
                inner: Box::new(Self::from_mlir(location.name_child_location())),
            }
        } else if location.is_call_site() {
            Self::from_mlir(location.call_site_callee())
        } else if location.is_fused() {
            (0..location.fused_num_locations())
                .map(|i| Self::from_mlir(location.fused_location(i)))
                .find(|l| *l != SourceLocation::Unknown)
                .unwrap_or(SourceLocation::Unknown)
        } else {
            SourceLocation::Unknown
        }
    }

    /// The MLIR location this describes (what [`SourceLocation::from_mlir`]
    /// keeps of it: file positions and names).
    pub fn to_mlir<'c>(&self, context: &'c Context) -> Location<'c> {
        match self {
            SourceLocation::File { file, line, column } => Location::new(context, file, *line, *column),
            SourceLocation::Name { name, inner } => Location::name(context, name, inner.to_mlir(context)),
            SourceLocation::Unknown => Location::unknown(context),
        }
    }

    /// The file position, looking through names.
    pub fn file_position(&self) -> Option<(&str, usize, usize)> {
        match self {
            SourceLocation::File { file, line, column } => Some((file, *line, *column)),
            SourceLocation::Name { inner, .. } => inner.file_position(),
            SourceLocation::Unknown => None,
        }
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Line 0: a whole file (e.g. a binary GraphDef), no position in it.
            SourceLocation::File { file, line: 0, .. } => write!(f, "{file}"),
            SourceLocation::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            SourceLocation::Name { name, inner } => match **inner {
                SourceLocation::Unknown => write!(f, "'{name}'"),
                ref inner => write!(f, "{inner}: '{name}'"),
            },
            SourceLocation::Unknown => f.write_str("<unknown>"),
        }
    }
}

/// One diagnostic with its notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: SourceLocation,
    pub message: String,
    pub notes: Vec<Diagnostic>,
}

impl Diagnostic {
    pub fn new(severity: Severity, location: SourceLocation, message: impl Into<String>) -> Self {
        Diagnostic { severity, location, message: message.into(), notes: vec![] }
    }

    fn from_mlir(diagnostic: &melior::diagnostic::Diagnostic) -> Self {
        let severity = match diagnostic.severity() {
            DiagnosticSeverity::Error => Severity::Error,
            DiagnosticSeverity::Warning => Severity::Warning,
            DiagnosticSeverity::Remark => Severity::Remark,
            DiagnosticSeverity::Note => Severity::Note,
        };
        let notes = (0..diagnostic.note_count())
            .filter_map(|i| diagnostic.note(i).ok())
            .map(|n| Self::from_mlir(&n))
            .collect();
        Diagnostic {
            severity,
            location: SourceLocation::from_mlir(diagnostic.location()),
            message: diagnostic.to_string(),
            notes,
        }
    }
}

impl Diagnostic {
    /// Emits this diagnostic (and its notes) through `context`'s handlers, at
    /// its location rebuilt by [`SourceLocation::to_mlir`]: how a diagnostic
    /// computed as a value reaches a tool's printer or `--verify-diagnostics`.
    /// Note-severity diagnostics are emitted as remarks.
    pub fn emit(&self, context: ContextRef) {
        // The reference only lives for this call, while the context is alive.
        let context = unsafe { context.to_ref() };
        let severity = match self.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Remark | Severity::Note => 2,
        };
        let message = c_message(&self.message);
        let note_locations: Vec<_> = self.notes.iter().map(|n| n.location.to_mlir(context).to_raw()).collect();
        let note_texts: Vec<_> = self.notes.iter().map(|n| c_message(&n.message)).collect();
        let note_messages: Vec<*const std::ffi::c_char> = note_texts.iter().map(|m| m.as_ptr()).collect();
        unsafe {
            crate::ffi::recom_emit_diagnostic(
                self.location.to_mlir(context).to_raw(),
                severity,
                message.as_ptr(),
                note_locations.len(),
                note_locations.as_ptr(),
                note_messages.as_ptr(),
            )
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: error: message`, then one line per note.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.severity, self.message)?;
        for note in &self.notes {
            write!(f, "\n{note}")?;
        }
        Ok(())
    }
}

/// Collects every diagnostic the context emits while alive (they are not
/// printed). Safe to use while passes run on MLIR's thread pool.
pub struct DiagnosticCapture<'c> {
    context: &'c Context,
    id: Option<melior::diagnostic::DiagnosticHandlerId>,
    store: Arc<Mutex<Vec<Diagnostic>>>,
}

impl<'c> DiagnosticCapture<'c> {
    pub fn attach(context: &'c Context) -> Self {
        let store = Arc::new(Mutex::new(Vec::new()));
        let sink = store.clone();
        let id = context.attach_diagnostic_handler(move |d| {
            sink.lock().unwrap_or_else(|e| e.into_inner()).push(Diagnostic::from_mlir(&d));
            true
        });
        DiagnosticCapture { context, id: Some(id), store }
    }

    /// Takes the diagnostics collected so far.
    pub fn take(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.store.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn has_errors(&self) -> bool {
        self.store.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|d| d.severity == Severity::Error)
    }
}

impl Drop for DiagnosticCapture<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.context.detach_diagnostic_handler(id);
        }
    }
}

fn c_message(message: &str) -> std::ffi::CString {
    std::ffi::CString::new(message.replace('\0', " ")).expect("no NUL left")
}

/// Emits an error diagnostic at `location` through the context's handlers.
pub fn emit_error(location: Location, message: &str) {
    unsafe { mlir_sys::mlirEmitError(location.to_raw(), c_message(message).as_ptr()) }
}

/// Emits a warning diagnostic at `location` through the context's handlers.
pub fn emit_warning(location: Location, message: &str) {
    unsafe { crate::ffi::recom_emit_warning(location.to_raw(), c_message(message).as_ptr()) }
}
