//! Replays the fuzz corpora under `fuzz/` through the same invariant checks as
//! the fuzz targets (`lunora_testkit::fuzz`), so every past crash and every
//! seed is re-checked by `cargo test` without libFuzzer:
//!
//! - `fuzz/seeds/codegen/*`, `fuzz/regressions/codegen/*`: raw inputs of the
//!   `codegen` target (first byte even → `lunora/schema.ts`, odd → a function
//!   module next to a valid schema);
//! - `fuzz/regressions/app/*.json`: apps of the `app` target, `{"<path>": "<text>"}`;
//! - `fixtures/valid/*`: every valid fixture app, checked like an `app` input;
//! - `fuzz/regressions/migrate/*.json`: snapshot pairs of the `migrate_diff`
//!   target, `{"previous": <tables>, "next": <tables>, "renames": [..]}`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use lunora_emit::migrate::{Renames, Tables};
use lunora_testkit::fuzz::{Placement, check_app, check_codegen, check_migration};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files directly in `dir` (sorted); none when it does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} input(s) broke an invariant:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn codegen_seeds_and_regressions() {
    let mut inputs = files_in(&repo().join("fuzz/seeds/codegen"));
    let seeds = inputs.len();
    inputs.extend(files_in(&repo().join("fuzz/regressions/codegen")));
    assert!(seeds > 0, "no codegen seeds found under fuzz/seeds/codegen");
    let mut failures = Vec::new();
    for path in &inputs {
        let data = fs::read(path).expect("read input");
        let Some((&first, rest)) = data.split_first() else {
            continue;
        };
        let placement = if first % 2 == 0 {
            Placement::Schema
        } else {
            Placement::FunctionModule
        };
        if let Err(e) = check_codegen(rest, placement) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    report(&failures);
}

#[test]
fn app_regressions() {
    let mut failures = Vec::new();
    for path in files_in(&repo().join("fuzz/regressions/app")) {
        let text = fs::read_to_string(&path).expect("read input");
        let app: BTreeMap<String, String> = serde_json::from_str(&text).expect("app json");
        let files: Vec<(String, Vec<u8>)> =
            app.into_iter().map(|(p, t)| (p, t.into_bytes())).collect();
        if let Err(e) = check_app(&files) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    report(&failures);
}

fn collect_app(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_app(&p, root, out);
        } else {
            let rel = p.strip_prefix(root).expect("under root");
            out.push((
                rel.to_string_lossy().replace('\\', "/"),
                fs::read(&p).expect("read fixture file"),
            ));
        }
    }
}

#[test]
fn valid_fixtures_hold_the_app_invariants() {
    let dir = repo().join("fixtures/valid");
    let mut apps: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fixtures/valid")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    apps.sort();
    assert!(!apps.is_empty());
    let mut failures = Vec::new();
    for app in &apps {
        let mut files = Vec::new();
        collect_app(app, app, &mut files);
        if let Err(e) = check_app(&files) {
            failures.push(format!("{}: {e}", app.display()));
        }
    }
    report(&failures);
}

#[derive(serde::Deserialize)]
struct SnapshotPair {
    previous: Tables,
    next: Tables,
    /// `--rename` values: `old=new` (table), `table.old=new` (column).
    #[serde(default)]
    renames: Vec<String>,
}

#[test]
fn migrate_regressions() {
    let mut failures = Vec::new();
    for path in files_in(&repo().join("fuzz/regressions/migrate")) {
        let text = fs::read_to_string(&path).expect("read input");
        let pair: SnapshotPair = serde_json::from_str(&text).expect("snapshot pair json");
        let mut renames = Renames::default();
        for spec in &pair.renames {
            renames.add(spec).expect("valid --rename value");
        }
        if let Err(e) = check_migration(&pair.previous, &pair.next, &renames) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    report(&failures);
}
