//! Human output: miette's graphical ("fancy") report per diagnostic, with the
//! source line, a caret label, secondary labels, the help and the code. No
//! colour unless asked for (the CLI asks only when stderr is a terminal).

use std::fmt;
use std::io::{self, Write};

use lunora_parser::{Diagnostic, FileId, Files, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::Color;

/// Fixed width so output does not depend on the terminal.
const WIDTH: usize = 100;

/// A [`Diagnostic`] adapted to miette. Labels in the primary file are shown
/// on its source; labels in other files become related reports.
#[derive(Debug)]
struct Report {
    severity: Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn named_source(files: &Files, file: FileId) -> NamedSource<String> {
    let source = files.get(file);
    NamedSource::new(source.path.clone(), source.text.clone()).with_language("TypeScript")
}

fn labeled(files: &Files, label: &lunora_parser::Label, primary: bool) -> LabeledSpan {
    let text_len = files.get(label.at.file).text.len();
    let start = (label.at.span.start as usize).min(text_len);
    let end = (label.at.span.end as usize).clamp(start, text_len);
    let span = SourceSpan::new(start.into(), end - start);
    if primary {
        LabeledSpan::new_primary_with_span(label.message.clone(), span)
    } else {
        LabeledSpan::new_with_span(label.message.clone(), span)
    }
}

fn report(d: &Diagnostic, files: &Files) -> Report {
    let in_range = |l: &&lunora_parser::Label| (l.at.file.0 as usize) < files.len();
    let primary_file = d.labels.iter().find(in_range).map(|l| l.at.file);
    let mut labels = Vec::new();
    let mut related = Vec::new();
    for (i, label) in d.labels.iter().filter(in_range).enumerate() {
        if Some(label.at.file) == primary_file {
            labels.push(labeled(files, label, i == 0));
        } else {
            related.push(Report {
                severity: d.severity,
                code: d.code.as_str(),
                message: label
                    .message
                    .clone()
                    .unwrap_or_else(|| "related location".to_owned()),
                help: None,
                source: Some(named_source(files, label.at.file)),
                labels: vec![labeled(files, label, true)],
                related: Vec::new(),
            });
        }
    }
    let mut message = d.message.clone();
    if primary_file.is_none()
        && let Some(path) = &d.path
    {
        message = format!("{path}: {message}");
    }
    Report {
        severity: d.severity,
        code: d.code.as_str(),
        message,
        help: d.help.clone(),
        source: primary_file.map(|f| named_source(files, f)),
        labels,
        related,
    }
}

fn handler(color: Color) -> GraphicalReportHandler {
    let theme = match color {
        Color::Always => GraphicalTheme::unicode(),
        Color::Never => GraphicalTheme::unicode_nocolor(),
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .without_syntax_highlighting()
}

/// Renders one diagnostic to a string.
pub fn to_string(d: &Diagnostic, files: &Files, color: Color) -> String {
    let mut out = String::new();
    if handler(color)
        .render_report(&mut out, &report(d, files))
        .is_err()
    {
        // Formatting into a String only fails if miette itself errors; fall
        // back to a plain line rather than losing the diagnostic.
        out = format!("{}[{}]: {}\n", d.severity.as_str(), d.code, d.message);
    }
    out
}

pub fn render(
    diagnostics: &[Diagnostic],
    files: &Files,
    color: Color,
    out: &mut dyn Write,
) -> io::Result<()> {
    for d in diagnostics {
        out.write_all(to_string(d, files, color).as_bytes())?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Color, sample};

    #[test]
    fn human_snapshot() {
        let files = sample::files();
        let mut out = Vec::new();
        super::render(&sample::diagnostics(&files), &files, Color::Never, &mut out)
            .expect("render");
        let out = String::from_utf8(out).expect("utf8");
        assert!(!out.contains('\u{1b}'), "no colour codes");
        insta::assert_snapshot!(out);
    }
}
