//! The `recom` command's error paths: every bad input is one message naming
//! the flag, file or input, with exit status 1 (2 for bad flags), never a
//! panic; and the happy path on the corpus's tiny model.
use std::{path::PathBuf, process::Command};

fn recom(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_recom")).args(args).output().expect("recom runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: no TensorFlow corpus at {}", dir.display());
        None
    }
}

#[test]
fn bad_flags_and_files_are_clear_errors() {
    let (code, _, err) = recom(&["compile"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = recom(&["frobnicate"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = recom(&["compile", "/nonexistent/model.pb", "-o", "/tmp/x.recom"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/model.pb") && !err.contains("panicked"), "{err}");
    let (code, _, err) = recom(&["compile", "/nonexistent/model.pb", "-o", "/tmp/x.recom", "--chips", "sm_20"]);
    assert_eq!(code, 1);
    assert!(err.contains("--chips: 'sm_20'"), "{err}");
    let (code, _, err) = recom(&["run", "/nonexistent/model.recom", "--input", "/nonexistent/b.npz"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/model.recom"), "{err}");
    let (code, _, err) = recom(&["bench", "/nonexistent/model.recom", "--input", "x.npz", "--concurrency", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("--concurrency"), "{err}");
    // --devices names GPUs: not with the CPU, and numbers only.
    let (code, _, err) = recom(&["run", "/nonexistent/model.recom", "--input", "b.npz", "--device", "cpu", "--devices", "0,1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--devices") && err.contains("--device cpu"), "{err}");
    let (code, _, err) = recom(&["bench", "/nonexistent/model.recom", "--input", "b.npz", "--devices", "zero"]);
    assert_eq!(code, 2, "{err}");
    // A text file that is no GraphDef.
    let bad = std::env::temp_dir().join(format!("recom-cli-{}.pbtxt", std::process::id()));
    std::fs::write(&bad, "node { name: \"a\" op: ").unwrap();
    let (code, _, err) = recom(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains(bad.to_str().unwrap()) && !err.contains("panicked"), "{err}");
}

#[test]
fn compile_run_expected_on_tiny() {
    let Some(corpus) = corpus() else { return };
    let dir = std::env::temp_dir().join(format!("recom-cli-tiny-{}.recom", std::process::id()));
    let model = corpus.join("tiny/model.pb");
    let (code, out, err) = recom(&["compile", model.to_str().unwrap(), "--device", "cpu", "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 columns in 1 fused kernel"), "{out}");
    let batch = corpus.join("tiny/batch_b37.npz");
    let (code, out, err) = recom(&["run", dir.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--expected", batch.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("logits: ok") && out.contains("prediction: ok"), "{out}");
    // A tolerance of 0 against TensorFlow (which sums in another order) is a mismatch: exit 3 and the worst element.
    let (code, out, _) = recom(&["run", dir.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--expected", batch.to_str().unwrap(), "--tolerance", "0"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("MISMATCH"), "{out}");
    // A batch of another model: the missing input is named.
    let other = corpus.join("medium/batch_b1.npz");
    let (code, _, err) = recom(&["run", dir.to_str().unwrap(), "--device", "cpu", "--input", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("is missing") || err.contains("is not an input"), "{err}");
    // Written outputs read back by name.
    let written = std::env::temp_dir().join(format!("recom-cli-out-{}.npz", std::process::id()));
    let (code, out, err) = recom(&["run", dir.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--output", written.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = recom(&["run", dir.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--expected", written.to_str().unwrap(), "--tolerance", "0"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = recom(&["bench", dir.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--batch", "1,64", "--requests", "3"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("| 64 |"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--id-transforms kernel` hashes tiny's string column and looks up its
/// vocabulary column in the kernel: the artifact and `inspect` say so, and
/// the outputs are those of the default (on the host) bit for bit, and
/// TensorFlow's within tolerance.
#[test]
fn id_transforms_in_the_kernel() {
    let Some(corpus) = corpus() else { return };
    let model = corpus.join("tiny/model.pb");
    let batch = corpus.join("tiny/batch_b512.npz");
    let base = std::env::temp_dir().join(format!("recom-cli-transforms-{}", std::process::id()));
    let (host, kernel) = (base.join("host.recom"), base.join("kernel.recom"));
    let (code, _, err) = recom(&["compile", model.to_str().unwrap(), "--device", "cpu", "--id-transforms", "gpu", "-o", kernel.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--id-transforms"), "{err}");
    for (dir, flag) in [(&host, "host"), (&kernel, "kernel")] {
        let (code, out, err) = recom(&["compile", model.to_str().unwrap(), "--device", "cpu", "--id-transforms", flag, "-o", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let artifact = std::fs::read_to_string(kernel.join("artifact.json")).unwrap();
    assert!(artifact.contains("str_hash_bucket"), "the string column is hashed in the kernel");
    assert!(!std::fs::read_to_string(host.join("artifact.json")).unwrap().contains("str_hash_bucket"));
    let (code, out, err) = recom(&["inspect", kernel.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("id transforms in the kernel: 1 string hash, 1 string vocabulary"), "{out}");
    let written = base.join("host-out.npz");
    let (code, out, err) = recom(&["run", host.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--output", written.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = recom(&["run", kernel.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--expected", written.to_str().unwrap(), "--tolerance", "0"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = recom(&["run", kernel.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--expected", batch.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("logits: ok"), "{out}");
    let _ = std::fs::remove_dir_all(&base);
}

/// The kernel-shape flags reach the kernel (its items compute the elements
/// asked for) and keep the outputs TensorFlow's; out of range, a clear error.
#[test]
fn kernel_shape_flags() {
    let Some(corpus) = corpus() else { return };
    let model = corpus.join("tiny/model.pb");
    let batch = corpus.join("tiny/batch_b512.npz");
    let dir = std::env::temp_dir().join(format!("recom-cli-shape-{}.recom", std::process::id()));
    for bad in [["--ids-per-iteration", "17"], ["--elements-per-item", "9"], ["--rows-per-item", "0"]] {
        let (code, _, err) = recom(&["compile", model.to_str().unwrap(), "--device", "cpu", bad[0], bad[1], "-o", dir.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(bad[0]), "{err}");
    }
    let (code, out, err) =
        recom(&["compile", model.to_str().unwrap(), "--device", "cpu", "--elements-per-item", "2", "--ids-per-iteration", "5", "--rows-per-item", "2", "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let artifact = std::fs::read_to_string(dir.join("artifact.json")).unwrap();
    assert!(artifact.contains("\"per_item\":2") && artifact.contains("\"rows_per_item\":2"), "the plan records the kernel's shape");
    let (code, out, err) = recom(&["run", dir.to_str().unwrap(), "--device", "cpu", "--input", batch.to_str().unwrap(), "--expected", batch.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("logits: ok"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--explain` prints every refusal of the raising matchers; `--gpus`
/// prints the tables' placement; a model with no layer says so.
#[test]
fn explain_gpus_and_host_only_models() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/refused_reshape.pbtxt");
    let dir = std::env::temp_dir().join(format!("recom-cli-explain-{}.recom", std::process::id()));
    let (code, out, err) = recom(&["compile", data.to_str().unwrap(), "--device", "cpu", "--outputs", "out,flat", "-o", dir.to_str().unwrap(), "--explain"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("refusals of the raising matchers: 1") && out.contains("flat: tf.Reshape: the reshape of the gathered rows is not to [batch, 2]"), "{out}");
    assert!(out.contains("no embedding layer to fuse"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
    // --gpus without a model that needs it still places every table; bad values are flag errors.
    let (code, _, err) = recom(&["compile", data.to_str().unwrap(), "-o", dir.to_str().unwrap(), "--gpus", "0"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = recom(&["compile", data.to_str().unwrap(), "-o", dir.to_str().unwrap(), "--gpus", "2", "--gpu-memory", "0"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--gpu-memory"), "{err}");
    let (code, _, err) = recom(&["compile", data.to_str().unwrap(), "-o", dir.to_str().unwrap(), "--gpu-memory", "4"]);
    assert_eq!(code, 2, "--gpu-memory needs --gpus: {err}");
}
