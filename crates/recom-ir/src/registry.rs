//! recom passes and pipelines, described as data.
//!
//! A pass is a [`PassDef`]: its pipeline argument, summary, anchor, typed
//! options and a `run` function. [`PassDef::register`] makes it nameable in
//! pipeline strings (`builtin.module(recom-verify,canonicalize)`) through the
//! C++ shim; [`create_pass`] gives a [`melior::pass::Pass`] to add to any pass
//! manager directly. A pipeline is a [`PipelineDef`]: typed options and a
//! function from option values to an ordered list of stages.
use crate::ffi::{self, RecomPassSpec, RecomPipelineSpec, StringSink};
use indexmap::IndexMap;
use melior::{ir::operation::OperationRef, pass::Pass};
use std::{
    collections::HashMap,
    ffi::{c_char, c_void, CStr, CString},
    fmt,
    sync::{LazyLock, Mutex},
};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Options(String),
}

/// The type of an option's value.
#[derive(Clone, Copy, Debug)]
pub enum OptionKind {
    Bool,
    /// A signed 64-bit integer.
    Int,
    /// An integer in `[min, max]`.
    IntIn(i64, i64),
    /// One of the listed integers.
    IntOf(&'static [i64]),
    String,
    /// One of the listed words.
    Enum(&'static [&'static str]),
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionKind::Bool => f.write_str("bool"),
            OptionKind::Int => f.write_str("int"),
            OptionKind::IntIn(min, max) => write!(f, "int in [{min}, {max}]"),
            OptionKind::IntOf(values) => write!(f, "{}", values.iter().map(i64::to_string).collect::<Vec<_>>().join("|")),
            OptionKind::String => f.write_str("string"),
            OptionKind::Enum(words) => write!(f, "{}", words.join("|")),
        }
    }
}

/// One option of a pass or pipeline. Passes and pipelines read a value by
/// its definition (`options.int(&ELEMENTS_PER_ITEM)`), so a misspelt option
/// is a compile error; a pipeline that forwards a pass's option shares its
/// definition.
#[derive(Debug)]
pub struct OptionDef {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: OptionKind,
    pub default: &'static str,
}

/// A typed option value.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Bool(bool),
    Int(i64),
    String(String),
}

/// Option values after parsing, in declaration order.
#[derive(Clone, Debug, Default)]
pub struct OptionValues {
    values: IndexMap<&'static str, OptionValue>,
}

