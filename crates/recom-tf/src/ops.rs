//! What recom knows of each TensorFlow op it imports: how many outputs it has
//! and where each output's element type comes from. (A GraphDef does not
//! say; TensorFlow's op registry does.) Covers every op of the corpus models.
use crate::{proto::attr_value::Value, DataType, NodeDef};

/// Where an output's element type comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputType {
    /// The type in this attribute of the node.
    Attr(&'static str),
    /// Always this type.
    Fixed(DataType),
}

use DataType::*;
use OutputType::{Attr, Fixed};

/// The outputs of `op`, or `None` for an op recom does not know.
pub fn outputs(op: &str) -> Option<&'static [OutputType]> {
    Some(match op {
        "Const" | "Placeholder" | "PlaceholderWithDefault" => &[Attr("dtype")],
        "Identity" | "Reshape" | "Pack" | "StridedSlice" | "Slice" | "ConcatV2" | "Tile" | "Prod" | "Sum"
        | "Select" | "SelectV2" | "ZerosLike" | "Fill" | "SparseSegmentMean" | "SparseSegmentSum"
        | "SparseSegmentSqrtN" | "SegmentSum" | "AddV2" | "Sub" | "Mul" | "RealDiv" | "DivNoNan" | "Pow"
        | "BiasAdd" | "MatMul" | "Relu" | "Sigmoid" | "Sqrt" | "Square" | "ExpandDims" | "OneHot"
        | "Transpose" => &[Attr("T")],
        "SparseToDense" => &[Attr("T")],
        "GatherV2" | "GatherNd" => &[Attr("Tparams")],
        "Shape" => &[Attr("out_type")],
        "Cast" => &[Attr("DstT")],
        "Range" => &[Attr("Tidx")],
        "GreaterEqual" | "Greater" | "Less" | "NotEqual" | "LogicalAnd" | "LogicalOr" => &[Fixed(DtBool)],
        "Where" | "StringToHashBucketFast" | "LookupTableSizeV2" => &[Fixed(DtInt64)],
        "Bucketize" => &[Fixed(DtInt32)],
        "AsString" => &[Fixed(DtString)],
        "SparseFillEmptyRows" => &[Fixed(DtInt64), Attr("T"), Fixed(DtBool), Fixed(DtInt64)],
        "SparseReshape" => &[Fixed(DtInt64), Fixed(DtInt64)],
        "Unique" => &[Attr("T"), Attr("out_idx")],
        "SparseCross" => &[Fixed(DtInt64), Attr("out_type"), Fixed(DtInt64)],
        "HashTableV2" => &[Fixed(DtResource)],
        "LookupTableFindV2" => &[Attr("Tout")],
        "LookupTableImportV2" | "NoOp" => &[],
        _ => return None,
    })
}

/// The element type of each output of `node`; an error message names what
/// is missing.
pub fn output_types(node: &NodeDef) -> Result<Vec<DataType>, String> {
    let outputs = outputs(&node.op).ok_or_else(|| format!("op '{}' is not supported", node.op))?;
    outputs
        .iter()
        .map(|o| match o {
            Fixed(t) => Ok(*t),
            Attr(name) => match node.attr.get(*name).and_then(|a| a.value.as_ref()) {
                Some(Value::Type(t)) => DataType::try_from(*t).map_err(|_| format!("attribute '{name}' holds unknown type {t}")),
                _ => Err(format!("op '{}' needs a type attribute '{name}'", node.op)),
            },
        })
        .collect()
}
