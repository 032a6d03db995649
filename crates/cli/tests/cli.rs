//! CLI integration tests: copy a fixture to a temp dir, run the built `lunora`
//! binary, redact temp paths and the version, and snapshot the exit code,
//! stdout and stderr together.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use lunora_testkit::apps::{copy_dir, fixture as fixture_dir, walk};

/// A copy of `fixtures/<fixture>` in a fresh temp dir; returns (guard, app root).
fn app(fixture: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("app");
    copy_dir(&fixture_dir(fixture), &root);
    (tmp, root)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr in one document, temp paths and the
    /// version redacted.
    fn snapshot(&self, tmp: &Path) -> String {
        let redact = |s: &str| {
            let mut s = s.replace(&tmp.display().to_string(), "[TMP]");
            if let Ok(canon) = tmp.canonicalize() {
                s = s.replace(&canon.display().to_string(), "[TMP]");
            }
            s.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
        };
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code,
            redact(&self.stdout),
            redact(&self.stderr)
        )
    }
}

fn lunora(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lunora"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("run lunora");
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("utf8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf8 stderr"),
    }
}

/// Every file under `dir` with its bytes and mtime, sorted by path.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>, SystemTime)> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return out;
    }
    for entry in walk(dir).into_iter().filter(|p| p.is_file()) {
        let meta = std::fs::metadata(&entry).expect("metadata");
        out.push((
            entry.clone(),
            std::fs::read(&entry).expect("read"),
            meta.modified().expect("mtime"),
        ));
    }
    out
}

#[test]
fn codegen_succeeds_and_second_run_writes_nothing() {
    let (tmp, root) = app("valid/chat");
    let first = lunora(&root, &["codegen"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    insta::assert_snapshot!("codegen_first_run", first.snapshot(tmp.path()));
    let generated = root.join("lunora/_generated");
    let before = tree(&generated);
    // mtimes have a coarse resolution on some file systems
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = lunora(&root, &["codegen"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stderr.contains("(0 changed)"),
        "second run changed files: {}",
        second.stderr
    );
    assert_eq!(tree(&generated), before, "bytes or mtimes changed");
    insta::assert_snapshot!("codegen_second_run", second.snapshot(tmp.path()));
}

#[test]
fn codegen_from_a_subfolder_finds_the_root() {
    let (tmp, root) = app("valid/chat");
    let sub = root.join("src/deep");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let run = lunora(&sub, &["codegen"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // --root wins over the current folder
    let other = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&other).expect("mkdir");
    let run = lunora(&other, &["codegen", "--root", root.to_str().expect("utf8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn check_on_fresh_output_passes() {
    let (tmp, root) = app("valid/chat");
    assert_eq!(lunora(&root, &["codegen"]).code, 0);
    let run = lunora(&root, &["codegen", "--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("check_fresh", run.snapshot(tmp.path()));
}

#[test]
fn check_reports_extra_file_and_writes_nothing() {
    let (tmp, root) = app("valid/chat");
    assert_eq!(lunora(&root, &["codegen"]).code, 0);
    let generated = root.join("lunora/_generated");
    std::fs::create_dir_all(&generated).expect("mkdir");
    std::fs::write(generated.join("old.ts"), "// left over\n").expect("write");
    let before = tree(&generated);
    let run = lunora(&root, &["codegen", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("extra: lunora/_generated/old.ts"));
    assert_eq!(tree(&generated), before, "--check must not write");
    insta::assert_snapshot!("check_extra", run.snapshot(tmp.path()));
    // a real run removes the file we no longer generate
    assert_eq!(lunora(&root, &["codegen"]).code, 0);
    assert!(!generated.join("old.ts").exists());
}

#[test]
fn no_lunora_folder_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = lunora(tmp.path(), &["codegen"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("no_root", run.snapshot(tmp.path()));
    let run = lunora(tmp.path(), &["codegen", "--root", "nope"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("bad_root", run.snapshot(tmp.path()));
}

#[test]
fn json_format_is_one_document_on_stdout() {
    let (tmp, root) = app("valid/chat");
    let run = lunora(&root, &["codegen", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(value["version"], 1);
    insta::assert_snapshot!("format_json", run.snapshot(tmp.path()));
}

#[test]
fn version_is_redacted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = lunora(tmp.path(), &["--version"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("version", run.snapshot(tmp.path()));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = lunora(tmp.path(), &["codegen", "--nope"]);
    assert_eq!(run.code, 2);
}

#[test]
fn errors_leave_generated_untouched() {
    let (tmp, root) = app("invalid/schema--duplicate-index");
    let generated = root.join("lunora/_generated");
    std::fs::create_dir_all(&generated).expect("mkdir");
    std::fs::write(generated.join("api.ts"), "// from an earlier run\n").expect("write");
    std::fs::write(generated.join("stray.ts"), "// not generated\n").expect("write");
    let before = tree(&generated);
    for format in ["human", "json", "github"] {
        let run = lunora(&root, &["codegen", "--format", format]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(tree(&generated), before, "_generated changed on error");
        insta::assert_snapshot!(format!("invalid_{format}"), run.snapshot(tmp.path()));
    }
}

#[test]
fn unwritable_generated_is_a_diagnostic() {
    let (tmp, root) = app("valid/chat");
    // a file where the folder should be: fails even when running as root
    std::fs::write(root.join("lunora/_generated"), "not a folder").expect("write");
    let run = lunora(&root, &["codegen"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("io/write-error"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    insta::assert_snapshot!("unwritable", run.snapshot(tmp.path()));
}

#[test]
fn check_reports_stale_file() {
    let (tmp, root) = app("valid/chat");
    assert_eq!(lunora(&root, &["codegen"]).code, 0);
    let server = root.join("lunora/_generated/server.ts");
    let mut text = std::fs::read_to_string(&server).expect("server.ts generated");
    text.push_str("// edited by hand\n");
    std::fs::write(&server, &text).expect("write");
    std::fs::remove_file(root.join("lunora/_generated/api.ts")).expect("api.ts generated");
    let run = lunora(&root, &["codegen", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&server).expect("read"), text);
    assert!(!root.join("lunora/_generated/api.ts").exists());
    insta::assert_snapshot!("check_stale", run.snapshot(tmp.path()));
}
