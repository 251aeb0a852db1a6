//! Constant folding of a GraphDef with TensorFlow's semantics: every node
//! whose data inputs are all constants is evaluated by [`crate::ops::eval`]
//! and becomes a `Const`, repeatedly, so a constant subgraph (`Range`,
//! `Pack`, `Cast`, `StridedSlice` of constants, a `Fill` of a constant
//! shape ...) reaches the importer and the raising passes as one constant.
//!
//! Left as they are: stateful ops (their `OpDef` says so: tables,
//! variables, random numbers), ops whose inputs or outputs are resources,
//! nodes with control inputs, nodes with more than one output (their
//! consumers name `node:k`), anything larger than [`MAX_FOLDED_ELEMENTS`]
//! (tables stay tables, not copies), ops the evaluator does not implement,
//! and ops whose evaluation fails (TensorFlow would fail at run time; the
//! node keeps that behaviour). A folded value has the dtype the node's
//! `OpDef` gives it, or the node is left.
use crate::{constant, parse_input, tensor::Data, Attrs, Tensor};
use recom_tf::{
    proto::{attr_value::Value as AttrKind, tensor_shape_proto::Dim},
    AttrValue, DataType, GraphDef, NodeDef, TensorProto, TensorShapeProto,
};
use std::collections::HashMap;

/// The most elements a folded constant (and all of a folded node's inputs
/// together) may have.
pub const MAX_FOLDED_ELEMENTS: usize = 1 << 16;

/// What folding found: the `Const` nodes that replace foldable nodes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Folded {
    /// (index in the graph, its replacement), in dependency order.
    pub nodes: Vec<(usize, NodeDef)>,
}

impl Folded {
    /// The folded nodes' names.
    pub fn names(&self) -> Vec<&str> {
        self.nodes.iter().map(|(_, n)| n.name.as_str()).collect()
    }

    /// `graph` with the replacements made.
    pub fn apply(&self, graph: &GraphDef) -> GraphDef {
        let mut out = graph.clone();
        for (i, node) in &self.nodes {
            out.node[*i] = node.clone();
        }
        out
    }
}

/// The dtype of a value, as TensorFlow names it (`None`: a table handle).
fn dtype_of(data: &Data) -> Option<DataType> {
    Some(match data {
        Data::F32(_) => DataType::DtFloat,
        Data::F64(_) => DataType::DtDouble,
        Data::I32(_) => DataType::DtInt32,
        Data::I64(_) => DataType::DtInt64,
        Data::Bool(_) => DataType::DtBool,
        Data::Str(_) => DataType::DtString,
        Data::Table(_) => return None,
    })
}

/// `tensor` as a `TensorProto` (numbers in `tensor_content`, little endian).
pub fn to_proto(tensor: &Tensor) -> Option<TensorProto> {
    let dtype = dtype_of(&tensor.data)?;
    let mut proto = TensorProto {
        dtype: dtype as i32,
        tensor_shape: Some(TensorShapeProto { dim: tensor.shape.iter().map(|&d| Dim { size: d as i64, ..Default::default() }).collect(), ..Default::default() }),
        ..Default::default()
    };
    fn bytes<T: Copy, const N: usize>(v: &[T], le: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        v.iter().flat_map(|&x| le(x)).collect()
    }
    match &tensor.data {
        Data::F32(v) => proto.tensor_content = bytes(v, f32::to_le_bytes).into(),
        Data::F64(v) => proto.tensor_content = bytes(v, f64::to_le_bytes).into(),
        Data::I32(v) => proto.tensor_content = bytes(v, i32::to_le_bytes).into(),
        Data::I64(v) => proto.tensor_content = bytes(v, i64::to_le_bytes).into(),
        Data::Bool(v) => proto.bool_val = v.clone(),
        Data::Str(v) => proto.string_val = v.clone(),
        Data::Table(_) => return None,
    }
    Some(proto)
}

/// A `Const` node named `name` holding `tensor`.
fn const_node(name: &str, device: &str, tensor: &Tensor) -> Option<NodeDef> {
    let proto = to_proto(tensor)?;
    let mut node = NodeDef { name: name.to_string(), op: "Const".into(), device: device.to_string(), ..Default::default() };
    node.attr.insert("dtype".into(), AttrValue { value: Some(AttrKind::Type(proto.dtype)) });
    node.attr.insert("value".into(), AttrValue { value: Some(AttrKind::Tensor(proto)) });
    Some(node)
}

