//! `lunora dev` process handling, with fake `wrangler` and `vite` in the app's
//! `node_modules/.bin`: each fake starts a grandchild (`sleep`) and records both
//! pids. After Ctrl-C (SIGINT) or the death of one child, `lunora dev` must
//! exit and leave none of those processes alive.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

mod support;

const FAKE: &str = r#"#!/bin/sh
# A fake dev server: one grandchild, pids recorded, runs until signalled.
name=$(basename "$0")
sleep 300 &
echo "$$ $!" > "$PIDS_DIR/.pids-$name.tmp" && mv "$PIDS_DIR/.pids-$name.tmp" "$PIDS_DIR/.pids-$name"
echo "fake $name ready $* in $PWD"
echo "fake $name warning" >&2
if [ "$name" = "$FAKE_DIES" ]; then sleep 1; exit 3; fi
wait
"#;

fn app() -> tempfile::TempDir {
    support::app_with_fake_tools(FAKE)
}

fn start(root: &Path, dies: &str) -> Child {
    start_with(root, dies, &[])
}

fn start_with(root: &Path, dies: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lunora"))
        .args(["dev", "--root"])
        .arg(root)
        .args(args)
        .env("FAKE_DIES", dies)
        .env("PIDS_DIR", root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lunora dev")
}

/// Alive and not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // `pid (comm) S ...`: the state follows the last `)`.
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X'))
        }
        Err(_) => false,
    }
}

