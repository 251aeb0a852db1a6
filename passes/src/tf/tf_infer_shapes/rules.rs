//! `tf-infer-shapes`' rules: the shapes and small integer contents of each
//! op's results from its operands'.
use super::{product, Info, State, C, MAX_CONTENT};
use crate::tf::tf_match::{const_ints, def, int_attr, name_of, node_name, operand};
use melior::ir::operation::{OperationLike, OperationRef};
use recom_ir::kit::TensorInfo;
use recom_symshape::{
    expr::{BinOp, Expr},
    sym,
};


/// The content of a value as integers, when all known constants.
fn consts(info: &Info) -> Option<Vec<i64>> {
    info.content.as_ref()?.iter().map(|e| if let Expr::Const(c) = e { Some(*c) } else { None }).collect()
}

fn same_shape(state: &mut State, op: OperationRef, k: usize) -> Vec<Info> {
    let shape = operand(op, k).map(|v| state.info(v).shape).unwrap_or(None);
    vec![Info { shape, content: None }]
}

fn fresh_for(state: &mut State, op: OperationRef, what: &str) -> Expr {
    let node = node_name(op.location()).unwrap_or_else(|| name_of(op));
    state.fresh(format!("{node}:{what}"), None)
}

/// The SparseTensor a cross makes (tf.SparseCross, emb.cross_hashed): a
/// fresh entry count, and dense_shape [batch, fresh width].
fn crossed_sparse(state: &mut State, op: OperationRef, batch: Option<Expr>) -> Vec<Info> {
    let entries = fresh_for(state, op, "crossed");
    let width = fresh_for(state, op, "width");
    vec![
        Info { shape: Some(vec![entries.clone(), C(2)]), content: None },
        Info { shape: Some(vec![entries]), content: None },
        Info { shape: Some(vec![C(2)]), content: batch.map(|b| vec![b, width]) },
    ]
}

/// Normalizes an axis against a rank.
fn axis(a: i64, rank: usize) -> Option<usize> {
    let a = if a < 0 { a + rank as i64 } else { a };
    (0..rank as i64).contains(&a).then_some(a as usize)
}

