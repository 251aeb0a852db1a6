//! What a compiled model needs at run time, as plain data (serializable, so
//! an artifact can be written by the compiler and read by the runtime).
use recom_host::{self as host, Feed, FeedSpec, HostError, HostProgram};
use recom_abi::{
    kernel::{decode_status, is_identity_table, Buffer},
    request::{self as input, ColumnInput, InputError},
    Filter,
};
pub use recom_abi::dense::{DenseProgram, OutputSpec};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One table of the packed tables buffer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSlot {
    pub name: String,
    pub rows: usize,
    pub dim: usize,
    /// Elements between rows in the packed buffer (dim rounded up to 4; the
    /// padding is zeros).
    pub pitch: usize,
    /// Offset in the packed buffer, in elements.
    pub offset: usize,
}

/// One column of the kernel: its table and how its ids are checked (where
/// its inputs come from is [`Plan::host`]'s).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnPlan {
    /// Index into [`Plan::tables`].
    pub table: usize,
    pub weighted: bool,
    pub filter: Option<Filter>,
    /// The column's ids are raw values the kernel turns into ids first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<recom_abi::IdTransform>,
    /// How the bag is pooled and what an id past the table does (the kernel
    /// reads them from `columns_meta`; here for tools and peers).
    pub combiner: recom_abi::Combiner,
    pub on_out_of_range: recom_abi::OutOfRange,
}

/// A compiled model's fused embedding layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The model function.
    pub function: String,
    /// The kernel (loop function or GPU kernel) name.
    pub kernel: String,
    /// The id-transform pass run before the kernel (same buffers), where a
    /// column's ids are raw values (`columns[].transform`): it writes each
    /// value's id in place, and the kernel reads ids only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform_kernel: Option<String>,
    /// The model function's inputs, in argument order.
    pub feeds: Vec<FeedSpec>,
    /// The host program: every column's CSR input from the inputs.
    pub host: HostProgram,
    pub tables: Vec<TableSlot>,
    pub columns: Vec<ColumnPlan>,
    /// ΣD, the output width.
    pub width: usize,
    /// The kernel's column table (`recom_abi::kernel::encode_columns`).
    pub columns_meta: Vec<i64>,
    /// The kernel's work items, `recom_abi::kernel::ITEM_FIELDS` entries each.
    pub items: Vec<i64>,
    /// Output elements per work item.
    pub per_item: usize,
    /// Rows one kernel iteration handles (the grid's x extent is ceil(B / this)).
    pub rows_per_item: usize,
    /// Width of the packed ids and offsets the kernel reads (32 or 64).
    #[serde(default = "index_bits_before_narrowing")]
    pub index_bits: u32,
    /// The host shape program (sizes of every request's buffers and grid).
    #[serde(default)]
    pub shapes: Option<crate::shape::ShapeProgram>,
    /// The dense part: what the outputs compute from the embedding layer.
    #[serde(default)]
    pub dense: DenseProgram,
    /// The model's outputs, in the model function's result order.
    #[serde(default)]
    pub outputs: Vec<OutputSpec>,
    /// The tables' placement on several GPUs (`recom compile --gpus N`);
    /// none: everything on one device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<recom_abi::shard::ShardPlan>,
}

impl Plan {
    /// A model with no embedding layer: no kernel, no tables; the host
    /// program (TensorFlow's evaluator) and the dense program compute the
    /// outputs.
    pub fn is_host_only(&self) -> bool {
        self.columns.is_empty()
    }

    /// What the sharding planner sees of this plan's tables: their stored
    /// bytes (rows at the kernel's row pitch) and the bytes per request the
    /// columns reading them gather, with `ids_per_row[c]` expected ids per
    /// row in column c (1 where not given).
    pub fn table_loads(&self, ids_per_row: &[f64]) -> Vec<recom_abi::shard::TableLoad> {
        let tables: Vec<(String, u64, u64)> = self.tables.iter().map(|t| (t.name.clone(), t.rows as u64, t.dim as u64)).collect();
        let column_tables: Vec<usize> = self.columns.iter().map(|c| c.table).collect();
        recom_abi::shard::table_loads(&tables, &column_tables, ids_per_row)
    }
}

