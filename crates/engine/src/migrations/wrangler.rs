//! D1 through wrangler for the MigrationRunner: the D1 binding from
//! `wrangler.jsonc` (checked by [`crate::wrangler_config`], the one JSONC
//! reader; its diagnostics point into the file) and an [`Executor`] that
//! drives `wrangler d1 execute <binding> --local|--remote --json --file`.
//!
//! wrangler 4.86.0 runs a `--file` (and a `--command`) locally by splitting it
//! into statements and passing them to ONE `D1Database.batch()`, which is one
//! SQLite transaction: a failing statement rolls back every earlier one. The
//! runner relies on that to put each migration and its tracking row in one
//! unit; `tests/migrate-d1` checks it on real local D1 (docs/ARCHITECTURE.md).
//!
//! Every message wrangler (or SQLite through it) prints for a failure is
//! classified here, beside the strings it is matched against ([`classify`]):
//! the runner sees only an [`ExecErrorKind`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lunora_parser::{Diagnostic, Files};

use super::executor::{ExecError, ExecErrorKind, Executor, Row, TRACKING_TABLE};
pub use crate::wrangler_config::WRANGLER_FILE;
use crate::wrangler_config::d1_binding;

/// Local D1 only: miniflare's `workerd` process died before it was
/// listening (seen on a heavily loaded machine). wrangler 4.86.0's
/// `d1 execute --local` awaits `mf.getD1Database()` (miniflare's startup)
/// before it calls `db.batch()`, and miniflare throws `ERR_RUNTIME_FAILURE`
/// "The Workers runtime failed to start. There is likely additional logging
/// output above." from that startup, so no statement was sent. wrangler
/// `--json` prints the message as `{"error": {"text": …}}`; a SQL error's
/// text is SQLite's message (`no such table: x: SQLITE_ERROR`), which never
/// starts with it.
const RUNTIME_START_FAILURE: &str = "The Workers runtime failed to start";

/// workerd's opaque `internal error; reference = …` (seen when two wrangler
/// processes open the same local D1 file at once). Nothing says whether a
/// write committed.
const INTERNAL_ERROR: &str = "internal error; reference = ";

/// What kind of failure wrangler's (or SQLite's) `message` reports.
///
/// - SQLite's `UNIQUE constraint failed: _lunora_migrations.name`: the
///   tracking row's PRIMARY KEY (SQLite names the column, not the value, so
///   every tracking-row conflict of a unit is about its migration);
/// - `SQLITE_BUSY` / `database is locked`: another connection held the write
///   lock (e.g. `wrangler dev` writing while migrating), the unit rolled back;
/// - `RUNTIME_START_FAILURE`, `INTERNAL_ERROR` (at the start of the message).
pub fn classify(message: String) -> ExecError {
    let kind = if message.trim_start().starts_with(RUNTIME_START_FAILURE) {
        ExecErrorKind::RuntimeStart
    } else if message.trim_start().starts_with(INTERNAL_ERROR) {
        ExecErrorKind::Internal
    } else if message.contains(&format!("UNIQUE constraint failed: {TRACKING_TABLE}.name")) {
        ExecErrorKind::TrackingRowExists
    } else {
        let m = message.to_ascii_lowercase();
        if m.contains("sqlite_busy") || m.contains("database is locked") {
            ExecErrorKind::Busy
        } else {
            ExecErrorKind::Other
        }
    };
    ExecError::new(kind, message)
}

/// Reads `<root>/wrangler.jsonc` and its D1 binding. `Err` holds the
/// diagnostics (errors, and warnings that came with them); warnings alone
/// (the template's placeholder id, for `--local`) are dropped: local D1
/// accepts any id.
pub fn read_binding(
    root: &Path,
    files: &mut Files,
    target: Target,
) -> Result<String, Vec<Diagnostic>> {
    let path = root.join(WRANGLER_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => match d1_binding(&text, files, target == Target::Remote) {
            (Some(binding), _) => Ok(binding.to_owned()),
            (None, diagnostics) => Err(diagnostics),
        },
        Err(e) => {
            let other = ["wrangler.json", "wrangler.toml"]
                .into_iter()
                .find(|f| root.join(f).is_file());
            Err(vec![crate::diagnostics::wrangler_unreadable(&e, other)])
        }
    }
}

