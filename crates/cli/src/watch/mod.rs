//! `lunora codegen --watch`: the engine's watch loop
//! ([`lunora_engine::watch::watch_loop`], over the incremental
//! [`lunora_engine::Session`]) with each run rendered by [`output`].
//!
//! Entry points: [`run`] (`codegen --watch`, until the process ends) and
//! [`watch_loop_with`] (any event source and engine; `lunora dev` runs it in
//! a thread over a [`source::Stoppable`] source).

pub mod output;

pub use lunora_engine::watch::{Engine, RunReport, Timing, debounce, filter, source};

use std::io::Write;
use std::path::Path;

use lunora_engine::Session;

use crate::Exit;
use crate::args::Format;
use crate::render::Color;

use source::{EventSource, NotifySource};

/// Entry point of `lunora codegen --watch` for the app at `root` (found by
/// the command, with the same rule as every other command): runs until the
/// process is stopped.
pub fn run(root: &Path, format: Format, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Exit {
    let mut source = match NotifySource::for_app(root) {
        Ok(source) => source,
        Err(err) => {
            let _ = writeln!(stderr, "error: cannot watch {}: {err}", root.display());
            return Exit::Failure;
        }
    };
    let mut engine = Session::new(root);
    watch_loop_with(
        root,
        &mut source,
        Options {
            format,
            ..Options::default()
        },
        &mut engine,
        stdout,
        stderr,
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
    let Options {
        format,
        timing,
        color,
    } = options;
    lunora_engine::watch::watch_loop(root, source, timing, engine, &mut |report, generated| {
        let _ = output::render(report, generated, format, color, stdout, stderr);
        let _ = stdout.flush();
    });
}