/// Artifacts written before ids could be packed as i32 read 64-bit ids.
fn index_bits_before_narrowing() -> u32 {
    64
}

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("table '{name}': {problem}")]
    Table { name: String, problem: String },
    #[error("column {column}, row {row}: id {id} is not a row of its {rows}-row table (on_out_of_range = \"error\")")]
    IdOutOfRange { column: usize, row: usize, id: i64, rows: usize },
    #[error("device: {0}")]
    Device(String),
}

impl Plan {
    pub fn weighted(&self) -> Vec<bool> {
        self.columns.iter().map(|c| c.weighted).collect()
    }

    /// Length of the packed tables buffer.
    pub fn packed_tables_len(&self) -> usize {
        self.tables.iter().map(|t| t.offset + t.rows * t.pitch).max().unwrap_or(0)
    }

    /// Builds the packed tables buffer from tables given by name (row-major
    /// `rows x dim` each).
    pub fn bind_tables(&self, tables: &HashMap<String, Vec<f32>>) -> Result<Vec<f32>, RunError> {
        let mut packed = vec![0f32; self.packed_tables_len()];
        for slot in &self.tables {
            // Synthetic identity tables (indicator and numeric columns) are made here.
            let identity;
            let data = match tables.get(&slot.name) {
                Some(data) => data,
                None if is_identity_table(&slot.name, slot.rows, slot.dim) => {
                    identity = recom_abi::kernel::identity_table(slot.rows);
                    &identity
                }
                None => {
                    return Err(RunError::Table { name: slot.name.clone(), problem: "no data was given for this table".into() })
                }
            };
            if data.len() != slot.rows * slot.dim {
                return Err(RunError::Table {
                    name: slot.name.clone(),
                    problem: format!("expected {} x {} = {} values, got {}", slot.rows, slot.dim, slot.rows * slot.dim, data.len()),
                });
            }
            for (r, row) in data.chunks_exact(slot.dim).enumerate() {
                let at = slot.offset + r * slot.pitch;
                packed[at..at + slot.dim].copy_from_slice(row);
            }
        }
        Ok(packed)
    }

    /// Runs the host program: every column's CSR input from the model's
    /// inputs, one [`Feed`] per entry of [`Plan::feeds`].
    pub fn prepare(&self, feeds: &[Feed]) -> Result<Vec<ColumnInput>, HostError> {
        host::prepare(&self.feeds, &self.host, feeds)
    }

    /// [`Self::prepare`], plus the host program's values for the dense
    /// program ([`recom_host::HostProgram::values`]).
    pub fn prepare_all(&self, feeds: &[Feed]) -> Result<(Vec<ColumnInput>, Vec<Vec<f32>>), HostError> {
        host::prepare_all(&self.feeds, &self.host, feeds, &recom_host::Limits::default())
    }

