//! `lunora dev` (behind the template's `pnpm dev`): codegen once, apply
//! pending D1 migrations locally, then run three things side by side until
//! Ctrl-C or until one of the processes dies:
//!
//! - the codegen watch loop ([`crate::watch::watch_loop_with`]) over `lunora/`,
//!   in a thread (a schema error prints its diagnostic and leaves the last
//!   good `_generated/` in place, so the Worker keeps running);
//! - `wrangler dev --ip 127.0.0.1` (the Worker on port 8787, from
//!   `wrangler.jsonc`) over a *last good copy* of the app's Worker sources in
//!   [`SHADOW_DIR`] (`wrangler.jsonc`, `tsconfig.json`, `.dev.vars`,
//!   `src/server/`, `lunora/`), with its state in the app's
//!   `.wrangler/state` (where `migrate apply --local` writes). The watcher
//!   copies `lunora/` sources and `_generated/` there only after a clean
//!   codegen run, so wrangler reloads on good code and never bundles a schema
//!   or function that has errors: the last good Worker keeps serving.
//!   (Edits under `src/server/` are picked up on the next start.)
//! - `vite` (port 5173, proxying `/api` HTTP and WebSocket to the Worker,
//!   from the template's `vite.config.ts`).
//!
//! The process machinery is the `lunora_dev` crate (crates/devserver).
//! Each child runs in its own process group, its output is forwarded line by
//! line with a `[wrangler]` / `[vite]` prefix, and shutdown signals the whole
//! group (SIGTERM, then SIGKILL after a grace period), so grandchildren such
//! as `workerd` and esbuild do not outlive `lunora dev`.
//!
//! Exit codes: 0 stopped by a signal (Ctrl-C); 1 the app has errors and no
//! earlier `_generated/` to run; 2 a child died or could not start.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use lunora_dev::children::{Running, shutdown, spawn};
use lunora_dev::reaper::spawn_reaper;
use lunora_dev::shadow::{SHADOW_DIR, ShadowSync, prepare_shadow};
use lunora_dev::supervisor::{self, Stopped};
use lunora_dev::{Prefixed, SharedWriter};
use lunora_engine::Session;
use lunora_engine::layout::GENERATED_DIR;

use crate::args::{DevArgs, Format, GlobalArgs};
use crate::exit::Exit;
use crate::render::Color;
use crate::report::Reporter;
use crate::watch::source::{NotifySource, Stoppable};
use crate::watch::{Timing, watch_loop_reporting};

/// The port vite serves the app on (the template's `vite.config.ts` agrees).
pub const VITE_PORT: u16 = 5173;

/// `lunora dev` on the process's stdout and stderr (the threads it starts
/// write there too, so the injected writers of [`crate::run`] are not used).
pub fn run(global: &GlobalArgs, args: DevArgs) -> Exit {
    let io = DevIo {
        stdout: SharedWriter::stdout(),
        stderr: SharedWriter::stderr(),
        reaper: std::env::current_exe().ok(),
    };
    run_with(global, args, io)
}

/// Where `lunora dev` writes and which binary reaps its children.
pub struct DevIo {
    /// Its reports and the children's stdout (their stderr with `--format json`).
    pub stdout: SharedWriter,
    /// Progress lines, diagnostics and the children's stderr.
    pub stderr: SharedWriter,
    /// The `lunora` binary whose `__reap` stops the children if this process
    /// is killed; `None` runs without a reaper.
    pub reaper: Option<PathBuf>,
}

/// `lunora __reap <groups>` ([`lunora_dev::reaper::reap`]).
pub fn reap(groups: &[i32]) -> Exit {
    lunora_dev::reaper::reap(groups);
    Exit::Ok
}

