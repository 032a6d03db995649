//! The watch loop: run the engine once, then once per debounced batch of
//! relevant changes, write `_generated/` (through [`crate::writer`]) only when
//! a run is clean, and hand each run's [`RunReport`] to the caller, which
//! renders it (the CLI's `codegen --watch` and `lunora dev`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lunora_parser::{OsFs, has_errors};

use super::debounce::{self, Debouncer};
use super::filter::Filter;
use super::source::{EventSource, Recv};
use crate::layout::{LUNORA_DIR, relative};
use crate::{Analysis, Change, Session};

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

/// What a watch loop regenerates with: the engine's [`Session`] (tests pass
/// fakes; `lunora dev` wraps it to copy clean runs into its shadow folder).
pub trait Engine {
    /// Regenerates after `changed` paths changed (empty for the first run).
    fn regenerate(&mut self, root: &Path, changed: &[PathBuf]) -> &Analysis;
}

impl Engine for Session {
    fn regenerate(&mut self, _root: &Path, changed: &[PathBuf]) -> &Analysis {
        self.update(&OsFs, Change::Paths(changed))
    }
}

/// What one watch run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// 1 for the initial run.
    pub run: u64,
    /// Root-relative paths whose change started this run (empty for the first).
    pub trigger: Vec<String>,
    /// Generated files whose content changed.
    pub written: Vec<String>,
    /// Stale generated files deleted.
    pub removed: Vec<String>,
    /// Errors: the previous `_generated/` was left untouched.
    pub kept_last_good: bool,
    pub write_error: Option<String>,
}

/// Runs once, then once per debounced batch of relevant changes, until the
/// source closes. Each run is passed to `report` with the analysis it made.
pub fn watch_loop(
    root: &Path,
    source: &mut dyn EventSource,
    timing: Timing,
    engine: &mut dyn Engine,
    report: &mut dyn FnMut(&RunReport, &Analysis),
) {
    let mut state = WatchState::new(root);
    let mut debouncer = Debouncer::new(timing.settle, timing.max_wait);
    let stale = state.run_once(Vec::new(), engine, source, report);
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
            let stale = state.run_once(batch, engine, source, report);
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
}

impl WatchState {
    fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            filter: Filter::new(root),
            runs: 0,
        }
    }

    fn run_once(
        &mut self,
        trigger: Vec<PathBuf>,
        engine: &mut dyn Engine,
        source: &mut dyn EventSource,
        report: &mut dyn FnMut(&RunReport, &Analysis),
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
        let mut run = RunReport {
            run: self.runs,
            trigger: trigger.iter().map(|p| relative(&self.root, p)).collect(),
            written: Vec::new(),
            removed: Vec::new(),
            kept_last_good: false,
            write_error: None,
        };
        if has_errors(&generated.diagnostics) {
            run.kept_last_good = true;
        } else if !generated.outputs.is_empty() {
            match crate::writer::write_generated(&self.root, &generated.outputs) {
                Ok(done) => {
                    run.written = done.written;
                    run.removed = done.removed;
                }
                Err(err) => run.write_error = Some(err.error.to_string()),
            }
        }
        report(&run, generated);
        stale
    }
}

#[cfg(test)]
mod tests;
