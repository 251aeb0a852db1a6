//! The corpus's TensorFlow models end to end on the CPU path: import the
//! frozen GraphDef, raise it (`recom-tf-raise`), compile (`recom-default`),
//! JIT the kernel, feed each batch's placeholders through the host program,
//! and compare with TensorFlow's `input_layer_output` (max abs err <= 1e-6).
use melior::pass::PassManager;
use recom::{
    compile::{compile, compile_graph, Options},
    cpu::CpuExecutable,
    import::import_graph,
};
use recom::runtime::host::{Feed, FeedType};
use std::{collections::HashMap, path::PathBuf};

/// One request from feeds to the `[B, ΣD]` output, on CPU or GPU.
type RunFeeds = dyn Fn(&[Feed]) -> Result<Vec<f32>, recom::runtime::plan::RunError>;

fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(dir.is_dir(), "the corpus is missing at {} (shared/ must sit beside the checkout)", dir.display());
    dir
}

type Npz = npyz::npz::NpzArchive<std::io::BufReader<std::fs::File>>;

fn array<T: npyz::Deserialize>(npz: &mut Npz, name: &str) -> (Vec<usize>, Vec<T>) {
    let npy = npz.by_name(name).unwrap().unwrap_or_else(|| panic!("{name} missing from the batch"));
    let shape = npy.shape().iter().map(|&d| d as usize).collect();
    (shape, npy.into_vec().unwrap())
}

/// The feed for input `name` from a batch file (`in.<name with / as .>`).
fn feed(npz: &mut Npz, name: &str, dtype: FeedType) -> Feed {
    let key = format!("in.{}", name.replace('/', "."));
    match dtype {
        FeedType::I64 => {
            let (shape, data) = array::<i64>(npz, &key);
            Feed::I64 { shape, data }
        }
        FeedType::F32 => {
            let (shape, data) = array::<f32>(npz, &key);
            Feed::F32 { shape, data }
        }
        FeedType::Str => {
            let (_, utf8) = array::<u8>(npz, &format!("{key}.utf8"));
            let (_, offsets) = array::<i64>(npz, &format!("{key}.offsets"));
            let data: Vec<Vec<u8>> = offsets.windows(2).map(|w| utf8[w[0] as usize..w[1] as usize].to_vec()).collect();
            // The shape from the fixed-width array's header (e.g. [B, 2] for a dense input).
            let npy = npz.by_name(&key).unwrap().unwrap_or_else(|| panic!("{key} missing from the batch"));
            let shape = npy.shape().iter().map(|&d| d as usize).collect();
            Feed::Str { shape, data }
        }
    }
}

/// Where a model runs.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Cpu,
    Gpu,
}

