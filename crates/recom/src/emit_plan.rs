//! The translation from compiled IR to the runtime's [`Plan`]: the seam
//! between the compiler and the lean runtime.
//!
//! Input: a module after `recom-default`, with ONE `emb.fused_columns`
//! lowered to a kernel (`kernel = @fn`, `kernel_*` attributes). The plan is
//! read off the IR:
//! * the tables and columns from `emb.packed_tables` and the fused op's
//!   `columns`, the kernel's metadata tables encoded by `recom_abi::kernel`;
//! * the host program from what produces the `emb.pack_inputs` operands:
//!   a function argument (a model input) or an op whose declaration says
//!   which host step it is (`OpDef::host`: hash bucket, vocabulary, crosses,
//!   dense → sparse, numeric inputs, COO → CSR), whose operands are followed
//!   in turn;
//! * the request's sizes from the layer's `symshape.shape_construct`;
//! * the model's inputs from the function's arguments (`recom.feed` names).
//!
//! Anything it cannot translate is an error located at the op concerned and
//! naming the attribute or operand, never a silent "not supported".
//! `recom-opt --emit-plan` prints the plan as JSON (lit tests:
//! `lit_tests/translate/emit-plan*.mlir`).
use melior::ir::{
    block::{BlockArgument, BlockLike},
    operation::{OperationLike, OperationRef, WalkOrder, WalkResult},
    Module, Value, ValueLike,
};
use recom_abi::kernel::{encode_columns, encode_items, row_pitch, PackedTable};
use recom_abi::dense::{DenseProgram, Operand, OutputSpec, Step, WeightSpec};
use recom_dense as dense;
use recom_emb::{FusedColumnsOp, PackInputsOp, PackedTablesOp};
use recom_ir::{
    kit::{self, AttrError},
    Diagnostic, Severity, SourceLocation,
};
use recom_host::{ColumnSource, FeedSpec, FeedType, HostOp, HostProgram, HostStep, ValueRef};
use recom_runtime::{
    plan::{ColumnPlan, Plan, TableSlot},
    shape::{ShapeProgram, ShapeSymbol},
};
use std::collections::HashMap;

/// An error at `op`.
fn error_at(op: OperationRef, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Severity::Error, SourceLocation::from_mlir(op.location()), message.into())
}

/// An attribute error of `op`, as MLIR's verifier would word it.
fn attr_error<'c, 'a>(op: OperationRef<'c, 'a>) -> impl Fn(AttrError) -> Diagnostic + use<'c, 'a> {
    move |e| error_at(op, format!("'{}' op {e}", op_name(op)))
}

fn op_name(op: OperationRef) -> String {
    kit::identifier_text(op.name()).into_owned()
}

/// The plan of the module's one fused embedding layer.
pub fn emit_plan(module: &Module) -> Result<Plan, Diagnostic> {
    let mut fused = Vec::new();
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if FusedColumnsOp::wrap(op).is_some() {
            fused.push(op.to_raw());
        }
        WalkResult::Advance
    });
    // A table the kernel cannot read leaves its layer unfused: say which.
    if fused.is_empty() {
        let mut bad = None;
        module.as_operation().walk(WalkOrder::PreOrder, |op| {
            if let Some(table) = recom_emb::TableOp::wrap(op) {
                let elem = kit::TensorInfo::of(table.table().r#type()).map(|t| t.elem);
                if bad.is_none() && elem.is_some_and(|e| e != kit::Elem::F32) {
                    bad = Some(op.to_raw());
                }
            }
            WalkResult::Advance
        });
        if let Some(raw) = bad {
            let op = unsafe { OperationRef::from_raw(raw) };
            let table = recom_emb::TableOp::wrap(op).expect("found by wrap");
            return Err(error_at(
                op,
                format!(
                    "the embedding layer was not fused: table '{}' is {}, and the fused kernel reads f32 tables (store the table as float32 when freezing the model)",
                    table.name().map(|n| n.into_owned()).unwrap_or_default(),
                    table.table().r#type()
                ),
            ));
        }
    }
    if fused.is_empty() {
        // No layer formed. Lookups raised but left outside one concatenation
        // would be lost work: say so at the first. Otherwise every output
        // comes from the host evaluator (emb.tf_output), model inputs or
        // dense ops on them: a plan with no kernel.
        let mut first = None;
        module.as_operation().walk(WalkOrder::PreOrder, |op| {
            if first.is_none() && op_name(op) == "emb.lookup" {
                first = Some(op.to_raw());
            }
            WalkResult::Advance
        });
        if let Some(raw) = first {
            // SAFETY: the op was found in `module`, which outlives this call.
            let op = unsafe { OperationRef::from_raw(raw) };
            return Err(error_at(
                op,
                "no embedding layer was formed: this lookup's rows are not part of one concatenation the outputs read (a \
                 feature-column input_layer, or a Keras Concatenate of pooled or flattened Embedding lookups), which is what \
                 recom fuses (docs/generality.md)",
            ));
        }
        return host_only_plan(module);
    }
    match fused[..] {
        [one] => plan_of(FusedColumnsOp::wrap(unsafe { OperationRef::from_raw(one) }).expect("found by wrap")),
        _ => Err(error_at(
            module.as_operation(),
            format!("expected one fused embedding layer (emb.fused_columns), found {}", fused.len()),
        )),
    }
}

