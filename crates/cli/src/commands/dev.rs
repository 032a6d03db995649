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

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use lunora_parser::has_errors;

use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::{Analysis, Change, Session, writer};
use lunora_parser::OsFs;

use crate::args::{DevArgs, GlobalArgs};
use crate::render::Color;
use crate::watch::source::{NotifySource, Stoppable};
use crate::watch::{Engine, Options, Timing, watch_loop_with};
use crate::{Exit, Format};

/// The port vite serves the app on (the template's `vite.config.ts` agrees).
pub const VITE_PORT: u16 = 5173;
/// How long children get to exit after SIGTERM before their group is killed.
const GRACE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(100);
/// Root-relative folder of the last good copy that `wrangler dev` runs.
pub const SHADOW_DIR: &str = ".wrangler/lunora-dev";
/// What the Worker needs, copied into [`SHADOW_DIR`] at start.
const SHADOW_FILES: &[&str] = &[
    "wrangler.jsonc",
    "tsconfig.json",
    ".dev.vars",
    "package.json",
];
const SHADOW_DIRS: &[&str] = &["src/server", "lunora"];

/// Fills [`SHADOW_DIR`] from the app. When the first codegen had errors and a
/// copy from an earlier run exists, that last good copy is kept.
fn prepare_shadow(root: &Path, clean: bool) -> std::io::Result<()> {
    let shadow = root.join(SHADOW_DIR);
    if !clean && shadow.join("lunora").is_dir() {
        return Ok(());
    }
    if shadow.exists() {
        std::fs::remove_dir_all(&shadow)?;
    }
    std::fs::create_dir_all(&shadow)?;
    for file in SHADOW_FILES {
        let from = root.join(file);
        if from.is_file() {
            std::fs::copy(&from, shadow.join(file))?;
        }
    }
    for dir in SHADOW_DIRS {
        copy_tree(&root.join(dir), &shadow.join(dir))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// After a clean run: the sources it read and the files it generated, into
/// [`SHADOW_DIR`] (only files whose contents changed, each written atomically).
fn sync_shadow(root: &Path, generated: &Analysis) -> std::io::Result<()> {
    let shadow = root.join(SHADOW_DIR);
    let sources = generated.files.iter().map(|f| (&f.path, &f.text));
    let outputs = generated.outputs.iter().map(|f| (&f.path, &f.contents));
    for (path, text) in sources.chain(outputs) {
        let rel = Path::new(path.as_str());
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        writer::write_if_changed(&shadow.join(rel), text.as_bytes())?;
    }
    Ok(())
}

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
            cmd.args(["dev", "--ip", "127.0.0.1", "--persist-to"])
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

struct Running {
    name: &'static str,
    child: Child,
    forwarders: Vec<thread::JoinHandle<()>>,
}

/// Starts `cmd` with its output forwarded, each line prefixed `[name]`: its
/// stdout to our stdout, its stderr to our stderr. With `json` (`--format
/// json`) both go to our stderr, so stdout holds only JSON lines.
fn spawn(
    name: &'static str,
    mut cmd: Command,
    root: &Path,
    json: bool,
) -> std::io::Result<Running> {
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(root);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own group: the terminal's Ctrl-C reaches only us, and shutdown
        // can signal the child together with everything it started.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    let prefix = format!("[{name}]");
    let mut forwarders = Vec::new();
    if let Some(out) = child.stdout.take() {
        let prefix = prefix.clone();
        forwarders.push(thread::spawn(move || {
            if json {
                forward(out, &prefix, &mut std::io::stderr())
            } else {
                forward(out, &prefix, &mut std::io::stdout())
            }
        }));
    }
    if let Some(err) = child.stderr.take() {
        forwarders.push(thread::spawn(move || {
            forward(err, &prefix, &mut std::io::stderr())
        }));
    }
    Ok(Running {
        name,
        child,
        forwarders,
    })
}

/// Copies `input` to `out` line by line, each line prefixed.
fn forward(input: impl Read, prefix: &str, out: &mut dyn Write) {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let _ = writeln!(out, "{prefix} {}", text.trim_end_matches(['\n', '\r']));
                let _ = out.flush();
            }
        }
    }
}

/// The reaper of one `lunora dev` run: `lunora __reap <groups>`, in its own
/// process group (terminal signals do not reach it), reading its stdin.
struct Reaper {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
}

/// What the reaper reads before EOF when `lunora dev` stopped its children
/// itself: nothing left to do.
const REAPER_RELEASE: &[u8] = b"released\n";

