//! `lunora_testkit` (`publish = false`): what tests and fuzz targets share and
//! the product never ships.
//!
//! - [`apps`]: test apps on disk (fixtures copied into temp dirs, fake tools),
//!   shared by the crates' integration tests.
//! - [`ir`]: IR values built by hand (fields, indexes, tables, the chat
//!   tutorial's IR) for the emitter's and migrations' tests.
//! - [`fuzz`]: the invariants the fuzz targets (`fuzz/`) check, replayed on
//!   every seed and crash reproducer by `tests/fuzz_regressions.rs` in the
//!   normal test run.

pub mod apps;
pub mod fuzz;
pub mod ir;
