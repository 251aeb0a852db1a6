//! The bag loop of one work item: gathers, pooling, stores, specialized per
//! column kind.
use super::{emit::Emit, Buffers, Item};
use melior::{
    dialect::arith::{CmpfPredicate, CmpiPredicate},
    ir::{
        operation::{OperationBuilder, OperationLike},
        r#type::IntegerType, Block, BlockLike, Region, RegionLike, Type, Value,
        
    },
};
use recom_emb::kernel_meta::ColumnKind;


/// The bag loop and stores of one work item, specialized for `kind`: code
/// for weights, filters, pruning and out-of-range policies is only emitted
/// where the kind needs it.
pub(crate) fn emit_bag<'c>(e: &Emit<'c, '_>, bufs: &Buffers<'c, '_>, item: &Item<'c, '_>, kind: ColumnKind, unroll: usize, prefetch: bool) {
    use recom_emb::{Combiner::*, OutOfRangeKind as Policy};
    let (context, location) = (e.context, e.location);
    let f32t = Type::float32(context);
    let i64t: Type = IntegerType::new(context, 64).into();
    let index = Type::index(context);
    let c0 = e.index(0);
    let zero_i = e.i64(0);
    let zero_f = e.f32(0.0);
    // Loaded by the caller before the dispatch on kinds.
    let filter = if kind.filtered { Some(item.filter.expect("the caller loads the filter when a kind filters")) } else { None };
    let default_id = if kind.policy == Policy::Default { Some(item.default_id.expect("the caller loads the default row when a kind replaces")) } else { None };
    // A kind's transform (if any) ran in the transform pass before the
    // kernel: the bag loop reads ids.
    let rules = Rules { kind, filter, default_id };
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
    // Unweighted columns sum in TensorFlow's SparseSegment* order (see
    // `blocked_head`): the loop also carries each accumulator's current
    // block of 8 and the count of ids kept so far.
    let blocked = !kind.weighted;
    let block_slots = if blocked { accs + 1 } else { 0 };
    carried_types.extend((0..accs).filter(|_| blocked).map(|_| acc_t));
    if blocked {
        carried_types.push(i64t);
    }
    let head = blocked.then(|| blocked_head(e, bufs, item, &rules));
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
        let blocks_in: Vec<Value> = (carried + 1..=carried + block_slots).map(|i| loop_body.argument(i).unwrap().into()).collect();
        let raw_in: Vec<Value> =
            (carried + block_slots + 1..loop_body.argument_count()).map(|i| loop_body.argument(i).unwrap().into()).collect();
        // `unroll` ids per iteration, each read at a clamped (in-bounds) index and
        // masked: all table loads of an iteration are issued before any is
        // used, so each thread has several gathers in flight.
        let mut ids = Vec::with_capacity(unroll);
        for u in 0..unroll {
            let (index_u, present) = if u == 0 {
                (j, None)
            } else {
                let ju = l.addi(j, l.index(u as i64));
                let present = l.cmpi(CmpiPredicate::Slt, ju, item.end);
                (l.select(present, ju, j), Some(present))
            };
            let (id0, w) = if prefetch {
                (raw_in[u], if kind.weighted { raw_in[unroll + u] } else { l.f32(1.0) })
            } else {
                (l.load_index(bufs.ids, index_u), if kind.weighted { l.load(bufs.weights, &[index_u]) } else { l.f32(1.0) })
            };
            let (id2, keep, live, out_of_range) = kept(&l, item, &rules, id0, w, present);
            let report = (kind.policy == Policy::Error).then(|| l.andi(live, out_of_range));
            // A dropped id reads the item's element in row 0 instead (in bounds).
            let row = l.addi(item.table_base, l.muli(id2, item.pitch));
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
                            let at = if g == 0 { row } else { l.addi(row, item.lanes[4 * g].1) };
                            l.load4(bufs.tables, l.to_index(at))
                        })
                        .collect()
                } else {
                    item.lanes
                        .iter()
                        .map(|(_, element)| l.load(bufs.tables, &[l.to_index(l.addi(row, *element))]))
                        .collect()
                }
            })
            .collect();
        // The next iteration's ids, while the gathers are in flight: at
        // j + unroll + u when inside the bag, else at j (in bounds, unused).
        let next_raw: Vec<Value> = if prefetch {
            let jn = l.addi(j, l.index(unroll as i64));
            raw_ids(&l, bufs, jn, j, item.end, Loads { ids: true, weights: kind.weighted }, unroll)
        } else {
            Vec::new()
        };
        // ...then the accumulation, in id order (as the reference does).
        let mut next = carried_in.clone();
        let mut blocks = blocks_in.clone();
        let zero_acc = if vectorized { l.splat(zero_f) } else { zero_f };
        for (&(w, keep, _, _), values) in ids.iter().zip(&values) {
            if let Some(head) = head {
                // Kept id number k: in the head (k < head) it adds to the
                // total; past it, it starts (position 0) or extends the
                // current block of 8, which the total takes at position 7.
                let k = blocks[accs];
                let in_head = l.cmpi(CmpiPredicate::Slt, k, head);
                let position = l.andi(l.subi(k, head), l.i64(7));
                let starts = l.cmpi(CmpiPredicate::Eq, position, l.i64(0));
                let ends = l.andi(keep, l.cmpi(CmpiPredicate::Eq, position, l.i64(7)));
                let to_total = l.andi(keep, in_head);
                let to_block = l.andi(keep, l.cmpi(CmpiPredicate::Sge, k, head));
                for (g, &value) in values.iter().enumerate() {
                    let block = l.select(to_block, l.select(starts, value, l.addf(blocks[g], value)), blocks[g]);
                    let total = l.select(to_total, l.addf(next[g], value), next[g]);
                    next[g] = l.select(ends, l.addf(total, block), total);
                    blocks[g] = block;
                }
                blocks[accs] = l.addi(k, l.bool_to_i64(keep));
            } else {
                for (acc, &value) in next[..accs].iter_mut().zip(values) {
                    let term = match (kind.weighted, vectorized) {
                        (false, _) => value,
                        (true, true) => l.mulf(l.splat(w), value),
                        (true, false) => l.mulf(w, value),
                    };
                    *acc = l.addf(*acc, l.select(keep, term, zero_acc));
                }
            }
            let kept_w = l.select(keep, w, zero_f);
            match kind.combiner {
                Sum => {}
                Mean => next[accs] = l.addf(next[accs], kept_w),
                Sqrtn => next[accs] = l.addf(next[accs], l.mulf(kept_w, kept_w)),
            }
        }
        // Out-of-range ids under the error policy: reported, never read.
        for &(_, _, _, report) in &ids {
            let Some(report) = report else { continue };
            let report_block = Block::new(&[]);
            {
                let rb = Emit { context, location, block: &report_block };
                // (column << 32 | row) + 1: positive, merged by an unsigned max.
                let code = rb.addi(rb.ori(rb.shli(rb.to_i64(item.col), rb.i64(32)), rb.to_i64(item.r)), rb.i64(1));
                rb.atomic_max_unsigned(code, bufs.status, &[c0]);
                rb.yield_(&[]);
            }
            let report_region = Region::new();
            report_region.append_block(report_block);
            loop_body.append_operation(melior::dialect::scf::r#if(report, &[], report_region, Region::new(), location));
        }
        next.extend(blocks);
        next.extend(next_raw);
        l.yield_(&next);
    }
    let loop_region = Region::new();
    loop_region.append_block(loop_body);
    let mut for_operands = vec![item.start, item.end, e.index(unroll as i64)];
    let zero_acc = if vectorized { e.splat(zero_f) } else { zero_f };
    for_operands.extend((0..carried).map(|i| if i < accs { zero_acc } else { zero_f }));
    if blocked {
        for_operands.extend((0..accs).map(|_| zero_acc));
        for_operands.push(zero_i);
    }
    if prefetch {
        for_operands.extend(item.first_ids.clone().expect("the caller loads the first ids when prefetching"));
        if kind.weighted {
            for_operands.extend(first_weights(e, bufs, item, unroll));
        }
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
        Sqrtn => Some(e.sqrt(results[accs])),
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
            Some(d) => e.select(e.cmpf(CmpfPredicate::Ogt, d, zero_f), e.divf(acc, d), acc),
        };
        let store_block = Block::new(&[]);
        {
            let sb = Emit { context, location, block: &store_block };
            let k = sb.to_index(sb.addi(item.out_base, *element));
            sb.store(value, bufs.out, &[item.r, k]);
            sb.yield_(&[]);
        }
        let store_region = Region::new();
        store_region.append_block(store_block);
        e.block.append_operation(melior::dialect::scf::r#if(*valid, &[], store_region, Region::new(), location));
    }
}