/// One `tf` op's results.
pub(super) fn infer(state: &mut State, op: OperationRef) -> Vec<Info> {
    let name = name_of(op);
    let n = op.result_count();
    let unknown = vec![Info::default(); n];
    if let Some(emb_op) = name.strip_prefix("emb.") {
        return infer_emb(state, op, emb_op).unwrap_or(unknown);
    }
    let Some(tf) = name.strip_prefix("tf.") else { return unknown };
    let input = |state: &State, k: usize| operand(op, k).map(|v| state.info(v)).unwrap_or_default();
    let elementwise_content = |a: &Info, b: &Info, f: fn(&Expr, &Expr) -> Expr| -> Option<Vec<Expr>> {
        let (x, y) = (a.content.as_ref()?, b.content.as_ref()?);
        match (x.len(), y.len()) {
            (l, m) if l == m => Some(x.iter().zip(y).map(|(p, q)| f(p, q)).collect()),
            (1, _) => Some(y.iter().map(|q| f(&x[0], q)).collect()),
            (_, 1) => Some(x.iter().map(|p| f(p, &y[0])).collect()),
            _ => None,
        }
    };
    match tf {
        "Const" => {
            let Ok(r) = op.result(0) else { return unknown };
            let _ = r;
            let attr = op.attribute("value").ok();
            let shape = attr.and_then(|a| {
                TensorInfo::of(recom_ir::ext::attribute_type(a)).map(|i| i.shape.iter().map(|d| C(d.unwrap_or(0))).collect())
            });
            let shape = shape.or_else(|| crate::tf::tf_match::shape_attr(op, "value_shape").map(|d| d.into_iter().map(C).collect()));
            let content = const_ints(op.result(0).unwrap().into()).filter(|v| v.len() <= MAX_CONTENT).map(|v| v.into_iter().map(C).collect());
            vec![Info { shape, content }]
        }
        "Identity" | "Cast" | "StopGradient" => {
            let mut i = input(state, 0);
            if tf == "Cast" && i.content.is_none() {
                i.content = None;
            }
            vec![i]
        }
        "StringToHashBucketFast" | "AsString" | "Bucketize" | "ZerosLike" | "OnesLike" | "Sqrt" | "Square" | "Neg" | "Abs"
        | "Relu" | "Sigmoid" | "Floor" | "LogicalNot" => same_shape(state, op, 0),
        "LookupTableFindV2" => same_shape(state, op, 1),
        "HashTableV2" | "LookupTableSizeV2" => vec![Info { shape: Some(vec![]), content: None }],
        "SparseCross" => {
            let n = int_attr(op, "N").unwrap_or(0) as usize;
            // The batch: the first sparse input's dense_shape[0], else a dense input's dim 0.
            let batch = if n > 0 {
                input(state, 2 * n).content.and_then(|c| c.first().cloned())
            } else {
                input(state, 0).shape.and_then(|s| s.first().cloned())
            };
            crossed_sparse(state, op, batch)
        }
        "Shape" => {
            let i = input(state, 0);
            let rank = i.shape.as_ref().map(|s| s.len() as i64);
            vec![Info { shape: rank.map(|r| vec![C(r)]), content: i.shape }]
        }
        "Size" => {
            let i = input(state, 0);
            vec![Info { shape: Some(vec![]), content: i.shape.map(|s| vec![product(&s)]) }]
        }
        "Rank" => {
            let i = input(state, 0);
            vec![Info { shape: Some(vec![]), content: i.shape.map(|s| vec![C(s.len() as i64)]) }]
        }
        "Pack" => {
            let count = op.operand_count();
            let infos: Vec<Info> = (0..count).map(|k| input(state, k)).collect();
            let ax = int_attr(op, "axis").unwrap_or(0);
            let Some(first) = infos[0].shape.clone() else { return unknown };
            let Some(a) = axis(ax, first.len() + 1) else { return unknown };
            let mut shape = first.clone();
            shape.insert(a, C(count as i64));
            // Scalars packed into a vector: the content.
            let content = if first.is_empty() {
                infos.iter().map(|i| i.content.as_ref().and_then(|c| c.first().cloned())).collect::<Option<Vec<_>>>()
            } else {
                None
            };
            vec![Info { shape: Some(shape), content }]
        }
        "ConcatV2" => {
            let count = op.operand_count() - 1;
            let infos: Vec<Info> = (0..count).map(|k| input(state, k)).collect();
            let Some(ax) = operand(op, count).and_then(const_ints).and_then(|v| v.first().copied()) else { return unknown };
            let shapes: Option<Vec<Vec<Expr>>> = infos.iter().map(|i| i.shape.clone()).collect();
            let Some(shapes) = shapes else { return unknown };
            let rank = shapes[0].len();
            let Some(a) = axis(ax, rank) else { return unknown };
            if shapes.iter().any(|s| s.len() != rank) {
                return unknown;
            }
            let mut shape = shapes[0].clone();
            shape[a] = shapes.iter().fold(C(0), |acc, s| sym::add(&acc, &s[a]));
            // The other dims are equal (the batch of an input layer).
            for s in &shapes[1..] {
                for d in (0..rank).filter(|&d| d != a) {
                    state.symbols.unify(&shape[d], &s[d]);
                }
            }
            let content = (rank == 1)
                .then(|| infos.iter().map(|i| i.content.clone()).collect::<Option<Vec<_>>>().map(|c| c.concat()))
                .flatten();
            vec![Info { shape: Some(shape), content }]
        }
        "Prod" | "Sum" | "Max" | "Min" => {
            let i = input(state, 0);
            let Some(axes) = operand(op, 1).and_then(const_ints) else { return unknown };
            let Some(shape) = i.shape.clone() else { return unknown };
            let axes: Option<Vec<usize>> = axes.iter().map(|&a| axis(a, shape.len())).collect();
            let Some(axes) = axes else { return unknown };
            let keep = crate::tf::tf_match::bool_attr(op, "keep_dims").unwrap_or(false);
            let out: Vec<Expr> = shape
                .iter()
                .enumerate()
                .filter_map(|(d, e)| if axes.contains(&d) { keep.then(|| C(1)) } else { Some(e.clone()) })
                .collect();
            let content = match (tf, &i.content, shape.len()) {
                ("Prod", Some(c), 1) if axes == [0] => Some(vec![product(c)]),
                ("Sum", Some(c), 1) if axes == [0] => Some(vec![c.iter().fold(C(0), |a, x| sym::add(&a, x))]),
                _ => None,
            };
            vec![Info { shape: Some(out), content }]
        }
        "Slice" => {
            let i = input(state, 0);
            let (Some(begin), Some(size)) = (operand(op, 1).and_then(const_ints), operand(op, 2).and_then(const_ints)) else {
                return unknown;
            };
            let Some(shape) = i.shape.clone() else { return unknown };
            if begin.len() != shape.len() || size.len() != shape.len() {
                return unknown;
            }
            let out: Vec<Expr> =
                shape.iter().zip(begin.iter().zip(&size)).map(|(d, (&b, &s))| if s < 0 { sym::sub(d, &C(b)) } else { C(s) }).collect();
            let content = match (&i.content, shape.len()) {
                (Some(c), 1) => {
                    let b = begin[0].max(0) as usize;
                    let e = if size[0] < 0 { c.len() } else { (b + size[0] as usize).min(c.len()) };
                    Some(c[b.min(c.len())..e].to_vec())
                }
                _ => None,
            };
            vec![Info { shape: Some(out), content }]
        }
        "StridedSlice" => strided_slice(state, op).unwrap_or(unknown),
        "GatherV2" => {
            let (p, idx) = (input(state, 0), input(state, 1));
            let Some(ax) = operand(op, 2).and_then(const_ints).and_then(|v| v.first().copied()) else { return unknown };
            let (Some(ps), Some(is)) = (p.shape.clone(), idx.shape.clone()) else { return unknown };
            let Some(a) = axis(ax, ps.len()) else { return unknown };
            let mut out = ps[..a].to_vec();
            out.extend(is.iter().cloned());
            out.extend(ps[a + 1..].iter().cloned());
            let content = match (&p.content, consts(&idx), ps.len()) {
                (Some(c), Some(ix), 1) => ix.iter().map(|&k| c.get(k as usize).cloned()).collect(),
                _ => None,
            };
            vec![Info { shape: Some(out), content }]
        }
        "Reshape" => {
            let (x, target) = (input(state, 0), input(state, 1));
            let Some(t) = target.content.clone() else {
                // Rank from the target's length at least.
                return vec![Info { shape: None, content: None }];
            };
            let total = x.shape.as_ref().map(|s| product(s));
            let known = product(&t.iter().filter(|d| **d != C(-1)).cloned().collect::<Vec<_>>());
            let shape: Option<Vec<Expr>> = t
                .iter()
                .map(|d| if *d == C(-1) { total.as_ref().map(|n| sym::bin(BinOp::FloorDiv, n, &known)) } else { Some(d.clone()) })
                .collect();
            vec![Info { shape, content: x.content.clone() }]
        }
        "Squeeze" => {
            // The listed dims (each must be 1), or every dim known to be 1.
            let x = input(state, 0);
            let Some(shape) = x.shape.clone() else { return unknown };
            let dims: Vec<i64> = op
                .attribute("squeeze_dims")
                .ok()
                .and_then(|a| melior::ir::attribute::ArrayAttribute::try_from(a).ok())
                .map(|a| (0..a.len()).filter_map(|i| a.element(i).ok()).filter_map(|e| melior::ir::attribute::IntegerAttribute::try_from(e).ok()).map(|e| e.value()).collect())
                .unwrap_or_default();
            let squeezed: Vec<usize> = if dims.is_empty() {
                if shape.iter().any(|d| !matches!(d, Expr::Const(_))) {
                    return unknown;
                }
                (0..shape.len()).filter(|&d| shape[d] == C(1)).collect()
            } else {
                let Some(axes) = dims.iter().map(|&d| axis(d, shape.len())).collect::<Option<Vec<usize>>>() else { return unknown };
                if axes.iter().any(|&a| shape[a] != C(1)) {
                    return unknown;
                }
                axes
            };
            let kept = shape.iter().enumerate().filter(|(d, _)| !squeezed.contains(d)).map(|(_, e)| e.clone()).collect();
            vec![Info { shape: Some(kept), content: None }]
        }
        "ExpandDims" => {
            let x = input(state, 0);
            let Some(ax) = operand(op, 1).and_then(const_ints).and_then(|v| v.first().copied()) else { return unknown };
            let Some(mut shape) = x.shape.clone() else { return unknown };
            let Some(a) = axis(ax, shape.len() + 1) else { return unknown };
            shape.insert(a, C(1));
            vec![Info { shape: Some(shape), content: x.content }]
        }
        "Fill" => {
            let (dims, value) = (input(state, 0), input(state, 1));
            let shape = dims.content.clone();
            let content = match (&shape, &value.content) {
                (Some(s), Some(v)) if s.len() <= 1 => match s.first() {
                    None => Some(v.clone()),
                    Some(Expr::Const(k)) if (*k as usize) <= MAX_CONTENT => Some(vec![v[0].clone(); *k as usize]),
                    _ => None,
                },
                _ => None,
            };
            vec![Info { shape, content }]
        }
        "Range" => {
            let (s, l, d) = (input(state, 0), input(state, 1), input(state, 2));
            let scalar = |i: &Info| i.content.as_ref().and_then(|c| c.first().cloned());
            let (Some(start), Some(limit), Some(delta)) = (scalar(&s), scalar(&l), scalar(&d)) else { return unknown };
            let len = sym::bin(BinOp::CeilDiv, &sym::sub(&limit, &start), &delta);
            let content = match (&start, &len, &delta) {
                (Expr::Const(a), Expr::Const(n), Expr::Const(step)) if (*n as usize) <= MAX_CONTENT => {
                    Some((0..*n).map(|k| C(a + k * step)).collect())
                }
                _ => None,
            };
            vec![Info { shape: Some(vec![len]), content }]
        }
        "Tile" => {
            let (x, m) = (input(state, 0), input(state, 1));
            let (Some(shape), Some(mult)) = (x.shape, m.content) else { return unknown };
            if shape.len() != mult.len() {
                return unknown;
            }
            vec![Info { shape: Some(shape.iter().zip(&mult).map(|(d, k)| sym::mul(d, k)).collect()), content: None }]
        }
        "Transpose" => {
            let x = input(state, 0);
            let (Some(shape), Some(perm)) = (x.shape, operand(op, 1).and_then(const_ints)) else { return unknown };
            let out: Option<Vec<Expr>> = perm.iter().map(|&p| shape.get(p as usize).cloned()).collect();
            vec![Info { shape: out, content: None }]
        }
        "Where" => {
            let x = input(state, 0);
            let Some(shape) = x.shape else { return unknown };
            let count = fresh_for(state, op, "count");
            vec![Info { shape: Some(vec![count, C(shape.len() as i64)]), content: None }]
        }
        "StringSplitV2" => {
            // A SparseTensor of the tokens: [n, 2] indices, n tokens, dense
            // shape [rows of the input, most tokens in a row].
            let x = input(state, 0);
            let Some(shape) = x.shape else { return unknown };
            let (Some(rows), 1) = (shape.first().cloned(), shape.len()) else { return unknown };
            let tokens = fresh_for(state, op, "tokens");
            let width = fresh_for(state, op, "width");
            vec![
                Info { shape: Some(vec![tokens.clone(), C(2)]), content: None },
                Info { shape: Some(vec![tokens]), content: None },
                Info { shape: Some(vec![C(2)]), content: Some(vec![rows, width]) },
            ]
        }
        "Unique" => {
            let x = input(state, 0);
            let count = fresh_for(state, op, "unique");
            vec![Info { shape: Some(vec![count]), content: None }, Info { shape: x.shape, content: None }]
        }
        "GatherNd" => {
            let (p, idx) = (input(state, 0), input(state, 1));
            let (Some(ps), Some(is)) = (p.shape, idx.shape) else { return unknown };
            let Some(Expr::Const(depth)) = is.last().cloned() else { return unknown };
            let mut out = is[..is.len() - 1].to_vec();
            out.extend(ps.iter().skip(depth as usize).cloned());
            vec![Info { shape: Some(out), content: None }]
        }
        "SparseReshape" => {
            let (ind, new_shape) = (input(state, 0), input(state, 2));
            // Indices of a rank-k tensor have k columns: the input shape's length.
            if let (Some(is), Some(old)) = (&ind.shape, &input(state, 1).shape) {
                if let (Some(cols), Some(len)) = (is.get(1), old.first()) {
                    state.symbols.unify(cols, len);
                }
            }
            let old = input(state, 1).content;
            let (Some(is), Some(ns)) = (ind.shape, new_shape.content) else { return unknown };
            let total = old.as_ref().map(|c| product(c));
            let known = product(&ns.iter().filter(|d| **d != C(-1)).cloned().collect::<Vec<_>>());
            let resolved: Option<Vec<Expr>> = ns
                .iter()
                .map(|d| if *d == C(-1) { total.as_ref().map(|n| sym::bin(BinOp::FloorDiv, n, &known)) } else { Some(d.clone()) })
                .collect();
            vec![
                Info { shape: Some(vec![is[0].clone(), C(ns.len() as i64)]), content: None },
                Info { shape: Some(vec![C(ns.len() as i64)]), content: resolved },
            ]
        }
        "SparseFillEmptyRows" => {
            let (ind, values, shape) = (input(state, 0), input(state, 1), input(state, 2));
            // One value per index row.
            if let (Some(i), Some(v)) = (&ind.shape, &values.shape) {
                if let (Some(a), Some(b)) = (i.first(), v.first()) {
                    state.symbols.unify(a, b);
                }
            }
            let rows = shape.content.as_ref().and_then(|c| c.first().cloned());
            let filled = fresh_for(state, op, "filled");
            vec![
                Info { shape: Some(vec![filled.clone(), C(2)]), content: None },
                Info { shape: Some(vec![filled]), content: None },
                Info { shape: rows.map(|r| vec![r]), content: None },
                Info { shape: ind.shape.map(|s| vec![s[0].clone()]), content: None },
            ]
        }
        "SparseSegmentSum" | "SparseSegmentMean" | "SparseSegmentSqrtN" | "SegmentSum" => {
            let data = input(state, 0);
            let Some(ds) = data.shape else { return unknown };
            let rows = fresh_for(state, op, "segments");
            let mut shape = vec![rows];
            shape.extend(ds.iter().skip(1).cloned());
            vec![Info { shape: Some(shape), content: None }]
        }
        "SparseSegmentSumWithNumSegments" | "SparseSegmentMeanWithNumSegments" | "SparseSegmentSqrtNWithNumSegments" => {
            let (data, count) = (input(state, 0), input(state, 3));
            let (Some(ds), Some(c)) = (data.shape, count.content) else { return unknown };
            let mut shape = vec![c[0].clone()];
            shape.extend(ds.iter().skip(1).cloned());
            vec![Info { shape: Some(shape), content: None }]
        }
        "SparseToDense" => vec![Info { shape: input(state, 1).content, content: None }],
        "OneHot" => {
            let (x, depth) = (input(state, 0), input(state, 1));
            let (Some(mut shape), Some(d)) = (x.shape, depth.content) else { return unknown };
            shape.push(d[0].clone());
            vec![Info { shape: Some(shape), content: None }]
        }
        "MatMul" => {
            let (a, b) = (input(state, 0), input(state, 1));
            let (Some(sa), Some(sb)) = (a.shape, b.shape) else { return unknown };
            if sa.len() != 2 || sb.len() != 2 {
                return unknown;
            }
            let ta = crate::tf::tf_match::bool_attr(op, "transpose_a").unwrap_or(false);
            let tb = crate::tf::tf_match::bool_attr(op, "transpose_b").unwrap_or(false);
            let (m, k1) = if ta { (&sa[1], &sa[0]) } else { (&sa[0], &sa[1]) };
            let (k2, n2) = if tb { (&sb[1], &sb[0]) } else { (&sb[0], &sb[1]) };
            state.symbols.unify(k1, k2);
            vec![Info { shape: Some(vec![m.clone(), n2.clone()]), content: None }]
        }
        "BatchMatMul" | "BatchMatMulV2" | "BatchMatMulV3" => {
            // [..., n, k] x [..., k, m] (adj_x / adj_y transpose the last
            // two dims) -> [broadcast(...), n, m].
            let (a, b) = (input(state, 0), input(state, 1));
            let (Some(sa), Some(sb)) = (a.shape, b.shape) else { return unknown };
            if sa.len() < 2 || sb.len() < 2 {
                return unknown;
            }
            let adj_x = crate::tf::tf_match::bool_attr(op, "adj_x").unwrap_or(false);
            let adj_y = crate::tf::tf_match::bool_attr(op, "adj_y").unwrap_or(false);
            let (ra, rb) = (sa.len(), sb.len());
            let (n, k1) = if adj_x { (&sa[ra - 1], &sa[ra - 2]) } else { (&sa[ra - 2], &sa[ra - 1]) };
            let (k2, m) = if adj_y { (&sb[rb - 1], &sb[rb - 2]) } else { (&sb[rb - 2], &sb[rb - 1]) };
            state.symbols.unify(k1, k2);
            let (n, m) = (n.clone(), m.clone());
            let Some(mut shape) = broadcast(state, &Some(sa[..ra - 2].to_vec()), &Some(sb[..rb - 2].to_vec())) else { return unknown };
            shape.extend([n, m]);
            vec![Info { shape: Some(shape), content: None }]
        }
        "BiasAdd" => same_shape(state, op, 0),
        _ if is_elementwise(tf) => {
            let (a, b) = (input(state, 0), input(state, op.operand_count() - 1));
            // Select / SelectV2: condition, then, else: the shape of the branches.
            let (a, b) = if matches!(tf, "Select" | "SelectV2") { (input(state, 1), input(state, 2)) } else { (a, b) };
            let shape = broadcast(state, &a.shape, &b.shape);
            let content = match tf {
                "AddV2" | "Add" => elementwise_content(&a, &b, sym::add),
                "Sub" => elementwise_content(&a, &b, sym::sub),
                "Mul" => elementwise_content(&a, &b, sym::mul),
                "FloorDiv" => elementwise_content(&a, &b, |x, y| sym::bin(BinOp::FloorDiv, x, y)),
                "Maximum" => elementwise_content(&a, &b, |x, y| sym::bin(BinOp::Max, x, y)),
                "Minimum" => elementwise_content(&a, &b, |x, y| sym::bin(BinOp::Min, x, y)),
                _ => None,
            };
            vec![Info { shape, content }]
        }
        _ => {
            let _ = def;
            unknown
        }
    }
}

