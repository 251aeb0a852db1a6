//! Vocabulary files (`categorical_column_with_vocabulary_file`,
//! `index_table_from_file`): a frozen graph fills such a table at run time
//! with `InitializeTableFromTextFileV2(table, "<path>")`, reading a file the
//! GraphDef does not contain. recom reads the file once, at compile time,
//! and makes the initializer the `LookupTableImportV2(table, keys, 0..n)` a
//! vocabulary list would have been: the importer, the raising patterns
//! and the host evaluator then see one kind of vocabulary table.
//!
//! The file is looked for at the path the graph names, then beside the
//! model (`<model dir>/<file name>`), then in `<model dir>/assets/` (where a
//! SavedModel keeps it). TensorFlow's text-file semantics: one key per line
//! (the whole line, `key_index` -2), the value is the line number
//! (`value_index` -1), at most `vocab_size` lines when it is set (fewer
//! lines is an error, as in TensorFlow), integer keys parsed as int64.
use crate::{
    proto::{attr_value::Value as AttrKind, tensor_shape_proto::Dim},
    AttrValue, DataType, GraphDef, NodeDef, TensorProto, TensorShapeProto,
};
use std::path::{Path, PathBuf};

/// Why a vocabulary file could not be inlined (names the node and file).
#[derive(Debug, thiserror::Error)]
#[error("node '{node}': {problem}")]
pub struct VocabularyFileError {
    pub node: String,
    pub problem: String,
}

fn string_const(node: &NodeDef) -> Option<String> {
    if node.op != "Const" {
        return None;
    }
    match node.attr.get("value").and_then(|a| a.value.as_ref()) {
        Some(AttrKind::Tensor(t)) if t.dtype == DataType::DtString as i32 => t.string_val.first().map(|s| String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}

fn int_attr(node: &NodeDef, name: &str, default: i64) -> i64 {
    match node.attr.get(name).and_then(|a| a.value.as_ref()) {
        Some(AttrKind::I(i)) => *i,
        _ => default,
    }
}

fn vector(dtype: DataType, n: usize) -> TensorProto {
    TensorProto {
        dtype: dtype as i32,
        tensor_shape: Some(TensorShapeProto { dim: vec![Dim { size: n as i64, ..Default::default() }], ..Default::default() }),
        ..Default::default()
    }
}

fn const_node(name: String, tensor: TensorProto) -> NodeDef {
    let mut node = NodeDef { name, op: "Const".into(), ..Default::default() };
    node.attr.insert("dtype".into(), AttrValue { value: Some(AttrKind::Type(tensor.dtype)) });
    node.attr.insert("value".into(), AttrValue { value: Some(AttrKind::Tensor(tensor)) });
    node
}

/// Where the file the graph names is: as named, beside the model, or in
/// the model's `assets/`.
fn locate(named: &str, model_dir: &Path) -> Result<PathBuf, String> {
    let as_named = PathBuf::from(named);
    let file_name = as_named.file_name().map(PathBuf::from).unwrap_or_else(|| as_named.clone());
    let candidates = [as_named.clone(), model_dir.join(&file_name), model_dir.join("assets").join(&file_name)];
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!("vocabulary file '{named}' not found (looked at {}); put it beside the model", tried.join(", "))
    })
}

