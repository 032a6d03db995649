//! The one codegen pipeline: analyze then emit. Serves `codegen`, `--check`,
//! `migrate`, `deploy`, watch mode, the language server, benches, fuzzing and tests.

use std::path::Path;

use lunora_analyzer::Ir;
use lunora_emit::GeneratedFile;
use lunora_parser::{Diagnostic, Files, Vfs, has_errors};

/// What one run of the pipeline produced.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Every file read; diagnostics point into them.
    pub files: Files,
    pub diagnostics: Vec<Diagnostic>,
    pub ir: Option<Ir>,
    /// Empty when any error was reported.
    pub outputs: Vec<GeneratedFile>,
}

/// Analyzes the app at `root` and, when there is no error, emits `_generated/`.
pub fn generate(root: &Path, fs: &dyn Vfs) -> Analysis {
    let analyzed = lunora_analyzer::analyze(root, fs);
    let outputs = match &analyzed.ir {
        Some(ir) if !has_errors(&analyzed.diagnostics) => lunora_emit::emit_generated(ir).files,
        _ => Vec::new(),
    };
    Analysis {
        files: analyzed.files,
        diagnostics: analyzed.diagnostics,
        ir: analyzed.ir,
        outputs,
    }
}
