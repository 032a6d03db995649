//! One snapshot per fixture app: every `fixtures/valid/*` and
//! `fixtures/invalid/*` folder runs through the codegen pipeline; the snapshot
//! (in `snapshots/` at the repo root) shows every generated file and the
//! rendered diagnostics, human (no colour) and JSON. See fixtures/README.md:
//! valid apps have no diagnostic; an invalid case reports exactly the codes
//! listed in its `expected-codes` (a multiset, one code per line).
//!
//! `cargo insta review` does not look in `snapshots/` (it scans package
//! folders only): update with `INSTA_UPDATE=always cargo test -p lunora_cli
//! --test fixtures` and review the result with `git diff snapshots/`.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use lunora_cli::render::{Color, human, json};
use lunora_engine::pipeline;
use lunora_parser::OsFs;
use lunora_testkit::apps::repo_root;

/// Fixture folders of one kind, sorted by name.
fn cases(kind: &str) -> Vec<(String, PathBuf)> {
    let dir = repo_root().join("fixtures").join(kind);
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The Markdown-shaped snapshot document of one fixture.
fn document(name: &str, generated: &pipeline::Analysis) -> String {
    let mut doc = format!("# {name}\n\n## Generated files\n");
    if generated.outputs.is_empty() {
        doc.push_str("\n(none)\n");
    }
    for file in &generated.outputs {
        let lang = file.path.rsplit('.').next().unwrap_or("");
        let _ = write!(
            doc,
            "\n### {}\n\n````{lang}\n{}{}````\n",
            file.path,
            file.contents,
            if file.contents.ends_with('\n') {
                ""
            } else {
                "\n"
            }
        );
    }
    doc.push_str("\n## Diagnostics\n");
    if generated.diagnostics.is_empty() {
        doc.push_str("\n(none)\n");
    } else {
        doc.push_str("\n````text\n");
        for d in &generated.diagnostics {
            doc.push_str(&human::to_string(d, &generated.files, Color::Never));
            doc.push('\n');
        }
        doc.push_str("````\n");
    }
    let _ = write!(
        doc,
        "\n## Diagnostics (JSON)\n\n````json\n{}````\n",
        json::to_string(&generated.diagnostics, &generated.files)
    );
    doc
}

fn expected_codes(case: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(case.join("expected-codes")).unwrap_or_else(|e| {
        panic!(
            "{}: every invalid fixture needs an `expected-codes` file ({e})",
            case.display()
        )
    });
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn check_case(kind: &str, name: &str, dir: &Path) {
    let generated = pipeline::generate(dir, &OsFs);
    let mut reported: Vec<&str> = generated
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    reported.sort_unstable();
    if kind == "valid" {
        assert!(
            generated.diagnostics.is_empty(),
            "valid fixture `{name}` must have no diagnostics, got {reported:?}"
        );
    } else {
        assert!(
            !generated.diagnostics.is_empty(),
            "invalid fixture `{name}` must produce at least one diagnostic"
        );
        let mut expected = expected_codes(dir);
        assert!(
            !expected.is_empty(),
            "`{name}/expected-codes` lists no code"
        );
        for code in &expected {
            assert!(
                lunora_parser::Code::parse(code).is_some(),
                "`{name}/expected-codes`: `{code}` is not a registered code"
            );
        }
        // fixtures/README.md: exactly these diagnostics, compared as a multiset
        expected.sort_unstable();
        assert_eq!(
            reported, expected,
            "invalid fixture `{name}`: reported codes (left) differ from expected-codes (right)"
        );
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(dir);
    settings.bind(|| {
        insta::assert_snapshot!(format!("{kind}__{name}"), document(name, &generated));
    });
}

/// Runs every case of `kind`, collecting failures so one broken fixture does
/// not hide the others; fails naming each broken fixture.
fn run_kind(kind: &str) {
    let mut failed = Vec::new();
    for (name, dir) in cases(kind) {
        if catch_unwind(AssertUnwindSafe(|| check_case(kind, &name, &dir))).is_err() {
            failed.push(format!("{kind}/{name}"));
        }
    }
    assert!(failed.is_empty(), "failing fixtures: {failed:?}");
}

#[test]
fn valid_fixtures() {
    assert!(
        !cases("valid").is_empty(),
        "no fixture in fixtures/valid (the chat tutorial app should be there)"
    );
    run_kind("valid");
}

#[test]
fn invalid_fixtures() {
    run_kind("invalid");
}

/// `cargo insta` only scans package folders, so `--unreferenced reject` does
/// not see `snapshots/` at the repo root: reject orphans here instead.
#[test]
fn no_orphan_fixture_snapshots() {
    let dir = repo_root().join("snapshots");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        let has_fixture = stem.split_once("__").is_some_and(|(kind, case)| {
            matches!(kind, "valid" | "invalid")
                && repo_root().join("fixtures").join(kind).join(case).is_dir()
        });
        if !has_fixture {
            orphans.push(name);
        }
    }
    orphans.sort();
    assert!(
        orphans.is_empty(),
        "snapshots without a fixture (delete them): {orphans:?}"
    );
}

/// Every diagnostic code of the analyzer has at least one invalid fixture that
/// expects it. `io/*` codes cannot be static fixtures (see fixtures/README.md,
/// they are covered by CLI tests) and `migrate/*` codes by the migrate tests.
#[test]
fn every_code_has_an_invalid_fixture() {
    let mut expected = std::collections::BTreeSet::new();
    for (_, dir) in cases("invalid") {
        let text = std::fs::read_to_string(dir.join("expected-codes")).unwrap_or_default();
        expected.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    let missing: Vec<&str> = lunora_parser::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| {
            !c.starts_with("io/") && !c.starts_with("migrate/") && !c.starts_with("config/")
        })
        .filter(|c| !expected.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an invalid fixture: {missing:?}"
    );
}
