//! A compiled model on disk: one folder `MODEL.recom/` holding
//!
//! * `artifact.json` — the [`Artifact`] (format tag, plan, dense program,
//!   PTX per chip, the CPU kernel's IR) and the weights file's size and
//!   CRC-32;
//! * `weights.safetensors` — every embedding table and dense weight by name,
//!   f32, memory-mapped on load.
//!
//! Both are untrusted input: the artifact is validated field by field, the
//! weights file is checked against its recorded size and checksum before it
//! is parsed, and every tensor the plan names must be there with the shape
//! the plan says.
use crate::plan::Artifact;
use recom_abi::kernel::identity_table_size;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

pub const ARTIFACT_FILE: &str = "artifact.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub const HOST_GRAPH_FILE: &str = "host_graph.pb";

/// What the artifact records about a file beside it (weights, host graph).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsFile {
    pub file: String,
    pub bytes: u64,
    pub crc32: u32,
}

/// Why a bundle could not be written or read; names the file.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {problem}")]
    Io { path: PathBuf, problem: String },
    #[error("{path}: invalid artifact: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

fn io(path: &Path, e: impl std::fmt::Display) -> BundleError {
    BundleError::Io { path: path.to_path_buf(), problem: e.to_string() }
}

fn invalid(path: &Path, problem: impl Into<String>) -> BundleError {
    BundleError::Invalid { path: path.to_path_buf(), problem: problem.into() }
}

/// A named f32 tensor to store.
pub struct Tensor<'a> {
    pub name: &'a str,
    pub shape: Vec<usize>,
    pub data: F32Data<'a>,
}

/// An f32 tensor's elements: values, or their little-endian bytes as a
/// GraphDef stores them (written as they are, no copy).
pub enum F32Data<'a> {
    Values(&'a [f32]),
    LittleEndian(&'a [u8]),
}

/// Writes `dir/artifact.json`, `dir/weights.safetensors` and, when the host
/// program runs part of the TensorFlow graph, `dir/host_graph.pb` (a binary
/// GraphDef), creating `dir`. The artifact's `weights` and `host_graph`
/// fields are filled in here.
pub fn write(dir: &Path, artifact: &Artifact, tensors: &[Tensor], host_graph: Option<&[u8]>) -> Result<Artifact, BundleError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut host_graph_file = None;
    if let Some(bytes) = host_graph {
        let path = dir.join(HOST_GRAPH_FILE);
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        host_graph_file = Some(WeightsFile { file: HOST_GRAPH_FILE.into(), bytes: bytes.len() as u64, crc32: crc32fast::hash(bytes) });
    }
    // Streamed: one tensor's little-endian bytes at a time, never the whole
    // file in memory (tables can be gigabytes).
    for t in tensors {
        if let F32Data::LittleEndian(b) = t.data {
            let elements: usize = t.shape.iter().product();
            if b.len() != elements * 4 {
                return Err(io(dir, format!("weights: tensor '{}' of shape {:?} has {} bytes", t.name, t.shape, b.len())));
            }
        }
    }
    let views = tensors.iter().map(|t| (t.name.to_string(), F32View { shape: &t.shape, data: &t.data }));
    let metadata = HashMap::from([("format".to_string(), crate::plan::ARTIFACT_FORMAT.to_string())]);
    let weights_path = dir.join(WEIGHTS_FILE);
    safetensors::serialize_to_file(views, &Some(metadata), &weights_path).map_err(|e| io(&weights_path, format!("weights: {e:?}")))?;
    let (size, crc32) = file_crc32(&weights_path).map_err(|e| io(&weights_path, e))?;
    let mut artifact = artifact.clone();
    artifact.host_graph = host_graph_file;
    artifact.weights = Some(WeightsFile { file: WEIGHTS_FILE.into(), bytes: size, crc32 });
    let artifact_path = dir.join(ARTIFACT_FILE);
    std::fs::write(&artifact_path, artifact.to_json()).map_err(|e| io(&artifact_path, e))?;
    Ok(artifact)
}

/// An f32 tensor as safetensors writes it.
struct F32View<'a> {
    shape: &'a [usize],
    data: &'a F32Data<'a>,
}

impl safetensors::View for F32View<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        match self.data {
            F32Data::Values(v) => std::borrow::Cow::Owned(v.iter().flat_map(|v| v.to_le_bytes()).collect()),
            F32Data::LittleEndian(b) => std::borrow::Cow::Borrowed(b),
        }
    }
    fn data_len(&self) -> usize {
        match self.data {
            F32Data::Values(v) => v.len() * 4,
            F32Data::LittleEndian(b) => b.len(),
        }
    }
}

/// A file's size and CRC-32, read in blocks.
fn file_crc32(path: &Path) -> std::io::Result<(u64, u32)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut block = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok((size, hasher.finalize()));
        }
        hasher.update(&block[..n]);
        size += n as u64;
    }
}

/// A bundle read back: the validated artifact and its memory-mapped weights.
pub struct Bundle {
    pub dir: PathBuf,
    pub artifact: Artifact,
    weights: memmap2::Mmap,
    /// Tensor name → (shape, byte range in the file).
    index: HashMap<String, (Vec<usize>, std::ops::Range<usize>)>,
}

