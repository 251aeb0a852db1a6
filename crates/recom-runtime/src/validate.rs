//! An artifact is untrusted input: before anything runs, every field the
//! kernel or the host program trusts is checked, and the first bad one is
//! an error naming it (`plan.items[12].table_base: ...`). What the checks
//! guarantee: every read the kernel makes stays inside the packed tables,
//! the request buffers and the output; the host program reads only inputs
//! and earlier results; sizes and counts agree across the plan.
use crate::plan::{Artifact, GpuKernel, Plan};
use recom_abi::kernel::{encode_columns, field, item, Buffer, FusedColumn, COLUMN_FIELDS, ITEM_FIELDS};
use recom_abi::dense::Operand;

/// A field of an artifact that does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid artifact: {field}: {problem}")]
pub struct ArtifactError {
    pub field: String,
    pub problem: String,
}

fn bad(field: impl Into<String>, problem: impl Into<String>) -> ArtifactError {
    ArtifactError { field: field.into(), problem: problem.into() }
}

impl Artifact {
    /// Checks every field (see the module docs).
    pub fn validate(&self) -> Result<(), ArtifactError> {
        self.plan.validate()?;
        if self.plan.is_host_only() && (!self.gpu.is_empty() || self.cpu.is_some()) {
            return Err(bad("gpu", "kernels for a plan with no columns"));
        }
        for gpu in &self.gpu {
            gpu.validate()?;
            // The transform pass exactly where the plan has one.
            match (&self.plan.transform_kernel, &gpu.transform) {
                (Some(_), None) => return Err(bad("gpu.transform", format!("missing for {}: the plan transforms raw values before the kernel", gpu.chip))),
                (None, Some(_)) => return Err(bad("gpu.transform", "present, but the plan has no transform pass")),
                (Some(_), Some(pass)) => pass.validate()?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

impl crate::plan::GpuEntry {
    fn validate(&self) -> Result<(), ArtifactError> {
        if self.entry.is_empty() || !self.entry.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("gpu.transform.entry", format!("'{}' is not a kernel name", self.entry)));
        }
        if !self.ptx.contains(&format!(".entry {}(", self.entry)) {
            return Err(bad("gpu.transform.ptx", format!("has no .entry {}", self.entry)));
        }
        for (i, p) in self.params.iter().enumerate() {
            if self.params[..i].contains(p) {
                return Err(bad(format!("gpu.transform.params[{i}]"), format!("{p:?} is repeated")));
            }
        }
        // The pass reads each column's first item, its offsets and ids.
        for needed in [Buffer::Ids, Buffer::Offsets, Buffer::Items, Buffer::Columns] {
            if !self.params.contains(&needed) {
                return Err(bad("gpu.transform.params", format!("lacks {needed:?}")));
            }
        }
        Ok(())
    }
}

impl GpuKernel {
    fn validate(&self) -> Result<(), ArtifactError> {
        if self.entry.is_empty() || !self.entry.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("gpu.entry", format!("'{}' is not a kernel name", self.entry)));
        }
        if !self.ptx.contains(&format!(".entry {}(", self.entry)) {
            return Err(bad("gpu.ptx", format!("has no .entry {}", self.entry)));
        }
        if !(32..=1024).contains(&self.threads) || self.threads % 32 != 0 {
            return Err(bad("gpu.threads", format!("{} is not a multiple of 32 in [32, 1024]", self.threads)));
        }
        // The outlined kernel takes the buffers in an order of its own, each once.
        for (i, p) in self.params.iter().enumerate() {
            if self.params[..i].contains(p) {
                return Err(bad(format!("gpu.params[{i}]"), format!("{p:?} is repeated")));
            }
        }
        // Outlining passes only the buffers the kernel reads: a model without
        // weights, filters or out-of-range checks reads no Weights, Columns or
        // Status. Every kernel gathers rows into the output.
        for needed in [Buffer::Tables, Buffer::Ids, Buffer::Offsets, Buffer::Items, Buffer::Out] {
            if !self.params.contains(&needed) {
                return Err(bad("gpu.params", format!("lacks {needed:?}")));
            }
        }
        Ok(())
    }
}

