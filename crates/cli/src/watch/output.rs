//! Reporting each watch run (the writes go through [`lunora_engine::writer`]).
//!
//! The JSON document is the one `--format json` prints (DESIGN.md's
//! diagnostics shape, rendered by [`crate::render::json`]) plus a `watch` object.

use std::io::{self, Write};

use lunora_engine::layout::GENERATED_DIR;
use serde_json::json;

use crate::args::Format;
use crate::render::{self, Color};
use lunora_engine::pipeline::Analysis;
use lunora_engine::watch::RunReport;

/// Prints one run. JSON: one line, the diagnostics document `--format json`
/// prints ([`render::json`]) plus a `watch` object. Human and GitHub: the
/// shared renderers, then one status line.
pub fn render(
    report: &RunReport,
    generated: &Analysis,
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
