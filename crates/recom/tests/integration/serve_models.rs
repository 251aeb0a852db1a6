//! Whole models through the user's path (`recom::serve`): compile the
//! corpus's GraphDefs with every output they record into a bundle, load it,
//! run each batch file and compare every output with TensorFlow's
//! (max abs err <= 1e-5); and the bundle is untrusted input.
use recom::{
    runtime::npz::Batch,
    serve::{compile_model, CompileOptions, Device, Model},
};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("recom-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The outputs TensorFlow recorded for a model (`out.<name>` in its batches).
fn outputs_of(batches_of: &str) -> Vec<String> {
    let batch = Batch::open(&corpus().join(batches_of).join("batch_b1.npz")).unwrap();
    let mut names: Vec<String> = batch.names().into_iter().filter_map(|n| n.strip_prefix("out.").map(String::from)).collect();
    names.sort();
    names
}

fn compile(model: &str, batches_of: &str, chips: &[&str]) -> PathBuf {
    compile_with(model, batches_of, chips, false)
}

/// Every corpus model, with the batches it is checked on.
const ALL_MODELS: [(&str, &str); 14] = [
    ("tiny", "tiny"),
    ("tiny_legacy", "tiny"),
    ("medium", "medium"),
    ("medium_legacy", "medium"),
    ("zoo_1", "zoo_1"),
    ("zoo_2", "zoo_2"),
    ("zoo_2_legacy", "zoo_2"),
    ("zoo_3", "zoo_3"),
    ("zoo_4", "zoo_4"),
    ("zoo_5", "zoo_5"),
    ("zoo_5_legacy", "zoo_5"),
    ("zoo_6", "zoo_6"),
    ("dlrm_small", "dlrm_small"),
    ("keras_wide_deep", "keras_wide_deep"),
];

/// With `kernel_transforms`, hashes, vocabularies and bucketize run in the
/// fused kernel (`--id-transforms kernel`).
fn compile_with(model: &str, batches_of: &str, chips: &[&str], kernel_transforms: bool) -> PathBuf {
    // A folder of this call's own: tests compiling the same model run at
    // the same time (one removing its folder while another loads it).
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = scratch(&format!("{model}-{call}.recom"));
    let options = CompileOptions {
        outputs: outputs_of(batches_of),
        chips: chips.iter().map(|s| s.to_string()).collect(),
        kernel: recom::compile::Options { kernel_id_transforms: kernel_transforms, ..Default::default() },
        ..Default::default()
    };
    compile_model(&corpus().join(model).join("model.pb"), &out, &options, &mut |_| {}).unwrap_or_else(|e| panic!("{model}: {e}"));
    out
}

/// Max abs error per output over the batches: the feature-column embedding
/// layer within 1e-6 of TensorFlow (the fused kernel sums a bag's rows in
/// TensorFlow's SparseSegment* order; what is left is max_norm clipping and
/// the weighted columns' products), Keras' dnn_input within 2e-6 (Eigen's
/// vectorized reductions, the corpus README's bound for an independent
/// implementation), the dense outputs within 1e-5.
fn check(model: &Model, batches_of: &str) -> Vec<(usize, String, f64)> {
    let mut report = Vec::new();
    let names = outputs_of(batches_of);
    for b in [1, 37, 512] {
        let path = corpus().join(batches_of).join(format!("batch_b{b}.npz"));
        let mut batch = Batch::open(&path).unwrap();
        let feeds = batch.feeds(&model.plan().feeds).unwrap();
        let outputs = model.run(&feeds).unwrap_or_else(|e| panic!("{batches_of} B = {b}: {e}"));
        for name in &names {
            let name = name.as_str();
            let (shape, got) = &outputs[name];
            let (want_shape, want) = batch.output(name).unwrap().unwrap();
            assert_eq!(shape, &want_shape, "{batches_of} B = {b}: {name} shape");
            let (i, g, w, err) = recom::runtime::compare_outputs(got, &want).unwrap().unwrap();
            let tolerance = match name {
                "input_layer_output" => 1e-6,
                "dnn_input" => 2e-6,
                _ => 1e-5,
            };
            assert!(err <= tolerance, "{batches_of} B = {b}: {name}: max abs err {err:e} at {i} (got {g}, expected {w})");
            report.push((b, name.to_string(), err));
        }
    }
    report
}

#[test]
fn corpus_predictions_on_cpu() {
    require_corpus!("corpus_predictions_on_cpu");
    for (model, batches) in [("tiny", "tiny"), ("tiny_legacy", "tiny"), ("medium", "medium"), ("medium_legacy", "medium")] {
        let bundle = compile(model, batches, &[]);
        let loaded = Model::load(&bundle, Device::Cpu).unwrap();
        println!("{model} on the CPU: {:?}", check(&loaded, batches));
        check_hostile(&loaded, &bundle, batches);
        let _ = std::fs::remove_dir_all(&bundle);
    }
}

/// The models whose columns recom does not all raise yet: what is not raised
/// runs on the host (TensorFlow's evaluator), the rest in the fused kernel.
#[test]
fn zoo_dlrm_keras_predictions_on_cpu() {
    require_corpus!("zoo_dlrm_keras_predictions_on_cpu");
    // Every corpus model after tiny and medium (both lowerings).
    let models = &ALL_MODELS[4..];
    for &(model, batches) in models {
        let bundle = compile(model, batches, &[]);
        let loaded = Model::load(&bundle, Device::Cpu).unwrap();
        println!("{model} on the CPU: {:?}", check(&loaded, batches));
        check_hostile(&loaded, &bundle, batches);
        let _ = std::fs::remove_dir_all(&bundle);
    }
}

#[test]
fn corpus_predictions_on_gpu() {
    require_corpus!("corpus_predictions_on_gpu");
    if let Err(reason) = recom::runtime::gpu::driver_available() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED corpus_predictions_on_gpu: {reason}");
        return;
    }
    for (model, batches) in [("tiny", "tiny"), ("medium", "medium"), ("zoo_3", "zoo_3"), ("dlrm_small", "dlrm_small")] {
        let bundle = compile(model, batches, &["sm_80", "sm_90"]);
        let loaded = Model::load(&bundle, Device::Gpu).unwrap();
        println!("{model} on the GPU: {:?}", check(&loaded, batches));
        check_hostile(&loaded, &bundle, batches);
        let _ = std::fs::remove_dir_all(&bundle);
    }
}

