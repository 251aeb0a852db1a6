//! `emb-lower-fused-columns`: each `emb.fused_columns` gets a loop kernel,
//! a `func.func` over memrefs with one `scf.parallel` (device-agnostic: the
//! CPU JIT runs it as is, the GPU pipeline maps it to blocks and threads).
//!
//! Kernel signature (`llvm.emit_c_interface`):
//! ```text
//! @<func>_fused_<n>(%tables: memref<?xf32>, %ids: memref<?xiN>, %offsets: memref<?xiN>,
//!                   %weights: memref<?xf32>, %items: memref<?x8xi64>, %columns: memref<?xi64>,
//!                   %out: memref<?x?xf32>, %status: memref<1xi64>)
//! ```
//! The signature is `recom_abi::kernel::Buffer::SIGNATURE`; `%columns` and
//! `%items` are [`recom_emb::kernel_meta`]'s column and work-item
//! tables. Ids and offsets are `iN` = i32 where every column's table rows and
//! filter bounds fit in 32 bits (`index-bits=0`, the default; the host packs
//! each id clamped into i32, which keeps its fate: negative, in range, at or
//! past the table's end, inside or outside the filter), else i64; the op gets
//! `kernel_index_bits`. The "element" schedule runs one iteration per (row r, work item):
//! an item is `elements-per-item` consecutive output elements of one column,
//! so the iteration walks the row's ids once and gathers that many floats of
//! each row it reads (independent loads in flight). Work is flat over rows ×
//! items, so columns of very different dims and bag lengths share one
//! balanced iteration space, and consecutive items read consecutive floats of
//! the same table row. With a multiple of 4 elements per item (4 is the
//! default) each id is one 16-byte vector load per 4 elements of the (padded,
//! aligned) table row.
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
        Attribute, Block, BlockLike, Identifier, Location, Region, RegionLike, ShapedTypeLike, Type, TypeLike, Value,
        ValueLike,
    },
    Context,
};
use recom_emb::{
    kernel_meta::{field, item as item_field_index, Buffer, ColumnKind, Dim, Elem},
    FusedColumnsOp,
};
use recom_ir::{diagnostics::emit_error, registry::PassFailure, OptionDef, OptionKind, OptionValues, PassDef};

pub static PASS: PassDef = PassDef {
    argument: "emb-lower-fused-columns",
    name: "EmbLowerFusedColumns",
    summary: "Lower each emb.fused_columns to a loop kernel (func.func with scf.parallel over memrefs)",
    description: "Creates one kernel function per emb.fused_columns and records it in the op's `kernel` attribute.",
    anchor: Some("builtin.module"),
    options: &[ELEMENTS_PER_ITEM, ROWS_PER_ITEM, IDS_PER_ITERATION, INDEX_BITS, PREFETCH_IDS],
    run,
};

/// The kernel's shape, as options (`recom-default` forwards them).
pub const ELEMENTS_PER_ITEM: OptionDef = OptionDef {
    name: "elements-per-item",
    description: "consecutive output elements one iteration computes (1-8; 0 = 8 where every column's dim is a multiple of 8, else 4)",
    kind: OptionKind::IntIn(0, 8),
    default: "0",
};
pub const ROWS_PER_ITEM: OptionDef = OptionDef {
    name: "rows-per-item",
    description: "consecutive rows one iteration computes the item for",
    kind: OptionKind::IntIn(1, 16),
    default: "1",
};
pub const IDS_PER_ITERATION: OptionDef = OptionDef {
    name: "ids-per-iteration",
    description: "ids of a bag gathered per bag-loop iteration, all loads issued before any is used",
    kind: OptionKind::IntIn(1, 16),
    default: "2",
};
pub const INDEX_BITS: OptionDef = OptionDef {
    name: "index-bits",
    description: "width of the packed ids and offsets the kernel reads: 32, 64, or 0 = 32 where every column's rows and filter bounds fit",
    kind: OptionKind::IntOf(&[0, 32, 64]),
    default: "0",
};
pub const PREFETCH_IDS: OptionDef = OptionDef {
    name: "prefetch-ids",
    description: "load the next iteration's ids while this iteration's rows are gathered (software pipelining)",
    kind: OptionKind::Bool,
    default: "true",
};

