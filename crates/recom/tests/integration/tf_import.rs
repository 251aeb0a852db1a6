//! TensorFlow GraphDef import on the corpus models: every node becomes one
//! `tf.*` op located at its node name, tables stay out of the IR.
use melior::ir::operation::{OperationLike, OperationPrintingFlags, WalkOrder, WalkResult};
use recom::import::import_graph;
use recom_tf::read_graph;
use std::{path::PathBuf, time::Instant};

fn corpus(model: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus").join(model);
    assert!(dir.is_dir(), "the corpus is missing at {} (shared/ must sit beside the checkout)", dir.display());
    dir.join("model.pb")
}

#[test]
fn corpus_models_import_node_for_node() {
    require_corpus!("corpus_models_import_node_for_node");
    let context = recom::create_context().unwrap();
    for (model, nodes) in [("tiny", 238), ("tiny_legacy", 250), ("medium", 3634), ("medium_legacy", 3806)] {
        let graph = read_graph(&corpus(model)).unwrap();
        let start = Instant::now();
        // No outputs asked for: the whole graph.
        let imported = import_graph(&context, &graph, &format!("{model}/model.pb"), "graph", &[])
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let elapsed = start.elapsed();
        assert!(imported.module.as_operation().verify(), "{model}: the imported module verifies");
        let mut tf_ops = 0;
        imported.module.as_operation().walk(WalkOrder::PreOrder, |op| {
            if recom::ir::kit::identifier_text(op.name()).starts_with("tf.") {
                tf_ops += 1;
            }
            WalkResult::Advance
        });
        assert_eq!(tf_ops, nodes, "{model}: one op per node");
        let large = graph
            .node
            .iter()
            .filter(|n| n.op == "Const")
            .filter(|n| match n.attr["value"].value.as_ref() {
                Some(recom_tf::proto::attr_value::Value::Tensor(t)) => {
                    let float = t.dtype == recom_tf::DataType::DtFloat as i32;
                    let float_matrix = float && t.tensor_shape.as_ref().is_some_and(|s| s.dim.len() >= 2);
                    let n = recom_tf::tensor::element_count(t).unwrap();
                    // Every float constant (dense layers read biases by name), and large others.
                    float || float_matrix || n > recom::import::INLINE_KEYS_LIMIT
                }
                _ => false,
            })
            .count();
        assert_eq!(imported.weights.len(), large, "{model}: every float Const and every large one is in the weights store");
        assert!(large > 0);
        let printed = imported.module.as_operation().to_string_with_flags(OperationPrintingFlags::new()).unwrap();
        // Tables are referenced, not printed: the IR stays far smaller than the .pb.
        let pb_size = std::fs::metadata(corpus(model)).unwrap().len() as usize;
        assert!(printed.len() < 2 * pb_size.max(200_000), "{model}: printed IR is {} bytes", printed.len());
        println!("{model}: {nodes} nodes imported in {:.3} s, printed IR {} bytes", elapsed.as_secs_f64(), printed.len());
    }
}

/// With outputs, only their cone is imported: an op recom does not know
/// outside it does not matter; inside it, it is an error naming the node.
#[test]
fn only_the_cone_of_the_outputs_is_imported() {
    require_corpus!("only_the_cone_of_the_outputs_is_imported");
    let context = recom::create_context().unwrap();
    let mut graph = read_graph(&corpus("tiny")).unwrap();
    let count = |module: &melior::ir::Module| {
        let mut n = 0;
        module.as_operation().walk(WalkOrder::PreOrder, |op| {
            n += recom::ir::kit::identifier_text(op.name()).starts_with("tf.") as usize;
            WalkResult::Advance
        });
        n
    };
    let whole = count(&import_graph(&context, &graph, "tiny/model.pb", "graph", &[]).unwrap().module);
    let layer = count(&import_graph(&context, &graph, "tiny/model.pb", "graph", &["input_layer_output"]).unwrap().module);
    assert!(layer < whole, "the input layer's cone ({layer}) is smaller than the graph ({whole})");
    // The whole graph returns what nobody consumes: tiny's two output
    // Identities, not nothing (which would leave every op dead).
    let module = import_graph(&context, &graph, "tiny/model.pb", "graph", &[]).unwrap().module;
    let printed = module.as_operation().to_string_with_flags(OperationPrintingFlags::new().enable_debug_info(true, false)).unwrap();
    let ret = printed.lines().find(|l| l.trim_start().starts_with("return ")).expect("a return");
    let returned: Vec<&str> = ret.trim_start()["return ".len()..].split(" : ").next().unwrap().split(", ").collect();
    let node_of = |v: &str| {
        let def = printed.lines().find(|l| l.trim_start().starts_with(&format!("{v} = "))).unwrap();
        let loc = def.rsplit("loc(").next().unwrap().trim_end_matches(')').to_string();
        let alias = printed.lines().find(|l| l.starts_with(&format!("{loc} = loc("))).map_or(loc.clone(), |l| l.to_string());
        alias.split('"').nth(1).unwrap_or_default().to_string()
    };
    let names: Vec<String> = returned.iter().map(|v| node_of(v)).collect();
    assert_eq!(names, ["logits", "prediction"], "{ret}");
    // The DNN's MatMul is outside the input layer's cone.
    let dnn = graph.node.iter().position(|n| n.op == "MatMul").unwrap();
    graph.node[dnn].op = "FancyOp".into();
    assert!(import_graph(&context, &graph, "tiny/model.pb", "graph", &["input_layer_output"]).is_ok());
    let e = import_graph(&context, &graph, "tiny/model.pb", "graph", &["prediction"]).err().unwrap().to_string();
    assert!(e.contains(&format!("'{}'", graph.node[dnn].name)) && e.contains("op 'FancyOp' is not supported"), "{e}");
    // The vocabulary's table initializer comes along with the table.
    let imported = import_graph(&context, &graph, "tiny/model.pb", "graph", &["input_layer_output"]).unwrap();
    let mut imports = 0;
    imported.module.as_operation().walk(WalkOrder::PreOrder, |op| {
        imports += (recom::ir::kit::identifier_text(op.name()) == "tf.LookupTableImportV2") as usize;
        WalkResult::Advance
    });
    assert_eq!(imports, 1);
    let e = import_graph(&context, &graph, "tiny/model.pb", "graph", &["nope:3"]).err().unwrap().to_string();
    assert!(e.contains("output 'nope:3' names no node of the graph"), "{e}");
}

