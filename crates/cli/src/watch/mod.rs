//! `lunora codegen --watch`: watch the app root, debounce, regenerate through
//! the engine's incremental session ([`lunora_engine::Session`], always equal
//! to the one pipeline) and write `_generated/` (through
//! [`lunora_engine::writer`]) only when a run is clean (the last good output
//! stays in place otherwise).
//!
//! Parts, each testable alone: [`filter`] (which events matter),
//! [`debounce`] (when to run), [`source`] (where events come from: `notify`
//! or a mock), all three in [`lunora_engine::watch`], and [`output`] (per-run
//! reports).
//!
//! Entry points: [`run`] (`codegen --watch`, until the process ends) and
//! [`watch_loop_with`] (any event source and engine; `lunora dev` runs it in
//! a thread over a [`source::Stoppable`] source).

pub mod output;

pub use lunora_engine::watch::{debounce, filter, source};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lunora_engine::layout::{LUNORA_DIR, relative};
use lunora_engine::{Analysis, Change, Session};
use lunora_parser::{OsFs, has_errors};

use crate::Exit;
use crate::args::Format;
use crate::render::Color;

use debounce::Debouncer;
use filter::Filter;
use output::RunReport;
use source::{EventSource, NotifySource, Recv};

/// Timing of the watch loop.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub settle: Duration,
    pub max_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            settle: debounce::DEFAULT_SETTLE,
            max_wait: debounce::DEFAULT_MAX_WAIT,
        }
    }
}

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

/// What a watch loop regenerates with: the engine's [`Session`] (tests pass fakes).
pub trait Engine {
    /// Regenerates after `changed` paths changed (empty for the first run).
    fn regenerate(&mut self, root: &Path, changed: &[PathBuf]) -> &Analysis;
}

impl Engine for Session {
    fn regenerate(&mut self, _root: &Path, changed: &[PathBuf]) -> &Analysis {
        self.update(&OsFs, Change::Paths(changed))
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
    let mut state = WatchState::new(root, color);
    let mut debouncer = Debouncer::new(timing.settle, timing.max_wait);
    let stale = state.run_once(Vec::new(), format, engine, source, stdout, stderr);
    for path in stale {
        debouncer.push(path, Instant::now());
    }
    loop {
        let timeout = debouncer
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        let closed = match source.recv(timeout) {
            Recv::Changed(paths) => {
                let now = Instant::now();
                for path in paths {
                    if state.filter.is_relevant(&path) {
                        debouncer.push(path, now);
                    }
                }
                false
            }
            Recv::Rescan => {
                debouncer.push(root.to_path_buf(), Instant::now());
                false
            }
            Recv::Timeout => false,
            Recv::Closed => true,
        };
        // On close, flush what is pending without waiting.
        let now = if closed {
            Instant::now() + timing.max_wait
        } else {
            Instant::now()
        };
        if let Some(batch) = debouncer.take_due(now) {
            let stale = state.run_once(batch, format, engine, source, stdout, stderr);
            for path in stale {
                debouncer.push(path, Instant::now());
            }
        }
        if closed {
            return;
        }
    }
}

struct WatchState {
    root: PathBuf,
    filter: Filter,
    runs: u64,
    color: Color,
}

impl WatchState {
    fn new(root: &Path, color: Color) -> Self {
        Self {
            root: root.to_path_buf(),
            filter: Filter::new(root),
            runs: 0,
            color,
        }
    }

    fn run_once(
        &mut self,
        trigger: Vec<PathBuf>,
        format: Format,
        engine: &mut dyn Engine,
        source: &mut dyn EventSource,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Vec<PathBuf> {
        self.runs += 1;
        let generated = engine.regenerate(&self.root, &trigger);
        // Files read outside `lunora/` (imported const modules) are watched too.
        self.filter.set_deps(
            generated
                .files
                .iter()
                .filter(|f| !f.path.starts_with(&format!("{LUNORA_DIR}/")))
                .map(|f| f.path.clone()),
        );
        let deps: Vec<PathBuf> = self.filter.deps().map(|d| self.root.join(d)).collect();
        // A file whose folder was only now watched may have changed since
        // this run read it, without an event: compare, and run again if so.
        let stale: Vec<PathBuf> = source
            .watch_files(&deps)
            .into_iter()
            .filter(|path| {
                let rel = relative(&self.root, path);
                let read = generated.files.find(&rel).map(|f| f.text.as_bytes());
                std::fs::read(path).ok().as_deref() != read
            })
            .collect();
        let mut report = RunReport {
            run: self.runs,
            trigger: trigger.iter().map(|p| relative(&self.root, p)).collect(),
            written: Vec::new(),
            removed: Vec::new(),
            kept_last_good: false,
            write_error: None,
        };
        if has_errors(&generated.diagnostics) {
            report.kept_last_good = true;
        } else if !generated.outputs.is_empty() {
            match lunora_engine::writer::write_generated(&self.root, &generated.outputs) {
                Ok(done) => {
                    report.written = done.written;
                    report.removed = done.removed;
                }
                Err(err) => report.write_error = Some(err.error.to_string()),
            }
        }
        let _ = output::render(&report, generated, format, self.color, stdout, stderr);
        let _ = stdout.flush();
        stale
    }
}

#[cfg(test)]
mod tests;
