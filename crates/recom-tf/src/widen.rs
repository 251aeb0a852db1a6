//! Wider models from real ones, for scale tests without TensorFlow: every
//! column of a model's input layer is repeated `copies` more times, each
//! copy with its own placeholders, tables and weights (node names prefixed
//! `wide<k>/`), and the input layer's `ConcatV2` takes all of them. The
//! result is a GraphDef the same TensorFlow APIs could have built (a
//! feature-column model with `copies + 1` times the columns), whose output
//! for a batch fed to every copy is the original output repeated
//! `copies + 1` times along axis 1 — a correctness check at any size.
use crate::{
    proto::attr_value::Value,
    AttrValue, GraphDef, NodeDef,
};
use std::collections::{HashMap, HashSet};

/// Why a graph could not be widened.
#[derive(Debug, thiserror::Error)]
pub enum WidenError {
    #[error("output '{0}' is not a node of the graph")]
    NoOutput(String),
    #[error("output '{output}' does not reach a ConcatV2 through Identity nodes (it reaches '{reached}', a {op})")]
    NoConcat { output: String, reached: String, op: String },
    #[error("node '{node}' reads '{input}', which is not a node of the graph")]
    Dangling { node: String, input: String },
    #[error("ConcatV2 '{0}' has no axis input")]
    NoAxis(String),
}

/// The node name of an input reference (`^ctrl`, `name:1` → `name`).
fn node_of(input: &str) -> &str {
    let input = input.strip_prefix('^').unwrap_or(input);
    match input.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => input,
    }
}

/// The prefix of copy `k` (1-based).
pub fn copy_prefix(k: usize) -> String {
    format!("wide{k}/")
}

/// `input` renamed into copy `k`, keeping `^` and `:port`.
fn rename(input: &str, prefix: &str) -> String {
    match input.strip_prefix('^') {
        Some(rest) => format!("^{prefix}{rest}"),
        None => format!("{prefix}{input}"),
    }
}

