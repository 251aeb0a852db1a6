//! The fused kernel: a `func.func` over the buffers of
//! `recom_abi::kernel::Buffer::SIGNATURE` with one `scf.parallel` over
//! (rows, work items) (see `emb-lower-fused-columns`).
mod bag;
mod emit;
mod hash;
mod search;

use bag::emit_bag;
use emit::Emit;
use melior::{
    dialect::arith::CmpiPredicate,
    ir::{
        attribute::{StringAttribute, TypeAttribute},
        operation::{OperationBuilder},
        r#type::{FunctionType, IntegerType, MemRefType},
        Attribute, Block, BlockLike, Identifier, Location, Region, RegionLike, Type, Value,
        
    },
    Context,
};
use recom_emb::kernel_meta::{field, item as item_field_index, Buffer, ColumnKind, Dim, Elem, TransformKind};


/// The kernel's tiling: output elements and rows per work item, ids per
/// bag-loop iteration.
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) per_item: usize,
    pub(crate) rows_per_item: usize,
    pub(crate) unroll: usize,
    /// Ids of the next iteration loaded during this one's gathers.
    pub(crate) prefetch: bool,
    /// Width of the packed ids and offsets (32 or 64).
    pub(crate) index_bits: u32,
}

/// Values of one work item that every kind's code uses.
pub(crate) struct Item<'c, 'b> {
    pub(crate) r: Value<'c, 'b>,
    pub(crate) col: Value<'c, 'b>,
    /// Packed-tables index of the item's first element in row 0.
    pub(crate) table_base: Value<'c, 'b>,
    /// Elements between table rows (dim rounded up to 4).
    pub(crate) pitch: Value<'c, 'b>,
    pub(crate) rows: Value<'c, 'b>,
    /// Output column of the item's first element.
    pub(crate) out_base: Value<'c, 'b>,
    /// Per element: (stored?, offset from the item's first element).
    pub(crate) lanes: Vec<(Value<'c, 'b>, Value<'c, 'b>)>,
    pub(crate) start: Value<'c, 'b>,
    pub(crate) end: Value<'c, 'b>,
    /// Loaded before the dispatch on the column's kind, so that the
    /// kind-specialized code (divergent where a warp's items are of several
    /// kinds) starts at the gathers instead of a chain of dependent loads:
    /// the column's filter bounds and default (when some kind filters), its
    /// out-of-range default row (when some kind replaces), and the bag's
    /// first ids (with prefetching).
    pub(crate) filter: Option<(Value<'c, 'b>, Value<'c, 'b>, Value<'c, 'b>)>,
    pub(crate) default_id: Option<Value<'c, 'b>>,
    pub(crate) first_ids: Option<Vec<Value<'c, 'b>>>,
}

/// The buffers of the kernel.
pub(crate) struct Buffers<'c, 'b> {
    pub(crate) tables: Value<'c, 'b>,
    pub(crate) ids: Value<'c, 'b>,
    pub(crate) weights: Value<'c, 'b>,
    pub(crate) meta: Value<'c, 'b>,
    pub(crate) out: Value<'c, 'b>,
    pub(crate) status: Value<'c, 'b>,
}

/// The function a kernel calls for an id transform: `<kernel>__<transform>`
/// (`recom::compile` takes it along with the kernel).
pub(crate) fn transform_function(kernel: &str, kind: TransformKind) -> String {
    let transform = match kind {
        TransformKind::IntHashBucket => "int_hash_bucket",
        TransformKind::StrHashBucket => "str_hash_bucket",
        TransformKind::IntVocabulary => "int_vocabulary",
        TransformKind::StrVocabulary => "str_vocabulary",
        TransformKind::Bucketize => "bucketize",
    };
    format!("{kernel}__{transform}")
}

/// The functions of the transforms `kinds` use, each once: (raw value,
/// the column's `TRANSFORM` field (a bucket count or a record's offset)[,
/// the column table][, the bytes buffer]) -> id
/// ([`transform_arguments`]). Private: only the kernel calls them.
/// The arguments of a call of `kind`'s function, in its order.
pub(crate) fn transform_arguments<'c, 'v>(kind: TransformKind, raw: Value<'c, 'v>, parameter: Value<'c, 'v>, meta: Value<'c, 'v>, bytes: Value<'c, 'v>) -> Vec<Value<'c, 'v>> {
    let mut args = vec![raw, parameter];
    if kind.has_record() {
        args.push(meta);
    }
    if kind.takes_strings() {
        args.push(bytes);
    }
    args
}

