//! recom-opt: an `mlir-opt` for recom's dialects and passes.
//!
//! The driver is MLIR's own `MlirOptMain` (through [`recom_ir::opt_main`] and
//! the C++ shim), so recom-opt takes every mlir-opt flag, spelled as mlir-opt
//! spells it (single dashes too): `--pass-pipeline=`/`-p`, a `--<name>` flag
//! per registered pass and pipeline (recom's and upstream ones),
//! `--split-input-file`, `--verify-diagnostics`, `--mlir-print-ir-*`,
//! `--mlir-timing`, `--mlir-pass-statistics`, `--emit-bytecode`,
//! `--verify-each`, `--allow-unregistered-dialect`, `-o`, `--help`.
//! Diagnostics are MLIR's (`file:line:col: error: message` and the source
//! line). Exit status: 0 on success, 1 on any failure (bad flags included).
//!
//! What recom adds, in Rust, before handing over to MLIR:
//! - its dialects (`emb`, `symshape`) as one IRDL file loaded into every
//!   context, and its passes and pipelines registered first, so that each
//!   is a flag and a pipeline element;
//! - `--list-passes[=all]`: recom's listing, with typed options and defaults
//!   (`=all` appends MLIR's listing of every registered pass). Handled here
//!   and removed from the command line: MLIR's own `--list-passes` lists no
//!   pipelines (`--help` lists everything);
//! - TensorFlow GraphDefs: an input ending in `.pb` or `.pbtxt` is imported
//!   here (`--tf-outputs=node[:k],...` picks the results) and handed to
//!   MlirOptMain as MLIR text printed with its locations, so diagnostics of
//!   the pipeline still name the file and, in a note, the node. Import
//!   errors print here, located, and exit 1;
//! - `--emit-plan`: after the pipeline, the runtime plan
//!   ([`recom::emit_plan`]) as JSON replaces the printed IR. MlirOptMain
//!   prints the module itself and has no hook after the pipeline, so the
//!   translation runs as the pipeline's last pass (named `emit-plan`): its
//!   errors are ordinary located diagnostics, which `--verify-diagnostics`
//!   checks, and `--split-input-file` and `-o` behave as for IR (plans of
//!   successive pieces are separated by `// -----`);
//! - for an unknown pass name, the registered names closest to it.
use melior::ir::{
    operation::{OperationLike, OperationPrintingFlags},
    Module,
};
use recom_ir::opt_main::{mlir_opt_main, Importer, OptMain, Reported, Translation};
use std::{ffi::OsString, path::Path, process::ExitCode};

