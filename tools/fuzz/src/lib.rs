//! The fuzz targets (`targets/`), their seeds (`seeds.rs`) and what they
//! share: a scratch folder per process, the bundled example model compiled
//! once, and a decoder that turns fuzz bytes into a request of hostile
//! feeds. One binary (`src/main.rs`) runs them all: every binary that links
//! recom carries all of MLIR (~300 MB), so one per target filled the disk
//! of a CI machine.
//!
//! Every target treats any panic as a finding (libFuzzer's panic hook
//! aborts), even one the library would catch and turn into an error: the
//! guards are a safety net, the code behind them must not panic at all.
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use recom::serve::{compile_model, CompileOptions, Device, Model};
use recom_host::{Feed, FeedSpec, FeedType};
use std::path::{Path, PathBuf};

pub mod seeds;
pub mod targets {
    pub mod artifact;
    pub mod graphdef;
    pub mod request;
}

/// A folder of this process's own under the temp dir (`run.sh` points
/// TMPDIR at a RAM disk where there is one, and removes it after), made on
/// first use.
pub fn scratch() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("recom-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    })
}

/// The repository's bundled example model (`examples/medium/model.pb`).
pub fn example_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/medium/model.pb")
}

/// Compile options for fuzzing: the CPU kernel only (no PTX to build).
pub fn cpu_options() -> CompileOptions {
    CompileOptions { chips: Vec::new(), ..CompileOptions::default() }
}

/// The example model compiled into `scratch()/example.recom` (once).
pub fn example_bundle() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let out = scratch().join("example.recom");
        compile_model(&example_model(), &out, &cpu_options(), &mut |_| {}).expect("the bundled example compiles");
        out
    })
}

thread_local! {
    /// The example bundle loaded for the CPU (the JIT runs once per process).
    static EXAMPLE: Model = Model::load(example_bundle(), Device::Cpu).expect("the example bundle loads");
}

/// Runs `f` with the loaded example model.
pub fn with_example<R>(f: impl FnOnce(&Model) -> R) -> R {
    EXAMPLE.with(f)
}

/// The example's recorded batch (inputs of `examples/medium/batch_b37.npz`).
pub fn example_batch() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/medium/batch_b37.npz")
}

/// Integers where id arithmetic goes wrong.
fn edge_i64(u: &mut Unstructured) -> ArbResult<i64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => 0,
        1 => -1,
        2 => i64::MAX,
        3 => i64::MIN,
        4 => u.int_in_range(-4..=4)?,
        5 => u.int_in_range(0..=1_000_000)?,
        _ => u.arbitrary()?,
    })
}

/// Floats where bucketizing and pooling go wrong.
fn edge_f32(u: &mut Unstructured) -> ArbResult<f32> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => f32::NEG_INFINITY,
        3 => -0.0,
        4 => 0.0,
        5 => f32::MAX,
        6 => f32::MIN_POSITIVE / 2.0,
        7 => u.int_in_range(-100..=100)? as f32 * 0.5,
        _ => f32::from_bits(u.arbitrary()?),
    })
}

/// A dimension: mostly small, sometimes zero, sometimes absurd.
fn dim(u: &mut Unstructured) -> ArbResult<usize> {
    Ok(match u.int_in_range(0..=15u8)? {
        0 => 0,
        1 => usize::MAX,
        2 => 1 << 40,
        3 => u.arbitrary::<u32>()? as usize,
        _ => u.int_in_range(1..=40)?,
    })
}

