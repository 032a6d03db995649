//! `lunora codegen --watch` on the real file system: every editor save
//! pattern must start the runs it should, and noise must not. Waits are
//! event-driven with generous timeouts (no timing assertions).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);

struct Watch {
    child: Child,
    docs: mpsc::Receiver<Value>,
    root: PathBuf,
    /// The report of the initial run.
    first: Value,
    /// Every trigger path of every run read so far.
    triggers: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Watch {
    /// A watcher over a minimal app whose schema is not valid (every run has
    /// errors, so nothing is written: only triggers are observed).
    fn start() -> Self {
        Self::start_with(|root| {
            std::fs::create_dir_all(root.join("lunora/_generated")).unwrap();
            std::fs::write(root.join("lunora/schema.ts"), "export default 1;\n").unwrap();
            std::fs::write(root.join("lunora/messages.ts"), "export const a = 1;\n").unwrap();
        })
    }

    /// A watcher over a copy of a valid fixture app.
    fn start_fixture(name: &str) -> Self {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/valid")
            .join(name);
        Self::start_with(|root| {
            for entry in walkdir::WalkDir::new(&src) {
                let entry = entry.unwrap();
                let to = root.join(entry.path().strip_prefix(&src).unwrap());
                if entry.file_type().is_dir() {
                    std::fs::create_dir_all(&to).unwrap();
                } else {
                    std::fs::copy(entry.path(), &to).unwrap();
                }
            }
        })
    }

    fn start_with(setup: impl FnOnce(&Path)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        setup(&root);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lunora"))
            .arg("--root")
            .arg(&root)
            .args(["--format", "json", "codegen", "--watch"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, docs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let doc: Value = serde_json::from_str(&line).expect("one JSON document per line");
                if tx.send(doc).is_err() {
                    break;
                }
            }
        });
        let mut watch = Watch {
            child,
            docs,
            root,
            first: Value::Null,
            triggers: Vec::new(),
            _dir: dir,
        };
        let first = watch.next();
        assert_eq!(first["watch"]["run"], 1);
        assert_eq!(first["version"], 1);
        watch.first = first;
        watch
    }

