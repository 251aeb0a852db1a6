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
    /// The same file as a zip, to check each array's header before npyz
    /// parses it ([`check_npy_header`]).
    zip: zip::ZipArchive<std::io::BufReader<std::fs::File>>,
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
        let zip = std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| e.to_string()))
            .map_err(|e| NpzError { file: file.clone(), problem: format!("not a readable .npz file: {e}") })?;
        Ok(Batch { file, archive, zip })
    }

    /// Checks array `key`'s `.npy` header (when the file has the array)
    /// before npyz reads it: npyz's header parser takes exponential time on
    /// some malformed headers, and trusts the shape before reading data.
    fn check(&mut self, key: &str) -> Result<(), NpzError> {
        let name = format!("{key}.npy");
        let Ok(mut entry) = self.zip.by_name(&name) else { return Ok(()) };
        let size = entry.size();
        check_npy_header(&mut entry, size).map_err(|problem| NpzError { file: self.file.clone(), problem: format!("array '{key}': {problem}") })
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
        self.check(key)?;
        let Some(npy) = self.archive.by_name(key).map_err(bad)? else { return Ok(None) };
        let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
        let data = npy.into_vec::<T>().map_err(bad)?;
        Ok(Some((shape, data)))
    }

    fn dtype_of(&mut self, key: &str) -> Result<Option<String>, NpzError> {
        self.check(key)?;
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

/// The longest `.npy` header accepted (numpy writes ~128 bytes).
const MAX_NPY_HEADER: usize = 1 << 16;

/// Reads and checks a `.npy` header in linear time: the magic, a header of
/// at most [`MAX_NPY_HEADER`] bytes that is a flat dict of `'descr'` (a
/// plain dtype string), `'fortran_order'` (`True`/`False`) and `'shape'` (a
/// tuple of integers), and a shape whose bytes fit in the entry's `size`.
pub fn check_npy_header(r: &mut impl std::io::Read, size: u64) -> Result<(), String> {
    let mut head = [0u8; 12];
    r.read_exact(&mut head[..10]).map_err(|_| "shorter than a .npy header".to_string())?;
    if &head[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (no magic string)".into());
    }
    let (len, start) = match head[6] {
        1 => (u16::from_le_bytes([head[8], head[9]]) as usize, 10),
        2 | 3 => {
            r.read_exact(&mut head[10..12]).map_err(|_| "shorter than a .npy header".to_string())?;
            (u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize, 12)
        }
        v => return Err(format!(".npy format version {v} is not 1, 2 or 3")),
    };
    if len > MAX_NPY_HEADER {
        return Err(format!("a .npy header of {len} bytes (at most {MAX_NPY_HEADER})"));
    }
    let mut text = vec![0u8; len];
    r.read_exact(&mut text).map_err(|_| "the .npy header is cut short".to_string())?;
    let (descr, shape) = parse_npy_dict(&text).map_err(|e| format!("malformed .npy header: {e}"))?;
    let item: u64 = descr.trim_start_matches(['<', '>', '|', '=']).get(1..).and_then(|n| n.parse().ok()).ok_or_else(|| format!("dtype '{descr}' is not a plain number or byte type"))?;
    let data = shape.iter().try_fold(item, |n, &d| n.checked_mul(d)).ok_or_else(|| format!("shape {shape:?} overflows"))?;
    if data > size.saturating_sub((start + len) as u64) {
        return Err(format!("shape {shape:?} of '{descr}' needs {data} bytes, the array holds {}", size.saturating_sub((start + len) as u64)));
    }
    Ok(())
}

/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` → (descr,
/// shape); one pass, no backtracking, no nesting beyond the shape tuple.
fn parse_npy_dict(text: &[u8]) -> Result<(String, Vec<u64>), String> {
    let mut at = 0;
    let skip = |at: &mut usize| {
        while *at < text.len() && text[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    let expect = |at: &mut usize, c: u8| -> Result<(), String> {
        skip(at);
        if text.get(*at) == Some(&c) {
            *at += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, *at))
        }
    };
    let string = |at: &mut usize| -> Result<String, String> {
        skip(at);
        let quote = *text.get(*at).ok_or("expected a string")?;
        if quote != b'\'' && quote != b'"' {
            return Err(format!("expected a string at byte {}", *at));
        }
        let end = text[*at + 1..].iter().position(|&c| c == quote).ok_or("an unterminated string")? + *at + 1;
        let s = std::str::from_utf8(&text[*at + 1..end]).map_err(|_| "a string that is not UTF-8")?;
        if s.len() > 32 || !s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'<' | b'>' | b'|' | b'=' | b'_')) {
            return Err(format!("an unexpected string '{}'", s.chars().take(32).collect::<String>()));
        }
        *at = end + 1;
        Ok(s.to_string())
    };
    expect(&mut at, b'{')?;
    let (mut descr, mut order, mut shape) = (None, None, None);
    loop {
        skip(&mut at);
        if text.get(at) == Some(&b'}') {
            at += 1;
            break;
        }
        let key = string(&mut at)?;
        expect(&mut at, b':')?;
        skip(&mut at);
        match key.as_str() {
            "descr" if descr.is_none() => descr = Some(string(&mut at)?),
            "fortran_order" if order.is_none() => {
                let word = if text[at..].starts_with(b"True") { "True" } else if text[at..].starts_with(b"False") { "False" } else { return Err("fortran_order is not True or False".into()) };
                at += word.len();
                order = Some(word == "True");
            }
            "shape" if shape.is_none() => {
                expect(&mut at, b'(')?;
                let mut dims = Vec::new();
                loop {
                    skip(&mut at);
                    if text.get(at) == Some(&b')') {
                        at += 1;
                        break;
                    }
                    let digits = text[at..].iter().take_while(|c| c.is_ascii_digit()).count();
                    let dim = std::str::from_utf8(&text[at..at + digits]).ok().and_then(|d| d.parse::<u64>().ok()).ok_or_else(|| format!("a dimension that is not a number at byte {at}"))?;
                    at += digits;
                    dims.push(dim);
                    if dims.len() > 32 {
                        return Err("more than 32 dimensions".into());
                    }
                    skip(&mut at);
                    match text.get(at) {
                        Some(b',') => at += 1,
                        Some(b')') => {}
                        _ => return Err(format!("expected ',' or ')' at byte {at}")),
                    }
                }
                shape = Some(dims);
            }
            other => return Err(format!("an unexpected or repeated key '{other}'")),
        }
        skip(&mut at);
        match text.get(at) {
            Some(b',') => at += 1,
            Some(b'}') => {}
            _ => return Err(format!("expected ',' or '}}' at byte {at}")),
        }
    }
    skip(&mut at);
    if at != text.len() {
        return Err(format!("bytes after the dict at byte {at}"));
    }
    match (descr, order, shape) {
        (Some(d), Some(_), Some(s)) => Ok((d, s)),
        _ => Err("the dict lacks 'descr', 'fortran_order' or 'shape'".into()),
    }
}


#[cfg(test)]
mod tests {
    use super::check_npy_header;

    fn npy(header: &str, data: usize) -> Vec<u8> {
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        v.extend((header.len() as u16).to_le_bytes());
        v.extend(header.as_bytes());
        v.extend(vec![0u8; data]);
        v
    }

    fn check(header: &str, data: usize) -> Result<(), String> {
        let bytes = npy(header, data);
        check_npy_header(&mut &bytes[..], bytes.len() as u64)
    }

    #[test]
    fn numpy_headers_pass() {
        assert_eq!(check("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }          \n", 48), Ok(()));
        assert_eq!(check("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }\n", 5), Ok(()));
        assert_eq!(check("{\"descr\": \"<f4\", \"shape\": (), \"fortran_order\": True}", 4), Ok(()));
    }

    /// Found by the request fuzz target: a header of nested braces took
    /// npyz's parser over a minute. Now it is refused at once, as are
    /// shapes larger than the data and other malformed headers.
    #[test]
    fn hostile_headers_are_errors() {
        let nested = format!("{}'scr': '<i8', 'fortran_order': False, 'shape': (34, 2), }}", "{".repeat(26));
        let t = std::time::Instant::now();
        assert!(check(&nested, 544).unwrap_err().contains("malformed .npy header"));
        assert!(t.elapsed() < std::time::Duration::from_millis(100));
        assert!(check("{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000,), }", 8).unwrap_err().contains("needs 8000000000000 bytes"));
        assert!(check("{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", 8).unwrap_err().contains("overflows"));
        assert!(check("{'descr': 'O', 'fortran_order': False, 'shape': (1,), }", 8).unwrap_err().contains("not a plain number"));
        assert!(check("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), 'x': 1}", 8).unwrap_err().contains("unexpected or repeated key"));
        assert!(check("{'descr': '<i8', 'fortran_order': False}", 8).unwrap_err().contains("lacks"));
        assert!(check("{'descr': '<i8', 'fortran_order': False, 'shape': (1,)} trailing", 8).unwrap_err().contains("bytes after"));
        let mut big = npy("{}", 0);
        big[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
        big[6] = 2;
        assert!(check_npy_header(&mut &big[..], big.len() as u64).is_err());
        assert!(check_npy_header(&mut &b"PK\x03\x04"[..], 4).unwrap_err().contains("shorter"));
    }
}
