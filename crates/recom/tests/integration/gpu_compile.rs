//! The GPU path's compile side (runs without a GPU): one kernel, PTX for
//! sm_90 with the launch metadata, and the compile time of a 2,000-column
//! model.
use crate::model_ir::module_for;
use recom_reference::synthetic::{random_case, workload, WorkloadSpec};
use recom::{
    compile::compile_with,
    gpu::{compile_ptx, GpuOptions},
    abi::kernel::Buffer,
};
use std::time::Instant;

#[test]
fn ptx_for_sm_90_with_launch_metadata() {
    let context = recom::create_context().unwrap();
    // The first random model with weights, the error policy and a string
    // transform: every buffer is a parameter.
    let model = (0..200u64)
        .map(|seed| random_case(seed, 6, 16).0)
        .find(|m| {
            m.columns.iter().any(|c| c.weighted)
                && m.columns.iter().any(|c| c.on_out_of_range == recom_reference::OutOfRange::Error)
                && m.columns.iter().any(|c| c.transform.as_ref().is_some_and(|t| t.takes_strings()))
        })
        .expect("a random model with every buffer");
    let mut module = module_for(&context, &model, "model");
    let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
    let kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
    assert!(kernel.ptx.contains(".target sm_90"), "{}", &kernel.ptx[..200]);
    assert!(kernel.ptx.contains(".version 8.0"));
    assert_eq!(kernel.ptx.matches(".entry ").count(), 1);
    assert!(!kernel.ptx.contains("__nv_"), "no libdevice calls");
    let mut params = kernel.params.clone();
    params.sort_by_key(|b| *b as usize);
    use Buffer::*;
    // Weights only where a column is weighted, the status word only where one
    // reports out-of-range ids (the transforms' functions are device
    // functions, not entries).
    let mut expected = vec![Tables, Ids, Offsets];
    if model.columns.iter().any(|c| c.weighted) {
        expected.push(Weights);
    }
    expected.extend([Items, Columns, Out]);
    if model.columns.iter().any(|c| c.on_out_of_range == recom_reference::OutOfRange::Error) {
        expected.push(Status);
    }
    // The kernel reads ids only: raw values (and the strings' bytes) are
    // the transform pass's, a PTX module of its own.
    assert_eq!(params, expected);
    assert_eq!(expected.len(), 8, "a model with weights and the error policy");
    let pass = kernel.transform.as_ref().expect("string transforms run in a pass of their own");
    assert_eq!(pass.ptx.matches(".entry ").count(), 1);
    let mut pass_params = pass.params.clone();
    pass_params.sort_by_key(|b| *b as usize);
    assert_eq!(pass_params, vec![Ids, Offsets, Items, Columns, Out, Bytes]);
    assert_eq!(kernel.threads, 64);
}

#[test]
fn bad_gpu_options_are_errors() {
    let context = recom::create_context().unwrap();
    let (model, _) = random_case(3, 2, 4);
    for (options, message) in [
        (GpuOptions { ptx: 60, ..Default::default() }, "sm_90 needs ptx between 78 and 90, got 60"),
        (GpuOptions { chip: "sm_75".into(), ..Default::default() }, "option 'chip' of 'recom-gpu-to-ptx' expects one of"),
        (GpuOptions { threads: 100, ..Default::default() }, "threads must be a multiple of 32"),
    ] {
        let mut module = module_for(&context, &model, "model");
        let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
        let e = compile_ptx(&context, compiled.kernel_module, &options).unwrap_err().to_string();
        assert!(e.contains(message), "{e}");
    }
}

/// The bar: < 10 s for a 2,000-column fused kernel on 2 cores. The
/// time is printed, not asserted (timing assertions are for benchmarks).
#[test]
fn two_thousand_columns_compile() {
    let context = recom::create_context().unwrap();
    let spec = WorkloadSpec { rows: (10, 20), ..WorkloadSpec::standard(2000, 1, 1, 1) };
    let (model, _) = workload(&spec);
    let start = Instant::now();
    let mut module = module_for(&context, &model, "model");
    let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
    let fused = start.elapsed();
    let kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
    println!(
        "2000 columns: IR + fusion + loops {:.3} s, to PTX {:.3} s total ({} bytes of PTX)",
        fused.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        kernel.ptx.len()
    );
    assert_eq!(compiled.plan.columns.len(), 2000);
}
