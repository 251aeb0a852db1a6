//! TensorFlow ops on host tensors, with TensorFlow's CPU semantics for the
//! dtypes recommendation graphs use. One function per op family; [`eval`]
//! dispatches on the op name. Errors are messages (the caller names the node).
use crate::tensor::{Data, Scalar, Table, Tensor};
use recom_abi::hash::{fingerprint64, fingerprint_cat64, string_to_hash_bucket};
use recom_tf::proto::attr_value::Value as AttrKind;
use recom_tf::{AttrValue, DataType};
use std::{collections::HashMap, sync::Arc};

type R<T> = Result<T, String>;

/// The most elements one result may have (64 Mi): requests run through the
/// evaluator (the host fallback), and a value taken from a request must not
/// make it allocate without bound.
pub const MAX_ELEMENTS: usize = 1 << 26;

/// A node's attributes.
pub struct Attrs<'a>(pub &'a std::collections::BTreeMap<String, AttrValue>);

impl Attrs<'_> {
    fn get(&self, name: &str) -> Option<&AttrKind> {
        self.0.get(name).and_then(|a| a.value.as_ref())
    }
    pub fn i(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            AttrKind::I(v) => Some(*v),
            _ => None,
        }
    }
    pub fn f(&self, name: &str) -> Option<f32> {
        match self.get(name)? {
            AttrKind::F(v) => Some(*v),
            _ => None,
        }
    }
    pub fn b(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            AttrKind::B(v) => Some(*v),
            _ => None,
        }
    }
    pub fn s(&self, name: &str) -> Option<Vec<u8>> {
        match self.get(name)? {
            AttrKind::S(v) => Some(v.clone()),
            _ => None,
        }
    }
    pub fn ty(&self, name: &str) -> Option<DataType> {
        match self.get(name)? {
            AttrKind::Type(v) => DataType::try_from(*v).ok(),
            _ => None,
        }
    }
    pub fn list_f(&self, name: &str) -> Option<Vec<f32>> {
        match self.get(name)? {
            AttrKind::List(l) => Some(l.f.clone()),
            _ => None,
        }
    }
    pub fn list_i(&self, name: &str) -> Option<Vec<i64>> {
        match self.get(name)? {
            AttrKind::List(l) => Some(l.i.clone()),
            _ => None,
        }
    }
}

fn need(inputs: &[&Tensor], n: usize, op: &str) -> R<()> {
    if inputs.len() < n {
        return Err(format!("{op} takes {n} inputs, got {}", inputs.len()));
    }
    Ok(())
}

fn ints(t: &Tensor, what: &str) -> R<Vec<i64>> {
    t.ints().ok_or_else(|| format!("{what} must be int32 or int64, got {}", t.data.dtype()))
}

fn scalar_int(t: &Tensor, what: &str) -> R<i64> {
    let v = ints(t, what)?;
    match v[..] {
        [x] => Ok(x),
        _ => Err(format!("{what} must be a scalar, got shape {:?}", t.shape)),
    }
}

/// The first element of `t` (a scalar parameter such as a default value).
fn first(t: &Tensor, what: &str) -> R<Scalar> {
    if t.data.is_empty() || matches!(t.data, Data::Table(_)) {
        return Err(format!("{what} must have a value"));
    }
    Ok(t.data.at(0))
}

fn dims(v: &[i64], what: &str) -> R<Vec<usize>> {
    v.iter().map(|&d| usize::try_from(d).map_err(|_| format!("{what}: dimension {d} is negative"))).collect()
}

/// An axis in [-rank, rank) made non-negative.
fn axis(a: i64, rank: usize, what: &str) -> R<usize> {
    let r = rank as i64;
    if a < -r || a >= r {
        return Err(format!("{what}: axis {a} is out of range for rank {rank}"));
    }
    Ok(if a < 0 { (a + r) as usize } else { a as usize })
}

fn count(shape: &[usize]) -> R<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_ELEMENTS).ok_or_else(|| format!("shape {shape:?} is too large"))
}

/// Converts a TensorFlow dtype's elements (for Cast and constants).
fn cast(t: &Tensor, to: DataType, truncate: bool) -> R<Tensor> {
    macro_rules! conv {
        ($v:expr, $f:expr) => {
            $v.iter().map($f).collect()
        };
    }
    let _ = truncate;
    let data = match (&t.data, to) {
        (Data::F32(v), DataType::DtFloat) => Data::F32(v.clone()),
        (Data::F32(v), DataType::DtDouble) => Data::F64(conv!(v, |&x| x as f64)),
        (Data::F32(v), DataType::DtInt32) => Data::I32(conv!(v, |&x| x as i32)),
        (Data::F32(v), DataType::DtInt64) => Data::I64(conv!(v, |&x| x as i64)),
        (Data::F32(v), DataType::DtBool) => Data::Bool(conv!(v, |&x| x != 0.0)),
        (Data::F64(v), DataType::DtFloat) => Data::F32(conv!(v, |&x| x as f32)),
        (Data::F64(v), DataType::DtDouble) => Data::F64(v.clone()),
        (Data::F64(v), DataType::DtInt32) => Data::I32(conv!(v, |&x| x as i32)),
        (Data::F64(v), DataType::DtInt64) => Data::I64(conv!(v, |&x| x as i64)),
        (Data::I32(v), DataType::DtFloat) => Data::F32(conv!(v, |&x| x as f32)),
        (Data::I32(v), DataType::DtDouble) => Data::F64(conv!(v, |&x| x as f64)),
        (Data::I32(v), DataType::DtInt32) => Data::I32(v.clone()),
        (Data::I32(v), DataType::DtInt64) => Data::I64(conv!(v, |&x| x as i64)),
        (Data::I32(v), DataType::DtBool) => Data::Bool(conv!(v, |&x| x != 0)),
        (Data::I64(v), DataType::DtFloat) => Data::F32(conv!(v, |&x| x as f32)),
        (Data::I64(v), DataType::DtDouble) => Data::F64(conv!(v, |&x| x as f64)),
        // int64 -> int32 keeps the low 32 bits, as C++'s static_cast.
        (Data::I64(v), DataType::DtInt32) => Data::I32(conv!(v, |&x| x as i32)),
        (Data::I64(v), DataType::DtInt64) => Data::I64(v.clone()),
        (Data::I64(v), DataType::DtBool) => Data::Bool(conv!(v, |&x| x != 0)),
        (Data::Bool(v), DataType::DtFloat) => Data::F32(conv!(v, |&x| x as u8 as f32)),
        (Data::Bool(v), DataType::DtInt32) => Data::I32(conv!(v, |&x| x as i32)),
        (Data::Bool(v), DataType::DtInt64) => Data::I64(conv!(v, |&x| x as i64)),
        (Data::Bool(v), DataType::DtBool) => Data::Bool(v.clone()),
        (Data::Str(v), DataType::DtString) => Data::Str(v.clone()),
        (d, to) => return Err(format!("Cast from {} to {to:?} is not supported", d.dtype())),
    };
    Ok(Tensor::new(t.shape.clone(), data))
}

/// Numpy broadcasting of two shapes.
fn broadcast_shape(a: &[usize], b: &[usize]) -> R<Vec<usize>> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| {
            let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
            let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
            match (da, db) {
                (x, y) if x == y => Ok(x),
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                _ => Err(format!("shapes {a:?} and {b:?} do not broadcast")),
            }
        })
        .collect()
}

/// For each element of `out` (row-major), the index into a tensor of `shape`
/// broadcast to it.
fn broadcast_map(out: &[usize], shape: &[usize]) -> Vec<usize> {
    let n: usize = out.iter().product();
    if shape == out {
        return (0..n).collect();
    }
    let rank = out.len();
    let strides = Tensor::strides(shape);
    let mut map = Vec::with_capacity(n);
    let mut index = vec![0usize; rank];
    for _ in 0..n {
        let mut at = 0;
        for (k, &i) in index.iter().enumerate() {
            if k + shape.len() >= rank {
                let d = k + shape.len() - rank;
                if shape[d] != 1 {
                    at += i * strides[d];
                }
            }
        }
        map.push(at);
        for k in (0..rank).rev() {
            index[k] += 1;
            if index[k] < out[k] {
                break;
            }
            index[k] = 0;
        }
    }
    map
}

