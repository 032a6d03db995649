//! `lunora codegen --watch`: watch the app root, debounce, regenerate through
//! the one pipeline ([`crate::pipeline::generate`]) and write `_generated/`
//! only when a run is clean (the last good output stays in place otherwise).
//!
//! Parts, each testable alone: [`filter`] (which events matter),
//! [`debounce`] (when to run), [`source`] (where events come from: `notify`
//! or a mock), [`output`] (atomic writes and per-run reports).

pub mod debounce;
pub mod filter;
pub mod output;
pub mod source;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lunora_parser::{OsFs, Vfs, has_errors};

use crate::Exit;
use crate::args::{Format, GlobalArgs};
use crate::pipeline::{self, Generated};
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

/// Entry point of `lunora codegen --watch`: runs until the process is stopped.
pub fn run(global: &GlobalArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Exit {
    let root = match resolve_root(global.root.as_deref()) {
        Ok(root) => root,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Failure;
        }
    };
    let mut source = match NotifySource::new(&root) {
        Ok(source) => source,
        Err(err) => {
            let _ = writeln!(stderr, "error: cannot watch {}: {err}", root.display());
            return Exit::Failure;
        }
    };
    let mut generate = |root: &Path, fs: &dyn Vfs| pipeline::generate(root, fs);
    watch_loop(
        &root,
        &mut source,
        global.format,
        Timing::default(),
        &mut generate,
        stdout,
        stderr,
    );
    Exit::Ok
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

/// Runs once, then once per debounced batch of relevant changes, until the
/// source closes. Each run prints one report (one JSON line with `--format json`).
pub fn watch_loop(
    root: &Path,
    source: &mut dyn EventSource,
    format: Format,
    timing: Timing,
    generate: &mut GenerateFn<'_>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    // Plain text: watch output is often piped into `lunora dev`'s log.
    let mut state = WatchState::new(root, Color::Never);
    state.run_once(Vec::new(), format, generate, stdout, stderr);
    let mut debouncer = Debouncer::new(timing.settle, timing.max_wait);
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
            state.run_once(batch, format, generate, stdout, stderr);
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
        generate: &mut GenerateFn<'_>,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) {
        self.runs += 1;
        let generated = generate(&self.root, &OsFs);
        // Files read outside `lunora/` (imported const modules) are watched too.
        self.filter.set_deps(
            generated
                .files
                .iter()
                .filter(|f| !f.path.starts_with("lunora/"))
                .map(|f| f.path.clone()),
        );
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
        let _ = output::render(&report, &generated, format, self.color, stdout, stderr);
        let _ = stdout.flush();
    }
}

#[cfg(test)]
mod tests;
