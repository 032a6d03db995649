//! `lunora_dev`: the process machinery behind `lunora dev`, with no
//! dependency on the CLI. The CLI command wires these parts and words every
//! message; nothing here prints except through the writers it is given.
//!
//! - [`shadow`]: the last good copy of the Worker sources that `wrangler dev`
//!   runs, and [`shadow::ShadowSync`], the watch [`lunora_engine::watch::Engine`]
//!   that refreshes it after each clean run;
//! - [`children`]: child processes in their own process groups, output
//!   forwarded line by line with a `[name]` prefix, stopped group by group;
//! - [`supervisor`]: signals, waiting for the first reason to stop, draining;
//! - [`reaper`]: `lunora __reap`, which stops the children if `lunora dev`
//!   itself is killed;
//! - [`output`]: [`SharedWriter`] (the writers the threads share, injectable
//!   so the command runs in-process in tests) and [`output::Prefixed`].

pub mod children;
pub mod output;
pub mod reaper;
pub mod shadow;
pub mod supervisor;

pub use output::{Prefixed, SharedWriter};
