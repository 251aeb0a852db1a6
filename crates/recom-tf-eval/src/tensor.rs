//! Host tensors with TensorFlow's dtypes, row-major.
use std::sync::{Arc, Mutex};

/// A lookup table (`HashTableV2`): keys (int64 or bytes) to values, filled
/// by `LookupTableImportV2` before any lookup.
#[derive(Debug, Default)]
pub struct Table {
    pub ints: Mutex<std::collections::HashMap<i64, Scalar>>,
    pub strings: Mutex<std::collections::HashMap<Vec<u8>, Scalar>>,
}

/// One element of any dtype (table values, fills).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    F32(f32),
    F64(f64),
    I32(i32),
    I64(i64),
    Bool(bool),
    Str(Vec<u8>),
}

/// A tensor's elements.
#[derive(Clone, Debug)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<Vec<u8>>),
    /// A resource handle: a lookup table.
    Table(Arc<Table>),
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Data::F32(a), Data::F32(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || x == y),
            (Data::F64(a), Data::F64(b)) => a == b,
            (Data::I32(a), Data::I32(b)) => a == b,
            (Data::I64(a), Data::I64(b)) => a == b,
            (Data::Bool(a), Data::Bool(b)) => a == b,
            (Data::Str(a), Data::Str(b)) => a == b,
            (Data::Table(a), Data::Table(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A tensor: shape (`[]` = scalar) and elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Data,
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Bool(v) => v.len(),
            Data::Str(v) => v.len(),
            Data::Table(_) => 1,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn dtype(&self) -> &'static str {
        match self {
            Data::F32(_) => "float32",
            Data::F64(_) => "float64",
            Data::I32(_) => "int32",
            Data::I64(_) => "int64",
            Data::Bool(_) => "bool",
            Data::Str(_) => "string",
            Data::Table(_) => "resource",
        }
    }
    /// The elements at `indices`, in order (same dtype).
    pub fn gather(&self, indices: &[usize]) -> Data {
        match self {
            Data::F32(v) => Data::F32(indices.iter().map(|&i| v[i]).collect()),
            Data::F64(v) => Data::F64(indices.iter().map(|&i| v[i]).collect()),
            Data::I32(v) => Data::I32(indices.iter().map(|&i| v[i]).collect()),
            Data::I64(v) => Data::I64(indices.iter().map(|&i| v[i]).collect()),
            Data::Bool(v) => Data::Bool(indices.iter().map(|&i| v[i]).collect()),
            Data::Str(v) => Data::Str(indices.iter().map(|&i| v[i].clone()).collect()),
            Data::Table(t) => Data::Table(t.clone()),
        }
    }
    /// Element `i` as a scalar.
    pub fn at(&self, i: usize) -> Scalar {
        match self {
            Data::F32(v) => Scalar::F32(v[i]),
            Data::F64(v) => Scalar::F64(v[i]),
            Data::I32(v) => Scalar::I32(v[i]),
            Data::I64(v) => Scalar::I64(v[i]),
            Data::Bool(v) => Scalar::Bool(v[i]),
            Data::Str(v) => Scalar::Str(v[i].clone()),
            Data::Table(_) => Scalar::I64(0),
        }
    }
    /// `n` copies of `s`, of `s`'s dtype.
    pub fn filled(s: &Scalar, n: usize) -> Data {
        match s {
            Scalar::F32(x) => Data::F32(vec![*x; n]),
            Scalar::F64(x) => Data::F64(vec![*x; n]),
            Scalar::I32(x) => Data::I32(vec![*x; n]),
            Scalar::I64(x) => Data::I64(vec![*x; n]),
            Scalar::Bool(x) => Data::Bool(vec![*x; n]),
            Scalar::Str(x) => Data::Str(vec![x.clone(); n]),
        }
    }
    /// Concatenation of several of one dtype.
    pub fn concat(parts: &[&Data]) -> Option<Data> {
        let first = parts.first()?;
        macro_rules! cat {
            ($v:ident) => {{
                let mut out = Vec::new();
                for p in parts {
                    match p {
                        Data::$v(x) => out.extend_from_slice(x),
                        _ => return None,
                    }
                }
                Data::$v(out)
            }};
        }
        Some(match first {
            Data::F32(_) => cat!(F32),
            Data::F64(_) => cat!(F64),
            Data::I32(_) => cat!(I32),
            Data::I64(_) => cat!(I64),
            Data::Bool(_) => cat!(Bool),
            Data::Str(_) => cat!(Str),
            Data::Table(_) => return None,
        })
    }
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Data) -> Tensor {
        Tensor { shape, data }
    }
    pub fn scalar_i64(v: i64) -> Tensor {
        Tensor::new(vec![], Data::I64(vec![v]))
    }
    pub fn vec_i64(v: Vec<i64>) -> Tensor {
        Tensor::new(vec![v.len()], Data::I64(v))
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    /// Integer elements (int32 or int64) widened to i64.
    pub fn ints(&self) -> Option<Vec<i64>> {
        match &self.data {
            Data::I64(v) => Some(v.clone()),
            Data::I32(v) => Some(v.iter().map(|&x| x as i64).collect()),
            _ => None,
        }
    }
    /// Float elements widened to f64 (for indices and parameters only).
    pub fn floats(&self) -> Option<Vec<f64>> {
        match &self.data {
            Data::F32(v) => Some(v.iter().map(|&x| x as f64).collect()),
            Data::F64(v) => Some(v.clone()),
            _ => None,
        }
    }
    /// Row-major strides.
    pub fn strides(shape: &[usize]) -> Vec<usize> {
        let mut s = vec![1usize; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            s[i] = s[i + 1].saturating_mul(shape[i + 1]);
        }
        s
    }
}