fn binary(op: &str, a: &Tensor, b: &Tensor) -> R<Tensor> {
    let shape = broadcast_shape(&a.shape, &b.shape)?;
    let (ma, mb) = (broadcast_map(&shape, &a.shape), broadcast_map(&shape, &b.shape));
    macro_rules! zip {
        ($x:expr, $y:expr, $f:expr) => {
            ma.iter().zip(&mb).map(|(&i, &j)| $f($x[i], $y[j])).collect()
        };
    }
    macro_rules! cmp {
        ($x:expr, $y:expr) => {
            match op {
                "Equal" => Some(Data::Bool(zip!($x, $y, |p, q| p == q))),
                "NotEqual" => Some(Data::Bool(zip!($x, $y, |p, q| p != q))),
                "Greater" => Some(Data::Bool(zip!($x, $y, |p, q| p > q))),
                "GreaterEqual" => Some(Data::Bool(zip!($x, $y, |p, q| p >= q))),
                "Less" => Some(Data::Bool(zip!($x, $y, |p, q| p < q))),
                "LessEqual" => Some(Data::Bool(zip!($x, $y, |p, q| p <= q))),
                _ => None,
            }
        };
    }
    macro_rules! float {
        ($x:expr, $y:expr, $v:ident, $t:ty) => {{
            if let Some(d) = cmp!($x, $y) {
                d
            } else {
                let f: fn($t, $t) -> $t = match op {
                    "Add" | "AddV2" => |p, q| p + q,
                    "Sub" => |p, q| p - q,
                    "Mul" => |p, q| p * q,
                    "RealDiv" | "Div" => |p, q| p / q,
                    "DivNoNan" => |p, q| if q == 0.0 { 0.0 } else { p / q },
                    "Maximum" => |p: $t, q: $t| if p.is_nan() || q.is_nan() { <$t>::NAN } else { p.max(q) },
                    "Minimum" => |p: $t, q: $t| if p.is_nan() || q.is_nan() { <$t>::NAN } else { p.min(q) },
                    "Pow" => |p: $t, q: $t| p.powf(q),
                    "FloorDiv" => |p: $t, q: $t| (p / q).floor(),
                    "FloorMod" => |p: $t, q: $t| {
                        let r = p % q;
                        if r != 0.0 && ((r < 0.0) != (q < 0.0)) {
                            r + q
                        } else {
                            r
                        }
                    },
                    "SquaredDifference" => |p, q| (p - q) * (p - q),
                    _ => return Err(format!("{op} on {} is not supported", a.data.dtype())),
                };
                Data::$v(zip!($x, $y, f))
            }
        }};
    }
    macro_rules! int {
        ($x:expr, $y:expr, $v:ident, $t:ty) => {{
            if let Some(d) = cmp!($x, $y) {
                d
            } else {
                let f: fn($t, $t) -> $t = match op {
                    "Add" | "AddV2" => |p: $t, q: $t| p.wrapping_add(q),
                    "Sub" => |p: $t, q: $t| p.wrapping_sub(q),
                    "Mul" => |p: $t, q: $t| p.wrapping_mul(q),
                    "Maximum" => |p: $t, q: $t| p.max(q),
                    "Minimum" => |p: $t, q: $t| p.min(q),
                    // C++ division truncates; FloorDiv/FloorMod floor (y = 0 is an error in TF: 0 here).
                    "Div" | "TruncateDiv" => |p: $t, q: $t| if q == 0 { 0 } else { p.wrapping_div(q) },
                    "FloorDiv" => |p: $t, q: $t| {
                        if q == 0 {
                            0
                        } else {
                            let d = p.wrapping_div(q);
                            if p.wrapping_rem(q) != 0 && ((p < 0) != (q < 0)) {
                                d.wrapping_sub(1)
                            } else {
                                d
                            }
                        }
                    },
                    "FloorMod" => |p: $t, q: $t| {
                        if q == 0 {
                            0
                        } else {
                            let r = p.wrapping_rem(q);
                            if r != 0 && ((r < 0) != (q < 0)) {
                                r + q
                            } else {
                                r
                            }
                        }
                    },
                    _ => return Err(format!("{op} on {} is not supported", a.data.dtype())),
                };
                Data::$v(zip!($x, $y, f))
            }
        }};
    }
    let data = match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) => float!(x, y, F32, f32),
        (Data::F64(x), Data::F64(y)) => float!(x, y, F64, f64),
        (Data::I32(x), Data::I32(y)) => int!(x, y, I32, i32),
        (Data::I64(x), Data::I64(y)) => int!(x, y, I64, i64),
        (Data::Bool(x), Data::Bool(y)) => match op {
            "LogicalAnd" => Data::Bool(zip!(x, y, |p: bool, q: bool| p && q)),
            "LogicalOr" => Data::Bool(zip!(x, y, |p: bool, q: bool| p || q)),
            "Equal" => Data::Bool(zip!(x, y, |p, q| p == q)),
            "NotEqual" => Data::Bool(zip!(x, y, |p, q| p != q)),
            _ => return Err(format!("{op} on bool is not supported")),
        },
        (Data::Str(x), Data::Str(y)) => match op {
            "Equal" => Data::Bool(ma.iter().zip(&mb).map(|(&i, &j)| x[i] == y[j]).collect()),
            "NotEqual" => Data::Bool(ma.iter().zip(&mb).map(|(&i, &j)| x[i] != y[j]).collect()),
            "Add" | "AddV2" => Data::Str(ma.iter().zip(&mb).map(|(&i, &j)| [x[i].as_slice(), y[j].as_slice()].concat()).collect()),
            _ => return Err(format!("{op} on strings is not supported")),
        },
        (x, y) => return Err(format!("{op} of {} and {}", x.dtype(), y.dtype())),
    };
    Ok(Tensor::new(shape, data))
}

fn unary(op: &str, a: &Tensor) -> R<Tensor> {
    macro_rules! float {
        ($v:ident, $x:expr, $t:ty) => {{
            let f: fn($t) -> $t = match op {
                "Neg" => |p: $t| -p,
                "Abs" => |p: $t| p.abs(),
                "Reciprocal" | "Inv" => |p: $t| 1.0 / p,
                "Sqrt" => |p: $t| p.sqrt(),
                "Rsqrt" => |p: $t| 1.0 / p.sqrt(),
                "Square" => |p: $t| p * p,
                "Exp" => |p: $t| p.exp(),
                "Log" => |p: $t| p.ln(),
                "Log1p" => |p: $t| p.ln_1p(),
                "Floor" => |p: $t| p.floor(),
                "Ceil" => |p: $t| p.ceil(),
                "Round" => |p: $t| p.round_ties_even(),
                "Sigmoid" => |p: $t| 1.0 / (1.0 + (-p).exp()),
                "Tanh" => |p: $t| p.tanh(),
                "Relu" => |p: $t| if p > 0.0 || p.is_nan() { p } else { 0.0 },
                "Relu6" => |p: $t| if p.is_nan() { p } else { p.max(0.0).min(6.0) },
                "Sign" => |p: $t| if p > 0.0 { 1.0 } else if p < 0.0 { -1.0 } else { p },
                _ => return Err(format!("{op} on {} is not supported", a.data.dtype())),
            };
            Data::$v($x.iter().map(|&p| f(p)).collect())
        }};
    }
    macro_rules! int {
        ($v:ident, $x:expr, $t:ty) => {{
            let f: fn($t) -> $t = match op {
                "Neg" => |p: $t| p.wrapping_neg(),
                "Abs" => |p: $t| p.wrapping_abs(),
                "Square" => |p: $t| p.wrapping_mul(p),
                "Relu" => |p: $t| p.max(0),
                "Sign" => |p: $t| p.signum(),
                _ => return Err(format!("{op} on {} is not supported", a.data.dtype())),
            };
            Data::$v($x.iter().map(|&p| f(p)).collect())
        }};
    }
    let data = match &a.data {
        Data::F32(x) => float!(F32, x, f32),
        Data::F64(x) => float!(F64, x, f64),
        Data::I32(x) => int!(I32, x, i32),
        Data::I64(x) => int!(I64, x, i64),
        Data::Bool(x) if op == "LogicalNot" => Data::Bool(x.iter().map(|&p| !p).collect()),
        d => return Err(format!("{op} on {} is not supported", d.dtype())),
    };
    Ok(Tensor::new(a.shape.clone(), data))
}

