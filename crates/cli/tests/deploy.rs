//! `lunora deploy --dry-run` on the chat fixture with the template's
//! `wrangler.jsonc` and a fake `wrangler` that records its arguments. The real
//! `wrangler deploy --dry-run` runs in the browser end-to-end test
//! (tests/e2e-chat), on a scaffolded app with real packages.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output};

const FAKE_WRANGLER: &str =
    "#!/bin/sh\necho \"$*\" >> wrangler-calls.log\necho \"fake wrangler $*\"\n";

fn lunora(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lunora"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("LUNORA_MIGRATION_TIMESTAMP", "20240401123456")
        .env("NO_COLOR", "1")
        .output()
        .expect("run lunora")
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn app() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = tmp.path();
    std::fs::create_dir_all(root.join("lunora")).expect("mkdir");
    for file in ["schema.ts", "messages.ts"] {
        std::fs::copy(
            here.join("../../fixtures/valid/chat/lunora").join(file),
            root.join("lunora").join(file),
        )
        .expect("copy");
    }
    std::fs::copy(
        here.join("../engine/template/wrangler.jsonc"),
        root.join("wrangler.jsonc"),
    )
    .expect("copy");
    std::fs::create_dir_all(root.join("src/server")).expect("mkdir");
    std::fs::copy(
        here.join("../engine/template/src/server/index.ts"),
        root.join("src/server/index.ts"),
    )
    .expect("copy");
    lunora_testkit::apps::fake_tool(root, "wrangler", FAKE_WRANGLER);
    tmp
}

/// `lunora migrate generate init`, which must succeed.
fn generate_init(root: &Path) {
    let out = lunora(root, &["migrate", "generate", "init"]);
    assert!(out.status.success(), "{}", show(&out));
}

/// Replaces `from` (which must be there) with `to` in `wrangler.jsonc`.
fn edit_config(root: &Path, from: &str, to: &str) {
    let path = root.join("wrangler.jsonc");
    let config = std::fs::read_to_string(&path).expect("read");
    assert!(config.contains(from), "{from} not in wrangler.jsonc");
    std::fs::write(&path, config.replace(from, to)).expect("write");
}

fn calls(root: &Path) -> String {
    std::fs::read_to_string(root.join("wrangler-calls.log")).unwrap_or_default()
}

#[test]
fn dry_run_generates_checks_lists_migrations_and_runs_wrangler_dry_run() {
    let tmp = app();
    let root = tmp.path();
    generate_init(root);

    let out = lunora(root, &["deploy", "--dry-run"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(root.join("lunora/_generated/wiring.ts").is_file(), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("migrations are up to date with the schema"),
        "{log}"
    );
    // The placeholder id is only a warning for a dry run.
    assert!(stderr.contains("config/placeholder-database-id"), "{log}");
    assert!(stderr.contains("wrangler.jsonc is valid"), "{log}");
    assert!(
        stderr.contains("lunora/migrations/20240401123456_init.sql"),
        "says what it would apply: {log}"
    );
    assert_eq!(
        calls(root),
        "deploy --dry-run --outdir .wrangler/lunora-dry-run\n"
    );
}

#[test]
fn a_missing_migration_stops_before_wrangler() {
    let tmp = app();
    let out = lunora(tmp.path(), &["deploy", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("migrate/drift"),
        "{}",
        show(&out)
    );
    assert_eq!(calls(tmp.path()), "");
}

#[test]
fn a_broken_wrangler_config_is_reported_in_the_file_and_stops_before_wrangler() {
    let tmp = app();
    let root = tmp.path();
    generate_init(root);
    edit_config(root, "new_sqlite_classes", "new_classes");
    let out = lunora(root, &["deploy", "--dry-run"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config/shard-migration"), "{log}");
    assert!(
        stderr.contains("wrangler.jsonc:10:"),
        "points into the file: {log}"
    );
    assert_eq!(calls(root), "");

    let out = lunora(root, &["deploy", "--dry-run", "--format", "json"]);
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "config/shard-migration");
    assert_eq!(d["file"], "wrangler.jsonc");
    assert_eq!(d["start"]["line"], 10);
}

#[test]
fn a_real_deploy_refuses_the_placeholder_database_id() {
    let tmp = app();
    let root = tmp.path();
    generate_init(root);
    let out = lunora(root, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("config/placeholder-database-id"),
        "{}",
        show(&out)
    );
    assert_eq!(calls(root), "");
}

/// A fake wrangler for a real deploy: `d1 execute` answers like wrangler's
/// `--json` (an empty tracking table, then success), `deploy` succeeds.
const FAKE_WRANGLER_REMOTE: &str = r#"#!/bin/sh
case "$1 $2" in
  "d1 execute")
    where=none; kind=none
    for a in "$@"; do case "$a" in --remote|--local) where="$a";; --file|--command) kind="$a";; esac; done
    echo "d1 execute $where $kind" >> wrangler-calls.log
    echo '[{"results":[],"success":true,"meta":{}}]' ;;
  *) echo "$*" >> wrangler-calls.log; echo "fake wrangler $*" ;;
esac
"#;

