//! The one [`Reporter`]: every command writes its output through it, and it
//! alone decides, from `--format` and the colour choice, what goes where and
//! in which shape. Commands say *what* happened (a status line, diagnostics,
//! a result with its JSON keys, a watch run); they never look at the format.
//!
//! The streams, for every command:
//! - diagnostics: human on stderr, JSON (one document) and GitHub on stdout,
//!   so stdout holds only machine-readable output in those formats;
//! - [`Reporter::status`] and [`Reporter::error`] lines: stderr, every format;
//! - [`Reporter::progress`] lines: stderr, human format only;
//! - [`Reporter::result`] lines: stdout, every format;
//! - [`Reporter::outcome`]: JSON, one document (the diagnostics document plus
//!   the command's keys); human and GitHub, its lines on stdout, then the
//!   diagnostics;
//! - [`Reporter::watch_run`]: one JSON line per run, or the diagnostics and a
//!   `[lunora] run N: ...` line, all on stdout.
//!
//! Write errors (a closed pipe) are ignored: quiet on broken pipe.

use std::fmt::Display;
use std::io::{IsTerminal, Write};

use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::pipeline::Analysis;
use lunora_engine::watch::RunReport;
use lunora_parser::{Diagnostic, Files};
use serde_json::{Map, Value, json};

use crate::args::Format;
use crate::render::{self, Color};

/// The keys a command adds to its JSON document (sorted: serde_json's map is a BTreeMap).
pub type Extra = Map<String, Value>;

/// Where and how a command reports; see the module docs.
pub struct Reporter<'w> {
    format: Format,
    color: Color,
    stdout: &'w mut dyn Write,
    stderr: &'w mut dyn Write,
}

/// A JSON document a [`Reporter::hold_document`] run held back.
#[derive(Debug, Default)]
pub struct Held(Vec<u8>);

/// Colour for human diagnostics on stderr: only on a terminal, never with `NO_COLOR`.
pub fn terminal_color(format: Format) -> Color {
    if format == Format::Human
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
    {
        Color::Always
    } else {
        Color::Never
    }
}

/// Renders `diagnostics` in `format`. Human and GitHub output go to `out`
/// line by line; JSON is one document.
fn render_in(
    format: Format,
    diagnostics: &[Diagnostic],
    files: &Files,
    color: Color,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => render::human::render(diagnostics, files, color, out),
        Format::Json => render::json::render(diagnostics, files, out),
        Format::Github => render::github::render(diagnostics, files, out),
    }
}

impl<'w> Reporter<'w> {
    pub fn new(
        format: Format,
        color: Color,
        stdout: &'w mut dyn Write,
        stderr: &'w mut dyn Write,
    ) -> Self {
        Self {
            format,
            color,
            stdout,
            stderr,
        }
    }

    /// A reporter whose colour follows the process's stderr ([`terminal_color`]).
    pub fn for_terminal(
        format: Format,
        stdout: &'w mut dyn Write,
        stderr: &'w mut dyn Write,
    ) -> Self {
        Self::new(format, terminal_color(format), stdout, stderr)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether stdout carries only machine documents (`--format json`): other
    /// output (a child's stdout) must then go to stderr, and lines unprefixed.
    pub fn stdout_is_documents(&self) -> bool {
        self.format == Format::Json
    }

    /// This reporter without colour (watch output, often piped).
    pub fn plain(&mut self) -> Reporter<'_> {
        Reporter::new(self.format, Color::Never, self.stdout, self.stderr)
    }

    /// A status line on stderr, in every format.
    pub fn status(&mut self, line: impl Display) {
        let _ = writeln!(self.stderr, "{line}");
    }

    /// `error: <message>` on stderr.
    pub fn error(&mut self, message: impl Display) {
        let _ = writeln!(self.stderr, "error: {message}");
    }

    /// A progress line on stderr, in human format only.
    pub fn progress(&mut self, line: impl Display) {
        if self.format == Format::Human {
            self.status(line);
        }
    }

    /// A line of the command's result on stdout, in every format.
    pub fn result(&mut self, line: impl Display) {
        let _ = writeln!(self.stdout, "{line}");
    }

