//! `lunora migrate apply/status` wiring with a stand-in `wrangler` (a shell
//! script in the app's `node_modules/.bin`): the command line the runner
//! passes, exit codes and diagnostics when D1 cannot be reached, and config
//! errors caught before wrangler runs. Real local D1 is tested in
//! `tests/migrate-d1` (pnpm).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

const WRANGLER_JSONC: &str = r#"{
  // test app
  "name": "t",
  "d1_databases": [
    { "binding": "DB", "database_name": "app", "database_id": "00000000-0000-4000-8000-000000000000" },
  ],
}
"#;

/// An app with the tutorial schema, `wrangler.jsonc` and a fake wrangler
/// that logs its arguments (one line per call) to `wrangler.log`, prints
/// `stdout` and exits with `code`.
fn app(stdout: &str, code: i32) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("app");
    let lunora = root.join("lunora");
    std::fs::create_dir_all(&lunora).expect("mkdir");
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/valid/chat/lunora/schema.ts");
    std::fs::copy(schema, lunora.join("schema.ts")).expect("schema");
    std::fs::write(root.join("wrangler.jsonc"), WRANGLER_JSONC).expect("config");
    let script = format!(
        "#!/bin/sh\nprintf '%s' \"$*\" | tr '\\n' ' ' >> \"{log}\"\necho >> \"{log}\"\ncat <<'JSON'\n{stdout}\nJSON\nexit {code}\n",
        log = root.join("wrangler.log").display()
    );
    lunora_testkit::apps::fake_tool(&root, "wrangler", &script);
    (tmp, root)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn lunora(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lunora"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run lunora");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf8"),
        stderr: String::from_utf8(out.stderr).expect("utf8"),
    }
}

