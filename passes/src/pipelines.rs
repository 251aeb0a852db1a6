//! recom's named pipelines, as data: typed options and the stages they expand
//! to. Registered under their argument, so `--pass-pipeline=
//! 'builtin.module(recom-default{verify=false})'` works, and the snapshot
//! harness can run them one stage at a time.
use recom_ir::{OptionDef, OptionKind, OptionValues, PipelineDef};

/// The default pipeline: check the IR, fuse every concat of columns into one
/// `emb.fused_columns`, lower it to a loop kernel, clean up, check again.
/// Later stages (raising from TensorFlow, symbolic shapes) are added here as
/// they land.
pub static DEFAULT: PipelineDef = PipelineDef {
    argument: "recom-default",
    summary: "recom's default pipeline: verify, fuse columns, lower the fused op to loops, canonicalize, CSE, drop dead symbols",
    options: &[
        OptionDef {
            name: "verify",
            description: "run recom-verify before and after the clean-up",
            kind: OptionKind::Bool,
            default: "true",
        },
    ],
    stages: default_stages,
};

fn default_stages(options: &OptionValues) -> Vec<String> {
    let verify = options.bool("verify");
    let mut stages = Vec::new();
    if verify {
        stages.push("recom-verify");
    }
    stages.extend(["emb-fuse-columns", "emb-lower-fused-columns", "canonicalize", "cse", "symbol-dce"]);
    if verify {
        stages.push("recom-verify");
    }
    stages.into_iter().map(String::from).collect()
}

/// Lowers a kernel module (the loop functions made by
/// `emb-lower-fused-columns`, alone in a module) to the LLVM dialect for the
/// CPU JIT.
pub static CPU_KERNEL: PipelineDef = PipelineDef {
    argument: "recom-cpu-kernel",
    summary: "Lower loop kernels to the LLVM dialect for the CPU JIT",
    options: &[],
    stages: |_| {
        ["canonicalize", "convert-scf-to-cf", "convert-to-llvm", "reconcile-unrealized-casts"].map(String::from).to_vec()
    },
};

/// Every recom pipeline.
pub const PIPELINES: &[&PipelineDef] = &[&CPU_KERNEL, &DEFAULT];
