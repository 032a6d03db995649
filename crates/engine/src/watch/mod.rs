//! The parts of watch mode that do not print: [`filter`] (which file events
//! matter), [`debounce`] (when to run) and [`source`] (where events come
//! from: `notify`, or a scripted source in tests). The loop that runs the
//! session and reports each run is the CLI's (`lunora_cli::watch`).

pub mod debounce;
pub mod filter;
pub mod source;
