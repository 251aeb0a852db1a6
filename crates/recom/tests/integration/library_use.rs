//! recom used as a library by another melior-based compiler: its own
//! context, recom's dialects and passes loaded into it, recom and upstream
//! passes in one pass manager, IR built with the typed builders.
use melior::{
    dialect::{func, DialectRegistry},
    ir::{
        attribute::{StringAttribute, TypeAttribute},
        operation::{OperationLike, OperationRef, WalkOrder, WalkResult},
        r#type::FunctionType,
        Block, BlockLike, Location, Module, Region, RegionLike, Type,
    },
    pass::PassManager,
    utility::register_all_dialects,
    Context,
};
use recom::{
    emb::{self, Combiner, Filter, LookupInputs, OutOfRange},
    ir::{DiagnosticCapture, Severity, SourceLocation},
    symshape::{self, Expr, Fact},
};

/// What "another compiler" has: a plain melior context with upstream dialects.
fn foreign_context() -> Context {
    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    context
}

fn ty<'c>(context: &'c Context, text: &str) -> Type<'c> {
    Type::parse(context, text).unwrap_or_else(|| panic!("bad type {text}"))
}

/// Builds `func.func @column(%ids, %offsets, %w) -> (tensor<?x?xf32>, index)`
/// with the typed builders only. `default_id` goes into the lookup.
fn build_column<'c>(context: &'c Context, default_id: i64) -> Module<'c> {
    let location = Location::new(context, "built.mlir", 3, 5);
    let module = Module::new(location);
    let ids_t = ty(context, "tensor<?xi64>");
    let weights_t = ty(context, "tensor<?xf32>");
    let out_t = ty(context, "tensor<?x?xf32>");
    let index = Type::index(context);
    let block = Block::new(&[(ids_t, location), (ids_t, location), (weights_t, location)]);
    let table = block.append_operation(emb::table(context, location, "users", ty(context, "tensor<100x8xf32>")));
    let hashed =
        block.append_operation(emb::hash_bucket(context, location, block.argument(0).unwrap().into(), 100, ids_t));
    let filtered = block.append_operation(emb::range_filter(
        context,
        location,
        hashed.result(0).unwrap().into(),
        Filter { lo: 0, hi: 100, default: None },
        ids_t,
    ));
    let lookup = block.append_operation(emb::lookup(
        context,
        location,
        LookupInputs {
            table: table.result(0).unwrap().into(),
            ids: filtered.result(0).unwrap().into(),
            row_offsets: block.argument(1).unwrap().into(),
            weights: Some(block.argument(2).unwrap().into()),
        },
        Combiner::Sqrtn,
        OutOfRange::Default(default_id),
        out_t,
    ));
    let batch = block.append_operation(symshape::symbol(
        context,
        location,
        Some(block.argument(1).unwrap().into()),
        "B_plus_1",
        0,
        &[Fact::NonNegative, Fact::NonZero],
    ));
    let expr: Expr = "(s0 - 1) * 8".parse().unwrap();
    let shapes =
        block.append_operation(symshape::shape_construct(context, location, &[batch.result(0).unwrap().into()], &[expr]));
    block.append_operation(func::r#return(
        &[lookup.result(0).unwrap().into(), shapes.result(0).unwrap().into()],
        location,
    ));
    let region = Region::new();
    region.append_block(block);
    module.body().append_operation(func::func(
        context,
        StringAttribute::new(context, "column"),
        TypeAttribute::new(FunctionType::new(context, &[ids_t, ids_t, weights_t], &[out_t, index]).into()),
        region,
        &[],
        location,
    ));
    module
}

/// The first op named `name` (pre-order).
fn find<'c, 'a>(module: &'a Module<'c>, name: &str) -> OperationRef<'c, 'a> {
    let mut found = None;
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if found.is_none() && recom::ir::kit::identifier_text(op.name()) == name {
            found = Some(op.to_raw());
        }
        WalkResult::Advance
    });
    unsafe { OperationRef::from_raw(found.unwrap_or_else(|| panic!("no {name} in module"))) }
}