/// Max abs error of recom's output (CPU JIT or GPU) against TensorFlow's,
/// per batch.
fn run_model(model: &str, batches_of: &str, target: Target) -> Vec<(usize, f32)> {
    let context = recom::create_context().unwrap();
    let graph = recom_tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
    let imported = import_graph(&context, &graph, &format!("{model}/model.pb"), "graph", &["input_layer_output"]).unwrap();
    let mut module = imported.module;
    let compiled = compile_graph(&context, &mut module, &Options::default()).unwrap_or_else(|e| panic!("{model}: {e}"));
    let stages: Vec<&str> = compiled.stages.iter().map(|(s, _)| s.name()).collect();
    assert_eq!(stages, ["raise", "fuse", "plan", "kernel"], "{model}");
    let plan = compiled.plan.clone();
    let tables: HashMap<String, Vec<f32>> = plan
        .tables
        .iter()
        // Synthetic identity tables (indicator, numeric columns) are the runtime's.
        .filter(|slot| recom::abi::kernel::identity_table_size(&slot.name).is_none())
        .map(|slot| {
            let tensor = &imported.weights[&slot.name];
            let recom_tf::tensor::Values::F32(values) = recom_tf::tensor::values(tensor).unwrap() else {
                panic!("{model}: table {} is not float", slot.name)
            };
            (slot.name.clone(), values)
        })
        .collect();
    let packed = plan.bind_tables(&tables).unwrap();
    let run: Box<RunFeeds> = match target {
        Target::Cpu => {
            let executable = CpuExecutable::new(&context, compiled.kernel_module, compiled.plan).unwrap();
            let packed = packed.clone();
            Box::new(move |feeds| executable.run_feeds(&packed, feeds))
        }
        Target::Gpu => {
            let kernel = recom::gpu::compile_ptx(&context, compiled.kernel_module, &recom::gpu::GpuOptions::default()).unwrap();
            let artifact = recom::runtime::plan::Artifact { plan: compiled.plan, gpu: vec![kernel], cpu: None, weights: None, host_graph: None, summary: None };
            let gpu = recom::runtime::gpu::GpuModel::load(&artifact, &packed, 0).unwrap();
            Box::new(move |feeds| gpu.run_feeds(feeds))
        }
    };
    let mut errors = Vec::new();
    for batch in [1, 37, 512] {
        let mut npz = Npz::open(corpus().join(batches_of).join(format!("batch_b{batch}.npz"))).unwrap();
        let feeds: Vec<Feed> = plan.feeds.iter().map(|spec| feed(&mut npz, &spec.name, spec.dtype)).collect();
        let got = run(&feeds).unwrap_or_else(|e| panic!("{model}, B = {batch}: {e}"));
        let (_, expected) = array::<f32>(&mut npz, "out.input_layer_output");
        let diff = recom_reference::compare(&got, &expected).unwrap_or_else(|e| panic!("{model}, B = {batch}: {e}"));
        let err = diff.max_abs as f32;
        assert!(err <= 1e-6, "{model}, B = {batch}: max abs err {err:e} vs TensorFlow");
        errors.push((batch, err));
    }
    errors
}

/// The corpus models on the GPU (skipped, visibly, without a CUDA driver).
#[test]
fn corpus_models_on_gpu() {
    require_corpus!("corpus_models_on_gpu");
    if let Err(reason) = recom::runtime::gpu::driver_available() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED corpus_models_on_gpu: {reason}");
        return;
    }
    for (model, batches) in [("tiny", "tiny"), ("tiny_legacy", "tiny"), ("medium", "medium"), ("medium_legacy", "medium")] {
        let errors = run_model(model, batches, Target::Gpu);
        println!("{model} on the GPU: max abs err vs TensorFlow per batch {errors:?}");
    }
}

#[test]
fn tiny_models_reproduce_tensorflow() {
    require_corpus!("tiny_models_reproduce_tensorflow");
    for (model, batches) in [("tiny", "tiny"), ("tiny_legacy", "tiny")] {
        let errors = run_model(model, batches, Target::Cpu);
        println!("{model}: max abs err vs TensorFlow per batch {errors:?}");
    }
}

#[test]
fn medium_models_reproduce_tensorflow() {
    require_corpus!("medium_models_reproduce_tensorflow");
    for (model, batches) in [("medium", "medium"), ("medium_legacy", "medium")] {
        let errors = run_model(model, batches, Target::Cpu);
        println!("{model}: max abs err vs TensorFlow per batch {errors:?}");
    }
}

/// Counts ops per dialect prefix ("tf." / "emb.") in printed IR, by op name.
fn op_counts(ir: &str) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in ir.lines() {
        let Some(start) = line.find("\"tf.").or_else(|| line.find("\"emb.")) else { continue };
        let name: String = line[start + 1..].chars().take_while(|&c| c != '"').collect();
        *counts.entry(name).or_default() += 1;
    }
    counts
}

fn total(counts: &std::collections::BTreeMap<String, usize>, prefix: &str) -> usize {
    counts.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v).sum()
}

