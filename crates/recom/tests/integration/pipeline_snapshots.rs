//! Snapshot harness: runs each named pipeline over every input in
//! `tests/pipelines/<pipeline>/` (plus extra folders, e.g. the bundled
//! examples for the default pipeline) one stage at a time and snapshots the IR
//! after each stage that changed it (the module is verified before every
//! snapshot). Accept new snapshots with `INSTA_UPDATE=always cargo test`.
use std::path::PathBuf;

/// `.mlir` files of the given folders (relative to this crate), sorted.
fn inputs(dirs: &[String]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in dirs {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        let before = files.len();
        files.extend(
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "mlir")),
        );
        assert!(files.len() > before, "no inputs in {}", dir.display());
    }
    files.sort();
    files
}

/// `path` relative to the workspace root, for stable snapshot metadata.
fn shown(path: &std::path::Path) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let path = path.canonicalize().unwrap();
    path.strip_prefix(&root).unwrap_or(&path).display().to_string()
}

fn snapshot_pipeline(argument: &str, options: &str, extra_dirs: &[&str]) {
    let context = recom::create_context().unwrap();
    let mut dirs = vec![format!("tests/pipelines/{argument}")];
    dirs.extend(extra_dirs.iter().map(|d| d.to_string()));
    for path in inputs(&dirs) {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        let mut module = recom::ir::parse_module(&context, &source, &format!("{stem}.mlir"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        snapshot_stages(&context, &mut module, argument, options, &stem, &shown(&path));
    }
}

/// Runs `argument` on `module` stage by stage and snapshots the IR after
/// each stage that changed it.
fn snapshot_stages<'c>(
    context: &'c melior::Context,
    module: &mut melior::ir::Module<'c>,
    argument: &str,
    options: &str,
    stem: &str,
    source: &str,
) {
    let pipeline = recom::passes::find_pipeline(argument).expect("registered pipeline");
    let stages = recom::run_stepwise(context, module, pipeline, options).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut snapshots = 0;
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (index, stage) in stages.iter().enumerate().filter(|(_, s)| s.changed) {
        // Named by the stage's pass (not its options, so option changes show
        // as diffs; not its position, so adding a stage renames nothing), with
        // a count for passes that run twice.
        let pass = stage.stage.split('{').next().unwrap_or_default().replace(['(', ')'], "_");
        let count = seen.entry(pass.clone()).or_default();
        *count += 1;
        let name = match *count {
            1 => format!("{argument}__{stem}__{pass}"),
            n => format!("{argument}__{stem}__{pass}_{n}"),
        };
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            description => format!("{source} after stage {index} `{}` of `{argument}`", stage.stage),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, stage.ir);
        });
        snapshots += 1;
    }
    assert!(snapshots > 0, "{source}: no stage of {argument} changed it; the input tests nothing");
}

/// The corpus's tiny TensorFlow model: raised stage by stage, then the
/// default pipeline on the result.
#[test]
fn recom_tf_raise_tiny() {
    require_corpus!("recom_tf_raise_tiny");
    let context = recom::create_context().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/tiny/model.pb");
    let graph = recom_tf::read_graph(&path).unwrap();
    let mut module =
        recom::import::import_graph(&context, &graph, "tiny/model.pb", "graph", &["input_layer_output"]).unwrap().module;
    snapshot_stages(&context, &mut module, "recom-tf-raise", "", "tiny", "corpus/tiny/model.pb");
    snapshot_stages(&context, &mut module, "recom-default", "", "tiny", "corpus/tiny/model.pb (raised)");
}

#[test]
fn recom_default() {
    snapshot_pipeline("recom-default", "", &["../../examples"]);
}
