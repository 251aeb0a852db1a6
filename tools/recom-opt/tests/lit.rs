//! Runs the lit/FileCheck suite in `lit_tests/` against the recom-opt that
//! cargo just built, so the suite's result is part of `cargo test`.
use std::{path::PathBuf, process::Command};

fn llvm_bin() -> PathBuf {
    // The same prefix the build uses (.cargo/config.toml sets it).
    let prefix = option_env!("MLIR_SYS_220_PREFIX").unwrap_or("/usr/lib/llvm-22");
    PathBuf::from(prefix).join("bin")
}

#[test]
fn lit_suite() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lit_tests");
    let lit = llvm_bin().join("lit");
    assert!(
        lit.exists(),
        "{} is missing: run tools/install-deps.sh (llvm-22-tools provides lit and FileCheck)",
        lit.display()
    );
    let output = Command::new(&lit)
        .arg("-v")
        .arg(&root)
        .env("RECOM_OPT", env!("CARGO_BIN_EXE_recom-opt"))
        .env("MLIR_SYS_220_PREFIX", llvm_bin().parent().unwrap())
        .output()
        .expect("failed to start lit");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Show lit's summary in cargo's output (visible with --nocapture or on failure).
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(output.status.success(), "lit reported failures (see above)");
    assert!(stdout.contains("Passed"), "lit ran no test");
}
