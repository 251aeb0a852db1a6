//! Serving a model whose tables are placed on several GPUs
//! (`recom_runtime::shard`): the kernel cut into one part per GPU gives the
//! unsharded result bit for bit — on the CPU (the parts run one after
//! another) and on one GPU (one stream per part); refusals are the same.
use crate::model_ir::{module_for, table_name};
use recom::{
    compile::compile_with,
    cpu::CpuExecutable,
    runtime::plan::Plan,
};
use recom_reference::synthetic::random_case_with;
use std::collections::HashMap;

/// The tables placed table-wise on `gpus` GPUs (each could hold them all,
/// so none is split), balanced by the planner; deterministic per seed.
fn place(plan: &mut Plan, gpus: usize) {
    let loads = plan.table_loads(&[]);
    let total: u64 = loads.iter().map(|t| t.bytes()).sum();
    plan.sharding = Some(recom::abi::shard::plan(&loads, gpus, total.max(1)).unwrap());
}

/// Random models (every column kind and transform, half hostile) placed on
/// 2..=4 GPUs: the parts, run one after another on the CPU, answer exactly
/// as the whole kernel, or refuse the same request with the same error.
#[test]
fn sharded_cpu_runs_equal_the_whole_kernel() {
    let context = recom::create_context().unwrap();
    let mut parts_seen = 0;
    for seed in 0..60u64 {
        let (model, inputs) = random_case_with(seed, 10, 64, seed % 2 == 1);
        let tables: HashMap<String, Vec<f32>> = model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect();
        let mut module = module_for(&context, &model, "model");
        let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
        let mut plan = compiled.plan.clone();
        place(&mut plan, 2 + seed as usize % 3);
        let cpu = CpuExecutable::new(&context, compiled.kernel_module, plan).unwrap();
        let packed = cpu.plan().bind_tables(&tables).unwrap();
        let shards = cpu.plan().kernel_shards().unwrap();
        parts_seen += shards.iter().filter(|s| s.num_items() > 0).count();
        match (cpu.run(&packed, &inputs), cpu.run_sharded(&packed, &inputs)) {
            (Ok(whole), Ok(sharded)) => {
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                assert_eq!(bits(&whole), bits(&sharded), "seed {seed}: sharded differs");
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "seed {seed}"),
            (a, b) => panic!("seed {seed}: whole {:?} vs sharded {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }
    assert!(parts_seen > 60, "most models are spread over several parts ({parts_seen} parts with work)");
}

/// A table split by rows is refused by name (the runtime serves table-wise
/// placements), and so is a plan whose GPUs are missing.
#[test]
fn row_split_placements_are_refused_by_name() {
    let context = recom::create_context().unwrap();
    let (model, _) = random_case_with(3, 4, 8, false);
    let mut module = module_for(&context, &model, "model");
    let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
    let mut plan = compiled.plan.clone();
    let loads = plan.table_loads(&[]);
    let biggest = loads.iter().max_by_key(|t| t.bytes()).unwrap().clone();
    // GPUs of just over half the biggest table: it must be cut by rows.
    let memory = biggest.bytes() / 2 + biggest.row_bytes;
    let total: u64 = loads.iter().map(|t| t.bytes()).sum();
    plan.sharding = Some(recom::abi::shard::plan(&loads, (total / memory + 2) as usize, memory).unwrap());
    let e = plan.kernel_shards().unwrap_err().to_string();
    assert!(e.contains(&format!("table '{}' is split by rows", biggest.name)) && e.contains("table-wise placements only"), "{e}");
}

/// On one GPU, one stream per part (`GpuModel::load_on` with every part
/// on device 0): bit for bit the unsharded GPU result.
#[test]
fn sharded_gpu_streams_equal_the_whole_kernel() {
    use recom::{
        gpu::{compile_ptx, GpuOptions},
        runtime::{gpu::{driver_available, GpuModel}, plan::Artifact},
    };
    if let Err(reason) = driver_available() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED sharded_gpu_streams_equal_the_whole_kernel: {reason}");
        return;
    }
    let context = recom::create_context().unwrap();
    let mut parts_seen = 0;
    for seed in 0..24u64 {
        let (model, inputs) = random_case_with(seed, 10, 200, seed % 2 == 1);
        let tables: HashMap<String, Vec<f32>> = model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect();
        let mut module = module_for(&context, &model, "model");
        let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
        let whole_plan = compiled.plan.clone();
        let mut kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
        // The copy kernel: small requests move through page-locked memory.
        kernel.dense = recom::gpu::compile_dense_ptx(&context, &whole_plan.dense, &GpuOptions::default()).unwrap();
        let packed = whole_plan.bind_tables(&tables).unwrap();
        let whole = Artifact { plan: whole_plan.clone(), gpu: vec![kernel.clone()], cpu: None, weights: None, host_graph: None, summary: None };
        let whole = GpuModel::load(&whole, &packed, 0).unwrap();
        let gpus = 2 + seed as usize % 3;
        let mut plan = whole_plan;
        place(&mut plan, gpus);
        parts_seen += plan.kernel_shards().unwrap().iter().filter(|s| s.num_items() > 0).count();
        let sharded = Artifact { plan, gpu: vec![kernel], cpu: None, weights: None, host_graph: None, summary: None };
        // Every GPU missing but one: load refuses, naming the count...
        if let Err(e) = GpuModel::load(&sharded, &packed, 0) {
            assert!(e.to_string().contains(&format!("placed on {gpus} GPUs")), "{e}");
        }
        // ...unless told to run every part on GPU 0.
        let sharded = GpuModel::load_on(&sharded, &packed, &vec![0; gpus]).unwrap();
        // Twice: the parts' streams are reused.
        for _ in 0..2 {
            match (whole.run(&inputs), sharded.run(&inputs)) {
                (Ok(a), Ok(b)) => {
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                    assert_eq!(bits(&a), bits(&b), "seed {seed}: sharded differs");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "seed {seed}"),
                (a, b) => panic!("seed {seed}: whole {:?} vs sharded {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
        // The whole-model request: eager, captured with the parts' streams
        // forked and joined, then replayed.
        for n in 0..4 {
            match (whole.run_outputs(&inputs, &[], &[]), sharded.run_outputs(&inputs, &[], &[])) {
                (Ok(a), Ok(b)) => {
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                    assert_eq!(bits(&a[0]), bits(&b[0]), "seed {seed}, request {n}: sharded differs");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "seed {seed}"),
                (a, b) => panic!("seed {seed}, request {n}: whole {:?} vs sharded {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
    }
    println!("24 random models on 2-4 parts, {parts_seen} parts with work, one stream each: equal bit for bit");
}

/// Parts on GPUs of their own (`MultiGpuModel`), their columns gathered onto
/// GPU 0 by NCCL: bit for bit the unsharded GPU result, on as many GPUs as
/// the machine has (up to 4; one GPU: one part, NCCL with one rank). Bad
/// device lists are refused first, with or without a GPU.
#[test]
fn sharded_gpus_over_nccl_equal_the_whole_kernel() {
    use recom::{
        gpu::{compile_ptx, GpuOptions},
        runtime::{
            gpu::{driver_available, multi::{nccl_available, MultiGpuModel}, GpuModel},
            plan::Artifact,
        },
    };
    let context = recom::create_context().unwrap();
    let compile = |seed: u64, gpus: usize| {
        let (model, inputs) = random_case_with(seed, 10, 200, seed % 2 == 1);
        let tables: HashMap<String, Vec<f32>> = model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect();
        let mut module = module_for(&context, &model, "model");
        let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
        let kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
        let packed = compiled.plan.bind_tables(&tables).unwrap();
        let whole = Artifact { plan: compiled.plan.clone(), gpu: vec![kernel.clone()], cpu: None, weights: None, host_graph: None, summary: None };
        let mut plan = compiled.plan;
        place(&mut plan, gpus);
        let sharded = Artifact { plan, gpu: vec![kernel], cpu: None, weights: None, host_graph: None, summary: None };
        (inputs, packed, whole, sharded)
    };
    // Refusals: a device list of the wrong length, or a GPU twice.
    let (_, packed, _, two) = compile(0, 2);
    let err = |devices: &[usize]| MultiGpuModel::load(&two, &packed, devices).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(&[0]).contains("placed on 2 GPU(s), 1 device(s) were given"), "{}", err(&[0]));
    assert!(err(&[0, 0]).contains("each part needs a GPU of its own"), "{}", err(&[0, 0]));
    if let Err(reason) = driver_available().and_then(|()| nccl_available()) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED sharded_gpus_over_nccl_equal_the_whole_kernel (the refusals ran): {reason}");
        return;
    }
    let present = recom::runtime::gpu::device_count().unwrap();
    assert!(err(&[0, present]).contains(&format!("GPU {present} does not exist")), "{}", err(&[0, present]));
    let gpus = present.min(4);
    for seed in 0..12u64 {
        let (inputs, packed, whole, sharded) = compile(seed, gpus);
        let whole = GpuModel::load(&whole, &packed, 0).unwrap();
        let sharded = MultiGpuModel::load(&sharded, &packed, &(0..gpus).collect::<Vec<_>>()).unwrap();
        for _ in 0..2 {
            match (whole.run(&inputs), sharded.run(&inputs)) {
                (Ok(a), Ok(b)) => {
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                    assert_eq!(bits(&a), bits(&b), "seed {seed}: {gpus} GPUs over NCCL differ");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "seed {seed}"),
                (a, b) => panic!("seed {seed}: whole {:?} vs {gpus} GPUs {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
    }
    println!("12 random models on {gpus} GPU(s) over NCCL: equal bit for bit");
}

/// Tables made on the GPU (`Tables::Generated`: one block uploaded per
/// table, repeated by device copies) equal the same values made on the host
/// and uploaded, bit for bit: whole, every part on one GPU, and parts on
/// GPUs of their own over NCCL. Random models, and the benchmark's model of
/// tables beyond one GPU at a small size (tables longer than the block, so
/// the copies repeat it and the last one is partial).
#[test]
fn tables_made_on_the_gpu_equal_the_same_tables_uploaded() {
    use recom::{
        gpu::{compile_ptx, GpuOptions},
        runtime::{
            gpu::{device_count, driver_available, multi::{nccl_available, MultiGpuModel}, GeneratedTables, GpuModel, Tables},
            plan::Artifact,
        },
    };
    use recom_reference::synthetic::{beyond_one_gpu, workload};
    if let Err(reason) = driver_available() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED tables_made_on_the_gpu_equal_the_same_tables_uploaded: {reason}");
        return;
    }
    let with_nccl = nccl_available().is_ok();
    let gpus = device_count().unwrap().min(4);
    let context = recom::create_context().unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
    let mut cases: Vec<_> = (0..8u64).map(|seed| random_case_with(seed, 10, 100, seed % 2 == 1)).collect();
    let (beyond, beyond_inputs) = workload(&beyond_one_gpu(16 * 256 * 10_000, 64, 3));
    assert!(beyond.tables.iter().all(|t| t.rows > 2 * GeneratedTables::PERIOD_ROWS));
    cases.push((beyond, beyond_inputs));
    // Tables of other dims (pitches), each longer than a block (their
    // lengths in blocks are not whole numbers: the last copy is partial).
    let spec = recom_reference::synthetic::WorkloadSpec { rows: (5_000, 9_000), ..recom_reference::synthetic::WorkloadSpec::standard(6, 40, 3, 11) };
    let (long, long_inputs) = workload(&spec);
    assert!(long.tables.iter().all(|t| t.rows > GeneratedTables::PERIOD_ROWS));
    cases.push((long, long_inputs));
    for (case, (model, inputs)) in cases.iter().enumerate() {
        let generated = GeneratedTables { seed: case as u64 + 1 };
        let mut module = module_for(&context, model, "model");
        let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
        let kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
        let packed = compiled.plan.bind_tables(&generated.by_name(&compiled.plan)).unwrap();
        let whole = Artifact { plan: compiled.plan.clone(), gpu: vec![kernel.clone()], cpu: None, weights: None, host_graph: None, summary: None };
        let uploaded = GpuModel::load(&whole, &packed, 0).unwrap();
        let want = uploaded.run(inputs);
        let check = |got: Result<Vec<f32>, recom::runtime::plan::RunError>, how: &str| match (&want, got) {
            (Ok(a), Ok(b)) => assert_eq!(bits(a), bits(&b), "case {case}: {how} differs"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "case {case}: {how}"),
            (a, b) => panic!("case {case}: uploaded {:?} vs {how} {:?}", a.as_ref().map(|_| ()), b.map(|_| ())),
        };
        check(GpuModel::load_tables(&whole, Tables::Generated(generated), &[0]).unwrap().run(inputs), "made on the GPU");
        let mut plan = compiled.plan;
        place(&mut plan, 3);
        let sharded = Artifact { plan: plan.clone(), gpu: vec![kernel.clone()], cpu: None, weights: None, host_graph: None, summary: None };
        check(GpuModel::load_tables(&sharded, Tables::Generated(generated), &[0; 3]).unwrap().run(inputs), "3 parts made on one GPU");
        if with_nccl {
            place(&mut plan, gpus);
            let spread = Artifact { plan, gpu: vec![kernel], cpu: None, weights: None, host_graph: None, summary: None };
            let devices: Vec<usize> = (0..gpus).collect();
            check(MultiGpuModel::load_tables(&spread, Tables::Generated(generated), &devices).unwrap().run(inputs), "parts made on their GPUs");
        }
    }
    println!("10 models: tables made on the GPU equal the uploaded ones bit for bit (NCCL on {gpus} GPU(s): {with_nccl})");
}

/// The whole model on several GPUs (`MultiGpuModel::run_outputs_timed`):
/// the columns gathered onto GPU 0 by NCCL, then the dense layers there
/// (a ReLU layer, a width-1 head, a sigmoid) and one download. Random
/// models with that head: every output equals the model on one GPU
/// (`GpuModel::run_outputs`) bit for bit, refusals equal; on as many GPUs
/// as the machine has (up to 4; one GPU: NCCL with one rank).
#[test]
fn dense_layers_after_the_gpus_exchange_equal_one_gpu() {
    use recom::{
        abi::dense::{Activation, DenseProgram, Operand, OutputSpec, Step, WeightSpec},
        gpu::{compile_dense_ptx, compile_ptx, GpuOptions},
        runtime::{
            gpu::{device_count, driver_available, multi::{nccl_available, MultiGpuModel}, GpuModel},
            plan::Artifact,
        },
    };
    if let Err(reason) = driver_available().and_then(|()| nccl_available()) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED dense_layers_after_the_gpus_exchange_equal_one_gpu: {reason}");
        return;
    }
    let gpus = device_count().unwrap().min(4);
    let context = recom::create_context().unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
    for seed in 0..8u64 {
        let (model, inputs) = random_case_with(seed, 10, 120, seed % 2 == 1);
        let tables: HashMap<String, Vec<f32>> = model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect();
        let mut module = module_for(&context, &model, "model");
        let compiled = compile_with(&context, &mut module, "id-transforms=kernel").unwrap();
        let mut plan = compiled.plan.clone();
        let (k, hidden) = (plan.width, 8);
        plan.dense = DenseProgram {
            weights: vec![
                WeightSpec { name: "w0".into(), shape: vec![k, hidden] },
                WeightSpec { name: "b0".into(), shape: vec![hidden] },
                WeightSpec { name: "w1".into(), shape: vec![hidden, 1] },
                WeightSpec { name: "b1".into(), shape: vec![1] },
            ],
            steps: vec![
                Step::Linear { input: Operand::Embedding, weight: 0, bias: Some(1), activation: Activation::Relu, transpose_weight: false, width: hidden },
                Step::Linear { input: Operand::Step(0), weight: 2, bias: Some(3), activation: Activation::None, transpose_weight: false, width: 1 },
                Step::Map { inputs: vec![Operand::Step(1)], expr: "sigmoid(x0)".into(), width: 1 },
            ],
            precision: Default::default(),
        };
        // Even seeds return the embedding layer too (it lands with the
        // outputs); odd ones do not (it has a region of its own).
        plan.outputs = vec![
            OutputSpec { name: "logits".into(), source: Operand::Step(1), shape: vec![-1, 1] },
            OutputSpec { name: "prediction".into(), source: Operand::Step(2), shape: vec![-1, 1] },
        ];
        if seed % 2 == 0 {
            plan.outputs.insert(0, OutputSpec { name: "embedding".into(), source: Operand::Embedding, shape: vec![-1, k as i64] });
        }
        let outputs = plan.outputs.len();
        let weight = |n: usize, salt: usize| (0..n).map(|i| (((i * 7919 + salt * 104_729) % 2001) as f32 - 1000.0) / 4000.0).collect::<Vec<f32>>();
        let weights = vec![weight(k * hidden, 1), weight(hidden, 2), weight(hidden, 3), weight(1, 4)];
        let mut kernel = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
        kernel.dense = compile_dense_ptx(&context, &plan.dense, &GpuOptions::default()).unwrap();
        let packed = plan.bind_tables(&tables).unwrap();
        let whole = Artifact { plan: plan.clone(), gpu: vec![kernel.clone()], cpu: None, weights: None, host_graph: None, summary: None };
        let mut one = GpuModel::load(&whole, &packed, 0).unwrap();
        one.attach_dense(&weights).unwrap();
        place(&mut plan, gpus);
        let spread = Artifact { plan, gpu: vec![kernel], cpu: None, weights: None, host_graph: None, summary: None };
        let mut spread = MultiGpuModel::load(&spread, &packed, &(0..gpus).collect::<Vec<_>>()).unwrap();
        // Without the dense program loaded: a clear error.
        let e = spread.run_outputs_timed(&inputs, &[], &[]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("MultiGpuModel::attach_dense"), "{e}");
        spread.attach_dense(&weights).unwrap();
        // Dense inputs the program does not take (to a valid request: the
        // even seeds' are): an error before anything is uploaded, on both paths.
        if seed % 2 == 0 {
            for e in [one.run_outputs(&inputs, &[], &[vec![1.0]]).err(), spread.run_outputs_timed(&inputs, &[], &[vec![1.0]]).err()] {
                let e = e.map(|e| e.to_string()).unwrap_or_default();
                assert!(e.contains("0 host value(s), 1 were given"), "{e}");
            }
        }
        // Twice (buffers reused), then a request of another batch size.
        // The first half of the rows (a hostile column's offsets as they are).
        let smaller: Vec<_> = inputs
            .iter()
            .map(|c| {
                let rows = c.offsets.len().saturating_sub(1).div_ceil(2);
                let end = c.offsets.get(rows).map_or(0, |&e| (e.max(0) as usize).min(c.ids.len()));
                recom::abi::request::ColumnInput {
                    ids: c.ids[..end].to_vec(),
                    offsets: c.offsets[..(rows + 1).min(c.offsets.len())].to_vec(),
                    weights: c.weights.as_ref().map(|w| w[..end.min(w.len())].to_vec()),
                    bytes: c.bytes.clone(),
                }
            })
            .collect();
        for (n, request) in [&inputs, &inputs, &smaller].into_iter().enumerate() {
            match (one.run_outputs(request, &[], &[]), spread.run_outputs_timed(request, &[], &[])) {
                (Ok(a), Ok((b, _))) => {
                    assert_eq!(a.len(), outputs);
                    for (o, (x, y)) in a.iter().zip(&b).enumerate() {
                        assert_eq!(bits(x), bits(y), "seed {seed}, request {n}: output {o} on {gpus} GPU(s) differs");
                    }
                    // The same outputs lent in place.
                    let lent = one.run_outputs_with(request, &[], &[], |views| views.iter().map(|v| bits(v)).collect::<Vec<_>>()).unwrap();
                    assert_eq!(lent, a.iter().map(|v| bits(v)).collect::<Vec<_>>(), "seed {seed}, request {n}: lent outputs differ");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "seed {seed}, request {n}"),
                (a, b) => panic!("seed {seed}, request {n}: one GPU {:?} vs {gpus} GPUs {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
    }
    println!("8 random models with dense layers on {gpus} GPU(s) over NCCL: every output equal bit for bit");
}
