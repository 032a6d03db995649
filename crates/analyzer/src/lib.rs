//! `lunora_analyzer`: builds the IR of a Lunora app from its sources and runs
//! every semantic check. The passes are in `passes`; [`Session`] keeps their
//! results per function module between runs (watch mode).

mod builder;
mod crons;
mod diagnostics;
mod eval;
mod functions;
mod helpers;
mod http;
pub mod ir;
mod load;
mod par;
mod passes;
mod scheduler;
mod schema;
mod search;
mod session;
pub mod suggest;

use std::path::Path;

use lunora_parser::{Diagnostic, Files, Vfs};

pub use ir::*;

pub use crate::functions::is_function_module;
use crate::load::Loader;
pub use crate::load::ParseCache;

/// What [`analyze`] returns: the IR when no error stopped it, every file read
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
    fn start() -> Self {
        Self {
            passes: Vec::new(),
            last: Some(std::time::Instant::now()),
        }
    }

    /// Ends the pass `name` (it started when the previous one ended).
    fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last {
            self.passes.push((name, now - last));
        }
        self.last = Some(now);
    }
}

pub const SCHEMA_PATH: &str = "lunora/schema.ts";

/// Analyzes the app whose root (the folder holding `lunora/`) is `root`.
pub fn analyze(root: &Path, fs: &dyn Vfs) -> AnalyzeReturn {
    analyze_with(&mut Loader::new(root, fs), false).0
}

pub use crate::session::{Reanalyzed, Session};

fn analyze_with(ld: &mut Loader<'_>, retain: bool) -> (AnalyzeReturn, passes::State) {
    let mut diagnostics = Vec::new();
    let mut timings = Timings::start();
    let mut st = passes::start(ld, &mut timings, retain);
    let ir = passes::evaluate(&mut st, ld, &mut diagnostics, &mut timings)
        .and_then(|()| passes::build_ir(&mut st));
    timings.lap("global");
    let out = AnalyzeReturn {
        files: std::mem::take(&mut ld.files),
        ir,
        diagnostics,
        timings,
    };
    (out, st)
}

#[cfg(test)]
mod tests;
