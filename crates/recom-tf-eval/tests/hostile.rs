//! The evaluator runs on request data (the host fallback): every op, given
//! inputs of the wrong dtype, rank, size or value (empty, scalar, negative,
//! huge), returns an error or a value — it never panics or allocates without
//! bound. Deterministic pseudo-random cases over every op the dispatcher knows.
use recom_tf::{proto::attr_value::{ListValue, Value as AttrKind}, AttrValue, DataType};
use recom_tf_eval::{eval, Attrs, Data, Tensor};
use std::collections::BTreeMap;

const OPS: &[&str] = &[
    "Identity", "Shape", "Size", "Rank", "Reshape", "ExpandDims", "Squeeze", "Pack", "ConcatV2", "Slice", "StridedSlice", "GatherV2",
    "GatherNd", "Tile", "Transpose", "Range", "Fill", "ZerosLike", "OnesLike", "Sum", "Prod", "Max", "Min", "Mean", "All", "Any", "Where",
    "Cast", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "Maximum", "Minimum", "Pow", "FloorDiv", "FloorMod", "Equal",
    "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr", "LogicalNot", "BiasAdd", "Neg", "Abs", "Sqrt",
    "Rsqrt", "Square", "Exp", "Log", "Round", "Sigmoid", "Tanh", "Relu", "MatMul", "BatchMatMulV2", "Softmax", "LeakyRelu", "Select",
    "SelectV2", "AsString", "StringToHashBucketFast", "StringSplitV2", "HashTableV2", "LookupTableImportV2", "LookupTableFindV2",
    "LookupTableSizeV2", "Bucketize", "SparseReshape", "SparseFillEmptyRows", "SparseSegmentSum", "SparseSegmentMean",
    "SparseSegmentSqrtNWithNumSegments", "SparseCross", "SparseToDense", "OneHot", "Unique", "SparseReorder", "SparseSlice", "ScatterNd",
    "SegmentSum",
];

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn tensor(rng: &mut Rng) -> Tensor {
    let rank = rng.below(4) as usize;
    let shape: Vec<usize> = (0..rank).map(|_| rng.below(4) as usize).collect();
    let n: usize = shape.iter().product();
    let ints = |rng: &mut Rng| -> Vec<i64> {
        (0..n)
            .map(|_| match rng.below(6) {
                0 => -1,
                1 => i64::MAX,
                2 => i64::MIN,
                3 => 1 << 40,
                _ => rng.below(5) as i64,
            })
            .collect()
    };
    let data = match rng.below(6) {
        0 => Data::F32((0..n).map(|_| [0.0, -1.0, f32::NAN, f32::INFINITY, 2.5][rng.below(5) as usize]).collect()),
        1 => Data::I64(ints(rng)),
        2 => Data::I32(ints(rng).into_iter().map(|x| x as i32).collect()),
        3 => Data::Bool((0..n).map(|_| rng.below(2) == 1).collect()),
        4 => Data::Str((0..n).map(|_| b";a;".to_vec()).collect()),
        _ => Data::I64(ints(rng)),
    };
    Tensor::new(shape, data)
}

fn attrs(rng: &mut Rng) -> BTreeMap<String, AttrValue> {
    let mut m = BTreeMap::new();
    let v = |k: AttrKind| AttrValue { value: Some(k) };
    for name in ["axis", "begin_mask", "end_mask", "shrink_axis_mask", "ellipsis_mask", "new_axis_mask", "num_buckets", "hash_key", "maxsplit", "batch_dims"] {
        if rng.below(2) == 0 {
            m.insert(name.to_string(), v(AttrKind::I([-1, 0, 1, 3, i64::MAX][rng.below(5) as usize])));
        }
    }
    m.insert("keep_dims".into(), v(AttrKind::B(rng.below(2) == 0)));
    m.insert("DstT".into(), v(AttrKind::Type([DataType::DtFloat, DataType::DtInt32, DataType::DtInt64, DataType::DtString][rng.below(4) as usize] as i32)));
    m.insert("out_type".into(), v(AttrKind::Type(DataType::DtInt64 as i32)));
    m.insert("internal_type".into(), v(AttrKind::Type(DataType::DtInt64 as i32)));
    m.insert("hashed_output".into(), v(AttrKind::B(rng.below(2) == 0)));
    m.insert("boundaries".into(), v(AttrKind::List(ListValue { f: vec![0.0, 1.0], ..Default::default() })));
    m.insert("sparse_types".into(), v(AttrKind::List(ListValue { r#type: vec![DataType::DtInt64 as i32; rng.below(3) as usize], ..Default::default() })));
    m
}

#[test]
fn no_op_panics_on_hostile_inputs() {
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut panics = Vec::new();
    for round in 0..3000 {
        for op in OPS {
            let n = rng.below(7) as usize;
            let inputs: Vec<Tensor> = (0..n).map(|_| tensor(&mut rng)).collect();
            let a = attrs(&mut rng);
            let refs: Vec<&Tensor> = inputs.iter().collect();
            let result = std::panic::catch_unwind(|| eval(op, &Attrs(&a), &refs).map(|o| o.iter().map(|t| t.len()).sum::<usize>()));
            if result.is_err() {
                panics.push(format!("round {round}: {op} on {:?}", inputs.iter().map(|t| (t.data.dtype(), t.shape.clone())).collect::<Vec<_>>()));
            }
        }
    }
    panics.sort();
    panics.dedup_by(|a, b| a.split(" on ").next().map(|s| s.split(": ").nth(1)) == b.split(" on ").next().map(|s| s.split(": ").nth(1)));
    assert!(panics.is_empty(), "{} ops panicked, e.g.:\n{}", panics.len(), panics.join("\n"));
}