/// Sum/Prod/Max/Min/Mean/All/Any over `axes`.
fn reduce(op: &str, a: &Tensor, axes: &[i64], keep: bool) -> R<Tensor> {
    let rank = a.rank();
    let mut reduced = vec![false; rank];
    for &x in axes {
        reduced[axis(x, rank, op)?] = true;
    }
    let out_shape: Vec<usize> = a.shape.iter().enumerate().map(|(i, &d)| if reduced[i] { 1 } else { d }).collect();
    let n_out = count(&out_shape)?;
    let strides_out = Tensor::strides(&out_shape);
    let mut target = Vec::with_capacity(a.len());
    let mut index = vec![0usize; rank];
    for _ in 0..a.len() {
        target.push(index.iter().enumerate().map(|(k, &i)| if reduced[k] { 0 } else { i * strides_out[k] }).sum::<usize>());
        for k in (0..rank).rev() {
            index[k] += 1;
            if index[k] < a.shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    let group: usize = a.shape.iter().enumerate().filter(|(i, _)| reduced[*i]).map(|(_, &d)| d).product();
    macro_rules! fold {
        ($x:expr, $v:ident, $t:ty, $init:expr, $f:expr, $finish:expr) => {{
            let mut acc: Vec<$t> = vec![$init; n_out];
            for (i, &t) in target.iter().enumerate() {
                acc[t] = $f(acc[t], $x[i]);
            }
            Data::$v(acc.into_iter().map($finish).collect())
        }};
    }
    let data = match (&a.data, op) {
        (Data::F32(x), "Sum") => fold!(x, F32, f32, 0.0, |p, q| p + q, |p| p),
        (Data::F32(x), "Mean") => fold!(x, F32, f32, 0.0, |p, q| p + q, |p: f32| p / group as f32),
        (Data::F32(x), "Prod") => fold!(x, F32, f32, 1.0, |p, q| p * q, |p| p),
        (Data::F32(x), "Max") => fold!(x, F32, f32, f32::NEG_INFINITY, |p: f32, q: f32| p.max(q), |p| p),
        (Data::F32(x), "Min") => fold!(x, F32, f32, f32::INFINITY, |p: f32, q: f32| p.min(q), |p| p),
        (Data::I64(x), "Sum") => fold!(x, I64, i64, 0, |p: i64, q| p.wrapping_add(q), |p| p),
        (Data::I64(x), "Prod") => fold!(x, I64, i64, 1, |p: i64, q| p.wrapping_mul(q), |p| p),
        (Data::I64(x), "Max") => fold!(x, I64, i64, i64::MIN, |p: i64, q| p.max(q), |p| p),
        (Data::I64(x), "Min") => fold!(x, I64, i64, i64::MAX, |p: i64, q| p.min(q), |p| p),
        (Data::I64(x), "Mean") => fold!(x, I64, i64, 0, |p: i64, q| p.wrapping_add(q), |p: i64| if group == 0 { 0 } else { p / group as i64 }),
        (Data::I32(x), "Sum") => fold!(x, I32, i32, 0, |p: i32, q| p.wrapping_add(q), |p| p),
        (Data::I32(x), "Prod") => fold!(x, I32, i32, 1, |p: i32, q| p.wrapping_mul(q), |p| p),
        (Data::I32(x), "Max") => fold!(x, I32, i32, i32::MIN, |p: i32, q| p.max(q), |p| p),
        (Data::I32(x), "Min") => fold!(x, I32, i32, i32::MAX, |p: i32, q| p.min(q), |p| p),
        (Data::Bool(x), "All") => fold!(x, Bool, bool, true, |p, q| p && q, |p| p),
        (Data::Bool(x), "Any") => fold!(x, Bool, bool, false, |p, q| p || q, |p| p),
        (d, op) => return Err(format!("{op} over {} is not supported", d.dtype())),
    };
    let shape = if keep { out_shape } else { a.shape.iter().enumerate().filter(|(i, _)| !reduced[*i]).map(|(_, &d)| d).collect() };
    Ok(Tensor::new(shape, data))
}

fn reshape(a: &Tensor, target: &[i64]) -> R<Tensor> {
    let known = target.iter().filter(|&&d| d >= 0).try_fold(1i64, |n, &d| n.checked_mul(d)).ok_or_else(|| format!("Reshape to {target:?} overflows"))?;
    let unknown = target.iter().filter(|&&d| d == -1).count();
    if unknown > 1 || target.iter().any(|&d| d < -1) {
        return Err(format!("Reshape to {target:?}"));
    }
    let shape: Vec<usize> = target
        .iter()
        .map(|&d| if d == -1 { if known == 0 { 0 } else { a.len() / known as usize } } else { d as usize })
        .collect();
    if shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).is_none() {
        return Err(format!("Reshape to {target:?} overflows"));
    }
    if count(&shape)? != a.len() {
        return Err(format!("Reshape of {:?} ({} values) to {target:?}", a.shape, a.len()));
    }
    Ok(Tensor::new(shape, a.data.clone()))
}

/// Gathers along `axis` with `indices` (any shape): params.shape[..axis] +
/// indices.shape + params.shape[axis+1..].
fn gather(params: &Tensor, indices: &Tensor, axis_: usize) -> R<Tensor> {
    let idx = ints(indices, "GatherV2 indices")?;
    let outer: usize = params.shape[..axis_].iter().product();
    let dim = params.shape[axis_];
    let inner: usize = params.shape[axis_ + 1..].iter().product();
    let mut elems = Vec::with_capacity(outer * idx.len() * inner);
    for o in 0..outer {
        for &i in &idx {
            if i < 0 || i as usize >= dim {
                return Err(format!("GatherV2: index {i} is not in [0, {dim})"));
            }
            let base = (o * dim + i as usize) * inner;
            elems.extend(base..base + inner);
        }
    }
    let mut shape = params.shape[..axis_].to_vec();
    shape.extend(&indices.shape);
    shape.extend(&params.shape[axis_ + 1..]);
    Ok(Tensor::new(shape, params.data.gather(&elems)))
}

fn gather_nd(params: &Tensor, indices: &Tensor) -> R<Tensor> {
    let idx = ints(indices, "GatherNd indices")?;
    let k = *indices.shape.last().ok_or("GatherNd: scalar indices")?;
    if k > params.rank() {
        return Err("GatherNd: index depth exceeds the params' rank".into());
    }
    let strides = Tensor::strides(&params.shape);
    let inner: usize = params.shape[k..].iter().product();
    let mut elems = Vec::new();
    for row in idx.chunks(k.max(1)) {
        let mut at = 0usize;
        for (d, &i) in row.iter().enumerate().take(k) {
            if i < 0 || i as usize >= params.shape[d] {
                return Err(format!("GatherNd: index {i} is not in [0, {})", params.shape[d]));
            }
            at += i as usize * strides[d];
        }
        elems.extend(at..at + inner);
    }
    let mut shape = indices.shape[..indices.rank() - 1].to_vec();
    shape.extend(&params.shape[k..]);
    Ok(Tensor::new(shape, params.data.gather(&elems)))
}

fn transpose(a: &Tensor, perm: &[i64]) -> R<Tensor> {
    let rank = a.rank();
    if perm.len() != rank {
        return Err(format!("Transpose: perm {perm:?} for rank {rank}"));
    }
    let perm: Vec<usize> = perm.iter().map(|&p| axis(p, rank, "Transpose")).collect::<R<_>>()?;
    let mut seen = vec![false; rank];
    for &p in &perm {
        if std::mem::replace(&mut seen[p], true) {
            return Err(format!("Transpose: {perm:?} is not a permutation"));
        }
    }
    let shape: Vec<usize> = perm.iter().map(|&p| a.shape[p]).collect();
    let in_strides = Tensor::strides(&a.shape);
    let mut elems = Vec::with_capacity(a.len());
    let mut index = vec![0usize; rank];
    for _ in 0..a.len() {
        elems.push(index.iter().enumerate().map(|(k, &i)| i * in_strides[perm[k]]).sum());
        for k in (0..rank).rev() {
            index[k] += 1;
            if index[k] < shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    Ok(Tensor::new(shape, a.data.gather(&elems)))
}

fn tile(a: &Tensor, multiples: &[i64]) -> R<Tensor> {
    if multiples.len() != a.rank() {
        return Err("Tile: multiples must have the input's rank".into());
    }
    let shape: Vec<usize> = a
        .shape
        .iter()
        .zip(multiples)
        .map(|(&d, &m)| d.checked_mul(m.max(0) as usize).ok_or_else(|| "Tile: too large".to_string()))
        .collect::<R<_>>()?;
    let n = count(&shape)?;
    let in_strides = Tensor::strides(&a.shape);
    let mut elems = Vec::with_capacity(n);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..n {
        elems.push(index.iter().enumerate().map(|(k, &i)| (i % a.shape[k].max(1)) * in_strides[k]).sum());
        for k in (0..shape.len()).rev() {
            index[k] += 1;
            if index[k] < shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    Ok(Tensor::new(shape, a.data.gather(&elems)))
}

fn concat(inputs: &[&Tensor], axis_: i64) -> R<Tensor> {
    let first = inputs.first().ok_or("ConcatV2 of nothing")?;
    let rank = first.rank();
    let ax = axis(axis_, rank, "ConcatV2")?;
    let outer: usize = first.shape[..ax].iter().product();
    let mut shape = first.shape.clone();
    shape[ax] = 0;
    for t in inputs {
        if t.rank() != rank || t.shape[..ax] != first.shape[..ax] || t.shape[ax + 1..] != first.shape[ax + 1..] {
            return Err(format!("ConcatV2 of shapes {:?} and {:?} along axis {ax}", first.shape, t.shape));
        }
        shape[ax] += t.shape[ax];
    }
    let mut parts = Vec::new();
    for o in 0..outer {
        for t in inputs {
            let chunk: usize = t.shape[ax..].iter().product();
            parts.push(t.data.gather(&(o * chunk..(o + 1) * chunk).collect::<Vec<_>>()));
        }
    }
    let refs: Vec<&Data> = parts.iter().collect();
    let data = if refs.is_empty() { inputs[0].data.gather(&[]) } else { Data::concat(&refs).ok_or("ConcatV2 of different dtypes")? };
    Ok(Tensor::new(shape, data))
}

fn pack(inputs: &[&Tensor], axis_: i64) -> R<Tensor> {
    let first = inputs.first().ok_or("Pack of nothing")?;
    if inputs.iter().any(|t| t.shape != first.shape) {
        return Err("Pack of tensors of different shapes".into());
    }
    let ax = axis(axis_, first.rank() + 1, "Pack")?;
    let mut expanded = Vec::with_capacity(inputs.len());
    for t in inputs {
        let mut shape = t.shape.clone();
        shape.insert(ax, 1);
        expanded.push(Tensor::new(shape, t.data.clone()));
    }
    let refs: Vec<&Tensor> = expanded.iter().collect();
    concat(&refs, ax as i64)
}

/// StridedSlice with its five masks.
fn strided_slice(a: &Tensor, begin: &[i64], end: &[i64], strides: &[i64], attrs: &Attrs) -> R<Tensor> {
    let (bm, em, sm, ellipsis, new_axis) = (
        attrs.i("begin_mask").unwrap_or(0),
        attrs.i("end_mask").unwrap_or(0),
        attrs.i("shrink_axis_mask").unwrap_or(0),
        attrs.i("ellipsis_mask").unwrap_or(0),
        attrs.i("new_axis_mask").unwrap_or(0),
    );
    let n = begin.len();
    if end.len() != n || strides.len() != n {
        return Err("StridedSlice: begin, end and strides differ in length".into());
    }
    // Expand the sparse spec to one entry per input dim (plus new axes).
    struct Dim {
        begin: i64,
        end: i64,
        stride: i64,
        begin_all: bool,
        end_all: bool,
        shrink: bool,
        new_axis: bool,
    }
    let mut spec = Vec::new();
    let explicit = (0..n).filter(|&i| (ellipsis >> i) & 1 == 0 && (new_axis >> i) & 1 == 0).count();
    for i in 0..n {
        if (ellipsis >> i) & 1 == 1 {
            for _ in 0..a.rank().saturating_sub(explicit) {
                spec.push(Dim { begin: 0, end: 0, stride: 1, begin_all: true, end_all: true, shrink: false, new_axis: false });
            }
        } else {
            spec.push(Dim {
                begin: begin[i],
                end: end[i],
                stride: strides[i],
                begin_all: (bm >> i) & 1 == 1,
                end_all: (em >> i) & 1 == 1,
                shrink: (sm >> i) & 1 == 1,
                new_axis: (new_axis >> i) & 1 == 1,
            });
        }
    }
    let consumed = spec.iter().filter(|d| !d.new_axis).count();
    for _ in consumed..a.rank() {
        spec.push(Dim { begin: 0, end: 0, stride: 1, begin_all: true, end_all: true, shrink: false, new_axis: false });
    }
    let mut ranges: Vec<Vec<usize>> = Vec::new();
    let mut out_shape = Vec::new();
    let mut d = 0usize;
    for s in &spec {
        if s.new_axis {
            out_shape.push(1);
            continue;
        }
        let size = *a.shape.get(d).ok_or("StridedSlice: more dims than the input has")? as i64;
        d += 1;
        if s.stride == 0 {
            return Err("StridedSlice: stride 0".into());
        }
        let norm = |x: i64| if x < 0 { x + size } else { x };
        let idx: Vec<usize> = if s.shrink {
            let b = norm(s.begin);
            if b < 0 || b >= size {
                return Err(format!("StridedSlice: index {} out of range for size {size}", s.begin));
            }
            vec![b as usize]
        } else if s.stride > 0 {
            let b = if s.begin_all { 0 } else { norm(s.begin).clamp(0, size) };
            let e = if s.end_all { size } else { norm(s.end).clamp(0, size) };
            (b..e.max(b)).step_by(s.stride as usize).map(|x| x as usize).collect()
        } else {
            let b = if s.begin_all { size - 1 } else { norm(s.begin).clamp(-1, size - 1) };
            let e = if s.end_all { -1 } else { norm(s.end).clamp(-1, size - 1) };
            let mut v = Vec::new();
            let mut x = b;
            while x > e {
                v.push(x as usize);
                x += s.stride;
            }
            v
        };
        if !s.shrink {
            out_shape.push(idx.len());
        }
        ranges.push(idx);
    }
    let strides_in = Tensor::strides(&a.shape);
    let mut elems = vec![0usize];
    for (k, r) in ranges.iter().enumerate() {
        let stride = strides_in[k];
        elems = elems.iter().flat_map(|&base| r.iter().map(move |&i| base + i * stride)).collect();
    }
    Ok(Tensor::new(out_shape, a.data.gather(&elems)))
}

fn where_(a: &Tensor) -> R<Tensor> {
    let truth: Vec<bool> = match &a.data {
        Data::Bool(v) => v.clone(),
        Data::I64(v) => v.iter().map(|&x| x != 0).collect(),
        Data::I32(v) => v.iter().map(|&x| x != 0).collect(),
        Data::F32(v) => v.iter().map(|&x| x != 0.0).collect(),
        d => return Err(format!("Where on {}", d.dtype())),
    };
    let strides = Tensor::strides(&a.shape);
    let rank = a.rank();
    let mut out = Vec::new();
    for (i, &t) in truth.iter().enumerate() {
        if t {
            let mut rem = i;
            for &s in &strides {
                out.push((rem / s) as i64);
                rem %= s;
            }
        }
    }
    let n = out.len() / rank.max(1);
    Ok(Tensor::new(vec![n, rank], Data::I64(out)))
}

fn as_string(a: &Tensor) -> R<Tensor> {
    let data = match &a.data {
        Data::I64(v) => v.iter().map(|x| x.to_string().into_bytes()).collect(),
        Data::I32(v) => v.iter().map(|x| x.to_string().into_bytes()).collect(),
        Data::Bool(v) => v.iter().map(|x| x.to_string().into_bytes()).collect(),
        Data::Str(v) => v.clone(),
        d => return Err(format!("AsString of {} is not supported", d.dtype())),
    };
    Ok(Tensor::new(a.shape.clone(), Data::Str(data)))
}

fn split(s: &[u8], sep: &[u8], maxsplit: i64) -> Vec<Vec<u8>> {
    let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    let mut tokens = Vec::new();
    let mut rest = s;
    if sep.is_empty() {
        loop {
            let start = rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(rest.len());
            rest = &rest[start..];
            if rest.is_empty() {
                break;
            }
            if tokens.len() == limit {
                tokens.push(rest.to_vec());
                break;
            }
            let end = rest.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(rest.len());
            tokens.push(rest[..end].to_vec());
            rest = &rest[end..];
        }
    } else {
        while tokens.len() < limit {
            match rest.windows(sep.len()).position(|w| w == sep) {
                Some(at) => {
                    tokens.push(rest[..at].to_vec());
                    rest = &rest[at + sep.len()..];
                }
                None => break,
            }
        }
        tokens.push(rest.to_vec());
    }
    tokens
}

fn strings(t: &Tensor, what: &str) -> R<Vec<Vec<u8>>> {
    match &t.data {
        Data::Str(v) => Ok(v.clone()),
        d => Err(format!("{what} must be strings, got {}", d.dtype())),
    }
}

/// Hashes of a SparseCross input's entries (TensorFlow's hashed cross):
/// strings are fingerprinted; ints are the ids themselves under an int64
/// internal type, fingerprints of their decimal text under a string one.
fn cross_hashes(t: &Tensor, int_internal: bool) -> R<Vec<u64>> {
    if int_internal {
        if let Some(v) = t.ints() {
            return Ok(v.into_iter().map(|x| x as u64).collect());
        }
    }
    Ok(match &t.data {
        Data::Str(v) => v.iter().map(|s| fingerprint64(s)).collect(),
        Data::I64(v) => v.iter().map(|x| fingerprint64(x.to_string().as_bytes())).collect(),
        Data::I32(v) => v.iter().map(|x| fingerprint64(x.to_string().as_bytes())).collect(),
        d => return Err(format!("SparseCross of {}", d.dtype())),
    })
}

fn cross_strings(t: &Tensor) -> R<Vec<Vec<u8>>> {
    Ok(match &t.data {
        Data::Str(v) => v.clone(),
        Data::I64(v) => v.iter().map(|x| x.to_string().into_bytes()).collect(),
        Data::I32(v) => v.iter().map(|x| x.to_string().into_bytes()).collect(),
        d => return Err(format!("SparseCross of {}", d.dtype())),
    })
}

/// SparseCross / SparseCrossHashed: every combination of one entry per input
/// in each row, the last input fastest.
fn sparse_cross(inputs: &[&Tensor], attrs: &Attrs, n_sparse: usize) -> R<Vec<Tensor>> {
    if inputs.len() < 3 * n_sparse || inputs.len() == 0 {
        return Err(format!("SparseCross: {} inputs for {n_sparse} sparse inputs", inputs.len()));
    }
    for k in 0..n_sparse {
        let (idx, values) = (inputs[k], inputs[n_sparse + k]);
        if idx.rank() != 2 || idx.shape[1] != 2 || values.rank() != 1 || values.len() != idx.shape[0] || inputs[2 * n_sparse + k].len() != 2 {
            return Err(format!("SparseCross: sparse input {k} is not a rank-2 SparseTensor"));
        }
    }
    for t in &inputs[3 * n_sparse..] {
        if t.rank() != 2 {
            return Err("SparseCross: a dense input is not rank 2".into());
        }
    }
    let n_dense = inputs.len() - 3 * n_sparse;
    let hashed = attrs.b("hashed_output").unwrap_or(true);
    let num_buckets = attrs.i("num_buckets").unwrap_or(0);
    let hash_key = attrs.i("hash_key").unwrap_or(0) as u64;
    let int_internal = attrs.ty("internal_type") == Some(DataType::DtInt64);
    // Per input: per row, the entries' positions into its values.
    let mut rows_of: Vec<Vec<Vec<usize>>> = Vec::new();
    let mut hashes: Vec<Vec<u64>> = Vec::new();
    let mut texts: Vec<Vec<Vec<u8>>> = Vec::new();
    let batch = if n_sparse > 0 {
        ints(inputs[2 * n_sparse], "SparseCross shape")?.first().copied().unwrap_or(0).max(0) as usize
    } else {
        inputs[3 * n_sparse].shape.first().copied().unwrap_or(0)
    };
    for k in 0..n_sparse {
        let idx = ints(&inputs[k], "SparseCross indices")?;
        let mut rows = vec![Vec::new(); batch];
        for (e, pair) in idx.chunks(2).enumerate() {
            let r = usize::try_from(pair[0]).map_err(|_| "SparseCross: negative row")?;
            rows.get_mut(r).ok_or("SparseCross: row outside the batch")?.push(e);
        }
        rows_of.push(rows);
        if hashed {
            hashes.push(cross_hashes(&inputs[n_sparse + k], int_internal)?);
        } else {
            texts.push(cross_strings(&inputs[n_sparse + k])?);
        }
    }
    for k in 0..n_dense {
        let t = &inputs[3 * n_sparse + k];
        let width = t.shape.get(1).copied().unwrap_or(1);
        if t.shape.first().copied().unwrap_or(0) != batch {
            return Err("SparseCross: dense input of another batch size".into());
        }
        rows_of.push((0..batch).map(|r| (r * width..(r + 1) * width).collect()).collect());
        if hashed {
            hashes.push(cross_hashes(t, int_internal)?);
        } else {
            texts.push(cross_strings(t)?);
        }
    }
    let n = rows_of.len();
    let (mut indices, mut ids, mut strs) = (Vec::new(), Vec::new(), Vec::new());
    let mut width = 0usize;
    for r in 0..batch {
        let counts: Vec<usize> = rows_of.iter().map(|rows| rows[r].len()).collect();
        if counts.iter().any(|&c| c == 0) {
            continue;
        }
        let combos = counts.iter().try_fold(1usize, |a, &c| a.checked_mul(c)).filter(|&c| c <= MAX_ELEMENTS);
        if combos.is_none_or(|c| indices.len() / 2 + c > MAX_ELEMENTS) {
            return Err(format!("SparseCross: row {r} crosses into more than {MAX_ELEMENTS} entries"));
        }
        let mut position = vec![0usize; n];
        let mut k_in_row = 0usize;
        'combinations: loop {
            if hashed {
                let mut h = hash_key;
                for c in 0..n {
                    h = fingerprint_cat64(h, hashes[c][rows_of[c][r][position[c]]]);
                }
                ids.push(if num_buckets > 0 { (h % num_buckets as u64) as i64 } else { h as i64 });
            } else {
                let parts: Vec<&[u8]> = (0..n).map(|c| texts[c][rows_of[c][r][position[c]]].as_slice()).collect();
                strs.push(parts.join(&b"_X_"[..]));
            }
            indices.extend([r as i64, k_in_row as i64]);
            k_in_row += 1;
            let mut c = n;
            loop {
                if c == 0 {
                    break 'combinations;
                }
                c -= 1;
                position[c] += 1;
                if position[c] < counts[c] {
                    break;
                }
                position[c] = 0;
            }
        }
        width = width.max(k_in_row);
    }
    let entries = indices.len() / 2;
    let values = if hashed { Tensor::vec_i64(ids) } else { Tensor::new(vec![entries], Data::Str(strs)) };
    Ok(vec![Tensor::new(vec![entries, 2], Data::I64(indices)), values, Tensor::vec_i64(vec![batch as i64, width as i64])])
}

fn sparse_fill_empty_rows(inputs: &[&Tensor]) -> R<Vec<Tensor>> {
    let idx = ints(&inputs[0], "SparseFillEmptyRows indices")?;
    let values = &inputs[1];
    let shape = ints(&inputs[2], "SparseFillEmptyRows dense_shape")?;
    let default = values.data.gather(&[]);
    let default_value = &inputs[3];
    let rank = shape.len().max(1);
    let rows = usize::try_from(*shape.first().unwrap_or(&0)).map_err(|_| "SparseFillEmptyRows: negative dense_shape")?;
    count(&[rows])?;
    let n = values.len();
    if idx.len() != n * rank {
        return Err(format!("SparseFillEmptyRows: {} index values for {n} values of rank {rank}", idx.len()));
    }
    let mut per_row: Vec<Vec<usize>> = vec![Vec::new(); rows];
    for e in 0..n {
        let r = usize::try_from(idx[e * rank]).map_err(|_| "SparseFillEmptyRows: negative row")?;
        per_row.get_mut(r).ok_or("SparseFillEmptyRows: row outside dense_shape")?.push(e);
    }
    let _ = default;
    let mut out_idx = Vec::new();
    let mut picks: Vec<Option<usize>> = Vec::new();
    let mut empty = vec![false; rows];
    let mut reverse = vec![0i64; n];
    for (r, entries) in per_row.iter().enumerate() {
        if entries.is_empty() {
            empty[r] = true;
            out_idx.push(r as i64);
            out_idx.extend(std::iter::repeat_n(0, rank - 1));
            picks.push(None);
        } else {
            for &e in entries {
                reverse[e] = picks.len() as i64;
                out_idx.extend_from_slice(&idx[e * rank..(e + 1) * rank]);
                picks.push(Some(e));
            }
        }
    }
    let default_scalar = first(default_value, "SparseFillEmptyRows default_value")?;
    let parts: Vec<Data> = picks.iter().map(|p| match p {
        Some(e) => values.data.gather(&[*e]),
        None => Data::filled(&default_scalar, 1),
    }).collect();
    let refs: Vec<&Data> = parts.iter().collect();
    let out_values = if refs.is_empty() { values.data.gather(&[]) } else { Data::concat(&refs).ok_or("SparseFillEmptyRows: default of another dtype")? };
    let m = picks.len();
    Ok(vec![
        Tensor::new(vec![m, rank], Data::I64(out_idx)),
        Tensor::new(vec![m], out_values),
        Tensor::new(vec![rows], Data::Bool(empty)),
        Tensor::vec_i64(reverse),
    ])
}

fn sparse_segment(op: &str, inputs: &[&Tensor]) -> R<Tensor> {
    let data = &inputs[0];
    let idx = ints(&inputs[1], "SparseSegment indices")?;
    let seg = ints(&inputs[2], "SparseSegment segment_ids")?;
    let segments = if op.ends_with("WithNumSegments") {
        scalar_int(&inputs[3], "num_segments")? as usize
    } else {
        seg.last().map_or(Ok(0), |&s| usize::try_from(s).map(|s| s + 1).map_err(|_| format!("{op}: negative segment id")))?
    };
    let Data::F32(values) = &data.data else { return Err(format!("{op} on {}", data.data.dtype())) };
    if data.rank() == 0 || idx.len() != seg.len() {
        return Err(format!("{op}: data of rank {} with {} indices and {} segment ids", data.rank(), idx.len(), seg.len()));
    }
    count(&[segments])?;
    let rows = data.shape.first().copied().unwrap_or(0);
    let inner: usize = data.shape[1..].iter().product();
    let mut out = vec![0f32; segments * inner];
    let mut counts = vec![0usize; segments];
    // The rows of each segment (segment ids are sorted in these graphs; any
    // order is accepted).
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); segments];
    for (&i, &s) in idx.iter().zip(&seg) {
        let (Ok(i), Ok(s)) = (usize::try_from(i), usize::try_from(s)) else { return Err(format!("{op}: negative index or segment")) };
        if i >= rows || s >= segments {
            return Err(format!("{op}: index {i} or segment {s} out of range"));
        }
        members[s].push(i);
        counts[s] += 1;
    }
    // TensorFlow's CPU kernel sums a segment's rows in its order: first the
    // leading num % 8 rows (8 when divisible), then each further block of 8
    // rows summed on its own and added to the total.
    for (s, rows_of) in members.iter().enumerate() {
        let n = rows_of.len();
        if n == 0 {
            continue;
        }
        let head = if n % 8 == 0 { 8 } else { n % 8 };
        for d in 0..inner {
            let mut acc = values[rows_of[0] * inner + d];
            for &r in &rows_of[1..head] {
                acc += values[r * inner + d];
            }
            for block in rows_of[head..].chunks(8) {
                let mut b = values[block[0] * inner + d];
                for &r in &block[1..] {
                    b += values[r * inner + d];
                }
                acc += b;
            }
            out[s * inner + d] = acc;
        }
    }
    if !op.starts_with("SparseSegmentSum") {
        for s in 0..segments {
            if counts[s] > 0 {
                let div = if op.starts_with("SparseSegmentMean") { counts[s] as f32 } else { (counts[s] as f32).sqrt() };
                for d in 0..inner {
                    out[s * inner + d] /= div;
                }
            }
        }
    }
    let mut shape = vec![segments];
    shape.extend(&data.shape[1..]);
    Ok(Tensor::new(shape, Data::F32(out)))
}

fn table_of(t: &Tensor) -> R<Arc<Table>> {
    match &t.data {
        Data::Table(t) => Ok(t.clone()),
        d => Err(format!("expected a table handle, got {}", d.dtype())),
    }
}

/// The fewest inputs each op takes (checked before anything is indexed).
fn arity(op: &str) -> usize {
    match op {
        "IdentityN" | "HashTableV2" | "HashTable" | "MutableHashTableV2" | "NoOp" | "Pack" | "SparseCross" | "SparseCrossHashed" => 0,
        "Identity" | "StopGradient" | "Snapshot" | "PreventGradient" | "Shape" | "Size" | "Rank" | "Squeeze" | "Where" | "Cast" | "Neg" | "Abs"
        | "Reciprocal" | "Inv" | "Sqrt" | "Rsqrt" | "Square" | "Exp" | "Log" | "Log1p" | "Floor" | "Ceil" | "Round" | "Sigmoid" | "Tanh" | "Relu" | "Relu6" | "Sign"
        | "LogicalNot" | "Softmax" | "LeakyRelu" | "AsString" | "StringToHashBucketFast" | "LookupTableSizeV2" | "Bucketize" | "Unique"
        | "ZerosLike" | "OnesLike" => 1,
        "SparseFillEmptyRows" | "SparseSegmentSumWithNumSegments" | "SparseSegmentMeanWithNumSegments" | "SparseSegmentSqrtNWithNumSegments"
        | "SparseToDense" | "OneHot" | "StridedSlice" => 4,
        "GatherV2" | "Slice" | "Range" | "Select" | "SelectV2" | "LookupTableImportV2" | "InitializeTableV2" | "LookupTableFindV2" | "SparseReshape"
        | "SparseSegmentSum" | "SparseSegmentMean" | "SparseSegmentSqrtN" | "SparseReorder" | "ScatterNd" => 3,
        "SparseSlice" => 5,
        _ => 2,
    }
}

/// Evaluates one op on its inputs.
pub fn eval(op: &str, attrs: &Attrs, inputs: &[&Tensor]) -> R<Vec<Tensor>> {
    if inputs.len() < arity(op) {
        return Err(format!("{op} takes {} inputs, got {}", arity(op), inputs.len()));
    }
    if inputs.iter().any(|t| t.shape.iter().product::<usize>() != t.data.len() && !matches!(t.data, Data::Table(_))) {
        return Err(format!("{op}: an input's values do not fill its shape"));
    }
    let one = |t: Tensor| Ok(vec![t]);
    match op {
        "Identity" | "StopGradient" | "Snapshot" | "PreventGradient" => {
            need(inputs, 1, op)?;
            one(inputs[0].clone())
        }
        "IdentityN" => Ok(inputs.iter().map(|t| (*t).clone()).collect()),
        "Shape" => {
            need(inputs, 1, op)?;
            let dims: Vec<i64> = inputs[0].shape.iter().map(|&d| d as i64).collect();
            one(match attrs.ty("out_type") {
                Some(DataType::DtInt64) => Tensor::vec_i64(dims),
                _ => Tensor::new(vec![dims.len()], Data::I32(dims.iter().map(|&d| d as i32).collect())),
            })
        }
        "Size" => {
            need(inputs, 1, op)?;
            one(Tensor::new(vec![], Data::I32(vec![inputs[0].len() as i32])))
        }
        "Rank" => one(Tensor::new(vec![], Data::I32(vec![inputs[0].rank() as i32]))),
        "Reshape" => {
            need(inputs, 2, op)?;
            one(reshape(&inputs[0], &ints(&inputs[1], "Reshape shape")?)?)
        }
        "ExpandDims" => {
            need(inputs, 2, op)?;
            let a = &inputs[0];
            let ax = axis(scalar_int(&inputs[1], "ExpandDims axis")?, a.rank() + 1, op)?;
            let mut shape = a.shape.clone();
            shape.insert(ax, 1);
            one(Tensor::new(shape, a.data.clone()))
        }
        "Squeeze" => {
            need(inputs, 1, op)?;
            let a = &inputs[0];
            let dims = attrs.list_i("squeeze_dims").unwrap_or_default();
            let drop: Vec<usize> = if dims.is_empty() {
                (0..a.rank()).filter(|&i| a.shape[i] == 1).collect()
            } else {
                dims.iter().map(|&d| axis(d, a.rank(), op)).collect::<R<_>>()?
            };
            let shape = a.shape.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, &d)| d).collect();
            one(Tensor::new(shape, a.data.clone()))
        }
        "Pack" => one(pack(inputs, attrs.i("axis").unwrap_or(0))?),
        "ConcatV2" => {
            need(inputs, 2, op)?;
            let (values, ax) = inputs.split_at(inputs.len() - 1);
            one(concat(values, scalar_int(&ax[0], "ConcatV2 axis")?)?)
        }
        "Slice" => {
            need(inputs, 3, op)?;
            let a = &inputs[0];
            let begin = ints(&inputs[1], "Slice begin")?;
            let size = ints(&inputs[2], "Slice size")?;
            if begin.len() != a.rank() || size.len() != a.rank() {
                return Err(format!("Slice of rank {} with {} begins and {} sizes", a.rank(), begin.len(), size.len()));
            }
            let end: Vec<i64> = begin.iter().zip(&size).zip(&a.shape).map(|((&b, &s), &d)| if s == -1 { d as i64 } else { b.saturating_add(s) }).collect();
            let ones = vec![1i64; begin.len()];
            let no_masks = std::collections::BTreeMap::new();
            one(strided_slice(a, &begin, &end, &ones, &Attrs(&no_masks))?)
        }
        "StridedSlice" => {
            need(inputs, 4, op)?;
            let (b, e, s) = (ints(&inputs[1], "begin")?, ints(&inputs[2], "end")?, ints(&inputs[3], "strides")?);
            one(strided_slice(&inputs[0], &b, &e, &s, attrs)?)
        }
        "GatherV2" | "Gather" => {
            need(inputs, 2, op)?;
            if attrs.i("batch_dims").unwrap_or(0) != 0 {
                return Err("GatherV2 with batch_dims is not supported".into());
            }
            let ax = if op == "GatherV2" { scalar_int(&inputs[2], "GatherV2 axis")? } else { 0 };
            let ax = axis(ax, inputs[0].rank(), op)?;
            one(gather(&inputs[0], &inputs[1], ax)?)
        }
        "GatherNd" => {
            need(inputs, 2, op)?;
            one(gather_nd(&inputs[0], &inputs[1])?)
        }
        "Tile" => {
            need(inputs, 2, op)?;
            one(tile(&inputs[0], &ints(&inputs[1], "Tile multiples")?)?)
        }
        "Transpose" => {
            need(inputs, 2, op)?;
            one(transpose(&inputs[0], &ints(&inputs[1], "Transpose perm")?)?)
        }
        "Range" => {
            need(inputs, 3, op)?;
            if let (Some(_), Some(_), Some(_)) = (inputs[0].ints(), inputs[1].ints(), inputs[2].ints()) {
                let (s, l, d) = (scalar_int(inputs[0], "Range start")?, scalar_int(inputs[1], "Range limit")?, scalar_int(inputs[2], "Range delta")?);
                if d == 0 {
                    return Err("Range with delta 0".into());
                }
                let span = (l as i128 - s as i128).abs();
                let n = if (d > 0 && l > s) || (d < 0 && l < s) { (span + (d as i128).abs() - 1) / (d as i128).abs() } else { 0 };
                if n as u64 > MAX_ELEMENTS as u64 {
                    return Err(format!("Range of {n} values is more than {MAX_ELEMENTS}"));
                }
                let v: Vec<i64> = (0..n as i64).map(|i| s.wrapping_add(i.wrapping_mul(d))).collect();
                return one(match inputs[0].data {
                    Data::I32(_) => Tensor::new(vec![v.len()], Data::I32(v.iter().map(|&x| x as i32).collect())),
                    _ => Tensor::vec_i64(v),
                });
            }
            let f = |t: &Tensor| t.floats().and_then(|v| (v.len() == 1).then(|| v[0])).ok_or("Range takes numeric scalars".to_string());
            let (s, l, d) = (f(&inputs[0])?, f(&inputs[1])?, f(&inputs[2])?);
            let n = ((l - s) / d).ceil().max(0.0);
            if !(n <= MAX_ELEMENTS as f64) {
                return Err(format!("Range of {n} values"));
            }
            let n = n as usize;
            one(Tensor::new(vec![n], Data::F32((0..n).map(|i| (s + i as f64 * d) as f32).collect())))
        }
        "Fill" => {
            need(inputs, 2, op)?;
            let shape = dims(&ints(&inputs[0], "Fill dims")?, op)?;
            let n = count(&shape)?;
            one(Tensor::new(shape, Data::filled(&first(inputs[1], "Fill value")?, n)))
        }
        "ZerosLike" | "OnesLike" => {
            need(inputs, 1, op)?;
            let v = if op == "ZerosLike" { 0 } else { 1 };
            let s = match inputs[0].data {
                Data::F32(_) => Scalar::F32(v as f32),
                Data::F64(_) => Scalar::F64(v as f64),
                Data::I32(_) => Scalar::I32(v),
                Data::I64(_) => Scalar::I64(v as i64),
                Data::Bool(_) => Scalar::Bool(v == 1),
                _ => return Err(format!("{op} of {}", inputs[0].data.dtype())),
            };
            one(Tensor::new(inputs[0].shape.clone(), Data::filled(&s, inputs[0].len())))
        }
        "Sum" | "Prod" | "Max" | "Min" | "Mean" | "All" | "Any" => {
            need(inputs, 2, op)?;
            one(reduce(op, &inputs[0], &ints(&inputs[1], "reduction axes")?, attrs.b("keep_dims").unwrap_or(false))?)
        }
        "Where" => {
            need(inputs, 1, op)?;
            one(where_(&inputs[0])?)
        }
        "Cast" => {
            need(inputs, 1, op)?;
            let to = attrs.ty("DstT").ok_or("Cast without DstT")?;
            one(cast(&inputs[0], to, attrs.b("Truncate").unwrap_or(false))?)
        }
        "Add" | "AddV2" | "Sub" | "Mul" | "RealDiv" | "Div" | "TruncateDiv" | "DivNoNan" | "Maximum" | "Minimum" | "Pow" | "FloorDiv" | "FloorMod"
        | "SquaredDifference" | "Equal" | "NotEqual" | "Greater" | "GreaterEqual" | "Less" | "LessEqual" | "LogicalAnd" | "LogicalOr" => {
            need(inputs, 2, op)?;
            one(binary(op, &inputs[0], &inputs[1])?)
        }
        "BiasAdd" => {
            need(inputs, 2, op)?;
            one(binary("Add", &inputs[0], &inputs[1])?)
        }
        "Neg" | "Abs" | "Reciprocal" | "Inv" | "Sqrt" | "Rsqrt" | "Square" | "Exp" | "Log" | "Log1p" | "Floor" | "Ceil" | "Round" | "Sigmoid" | "Tanh"
        | "Relu" | "Relu6" | "Sign" | "LogicalNot" => {
            need(inputs, 1, op)?;
            one(unary(op, &inputs[0])?)
        }
        "MatMul" => {
            need(inputs, 2, op)?;
            let (ta, tb) = (attrs.b("transpose_a").unwrap_or(false), attrs.b("transpose_b").unwrap_or(false));
            if inputs[0].rank() != 2 || inputs[1].rank() != 2 {
                return Err(format!("MatMul of {:?} and {:?}", inputs[0].shape, inputs[1].shape));
            }
            let a = if ta { transpose(inputs[0], &[1, 0])? } else { (*inputs[0]).clone() };
            let b = if tb { transpose(inputs[1], &[1, 0])? } else { (*inputs[1]).clone() };
            let (Data::F32(x), Data::F32(y)) = (&a.data, &b.data) else { return Err("MatMul of non-float32".into()) };
            if a.rank() != 2 || b.rank() != 2 {
                return Err(format!("MatMul of {:?} and {:?}", a.shape, b.shape));
            }
            let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1]);
            if b.shape[0] != k {
                return Err(format!("MatMul of {:?} and {:?}", a.shape, b.shape));
            }
            count(&[m, n])?;
            let mut out = vec![0f32; m * n];
            for i in 0..m {
                for p in 0..k {
                    let xv = x[i * k + p];
                    for j in 0..n {
                        out[i * n + j] += xv * y[p * n + j];
                    }
                }
            }
            one(Tensor::new(vec![m, n], Data::F32(out)))
        }
        "BatchMatMul" | "BatchMatMulV2" | "BatchMatMulV3" => {
            need(inputs, 2, op)?;
            let (ax, ay) = (attrs.b("adj_x").unwrap_or(false), attrs.b("adj_y").unwrap_or(false));
            let (x, y) = (inputs[0], inputs[1]);
            let (Data::F32(xv), Data::F32(yv)) = (&x.data, &y.data) else { return Err(format!("{op} of non-float32")) };
            let (rx, ry) = (x.rank(), y.rank());
            if rx < 2 || ry < 2 || x.shape[..rx - 2] != y.shape[..ry - 2] {
                return Err(format!("{op} of {:?} and {:?} (batch dims must match)", x.shape, y.shape));
            }
            let (xm, xk) = (x.shape[rx - 2], x.shape[rx - 1]);
            let (ym, yk) = (y.shape[ry - 2], y.shape[ry - 1]);
            let (m, k) = if ax { (xk, xm) } else { (xm, xk) };
            let (k2, n) = if ay { (yk, ym) } else { (ym, yk) };
            if k != k2 {
                return Err(format!("{op}: inner dims {k} and {k2} differ"));
            }
            let batch: usize = x.shape[..rx - 2].iter().product();
            count(&[batch, m, n])?;
            let mut out = vec![0f32; batch * m * n];
            for b in 0..batch {
                let (xo, yo, oo) = (b * xm * xk, b * ym * yk, b * m * n);
                for i in 0..m {
                    for p in 0..k {
                        let xv = if ax { xv[xo + p * xk + i] } else { xv[xo + i * xk + p] };
                        for j in 0..n {
                            let yvv = if ay { yv[yo + j * yk + p] } else { yv[yo + p * yk + j] };
                            out[oo + i * n + j] += xv * yvv;
                        }
                    }
                }
            }
            let mut shape = x.shape[..rx - 2].to_vec();
            shape.extend([m, n]);
            one(Tensor::new(shape, Data::F32(out)))
        }
        "Softmax" => {
            need(inputs, 1, op)?;
            let Data::F32(v) = &inputs[0].data else { return Err("Softmax of non-float32".into()) };
            let n = *inputs[0].shape.last().unwrap_or(&1);
            let mut out = v.clone();
            for row in out.chunks_mut(n.max(1)) {
                let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0f32;
                for x in row.iter_mut() {
                    *x = (*x - max).exp();
                    sum += *x;
                }
                for x in row.iter_mut() {
                    *x /= sum;
                }
            }
            one(Tensor::new(inputs[0].shape.clone(), Data::F32(out)))
        }
        "LeakyRelu" => {
            need(inputs, 1, op)?;
            let alpha = attrs.f("alpha").unwrap_or(0.2);
            let Data::F32(v) = &inputs[0].data else { return Err("LeakyRelu of non-float32".into()) };
            one(Tensor::new(inputs[0].shape.clone(), Data::F32(v.iter().map(|&x| if x < 0.0 { alpha * x } else { x }).collect())))
        }
        "Select" | "SelectV2" => {
            need(inputs, 3, op)?;
            let Data::Bool(c) = &inputs[0].data else { return Err(format!("{op} condition must be bool")) };
            let (t, e) = (&inputs[1], &inputs[2]);
            // Select: a vector condition picks rows.
            let cond: Tensor = if op == "Select" && inputs[0].rank() == 1 && t.rank() > 1 {
                let mut shape = vec![c.len()];
                shape.extend(std::iter::repeat_n(1, t.rank() - 1));
                Tensor::new(shape, Data::Bool(c.clone()))
            } else {
                (*inputs[0]).clone()
            };
            let shape = broadcast_shape(&broadcast_shape(&cond.shape, &t.shape)?, &e.shape)?;
            let (mc, mt, me) = (broadcast_map(&shape, &cond.shape), broadcast_map(&shape, &t.shape), broadcast_map(&shape, &e.shape));
            let Data::Bool(cv) = &cond.data else { unreachable!("checked bool") };
            let picks: Vec<(bool, usize)> = (0..mc.len()).map(|i| if cv[mc[i]] { (true, mt[i]) } else { (false, me[i]) }).collect();
            let from_t: Vec<usize> = picks.iter().map(|p| p.1).collect();
            let data = match (&t.data, &e.data) {
                (Data::F32(a), Data::F32(b)) => Data::F32(picks.iter().map(|&(w, i)| if w { a[i] } else { b[i] }).collect()),
                (Data::I64(a), Data::I64(b)) => Data::I64(picks.iter().map(|&(w, i)| if w { a[i] } else { b[i] }).collect()),
                (Data::I32(a), Data::I32(b)) => Data::I32(picks.iter().map(|&(w, i)| if w { a[i] } else { b[i] }).collect()),
                (Data::Str(a), Data::Str(b)) => Data::Str(picks.iter().map(|&(w, i)| if w { a[i].clone() } else { b[i].clone() }).collect()),
                (Data::Bool(a), Data::Bool(b)) => Data::Bool(picks.iter().map(|&(w, i)| if w { a[i] } else { b[i] }).collect()),
                _ => return Err(format!("{op} of {} and {}", t.data.dtype(), e.data.dtype())),
            };
            let _ = from_t;
            one(Tensor::new(shape, data))
        }
        "AsString" => {
            need(inputs, 1, op)?;
            one(as_string(&inputs[0])?)
        }
        "StringToHashBucketFast" => {
            need(inputs, 1, op)?;
            let n = attrs.i("num_buckets").filter(|&n| n > 0).ok_or("StringToHashBucketFast needs num_buckets > 0")? as u64;
            let s = strings(&inputs[0], op)?;
            one(Tensor::new(inputs[0].shape.clone(), Data::I64(s.iter().map(|x| string_to_hash_bucket(x, n)).collect())))
        }
        "StringSplitV2" => {
            need(inputs, 2, op)?;
            let s = strings(&inputs[0], op)?;
            let sep = strings(&inputs[1], "StringSplitV2 sep")?.into_iter().next().unwrap_or_default();
            let maxsplit = attrs.i("maxsplit").unwrap_or(-1);
            let (mut idx, mut vals, mut width) = (Vec::new(), Vec::new(), 0usize);
            for (r, x) in s.iter().enumerate() {
                let tokens = split(x, &sep, maxsplit);
                width = width.max(tokens.len());
                for (k, t) in tokens.into_iter().enumerate() {
                    idx.extend([r as i64, k as i64]);
                    vals.push(t);
                }
            }
            let n = vals.len();
            Ok(vec![Tensor::new(vec![n, 2], Data::I64(idx)), Tensor::new(vec![n], Data::Str(vals)), Tensor::vec_i64(vec![s.len() as i64, width as i64])])
        }
        "HashTableV2" | "HashTable" | "MutableHashTableV2" => one(Tensor::new(vec![], Data::Table(Arc::new(Table::default())))),
        "LookupTableImportV2" | "InitializeTableV2" => {
            need(inputs, 3, op)?;
            let table = table_of(&inputs[0])?;
            let (keys, values) = (&inputs[1], &inputs[2]);
            if keys.len() != values.len() {
                return Err(format!("{op}: {} keys for {} values", keys.len(), values.len()));
            }
            match &keys.data {
                Data::Str(k) => {
                    let mut m = table.strings.lock().unwrap_or_else(|e| e.into_inner());
                    for (i, key) in k.iter().enumerate() {
                        m.insert(key.clone(), values.data.at(i));
                    }
                }
                _ => {
                    let k = ints(keys, "table keys")?;
                    let mut m = table.ints.lock().unwrap_or_else(|e| e.into_inner());
                    for (i, key) in k.iter().enumerate() {
                        m.insert(*key, values.data.at(i));
                    }
                }
            }
            Ok(vec![])
        }
        "LookupTableFindV2" => {
            need(inputs, 3, op)?;
            let table = table_of(&inputs[0])?;
            let (keys, default) = (&inputs[1], first(inputs[2], "LookupTableFindV2 default")?);
            let found: Vec<Scalar> = match &keys.data {
                Data::Str(k) => {
                    let m = table.strings.lock().unwrap_or_else(|e| e.into_inner());
                    k.iter().map(|key| m.get(key).cloned().unwrap_or_else(|| default.clone())).collect()
                }
                _ => {
                    let k = ints(keys, "table keys")?;
                    let m = table.ints.lock().unwrap_or_else(|e| e.into_inner());
                    k.iter().map(|key| m.get(key).cloned().unwrap_or_else(|| default.clone())).collect()
                }
            };
            let data = match default {
                Scalar::I64(_) => Data::I64(found.iter().map(|s| if let Scalar::I64(v) = s { *v } else { 0 }).collect()),
                Scalar::I32(_) => Data::I32(found.iter().map(|s| if let Scalar::I32(v) = s { *v } else { 0 }).collect()),
                Scalar::F32(_) => Data::F32(found.iter().map(|s| if let Scalar::F32(v) = s { *v } else { 0.0 }).collect()),
                Scalar::Str(_) => Data::Str(found.iter().map(|s| if let Scalar::Str(v) = s { v.clone() } else { vec![] }).collect()),
                _ => return Err("LookupTableFindV2 of this value dtype is not supported".into()),
            };
            one(Tensor::new(keys.shape.clone(), data))
        }
        "LookupTableSizeV2" => {
            let table = table_of(&inputs[0])?;
            let n = table.ints.lock().unwrap_or_else(|e| e.into_inner()).len() + table.strings.lock().unwrap_or_else(|e| e.into_inner()).len();
            one(Tensor::scalar_i64(n as i64))
        }
        "Bucketize" => {
            need(inputs, 1, op)?;
            let b = attrs.list_f("boundaries").unwrap_or_default();
            let bucket = |x: f64| -> i32 {
                if x.is_nan() {
                    return b.len() as i32;
                }
                b.partition_point(|&bd| bd as f64 <= x) as i32
            };
            let data: Vec<i32> = match &inputs[0].data {
                // float32 inputs compare in float32 against float32 boundaries.
                Data::F32(v) => v.iter().map(|&x| if x.is_nan() { b.len() as i32 } else { b.partition_point(|&bd| bd <= x) as i32 }).collect(),
                Data::F64(v) => v.iter().map(|&x| bucket(x)).collect(),
                Data::I64(v) => v.iter().map(|&x| bucket(x as f64)).collect(),
                Data::I32(v) => v.iter().map(|&x| bucket(x as f64)).collect(),
                d => return Err(format!("Bucketize of {}", d.dtype())),
            };
            one(Tensor::new(inputs[0].shape.clone(), Data::I32(data)))
        }
        "SparseReshape" => {
            need(inputs, 3, op)?;
            let idx = ints(&inputs[0], "SparseReshape indices")?;
            let shape = ints(&inputs[1], "SparseReshape shape")?;
            let target = ints(&inputs[2], "SparseReshape new_shape")?;
            let total = shape.iter().try_fold(1i64, |n, &d| if d < 0 { None } else { n.checked_mul(d) }).ok_or("SparseReshape: bad dense_shape")?;
            let known = target.iter().filter(|&&d| d >= 0).try_fold(1i64, |n, &d| n.checked_mul(d)).ok_or_else(|| format!("Reshape to {target:?} overflows"))?;
            if inputs[0].rank() != 2 || inputs[0].shape[1] != shape.len() || target.iter().any(|&d| d < -1) {
                return Err("SparseReshape: indices must be [n, rank of the shape]".into());
            }
            let new_shape: Vec<i64> = target.iter().map(|&d| if d == -1 { if known == 0 { 0 } else { total / known } } else { d }).collect();
            if new_shape.iter().try_fold(1i64, |n, &d| if d < 0 { None } else { n.checked_mul(d) }) != Some(total) {
                return Err(format!("SparseReshape of {shape:?} to {target:?}"));
            }
            let rank = shape.len().max(1);
            let old_strides = Tensor::strides(&shape.iter().map(|&d| d as usize).collect::<Vec<_>>());
            let new_strides = Tensor::strides(&new_shape.iter().map(|&d| d as usize).collect::<Vec<_>>());
            let mut out = Vec::new();
            for entry in idx.chunks(rank) {
                if entry.iter().zip(&shape).any(|(&i, &d)| i < 0 || i >= d) {
                    return Err("SparseReshape: an index is outside the dense shape".into());
                }
                let mut flat: i64 = entry.iter().zip(&old_strides).map(|(&i, &s)| i * s as i64).sum();
                for &s in &new_strides {
                    out.push(flat / s as i64);
                    flat %= s as i64;
                }
            }
            let n = idx.len() / rank;
            Ok(vec![Tensor::new(vec![n, new_shape.len()], Data::I64(out)), Tensor::vec_i64(new_shape)])
        }
        "SparseFillEmptyRows" => {
            need(inputs, 4, op)?;
            sparse_fill_empty_rows(inputs)
        }
        "SparseSegmentSum" | "SparseSegmentMean" | "SparseSegmentSqrtN" => {
            need(inputs, 3, op)?;
            one(sparse_segment(op, inputs)?)
        }
        "SparseSegmentSumWithNumSegments" | "SparseSegmentMeanWithNumSegments" | "SparseSegmentSqrtNWithNumSegments" => {
            need(inputs, 4, op)?;
            one(sparse_segment(op, inputs)?)
        }
        "SparseCross" | "SparseCrossHashed" => {
            let n = attrs.0.get("sparse_types").and_then(|a| match &a.value {
                Some(AttrKind::List(l)) => Some(l.r#type.len()),
                _ => None,
            });
            let n = n.or_else(|| attrs.i("N").map(|v| v as usize)).ok_or("SparseCross without sparse_types")?;
            let inputs = if op == "SparseCrossHashed" { &inputs[..inputs.len() - 3] } else { inputs };
            sparse_cross(inputs, attrs, n)
        }
        "SparseToDense" => {
            need(inputs, 4, op)?;
            let idx = ints(&inputs[0], "SparseToDense indices")?;
            let shape = dims(&ints(&inputs[1], "SparseToDense output_shape")?, op)?;
            let values = &inputs[2];
            let n = count(&shape)?;
            let rank = shape.len().max(1);
            let strides = Tensor::strides(&shape);
            let mut picks: Vec<Option<usize>> = vec![None; n];
            for (e, entry) in idx.chunks(rank).enumerate() {
                if entry.len() != shape.len() || entry.iter().zip(&shape).any(|(&i, &d)| i < 0 || i as usize >= d) {
                    return Err("SparseToDense: index outside the shape".into());
                }
                let at: usize = entry.iter().zip(&strides).map(|(&i, &s)| i as usize * s).sum();
                if values.len() != 1 && e >= values.len() {
                    return Err("SparseToDense: fewer values than indices".into());
                }
                let slot = picks.get_mut(at).ok_or("SparseToDense: index outside the shape")?;
                *slot = Some(if values.len() == 1 { 0 } else { e });
            }
            let default = first(inputs[3], "SparseToDense default_value")?;
            let parts: Vec<Data> = picks.iter().map(|p| match p {
                Some(e) => values.data.gather(&[*e]),
                None => Data::filled(&default, 1),
            }).collect();
            let refs: Vec<&Data> = parts.iter().collect();
            let data = if refs.is_empty() { values.data.gather(&[]) } else { Data::concat(&refs).ok_or("SparseToDense: default of another dtype")? };
            one(Tensor::new(shape, data))
        }
        "OneHot" => {
            need(inputs, 4, op)?;
            let idx = ints(&inputs[0], "OneHot indices")?;
            let depth = scalar_int(&inputs[1], "OneHot depth")?.max(0) as usize;
            if attrs.i("axis").unwrap_or(-1) != -1 {
                return Err("OneHot with an axis other than -1 is not supported".into());
            }
            let (on, off) = (first(inputs[2], "OneHot on_value")?, first(inputs[3], "OneHot off_value")?);
            count(&[idx.len(), depth])?;
            let mut parts = Vec::with_capacity(idx.len() * depth);
            for &i in &idx {
                for d in 0..depth {
                    parts.push(if i == d as i64 { on.clone() } else { off.clone() });
                }
            }
            let data = match on {
                Scalar::F32(_) => Data::F32(parts.iter().map(|s| if let Scalar::F32(v) = s { *v } else { 0.0 }).collect()),
                Scalar::I64(_) => Data::I64(parts.iter().map(|s| if let Scalar::I64(v) = s { *v } else { 0 }).collect()),
                Scalar::I32(_) => Data::I32(parts.iter().map(|s| if let Scalar::I32(v) = s { *v } else { 0 }).collect()),
                _ => return Err("OneHot of this dtype is not supported".into()),
            };
            let mut shape = inputs[0].shape.clone();
            shape.push(depth);
            one(Tensor::new(shape, data))
        }
        "Unique" => {
            need(inputs, 1, op)?;
            let a = &inputs[0];
            let mut first: HashMap<Vec<u8>, usize> = HashMap::new();
            let mut keep = Vec::new();
            let mut idx = Vec::with_capacity(a.len());
            for i in 0..a.len() {
                let key = match a.data.at(i) {
                    Scalar::I64(v) => v.to_le_bytes().to_vec(),
                    Scalar::I32(v) => v.to_le_bytes().to_vec(),
                    Scalar::Str(s) => s,
                    Scalar::F32(v) => v.to_bits().to_le_bytes().to_vec(),
                    other => format!("{other:?}").into_bytes(),
                };
                let next = keep.len();
                let at = *first.entry(key).or_insert_with(|| {
                    keep.push(i);
                    next
                });
                idx.push(at as i64);
            }
            let idx = match attrs.ty("out_idx") {
                Some(DataType::DtInt64) => Tensor::vec_i64(idx),
                _ => Tensor::new(vec![idx.len()], Data::I32(idx.iter().map(|&x| x as i32).collect())),
            };
            Ok(vec![Tensor::new(vec![keep.len()], a.data.gather(&keep)), idx])
        }
        "SparseReorder" => {
            need(inputs, 3, op)?;
            let idx = ints(&inputs[0], "SparseReorder indices")?;
            let rank = inputs[0].shape.get(1).copied().unwrap_or(1).max(1);
            if inputs[0].rank() != 2 || inputs[1].len() != idx.len() / rank {
                return Err("SparseReorder: indices [n, rank] and n values".into());
            }
            let mut order: Vec<usize> = (0..idx.len() / rank).collect();
            order.sort_by(|&a, &b| idx[a * rank..(a + 1) * rank].cmp(&idx[b * rank..(b + 1) * rank]));
            let out_idx: Vec<i64> = order.iter().flat_map(|&e| idx[e * rank..(e + 1) * rank].iter().copied()).collect();
            Ok(vec![Tensor::new(inputs[0].shape.clone(), Data::I64(out_idx)), Tensor::new(inputs[1].shape.clone(), inputs[1].data.gather(&order))])
        }
        "SparseSlice" => {
            need(inputs, 5, op)?;
            let idx = ints(&inputs[0], "SparseSlice indices")?;
            let shape = ints(&inputs[2], "SparseSlice shape")?;
            let start = ints(&inputs[3], "SparseSlice start")?;
            let size = ints(&inputs[4], "SparseSlice size")?;
            let rank = shape.len().max(1);
            if start.len() != shape.len() || size.len() != shape.len() {
                return Err("SparseSlice: start and size must have the shape's rank".into());
            }
            let out_shape: Vec<i64> = (0..shape.len()).map(|d| (shape[d] - start[d]).clamp(0, size[d].max(0))).collect();
            let mut keep = Vec::new();
            let mut out_idx = Vec::new();
            for (e, entry) in idx.chunks(rank).enumerate() {
                if entry.len() < shape.len() {
                    return Err("SparseSlice: indices narrower than the shape".into());
                }
                if (0..shape.len()).all(|d| entry[d] >= start[d] && entry[d] < start[d].saturating_add(size[d])) {
                    keep.push(e);
                    out_idx.extend((0..shape.len()).map(|d| entry[d] - start[d]));
                }
            }
            Ok(vec![
                Tensor::new(vec![keep.len(), shape.len()], Data::I64(out_idx)),
                Tensor::new(vec![keep.len()], inputs[1].data.gather(&keep)),
                Tensor::vec_i64(out_shape),
            ])
        }
        "ScatterNd" => {
            need(inputs, 3, op)?;
            let idx = ints(&inputs[0], "ScatterNd indices")?;
            let shape = dims(&ints(&inputs[2], "ScatterNd shape")?, op)?;
            let k = *inputs[0].shape.last().ok_or("ScatterNd: scalar indices")?;
            if k == 0 || k > shape.len() {
                return Err("ScatterNd: index depth must be in [1, rank]".into());
            }
            let n = count(&shape)?;
            let inner: usize = shape[k.min(shape.len())..].iter().product();
            let strides = Tensor::strides(&shape);
            let updates = &inputs[1];
            macro_rules! scatter {
                ($v:ident, $u:expr, $zero:expr) => {{
                    let mut out = vec![$zero; n];
                    for (e, entry) in idx.chunks(k.max(1)).enumerate() {
                        if entry.len() != k || entry.iter().zip(&shape).any(|(&i, &d)| i < 0 || i as usize >= d) {
                            return Err("ScatterNd: index outside the shape".into());
                        }
                        let at: usize = entry.iter().zip(&strides).map(|(&i, &s)| i as usize * s).sum();
                        for d in 0..inner {
                            let slot = out.get_mut(at + d).ok_or("ScatterNd: index outside the shape")?;
                            *slot += *$u.get(e * inner + d).ok_or("ScatterNd: fewer updates than indices")?;
                        }
                    }
                    Data::$v(out)
                }};
            }
            let data = match &updates.data {
                Data::F32(u) => scatter!(F32, u, 0f32),
                Data::I64(u) => scatter!(I64, u, 0i64),
                Data::I32(u) => scatter!(I32, u, 0i32),
                d => return Err(format!("ScatterNd of {}", d.dtype())),
            };
            one(Tensor::new(shape, data))
        }
        "SegmentSum" => {
            need(inputs, 2, op)?;
            let seg = ints(inputs[1], "SegmentSum segment_ids")?;
            if inputs[0].rank() == 0 || seg.len() != inputs[0].shape[0] || seg.iter().any(|&x| x < 0) || seg.windows(2).any(|w| w[0] > w[1]) {
                return Err("SegmentSum: segment ids must be sorted, non-negative, one per row".into());
            }
            let segments = seg.last().map_or(0, |&s| s as usize + 1);
            count(&[segments, inputs[0].shape[1..].iter().product()])?;
            let inner: usize = inputs[0].shape[1..].iter().product();
            let mut shape = vec![segments];
            shape.extend(&inputs[0].shape[1..]);
            let data = match &inputs[0].data {
                Data::F32(v) => {
                    let mut out = vec![0f32; segments * inner];
                    for (i, &s) in seg.iter().enumerate() {
                        for d in 0..inner {
                            out[s as usize * inner + d] += v[i * inner + d];
                        }
                    }
                    Data::F32(out)
                }
                Data::I64(v) => {
                    let mut out = vec![0i64; segments * inner];
                    for (i, &s) in seg.iter().enumerate() {
                        for d in 0..inner {
                            out[s as usize * inner + d] = out[s as usize * inner + d].wrapping_add(v[i * inner + d]);
                        }
                    }
                    Data::I64(out)
                }
                d => return Err(format!("SegmentSum of {}", d.dtype())),
            };
            one(Tensor::new(shape, data))
        }
        "NoOp" => Ok(vec![]),
        _ => Err(not_implemented(op)),
    }
}