/// The plan of a model with no embedding layer: its outputs are computed
/// by the host program (the TensorFlow evaluator's `emb.tf_output` values)
/// and dense ops on those and the model inputs; no kernel, no tables.
fn host_only_plan(module: &Module) -> Result<Plan, Diagnostic> {
    let mut found = None;
    let mut next = module.body().first_operation();
    while let Some(op) = next {
        if kit::identifier_text(op.name()) == "func.func" && found.is_none() {
            found = Some(op.to_raw());
        }
        next = op.next_in_block();
    }
    let raw = found.ok_or_else(|| error_at(module.as_operation(), "the module has no model function"))?;
    // SAFETY: the function is an op of `module`, which outlives this call.
    let function = unsafe { OperationRef::from_raw(raw) };
    let feeds = feed_specs(function);
    let mut host = HostBuilder { function, feeds: &feeds, steps: Vec::new(), made: HashMap::new(), offsets: HashMap::new() };
    let mut host_values = Vec::new();
    let (dense, outputs) = dense_of(function, None, &feeds, &mut host, &mut host_values)?;
    if outputs.is_empty() {
        return Err(error_at(function, "the model has no outputs"));
    }
    let host = HostProgram { steps: host.steps, columns: Vec::new(), values: host_values, graph: Default::default(), schedule: Default::default() };
    Ok(Plan {
        dense,
        outputs,
        function: function.attribute("sym_name").ok().and_then(kit::string_value).map(|s| s.into_owned()).unwrap_or_default(),
        kernel: String::new(),
        feeds,
        host,
        tables: Vec::new(),
        columns: Vec::new(),
        width: 0,
        columns_meta: Vec::new(),
        items: Vec::new(),
        per_item: 1,
        rows_per_item: 1,
        index_bits: 32,
        shapes: None,
        sharding: None,
        transform_kernel: None,
    })
}

fn defining<'c, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    recom_ir::ext::op_result(value).map(|r| r.owner())
}

fn result_number(value: Value) -> Option<usize> {
    recom_ir::ext::op_result(value).map(|r| r.result_number())
}

/// Where a value the host program needs comes from, for error messages.
fn producer(value: Value) -> String {
    match defining(value) {
        Some(op) => format!("'{}' (result {})", op_name(op), result_number(value).unwrap_or(0)),
        None => match BlockArgument::try_from(value) {
            Ok(argument) => format!("block argument {}", argument.argument_number()),
            Err(_) => "a value with no producer".into(),
        },
    }
}

/// Builds the host program by following the producers of the columns'
/// packed inputs: a model input is a [`ValueRef::Feed`]; any other value is
/// a result of an op whose declaration has a host hook (`OpDef::host`),
/// which becomes a step after the steps of its own operands.
struct HostBuilder<'c, 'a> {
    /// The model function: its entry block arguments are the model's inputs.
    function: OperationRef<'c, 'a>,
    feeds: &'a [FeedSpec],
    steps: Vec<HostStep>,
    /// The step each op already became.
    made: HashMap<*const std::ffi::c_void, usize>,
    /// For ops merged into a shared step: the index of their first result.
    offsets: HashMap<*const std::ffi::c_void, usize>,
}

