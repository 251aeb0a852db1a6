//! `tf-raise-feeds`: the graph's inputs become the function's arguments.
//!
//! [Pattern: feed] IN:  %x = "tf.Placeholder"() {dtype = T, shape = array<i64: -1, 2>}
//!                       (or "tf.PlaceholderWithDefault"(%default) {...})
//!                 OUT: a new argument %x : tensor<?x2xT> {recom.feed = "<node name>"}
//!
//! The argument gets the placeholder's static shape (-1 = dynamic) and keeps
//! its TF node name in the `recom.feed` argument attribute, so a request can
//! be fed by name and every later diagnostic can name the input. Arguments
//! are appended in the order the placeholders appear. A placeholder without a
//! known rank (`shape` missing or unranked) becomes an unranked argument.
//! A [B] placeholder used only as `ExpandDims(x, -1)` (how feature columns
//! take rank-1 inputs) becomes a [?, 1] argument and the ExpandDims go.
//! `negative_`: a function that already has arguments keeps them (new ones
//! are appended after).
use crate::tf::tf_match::{name_of, node_name, shape_attr, type_attr};
use melior::ir::ValueLike;
use melior::ir::{
    attribute::{ArrayAttribute, DictionaryAttribute, StringAttribute, TypeAttribute},
    block::BlockLike,
    operation::{OperationLike, OperationMutLike, OperationRef, OperationRefMut},
    r#type::FunctionType,
    Attribute, Identifier, RegionLike, Type, Value, 
};
use recom_ir::{diagnostics::emit_error, registry::PassFailure, OptionValues, PassDef};

pub static PASS: PassDef = PassDef {
    argument: "tf-raise-feeds",
    name: "TfRaiseFeeds",
    summary: "Turn tf.Placeholder / tf.PlaceholderWithDefault into function arguments named by recom.feed",
    description: "Each placeholder becomes a ranked function argument (shape from its `shape` attribute) \
                  carrying the TF node name in `recom.feed`.",
    anchor: Some("func.func"),
    options: &[],
    run,
};

/// Every use of the placeholder is `ExpandDims(x, -1)` (or axis 1).
fn only_expanded(op: OperationRef) -> bool {
    let Ok(result) = op.result(0) else { return false };
    let users = crate::tf::tf_match::users(result.into());
    !users.is_empty()
        && users.iter().all(|u| {
            name_of(*u) == "tf.ExpandDims"
                && crate::tf::tf_match::operand(*u, 0).is_some_and(|v| v.to_raw().ptr == melior::ir::Value::from(result).to_raw().ptr)
                && crate::tf::tf_match::operand(*u, 1).and_then(crate::tf::tf_match::const_int).is_some_and(|a| a == -1 || a == 1)
        })
}

fn run(_: &OptionValues, func: OperationRef) -> Result<(), PassFailure> {
    let context_ref = func.context();
    let context = unsafe { context_ref.to_ref() };
    let Some(region) = func.region(0).ok() else { return Ok(()) };
    let Some(block) = region.first_block() else { return Ok(()) };
    let mut placeholders = Vec::new();
    let mut next = block.first_operation();
    while let Some(op) = next {
        if matches!(name_of(op).as_str(), "tf.Placeholder" | "tf.PlaceholderWithDefault") {
            placeholders.push(op);
        }
        next = op.next_in_block();
    }
    if placeholders.is_empty() {
        return Ok(());
    }
    let mut failed = false;
    let mut new_types = Vec::new();
    let mut names = Vec::new();
    for &op in &placeholders {
        let Some(element) = type_attr(op, "dtype") else {
            emit_error(op.location(), &format!("'{}' has no dtype attribute", name_of(op)));
            failed = true;
            continue;
        };
        let ty: Type = match shape_attr(op, "shape") {
            // A [B] input used only as ExpandDims(x, -1) is a [B, 1] input (the
            // same values; a request may give either shape).
            Some(shape) if shape == [-1] && only_expanded(op) => crate::tf::tf_match::ranked(&[-1, 1], element),
            Some(shape) => crate::tf::tf_match::ranked(&shape, element),
            None => recom_ir::ext::unranked_tensor(element),
        };
        new_types.push(ty);
        names.push(node_name(op.location()).unwrap_or_else(|| format!("arg{}", block.argument_count() + names.len())));
    }
    if failed {
        return Err(PassFailure);
    }
    let first_new = block.argument_count();
    for (&op, &ty) in placeholders.iter().zip(&new_types) {
        let argument: Value = block.add_argument(ty, op.location());
        let result = op.result(0).expect("placeholders have one result");
        if recom_ir::kit::TensorInfo::of(ty).is_some_and(|t| t.rank() == 2) && shape_attr(op, "shape").is_some_and(|s| s == [-1]) {
            // The ExpandDims become the argument itself.
            for user in crate::tf::tf_match::users(result.into()) {
                let expanded = user.result(0).expect("ExpandDims has a result");
                recom_ir::ext::replace_all_uses(expanded.into(), argument);
                // SAFETY: the ExpandDims has no uses left and is not visited again.
                unsafe { recom_ir::ext::erase(user) };
            }
        }
        recom_ir::ext::replace_all_uses(result.into(), argument);
    }
    for op in placeholders {
        // SAFETY: the placeholder has no uses left and is not used again.
        unsafe { recom_ir::ext::erase(op) };
    }

    // The signature and the argument attributes.
    let function_type = FunctionType::try_from(
        TypeAttribute::try_from(func.attribute("function_type").map_err(|_| PassFailure)?).map_err(|_| PassFailure)?.value(),
    )
    .map_err(|_| PassFailure)?;
    let mut inputs: Vec<Type> = (0..function_type.input_count()).map(|i| function_type.input(i).unwrap()).collect();
    inputs.extend(&new_types);
    let outputs: Vec<Type> = (0..function_type.result_count()).map(|i| function_type.result(i).unwrap()).collect();
    let mut arg_attrs: Vec<Attribute> = match func.attribute("arg_attrs").ok().and_then(|a| ArrayAttribute::try_from(a).ok()) {
        Some(existing) => (0..existing.len()).map(|i| existing.element(i).unwrap()).collect(),
        None => vec![DictionaryAttribute::new(context, &[]).into(); first_new],
    };
    for name in &names {
        arg_attrs.push(
            DictionaryAttribute::new(context, &[(Identifier::new(context, "recom.feed"), StringAttribute::new(context, name).into())])
                .into(),
        );
    }
    let mut func_mut = unsafe { OperationRefMut::from_raw(func.to_raw()) };
    func_mut.set_attribute("function_type", TypeAttribute::new(FunctionType::new(context, &inputs, &outputs).into()).into());
    func_mut.set_attribute("arg_attrs", ArrayAttribute::new(context, &arg_attrs).into());
    crate::tf::tf_match::refine_results(func);
    Ok(())
}
