//! `lunora codegen --watch` on the real file system: every editor save
//! pattern must start the runs it should, and noise must not. Waits are
//! event-driven with generous timeouts (no timing assertions).

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
    _dir: tempfile::TempDir,
}

impl Watch {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("lunora/_generated")).unwrap();
        std::fs::write(root.join("lunora/schema.ts"), "export default 1;\n").unwrap();
        std::fs::write(root.join("lunora/messages.ts"), "export const a = 1;\n").unwrap();
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
            _dir: dir,
        };
        let first = watch.next();
        assert_eq!(first["watch"]["run"], 1);
        assert_eq!(first["version"], 1);
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