/// What [`raw_ids`] loads: the ids, the weights, or both (ids first).
#[derive(Clone, Copy)]
pub(crate) struct Loads {
    pub(crate) ids: bool,
    pub(crate) weights: bool,
}

/// `unroll` raw ids at first + u (then as many weights), as `loads` says,
/// each read at `fallback` instead once first + u reaches `end`: in bounds,
/// and masked out by the iteration that uses them.
pub(crate) fn raw_ids<'c, 'b>(
    e: &Emit<'c, 'b>,
    bufs: &Buffers<'c, '_>,
    first: Value<'c, '_>,
    fallback: Value<'c, '_>,
    end: Value<'c, '_>,
    loads: Loads,
    unroll: usize,
) -> Vec<Value<'c, 'b>> {
    let mut ids = Vec::with_capacity(2 * unroll);
    let mut weights = Vec::new();
    for u in 0..unroll {
        let safe = if u == 0 {
            e.select(e.cmpi(CmpiPredicate::Slt, first, end), first, fallback)
        } else {
            let at = e.addi(first, e.index(u as i64));
            e.select(e.cmpi(CmpiPredicate::Slt, at, end), at, fallback)
        };
        if loads.ids {
            ids.push(e.load_index(bufs.ids, safe));
        }
        if loads.weights {
            weights.push(e.load(bufs.weights, &[safe]));
        }
    }
    ids.extend(weights);
    ids
}

