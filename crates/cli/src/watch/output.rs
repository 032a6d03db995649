//! Writing `_generated/` atomically and reporting each watch run.
//!
//! The JSON document is DESIGN.md's diagnostics shape plus a `watch` object;
//! TODO(cli renderer): once `crates/cli/src/render/` lands, render the
//! diagnostics through it and keep only the `watch` object here.

use std::io::{self, Write};
use std::path::{Component, Path};

use lunora_emit::GeneratedFile;
use lunora_parser::{Diagnostic, Files, Severity};
use serde_json::{Value, json};

use crate::args::Format;
use crate::pipeline::Generated;

pub const GENERATED_DIR: &str = "lunora/_generated";

/// What one watch run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// 1 for the initial run.
    pub run: u64,
    /// Root-relative paths whose change started this run (empty for the first).
    pub trigger: Vec<String>,
    /// Generated files whose content changed.
    pub written: Vec<String>,
    /// Stale generated files deleted.
    pub removed: Vec<String>,
    /// Errors: the previous `_generated/` was left untouched.
    pub kept_last_good: bool,
    pub write_error: Option<String>,
}

/// Root-relative, `/`-separated form of `path`.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Writes every output whose bytes differ from the disk (temp file + rename,
/// so readers never see half a file), then deletes files in `_generated/` that
/// are no longer produced. Returns (written, removed), sorted.
pub fn write_outputs(
    root: &Path,
    outputs: &[GeneratedFile],
) -> io::Result<(Vec<String>, Vec<String>)> {
    let mut written = Vec::new();
    for file in outputs {
        let target = root.join(&file.path);
        if std::fs::read(&target).is_ok_and(|old| old == file.contents.as_bytes()) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut tmp = target.clone().into_os_string();
        tmp.push(format!(".{}.lunora-tmp", std::process::id()));
        std::fs::write(&tmp, &file.contents)?;
        if let Err(err) = std::fs::rename(&tmp, &target) {
            let _ = std::fs::remove_file(&tmp);
            return Err(err);
        }
        written.push(file.path.clone());
    }
    let mut removed = Vec::new();
    let dir = root.join(GENERATED_DIR);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = relative(root, &path);
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && !outputs.iter().any(|o| o.path == rel) {
                std::fs::remove_file(&path)?;
                removed.push(rel);
            }
        }
    }
    written.sort();
    removed.sort();
    Ok((written, removed))
}

/// One diagnostic in DESIGN.md's JSON shape.
pub fn diagnostic_json(files: &Files, d: &Diagnostic) -> Value {
    let mut obj = serde_json::Map::new();
    obj.insert("code".into(), json!(d.code.as_str()));
    obj.insert("severity".into(), json!(d.severity.as_str()));
    obj.insert("message".into(), json!(d.message));
    if let Some(primary) = d.primary() {
        let file = files.get(primary.at.file);
        let start = file.line_col(primary.at.span.start);
        let end = file.line_col(primary.at.span.end);
        obj.insert("file".into(), json!(file.path));
        obj.insert(
            "start".into(),
            json!({"line": start.line, "column": start.column}),
        );
        obj.insert(
            "end".into(),
            json!({"line": end.line, "column": end.column}),
        );
    } else if let Some(path) = &d.path {
        obj.insert("file".into(), json!(path));
    }
    if let Some(help) = &d.help {
        obj.insert("help".into(), json!(help));
    }
    if d.labels.len() > 1 {
        let labels: Vec<Value> = d.labels[1..]
            .iter()
            .map(|l| {
                let file = files.get(l.at.file);
                let start = file.line_col(l.at.span.start);
                let end = file.line_col(l.at.span.end);
                json!({
                    "file": file.path,
                    "start": {"line": start.line, "column": start.column},
                    "end": {"line": end.line, "column": end.column},
                    "message": l.message,
                })
            })
            .collect();
        obj.insert("labels".into(), Value::Array(labels));
    }
    Value::Object(obj)
}

/// Prints one run: a single JSON line, or human text.
pub fn render(
    report: &RunReport,
    generated: &Generated,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    let errors = generated
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = generated.diagnostics.len() - errors;
    match format {
        Format::Json => {
            let doc = json!({
                "version": 1,
                "diagnostics": generated
                    .diagnostics
                    .iter()
                    .map(|d| diagnostic_json(&generated.files, d))
                    .collect::<Vec<_>>(),
                "summary": {"errors": errors, "warnings": warnings},
                "watch": {
                    "run": report.run,
                    "trigger": report.trigger,
                    "written": report.written,
                    "removed": report.removed,
                    "keptLastGood": report.kept_last_good,
                    "writeError": report.write_error,
                },
            });
            writeln!(stdout, "{doc}")
        }
        Format::Human | Format::Github => {
            for d in &generated.diagnostics {
                let v = diagnostic_json(&generated.files, d);
                let location = match (v.get("file"), v.get("start")) {
                    (Some(f), Some(s)) => {
                        format!("{}:{}:{}", f.as_str().unwrap_or(""), s["line"], s["column"])
                    }
                    (Some(f), None) => f.as_str().unwrap_or("").to_string(),
                    _ => String::new(),
                };
                writeln!(
                    stdout,
                    "{}[{}]: {}",
                    d.severity.as_str(),
                    d.code.as_str(),
                    d.message
                )?;
                if !location.is_empty() {
                    writeln!(stdout, "  --> {location}")?;
                }
                if let Some(help) = &d.help {
                    writeln!(stdout, "  help: {help}")?;
                }
            }
            if let Some(err) = &report.write_error {
                writeln!(stderr, "error: writing {GENERATED_DIR}/ failed: {err}")?;
            }
            let what = if report.kept_last_good {
                format!("{errors} error(s); kept the last good {GENERATED_DIR}/")
            } else if report.written.is_empty() && report.removed.is_empty() {
                "up to date".to_string()
            } else {
                format!(
                    "wrote {} file(s), removed {}",
                    report.written.len(),
                    report.removed.len()
                )
            };
            writeln!(stdout, "[lunora] run {}: {what}", report.run)
        }
    }
}
