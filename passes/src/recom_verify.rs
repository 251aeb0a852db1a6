//! `recom-verify`: the semantic checks of `emb` and `symshape` that IRDL
//! cannot express (element types, ranks, value ranges, consistency between
//! operands and attributes, expression syntax, operand origins). Each op's
//! checks are its declaration's verifier hook (`OpDef::verify`, in the
//! dialect crates); this pass runs them, and adds the one module-wide rule:
//! a table name shared by several `emb.table` ops has one type.
//!
//! Every problem is reported as a located diagnostic on the offending op,
//! worded like MLIR's own verifiers (`'emb.lookup' op ...`); the pass fails if
//! any error was reported. With `warnings-as-errors`, warnings (legal but
//! almost certainly unintended IR) fail it too.
use melior::ir::{
    operation::{OperationLike, OperationRef, WalkOrder, WalkResult},
    ValueLike,
};
use recom_ir::{
    diagnostics::{emit_error, emit_warning},
    registry::PassFailure,
    OptionDef, OptionKind, OptionValues, PassDef,
};
use std::collections::HashMap;

pub static PASS: PassDef = PassDef {
    argument: "recom-verify",
    name: "RecomVerify",
    summary: "Check the semantic rules of the emb and symshape dialects that IRDL cannot express",
    description: "Checks element types, ranks, attribute ranges and cross-operand consistency of emb and \
                  symshape ops, and that shape_construct expressions parse and use only symbols.",
    anchor: None,
    options: &[WARNINGS_AS_ERRORS],
    run,
};

const WARNINGS_AS_ERRORS: OptionDef =
    OptionDef { name: "warnings-as-errors", description: "fail the pass on warnings too", kind: OptionKind::Bool, default: "false" };

fn run(options: &OptionValues, root: OperationRef) -> Result<(), PassFailure> {
    let mut errors = 0usize;
    let mut warnings = 0usize;
    // Tables by name: a name may be shared (shared embeddings) only with one type.
    let mut tables: HashMap<String, String> = HashMap::new();
    root.walk(WalkOrder::PreOrder, |op| {
        let name = recom_ir::kit::identifier_text(op.name());
        let Some(def) = crate::op_def(&name) else {
            return WalkResult::Advance;
        };
        let mut op_warnings = Vec::new();
        let mut outcome = (def.verify)(op, &mut op_warnings);
        if outcome.is_ok() && def.name == recom_emb::TABLE.name {
            outcome = check_table_name(op, &mut tables);
        }
        for warning in op_warnings {
            emit_warning(op.location(), &format!("'{name}' op {warning}"));
            warnings += 1;
        }
        if let Err(message) = outcome {
            emit_error(op.location(), &format!("'{name}' op {message}"));
            errors += 1;
        }
        WalkResult::Advance
    });
    if errors > 0 || (warnings > 0 && options.bool(&WARNINGS_AS_ERRORS)) {
        Err(PassFailure)
    } else {
        Ok(())
    }
}

/// Every `emb.table` of one name has one type.
fn check_table_name(op: OperationRef, tables: &mut HashMap<String, String>) -> Result<(), String> {
    let view = recom_emb::TableOp::wrap(op).ok_or("is not an emb.table")?;
    let name = view.name().map_err(|e| e.to_string())?;
    let ty = view.table().r#type().to_string();
    match tables.get(name.as_ref()) {
        Some(previous) if *previous != ty => Err(format!(
            "table '{name}' is declared again with type {ty}; an earlier declaration has type {previous}"
        )),
        _ => {
            tables.insert(name.to_string(), ty);
            Ok(())
        }
    }
}