/// Ops that pass their input through: a constant behind them is a constant.
fn is_passthrough(op: &str) -> bool {
    matches!(op, "Identity" | "StopGradient" | "Snapshot" | "PreventGradient")
}

/// Finds every constant subgraph of `graph` among the nodes `within` marks
/// (all when `None`; see the module documentation): the `Const` node each
/// foldable node becomes (same name; the graph itself is not copied).
pub fn fold_constants(graph: &GraphDef, within: Option<&[bool]>) -> Folded {
    let index: HashMap<&str, usize> = graph.node.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    // The constant value of each node known so far (Const nodes decode lazily).
    let mut values: HashMap<usize, Option<Tensor>> = HashMap::new();
    let mut folded = Folded::default();
    // Nodes in dependency order (inputs first); a cycle or a dangling input
    // leaves the nodes involved alone.
    let order = topological(graph, &index);
    for i in order {
        if within.is_some_and(|w| !w.get(i).copied().unwrap_or(false)) {
            continue;
        }
        let node = &graph.node[i];
        let value = match node.op.as_str() {
            "Const" => match node.attr.get("value").and_then(|a| a.value.as_ref()) {
                Some(AttrKind::Tensor(t)) if recom_tf::tensor::element_count(t).is_ok_and(|n| n as usize <= MAX_FOLDED_ELEMENTS) => constant(t).ok(),
                _ => None,
            },
            op if is_passthrough(op) => {
                let inputs: Vec<&String> = node.input.iter().filter(|x| !x.starts_with('^')).collect();
                match (&inputs[..], node.input.len()) {
                    ([x], 1) => parse_input(x).and_then(|(name, k)| (k == 0).then_some(name)).and_then(|name| index.get(name)).and_then(|j| values.get(j).cloned().flatten()),
                    _ => None,
                }
            }
            _ => fold_node(node, &index, &values),
        };
        if let Some(tensor) = &value {
            if node.op != "Const" && !is_passthrough(&node.op) {
                if let Some(constant) = const_node(&node.name, &node.device, tensor) {
                    folded.nodes.push((i, constant));
                }
            }
        }
        values.insert(i, value);
    }
    folded
}

/// The value of `node` if it folds.
fn fold_node(node: &NodeDef, index: &HashMap<&str, usize>, values: &HashMap<usize, Option<Tensor>>) -> Option<Tensor> {
    if node.op.starts_with("Placeholder") || node.input.is_empty() || node.input.iter().any(|x| x.starts_with('^')) {
        return None;
    }
    let def = recom_tf::ops::op_def(&node.op)?;
    if def.is_stateful {
        return None;
    }
    let types = recom_tf::ops::output_types(node).ok()?;
    let [dtype] = types[..] else { return None };
    let mut inputs = Vec::with_capacity(node.input.len());
    let mut total = 0usize;
    for input in &node.input {
        let (name, k) = parse_input(input)?;
        let tensor = values.get(index.get(name)?)?.as_ref().filter(|_| k == 0)?;
        total += tensor.data.len();
        inputs.push(tensor);
    }
    if total > MAX_FOLDED_ELEMENTS {
        return None;
    }
    // A panic in an op is a bug there; folding then leaves the node alone.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::ops::eval(&node.op, &Attrs(&node.attr), &inputs))).ok()?.ok()?;
    let [tensor] = <[Tensor; 1]>::try_from(result).ok()?;
    (tensor.data.len() <= MAX_FOLDED_ELEMENTS && dtype_of(&tensor.data) == Some(dtype)).then_some(tensor)
}

