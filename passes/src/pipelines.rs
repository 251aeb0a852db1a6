//! recom's named pipelines, as data: typed options and the stages they expand
//! to. Registered under their argument, so `--pass-pipeline=
//! 'builtin.module(recom-default{verify=false})'` works, and the snapshot
//! harness can run them one stage at a time.
use crate::emb::emb_fuse_columns as fuse;
use crate::emb::emb_lower_fused_columns as lower;
use recom_ir::{OptionDef, OptionKind, OptionValues, PipelineDef};

const VERIFY: OptionDef =
    OptionDef { name: "verify", description: "run recom-verify before and after the clean-up", kind: OptionKind::Bool, default: "true" };

/// The default pipeline: check the IR, fold bias and ReLU into the dense
/// layers' GEMMs and merge elementwise chains, fuse every concat of columns into one
/// `emb.fused_columns`, build its host shape program, lower it to a loop
/// kernel, clean up, check again.
/// Later stages (raising from TensorFlow, symbolic shapes) are added here as
/// they land.
pub static DEFAULT: PipelineDef = PipelineDef {
    argument: "recom-default",
    summary: "recom's default pipeline: verify, fuse columns, lower the fused op to loops, canonicalize, CSE, drop dead symbols",
    options: &[VERIFY, fuse::ID_TRANSFORMS, lower::ELEMENTS_PER_ITEM, lower::ROWS_PER_ITEM, lower::IDS_PER_ITERATION, lower::INDEX_BITS, lower::PREFETCH_IDS],
    check: None,
    stages: default_stages,
};

fn default_stages(options: &OptionValues) -> Vec<String> {
    let verify = options.bool(&VERIFY);
    let mut stages = Vec::new();
    if verify {
        stages.push("recom-verify");
    }
    let lower = format!(
        "emb-lower-fused-columns{{elements-per-item={} rows-per-item={} ids-per-iteration={} index-bits={} prefetch-ids={}}}",
        options.int(&lower::ELEMENTS_PER_ITEM),
        options.int(&lower::ROWS_PER_ITEM),
        options.int(&lower::IDS_PER_ITERATION),
        options.int(&lower::INDEX_BITS),
        options.bool(&lower::PREFETCH_IDS)
    );
    let shapes = format!("emb-shape-construct{{rows-per-item={}}}", options.int(&lower::ROWS_PER_ITEM));
    let fuse = format!("emb-fuse-columns{{id-transforms={}}}", options.str(&fuse::ID_TRANSFORMS));
    stages.extend(["dense-fuse-epilogue", "dense-fuse-elementwise", &fuse, &shapes, &lower, "canonicalize", "cse", "symbol-dce"]);
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
    options: &[CHECK_RAISED],
    check: None,
    stages: |o| {
        let mut stages: Vec<String> = [
            "tf-remove-identity",
            "func.func(tf-raise-feeds)",
            "func.func(tf-infer-shapes)",
            "func.func(tf-shape-construct)",
            "func.func(tf-erase-dead)",
            "tf-raise-dense-inputs",
            // Keras Embedding lookups (before the id transforms: it repeats
            // a lookup's transforms on the flattened ids).
            "tf-raise-keras-lookup",
            "tf-raise-cross",
            "tf-remove-unique",
            "tf-raise-id-transforms",
            // A cross of transformed ids (an identity with a default, a
            // vocabulary) is ranked only now.
            "tf-raise-cross",
            "tf-remove-prune",
            "tf-remove-fill-empty-rows",
            "tf-remove-noop-reshape",
            "tf-raise-lookup",
            "tf-remove-noop-reshape",
            "tf-raise-input-layer",
            "func.func(tf-erase-dead)",
            "tf-raise-dense",
            "tf-host-fallback",
            "tf-raise-input-layer",
            "func.func(tf-erase-dead)",
            "tf-raise-dense",
            // A head op beside the now raised layers (a wide part) goes to the host.
            "tf-host-fallback",
            "tf-raise-dense",
            // And an output the dense dialect cannot express.
            "tf-host-outputs",
            "func.func(tf-erase-dead)",
        ]
        .map(String::from)
        .to_vec();
        if o.bool(&CHECK_RAISED) {
            stages.push("tf-check-raised".into());
        }
        stages
    },
};

