//! Passes over the `emb` dialect: fusing every column into one
//! `emb.fused_columns`, its host shape program, and its loop kernel.
pub mod emb_fuse_columns;
pub mod emb_lower_fused_columns;
pub mod emb_shape_construct;
mod fused_kernel;