fn calls(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("wrangler.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

const EMPTY: &str = r#"[{"results":[],"success":true,"meta":{"duration":0}},{"results":[],"success":true,"meta":{"duration":0}}]"#;

#[test]
fn status_and_apply_with_no_migrations_read_the_tracking_table_once() {
    let (_tmp, root) = app(EMPTY, 0);
    let r = lunora(&root, &["migrate", "status"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "migrations of D1 `DB` (--local):\n0 applied, 0 pending, 0 need attention\n"
    );
    let r = lunora(&root, &["migrate", "apply", "--local"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "nothing to apply: D1 `DB` (--local) has all 0 migration(s)\n"
    );
    let calls = calls(&root);
    assert_eq!(calls.len(), 2, "{calls:?}");
    for call in &calls {
        assert!(
            call.starts_with("d1 execute DB --local --json --yes --command CREATE TABLE IF NOT EXISTS \"_lunora_migrations\""),
            "{call}"
        );
        assert!(call.ends_with("ORDER BY \"name\";"), "{call}");
    }
}

#[test]
fn a_migration_runs_as_one_file_with_its_tracking_row() {
    let (_tmp, root) = app(EMPTY, 0);
    let migrations = root.join("lunora/migrations");
    std::fs::create_dir_all(&migrations).expect("mkdir");
    std::fs::write(migrations.join("20260101000000_a.sql"), "SELECT 1;\n").expect("sql");
    let r = lunora(&root, &["migrate", "apply", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["applied"], serde_json::json!(["20260101000000_a"]));
    assert_eq!(
        doc["database"],
        serde_json::json!({"binding": "DB", "target": "local"})
    );
    let calls = calls(&root);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[1].starts_with("d1 execute DB --local --json --yes --file "),
        "{}",
        calls[1]
    );
    // The temp file is removed after the run.
    let file = calls[1].rsplit(' ').next().expect("path");
    assert!(!Path::new(file).exists(), "{file} left behind");
}

#[test]
fn wrangler_failing_is_a_tool_failure_with_a_diagnostic() {
    let (_tmp, root) = app(r#"{"error":{"text":"boom: no database"}}"#, 1);
    let r = lunora(&root, &["migrate", "apply", "--format", "json"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "migrate/d1-unavailable");
    assert_eq!(d["file"], "wrangler.jsonc");
    assert_eq!(
        d["message"],
        "cannot read D1 `DB` (--local): boom: no database"
    );
    assert!(
        d["help"]
            .as_str()
            .expect("help")
            .contains("pnpm add -D wrangler")
    );

    let (_tmp, root) = app("not json at all", 127);
    let r = lunora(&root, &["migrate", "status"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("migrate/d1-unavailable"), "{}", r.stderr);
    assert!(r.stderr.contains("exit status: 127"), "{}", r.stderr);
}

#[test]
fn remote_with_the_placeholder_id_stops_before_wrangler_runs() {
    let (_tmp, root) = app(EMPTY, 0);
    let r = lunora(&root, &["migrate", "apply", "--remote", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        doc["diagnostics"][0]["code"],
        "config/placeholder-database-id"
    );
    assert_eq!(doc["diagnostics"][0]["start"]["line"], 5, "the id's line");
    assert!(calls(&root).is_empty(), "wrangler was not run");
    // Locally the placeholder is fine.
    assert_eq!(lunora(&root, &["migrate", "apply", "--local"]).code, 0);

    // With a real id, --remote reaches wrangler with `--remote`.
    let config = WRANGLER_JSONC.replace(
        "00000000-0000-4000-8000-000000000000",
        "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
    );
    std::fs::write(root.join("wrangler.jsonc"), config).expect("config");
    let r = lunora(&root, &["migrate", "status", "--remote"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "migrations of D1 `DB` (--remote):\n0 applied, 0 pending, 0 need attention\n"
    );
    let calls = calls(&root);
    assert!(
        calls[calls.len() - 1].starts_with("d1 execute DB --remote --json --yes --command "),
        "{calls:?}"
    );
}

#[test]
fn a_second_run_waits_for_the_lock_and_says_so() {
    use std::io::{BufRead, BufReader};
    let (_tmp, root) = app(EMPTY, 0);
    let lock_path = root.join(".wrangler/lunora-migrate.lock");
    std::fs::create_dir_all(lock_path.parent().expect("parent")).expect("mkdir");
    let held = std::fs::File::create(&lock_path).expect("lock file");
    held.lock().expect("hold the lock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lunora"))
        .args(["migrate", "apply", "--local"])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read");
    assert_eq!(
        line,
        "  waiting for another `lunora migrate apply`, which holds .wrangler/lunora-migrate.lock\n"
    );
    assert!(
        calls(&root).is_empty(),
        "nothing ran while the lock was held"
    );
    drop(held);
    let status = child.wait().expect("wait");
    assert!(status.success());
    assert_eq!(calls(&root).len(), 1, "it ran once the lock was free");
}

const RUNTIME_FAILED: &str = r#"{"error":{"text":"The Workers runtime failed to start. There is likely additional logging output above."}}"#;

/// [`app`] with one migration and a stand-in wrangler whose first
/// `fail_commands` `--command` calls and first `fail_files` `--file` calls
/// print `file_error` (commands: [`RUNTIME_FAILED`]) and exit 1; every other
/// call succeeds with no rows.
fn flaky_app(
    fail_commands: u32,
    fail_files: u32,
    file_error: &str,
) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = app(EMPTY, 0);
    let migrations = root.join("lunora/migrations");
    std::fs::create_dir_all(&migrations).expect("mkdir");
    std::fs::write(migrations.join("20260101000000_a.sql"), "SELECT 1;\n").expect("sql");
    let script = format!(
        r#"#!/bin/sh
printf '%s' "$*" | tr '\n' ' ' >> "{log}"
echo >> "{log}"
case "$*" in
  *" --file "*) kind=file; fails={fail_files}; error='{file_error}' ;;
  *) kind=command; fails={fail_commands}; error='{RUNTIME_FAILED}' ;;
esac
n=$(cat "{root}/count-$kind" 2>/dev/null || echo 0)
echo $((n + 1)) > "{root}/count-$kind"
if [ "$n" -lt "$fails" ]; then
  echo "$error"
  echo "✘ [ERROR] workerd exited" >&2
  exit 1
fi
echo '{EMPTY}'
"#,
        log = root.join("wrangler.log").display(),
        root = root.display(),
    );
    std::fs::write(root.join("node_modules/.bin/wrangler"), script).expect("fake wrangler");
    (tmp, root)
}

fn kinds(root: &Path) -> (usize, usize) {
    let calls = calls(root);
    let files = calls.iter().filter(|c| c.contains(" --file ")).count();
    (calls.len() - files, files)
}

#[test]
fn a_runtime_that_failed_to_start_is_retried_for_the_unit_and_the_status_read() {
    // Two failed starts for the status read, two for the unit: applied once.
    let (_tmp, root) = flaky_app(2, 2, RUNTIME_FAILED);
    let r = lunora(&root, &["migrate", "apply", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["applied"], serde_json::json!(["20260101000000_a"]));
    assert_eq!(kinds(&root), (3, 3), "{:?}", calls(&root));
}

#[test]
fn a_runtime_that_never_starts_is_given_up_on_after_bounded_retries() {
    let (_tmp, root) = flaky_app(0, u32::MAX, RUNTIME_FAILED);
    let r = lunora(&root, &["migrate", "apply", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "migrate/apply-failed");
    assert!(
        d["message"].as_str().expect("message").ends_with(
            "The Workers runtime failed to start. There is likely additional logging output above."
        ),
        "{d}"
    );
    // One attempt and 4 retries; after the last, the tracking table is read
    // again (was it applied by another run meanwhile?).
    assert_eq!(kinds(&root), (2, 5), "{:?}", calls(&root));
}

#[test]
fn a_sql_error_is_not_retried() {
    let (_tmp, root) = flaky_app(
        0,
        u32::MAX,
        r#"{"error":{"text":"no such table: nosuch: SQLITE_ERROR"}}"#,
    );
    let r = lunora(&root, &["migrate", "apply", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(
        doc["diagnostics"][0]["message"]
            .as_str()
            .expect("message")
            .ends_with("no such table: nosuch: SQLITE_ERROR"),
        "{doc}"
    );
    assert_eq!(kinds(&root), (2, 1), "{:?}", calls(&root));
}
