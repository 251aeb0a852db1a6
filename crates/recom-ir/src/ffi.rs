//! Declarations of the C++ shim in `cpp/shim.cpp`.
use mlir_sys::{MlirContext, MlirLocation, MlirModule, MlirOperation, MlirPass, MlirStringRef};
use std::ffi::{c_char, c_int, c_void};

pub type StringSink = unsafe extern "C" fn(sink_data: *mut c_void, data: *const c_char, len: usize);

#[repr(C)]
pub struct RecomPassSpec {
    pub argument: *const c_char,
    pub name: *const c_char,
    pub description: *const c_char,
    pub anchor: *const c_char,
    pub num_options: usize,
    pub option_names: *const *const c_char,
    pub option_descriptions: *const *const c_char,
    pub option_defaults: *const *const c_char,
    pub user_data: *const c_void,
    pub validate: unsafe extern "C" fn(
        user_data: *const c_void,
        values: *const *const c_char,
        num_values: usize,
        sink: StringSink,
        sink_data: *mut c_void,
    ) -> bool,
    pub run: unsafe extern "C" fn(
        user_data: *const c_void,
        op: MlirOperation,
        values: *const *const c_char,
        num_values: usize,
    ) -> bool,
}

#[repr(C)]
pub struct RecomPipelineSpec {
    pub argument: *const c_char,
    pub description: *const c_char,
    pub user_data: *const c_void,
    pub build: unsafe extern "C" fn(
        user_data: *const c_void,
        options: *const c_char,
        options_len: usize,
        sink: StringSink,
        sink_data: *mut c_void,
    ) -> bool,
}

/// `RecomOptMainSpec` in shim.cpp: what recom-opt adds to MlirOptMain.
#[repr(C)]
pub struct RecomOptMainSpec {
    pub tool_description: *const c_char,
    pub irdl: *const c_char,
    pub irdl_len: usize,
    pub user_data: *const c_void,
    pub import_option: *const c_char,
    pub import_option_description: *const c_char,
    pub import: Option<
        unsafe extern "C" fn(
            user_data: *const c_void,
            path: *const c_char,
            values: *const *const c_char,
            num_values: usize,
            sink: StringSink,
            sink_data: *mut c_void,
        ) -> c_int,
    >,
    pub translate_flag: *const c_char,
    pub translate_description: *const c_char,
    pub translate: Option<
        unsafe extern "C" fn(user_data: *const c_void, op: MlirOperation, sink: StringSink, sink_data: *mut c_void) -> bool,
    >,
    pub suggest_pass: Option<
        unsafe extern "C" fn(
            user_data: *const c_void,
            message: *const c_char,
            len: usize,
            sink: StringSink,
            sink_data: *mut c_void,
        ),
    >,
}

// The specs are leaked on registration and only read afterwards.
unsafe impl Send for RecomPassSpec {}
unsafe impl Sync for RecomPassSpec {}
unsafe impl Send for RecomPipelineSpec {}
unsafe impl Sync for RecomPipelineSpec {}

unsafe extern "C" {
    pub fn recom_register_pass(spec: *const RecomPassSpec);
    pub fn recom_create_pass(spec: *const RecomPassSpec) -> MlirPass;
    pub fn recom_pass_set_options(
        pass: MlirPass,
        options: MlirStringRef,
        sink: StringSink,
        sink_data: *mut c_void,
    ) -> bool;
    pub fn recom_destroy_pass(pass: MlirPass);
    pub fn recom_register_pipeline(spec: *const RecomPipelineSpec);
    pub fn recom_parse_module(ctx: MlirContext, source: MlirStringRef, name: MlirStringRef) -> MlirModule;
    pub fn recom_registered_passes_text(sink: StringSink, sink_data: *mut c_void);
    pub fn recom_emit_warning(location: MlirLocation, message: *const c_char);
    pub fn recom_emit_diagnostic(
        location: MlirLocation,
        severity: c_int,
        message: *const c_char,
        num_notes: usize,
        note_locations: *const MlirLocation,
        note_messages: *const *const c_char,
    );
    pub fn recom_mlir_opt_main(argc: c_int, argv: *mut *mut c_char, spec: *const RecomOptMainSpec) -> c_int;
}

/// A [`StringSink`] that appends to a `String` passed as `sink_data`.
pub unsafe extern "C" fn append_to_string(sink_data: *mut c_void, data: *const c_char, len: usize) {
    let out = unsafe { &mut *(sink_data as *mut String) };
    let bytes = unsafe { std::slice::from_raw_parts(data as *const u8, len) };
    out.push_str(&String::from_utf8_lossy(bytes));
}

pub fn string_ref(s: &str) -> MlirStringRef {
    MlirStringRef { data: s.as_ptr() as *const c_char, length: s.len() }
}