#[test]
fn foreign_context_runs_recom_and_upstream_passes() {
    let context = foreign_context();
    recom::load_into(&context).expect("load recom");
    // Loading twice is harmless.
    recom::load_into(&context).expect("load recom again");
    let mut module = build_column(&context, 7);
    assert!(module.as_operation().verify(), "{}", module.as_operation());

    // recom passes by name in a pipeline string, mixed with upstream ones.
    let pm = PassManager::new(&context);
    recom::add_pipeline(&pm, "builtin.module(recom-verify,canonicalize,cse,recom-default{verify=true})").unwrap();
    // ...and as pass objects.
    pm.add_pass(recom::pass("recom-verify", "warnings-as-errors=true").unwrap());
    pm.nested_under("func.func").add_pass(recom::pass("recom-verify", "").unwrap());
    pm.run(&mut module).expect("pipeline runs");

    let text = module.as_operation().to_string();
    assert!(text.contains(r#"combiner = "sqrtn""#), "{text}");
    assert!(text.contains(r#"exprs = ["(s0 - 1) * 8"]"#), "{text}");

    // Typed views read back what the builders wrote.
    let lookup = emb::LookupOp::wrap(find(&module, "emb.lookup")).unwrap();
    assert_eq!(lookup.combiner(), Ok(Combiner::Sqrtn));
    assert_eq!(lookup.on_out_of_range(), Ok(OutOfRange::Default(7)));
    assert!(lookup.weights().is_some());
    let filter = emb::RangeFilterOp::wrap(find(&module, "emb.range_filter")).unwrap();
    assert_eq!(filter.filter(), Ok(Filter { lo: 0, hi: 100, default: None }));
    let construct = symshape::ShapeConstructOp::wrap(find(&module, "symshape.shape_construct")).unwrap();
    let exprs = construct.exprs().unwrap();
    assert_eq!(exprs[0].eval(&[513]), Ok(4096));
    let symbol = symshape::SymbolOp::wrap(find(&module, "symshape.symbol")).unwrap();
    assert_eq!(symbol.facts(), Ok(vec![Fact::NonNegative, Fact::NonZero]));
    assert!(emb::TableOp::wrap(find(&module, "emb.lookup")).is_none(), "views check the op name");
}

#[test]
fn verifier_errors_are_located_diagnostics() {
    let context = foreign_context();
    recom::load_into(&context).unwrap();
    // Row 100 does not exist in a 100-row table.
    let mut module = build_column(&context, 100);
    let capture = DiagnosticCapture::attach(&context);
    let pm = PassManager::new(&context);
    pm.add_pass(recom::pass("recom-verify", "").unwrap());
    assert!(pm.run(&mut module).is_err());
    let diagnostics = capture.take();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.location, SourceLocation::File { file: "built.mlir".into(), line: 3, column: 5 });
    assert_eq!(
        d.to_string(),
        "built.mlir:3:5: error: 'emb.lookup' op default_id 100 is not a row of the table tensor<100x8xf32>"
    );
}

#[test]
fn bad_pass_requests_are_errors() {
    let context = foreign_context();
    recom::load_into(&context).unwrap();
    assert!(matches!(recom::pass("recom-nope", ""), Err(recom::Error::UnknownPass(_))));
    let e = recom::pass("recom-verify", "warnings-as-errors=sometimes").err().expect("bad option value");
    assert!(e.to_string().contains("expects true or false, got 'sometimes'"), "{e}");
    let pm = PassManager::new(&context);
    let e = recom::add_pipeline(&pm, "builtin.module(recom-default{speed=11})").unwrap_err();
    assert!(e.to_string().contains("'recom-default' has no option 'speed' (options: verify, id-transforms, elements-per-item, rows-per-item, ids-per-iteration, index-bits, prefetch-ids)"), "{e}");
}

#[test]
fn parse_errors_name_the_file() {
    let context = recom::create_context().unwrap();
    let e = recom::ir::parse_module(&context, "func.func @f() {\n  %x = \"emb.table\"() : () -> tensor<2x2xf32>\n  return\n}\n", "model.mlir")
        .expect_err("missing attribute");
    let text = e.to_string();
    assert!(text.starts_with("model.mlir:2:8: error: 'emb.table' op attribute \"name\" is expected"), "{text}");
}

/// Options are read by their definitions, which fall back to the default:
/// every default must be a valid value of its option.
#[test]
fn every_option_default_is_valid() {
    use recom::ir::OptionValues;
    for pass in recom::passes::PASSES {
        OptionValues::parse(pass.argument, pass.options, []).unwrap_or_else(|e| panic!("{}: {e}", pass.argument));
    }
    for pipeline in recom::passes::pipelines::PIPELINES {
        OptionValues::parse(pipeline.argument, pipeline.options, []).unwrap_or_else(|e| panic!("{}: {e}", pipeline.argument));
    }
}

/// The driver's options render into the pipeline with the pipeline's own
/// option definitions; the defaults are the pipeline's defaults.
#[test]
fn compile_options_are_the_pipelines() {
    use recom::compile::{Options, Stage};
    let text = Options::default().to_pipeline_options();
    assert_eq!(text, "id-transforms=host elements-per-item=0 rows-per-item=1 ids-per-iteration=2 index-bits=0 prefetch-ids=true");
    let stages = recom::passes::pipelines::DEFAULT.stages_for(&text).unwrap();
    assert_eq!(stages, recom::passes::pipelines::DEFAULT.stages_for("").unwrap());
    let custom = Options { elements_per_item: 4, index_bits: 64, ..Options::default() };
    assert!(Stage::Fuse.pipeline(&custom).unwrap().contains("elements-per-item=4 rows-per-item=1 ids-per-iteration=2 index-bits=64"));
    assert_eq!(Stage::Plan.pipeline(&custom), None);
    let kernel = Options { kernel_id_transforms: true, ..Options::default() };
    assert!(Stage::Fuse.pipeline(&kernel).unwrap().contains("recom-default{id-transforms=kernel "));
    let stages = recom::passes::pipelines::DEFAULT.stages_for(&kernel.to_pipeline_options()).unwrap();
    assert!(stages.iter().any(|s| s == "emb-fuse-columns{id-transforms=kernel}"), "{stages:?}");
}

/// A rewrite pattern that panics does not unwind into MLIR (which would
/// abort the process): the panic is an error located at the op, the pass
/// fails, and the process goes on.
#[test]
fn a_panicking_pattern_is_a_located_error() {
    use recom::ir::rewrite::{apply, Pattern};
    let context = recom::create_context().unwrap();
    context.set_allow_unregistered_dialects(true);
    let module = recom::ir::parse_module(&context, "\"test.boom\"() : () -> ()\n", "boom.mlir").unwrap();
    let capture = recom::ir::DiagnosticCapture::attach(&context);
    fn boom(_: melior::ir::operation::OperationRef, _: melior::PatternRewriter) -> bool {
        panic!("the pattern's bug")
    }
    let outcome = apply("test-pass", module.as_operation(), &[Pattern { root: "test.boom", generates: &[], rewrite: boom }]);
    assert!(outcome.is_err());
    let diagnostics: Vec<String> = capture.take().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        diagnostics,
        ["boom.mlir:1:1: error: internal error: test-pass's pattern on test.boom failed: the pattern's bug"]
    );
}
