//! Compiles every benchmark workload's model and writes its artifact
//! (plan + PTX) to `<out>/<workload>.json`, and checks the CPU JIT against the
//! reference evaluator on each workload here (so the chain CPU = reference
//! = GPU is closed on the same inputs). `recom-bench gpu` reads the artifacts
//! on the GPU machine.
//!
//!   cargo run --release -p recom --example bench_artifacts -- <out> [--skip-cpu-check]
use recom::{
    compile::compile,
    cpu::CpuExecutable,
    gpu::{compile_ptx, GpuOptions},
    model_ir::{module_for, table_name},
    reference::{evaluate, synthetic::{benchmark_workloads, workload}},
    runtime::plan::Artifact,
};
use std::{collections::HashMap, time::Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("usage: bench_artifacts <out-dir> [--skip-cpu-check]"));
    let check_cpu = args.next().as_deref() != Some("--skip-cpu-check");
    std::fs::create_dir_all(&out).expect("output folder");
    let context = recom::create_context().expect("context");
    for (name, spec) in benchmark_workloads() {
        let (model, inputs) = workload(&spec);
        let start = Instant::now();
        let mut module = module_for(&context, &model, "embedding_layer");
        let compiled = compile(&context, &mut module).expect("compile");
        let plan = compiled.plan.clone();
        let kernel_module = compiled.kernel_module;
        let compile_time = start.elapsed();
        if check_cpu {
            // A second copy of the kernel module for the CPU JIT.
            let mut module = module_for(&context, &model, "embedding_layer");
            let cpu = compile(&context, &mut module).expect("compile");
            let cpu = CpuExecutable::new(&context, cpu.kernel_module, cpu.plan).expect("JIT");
            let tables: HashMap<String, Vec<f32>> =
                model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect();
            let packed = cpu.plan().bind_tables(&tables).expect("tables");
            let got = cpu.run(&packed, &inputs).expect("CPU run");
            let expected = evaluate(&model, &inputs).expect("reference");
            assert!(got == expected, "{name}: CPU JIT differs from the reference");
            eprintln!("{name}: CPU JIT == reference ({} values, bit-exact)", got.len());
        }
        let ptx_start = Instant::now();
        let gpu = compile_ptx(&context, kernel_module, &GpuOptions::default()).expect("PTX");
        let compile_time = compile_time + ptx_start.elapsed();
        let artifact = Artifact { plan, gpu: Some(gpu) };
        std::fs::write(out.join(format!("{name}.json")), artifact.to_json()).expect("write artifact");
        eprintln!("{name}: {} columns, IR to PTX in {:.3} s", spec.columns, compile_time.as_secs_f64());
    }
}
