//! The `emb` ops, one group per file. Each op is declared once, in its
//! group's file: its [`OpDef`](recom_ir::OpDef) (IRDL definition, docs,
//! verifier hook), its builder, its typed view and its checks.
pub mod fused;
pub mod ids;
pub mod inputs;
pub mod lookup;
pub mod table;