const CHECK_RAISED: OptionDef = OptionDef {
    name: "check",
    description: "fail listing every tf op that is left (tf-check-raised)",
    kind: OptionKind::Bool,
    default: "true",
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
/// one `gpu.func` whose arguments are the kernel's buffers
/// (`recom_abi::kernel::Buffer::SIGNATURE`).
pub static GPU_OUTLINE: PipelineDef = PipelineDef {
    argument: "recom-gpu-outline",
    summary: "Map loop kernels to gpu.launch_func + gpu.module (rows to blocks, output elements to threads)",
    options: &[THREADS],
    check: Some(|o| match o.int(&THREADS) {
        t if (32..=1024).contains(&t) && t % 32 == 0 => Ok(()),
        t => Err(format!("threads must be a multiple of 32 in [32, 1024], got {t}")),
    }),
    stages: |o| {
        vec![
            format!(
                "func.func(scf-parallel-loop-tiling{{parallel-loop-tile-sizes=1,{}}},canonicalize,gpu-map-parallel-loops,\
                 convert-parallel-loops-to-gpu,gpu-launch-sink-index-computations)",
                o.int(&THREADS)
            ),
            "gpu-kernel-outlining".into(),
            "canonicalize".into(),
            "recom-math-to-nvvm-intrinsics".into(),
        ]
    },
};

const THREADS: OptionDef =
    OptionDef { name: "threads", description: "threads per block along the output width", kind: OptionKind::IntIn(32, 1024), default: "64" };

/// The lowest PTX ISA version (x10) each supported chip needs; LLVM aborts
/// the process on a lower one, so it is checked here first.
const CHIPS: &[(&str, i64)] = &[("sm_80", 70), ("sm_86", 71), ("sm_89", 78), ("sm_90", 78), ("sm_90a", 80), ("sm_100", 86)];

/// Lowers an outlined module to NVVM and PTX text, in-process (no CUDA toolkit).
pub static GPU_TO_PTX: PipelineDef = PipelineDef {
    argument: "recom-gpu-to-ptx",
    summary: "Lower outlined GPU kernels through NVVM to PTX text (gpu.binary), in-process",
    options: &[CHIP, PTX, OPT_LEVEL],
    check: Some(|o| {
        let chip = o.str(&CHIP);
        let min = CHIPS.iter().find(|(c, _)| *c == chip).map(|(_, v)| *v).unwrap_or(0);
        if o.int(&PTX) < min {
            return Err(format!("{chip} needs ptx between {min} and 90, got {}", o.int(&PTX)));
        }
        Ok(())
    }),
    stages: |o| {
        vec![format!(
            "gpu-lower-to-nvvm-pipeline{{cubin-chip={} cubin-format=isa cubin-features=+ptx{} opt-level={}}}",
            o.str(&CHIP),
            o.int(&PTX),
            o.int(&OPT_LEVEL)
        )]
    },
};

const CHIP: OptionDef = OptionDef {
    name: "chip",
    description: "target GPU architecture",
    kind: OptionKind::Enum(&["sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100"]),
    default: "sm_90",
};
const PTX: OptionDef =
    OptionDef { name: "ptx", description: "PTX ISA version x10 (80 = PTX 8.0)", kind: OptionKind::IntIn(60, 90), default: "80" };
const OPT_LEVEL: OptionDef =
    OptionDef { name: "opt-level", description: "LLVM optimization level", kind: OptionKind::IntIn(0, 3), default: "3" };

/// Every recom pipeline.
pub const PIPELINES: &[&PipelineDef] = &[&CPU_KERNEL, &DEFAULT, &GPU_OUTLINE, &GPU_TO_PTX, &TF_RAISE];