    /// Validates a request and packs it into the buffer `buffer(bytes)`
    /// lends (e.g. page-locked staging), sizing it with the plan's shape
    /// program when it has one (`shapes`, compiled), which must agree with
    /// the layout the inputs give. The values are checked and written in one
    /// pass, over the columns in parallel for a large request, while the
    /// shape program runs beside it. On an error the buffer holds a partial
    /// request that must not be launched.
    pub fn stage<'b>(
        &self,
        shapes: Option<&crate::shape::CompiledShapes>,
        inputs: &[ColumnInput],
        buffer: impl FnOnce(usize) -> Result<&'b mut [u8], RunError>,
    ) -> Result<(input::ByteLayout, crate::shape::Sizes), RunError> {
        // A string column's ids reference its bytes; any other column's are ids.
        for (c, (column, input)) in self.columns.iter().zip(inputs).enumerate() {
            let strings = column.transform.as_ref().is_some_and(|t| t.takes_strings());
            if input.bytes.is_some() != strings {
                let problem = if strings { "the column hashes strings, but its input has none" } else { "the column takes ids, but its input is strings" };
                return Err(input::InputError::BadColumn { column: c, problem: problem.into() }.into());
            }
        }
        let weighted = self.weighted();
        let unvalidated = input::ByteLayout::size(inputs, &weighted, self.index_bits)?;
        let out = buffer(unvalidated.bytes())?;
        let mut write = || unvalidated.write_validated(inputs, &weighted, &mut out[..unvalidated.bytes()]);
        let size = || shapes.map(|program| program.evaluate(inputs)).transpose();
        let (layout, sizes) = if input::is_large(inputs) { rayon::join(write, size) } else { (write(), size()) };
        let layout = layout?;
        let sizes = sizes?.unwrap_or(crate::shape::Sizes {
            batch: layout.batch,
            ids: layout.ids.1,
            offsets: layout.offsets.1,
            weights: layout.weights.1,
            output: layout.batch * self.width,
            grid_x: layout.batch.div_ceil(self.rows_per_item.max(1)),
        });
        let from_layout = (layout.batch, layout.ids.1, layout.offsets.1, layout.weights.1);
        if (sizes.batch, sizes.ids, sizes.offsets, sizes.weights) != from_layout {
            return Err(RunError::Device(format!("the shape program gives {sizes:?}, the request's layout {from_layout:?}")));
        }
        // The output and the grid the buffers are sized and the kernel is
        // launched by: what the plan says they are (an artifact's shape
        // program is untrusted: a larger output would be zeroed and reduced
        // past its buffer, a smaller grid would leave rows unwritten).
        let (output, grid_x) = (layout.batch * self.width, layout.batch.div_ceil(self.rows_per_item.max(1)));
        if (sizes.output, sizes.grid_x) != (output, grid_x) {
            return Err(RunError::Device(format!(
                "the shape program gives an output of {} values and a grid of {} rows, the plan {output} and {grid_x}",
                sizes.output, sizes.grid_x
            )));
        }
        Ok((layout, sizes))
    }

    /// Turns the kernel's status word into an error naming the column, row
    /// and id (the kernel reports only column and row; the id is found again
    /// on the host with the kernel's rules).
    pub fn check_status(&self, status: i64, inputs: &[ColumnInput]) -> Result<(), RunError> {
        let Some((column, row)) = decode_status(status) else {
            return Ok(());
        };
        let (Some(plan), Some(input)) = (self.columns.get(column), inputs.get(column)) else {
            return Err(RunError::Device(format!("kernel reported an out-of-range id in unknown column {column}")));
        };
        let rows = self.tables[plan.table].rows;
        let bag = input.offsets[row] as usize..input.offsets[row + 1] as usize;
        let id = input.ids[bag]
            .iter()
            .map(|&id| plan.transform.as_ref().map_or(id, |t| t.apply(id, input.bytes.as_deref().unwrap_or_default())))
            .map(|id| plan.filter.map_or(id, |f| f.apply(id)))
            .find(|&id| id >= rows as i64)
            .unwrap_or(-1);
        Err(RunError::IdOutOfRange { column, row, id, rows })
    }
}

/// The fused kernel compiled for a GPU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuKernel {
    /// PTX text, made in-process by LLVM.
    pub ptx: String,
    /// The `.entry` to launch.
    pub entry: String,
    pub chip: String,
    /// The kernel's memref parameters, in order.
    pub params: Vec<Buffer>,
    /// Launch geometry: grid (ceil(B / rows_per_item), ceil(items / threads), 1),
    /// block (1, threads, 1).
    pub threads: u32,
    /// The dense program's elementwise kernels for this chip.
    #[serde(default)]
    pub dense: Vec<DenseKernel>,
    /// The id-transform pass ([`Plan::transform_kernel`]) for this chip.
    /// Launch: grid (items, 1, 1), block (1, threads, 1) — the first item of
    /// each column transforms the column's ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<GpuEntry>,
}

/// A kernel of a module of its own: PTX, entry, memref parameters (the
/// kernel's buffers, in order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuEntry {
    pub ptx: String,
    pub entry: String,
    pub params: Vec<Buffer>,
}

