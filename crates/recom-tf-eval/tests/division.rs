//! Division by a constant as TensorFlow runs it: its graph optimizer turns
//! `x / c` into `x * (1 / c)` when `c` is computed from constants (a
//! numeric column's `normalizer_fn=lambda x: (x - m) / s`, Keras'
//! Normalization), which differs from `x / c` in the last bit for some x.
//! Checked against TensorFlow 2.21 (CPU): (x - 0.3417) / 1.7349 over 100,000
//! values in [-1100, 1100] agrees with the reciprocal product everywhere and
//! with the quotient on 40 % of them.
use recom_tf_eval::{tensor::Data, Graph, Tensor};
use std::collections::HashMap;

const GRAPH: &str = r#"
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "y" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
node { name: "s" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1.7349 } } } }
node { name: "s_read" op: "Identity" input: "s" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "var" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3.00988 } } } }
node { name: "sqrt" op: "Sqrt" input: "var" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "by_const" op: "RealDiv" input: "x" input: "s" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "by_read" op: "RealDiv" input: "x" input: "s_read" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "by_folded" op: "RealDiv" input: "x" input: "sqrt" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "by_input" op: "RealDiv" input: "x" input: "y" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "a" op: "Add" input: "b" input: "s" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "b" op: "Add" input: "a" input: "s" attr { key: "T" value { type: DT_FLOAT } } }
node { name: "by_cycle" op: "RealDiv" input: "x" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
"#;

fn run(graph: &Graph, output: &str, x: f32, y: f32) -> f32 {
    let feeds = HashMap::from([
        ("x".to_string(), Tensor::new(vec![], Data::F32(vec![x]))),
        ("y".to_string(), Tensor::new(vec![], Data::F32(vec![y]))),
    ]);
    match &graph.run(&feeds, &[output]).unwrap()[0].data {
        Data::F32(v) => v[0],
        other => panic!("{other:?}"),
    }
}

#[test]
fn division_by_a_constant_is_a_product_with_its_reciprocal() {
    let graph = Graph::new(recom_tf::parse_text(GRAPH, "division.pbtxt").unwrap()).unwrap();
    let (x, s) = (5.0f32, 1.7349f32);
    // The two roundings differ for this x: the test can tell them apart.
    assert_ne!((x / s).to_bits(), (x * (1.0 / s)).to_bits());
    for output in ["by_const", "by_read"] {
        assert_eq!(run(&graph, output, x, s).to_bits(), (x * (1.0 / s)).to_bits(), "{output}");
    }
    let folded = 3.00988f32.sqrt();
    assert_eq!(run(&graph, "by_folded", x, s).to_bits(), (x * (1.0 / folded)).to_bits());
    // A divisor the request gives is divided by.
    assert_eq!(run(&graph, "by_input", x, s).to_bits(), (x / s).to_bits());
}

#[test]
fn a_divisor_on_a_cycle_is_not_constant_and_does_not_hang() {
    let graph = Graph::new(recom_tf::parse_text(GRAPH, "division.pbtxt").unwrap()).unwrap();
    // Running it is an error naming a node on the cycle.
    let feeds = HashMap::from([("x".to_string(), Tensor::new(vec![], Data::F32(vec![1.0])))]);
    let e = graph.run(&feeds, &["by_cycle"]).unwrap_err().to_string();
    assert!(e.contains("cycle") && (e.contains("'a'") || e.contains("'b'") || e.contains(" a") || e.contains(" b")), "{e}");
}