impl<'c, 'a> HostBuilder<'c, 'a> {
    /// The model input `value` is.
    fn feed(&self, value: Value<'c, 'a>) -> Option<usize> {
        let argument = recom_ir::ext::block_argument(value)?;
        let owner = argument.owner().parent_operation()?;
        (owner.to_raw().ptr == self.function.to_raw().ptr).then(|| argument.argument_number())
    }

    /// `value` as a value of the host program; `what` names it in errors.
    fn value(&mut self, user: OperationRef<'c, 'a>, what: &str, value: Value<'c, 'a>) -> Result<ValueRef, Diagnostic> {
        if let Some(n) = self.feed(value) {
            return Ok(ValueRef::Feed(n));
        }
        let Some(op) = defining(value) else {
            return Err(error_at(user, format!("{what} is {}, which is not a model input", producer(value))));
        };
        let result = result_number(value).unwrap_or(0);
        if let Some(&step) = self.made.get(&op.to_raw().ptr.cast_const()) {
            let result = result + self.offsets.get(&op.to_raw().ptr.cast_const()).copied().unwrap_or(0);
            return Ok(ValueRef::Step { step, result });
        }
        let name = op_name(op);
        let Some(hook) = crate::DIALECTS.iter().find_map(|d| d.op(&name)).and_then(|def| def.host) else {
            return Err(error_at(op, format!("{what} is {}, which the runtime's host program does not run", producer(value))));
        };
        let host_op = hook(op).map_err(|message| error_at(op, format!("'{name}' op {message}")))?;
        // Host fallback: every graph output the program needs comes from one
        // step that runs the graph once per request, reading every input.
        if let HostOp::TfGraph { outputs } = &host_op {
            let existing = self.steps.iter().position(|s| matches!(s.op, HostOp::TfGraph { .. }));
            let step = match existing {
                Some(step) => step,
                None => {
                    self.steps.push(HostStep { op: HostOp::TfGraph { outputs: Vec::new() }, operands: (0..self.feeds.len()).map(ValueRef::Feed).collect() });
                    self.steps.len() - 1
                }
            };
            let HostOp::TfGraph { outputs: all } = &mut self.steps[step].op else { unreachable!("found above") };
            let result = all.len();
            all.extend(outputs.iter().cloned());
            self.made.insert(op.to_raw().ptr.cast_const(), step);
            // Results of the merged step are numbered by output, not by op.
            self.offsets.insert(op.to_raw().ptr.cast_const(), result);
            return Ok(ValueRef::Step { step, result });
        }
        let mut operands = Vec::with_capacity(op.operand_count());
        for (i, operand) in op.operands().enumerate() {
            operands.push(self.value(op, &format!("operand {i} of '{name}'"), operand)?);
        }
        self.steps.push(HostStep { op: host_op, operands });
        self.made.insert(op.to_raw().ptr.cast_const(), self.steps.len() - 1);
        Ok(ValueRef::Step { step: self.steps.len() - 1, result })
    }

    /// A column's ids: raw strings only for a column that hashes them in
    /// the kernel (others need a hash or a vocabulary first).
    fn ids(&mut self, user: OperationRef<'c, 'a>, value: Value<'c, 'a>, strings: bool) -> Result<ValueRef, Diagnostic> {
        // A string column's ids are emb.string_refs of its strings: the
        // runtime makes the references from the strings themselves.
        let refs = defining(value).and_then(recom_emb::StringRefsOp::wrap);
        let value = match (refs, strings) {
            (Some(refs), true) => refs.strings(),
            (None, false) => value,
            (Some(refs), false) => return Err(error_at(refs.op(), "string references feed a column that does not hash strings")),
            (None, true) => return Err(error_at(user, format!("the column hashes strings, but its ids come from {}, not emb.string_refs", producer(value)))),
        };
        let ids = self.value(user, "the ids operand", value)?;
        if let ValueRef::Feed(n) = ids {
            if self.feeds[n].dtype == FeedType::Str && !strings {
                return Err(error_at(
                    user,
                    format!("the ids are the strings of input '{}'; strings need an emb.hash_bucket or emb.vocabulary", self.feeds[n].name),
                ));
            }
        }
        Ok(ids)
    }
}