/// Every corpus model with its id transforms (hashes, vocabularies,
/// bucketize) in the fused kernel: TensorFlow's outputs, and hostile
/// requests answered as the reference path answers them. Returns, per
/// model, the transforms absorbed.
fn kernel_transforms_reproduce_tensorflow(device: Device, chips: &[&str]) {
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for (model, batches) in ALL_MODELS {
        let bundle = compile_with(model, batches, chips, true);
        let loaded = Model::load(&bundle, device).unwrap();
        let mut mine: std::collections::BTreeMap<String, usize> = Default::default();
        for c in &loaded.plan().columns {
            if let Some(t) = &c.transform {
                *mine.entry(format!("{:?}", recom::abi::kernel::TransformKind::of(t))).or_default() += 1;
            }
        }
        println!("{model} on the {device:?}, transforms in the kernel {mine:?}: {:?}", check(&loaded, batches));
        check_hostile(&loaded, &bundle, batches);
        for (k, n) in mine {
            *kinds.entry(k).or_default() += n;
        }
        let _ = std::fs::remove_dir_all(&bundle);
    }
    // The corpus has every kind of transform the kernel runs.
    assert_eq!(kinds.len(), 5, "transforms absorbed over the corpus: {kinds:?}");
}

#[test]
fn corpus_kernel_transforms_on_cpu() {
    require_corpus!("corpus_kernel_transforms_on_cpu");
    kernel_transforms_reproduce_tensorflow(Device::Cpu, &[]);
}

