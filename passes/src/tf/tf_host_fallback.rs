//! `tf-host-fallback`: a column recom does not raise runs on the host
//! instead of failing the compilation. Each operand of an input layer's
//! concatenation that is still computed by tf ops becomes an
//! `emb.tf_output` naming its TF node: the host program computes it with
//! recom's TensorFlow evaluator, bit-exact with TensorFlow, and
//! `tf-raise-input-layer` then takes it as a [?, K] numeric input (K
//! passthrough columns of the fused kernel). The tf ops only it used become
//! dead and go.
//!
//! Each such `emb.tf_output` says why in its `why` attribute: the
//! refusals the raising matchers recorded on the column's tf ops
//! (`tf_match::refuse`) and the kinds of tf op left.
//!
//! [Pattern: fallback column] "tf.ConcatV2"(%c_0, ..., %c_n, axis) with axis
//!   1 or -1, where %c_i = "tf.X"(...) (or a dense op raised from a column's
//!   own arithmetic) is an f32 value of static width K
//!   (ranked [?, K], or behind the column's [batch, K] Reshape) made by an
//!   imported node "name" (output k)
//!   -> %c_i := "emb.tf_output"() {node = "name:k"} : tensor<?xKxf32>
//!
//! [Pattern: head on the host] see [`head`]: the f32 operand of a head op
//!   (elementwise, MatMul) that tf ops compute beside a raised operand
//!   -> "emb.tf_output"() {node = "name:k"}
//!
//! Left alone: raised operands, model inputs, columns tf-raise-input-layer
//! raises as they are (indicators, normalized numeric inputs), another concatenation along
//! the same axis (an interaction layer over the input layer: the inner one
//! is handled itself), values of unknown width or of other types.
//! `negative_`: an operand of unknown width, a concat along axis 0.
use crate::tf::tf_raise_input_layer as input_layer;
use crate::tf::tf_match::{const_int, def, def_named, element_slice, name_of, node_name, operand, ranked, result_number};
use melior::{
    ir::{operation::{OperationLike, OperationMutLike}, operation::OperationRef, Type, Value, ValueLike},
    PatternRewriter,
};
use recom_emb as emb;
use recom_ir::{kit::TensorInfo, rewrite::Pattern};

crate::pattern_pass! {
    argument: "tf-host-fallback",
    name: "TfHostFallback",
    summary: "Run the input-layer columns that are not raised on the host (emb.tf_output, recom's TensorFlow evaluator)",
    description: "Operands of an input layer's tf.ConcatV2 still computed by tf ops become emb.tf_output values, \
                  which the host program computes from the model's inputs with TensorFlow's semantics.",
    apply: crate::tf::tf_match::apply,
    patterns: {
        let mut p = vec![Pattern { root: "tf.ConcatV2", generates: &[emb::TfOutputOp::NAME], rewrite: fallback }];
        p.extend(
            crate::tf::tf_raise_dense::ELEMENTWISE
                .iter()
                .chain(&["tf.MatMul"])
                .map(|root| Pattern { root, generates: &[emb::TfOutputOp::NAME], rewrite: head }),
        );
        p
    },
}

/// The static width K of an f32 [?, K] value: from its type, its symbolic
/// shape, or the `Reshape(x, Pack(Shape(x)[0], K))` a feature column ends with.
pub(crate) fn width(v: Value) -> Option<i64> {
    if recom_ir::kit::Elem::element_of(v.r#type()) != recom_ir::kit::Elem::F32 {
        return None;
    }
    if let Some(t) = TensorInfo::of(v.r#type()) {
        if t.elem != recom_ir::kit::Elem::F32 {
            return None;
        }
        if t.rank() == 2 {
            return t.shape[1];
        }
    }
    // The symbolic shape tf-infer-shapes gave it: [batch, K].
    if let Some(shape) = crate::tf::tf_match::symbolic_shape(v) {
        if let [_, k] = &shape[..] {
            if let Ok(k) = k.parse::<i64>() {
                return Some(k);
            }
        }
    }
    let reshape = def_named(v, "tf.Reshape")?;
    let pack = def_named(operand(reshape, 1)?, "tf.Pack")?;
    if pack.operand_count() != 2 {
        return None;
    }
    let batch = element_slice(operand(pack, 0)?, 0).and_then(|s| def_named(s, "tf.Shape"))?;
    let _ = batch;
    const_int(operand(pack, 1)?)
}