/// The first iteration's raw ids for a prefetching bag loop (`unroll` ids
/// at start + u, clamped into the bag), loaded before the dispatch on the
/// column's kind: every kind's loop starts from them.
pub(crate) fn first_ids<'c, 'b>(e: &Emit<'c, 'b>, bufs: &Buffers<'c, '_>, start: Value<'c, '_>, end: Value<'c, '_>, unroll: usize) -> Vec<Value<'c, 'b>> {
    let i64t: Type = IntegerType::new(e.context, 64).into();
    guarded_first(e, bufs, start, end, unroll, Loads { ids: true, weights: false }, &vec![i64t; unroll])
}

/// A weighted kind's first weights (as [`first_ids`]), loaded in the kind's
/// code: only weighted columns have weights.
fn first_weights<'c, 'b>(e: &Emit<'c, 'b>, bufs: &Buffers<'c, '_>, item: &Item<'c, '_>, unroll: usize) -> Vec<Value<'c, 'b>> {
    let f32t = Type::float32(e.context);
    guarded_first(e, bufs, item.start, item.end, unroll, Loads { ids: false, weights: true }, &vec![f32t; unroll])
}

/// [`raw_ids`] at the bag's start, loaded only when the bag is not empty (an
/// empty bag may sit at the end of the ids buffer); zeros otherwise.
fn guarded_first<'c, 'b>(e: &Emit<'c, 'b>, bufs: &Buffers<'c, '_>, start: Value<'c, '_>, end: Value<'c, '_>, unroll: usize, loads: Loads, types: &[Type<'c>]) -> Vec<Value<'c, 'b>> {
    let (context, location) = (e.context, e.location);
    let then_block = Block::new(&[]);
    {
        let t = Emit { context, location, block: &then_block };
        t.yield_(&raw_ids(&t, bufs, start, start, end, loads, unroll));
    }
    let else_block = Block::new(&[]);
    {
        let f = Emit { context, location, block: &else_block };
        let zeros: Vec<Value> = types.iter().map(|&t| if t == Type::float32(context) { f.f32(0.0) } else { f.i64(0) }).collect();
        f.yield_(&zeros);
    }
    let (then_region, else_region) = (Region::new(), Region::new());
    then_region.append_block(then_block);
    else_region.append_block(else_block);
    let not_empty = e.cmpi(CmpiPredicate::Slt, start, end);
    let if_op = e.block.append_operation(
        OperationBuilder::new("scf.if", location)
            .add_operands(&[not_empty])
            .add_results(types)
            .add_regions([then_region, else_region])
            .build()
            .expect("scf.if"),
    );
    (0..types.len()).map(|i| if_op.result(i).expect("scf.if result").into()).collect()
}

/// A column kind's id rules and the per-column values they read (loaded
/// once per work item): the filter's bounds and default, the out-of-range
/// default.
struct Rules<'c, 'v> {
    kind: ColumnKind,
    filter: Option<(Value<'c, 'v>, Value<'c, 'v>, Value<'c, 'v>)>,
    default_id: Option<Value<'c, 'v>>,
}

/// What becomes of one id (`id0`, weight `w`; `present`: inside the bag
/// when the loop is unrolled): the id read (`id2`: filtered, default
/// applied), whether it is kept (pooled), whether it is live (>= 0 after the
/// filter, weight rule) and whether it is out of range — one definition for
/// the bag loop and the count of kept ids before it.
fn kept<'c, 'b>(
    l: &Emit<'c, 'b>,
    item: &Item<'c, '_>,
    rules: &Rules<'c, '_>,
    id0: Value<'c, 'b>,
    w: Value<'c, '_>,
    present: Option<Value<'c, '_>>,
) -> (Value<'c, 'b>, Value<'c, 'b>, Value<'c, 'b>, Value<'c, 'b>) {
    use recom_emb::{Combiner::Sum, OutOfRangeKind as Policy};
    let Rules { kind, filter, default_id } = *rules;
    let (zero_i, zero_f) = (l.i64(0), l.f32(0.0));
    let id1 = match filter {
        Some((lo, hi, default)) => {
            let inside = l.andi(l.cmpi(CmpiPredicate::Sge, id0, lo), l.cmpi(CmpiPredicate::Slt, id0, hi));
            l.select(inside, id0, default)
        }
        None => id0,
    };
    let mut live = l.cmpi(CmpiPredicate::Sge, id1, zero_i);
    if kind.combiner != Sum && kind.weighted {
        live = l.andi(live, l.cmpf(CmpfPredicate::Ogt, w, zero_f));
    }
    if let Some(present) = present {
        live = l.andi(live, present);
    }
    let out_of_range = l.cmpi(CmpiPredicate::Sge, id1, item.rows);
    let (id2, keep) = match kind.policy {
        Policy::Default => (l.select(out_of_range, default_id.expect("a default id under the default policy"), id1), live),
        Policy::Drop | Policy::Error => {
            let in_range = l.cmpi(CmpiPredicate::Slt, id1, item.rows);
            (id1, l.andi(live, in_range))
        }
    };
    (id2, keep, live, out_of_range)
}

/// How many kept ids an unweighted bag sums in order before its blocks of
/// 8: TensorFlow's SparseSegment* CPU kernel adds the first n % 8 rows (8
/// when 8 divides n) one by one, then each further block of 8 rows summed on
/// its own. n counts the kept ids, so a bag longer than 8 counts them first
/// (one pass over its ids); a shorter one is all head (8).
fn blocked_head<'c, 'b>(e: &Emit<'c, 'b>, bufs: &Buffers<'c, '_>, item: &Item<'c, '_>, rules: &Rules<'c, '_>) -> Value<'c, 'b> {
    let (context, location) = (e.context, e.location);
    let i64t: Type = IntegerType::new(context, 64).into();
    let index = Type::index(context);
    let long = e.cmpi(CmpiPredicate::Sgt, e.subi(item.end, item.start), e.index(8));
    let count_end = e.select(long, item.end, item.start);
    let body = Block::new(&[(index, location), (i64t, location)]);
    {
        let l = Emit { context, location, block: &body };
        let j: Value = body.argument(0).unwrap().into();
        let n: Value = body.argument(1).unwrap().into();
        let id0 = l.load_index(bufs.ids, j);
        let (_, keep, _, _) = kept(&l, item, rules, id0, l.f32(1.0), None);
        l.yield_(&[l.addi(n, l.bool_to_i64(keep))]);
    }
    let region = Region::new();
    region.append_block(body);
    let count = e.block.append_operation(
        OperationBuilder::new("scf.for", location)
            .add_operands(&[item.start, count_end, e.index(1), e.i64(0)])
            .add_results(&[i64t])
            .add_regions([region])
            .build()
            .expect("scf.for"),
    );
    let n: Value = count.result(0).unwrap().into();
    let rest = e.andi(n, e.i64(7));
    let head = e.select(e.cmpi(CmpiPredicate::Eq, rest, e.i64(0)), e.i64(8), rest);
    e.select(long, head, e.i64(8))
}
