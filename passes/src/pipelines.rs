//! recom's named pipelines, as data: typed options and the stages they expand
//! to. Registered under their argument, so `--pass-pipeline=
//! 'builtin.module(recom-default{verify=false})'` works, and the snapshot
//! harness can run them one stage at a time.
use recom_ir::{OptionDef, OptionKind, OptionValues, PipelineDef};

/// The default pipeline: check the IR, fuse every concat of columns into one
/// `emb.fused_columns`, build its host shape program, lower it to a loop
/// kernel, clean up, check again.
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
        OptionDef {
            name: "elements-per-item",
            description: "passed to emb-lower-fused-columns: output elements per kernel iteration (0 = chosen from the dims)",
            kind: OptionKind::Int,
            default: "0",
        },
        OptionDef {
            name: "rows-per-item",
            description: "passed to emb-lower-fused-columns: rows per kernel iteration",
            kind: OptionKind::Int,
            default: "1",
        },
        OptionDef {
            name: "ids-per-iteration",
            description: "passed to emb-lower-fused-columns: ids gathered per bag-loop iteration",
            kind: OptionKind::Int,
            default: "2",
        },
        OptionDef {
            name: "index-bits",
            description: "passed to emb-lower-fused-columns: width of the packed ids and offsets (0 = 32 where they fit)",
            kind: OptionKind::Int,
            default: "0",
        },
        OptionDef {
            name: "prefetch-ids",
            description: "passed to emb-lower-fused-columns: load the next iteration's ids during the gathers",
            kind: OptionKind::Bool,
            default: "true",
        },
    ],
    check: None,
    stages: default_stages,
};

fn default_stages(options: &OptionValues) -> Vec<String> {
    let verify = options.bool("verify");
    let mut stages = Vec::new();
    if verify {
        stages.push("recom-verify");
    }
    let lower = format!(
        "emb-lower-fused-columns{{elements-per-item={} rows-per-item={} ids-per-iteration={} index-bits={} prefetch-ids={}}}",
        options.int("elements-per-item"),
        options.int("rows-per-item"),
        options.int("ids-per-iteration"),
        options.int("index-bits"),
        options.bool("prefetch-ids")
    );
    let shapes = format!("emb-shape-construct{{rows-per-item={}}}", options.int("rows-per-item"));
    stages.extend(["emb-fuse-columns", &shapes, &lower, "canonicalize", "cse", "symbol-dce"]);
    if verify {
        stages.push("recom-verify");
    }
    stages.into_iter().map(String::from).collect()
}

/// Raises an imported TensorFlow graph (`recom::import`) to `emb`: inputs
/// become arguments, shapes are inferred symbolically and every shape
/// computation moves onto one `symshape.shape_construct` (no-op reshapes
/// go), redundant work goes (legacy Unique, useless boundary checks,
/// empty-row fill + mask, Identity), each column becomes an `emb.lookup` and
/// the input layer an `emb.concat`; then dead tf ops (and the shape program
/// once raising used it up) are erased and every tf op left is reported in
/// one error.
pub static TF_RAISE: PipelineDef = PipelineDef {
    argument: "recom-tf-raise",
    summary: "Raise an imported TensorFlow feature-column graph to the emb dialect, removing redundant work",
    options: &[OptionDef {
        name: "check",
        description: "fail listing every tf op that is left (tf-check-raised)",
        kind: OptionKind::Bool,
        default: "true",
    }],
    check: None,
    stages: |o| {
        let mut stages: Vec<String> = [
            "tf-remove-identity",
            "func.func(tf-raise-feeds)",
            "func.func(tf-infer-shapes)",
            "func.func(tf-shape-construct)",
            "func.func(tf-erase-dead)",
            "tf-raise-dense-inputs",
            "tf-raise-cross",
            "tf-remove-unique",
            "tf-raise-id-transforms",
            "tf-remove-prune",
            "tf-remove-fill-empty-rows",
            "tf-remove-noop-reshape",
            "tf-raise-lookup",
            "tf-remove-noop-reshape",
            "tf-raise-input-layer",
            "func.func(tf-erase-dead)",
        ]
        .map(String::from)
        .to_vec();
        if o.bool("check") {
            stages.push("tf-check-raised".into());
        }
        stages
    },
};

