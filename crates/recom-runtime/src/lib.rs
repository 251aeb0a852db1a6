//! recom's lean runtime. It links no MLIR or LLVM: a compiled model is a
//! [`plan::Plan`] (tables, columns, kernel metadata) plus kernel code, and
//! this crate prepares each request on the host ([`host`]: the model's host
//! program from named inputs to CSR columns; `recom_abi::request`:
//! validation and packing into the fused layout) and runs it.
pub use recom_host as host;
pub mod gpu;
pub mod plan;
pub mod shape;
pub mod validate;
