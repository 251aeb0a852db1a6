//! An `mlir-opt` for a tool built on this crate: MLIR's own `MlirOptMain`
//! (every mlir-opt flag, single-dash forms included, and a `--<name>` flag
//! for each registered pass and pipeline) with the tool's IRDL dialects, an
//! optional importer for inputs that are not MLIR and an optional
//! translation that replaces the printed IR. The C++ side is
//! `recom_mlir_opt_main` in `cpp/shim.cpp`.
//!
//! Register every pass and pipeline before calling [`mlir_opt_main`]:
//! MlirOptMain makes its pass flags from the registry as it starts.
use crate::ffi::{self, RecomOptMainSpec, StringSink};
use melior::ir::{operation::OperationLike, operation::OperationRef, Module};
use std::{
    ffi::{c_char, c_int, c_void, CStr, CString, OsString},
    mem::ManuallyDrop,
    panic::{catch_unwind, AssertUnwindSafe},
};

/// The failure has been reported already (printed, or emitted as located
/// diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported;

/// Reads inputs that are not MLIR (e.g. TensorFlow GraphDefs).
pub struct Importer {
    /// A comma-separated list flag, without dashes (e.g. `tf-outputs`),
    /// whose values are handed to `import`.
    pub option: &'static str,
    pub option_description: &'static str,
    /// Given the input file name and the flag's values: `Ok(None)` when the
    /// input is not one it imports (it is read as MLIR); `Ok(Some(text))`,
    /// MLIR text printed with debug locations so diagnostics keep naming the
    /// input; `Err` after printing why it failed.
    pub import: fn(path: &str, values: &[String]) -> Result<Option<String>, Reported>,
}

/// A translation of the module after the pipeline (e.g. to JSON).
pub struct Translation {
    /// A boolean flag, without dashes (e.g. `emit-plan`); it also names the
    /// last pass of the pipeline, which runs the translation.
    pub flag: &'static str,
    pub description: &'static str,
    /// The text that replaces the printed IR, or `Err` after emitting
    /// located diagnostics on the module's context (so that
    /// `--verify-diagnostics` sees them).
    pub translate: fn(&Module) -> Result<String, Reported>,
}

/// What a tool adds to mlir-opt.
pub struct OptMain {
    /// The first line of `--help`.
    pub description: &'static str,
    /// IRDL text (`irdl.dialect` ops) loaded into every context.
    pub irdl: String,
    pub importer: Option<Importer>,
    pub translation: Option<Translation>,
    /// For an error "'x' does not refer to a registered pass or pass
    /// pipeline", a hint printed as a note.
    pub suggest_pass: Option<fn(&str) -> Option<String>>,
}

/// Runs MlirOptMain on `args` (`args[0]` names the tool). Returns the exit
/// code: 0 success, 1 failure. Call once per process: `llvm::cl` parses one
/// command line.
pub fn mlir_opt_main(args: impl IntoIterator<Item = OsString>, tool: &OptMain) -> i32 {
    let mut owned = Vec::new();
    for arg in args {
        match c_string(arg) {
            Ok(arg) => owned.push(arg),
            Err(message) => {
                eprintln!("{message}");
                return 1;
            }
        }
    }
    if owned.is_empty() {
        owned.push(CString::from(c"recom-opt"));
    }
    let mut argv: Vec<*mut c_char> = owned.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    argv.push(std::ptr::null_mut());

    let description = cstring(tool.description);
    let (import_option, import_description) = match &tool.importer {
        Some(i) => (cstring(i.option), cstring(i.option_description)),
        None => (CString::default(), CString::default()),
    };
    let (translate_flag, translate_description) = match &tool.translation {
        Some(t) => (cstring(t.flag), cstring(t.description)),
        None => (CString::default(), CString::default()),
    };
    let spec = RecomOptMainSpec {
        tool_description: description.as_ptr(),
        irdl: tool.irdl.as_ptr() as *const c_char,
        irdl_len: tool.irdl.len(),
        user_data: tool as *const OptMain as *const c_void,
        import_option: import_option.as_ptr(),
        import_option_description: import_description.as_ptr(),
        import: tool.importer.as_ref().map(|_| import_trampoline as _),
        translate_flag: translate_flag.as_ptr(),
        translate_description: translate_description.as_ptr(),
        translate: tool.translation.as_ref().map(|_| translate_trampoline as _),
        suggest_pass: tool.suggest_pass.map(|_| suggest_trampoline as _),
    };
    let argc = (argv.len() - 1) as c_int;
    unsafe { ffi::recom_mlir_opt_main(argc, argv.as_mut_ptr(), &spec) }
}

