//! A TensorFlow evaluator in plain Rust (no MLIR, no TensorFlow): the ops
//! recommendation graphs use (shape and index arithmetic, strings and
//! hashing, lookup tables, sparse tensors, pooling, the dense head) with
//! TensorFlow's CPU semantics, and a graph executor over a `GraphDef`.
//!
//! It is one definition of each op's meaning, for three uses: folding
//! constant subgraphs before raising, running on the host what recom does
//! not raise, and checking recom's raising in tests (the executor runs a
//! whole frozen model; `tests/corpus.rs` compares it with TensorFlow's
//! recorded outputs).
pub mod fold;
pub mod ops;
pub mod tensor;

pub use ops::{eval, Attrs};
pub use tensor::{Data, Scalar, Table, Tensor};

use recom_tf::{proto::attr_value::Value as AttrKind, DataType, GraphDef, NodeDef, TensorProto};
use std::{collections::HashMap, sync::Arc};

/// Why evaluation failed, naming the node.
#[derive(Debug, thiserror::Error)]
#[error("node '{node}' ({op}): {problem}")]
pub struct EvalError {
    pub node: String,
    pub op: String,
    pub problem: String,
}

/// A constant's tensor.
pub fn constant(tensor: &TensorProto) -> Result<Tensor, String> {
    use recom_tf::tensor::{self, Values};
    let shape: Vec<usize> = tensor::shape(tensor)?.iter().map(|&d| usize::try_from(d).map_err(|_| format!("dimension {d}"))).collect::<Result<_, _>>()?;
    let data = match tensor::values(tensor)? {
        Values::F32(v) => Data::F32(v),
        Values::F64(v) => Data::F64(v),
        Values::I32(v) => Data::I32(v),
        Values::I64(v) => Data::I64(v),
        Values::Bool(v) => Data::Bool(v),
        Values::Str(v) => Data::Str(v),
    };
    let n: usize = shape.iter().product();
    if data.len() != n {
        return Err(format!("{} values for shape {shape:?}", data.len()));
    }
    Ok(Tensor::new(shape, data))
}

/// `name:k` → (name, k); `^name` (a control input) → None.
pub(crate) fn parse_input(input: &str) -> Option<(&str, usize)> {
    if input.starts_with('^') {
        return None;
    }
    match input.rsplit_once(':') {
        Some((name, k)) => k.parse().ok().map(|k| (name, k)),
        None => Some((input, 0)),
    }
}

/// A frozen graph, ready to run (shareable across threads: every run
/// makes its own tables and values).
#[derive(Debug)]
pub struct Graph {
    graph: GraphDef,
    index: HashMap<String, usize>,
    /// Per table node: the nodes that initialize it.
    initializers: HashMap<usize, Vec<usize>>,
    /// Every constant, decoded once.
    constants: HashMap<usize, Arc<Tensor>>,
    /// Per node: its data inputs as (node, output), resolved once (`Err`:
    /// an input that names no node, reported when the node runs).
    edges: Vec<Result<Vec<(usize, usize)>, String>>,
    /// Float divisions by a constant, which TensorFlow's graph optimizer
    /// (constant folding's division-to-reciprocal rewrite) runs as
    /// `x * (1 / c)`, the reciprocal rounded in the tensor's own type.
    reciprocal_divisions: std::collections::HashSet<usize>,
}

