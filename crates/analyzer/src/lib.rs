//! `lunora_analyzer`: builds the IR of a Lunora app from its sources and runs
//! every semantic check.
//!
//! Passes, in order (each returns after producing errors, see STYLE.md):
//! 1. collect: discover files, parse, resolve consts/imports, collect tables and functions
//! 2. validators: resolve validator trees
//! 3. indexes and shard keys
//! 4. function bodies and routes
//! 5. global checks

pub mod ir;

use std::path::Path;

use lunora_parser::{Diagnostic, Files, Vfs};

pub use ir::*;

/// What [`analyze`] returns: the IR when no error stopped it, every file read
/// (diagnostics point into them) and all diagnostics, errors and warnings.
pub struct AnalyzeReturn {
    pub files: Files,
    pub ir: Option<Ir>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Analyzes the app whose root (the folder holding `lunora/`) is `root`.
pub fn analyze(root: &Path, fs: &dyn Vfs) -> AnalyzeReturn {
    let _ = (root, fs);
    AnalyzeReturn {
        files: Files::new(),
        ir: None,
        diagnostics: Vec::new(),
    }
}