fn run(options: &OptionValues, module: OperationRef) -> Result<(), PassFailure> {
    // In range: checked when the pipeline was parsed.
    let per_item = options.int(&ELEMENTS_PER_ITEM);
    let rows_per_item = options.int(&ROWS_PER_ITEM);
    let index_bits = options.int(&INDEX_BITS);
    let unroll = options.int(&IDS_PER_ITERATION);
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
            .map(|s| recom_ir::kit::string_value(s.into()).unwrap_or_default().into_owned())
            .unwrap_or_else(|| "module".into());
        let name = format!("{parent_name}_fused_{n}");
        let columns = view.columns().expect("checked above");
        let per_item = if per_item == 0 { auto_elements_per_item(&columns) } else { per_item };
        let index_bits = match index_bits {
            0 if ids_fit_32_bits(&columns) => 32,
            0 => 64,
            32 if !ids_fit_32_bits(&columns) => {
                emit_error(
                    op.location(),
                    "emb-lower-fused-columns: index-bits=32, but a column's table rows or filter bounds do not fit in 32 bits",
                );
                failed = true;
                continue;
            }
            bits => bits,
        };
        let (kinds, _) = recom_emb::kernel_meta::kinds(&columns);
        let kernel = build_kernel(
            context,
            op.location(),
            &name,
            Shape {
                per_item: per_item as usize,
                rows_per_item: rows_per_item as usize,
                unroll: unroll as usize,
                prefetch: options.bool(&PREFETCH_IDS),
                index_bits: index_bits as u32,
            },
            &kinds,
        );
        // Insert the kernel right after the function that uses it.
        let block = func.block().expect("functions live in the module body");
        block.insert_operation_after(func, kernel);
        let mut op_mut = unsafe { OperationRefMut::from_raw(raw) };
        op_mut.set_attribute("kernel", FlatSymbolRefAttribute::new(context, &name).into());
        op_mut.set_attribute("kernel_elements_per_item", recom_ir::kit::i64(context, per_item));
        op_mut.set_attribute("kernel_rows_per_item", recom_ir::kit::i64(context, rows_per_item));
        op_mut.set_attribute("kernel_index_bits", recom_ir::kit::i64(context, index_bits));
    }
    if failed {
        Err(PassFailure)
    } else {
        Ok(())
    }
}

/// The default item width: 8 elements (two 16-byte loads per id) where
/// every column fills whole 8-wide items, else 4. On the H100 the wider items
/// were faster on the 500-column workloads in every run (c500 83-86 µs
/// against 85-90, Zipf 60-61 against 61-65; `bench/README.md`) at the cost
/// of about 1 µs on the 50-column one; a column whose dim is not a multiple
/// of 8 would leave lanes of its last item idle.
fn auto_elements_per_item(columns: &[recom_emb::FusedColumn]) -> i64 {
    if !columns.is_empty() && columns.iter().all(|c| c.dim % 8 == 0) {
        8
    } else {
        4
    }
}

