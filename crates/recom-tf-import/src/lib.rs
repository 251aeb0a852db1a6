//! TensorFlow GraphDef → MLIR: every node becomes one `tf.<Op>` operation
//! (an unregistered op: TensorFlow's op set is open, so the context must
//! allow unregistered dialects) with the node's attributes, in one
//! `func.func`. Locations name the node (`NameLoc("node", file)`), so every
//! later diagnostic says which TF node it is about.
//!
//! Results are unranked tensors of the op's element types (`tensor<*xi64>`,
//! `tensor<*x!tf.string>`, `tensor<*x!tf.resource>`); shapes come later from
//! shape inference. Constants the analyses read are inlined as dense `value`
//! attributes: non-float ones (shapes, indices, boundaries, vocabulary keys;
//! up to [`INLINE_KEYS_LIMIT`] elements) and float vectors of at most
//! [`INLINE_LIMIT`]; larger ones and float matrices of any size
//! (tables, dense-layer weights) go to a [`Weights`]
//! store keyed by node name and the op refers to them (`value_ref`), so
//! printing even large models stays small and fast.
//!
//! Before import, every constant subgraph of the outputs' cone is folded
//! (`recom_tf_eval::fold`, TensorFlow's semantics): a node computed from
//! constants only is imported as the `tf.Const` of its value.
use indexmap::IndexMap;
use melior::{
    dialect::func,
    ir::{
        attribute::{ArrayAttribute, BoolAttribute, FloatAttribute, IntegerAttribute, StringAttribute, TypeAttribute},
        operation::OperationBuilder,
        r#type::{FunctionType, IntegerType},
        operation::OperationLike,
        Attribute, Block, BlockLike, Identifier, Location, Module, Region, RegionLike, Type, Value,
    },
    Context,
};
use recom_ir::{Diagnostic, Severity, SourceLocation};
use recom_tf::{proto::attr_value::Value as AttrKind, AttrValue, DataType, GraphDef, NodeDef, TensorProto};
use std::collections::HashMap;

/// Why a graph could not be imported: located diagnostics, one per
/// problem (each names its node).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ImportError(pub Vec<Diagnostic>);

/// `Const` node values by node name.
pub type Weights = HashMap<String, TensorProto>;

/// Float vectors (and row vectors) and scalars of at most this many elements
/// are inlined into the IR; larger float constants (and float matrices of
/// any size) are weights.
pub const INLINE_LIMIT: usize = 64;

/// Non-float constants (vocabulary keys, bucket boundaries, shapes, indices)
/// are what the raising patterns read, so they are inlined up to this many
/// elements; past it they are weights like tables.
pub const INLINE_KEYS_LIMIT: usize = 1 << 20;

/// Whether a `Const` value stays out of the IR, in the [`Weights`] store.
/// A row vector `[1, ..., 1, K]` counts as a vector (Keras' Normalization
/// keeps its mean and variance so; the numeric-column matcher reads them).
fn is_weight(tensor: &TensorProto) -> bool {
    let float = tensor.dtype == DataType::DtFloat as i32;
    let matrix = tensor.tensor_shape.as_ref().is_some_and(|s| s.dim.len() >= 2 && s.dim[..s.dim.len() - 1].iter().any(|d| d.size != 1));
    let limit = if float { INLINE_LIMIT } else { INLINE_KEYS_LIMIT };
    (float && matrix) || !recom_tf::tensor::element_count(tensor).is_ok_and(|n| n <= limit)
}

/// A small constant as a dense elements attribute of its shape and type.
fn dense_value<'c>(context: &'c Context, tensor: &TensorProto) -> Result<Attribute<'c>, String> {
    use recom_tf::tensor::{self, Values};
    let dims = tensor::shape(tensor)?;
    let dtype = DataType::try_from(tensor.dtype).map_err(|_| format!("unknown dtype {}", tensor.dtype))?;
    let element = element_type(context, dtype)?;
    let shaped = recom_ir::ext::ranked_tensor(&dims, element);
    use recom_ir::ext::{dense_elements, DenseValues};
    let attr = {
        match tensor::values(tensor)? {
            Values::F32(v) => dense_elements(shaped, DenseValues::F32(&v)),
            Values::F64(v) => dense_elements(shaped, DenseValues::F64(&v)),
            Values::I32(v) => dense_elements(shaped, DenseValues::I32(&v)),
            Values::I64(v) => dense_elements(shaped, DenseValues::I64(&v)),
            Values::Bool(v) => dense_elements(shaped, DenseValues::Bool(&v)),
            Values::Str(v) => {
                // Strings are !tf.string elements: keep them as a dense
                // array of string attributes instead (MLIR's dense string
                // elements need a builtin element type).
                let items: Vec<Attribute> = v
                    .iter()
                    .map(|s| Attribute::from(StringAttribute::new(context, &String::from_utf8_lossy(s))))
                    .collect();
                return Ok(ArrayAttribute::new(context, &items).into());
            }
        }
    };
    attr.ok_or_else(|| format!("its {} values do not fill its shape {dims:?}", tensor::element_count(tensor).unwrap_or(0)))
}

