//! `lunora_emit`: pure functions from the IR to file contents. No file system
//! access here; the CLI writes (atomically) what these return.

mod crons;
mod emitter;
mod generated;
mod http;
pub mod quote;
pub mod search;
pub mod storage;
pub mod ts;

use lunora_analyzer::Ir;

pub use emitter::{Emitter, GeneratedFile};
pub use generated::{GENERATED_DIR, HEADER};

pub struct EmitReturn {
    /// Sorted by path.
    pub files: Vec<GeneratedFile>,
}

/// Everything `lunora codegen` writes under `lunora/_generated/`:
/// `api.ts`, `dataModel.ts`, `server.ts` and `wiring.ts`.
pub fn emit_generated(ir: &Ir) -> EmitReturn {
    EmitReturn {
        files: Emitter::new().update(ir, &lunora_analyzer::IrChange::Any),
    }
}

pub mod migrate;