impl Graph {
    pub fn new(graph: GraphDef) -> Result<Graph, EvalError> {
        let mut index = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            if index.insert(n.name.clone(), i).is_some() {
                return Err(EvalError { node: n.name.clone(), op: n.op.clone(), problem: "two nodes have this name".into() });
            }
        }
        let mut initializers: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            if matches!(n.op.as_str(), "LookupTableImportV2" | "InitializeTableV2") {
                if let Some(&t) = n.input.first().and_then(|x| parse_input(x)).and_then(|(name, _)| index.get(name)) {
                    initializers.entry(t).or_default().push(i);
                }
            }
        }
        let mut constants = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            if n.op == "Const" {
                let fail = |problem: String| EvalError { node: n.name.clone(), op: n.op.clone(), problem };
                let tensor = match n.attr.get("value").and_then(|a| a.value.as_ref()) {
                    Some(AttrKind::Tensor(t)) => t,
                    _ => return Err(fail("a Const without a value".into())),
                };
                constants.insert(i, Arc::new(constant(tensor).map_err(fail)?));
            }
        }
        let edges: Vec<Result<Vec<(usize, usize)>, String>> = graph
            .node
            .iter()
            .map(|n| {
                n.input
                    .iter()
                    .filter_map(|x| parse_input(x))
                    .map(|(name, k)| index.get(name).map(|&j| (j, k)).ok_or_else(|| format!("input '{name}' is not a node")))
                    .collect()
            })
            .collect();
        let reciprocal_divisions = graph
            .node
            .iter()
            .enumerate()
            .filter(|(i, n)| {
                matches!(n.op.as_str(), "RealDiv" | "Div")
                    && matches!(Attrs(&n.attr).ty("T"), Some(DataType::DtFloat | DataType::DtDouble))
                    && edges_divisor_is_constant(&graph, &edges, *i)
            })
            .map(|(i, _)| i)
            .collect();
        Ok(Graph { graph, index, initializers, constants, edges, reciprocal_divisions })
    }

    fn node(&self, i: usize) -> &NodeDef {
        &self.graph.node[i]
    }

    pub fn graph_def(&self) -> &GraphDef {
        &self.graph
    }

    /// The rank placeholder `name` declares (its `shape` attribute), if known.
    pub fn placeholder_rank(&self, name: &str) -> Option<usize> {
        let node = self.index.get(name).map(|&i| self.node(i))?;
        match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
            Some(AttrKind::Shape(s)) if !s.unknown_rank => Some(s.dim.len()),
            _ => None,
        }
    }

    /// The dtype of placeholder `name`, if the graph has one by that name.
    pub fn placeholder(&self, name: &str) -> Option<DataType> {
        self.index.get(name).map(|&i| self.node(i)).filter(|n| n.op.starts_with("Placeholder")).and_then(placeholder_dtype)
    }

    /// Evaluates `outputs` (`node` or `node:k`) given the placeholders'
    /// values by node name (a `PlaceholderWithDefault` not fed takes its input).
    pub fn run(&self, feeds: &HashMap<String, Tensor>, outputs: &[&str]) -> Result<Vec<Tensor>, EvalError> {
        let mut values: HashMap<usize, Vec<Arc<Tensor>>> = HashMap::new();
        let mut result = Vec::with_capacity(outputs.len());
        for output in outputs {
            let (name, k) = parse_input(output).ok_or_else(|| EvalError { node: output.to_string(), op: String::new(), problem: "not an output".into() })?;
            let &i = self.index.get(name).ok_or_else(|| EvalError { node: name.into(), op: String::new(), problem: "no such node".into() })?;
            self.evaluate(i, feeds, &mut values)?;
            let t = values[&i].get(k).map(|t| (**t).clone()).ok_or_else(|| EvalError { node: name.into(), op: self.node(i).op.clone(), problem: format!("has no output {k}") })?;
            result.push(t);
        }
        Ok(result)
    }

    fn evaluate(&self, root: usize, feeds: &HashMap<String, Tensor>, values: &mut HashMap<usize, Vec<Arc<Tensor>>>) -> Result<(), EvalError> {
        let mut stack = vec![(root, false)];
        // Nodes whose inputs are being computed: met again, they are on a
        // cycle, which TensorFlow's executor refuses too.
        let mut pending = std::collections::HashSet::new();
        while let Some((i, expanded)) = stack.pop() {
            if values.contains_key(&i) {
                continue;
            }
            let node = self.node(i);
            let fail = |problem: String| EvalError { node: node.name.clone(), op: node.op.clone(), problem };
            if !expanded && !pending.insert(i) {
                return Err(fail("the graph has a cycle through this node".into()));
            }
            let inputs: &[(usize, usize)] = self.edges[i].as_ref().map_err(|e| fail(e.clone()))?;
            let fed = matches!(node.op.as_str(), "Placeholder" | "PlaceholderWithDefault") && feeds.contains_key(&node.name);
            if !expanded && !fed {
                stack.push((i, true));
                for &(j, _) in inputs {
                    if !values.contains_key(&j) {
                        stack.push((j, false));
                    }
                }
                continue;
            }
            let arg = |j: usize, k: usize| values[&j].get(k).cloned().ok_or_else(|| fail(format!("input node '{}' has no output {k}", self.node(j).name)));
            let out: Vec<Arc<Tensor>> = match node.op.as_str() {
                _ if fed => vec![Arc::new(feeds[&node.name].clone())],
                "Placeholder" => return Err(fail("this input was not fed".into())),
                "Const" => vec![self.constants[&i].clone()],
                // No copy: the same tensor under another name.
                "Identity" | "StopGradient" | "Snapshot" | "PreventGradient" | "PlaceholderWithDefault" => {
                    let &(j, k) = inputs.first().ok_or_else(|| fail(format!("{} without a data input", node.op)))?;
                    vec![arg(j, k)?]
                }
                _ if self.reciprocal_divisions.contains(&i) => {
                    let args = inputs.iter().map(|&(j, k)| arg(j, k)).collect::<Result<Vec<_>, _>>()?;
                    let [x, c] = args.as_slice() else { return Err(fail(format!("expects 2 inputs, got {}", args.len()))) };
                    let reciprocal = ops::eval("Reciprocal", &Attrs(&node.attr), &[c.as_ref()]).map_err(fail)?;
                    ops::eval("Mul", &Attrs(&node.attr), &[x.as_ref(), &reciprocal[0]]).map_err(fail)?.into_iter().map(Arc::new).collect()
                }
                op => {
                    let args = inputs.iter().map(|&(j, k)| arg(j, k)).collect::<Result<Vec<_>, _>>()?;
                    let refs: Vec<&Tensor> = args.iter().map(|a| a.as_ref()).collect();
                    ops::eval(op, &Attrs(&node.attr), &refs).map_err(fail)?.into_iter().map(Arc::new).collect()
                }
            };
            values.insert(i, out);
            // A table is filled as soon as it exists.
            if let Some(inits) = self.initializers.get(&i) {
                for &j in inits {
                    self.evaluate(j, feeds, values)?;
                }
            }
        }
        Ok(())
    }
}