/// Which nodes the outputs depend on (every node when no output is asked
/// for: the whole graph, returning its sinks): their data and control inputs,
/// transitively, plus what initializes a lookup table they use (a
/// `LookupTableImportV2` or other initializer takes the table as an input,
/// so it is a user of the table, not an input of the outputs).
fn cone(graph: &GraphDef, index: &HashMap<&str, usize>, outputs: &[&str]) -> Result<Vec<bool>, String> {
    let node_of = |input: &str| {
        let name = input.trim_start_matches('^');
        let name = parse_input(name).map_or(name, |(n, _)| n);
        index.get(name).copied()
    };
    if outputs.is_empty() {
        return Ok(vec![true; graph.node.len()]);
    }
    let mut keep = vec![false; graph.node.len()];
    let mut stack = Vec::new();
    for output in outputs {
        let node = node_of(output).ok_or_else(|| format!("output '{output}' names no node of the graph"))?;
        stack.push(node);
    }
    loop {
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut keep[i], true) {
                continue;
            }
            stack.extend(graph.node[i].input.iter().filter_map(|input| node_of(input)));
        }
        // Initializers of the tables in the cone, and what they read.
        let initializers: Vec<usize> = (0..graph.node.len())
            .filter(|&i| !keep[i])
            .filter(|&i| {
                graph.node[i].input.iter().filter_map(|input| node_of(input)).any(|p| keep[p] && graph.node[p].op.ends_with("TableV2"))
            })
            .collect();
        if initializers.is_empty() {
            return Ok(keep);
        }
        stack.extend(initializers);
    }
}

/// With no outputs asked for, the whole graph's results are what nobody
/// consumes: every result of a node no data input names (leaving out unused
/// feeds and constants, and table handles), in graph order. Without this
/// the function would return nothing and every op would be dead code.
fn sinks<'c, 'a>(graph: &GraphDef, values: &HashMap<&str, Vec<Value<'c, 'a>>>) -> Vec<(Value<'c, 'a>, String)> {
    let consumed: std::collections::HashSet<&str> =
        graph.node.iter().flat_map(|n| n.input.iter()).filter_map(|input| parse_input(input)).map(|(name, _)| name).collect();
    graph
        .node
        .iter()
        .filter(|n| !consumed.contains(n.name.as_str()))
        .filter(|n| !matches!(n.op.as_str(), "Placeholder" | "PlaceholderWithDefault" | "Const" | "NoOp"))
        .flat_map(|n| {
            values.get(n.name.as_str()).into_iter().flatten().enumerate().map(move |(k, v)| (*v, output_name(&format!("{}:{k}", n.name))))
        })
        .filter(|(v, _)| !melior::ir::ValueLike::r#type(v).to_string().contains("!tf.resource"))
        .collect()
}

/// The name an output goes by: the node's name for its first result
/// (`logits:0` and `logits` are `logits`), `node:k` for another.
pub fn output_name(output: &str) -> String {
    match output.rsplit_once(':') {
        Some((node, "0")) => node.to_string(),
        _ => output.to_string(),
    }
}

/// An imported graph.
pub struct Imported<'c> {
    pub module: Module<'c>,
    pub weights: Weights,
}

fn element_type<'c>(context: &'c Context, dtype: DataType) -> Result<Type<'c>, String> {
    let int = |bits| Ok(IntegerType::new(context, bits).into());
    let opaque = |name: &str| Ok(recom_ir::ext::opaque_type(context, "tf", name));
    match dtype {
        DataType::DtFloat => Ok(Type::float32(context)),
        DataType::DtDouble => Ok(Type::float64(context)),
        DataType::DtHalf => Ok(recom_ir::ext::f16(context)),
        DataType::DtBfloat16 => Ok(recom_ir::ext::bf16(context)),
        DataType::DtInt64 | DataType::DtUint64 => int(64),
        DataType::DtInt32 | DataType::DtUint32 => int(32),
        DataType::DtInt16 | DataType::DtUint16 => int(16),
        DataType::DtInt8 | DataType::DtUint8 => int(8),
        DataType::DtBool => int(1),
        DataType::DtString => opaque("string"),
        DataType::DtResource => opaque("resource"),
        other => Err(format!("dtype {} is not supported", other.as_str_name())),
    }
}