    fn next(&mut self) -> Value {
        self.docs
            .recv_timeout(TIMEOUT)
            .expect("a watch run within the timeout")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Reads runs until one is triggered by `rel`; returns that run's report.
    fn run_for(&mut self, rel: &str) -> Value {
        let mut seen = Vec::new();
        loop {
            let Ok(doc) = self.docs.recv_timeout(TIMEOUT) else {
                panic!("no run triggered by {rel} within {TIMEOUT:?}; triggers seen: {seen:?}");
            };
            let trigger: Vec<String> = doc["watch"]["trigger"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            self.triggers.extend(trigger.iter().cloned());
            if trigger.iter().any(|t| t == rel) {
                return doc;
            }
            seen.extend(trigger);
        }
    }

    /// `lunora/_generated/` as it is on disk.
    fn generated(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(self.path("lunora/_generated")).unwrap() {
            let entry = entry.unwrap();
            out.insert(
                format!("lunora/_generated/{}", entry.file_name().to_string_lossy()),
                std::fs::read_to_string(entry.path()).unwrap(),
            );
        }
        out
    }

    /// What a cold `codegen` would write now.
    fn cold(&self) -> BTreeMap<String, String> {
        let cold = lunora_engine::pipeline::generate(&self.root, &lunora_parser::OsFs);
        assert!(cold.diagnostics.is_empty(), "{:?}", cold.diagnostics);
        cold.outputs
            .into_iter()
            .map(|f| (f.path, f.contents))
            .collect()
    }

    /// Reads runs until one is triggered by `rel`; returns every trigger path
    /// seen on the way.
    fn wait_for(&mut self, rel: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let Ok(doc) = self.docs.recv_timeout(TIMEOUT) else {
                panic!("no run triggered by {rel} within {TIMEOUT:?}; triggers seen: {seen:?}");
            };
            let trigger: Vec<String> = doc["watch"]["trigger"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let done = trigger.iter().any(|t| t == rel);
            seen.extend(trigger);
            if done {
                return seen;
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_clean(seen: &[String]) {
    for path in seen {
        assert!(
            !path.contains("_generated")
                && !path.ends_with('~')
                && !path.contains(".swp")
                && !path.ends_with("4913")
                && !path.contains("___jb_"),
            "noise started a run: {seen:?}"
        );
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn save_patterns_each_start_a_run() {
    let mut w = Watch::start();
    let messages = w.path("lunora/messages.ts");

    // In-place write.
    write(&messages, "export const a = 2;\n");
    assert_clean(&w.wait_for("lunora/messages.ts"));

    // Our own writes and editor noise alone start nothing: the next run is
    // started by the real save that follows them.
    write(&w.path("lunora/_generated/api.ts"), "// generated\n");
    write(&w.path("lunora/.messages.ts.swp"), "swap");
    write(&w.path("lunora/4913"), "");
    write(&w.path("lunora/schema.ts"), "export default 2;\n");
    assert_clean(&w.wait_for("lunora/schema.ts"));

    // vim: backup by rename, write a new file, delete the backup.
    let backup = w.path("lunora/messages.ts~");
    std::fs::rename(&messages, &backup).unwrap();
    write(&messages, "export const a = 3;\n");
    std::fs::remove_file(&backup).unwrap();
    std::fs::remove_file(w.path("lunora/4913")).unwrap();
    std::fs::remove_file(w.path("lunora/.messages.ts.swp")).unwrap();
    assert_clean(&w.wait_for("lunora/messages.ts"));

    // VS Code / JetBrains: write a temp file, rename it over the module.
    let tmp = w.path("lunora/messages.ts___jb_tmp___");
    write(&tmp, "export const a = 4;\n");
    std::fs::rename(&tmp, &messages).unwrap();
    assert_clean(&w.wait_for("lunora/messages.ts"));

    // Delete, then recreate.
    std::fs::remove_file(&messages).unwrap();
    assert_clean(&w.wait_for("lunora/messages.ts"));
    write(&messages, "export const a = 5;\n");
    assert_clean(&w.wait_for("lunora/messages.ts"));

    // A new folder (two levels) with a new module.
    std::fs::create_dir_all(w.path("lunora/admin/deep")).unwrap();
    write(
        &w.path("lunora/admin/deep/audit-log.ts"),
        "export const b = 1;\n",
    );
    assert_clean(&w.wait_for("lunora/admin/deep/audit-log.ts"));

    // A renamed module.
    std::fs::rename(
        w.path("lunora/admin/deep/audit-log.ts"),
        w.path("lunora/admin/deep/audit.ts"),
    )
    .unwrap();
    assert_clean(&w.wait_for("lunora/admin/deep/audit.ts"));

    // A folder moved in as a whole from outside the watched tree (same file
    // system only; a cross-device rename fails and is skipped).
    let outside = tempfile::tempdir_in(w.root.parent().unwrap()).unwrap();
    std::fs::create_dir_all(outside.path().join("billing")).unwrap();
    write(
        &outside.path().join("billing/index.ts"),
        "export const c = 1;\n",
    );
    if std::fs::rename(outside.path().join("billing"), w.path("lunora/billing")).is_ok() {
        assert_clean(&w.wait_for("lunora/billing"));
        // Files in the moved-in folder are watched from then on.
        write(&w.path("lunora/billing/index.ts"), "export const c = 2;\n");
        assert_clean(&w.wait_for("lunora/billing/index.ts"));
    }
}

#[test]
fn files_outside_lunora_that_were_not_read_are_ignored() {
    let mut w = Watch::start();
    std::fs::create_dir_all(w.path("src")).unwrap();
    write(&w.path("src/App.tsx"), "export {};\n");
    write(&w.path("lunora/schema.ts"), "export default 3;\n");
    let seen = w.wait_for("lunora/schema.ts");
    assert!(!seen.iter().any(|p| p.starts_with("src")), "{seen:?}");
}

/// DESIGN.md's diagnostics document plus the `watch` object, keys as
/// documented.
fn assert_shape(doc: &Value) {
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["diagnostics", "summary", "version", "watch"],
        "{doc}"
    );
    assert_eq!(doc["version"], 1);
    let summary: Vec<&str> = doc["summary"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(summary, ["errors", "warnings"]);
    let watch: Vec<&str> = doc["watch"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        watch,
        [
            "keptLastGood",
            "removed",
            "run",
            "trigger",
            "writeError",
            "written"
        ]
    );
    for d in doc["diagnostics"].as_array().unwrap() {
        for key in ["code", "severity", "message", "file"] {
            assert!(d[key].is_string(), "{key} in {d}");
        }
        if d.get("start").is_some() {
            assert!(d["start"]["line"].as_u64().unwrap() >= 1, "{d}");
            assert!(d["start"]["column"].as_u64().unwrap() >= 1, "{d}");
            assert!(d["end"]["line"].is_u64(), "{d}");
        }
    }
}

#[test]
fn a_valid_app_keeps_the_last_good_output_on_errors_and_recovers() {
    let mut w = Watch::start_fixture("consts");
    let first = w.first.clone();
    assert_shape(&first);
    assert_eq!(first["summary"]["errors"], 0, "{first}");
    assert!(!first["watch"]["written"].as_array().unwrap().is_empty());
    let good = w.generated();
    assert_eq!(good, w.cold());

    // A syntax error: diagnostics printed, `_generated/` untouched.
    let customers = w.path("lunora/customers.ts");
    let text = std::fs::read_to_string(&customers).unwrap();
    write(&customers, &format!("{text}\nexport const = ;\n"));
    let doc = w.run_for("lunora/customers.ts");
    assert_shape(&doc);
    assert_eq!(doc["watch"]["keptLastGood"], true, "{doc}");
    assert!(doc["summary"]["errors"].as_u64().unwrap() >= 1, "{doc}");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "parse/syntax-error", "{doc}");
    assert_eq!(d["file"], "lunora/customers.ts", "{doc}");
    assert_eq!(w.generated(), good);

    // A schema (semantic) error while the syntax error is fixed: still kept.
    write(&customers, &text);
    let schema = w.path("lunora/schema.ts");
    let schema_text = std::fs::read_to_string(&schema).unwrap();
    write(
        &schema,
        &schema_text.replace("lines,\n", "lines: v.strin(),\n"),
    );
    let doc = w.run_for("lunora/schema.ts");
    assert_eq!(doc["watch"]["keptLastGood"], true, "{doc}");
    assert_eq!(doc["diagnostics"][0]["file"], "lunora/schema.ts", "{doc}");
    assert_eq!(w.generated(), good);

    // The next good save recovers: the output is a cold run's (here the same
    // as before: nothing changed in the end).
    write(&schema, &schema_text);
    let doc = w.run_for("lunora/schema.ts");
    assert_eq!(doc["watch"]["keptLastGood"], false, "{doc}");
    assert_eq!(doc["summary"]["errors"], 0, "{doc}");
    assert_eq!(w.generated(), w.cold());
    assert_eq!(w.generated(), good);

    // A change in the imported const module outside lunora/ regenerates.
    let shared = w.path("shared/validators.ts");
    let shared_text = std::fs::read_to_string(&shared).unwrap();
    write(&shared, &shared_text.replace("\"JPY\"", "\"CHF\""));
    let doc = w.run_for("shared/validators.ts");
    assert_eq!(doc["summary"]["errors"], 0, "{doc}");
    assert!(
        !doc["watch"]["written"].as_array().unwrap().is_empty(),
        "{doc}"
    );
    let now = w.generated();
    assert_ne!(now, good);
    assert!(now.values().any(|t| t.contains("CHF")), "{now:?}");
    assert_eq!(now, w.cold());

    // ... saved the editor way (temp file, then rename over it).
    let tmp = w.path("shared/validators.ts.tmp");
    write(&tmp, &shared_text);
    std::fs::rename(&tmp, &shared).unwrap();
    w.run_for("shared/validators.ts");
    assert_eq!(w.generated(), good);

    // A deleted module: its functions leave the output.
    std::fs::remove_file(&customers).unwrap();
    let doc = w.run_for("lunora/customers.ts");
    assert_eq!(doc["summary"]["errors"], 0, "{doc}");
    let now = w.generated();
    assert_eq!(now, w.cold());
    assert!(good["lunora/_generated/api.ts"].contains("byEmail"));
    assert!(
        !now["lunora/_generated/api.ts"].contains("byEmail"),
        "{now:?}"
    );

    // A renamed module: the API path follows the file name.
    std::fs::rename(w.path("lunora/invoices.ts"), w.path("lunora/billing.ts")).unwrap();
    w.run_for("lunora/billing.ts");
    let now = w.generated();
    assert_eq!(now, w.cold());
    assert!(
        now["lunora/_generated/api.ts"].contains("billing"),
        "{now:?}"
    );

    // Our own writes never started a run: every trigger was a source.
    assert_clean(&w.triggers);
    assert!(
        w.triggers.iter().all(|t| !t.ends_with(".tmp")),
        "{:?}",
        w.triggers
    );
}

/// A writer shared with the test.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn wait_lines(&self, n: usize) -> Vec<String> {
        let start = std::time::Instant::now();
        loop {
            let lines = self.lines();
            if lines.len() >= n {
                return lines;
            }
            assert!(start.elapsed() < TIMEOUT, "{n} lines expected: {lines:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// What `lunora dev` does: the loop over a stoppable watcher in a thread,
/// stopped on demand.
#[test]
fn spawned_loop_reports_runs_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    std::fs::write(
        root.join("lunora/schema.ts"),
        "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport default defineSchema({ messages: defineTable({ body: v.string() }) });\n",
    )
    .unwrap();
    let (out, err) = (Shared::default(), Shared::default());
    let options = lunora_cli::watch::Options {
        format: lunora_cli::Format::Human,
        ..Default::default()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handle = {
        let inner = lunora_cli::watch::source::NotifySource::for_app(&root).unwrap();
        let (root, stop) = (root.clone(), stop.clone());
        let (mut out, mut err) = (out.clone(), err.clone());
        std::thread::spawn(move || {
            let mut source = lunora_cli::watch::source::Stoppable::new(inner, stop);
            let mut engine = lunora_engine::Session::new(&root);
            lunora_cli::watch::watch_loop_with(
                &root,
                &mut source,
                options,
                &mut engine,
                &mut out,
                &mut err,
            );
        })
    };
    let lines = out.wait_lines(1);
    assert!(lines[0].starts_with("[lunora] run 1: wrote "), "{lines:?}");
    assert!(root.join("lunora/_generated/api.ts").is_file());

    // A broken save: the human renderer prints the diagnostic, then the status.
    std::fs::write(root.join("lunora/schema.ts"), "export const = ;\n").unwrap();
    let start = std::time::Instant::now();
    let lines = loop {
        let lines = out.lines();
        if lines.iter().any(|l| l.contains("run 2:")) {
            break lines;
        }
        assert!(start.elapsed() < TIMEOUT, "{lines:?}");
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = lines.join("\n");
    assert!(text.contains("parse/syntax-error"), "{text}");
    assert!(
        text.contains("kept the last good lunora/_generated/"),
        "{text}"
    );
    assert!(!handle.is_finished());

    let stopping = std::time::Instant::now();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    handle.join().unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(5));
    assert_eq!(err.lines(), Vec::<String>::new());
}

/// Receives from `source` until an event names `want`; returns every path seen.
fn events_until(
    source: &mut dyn lunora_cli::watch::source::EventSource,
    want: &Path,
) -> Vec<PathBuf> {
    use lunora_cli::watch::source::Recv;
    let start = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        assert!(
            start.elapsed() < TIMEOUT,
            "no event for {want:?}; seen {seen:?}"
        );
        if let Recv::Changed(paths) = source.recv(Some(Duration::from_millis(100))) {
            let done = paths.iter().any(|p| p == want);
            seen.extend(paths);
            if done {
                return seen;
            }
        }
    }
}

/// The app-scoped watcher sees `lunora/` (even created later) and the folders
/// of files read outside it, and nothing of `node_modules/`.
#[test]
fn app_watcher_covers_lunora_and_read_files_only() {
    use lunora_cli::watch::source::{EventSource, NotifySource};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("node_modules/pkg")).unwrap();
    std::fs::create_dir_all(root.join("shared")).unwrap();
    let mut source = NotifySource::for_app(&root).unwrap();

    // `lunora/` created after the watcher started, with a file inside at once.
    std::fs::create_dir_all(root.join("lunora/admin")).unwrap();
    write(&root.join("lunora/admin/a.ts"), "export {};\n");
    events_until(&mut source, &root.join("lunora/admin/a.ts"));

    // Events arrive in order: a write under node_modules/ before a write in
    // lunora/ would be seen before it.
    write(&root.join("node_modules/pkg/index.ts"), "export {};\n");
    write(&root.join("lunora/b.ts"), "export {};\n");
    let seen = events_until(&mut source, &root.join("lunora/b.ts"));
    assert!(
        !seen
            .iter()
            .any(|p| p.starts_with(root.join("node_modules"))),
        "{seen:?}"
    );

    // A file outside lunora/ is watched once a run has read it; the call says
    // which files had no watch until then.
    let consts = root.join("shared/consts.ts");
    write(&consts, "export const a = 1;\n");
    let newly = source.watch_files(std::slice::from_ref(&consts));
    assert_eq!(newly, std::slice::from_ref(&consts));
    assert_eq!(
        source.watch_files(std::slice::from_ref(&consts)),
        Vec::<PathBuf>::new()
    );
    write(&consts, "export const a = 2;\n");
    events_until(&mut source, &consts);
}
