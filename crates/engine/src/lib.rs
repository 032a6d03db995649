//! `lunora_engine`: everything between the stages (parser → analyzer → emit)
//! and the `lunora` binary. It never prints and never exits: every entry
//! point returns values, diagnostics or typed errors, and the CLI, the
//! language server, the benchmarks and the fuzz targets render them.
//!
//! - [`layout`]: the app layout ([`AppLayout`]: root, `lunora/`,
//!   `_generated/`, `migrations/`, which files are sources) and the one root finder.
//! - [`pipeline`]: the one codegen pipeline (analyze, then emit).
//! - [`scaffold`]: the template app `lunora init` writes.
//! - [`session`]: the incremental session of watch mode and the language
//!   server (`update(fs, change) -> &Analysis`), always equal to a cold run.
//! - [`writer`]: the only writer of generated output (atomic, only what changed).
//! - [`migrations`]: the migrations folder, the replay (`migrate check`), the
//!   MigrationRunner over an [`migrations::Executor`] and its wrangler executor.
//! - [`deploy`]: the checks of `lunora deploy` (codegen, drift, cron
//!   triggers, `wrangler.jsonc`), returned as typed results.
//! - [`wrangler_config`]: `wrangler.jsonc` checks with spans (`deploy`, the runner).

pub mod deploy;
mod diagnostics;
pub mod layout;
pub mod migrations;
pub mod pipeline;
pub mod scaffold;
pub mod session;
pub mod watch;
pub mod wrangler_config;
pub mod writer;

pub use layout::AppLayout;
pub use pipeline::{Analysis, generate};
pub use session::{Change, Session, UpdateStats};
