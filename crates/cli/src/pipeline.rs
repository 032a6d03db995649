//! The one codegen pipeline: analyze then emit. Serves `codegen`, `--check`,
//! watch mode, the language server and tests.

use std::path::Path;

use lunora_analyzer::Ir;
use lunora_emit::GeneratedFile;
use lunora_parser::{Diagnostic, Files, Vfs, has_errors};

pub struct Generated {
    /// Every file read; diagnostics point into them.
    pub files: Files,
    pub diagnostics: Vec<Diagnostic>,
    pub ir: Option<Ir>,
    /// Empty when any error was reported.
    pub outputs: Vec<GeneratedFile>,
}

/// Analyzes the app at `root` and, when there is no error, emits `_generated/`.
pub fn generate(root: &Path, fs: &dyn Vfs) -> Generated {
    let analyzed = lunora_analyzer::analyze(root, fs);
    let outputs = match &analyzed.ir {
        Some(ir) if !has_errors(&analyzed.diagnostics) => lunora_emit::emit_generated(ir).files,
        _ => Vec::new(),
    };
    Generated {
        files: analyzed.files,
        diagnostics: analyzed.diagnostics,
        ir: analyzed.ir,
        outputs,
    }
}