/// The request the bytes describe: for each input the model takes (an
/// input may be dropped or repeated, its dtype swapped), a shape and values
/// drawn towards the edges. Data lengths usually match the shape, never
/// more than 64 Ki values are materialized whatever the shape claims.
pub fn request(u: &mut Unstructured, specs: &[FeedSpec]) -> ArbResult<Vec<Feed>> {
    let mut feeds = Vec::with_capacity(specs.len());
    for spec in specs {
        match u.int_in_range(0..=31u8)? {
            0 => continue,
            1 => feeds.push(Feed::F32 { shape: vec![1], data: vec![0.0] }),
            _ => {}
        }
        let dtype = if u.ratio(1, 24)? { *u.choose(&[FeedType::I64, FeedType::F32, FeedType::Str])? } else { spec.dtype };
        let shape: Vec<usize> = match (&spec.shape, u.ratio(1, 8)?) {
            (Some(want), false) => {
                let batch = dim(u)?;
                want.iter().map(|&d| if d < 0 { batch } else { d as usize }).collect()
            }
            _ => (0..u.int_in_range(0..=3)?).map(|_| dim(u)).collect::<ArbResult<_>>()?,
        };
        let claimed = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).unwrap_or(usize::MAX);
        let mut len = claimed.min(1 << 16);
        if u.ratio(1, 16)? {
            len = u.int_in_range(0..=len.saturating_add(2).min(1 << 16))?;
        }
        feeds.push(match dtype {
            FeedType::I64 => Feed::I64 { shape, data: (0..len).map(|_| edge_i64(u)).collect::<ArbResult<_>>()? },
            FeedType::F32 => Feed::F32 { shape, data: (0..len).map(|_| edge_f32(u)).collect::<ArbResult<_>>()? },
            FeedType::Str => Feed::Str {
                shape,
                data: (0..len)
                    .map(|_| -> ArbResult<Vec<u8>> {
                        Ok(match u.int_in_range(0..=5u8)? {
                            0 => Vec::new(),
                            1 => "é,ü x\u{0}".as_bytes().to_vec(),
                            2 => vec![0xff, 0xfe, b',', 0x80],
                            _ => u.arbitrary::<&[u8]>()?.iter().copied().take(64).collect(),
                        })
                    })
                    .collect::<ArbResult<_>>()?,
            },
        });
    }
    if u.ratio(1, 32)? {
        feeds.push(Feed::I64 { shape: vec![1], data: vec![7] });
    }
    Ok(feeds)
}

/// A fuzz target: its name on the command line, the longest input worth
/// trying, and the function that runs one input.
pub struct Target {
    pub name: &'static str,
    pub max_len: usize,
    pub run: fn(&[u8]),
}

/// Every fuzz target.
pub const TARGETS: [Target; 3] = [
    Target { name: "graphdef", max_len: 1_200_000, run: targets::graphdef::run },
    Target { name: "artifact", max_len: 4_000_000, run: targets::artifact::run },
    Target { name: "request", max_len: 200_000, run: targets::request::run },
];

extern "C" {
    fn LLVMFuzzerRunDriver(
        argc: *mut std::ffi::c_int,
        argv: *mut *mut *mut std::ffi::c_char,
        callback: unsafe extern "C" fn(*const u8, usize) -> std::ffi::c_int,
    ) -> std::ffi::c_int;
    /// Defined by `fuzz_target!` in `main.rs`.
    fn LLVMFuzzerTestOneInput(data: *const u8, size: usize) -> std::ffi::c_int;
}

/// Hands `args` (libFuzzer's flags and folders; the first is the program
/// name) to libFuzzer's driver, which calls `fuzz_target!`'s entry point.
///
/// The binary is not `#![no_main]` (libFuzzer's own `main`): the static
/// MLIR libraries it links carry `mlir-opt`'s `main` too, and the linker
/// would take whichever it meets first.
pub fn run_driver(args: impl IntoIterator<Item = std::ffi::OsString>) -> ! {
    let args: Vec<std::ffi::CString> = args
        .into_iter()
        .map(|a| std::ffi::CString::new(a.into_encoded_bytes()).expect("no NUL in arguments"))
        .collect();
    let mut pointers: Vec<*mut std::ffi::c_char> = args.iter().map(|a| a.as_ptr() as *mut _).chain([std::ptr::null_mut()]).collect();
    let mut argc = args.len() as std::ffi::c_int;
    let mut argv = pointers.as_mut_ptr();
    // SAFETY: argv is a NULL-terminated array of C strings that outlive the call.
    let code = unsafe { LLVMFuzzerRunDriver(&mut argc, &mut argv, LLVMFuzzerTestOneInput) };
    std::process::exit(code)
}