/// Where D1 lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Local,
    Remote,
}

impl Target {
    pub fn flag(self) -> &'static str {
        match self {
            Target::Local => "--local",
            Target::Remote => "--remote",
        }
    }
}

/// Runs `wrangler d1 execute` in the app root.
pub struct WranglerExecutor {
    root: PathBuf,
    binding: String,
    target: Target,
    /// The program and its leading arguments (`[wrangler]` or `[npx, --no-install, wrangler]`).
    program: Vec<String>,
    counter: u32,
}

impl WranglerExecutor {
    /// The app's `node_modules/.bin/wrangler`, else `npx --no-install wrangler`.
    pub fn new(root: &Path, binding: String, target: Target) -> Self {
        let local = root.join("node_modules").join(".bin").join("wrangler");
        let program = if local.is_file() {
            vec![local.to_string_lossy().into_owned()]
        } else {
            vec!["npx".into(), "--no-install".into(), "wrangler".into()]
        };
        Self {
            root: root.to_path_buf(),
            binding,
            target,
            program,
            counter: 0,
        }
    }

    /// `wrangler d1 execute` with `extra` arguments; the JSON result sets.
    fn execute(&self, extra: &[&str]) -> Result<Vec<serde_json::Value>, String> {
        let (program, lead) = self.program.split_first().ok_or("no wrangler command")?;
        let mut cmd = Command::new(program);
        cmd.args(lead)
            .args([
                "d1",
                "execute",
                &self.binding,
                self.target.flag(),
                "--json",
                "--yes",
            ])
            .args(extra)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let shown = self.program.join(" ");
        let out = cmd.output().map_err(|e| {
            format!(
                "cannot run `{shown}`: {e} (install wrangler in the app: `pnpm add -D wrangler`)"
            )
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let parsed = json_document(&stdout);
        match parsed {
            Some(serde_json::Value::Array(sets)) if out.status.success() => Ok(sets),
            Some(v) => {
                let text = v
                    .pointer("/error/text")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string());
                Err(text)
            }
            None => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Err(format!(
                    "`{shown} d1 execute` failed ({}): {}",
                    out.status,
                    tail.join("\n").trim()
                ))
            }
        }
    }
}