#[test]
fn corpus_kernel_transforms_on_gpu() {
    require_corpus!("corpus_kernel_transforms_on_gpu");
    if let Err(reason) = recom::runtime::gpu::driver_available() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED corpus_kernel_transforms_on_gpu: {reason}");
        return;
    }
    kernel_transforms_reproduce_tensorflow(Device::Gpu, &["sm_80", "sm_90"]);
}

/// Hostile requests made from the model's B = 37 batch (one row, empty and
/// 64x longer bags, values at the edges: ids out of range under every
/// policy, NaN/±inf/−0.0, empty and non-UTF-8 strings) answer as the
/// reference path does, or are refused by both.
fn check_hostile(model: &Model, bundle: &Path, batches_of: &str) {
    use recom_reference::served;
    let read = recom::runtime::bundle::Bundle::read(bundle).unwrap();
    let reference = served::model(&read).unwrap();
    let specs = &model.plan().feeds;
    let feeds = Batch::open(&corpus().join(batches_of).join("batch_b37.npz")).unwrap().feeds(specs).unwrap();
    let mut refused = 0;
    for (name, feeds) in served::hostile_variants(specs, &feeds).unwrap() {
        let want = served::outputs(&read, &reference, &feeds);
        let got = model.run(&feeds).map_err(|e| e.to_string());
        refused += want.is_err() as usize;
        match served::agree(&got, &want, |_| 1e-6) {
            Ok(how) => println!("  {name}: {how}"),
            Err(e) => panic!("{}: {name} on the {:?}: {e}", bundle.display(), model.device),
        }
    }
    println!("{}: hostile requests: all agree with the reference ({refused} refused by both)", bundle.display());
}

fn load_err(dir: &Path) -> String {
    match Model::load(dir, Device::Cpu) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e.to_string(),
    }
}

/// A tampered, truncated, stale or missing bundle is an error naming the file.
#[test]
fn bad_bundles_are_errors_naming_the_file() {
    require_corpus!("bad_bundles_are_errors_naming_the_file");
    let good = compile("tiny", "tiny", &[]);
    let copy = |name: &str| {
        let dir = scratch(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["artifact.json", "weights.safetensors"] {
            std::fs::copy(good.join(f), dir.join(f)).unwrap();
        }
        dir
    };
    // A flipped byte in the weights.
    let dir = copy("flipped");
    let mut bytes = std::fs::read(dir.join("weights.safetensors")).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    std::fs::write(dir.join("weights.safetensors"), &bytes).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("weights.safetensors") && e.contains("checksum"), "{e}");
    // Truncated weights.
    std::fs::write(dir.join("weights.safetensors"), &bytes[..n / 2]).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("truncated or replaced"), "{e}");
    // Another format version.
    let dir = copy("stale");
    let text = std::fs::read_to_string(dir.join("artifact.json")).unwrap().replace(recom::runtime::plan::ARTIFACT_FORMAT, "recom-artifact/1");
    std::fs::write(dir.join("artifact.json"), text).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("artifact.json") && e.contains("'recom-artifact/1' is not a format"), "{e}");
    // A weights file that escapes the folder.
    let dir = copy("escape");
    let text = std::fs::read_to_string(dir.join("artifact.json")).unwrap().replace("\"file\":\"weights.safetensors\"", "\"file\":\"../x\"");
    std::fs::write(dir.join("artifact.json"), text).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("not a file name in the folder"), "{e}");
    // A CPU kernel that does not parse: MLIR's diagnostic is in the error
    // (not printed on stderr by the library).
    let dir = copy("kernel");
    let mut artifact = recom::runtime::plan::Artifact::from_json(&std::fs::read_to_string(dir.join("artifact.json")).unwrap()).unwrap();
    let cpu = artifact.cpu.as_mut().unwrap();
    cpu.mlir = cpu.mlir.replacen("arith.addi", "arith.ad", 1);
    std::fs::write(dir.join("artifact.json"), artifact.to_json()).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("cpu.mlir does not parse") && e.contains("'arith.ad' is unknown"), "{e}");
    // No GPU kernel compiled, asked for the GPU: a clear message (with or without a GPU).
    let e = match Model::load(&good, Device::Gpu) {
        Ok(_) => panic!("loaded a CPU-only bundle on the GPU"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("no GPU kernel") || e.contains("CUDA") || e.contains("driver"), "{e}");
    // A .pb given where a bundle is expected, and a missing folder.
    let e = load_err(&corpus().join("tiny/model.pb"));
    assert!(e.contains("compile it first"), "{e}");
    let e = load_err(Path::new("/nonexistent/model.recom"));
    assert!(e.contains("/nonexistent/model.recom"), "{e}");
    // A request with a misnamed or wrongly typed input.
    let model = Model::load(&good, Device::Cpu).unwrap();
    let mut spec = model.plan().feeds[0].clone();
    spec.name = "no_such_input".into();
    let mut batch = Batch::open(&corpus().join("tiny/batch_b1.npz")).unwrap();
    let e = batch.feed(&spec).unwrap_err().to_string();
    assert!(e.contains("input 'no_such_input' is missing"), "{e}");
    spec.name = model.plan().feeds[0].name.clone();
    spec.dtype = recom::runtime::host::FeedType::F32;
    let e = batch.feed(&spec).unwrap_err().to_string();
    assert!(e.contains("the model takes float32"), "{e}");
    let _ = std::fs::remove_dir_all(&good);
}

