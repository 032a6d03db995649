//! The one diagnostic type every stage returns. Built fluently, rendered late
//! (by the CLI): library crates never print, colour or exit.

use crate::code::Code;
use crate::span::{FileId, FileSpan, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A labelled span. The first label of a diagnostic is its primary location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub at: FileSpan,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// One short line that says what is wrong.
    pub message: String,
    /// The primary label first, then secondary labels ("first defined here").
    /// A diagnostic may have no label only when no file exists to point into
    /// (e.g. a missing `lunora/schema.ts`); then `path` names the file.
    pub labels: Vec<Label>,
    /// Root-relative path for a diagnostic that has no label.
    pub path: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            labels: Vec::new(),
            path: None,
            help: None,
        }
    }

    /// Sets the primary label (replacing any earlier primary label).
    pub fn with_label(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        let label = Label {
            at: FileSpan::new(file, span),
            message: Some(message.into()).filter(|m: &String| !m.is_empty()),
        };
        if self.labels.is_empty() {
            self.labels.push(label);
        } else {
            self.labels[0] = label;
        }
        self
    }

    /// Adds a secondary label.
    pub fn and_label(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        assert!(
            !self.labels.is_empty(),
            "and_label needs a primary label first"
        );
        self.labels.push(Label {
            at: FileSpan::new(file, span),
            message: Some(message.into()).filter(|m: &String| !m.is_empty()),
        });
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary(&self) -> Option<&Label> {
        self.labels.first()
    }
}

/// Counts of a diagnostic list.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
