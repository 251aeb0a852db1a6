//! TensorFlow's op definitions as data: every registered op's `OpDef`
//! (`data/ops.binpb`, dumped from TensorFlow 2.21 by
//! `tools/tf/dump_tf_defs.py`). A GraphDef does not say how many outputs a
//! node has or of which types; its op's definition does, from the node's
//! attributes (`T`, `N`, `out_type`, lists of types) or their defaults.
use crate::{
    proto::{attr_value::Value, op_def::ArgDef, OpDef, OpList},
    AttrValue, DataType, NodeDef,
};
use prost::Message;
use std::{collections::HashMap, sync::LazyLock};

static OPS: LazyLock<HashMap<String, OpDef>> = LazyLock::new(|| {
    let list = OpList::decode(&include_bytes!("../data/ops.binpb")[..]).expect("data/ops.binpb decodes");
    list.op.into_iter().map(|op| (op.name.clone(), op)).collect()
});

/// The definition of `op`, or `None` for an op TensorFlow does not register.
pub fn op_def(op: &str) -> Option<&'static OpDef> {
    OPS.get(op)
}

/// How many ops are defined.
pub fn op_count() -> usize {
    OPS.len()
}

/// The node's attribute `name`, or the op's default for it.
fn attr<'a>(node: &'a NodeDef, def: &'a OpDef, name: &str) -> Option<&'a AttrValue> {
    node.attr.get(name).or_else(|| def.attr.iter().find(|a| a.name == name).and_then(|a| a.default_value.as_ref()))
}

fn type_of(t: i32, what: &str) -> Result<DataType, String> {
    DataType::try_from(t).map_err(|_| format!("{what} holds unknown type {t}"))
}

/// The element types of one output argument (several for a list).
fn arg_types(node: &NodeDef, def: &OpDef, arg: &ArgDef) -> Result<Vec<DataType>, String> {
    let need = |name: &str| attr(node, def, name).and_then(|a| a.value.as_ref());
    if !arg.type_list_attr.is_empty() {
        return match need(&arg.type_list_attr) {
            Some(Value::List(list)) => list.r#type.iter().map(|&t| type_of(t, &format!("attribute '{}'", arg.type_list_attr))).collect(),
            _ => Err(format!("op '{}' needs a type list attribute '{}'", node.op, arg.type_list_attr)),
        };
    }
    let element = if arg.r#type != 0 {
        type_of(arg.r#type, &format!("output '{}'", arg.name))?
    } else {
        match need(&arg.type_attr) {
            Some(Value::Type(t)) => type_of(*t, &format!("attribute '{}'", arg.type_attr))?,
            _ => return Err(format!("op '{}' needs a type attribute '{}'", node.op, arg.type_attr)),
        }
    };
    let count = if arg.number_attr.is_empty() {
        1
    } else {
        match need(&arg.number_attr) {
            Some(Value::I(n)) if (0..=1 << 16).contains(n) => *n as usize,
            _ => return Err(format!("op '{}' needs a count attribute '{}'", node.op, arg.number_attr)),
        }
    };
    Ok(vec![element; count])
}

/// The element type of each output of `node`; an error message names what
/// is missing.
pub fn output_types(node: &NodeDef) -> Result<Vec<DataType>, String> {
    let def = op_def(&node.op).ok_or_else(|| format!("op '{}' is not supported", node.op))?;
    let mut types = Vec::new();
    for arg in &def.output_arg {
        types.extend(arg_types(node, def, arg)?);
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{attr_value::ListValue, AttrValue};

    fn node(op: &str, attrs: &[(&str, Value)]) -> NodeDef {
        NodeDef {
            name: "n".into(),
            op: op.into(),
            attr: attrs.iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v.clone()) })).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn outputs_from_the_op_definitions() {
        use DataType::*;
        assert!(op_count() > 1500);
        let t = |d: DataType| Value::Type(d as i32);
        // A type attribute.
        assert_eq!(output_types(&node("Maximum", &[("T", t(DtFloat))])), Ok(vec![DtFloat]));
        // Fixed types, several outputs.
        assert_eq!(output_types(&node("StringSplitV2", &[])), Ok(vec![DtInt64, DtString, DtInt64]));
        // A default: Shape's out_type is int32 unless given.
        assert_eq!(output_types(&node("Shape", &[("T", t(DtFloat))])), Ok(vec![DtInt32]));
        assert_eq!(output_types(&node("Shape", &[("T", t(DtFloat)), ("out_type", t(DtInt64))])), Ok(vec![DtInt64]));
        // A number attribute: N outputs.
        assert_eq!(output_types(&node("Unpack", &[("T", t(DtInt64)), ("num", Value::I(3))])), Ok(vec![DtInt64; 3]));
        // A type list.
        let list = Value::List(ListValue { r#type: vec![DtInt32 as i32, DtString as i32], ..Default::default() });
        assert_eq!(output_types(&node("IdentityN", &[("T", list)])), Ok(vec![DtInt32, DtString]));
        // What is missing is named.
        assert_eq!(output_types(&node("Cast", &[])), Err("op 'Cast' needs a type attribute 'DstT'".into()));
        assert_eq!(output_types(&node("FancyOp", &[])), Err("op 'FancyOp' is not supported".into()));
        assert_eq!(output_types(&node("Unpack", &[("T", t(DtInt64)), ("num", Value::I(-1))])), Err("op 'Unpack' needs a count attribute 'num'".into()));
    }
}