    /// Diagnostics in the format: human on stderr, JSON (one document, also
    /// when empty) and GitHub on stdout.
    pub fn diagnostics(&mut self, diagnostics: &[Diagnostic], files: &Files) {
        let out: &mut dyn Write = if self.format == Format::Human {
            &mut *self.stderr
        } else {
            &mut *self.stdout
        };
        let _ = render_in(self.format, diagnostics, files, self.color, out);
    }

    /// A command's outcome: JSON, one document (the diagnostics document plus
    /// `extra`'s keys); human and GitHub, `lines` on stdout, then the diagnostics.
    pub fn outcome(
        &mut self,
        lines: &[String],
        diagnostics: &[Diagnostic],
        files: &Files,
        extra: Extra,
    ) {
        if self.format != Format::Json {
            for line in lines {
                self.result(line);
            }
            return self.diagnostics(diagnostics, files);
        }
        let mut doc = match serde_json::to_value(render::json::report(diagnostics, files)) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        doc.extend(extra);
        let mut text = serde_json::to_string_pretty(&Value::Object(doc))
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        text.push('\n');
        let _ = self.stdout.write_all(text.as_bytes());
    }

    /// One watch run. JSON: one line, the diagnostics document plus a `watch`
    /// object. Human and GitHub: the diagnostics on stdout, then one status line.
    pub fn watch_run(&mut self, report: &RunReport, generated: &Analysis) {
        let diagnostics = &generated.diagnostics;
        if self.format == Format::Json {
            let Ok(mut doc) =
                serde_json::to_value(render::json::report(diagnostics, &generated.files))
            else {
                return;
            };
            doc["watch"] = json!({
                "run": report.run,
                "trigger": report.trigger,
                "written": report.written,
                "removed": report.removed,
                "keptLastGood": report.kept_last_good,
                "writeError": report.write_error,
            });
            let _ = writeln!(self.stdout, "{doc}");
            return;
        }
        let _ = render_in(
            self.format,
            diagnostics,
            &generated.files,
            self.color,
            self.stdout,
        );
        if let Some(err) = &report.write_error {
            self.error(format_args!("writing {GENERATED_DIR}/ failed: {err}"));
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
        self.result(format_args!("[lunora] run {}: {what}", report.run));
    }

    /// Runs `f` with a reporter whose JSON document is held back (returned
    /// as [`Held`]); in the other formats nothing is held.
    pub fn hold_document<T>(&mut self, f: impl FnOnce(&mut Reporter<'_>) -> T) -> (T, Held) {
        if self.format != Format::Json {
            return (f(self), Held::default());
        }
        let mut held = Vec::new();
        let value = f(&mut Reporter::new(
            self.format,
            self.color,
            &mut held,
            self.stderr,
        ));
        (value, Held(held))
    }

    /// Writes a held document as one line on stdout (anything that is not
    /// JSON goes to stderr as is).
    pub fn release(&mut self, held: Held) {
        let doc = held.0;
        if doc.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match serde_json::from_slice::<Value>(&doc) {
            Ok(value) => self.result(value),
            Err(_) => {
                let _ = self.stderr.write_all(&doc);
            }
        }
    }

    /// Runs `f` with a human-format reporter whose stdout is appended to this
    /// reporter's stderr afterwards (`lunora dev` and `deploy` run the
    /// MigrationRunner with all its output on stderr).
    pub fn human_on_stderr<T>(&mut self, f: impl FnOnce(&mut Reporter<'_>) -> T) -> T {
        let mut out = Vec::new();
        let color = terminal_color(Format::Human);
        let value = f(&mut Reporter::new(
            Format::Human,
            color,
            &mut out,
            self.stderr,
        ));
        let _ = self.stderr.write_all(&out);
        value
    }

    pub fn flush(&mut self) {
        let _ = self.stdout.flush();
        let _ = self.stderr.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_pretty_json_document_becomes_one_line() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut reporter = Reporter::new(Format::Json, Color::Never, &mut out, &mut err);
        for doc in [
            &b"{\n  \"a\": [\n    1\n  ]\n}\n"[..],
            b"  \n",
            b"not json\n",
        ] {
            reporter.release(Held(doc.to_vec()));
        }
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":[1]}\n");
        assert_eq!(String::from_utf8(err).unwrap(), "not json\n");
    }
}
