//! Batches as `.npz` files, the corpus's layout: input `name` is the array
//! `in.<name with / as .>` (strings: `.utf8` flat bytes plus `.offsets`
//! int64 `[n + 1]` beside the fixed-width array that gives the shape);
//! output `name` is `out.<name>`. Every problem names the file and the key.
use recom_host::{Feed, FeedSpec, FeedType};
use std::{collections::BTreeMap, path::Path};

#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct NpzError {
    pub file: String,
    pub problem: String,
}

type Archive = npyz::npz::NpzArchive<std::io::BufReader<std::fs::File>>;

/// An open batch file.
pub struct Batch {
    file: String,
    archive: Archive,
}

/// The array key of input `name`.
pub fn input_key(name: &str) -> String {
    format!("in.{}", name.replace('/', "."))
}

/// The array key of output `name`.
pub fn output_key(name: &str) -> String {
    format!("out.{}", name.replace('/', "."))
}

impl Batch {
    pub fn open(path: &Path) -> Result<Batch, NpzError> {
        let file = path.display().to_string();
        let archive = Archive::open(path).map_err(|e| NpzError { file: file.clone(), problem: format!("not a readable .npz file: {e}") })?;
        Ok(Batch { file, archive })
    }

    fn err(&self, problem: impl Into<String>) -> NpzError {
        NpzError { file: self.file.clone(), problem: problem.into() }
    }

    /// The array names in the file.
    pub fn names(&self) -> Vec<String> {
        self.archive.array_names().map(String::from).collect()
    }

    /// An array's shape and values as `T` (integers widen: i32 → i64).
    fn array<T: npyz::Deserialize>(&mut self, key: &str) -> Result<Option<(Vec<usize>, Vec<T>)>, NpzError> {
        let file = self.file.clone();
        let bad = |e: std::io::Error| NpzError { file: file.clone(), problem: format!("array '{key}': {e}") };
        let Some(npy) = self.archive.by_name(key).map_err(bad)? else { return Ok(None) };
        let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
        let data = npy.into_vec::<T>().map_err(bad)?;
        Ok(Some((shape, data)))
    }

    fn dtype_of(&mut self, key: &str) -> Result<Option<String>, NpzError> {
        let file = self.file.clone();
        let npy = self.archive.by_name(key).map_err(|e| NpzError { file, problem: format!("array '{key}': {e}") })?;
        Ok(npy.map(|n| n.dtype().descr().trim_matches('\'').to_string()))
    }

    /// The feed for input `spec`, checked against its dtype and static dims.
    pub fn feed(&mut self, spec: &FeedSpec) -> Result<Feed, NpzError> {
        let key = input_key(&spec.name);
        let Some(descr) = self.dtype_of(&key)? else {
            return Err(self.err(format!("input '{}' is missing (no array '{key}')", spec.name)));
        };
        let wrong = |this: &Batch, want: &str| this.err(format!("input '{}' ('{key}') is {descr}, the model takes {want}", spec.name));
        let feed = match spec.dtype {
            FeedType::I64 => {
                if descr.ends_with("i8") {
                    let (shape, data) = self.array::<i64>(&key)?.expect("present");
                    Feed::I64 { shape, data }
                } else if descr.ends_with("i4") {
                    let (shape, data) = self.array::<i32>(&key)?.expect("present");
                    Feed::I64 { shape, data: data.into_iter().map(i64::from).collect() }
                } else {
                    return Err(wrong(self, "int64 or int32"));
                }
            }
            FeedType::F32 => {
                if !descr.ends_with("f4") {
                    return Err(wrong(self, "float32"));
                }
                let (shape, data) = self.array::<f32>(&key)?.expect("present");
                Feed::F32 { shape, data }
            }
            FeedType::Str => {
                let utf8_key = format!("{key}.utf8");
                let offsets_key = format!("{key}.offsets");
                let shape: Vec<usize> = {
                    let file = self.file.clone();
                    let npy = self.archive.by_name(&key).map_err(|e| NpzError { file, problem: format!("array '{key}': {e}") })?.expect("present");
                    npy.shape().iter().map(|&d| d as usize).collect()
                };
                let Some((_, utf8)) = self.array::<u8>(&utf8_key)? else {
                    return Err(self.err(format!("string input '{}' needs '{utf8_key}' (flat bytes) beside '{key}'", spec.name)));
                };
                let Some((_, offsets)) = self.array::<i64>(&offsets_key)? else {
                    return Err(self.err(format!("string input '{}' needs '{offsets_key}' (int64 [n + 1]) beside '{key}'", spec.name)));
                };
                let n: usize = shape.iter().product();
                if offsets.len() != n + 1 || offsets[0] != 0 || offsets.windows(2).any(|w| w[0] > w[1]) || offsets[n] as usize != utf8.len() {
                    return Err(self.err(format!(
                        "'{offsets_key}' must be {} non-decreasing offsets from 0 to {} (the bytes of '{utf8_key}')",
                        n + 1,
                        utf8.len()
                    )));
                }
                let data = offsets.windows(2).map(|w| utf8[w[0] as usize..w[1] as usize].to_vec()).collect();
                Feed::Str { shape, data }
            }
        };
        if let Some(want) = &spec.shape {
            let got = feed.shape();
            let fits = want.len() == got.len() && want.iter().zip(got).all(|(&w, &g)| w < 0 || w as usize == g)
                || (want[..] == [-1, 1] && got.len() == 1);
            if !fits {
                return Err(self.err(format!("input '{}' ('{key}') has shape {got:?}, the model takes {want:?} (-1 = any)", spec.name)));
            }
        }
        Ok(feed)
    }

