//! Passes on the way to the GPU (after `recom-gpu-outline`).
pub mod recom_math_to_nvvm_intrinsics;
