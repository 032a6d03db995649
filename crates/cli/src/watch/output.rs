//! Writing `_generated/` atomically and reporting each watch run.
//!
//! The JSON document is the one `--format json` prints (DESIGN.md's
//! diagnostics shape, rendered by [`crate::render::json`]) plus a `watch` object.

use std::io::{self, Write};
use std::path::{Component, Path};

use lunora_emit::GeneratedFile;
use serde_json::json;

use crate::args::Format;
use crate::pipeline::Generated;
use crate::render::{self, Color};

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

/// Prints one run. JSON: one line, the diagnostics document `--format json`
/// prints ([`render::json`]) plus a `watch` object. Human and GitHub: the
/// shared renderers, then one status line.
pub fn render(
    report: &RunReport,
    generated: &Generated,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    let diagnostics = &generated.diagnostics;
    match format {
        Format::Json => {
            let mut doc = serde_json::to_value(render::json::report(diagnostics, &generated.files))
                .map_err(io::Error::other)?;
            doc["watch"] = json!({
                "run": report.run,
                "trigger": report.trigger,
                "written": report.written,
                "removed": report.removed,
                "keptLastGood": report.kept_last_good,
                "writeError": report.write_error,
            });
            writeln!(stdout, "{doc}")
        }
        Format::Human | Format::Github => {
            if format == Format::Human {
                render::human::render(diagnostics, &generated.files, color, stdout)?;
            } else {
                render::github::render(diagnostics, &generated.files, stdout)?;
            }
            if let Some(err) = &report.write_error {
                writeln!(stderr, "error: writing {GENERATED_DIR}/ failed: {err}")?;
            }
            let (errors, _) = render::summary(diagnostics);
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