/// `lunora dev` writing everything (its own lines, the watcher's reports,
/// the children's output) to `io`: tests run it in-process over
/// [`SharedWriter::capture`].
pub fn run_with(global: &GlobalArgs, _args: DevArgs, io: DevIo) -> Exit {
    let DevIo {
        stdout,
        stderr,
        reaper,
    } = io;
    let (mut out, mut err) = (stdout.clone(), stderr.clone());
    let reporter = &mut Reporter::for_terminal(global.format, &mut out, &mut err);
    let root = match prepare(global, reporter) {
        Ok(root) => root,
        Err(exit) => return exit,
    };

    let stop = Arc::new(AtomicBool::new(false));
    if let Err((signal, e)) = supervisor::stop_on_signals(&stop) {
        reporter.error(format_args!("cannot handle signal {signal}: {e}"));
        return Exit::Failure;
    }

    reporter.status(format_args!(
        "[lunora] starting wrangler dev and vite; open http://localhost:{VITE_PORT} (Ctrl-C stops everything)"
    ));
    reporter.flush();

    // With `--format json` the children's stdout goes to our stderr too,
    // so stdout holds only JSON lines.
    let child_out = if reporter.stdout_is_documents() {
        stderr.clone()
    } else {
        stdout.clone()
    };
    let (mut children, mut reason) = start_children(&root, &child_out, &stderr);

    // If we are killed (SIGKILL: no handler runs), the reaper stops the
    // children's groups; it learns we are gone when its stdin closes.
    let mut reaper = match reaper.filter(|_| reason.is_none()) {
        Some(exe) => match spawn_reaper(&exe, &children) {
            Ok(reaper) => Some(reaper),
            Err(e) => {
                reporter.status(format_args!(
                    "[lunora] warning: cannot start the reaper ({e}); if this process is killed, stop wrangler and vite yourself"
                ));
                None
            }
        },
        None => None,
    };

    let watcher = if reason.is_none() {
        match spawn_watch(
            &root,
            reporter.format(),
            Arc::clone(&stop),
            &stdout,
            &stderr,
        ) {
            Ok(handle) => Some(handle),
            Err(e) => {
                reason = Some(e);
                None
            }
        }
    } else {
        None
    };

    let died = reason.is_some();
    let (reason, died) = match reason {
        Some(reason) => (reason, died),
        None => supervise(&mut children, &stop, watcher.as_ref()),
    };
    reporter.status(format_args!("[lunora] {reason}"));
    stop.store(true, Ordering::Relaxed);
    shutdown(&mut children, &mut stderr.clone());
    if let Some(reaper) = &mut reaper {
        reaper.release();
    }
    if let Some(watcher) = watcher {
        let _ = watcher.join();
    }
    supervisor::drain(children);
    if died { Exit::Failure } else { Exit::Ok }
}

/// Everything before the children start: the app root, the first codegen
/// (an error keeps the last good `_generated/` running, or stops when there
/// is none), the shadow copy wrangler runs and the local migrations.
fn prepare(global: &GlobalArgs, reporter: &mut Reporter<'_>) -> Result<PathBuf, Exit> {
    let root = super::app_root(global, reporter)?;
    reporter.status("[lunora] codegen");
    // With `--format json` the first codegen's document is held back: the
    // watcher's first run reports the same state as one JSON line, so stdout
    // carries exactly one line per run.
    let (exit, first) = reporter.hold_document(|r| super::codegen::codegen(&root, false, r));
    if exit != Exit::Ok {
        if root.join(GENERATED_DIR).join("wiring.ts").is_file() {
            reporter.status(format_args!(
                "[lunora] running the last good {GENERATED_DIR}/ until the errors above are fixed"
            ));
        } else {
            // No watcher will run: this document is the only report.
            reporter.release(first);
            reporter.status("[lunora] fix the errors above, then run `lunora dev` again");
            return Err(exit);
        }
    }
    if let Err(e) = prepare_shadow(&root, exit == Exit::Ok) {
        reporter.error(format_args!(
            "cannot prepare {SHADOW_DIR}/ (the copy wrangler dev runs): {e}"
        ));
        return Err(Exit::Failure);
    }
    match super::migrations::apply_local(&root, reporter) {
        Exit::Ok => Ok(root),
        exit => Err(exit),
    }
}

