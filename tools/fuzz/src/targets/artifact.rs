//! Artifact bytes → bundle load → one request. The first byte picks the
//! file of the example bundle the rest replaces: 0 `artifact.json`; 1
//! `weights.safetensors`, 2 `host_graph.pb` (with their size and checksum
//! fixed up in the artifact, so the fuzzer gets past the checksum to the
//! parsers and the cross-checks). A bundle that loads answers the example's
//! batch on the CPU.
use recom::serve::{Device, Model};
use recom_runtime::{bundle, npz::Batch, plan::Artifact};

/// One input.
pub fn run(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else { return };
    let example = crate::example_bundle();
    let dir = crate::scratch().join("tampered.recom");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let artifact_text = std::fs::read_to_string(example.join(bundle::ARTIFACT_FILE)).expect("example artifact");
    let copy = |name: &str| std::fs::copy(example.join(name), dir.join(name)).map(|_| ());
    match mode % 3 {
        0 => {
            std::fs::write(dir.join(bundle::ARTIFACT_FILE), body).expect("scratch write");
            copy(bundle::WEIGHTS_FILE).expect("example weights");
        }
        m => {
            let mut artifact = Artifact::from_json(&artifact_text).expect("the example artifact is valid");
            let record = bundle::WeightsFile {
                file: if m == 1 { bundle::WEIGHTS_FILE } else { bundle::HOST_GRAPH_FILE }.into(),
                bytes: body.len() as u64,
                crc32: crc32fast::hash(body),
            };
            std::fs::write(dir.join(&record.file), body).expect("scratch write");
            if m == 1 {
                artifact.weights = Some(record);
            } else {
                copy(bundle::WEIGHTS_FILE).expect("example weights");
                artifact.host_graph = Some(record);
            }
            std::fs::write(dir.join(bundle::ARTIFACT_FILE), artifact.to_json()).expect("scratch write");
        }
    }
    let Ok(model) = Model::load(&dir, Device::Cpu) else { return };
    let Ok(mut batch) = Batch::open(&crate::example_batch()) else { return };
    if let Ok(feeds) = batch.feeds(&model.plan().feeds) {
        let _ = model.run(&feeds);
    }
}