fn main() -> ExitCode {
    // Before MlirOptMain starts: it makes a flag of every registered pass.
    recom_passes::register_all();
    let args: Vec<OsString> = std::env::args_os().collect();
    match list_passes_request(args.get(1..).unwrap_or_default()) {
        Some(Ok(all)) => {
            print!("{}", list_passes(all));
            return ExitCode::SUCCESS;
        }
        Some(Err(message)) => {
            eprintln!("recom-opt: {message}");
            return ExitCode::from(1);
        }
        None => {}
    }
    let tool = OptMain {
        description: "recom-opt: an mlir-opt for recom's dialects (emb, symshape) and passes",
        irdl: recom::dialects_irdl(),
        importer: Some(Importer {
            option: "tf-outputs",
            option_description: "Outputs of an imported TensorFlow graph (node or node:k); \
                                 inputs ending in .pb or .pbtxt are TensorFlow GraphDefs",
            import: import_graphdef,
        }),
        translation: Some(Translation {
            flag: "emit-plan",
            description: "After the pipeline, print the runtime plan of the module's fused \
                          embedding layer (JSON) instead of the IR",
            translate: emit_plan,
        }),
        suggest_pass: Some(suggest_pass),
    };
    match mlir_opt_main(args, &tool) {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

/// `--list-passes[=recom|all]` (or `-list-passes...`): `Some(Ok(all))`.
fn list_passes_request(args: &[OsString]) -> Option<Result<bool, String>> {
    let request = args.iter().filter_map(|a| a.to_str()).find_map(|arg| {
        let flag = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
        match flag.strip_prefix("list-passes")? {
            "" => Some(""),
            value => value.strip_prefix('='),
        }
    })?;
    Some(match request {
        "" | "recom" => Ok(false),
        "all" => Ok(true),
        other => Err(format!(
            "error: invalid value '{other}' for '--list-passes [<WHICH>]' (possible values: recom, all)"
        )),
    })
}

/// A TensorFlow GraphDef input: imported, then printed with its locations.
fn import_graphdef(path: &str, outputs: &[String]) -> Result<Option<String>, Reported> {
    if !(path.ends_with(".pb") || path.ends_with(".pbtxt")) {
        if outputs.is_empty() {
            return Ok(None);
        }
        eprintln!("recom-opt: --tf-outputs needs a TensorFlow GraphDef input (.pb or .pbtxt), not '{path}'");
        return Err(Reported);
    }
    let fail = |message: String| {
        eprintln!("recom-opt: {message}");
        Reported
    };
    let context = recom::create_context().map_err(|e| fail(e.to_string()))?;
    let mut graph = recom_tf::read_graph(Path::new(path)).map_err(|e| fail(e.to_string()))?;
    let model_dir = Path::new(path).parent().unwrap_or(Path::new("."));
    recom_tf::vocabulary_files::inline_vocabulary_files(&mut graph, model_dir).map_err(|e| fail(format!("{path}: {e}")))?;
    let outputs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    let imported = match recom::import::import_graph(&context, &graph, path, "graph", &outputs) {
        Ok(imported) => imported,
        Err(recom::import::ImportError(diagnostics)) => {
            for d in diagnostics {
                eprintln!("{d}");
            }
            return Err(Reported);
        }
    };
    // With debug info: MLIR parses the locations back, so the pipeline's
    // diagnostics name the GraphDef and its nodes.
    let flags = OperationPrintingFlags::new().enable_debug_info(true, false);
    let text = imported
        .module
        .as_operation()
        .to_string_with_flags(flags)
        .map_err(|e| fail(format!("cannot print the module imported from '{path}': {e}")))?;
    Ok(Some(text))
}

/// `--emit-plan`: the plan of the module after the pipeline, as JSON.
fn emit_plan(module: &Module) -> Result<String, Reported> {
    match recom::emit_plan::emit_plan(module) {
        Ok(plan) => Ok(recom::emit_plan::plan_json(&plan)),
        Err(diagnostic) => {
            diagnostic.emit(module.context());
            Err(Reported)
        }
    }
}

/// For "'x' does not refer to a registered pass", the registered names closest to x.
fn suggest_pass(message: &str) -> Option<String> {
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    if !message[end..].contains("does not refer to a registered pass") {
        return None;
    }
    let wanted = &message[start..end];
    let mut names: Vec<(usize, String)> = recom_ir::registered_pass_names()
        .into_iter()
        .map(|n| (strsim::levenshtein(wanted, &n), n))
        .filter(|(d, n)| *d <= (wanted.len().max(n.len()) / 3).max(2))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Some("no registered pass has a similar name; see --list-passes=all".into());
    }
    let close: Vec<String> = names.into_iter().take(3).map(|(_, n)| n).collect();
    Some(format!("did you mean: {}?", close.join(", ")))
}

fn list_passes(all: bool) -> String {
    let mut out = String::from("recom passes:\n");
    for pass in recom_passes::PASSES {
        out.push_str(&format!("  {}  -  {}\n", pass.argument, pass.summary));
        for o in pass.options {
            out.push_str(&format!("      {}={} (default {})  -  {}\n", o.name, o.kind, o.default, o.description));
        }
    }
    out.push_str("recom pipelines:\n");
    for pipeline in recom_passes::pipelines::PIPELINES {
        out.push_str(&format!("  {}  -  {}\n", pipeline.argument, pipeline.summary));
        for o in pipeline.options {
            out.push_str(&format!("      {}={} (default {})  -  {}\n", o.name, o.kind, o.default, o.description));
        }
    }
    if all {
        out.push_str("\nAll registered passes and pipelines (MLIR's listing):\n");
        out.push_str(&recom_ir::registry::registered_passes_text());
    }
    out
}
