//! `lunora_emit`: pure functions from the IR to file contents. No file system
//! access here; the CLI writes (atomically) what these return.

mod generated;
pub mod storage;
pub mod ts;

use lunora_analyzer::Ir;

pub use generated::{GENERATED_DIR, HEADER};

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

/// From this many functions on, [`emit_generated`] uses a second thread.
const PARALLEL_FROM_FUNCTIONS: usize = 200;

/// Everything `lunora codegen` writes under `lunora/_generated/`:
/// `api.ts`, `dataModel.ts`, `server.ts` and `wiring.ts`.
pub fn emit_generated(ir: &Ir) -> EmitReturn {
    // The files are independent: on large apps `api.ts` (about half the work)
    // is built on a second thread while this one builds the others.
    let parallel = ir.functions.len() >= PARALLEL_FROM_FUNCTIONS
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    let (api, data_model, wiring) = if parallel {
        std::thread::scope(|s| {
            // Validators nest as deep as the parser allows: the same stack as
            // every other worker thread. If no thread can be had, build it here.
            let api = std::thread::Builder::new()
                .stack_size(lunora_parser::parse::THREAD_STACK_SIZE)
                .spawn_scoped(s, || generated::api(ir));
            let data_model = generated::data_model(ir);
            let wiring = generated::wiring(ir);
            let api = match api.map(|h| h.join()) {
                Ok(Ok(api)) => api,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => generated::api(ir),
            };
            (api, data_model, wiring)
        })
    } else {
        (
            generated::api(ir),
            generated::data_model(ir),
            generated::wiring(ir),
        )
    };
    let mut files: Vec<GeneratedFile> = [
        ("api.ts", api),
        ("dataModel.ts", data_model),
        ("server.ts", generated::server()),
        ("wiring.ts", wiring),
    ]
    .into_iter()
    .map(|(name, contents)| GeneratedFile {
        path: format!("{GENERATED_DIR}/{name}"),
        contents,
    })
    .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    EmitReturn { files }
}

pub mod migrate;
