//! Watch mode, without printing: [`filter`] (which file events matter),
//! [`debounce`] (when to run), [`source`] (where events come from: `notify`,
//! or a scripted source in tests) and [`run`] (the loop over them, which
//! hands each run's [`RunReport`] to a callback; the CLI renders it).

pub mod debounce;
pub mod filter;
pub mod run;
pub mod source;

pub use run::{Engine, RunReport, Timing, watch_loop};
