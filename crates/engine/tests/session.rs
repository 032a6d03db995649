//! The incremental session against a cold run on every valid fixture app: a
//! change reported for a file whose text did not change (an editor saving
//! the same bytes, a `touch`, a write undone before the watcher read it) must
//! leave the session's result equal to `pipeline::generate`. This held only
//! for isolated modules once: for any other module the module-local path gave
//! up after taking the last run's files, and the unchanged trace then handed
//! back a result with no files, whose diagnostics rendered with an empty path
//! at 1:1 (seen as a flaky `watch_soak`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lunora_engine::pipeline::{self, Analysis};
use lunora_engine::{Change, Session};
use lunora_parser::MemFs;

const ROOT: &str = "/app";

fn apps() -> Vec<(String, BTreeMap<String, String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/valid");
    let mut apps = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("lunora/schema.ts").is_file())
        .collect();
    names.sort();
    for app in names {
        let mut files = BTreeMap::new();
        collect(&app, &app, &mut files);
        apps.push((
            app.file_name().unwrap().to_string_lossy().into_owned(),
            files,
        ));
    }
    assert!(apps.len() > 10, "{} apps", apps.len());
    apps
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "_generated" || n == "node_modules")
            {
                continue;
            }
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "ts") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read_to_string(&path).unwrap());
        }
    }
}

fn memfs(files: &BTreeMap<String, String>) -> MemFs<'static> {
    let mut fs = MemFs::new();
    for (path, text) in files {
        fs.insert(PathBuf::from(ROOT).join(path), text.as_bytes().to_vec());
    }
    fs
}

fn assert_same(what: &str, incremental: &Analysis, cold: &Analysis) {
    let texts = |a: &Analysis| -> Vec<(String, String)> {
        a.files
            .iter()
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect()
    };
    assert_eq!(texts(incremental), texts(cold), "{what}: files read");
    assert_eq!(
        incremental.diagnostics, cold.diagnostics,
        "{what}: diagnostics"
    );
    assert_eq!(incremental.ir, cold.ir, "{what}: IR");
    assert_eq!(incremental.outputs, cold.outputs, "{what}: outputs");
}

#[test]
fn a_change_reported_for_an_unchanged_file_keeps_the_result_of_a_cold_run() {
    let root = Path::new(ROOT);
    let mut touched = 0;
    for (app, files) in apps() {
        let fs = memfs(&files);
        let cold = pipeline::generate(root, &fs);
        let mut session = Session::new(root);
        session.update(&fs, Change::Unknown);
        for rel in files.keys() {
            let changed = [root.join(rel)];
            let incremental = session.update(&fs, Change::Paths(&changed));
            assert_same(
                &format!("{app}: {rel} reported unchanged"),
                incremental,
                &cold,
            );
            // Twice: the second report meets the state the first left.
            let incremental = session.update(&fs, Change::Paths(&changed));
            assert_same(&format!("{app}: {rel} reported again"), incremental, &cold);
            touched += 1;
        }
    }
    assert!(touched > 50, "{touched} files reported");
}
