//! What one analysis returns ([`AnalyzeReturn`], with each pass's [`Timings`])
//! and where it starts ([`SCHEMA_PATH`]): the output types every pass and the
//! session share, so none of them reaches back into the crate root.

use lunora_parser::{Diagnostic, Files};

use crate::ir::Ir;

/// What [`crate::analyze`] returns: the IR when no error stopped it, every file read
/// (diagnostics point into them) and all diagnostics, errors and warnings.
pub struct AnalyzeReturn {
    pub files: Files,
    pub ir: Option<Ir>,
    pub diagnostics: Vec<Diagnostic>,
    /// Wall time of each pass that ran, in order (`lunora-bench stages`
    /// prints them; the `lunora` binary does not).
    pub timings: Timings,
}

/// Wall time per analyzer pass, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub passes: Vec<(&'static str, std::time::Duration)>,
    last: Option<std::time::Instant>,
}

impl Timings {
    pub(crate) fn start() -> Self {
        Self {
            passes: Vec::new(),
            last: Some(std::time::Instant::now()),
        }
    }

    /// Ends the pass `name` (it started when the previous one ended).
    pub(crate) fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last {
            self.passes.push((name, now - last));
        }
        self.last = Some(now);
    }
}

/// The schema's root-relative path.
pub const SCHEMA_PATH: &str = "lunora/schema.ts";

/// What may differ from the last IR of a session (what the emitter renders again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IrChange {
    /// Anything: the schema changed, or it is not known.
    Any,
    /// Only the functions of these modules (`Function::module`, sorted): the
    /// tables, the schema export and every other module's functions are the same.
    Modules(Vec<String>),
}
