//! `tf-check-raised`: the coverage report. Every `tf` op left after raising is
//! one that no pattern raised and that recom's backend cannot run; the pass
//! fails with ONE error listing each of them with its op type and TF node
//! name, not just the first (constants are data and are not listed).
use crate::tf::tf_match::{name_of, node_name};
use melior::ir::operation::{OperationLike, OperationRef, WalkOrder, WalkResult};
use recom_ir::{diagnostics::emit_error, registry::PassFailure, OptionValues, PassDef};

pub static PASS: PassDef = PassDef {
    argument: "tf-check-raised",
    name: "TfCheckRaised",
    summary: "Fail with one error listing every tf op that was not raised",
    description: "The coverage report of the raising passes: lists each remaining tf op with its op type and node name.",
    anchor: Some("builtin.module"),
    options: &[],
    run,
};

fn run(_: &OptionValues, module: OperationRef) -> Result<(), PassFailure> {
    let mut left = Vec::new();
    module.walk(WalkOrder::PreOrder, |op| {
        let name = name_of(op);
        // Constants are data, not work: they are listed through their users.
        if let Some(op_type) = name.strip_prefix("tf.").filter(|t| *t != "Const") {
            let node = node_name(op.location()).unwrap_or_else(|| "<unnamed>".into());
            left.push(format!("'{node}' ({op_type})"));
        }
        WalkResult::Advance
    });
    if left.is_empty() {
        return Ok(());
    }
    emit_error(
        module.location(),
        &format!(
            "{} TensorFlow node(s) were not raised and recom cannot run them: {}",
            left.len(),
            left.join(", ")
        ),
    );
    Err(PassFailure)
}