/// A `kernel_*` attribute the lowering stamps on the fused op, in `range`.
fn kernel_attr(op: OperationRef, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, Diagnostic> {
    let value = kit::i64_attr(&op, name).map_err(|e| {
        error_at(op, format!("'emb.fused_columns' op {e} (was emb-lower-fused-columns run?)"))
    })?;
    if !range.contains(&value) {
        return Err(attr_error(op)(AttrError::new(name, format!("must be in [{}, {}], got {value}", range.start(), range.end()))));
    }
    Ok(value)
}

fn plan_of(fused: FusedColumnsOp) -> Result<Plan, Diagnostic> {
    let op = fused.op();
    let function = op
        .parent_operation()
        .filter(|f| kit::identifier_text(f.name()) == "func.func")
        .ok_or_else(|| error_at(op, "emb.fused_columns must be directly in a func.func (the model function)"))?;
    let columns = fused.columns().map_err(attr_error(op))?;
    let kernel = fused.kernel().ok_or_else(|| {
        error_at(op, "'emb.fused_columns' op attribute 'kernel' is missing (was emb-lower-fused-columns run?)")
    })?;
    let transform_kernel = match op.attribute("kernel_transform") {
        Ok(a) => Some(recom_ir::ext::flat_symbol(a).ok_or_else(|| error_at(op, "'emb.fused_columns' op attribute 'kernel_transform' is not a symbol"))?),
        Err(_) => None,
    };
    if transform_kernel.is_none() && columns.iter().any(|c| c.transform.is_some()) {
        return Err(error_at(op, "'emb.fused_columns' op a column transforms its raw values, but attribute 'kernel_transform' is missing (was emb-lower-fused-columns run?)"));
    }
    let per_item = kernel_attr(op, "kernel_elements_per_item", 1..=8)? as usize;
    let rows_per_item = kernel_attr(op, "kernel_rows_per_item", 1..=16)? as usize;
    let index_bits = kernel_attr(op, "kernel_index_bits", 32..=64)?;
    if index_bits != 32 && index_bits != 64 {
        return Err(attr_error(op)(AttrError::new("kernel_index_bits", format!("must be 32 or 64, got {index_bits}"))));
    }
    let tables_op = defining(fused.tables())
        .and_then(PackedTablesOp::wrap)
        .ok_or_else(|| error_at(op, format!("the tables operand comes from {}, not emb.packed_tables", producer(fused.tables()))))?;
    let tables = tables_op.tables().map_err(attr_error(tables_op.op()))?;
    for (i, t) in tables.iter().enumerate() {
        if t.rows < 0 || t.dim <= 0 || t.rows.checked_mul(row_pitch(t.dim)).is_none() {
            return Err(attr_error(tables_op.op())(AttrError::new(
                "tables",
                format!("entry {i} ('{}'): {} x {} is not a table", t.name, t.rows, t.dim),
            )));
        }
    }
    let (offsets, _) = PackedTable::layout(&tables);
    let pack = defining(fused.row_offsets())
        .and_then(PackInputsOp::wrap)
        .ok_or_else(|| error_at(op, format!("the inputs come from {}, not emb.pack_inputs", producer(fused.row_offsets()))))?;
    let pack_op = pack.op();
    let ids = pack.group(0).map_err(attr_error(pack_op))?;
    let row_offsets = pack.group(1).map_err(attr_error(pack_op))?;
    let weights = pack.group(2).map_err(attr_error(pack_op))?;
    let weighted = columns.iter().filter(|c| c.weighted).count();
    if ids.len() != columns.len() || row_offsets.len() != columns.len() || weights.len() != weighted {
        return Err(error_at(
            pack_op,
            format!(
                "emb.pack_inputs has {} ids, {} row offsets and {} weights operands for {} columns ({weighted} weighted)",
                ids.len(),
                row_offsets.len(),
                weights.len(),
                columns.len()
            ),
        ));
    }
    let feeds = feed_specs(function);
    let mut host = HostBuilder { function, feeds: &feeds, steps: Vec::new(), made: HashMap::new(), offsets: HashMap::new() };
    let mut weights = weights.into_iter();
    let mut plans = Vec::with_capacity(columns.len());
    let mut sources = Vec::with_capacity(columns.len());
    for (c, column) in columns.iter().enumerate() {
        let in_column = |d: Diagnostic| Diagnostic { message: format!("column {c}: {}", d.message), ..d };
        let table = offsets.iter().position(|&o| o == column.table_offset).ok_or_else(|| {
            attr_error(op)(AttrError::new("columns", format!("entry {c}: table_offset {} starts no packed table", column.table_offset)))
        })?;
        if (tables[table].rows, tables[table].dim) != (column.rows, column.dim) {
            return Err(attr_error(op)(AttrError::new(
                "columns",
                format!("entry {c}: {} x {} does not match its table '{}' ({} x {})", column.rows, column.dim, tables[table].name, tables[table].rows, tables[table].dim),
            )));
        }
        let weights = match column.weighted {
            true => {
                let w = weights.next().expect("counted against the weighted columns above");
                Some(host.value(pack_op, "the weights operand", w).map_err(in_column)?)
            }
            false => None,
        };
        sources.push(ColumnSource {
            ids: host.ids(pack_op, ids[c], column.transform.as_ref().is_some_and(|t| t.takes_strings())).map_err(in_column)?,
            row_offsets: host.value(pack_op, "the row offsets operand", row_offsets[c]).map_err(in_column)?,
            weights,
        });
        plans.push(ColumnPlan {
            table,
            weighted: column.weighted,
            filter: column.filter,
            transform: column.transform.clone(),
            combiner: column.combiner,
            on_out_of_range: column.on_out_of_range,
        });
    }
    let mut host_values = Vec::new();
    let (dense, outputs) = dense_of(function, Some(op), &feeds, &mut host, &mut host_values)?;
    let host = HostProgram { steps: host.steps, columns: sources, values: host_values, graph: Default::default(), schedule: Default::default() };
    Ok(Plan {
        dense,
        outputs,
        function: function.attribute("sym_name").ok().and_then(kit::string_value).map(|s| s.into_owned()).unwrap_or_default(),
        kernel,
        transform_kernel,
        feeds,
        host,
        tables: tables
            .iter()
            .zip(&offsets)
            .map(|(t, &o)| TableSlot {
                name: t.name.clone(),
                rows: t.rows as usize,
                dim: t.dim as usize,
                pitch: row_pitch(t.dim) as usize,
                offset: o as usize,
            })
            .collect(),
        columns: plans,
        width: columns.iter().map(|c| c.dim as usize).sum(),
        columns_meta: encode_columns(&columns),
        items: encode_items(&columns, per_item),
        per_item,
        rows_per_item,
        index_bits: index_bits as u32,
        shapes: shape_program(function, &ids, &row_offsets)?,
        sharding: None,
    })
}

/// The layer's host shape program: the `symshape.shape_construct` with
/// `roles` (made by `emb-shape-construct`) whose symbols are dims of the
/// layer's packed inputs. `None` where the pipeline made none.
fn shape_program(function: OperationRef, ids: &[Value], offsets: &[Value]) -> Result<Option<ShapeProgram>, Diagnostic> {
    let mut found = None;
    function.walk(WalkOrder::PreOrder, |op| {
        if recom_symshape::ShapeConstructOp::wrap(op).is_some() && op.has_attribute("roles") && found.is_none() {
            found = Some(op.to_raw());
        }
        WalkResult::Advance
    });
    let Some(raw) = found else { return Ok(None) };
    let op = unsafe { OperationRef::from_raw(raw) };
    let construct = recom_symshape::ShapeConstructOp::wrap(op).expect("found by wrap");
    let same = |a: Value, b: &Value| a.to_raw().ptr == b.to_raw().ptr;
    let symbols = construct
        .symbols()
        .enumerate()
        .map(|(i, s)| {
            let refuse = |why: &str| error_at(op, format!("symbol {i} of the layer's shape program {why}"));
            let symbol = defining(s).and_then(recom_symshape::SymbolOp::wrap).ok_or_else(|| refuse("is not a symshape.symbol"))?;
            let source = symbol.source().ok_or_else(|| refuse("has no source value"))?;
            if let Some(c) = offsets.iter().position(|o| same(source, o)) {
                return Ok(ShapeSymbol::OffsetsLen(c));
            }
            ids.iter().position(|v| same(source, v)).map(ShapeSymbol::IdsLen).ok_or_else(|| refuse("is not a size of a column's ids or row offsets"))
        })
        .collect::<Result<Vec<_>, Diagnostic>>()?;
    let exprs = construct.expr_texts().map_err(attr_error(op))?.into_iter().map(|e| e.into_owned()).collect();
    let roles = kit::str_array_attr(&op, "roles").map_err(attr_error(op))?.into_iter().map(|r| r.into_owned()).collect();
    Ok(Some(ShapeProgram { symbols, exprs, roles }))
}

/// Builds the dense program by following the model function's results back
/// to the embedding layer (`fused`), the model's f32 inputs and weights.
struct DenseBuilder<'c, 'a, 'h> {
    function: OperationRef<'c, 'a>,
    /// The embedding layer (none in a host-only plan).
    fused: Option<OperationRef<'c, 'a>>,
    feeds: &'a [FeedSpec],
    program: DenseProgram,
    made: HashMap<*const std::ffi::c_void, Operand>,
    /// Values the host computes for the dense program (emb.tf_output).
    host: &'h mut HostBuilder<'c, 'a>,
    host_values: &'h mut Vec<recom_host::HostValue>,
}

