//! `emb-lower-fused-columns`: each `emb.fused_columns` gets a loop kernel,
//! a `func.func` over memrefs with one `scf.parallel` (device-agnostic: the
//! CPU JIT runs it as is, the GPU pipeline maps it to blocks and threads).
//!
//! Kernel signature (`llvm.emit_c_interface`):
//! ```text
//! @<func>_fused_<n>(%tables: memref<?xf32>, %ids: memref<?xi64>, %offsets: memref<?xi64>,
//!                   %weights: memref<?xf32>, %items: memref<?x2xi64>, %columns: memref<?xi64>,
//!                   %out: memref<?x?xf32>, %status: memref<1xi64>)
//! ```
//! `%columns` and `%items` are [`recom_emb::kernel_meta`]'s column and work-item
//! tables. The "element" schedule runs one iteration per (row r, work item):
//! an item is `elements-per-item` consecutive output elements of one column,
//! so the iteration walks the row's ids once and gathers that many floats of
//! each row it reads (independent loads in flight). Work is flat over rows ×
//! items, so columns of very different dims and bag lengths share one
//! balanced iteration space, and consecutive items read consecutive floats of
//! the same table row.
//!
//! Ids are never read out of bounds: filtered, negative and dropped ids are
//! skipped; an id >= rows with the `error` policy is skipped and reported by
//! an atomic max of `(column << 32 | row) + 1` into `%status[0]` (0 = no error).
//! The caller must have validated the offsets (monotone, within `%ids`).
//!
//! The op gets `kernel = @<name>` and `kernel_elements_per_item`; the host part
//! (packing, table binding) stays in the original function.
use melior::{
    dialect::arith::{CmpfPredicate, CmpiPredicate},
    ir::{
        attribute::{FlatSymbolRefAttribute, FloatAttribute, IntegerAttribute, StringAttribute, TypeAttribute},
        operation::{OperationBuilder, OperationLike, OperationMutLike, OperationRef, OperationRefMut, WalkOrder, WalkResult},
        r#type::{FunctionType, IntegerType, MemRefType},
        Attribute, Block, BlockLike, Identifier, Location, Region, RegionLike, Type, Value,
    },
    Context,
};
use recom_emb::{kernel_meta::field, FusedColumnsOp};
use recom_ir::{diagnostics::emit_error, registry::PassFailure, OptionDef, OptionKind, OptionValues, PassDef};

pub static PASS: PassDef = PassDef {
    argument: "emb-lower-fused-columns",
    name: "EmbLowerFusedColumns",
    summary: "Lower each emb.fused_columns to a loop kernel (func.func with scf.parallel over memrefs)",
    description: "Creates one kernel function per emb.fused_columns and records it in the op's `kernel` attribute.",
    anchor: Some("builtin.module"),
    options: &[OptionDef {
        name: "elements-per-item",
        description: "consecutive output elements one iteration computes (1-8)",
        kind: OptionKind::Int,
        default: "4",
    }],
    run,
};

fn run(options: &OptionValues, module: OperationRef) -> Result<(), PassFailure> {
    let per_item = options.int("elements-per-item");
    if !(1..=8).contains(&per_item) {
        emit_error(module.location(), &format!("emb-lower-fused-columns: elements-per-item must be 1-8, got {per_item}"));
        return Err(PassFailure);
    }
    // `to_ref` borrows the ContextRef: keep it alive for as long as `context`.
    let context_ref = module.context();
    let context = unsafe { context_ref.to_ref() };
    let mut fused = Vec::new();
    module.walk(WalkOrder::PreOrder, |op| {
        if FusedColumnsOp::wrap(op).is_some() {
            fused.push(op.to_raw());
        }
        WalkResult::Advance
    });
    let mut failed = false;
    for (n, raw) in fused.into_iter().enumerate() {
        let op = unsafe { OperationRef::from_raw(raw) };
        let view = FusedColumnsOp::wrap(op).unwrap();
        if view.kernel().is_some() {
            continue;
        }
        if let Err(e) = view.columns() {
            emit_error(op.location(), &format!("'emb.fused_columns' op {e}"));
            failed = true;
            continue;
        }
        // The enclosing function, directly in the module.
        let mut func = op;
        while let Some(parent) = func.parent_operation() {
            if parent.to_raw().ptr == module.to_raw().ptr {
                break;
            }
            func = parent;
        }
        let parent_name = func
            .attribute("sym_name")
            .ok()
            .and_then(|a| StringAttribute::try_from(a).ok())
            .map(|s| recom_opkit::string_value(s.into()).unwrap_or_default().into_owned())
            .unwrap_or_else(|| "module".into());
        let name = format!("{parent_name}_fused_{n}");
        let kernel = build_kernel(context, op.location(), &name, per_item as usize);
        // Insert the kernel right after the function that uses it.
        let block = func.block().expect("functions live in the module body");
        block.insert_operation_after(func, kernel);
        let mut op_mut = unsafe { OperationRefMut::from_raw(raw) };
        op_mut.set_attribute("kernel", FlatSymbolRefAttribute::new(context, &name).into());
        op_mut.set_attribute("kernel_elements_per_item", recom_opkit::i64(context, per_item));
    }
    if failed {
        Err(PassFailure)
    } else {
        Ok(())
    }
}

