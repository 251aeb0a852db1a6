//! The GraphDef reader on the corpus models (`../shared/corpus`, beside the
//! checkout, as CI lays it out).
use recom_tf::{decode_binary, read_graph, GraphDef};

#[macro_use]
mod common;
use common::corpus;

fn ops(graph: &GraphDef, op: &str) -> usize {
    graph.node.iter().filter(|n| n.op == op).count()
}

#[test]
fn every_model_reads_with_its_node_count() {
    require_corpus!("every_model_reads_with_its_node_count");
    let mut unique = Vec::new();
    for (model, nodes) in [("tiny", 238), ("tiny_legacy", 250), ("medium", 3634), ("medium_legacy", 3806)] {
        let graph = read_graph(&corpus().join(model).join("model.pb")).unwrap();
        assert_eq!(graph.node.len(), nodes, "{model}");
        assert!(ops(&graph, "ConcatV2") > 0, "{model}");
        unique.push(ops(&graph, "Unique"));
    }
    // The legacy lowering gathers unweighted columns through Unique too.
    assert!(unique[1] > unique[0] && unique[3] > unique[2], "Unique counts {unique:?}");
}

#[test]
fn text_and_binary_forms_are_the_same_graph() {
    require_corpus!("text_and_binary_forms_are_the_same_graph");
    for model in ["tiny", "tiny_legacy", "medium"] {
        let dir = corpus().join(model);
        let binary = read_graph(&dir.join("model.pb")).unwrap();
        let text = read_graph(&dir.join("model.pbtxt")).unwrap();
        assert_eq!(binary, text, "{model}");
    }
}

#[test]
fn damaged_files_are_errors_naming_the_file() {
    require_corpus!("damaged_files_are_errors_naming_the_file");
    let bytes = std::fs::read(corpus().join("medium/model.pb")).unwrap();
    for cut in [1, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = decode_binary(&bytes[..cut], "medium/model.pb").unwrap_err().to_string();
        assert!(e.starts_with("medium/model.pb: not a valid binary GraphDef"), "cut {cut}: {e}");
    }
    let text = std::fs::read_to_string(corpus().join("tiny/model.pbtxt")).unwrap();
    let broken = text.replacen("op: \"", "op: ", 1);
    let line = broken.lines().position(|l| l.contains("op: ") && !l.contains("op: \"")).unwrap() + 1;
    let e = recom_tf::parse_text(&broken, "tiny/model.pbtxt").unwrap_err().to_string();
    assert!(e.starts_with(&format!("tiny/model.pbtxt:{line}:")), "{e}");
    let e = read_graph(&corpus().join("no-such-model.pb")).unwrap_err().to_string();
    assert!(e.contains("no-such-model.pb: cannot read"), "{e}");
}

#[test]
fn every_corpus_op_has_a_signature() {
    require_corpus!("every_corpus_op_has_a_signature");
    // Every model of the corpus, whatever it holds: the op definitions are
    // TensorFlow's, not a list of the ops recom has seen.
    let mut models: Vec<_> = std::fs::read_dir(corpus()).unwrap().filter_map(|e| e.ok()).filter(|e| e.path().join("model.pb").is_file()).collect();
    models.sort_by_key(|e| e.file_name());
    assert!(models.len() >= 4);
    for entry in models {
        let model = entry.file_name().to_string_lossy().into_owned();
        let graph = read_graph(&entry.path().join("model.pb")).unwrap();
        for node in &graph.node {
            recom_tf::ops::output_types(node).unwrap_or_else(|e| panic!("{model}: node '{}': {e}", node.name));
        }
    }
}