impl<'c, 'a> DenseBuilder<'c, 'a, '_> {
    fn weight(&mut self, user: OperationRef<'c, 'a>, value: Value<'c, 'a>) -> Result<usize, Diagnostic> {
        let op = defining(value)
            .and_then(dense::WeightOp::wrap)
            .ok_or_else(|| error_at(user, format!("the weight operand comes from {}, not dense.weight", producer(value))))?;
        let name = op.name().map_err(attr_error(op.op()))?.into_owned();
        let shape = kit::TensorInfo::of(value.r#type()).map(|t| t.shape.iter().map(|d| d.unwrap_or(0) as usize).collect()).unwrap_or_default();
        if let Some(i) = self.program.weights.iter().position(|w| w.name == name) {
            if self.program.weights[i].shape != shape {
                return Err(error_at(op.op(), format!("weight '{name}' is used with shapes {:?} and {shape:?}", self.program.weights[i].shape)));
            }
            return Ok(i);
        }
        self.program.weights.push(WeightSpec { name, shape });
        Ok(self.program.weights.len() - 1)
    }

    fn width(op: OperationRef<'c, 'a>, value: Value<'c, 'a>) -> Result<usize, Diagnostic> {
        match dense::Kind::of(value.r#type()) {
            Some(dense::Kind::Batched { width }) => Ok(width as usize),
            _ => Err(error_at(op, format!("'{}' op result {} is not a batched f32 tensor", op_name(op), value.r#type()))),
        }
    }

    fn push(&mut self, op: OperationRef<'c, 'a>, step: Step) -> Operand {
        self.program.steps.push(step);
        let operand = Operand::Step(self.program.steps.len() - 1);
        self.made.insert(op.to_raw().ptr.cast_const(), operand);
        operand
    }

    /// `value` as an operand of the dense program.
    fn operand(&mut self, user: OperationRef<'c, 'a>, value: Value<'c, 'a>) -> Result<Operand, Diagnostic> {
        if let Some(argument) = recom_ir::ext::block_argument(value) {
            let n = argument.argument_number();
            let is_model_input = argument.owner().parent_operation().is_some_and(|f| f.to_raw().ptr == self.function.to_raw().ptr);
            return match self.feeds.get(n) {
                Some(spec) if is_model_input && spec.dtype == FeedType::F32 => Ok(Operand::Feed(n)),
                _ => Err(error_at(user, format!("reads block argument {n}, which is not an f32 model input"))),
            };
        }
        let op = defining(value).ok_or_else(|| error_at(user, "reads a value with no producer"))?;
        if self.fused.is_some_and(|f| op.to_raw().ptr == f.to_raw().ptr) {
            return Ok(Operand::Embedding);
        }
        if let Some(&made) = self.made.get(&op.to_raw().ptr.cast_const()) {
            return Ok(made);
        }
        let width = |v| Self::width(op, v);
        if let Some(linear) = dense::LinearOp::wrap(op) {
            let input = self.operand(op, linear.input())?;
            let weight = self.weight(op, linear.weight())?;
            let bias = linear.bias().map(|b| self.weight(op, b)).transpose()?;
            let activation = linear.activation().map_err(attr_error(op))?;
            let transpose_weight = linear.transpose_weight().map_err(attr_error(op))?;
            let step = Step::Linear { input, weight, bias, activation, transpose_weight, width: width(linear.output())? };
            return Ok(self.push(op, step));
        }
        if let Some(map) = dense::MapOp::wrap(op) {
            let expr = map.expr().map_err(attr_error(op))?.to_string();
            let inputs = map.inputs().into_iter().map(|v| self.operand(op, v)).collect::<Result<Vec<_>, _>>()?;
            let step = Step::Map { inputs, expr, width: width(map.output())? };
            return Ok(self.push(op, step));
        }
        if let Some(concat) = dense::ConcatOp::wrap(op) {
            // A chain of binary concatenations is one step.
            let mut inputs = Vec::new();
            for side in [concat.lhs(), concat.rhs()] {
                match self.operand(op, side)? {
                    Operand::Step(s) if defining(side).and_then(dense::ConcatOp::wrap).is_some() => match &self.program.steps[s] {
                        Step::Concat { inputs: inner, .. } => inputs.extend(inner.iter().copied()),
                        _ => inputs.push(Operand::Step(s)),
                    },
                    other => inputs.push(other),
                }
            }
            let step = Step::Concat { inputs, width: width(concat.output())? };
            return Ok(self.push(op, step));
        }
        if let Some(reduce) = dense::ReduceOp::wrap(op) {
            let input = self.operand(op, reduce.input())?;
            let reduction = reduce.reduction().map_err(attr_error(op))?;
            return Ok(self.push(op, Step::Reduce { input, reduction, width: width(reduce.output())? }));
        }
        // No data moves: the operand is the input's.
        if let Some(reshape) = dense::ReshapeOp::wrap(op) {
            return self.operand(op, reshape.input());
        }
        if recom_emb::TfOutputOp::wrap(op).is_some() {
            let value_ref = self.host.value(user, "a host value of the dense program", value)?;
            let width = Self::width(op, value)?;
            let index = match self.host_values.iter().position(|v| v.value == value_ref) {
                Some(i) => i,
                None => {
                    self.host_values.push(recom_host::HostValue { value: value_ref, width });
                    self.host_values.len() - 1
                }
            };
            return Ok(Operand::Host(index));
        }
        if let Some(broadcast) = dense::BroadcastOp::wrap(op) {
            let input = broadcast.input();
            if defining(input).and_then(dense::WeightOp::wrap).is_some() {
                return Ok(Operand::Weight(self.weight(op, input)?));
            }
            return self.operand(op, input);
        }
        Err(error_at(user, format!("reads {}, which is neither the embedding layer, a model input nor a dense op", producer(value))))
    }
}

/// The dense program and the outputs: every result of the model function.
fn dense_of<'c, 'a>(
    function: OperationRef<'c, 'a>,
    fused: Option<OperationRef<'c, 'a>>,
    feeds: &'a [FeedSpec],
    host: &mut HostBuilder<'c, 'a>,
    host_values: &mut Vec<recom_host::HostValue>,
) -> Result<(DenseProgram, Vec<OutputSpec>), Diagnostic> {
    use melior::ir::{
        attribute::{ArrayAttribute, DictionaryAttribute},
        BlockLike, RegionLike,
    };
    let block = function.region(0).ok().and_then(|r| r.first_block()).ok_or_else(|| error_at(function, "the model function has no body"))?;
    let ret = block.terminator().ok_or_else(|| error_at(function, "the model function has no return"))?;
    let ret = unsafe { OperationRef::from_raw(ret.to_raw()) };
    let names = function.attribute("res_attrs").ok().and_then(|a| ArrayAttribute::try_from(a).ok());
    let mut builder = DenseBuilder { function, fused, feeds, program: DenseProgram::default(), made: HashMap::new(), host, host_values };
    let mut outputs = Vec::new();
    for i in 0..ret.operand_count() {
        let value: Value = ret.operand(i).expect("counted");
        let value = unsafe { Value::from_raw(value.to_raw()) };
        let name = names
            .as_ref()
            .and_then(|a| a.element(i).ok())
            .and_then(|d| DictionaryAttribute::try_from(d).ok())
            .and_then(|d| d.element_by_name("recom.output"))
            .and_then(kit::string_value)
            .map(|s| s.into_owned())
            .unwrap_or_else(|| format!("output{i}"));
        let source = builder.operand(ret, value).map_err(|d| Diagnostic { message: format!("output '{name}': {}", d.message), ..d })?;
        let shape = kit::TensorInfo::of(value.r#type()).map(|t| t.shape.iter().map(|d| d.unwrap_or(-1)).collect()).unwrap_or_default();
        outputs.push(OutputSpec { name, source, shape });
    }
    Ok((builder.program, outputs))
}

/// The function's arguments as model inputs: element type, static shape and
/// the `recom.feed` name (`arg<N>` without one).
fn feed_specs(func: OperationRef) -> Vec<FeedSpec> {
    use melior::ir::{
        attribute::{ArrayAttribute, DictionaryAttribute},
        BlockLike, RegionLike,
    };
    let Some(block) = func.region(0).ok().and_then(|r| r.first_block()) else { return Vec::new() };
    let arg_attrs = func.attribute("arg_attrs").ok().and_then(|a| ArrayAttribute::try_from(a).ok());
    (0..block.argument_count())
        .map(|i| {
            let argument = block.argument(i).expect("counted");
            let name = arg_attrs
                .as_ref()
                .and_then(|a| a.element(i).ok())
                .and_then(|d| DictionaryAttribute::try_from(d).ok())
                .and_then(|d| d.element_by_name("recom.feed"))
                .and_then(kit::string_value)
                .map(|s| s.into_owned())
                .unwrap_or_else(|| format!("arg{i}"));
            let ty = argument.r#type();
            let dtype = match kit::Elem::element_of(ty) {
                kit::Elem::Str => FeedType::Str,
                kit::Elem::F32 => FeedType::F32,
                _ => FeedType::I64,
            };
            let shape = kit::TensorInfo::of(ty).map(|t| t.shape.iter().map(|d| d.unwrap_or(-1)).collect());
            FeedSpec { name, dtype, shape }
        })
        .collect()
}

/// The plan as JSON laid out for reading and for FileCheck: the plan's
/// fields and the host program's one per line, each element of a list of
/// records (feeds, steps, tables, columns) on a line of its own, everything
/// below that compact.
pub fn plan_json(plan: &Plan) -> String {
    fn write(value: &serde_json::Value, depth: usize, indent: usize, out: &mut String) {
        use serde_json::Value;
        let pad = |n: usize| " ".repeat(2 * n);
        match value {
            Value::Object(fields) if depth < 2 && !fields.is_empty() => {
                out.push_str("{\n");
                for (i, (key, field)) in fields.iter().enumerate() {
                    out.push_str(&format!("{}{}: ", pad(indent + 1), Value::String(key.clone())));
                    write(field, depth + 1, indent + 1, out);
                    out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
                }
                out.push_str(&format!("{}}}", pad(indent)));
            }
            Value::Array(items) if depth < 3 && items.iter().any(|v| v.is_object()) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&format!("{}{item}", pad(indent + 1)));
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&format!("{}]", pad(indent)));
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let value = serde_json::to_value(plan).expect("plans serialize");
    let mut out = String::new();
    write(&value, 0, 0, &mut out);
    out.push('\n');
    out
}
