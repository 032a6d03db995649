//! `lunora codegen --watch`: the engine's watch loop
//! ([`lunora_engine::watch::watch_loop`], over the incremental
//! [`lunora_engine::Session`]) with each run reported by
//! [`Reporter::watch_run`].
//!
//! Entry points: [`run`] (`codegen --watch`, until the process ends) and
//! [`watch_loop_with`] (any event source and engine; `lunora dev` runs it in
//! a thread over a [`source::Stoppable`] source).

pub use lunora_engine::watch::{Engine, RunReport, Timing, debounce, filter, source};

use std::io::Write;
use std::path::Path;

use lunora_engine::Session;

use crate::args::Format;
use crate::exit::Exit;
use crate::render::Color;
use crate::report::Reporter;

use source::{EventSource, NotifySource};

/// Entry point of `lunora codegen --watch` for the app at `root` (found by
/// the command, with the same rule as every other command): runs until the
/// process is stopped.
pub fn run(root: &Path, reporter: &mut Reporter<'_>) -> Exit {
    let mut source = match NotifySource::for_app(root) {
        Ok(source) => source,
        Err(err) => {
            reporter.error(format_args!("cannot watch {}: {err}", root.display()));
            return Exit::Failure;
        }
    };
    let mut engine = Session::new(root);
    let timing = Timing::default();
    watch_loop_reporting(
        root,
        &mut source,
        timing,
        &mut engine,
        &mut reporter.plain(),
    );
    Exit::Ok
}

/// How a watch loop reports and when it runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    pub timing: Timing,
    /// Colour of human output (plain by default: watch output is often piped
    /// into `lunora dev`'s log).
    pub color: Color,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            format: Format::Human,
            timing: Timing::default(),
            color: Color::Never,
        }
    }
}

/// Runs once, then once per debounced batch of relevant changes, until the
/// source closes. Each run prints one report (one JSON line with `--format json`).
pub fn watch_loop_with(
    root: &Path,
    source: &mut dyn EventSource,
    options: Options,
    engine: &mut dyn Engine,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    let mut reporter = Reporter::new(options.format, options.color, stdout, stderr);
    watch_loop_reporting(root, source, options.timing, engine, &mut reporter);
}

/// [`watch_loop_with`] over a [`Reporter`].
pub fn watch_loop_reporting(
    root: &Path,
    source: &mut dyn EventSource,
    timing: Timing,
    engine: &mut dyn Engine,
    reporter: &mut Reporter<'_>,
) {
    lunora_engine::watch::watch_loop(root, source, timing, engine, &mut |report, generated| {
        reporter.watch_run(report, generated);
        reporter.flush();
    });
}
