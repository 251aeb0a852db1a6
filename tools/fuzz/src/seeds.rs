//! The fuzz targets' seed corpora (`recom-fuzz seeds OUT [CORPUS]`).
//! `OUT/graphdef`: every `model.pb` under CORPUS (../shared/corpus) and the
//! bundled example, thinned (float constants over 64 values become a
//! one-value splat of the same shape, so a seed is its graph, not its
//! tables), plus CORPUS's small `.pbtxt` files; `OUT/artifact`: the example
//! bundle's three files behind their mode byte (and the artifacts of the
//! example sharded on 4 GPUs and with its hashes in the kernel);
//! `OUT/request`: the
//! example's batch file (mode 1) and a few decoded-feed seeds (mode 0).
use recom_runtime::bundle;
use std::path::Path;

fn thin(path: &Path) -> Result<Vec<u8>, String> {
    let mut graph = recom_tf::read_graph(path).map_err(|e| e.to_string())?;
    for node in &mut graph.node {
        if node.op != "Const" {
            continue;
        }
        let Some(value) = node.attr.get_mut("value") else { continue };
        let Some(recom_tf::proto::attr_value::Value::Tensor(tensor)) = value.value.as_mut() else { continue };
        if tensor.dtype == recom_tf::DataType::DtFloat as i32 && tensor.tensor_content.len() > 64 * 4 {
            let first = f32::from_le_bytes(tensor.tensor_content[..4].try_into().unwrap());
            tensor.tensor_content.clear();
            tensor.float_val = vec![first];
        }
    }
    Ok(recom_tf::encode_binary(&graph))
}

/// Writes the seeds under `out` from the bundled example and, when given,
/// the models of `corpus`.
pub fn write_all(out: &Path, corpus: Option<&Path>) {
    let write = |sub: &str, name: &str, bytes: &[u8]| {
        let dir = out.join(sub);
        std::fs::create_dir_all(&dir).expect("seed folder");
        std::fs::write(dir.join(name), bytes).expect("seed write");
    };
    let mut models = vec![("example".to_string(), crate::example_model())];
    if let Some(corpus) = corpus {
        let mut entries: Vec<_> = std::fs::read_dir(corpus).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        entries.sort();
        for dir in entries {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            if dir.join("model.pb").is_file() {
                models.push((name.clone(), dir.join("model.pb")));
            }
            let text = dir.join("model.pbtxt");
            if std::fs::metadata(&text).is_ok_and(|m| m.len() < 256 << 10) {
                write("graphdef", &format!("{name}.pbtxt"), &std::fs::read(&text).expect("read"));
            }
        }
    }
    for (name, path) in &models {
        match thin(path) {
            Ok(bytes) => write("graphdef", &format!("{name}.pb"), &bytes),
            Err(e) => eprintln!("{}: skipped: {e}", path.display()),
        }
    }
    let example = crate::example_bundle();
    for (mode, file) in [bundle::ARTIFACT_FILE, bundle::WEIGHTS_FILE, bundle::HOST_GRAPH_FILE].iter().enumerate() {
        if let Ok(bytes) = std::fs::read(example.join(file)) {
            write("artifact", file, &[&[mode as u8][..], &bytes].concat());
        }
    }
    // The example with its tables placed on 4 GPUs (plan.sharding; the
    // same weights), so mutations reach the placement checks.
    let sharded = crate::scratch().join("example-sharded.recom");
    let options = recom::serve::CompileOptions { shard: Some(recom::serve::ShardOptions { gpus: 4, memory_bytes: 900 << 10 }), ..crate::cpu_options() };
    match recom::serve::compile_model(&crate::example_model(), &sharded, &options, &mut |_| {}) {
        Ok(_) => write("artifact", "artifact-sharded.json", &[&[0u8][..], &std::fs::read(sharded.join(bundle::ARTIFACT_FILE)).expect("read")].concat()),
        Err(e) => eprintln!("sharded example: skipped: {e}"),
    }
    // The example with its id transforms in the kernel (string references,
    // the bytes buffer, hashes, vocabularies and bucketize in the column
    // table and its records, the transform pass).
    let hashed = crate::scratch().join("example-kernel-hashes.recom");
    let mut options = crate::cpu_options();
    options.kernel.kernel_id_transforms = true;
    match recom::serve::compile_model(&crate::example_model(), &hashed, &options, &mut |_| {}) {
        Ok(_) => write("artifact", "artifact-kernel-hashes.json", &[&[0u8][..], &std::fs::read(hashed.join(bundle::ARTIFACT_FILE)).expect("read")].concat()),
        Err(e) => eprintln!("example with kernel hashes: skipped: {e}"),
    }
    // A model with no embedding layer (host-only plan).
    let interaction = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/recom/tests/integration/data/interaction.pbtxt");
    if let Ok(text) = std::fs::read(&interaction) {
        write("graphdef", "interaction.pbtxt", &text);
    }
    write("request", "batch.npz", &[&[1u8][..], &std::fs::read(crate::example_batch()).expect("example batch")].concat());
    for k in 0..4u8 {
        let bytes: Vec<u8> = (0..512u32).map(|i| (i.wrapping_mul(2654435761).wrapping_add(k as u32 * 977) >> 13) as u8).collect();
        write("request", &format!("feeds{k}"), &[&[0u8][..], &bytes].concat());
    }
    let _ = std::fs::remove_dir_all(crate::scratch());
}