fn is_elementwise(tf: &str) -> bool {
    matches!(
        tf,
        "Add" | "AddV2" | "Sub" | "Mul" | "RealDiv" | "DivNoNan" | "FloorDiv" | "Maximum" | "Minimum" | "Pow" | "Less"
            | "LessEqual" | "Greater" | "GreaterEqual" | "Equal" | "NotEqual" | "LogicalAnd" | "LogicalOr" | "Select"
            | "SelectV2"
    )
}

/// NumPy broadcasting; equal-rank symbolic dims that must match are merged.
fn broadcast(state: &mut State, a: &Option<Vec<Expr>>, b: &Option<Vec<Expr>>) -> Option<Vec<Expr>> {
    let (a, b) = (a.as_ref()?, b.as_ref()?);
    let rank = a.len().max(b.len());
    let dim = |s: &Vec<Expr>, d: usize| -> Expr { if d + s.len() >= rank { s[d + s.len() - rank].clone() } else { C(1) } };
    (0..rank)
        .map(|d| {
            let (x, y) = (dim(a, d), dim(b, d));
            Some(match (&x, &y) {
                (Expr::Const(1), _) => y,
                (_, Expr::Const(1)) => x,
                _ => {
                    state.symbols.unify(&x, &y);
                    x
                }
            })
        })
        .collect()
}

