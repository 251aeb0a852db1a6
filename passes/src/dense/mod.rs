//! Passes over the `dense` dialect: fusion decisions for the dense part of
//! a model, as rewrites (each lit-tested).
pub mod dense_fuse_elementwise;
pub mod dense_fuse_epilogue;

use melior::ir::{operation::OperationRef, Value};

/// The single user of `value`, if it has exactly one use.
pub(crate) fn only_user<'c: 'a, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    let users = recom_ir::ext::users(value);
    match users[..] {
        [one] => Some(one),
        _ => None,
    }
}
