//! recom's named pipelines, as data: typed options and the stages they expand
//! to. Registered under their argument, so `--pass-pipeline=
//! 'builtin.module(recom-default{verify=false})'` works, and the snapshot
//! harness can run them one stage at a time.
use recom_ir::{OptionDef, OptionKind, OptionValues, PipelineDef};

/// The default pipeline. At this stage of recom it checks the IR and cleans
/// it up; later stages (raising, fusion, lowering) are appended here as they
/// land.
pub static DEFAULT: PipelineDef = PipelineDef {
    argument: "recom-default",
    summary: "recom's default compilation pipeline (verify, canonicalize, CSE, drop dead symbols)",
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
    stages.extend(["canonicalize", "cse", "symbol-dce"]);
    if verify {
        stages.push("recom-verify");
    }
    stages.into_iter().map(String::from).collect()
}

/// Every recom pipeline.
pub const PIPELINES: &[&PipelineDef] = &[&DEFAULT];