fn not_implemented(op: &str) -> String {
    format!("the op '{op}' is not implemented by recom's TensorFlow evaluator")
}

/// Whether [`eval`] implements `op` (the graph executor itself runs
/// `Const`, `Placeholder` and `PlaceholderWithDefault`). Probed with scalar
/// inputs: every op reaches its own code, or the "not implemented" arm.
pub fn implements(op: &str) -> bool {
    if matches!(op, "Const" | "Placeholder" | "PlaceholderWithDefault") {
        return true;
    }
    let zero = Tensor::new(vec![], Data::I64(vec![0]));
    let inputs: Vec<&Tensor> = (0..arity(op).max(1)).map(|_| &zero).collect();
    let attrs = std::collections::BTreeMap::new();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| eval(op, &Attrs(&attrs), &inputs))) {
        Ok(Err(e)) => e != not_implemented(op),
        _ => true,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn which_ops_are_implemented() {
        for op in ["Const", "Placeholder", "GatherV2", "SparseSegmentSumWithNumSegments", "StringToHashBucketFast", "Pack", "NoOp", "SparseCross"] {
            assert!(implements(op), "{op}");
        }
        for op in ["FancyHash", "RandomUniform", "TPUEmbeddingActivations"] {
            assert!(!implements(op), "{op}");
        }
    }

    use super::*;

    fn t(shape: &[usize], v: &[i64]) -> Tensor {
        Tensor::new(shape.to_vec(), Data::I64(v.to_vec()))
    }
    fn no_attrs() -> std::collections::BTreeMap<String, AttrValue> {
        std::collections::BTreeMap::new()
    }

    #[test]
    fn broadcasting_and_reductions() {
        let a = t(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let b = t(&[3], &[10, 20, 30]);
        let s = binary("Add", &a, &b).unwrap();
        assert_eq!(s.data, Data::I64(vec![11, 22, 33, 14, 25, 36]));
        let r = reduce("Sum", &a, &[-1], true).unwrap();
        assert_eq!((r.shape.clone(), r.data), (vec![2, 1], Data::I64(vec![6, 15])));
        let r = reduce("Prod", &a, &[0], false).unwrap();
        assert_eq!(r.data, Data::I64(vec![4, 10, 18]));
    }

    #[test]
    fn strided_slice_masks() {
        let a = t(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let attrs = no_attrs();
        // a[:, 1]
        let mut m = std::collections::BTreeMap::new();
        m.insert("shrink_axis_mask".to_string(), AttrValue { value: Some(AttrKind::I(2)) });
        m.insert("begin_mask".to_string(), AttrValue { value: Some(AttrKind::I(1)) });
        m.insert("end_mask".to_string(), AttrValue { value: Some(AttrKind::I(1)) });
        let s = strided_slice(&a, &[0, 1], &[0, 2], &[1, 1], &Attrs(&m)).unwrap();
        assert_eq!((s.shape, s.data), (vec![2], Data::I64(vec![2, 5])));
        let s = strided_slice(&a, &[1, -1], &[2, -4], &[1, -1], &Attrs(&attrs)).unwrap();
        assert_eq!(s.data, Data::I64(vec![6, 5, 4]));
    }

    #[test]
    fn sparse_ops() {
        // rows 0 and 2 have entries, row 1 is empty
        let idx = t(&[3, 2], &[0, 0, 0, 1, 2, 0]);
        let vals = t(&[3], &[7, 8, 9]);
        let shape = t(&[2], &[3, 2]);
        let d = Tensor::scalar_i64(-1);
        let out = sparse_fill_empty_rows(&[&idx, &vals, &shape, &d]).unwrap();
        assert_eq!(out[0].data, Data::I64(vec![0, 0, 0, 1, 1, 0, 2, 0]));
        assert_eq!(out[1].data, Data::I64(vec![7, 8, -1, 9]));
        assert_eq!(out[2].data, Data::Bool(vec![false, true, false]));
        let data = Tensor::new(vec![3, 2], Data::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        let (i, g) = (t(&[3], &[0, 2, 1]), t(&[3], &[0, 0, 2]));
        let m = sparse_segment("SparseSegmentMean", &[&data, &i, &g]).unwrap();
        assert_eq!(m.data, Data::F32(vec![3.0, 4.0, 0.0, 0.0, 3.0, 4.0]));
    }

    #[test]
    fn strings_and_buckets() {
        let s = Tensor::new(vec![2], Data::Str(vec![b"a;b".to_vec(), b"".to_vec()]));
        let sep = Tensor::new(vec![], Data::Str(vec![b";".to_vec()]));
        let out = eval("StringSplitV2", &Attrs(&no_attrs()), &[&s, &sep]).unwrap();
        assert_eq!(out[0].data, Data::I64(vec![0, 0, 0, 1, 1, 0]));
        assert_eq!(out[2].data, Data::I64(vec![2, 2]));
        let mut m = std::collections::BTreeMap::new();
        m.insert("boundaries".to_string(), AttrValue { value: Some(AttrKind::List(recom_tf::proto::attr_value::ListValue { f: vec![0.0, 10.0], ..Default::default() })) });
        let x = Tensor::new(vec![4], Data::F32(vec![-1.0, 0.0, 10.0, f32::NAN]));
        let b = eval("Bucketize", &Attrs(&m), &[&x]).unwrap();
        assert_eq!(b[0].data, Data::I32(vec![0, 1, 2, 2]));
    }
}
