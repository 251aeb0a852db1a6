//! `--split-input-file`: one buffer cut at `// -----` lines into chunks that
//! are processed independently.
//!
//! Each chunk is padded with the newlines that precede it in the file, so
//! line numbers in diagnostics are those of the original file.

/// The separator line, as in mlir-opt.
pub const SPLIT_MARKER: &str = "// -----";

/// One piece of an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The chunk's text, preceded by newlines so its first line keeps its
    /// line number in the whole file.
    pub text: String,
    /// 1-based line of the chunk's first line in the file.
    pub first_line: usize,
}

/// Cuts `source` at lines that start with `// -----`.
pub fn split_input(source: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut first_line = 1;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        if line.trim_end().starts_with(SPLIT_MARKER) {
            chunks.push(make_chunk(&current, first_line));
            current.clear();
            first_line = index + 2;
        } else {
            current.push_str(line);
        }
    }
    chunks.push(make_chunk(&current, first_line));
    chunks
}

fn make_chunk(body: &str, first_line: usize) -> Chunk {
    let mut text = "\n".repeat(first_line - 1);
    text.push_str(body);
    Chunk { text, first_line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_keeps_line_numbers() {
        let chunks = split_input("a\n// -----\nb\nc\n// -----\nd");
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].text, "a\n");
        assert_eq!(chunks[1].first_line, 3);
        assert_eq!(chunks[1].text, "\n\nb\nc\n");
        assert_eq!(chunks[2].text.lines().nth(5), Some("d"));
    }

    #[test]
    fn no_marker_is_one_chunk() {
        assert_eq!(split_input("x\ny\n"), vec![Chunk { text: "x\ny\n".into(), first_line: 1 }]);
    }
}
