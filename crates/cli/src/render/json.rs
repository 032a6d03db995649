//! `--format json`: one document on stdout, a serde struct with keys in sorted
//! order (fields are declared alphabetically), 1-based lines, UTF-16 columns,
//! root-relative files.

use std::io::{self, Write};

use lunora_parser::{Diagnostic, Files, LineCol};
use serde::Serialize;

use super::{primary_location, summary};

#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub diagnostics: Vec<JsonDiagnostic>,
    pub summary: JsonSummary,
    pub version: u32,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub end: JsonPosition,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Every label, primary first; absent when the diagnostic has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<JsonLabel>,
    pub message: String,
    pub severity: &'static str,
    pub start: JsonPosition,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub end: JsonPosition,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub start: JsonPosition,
}

#[derive(Debug, Serialize)]
pub struct JsonPosition {
    pub column: u32,
    pub line: u32,
}

#[derive(Debug, Serialize)]
pub struct JsonSummary {
    pub errors: usize,
    pub warnings: usize,
}

impl From<LineCol> for JsonPosition {
    fn from(lc: LineCol) -> Self {
        Self {
            column: lc.column,
            line: lc.line,
        }
    }
}

pub fn report(diagnostics: &[Diagnostic], files: &Files) -> JsonReport {
    let (errors, warnings) = summary(diagnostics);
    JsonReport {
        diagnostics: diagnostics.iter().map(|d| diagnostic(d, files)).collect(),
        summary: JsonSummary { errors, warnings },
        version: 1,
    }
}

fn diagnostic(d: &Diagnostic, files: &Files) -> JsonDiagnostic {
    let location = primary_location(d, files);
    let labels = d
        .labels
        .iter()
        .filter(|l| (l.at.file.0 as usize) < files.len())
        .map(|l| {
            let source = files.get(l.at.file);
            JsonLabel {
                end: source.line_col(l.at.span.end).into(),
                file: source.path.clone(),
                message: l.message.clone(),
                start: source.line_col(l.at.span.start).into(),
            }
        })
        .collect();
    JsonDiagnostic {
        code: d.code.as_str(),
        end: location.end.into(),
        file: location.file,
        help: d.help.clone(),
        labels,
        message: d.message.clone(),
        severity: d.severity.as_str(),
        start: location.start.into(),
    }
}

/// Pretty-printed (2-space indent) document plus a trailing newline.
pub fn to_string(diagnostics: &[Diagnostic], files: &Files) -> String {
    let mut s = serde_json::to_string_pretty(&report(diagnostics, files))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

pub fn render(diagnostics: &[Diagnostic], files: &Files, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(to_string(diagnostics, files).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::super::sample;

    #[test]
    fn json_snapshot() {
        let files = sample::files();
        let out = super::to_string(&sample::diagnostics(&files), &files);
        // keys are sorted and the document parses back
        let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(value["summary"]["errors"], 3);
        assert_eq!(value["summary"]["warnings"], 1);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn empty_report() {
        let out = super::to_string(&[], &lunora_parser::Files::new());
        assert_eq!(
            out,
            "{\n  \"diagnostics\": [],\n  \"summary\": {\n    \"errors\": 0,\n    \"warnings\": 0\n  },\n  \"version\": 1\n}\n"
        );
    }
}