/// The model whose output `output` is its input layer with every column
/// repeated `copies` more times. Only the output's cone (the input layer,
/// the table initializers it needs and the Identity chain to `output`) is
/// kept: the layers after the input layer would not fit the wider width.
pub fn widen(graph: &GraphDef, output: &str, copies: usize) -> Result<GraphDef, WidenError> {
    let index: HashMap<&str, usize> = graph.node.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let lookup = |node: &NodeDef, input: &str| -> Result<usize, WidenError> {
        index.get(node_of(input)).copied().ok_or_else(|| WidenError::Dangling { node: node.name.clone(), input: input.to_string() })
    };
    // The Identity chain from the output to the input layer's concat.
    let mut chain = vec![*index.get(output).ok_or_else(|| WidenError::NoOutput(output.to_string()))?];
    loop {
        let node = &graph.node[*chain.last().unwrap()];
        match node.op.as_str() {
            "ConcatV2" => break,
            "Identity" if !node.input.is_empty() => chain.push(lookup(node, &node.input[0])?),
            op => return Err(WidenError::NoConcat { output: output.to_string(), reached: node.name.clone(), op: op.to_string() }),
        }
    }
    let concat = *chain.last().unwrap();
    let concat_node = &graph.node[concat];
    let data_inputs = concat_node.input.iter().filter(|i| !i.starts_with('^')).count();
    if data_inputs < 2 {
        return Err(WidenError::NoAxis(concat_node.name.clone()));
    }
    // The concat's ancestors (the columns), without the axis.
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    for (i, node) in graph.node.iter().enumerate() {
        for input in &node.input {
            consumers[lookup(node, input)?].push(i);
        }
    }
    let ancestors = |roots: Vec<usize>, into: &mut HashSet<usize>| -> Result<(), WidenError> {
        let mut stack = roots;
        while let Some(i) = stack.pop() {
            if into.insert(i) {
                let node = &graph.node[i];
                for input in &node.input {
                    stack.push(lookup(node, input)?);
                }
            }
        }
        Ok(())
    };
    let mut columns = HashSet::new();
    let roots = concat_node.input.iter().take(data_inputs - 1).map(|i| lookup(concat_node, i)).collect::<Result<Vec<_>, _>>()?;
    ancestors(roots, &mut columns)?;
    // Table initializers: nodes off the cone that consume a column node and
    // feed nothing downstream of the concat (`LookupTableImportV2` of a
    // vocabulary's table), with their own inputs.
    let downstream: HashSet<usize> = {
        let mut seen = HashSet::new();
        let mut stack = vec![concat];
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(consumers[i].iter().copied());
            }
        }
        seen
    };
    let inits: Vec<usize> = (0..graph.node.len())
        .filter(|i| !columns.contains(i) && !downstream.contains(i))
        .filter(|&i| graph.node[i].input.iter().any(|input| index.get(node_of(input)).is_some_and(|j| columns.contains(j))))
        .filter(|&i| consumers[i].iter().all(|c| !downstream.contains(c)))
        .collect();
    ancestors(inits, &mut columns)?;

    let mut kept: Vec<usize> = columns.iter().copied().collect();
    kept.sort_unstable();
    let axis = concat_node.input[data_inputs - 1].clone();
    let axis_node = lookup(concat_node, &axis)?;
    let mut nodes: Vec<NodeDef> = kept.iter().map(|&i| graph.node[i].clone()).collect();
    let mut inputs: Vec<String> = concat_node.input[..data_inputs - 1].to_vec();
    for k in 1..=copies {
        let prefix = copy_prefix(k);
        for &i in &kept {
            let mut node = graph.node[i].clone();
            node.name = format!("{prefix}{}", node.name);
            node.input = node.input.iter().map(|input| rename(input, &prefix)).collect();
            nodes.push(node);
        }
        inputs.extend(concat_node.input[..data_inputs - 1].iter().map(|input| rename(input, &prefix)));
    }
    if !columns.contains(&axis_node) {
        nodes.push(graph.node[axis_node].clone());
    }
    let n = inputs.len();
    inputs.push(axis);
    inputs.extend(concat_node.input[data_inputs..].iter().cloned());
    let mut wide_concat = concat_node.clone();
    wide_concat.input = inputs;
    wide_concat.attr.insert("N".into(), AttrValue { value: Some(Value::I(n as i64)) });
    nodes.push(wide_concat);
    nodes.extend(chain[..chain.len() - 1].iter().rev().map(|&i| graph.node[i].clone()));
    Ok(GraphDef { node: nodes, ..graph.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_text;

    const MODEL: &str = r#"
        node { name: "ids" op: "Placeholder" attr { key: "dtype" value { type: DT_INT64 } } }
        node { name: "table" op: "HashTableV2" }
        node { name: "keys" op: "Const" }
        node { name: "init" op: "LookupTableImportV2" input: "table" input: "keys" input: "keys" }
        node { name: "find" op: "LookupTableFindV2" input: "table" input: "ids" input: "keys" }
        node { name: "dense" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
        node { name: "axis" op: "Const" }
        node { name: "concat" op: "ConcatV2" input: "find:0" input: "dense" input: "axis" attr { key: "N" value { i: 2 } } }
        node { name: "out" op: "Identity" input: "concat" }
        node { name: "w" op: "Const" }
        node { name: "logits" op: "MatMul" input: "out" input: "w" }
    "#;

    #[test]
    fn columns_tables_and_initializers_are_copied() {
        let graph = parse_text(MODEL, "m.pbtxt").unwrap();
        let wide = widen(&graph, "out", 2).unwrap();
        let names: Vec<&str> = wide.node.iter().map(|n| n.name.as_str()).collect();
        for name in ["ids", "wide1/ids", "wide2/table", "wide2/init", "wide1/find", "wide2/dense", "concat", "out"] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert!(!names.contains(&"logits") && !names.contains(&"w") && !names.contains(&"wide1/axis"), "{names:?}");
        let concat = wide.node.iter().find(|n| n.name == "concat").unwrap();
        assert_eq!(concat.input, ["find:0", "dense", "wide1/find:0", "wide1/dense", "wide2/find:0", "wide2/dense", "axis"]);
        assert_eq!(concat.attr["N"].value, Some(Value::I(6)));
        let init = wide.node.iter().find(|n| n.name == "wide1/init").unwrap();
        assert_eq!(init.input, ["wide1/table", "wide1/keys", "wide1/keys"]);
    }

    #[test]
    fn errors_name_the_node() {
        let graph = parse_text(MODEL, "m.pbtxt").unwrap();
        assert_eq!(widen(&graph, "nope", 1).unwrap_err().to_string(), "output 'nope' is not a node of the graph");
        let e = widen(&graph, "logits", 1).unwrap_err().to_string();
        assert!(e.contains("reaches 'logits', a MatMul"), "{e}");
    }
}