/// Whether every id can be packed as an i32 without changing what the kernel
/// does with it: ids are clamped into i32 on the host, so an id past i32's
/// range must stay past every table's end and every filter's bounds.
fn ids_fit_32_bits(columns: &[recom_emb::FusedColumn]) -> bool {
    let fits = |v: i64| (i64::from(i32::MIN) + 1..=i64::from(i32::MAX)).contains(&v);
    columns.iter().all(|c| c.rows <= i64::from(i32::MAX) && c.filter.is_none_or(|f| fits(f.lo) && fits(f.hi)))
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
    /// A load with its natural alignment stated: without it, the NVPTX
    /// backend splits each i64 load into two 32-bit loads.
    fn load(&self, memref: Value<'c, '_>, indices: &[Value<'c, '_>]) -> Value<'c, 'b> {
        let mut operands = vec![memref];
        operands.extend_from_slice(indices);
        let element = MemRefType::try_from(memref.r#type()).expect("a memref").element();
        let bytes = if element.is_f32() || IntegerType::try_from(element).is_ok_and(|t| t.width() == 32) { 4 } else { 8 };
        let alignment = IntegerAttribute::new(IntegerType::new(self.context, 64).into(), bytes).into();
        self.op("memref.load", &operands, &[("alignment", alignment)], Some(&[element]))
            .expect("one result")
    }
    /// An id or offset as i64: the packed buffers hold i32 or i64.
    fn load_index(&self, memref: Value<'c, '_>, index: Value<'c, '_>) -> Value<'c, 'b> {
        let value = self.load(memref, &[index]);
        let i64t: Type = IntegerType::new(self.context, 64).into();
        if value.r#type() == i64t {
            value
        } else {
            self.op("arith.extsi", &[value], &[], Some(&[i64t])).unwrap()
        }
    }
    fn meta(&self, meta: Value<'c, '_>, base: Value<'c, '_>, field: usize) -> Value<'c, 'b> {
        let at = self.v("arith.addi", &[base, self.index(field as i64)]);
        self.load(meta, &[at])
    }
    fn vec4(&self) -> Type<'c> {
        unsafe { Type::from_raw(mlir_sys::mlirVectorTypeGet(1, [4i64].as_ptr(), Type::float32(self.context).to_raw())) }
    }
    fn splat(&self, scalar: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("vector.broadcast", &[scalar], &[], Some(&[self.vec4()])).unwrap()
    }
    /// Four consecutive floats at `index`, which is 16-byte aligned (rows are
    /// padded to multiples of 4 and items start at multiples of 4).
    fn load4(&self, memref: Value<'c, '_>, index: Value<'c, '_>) -> Value<'c, 'b> {
        let alignment = IntegerAttribute::new(IntegerType::new(self.context, 64).into(), 16).into();
        self.op("vector.load", &[memref, index], &[("alignment", alignment)], Some(&[self.vec4()])).unwrap()
    }
    /// Two consecutive i64 of row `row` of a `[n, 8]` i64 memref, starting at
    /// column `column` (even): one 16-byte load.
    fn load_i64x2(&self, memref: Value<'c, '_>, row: Value<'c, '_>, column: i64) -> Value<'c, 'b> {
        let i64t: Type = IntegerType::new(self.context, 64).into();
        let vec2 = unsafe { Type::from_raw(mlir_sys::mlirVectorTypeGet(1, [2i64].as_ptr(), i64t.to_raw())) };
        let alignment = IntegerAttribute::new(i64t, 16).into();
        self.op("vector.load", &[memref, row, self.index(column)], &[("alignment", alignment)], Some(&[vec2])).unwrap()
    }
    fn extract_i64(&self, vector: Value<'c, '_>, lane: i64) -> Value<'c, 'b> {
        let position = melior::ir::attribute::DenseI64ArrayAttribute::new(self.context, &[lane]).into();
        let i64t: Type = IntegerType::new(self.context, 64).into();
        self.op("vector.extract", &[vector], &[("static_position", position)], Some(&[i64t])).unwrap()
    }
    fn extract(&self, vector: Value<'c, '_>, lane: i64) -> Value<'c, 'b> {
        let position = melior::ir::attribute::DenseI64ArrayAttribute::new(self.context, &[lane]).into();
        self.op("vector.extract", &[vector], &[("static_position", position)], Some(&[Type::float32(self.context)]))
            .unwrap()
    }
    fn yield_(&self, values: &[Value<'c, '_>]) {
        self.op("scf.yield", values, &[], Some(&[]));
    }
}

/// The kernel's tiling: output elements and rows per work item, ids per
/// bag-loop iteration.
#[derive(Clone, Copy)]
struct Shape {
    per_item: usize,
    rows_per_item: usize,
    unroll: usize,
    /// Ids of the next iteration loaded during this one's gathers.
    prefetch: bool,
    /// Width of the packed ids and offsets (32 or 64).
    index_bits: u32,
}

/// Values of one work item that every kind's code uses.
struct Item<'c, 'b> {
    r: Value<'c, 'b>,
    col: Value<'c, 'b>,
    base: Value<'c, 'b>,
    /// Packed-tables index of the item's first element in row 0.
    table_base: Value<'c, 'b>,
    /// Elements between table rows (dim rounded up to 4).
    pitch: Value<'c, 'b>,
    rows: Value<'c, 'b>,
    /// Output column of the item's first element.
    out_base: Value<'c, 'b>,
    /// Per element: (stored?, offset from the item's first element).
    lanes: Vec<(Value<'c, 'b>, Value<'c, 'b>)>,
    start: Value<'c, 'b>,
    end: Value<'c, 'b>,
}

/// The buffers of the kernel.
struct Buffers<'c, 'b> {
    tables: Value<'c, 'b>,
    ids: Value<'c, 'b>,
    weights: Value<'c, 'b>,
    meta: Value<'c, 'b>,
    out: Value<'c, 'b>,
    status: Value<'c, 'b>,
}