impl OptionValues {
    /// Parses `(name, text)` pairs against `defs`; missing options take their
    /// default. `owner` names the pass or pipeline in error messages.
    pub fn parse<'a>(
        owner: &str,
        defs: &'static [OptionDef],
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RegistryError> {
        let mut texts: IndexMap<&str, &str> = defs.iter().map(|d| (d.name, d.default)).collect();
        for (name, text) in given {
            match texts.get_mut(name) {
                Some(slot) => *slot = text,
                None => {
                    let known: Vec<&str> = defs.iter().map(|d| d.name).collect();
                    return Err(RegistryError::Options(format!(
                        "'{owner}' has no option '{name}' (options: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    )));
                }
            }
        }
        let mut values = IndexMap::new();
        for def in defs {
            let text = texts[def.name];
            let bad = |what: &str| {
                RegistryError::Options(format!(
                    "option '{}' of '{owner}' expects {what}, got '{text}'",
                    def.name
                ))
            };
            let value = match def.kind {
                OptionKind::Bool => match text {
                    "true" | "1" | "" => OptionValue::Bool(true),
                    "false" | "0" => OptionValue::Bool(false),
                    _ => return Err(bad("true or false")),
                },
                OptionKind::Int => OptionValue::Int(text.parse().map_err(|_| bad("an integer"))?),
                OptionKind::IntIn(min, max) => {
                    let value: i64 = text.parse().map_err(|_| bad(&format!("an integer in [{min}, {max}]")))?;
                    if !(min..=max).contains(&value) {
                        return Err(bad(&format!("an integer in [{min}, {max}]")));
                    }
                    OptionValue::Int(value)
                }
                OptionKind::IntOf(choices) => {
                    let words: Vec<String> = choices.iter().map(i64::to_string).collect();
                    let value: i64 = text.parse().map_err(|_| bad(&format!("one of {}", words.join(", "))))?;
                    if !choices.contains(&value) {
                        return Err(bad(&format!("one of {}", words.join(", "))));
                    }
                    OptionValue::Int(value)
                }
                OptionKind::String => OptionValue::String(text.to_string()),
                OptionKind::Enum(words) => {
                    if !words.contains(&text) {
                        return Err(bad(&format!("one of {}", words.join(", "))));
                    }
                    OptionValue::String(text.to_string())
                }
            };
            values.insert(def.name, value);
        }
        Ok(OptionValues { values })
    }

    /// Parses MLIR's option syntax: `name=value` pairs separated by spaces;
    /// values may be quoted or wrapped in braces.
    pub fn parse_text(owner: &str, defs: &'static [OptionDef], text: &str) -> Result<Self, RegistryError> {
        let pairs = split_option_text(text).map_err(RegistryError::Options)?;
        Self::parse(owner, defs, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The value of a bool option. Values were checked when parsed; an
    /// option the owner did not declare reads as its definition's default.
    pub fn bool(&self, def: &OptionDef) -> bool {
        match self.values.get(def.name) {
            Some(OptionValue::Bool(b)) => *b,
            _ => matches!(def.default, "true" | "1"),
        }
    }

    /// The value of an integer option (see [`Self::bool`]).
    pub fn int(&self, def: &OptionDef) -> i64 {
        match self.values.get(def.name) {
            Some(OptionValue::Int(i)) => *i,
            _ => def.default.parse().unwrap_or_default(),
        }
    }

    /// The value of a string or enum option (see [`Self::bool`]).
    pub fn str(&self, def: &OptionDef) -> &str {
        match self.values.get(def.name) {
            Some(OptionValue::String(s)) => s,
            _ => def.default,
        }
    }

    /// Renders the values back in MLIR's option syntax.
    pub fn to_text(&self) -> String {
        self.values
            .iter()
            .map(|(k, v)| match v {
                OptionValue::Bool(b) => format!("{k}={b}"),
                OptionValue::Int(i) => format!("{k}={i}"),
                OptionValue::String(s) if s.contains(' ') || s.is_empty() => format!("{k}=\"{s}\""),
                OptionValue::String(s) => format!("{k}={s}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn split_option_text(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            let mut depth = 0usize;
            let mut quote = false;
            while let Some(&c) = chars.peek() {
                match c {
                    '"' => quote = !quote,
                    '{' if !quote => depth += 1,
                    '}' if !quote => depth = depth.saturating_sub(1),
                    c if c.is_whitespace() && !quote && depth == 0 => break,
                    _ => {}
                }
                value.push(c);
                chars.next();
            }
            if quote {
                return Err(format!("unterminated quote in options '{text}'"));
            }
            if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                value = value[1..value.len() - 1].to_string();
            }
        }
        pairs.push((key, value));
    }
}

/// Why a pass failed. Located diagnostics are emitted by the pass itself;
/// this only carries a count for the summary.
#[derive(Debug)]
pub struct PassFailure;

/// A recom pass.
pub struct PassDef {
    /// The name used in pipeline strings, e.g. `recom-verify`.
    pub argument: &'static str,
    /// CamelCase name, e.g. `RecomVerify`.
    pub name: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// The operation the pass runs on, or `None` for any operation.
    pub anchor: Option<&'static str>,
    pub options: &'static [OptionDef],
    /// Runs the pass; emits located diagnostics and returns `Err` on failure.
    /// Called from MLIR's thread pool, so it must not keep shared mutable state.
    pub run: fn(&OptionValues, OperationRef) -> Result<(), PassFailure>,
}

/// A check of option values taken together (see [`PipelineDef::check`]).
pub type OptionsCheck = fn(&OptionValues) -> Result<(), String>;

/// A named pipeline: typed options and the ordered stages they produce.
/// Each stage is a pipeline element valid inside `builtin.module(...)`, e.g.
/// `recom-verify` or `func.func(canonicalize)`.
pub struct PipelineDef {
    pub argument: &'static str,
    pub summary: &'static str,
    pub options: &'static [OptionDef],
    /// Checks option values together (e.g. a PTX version too old for a chip),
    /// before any stage is built.
    pub check: Option<OptionsCheck>,
    pub stages: fn(&OptionValues) -> Vec<String>,
}

impl PipelineDef {
    /// The stages for the given option text (MLIR's `a=1 b=x` syntax).
    pub fn stages_for(&self, options: &str) -> Result<Vec<String>, RegistryError> {
        let values = OptionValues::parse_text(self.argument, self.options, options)?;
        if let Some(check) = self.check {
            check(&values).map_err(|e| RegistryError::Options(format!("'{}': {e}", self.argument)))?;
        }
        Ok((self.stages)(&values))
    }

    /// Registers the pipeline under its argument (once per process).
    pub fn register(&'static self) {
        let mut registered = PIPELINES.lock().unwrap_or_else(|e| e.into_inner());
        if registered.contains_key(self.argument) {
            return;
        }
        let spec = Box::leak(Box::new(RecomPipelineSpec {
            argument: leak_cstr(self.argument),
            description: leak_cstr(self.summary),
            user_data: self as *const PipelineDef as *const c_void,
            build: build_pipeline,
        }));
        unsafe { ffi::recom_register_pipeline(spec) };
        registered.insert(self.argument, self);
    }
}

impl PassDef {
    fn spec(&'static self) -> &'static RecomPassSpec {
        let mut specs = PASS_SPECS.lock().unwrap_or_else(|e| e.into_inner());
        let key = self as *const PassDef as usize;
        specs.entry(key).or_insert_with(|| {
            let names: Vec<*const c_char> = self.options.iter().map(|o| leak_cstr(o.name)).collect();
            let descriptions: Vec<*const c_char> =
                self.options.iter().map(|o| leak_cstr(&format!("{} ({})", o.description, o.kind))).collect();
            let defaults: Vec<*const c_char> = self.options.iter().map(|o| leak_cstr(o.default)).collect();
            Box::leak(Box::new(RecomPassSpec {
                argument: leak_cstr(self.argument),
                name: leak_cstr(self.name),
                description: leak_cstr(self.summary),
                anchor: leak_cstr(self.anchor.unwrap_or("")),
                num_options: self.options.len(),
                option_names: Box::leak(names.into_boxed_slice()).as_ptr(),
                option_descriptions: Box::leak(descriptions.into_boxed_slice()).as_ptr(),
                option_defaults: Box::leak(defaults.into_boxed_slice()).as_ptr(),
                user_data: self as *const PassDef as *const c_void,
                validate: validate_pass_options,
                run: run_pass,
            }))
        })
    }

    /// Registers the pass under its argument (once per process).
    pub fn register(&'static self) {
        let mut registered = PASSES.lock().unwrap_or_else(|e| e.into_inner());
        if registered.contains_key(self.argument) {
            return;
        }
        unsafe { ffi::recom_register_pass(self.spec()) };
        registered.insert(self.argument, self);
    }
}

/// A pass instance for any pass manager, with options in MLIR's text syntax
/// (e.g. `"strict=true"`; `""` for defaults).
pub fn create_pass(def: &'static PassDef, options: &str) -> Result<Pass, RegistryError> {
    let raw = unsafe { ffi::recom_create_pass(def.spec()) };
    if !options.is_empty() {
        let mut message = String::new();
        let ok = unsafe {
            ffi::recom_pass_set_options(
                raw,
                ffi::string_ref(options),
                ffi::append_to_string,
                &mut message as *mut String as *mut c_void,
            )
        };
        if !ok {
            // The pass was never handed to a pass manager: destroy it here.
            unsafe { ffi::recom_destroy_pass(raw) };
            return Err(RegistryError::Options(message));
        }
    }
    Ok(unsafe { Pass::from_raw(raw) })
}

/// recom passes registered so far, by argument.
pub fn registered_recom_passes() -> Vec<&'static PassDef> {
    PASSES.lock().unwrap_or_else(|e| e.into_inner()).values().copied().collect()
}

/// recom pipelines registered so far, by argument.
pub fn registered_recom_pipelines() -> Vec<&'static PipelineDef> {
    PIPELINES.lock().unwrap_or_else(|e| e.into_inner()).values().copied().collect()
}

/// MLIR's own listing of every registered pass and pipeline, upstream ones
/// included (the text `mlir-opt --help` shows).
pub fn registered_passes_text() -> String {
    let mut text = String::new();
    unsafe { ffi::recom_registered_passes_text(ffi::append_to_string, &mut text as *mut String as *mut c_void) };
    text
}

/// Arguments of every registered pass (upstream and recom) and of recom's
/// pipelines (MLIR's listing has no way to enumerate pipelines).
pub fn registered_pass_names() -> Vec<String> {
    let pipelines = registered_recom_pipelines().into_iter().map(|p| p.argument.to_string());
    registered_passes_text()
        .lines()
        .filter_map(|line| {
            // Entries are indented by two spaces, their options by more.
            let rest = line.strip_prefix("  --")?;
            let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            (!name.is_empty()).then_some(name)
        })
        .chain(pipelines)
        .collect()
}

type Registry<T> = LazyLock<Mutex<IndexMap<&'static str, &'static T>>>;
static PASSES: Registry<PassDef> = LazyLock::new(Default::default);
static PIPELINES: Registry<PipelineDef> = LazyLock::new(Default::default);
static PASS_SPECS: LazyLock<Mutex<HashMap<usize, &'static RecomPassSpec>>> = LazyLock::new(Default::default);

fn leak_cstr(s: &str) -> *const c_char {
    CString::new(s).expect("registry strings have no NUL").into_raw()
}

unsafe fn option_pairs<'a>(
    def: &'static PassDef,
    values: *const *const c_char,
    num_values: usize,
) -> Vec<(&'static str, std::borrow::Cow<'a, str>)> {
    // An empty std::vector may hand over a null pointer.
    let values = if num_values == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(values, num_values) } };
    def.options
        .iter()
        .zip(values)
        .map(|(d, v)| (d.name, unsafe { CStr::from_ptr(*v) }.to_string_lossy()))
        .collect()
}

unsafe extern "C" fn validate_pass_options(
    user_data: *const c_void,
    values: *const *const c_char,
    num_values: usize,
    sink: StringSink,
    sink_data: *mut c_void,
) -> bool {
    let def = unsafe { &*(user_data as *const PassDef) };
    let pairs = unsafe { option_pairs(def, values, num_values) };
    match OptionValues::parse(def.argument, def.options, pairs.iter().map(|(k, v)| (*k, v.as_ref()))) {
        Ok(_) => true,
        Err(e) => {
            let message = e.to_string();
            unsafe { sink(sink_data, message.as_ptr() as *const c_char, message.len()) };
            false
        }
    }
}

unsafe extern "C" fn run_pass(
    user_data: *const c_void,
    op: mlir_sys::MlirOperation,
    values: *const *const c_char,
    num_values: usize,
) -> bool {
    let def = unsafe { &*(user_data as *const PassDef) };
    let pairs = unsafe { option_pairs(def, values, num_values) };
    let op = unsafe { OperationRef::from_raw(op) };
    let options = match OptionValues::parse(def.argument, def.options, pairs.iter().map(|(k, v)| (*k, v.as_ref()))) {
        Ok(options) => options,
        Err(e) => {
            use melior::ir::operation::OperationLike;
            crate::diagnostics::emit_error(op.location(), &e.to_string());
            return false;
        }
    };
    // A panic must not unwind into C++.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (def.run)(&options, op).is_ok())).unwrap_or_else(|_| {
        use melior::ir::operation::OperationLike;
        crate::diagnostics::emit_error(op.location(), &format!("internal error: pass '{}' panicked", def.argument));
        false
    })
}

unsafe extern "C" fn build_pipeline(
    user_data: *const c_void,
    options: *const c_char,
    options_len: usize,
    sink: StringSink,
    sink_data: *mut c_void,
) -> bool {
    let def = unsafe { &*(user_data as *const PipelineDef) };
    // An empty StringRef may carry a null pointer.
    let options = if options_len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(options as *const u8, options_len) } };
    let (ok, text) = match def.stages_for(&String::from_utf8_lossy(options)) {
        Ok(stages) => (true, stages.join(",")),
        Err(e) => (false, e.to_string()),
    };
    unsafe { sink(sink_data, text.as_ptr() as *const c_char, text.len()) };
    ok
}