/// StridedSlice with constant begin/end/strides, no ellipsis or new axes.
fn strided_slice(state: &mut State, op: OperationRef) -> Option<Vec<Info>> {
    let x = operand(op, 0).map(|v| state.info(v))?;
    let (begin, end, strides) =
        (operand(op, 1).and_then(const_ints)?, operand(op, 2).and_then(const_ints)?, operand(op, 3).and_then(const_ints)?);
    let (bm, em, sm) = (int_attr(op, "begin_mask")?, int_attr(op, "end_mask")?, int_attr(op, "shrink_axis_mask")?);
    if int_attr(op, "ellipsis_mask").unwrap_or(0) != 0 || int_attr(op, "new_axis_mask").unwrap_or(0) != 0 {
        return None;
    }
    let shape = x.shape.clone()?;
    if begin.len() > shape.len() || strides.iter().any(|&s| s != 1) {
        return None;
    }
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    for (d, dim) in shape.iter().enumerate() {
        if d >= begin.len() {
            out.push(dim.clone());
            ranges.push(None);
            continue;
        }
        let bit = 1 << d;
        if sm & bit != 0 {
            ranges.push(Some((begin[d], begin[d] + 1, true)));
            continue;
        }
        let b = if bm & bit != 0 { 0 } else { begin[d] };
        let e = if em & bit != 0 { None } else { Some(end[d]) };
        match (b, e) {
            (0, None) => {
                out.push(dim.clone());
                ranges.push(None);
            }
            (b, Some(e)) if b >= 0 && e >= b => {
                out.push(C(e - b));
                ranges.push(Some((b, e, false)));
            }
            _ => return None,
        }
    }
    // Content of a 1-D value.
    let content = match (&x.content, shape.len(), ranges.first()) {
        (Some(c), 1, Some(Some((b, e, _)))) => {
            let (b, e) = (*b as usize, (*e as usize).min(c.len()));
            (b <= e).then(|| c[b..e].to_vec())
        }
        (Some(c), 1, Some(None)) => Some(c.clone()),
        _ => None,
    };
    Some(vec![Info { shape: Some(out), content }])
}

