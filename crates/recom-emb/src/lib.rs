//! The `emb` dialect: embedding columns of recommendation models.
//!
//! Every op is declared once, in `ops/<group>.rs`: its
//! [`OpDef`](recom_ir::OpDef) (from which the dialect's IRDL definition is
//! generated and loaded at run time, `recom_ir::load_irdl`), its builder
//! (a function named after the op), its typed view (`LookupOp`, ...) and its
//! verifier hook (run by `recom-verify`). No pass builds or reads an `emb`
//! op by strings. `dialects/emb.irdl.mlir` is the generated IRDL, kept for
//! readers (a test keeps it current).
//! The `emb` dialect: embedding columns of recommendation models.
//!
//! The ops are defined in IRDL (`dialects/emb.irdl.mlir`, embedded here in
//! [`DIALECT`]) and loaded at run time (`recom_ir::load_irdl`). This
//! crate gives passes typed builders (functions named after the ops) and typed
//! views (`LookupOp`, ...) so no pass builds or reads an `emb` op by strings.
use melior::{
    ir::{operation::OperationBuilder, Operation},
    Context,
};
use recom_ir::kit::{self, AttrError, AttrSource};
use std::str::FromStr;

pub use recom_host::{HostOp, Ignore, Keys};
pub use recom_abi::{
    kernel::{self as kernel_meta, identity_table_name, row_pitch, FusedColumn, PackedTable, IDENTITY_TABLE_PREFIX, ROW_ALIGN},
    Combiner, Filter, IdTransform, OutOfRange, OutOfRangeKind,
};

pub(crate) fn read_enum<'c, T: FromStr<Err = String>>(src: &impl AttrSource<'c>, name: &str) -> Result<T, AttrError> {
    kit::str_attr(src, name)?.parse().map_err(|e| AttrError::new(name, e))
}

pub(crate) fn read_out_of_range<'c>(src: &impl AttrSource<'c>) -> Result<OutOfRange, AttrError> {
    let kind = read_enum::<OutOfRangeKind>(src, "on_out_of_range")?;
    OutOfRange::from_kind(kind, kit::opt_i64_attr(src, "default_id")?).map_err(|e| AttrError::new("default_id", e))
}

pub(crate) fn out_of_range_attrs<'c>(context: &'c Context, policy: OutOfRange) -> Vec<(melior::ir::Identifier<'c>, melior::ir::Attribute<'c>)> {
    let mut attrs = vec![kit::named(context, "on_out_of_range", kit::string(context, policy.kind().as_str()))];
    if let Some(id) = policy.default_id() {
        attrs.push(kit::named(context, "default_id", kit::i64(context, id)));
    }
    attrs
}

pub(crate) fn build<'c>(builder: OperationBuilder<'c>) -> Operation<'c> {
    builder.build().expect("emb builders produce well-formed operations")
}

pub mod ops;
pub use ops::{fused::*, ids::*, inputs::*, lookup::*, table::*};

/// The dialect: its ops' declarations, group by group.
pub const DIALECT: recom_ir::IrdlDialect = recom_ir::IrdlDialect {
    name: "emb",
    doc: "The `emb` dialect, version 0: embedding columns of recommendation models.

IRDL checks structure (operand/result/attribute kinds, enumerated string
attributes). Everything IRDL cannot express -- element types, ranks, value
ranges, consistency between operands -- is checked by the verifier hooks
that `recom-verify` runs. IRDL ops print in generic form only.

Sparse inputs use the CSR (\"row offsets\") form: a column over a batch of B
rows is `ids : tensor<?xi64>` plus `row_offsets : tensor<?xi64>` of length
B + 1, where row r owns ids[row_offsets[r] .. row_offsets[r+1]].

Generated from the op declarations in crates/recom-emb/src/ops/ (do not edit).",
    ops: &[TABLE_OPS, ID_TRANSFORM_OPS, INPUT_OPS, LOOKUP_OPS, FUSED_OPS],
};
