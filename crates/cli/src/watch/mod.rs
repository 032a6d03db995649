//! `lunora codegen --watch`: watch the app root, debounce, regenerate through
//! the one pipeline ([`crate::pipeline::generate`]) and write `_generated/`
//! only when a run is clean (the last good output stays in place otherwise).
//!
//! Parts, each testable alone: [`filter`] (which events matter),
//! [`debounce`] (when to run), [`source`] (where events come from: `notify`
//! or a mock), [`incremental`] (the engine that regenerates, reusing what did
//! not change), [`output`] (atomic writes and per-run reports).
//!
//! Entry points: [`run`] (`codegen --watch`, until the process ends),
//! [`spawn`] (the loop in a thread with a [`WatchHandle`] to stop it; for
//! `lunora dev`), [`watch_loop_with`] (any event source and engine).

pub mod debounce;
pub mod filter;
pub mod incremental;
pub mod output;
pub mod source;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lunora_parser::{OsFs, Vfs, has_errors};

use crate::Exit;
use crate::args::{Format, GlobalArgs};
use crate::pipeline::Generated;
use crate::render::Color;

use debounce::Debouncer;
use filter::Filter;
pub use incremental::{Incremental, UpdateStats};
use output::RunReport;
use source::{EventSource, NotifySource, Recv, Stoppable};

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

/// Entry point of `lunora codegen --watch`: runs until the process is stopped.
pub fn run(global: &GlobalArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Exit {
    let root = match resolve_root(global.root.as_deref()) {
        Ok(root) => root,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Failure;
        }
    };
    let mut source = match NotifySource::for_app(&root) {
        Ok(source) => source,
        Err(err) => {
            let _ = writeln!(stderr, "error: cannot watch {}: {err}", root.display());
            return Exit::Failure;
        }
    };
    let mut engine = Incremental::new(&root);
    watch_loop_with(
        &root,
        &mut source,
        Options {
            format: global.format,
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

/// A watch loop running in its own thread (see [`spawn`]).
pub struct WatchHandle {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl WatchHandle {
    /// Asks the loop to stop (it notices within [`source::STOP_POLL`]) and
    /// waits for it; a run in progress finishes first.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }

    /// True once the loop has ended (stopped, or its watcher failed).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}

/// Runs the incremental watch loop over the app at `root` in a new thread:
/// one report per run written to `stdout` (`stderr` for write failures),
/// exactly as `codegen --watch` prints them, until [`WatchHandle::stop`].
/// Fails only when the watcher cannot start.
pub fn spawn(
    root: &Path,
    options: Options,
    mut stdout: Box<dyn Write + Send>,
    mut stderr: Box<dyn Write + Send>,
) -> Result<WatchHandle, String> {
    let inner =
        NotifySource::new(root).map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let root = root.to_path_buf();
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("lunora-watch".into())
        .stack_size(lunora_parser::parse::THREAD_STACK_SIZE)
        .spawn(move || {
            let mut source = Stoppable::new(inner, flag);
            let mut engine = Incremental::new(&root);
            watch_loop_with(
                &root,
                &mut source,
                options,
                &mut engine,
                &mut stdout,
                &mut stderr,
            );
            let _ = stdout.flush();
            let _ = stderr.flush();
        })
        .map_err(|e| format!("cannot start the watcher thread: {e}"))?;
    Ok(WatchHandle { stop, thread })
}

/// The app root: `--root`, else the nearest folder upwards holding `lunora/`.
pub fn resolve_root(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(root) = explicit {
        return if root.is_dir() {
            Ok(root.to_path_buf())
        } else {
            Err(format!("--root {} is not a folder", root.display()))
        };
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    cwd.ancestors()
        .find(|dir| dir.join("lunora").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            format!(
                "no `lunora/` folder in {} or above; pass --root",
                cwd.display()
            )
        })
}

/// The generate function the loop calls (the real pipeline, or a fake in tests).
pub type GenerateFn<'a> = dyn FnMut(&Path, &dyn Vfs) -> Generated + 'a;

/// What a watch loop regenerates with: [`Incremental`], or any function.
pub trait Engine {
    /// Regenerates after `changed` paths changed (empty for the first run).
    fn regenerate(&mut self, root: &Path, changed: &[PathBuf]) -> &Generated;
}

impl Engine for Incremental {
    fn regenerate(&mut self, _root: &Path, changed: &[PathBuf]) -> &Generated {
        self.update(changed)
    }
}

/// A [`GenerateFn`] as an [`Engine`]: a cold run every time, over the disk.
struct FnEngine<'g, 'a> {
    generate: &'g mut GenerateFn<'a>,
    last: Option<Generated>,
}

impl Engine for FnEngine<'_, '_> {
    fn regenerate(&mut self, root: &Path, _changed: &[PathBuf]) -> &Generated {
        self.last.insert((self.generate)(root, &OsFs))
    }
}

/// [`watch_loop_with`] calling `generate` for every run (a cold run each time).
pub fn watch_loop(
    root: &Path,
    source: &mut dyn EventSource,
    format: Format,
    timing: Timing,
    generate: &mut GenerateFn<'_>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    let mut engine = FnEngine {
        generate,
        last: None,
    };
    let options = Options {
        format,
        timing,
        ..Options::default()
    };
    watch_loop_with(root, source, options, &mut engine, stdout, stderr);
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
                .filter(|f| !f.path.starts_with("lunora/"))
                .map(|f| f.path.clone()),
        );
        let deps: Vec<PathBuf> = self.filter.deps().map(|d| self.root.join(d)).collect();
        // A file whose folder was only now watched may have changed since
        // this run read it, without an event: compare, and run again if so.
        let stale: Vec<PathBuf> = source
            .watch_files(&deps)
            .into_iter()
            .filter(|path| {
                let rel = output::relative(&self.root, path);
                let read = generated.files.find(&rel).map(|f| f.text.as_bytes());
                std::fs::read(path).ok().as_deref() != read
            })
            .collect();
        let mut report = RunReport {
            run: self.runs,
            trigger: trigger
                .iter()
                .map(|p| output::relative(&self.root, p))
                .collect(),
            written: Vec::new(),
            removed: Vec::new(),
            kept_last_good: false,
            write_error: None,
        };
        if has_errors(&generated.diagnostics) {
            report.kept_last_good = true;
        } else if !generated.outputs.is_empty() {
            match output::write_outputs(&self.root, &generated.outputs) {
                Ok((written, removed)) => {
                    report.written = written;
                    report.removed = removed;
                }
                Err(err) => report.write_error = Some(err.to_string()),
            }
        }
        let _ = output::render(&report, generated, format, self.color, stdout, stderr);
        let _ = stdout.flush();
        stale
    }
}

#[cfg(test)]
mod tests;
