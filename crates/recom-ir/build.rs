//! Compiles the C++ shim (pass/pipeline registration by name, parsing with a
//! file name) against Debian's LLVM/MLIR 22 headers.
use std::{env, path::PathBuf};

fn main() {
    let prefix = env::var("MLIR_SYS_220_PREFIX").unwrap_or_else(|_| "/usr/lib/llvm-22".into());
    let include = PathBuf::from(&prefix).join("include");
    println!("cargo:rerun-if-changed=cpp/shim.cpp");
    println!("cargo:rerun-if-env-changed=MLIR_SYS_220_PREFIX");
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .include(&include)
        .flag("-fno-exceptions")
        .flag("-fno-rtti")
        .flag_if_supported("-Wno-unused-parameter")
        .file("cpp/shim.cpp")
        .compile("recom_ir_shim");
}
