//! The parser's diagnostics, one constructor per problem. All are
//! [`Code::SyntaxError`]: the file cannot be read as TypeScript, or has a
//! problem the parser itself must report.

use crate::code::Code;
use crate::diagnostic::Diagnostic;
use crate::nesting::{MAX_ANGLE_PARENS, MAX_NESTING};
use crate::span::{FileId, Span};

/// A bracket deeper than [`MAX_NESTING`], at offset `at`.
pub(crate) fn brackets_too_deep(file: FileId, at: u32) -> Diagnostic {
    too_deep(
        file,
        at,
        format!("brackets nest deeper than {MAX_NESTING} levels"),
    )
}

/// A `(` right after `<` deeper than [`MAX_ANGLE_PARENS`], at offset `at`.
pub(crate) fn angle_parens_too_deep(file: FileId, at: u32) -> Diagnostic {
    too_deep(
        file,
        at,
        format!(
            "parentheses after `<` nest deeper than {MAX_ANGLE_PARENS} levels (TypeScript reads each `<(` as possible type arguments)"
        ),
    )
}

/// The label and help both nesting limits share.
fn too_deep(file: FileId, at: u32, message: String) -> Diagnostic {
    Diagnostic::error(Code::SyntaxError, message)
        .with_label(file, Span::new(at, at + 1), "too deep here")
        .with_help("flatten this expression: name the inner parts with `const`")
}

/// oxc panicked on the file (caught by the parser's guard).
pub(crate) fn parser_panicked(file: FileId) -> Diagnostic {
    Diagnostic::error(
        Code::SyntaxError,
        "the TypeScript parser failed on this file (an internal error in oxc)",
    )
    .with_label(file, Span::new(0, 0), "while parsing this file")
    .with_help(
        "look for unusual syntax, such as a string module export name \
         ending in `\\u` (`import { \"\\\\u\" as x }`), and write it another way",
    )
}

/// One of oxc's syntax errors: its message, its first label (`span`, `label`)
/// and its help, or ours when it has none.
pub(crate) fn syntax_error(
    file: FileId,
    span: Span,
    message: String,
    label: String,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::error(Code::SyntaxError, message)
        .with_label(file, span, label)
        .with_help(match help {
            Some(h) => h,
            None => "fix the syntax error; Lunora reads this file as TypeScript".to_string(),
        })
}

/// A top-level `name` declared again at `again`, first declared at `first`.
pub(crate) fn declared_twice(file: FileId, name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::error(Code::SyntaxError, format!("`{name}` is declared twice"))
        .with_label(file, again, "declared again here")
        .and_label(file, first, "first declared here")
        .with_help("rename one of them")
}
