//! Checks shared by the verifier hooks of recom's ops ([`crate::OpDef::verify`]):
//! element types and ranks of operands and results, worded like MLIR's
//! verifiers (the hook's message follows `'<op>' op `).
use crate::kit::{AttrError, Elem, TensorInfo};
use melior::ir::{
    operation::OperationRef,
    Value, ValueLike,
};

/// What a verifier hook returns: `Err` is the message.
pub type Check = Result<(), String>;

/// `value`'s type as a ranked tensor.
pub fn tensor(value: Value, what: &str) -> Result<TensorInfo, String> {
    TensorInfo::of(value.r#type()).ok_or_else(|| format!("{what} must be a ranked tensor, got {}", value.r#type()))
}

/// Result 0 as a ranked tensor.
pub fn result_tensor(op: OperationRef) -> Result<TensorInfo, String> {
    tensor(op.result(0).map_err(|_| "has no result".to_string())?.into(), "result")
}

/// A rank-1 tensor of integers (ids, offsets).
pub fn int_vector(value: Value, what: &str, widths: &[u32]) -> Result<TensorInfo, String> {
    let t = tensor(value, what)?;
    if t.rank() != 1 || !matches!(t.elem, Elem::Int(w) if widths.contains(&w)) {
        let widths: Vec<String> = widths.iter().map(|w| format!("i{w}")).collect();
        return Err(format!("{what} must be a rank-1 tensor of {}, got {}", widths.join(" or "), value.r#type()));
    }
    Ok(t)
}

/// Result 0 is a rank-1 tensor of i64 with as many elements as `input`.
pub fn ids_result(op: OperationRef, input: &TensorInfo) -> Check {
    let result: Value = op.result(0).map_err(|_| "has no result".to_string())?.into();
    let r = int_vector(result, "result", &[64])?;
    if let (Some(a), Some(b)) = (input.shape[0], r.shape[0]) {
        if a != b {
            return Err(format!("result has {b} ids but the input has {a}"));
        }
    }
    Ok(())
}

/// An attribute read, its error as the message.
pub fn attr<T>(r: Result<T, AttrError>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// Result `i`, which IRDL has checked exists.
pub fn result<'c, 'a>(op: OperationRef<'c, 'a>, i: usize) -> Result<Value<'c, 'a>, String> {
    op.result(i).map(Into::into).map_err(|_| format!("has no result {i}"))
}
