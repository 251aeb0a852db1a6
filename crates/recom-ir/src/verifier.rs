//! `--verify-diagnostics`: checks the diagnostics a run produced against
//! `expected-*` annotations in the source, as mlir-opt does.
//!
//! Annotation syntax (in comments): `expected-error {{text}}`, with
//! `expected-warning`, `expected-remark`, `expected-note` likewise. The
//! diagnostic must be on the same line unless a designator says otherwise:
//! `@+N` / `@-N` (relative), `@N` (absolute line), `@above` / `@below` (the
//! nearest line before/after that holds no annotation). `text` must occur in
//! the message. Every annotation must be matched by exactly one diagnostic and
//! every diagnostic (notes included) must match an annotation.
use crate::diagnostics::{Diagnostic, Severity, SourceLocation};

/// One `expected-*` annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub severity: Severity,
    /// The line the diagnostic must be reported on.
    pub line: usize,
    pub text: String,
    /// Where the annotation itself is written.
    pub annotation_line: usize,
    pub annotation_column: usize,
}

/// Reads all annotations of `source`. Malformed annotations are returned as
/// diagnostics located at the annotation.
pub fn parse_expectations(source: &str, file: &str) -> (Vec<Expectation>, Vec<Diagnostic>) {
    let lines: Vec<&str> = source.lines().collect();
    let is_annotation = |l: &str| l.contains("expected-");
    let mut expectations = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let line_no = index + 1;
        let mut search = 0;
        while let Some(found) = line[search..].find("expected-") {
            let start = search + found;
            let rest = &line[start + "expected-".len()..];
            search = start + "expected-".len();
            let Some((severity, after)) = [
                ("error", Severity::Error),
                ("warning", Severity::Warning),
                ("remark", Severity::Remark),
                ("note", Severity::Note),
            ]
            .iter()
            .find_map(|(word, sev)| rest.strip_prefix(word).map(|after| (*sev, after))) else {
                continue;
            };
            let column = start + 1;
            let problem = |msg: String| {
                Diagnostic::new(
                    Severity::Error,
                    SourceLocation::File { file: file.to_string(), line: line_no, column },
                    msg,
                )
            };
            let after = after.trim_start();
            let (target, after) = if let Some(designator) = after.strip_prefix('@') {
                let end = designator.find(|c: char| c.is_whitespace() || c == '{').unwrap_or(designator.len());
                let word = &designator[..end];
                let target = match word {
                    "above" => (0..index).rev().find(|&i| !is_annotation(lines[i])).map(|i| i + 1),
                    "below" => (index + 1..lines.len()).find(|&i| !is_annotation(lines[i])).map(|i| i + 1),
                    w if w.starts_with('+') => w[1..].parse::<usize>().ok().map(|n| line_no + n),
                    w if w.starts_with('-') => {
                        w[1..].parse::<usize>().ok().and_then(|n| line_no.checked_sub(n)).filter(|&l| l >= 1)
                    }
                    w => w.parse::<usize>().ok(),
                };
                match target {
                    Some(t) => (t, designator[end..].trim_start()),
                    None => {
                        problems.push(problem(format!("invalid line designator '@{word}'")));
                        continue;
                    }
                }
            } else {
                (line_no, after)
            };
            let Some(body) = after.strip_prefix("{{") else {
                problems.push(problem("expected '{{' after the expected-* annotation".into()));
                continue;
            };
            let Some(end) = body.rfind("}}") else {
                problems.push(problem("expected '}}' closing the expected-* annotation".into()));
                continue;
            };
            expectations.push(Expectation {
                severity,
                line: target,
                text: body[..end].to_string(),
                annotation_line: line_no,
                annotation_column: column,
            });
            // Continue after the closing braces (body is a slice of line).
            search = body.as_ptr() as usize - line.as_ptr() as usize + end + 2;
        }
    }
    (expectations, problems)
}

/// Matches `diagnostics` (and their notes) against the annotations in
/// `source`. Returns the problems: unexpected diagnostics and expectations
/// that were not produced. Empty means the check passed.
pub fn verify(source: &str, file: &str, diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    let (expectations, mut problems) = parse_expectations(source, file);
    let mut matched = vec![false; expectations.len()];
    let mut flat = Vec::new();
    for d in diagnostics {
        flat.push(d);
        flat.extend(d.notes.iter());
    }
    for d in flat {
        let line = match d.location.file_position() {
            Some((f, line, _)) if f == file => Some(line),
            _ => None,
        };
        let hit = line.and_then(|line| {
            expectations.iter().enumerate().position(|(i, e)| {
                !matched[i] && e.severity == d.severity && e.line == line && d.message.contains(&e.text)
            })
        });
        match hit {
            Some(i) => matched[i] = true,
            None => problems.push(Diagnostic::new(
                Severity::Error,
                d.location.clone(),
                format!("unexpected {}: {}", d.severity, d.message),
            )),
        }
    }
    for (e, ok) in expectations.iter().zip(matched) {
        if !ok {
            problems.push(Diagnostic::new(
                Severity::Error,
                SourceLocation::File { file: file.to_string(), line: e.annotation_line, column: e.annotation_column },
                format!("expected {} \"{}\" was not produced", e.severity, e.text),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, sev: Severity, msg: &str) -> Diagnostic {
        Diagnostic::new(sev, SourceLocation::File { file: "f.mlir".into(), line, column: 3 }, msg)
    }

    #[test]
    fn designators() {
        let src = "a\n// expected-error@+1 {{boom}}\nb\n// expected-warning@above {{w}}\nc // expected-note {{n}}\n// expected-remark@below {{r}}\n// expected-error@1 {{abs}}\nz\n";
        let (e, p) = parse_expectations(src, "f.mlir");
        assert!(p.is_empty(), "{p:?}");
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 3, 5, 8, 1]);
    }

    #[test]
    fn match_and_mismatch() {
        let src = "x\n// expected-error@-1 {{bad thing}}\n";
        assert!(verify(src, "f.mlir", &[at(1, Severity::Error, "a bad thing here")]).is_empty());
        let missing = verify(src, "f.mlir", &[]);
        assert_eq!(missing.len(), 1);
        assert!(missing[0].message.contains("was not produced"));
        let unexpected = verify(src, "f.mlir", &[at(1, Severity::Error, "bad thing"), at(1, Severity::Error, "other")]);
        assert_eq!(unexpected.len(), 1);
        assert!(unexpected[0].message.starts_with("unexpected error: other"));
        let wrong_severity = verify(src, "f.mlir", &[at(1, Severity::Warning, "bad thing")]);
        assert_eq!(wrong_severity.len(), 2);
    }

    #[test]
    fn malformed_annotation_is_reported() {
        let (_, p) = parse_expectations("// expected-error@+x {{a}}\n// expected-error oops\n", "f.mlir");
        assert_eq!(p.len(), 2);
    }
}
