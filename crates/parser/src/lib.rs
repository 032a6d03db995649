//! `lunora_parser`: reads app files, parses TypeScript with oxc, and owns the
//! span, file and diagnostic types every later stage uses.

mod body;
pub mod code;
pub mod diagnostic;
mod diagnostics;
mod expr;
mod nesting;
pub mod parse;
pub mod source;
pub mod span;
pub mod summary;
pub mod vfs;

pub use code::Code;
pub use diagnostic::{Diagnostic, Label, Severity, has_errors};
pub use parse::{ParseReturn, summarize};
pub use source::{Files, LineCol, SourceFile};
pub use span::{FileId, FileSpan, Span};
pub use vfs::{MemFs, OsFs, Vfs, relative_path};
