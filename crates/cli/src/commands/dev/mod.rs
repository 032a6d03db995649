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
//! Each child runs in its own process group, its output is forwarded line by
//! line with a `[wrangler]` / `[vite]` prefix, and shutdown signals the whole
//! group (SIGTERM, then SIGKILL after a grace period), so grandchildren such
//! as `workerd` and esbuild do not outlive `lunora dev`.
//!
//! Exit codes: 0 stopped by a signal (Ctrl-C); 1 the app has errors and no
//! earlier `_generated/` to run; 2 a child died or could not start.

mod children;
mod prefixed;
mod reaper;
mod shadow;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lunora_engine::Session;
use lunora_engine::layout::GENERATED_DIR;

use crate::args::{DevArgs, GlobalArgs};
use crate::render::Color;
use crate::watch::source::{NotifySource, Stoppable};
use crate::watch::{Options, Timing, watch_loop_with};
use crate::{Exit, Format};

use children::{POLL, Running, shutdown, spawn};
use prefixed::Prefixed;
pub use reaper::reap;
use reaper::spawn_reaper;
pub use shadow::SHADOW_DIR;
use shadow::{ShadowSync, prepare_shadow};

/// The port vite serves the app on (the template's `vite.config.ts` agrees).
pub const VITE_PORT: u16 = 5173;

pub fn run(
    global: &GlobalArgs,
    _args: DevArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let root = match super::app_root(global, stderr) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    let color = super::stderr_color(global.format);

    let json = global.format == Format::Json;
    let _ = writeln!(stderr, "[lunora] codegen");
    // With `--format json` the first codegen's document is held back: the
    // watcher's first run reports the same state as one JSON line, so stdout
    // carries exactly one line per run.
    let mut first = Vec::new();
    let exit = super::codegen::codegen(
        &root,
        global.format,
        color,
        false,
        if json { &mut first } else { &mut *stdout },
        stderr,
    );
    if exit != Exit::Ok {
        if root.join(GENERATED_DIR).join("wiring.ts").is_file() {
            let _ = writeln!(
                stderr,
                "[lunora] running the last good {GENERATED_DIR}/ until the errors above are fixed"
            );
        } else {
            // No watcher will run: this document is the only report.
            write_json_line(&first, stdout, stderr);
            let _ = writeln!(
                stderr,
                "[lunora] fix the errors above, then run `lunora dev` again"
            );
            return exit;
        }
    }

    let clean = exit == Exit::Ok;
    if let Err(e) = prepare_shadow(&root, clean) {
        let _ = writeln!(
            stderr,
            "error: cannot prepare {SHADOW_DIR}/ (the copy wrangler dev runs): {e}"
        );
        return Exit::Failure;
    }

    let exit = super::migrations::apply_local(&root, stderr);
    if exit != Exit::Ok {
        return exit;
    }

    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            let _ = writeln!(stderr, "error: cannot handle signal {signal}: {e}");
            return Exit::Failure;
        }
    }

    let _ = writeln!(
        stderr,
        "[lunora] starting wrangler dev and vite; open http://localhost:{VITE_PORT} (Ctrl-C stops everything)"
    );
    let _ = stdout.flush();
    let _ = stderr.flush();

    let mut children: Vec<Running> = Vec::new();
    let specs: [(&str, Command); 2] = [
        ("wrangler", {
            let mut cmd = super::app_tool(&root, "wrangler");
            // `--test-scheduled`: `/__scheduled?cron=...` fires a Cron Trigger (lunora/crons.ts).
            cmd.args([
                "dev",
                "--ip",
                "127.0.0.1",
                "--test-scheduled",
                "--persist-to",
            ])
            .arg(root.join(".wrangler").join("state"))
            .current_dir(root.join(SHADOW_DIR));
            cmd
        }),
        ("vite", {
            let mut cmd = super::app_tool(&root, "vite");
            cmd.args(["--port", &VITE_PORT.to_string(), "--strictPort"]);
            cmd
        }),
    ];
    let mut reason = None;
    for (name, cmd) in specs {
        match spawn(name, cmd, &root, json) {
            Ok(child) => children.push(child),
            Err(e) => {
                reason = Some(format!("cannot start {name}: {e}"));
                break;
            }
        }
    }

    // If we are killed (SIGKILL: no handler runs), the reaper stops the
    // children's groups; it learns we are gone when its stdin closes.
    let mut reaper = if reason.is_none() {
        spawn_reaper(&children, stderr)
    } else {
        None
    };

    let watcher = if reason.is_none() {
        match spawn_watch(&root, global.format, Arc::clone(&stop)) {
            Ok(handle) => Some(handle),
            Err(e) => {
                reason = Some(e);
                None
            }
        }
    } else {
        None
    };

    let mut died = reason.is_some();
    while reason.is_none() {
        if stop.load(Ordering::Relaxed) {
            reason = Some("stopping".to_owned());
            break;
        }
        for child in &mut children {
            if let Ok(Some(status)) = child.child.try_wait() {
                reason = Some(format!("{} exited ({status}); stopping", child.name));
                died = true;
                break;
            }
        }
        if watcher.as_ref().is_some_and(|w| w.is_finished()) {
            reason = Some("the codegen watcher stopped; stopping".to_owned());
            died = true;
        }
        thread::sleep(POLL);
    }
    let _ = writeln!(stderr, "[lunora] {}", reason.unwrap_or_default());
    stop.store(true, Ordering::Relaxed);
    shutdown(&mut children, stderr);
    if let Some(reaper) = &mut reaper {
        reaper.release();
    }
    if let Some(watcher) = watcher {
        let _ = watcher.join();
    }
    // Output still in the pipes is forwarded; a process that escaped its
    // group and still holds a pipe must not keep us waiting.
    let deadline = Instant::now() + Duration::from_secs(2);
    for forwarder in children.into_iter().flat_map(|c| c.forwarders) {
        while !forwarder.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        if forwarder.is_finished() {
            let _ = forwarder.join();
        }
    }
    if died { Exit::Failure } else { Exit::Ok }
}