/// The bag loop and stores of one work item, specialized for `kind`: code
/// for weights, filters, pruning and out-of-range policies is only emitted
/// where the kind needs it.
fn emit_bag<'c>(e: &Emit<'c, '_>, bufs: &Buffers<'c, '_>, item: &Item<'c, '_>, kind: ColumnKind, unroll: usize, prefetch: bool) {
    use recom_emb::{Combiner::*, OutOfRangeKind as Policy};
    let (context, location) = (e.context, e.location);
    let f32t = Type::float32(context);
    let i64t: Type = IntegerType::new(context, 64).into();
    let index = Type::index(context);
    let c0 = e.index(0);
    let zero_i = e.i64(0);
    let zero_f = e.f32(0.0);
    let filter = kind.filtered.then(|| {
        (
            e.meta(bufs.meta, item.base, field::FILTER_LO),
            e.meta(bufs.meta, item.base, field::FILTER_HI),
            e.meta(bufs.meta, item.base, field::FILTER_DEFAULT),
        )
    });
    let default_id = (kind.policy == Policy::Default).then(|| e.meta(bufs.meta, item.base, field::DEFAULT_ID));
    let per_item = item.lanes.len();
    // With a multiple of 4 elements per item, one vector<4xf32> accumulator and
    // one 16-byte load per id and 4 elements; otherwise one f32 accumulator and load per element.
    let vectorized = per_item.is_multiple_of(4);
    let acc_t = if vectorized { e.vec4() } else { f32t };
    let accs = if vectorized { per_item / 4 } else { per_item };
    // Carried: the accumulators, then Σw (mean) or Σw² (sqrtn).
    let carried = accs + usize::from(kind.combiner != Sum);
    let mut carried_types: Vec<Type> =
        (0..carried).map(|i| if i < accs { acc_t } else { f32t }).collect();
    // With prefetching, the loop also carries the raw ids (and weights) of
    // its iteration, loaded by the one before (or before the loop).
    let raw = if prefetch { unroll } else { 0 };
    carried_types.extend((0..raw).map(|_| i64t));
    if kind.weighted {
        carried_types.extend((0..raw).map(|_| f32t));
    }

    let mut loop_args = vec![(index, location)];
    loop_args.extend(carried_types.iter().map(|&t| (t, location)));
    let loop_body = Block::new(&loop_args);
    {
        let l = Emit { context, location, block: &loop_body };
        let j: Value = loop_body.argument(0).unwrap().into();
        let carried_in: Vec<Value> = (1..=carried).map(|i| loop_body.argument(i).unwrap().into()).collect();
        let raw_in: Vec<Value> = (carried + 1..loop_body.argument_count()).map(|i| loop_body.argument(i).unwrap().into()).collect();
        // `unroll` ids per iteration, each read at a clamped (in-bounds) index and
        // masked: all table loads of an iteration are issued before any is
        // used, so each thread has several gathers in flight.
        let mut ids = Vec::with_capacity(unroll);
        for u in 0..unroll {
            let (index_u, present) = if u == 0 {
                (j, None)
            } else {
                let ju = l.v("arith.addi", &[j, l.index(u as i64)]);
                let present = l.op(
                    "arith.cmpi",
                    &[ju, item.end],
                    &[("predicate", IntegerAttribute::new(IntegerType::new(context, 64).into(), CmpiPredicate::Slt as i64).into())],
                    Some(&[IntegerType::new(context, 1).into()]),
                )
                .unwrap();
                (l.select(present, ju, j), Some(present))
            };
            let (id0, w) = if prefetch {
                (raw_in[u], if kind.weighted { raw_in[unroll + u] } else { l.f32(1.0) })
            } else {
                (l.load_index(bufs.ids, index_u), if kind.weighted { l.load(bufs.weights, &[index_u]) } else { l.f32(1.0) })
            };
            let id1 = match filter {
                Some((lo, hi, default)) => {
                    let inside =
                        l.v("arith.andi", &[l.cmpi(CmpiPredicate::Sge, id0, lo), l.cmpi(CmpiPredicate::Slt, id0, hi)]);
                    l.select(inside, id0, default)
                }
                None => id0,
            };
            let mut live = l.cmpi(CmpiPredicate::Sge, id1, zero_i);
            if kind.combiner != Sum && kind.weighted {
                live = l.v("arith.andi", &[live, l.cmpf(CmpfPredicate::Ogt, w, zero_f)]);
            }
            if let Some(present) = present {
                live = l.v("arith.andi", &[live, present]);
            }
            let out_of_range = l.cmpi(CmpiPredicate::Sge, id1, item.rows);
            let (id2, keep) = match kind.policy {
                Policy::Default => (l.select(out_of_range, default_id.unwrap(), id1), live),
                Policy::Drop | Policy::Error => {
                    let in_range = l.cmpi(CmpiPredicate::Slt, id1, item.rows);
                    (id1, l.v("arith.andi", &[live, in_range]))
                }
            };
            let report = (kind.policy == Policy::Error).then(|| l.v("arith.andi", &[live, out_of_range]));
            // A dropped id reads the item's element in row 0 instead (in bounds).
            let row = l.v("arith.addi", &[item.table_base, l.v("arith.muli", &[id2, item.pitch])]);
            let row = l.select(keep, row, item.table_base);
            ids.push((w, keep, row, report));
        }
        // All gathers first...
        let values: Vec<Vec<Value>> = ids
            .iter()
            .map(|&(_, _, row, _)| {
                if vectorized {
                    // Group g starts at lane 4g's element (0 when the group is
                    // past the item's valid width: re-read, never stored).
                    (0..accs)
                        .map(|g| {
                            let at = if g == 0 { row } else { l.v("arith.addi", &[row, item.lanes[4 * g].1]) };
                            l.load4(bufs.tables, l.to_index(at))
                        })
                        .collect()
                } else {
                    item.lanes
                        .iter()
                        .map(|(_, element)| l.load(bufs.tables, &[l.to_index(l.v("arith.addi", &[row, *element]))]))
                        .collect()
                }
            })
            .collect();
        // The next iteration's ids, while the gathers are in flight: at
        // j + unroll + u when inside the bag, else at j (in bounds, unused).
        let next_raw: Vec<Value> = if prefetch {
            let jn = l.v("arith.addi", &[j, l.index(unroll as i64)]);
            raw_ids(&l, bufs, jn, j, item.end, kind.weighted, unroll)
        } else {
            Vec::new()
        };
        // ...then the accumulation, in id order (as the reference does).
        let mut next = carried_in.clone();
        let zero_acc = if vectorized { l.splat(zero_f) } else { zero_f };
        for (&(w, keep, _, _), values) in ids.iter().zip(&values) {
            for (acc, &value) in next[..accs].iter_mut().zip(values) {
                let term = match (kind.weighted, vectorized) {
                    (false, _) => value,
                    (true, true) => l.v("arith.mulf", &[l.splat(w), value]),
                    (true, false) => l.v("arith.mulf", &[w, value]),
                };
                *acc = l.v("arith.addf", &[*acc, l.select(keep, term, zero_acc)]);
            }
            let kept_w = l.select(keep, w, zero_f);
            match kind.combiner {
                Sum => {}
                Mean => next[accs] = l.v("arith.addf", &[next[accs], kept_w]),
                Sqrtn => next[accs] = l.v("arith.addf", &[next[accs], l.v("arith.mulf", &[kept_w, kept_w])]),
            }
        }
        // Out-of-range ids under the error policy: reported, never read.
        for &(_, _, _, report) in &ids {
            let Some(report) = report else { continue };
            let report_block = Block::new(&[]);
            {
                let rb = Emit { context, location, block: &report_block };
                let code = rb.v(
                    "arith.addi",
                    &[rb.v("arith.ori", &[rb.v("arith.shli", &[rb.to_i64(item.col), rb.i64(32)]), rb.to_i64(item.r)]), rb.i64(1)],
                );
                // arith::AtomicRMWKind::maxu (codes are positive)
                let kind = IntegerAttribute::new(IntegerType::new(context, 64).into(), 7).into();
                rb.op("memref.atomic_rmw", &[code, bufs.status, c0], &[("kind", kind)], Some(&[i64t]));
                rb.yield_(&[]);
            }
            let report_region = Region::new();
            report_region.append_block(report_block);
            loop_body.append_operation(melior::dialect::scf::r#if(report, &[], report_region, Region::new(), location));
        }
        next.extend(next_raw);
        l.yield_(&next);
    }
    let loop_region = Region::new();
    loop_region.append_block(loop_body);
    let mut for_operands = vec![item.start, item.end, e.index(unroll as i64)];
    let zero_acc = if vectorized { e.splat(zero_f) } else { zero_f };
    for_operands.extend((0..carried).map(|i| if i < accs { zero_acc } else { zero_f }));
    if prefetch {
        for_operands.extend(prologue_ids(e, bufs, item, kind, unroll));
    }
    let for_op = e.block.append_operation(
        OperationBuilder::new("scf.for", location)
            .add_operands(&for_operands)
            .add_results(&carried_types)
            .add_regions([loop_region])
            .build()
            .expect("scf.for"),
    );
    let results: Vec<Value> = for_op.results().take(carried).map(Into::into).collect();
    // mean: Σw·e / Σw, sqrtn: Σw·e / sqrt(Σw²), when the divisor is > 0.
    let divisor = match kind.combiner {
        Sum => None,
        Mean => Some(results[accs]),
        Sqrtn => Some(e.v("math.sqrt", &[results[accs]])),
    };
    let lane_values: Vec<Value> =
        if vectorized {
            results[..accs].iter().flat_map(|&group| (0..4).map(move |j| (group, j))).map(|(g, j)| e.extract(g, j)).collect()
        } else {
            results[..accs].to_vec()
        };
    for ((valid, element), &acc) in item.lanes.iter().zip(&lane_values) {
        let value = match divisor {
            None => acc,
            Some(d) => e.select(e.cmpf(CmpfPredicate::Ogt, d, zero_f), e.v("arith.divf", &[acc, d]), acc),
        };
        let store_block = Block::new(&[]);
        {
            let sb = Emit { context, location, block: &store_block };
            let k = sb.to_index(sb.v("arith.addi", &[item.out_base, *element]));
            sb.op("memref.store", &[value, bufs.out, item.r, k], &[], Some(&[]));
            sb.yield_(&[]);
        }
        let store_region = Region::new();
        store_region.append_block(store_block);
        e.block.append_operation(melior::dialect::scf::r#if(*valid, &[], store_region, Region::new(), location));
    }
}

/// `unroll` raw ids at first + u (then as many weights when `weighted`),
/// each read at `fallback` instead once first + u reaches `end`: in bounds,
/// and masked out by the iteration that uses them.
fn raw_ids<'c, 'b>(
    e: &Emit<'c, 'b>,
    bufs: &Buffers<'c, '_>,
    first: Value<'c, '_>,
    fallback: Value<'c, '_>,
    end: Value<'c, '_>,
    weighted: bool,
    unroll: usize,
) -> Vec<Value<'c, 'b>> {
    let mut ids = Vec::with_capacity(2 * unroll);
    let mut weights = Vec::new();
    for u in 0..unroll {
        let safe = if u == 0 {
            e.select(e.cmpi(CmpiPredicate::Slt, first, end), first, fallback)
        } else {
            let at = e.v("arith.addi", &[first, e.index(u as i64)]);
            e.select(e.cmpi(CmpiPredicate::Slt, at, end), at, fallback)
        };
        ids.push(e.load_index(bufs.ids, safe));
        if weighted {
            weights.push(e.load(bufs.weights, &[safe]));
        }
    }
    ids.extend(weights);
    ids
}

/// The first iteration's ids (and weights) for a prefetching bag loop,
/// loaded only when the bag is not empty (an empty bag may sit at the end of
/// the ids buffer): `unroll` ids at start + u, clamped into the bag.
fn prologue_ids<'c, 'b>(e: &Emit<'c, 'b>, bufs: &Buffers<'c, '_>, item: &Item<'c, '_>, kind: ColumnKind, unroll: usize) -> Vec<Value<'c, 'b>> {
    let (context, location) = (e.context, e.location);
    let i64t: Type = IntegerType::new(context, 64).into();
    let f32t = Type::float32(context);
    let mut types: Vec<Type> = vec![i64t; unroll];
    if kind.weighted {
        types.extend(vec![f32t; unroll]);
    }
    let then_block = Block::new(&[]);
    {
        let t = Emit { context, location, block: &then_block };
        t.yield_(&raw_ids(&t, bufs, item.start, item.start, item.end, kind.weighted, unroll));
    }
    let else_block = Block::new(&[]);
    {
        let f = Emit { context, location, block: &else_block };
        let mut zeros: Vec<Value> = (0..unroll).map(|_| f.i64(0)).collect();
        if kind.weighted {
            zeros.extend((0..unroll).map(|_| f.f32(0.0)));
        }
        f.yield_(&zeros);
    }
    let (then_region, else_region) = (Region::new(), Region::new());
    then_region.append_block(then_block);
    else_region.append_block(else_block);
    let not_empty = e.cmpi(CmpiPredicate::Slt, item.start, item.end);
    let if_op = e.block.append_operation(
        OperationBuilder::new("scf.if", location)
            .add_operands(&[not_empty])
            .add_results(&types)
            .add_regions([then_region, else_region])
            .build()
            .expect("scf.if"),
    );
    (0..types.len()).map(|i| if_op.result(i).expect("scf.if result").into()).collect()
}

fn build_kernel<'c>(
    context: &'c Context,
    location: Location<'c>,
    name: &str,
    shape: Shape,
    kinds: &[ColumnKind],
) -> melior::ir::Operation<'c> {
    let Shape { per_item, rows_per_item, unroll, prefetch, index_bits } = shape;
    let f32t = Type::float32(context);
    let i64t: Type = IntegerType::new(context, 64).into();
    let index = Type::index(context);
    let index_t: Type = IntegerType::new(context, index_bits).into();
    let arg_types: Vec<Type> = Buffer::SIGNATURE
        .iter()
        .map(|buffer| {
            let element = match buffer.elem() {
                Elem::F32 => f32t,
                Elem::I64 => i64t,
                Elem::Index => index_t,
            };
            let shape: Vec<i64> = buffer
                .shape()
                .iter()
                .map(|d| match d {
                    Dim::Dynamic => i64::MIN,
                    Dim::Fixed(n) => *n as i64,
                })
                .collect();
            MemRefType::new(element, &shape, None, None).into()
        })
        .collect();

    let entry = Block::new(&arg_types.iter().map(|&t| (t, location)).collect::<Vec<_>>());
    let arg = |b: Buffer| -> Value { entry.argument(b.argument()).unwrap().into() };
    let bufs = Buffers {
        tables: arg(Buffer::Tables),
        ids: arg(Buffer::Ids),
        weights: arg(Buffer::Weights),
        meta: arg(Buffer::Columns),
        out: arg(Buffer::Out),
        status: arg(Buffer::Status),
    };
    let (offsets, items) = (arg(Buffer::Offsets), arg(Buffer::Items));
    let e = Emit { context, location, block: &entry };
    let c0 = e.index(0);
    let c1 = e.index(1);
    let batch = e.v("memref.dim", &[bufs.out, c0]);
    let num_items = e.v("memref.dim", &[items, c0]);

    // scf.parallel (%rb, %item) = (0, 0) to (ceil(B / R), items) step (1, 1):
    // one iteration = one work item for R consecutive rows, so the item's
    // column metadata is read once per R rows.
    // An affine.apply (not arith) so the GPU outlining can sink it into the
    // kernel instead of passing it as an extra argument.
    let ceildiv_map = unsafe {
        let s0 = mlir_sys::mlirAffineSymbolExprGet(context.to_raw(), 0);
        let r = mlir_sys::mlirAffineConstantExprGet(context.to_raw(), rows_per_item as i64);
        let expr = mlir_sys::mlirAffineCeilDivExprGet(s0, r);
        let mut exprs = [expr];
        melior::ir::Attribute::from_raw(mlir_sys::mlirAffineMapAttrGet(mlir_sys::mlirAffineMapGet(
            context.to_raw(),
            0,
            1,
            1,
            exprs.as_mut_ptr(),
        )))
    };
    let row_blocks = e.op("affine.apply", &[batch], &[("map", ceildiv_map)], Some(&[index])).unwrap();
    let body = Block::new(&[(index, location), (index, location)]);
    {
        let b = Emit { context, location, block: &body };
        let row_block: Value = body.argument(0).unwrap().into();
        let item_index: Value = body.argument(1).unwrap().into();
        // Everything the common path needs is in the item's own record (one
        // cache line); the column table is read only for kind-specific fields.
        // Three 16-byte loads of the 64-byte-aligned record (fields 0-5).
        let pairs: Vec<Value> = (0..3).map(|p| b.load_i64x2(items, item_index, 2 * p)).collect();
        let item_field = |f: usize| b.extract_i64(pairs[f / 2], (f % 2) as i64);
        let col = b.to_index(item_field(item_field_index::COLUMN));
        let table_base = item_field(item_field_index::TABLE_BASE);
        let out_base = item_field(item_field_index::OUT_BASE);
        let pitch = item_field(item_field_index::PITCH);
        let rows = item_field(item_field_index::ROWS);
        let valid = item_field(item_field_index::VALID);
        let base = b.v("arith.muli", &[col, b.index(recom_emb::kernel_meta::COLUMN_FIELDS as i64)]);
        // Element j of the item is stored if j < valid; past it, element 0 is
        // re-read (in bounds) and not stored.
        let lanes: Vec<(Value, Value)> = (0..per_item as i64)
            .map(|j| {
                let stored = b.cmpi(CmpiPredicate::Slt, b.i64(j), valid);
                (stored, b.select(stored, b.i64(j), b.i64(0)))
            })
            .collect();
        let kind_index = (kinds.len() > 1).then(|| b.to_index(b.meta(bufs.meta, base, field::KIND)));
        let stride = b.v("arith.addi", &[batch, c1]);

        // The work of one row r: its bag, dispatched on the column's kind.
        let emit_row = |rb: &Emit<'c, '_>, r: Value<'c, '_>| {
            // This row's bag: offsets[col * (B + 1) + r] .. offsets[... + 1].
            let slot = rb.v("arith.addi", &[rb.v("arith.muli", &[col, stride]), r]);
            let item = Item {
                r,
                col,
                base,
                table_base,
                pitch,
                rows,
                out_base,
                lanes: lanes.clone(),
                start: rb.to_index(rb.load_index(offsets, slot)),
                end: rb.to_index(rb.load_index(offsets, rb.v("arith.addi", &[slot, c1]))),
            };
            match (kinds, kind_index) {
                ([kind], _) => emit_bag(rb, &bufs, &item, *kind, unroll, prefetch),
                (_, Some(kind_index)) => {
                    // One specialized region per kind; the last kind is the default.
                    let mut regions = Vec::with_capacity(kinds.len());
                    for kind in kinds.iter().rev().take(1).chain(&kinds[..kinds.len() - 1]) {
                        let block = Block::new(&[]);
                        {
                            let kb = Emit { context, location, block: &block };
                            emit_bag(&kb, &bufs, &item, *kind, unroll, prefetch);
                            kb.yield_(&[]);
                        }
                        let region = Region::new();
                        region.append_block(block);
                        regions.push(region);
                    }
                    let cases: Vec<i64> = (0..kinds.len() as i64 - 1).collect();
                    rb.block.append_operation(melior::dialect::scf::index_switch(
                        context,
                        kind_index,
                        &[],
                        melior::ir::attribute::DenseI64ArrayAttribute::new(context, &cases),
                        regions,
                        location,
                    ));
                }
                _ => unreachable!("kinds is never empty"),
            }
        };
        if rows_per_item == 1 {
            emit_row(&b, row_block);
        } else {
            // for rr in 0..R: r = rb * R + rr; if r < B { row r }
            let rows_body = Block::new(&[(index, location)]);
            {
                let lb = Emit { context, location, block: &rows_body };
                let rr: Value = rows_body.argument(0).unwrap().into();
                let r = lb.v("arith.addi", &[lb.v("arith.muli", &[row_block, lb.index(rows_per_item as i64)]), rr]);
                let in_batch = lb.op(
                    "arith.cmpi",
                    &[r, batch],
                    &[("predicate", IntegerAttribute::new(IntegerType::new(context, 64).into(), CmpiPredicate::Ult as i64).into())],
                    Some(&[IntegerType::new(context, 1).into()]),
                )
                .unwrap();
                let row_block_ = Block::new(&[]);
                {
                    let ib = Emit { context, location, block: &row_block_ };
                    emit_row(&ib, r);
                    ib.yield_(&[]);
                }
                let row_region = Region::new();
                row_region.append_block(row_block_);
                rows_body.append_operation(melior::dialect::scf::r#if(in_batch, &[], row_region, Region::new(), location));
                lb.yield_(&[]);
            }
            let rows_region = Region::new();
            rows_region.append_block(rows_body);
            body.append_operation(
                OperationBuilder::new("scf.for", location)
                    .add_operands(&[c0, b.index(rows_per_item as i64), c1])
                    .add_regions([rows_region])
                    .build()
                    .expect("scf.for"),
            );
        }
        b.op("scf.reduce", &[], &[], Some(&[]));
    }
    let body_region = Region::new();
    body_region.append_block(body);
    entry.append_operation(
        OperationBuilder::new("scf.parallel", location)
            .add_operands(&[c0, c0, row_blocks, num_items, c1, c1])
            .add_attributes(&[(
                Identifier::new(context, "operandSegmentSizes"),
                recom_ir::kit::i32_array(context, &[2, 2, 2, 0]),
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