/// A tiny emitter: appends ops to one block and returns their results.
struct Emit<'c, 'b> {
    context: &'c Context,
    location: Location<'c>,
    block: &'b Block<'c>,
}

impl<'c, 'b> Emit<'c, 'b> {
    fn op(&self, name: &str, operands: &[Value<'c, '_>], attrs: &[(&str, Attribute<'c>)], results: Option<&[Type<'c>]>) -> Option<Value<'c, 'b>> {
        let attrs: Vec<(Identifier<'c>, Attribute<'c>)> =
            attrs.iter().map(|(n, a)| (Identifier::new(self.context, n), *a)).collect();
        let mut builder = OperationBuilder::new(name, self.location).add_operands(operands).add_attributes(&attrs);
        builder = match results {
            Some(types) => builder.add_results(types),
            None => builder.enable_result_type_inference(),
        };
        let op = self.block.append_operation(builder.build().unwrap_or_else(|e| panic!("building {name}: {e}")));
        op.result(0).ok().map(Into::into)
    }
    fn v(&self, name: &str, operands: &[Value<'c, '_>]) -> Value<'c, 'b> {
        self.op(name, operands, &[], None).expect("one result")
    }
    fn index(&self, value: i64) -> Value<'c, 'b> {
        let t = Type::index(self.context);
        self.op("arith.constant", &[], &[("value", IntegerAttribute::new(t, value).into())], Some(&[t])).unwrap()
    }
    fn i64(&self, value: i64) -> Value<'c, 'b> {
        let t: Type = IntegerType::new(self.context, 64).into();
        self.op("arith.constant", &[], &[("value", IntegerAttribute::new(t, value).into())], Some(&[t])).unwrap()
    }
    fn f32(&self, value: f64) -> Value<'c, 'b> {
        let t = Type::float32(self.context);
        self.op("arith.constant", &[], &[("value", FloatAttribute::new(self.context, t, value).into())], Some(&[t])).unwrap()
    }
    fn cmpi(&self, predicate: CmpiPredicate, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        let t = IntegerType::new(self.context, 64).into();
        let p = IntegerAttribute::new(t, predicate as i64).into();
        self.op("arith.cmpi", &[a, b], &[("predicate", p)], Some(&[IntegerType::new(self.context, 1).into()])).unwrap()
    }
    fn cmpf(&self, predicate: CmpfPredicate, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        let t = IntegerType::new(self.context, 64).into();
        let p = IntegerAttribute::new(t, predicate as i64).into();
        self.op("arith.cmpf", &[a, b], &[("predicate", p)], Some(&[IntegerType::new(self.context, 1).into()])).unwrap()
    }
    fn select(&self, c: Value<'c, '_>, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.select", &[c, a, b])
    }
    fn to_index(&self, v: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("arith.index_cast", &[v], &[], Some(&[Type::index(self.context)])).unwrap()
    }
    fn to_i64(&self, v: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("arith.index_cast", &[v], &[], Some(&[IntegerType::new(self.context, 64).into()])).unwrap()
    }
    fn load(&self, memref: Value<'c, '_>, indices: &[Value<'c, '_>]) -> Value<'c, 'b> {
        let mut operands = vec![memref];
        operands.extend_from_slice(indices);
        self.v("memref.load", &operands)
    }
    fn meta(&self, meta: Value<'c, '_>, base: Value<'c, '_>, field: usize) -> Value<'c, 'b> {
        let at = self.v("arith.addi", &[base, self.index(field as i64)]);
        self.load(meta, &[at])
    }
    fn yield_(&self, values: &[Value<'c, '_>]) {
        self.op("scf.yield", values, &[], Some(&[]));
    }
}

fn build_kernel<'c>(context: &'c Context, location: Location<'c>, name: &str, per_item: usize) -> melior::ir::Operation<'c> {
    let f32t = Type::float32(context);
    let i64t: Type = IntegerType::new(context, 64).into();
    let index = Type::index(context);
    let dyn1 = |t| MemRefType::new(t, &[i64::MIN], None, None).into();
    let items_t: Type = MemRefType::new(i64t, &[i64::MIN, 2], None, None).into();
    let out_t: Type = MemRefType::new(f32t, &[i64::MIN, i64::MIN], None, None).into();
    let status_t: Type = MemRefType::new(i64t, &[1], None, None).into();
    let arg_types: Vec<Type> =
        vec![dyn1(f32t), dyn1(i64t), dyn1(i64t), dyn1(f32t), items_t, dyn1(i64t), out_t, status_t];

    let entry = Block::new(&arg_types.iter().map(|&t| (t, location)).collect::<Vec<_>>());
    let arg = |i: usize| -> Value { entry.argument(i).unwrap().into() };
    let (tables, ids, offsets, weights, items, meta, out, status) =
        (arg(0), arg(1), arg(2), arg(3), arg(4), arg(5), arg(6), arg(7));
    let e = Emit { context, location, block: &entry };
    let c0 = e.index(0);
    let c1 = e.index(1);
    let batch = e.v("memref.dim", &[out, c0]);
    let num_items = e.v("memref.dim", &[items, c0]);

    // scf.parallel (%r, %item) = (0, 0) to (B, items) step (1, 1)
    let body = Block::new(&[(index, location), (index, location)]);
    {
        let b = Emit { context, location, block: &body };
        let r: Value = body.argument(0).unwrap().into();
        let item: Value = body.argument(1).unwrap().into();
        let col = b.to_index(b.load(items, &[item, c0]));
        let d0 = b.load(items, &[item, c1]);
        let base = b.v("arith.muli", &[col, b.index(recom_emb::kernel_meta::FIELDS as i64)]);
        let table_offset = b.meta(meta, base, field::TABLE_OFFSET);
        let dim = b.meta(meta, base, field::DIM);
        let rows = b.meta(meta, base, field::ROWS);
        let out_offset = b.meta(meta, base, field::OUT_OFFSET);
        let combiner = b.meta(meta, base, field::COMBINER);
        let weighted = b.meta(meta, base, field::WEIGHTED);
        let oor = b.meta(meta, base, field::ON_OUT_OF_RANGE);
        let default_id = b.meta(meta, base, field::DEFAULT_ID);
        let filter_lo = b.meta(meta, base, field::FILTER_LO);
        let filter_hi = b.meta(meta, base, field::FILTER_HI);
        let filter_default = b.meta(meta, base, field::FILTER_DEFAULT);
        // Element j of the item is d0 + j if that is < dim; past the dim it
        // re-reads element d0 (in bounds) and is not stored.
        let lanes: Vec<(Value, Value)> = (0..per_item as i64)
            .map(|j| {
                let dj = b.v("arith.addi", &[d0, b.i64(j)]);
                let valid = b.cmpi(CmpiPredicate::Slt, dj, dim);
                (valid, b.select(valid, dj, d0))
            })
            .collect();
        // This row's bag: offsets[col * (B + 1) + r] .. offsets[... + 1].
        let slot = b.v("arith.addi", &[b.v("arith.muli", &[col, b.v("arith.addi", &[batch, c1])]), r]);
        let start = b.to_index(b.load(offsets, &[slot]));
        let end = b.to_index(b.load(offsets, &[b.v("arith.addi", &[slot, c1])]));
        let zero_i = b.i64(0);
        let is_sum = b.cmpi(CmpiPredicate::Eq, combiner, zero_i);
        let is_weighted = b.cmpi(CmpiPredicate::Ne, weighted, zero_i);
        let is_error_policy = b.cmpi(CmpiPredicate::Eq, oor, zero_i);
        let is_default_policy = b.cmpi(CmpiPredicate::Eq, oor, b.i64(2));
        let minus_one = b.i64(-1);
        let zero_f = b.f32(0.0);

        // scf.for %j = start to end iter_args(acc_0 .. acc_{V-1}, sum_w, sum_w2)
        let carried = per_item + 2;
        let mut loop_args = vec![(index, location)];
        loop_args.extend(std::iter::repeat_n((f32t, location), carried));
        let loop_body = Block::new(&loop_args);
        {
            let l = Emit { context, location, block: &loop_body };
            let j: Value = loop_body.argument(0).unwrap().into();
            let accs: Vec<Value> = (0..per_item).map(|i| loop_body.argument(1 + i).unwrap().into()).collect();
            let sum_w: Value = loop_body.argument(1 + per_item).unwrap().into();
            let sum_w2: Value = loop_body.argument(2 + per_item).unwrap().into();
            let id0 = l.load(ids, &[j]);
            // w = weighted ? weights[j] : 1 (never touches %weights for unweighted columns)
            let then_block = Block::new(&[]);
            let t = Emit { context, location, block: &then_block };
            t.yield_(&[t.load(weights, &[j])]);
            let else_block = Block::new(&[]);
            let el = Emit { context, location, block: &else_block };
            el.yield_(&[el.f32(1.0)]);
            let (then_region, else_region) = (Region::new(), Region::new());
            then_region.append_block(then_block);
            else_region.append_block(else_block);
            let w: Value = loop_body
                .append_operation(melior::dialect::scf::r#if(is_weighted, &[f32t], then_region, else_region, location))
                .result(0)
                .unwrap()
                .into();
            let weight_ok = l.v("arith.ori", &[is_sum, l.cmpf(CmpfPredicate::Ogt, w, zero_f)]);
            let in_filter = l.v(
                "arith.andi",
                &[l.cmpi(CmpiPredicate::Sge, id0, filter_lo), l.cmpi(CmpiPredicate::Slt, id0, filter_hi)],
            );
            let id1 = l.select(in_filter, id0, filter_default);
            let live = l.v("arith.andi", &[weight_ok, l.cmpi(CmpiPredicate::Sge, id1, zero_i)]);
            let out_of_range = l.cmpi(CmpiPredicate::Sge, id1, rows);
            let replacement = l.select(is_default_policy, default_id, minus_one);
            let id2 = l.select(out_of_range, replacement, id1);
            let keep = l.v("arith.andi", &[live, l.cmpi(CmpiPredicate::Sge, id2, zero_i)]);
            // Report an out-of-range id under the error policy.
            let report = l.v("arith.andi", &[l.v("arith.andi", &[live, out_of_range]), is_error_policy]);
            let report_block = Block::new(&[]);
            {
                let rb = Emit { context, location, block: &report_block };
                let code = rb.v(
                    "arith.addi",
                    &[rb.v("arith.ori", &[rb.v("arith.shli", &[rb.to_i64(col), rb.i64(32)]), rb.to_i64(r)]), rb.i64(1)],
                );
                // arith::AtomicRMWKind::maxu (codes are positive)
                let kind = IntegerAttribute::new(IntegerType::new(context, 64).into(), 7).into();
                rb.op("memref.atomic_rmw", &[code, status, c0], &[("kind", kind)], Some(&[i64t]));
                rb.yield_(&[]);
            }
            let report_region = Region::new();
            report_region.append_block(report_block);
            loop_body.append_operation(melior::dialect::scf::r#if(report, &[], report_region, Region::new(), location));
            // Accumulate kept ids: per_item independent loads from one table row.
            let keep_block = Block::new(&[]);
            {
                let kb = Emit { context, location, block: &keep_block };
                let row = kb.v("arith.addi", &[table_offset, kb.v("arith.muli", &[id2, dim])]);
                let mut next: Vec<Value> = lanes
                    .iter()
                    .zip(&accs)
                    .map(|((_, element), &acc)| {
                        let value = kb.load(tables, &[kb.to_index(kb.v("arith.addi", &[row, *element]))]);
                        kb.v("arith.addf", &[acc, kb.v("arith.mulf", &[w, value])])
                    })
                    .collect();
                next.push(kb.v("arith.addf", &[sum_w, w]));
                next.push(kb.v("arith.addf", &[sum_w2, kb.v("arith.mulf", &[w, w])]));
                kb.yield_(&next);
            }
            let skip_block = Block::new(&[]);
            let mut unchanged = accs.clone();
            unchanged.extend([sum_w, sum_w2]);
            Emit { context, location, block: &skip_block }.yield_(&unchanged);
            let (keep_region, skip_region) = (Region::new(), Region::new());
            keep_region.append_block(keep_block);
            skip_region.append_block(skip_block);
            let next = loop_body.append_operation(melior::dialect::scf::r#if(
                keep,
                &vec![f32t; carried],
                keep_region,
                skip_region,
                location,
            ));
            let next: Vec<Value> = next.results().map(Into::into).collect();
            l.yield_(&next);
        }
        let loop_region = Region::new();
        loop_region.append_block(loop_body);
        let mut for_operands = vec![start, end, c1];
        for_operands.extend(std::iter::repeat_n(zero_f, carried));
        let for_op = body.append_operation(
            OperationBuilder::new("scf.for", location)
                .add_operands(&for_operands)
                .add_results(&vec![f32t; carried])
                .add_regions([loop_region])
                .build()
                .expect("scf.for"),
        );
        let results: Vec<Value> = for_op.results().map(Into::into).collect();
        let (accs, sum_w, sum_w2) = (&results[..per_item], results[per_item], results[per_item + 1]);
        // divisor = mean ? Σw : sqrt(Σw²); sum (and empty bags) keep acc.
        let is_mean = b.cmpi(CmpiPredicate::Eq, combiner, b.i64(1));
        let divisor = b.select(is_mean, sum_w, b.v("math.sqrt", &[sum_w2]));
        let divide = b.v("arith.andi", &[b.cmpi(CmpiPredicate::Ne, combiner, zero_i), b.cmpf(CmpfPredicate::Ogt, divisor, zero_f)]);
        for ((valid, element), &acc) in lanes.iter().zip(accs) {
            let value = b.select(divide, b.v("arith.divf", &[acc, divisor]), acc);
            let store_block = Block::new(&[]);
            {
                let sb = Emit { context, location, block: &store_block };
                let k = sb.to_index(sb.v("arith.addi", &[out_offset, *element]));
                sb.op("memref.store", &[value, out, r, k], &[], Some(&[]));
                sb.yield_(&[]);
            }
            let store_region = Region::new();
            store_region.append_block(store_block);
            body.append_operation(melior::dialect::scf::r#if(*valid, &[], store_region, Region::new(), location));
        }
        b.op("scf.reduce", &[], &[], Some(&[]));
    }
    let body_region = Region::new();
    body_region.append_block(body);
    entry.append_operation(
        OperationBuilder::new("scf.parallel", location)
            .add_operands(&[c0, c0, batch, num_items, c1, c1])
            .add_attributes(&[(
                Identifier::new(context, "operandSegmentSizes"),
                recom_opkit::i32_array(context, &[2, 2, 2, 0]),
            )])
            .add_regions([body_region])
            .build()
            .expect("scf.parallel"),
    );
    entry.append_operation(melior::dialect::func::r#return(&[], location));

    let region = Region::new();
    region.append_block(entry);
    melior::dialect::func::func(
        context,
        StringAttribute::new(context, name),
        TypeAttribute::new(FunctionType::new(context, &arg_types, &[]).into()),
        region,
        &[(Identifier::new(context, "llvm.emit_c_interface"), Attribute::unit(context))],
        location,
    )
}
