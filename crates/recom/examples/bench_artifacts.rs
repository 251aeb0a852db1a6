//! Compiles every benchmark workload's model and writes its artifact
//! (plan + PTX) to `<out>/<workload>.json`, and checks the CPU JIT against the
//! reference evaluator on each workload here (so the chain CPU = reference
//! = GPU is closed on the same inputs). `recom-bench gpu` reads the artifacts
//! on the GPU machine.
//!
//!   cargo run --release -p recom --example bench_artifacts -- <out> [--skip-cpu-check] [VARIANT ...]
//!
//!   cargo run --release -p recom --example bench_artifacts -- <out> --beyond GIB:GPUS[:GPU_MEMORY_GIB[:SEED]]
//!
//! `--beyond` writes only the model of the benchmark of tables beyond one GPU
//! (`recom_reference::synthetic::beyond_one_gpu`, GIB GiB of tables, no
//! values: `recom-bench sharded` makes them on the GPUs), its tables placed on
//! GPUS GPUs of GPU_MEMORY_GIB (default 139) each, to
//! `<out>/beyond_<GIB>gib_<GPUS>gpu.json`.
//!
//! A VARIANT `name:elements-per-item:threads[:rows-per-item[:ids-per-iteration[:prefetch-ids[:index-bits]]]]`
//! (prefetch-ids 0 or 1; elements-per-item and index-bits 0 = chosen from the model) writes
//! `<out>/<name>/`; the default is `default:0:64`.
use recom::{
    compile::{compile, compile_with},
    cpu::CpuExecutable,
    gpu::{compile_ptx, GpuOptions},
    runtime::plan::Artifact,
};
use recom::symshape::expr::{Expr, Program};
use recom_reference::{evaluate, synthetic::{benchmark_workloads, workload}};

// The reference model as emb IR: the integration tests' helper.
#[path = "../tests/integration/model_ir.rs"]
mod model_ir;
use model_ir::{module_for, table_name};
use std::{collections::HashMap, time::Instant};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(args.remove(0));
    let check_cpu = !args.iter().any(|a| a == "--skip-cpu-check");
    let beyond = args.iter().position(|a| a == "--beyond").map(|at| {
        args.remove(at);
        args.remove(at)
    });
    let mut variants: Vec<(String, usize, u32, usize, usize, bool, u32)> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|v| {
            let parts: Vec<&str> = v.split(':').collect();
            (
                parts[0].to_string(),
                parts[1].parse().expect("elements-per-item"),
                parts[2].parse().expect("threads"),
                parts.get(3).map_or(1, |r| r.parse().expect("rows-per-item")),
                parts.get(4).map_or(2, |r| r.parse().expect("ids-per-iteration")),
                parts.get(5).is_none_or(|p| *p == "1"),
                parts.get(6).map_or(0, |b| b.parse().expect("index-bits")),
            )
        })
        .collect();
    if variants.is_empty() {
        variants.push(("default".into(), 0, 64, 1, 2, true, 0));
    }
    let context = recom::create_context().expect("context");
    if let Some(beyond) = beyond {
        let fields: Vec<u64> = beyond.split(':').map(|f| f.parse().expect("--beyond GIB:GPUS[:GPU_MEMORY_GIB[:SEED]]")).collect();
        let (gib, gpus, memory, seed) = (fields[0], fields[1], fields.get(2).copied().unwrap_or(139), fields.get(3).copied().unwrap_or(42));
        let spec = recom_reference::synthetic::beyond_one_gpu(gib << 30, 1, seed);
        let (model, _) = recom_reference::synthetic::workload_shapes(&spec);
        let mut module = module_for(&context, &model, "embedding_layer");
        let compiled = compile(&context, &mut module).expect("compile");
        let mut plan = compiled.plan;
        let loads = plan.table_loads(&[]);
        plan.sharding = Some(recom::abi::shard::plan(&loads, gpus as usize, memory << 30).expect("placing the tables"));
        let gpu = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).expect("PTX");
        std::fs::create_dir_all(&out).expect("output folder");
        let path = out.join(format!("beyond_{gib}gib_{gpus}gpu.json"));
        let artifact = Artifact { plan, gpu: vec![gpu], cpu: None, weights: None, host_graph: None, summary: None };
        std::fs::write(&path, artifact.to_json()).expect("write artifact");
        eprintln!("{}: {} tables, {} bytes, on {gpus} GPU(s)", path.display(), model.tables.len(), 4 * artifact.plan.packed_tables_len());
        return;
    }
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
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(cpu.run(&packed, &inputs).expect("CPU run"));
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            times.sort_by(f64::total_cmp);
            eprintln!("{name}: CPU JIT == reference ({} values, bit-exact); CPU request {:.1} ms (median of 5)", got.len(), times[2]);
        }
        // The host shape program's cost per request (sizes of every buffer and the grid).
        if let Some(program) = plan.shapes.as_ref() {
            let shapes = program.compile().expect("shape program");
            let reps = 2000;
            let start = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(shapes.evaluate(std::hint::black_box(&inputs)).expect("sizes"));
            }
            let per = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
            // The program alone, symbols gathered beforehand.
            let exprs: Vec<Expr> = program.exprs.iter().map(|e| e.parse().unwrap()).collect();
            let compiled = Program::new(&exprs);
            let values: Vec<i64> = (0..program.symbols.len() as i64).collect();
            let mut out = Vec::new();
            let start = Instant::now();
            for _ in 0..reps {
                compiled.eval_into(std::hint::black_box(&values), &mut out).unwrap();
            }
            let alone = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
            eprintln!("{name}: shape program ({} symbols, {} results) {per:.2} us per request ({alone:.2} us evaluating {} instructions)", program.symbols.len(), program.exprs.len(), compiled.len());
        }
        let ptx_start = Instant::now();
        let gpu = compile_ptx(&context, kernel_module, &GpuOptions::default()).expect("PTX");
        let compile_time = compile_time + ptx_start.elapsed();
        eprintln!("{name}: {} columns, IR to PTX in {:.3} s", spec.columns, compile_time.as_secs_f64());
        drop((plan, gpu));
        for (variant, per_item, threads, rows, unroll, prefetch, index_bits) in &variants {
            let mut module = module_for(&context, &model, "embedding_layer");
            let options = format!(
                "elements-per-item={per_item} rows-per-item={rows} ids-per-iteration={unroll} prefetch-ids={prefetch} index-bits={index_bits}"
            );
            let compiled = compile_with(&context, &mut module, &options).expect("compile");
            let options = GpuOptions { threads: *threads, ..GpuOptions::default() };
            let gpu = compile_ptx(&context, compiled.kernel_module, &options).expect("PTX");
            let dir = out.join(variant);
            std::fs::create_dir_all(&dir).expect("output folder");
            let artifact = Artifact { plan: compiled.plan, gpu: vec![gpu], cpu: None, weights: None, host_graph: None, summary: None };
            std::fs::write(dir.join(format!("{name}.json")), artifact.to_json()).expect("write artifact");
        }
    }
}
