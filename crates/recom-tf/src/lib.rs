//! Reading TensorFlow GraphDefs (binary `.pb`, text `.pbtxt`) for recom's
//! importer.
//!
//! The message definitions are recom's own `proto/graph.proto`, written from
//! TensorFlow's field numbers; prost decodes the binary form and
//! prost-reflect parses the text form against the same definitions. Every
//! failure is an error naming the file (and line:column for text), never a
//! panic.
use prost::Message;
use std::path::Path;

/// The generated messages (`GraphDef`, `NodeDef`, `AttrValue`, ...).
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/tensorflow.rs"));
}

pub mod ops;
pub mod tensor;
pub mod vocabulary_files;
pub mod widen;

pub use proto::{AttrValue, DataType, GraphDef, NodeDef, TensorProto, TensorShapeProto};
pub use bytes::Bytes;

const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graph_descriptors.bin"));

/// Why a GraphDef could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: not a valid binary GraphDef: {message}")]
    Binary { file: String, message: String },
    #[error("{file}:{line}:{column}: not a valid text GraphDef: {message}")]
    Text { file: String, line: usize, column: usize, message: String },
}

/// Decodes a binary GraphDef; `file` names it in errors.
pub fn decode_binary(bytes: &[u8], file: &str) -> Result<GraphDef, ReadError> {
    GraphDef::decode(bytes).map_err(|e| ReadError::Binary { file: file.to_string(), message: e.to_string() })
}

/// Decodes a binary GraphDef held in `bytes` without copying the tensors'
/// contents: they stay slices of `bytes` (a memory-mapped file, say).
pub fn decode_shared(bytes: bytes::Bytes, file: &str) -> Result<GraphDef, ReadError> {
    GraphDef::decode(bytes).map_err(|e| ReadError::Binary { file: file.to_string(), message: e.to_string() })
}

/// A GraphDef as binary protobuf (what `decode_binary` reads).
pub fn encode_binary(graph: &GraphDef) -> Vec<u8> {
    graph.encode_to_vec()
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Parses a text GraphDef; `file` names it in errors.
pub fn parse_text(text: &str, file: &str) -> Result<GraphDef, ReadError> {
    let pool = prost_reflect::DescriptorPool::decode(DESCRIPTORS).expect("the built-in descriptors decode");
    let descriptor = pool.get_message_by_name("tensorflow.GraphDef").expect("GraphDef is defined");
    let message = prost_reflect::DynamicMessage::parse_text_format(descriptor, text).map_err(|e| {
        use miette::Diagnostic;
        // Errors at a token carry its span; the parser's errors at the end
        // of the text ("... reached end of input") carry none: they are at
        // the end.
        let offset = e.labels().and_then(|mut labels| labels.next()).map_or(text.len(), |label| label.offset());
        let (line, column) = line_column(text, offset);
        ReadError::Text { file: file.to_string(), line, column, message: e.to_string() }
    })?;
    // The same definitions on both sides: re-encoding cannot fail to decode.
    decode_binary(&message.encode_to_vec(), file)
}

/// Reads `path`: text if it ends in `.pbtxt` or `.txt`, binary otherwise.
pub fn read_graph(path: &Path) -> Result<GraphDef, ReadError> {
    let file = path.display().to_string();
    let io = |source| ReadError::Io { file: file.clone(), source };
    let text = matches!(path.extension().and_then(|e| e.to_str()), Some("pbtxt" | "txt"));
    if !text {
        // Mapped, not read: the tables' bytes are paged in from the file as
        // the compiler reads them, and never copied into the graph. What
        // cannot be mapped (a pipe, say) is read.
        let handle = std::fs::File::open(path).map_err(io)?;
        // SAFETY: a read-only private map. As with any mapped file (the
        // bundle's weights too), a file truncated by another process while
        // it is compiled faults; recom does not defend against a concurrent
        // writer of its input.
        let bytes = match unsafe { memmap2::Mmap::map(&handle) } {
            Ok(map) => bytes::Bytes::from_owner(map),
            Err(_) => bytes::Bytes::from(std::fs::read(path).map_err(io)?),
        };
        return decode_shared(bytes, &file);
    }
    let bytes = std::fs::read(path).map_err(io)?;
    {
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let (line, column) = line_column(&String::from_utf8_lossy(&bytes), e.valid_up_to());
            ReadError::Text { file: file.clone(), line, column, message: "not UTF-8".into() }
        })?;
        parse_text(text, &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_text_is_located_at_its_end() {
        // Reliability repro r14: the error was always at 1:1.
        let text = "node {\n  name: \"a\"\n  op: \"Const\"\n  attr { key: \"dt";
        match parse_text(text, "t.pbtxt") {
            Err(ReadError::Text { line, column, message, .. }) => {
                assert_eq!((line, column), (4, 18), "{message}");
                assert!(message.contains("end of input"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn line_column_is_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn text_and_binary_agree() {
        let text = r#"node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_INT64 } } }
                      node { name: "y" op: "Identity" input: "x" }
                      versions { producer: 1 }"#;
        let graph = parse_text(text, "inline.pbtxt").unwrap();
        assert_eq!(graph.node.len(), 2);
        assert_eq!(graph.node[1].input, vec!["x".to_string()]);
        let again = decode_binary(&graph.encode_to_vec(), "inline.pb").unwrap();
        assert_eq!(graph, again);
        let dtype = &graph.node[0].attr["dtype"];
        assert_eq!(dtype.value, Some(proto::attr_value::Value::Type(DataType::DtInt64 as i32)));
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse_text("node { name: \"x\"\n  op: Placeholder }", "bad.pbtxt").unwrap_err().to_string();
        assert!(e.starts_with("bad.pbtxt:2:"), "{e}");
        let e = decode_binary(&[0x0a, 0xff, 0xff], "trunc.pb").unwrap_err().to_string();
        assert!(e.starts_with("trunc.pb: not a valid binary GraphDef"), "{e}");
    }
}
