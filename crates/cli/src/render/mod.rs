//! Diagnostic renderers, one module per `--format` (which one, and to which
//! stream, is the `Reporter`'s choice, in `report.rs`). Library crates never
//! render; the CLI does it here, late, with the source text attached.

pub mod github;
pub mod human;
pub mod json;

use lunora_parser::{Diagnostic, Files, LineCol, Severity};

/// Whether human output may use colour (only on a TTY, never in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Always,
    Never,
}

/// Where a diagnostic points: root-relative file plus 1-based start and end
/// (UTF-16 columns). Without a label: `path`, line 1 column 1.
pub(crate) struct Location {
    pub file: String,
    pub start: LineCol,
    pub end: LineCol,
}

pub(crate) fn primary_location(diagnostic: &Diagnostic, files: &Files) -> Location {
    match diagnostic.primary() {
        Some(label) if (label.at.file.0 as usize) < files.len() => {
            let source = files.get(label.at.file);
            Location {
                file: source.path.clone(),
                start: source.line_col(label.at.span.start),
                end: source.line_col(label.at.span.end),
            }
        }
        _ => {
            let one = LineCol { line: 1, column: 1 };
            Location {
                file: diagnostic.path.clone().unwrap_or_default(),
                start: one,
                end: one,
            }
        }
    }
}

/// Error and warning counts.
pub fn summary(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}

#[cfg(test)]
pub(crate) mod sample {
    //! Hand-made diagnostics shared by the renderer snapshot tests.
    use lunora_parser::{Code, Diagnostic, Files, Span};

    pub fn files() -> Files {
        let mut files = Files::new();
        files.add(
            "lunora/schema.ts",
            "import { defineSchema, defineTable, v } from \"lunorash/server\";\n\
             export const schema = defineSchema({\n\
             \x20   channels: defineTable({ name: v.strng(), \"t\u{e9}\u{1f600}\": v.string() }),\n\
             \x20   channels: defineTable({ name: v.string() }),\n\
             });\n",
        );
        files
    }

    fn span_of(files: &Files, needle: &str, nth: usize) -> Span {
        let text = &files.get(lunora_parser::FileId(0)).text;
        let start = text.match_indices(needle).nth(nth).expect("needle").0 as u32;
        Span::new(start, start + needle.len() as u32)
    }

    pub fn diagnostics(files: &Files) -> Vec<Diagnostic> {
        let file = lunora_parser::FileId(0);
        vec![
            Diagnostic::error(Code::UnknownValidator, "unknown validator `v.strng`")
                .with_label(file, span_of(files, "v.strng", 0), "not a validator")
                .with_help("did you mean `v.string`?"),
            Diagnostic::error(Code::DuplicateTable, "duplicate table `channels`")
                .with_label(file, span_of(files, "channels", 1), "defined again here")
                .and_label(file, span_of(files, "channels", 0), "first defined here")
                .with_help("rename or remove one of the two tables"),
            // after a non-ASCII key: columns count UTF-16 units
            Diagnostic::warning(Code::EmptySchema, "a warning, with, commas: and 100%").with_label(
                file,
                span_of(files, "v.string()", 0),
                "",
            ),
            Diagnostic::error(Code::MissingSchema, "`lunora/schema.ts` does not exist")
                .with_path("lunora/schema.ts")
                .with_help(
                    "create it with `export const schema = defineSchema({...})`\nsee the docs",
                ),
        ]
    }
}
