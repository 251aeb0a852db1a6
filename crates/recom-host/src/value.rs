//! The values inside a host program run: what its steps make ([`Value`])
//! and what an operand reads ([`Elements`], an input's or a result's).
use crate::{Feed, FeedType};

/// A step's result.
pub(crate) struct Value {
    pub(crate) data: Data,
    pub(crate) shape: Shape,
}

/// Where a step puts its results: its slots, in order (each result is
/// moved once, into its place).
pub(crate) struct Sink<'s> {
    slots: &'s mut [Option<Value>],
    /// Results made so far.
    pub(crate) count: usize,
}

/// A value's elements.
#[derive(Clone)]
pub(crate) enum Data {
    I64(Vec<i64>),
    F32(Vec<f32>),
    Str(Vec<Vec<u8>>),
}

/// A value's shape, inline up to rank 2: every host op's results are
/// vectors or matrices, and a shape of their own was an allocation per
/// result, a good part of a small request's (a TensorFlow fallback step's
/// results may have any rank).
pub(crate) enum Shape {
    Inline { dims: [usize; 2], rank: usize },
    Heap(Vec<usize>),
}

/// A value's elements as an operand reads them.
#[derive(Clone, Copy)]
pub(crate) enum Elements<'v> {
    I64(&'v [i64]),
    F32(&'v [f32]),
    Str(&'v [Vec<u8>]),
}

impl Value {
    pub(crate) fn new(data: impl Into<Data>, shape: &[usize]) -> Value {
        Value { data: data.into(), shape: Shape::new(shape) }
    }

    /// A rank-1 value.
    pub(crate) fn vector(data: impl Into<Data>) -> Value {
        let data = data.into();
        let shape = Shape::new(&[data.elements().len()]);
        Value { data, shape }
    }
}

impl<'s> Sink<'s> {
    pub(crate) fn new(slots: &'s mut [Option<Value>]) -> Sink<'s> {
        Sink { slots, count: 0 }
    }

    /// Keeps the next result; one past the op's results is counted (the
    /// step is an error), not kept.
    // Inlined: a value passed to it through memory was read back before its
    // stores had landed (a stall per result).
    #[inline(always)]
    pub(crate) fn push(&mut self, value: Value) {
        if let Some(slot) = self.slots.get_mut(self.count) {
            *slot = Some(value);
        }
        self.count += 1;
    }

    #[inline(always)]
    pub(crate) fn extend(&mut self, values: impl IntoIterator<Item = Value>) {
        values.into_iter().for_each(|value| self.push(value));
    }
}

impl Shape {
    fn new(dims: &[usize]) -> Shape {
        match *dims {
            [] => Shape::Inline { dims: [0; 2], rank: 0 },
            [n] => Shape::Inline { dims: [n, 0], rank: 1 },
            [rows, cols] => Shape::Inline { dims: [rows, cols], rank: 2 },
            _ => Shape::Heap(dims.to_vec()),
        }
    }

    pub(crate) fn dims(&self) -> &[usize] {
        match self {
            Shape::Inline { dims, rank } => &dims[..*rank],
            Shape::Heap(dims) => dims,
        }
    }
}

impl Data {
    pub(crate) fn elements(&self) -> Elements<'_> {
        match self {
            Data::I64(data) => Elements::I64(data),
            Data::F32(data) => Elements::F32(data),
            Data::Str(data) => Elements::Str(data),
        }
    }
}

impl From<Vec<i64>> for Data {
    fn from(data: Vec<i64>) -> Data {
        Data::I64(data)
    }
}

impl From<Vec<f32>> for Data {
    fn from(data: Vec<f32>) -> Data {
        Data::F32(data)
    }
}

impl From<Vec<Vec<u8>>> for Data {
    fn from(data: Vec<Vec<u8>>) -> Data {
        Data::Str(data)
    }
}

impl<'v> Elements<'v> {
    pub(crate) fn dtype(&self) -> FeedType {
        match self {
            Elements::I64(_) => FeedType::I64,
            Elements::F32(_) => FeedType::F32,
            Elements::Str(_) => FeedType::Str,
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Elements::I64(data) => data.len(),
            Elements::F32(data) => data.len(),
            Elements::Str(data) => data.len(),
        }
    }

    /// A copy.
    pub(crate) fn to_data(self) -> Data {
        match self {
            Elements::I64(data) => Data::I64(data.to_vec()),
            Elements::F32(data) => Data::F32(data.to_vec()),
            Elements::Str(data) => Data::Str(data.to_vec()),
        }
    }
}

impl Feed {
    pub(crate) fn elements(&self) -> Elements<'_> {
        match self {
            Feed::I64 { data, .. } => Elements::I64(data),
            Feed::F32 { data, .. } => Elements::F32(data),
            Feed::Str { data, .. } => Elements::Str(data),
        }
    }
}
