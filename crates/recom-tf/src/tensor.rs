//! The values of a `TensorProto`, decoded (raw little-endian
//! `tensor_content`, or the typed fields; a typed field shorter than the
//! shape is padded with its last value, and an empty one means zeros, as
//! TensorFlow reads them: a frozen TF2 function stores a zero scalar with
//! no value at all).
use crate::{DataType, TensorProto};

#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<Vec<u8>>),
}

/// Dimensions of the tensor (`[]` for a scalar); an error for unknown rank.
pub fn shape(tensor: &TensorProto) -> Result<Vec<i64>, String> {
    match &tensor.tensor_shape {
        None => Ok(vec![]),
        Some(s) if s.unknown_rank => Err("a constant of unknown rank".into()),
        Some(s) => Ok(s.dim.iter().map(|d| d.size).collect()),
    }
}

/// Number of elements.
pub fn element_count(tensor: &TensorProto) -> Result<usize, String> {
    shape(tensor)?.iter().try_fold(1usize, |n, &d| {
        usize::try_from(d).ok().and_then(|d| n.checked_mul(d)).ok_or_else(|| format!("bad dimension {d}"))
    })
}

/// The most bytes a constant may expand to in memory from fewer stored
/// values (TensorFlow's splat: the last value repeats). Values stored in
/// full are bounded by the file's size; a splat is not, so a 20-byte
/// constant could otherwise ask for terabytes.
pub const MAX_EXPANDED_BYTES: usize = 1 << 30;

/// `values` padded to `n` with the last (no values: zeros, the empty
/// string); `heap` = bytes each copy of the last value owns besides itself
/// (a string's bytes).
fn fill<T: Clone + Default>(mut values: Vec<T>, n: usize, what: &str, heap: impl Fn(&T) -> usize) -> Result<Vec<T>, String> {
    if values.len() > n {
        return Err(format!("{} {what} values for {n} elements", values.len()));
    }
    if values.is_empty() && n > 0 {
        values.push(T::default());
    }
    if let Some(last) = values.last().filter(|_| values.len() < n) {
        let per = std::mem::size_of::<T>() + heap(last);
        if n.checked_mul(per).is_none_or(|b| b > MAX_EXPANDED_BYTES) {
            return Err(format!(
                "{} {what} value(s) repeated to fill {n} elements: more than the {MAX_EXPANDED_BYTES} bytes a repeated constant may expand to",
                values.len()
            ));
        }
    }
    if values.len() < n {
        let last = values.last().cloned().unwrap_or_default();
        values.resize(n, last);
    }
    Ok(values)
}

fn raw<T, const N: usize>(bytes: &[u8], n: usize, from: fn([u8; N]) -> T) -> Result<Vec<T>, String> {
    if bytes.len() != n * N {
        return Err(format!("tensor_content has {} bytes for {n} elements of {N} bytes", bytes.len()));
    }
    Ok(bytes.chunks_exact(N).map(|c| from(c.try_into().expect("chunk of N bytes"))).collect())
}

/// Decodes the tensor's values.
pub fn values(tensor: &TensorProto) -> Result<Values, String> {
    let n = element_count(tensor)?;
    let content = &tensor.tensor_content;
    let dtype = DataType::try_from(tensor.dtype).map_err(|_| format!("unknown dtype {}", tensor.dtype))?;
    Ok(match dtype {
        DataType::DtFloat if !content.is_empty() => Values::F32(raw(content, n, f32::from_le_bytes)?),
        DataType::DtFloat => Values::F32(fill(tensor.float_val.clone(), n, "float", |_| 0)?),
        DataType::DtDouble if !content.is_empty() => Values::F64(raw(content, n, f64::from_le_bytes)?),
        DataType::DtDouble => Values::F64(fill(tensor.double_val.clone(), n, "double", |_| 0)?),
        DataType::DtInt32 if !content.is_empty() => Values::I32(raw(content, n, i32::from_le_bytes)?),
        DataType::DtInt32 => Values::I32(fill(tensor.int_val.clone(), n, "int32", |_| 0)?),
        DataType::DtInt64 if !content.is_empty() => Values::I64(raw(content, n, i64::from_le_bytes)?),
        DataType::DtInt64 => Values::I64(fill(tensor.int64_val.clone(), n, "int64", |_| 0)?),
        DataType::DtBool if !content.is_empty() => Values::Bool(raw(content, n, |b: [u8; 1]| b[0] != 0)?),
        DataType::DtBool => Values::Bool(fill(tensor.bool_val.clone(), n, "bool", |_| 0)?),
        DataType::DtString => Values::Str(fill(tensor.string_val.clone(), n, "string", Vec::len)?),
        other => return Err(format!("constants of {} are not supported", other.as_str_name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{proto::tensor_shape_proto::Dim, TensorShapeProto};

    fn tensor(dtype: DataType, dims: &[i64]) -> TensorProto {
        TensorProto {
            dtype: dtype as i32,
            tensor_shape: Some(TensorShapeProto {
                dim: dims.iter().map(|&size| Dim { size, name: String::new() }).collect(),
                unknown_rank: false,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn content_fields_and_splats() {
        let mut t = tensor(DataType::DtInt64, &[2]);
        t.tensor_content = [7i64, -1].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>().into();
        assert_eq!(values(&t), Ok(Values::I64(vec![7, -1])));
        let mut t = tensor(DataType::DtFloat, &[2, 2]);
        t.float_val = vec![0.5];
        assert_eq!(values(&t), Ok(Values::F32(vec![0.5; 4])));
        let mut t = tensor(DataType::DtInt32, &[]);
        t.int_val = vec![3];
        assert_eq!(values(&t), Ok(Values::I32(vec![3])));
        let mut t = tensor(DataType::DtString, &[2]);
        t.string_val = vec![b"a".to_vec(), b"bc".to_vec()];
        assert_eq!(values(&t), Ok(Values::Str(vec![b"a".to_vec(), b"bc".to_vec()])));
    }

    #[test]
    fn malformed_constants_are_errors() {
        let mut t = tensor(DataType::DtInt64, &[3]);
        t.tensor_content = vec![0; 8].into();
        assert!(values(&t).unwrap_err().contains("8 bytes for 3 elements"));
        // No values at all are zeros (TensorFlow's reading; a frozen TF2
        // function's zero scalars look like this), and an empty string.
        assert_eq!(values(&tensor(DataType::DtFloat, &[2])).unwrap(), Values::F32(vec![0.0, 0.0]));
        assert_eq!(values(&tensor(DataType::DtInt32, &[])).unwrap(), Values::I32(vec![0]));
        assert_eq!(values(&tensor(DataType::DtString, &[1])).unwrap(), Values::Str(vec![Vec::new()]));
        // ... but as many zeros as a splat may expand to, no more.
        assert!(values(&tensor(DataType::DtInt64, &[1 << 40])).unwrap_err().contains("repeated to fill"));
        // A splat claiming 10^12 elements is refused before anything is allocated.
        let mut t = tensor(DataType::DtFloat, &[1_000_000, 1_000_000]);
        t.float_val = vec![0.5];
        assert!(values(&t).unwrap_err().contains("repeated to fill 1000000000000 elements"));
        let mut t = tensor(DataType::DtInt32, &[1]);
        t.int_val = vec![1, 2];
        assert!(values(&t).unwrap_err().contains("2 int32 values for 1 elements"));
    }
}