    /// Every input of the model, in its order.
    pub fn feeds(&mut self, specs: &[FeedSpec]) -> Result<Vec<Feed>, NpzError> {
        specs.iter().map(|s| self.feed(s)).collect()
    }

    /// Output `name` (`out.<name>`) if the file has it, as f32.
    pub fn output(&mut self, name: &str) -> Result<Option<(Vec<usize>, Vec<f32>)>, NpzError> {
        let key = output_key(name);
        match self.dtype_of(&key)? {
            None => Ok(None),
            Some(d) if d.ends_with("f4") => self.array::<f32>(&key),
            Some(d) => Err(self.err(format!("output '{name}' ('{key}') is {d}, not float32"))),
        }
    }
}

/// Writes outputs (`out.<name>`, f32) to a new `.npz` file.
pub fn write_outputs(path: &Path, outputs: &BTreeMap<String, (Vec<usize>, Vec<f32>)>) -> Result<(), NpzError> {
    use npyz::WriterBuilder;
    let file = path.display().to_string();
    let err = |e: std::io::Error| NpzError { file: file.clone(), problem: e.to_string() };
    let mut npz = npyz::npz::NpzWriter::create(path).map_err(err)?;
    for (name, (shape, data)) in outputs {
        let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let mut writer = npz.array(&output_key(name), Default::default()).map_err(err)?.default_dtype().shape(&shape).begin_nd().map_err(err)?;
        writer.extend(data.iter().copied()).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(())
}

/// The batch of a model widened by `recom_tf::widen::widen` with `copies`
/// copies: every input array also under each copy's prefix (`in.wide<k>.`),
/// and the expected output `output` repeated `copies + 1` times along
/// axis 1 (the other outputs are left out: the widened model has only this
/// one).
pub fn widen_batch(input: &Path, out: &Path, output: &str, copies: usize) -> Result<(), NpzError> {
    use npyz::WriterBuilder;
    use std::io::{Read, Write};
    let in_file = input.display().to_string();
    let out_file = out.display().to_string();
    let read_err = |e: &dyn std::fmt::Display| NpzError { file: in_file.clone(), problem: e.to_string() };
    let write_err = |e: &dyn std::fmt::Display| NpzError { file: out_file.clone(), problem: e.to_string() };
    let mut archive = zip::ZipArchive::new(std::fs::File::open(input).map_err(|e| read_err(&e))?).map_err(|e| read_err(&e))?;
    let mut writer = zip::ZipWriter::new(std::fs::File::create(out).map_err(|e| write_err(&e))?);
    let options = zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| read_err(&e))?;
        let Some(rest) = entry.name().strip_prefix("in.") else { continue };
        let rest = rest.to_string();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(|e| read_err(&e))?;
        for k in 0..=copies {
            let prefix = if k == 0 { String::new() } else { recom_tf::widen::copy_prefix(k).replace('/', ".") };
            let name = format!("in.{prefix}{rest}");
            writer.start_file(name, options).map_err(|e| write_err(&e))?;
            writer.write_all(&bytes).map_err(|e| write_err(&e))?;
        }
    }
    let mut batch = Batch::open(input)?;
    let (shape, data) = batch.output(output)?.ok_or_else(|| read_err(&format!("no array {}", output_key(output))))?;
    let [rows, width] = shape[..] else { return Err(read_err(&format!("output '{output}' has shape {shape:?}, not [rows, width]"))) };
    let mut tiled = Vec::with_capacity(data.len() * (copies + 1));
    for row in data.chunks(width.max(1)).take(rows) {
        for _ in 0..=copies {
            tiled.extend_from_slice(row);
        }
    }
    let mut npy = std::io::Cursor::new(Vec::new());
    let mut array = npyz::WriteOptions::new().default_dtype().shape(&[rows as u64, (width * (copies + 1)) as u64]).writer(&mut npy).begin_nd().map_err(|e| write_err(&e))?;
    array.extend(tiled).map_err(|e| write_err(&e))?;
    array.finish().map_err(|e| write_err(&e))?;
    writer.start_file(format!("{}.npy", output_key(output)), options).map_err(|e| write_err(&e))?;
    writer.write_all(npy.get_ref()).map_err(|e| write_err(&e))?;
    writer.finish().map_err(|e| write_err(&e))?;
    Ok(())
}