/// The host-side `emb` ops raising has made before shapes are inferred.
fn infer_emb(state: &mut State, op: OperationRef, name: &str) -> Option<Vec<Info>> {
    let input = |state: &State, k: usize| operand(op, k).map(|v| state.info(v)).unwrap_or_default();
    Some(match name {
        "hash_bucket" | "vocabulary" | "range_filter" | "fingerprint" | "bucketize" => {
            vec![Info { shape: input(state, 0).shape, content: None }]
        }
        "sparse_from_dense" => {
            let x = input(state, 0).shape?;
            let kept = fresh_for(state, op, "kept");
            vec![
                Info { shape: Some(vec![kept.clone(), C(2)]), content: None },
                Info { shape: Some(vec![kept]), content: None },
                Info { shape: Some(vec![C(2)]), content: Some(x) },
            ]
        }
        "bucketized_sparse" => {
            let x = input(state, 0).shape?;
            let n = product(&x);
            vec![
                Info { shape: Some(vec![n.clone(), C(2)]), content: None },
                Info { shape: Some(vec![n]), content: None },
                Info { shape: Some(vec![C(2)]), content: Some(x) },
            ]
        }
        "cross_hashed" => {
            let batch = input(state, 2 * (op.operand_count() / 3)).content.and_then(|c| c.first().cloned());
            crossed_sparse(state, op, batch)
        }
        _ => return None,
    })
}