/// The raising report: TF nodes before, what each stage of recom-tf-raise
/// removed, the emb ops after; and no tf op is left in any corpus model.
#[test]
fn raising_report() {
    require_corpus!("raising_report");
    let context = recom::create_context().unwrap();
    let pipeline = recom::passes::find_pipeline("recom-tf-raise").unwrap();
    for model in ["tiny", "tiny_legacy", "medium", "medium_legacy"] {
        let graph = recom_tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
        let mut module = import_graph(&context, &graph, model, "graph", &["input_layer_output"]).unwrap().module;
        // The embedding layer: what input_layer_output depends on.
        let pm = melior::pass::PassManager::new(&context);
        recom::add_pipeline(&pm, "builtin.module(func.func(tf-erase-dead))").unwrap();
        assert!(pm.run(&mut module).is_ok());
        let imported = op_counts(&module.as_operation().to_string());
        let consts = imported.get("tf.Const").copied().unwrap_or(0);
        println!(
            "## {model}: {} TF nodes in the graph; the embedding layer is {} nodes ({} of them Const)",
            graph.node.len(),
            total(&imported, "tf."),
            consts
        );
        // Each stage, then dead tf ops erased, so a stage is credited with
        // the ops it made dead.
        let mut before = imported;
        for stage in pipeline.stages_for("").unwrap() {
            let pm = melior::pass::PassManager::new(&context);
            recom::add_pipeline(&pm, &format!("builtin.module({stage},func.func(tf-erase-dead))")).unwrap();
            assert!(pm.run(&mut module).is_ok(), "{model}: stage {stage} failed");
            let after = op_counts(&module.as_operation().to_string());
            let removed = total(&before, "tf.") as i64 - total(&after, "tf.") as i64;
            let added_emb = total(&after, "emb.") as i64 - total(&before, "emb.") as i64;
            println!("| {stage} | -{removed} tf | +{added_emb} emb |");
            before = after;
        }
        let emb: Vec<String> = before.iter().filter(|(k, _)| k.starts_with("emb.")).map(|(k, v)| format!("{k} {v}")).collect();
        println!("after: {} tf ops; {}", total(&before, "tf."), emb.join(", "));
        assert_eq!(total(&before, "tf."), 0, "{model}: tf ops left after raising");
        assert_eq!(before.get("emb.concat"), Some(&1), "{model}: one input layer");
    }
}

/// Symbolic shapes on the imported corpus models: the input layer is
/// [B, width] with one batch symbol shared by every column.
#[test]
fn corpus_models_have_symbolic_shapes() {
    require_corpus!("corpus_models_have_symbolic_shapes");
    let context = recom::create_context().unwrap();
    for (model, width) in [("tiny", 18), ("tiny_legacy", 18), ("medium", 393), ("medium_legacy", 393)] {
        let graph = recom_tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
        let mut module = import_graph(&context, &graph, model, "graph", &["input_layer_output"]).unwrap().module;
        let pm = PassManager::new(&context);
        recom::add_pipeline(
            &pm,
            "builtin.module(tf-remove-identity,func.func(tf-raise-feeds),func.func(tf-erase-dead),func.func(tf-infer-shapes))",
        )
        .unwrap();
        assert!(pm.run(&mut module).is_ok(), "{model}");
        let ir = module.as_operation().to_string();
        let concat = ir.lines().find(|l| l.contains("\"tf.ConcatV2\"") && l.contains("f32") && l.contains(&format!("{width}]\"]"))).unwrap_or_else(|| panic!("{model}: no [B, {width}] input layer"));
        let shapes = &concat[concat.find("symshape.shapes").unwrap()..];
        let batch = shapes.split('"').nth(1).unwrap().trim_start_matches('[').split(',').next().unwrap().to_string();
        assert!(batch.starts_with('s'), "{model}: the batch is a symbol, got {shapes}");
        let ops = ir.lines().filter(|l| l.contains("\"tf.")).count();
        // The `symshape.shapes = ["...", ...]` attribute of a line.
        let shapes_of = |l: &str| -> Option<String> {
            let start = l.find("symshape.shapes = [")?;
            let end = start + l[start..].find("\"]")?;
            Some(l[start..end].to_string())
        };
        let unknown = ir.lines().filter(|l| l.contains("\"tf.") && shapes_of(l).is_some_and(|s| s.contains("\"?"))).count();
        let symbols = ir.lines().filter(|l| l.contains("\"symshape.symbol\"")).count();
        let merged = ir.lines().filter(|l| l.contains("\"symshape.symbol\"") && l.contains("equal_to")).count();
        println!("{model}: input layer [{batch}, {width}]; {symbols} symbols ({merged} merged); {unknown} of {ops} tf ops with an unknown shape");
        assert_eq!(unknown, 0, "{model}: every op of the embedding layer has a rule");
    }
}

