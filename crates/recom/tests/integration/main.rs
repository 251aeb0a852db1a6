//! recom's library-level integration tests (one test binary: each links all
//! of MLIR).
mod corpus_models;
mod cpu_jit;
mod dialect_irdl;
mod gpu_compile;
mod gpu_run;
mod library_use;
pub mod model_ir;
mod pipeline_snapshots;
mod tf_import;
