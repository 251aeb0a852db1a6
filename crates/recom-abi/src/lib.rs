//! What every layer of recom agrees on, in one place and without MLIR.
//!
//! * [`semantics`]: the vocabulary of an embedding column — how a bag is
//!   pooled ([`Combiner`]), what happens to an id past its table
//!   ([`OutOfRange`]), range filters ([`Filter`]). The `emb` dialect's
//!   attributes, the runtime's plans and the reference evaluator all use
//!   these types.
//! * [`kernel`]: the fused kernel's ABI — its buffers in argument order
//!   ([`kernel::Buffer::SIGNATURE`]), the column and work-item metadata tables
//!   and their encoders, the packed-table layout, the status word.
//! * [`request`]: one column's CSR input, request validation, and the byte
//!   layout a request travels in (one buffer, one copy to the GPU).
//! * [`dense`]: the dense part of a model (MLP layers and heads) as a
//!   program of linear layers, elementwise maps, concatenations and
//!   reductions, with its expression language.
//! * [`shard`]: placing the tables on several GPUs (table-wise, row-wise
//!   for a table one GPU cannot hold) and routing ids to them.
//! * [`hash`]: TensorFlow's string hashes (FarmHash Fingerprint64,
//!   `StringToHashBucketFast`, `FingerprintCat64`).
pub mod dense;
pub mod hash;
pub mod kernel;
pub mod request;
pub mod semantics;
pub mod shard;

pub use semantics::{Combiner, Filter, IdTransform, OutOfRange, OutOfRangeKind};