pub(crate) fn build_transform_functions<'c>(context: &'c Context, location: Location<'c>, kernel: &str, kinds: &[ColumnKind]) -> Vec<melior::ir::Operation<'c>> {
    let i64t: Type = IntegerType::new(context, 64).into();
    let bytes_t: Type = MemRefType::new(IntegerType::new(context, 8).into(), &[i64::MIN], None, None).into();
    let mut used: Vec<TransformKind> = Vec::new();
    for t in kinds.iter().filter_map(|k| k.transform) {
        if !used.contains(&t) {
            used.push(t);
        }
    }
    used.into_iter()
        .map(|t| {
            let meta_t: Type = MemRefType::new(i64t, &[i64::MIN], None, None).into();
            let mut args: Vec<Type> = vec![i64t, i64t];
            if t.has_record() {
                args.push(meta_t);
            }
            if t.takes_strings() {
                args.push(bytes_t);
            }
            let entry = Block::new(&args.iter().map(|&a| (a, location)).collect::<Vec<_>>());
            {
                let e = Emit { context, location, block: &entry };
                let arg = |i: usize| -> Value { entry.argument(i).unwrap().into() };
                let id = match t {
                    TransformKind::IntHashBucket => e.int_hash_bucket(arg(0), arg(1)),
                    TransformKind::StrHashBucket => e.str_hash_bucket(arg(0), arg(1), arg(2)),
                    TransformKind::IntVocabulary => e.int_vocabulary(arg(0), arg(1), arg(2)),
                    TransformKind::StrVocabulary => e.str_vocabulary(arg(0), arg(1), arg(2), arg(3)),
                    TransformKind::Bucketize => e.bucketize(arg(0), arg(1), arg(2)),
                };
                entry.append_operation(melior::dialect::func::r#return(&[id], location));
            }
            let region = Region::new();
            region.append_block(entry);
            melior::dialect::func::func(
                context,
                StringAttribute::new(context, &transform_function(kernel, t)),
                TypeAttribute::new(FunctionType::new(context, &args, &[i64t]).into()),
                region,
                &[(Identifier::new(context, "sym_visibility"), StringAttribute::new(context, "private").into())],
                location,
            )
        })
        .collect()
}

/// The loop function's argument types: one memref per buffer of
/// [`Buffer::SIGNATURE`], ids and offsets of `index_bits`.
fn signature(context: &Context, index_bits: u32) -> Vec<Type<'_>> {
    let f32t = Type::float32(context);
    let i64t: Type = IntegerType::new(context, 64).into();
    let index_t: Type = IntegerType::new(context, index_bits).into();
    Buffer::SIGNATURE
        .iter()
        .map(|buffer| {
            let element = match buffer.elem() {
                Elem::F32 => f32t,
                Elem::I64 => i64t,
                Elem::Byte => IntegerType::new(context, 8).into(),
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
        .collect()
}

pub(crate) fn build_kernel<'c>(
    context: &'c Context,
    location: Location<'c>,
    name: &str,
    shape: Shape,
    kinds: &[ColumnKind],
) -> melior::ir::Operation<'c> {
    let Shape { per_item, rows_per_item, unroll, prefetch, index_bits } = shape;
    let index = Type::index(context);
    let arg_types = signature(context, index_bits);

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
    let batch = e.dim(bufs.out, c0);
    let num_items = e.dim(items, c0);

    // scf.parallel (%rb, %item) = (0, 0) to (ceil(B / R), items) step (1, 1):
    // one iteration = one work item for R consecutive rows, so the item's
    // column metadata is read once per R rows.
    // An affine.apply (not arith) so the GPU outlining can sink it into the
    // kernel instead of passing it as an extra argument.
    let ceildiv_map = recom_ir::ext::ceildiv_map(context, rows_per_item as i64);
    let row_blocks = e.apply(ceildiv_map, &[batch]);
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
        // A padding item (valid = 0, see `encode_items`) does nothing: it only
        // makes the next kind's items start a warp of their own.
        let active = Block::new(&[]);
        {
            let b = Emit { context, location, block: &active };
            let base = b.muli(col, b.index(recom_emb::kernel_meta::COLUMN_FIELDS as i64));
            // Element j of the item is stored if j < valid; past it, element 0 is
            // re-read (in bounds) and not stored.
            let lanes: Vec<(Value, Value)> = (0..per_item as i64)
                .map(|j| {
                    let stored = b.cmpi(CmpiPredicate::Slt, b.i64(j), valid);
                    (stored, b.select(stored, b.i64(j), b.i64(0)))
                })
                .collect();
            let kind_index = (kinds.len() > 1).then(|| b.to_index(b.meta(bufs.meta, base, field::KIND)));
            let stride = b.addi(batch, c1);

            // The work of one row r: its bag, dispatched on the column's kind.
            let emit_row = |rb: &Emit<'c, '_>, r: Value<'c, '_>| {
                // This row's bag: offsets[col * (B + 1) + r] .. offsets[... + 1].
                let slot = rb.addi(rb.muli(col, stride), r);
                let start = rb.to_index(rb.load_index(offsets, slot));
                let end = rb.to_index(rb.load_index(offsets, rb.addi(slot, c1)));
                let filter = kinds.iter().any(|k| k.filtered).then(|| {
                    (rb.meta(bufs.meta, base, field::FILTER_LO), rb.meta(bufs.meta, base, field::FILTER_HI), rb.meta(bufs.meta, base, field::FILTER_DEFAULT))
                });
                let default_id = kinds.iter().any(|k| k.policy == recom_emb::OutOfRangeKind::Default).then(|| rb.meta(bufs.meta, base, field::DEFAULT_ID));
                let first_ids = prefetch.then(|| bag::first_ids(rb, &bufs, start, end, unroll));
                let item = Item { r, col, table_base, pitch, rows, out_base, lanes: lanes.clone(), start, end, filter, default_id, first_ids };
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
                    let r = lb.addi(lb.muli(row_block, lb.index(rows_per_item as i64)), rr);
                    let in_batch = lb.cmpi(CmpiPredicate::Ult, r, batch);
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
                active.append_operation(
                    OperationBuilder::new("scf.for", location)
                        .add_operands(&[c0, b.index(rows_per_item as i64), c1])
                        .add_regions([rows_region])
                        .build()
                        .expect("scf.for"),
                );
            }
            b.yield_(&[]);
        }
        let active_region = Region::new();
        active_region.append_block(active);
        body.append_operation(melior::dialect::scf::r#if(b.cmpi(CmpiPredicate::Sgt, valid, b.i64(0)), &[], active_region, Region::new(), location));
        b.reduce();
    }
    let body_region = Region::new();
    body_region.append_block(body);
    entry.append_operation(parallel_2d(context, location, [c0, c0], [row_blocks, num_items], c1, body_region));
    entry.append_operation(melior::dialect::func::r#return(&[], location));

    loop_function(context, location, name, entry, &arg_types)
}

/// `scf.parallel` over two dimensions, `lower` to `upper` by `step`, with
/// the body `body` (which ends in `scf.reduce`).
fn parallel_2d<'c>(context: &'c Context, location: Location<'c>, lower: [Value<'c, '_>; 2], upper: [Value<'c, '_>; 2], step: Value<'c, '_>, body: Region<'c>) -> melior::ir::Operation<'c> {
    OperationBuilder::new("scf.parallel", location)
        .add_operands(&[lower[0], lower[1], upper[0], upper[1], step, step])
        .add_attributes(&[(Identifier::new(context, "operandSegmentSizes"), recom_ir::kit::i32_array(context, &[2, 2, 2, 0]))])
        .add_regions([body])
        .build()
        .expect("scf.parallel")
}

