//! `lunora_emit`: pure functions from the IR to file contents. No file system
//! access here; the CLI writes (atomically) what these return.

use lunora_analyzer::Ir;

/// One generated file: a root-relative path (`lunora/_generated/api.ts`) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

pub struct EmitReturn {
    /// Sorted by path.
    pub files: Vec<GeneratedFile>,
}

/// Everything `lunora codegen` writes under `lunora/_generated/`.
pub fn emit_generated(ir: &Ir) -> EmitReturn {
    let _ = ir;
    EmitReturn { files: Vec::new() }
}
