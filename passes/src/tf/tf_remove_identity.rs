//! `tf-remove-identity`: an imported `tf.Identity` forwards its operand
//! (frozen graphs are full of them: every variable read, every named
//! output); its uses take the operand and the op goes.
//!
//! [Pattern: identity] IN: %y = "tf.Identity"(%x)   OUT: uses of %y use %x
//! `negative_`: an Identity with control inputs stays (it orders execution).
use melior::{
    ir::{operation::OperationRef, ValueLike},
    PatternRewriter,
};
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "tf-remove-identity",
    name: "TfRemoveIdentity",
    summary: "Forward tf.Identity operands to their uses and erase the Identity",
    description: "Removes imported tf.Identity ops that carry no control inputs.",
    apply: recom_ir::rewrite::apply,
    patterns: vec![Pattern { root: "tf.Identity", generates: &[], rewrite: forward }],
}


fn forward(op: OperationRef, rewriter: PatternRewriter) -> bool {
    use melior::ir::operation::OperationLike;
    if op.operand_count() != 1 || op.result_count() != 1 || op.has_attribute("control_inputs") {
        return false;
    }
    let (input, output) = (op.operand(0).unwrap(), op.result(0).unwrap());
    if input.r#type() != output.r#type() {
        return false;
    }
    rewriter.as_rewriter_base().replace_op_with_values(op, &[input]);
    true
}