fn tensor_of<'c>(element: Type<'c>) -> Type<'c> {
    recom_ir::ext::unranked_tensor(element)
}

fn shape_attr<'c>(context: &'c Context, shape: &recom_tf::TensorShapeProto) -> Attribute<'c> {
    if shape.unknown_rank {
        return StringAttribute::new(context, "unknown_rank").into();
    }
    let dims: Vec<i64> = shape.dim.iter().map(|d| d.size).collect();
    melior::ir::attribute::DenseI64ArrayAttribute::new(context, &dims).into()
}

fn convert_attr<'c>(context: &'c Context, value: &AttrValue) -> Result<Attribute<'c>, String> {
    let i64t: Type = IntegerType::new(context, 64).into();
    Ok(match value.value.as_ref() {
        None => Attribute::unit(context),
        Some(AttrKind::S(s)) => StringAttribute::new(context, &String::from_utf8_lossy(s)).into(),
        Some(AttrKind::I(i)) => IntegerAttribute::new(i64t, *i).into(),
        Some(AttrKind::F(f)) => FloatAttribute::new(context, Type::float32(context), *f as f64).into(),
        Some(AttrKind::B(b)) => BoolAttribute::new(context, *b).into(),
        Some(AttrKind::Type(t)) => {
            let dtype = DataType::try_from(*t).map_err(|_| format!("unknown dtype {t}"))?;
            TypeAttribute::new(element_type(context, dtype)?).into()
        }
        Some(AttrKind::Shape(shape)) => shape_attr(context, shape),
        Some(AttrKind::List(list)) => {
            let mut items: Vec<Attribute> = Vec::new();
            items.extend(list.s.iter().map(|s| Attribute::from(StringAttribute::new(context, &String::from_utf8_lossy(s)))));
            items.extend(list.i.iter().map(|i| Attribute::from(IntegerAttribute::new(i64t, *i))));
            items.extend(list.f.iter().map(|f| Attribute::from(FloatAttribute::new(context, Type::float32(context), *f as f64))));
            items.extend(list.b.iter().map(|b| Attribute::from(BoolAttribute::new(context, *b))));
            for t in &list.r#type {
                let dtype = DataType::try_from(*t).map_err(|_| format!("unknown dtype {t}"))?;
                items.push(TypeAttribute::new(element_type(context, dtype)?).into());
            }
            items.extend(list.shape.iter().map(|s| shape_attr(context, s)));
            if !list.tensor.is_empty() || !list.func.is_empty() {
                return Err("lists of tensors or functions are not supported".into());
            }
            ArrayAttribute::new(context, &items).into()
        }
        Some(AttrKind::Tensor(_)) => return Err("tensor attributes are only supported as a Const's value".into()),
        Some(AttrKind::Func(_)) | Some(AttrKind::Placeholder(_)) => {
            return Err("function attributes are not supported".into())
        }
    })
}

/// `"node:k"` → ("node", k); `"^node"` (a control input) → None.
fn parse_input(input: &str) -> Option<(&str, usize)> {
    if input.starts_with('^') {
        return None;
    }
    match input.rsplit_once(':') {
        Some((name, k)) if k.chars().all(|c| c.is_ascii_digit()) && !k.is_empty() => Some((name, k.parse().ok()?)),
        _ => Some((input, 0)),
    }
}