#[test]
fn import_errors_name_the_nodes() {
    require_corpus!("import_errors_name_the_nodes");
    let context = recom::create_context().unwrap();
    let mut graph = read_graph(&corpus("tiny")).unwrap();
    // Two nodes of an op recom does not know: one error lists both.
    graph.node[3].op = "FancyOp".into();
    graph.node[7].op = "OtherOp".into();
    let (a, b) = (graph.node[3].name.clone(), graph.node[7].name.clone());
    let e = import_graph(&context, &graph, "tiny/model.pb", "graph", &[]).err().unwrap().to_string();
    assert!(e.contains(&format!("'{a}'")) && e.contains("op 'FancyOp' is not supported"), "{e}");
    assert!(e.contains(&format!("'{b}'")) && e.contains("op 'OtherOp' is not supported"), "{e}");
    // An input that names no node.
    let mut graph = read_graph(&corpus("tiny")).unwrap();
    let victim = graph.node.iter().position(|n| !n.input.is_empty()).unwrap();
    graph.node[victim].input[0] = "ghost:0".into();
    let name = graph.node[victim].name.clone();
    let e = import_graph(&context, &graph, "tiny/model.pb", "graph", &[]).err().unwrap().to_string();
    assert!(e.contains(&format!("'{name}'")) && e.contains("input 'ghost:0' names no node"), "{e}");
    // A missing type attribute.
    let mut graph = read_graph(&corpus("tiny")).unwrap();
    let victim = graph.node.iter().position(|n| n.op == "Cast").unwrap();
    graph.node[victim].attr.remove("DstT");
    let e = import_graph(&context, &graph, "tiny/model.pb", "graph", &[]).err().unwrap().to_string();
    assert!(e.contains("op 'Cast' needs a type attribute 'DstT'"), "{e}");
    // An output past a node's results.
    let graph = read_graph(&corpus("tiny")).unwrap();
    let e = import_graph(&context, &graph, "tiny/model.pb", "graph", &["input_layer_output:3"]).err().unwrap().to_string();
    assert!(e.contains("output 'input_layer_output:3' is not a result of the graph"), "{e}");
}

/// The scale: a 40,000-node graph (eleven renamed copies of medium)
/// imports in well under 2 s on this machine. The time is printed, not
/// asserted (a timed test would be flaky).
#[test]
fn forty_thousand_nodes_import() {
    require_corpus!("forty_thousand_nodes_import");
    let medium = read_graph(&corpus("medium")).unwrap();
    let mut graph = recom_tf::GraphDef::default();
    for copy in 0..11 {
        for node in &medium.node {
            let mut node = node.clone();
            node.name = format!("copy{copy}/{}", node.name);
            for input in &mut node.input {
                *input = match input.strip_prefix('^') {
                    Some(name) => format!("^copy{copy}/{name}"),
                    None => format!("copy{copy}/{input}"),
                };
            }
            graph.node.push(node);
        }
    }
    assert!(graph.node.len() >= 39_000);
    let context = recom::create_context().unwrap();
    let start = Instant::now();
    let imported = import_graph(&context, &graph, "11x-medium.pb", "graph", &[]).unwrap();
    let elapsed = start.elapsed();
    assert!(!imported.weights.is_empty());
    println!("{} nodes imported in {:.3} s", graph.node.len(), elapsed.as_secs_f64());
}