fn wait_for_pids(root: &Path, child: &mut Child) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let files: Vec<PathBuf> = ["wrangler", "vite"]
        .iter()
        .map(|n| root.join(format!(".pids-{n}")))
        .collect();
    loop {
        if files.iter().all(|f| f.is_file()) {
            return files
                .iter()
                .flat_map(|f| {
                    std::fs::read_to_string(f)
                        .expect("pids")
                        .split_whitespace()
                        .map(|p| p.parse::<u32>().expect("pid"))
                        .collect::<Vec<_>>()
                })
                .collect();
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            panic!("lunora dev exited early ({status})\n{err}");
        }
        assert!(Instant::now() < deadline, "the fakes never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_exit(child: Child) -> (i32, String, String) {
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    let waiter = std::thread::spawn(move || child.wait_with_output().expect("wait"));
    while !waiter.is_finished() {
        if Instant::now() > deadline {
            let _ = kill_process(Pid::from_raw(pid as i32).expect("pid"), Signal::KILL);
            panic!("lunora dev did not exit within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = waiter.join().expect("join");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_all_gone(pids: &[u32], log: &str) {
    // Orphans are reaped by init; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    for &p in &left {
        let _ = kill_process(Pid::from_raw(p as i32).expect("pid"), Signal::KILL);
    }
    assert!(left.is_empty(), "processes left running: {left:?}\n{log}");
}

/// Writes `good` (the schema's text) with a new optional field into
/// `lunora/schema.ts`, then waits until the copy wrangler runs has it.
fn add_field_and_wait_for_the_copy(root: &Path, good: &str, never: &str) {
    let changed = good.replace(
        "text: v.string()",
        "text: v.string(),\n        edited: v.optional(v.boolean())",
    );
    assert_ne!(changed, good);
    std::fs::write(root.join("lunora/schema.ts"), &changed).expect("write");
    let shadow = root.join(".wrangler/lunora-dev/lunora/schema.ts");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::fs::read_to_string(&shadow).expect("shadow") != changed {
        assert!(Instant::now() < deadline, "{never}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn ctrl_c_stops_every_child_and_grandchild() {
    let tmp = app();
    let mut child = start(tmp.path(), "");
    let pids = wait_for_pids(tmp.path(), &mut child);
    assert_eq!(pids.len(), 4);
    assert!(pids.iter().all(|&p| alive(p)));
    kill_process(Pid::from_raw(child.id() as i32).expect("pid"), Signal::INT).expect("SIGINT");
    let (code, stdout, stderr) = wait_exit(child);
    let log = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(code, 0, "{log}");
    assert_all_gone(&pids, &log);
    // Output is forwarded with a prefix per process; args reach the tools.
    assert!(
        stdout.contains("[wrangler] fake wrangler ready dev --ip 127.0.0.1"),
        "{log}"
    );
    assert!(
        stdout.contains("[vite] fake vite ready --port 5173 --strictPort"),
        "{log}"
    );
    assert!(stderr.contains("[vite] fake vite warning"), "{log}");
    // Codegen ran before the children started.
    assert!(tmp.path().join("lunora/_generated/wiring.ts").is_file());
}

#[test]
fn killed_outright_its_reaper_stops_every_child_and_grandchild() {
    let tmp = app();
    let mut child = start(tmp.path(), "");
    let pids = wait_for_pids(tmp.path(), &mut child);
    assert!(pids.iter().all(|&p| alive(p)));
    // SIGKILL: no handler of ours runs; only the reaper, which sees its
    // stdin close, can stop the children.
    kill_process(Pid::from_raw(child.id() as i32).expect("pid"), Signal::KILL).expect("SIGKILL");
    let (_, stdout, stderr) = wait_exit(child);
    let log = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_all_gone(&pids, &log);
}

#[test]
fn one_child_dying_stops_the_others() {
    let tmp = app();
    let mut child = start(tmp.path(), "vite");
    let pids = wait_for_pids(tmp.path(), &mut child);
    let (code, stdout, stderr) = wait_exit(child);
    let log = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(code, 2, "{log}");
    assert!(stderr.contains("vite exited"), "{log}");
    assert_all_gone(&pids, &log);
}

#[test]
fn a_schema_error_at_start_without_generated_code_stops_before_any_child() {
    let tmp = app();
    std::fs::write(
        tmp.path().join("lunora/schema.ts"),
        "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport const schema = defineSchema({ t: defineTable({ a: v.strng() }) });\n",
    )
    .expect("write");
    let child = start(tmp.path(), "");
    let (code, _, stderr) = wait_exit(child);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("v.strng"), "{stderr}");
    assert!(!tmp.path().join(".pids-wrangler").exists());
}

#[test]
fn wrangler_runs_only_code_that_passed_codegen() {
    let tmp = app();
    let root = tmp.path();
    let mut child = start(root, "");
    let pids = wait_for_pids(root, &mut child);
    let schema = root.join("lunora/schema.ts");
    let shadow = root.join(".wrangler/lunora-dev/lunora/schema.ts");
    let good = std::fs::read_to_string(&schema).expect("read");
    assert_eq!(std::fs::read_to_string(&shadow).expect("shadow"), good);

    // A schema error: reported, and the copy wrangler runs keeps the last good schema.
    std::fs::write(&schema, good.replace("text: v.string()", "text: v.strng()")).expect("write");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(std::fs::read_to_string(&shadow).expect("shadow"), good);

    // A good change reaches the copy.
    add_field_and_wait_for_the_copy(root, &good, "the good schema never reached the copy");
    let generated =
        std::fs::read_to_string(root.join(".wrangler/lunora-dev/lunora/_generated/dataModel.ts"))
            .expect("generated copy");
    assert!(generated.contains("edited"), "{generated}");

    kill_process(Pid::from_raw(child.id() as i32).expect("pid"), Signal::INT).expect("SIGINT");
    let (code, stdout, stderr) = wait_exit(child);
    let log = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(code, 0, "{log}");
    assert!(
        format!("{stdout}{stderr}").contains("v.strng"),
        "the diagnostic is shown: {log}"
    );
    assert_all_gone(&pids, &log);
}

#[test]
fn format_json_prints_one_plain_json_line_per_watch_run() {
    let tmp = app();
    let root = tmp.path();
    let mut child = start_with(root, "", &["--format", "json"]);
    let pids = wait_for_pids(root, &mut child);

    // A change makes a second run; wait until it reached the copy wrangler runs.
    let good = std::fs::read_to_string(root.join("lunora/schema.ts")).expect("read");
    add_field_and_wait_for_the_copy(root, &good, "the change never reached the copy");

    kill_process(Pid::from_raw(child.id() as i32).expect("pid"), Signal::INT).expect("SIGINT");
    let (code, stdout, stderr) = wait_exit(child);
    let log = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(code, 0, "{log}");
    assert_all_gone(&pids, &log);

    // Every stdout line is a JSON document: one per watch run, in order.
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{log}"))
        })
        .collect();
    let runs: Vec<u64> = docs
        .iter()
        .map(|d| d["watch"]["run"].as_u64().expect("watch.run"))
        .collect();
    assert!(runs.len() >= 2, "{log}");
    assert_eq!(runs, (1..=runs.len() as u64).collect::<Vec<_>>(), "{log}");
    for doc in &docs {
        assert!(doc["diagnostics"].is_array(), "{doc}");
        assert_eq!(doc["watch"]["keptLastGood"], false, "{doc}");
    }
    assert!(
        docs.iter().any(|d| d["watch"]["trigger"]
            .as_array()
            .is_some_and(|t| t.iter().any(|p| p == "lunora/schema.ts"))
            && d["watch"]["written"]
                .as_array()
                .is_some_and(|w| w.iter().any(|p| p == "lunora/_generated/dataModel.ts"))),
        "the edit's run is reported: {log}"
    );
    // The tools' output, both streams, goes to stderr, still prefixed.
    assert!(
        stderr.contains("[wrangler] fake wrangler ready dev --ip 127.0.0.1"),
        "{log}"
    );
    assert!(stderr.contains("[vite] fake vite warning"), "{log}");
}