impl Bundle {
    /// Reads and checks a bundle folder.
    pub fn read(dir: &Path) -> Result<Bundle, BundleError> {
        if !dir.is_dir() {
            let hint = if dir.extension().is_some_and(|e| e == "pb" || e == "pbtxt") { " (a TensorFlow graph: compile it first with `recom compile`)" } else { "" };
            return Err(io(dir, format!("not a compiled model folder{hint}")));
        }
        let artifact_path = dir.join(ARTIFACT_FILE);
        let text = std::fs::read_to_string(&artifact_path).map_err(|e| io(&artifact_path, e))?;
        let artifact = Artifact::from_json(&text).map_err(|e| invalid(&artifact_path, e.trim_start_matches("invalid artifact: ")))?;
        let recorded = artifact.weights.clone().ok_or_else(|| invalid(&artifact_path, "weights: missing"))?;
        if recorded.file.contains('/') || recorded.file.contains('\\') || recorded.file.starts_with('.') {
            return Err(invalid(&artifact_path, format!("weights.file: '{}' is not a file name in the folder", recorded.file)));
        }
        let weights_path = dir.join(&recorded.file);
        let file = std::fs::File::open(&weights_path).map_err(|e| io(&weights_path, e))?;
        // SAFETY: the map is read-only; a file changed underneath is caught by the checksum below only
        // if it changes before the check (the usual mmap caveat: do not edit a served model in place).
        let weights = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| io(&weights_path, e))?;
        if weights.len() as u64 != recorded.bytes {
            return Err(invalid(&weights_path, format!("{} bytes, the artifact recorded {} (truncated or replaced)", weights.len(), recorded.bytes)));
        }
        let crc = crc32fast::hash(&weights);
        if crc != recorded.crc32 {
            return Err(invalid(&weights_path, format!("checksum {crc:08x}, the artifact recorded {:08x} (corrupt or tampered)", recorded.crc32)));
        }
        let (header_len, _) = SafeTensors::read_metadata(&weights).map_err(|e| invalid(&weights_path, format!("{e:?}")))?;
        let parsed = SafeTensors::deserialize(&weights).map_err(|e| invalid(&weights_path, format!("{e:?}")))?;
        let base = weights.as_ptr() as usize;
        let mut index = HashMap::new();
        for (name, view) in parsed.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(invalid(&weights_path, format!("tensor '{name}' is {:?}, not F32", view.dtype())));
            }
            let start = view.data().as_ptr() as usize - base;
            index.insert(name, (view.shape().to_vec(), start..start + view.data().len()));
        }
        let _ = header_len;
        let mut artifact = artifact;
        // The TensorFlow graph of the host fallback steps.
        let needs_graph = !artifact.plan.host.tf_outputs().is_empty();
        match (&artifact.host_graph, needs_graph) {
            (None, true) => return Err(invalid(&artifact_path, "host_graph: missing, but the host program runs TensorFlow graph outputs")),
            (Some(recorded), _) => {
                if recorded.file.contains('/') || recorded.file.contains('\\') || recorded.file.starts_with('.') {
                    return Err(invalid(&artifact_path, format!("host_graph.file: '{}' is not a file name in the folder", recorded.file)));
                }
                let path = dir.join(&recorded.file);
                let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
                if bytes.len() as u64 != recorded.bytes || crc32fast::hash(&bytes) != recorded.crc32 {
                    return Err(invalid(&path, "size or checksum differs from what the artifact recorded (corrupt or tampered)"));
                }
                let graph = recom_tf::decode_binary(&bytes, &path.display().to_string()).map_err(|e| invalid(&path, e.to_string()))?;
                let graph = recom_host::HostGraph(Some(std::sync::Arc::new(recom_tf_eval::Graph::new(graph).map_err(|e| invalid(&path, e.to_string()))?)));
                artifact.plan.host.graph = graph;
            }
            (None, false) => {}
        }
        let bundle = Bundle { dir: dir.to_path_buf(), artifact, weights, index };
        bundle.check_tensors()?;
        Ok(bundle)
    }

    /// Every tensor the plan reads is present with the plan's shape.
    fn check_tensors(&self) -> Result<(), BundleError> {
        let path = self.dir.join(WEIGHTS_FILE);
        let plan = &self.artifact.plan;
        for slot in &plan.tables {
            if identity_table_size(&slot.name).is_some() && !self.index.contains_key(&slot.name) {
                continue;
            }
            match self.index.get(&slot.name) {
                Some((shape, _)) if shape[..] == [slot.rows, slot.dim] => {}
                Some((shape, _)) => return Err(invalid(&path, format!("table '{}' has shape {shape:?}, the plan says [{}, {}]", slot.name, slot.rows, slot.dim))),
                None => return Err(invalid(&path, format!("table '{}' is missing", slot.name))),
            }
        }
        for w in &plan.dense.weights {
            match self.index.get(&w.name) {
                Some((shape, _)) if shape.iter().product::<usize>() == w.len() && *shape == w.shape => {}
                Some((shape, _)) => return Err(invalid(&path, format!("weight '{}' has shape {shape:?}, the plan says {:?}", w.name, w.shape))),
                None => return Err(invalid(&path, format!("weight '{}' is missing", w.name))),
            }
        }
        Ok(())
    }

    /// A tensor's values (copied out of the map: it need not be aligned).
    pub fn tensor(&self, name: &str) -> Option<Vec<f32>> {
        let (_, range) = self.index.get(name)?;
        Some(self.weights[range.clone()].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    /// The packed tables buffer the kernel reads.
    pub fn packed_tables(&self) -> Result<Vec<f32>, crate::plan::RunError> {
        let tables: HashMap<String, Vec<f32>> =
            self.artifact.plan.tables.iter().filter_map(|slot| self.tensor(&slot.name).map(|t| (slot.name.clone(), t))).collect();
        self.artifact.plan.bind_tables(&tables)
    }

    /// The dense program's weights, in its order.
    pub fn dense_weights(&self) -> Vec<Vec<f32>> {
        self.artifact.plan.dense.weights.iter().map(|w| self.tensor(&w.name).expect("checked on read")).collect()
    }

    /// Bytes of the weights file.
    pub fn weights_bytes(&self) -> usize {
        self.weights.len()
    }
}