/// ShapeConstruct on the corpus models: every shape computation of the
/// embedding layer is gone, re-rooted on one symshape.shape_construct (or
/// folded to constants, or proven a no-op).
#[test]
fn corpus_models_shape_construct() {
    require_corpus!("corpus_models_shape_construct");
    let context = recom::create_context().unwrap();
    // A shape op: a tf op (not a constant) whose every result's content is known.
    let shape_ops = |ir: &str| {
        ir.lines().filter(|l| l.contains("\"tf.") && !l.contains("\"tf.Const\"") && l.contains("symshape.values") && !l.contains("\"?\"")).count()
    };
    for model in ["tiny", "tiny_legacy", "medium", "medium_legacy"] {
        let graph = recom_tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
        let mut module = import_graph(&context, &graph, model, "graph", &["input_layer_output"]).unwrap().module;
        let pm = PassManager::new(&context);
        recom::add_pipeline(&pm, "builtin.module(tf-remove-identity,func.func(tf-raise-feeds),func.func(tf-erase-dead),func.func(tf-infer-shapes))")
            .unwrap();
        assert!(pm.run(&mut module).is_ok(), "{model}");
        let before = shape_ops(&module.as_operation().to_string());
        let pm = PassManager::new(&context);
        recom::add_pipeline(&pm, "builtin.module(func.func(tf-shape-construct),func.func(tf-erase-dead),recom-verify)").unwrap();
        assert!(pm.run(&mut module).is_ok(), "{model}");
        let ir = module.as_operation().to_string();
        let after = shape_ops(&ir);
        let constructs = ir.matches("\"symshape.shape_construct\"").count();
        let results = ir.lines().find(|l| l.contains("\"symshape.shape_construct\"")).and_then(|l| l.split(':').nth(1)).unwrap_or("").split_whitespace().next().unwrap_or("").to_string();
        println!("{model}: {before} shape ops before, {after} after; {constructs} shape_construct ({results} results)");
        assert_eq!(after, 0, "{model}: shape ops left");
        assert_eq!(constructs, 1, "{model}: one shape_construct per function");
    }
}

/// The first `batch` rows of a request: sparse inputs keep the entries of
/// those rows (a prefix: indices are in row order), dense inputs their rows.
/// `indices_of` maps a values feed to its SparseTensor's indices feed.
fn first_rows(specs: &[recom::runtime::host::FeedSpec], feeds: &[Feed], indices_of: &HashMap<String, String>, batch: usize) -> Vec<Feed> {
    let by_name: HashMap<&str, &Feed> = specs.iter().map(|s| s.name.as_str()).zip(feeds).collect();
    let kept = |indices: &str| -> usize {
        match by_name[indices] {
            Feed::I64 { data, .. } => data.chunks_exact(2).take_while(|e| (e[0] as usize) < batch).count(),
            _ => unreachable!("indices are int64"),
        }
    };
    specs
        .iter()
        .zip(feeds)
        .map(|(spec, feed)| {
            let name = spec.name.as_str();
            let prefix = |n: usize| match feed {
                Feed::I64 { shape, data } => {
                    let k: usize = shape[1..].iter().product();
                    Feed::I64 { shape: [vec![n], shape[1..].to_vec()].concat(), data: data[..n * k].to_vec() }
                }
                Feed::F32 { shape, data } => {
                    let k: usize = shape[1..].iter().product();
                    Feed::F32 { shape: [vec![n], shape[1..].to_vec()].concat(), data: data[..n * k].to_vec() }
                }
                Feed::Str { shape, data } => {
                    let k: usize = shape[1..].iter().product();
                    Feed::Str { shape: [vec![n], shape[1..].to_vec()].concat(), data: data[..n * k].to_vec() }
                }
            };
            if name.ends_with("/indices") {
                prefix(kept(name))
            } else if let Some(indices) = indices_of.get(name) {
                prefix(kept(indices))
            } else if name.ends_with("/shape") {
                match feed {
                    Feed::I64 { shape, data } => Feed::I64 { shape: shape.clone(), data: vec![batch as i64, data[1]] },
                    _ => unreachable!("dense shapes are int64"),
                }
            } else {
                prefix(batch)
            }
        })
        .collect()
}

