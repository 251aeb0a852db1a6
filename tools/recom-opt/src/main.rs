//! recom-opt: an `mlir-opt` for recom's dialects and passes.
//!
//! Reads MLIR (a file or `-` for stdin), runs `--pass-pipeline` (recom and
//! upstream passes mixed), and prints the result. Diagnostics print as
//! `file:line:col: error: message`. Exit status: 0 on success, 1 when the
//! input, the pipeline or a pass fails, 2 for bad command-line flags.
use clap::Parser;
use melior::{
    ir::{operation::OperationPrintingFlags, Module},
    pass::{PassIrPrintingOptions, PassManager},
    Context,
};
use recom_ir::{
    context::set_print_op_on_diagnostic, registry, source::split_input, verifier, Diagnostic, DiagnosticCapture,
};
use std::{
    io::{Read, Write},
    path::PathBuf,
    process::ExitCode,
};

#[derive(Parser, Debug)]
#[command(name = "recom-opt", version, about = "An mlir-opt for recom's dialects and passes")]
struct Args {
    /// Input file ('-' for stdin).
    #[arg(default_value = "-")]
    input: String,
    /// Output file ('-' for stdout).
    #[arg(short = 'o', default_value = "-")]
    output: String,
    /// Pipeline to run, e.g. 'builtin.module(recom-verify,canonicalize,cse)'.
    #[arg(long = "pass-pipeline", value_name = "PIPELINE")]
    pass_pipeline: Option<String>,
    /// Split the input at '// -----' lines and process each piece independently.
    #[arg(long = "split-input-file")]
    split_input_file: bool,
    /// Check diagnostics against expected-error/-warning/-remark/-note annotations.
    #[arg(long = "verify-diagnostics")]
    verify_diagnostics: bool,
    /// Print the IR after every pass (to stderr, or to --mlir-print-ir-tree-dir).
    #[arg(long = "mlir-print-ir-after-all")]
    print_after_all: bool,
    /// Print the IR after every pass that changed it.
    #[arg(long = "mlir-print-ir-after-change")]
    print_after_change: bool,
    /// Write IR printed by --mlir-print-ir-after-* into this directory tree, one file per pass.
    #[arg(long = "mlir-print-ir-tree-dir", value_name = "DIR")]
    print_tree_dir: Option<PathBuf>,
    /// Accept operations of dialects no one registered (e.g. imported `tf.*` ops).
    #[arg(long = "allow-unregistered-dialect")]
    allow_unregistered_dialect: bool,
    /// Outputs of an imported TensorFlow graph (`node` or `node:k`, comma-separated);
    /// inputs ending in .pb or .pbtxt are TensorFlow GraphDefs.
    #[arg(long = "tf-outputs", value_name = "NODES", value_delimiter = ',')]
    tf_outputs: Vec<String>,
    /// After the pipeline, print the runtime plan of the module's fused embedding layer
    /// (JSON) instead of the IR: the translation `recom::emit_plan`.
    #[arg(long = "emit-plan")]
    emit_plan: bool,
    /// List recom's passes and pipelines with their options ('all' adds upstream ones) and exit.
    #[arg(long = "list-passes", value_name = "WHICH", num_args = 0..=1, default_missing_value = "recom",
          value_parser = ["recom", "all"])]
    list_passes: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("recom-opt: {message}");
            ExitCode::from(1)
        }
    }
}

/// `Ok(false)`: processed, but some piece failed (diagnostics printed).
fn run(args: &Args) -> Result<bool, String> {
    let context = recom::create_context().map_err(|e| e.to_string())?;
    if let Some(which) = &args.list_passes {
        print!("{}", list_passes(which == "all"));
        return Ok(true);
    }
    if args.print_tree_dir.is_some() && !(args.print_after_all || args.print_after_change) {
        return Err("--mlir-print-ir-tree-dir needs --mlir-print-ir-after-all or --mlir-print-ir-after-change".into());
    }
    if args.allow_unregistered_dialect {
        context.set_allow_unregistered_dialects(true);
    }
    if args.input.ends_with(".pb") || args.input.ends_with(".pbtxt") {
        return run_graphdef(&context, args);
    }
    let source = read_input(&args.input)?;
    let file_name = if args.input == "-" { "<stdin>" } else { args.input.as_str() };
    let pm = build_pass_manager(&context, args)?;
    if args.verify_diagnostics {
        set_print_op_on_diagnostic(&context, false);
    }

    let chunks = if args.split_input_file {
        split_input(&source)
    } else {
        vec![recom_ir::source::Chunk { text: source.clone(), first_line: 1 }]
    };
    let mut outputs = Vec::new();
    let mut ok = true;
    for chunk in &chunks {
        let capture = DiagnosticCapture::attach(&context);
        let mut diagnostics = Vec::new();
        let module = match recom_ir::parse_module(&context, &chunk.text, file_name) {
            Ok(module) => Some(module),
            Err(e) => {
                diagnostics.extend(e.diagnostics);
                None
            }
        };
        let mut chunk_ok = module.is_some();
        if let Some(mut module) = module {
            if let Some(pm) = &pm {
                chunk_ok = pm.run(&mut module).is_ok();
            }
            let mut translation_errors = Vec::new();
            if chunk_ok {
                match emit(&module, args) {
                    Ok(text) => outputs.push(text),
                    Err(d) => {
                        translation_errors.push(d);
                        chunk_ok = false;
                    }
                }
            }
            diagnostics.extend(capture.take());
            diagnostics.extend(translation_errors);
        } else {
            diagnostics.extend(capture.take());
        }
        if args.verify_diagnostics {
            let problems = verifier::verify(&chunk.text, file_name, &diagnostics);
            print_diagnostics(&problems);
            ok &= problems.is_empty();
        } else {
            print_diagnostics(&diagnostics);
            ok &= chunk_ok;
        }
    }
    write_output(&args.output, &outputs.join("// -----\n"))?;
    Ok(ok)
}

