//! `tf-host-outputs`: a model output that is still computed by tf ops after
//! raising (a head the dense dialect cannot express, e.g. a factorization
//! machine's rank-3 reductions) runs on the host, through recom's TensorFlow
//! evaluator, instead of failing the compilation: the returned value becomes
//! an `emb.tf_output` of its node, a value the host program hands over as the
//! output. Runs after every raising pass, so it only takes what is left.
//!
//! [Pattern: host output] "func.return"(..., %v, ...) with %v = "tf.X"(...)
//!   an f32 value of static width K (ranked [?, K], or a symbolic [batch, K])
//!   made by node "name" (output k)
//!   -> "func.return"(..., "emb.tf_output"() {node = "name:k"}, ...)
//!
//! `negative_`: an output that is raised, a model input, or of unknown width.
use crate::tf::tf_match::{def, name_of, node_name, operand, ranked, result_number};
use melior::{
    ir::{operation::{OperationLike, OperationMutLike}, operation::OperationRef, Type, Value},
    PatternRewriter,
};
use recom_emb as emb;
use recom_ir::rewrite::Pattern;

crate::pattern_pass! {
    argument: "tf-host-outputs",
    name: "TfHostOutputs",
    summary: "Compute on the host (emb.tf_output) the model outputs that tf ops still compute after raising",
    description: "Returned values produced by unraised tf ops become emb.tf_output values the host program computes \
                  with recom's TensorFlow evaluator.",
    apply: crate::tf::tf_match::apply_and_forget,
    patterns: vec![Pattern { root: "func.return", generates: &[emb::TfOutputOp::NAME], rewrite: outputs }],
}

fn outputs(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let mut replaced = false;
    for i in 0..op.operand_count() {
        let Some(v) = operand(op, i) else { continue };
        let Some(producer) = def(v) else { continue };
        let producer_name = name_of(producer);
        if !producer_name.starts_with("tf.") || producer_name == "tf.Const" {
            continue;
        }
        if recom_ir::kit::Elem::element_of(melior::ir::ValueLike::r#type(&v)) != recom_ir::kit::Elem::F32 {
            continue;
        }
        let Some(k) = crate::tf::tf_host_fallback::width(v).filter(|&k| k > 0) else { continue };
        let Some(node) = node_name(producer.location()) else { continue };
        let output = match result_number(v) {
            0 => node,
            r => format!("{node}:{r}"),
        };
        let context_ref = op.context();
        let context = unsafe { context_ref.to_ref() };
        let base = rewriter.as_rewriter_base();
        base.set_insertion_point_before(op);
        let host = base.insert(emb::tf_output(context, producer.location(), &output, ranked(&[-1, k], Type::float32(context))));
        let value: Value = host.result(0).expect("one result").into();
        base.start_op_modification(op);
        let mut op_mut = unsafe { melior::ir::operation::OperationRefMut::from_raw(op.to_raw()) };
        op_mut.set_operand(i, value);
        base.finalize_op_modification(op);
        replaced = true;
    }
    replaced
}