/// An elementwise kernel of the dense program: `out[r, c] = expr(in_i[r, c])`
/// over strided 2-D memrefs (a broadcast input has stride 0). Launch: grid
/// (rows, ceil(columns / threads)), block (1, threads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DenseKernel {
    /// The `Map` step it computes; `None` for the strided copy `Concat` uses.
    pub step: Option<usize>,
    pub ptx: String,
    pub entry: String,
    /// Per kernel parameter, the loop function's argument: 0 = out, 1 + i = input i.
    pub params: Vec<usize>,
    pub threads: u32,
}

/// Everything the runtime needs to serve a model: written by the compiler,
/// read without MLIR.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub plan: Plan,
    /// The kernel compiled for each chip asked for (PTX; the driver
    /// JIT-compiles it for the chip it runs on, so the newest chip not
    /// newer than the device's is loaded).
    #[serde(default)]
    pub gpu: Vec<GpuKernel>,
    /// The loop kernel's MLIR, for the CPU JIT of a host that has MLIR.
    #[serde(default)]
    pub cpu: Option<CpuKernel>,
    /// The weights file beside the artifact ([`crate::bundle`]).
    #[serde(default)]
    pub weights: Option<crate::bundle::WeightsFile>,
    /// The part of the TensorFlow graph the host program's fallback steps
    /// run (a binary GraphDef beside the artifact), when it has any.
    #[serde(default)]
    pub host_graph: Option<crate::bundle::WeightsFile>,
    /// What the compiler did, for `recom inspect` and reports.
    #[serde(default)]
    pub summary: Option<CompileSummary>,
}

/// The embedding kernel for the CPU: its loop-level module, as MLIR text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuKernel {
    pub mlir: String,
}

/// The compiler's account of a model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompileSummary {
    /// The source model file.
    pub source: String,
    /// TensorFlow nodes imported (the outputs' cone).
    pub tf_nodes: usize,
    /// Embedding columns fused into the one kernel.
    pub columns: usize,
    pub kernels: usize,
    pub host_steps: usize,
    pub dense_steps: usize,
    /// The graph outputs the host computes with the TensorFlow evaluator
    /// (columns and head values recom does not raise yet), each with why
    /// (what the raising matchers refused, the tf ops left) in parentheses.
    #[serde(default)]
    pub host_fallback: Vec<String>,
    pub weight_bytes: u64,
    /// (stage, milliseconds)
    pub stages: Vec<(String, f64)>,
}

/// The artifact format this runtime reads and writes; bumped whenever a
/// field's meaning changes, so an older runtime refuses a newer artifact
/// instead of misreading it. /3: host ops read one column of a dense input
/// (`SparseFromDense.column`) and number OOV buckets from `oov_base`
/// (`Vocabulary`), plans may be host-only (no columns, no kernel) and carry
/// a table placement (`sharding`) — fields a /2 runtime would ignore and
/// answer wrongly. /4: a column's ids may be raw values the kernel
/// transforms (`columns[].transform`; the column table grew a field). /5:
/// vocabulary and bucketize transforms (records after the column table),
/// and transforms run in a pass of their own before the kernel
/// (`transform_kernel`, `gpu[].transform`), which a /4 runtime would skip.
pub const ARTIFACT_FORMAT: &str = "recom-artifact/5";

/// The file form: the format tag beside the artifact's fields.
#[derive(Serialize)]
struct Envelope<'a> {
    format: &'a str,
    #[serde(flatten)]
    artifact: &'a Artifact,
}

#[derive(Deserialize)]
struct Tag {
    format: Option<String>,
}