/// A value of the raised model: the embedding layer, a dense op's result,
/// a host value.
fn is_raised(v: Value) -> bool {
    def(v).is_some_and(|d| {
        let n = name_of(d);
        n.starts_with("dense.") || n == "emb.concat" || n == "emb.fused_columns" || n == "emb.tf_output"
    })
}

/// [Pattern: head on the host] a TF op of the dense head (elementwise,
/// MatMul) with a raised operand and an f32 [?, K] operand still computed
/// by tf ops (e.g. a wide part summed from per-column logits): that operand
/// becomes an `emb.tf_output` the host computes, so tf-raise-dense can raise
/// the op.
fn head(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let operands: Vec<Value> = (0..op.operand_count()).filter_map(|i| operand(op, i)).collect();
    if !operands.iter().any(|v| is_raised(*v)) {
        return false;
    }
    let mut replaced = false;
    for (i, v) in operands.iter().enumerate() {
        let Some(producer) = def(*v) else { continue };
        let producer_name = name_of(producer);
        if !producer_name.starts_with("tf.") || producer_name == "tf.Const" || producer_name == "tf.Identity" {
            continue;
        }
        if TensorInfo::of(v.r#type()).is_some_and(|t| t.elem != recom_ir::kit::Elem::F32) {
            continue;
        }
        let Some(k) = width(*v).filter(|&k| k > 0) else { continue };
        let Some(node) = node_name(producer.location()) else { continue };
        let output = match result_number(*v) {
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

/// A dense.map over model inputs, constants and such maps only.
fn is_input_arithmetic(op: OperationRef) -> bool {
    let Some(map) = recom_dense::MapOp::wrap(op) else { return false };
    map.inputs().into_iter().all(|v| {
        let v = def(v).and_then(recom_dense::BroadcastOp::wrap).map_or(v, |b| b.input());
        recom_ir::ext::block_argument(v).is_some()
            || def(v).is_some_and(|d| recom_dense::WeightOp::wrap(d).is_some() || is_input_arithmetic(d))
    })
}

fn fallback(op: OperationRef, rewriter: PatternRewriter) -> bool {
    let n = op.operand_count();
    if n < 2 || !operand(op, n - 1).and_then(const_int).is_some_and(|axis| axis == 1 || axis == -1) {
        return false;
    }
    let mut replaced = false;
    for i in 0..n - 1 {
        let Some(v) = operand(op, i) else { continue };
        let Some(producer) = def(v) else { continue };
        let producer_name = name_of(producer);
        // A tf op, or a dense.map tf-raise-dense made of a column's own
        // arithmetic on a model input (a numeric column's normalizer): both
        // are TF nodes. A dense layer's output (an interaction layer's MLP
        // branch) is not a column.
        let from_graph = producer_name.starts_with("tf.") || is_input_arithmetic(producer);
        if !from_graph || producer_name == "tf.ConcatV2" || producer_name == "tf.Const" {
            continue;
        }
        // A column tf-raise-input-layer takes as it is (an indicator, a
        // normalized numeric input) stays: the fused kernel computes it.
        if input_layer::indicator(v).is_some() || input_layer::weighted_indicator(v).is_some() || input_layer::numeric(v).is_some() {
            continue;
        }
        let Some(k) = width(v).filter(|&k| k > 0) else { continue };
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
        // Why the column stays on the host: what its matchers said.
        let why = crate::tf::tf_match::why_not_raised(v);
        if !why.is_empty() {
            let mut host_mut = unsafe { melior::ir::operation::OperationRefMut::from_raw(host.to_raw()) };
            host_mut.set_attribute("why", melior::ir::attribute::StringAttribute::new(context, &why).into());
        }
        let value: Value = host.result(0).expect("one result").into();
        base.start_op_modification(op);
        let mut op_mut = unsafe { melior::ir::operation::OperationRefMut::from_raw(op.to_raw()) };
        op_mut.set_operand(i, value);
        base.finalize_op_modification(op);
        replaced = true;
    }
    replaced
}