/// A graph whose outputs compute nothing from its inputs, and a SavedModel.
#[test]
fn no_silent_no_ops() {
    require_corpus!("no_silent_no_ops");
    let out = scratch("none.recom");
    let options = CompileOptions { outputs: vec!["dnn/logits/kernel".into()], chips: vec![], ..Default::default() };
    let e = compile_model(&corpus().join("tiny/model.pb"), &out, &options, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("compute nothing") || e.contains("no embedding column"), "{e}");
    let e = compile_model(Path::new("/tmp/x/saved_model.pb"), &out, &options, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("freeze it first") && e.contains("tools/tf/freeze_saved_model.py"), "{e}");
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/tf/freeze_saved_model.py").is_file(), "the script the message names exists");
    // A SavedModel's folder, and any other folder.
    let dir = scratch("saved_model_dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("saved_model.pb"), b"").unwrap();
    let e = compile_model(&dir, &out, &options, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("freeze it first"), "{e}");
    std::fs::remove_file(dir.join("saved_model.pb")).unwrap();
    let e = compile_model(&dir, &out, &options, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("a folder"), "{e}");
}

/// Models wider than the corpus's, built from it: `recom_tf::widen` repeats
/// every column of medium (and of zoo_2, whose columns partly run on the
/// host) several times with their own placeholders and tables; the input
/// layer must come out as TensorFlow's output repeated as often.
#[test]
fn widened_models_on_cpu() {
    require_corpus!("widened_models_on_cpu");
    for (model, copies) in [("medium", 4), ("zoo_2", 2)] {
        let graph = recom::tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
        let wide = recom::tf::widen::widen(&graph, "input_layer_output", copies).unwrap();
        let dir = scratch(&format!("{model}-wide"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.pb"), recom::tf::encode_binary(&wide)).unwrap();
        let batch_file = dir.join("batch_b37.npz");
        recom::runtime::npz::widen_batch(&corpus().join(model).join("batch_b37.npz"), &batch_file, "input_layer_output", copies).unwrap();
        let bundle = dir.join("model.recom");
        let options = CompileOptions { outputs: vec!["input_layer_output".into()], chips: vec![], ..Default::default() };
        let artifact = compile_model(&dir.join("model.pb"), &bundle, &options, &mut |_| {}).unwrap_or_else(|e| panic!("{model} x{}: {e}", copies + 1));
        let summary = artifact.summary.clone().unwrap();
        let loaded = Model::load(&bundle, Device::Cpu).unwrap();
        let mut batch = Batch::open(&batch_file).unwrap();
        let feeds = batch.feeds(&loaded.plan().feeds).unwrap();
        let outputs = loaded.run(&feeds).unwrap();
        let (shape, got) = &outputs["input_layer_output"];
        let (want_shape, want) = batch.output("input_layer_output").unwrap().unwrap();
        assert_eq!(shape, &want_shape);
        let (i, g, w, err) = recom::runtime::compare_outputs(got, &want).unwrap().unwrap();
        assert!(err <= 1e-6, "{model} x{}: max abs err {err:e} at {i} (got {g}, expected {w})", copies + 1);
        println!("{model} x{}: {} columns, max abs err {err:e}", copies + 1, summary.columns);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A vocabulary-file column (categorical_column_with_vocabulary_file): tiny's
/// vocabulary list turned into `InitializeTableFromTextFileV2` of a file
/// whose path in the graph does not exist on this machine; the file beside
/// the model is read at compile time and the outputs are TensorFlow's.
#[test]
fn vocabulary_files_are_read_beside_the_model() {
    require_corpus!("vocabulary_files_are_read_beside_the_model");
    use recom::tf::{proto::attr_value::Value as AttrKind, AttrValue, NodeDef};
    let mut graph = recom::tf::read_graph(&corpus().join("tiny/model.pb")).unwrap();
    let i = graph.node.iter().position(|n| n.op == "LookupTableImportV2").expect("tiny has a vocabulary list");
    let import = graph.node[i].clone();
    let keys_node = graph.node.iter().find(|n| n.name == import.input[1]).unwrap();
    let Some(AttrKind::Tensor(keys)) = keys_node.attr["value"].value.as_ref() else { panic!("keys are a constant") };
    let dir = scratch("vocabulary-file");
    std::fs::create_dir_all(&dir).unwrap();
    let lines: Vec<String> = keys.string_val.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
    std::fs::write(dir.join("c_vocab.txt"), lines.join("\n") + "\n").unwrap();
    let mut filename = NodeDef { name: "vocabulary_file_name".into(), op: "Const".into(), ..Default::default() };
    let mut name = recom::tf::TensorProto { dtype: recom::tf::DataType::DtString as i32, ..Default::default() };
    name.tensor_shape = Some(Default::default());
    name.string_val = vec![b"/home/builder/assets/c_vocab.txt".to_vec()];
    filename.attr.insert("dtype".into(), AttrValue { value: Some(AttrKind::Type(recom::tf::DataType::DtString as i32)) });
    filename.attr.insert("value".into(), AttrValue { value: Some(AttrKind::Tensor(name)) });
    let mut init = NodeDef { name: import.name.clone(), op: "InitializeTableFromTextFileV2".into(), ..Default::default() };
    init.input = vec![import.input[0].clone(), "vocabulary_file_name".into()];
    for (k, v) in [("key_index", -2), ("value_index", -1), ("vocab_size", -1)] {
        init.attr.insert(k.into(), AttrValue { value: Some(AttrKind::I(v)) });
    }
    graph.node[i] = init;
    graph.node.push(filename);
    std::fs::write(dir.join("model.pb"), recom::tf::encode_binary(&graph)).unwrap();
    let bundle = dir.join("model.recom");
    let options = CompileOptions { outputs: outputs_of("tiny"), chips: vec![], ..Default::default() };
    compile_model(&dir.join("model.pb"), &bundle, &options, &mut |_| {}).unwrap();
    let loaded = Model::load(&bundle, Device::Cpu).unwrap();
    println!("vocabulary file: {:?}", check(&loaded, "tiny"));
    // Without the file: an error naming the node and where it looked.
    std::fs::remove_file(dir.join("c_vocab.txt")).unwrap();
    let e = compile_model(&dir.join("model.pb"), &bundle, &options, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("vocabulary file '/home/builder/assets/c_vocab.txt' not found") && e.contains(&import.name), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `recom compile --gpus N`: the tables' placement goes into the artifact,
/// the model still answers on the CPU as before, and a table that all GPUs
/// together cannot hold is a compile error naming it.
#[test]
fn sharded_compiles_place_every_table() {
    require_corpus!("sharded_compiles_place_every_table");
    let out = scratch("dlrm_small_sharded.recom");
    let model = corpus().join("dlrm_small/model.pb");
    // dlrm_small's largest table: 65,536 x 32 floats = 8 MiB; 5 MiB GPUs
    // split it by rows.
    let shard = recom::serve::ShardOptions { gpus: 2, memory_bytes: 5 << 20 };
    let options = CompileOptions { outputs: outputs_of("dlrm_small"), chips: vec![], shard: Some(shard), ..Default::default() };
    let artifact = compile_model(&model, &out, &options, &mut |_| {}).unwrap();
    let sharding = artifact.plan.sharding.clone().expect("the plan is sharded");
    assert_eq!(sharding.tables.len(), artifact.plan.tables.len());
    assert!(sharding.tables.iter().any(|(_, p)| matches!(p, recom::abi::shard::Placement::Rows { parts } if parts.len() == 2)), "{sharding:?}");
    let loaded = Model::load(&out, Device::Cpu).unwrap();
    assert_eq!(loaded.plan().sharding.as_ref(), Some(&sharding), "read back from the bundle");
    println!("dlrm_small sharded, on the CPU: {:?}", check(&loaded, "dlrm_small"));
    let _ = std::fs::remove_dir_all(&out);
    let options = CompileOptions { shard: Some(recom::serve::ShardOptions { gpus: 2, memory_bytes: 1 << 20 }), ..options };
    let e = compile_model(&model, &out, &options, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("placing the tables") && e.contains("categ_large_hashbucket_sparse0"), "{e}");
}

/// A model with no embedding layer to fuse (a Keras lookup whose rows feed
/// an interaction, as in DeepCTR's models) compiles to a host-only bundle:
/// no kernel, the host's TensorFlow evaluator computes the output — equal,
/// bit for bit, to that evaluator running the graph itself — on either
/// device; bad requests are errors.
#[test]
fn models_with_no_layer_run_on_the_host() {
    use recom::runtime::host::Feed;
    let graph = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/integration/data/interaction.pbtxt");
    let out = scratch("interaction.recom");
    let options = CompileOptions { outputs: vec!["out".into()], ..Default::default() };
    let artifact = compile_model(&graph, &out, &options, &mut |_| {}).unwrap();
    assert!(artifact.plan.is_host_only() && artifact.gpu.is_empty() && artifact.cpu.is_none(), "{:?}", artifact.plan.columns);
    let ids = vec![3i64, 0, 2, 1, 3];
    let x = vec![0.25f32, -1.0, 0.0, 7.5, 1e-3];
    let feeds = vec![Feed::I64 { shape: vec![5, 1], data: ids.clone() }, Feed::F32 { shape: vec![5, 1], data: x.clone() }];
    // The evaluator on the graph, as TensorFlow would run it.
    let g = recom_tf_eval::Graph::new(recom::tf::read_graph(&graph).unwrap()).unwrap();
    let tf_feeds = std::collections::HashMap::from([
        ("ids".to_string(), recom_tf_eval::Tensor::new(vec![5, 1], recom_tf_eval::tensor::Data::I64(ids))),
        ("x".to_string(), recom_tf_eval::Tensor::new(vec![5, 1], recom_tf_eval::tensor::Data::F32(x))),
    ]);
    let recom_tf_eval::tensor::Data::F32(want) = g.run(&tf_feeds, &["out"]).unwrap().remove(0).data else { panic!("f32") };
    for device in [Device::Cpu, Device::Gpu] {
        let model = Model::load(&out, device).unwrap();
        assert_eq!(model.device, Device::Cpu, "nothing of it runs on a GPU");
        let outputs = model.run(&feeds).unwrap();
        let (shape, got) = &outputs["out"];
        assert_eq!(shape, &vec![5, 1]);
        assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        // An id past the table: the evaluator's error, not a panic.
        let bad = vec![Feed::I64 { shape: vec![1, 1], data: vec![4] }, Feed::F32 { shape: vec![1, 1], data: vec![0.0] }];
        let e = model.run(&bad).unwrap_err().to_string();
        assert!(e.contains("emb") || e.contains("GatherV2") || e.contains("4"), "{e}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