impl Artifact {
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Envelope { format: ARTIFACT_FORMAT, artifact: self }).expect("artifacts serialize")
    }
    /// Reads an artifact and validates every field (`validate`): an
    /// artifact is untrusted input. Its format tag is checked first.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let tag: Tag = serde_json::from_str(text).map_err(|e| format!("not a recom artifact: {e}"))?;
        match tag.format.as_deref() {
            Some(ARTIFACT_FORMAT) => {}
            Some(other) => {
                let problem = format!("'{other}' is not a format this runtime reads ({ARTIFACT_FORMAT})");
                return Err(crate::validate::ArtifactError { field: "format".into(), problem }.to_string());
            }
            None => {
                let problem = format!("missing (this runtime reads {ARTIFACT_FORMAT})");
                return Err(crate::validate::ArtifactError { field: "format".into(), problem }.to_string());
            }
        }
        let mut artifact: Artifact = serde_json::from_str(text).map_err(|e| format!("not a recom artifact: {e}"))?;
        artifact.validate().map_err(|e| e.to_string())?;
        // The host program as it runs: split strings hashed in place.
        artifact.plan.host.fuse();
        Ok(artifact)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::shape::{ShapeProgram, ShapeSymbol};

    /// Three tables (dims 4, 8, 1; pitches 4, 8, 4) and one column per
    /// table (13 output values a row), one or two work items each, one row
    /// per item: the runtime's unit tests' plan.
    pub(crate) fn plan() -> Plan {
        let json = r#"{"function":"f","kernel":"k","tables":[
            {"name":"a","rows":2,"dim":4,"pitch":4,"offset":0},
            {"name":"b","rows":3,"dim":8,"pitch":8,"offset":8},
            {"name":"c","rows":1,"dim":1,"pitch":4,"offset":32}],
          "columns":[
            {"table":0,"weighted":false,"filter":null,"combiner":"sum","on_out_of_range":"Error"},
            {"table":1,"weighted":false,"filter":null,"combiner":"sum","on_out_of_range":"Error"},
            {"table":2,"weighted":false,"filter":null,"combiner":"sum","on_out_of_range":"Error"}],
          "width":13,"columns_meta":[],"items":[
            0,0,0,4,2,4,0,0,
            1,8,4,8,3,4,0,0,
            1,12,8,8,3,4,0,0,
            2,32,12,4,1,1,0,0],
          "per_item":4,"rows_per_item":1,"index_bits":32,
          "host":{"columns":[],"steps":[],"values":[]},"feeds":[],"outputs":[]}"#;
        serde_json::from_str(json).unwrap()
    }

    fn shapes(output: &str, grid: &str) -> crate::shape::CompiledShapes {
        let symbols = (0..3).map(ShapeSymbol::OffsetsLen).chain((0..3).map(ShapeSymbol::IdsLen)).collect();
        let exprs = ["s0 - 1", "s3 + s4 + s5", "s0 + s1 + s2", "0", output, grid, "min(min(s0, s1), s2) - 1", "max(max(s0, s1), s2) - 1"];
        let roles = ["batch", "ids", "offsets", "weights", "output", "grid_x", "batch_min", "batch_max"];
        ShapeProgram { symbols, exprs: exprs.map(String::from).to_vec(), roles: roles.map(String::from).to_vec() }.compile().unwrap()
    }

    /// An artifact's shape program is checked against the plan: an output
    /// or a grid other than the plan's is an error before any launch (the
    /// buffers are sized, zeroed and reduced by it).
    #[test]
    fn the_shape_program_must_agree_with_the_plan() {
        let plan = plan();
        let inputs: Vec<ColumnInput> = (0..3).map(|_| ColumnInput { ids: vec![0, 0], offsets: vec![0, 1, 2], weights: None, bytes: None }).collect();
        let mut buffer = vec![0u8; 1 << 12];
        let mut stage = |shapes: &crate::shape::CompiledShapes| plan.stage(Some(shapes), &inputs, |n| Ok(&mut buffer[..n])).map(|(layout, sizes)| (layout.batch, sizes.output));
        assert_eq!(stage(&shapes("(s0 - 1) * 13", "s0 - 1")).unwrap(), (2, 26));
        let e = stage(&shapes("(s0 - 1) * 14", "s0 - 1")).unwrap_err().to_string();
        assert!(e.contains("an output of 28 values") && e.contains("the plan 26"), "{e}");
        let e = stage(&shapes("(s0 - 1) * 13", "s0")).unwrap_err().to_string();
        assert!(e.contains("a grid of 3 rows"), "{e}");
    }
}