impl Reaper {
    /// Our children are stopped: the reaper exits without touching them.
    fn release(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(REAPER_RELEASE);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the reaper for `children`; `None` (with a warning) when it cannot run.
fn spawn_reaper(children: &[Running], stderr: &mut dyn Write) -> Option<Reaper> {
    let exe = std::env::current_exe().ok()?;
    let mut cmd = Command::new(exe);
    cmd.arg("__reap")
        .args(children.iter().map(|c| c.child.id().to_string()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    match cmd.spawn() {
        Ok(mut child) => Some(Reaper {
            stdin: child.stdin.take(),
            child,
        }),
        Err(e) => {
            let _ = writeln!(
                stderr,
                "[lunora] warning: cannot start the reaper ({e}); if this process is killed, stop wrangler and vite yourself"
            );
            None
        }
    }
}

/// `lunora __reap <groups>`: waits for its stdin to close; unless `lunora
/// dev` wrote `REAPER_RELEASE` first (it stopped its children itself), it
/// was killed: SIGTERM to each group, then SIGKILL to what is left after
/// `GRACE`.
pub fn reap(groups: &[i32]) -> Exit {
    #[cfg(unix)]
    {
        use std::io::Read;
        // Hang-ups and Ctrl-C are for `lunora dev`, which stops the children
        // itself and then releases us.
        let ignored = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP] {
            let _ = signal_hook::flag::register(signal, Arc::clone(&ignored));
        }
        let mut said = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut said);
        if said == REAPER_RELEASE {
            return Exit::Ok;
        }
        use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
        let pids: Vec<Pid> = groups.iter().filter_map(|&g| Pid::from_raw(g)).collect();
        for &pid in &pids {
            let _ = kill_process_group(pid, Signal::TERM);
        }
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline
            && pids.iter().any(|&pid| test_kill_process_group(pid).is_ok())
        {
            thread::sleep(POLL);
        }
        for &pid in &pids {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
    #[cfg(not(unix))]
    let _ = groups;
    Exit::Ok
}

/// SIGTERM to every child's process group, wait for the groups to empty (up
/// to [`GRACE`]), then SIGKILL what is left.
fn shutdown(children: &mut [Running], stderr: &mut dyn Write) {
    for child in children.iter_mut() {
        signal_group(&mut child.child, false);
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        let mut alive = false;
        for child in children.iter_mut() {
            // Reap the leader: a zombie still counts as a member of its group.
            let _ = child.child.try_wait();
            alive |= group_alive(&child.child);
        }
        if !alive {
            return;
        }
        thread::sleep(POLL);
    }
    for child in children.iter_mut() {
        if group_alive(&child.child) {
            let _ = writeln!(
                stderr,
                "[lunora] {} did not stop within {}s; killing it",
                child.name,
                GRACE.as_secs()
            );
        }
        signal_group(&mut child.child, true);
        let _ = child.child.wait();
    }
}

#[cfg(unix)]
fn signal_group(child: &mut Child, kill: bool) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let signal = if kill { Signal::KILL } else { Signal::TERM };
    // ESRCH: the group is already gone.
    let _ = kill_process_group(Pid::from_child(child), signal);
}

#[cfg(not(unix))]
fn signal_group(child: &mut Child, _kill: bool) {
    let _ = child.kill();
}

#[cfg(unix)]
fn group_alive(child: &Child) -> bool {
    use rustix::process::{Pid, test_kill_process_group};
    test_kill_process_group(Pid::from_child(child)).is_ok()
}

#[cfg(not(unix))]
fn group_alive(_child: &Child) -> bool {
    false
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

/// The incremental engine, plus: after a clean run, the sources it read and
/// the generated files go to [`SHADOW_DIR`].
struct ShadowSync {
    inner: Session,
    /// Where a failed copy is reported (`[lunora] ...` on stderr).
    errors: Prefixed<std::io::Stderr>,
}

impl Engine for ShadowSync {
    fn regenerate(&mut self, root: &Path, changed: &[PathBuf]) -> &Analysis {
        let generated = self.inner.update(&OsFs, Change::Paths(changed));
        let clean = !has_errors(&generated.diagnostics) && !generated.outputs.is_empty();
        if clean && let Err(e) = sync_shadow(root, generated) {
            let _ = writeln!(self.errors, "cannot update {SHADOW_DIR}/: {e}");
        }
        generated
    }
}

/// A writer that prefixes every line.
struct Prefixed<W: Write> {
    prefix: &'static str,
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Prefixed<W> {
    fn new(prefix: &'static str, inner: W) -> Self {
        Self {
            prefix,
            inner,
            line: Vec::new(),
        }
    }
}

impl<W: Write> Prefixed<W> {
    /// Writes the buffered line, prefixed unless it already starts with the
    /// prefix (the watch loop's own `[lunora] run N: …` status lines).
    fn emit_line(&mut self) -> std::io::Result<()> {
        let already = self.line.starts_with(self.prefix.as_bytes())
            && self.line.get(self.prefix.len()) == Some(&b' ');
        if !already {
            self.inner.write_all(self.prefix.as_bytes())?;
            self.inner.write_all(b" ")?;
        }
        self.inner.write_all(&self.line)?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Prefixed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit_line()?;
            }
        }
        self.inner.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.line.push(b'\n');
            self.emit_line()?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_writer_prefixes_every_line_and_flushes_a_partial_one() {
        let mut out = Prefixed::new("[x]", Vec::new());
        out.write_all(b"one\ntw").unwrap();
        out.write_all(b"o\nthree").unwrap();
        out.flush().unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "[x] one\n[x] two\n[x] three\n"
        );
    }

    #[test]
    fn prefixed_writer_does_not_prefix_a_line_twice() {
        let mut out = Prefixed::new("[x]", Vec::new());
        out.write_all(b"[x] run 1: up to date\n[x]y\n").unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "[x] run 1: up to date\n[x] [x]y\n"
        );
    }

    #[test]
    fn a_pretty_json_document_becomes_one_line() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        write_json_line(b"{\n  \"a\": [\n    1\n  ]\n}\n", &mut out, &mut err);
        write_json_line(b"  \n", &mut out, &mut err);
        write_json_line(b"not json\n", &mut out, &mut err);
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":[1]}\n");
        assert_eq!(String::from_utf8(err).unwrap(), "not json\n");
    }

    #[test]
    fn forward_prefixes_lines_and_keeps_invalid_utf8_readable() {
        let mut out = Vec::new();
        forward(&b"a\r\nb\xff\nlast"[..], "[w]", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[w] a\n[w] b\u{fffd}\n[w] last\n"
        );
    }
}
