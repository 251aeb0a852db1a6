//! The GPU path end to end: compile, load the PTX, run, compare with the CPU
//! JIT on the same inputs. Where no CUDA driver is present (CI, this build
//! machine) the test says so and returns: it is skipped, visibly, not green
//! by accident. On a GPU machine, `recom-bench gpu` runs the same check on
//! the benchmark workloads.
use crate::model_ir::{module_for, table_name};
use recom_reference::synthetic::random_case;
use recom::{
    compile::compile,
    cpu::CpuExecutable,
    gpu::{compile_ptx, GpuOptions},
    runtime::{
        gpu::{driver_available, GpuModel},
        plan::Artifact,
    },
};
use std::collections::HashMap;

#[test]
fn gpu_matches_cpu_on_random_models() {
    if let Err(reason) = driver_available() {
        // Written past the test harness's capture, so the skip shows in every run.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED gpu_matches_cpu_on_random_models: {reason}");
        return;
    }
    let context = recom::create_context().unwrap();
    for seed in 0..50 {
        let (model, inputs) = random_case(seed, 10, 256);
        let tables: HashMap<String, Vec<f32>> =
            model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect();
        let mut module = module_for(&context, &model, "model");
        let compiled = compile(&context, &mut module).unwrap();
        let plan = compiled.plan.clone();
        let gpu_kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
        let mut module = module_for(&context, &model, "model");
        let cpu = compile(&context, &mut module).unwrap();
        let cpu = CpuExecutable::new(&context, cpu.kernel_module, cpu.plan).unwrap();
        let packed = plan.bind_tables(&tables).unwrap();
        let artifact = Artifact { plan, gpu: vec![gpu_kernel], cpu: None, weights: None, host_graph: None, summary: None };
        let gpu = GpuModel::load(&artifact, &packed, 0).unwrap();
        let expected = cpu.run(&packed, &inputs);
        let got = gpu.run(&inputs);
        match (expected, got) {
            (Ok(e), Ok(g)) => {
                let err = recom_reference::compare(&g, &e).unwrap_or_else(|m| panic!("seed {seed}: {m}")).max_rel;
                assert!(err <= 1e-5, "seed {seed}: max rel err {err}");
                // The output lent from page-locked staging is the same, and a
                // second request reuses the staging buffers.
                assert_eq!(gpu.run_with(&inputs, |lent| lent.to_vec()).unwrap(), g, "seed {seed}: run_with");
                assert_eq!(gpu.run(&inputs).unwrap(), g, "seed {seed}: second run");
            }
            (Err(e), Err(g)) => assert_eq!(e, g, "seed {seed}"),
            (e, g) => panic!("seed {seed}: CPU {e:?} vs GPU {g:?}"),
        }
    }
}