/// Whether node `i`'s second input is computed from constants only (as
/// TensorFlow's constant folding sees it: no placeholder, no stateful op, no
/// control input) — then the optimizer has made it a `Const` before it
/// rewrites the division.
fn edges_divisor_is_constant(graph: &GraphDef, edges: &[Result<Vec<(usize, usize)>, String>], i: usize) -> bool {
    let Some(&(root, _)) = edges[i].as_ref().ok().and_then(|e| e.get(1)) else { return false };
    // Depth-first with an explicit stack (graphs are deep); `known` holds
    // each visited node's answer; a node met again while its inputs are
    // visited (a cycle) counts as not constant.
    let mut known: HashMap<usize, bool> = HashMap::new();
    let mut visiting = std::collections::HashSet::new();
    let mut stack = vec![(root, false)];
    while let Some((j, expanded)) = stack.pop() {
        if known.contains_key(&j) || (!expanded && visiting.contains(&j)) {
            continue;
        }
        let node = &graph.node[j];
        let inputs = match edges[j].as_ref() {
            Ok(e) => e,
            Err(_) => {
                known.insert(j, false);
                continue;
            }
        };
        let leaf = match node.op.as_str() {
            "Const" => Some(true),
            op if op.starts_with("Placeholder") => Some(false),
            _ if inputs.is_empty() || node.input.iter().any(|x| x.starts_with('^')) => Some(false),
            op if recom_tf::ops::op_def(op).is_none_or(|d| d.is_stateful) => Some(false),
            _ => None,
        };
        if let Some(answer) = leaf {
            known.insert(j, answer);
        } else if expanded {
            let answer = inputs.iter().all(|(k, _)| known.get(k).copied().unwrap_or(false));
            known.insert(j, answer);
        } else {
            visiting.insert(j);
            stack.push((j, true));
            stack.extend(inputs.iter().filter(|(k, _)| !known.contains_key(k)).map(|&(k, _)| (k, false)));
        }
    }
    known.get(&root).copied().unwrap_or(false)
}

/// The dtype a placeholder declares.
pub fn placeholder_dtype(node: &NodeDef) -> Option<DataType> {
    match node.attr.get("dtype").and_then(|a| a.value.as_ref()) {
        Some(AttrKind::Type(t)) => DataType::try_from(*t).ok(),
        _ => None,
    }
}

/// The part of `graph` that `outputs` (`node` or `node:k`) need: their
/// inputs, transitively, and the initializers of the tables among them, in
/// graph order. An output that names no node is an error.
pub fn prune(graph: &GraphDef, outputs: &[String]) -> Result<GraphDef, String> {
    let index: HashMap<&str, usize> = graph.node.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let mut keep = vec![false; graph.node.len()];
    let mut stack = Vec::new();
    for o in outputs {
        let (name, _) = parse_input(o).ok_or_else(|| format!("'{o}' is not an output"))?;
        stack.push(*index.get(name).ok_or_else(|| format!("'{name}' is not a node of the graph"))?);
    }
    loop {
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut keep[i], true) {
                continue;
            }
            for input in &graph.node[i].input {
                if let Some(&j) = parse_input(input).and_then(|(n, _)| index.get(n)) {
                    stack.push(j);
                }
            }
        }
        let inits: Vec<usize> = (0..graph.node.len())
            .filter(|&i| !keep[i] && matches!(graph.node[i].op.as_str(), "LookupTableImportV2" | "InitializeTableV2"))
            .filter(|&i| graph.node[i].input.first().and_then(|x| parse_input(x)).and_then(|(n, _)| index.get(n)).is_some_and(|&t| keep[t]))
            .collect();
        if inits.is_empty() {
            break;
        }
        stack.extend(inits);
    }
    Ok(GraphDef { node: graph.node.iter().zip(&keep).filter(|(_, k)| **k).map(|(n, _)| n.clone()).collect(), ..graph.clone() })
}