fn c_string(arg: OsString) -> Result<CString, String> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStringExt::into_vec(arg);
    #[cfg(not(unix))]
    let bytes = arg.to_string_lossy().into_owned().into_bytes();
    CString::new(bytes).map_err(|e| format!("a command-line argument contains a NUL byte: {e}"))
}

/// Strings of the tool's own making (flag names, descriptions).
fn cstring(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

fn write(sink: StringSink, sink_data: *mut c_void, text: &str) {
    unsafe { sink(sink_data, text.as_ptr() as *const c_char, text.len()) }
}

unsafe fn text<'a>(data: *const c_char) -> std::borrow::Cow<'a, str> {
    unsafe { CStr::from_ptr(data) }.to_string_lossy()
}

unsafe extern "C" fn import_trampoline(
    user_data: *const c_void,
    path: *const c_char,
    values: *const *const c_char,
    num_values: usize,
    sink: StringSink,
    sink_data: *mut c_void,
) -> c_int {
    let tool = unsafe { &*(user_data as *const OptMain) };
    let Some(importer) = &tool.importer else { return 0 };
    let path = unsafe { text(path) }.into_owned();
    // An empty std::vector may hand over a null pointer.
    let values: Vec<String> = if num_values == 0 {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(values, num_values) }.iter().map(|v| unsafe { text(*v) }.into_owned()).collect()
    };
    // A panic must not unwind into C++.
    match catch_unwind(AssertUnwindSafe(|| (importer.import)(&path, &values))) {
        Ok(Ok(None)) => 0,
        Ok(Ok(Some(mlir))) => {
            write(sink, sink_data, &mlir);
            1
        }
        Ok(Err(Reported)) => 2,
        Err(_) => {
            eprintln!("internal error: importing '{path}' panicked");
            2
        }
    }
}

unsafe extern "C" fn translate_trampoline(
    user_data: *const c_void,
    op: mlir_sys::MlirOperation,
    sink: StringSink,
    sink_data: *mut c_void,
) -> bool {
    let tool = unsafe { &*(user_data as *const OptMain) };
    let Some(translation) = &tool.translation else { return false };
    let op = unsafe { OperationRef::from_raw(op) };
    let fail = |message: String| {
        crate::diagnostics::emit_error(op.location(), &message);
        false
    };
    let module = unsafe { mlir_sys::mlirModuleFromOperation(op.to_raw()) };
    if module.ptr.is_null() {
        let name = crate::kit::identifier_text(op.name()).into_owned();
        return fail(format!("--{} translates a builtin.module, not '{name}'", translation.flag));
    }
    // The module belongs to MlirOptMain: never destroy it here.
    let module = ManuallyDrop::new(unsafe { Module::from_raw(module) });
    match catch_unwind(AssertUnwindSafe(|| (translation.translate)(&module))) {
        Ok(Ok(output)) => {
            write(sink, sink_data, &output);
            true
        }
        Ok(Err(Reported)) => false,
        Err(_) => fail(format!("internal error: --{} panicked", translation.flag)),
    }
}

unsafe extern "C" fn suggest_trampoline(
    user_data: *const c_void,
    message: *const c_char,
    len: usize,
    sink: StringSink,
    sink_data: *mut c_void,
) {
    let tool = unsafe { &*(user_data as *const OptMain) };
    let Some(suggest) = tool.suggest_pass else { return };
    let bytes = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(message as *const u8, len) } };
    let message = String::from_utf8_lossy(bytes);
    if let Ok(Some(hint)) = catch_unwind(AssertUnwindSafe(|| suggest(&message))) {
        write(sink, sink_data, &hint);
    }
}
