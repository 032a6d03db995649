//! `lunora_analyzer`: builds the IR of a Lunora app from its sources and runs
//! every semantic check. The passes are in `passes`; [`Session`] keeps their
//! results per function module between runs (watch mode).

mod analysis;
mod bodies;
mod builder;
mod crons;
mod diagnostics;
mod draft;
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
mod vocab;

use std::path::Path;

use lunora_parser::Vfs;

pub use analysis::{AnalyzeReturn, IrChange, SCHEMA_PATH, Timings};
pub use ir::*;

pub use crate::functions::is_function_module;
use crate::load::Loader;
pub use crate::load::ParseCache;

/// Analyzes the app whose root (the folder holding `lunora/`) is `root`.
pub fn analyze(root: &Path, fs: &dyn Vfs) -> AnalyzeReturn {
    passes::run(&mut Loader::new(root, fs), false).0
}

pub use crate::session::{Reanalyzed, Session};

#[cfg(test)]
mod tests;