/// Imports `graph` (read from `file`) as `func.func @<function>` returning
/// `outputs` (`"node"` or `"node:k"`).
pub fn import_graph<'c>(
    context: &'c Context,
    graph: &GraphDef,
    file: &str,
    function: &str,
    outputs: &[&str],
) -> Result<Imported<'c>, ImportError> {
    context.set_allow_unregistered_dialects(true);
    let file_location = Location::new(context, file, 0, 0);
    let at = |node: &NodeDef| Location::name(context, &node.name, file_location);
    let fail = |node: &NodeDef, message: String| {
        Diagnostic::new(
            Severity::Error,
            SourceLocation::Name { name: node.name.clone(), inner: Box::new(SourceLocation::File { file: file.into(), line: 0, column: 0 }) },
            message,
        )
    };

    // Node names are unique (TensorFlow rejects a graph where they are not).
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(graph.node.len());
    for (i, node) in graph.node.iter().enumerate() {
        if index.insert(node.name.as_str(), i).is_some() {
            return Err(ImportError(vec![fail(node, format!("the graph has two nodes named '{}'", node.name))]));
        }
    }

    // The cone of the outputs: only what they depend on is imported (savers,
    // training ops, summaries elsewhere in the graph do not matter).
    let keep = cone(graph, &index, outputs).map_err(|message| {
        ImportError(vec![Diagnostic::new(Severity::Error, SourceLocation::File { file: file.into(), line: 0, column: 0 }, message)])
    })?;

    // Constant subgraphs of the cone become constants (TensorFlow's
    // semantics, recom-tf-eval): the raising passes see one tf.Const where
    // the graph computed it from constants.
    let folded = recom_tf_eval::fold::fold_constants(graph, Some(&keep));
    let replaced: HashMap<usize, &NodeDef> = folded.nodes.iter().map(|(i, n)| (*i, n)).collect();

    // Coverage: every node of the cone whose op recom does not know, in one error.
    let unknown: Vec<Diagnostic> = graph
        .node
        .iter()
        .enumerate()
        .filter(|(i, n)| keep[*i] && recom_tf::ops::op_def(&n.op).is_none())
        .map(|(_, n)| fail(n, format!("op '{}' is not supported", n.op)))
        .collect();
    if !unknown.is_empty() {
        return Err(ImportError(unknown));
    }

    // Topological order over data and control inputs (GraphDefs need not be sorted).
    let mut pending = vec![0usize; graph.node.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    for (i, node) in graph.node.iter().enumerate().filter(|(i, _)| keep[*i]) {
        for input in &node.input {
            let name = input.trim_start_matches('^');
            let name = parse_input(name).map_or(name, |(n, _)| n);
            let Some(&producer) = index.get(name) else {
                return Err(ImportError(vec![fail(node, format!("input '{input}' names no node of the graph"))]));
            };
            pending[i] += 1;
            users[producer].push(i);
        }
    }
    let mut order: Vec<usize> = (0..graph.node.len()).filter(|&i| keep[i] && pending[i] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        for &user in &users[order[next]] {
            pending[user] -= 1;
            if pending[user] == 0 {
                order.push(user);
            }
        }
        next += 1;
    }
    if order.len() != keep.iter().filter(|&&k| k).count() {
        let stuck = graph.node.iter().enumerate().find(|(i, _)| keep[*i] && pending[*i] > 0).map(|(_, n)| n).unwrap();
        return Err(ImportError(vec![fail(stuck, "the graph has a cycle through this node".into())]));
    }

    let block = Block::new(&[]);
    let mut values: HashMap<&str, Vec<Value>> = HashMap::new();
    let mut weights = Weights::new();
    let mut errors = Vec::new();
    for &i in &order {
        let node = replaced.get(&i).copied().unwrap_or(&graph.node[i]);
        let types = match recom_tf::ops::output_types(node).and_then(|types| {
            types.into_iter().map(|t| element_type(context, t).map(tensor_of)).collect::<Result<Vec<_>, _>>()
        }) {
            Ok(types) => types,
            Err(e) => {
                errors.push(fail(node, e));
                continue;
            }
        };
        let mut operands = Vec::new();
        let mut control = Vec::new();
        for input in &node.input {
            match parse_input(input) {
                None => control.push(StringAttribute::new(context, &input[1..]).into()),
                Some((name, k)) => match values.get(name).and_then(|v| v.get(k)) {
                    Some(v) => operands.push(*v),
                    None => errors.push(fail(node, format!("input '{input}': node '{name}' has no output {k}"))),
                },
            }
        }
        let mut attrs: IndexMap<String, Attribute> = IndexMap::new();
        let mut sorted: Vec<(&String, &AttrValue)> = node.attr.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (name, value) in sorted {
            if let (Some(AttrKind::Tensor(tensor)), "value") = (value.value.as_ref(), name.as_str()) {
                if !is_weight(tensor) {
                    // Small float constants (biases) are in the IR and, for
                    // the dense layers that read them by name, in the store.
                    if tensor.dtype == DataType::DtFloat as i32 {
                        weights.insert(node.name.clone(), tensor.clone());
                    }
                    match dense_value(context, tensor) {
                        Ok(a) => {
                            attrs.insert("value".into(), a);
                        }
                        Err(e) => errors.push(fail(node, format!("attribute 'value': {e}"))),
                    }
                    // Strings are a plain array: keep their shape beside it.
                    if tensor.dtype == DataType::DtString as i32 {
                        if let Some(shape) = &tensor.tensor_shape {
                            attrs.insert("value_shape".into(), shape_attr(context, shape));
                        }
                    }
                    continue;
                }
                // Large constants (tables) stay out of the IR.
                weights.insert(node.name.clone(), tensor.clone());
                attrs.insert("value_ref".into(), StringAttribute::new(context, &node.name).into());
                if let Some(shape) = &tensor.tensor_shape {
                    attrs.insert("value_shape".into(), shape_attr(context, shape));
                }
                continue;
            }
            match convert_attr(context, value) {
                Ok(a) => {
                    attrs.insert(name.clone(), a);
                }
                Err(e) => errors.push(fail(node, format!("attribute '{name}': {e}"))),
            }
        }
        if !control.is_empty() {
            attrs.insert("control_inputs".into(), ArrayAttribute::new(context, &control).into());
        }
        let named: Vec<(Identifier, Attribute)> = attrs.iter().map(|(k, v)| (Identifier::new(context, k), *v)).collect();
        let op = OperationBuilder::new(&format!("tf.{}", node.op), at(node))
            .add_operands(&operands)
            .add_attributes(&named)
            .add_results(&types)
            .build();
        match op {
            Ok(op) => {
                let op = block.append_operation(op);
                values.insert(node.name.as_str(), op.results().map(Into::into).collect());
            }
            Err(e) => errors.push(fail(node, format!("cannot build tf.{}: {e}", node.op))),
        }
    }
    if !errors.is_empty() {
        return Err(ImportError(errors));
    }

    let mut results = Vec::new();
    let mut names: Vec<String> = outputs.iter().map(|o| output_name(o)).collect();
    if outputs.is_empty() {
        (results, names) = sinks(graph, &values).into_iter().unzip();
    }
    for output in outputs {
        let value = parse_input(output).and_then(|(name, k)| values.get(name).and_then(|v| v.get(k)).copied());
        match value {
            Some(v) => results.push(v),
            None => {
                return Err(ImportError(vec![Diagnostic::new(
                    Severity::Error,
                    SourceLocation::File { file: file.into(), line: 0, column: 0 },
                    format!("output '{output}' is not a result of the graph"),
                )]))
            }
        }
    }
    let result_types: Vec<Type> = results.iter().map(melior::ir::ValueLike::r#type).collect();
    block.append_operation(func::r#return(&results, file_location));
    let region = Region::new();
    region.append_block(block);
    let module = Module::new(file_location);
    // Each result's output name, `recom.output` (what a request's outputs are called).
    let result_attrs: Vec<Attribute> = names
        .iter()
        .map(|n| {
            melior::ir::attribute::DictionaryAttribute::new(
                context,
                &[(Identifier::new(context, "recom.output"), StringAttribute::new(context, n).into())],
            )
            .into()
        })
        .collect();
    module.body().append_operation(func::func(
        context,
        StringAttribute::new(context, function),
        TypeAttribute::new(FunctionType::new(context, &[], &result_types).into()),
        region,
        &[(Identifier::new(context, "res_attrs"), ArrayAttribute::new(context, &result_attrs).into())],
        file_location,
    ));
    Ok(Imported { module, weights })
}

#[cfg(test)]
mod tests {
    use super::*;
    use recom_tf::{proto::tensor_shape_proto::Dim, TensorShapeProto};

    fn tensor(dtype: DataType, dims: &[i64]) -> TensorProto {
        TensorProto {
            dtype: dtype as i32,
            tensor_shape: Some(TensorShapeProto { dim: dims.iter().map(|&size| Dim { size, name: String::new() }).collect(), unknown_rank: false }),
            ..Default::default()
        }
    }

    #[test]
    fn what_stays_out_of_the_ir() {
        let f = DataType::DtFloat;
        // Small float vectors and row vectors (Keras' Normalization keeps its
        // mean as [1, K]) are in the IR; matrices and large values are weights.
        assert!(!is_weight(&tensor(f, &[8])));
        assert!(!is_weight(&tensor(f, &[1, 8])));
        assert!(!is_weight(&tensor(f, &[1, 1, 8])));
        assert!(is_weight(&tensor(f, &[8, 1])));
        assert!(is_weight(&tensor(f, &[2, 8])));
        assert!(is_weight(&tensor(f, &[1, INLINE_LIMIT as i64 + 1])));
        // Keys and shapes: up to a million elements in the IR.
        assert!(!is_weight(&tensor(DataType::DtInt64, &[1000, 2])));
        assert!(is_weight(&tensor(DataType::DtInt64, &[INLINE_KEYS_LIMIT as i64 + 1])));
    }
}