/// The two children: `wrangler dev` over the shadow copy (`--test-scheduled`:
/// `/__scheduled?cron=...` fires a Cron Trigger of lunora/crons.ts) and vite.
fn child_commands(root: &Path) -> [(&'static str, Command); 2] {
    let mut wrangler = super::app_tool(root, "wrangler");
    wrangler
        .args([
            "dev",
            "--ip",
            "127.0.0.1",
            "--test-scheduled",
            "--persist-to",
        ])
        .arg(root.join(".wrangler").join("state"))
        .current_dir(root.join(SHADOW_DIR));
    let mut vite = super::app_tool(root, "vite");
    vite.args(["--port", &VITE_PORT.to_string(), "--strictPort"]);
    [("wrangler", wrangler), ("vite", vite)]
}

/// Starts the children in order; the first that cannot start stops the rest
/// (its reason is returned with the ones already running).
fn start_children(
    root: &Path,
    stdout: &SharedWriter,
    stderr: &SharedWriter,
) -> (Vec<Running>, Option<String>) {
    let mut children = Vec::new();
    for (name, cmd) in child_commands(root) {
        match spawn(name, cmd, root, stdout.clone(), stderr.clone()) {
            Ok(child) => children.push(child),
            Err(e) => return (children, Some(format!("cannot start {name}: {e}"))),
        }
    }
    (children, None)
}

/// Waits until Ctrl-C, a child's exit or the watcher's end: why, and whether
/// it was a failure (anything but being asked to stop).
fn supervise(
    children: &mut [Running],
    stop: &AtomicBool,
    watcher: Option<&std::thread::JoinHandle<()>>,
) -> (String, bool) {
    let watcher_done = || watcher.is_some_and(|w| w.is_finished());
    match supervisor::wait(children, stop, &watcher_done) {
        Stopped::Asked => ("stopping".to_owned(), false),
        Stopped::Exited { name, status } => (format!("{name} exited ({status}); stopping"), true),
        Stopped::Watcher => ("the codegen watcher stopped; stopping".to_owned(), true),
    }
}

/// The incremental watch loop ([`crate::watch`]) in a thread, over the app
/// (`NotifySource::for_app`: `lunora/` and the files it reads, never
/// `node_modules/`), until `stop` is set. Human and GitHub reports are
/// prefixed `[lunora]`; with `--format json` each run is one plain JSON line
/// on stdout (as `codegen --watch --format json` prints it). Each clean run is
/// copied into [`SHADOW_DIR`].
fn spawn_watch(
    root: &Path,
    format: Format,
    stop: Arc<AtomicBool>,
    stdout: &SharedWriter,
    stderr: &SharedWriter,
) -> Result<thread::JoinHandle<()>, String> {
    let inner =
        NotifySource::for_app(root).map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let root = root.to_path_buf();
    let (stdout, stderr) = (stdout.clone(), stderr.clone());
    Ok(thread::spawn(move || {
        let mut source = Stoppable::new(inner, stop);
        let mut engine = ShadowSync {
            inner: Session::new(&root),
            errors: Prefixed::new("[lunora]", stderr.clone()),
        };
        let (mut out, mut err) = (stdout.clone(), stderr.clone());
        let (mut prefixed_out, mut prefixed_err) = (
            Prefixed::new("[lunora]", stdout),
            Prefixed::new("[lunora]", stderr),
        );
        let plain = Reporter::new(format, Color::Never, &mut out, &mut err);
        // Human and GitHub reports are prefixed; machine documents are not.
        let mut reporter = if plain.stdout_is_documents() {
            plain
        } else {
            Reporter::new(format, Color::Never, &mut prefixed_out, &mut prefixed_err)
        };
        watch_loop_reporting(
            &root,
            &mut source,
            Timing::default(),
            &mut engine,
            &mut reporter,
        );
        reporter.flush();
    }))
}