/// A JSON document (pretty or not) as one line on `stdout`; anything that is
/// not JSON goes to `stderr` as is.
fn write_json_line(doc: &[u8], stdout: &mut dyn Write, stderr: &mut dyn Write) {
    if doc.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match serde_json::from_slice::<serde_json::Value>(doc) {
        Ok(value) => {
            let _ = writeln!(stdout, "{value}");
        }
        Err(_) => {
            let _ = stderr.write_all(doc);
        }
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
) -> Result<thread::JoinHandle<()>, String> {
    let inner =
        NotifySource::for_app(root).map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let root: PathBuf = root.to_path_buf();
    Ok(thread::spawn(move || {
        let mut source = Stoppable::new(inner, stop);
        let mut engine = ShadowSync {
            inner: Session::new(&root),
            errors: Prefixed::new("[lunora]", std::io::stderr()),
        };
        let (mut out, mut err): (Box<dyn Write>, Box<dyn Write>) = if format == Format::Json {
            (Box::new(std::io::stdout()), Box::new(std::io::stderr()))
        } else {
            (
                Box::new(Prefixed::new("[lunora]", std::io::stdout())),
                Box::new(Prefixed::new("[lunora]", std::io::stderr())),
            )
        };
        let options = Options {
            format,
            timing: Timing::default(),
            color: Color::Never,
        };
        watch_loop_with(&root, &mut source, options, &mut engine, &mut out, &mut err);
        let _ = out.flush();
        let _ = err.flush();
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pretty_json_document_becomes_one_line() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        write_json_line(b"{\n  \"a\": [\n    1\n  ]\n}\n", &mut out, &mut err);
        write_json_line(b"  \n", &mut out, &mut err);
        write_json_line(b"not json\n", &mut out, &mut err);
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":[1]}\n");
        assert_eq!(String::from_utf8(err).unwrap(), "not json\n");
    }
}