#[test]
fn a_real_deploy_applies_migrations_remotely_then_runs_wrangler_deploy() {
    let tmp = app();
    let root = tmp.path();
    generate_init(root);
    edit_config(
        root,
        "00000000-0000-4000-8000-000000000000",
        "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    );
    std::fs::write(
        root.join("node_modules/.bin/wrangler"),
        FAKE_WRANGLER_REMOTE,
    )
    .expect("write");

    let out = lunora(root, &["deploy"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("applied 20240401123456_init"), "{log}");
    let calls = calls(root);
    let lines: Vec<&str> = calls.lines().collect();
    // Read the tracking table, apply the one migration (as one --file), read
    // again if needed, and only then deploy.
    assert_eq!(
        lines.first(),
        Some(&"d1 execute --remote --command"),
        "{calls}\n{log}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| **l == "d1 execute --remote --file")
            .count(),
        1,
        "{calls}"
    );
    assert_eq!(lines.last(), Some(&"deploy"), "{calls}");
}

/// A fake wrangler whose remote tracking table already holds `init` with the
/// checksum in `applied.sum` (one `d1 execute --command` row), `deploy` succeeds.
const FAKE_WRANGLER_APPLIED: &str = r#"#!/bin/sh
case "$1 $2" in
  "d1 execute")
    echo "d1 execute" >> wrangler-calls.log
    sum=$(cat applied.sum)
    echo "[{\"results\":[{\"name\":\"20240401123456_init\",\"checksum\":\"$sum\",\"applied_at\":\"2024-04-01T12:34:56Z\"}],\"success\":true,\"meta\":{}}]" ;;
  *) echo "$*" >> wrangler-calls.log; echo "fake wrangler $*" ;;
esac
"#;

#[test]
fn a_dry_run_lists_only_the_migrations_the_remote_database_has_not_applied() {
    let tmp = app();
    let root = tmp.path();
    generate_init(root);
    edit_config(
        root,
        "00000000-0000-4000-8000-000000000000",
        "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    );
    let init = root.join("lunora/migrations/20240401123456_init.sql");

    // An empty tracking table: `init` is pending.
    std::fs::write(
        root.join("node_modules/.bin/wrangler"),
        FAKE_WRANGLER_REMOTE,
    )
    .expect("write");
    let out = lunora(root, &["deploy", "--dry-run"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("would apply, in this order, to D1 `DB` (--remote):\n  lunora/migrations/20240401123456_init.sql"),
        "{log}"
    );
    assert!(
        !calls(root).contains("--file"),
        "a dry run applies nothing: {}",
        calls(root)
    );

    // `init` already applied with this very file: nothing is pending.
    std::fs::remove_file(root.join("wrangler-calls.log")).expect("rm");
    let sql = std::fs::read(&init).expect("read");
    std::fs::write(
        root.join("applied.sum"),
        lunora_emit::migrate::sha256_hex(&sql),
    )
    .expect("write");
    std::fs::write(
        root.join("node_modules/.bin/wrangler"),
        FAKE_WRANGLER_APPLIED,
    )
    .expect("write");
    let out = lunora(root, &["deploy", "--dry-run"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing to apply: D1 `DB` (--remote) has all 1 migration(s)"),
        "{log}"
    );
    assert!(!stderr.contains("would apply"), "{log}");

    // The applied file was edited since: the dry run stops as the real deploy would.
    std::fs::remove_file(root.join("wrangler-calls.log")).expect("rm");
    std::fs::write(&init, [sql.as_slice(), b"-- edited\n"].concat()).expect("write");
    let out = lunora(root, &["deploy", "--dry-run"]);
    let log = show(&out);
    assert_ne!(out.status.code(), Some(0), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("migrate/"), "{log}");
    assert!(
        !calls(root).contains("deploy --dry-run"),
        "stops before wrangler deploy: {}",
        calls(root)
    );
}

#[test]
fn cron_triggers_are_checked_and_written_with_write_crons() {
    let tmp = app();
    let root = tmp.path();
    std::fs::write(
        root.join("lunora/jobs.ts"),
        "import { internalMutation } from \"./_generated/server\";\nexport const tick = internalMutation({ handler: async () => {} });\n",
    )
    .expect("write");
    std::fs::write(
        root.join("lunora/crons.ts"),
        "import { cronJobs } from \"lunorash/server\";\nimport { internal } from \"./_generated/api\";\nconst crons = cronJobs();\ncrons.daily(\"nightly\", { hourUTC: 3, minuteUTC: 0 }, internal.jobs.tick);\ncrons.weekly(\"weekly\", { dayOfWeek: \"monday\", hourUTC: 9, minuteUTC: 0 }, internal.jobs.tick);\nexport default crons;\n",
    )
    .expect("write");
    generate_init(root);
    let before = std::fs::read_to_string(root.join("wrangler.jsonc")).expect("read");

    // The template has no `triggers`: the jobs would never run.
    let out = lunora(root, &["deploy", "--dry-run"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("config/crons"),
        "{log}"
    );
    assert_eq!(calls(root), "");
    assert_eq!(
        std::fs::read_to_string(root.join("wrangler.jsonc")).expect("read"),
        before
    );

    // With consent, the expressions are written and the deploy goes on.
    let out = lunora(root, &["deploy", "--dry-run", "--write-crons"]);
    let log = show(&out);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let after = std::fs::read_to_string(root.join("wrangler.jsonc")).expect("read");
    assert!(
        after.contains(r#""triggers": { "crons": ["0 3 * * *", "0 9 * * MON"] },"#),
        "{after}"
    );
    assert_eq!(
        after.replace(
            "\n  \"triggers\": { \"crons\": [\"0 3 * * *\", \"0 9 * * MON\"] },",
            ""
        ),
        before
    );
    assert_eq!(
        calls(root),
        "deploy --dry-run --outdir .wrangler/lunora-dry-run\n"
    );
    // The wiring has the jobs; written again, nothing changes.
    let wiring = std::fs::read_to_string(root.join("lunora/_generated/wiring.ts")).expect("read");
    assert!(
        wiring.contains(r#"{ name: "weekly", cron: "0 9 * * MON", function: "jobs:tick" }"#),
        "{wiring}"
    );
    let out = lunora(root, &["deploy", "--dry-run", "--write-crons"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(root.join("wrangler.jsonc")).expect("read"),
        after
    );
}