/// Replaces every `InitializeTableFromTextFileV2` of `graph` by the
/// `LookupTableImportV2` of the file's keys (see the module documentation);
/// returns the files read.
pub fn inline_vocabulary_files(graph: &mut GraphDef, model_dir: &Path) -> Result<Vec<PathBuf>, VocabularyFileError> {
    let mut read = Vec::new();
    let mut added = Vec::new();
    for i in 0..graph.node.len() {
        if !matches!(graph.node[i].op.as_str(), "InitializeTableFromTextFileV2" | "InitializeTableFromTextFile") {
            continue;
        }
        let node = graph.node[i].clone();
        let fail = |problem: String| VocabularyFileError { node: node.name.clone(), problem };
        let data_inputs: Vec<&String> = node.input.iter().filter(|x| !x.starts_with('^')).collect();
        let [table, filename] = data_inputs[..] else { return Err(fail(format!("takes a table and a file name, has {} inputs", data_inputs.len()))) };
        let by_name = |name: &str| graph.node.iter().find(|n| n.name == name.split(':').next().unwrap_or(name));
        let named = by_name(filename).and_then(string_const).ok_or_else(|| fail("the file name is not a constant string".into()))?;
        let (key_index, value_index) = (int_attr(&node, "key_index", -2), int_attr(&node, "value_index", -1));
        if key_index != -2 || value_index != -1 || int_attr(&node, "offset", 0) != 0 {
            return Err(fail(format!(
                "only whole-line keys numbered by line are supported (key_index -2, value_index -1), got key_index {key_index}, value_index {value_index}"
            )));
        }
        let key_dtype = by_name(table)
            .and_then(|t| match t.attr.get("key_dtype").and_then(|a| a.value.as_ref()) {
                Some(AttrKind::Type(d)) => DataType::try_from(*d).ok(),
                _ => None,
            })
            .unwrap_or(DataType::DtString);
        let path = locate(&named, model_dir).map_err(fail)?;
        let text = std::fs::read(&path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let lines: Vec<&[u8]> = lines.into_iter().map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
        let vocab_size = int_attr(&node, "vocab_size", -1);
        let n = match usize::try_from(vocab_size) {
            Ok(size) if size > lines.len() => {
                return Err(fail(format!("{}: vocab_size {size} but the file has {} lines", path.display(), lines.len())));
            }
            Ok(size) => size,
            Err(_) => lines.len(),
        };
        let mut keys = match key_dtype {
            DataType::DtString => vector(DataType::DtString, n),
            DataType::DtInt64 => vector(DataType::DtInt64, n),
            other => return Err(fail(format!("vocabulary keys of type {} are not supported", other.as_str_name()))),
        };
        for (k, line) in lines.iter().take(n).enumerate() {
            if key_dtype == DataType::DtString {
                keys.string_val.push(line.to_vec());
            } else {
                let parsed = std::str::from_utf8(line).ok().and_then(|s| s.trim().parse::<i64>().ok());
                keys.int64_val.push(parsed.ok_or_else(|| fail(format!("{}:{}: not an int64 key", path.display(), k + 1)))?);
            }
        }
        let mut values = vector(DataType::DtInt64, n);
        values.int64_val = (0..n as i64).collect();
        let keys_name = format!("{}/recom_vocabulary_keys", node.name);
        let values_name = format!("{}/recom_vocabulary_values", node.name);
        let mut import = NodeDef { name: node.name.clone(), op: "LookupTableImportV2".into(), device: node.device.clone(), ..Default::default() };
        import.input = vec![table.clone(), keys_name.clone(), values_name.clone()];
        import.input.extend(node.input.iter().filter(|x| x.starts_with('^')).cloned());
        import.attr.insert("Tin".into(), AttrValue { value: Some(AttrKind::Type(key_dtype as i32)) });
        import.attr.insert("Tout".into(), AttrValue { value: Some(AttrKind::Type(DataType::DtInt64 as i32)) });
        graph.node[i] = import;
        added.push(const_node(keys_name, keys));
        added.push(const_node(values_name, values));
        read.push(path);
    }
    graph.node.extend(added);
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_text;

    const GRAPH: &str = r#"
        node { name: "table" op: "HashTableV2" attr { key: "key_dtype" value { type: DT_STRING } } attr { key: "value_dtype" value { type: DT_INT64 } } }
        node { name: "file" op: "Const" attr { key: "dtype" value { type: DT_STRING } } attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape {} string_val: "/nowhere/vocab.txt" } } } }
        node { name: "init" op: "InitializeTableFromTextFileV2" input: "table" input: "file" attr { key: "key_index" value { i: -2 } } attr { key: "value_index" value { i: -1 } } attr { key: "vocab_size" value { i: VOCAB } } }
    "#;

    fn dir(name: &str, contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("recom-vocab-{}-{name}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("assets/vocab.txt"), contents).unwrap();
        dir
    }

    #[test]
    fn a_file_beside_the_model_becomes_an_import() {
        let d = dir("ok", "us\r\ncn\n\nde\n");
        let mut graph = parse_text(&GRAPH.replace("VOCAB", "-1"), "g.pbtxt").unwrap();
        let read = inline_vocabulary_files(&mut graph, &d).unwrap();
        assert_eq!(read, [d.join("assets/vocab.txt")]);
        let init = graph.node.iter().find(|n| n.name == "init").unwrap();
        assert_eq!(init.op, "LookupTableImportV2");
        assert_eq!(init.input, ["table", "init/recom_vocabulary_keys", "init/recom_vocabulary_values"]);
        let keys = graph.node.iter().find(|n| n.name == "init/recom_vocabulary_keys").unwrap();
        let Some(AttrKind::Tensor(t)) = keys.attr["value"].value.as_ref() else { panic!() };
        assert_eq!(t.string_val, [b"us".to_vec(), b"cn".to_vec(), b"".to_vec(), b"de".to_vec()], "an empty line is a key, as in TensorFlow");
        // vocab_size takes the first lines; more than the file has is an error.
        let mut graph = parse_text(&GRAPH.replace("VOCAB", "2"), "g.pbtxt").unwrap();
        inline_vocabulary_files(&mut graph, &d).unwrap();
        let mut graph = parse_text(&GRAPH.replace("VOCAB", "9"), "g.pbtxt").unwrap();
        let e = inline_vocabulary_files(&mut graph, &d).unwrap_err().to_string();
        assert!(e.contains("vocab_size 9 but the file has 4 lines"), "{e}");
    }

    #[test]
    fn a_missing_file_names_the_places_looked_at() {
        let mut graph = parse_text(&GRAPH.replace("VOCAB", "-1"), "g.pbtxt").unwrap();
        let e = inline_vocabulary_files(&mut graph, Path::new("/tmp/recom-no-such-dir")).unwrap_err().to_string();
        assert!(e.starts_with("node 'init': vocabulary file '/nowhere/vocab.txt' not found"), "{e}");
        assert!(e.contains("/tmp/recom-no-such-dir/assets/vocab.txt"), "{e}");
    }
}