/// The nodes in an order where every data input comes first; nodes on a
/// cycle or reading a missing node come last (they never fold: their
/// inputs have no value).
fn topological(graph: &GraphDef, index: &HashMap<&str, usize>) -> Vec<usize> {
    let n = graph.node.len();
    let mut pending = vec![0usize; n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in graph.node.iter().enumerate() {
        for input in &node.input {
            let name = input.trim_start_matches('^');
            let name = parse_input(name).map_or(name, |(name, _)| name);
            if let Some(&j) = index.get(name) {
                pending[i] += 1;
                users[j].push(i);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let i = order[next];
        next += 1;
        for &u in &users[i] {
            pending[u] -= 1;
            if pending[u] == 0 {
                order.push(u);
            }
        }
    }
    let mut placed = vec![false; n];
    for &i in &order {
        placed[i] = true;
    }
    order.extend((0..n).filter(|&i| !placed[i]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(text: &str) -> GraphDef {
        recom_tf::parse_text(text, "t.pbtxt").unwrap()
    }

    fn value(g: &GraphDef, name: &str) -> Tensor {
        let node = g.node.iter().find(|n| n.name == name).unwrap();
        assert_eq!(node.op, "Const", "{name} folded");
        match node.attr["value"].value.as_ref() {
            Some(AttrKind::Tensor(t)) => constant(t).unwrap(),
            _ => panic!(),
        }
    }

    const I32: &str = r#"attr { key: "dtype" value { type: DT_INT32 } }"#;

    #[test]
    fn constant_subgraphs_become_constants() {
        let g = graph(&format!(
            r#"node {{ name: "x" op: "Placeholder" attr {{ key: "dtype" value {{ type: DT_INT64 }} }} }}
               node {{ name: "zero" op: "Const" {I32} attr {{ key: "value" value {{ tensor {{ dtype: DT_INT32 tensor_shape {{}} int_val: 0 }} }} }} }}
               node {{ name: "four" op: "Const" {I32} attr {{ key: "value" value {{ tensor {{ dtype: DT_INT32 tensor_shape {{}} int_val: 4 }} }} }} }}
               node {{ name: "one" op: "Const" {I32} attr {{ key: "value" value {{ tensor {{ dtype: DT_INT32 tensor_shape {{}} int_val: 1 }} }} }} }}
               node {{ name: "four/read" op: "Identity" input: "four" attr {{ key: "T" value {{ type: DT_INT32 }} }} }}
               node {{ name: "range" op: "Range" input: "zero" input: "four/read" input: "one" attr {{ key: "Tidx" value {{ type: DT_INT32 }} }} }}
               node {{ name: "cast" op: "Cast" input: "range" attr {{ key: "SrcT" value {{ type: DT_INT32 }} }} attr {{ key: "DstT" value {{ type: DT_INT64 }} }} }}
               node {{ name: "sum" op: "AddV2" input: "x" input: "cast" attr {{ key: "T" value {{ type: DT_INT64 }} }} }}
               node {{ name: "ctrl" op: "Range" input: "zero" input: "four" input: "one" input: "^x" attr {{ key: "Tidx" value {{ type: DT_INT32 }} }} }}"#
        ));
        let report = fold_constants(&g, None);
        assert_eq!(report.names(), ["range", "cast"]);
        let folded = report.apply(&g);
        assert_eq!(value(&folded, "cast"), Tensor::new(vec![4], Data::I64(vec![0, 1, 2, 3])));
        let names: Vec<&str> = folded.node.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, g.node.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), "same nodes, same order");
        assert_eq!(folded.node.iter().find(|n| n.name == "sum").unwrap().op, "AddV2");
        assert_eq!(folded.node.iter().find(|n| n.name == "ctrl").unwrap().op, "Range", "control inputs stay");
    }

    #[test]
    fn stateful_failing_and_large_nodes_stay() {
        let g = graph(&format!(
            r#"node {{ name: "shape" op: "Const" {I32} attr {{ key: "value" value {{ tensor {{ dtype: DT_INT32 tensor_shape {{ dim {{ size: 2 }} }} int_val: 1000 int_val: 1000 }} }} }} }}
               node {{ name: "seed" op: "RandomUniform" input: "shape" attr {{ key: "T" value {{ type: DT_INT32 }} }} attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} }}
               node {{ name: "big" op: "Fill" input: "shape" input: "one" attr {{ key: "T" value {{ type: DT_INT32 }} }} }}
               node {{ name: "one" op: "Const" {I32} attr {{ key: "value" value {{ tensor {{ dtype: DT_INT32 tensor_shape {{}} int_val: 1 }} }} }} }}
               node {{ name: "bad" op: "Reshape" input: "shape" input: "one" attr {{ key: "T" value {{ type: DT_INT32 }} }} }}"#
        ));
        let report = fold_constants(&g, None);
        assert!(report.nodes.is_empty(), "{:?}", report.names());
    }
}