impl Plan {
    /// The width of each feed as the dense program reads it: f32 feeds of
    /// static shape `[-1, d...]`, `None` for others.
    pub fn feed_widths(&self) -> Vec<Option<usize>> {
        self.feeds
            .iter()
            .map(|f| match (&f.dtype, &f.shape) {
                (recom_host::FeedType::F32, Some(shape)) if shape.first() == Some(&-1) => {
                    shape[1..].iter().try_fold(1usize, |n, &d| usize::try_from(d).ok().and_then(|d| n.checked_mul(d)))
                }
                _ => None,
            })
            .collect()
    }

    /// Checks every field of the plan (see the module docs).
    pub fn validate(&self) -> Result<(), ArtifactError> {
        // A kernel exactly when there are columns (a host-only plan has
        // neither; its outputs cannot read an embedding layer).
        if self.kernel.is_empty() != self.columns.is_empty() {
            return Err(bad("plan.kernel", if self.kernel.is_empty() { "is empty" } else { "names a kernel for no columns" }));
        }
        if self.is_host_only() {
            let reads_layer = self.dense.steps.iter().flat_map(|s| s.operands()).chain(self.outputs.iter().map(|o| o.source)).any(|o| o == Operand::Embedding);
            if reads_layer || !self.tables.is_empty() {
                return Err(bad("plan.columns", "empty, but the plan has tables or reads an embedding layer"));
            }
            if self.outputs.is_empty() {
                return Err(bad("plan.outputs", "a plan with no columns and no outputs computes nothing"));
            }
        }
        if !(1..=8).contains(&self.per_item) {
            return Err(bad("plan.per_item", format!("{} is not in [1, 8]", self.per_item)));
        }
        if !(1..=16).contains(&self.rows_per_item) {
            return Err(bad("plan.rows_per_item", format!("{} is not in [1, 16]", self.rows_per_item)));
        }
        if self.index_bits != 32 && self.index_bits != 64 {
            return Err(bad("plan.index_bits", format!("{} is not 32 or 64", self.index_bits)));
        }
        // Tables: sane sizes, inside the packed buffer, not overlapping.
        let mut spans = Vec::with_capacity(self.tables.len());
        for (i, t) in self.tables.iter().enumerate() {
            let at = |f: &str| format!("plan.tables[{i}].{f}");
            if t.dim == 0 || t.rows == 0 {
                return Err(bad(at("rows"), format!("{} x {} is not a table", t.rows, t.dim)));
            }
            if t.pitch < t.dim || t.pitch % 4 != 0 {
                return Err(bad(at("pitch"), format!("{} is not the dim {} rounded up to a multiple of 4", t.pitch, t.dim)));
            }
            let end = t.rows.checked_mul(t.pitch).and_then(|n| n.checked_add(t.offset)).filter(|&e| e <= isize::MAX as usize / 4);
            let Some(end) = end else {
                return Err(bad(at("rows"), format!("{} rows of {} elements at {} overflow", t.rows, t.pitch, t.offset)));
            };
            spans.push((t.offset, end, i));
        }
        spans.sort();
        if let Some(w) = spans.windows(2).find(|w| w[1].0 < w[0].1) {
            return Err(bad(format!("plan.tables[{}].offset", w[1].2), format!("overlaps table {}", w[0].2)));
        }
        // Columns and the output width.
        let mut width = 0usize;
        for (c, column) in self.columns.iter().enumerate() {
            let table = self.tables.get(column.table).ok_or_else(|| {
                bad(format!("plan.columns[{c}].table"), format!("{} is not one of the {} tables", column.table, self.tables.len()))
            })?;
            if let Some(f) = column.filter {
                if f.lo >= f.hi {
                    return Err(bad(format!("plan.columns[{c}].filter"), format!("[{}, {}) is empty", f.lo, f.hi)));
                }
            }
            width += table.dim;
        }
        if width != self.width {
            return Err(bad("plan.width", format!("{} is not the sum of the column dims, {width}", self.width)));
        }
        // The tables' placement, if sharded: every table once, rows covered,
        // no GPU over its memory.
        if let Some(sharding) = &self.sharding {
            sharding.check(&self.table_loads(&[])).map_err(|e| bad("plan.sharding", e))?;
        }
        // The kernel's column table: an entry per column, then the
        // transforms' records.
        if self.columns_meta.len() < self.columns.len() * COLUMN_FIELDS {
            return Err(bad("plan.columns_meta", format!("{} entries for {} columns", self.columns_meta.len(), self.columns.len())));
        }
        for (c, meta) in self.columns_meta[..self.columns.len() * COLUMN_FIELDS].chunks_exact(COLUMN_FIELDS).enumerate() {
            let kind = meta[field::KIND];
            if !(0..self.columns.len() as i64).contains(&kind) {
                return Err(bad(format!("plan.columns_meta[{c}].kind"), format!("{kind} names no column kind")));
            }
            let rows = self.tables[self.columns[c].table].rows as i64;
            let default = meta[field::DEFAULT_ID];
            if !(0..rows).contains(&default) {
                return Err(bad(format!("plan.columns_meta[{c}].default_id"), format!("{default} is not a row of its {rows}-row table")));
            }
        }
        // A kernel built for raw values runs after their transform pass.
        let transforms = self.columns.iter().any(|c| c.transform.is_some());
        match &self.transform_kernel {
            Some(_) if !transforms => return Err(bad("plan.transform_kernel", "no column transforms its raw values")),
            None if transforms => return Err(bad("plan.transform_kernel", "missing: a column transforms its raw values")),
            Some(name) if name.is_empty() => return Err(bad("plan.transform_kernel", "is empty")),
            _ => {}
        }
        for (c, column) in self.columns.iter().enumerate() {
            if let Some(t) = &column.transform {
                t.check().map_err(|e| bad(format!("plan.columns[{c}].transform"), e))?;
                if t.needs_64_bit_values() && self.index_bits != 64 {
                    return Err(bad(format!("plan.columns[{c}].transform"), "needs 64-bit ids (plan.index_bits is 32)"));
                }
            }
        }
        // The column table is exactly what the columns say (a tampered kind
        // index could run a transform's code on a column without one, a
        // tampered bucket count divide by zero).
        let fused: Vec<FusedColumn> = self
            .columns
            .iter()
            .map(|c| {
                let t = &self.tables[c.table];
                FusedColumn {
                    table_offset: t.offset as i64,
                    rows: t.rows as i64,
                    dim: t.dim as i64,
                    combiner: c.combiner,
                    weighted: c.weighted,
                    on_out_of_range: c.on_out_of_range,
                    filter: c.filter,
                    transform: c.transform.clone(),
                }
            })
            .collect();
        let expected = encode_columns(&fused);
        if let Some(c) = (0..self.columns.len()).find(|&c| expected[c * COLUMN_FIELDS..(c + 1) * COLUMN_FIELDS] != self.columns_meta[c * COLUMN_FIELDS..(c + 1) * COLUMN_FIELDS]) {
            return Err(bad(format!("plan.columns_meta[{c}]"), "does not match plan.columns"));
        }
        if expected != self.columns_meta {
            return Err(bad("plan.columns_meta", "the transforms' records do not match plan.columns"));
        }
        // Work items: each reads its column's table within a row and writes
        // its own output elements.
        if self.items.len() % ITEM_FIELDS != 0 {
            return Err(bad("plan.items", format!("{} entries are not whole {ITEM_FIELDS}-entry records", self.items.len())));
        }
        let mut out_base = vec![0usize; self.columns.len() + 1];
        for (c, column) in self.columns.iter().enumerate() {
            out_base[c + 1] = out_base[c] + self.tables[column.table].dim;
        }
        for (k, record) in self.items.chunks_exact(ITEM_FIELDS).enumerate() {
            let at = |f: &str| format!("plan.items[{k}].{f}");
            let column = usize::try_from(record[item::COLUMN])
                .ok()
                .filter(|&c| c < self.columns.len())
                .ok_or_else(|| bad(at("column"), format!("{} is not a column", record[item::COLUMN])))?;
            let table = &self.tables[self.columns[column].table];
            let valid = record[item::VALID];
            // 0: a padding item, which the kernel skips.
            if !(0..=self.per_item as i64).contains(&valid) {
                return Err(bad(at("valid"), format!("{valid} is not in [0, {}]", self.per_item)));
            }
            if record[item::PITCH] != table.pitch as i64 || record[item::ROWS] != table.rows as i64 {
                return Err(bad(at("pitch"), "pitch and rows are not those of the column's table"));
            }
            let base = record[item::TABLE_BASE];
            let lane = base - table.offset as i64;
            if lane < 0 || lane + valid > table.dim as i64 {
                return Err(bad(at("table_base"), format!("{base} reads outside row 0 of table {}", self.columns[column].table)));
            }
            let out = record[item::OUT_BASE];
            if out - lane != out_base[column] as i64 || out + valid > out_base[column + 1] as i64 {
                return Err(bad(at("out_base"), format!("{out} writes outside column {column}'s output")));
            }
        }
        // And they are the canonical table (grouped by kind, a column's items
        // consecutive: the transform pass takes a column's ids once, from its
        // first item).
        if self.items != recom_abi::kernel::encode_items(&fused, self.per_item) {
            return Err(bad("plan.items", "the work items are not those plan.columns and plan.per_item give"));
        }
        // The host program: reads only inputs and earlier results, one
        // source per column, weights exactly for weighted columns.
        self.host.check(self.feeds.len()).map_err(|e| bad("plan.host", e))?;
        if self.host.columns.len() != self.columns.len() {
            return Err(bad("plan.host.columns", format!("{} sources for {} columns", self.host.columns.len(), self.columns.len())));
        }
        for (c, (source, column)) in self.host.columns.iter().zip(&self.columns).enumerate() {
            if source.weights.is_some() != column.weighted {
                return Err(bad(format!("plan.host.columns[{c}].weights"), format!("the column is{} weighted", if column.weighted { "" } else { " not" })));
            }
        }
        // The shape program parses (depth-limited) and reads existing columns.
        if let Some(shapes) = &self.shapes {
            if let Some((i, s)) = shapes.symbols.iter().enumerate().find(|(_, s)| s.column() >= self.columns.len()) {
                return Err(bad(format!("plan.shapes.symbols[{i}]"), format!("{s:?} names no column")));
            }
            shapes.compile().map_err(|e| bad("plan.shapes", e))?;
        }
        // The dense program and the outputs.
        let host_widths: Vec<usize> = self.host.values.iter().map(|v| v.width).collect();
        let infos = self.dense.check(Some(self.width), &self.feed_widths(), &host_widths).map_err(|e| bad("plan.dense", e))?;
        for (i, output) in self.outputs.iter().enumerate() {
            let at = format!("plan.outputs[{i}]");
            let width = match output.source {
                recom_abi::dense::Operand::Embedding => self.width,
                recom_abi::dense::Operand::Step(s) => infos.get(s).map(|v| v.width).ok_or_else(|| bad(&at, format!("step {s} does not exist")))?,
                recom_abi::dense::Operand::Feed(f) => self
                    .feed_widths()
                    .get(f)
                    .copied()
                    .flatten()
                    .ok_or_else(|| bad(&at, format!("feed {f} is not an f32 input")))?,
                recom_abi::dense::Operand::Host(h) => host_widths.get(h).copied().ok_or_else(|| bad(&at, format!("host value {h} does not exist")))?,
                recom_abi::dense::Operand::Weight(_) => return Err(bad(&at, "an output cannot be a weight")),
            };
            let dims = output.shape.iter().skip(1).try_fold(1usize, |n, &d| usize::try_from(d).ok().and_then(|d| n.checked_mul(d)));
            if output.name.is_empty() || output.shape.first() != Some(&-1) || dims != Some(width) {
                return Err(bad(&at, format!("'{}' of shape {:?} does not hold {width} values per row", output.name, output.shape)));
            }
        }
        Ok(())
    }
}