/// `func.func @name` with the C interface over the kernel's buffers
/// (`arg_types`), its body `entry`.
fn loop_function<'c>(context: &'c Context, location: Location<'c>, name: &str, entry: Block<'c>, arg_types: &[Type<'c>]) -> melior::ir::Operation<'c> {
    let region = Region::new();
    region.append_block(entry);
    melior::dialect::func::func(
        context,
        StringAttribute::new(context, name),
        TypeAttribute::new(FunctionType::new(context, arg_types, &[]).into()),
        region,
        &[(Identifier::new(context, "llvm.emit_c_interface"), Attribute::unit(context))],
        location,
    )
}

/// Threads that share one column's ids in the transform kernel (each takes
/// every `TRANSFORM_LANES`-th id).
const TRANSFORM_LANES: i64 = 64;

/// The name of the transform kernel of kernel `kernel`: a helper's prefix
/// (`<kernel>__`), so it travels with the kernel's module.
pub(crate) fn transform_kernel_name(kernel: &str) -> String {
    format!("{kernel}__transform_ids")
}

/// The id-transform pass that runs before the kernel when a column
/// transforms its raw values (`<kernel>__transform_ids`, same buffers as
/// the kernel): each raw value becomes its id once, in place in the ids
/// buffer, instead of once per work item inside the gather loop.
///
/// `scf.parallel (%item, %lane) = (0, 0) to (items, TRANSFORM_LANES)`: the
/// first work item of each column takes the column's ids
/// `offsets[c * (B + 1)] .. offsets[c * (B + 1) + B]`, lane `l` every
/// `TRANSFORM_LANES`-th from the `l`-th, and calls the column kind's
/// transform function on each; other items and columns without a transform
/// do nothing. (Items, not columns, span the loop: their count is a
/// dimension of a buffer, which the GPU outlining takes into the kernel.)
pub(crate) fn build_transform_kernel<'c>(context: &'c Context, location: Location<'c>, kernel: &str, index_bits: u32, kinds: &[ColumnKind]) -> melior::ir::Operation<'c> {
    let index = Type::index(context);
    let arg_types = signature(context, index_bits);
    let entry = Block::new(&arg_types.iter().map(|&t| (t, location)).collect::<Vec<_>>());
    let arg = |b: Buffer| -> Value { entry.argument(b.argument()).unwrap().into() };
    let (ids, offsets, items, meta, out, bytes) = (arg(Buffer::Ids), arg(Buffer::Offsets), arg(Buffer::Items), arg(Buffer::Columns), arg(Buffer::Out), arg(Buffer::Bytes));
    let e = Emit { context, location, block: &entry };
    let (c0, c1) = (e.index(0), e.index(1));
    let num_items = e.dim(items, c0);
    let lanes = e.index(TRANSFORM_LANES);
    let body = Block::new(&[(index, location), (index, location)]);
    {
        let b = Emit { context, location, block: &body };
        let item: Value = body.argument(0).unwrap().into();
        let lane: Value = body.argument(1).unwrap().into();
        let column = b.load(items, &[item, b.index(item_field_index::COLUMN as i64)]);
        // The first item of its column: item 0, or one after another column's.
        let before = b.load(items, &[b.select(b.cmpi(CmpiPredicate::Eq, item, c0), c0, b.subi(item, c1)), b.index(item_field_index::COLUMN as i64)]);
        let first = b.ori(b.cmpi(CmpiPredicate::Eq, item, c0), b.cmpi(CmpiPredicate::Ne, before, column));
        let work = Block::new(&[]);
        {
            let w = Emit { context, location, block: &work };
            let col = w.to_index(column);
            let base = w.muli(col, w.index(recom_emb::kernel_meta::COLUMN_FIELDS as i64));
            let batch = w.dim(out, c0);
            let slot = w.muli(col, w.addi(batch, c1));
            let start = w.to_index(w.load_index(offsets, slot));
            let end = w.to_index(w.load_index(offsets, w.addi(slot, batch)));
            let parameter = w.meta(meta, base, field::TRANSFORM);
            // One case per kind with a transform; the rest (the default) do nothing.
            let cases: Vec<(usize, TransformKind)> = kinds.iter().enumerate().filter_map(|(k, kind)| kind.transform.map(|t| (k, t))).collect();
            let mut regions = vec![{
                let block = Block::new(&[]);
                Emit { context, location, block: &block }.yield_(&[]);
                let region = Region::new();
                region.append_block(block);
                region
            }];
            for &(_, t) in &cases {
                let block = Block::new(&[]);
                {
                    let cb = Emit { context, location, block: &block };
                    cb.for_loop_by(cb.addi(start, lane), end, lanes, &[], |l, i, _| {
                        let raw = l.load(ids, &[i]);
                        let id = l.call(&transform_function(kernel, t), &transform_arguments(t, raw, parameter, meta, bytes));
                        l.store(id, ids, &[i]);
                        Vec::new()
                    });
                    cb.yield_(&[]);
                }
                let region = Region::new();
                region.append_block(block);
                regions.push(region);
            }
            let labels: Vec<i64> = cases.iter().map(|&(k, _)| k as i64).collect();
            w.block.append_operation(melior::dialect::scf::index_switch(
                context,
                w.to_index(w.meta(meta, base, field::KIND)),
                &[],
                melior::ir::attribute::DenseI64ArrayAttribute::new(context, &labels),
                regions,
                location,
            ));
            w.yield_(&[]);
        }
        let region = Region::new();
        region.append_block(work);
        body.append_operation(melior::dialect::scf::r#if(first, &[], region, Region::new(), location));
        b.reduce();
    }
    let body_region = Region::new();
    body_region.append_block(body);
    entry.append_operation(parallel_2d(context, location, [c0, c0], [num_items, lanes], c1, body_region));
    entry.append_operation(melior::dialect::func::r#return(&[], location));
    loop_function(context, location, &transform_kernel_name(kernel), entry, &arg_types)
}
