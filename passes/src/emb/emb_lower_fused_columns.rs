//! `emb-lower-fused-columns`: each `emb.fused_columns` gets a loop kernel,
//! a `func.func` over memrefs with one `scf.parallel` (device-agnostic: the
//! CPU JIT runs it as is, the GPU pipeline maps it to blocks and threads).
//!
//! The kernel's arguments (`llvm.emit_c_interface`) are one memref per
//! buffer of `recom_abi::kernel::Buffer::SIGNATURE`, in that order, typed by
//! each buffer's element and shape (`lit_tests/passes/
//! emb-lower-fused-columns.mlir` shows the printed form); `%columns` and
//! `%items` are [`recom_emb::kernel_meta`]'s column and work-item
//! tables. Ids and offsets are `iN` = i32 where every column's table rows and
//! filter bounds fit in 32 bits and no column hashes its raw values (`index-bits=0`, the default; the host packs
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
//! Columns that transform their raw values (hashes, vocabularies, bucketize)
//! get a second loop function, `@<name>__transform_ids` over the same
//! buffers, that turns every raw value into its id in place; the kernel runs
//! after it and reads ids only (`kernel_transform = @<name>__transform_ids`).
//!
//! The op gets `kernel = @<name>` and `kernel_elements_per_item`; the host part
//! (packing, table binding) stays in the original function.
use melior::ir::{
        attribute::{FlatSymbolRefAttribute, StringAttribute},
        operation::{OperationLike, OperationMutLike, OperationRef, OperationRefMut, WalkOrder, WalkResult}, BlockLike, 
        
    };
use recom_emb::FusedColumnsOp;
use super::fused_kernel::{build_kernel, build_transform_functions, build_transform_kernel, transform_kernel_name, Shape};
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
                    "emb-lower-fused-columns: index-bits=32, but a column's table rows or filter bounds do not fit in 32 bits, or a column transforms raw 64-bit values",
                );
                failed = true;
                continue;
            }
            bits => bits,
        };
        let (kinds, _) = recom_emb::kernel_meta::kinds(&columns);
        // Raw values become ids in a pass of their own before the kernel
        // (each once, not once per work item): the kernel's code for every
        // kind reads ids (the kinds' numbering, data in the column table, stays).
        let transforms = kinds.iter().any(|k| k.transform.is_some());
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
        // Insert the kernel right after the function that uses it, then its
        // transform pass and the functions of its id transforms.
        let block = func.block().expect("functions live in the module body");
        let mut last = block.insert_operation_after(func, kernel);
        if transforms {
            last = block.insert_operation_after(last, build_transform_kernel(context, op.location(), &name, index_bits as u32, &kinds));
        }
        for helper in build_transform_functions(context, op.location(), &name, &kinds) {
            last = block.insert_operation_after(last, helper);
        }
        let mut op_mut = unsafe { OperationRefMut::from_raw(raw) };
        if transforms {
            op_mut.set_attribute("kernel_transform", FlatSymbolRefAttribute::new(context, &transform_kernel_name(&name)).into());
        }
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
/// range must stay past every table's end and every filter's bounds, and no
/// column may transform its raw values (a hash of a clamped value differs).
fn ids_fit_32_bits(columns: &[recom_emb::FusedColumn]) -> bool {
    let fits = |v: i64| (i64::from(i32::MIN) + 1..=i64::from(i32::MAX)).contains(&v);
    columns.iter().all(|c| {
        c.rows <= i64::from(i32::MAX)
            && c.filter.is_none_or(|f| fits(f.lo) && fits(f.hi))
            && c.transform.as_ref().is_none_or(|t| !t.needs_64_bit_values())
    })
}