/// Dynamic batch: ONE compiled model serves any batch. Requests made of the
/// first B rows of the 512-row batch (B random) give the first B rows of
/// TensorFlow's output, and the shape program sizes the output as B x width.
#[test]
fn one_compiled_model_serves_any_batch() {
    require_corpus!("one_compiled_model_serves_any_batch");
    let context = recom::create_context().unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for (model, batches) in [("tiny", "tiny"), ("tiny_legacy", "tiny"), ("medium", "medium"), ("medium_legacy", "medium")] {
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(corpus().join(batches).join("manifest.json")).unwrap()).unwrap();
        let mut indices_of = HashMap::new();
        for input in manifest["inputs"].as_array().unwrap() {
            let feature = input["feature"].as_str().unwrap();
            let owner = input["weights_of"].as_str().unwrap_or(feature);
            indices_of.insert(format!("{feature}/values"), format!("{owner}/indices"));
        }
        let graph = recom_tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
        let imported = import_graph(&context, &graph, model, "graph", &["input_layer_output"]).unwrap();
        let mut module = imported.module;
        let pm = PassManager::new(&context);
        recom::add_pipeline(&pm, "builtin.module(recom-tf-raise)").unwrap();
        assert!(pm.run(&mut module).is_ok());
        let compiled = compile(&context, &mut module).unwrap();
        assert!(compiled.plan.shapes.is_some(), "{model}: the plan has its shape program");
        let width = compiled.plan.width;
        let tables: HashMap<String, Vec<f32>> = compiled
            .plan
            .tables
            .iter()
            .filter(|slot| recom::abi::kernel::identity_table_size(&slot.name).is_none())
            .map(|slot| {
                let recom_tf::tensor::Values::F32(values) = recom_tf::tensor::values(&imported.weights[&slot.name]).unwrap() else {
                    unreachable!()
                };
                (slot.name.clone(), values)
            })
            .collect();
        let packed = compiled.plan.bind_tables(&tables).unwrap();
        let executable = CpuExecutable::new(&context, compiled.kernel_module, compiled.plan).unwrap();
        let specs = executable.plan().feeds.clone();
        let mut npz = Npz::open(corpus().join(batches).join("batch_b512.npz")).unwrap();
        let feeds: Vec<Feed> = specs.iter().map(|spec| feed(&mut npz, &spec.name, spec.dtype)).collect();
        let (_, expected) = array::<f32>(&mut npz, "out.input_layer_output");
        let mut sizes = vec![1, 512];
        sizes.extend((0..4).map(|_| 2 + next(509)));
        for batch in sizes {
            let request = first_rows(&specs, &feeds, &indices_of, batch);
            let got = executable.run_feeds(&packed, &request).unwrap_or_else(|e| panic!("{model}, B = {batch}: {e}"));
            let diff = recom_reference::compare(&got, &expected[..batch * width]).unwrap_or_else(|e| panic!("{model}, B = {batch}: {e}"));
            let err = diff.max_abs as f32;
            assert!(err <= 1e-6, "{model}, B = {batch}: max abs err {err:e}");
            println!("{model}, B = {batch}: {} values, max abs err {err:e}", got.len());
        }
    }
}