/// The JSON document wrangler printed: the whole output, or (when something
/// printed lines before it) from the first line that opens an array or object.
fn json_document(stdout: &str) -> Option<serde_json::Value> {
    if let Ok(v) = serde_json::from_str(stdout.trim()) {
        return Some(v);
    }
    let mut offset = 0;
    for line in stdout.split_inclusive('\n') {
        if (line.starts_with('[') || line.starts_with('{'))
            && let Ok(v) = serde_json::from_str(stdout[offset..].trim())
        {
            return Some(v);
        }
        offset += line.len();
    }
    None
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Executor for WranglerExecutor {
    fn run_script(&mut self, sql: &str) -> Result<(), ExecError> {
        self.counter += 1;
        let path = std::env::temp_dir().join(format!(
            "lunora-migration-{}-{}.sql",
            std::process::id(),
            self.counter
        ));
        std::fs::write(&path, sql)
            .map_err(|e| ExecError::other(format!("cannot write {}: {e}", path.display())))?;
        let result = self.execute(&["--file", &path.to_string_lossy()]);
        let _ = std::fs::remove_file(&path);
        result.map(|_| ()).map_err(classify)
    }

    fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError> {
        let command = format!("{prelude}\n{select}");
        let sets = self
            .execute(&["--command", command.trim()])
            .map_err(classify)?;
        let last = sets
            .last()
            .ok_or_else(|| ExecError::other("wrangler returned no result"))?;
        let rows = last
            .get("results")
            .and_then(|r| r.as_array())
            .ok_or_else(|| ExecError::other("wrangler returned no `results`"))?;
        Ok(rows
            .iter()
            .map(|row| {
                row.as_object()
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
                    .unwrap_or_else(BTreeMap::new)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(config: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(text) = config {
            std::fs::write(dir.path().join(WRANGLER_FILE), text).expect("write");
        }
        dir
    }

    fn codes(r: &Result<String, Vec<Diagnostic>>) -> Vec<&'static str> {
        match r {
            Ok(_) => Vec::new(),
            Err(ds) => ds.iter().map(|d| d.code.as_str()).collect(),
        }
    }

    const GOOD: &str = r#"{
  // the D1 database of the global tables
  "d1_databases": [
    { "binding": "DB", "database_name": "app", "database_id": "00000000-0000-4000-8000-000000000000", },
  ],
}"#;

    fn kind(message: &str) -> ExecErrorKind {
        classify(message.to_owned()).kind
    }

    #[test]
    fn only_busy_and_runtime_start_failures_are_transient() {
        let start =
            "The Workers runtime failed to start. There is likely additional logging output above.";
        assert_eq!(kind(start), ExecErrorKind::RuntimeStart);
        assert_eq!(kind("database is locked: SQLITE_BUSY"), ExecErrorKind::Busy);
        assert_eq!(
            kind("no such table: nosuch: SQLITE_ERROR"),
            ExecErrorKind::Other
        );
        assert_eq!(
            kind("internal error; reference = kmqnte5ilp5k92ekc61u1cf7"),
            ExecErrorKind::Internal
        );
        // The sentence inside a SQL error (a CHECK expression, a literal) is
        // not a startup failure.
        assert_eq!(
            kind(&format!(
                "CHECK constraint failed: x <> '{start}': SQLITE_CONSTRAINT"
            )),
            ExecErrorKind::Other
        );
    }

    #[test]
    fn a_failure_that_is_not_the_tracking_row_stays_a_failure_when_the_database_cannot_be_read() {
        assert_eq!(
            kind(
                "UNIQUE constraint failed: _lunora_migrations.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
            ),
            ExecErrorKind::TrackingRowExists
        );
        assert_eq!(
            kind("UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT"),
            ExecErrorKind::Other
        );
        assert_eq!(
            kind("internal error; reference = abc"),
            ExecErrorKind::Internal
        );
    }

    #[test]
    fn json_after_log_lines_is_found() {
        assert_eq!(json_document("[1]\n"), Some(serde_json::json!([1])));
        assert_eq!(
            json_document("▲ [WARNING] something\n{\"error\": {\"text\": \"x\"}}\n"),
            Some(serde_json::json!({"error": {"text": "x"}}))
        );
        assert_eq!(json_document("no json\n[oops\n"), None);
        assert_eq!(json_document(""), None);
    }

    #[test]
    fn the_binding_comes_from_wrangler_config() {
        let dir = app(Some(GOOD));
        let mut files = Files::default();
        let r = read_binding(dir.path(), &mut files, Target::Local);
        assert_eq!(r, Ok("DB".to_owned()), "the placeholder id is fine locally");
        let r = read_binding(dir.path(), &mut files, Target::Remote);
        assert_eq!(codes(&r), ["config/placeholder-database-id"]);
    }

    #[test]
    fn missing_or_broken_config_is_a_diagnostic() {
        let dir = app(None);
        let mut files = Files::default();
        let r = read_binding(dir.path(), &mut files, Target::Local);
        assert_eq!(codes(&r), ["config/syntax-error"]);
        let dir = app(Some("{ \"name\": \"x\" }"));
        assert_eq!(
            codes(&read_binding(dir.path(), &mut files, Target::Local)),
            ["config/d1-binding"]
        );
        let dir = app(Some("{ \"d1_databases\": [ "));
        assert_eq!(
            codes(&read_binding(dir.path(), &mut files, Target::Local)),
            ["config/syntax-error"]
        );
    }
}