/// A TensorFlow GraphDef: import it, run the pipeline, print.
fn run_graphdef(context: &Context, args: &Args) -> Result<bool, String> {
    let graph = recom_tf::read_graph(std::path::Path::new(&args.input)).map_err(|e| e.to_string())?;
    let outputs: Vec<&str> = args.tf_outputs.iter().map(String::as_str).collect();
    let mut imported = match recom::import::import_graph(context, &graph, &args.input, "graph", &outputs) {
        Ok(imported) => imported,
        Err(recom::import::ImportError(diagnostics)) => {
            print_diagnostics(&diagnostics);
            return Ok(false);
        }
    };
    if let Some(pm) = build_pass_manager(context, args)? {
        let capture = DiagnosticCapture::attach(context);
        let ok = pm.run(&mut imported.module).is_ok();
        print_diagnostics(&capture.take());
        if !ok {
            return Ok(false);
        }
    }
    match emit(&imported.module, args) {
        Ok(text) => write_output(&args.output, &text)?,
        Err(d) => {
            print_diagnostics(&[d]);
            return Ok(false);
        }
    }
    Ok(true)
}

/// What the tool prints for a processed module: the IR, or with
/// `--emit-plan` its plan.
fn emit(module: &Module, args: &Args) -> Result<String, Diagnostic> {
    if !args.emit_plan {
        return Ok(print_module(module));
    }
    let plan = recom::emit_plan::emit_plan(module)?;
    Ok(recom::emit_plan::plan_json(&plan))
}

fn read_input(path: &str) -> Result<String, String> {
    let mut text = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{path}': {e}"))?;
    }
    Ok(text)
}

fn write_output(path: &str, text: &str) -> Result<(), String> {
    if path == "-" {
        std::io::stdout().write_all(text.as_bytes()).map_err(|e| format!("cannot write stdout: {e}"))
    } else {
        std::fs::write(path, text).map_err(|e| format!("cannot write '{path}' (-o): {e}"))
    }
}

fn print_module(module: &Module) -> String {
    use melior::ir::operation::OperationLike;
    let mut text = module
        .as_operation()
        .to_string_with_flags(OperationPrintingFlags::new())
        .unwrap_or_else(|_| module.as_operation().to_string());
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}

fn build_pass_manager<'c>(context: &'c Context, args: &Args) -> Result<Option<PassManager<'c>>, String> {
    let Some(pipeline) = &args.pass_pipeline else {
        return Ok(None);
    };
    let pm = PassManager::new(context);
    let capture = DiagnosticCapture::attach(context);
    if let Err(e) = recom::add_pipeline(&pm, pipeline) {
        let mut message = match e {
            // The parser's own position ("<parser>:1:5: error: ...") is a position in the flag.
            recom::Error::Pipeline(m) if m.contains(PIPELINE_PARSER) => m.replace(PIPELINE_PARSER, "--pass-pipeline"),
            other => format!("--pass-pipeline: {other}"),
        };
        for d in capture.take() {
            message.push_str(&format!("\n  {}", d.message));
        }
        if let Some(hint) = suggest_pass(&message) {
            message.push('\n');
            message.push_str(&hint);
        }
        return Err(message);
    }
    if args.print_after_all || args.print_after_change {
        // IR printing needs one thread so dumps do not interleave.
        context.enable_multi_threading(false);
        pm.enable_ir_printing(&PassIrPrintingOptions {
            before_all: false,
            after_all: true,
            module_scope: false,
            on_change: args.print_after_change,
            on_failure: false,
            flags: OperationPrintingFlags::new(),
            tree_printing_path: args.print_tree_dir.clone().unwrap_or_default(),
        });
    }
    Ok(Some(pm))
}

/// How MLIR's pipeline parser names its input in error positions.
const PIPELINE_PARSER: &str = "MLIR Textual PassPipeline Parser";

/// For "'x' does not refer to a registered pass", the registered names closest to x.
fn suggest_pass(message: &str) -> Option<String> {
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    if !message[end..].contains("does not refer to a registered pass") {
        return None;
    }
    let wanted = &message[start..end];
    let mut names: Vec<(usize, String)> = registry::registered_pass_names()
        .into_iter()
        .map(|n| (strsim::levenshtein(wanted, &n), n))
        .filter(|(d, n)| *d <= (wanted.len().max(n.len()) / 3).max(2))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Some("  (no registered pass has a similar name; see --list-passes=all)".into());
    }
    let close: Vec<String> = names.into_iter().take(3).map(|(_, n)| n).collect();
    Some(format!("  did you mean: {}?", close.join(", ")))
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
        out.push_str(&registry::registered_passes_text());
    }
    out
}
