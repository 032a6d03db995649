//! Every diagnostic the commands report themselves, one named constructor per
//! problem (the stages' and the engine's are built in their own crates).

use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::writer::WriteError;
use lunora_parser::{Code, Diagnostic};

// ---------------------------------------------------------------------------
// codegen
// ---------------------------------------------------------------------------

/// A generated file `lunora codegen` cannot `verb` (write, remove).
pub(crate) fn codegen_write_failed(e: &WriteError, verb: &str) -> Diagnostic {
    Diagnostic::error(
        Code::IoWrite,
        format!("cannot {verb} this file: {}", e.error),
    )
    .with_path(e.path.clone())
    .with_help(format!(
        "make sure `{GENERATED_DIR}/` is a writable folder, then run `lunora codegen` again"
    ))
}
