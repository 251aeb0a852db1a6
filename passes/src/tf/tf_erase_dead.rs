//! `tf-erase-dead`: erases imported `tf` ops whose results are unused.
//! MLIR cannot (unregistered ops may have side effects); TensorFlow ops in
//! an inference graph have none that outlive the request, except the table
//! initialization, which goes with its last reader: a `tf.LookupTableImportV2`
//! whose table nobody reads any more, and the `tf.NoOp` that only ordered it.
//! The shape-program ops tf-shape-construct made (`symshape.symbol`,
//! `symshape.shape_construct`, `tensor.from_elements`, `arith.index_cast`) go
//! too once nothing uses them, and `dense` and `emb` ops nothing uses. Repeats until nothing changes. `negative_`: a table import whose table is
//! still read by a `tf.LookupTableFindV2`.
use crate::tf::tf_match::{has_uses, name_of, operand, users};
use melior::ir::{
    block::BlockLike,
    operation::{OperationLike, OperationRef},
    RegionLike,
};
use recom_ir::{registry::PassFailure, OptionValues, PassDef};

pub static PASS: PassDef = PassDef {
    argument: "tf-erase-dead",
    name: "TfEraseDead",
    summary: "Erase tf ops whose results are unused (and table initializations nobody reads)",
    description: "Dead-code elimination for the unregistered tf ops of an imported graph.",
    anchor: Some("func.func"),
    options: &[],
    run,
};

fn dead(op: OperationRef) -> bool {
    let name = name_of(op);
    // The shape program tf-shape-construct made, once raising used it up.
    if matches!(name.as_str(), "symshape.shape_construct" | "symshape.symbol" | "tensor.from_elements" | "arith.index_cast") {
        return op.results().all(|r| !has_uses(r.into()));
    }
    // The dense and emb dialects' ops have no side effects (an emb op left
    // dead by the host fallback of its column goes too).
    if name.starts_with("dense.") || name.starts_with("emb.") {
        return op.result_count() > 0 && op.results().all(|r| !has_uses(r.into()));
    }
    if !name.starts_with("tf.") {
        return false;
    }
    match name.as_str() {
        "tf.NoOp" => true,
        "tf.LookupTableImportV2" => operand(op, 0).is_some_and(|table| users(table).iter().all(|u| name_of(*u) == "tf.LookupTableImportV2")),
        _ => op.result_count() > 0 && op.results().all(|r| !has_uses(r.into())),
    }
}

fn run(_: &OptionValues, func: OperationRef) -> Result<(), PassFailure> {
    let Some(block) = func.region(0).ok().and_then(|r| r.first_block()) else { return Ok(()) };
    loop {
        let mut erased = false;
        // Users come after producers: walk backwards so chains go in one sweep.
        let mut ops = Vec::new();
        let mut next = block.first_operation();
        while let Some(op) = next {
            ops.push(op);
            next = op.next_in_block();
        }
        for op in ops.into_iter().rev() {
            if dead(op) {
                // SAFETY: a dead op has no uses and is not visited again.
                unsafe { recom_ir::ext::erase(op) };
                erased = true;
            }
        }
        if !erased {
            return Ok(());
        }
    }
}