/// Lowers a kernel module (the loop functions made by
/// `emb-lower-fused-columns`, alone in a module) to the LLVM dialect for the
/// CPU JIT.
pub static CPU_KERNEL: PipelineDef = PipelineDef {
    argument: "recom-cpu-kernel",
    summary: "Lower loop kernels to the LLVM dialect for the CPU JIT",
    options: &[],
    check: None,
    stages: |_| {
        ["canonicalize", "lower-affine", "convert-scf-to-cf", "convert-to-llvm", "reconcile-unrealized-casts"]
            .map(String::from)
            .to_vec()
    },
};

/// Maps a kernel module's `scf.parallel` onto the GPU: rows to blocks (x),
/// output elements to `threads` threads per block (y tiles), then outlines
/// one `gpu.func` whose arguments are the kernel's seven buffers.
pub static GPU_OUTLINE: PipelineDef = PipelineDef {
    argument: "recom-gpu-outline",
    summary: "Map loop kernels to gpu.launch_func + gpu.module (rows to blocks, output elements to threads)",
    options: &[OptionDef {
        name: "threads",
        description: "threads per block along the output width",
        kind: OptionKind::Int,
        default: "64",
    }],
    check: Some(|o| match o.int("threads") {
        t if (32..=1024).contains(&t) && t % 32 == 0 => Ok(()),
        t => Err(format!("threads must be a multiple of 32 in [32, 1024], got {t}")),
    }),
    stages: |o| {
        vec![
            format!(
                "func.func(scf-parallel-loop-tiling{{parallel-loop-tile-sizes=1,{}}},canonicalize,gpu-map-parallel-loops,\
                 convert-parallel-loops-to-gpu,gpu-launch-sink-index-computations)",
                o.int("threads")
            ),
            "gpu-kernel-outlining".into(),
            "canonicalize".into(),
            "recom-math-to-nvvm-intrinsics".into(),
        ]
    },
};

/// The lowest PTX ISA version (x10) each supported chip needs; LLVM aborts
/// the process on a lower one, so it is checked here first.
const CHIPS: &[(&str, i64)] = &[("sm_80", 70), ("sm_86", 71), ("sm_89", 78), ("sm_90", 78), ("sm_90a", 80), ("sm_100", 86)];

/// Lowers an outlined module to NVVM and PTX text, in-process (no CUDA toolkit).
pub static GPU_TO_PTX: PipelineDef = PipelineDef {
    argument: "recom-gpu-to-ptx",
    summary: "Lower outlined GPU kernels through NVVM to PTX text (gpu.binary), in-process",
    options: &[
        OptionDef {
            name: "chip",
            description: "target GPU architecture",
            kind: OptionKind::Enum(&["sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100"]),
            default: "sm_90",
        },
        OptionDef { name: "ptx", description: "PTX ISA version x10 (80 = PTX 8.0)", kind: OptionKind::Int, default: "80" },
        OptionDef { name: "opt-level", description: "LLVM optimization level 0-3", kind: OptionKind::Int, default: "3" },
    ],
    check: Some(|o| {
        let chip = o.str("chip");
        let min = CHIPS.iter().find(|(c, _)| *c == chip).map(|(_, v)| *v).unwrap_or(0);
        if o.int("ptx") < min || o.int("ptx") > 90 {
            return Err(format!("{chip} needs ptx between {min} and 90, got {}", o.int("ptx")));
        }
        if !(0..=3).contains(&o.int("opt-level")) {
            return Err(format!("opt-level must be 0-3, got {}", o.int("opt-level")));
        }
        Ok(())
    }),
    stages: |o| {
        vec![format!(
            "gpu-lower-to-nvvm-pipeline{{cubin-chip={} cubin-format=isa cubin-features=+ptx{} opt-level={}}}",
            o.str("chip"),
            o.int("ptx"),
            o.int("opt-level")
        )]
    },
};

/// Every recom pipeline.
pub const PIPELINES: &[&PipelineDef] = &[&CPU_KERNEL, &DEFAULT, &GPU_OUTLINE, &GPU_TO_PTX, &TF_RAISE];
