//! The MigrationRunner behind `lunora migrate apply`, `lunora migrate status`,
//! `lunora dev` (local) and `lunora deploy` (remote).
//!
//! Applied migrations are rows of `_lunora_migrations` (name, checksum =
//! sha256 of the `.sql` file, applied_at). Each pending migration runs as ONE
//! script: the INSERT of its tracking row, then its statements, so the
//! executor's all-or-nothing unit covers both (wrangler runs a `--file` as one
//! D1 batch, which is one transaction; see `wrangler_d1` and
//! docs/ARCHITECTURE.md). Before anything is applied the runner stops if an
//! applied migration changed, vanished, or if a pending one sorts before an
//! applied one.
//!
//! Concurrency: runs on one machine take an exclusive lock on
//! `.wrangler/lunora-migrate.lock` (an OS file lock, released when the
//! process dies), so a second run waits, then finds nothing pending. Across
//! machines the tracking row's PRIMARY KEY, inside the same unit as the
//! migration, makes a second application fail as a whole; the runner then
//! re-reads the table and skips a migration another run applied.
//!
//! Entry points for other commands: [`open`] then [`AppDb::pending`] (what
//! would run, for `deploy --dry-run`), [`AppDb::apply`], [`AppDb::status`].
//! They return a typed [`Failure`] (diagnostics, and whether the app or the
//! tooling failed) and never print; the CLI renders and picks the exit code.
//! Options come in as values ([`ApplyOptions`]), never from the environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lunora_emit::migrate::sha256_hex;
use lunora_parser::{Diagnostic, Files};

use super::executor::{ExecError, ExecErrorKind, Executor, TRACKING_TABLE};
pub use super::wrangler::Target;
use super::wrangler::{WranglerExecutor, read_binding};
use super::{MIGRATIONS_DIR, list as list_migrations};
const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS \"_lunora_migrations\" (\"name\" TEXT PRIMARY KEY NOT NULL, \"checksum\" TEXT NOT NULL, \"applied_at\" TEXT NOT NULL);";
const SELECT_APPLIED: &str =
    "SELECT \"name\", \"checksum\", \"applied_at\" FROM \"_lunora_migrations\" ORDER BY \"name\";";
/// Root-relative lock file that serializes runs on one machine.
pub const LOCK_FILE: &str = ".wrangler/lunora-migrate.lock";

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub name: String,
    pub sql: String,
    pub checksum: String,
}

impl Migration {
    pub fn new(name: impl Into<String>, sql: impl Into<String>) -> Self {
        let sql = sql.into();
        Self {
            name: name.into(),
            checksum: sha256_hex(sql.as_bytes()),
            sql,
        }
    }

    /// Root-relative path of its `.sql` file.
    pub fn path(&self) -> String {
        path_of(&self.name)
    }
}

fn path_of(name: &str) -> String {
    super::sql_path(name)
}

/// Every `lunora/migrations/*.sql` under `root`, in file order.
pub fn load(root: &Path) -> Result<Vec<Migration>, String> {
    let dir = root.join(MIGRATIONS_DIR);
    list_migrations(&dir)?
        .into_iter()
        .map(|stem| {
            std::fs::read_to_string(dir.join(format!("{stem}.sql")))
                .map(|sql| Migration::new(stem.clone(), sql))
                .map_err(|e| format!("cannot read {MIGRATIONS_DIR}/{stem}.sql: {e}"))
        })
        .collect()
}

/// The state of one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied {
        applied_at: String,
    },
    Pending,
    /// Applied, but the file's checksum differs from the recorded one.
    Changed {
        applied_at: String,
    },
    /// Recorded as applied; the file is gone.
    Missing {
        applied_at: String,
    },
    /// Pending, but it sorts before an applied migration.
    OutOfOrder,
}

impl State {
    /// One word for JSON output: `applied`, `pending`, `changed`, `missing`, `out-of-order`.
    pub fn word(&self) -> &'static str {
        match self {
            State::Applied { .. } => "applied",
            State::Pending => "pending",
            State::Changed { .. } => "changed",
            State::Missing { .. } => "missing",
            State::OutOfOrder => "out-of-order",
        }
    }

    pub fn applied_at(&self) -> Option<&str> {
        match self {
            State::Applied { applied_at }
            | State::Changed { applied_at }
            | State::Missing { applied_at } => Some(applied_at),
            State::Pending | State::OutOfOrder => None,
        }
    }

    /// Stops `apply` before anything runs.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            State::Changed { .. } | State::Missing { .. } | State::OutOfOrder
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub state: State,
}

/// Applied/pending/changed for every migration, in name order.
pub fn status(exec: &mut dyn Executor, files: &[Migration]) -> Result<Vec<Entry>, String> {
    // Idempotent (CREATE TABLE IF NOT EXISTS, then a read): safe to retry.
    let rows = with_retries(true, || exec.query(CREATE_TRACKING, SELECT_APPLIED))
        .map_err(|e| e.message)?;
    let mut applied: BTreeMap<String, (String, String)> = BTreeMap::new();
    for row in rows {
        let get = |k: &str| row.get(k).cloned().unwrap_or_default();
        applied.insert(get("name"), (get("checksum"), get("applied_at")));
    }
    let last_applied = applied.keys().next_back().cloned();
    let mut out: Vec<Entry> = Vec::new();
    for m in files {
        let state = match applied.remove(&m.name) {
            Some((sum, applied_at)) if sum == m.checksum => State::Applied { applied_at },
            Some((_, applied_at)) => State::Changed { applied_at },
            None if last_applied.as_ref().is_some_and(|l| *l > m.name) => State::OutOfOrder,
            None => State::Pending,
        };
        out.push(Entry {
            name: m.name.clone(),
            state,
        });
    }
    for (name, (_, applied_at)) in applied {
        out.push(Entry {
            name,
            state: State::Missing { applied_at },
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Why `apply` stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// Reading the tracking table failed (database unreachable, wrangler missing).
    Database(String),
    /// Applied migrations changed or vanished, or a pending one is out of
    /// order: nothing was applied.
    Blocked(Vec<Entry>),
    /// `name` failed; the ones in `applied` before it stay applied, `name`
    /// left nothing behind.
    Failed {
        applied: Vec<String>,
        name: String,
        message: String,
    },
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The script for one migration: its tracking row first (a concurrent second
/// application fails at once on the PRIMARY KEY), then its statements.
pub fn script(m: &Migration) -> String {
    let mut sql = format!(
        "INSERT INTO \"{TRACKING_TABLE}\" (\"name\", \"checksum\", \"applied_at\") VALUES ({}, {}, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\n",
        quote(&m.name),
        quote(&m.checksum)
    );
    sql.push_str(&m.sql);
    if !sql.ends_with('\n') {
        sql.push('\n');
    }
    sql
}

/// The migrations `apply` would run now, in order; `Blocked` when it would
/// refuse to run anything.
pub fn pending(exec: &mut dyn Executor, files: &[Migration]) -> Result<Vec<String>, ApplyError> {
    let entries = status(exec, files).map_err(ApplyError::Database)?;
    let blocked: Vec<Entry> = entries
        .iter()
        .filter(|e| e.state.blocks())
        .cloned()
        .collect();
    if !blocked.is_empty() {
        return Err(ApplyError::Blocked(blocked));
    }
    Ok(entries
        .into_iter()
        .filter(|e| e.state == State::Pending)
        .map(|e| e.name)
        .collect())
}

/// What `apply` reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// Another run on this machine holds the lock; this one waits for it.
    Waiting,
    /// This run applied the migration.
    Applied(&'a str),
    /// Another run applied it between our status read and our attempt (our
    /// unit failed on the tracking row's PRIMARY KEY and left nothing).
    AppliedElsewhere(&'a str),
}

/// Applies every pending migration in order; returns the names this run
/// applied (empty when everything was already applied). `on_event` runs
/// after each migration.
pub fn apply(
    exec: &mut dyn Executor,
    files: &[Migration],
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<String>, ApplyError> {
    let todo = pending(exec, files)?;
    let mut applied = Vec::new();
    for m in files.iter().filter(|m| todo.contains(&m.name)) {
        if let Err(error) = run_unit(exec, &script(m)) {
            // Another run may have applied it meanwhile (its tracking row
            // made our unit fail as a whole): then it is done, go on. The
            // PRIMARY KEY error itself proves the row exists; the read only
            // confirms it was this file (same checksum) — and when the read
            // fails (another wrangler holds the local database), the error
            // alone decides.
            let lost_race = error.kind == ExecErrorKind::TrackingRowExists;
            let done_elsewhere = match status(exec, files) {
                Ok(entries) => entries
                    .iter()
                    .any(|e| e.name == m.name && matches!(e.state, State::Applied { .. })),
                Err(_) => lost_race,
            };
            if done_elsewhere {
                on_event(Event::AppliedElsewhere(&m.name));
                continue;
            }
            return Err(ApplyError::Failed {
                applied,
                name: m.name.clone(),
                message: error.message,
            });
        }
        on_event(Event::Applied(&m.name));
        applied.push(m.name.clone());
    }
    Ok(applied)
}

/// Retries of a unit (or a tracking-table read) whose attempt failed in a
/// way that left nothing behind ([`ExecErrorKind`]).
const RETRIES: u32 = 4;

/// Runs `attempt` until it succeeds, fails in a way that may have left
/// something behind, or failed [`RETRIES`] + 1 times; waits longer after each
/// failure (a runtime that could not start gets more time than a busy lock).
/// `idempotent`: the attempt only reads (or creates what already exists), so
/// an error that does not say whether anything committed may retry too.
fn with_retries<T>(
    idempotent: bool,
    mut attempt: impl FnMut() -> Result<T, ExecError>,
) -> Result<T, ExecError> {
    let mut retries = 0;
    loop {
        match attempt() {
            Err(error) if retries < RETRIES => {
                let step = match error.kind {
                    ExecErrorKind::Busy => 100,
                    ExecErrorKind::RuntimeStart => 250,
                    ExecErrorKind::Internal if idempotent => 250,
                    ExecErrorKind::Internal
                    | ExecErrorKind::TrackingRowExists
                    | ExecErrorKind::Other => return Err(error),
                };
                retries += 1;
                std::thread::sleep(std::time::Duration::from_millis(step * u64::from(retries)));
            }
            result => return result,
        }
    }
}

/// Runs one unit, retried after a failure that left nothing behind (so
/// running it again is safe).
fn run_unit(exec: &mut dyn Executor, sql: &str) -> Result<(), ExecError> {
    with_retries(false, || exec.run_script(sql))
}

// ---- the app-level API (`migrate apply/status`, `dev`, `deploy`) ----------

/// Whose problem stopped an app-level call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A problem of the app the user can fix (a bad `wrangler.jsonc`, an
    /// edited applied migration, a migration whose SQL fails): exit 1.
    App,
    /// The tooling failed (D1 unreachable, wrangler missing, the file system):
    /// exit 2.
    Tool,
}

/// Why an app-level call stopped: diagnostics to render and whose problem it is.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    /// The sources the diagnostics point into (`wrangler.jsonc`).
    pub files: Files,
    pub kind: FailureKind,
}

/// How [`AppDb::apply`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Hold [`LOCK_FILE`] for the whole run (the default). Off only to
    /// exercise the tracking row's PRIMARY KEY between concurrent runs
    /// (`migrate apply --no-lock`, hidden; `tests/migrate-d1`).
    pub lock: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self { lock: true }
    }
}

/// An app's D1 database: binding from `wrangler.jsonc`, target and the
/// migration files.
pub struct AppDb {
    pub root: PathBuf,
    pub binding: String,
    pub target: Target,
    pub migrations: Vec<Migration>,
    /// `wrangler.jsonc`, for diagnostics that point into it.
    pub files: Files,
}

/// Reads `wrangler.jsonc` (the D1 binding) and `lunora/migrations/*.sql`.
/// Touches no database.
pub fn open(root: &Path, target: Target) -> Result<AppDb, Failure> {
    let mut files = Files::default();
    let binding = match read_binding(root, &mut files, target) {
        Ok(b) => b,
        Err(diagnostics) => {
            return Err(Failure {
                diagnostics,
                files,
                kind: FailureKind::App,
            });
        }
    };
    let migrations = load(root).map_err(|e| Failure {
        diagnostics: vec![crate::diagnostics::migrations_unreadable(e)],
        files: Files::default(),
        kind: FailureKind::Tool,
    })?;
    Ok(AppDb {
        root: root.to_path_buf(),
        binding,
        target,
        migrations,
        files,
    })
}

impl AppDb {
    /// `D1 `DB` (--local)`, for messages.
    pub fn describe(&self) -> String {
        format!("D1 `{}` ({})", self.binding, self.target.flag())
    }

    fn executor(&self) -> WranglerExecutor {
        WranglerExecutor::new(&self.root, self.binding.clone(), self.target)
    }

    fn fail(&self, diagnostics: Vec<Diagnostic>, kind: FailureKind) -> Failure {
        Failure {
            diagnostics,
            files: self.files.clone(),
            kind,
        }
    }

    /// Every migration's state (files and tracking rows), in name order.
    pub fn status(&self) -> Result<Vec<Entry>, Failure> {
        status(&mut self.executor(), &self.migrations)
            .map_err(|e| self.fail(vec![unavailable(self, &e)], FailureKind::Tool))
    }

    /// What `apply` would run now, in order (for `deploy --dry-run`).
    pub fn pending(&self) -> Result<Vec<String>, Failure> {
        pending(&mut self.executor(), &self.migrations).map_err(|e| self.apply_failure(e))
    }

    /// Applies every pending migration; `on_event` after each. Holds
    /// [`LOCK_FILE`] for the whole run unless `options.lock` is off.
    pub fn apply(
        &self,
        options: ApplyOptions,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<String>, Failure> {
        let _lock = if options.lock {
            Some(self.lock(on_event)?)
        } else {
            None
        };
        apply(&mut self.executor(), &self.migrations, on_event).map_err(|e| self.apply_failure(e))
    }

    /// Takes [`LOCK_FILE`]; `on_event(Event::Waiting)` first when another
    /// run holds it.
    fn lock(&self, on_event: &mut dyn FnMut(Event<'_>)) -> Result<std::fs::File, Failure> {
        let path = self.root.join(LOCK_FILE);
        let io = |e: std::io::Error| {
            self.fail(
                vec![crate::diagnostics::lock_failed(LOCK_FILE, &e)],
                FailureKind::Tool,
            )
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_event(Event::Waiting);
                file.lock().map_err(io)?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        Ok(file)
    }

    fn apply_failure(&self, e: ApplyError) -> Failure {
        match e {
            ApplyError::Database(message) => {
                self.fail(vec![unavailable(self, &message)], FailureKind::Tool)
            }
            ApplyError::Blocked(entries) => self.fail(
                entries.iter().map(blocked_diagnostic).collect(),
                FailureKind::App,
            ),
            ApplyError::Failed {
                applied,
                name,
                message,
            } => self.fail(
                vec![crate::diagnostics::migration_apply_failed(
                    &name,
                    path_of(&name),
                    &self.describe(),
                    &message,
                    applied.len(),
                )],
                FailureKind::App,
            ),
        }
    }
}

fn unavailable(db: &AppDb, message: &str) -> Diagnostic {
    crate::diagnostics::d1_unavailable(&db.describe(), message, db.target == Target::Remote)
}

/// The diagnostic for an entry that stops `apply`.
pub fn blocked_diagnostic(e: &Entry) -> Diagnostic {
    let path = path_of(&e.name);
    match &e.state {
        State::Changed { applied_at } => {
            crate::diagnostics::applied_changed(&e.name, applied_at, path)
        }
        State::Missing { applied_at } => {
            crate::diagnostics::applied_missing(&e.name, applied_at, path)
        }
        State::OutOfOrder | State::Pending | State::Applied { .. } => {
            crate::diagnostics::out_of_order(&e.name, path)
        }
    }
}

/// What `deploy --dry-run` would apply remotely ([`dry_run`]).
#[derive(Debug)]
pub enum DryRun {
    /// The remote database was read: these migrations are pending (maybe none).
    Pending { db: String, pending: Vec<String> },
    /// An applied migration changed: the real deploy would stop here too.
    Blocked(Failure),
    /// The remote database cannot be read (no Cloudflare login, or the
    /// template's placeholder database id, which names no database): why, if known.
    Unknown { notes: Vec<String> },
}

/// The migrations the runner would apply remotely ([`AppDb::pending`]), when
/// the remote database can be read.
pub fn dry_run(root: &Path) -> DryRun {
    match open(root, Target::Remote).map(|db| (db.pending(), db.describe())) {
        Ok((Ok(pending), db)) => DryRun::Pending { db, pending },
        Ok((Err(f), _)) if f.kind == FailureKind::App => DryRun::Blocked(f),
        Ok((Err(f), _)) => DryRun::Unknown {
            notes: f.diagnostics.iter().map(|d| d.message.clone()).collect(),
        },
        Err(_) => DryRun::Unknown { notes: Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::Row;
    use crate::migrations::wrangler::classify;
    use rusqlite::Connection;

    /// SQLite in memory; a script runs inside one transaction, as D1 runs a file.
    struct Sqlite {
        conn: Connection,
        scripts: usize,
    }

    impl Sqlite {
        fn new() -> Self {
            Self {
                conn: Connection::open_in_memory().expect("sqlite"),
                scripts: 0,
            }
        }

        fn tables(&self) -> Vec<String> {
            let mut st = self
                .conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .expect("prepare");
            st.query_map([], |r| r.get::<_, String>(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows")
        }

        fn count(&self, table: &str) -> i64 {
            self.conn
                .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                    r.get(0)
                })
                .expect("count")
        }
    }

    impl Executor for Sqlite {
        fn run_script(&mut self, sql: &str) -> Result<(), ExecError> {
            self.scripts += 1;
            let tx = self
                .conn
                .transaction()
                .map_err(|e| classify(e.to_string()))?;
            tx.execute_batch(sql).map_err(|e| classify(e.to_string()))?;
            tx.commit().map_err(|e| classify(e.to_string()))
        }

        fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError> {
            self.conn
                .execute_batch(prelude)
                .map_err(|e| classify(e.to_string()))?;
            let mut st = self
                .conn
                .prepare(select)
                .map_err(|e| classify(e.to_string()))?;
            let names: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
            let rows = st
                .query_map([], |r| {
                    let mut row = Row::new();
                    for (i, n) in names.iter().enumerate() {
                        let v: Option<String> = r.get(i)?;
                        row.insert(n.clone(), v.unwrap_or_default());
                    }
                    Ok(row)
                })
                .map_err(|e| classify(e.to_string()))?;
            rows.collect::<Result<_, _>>()
                .map_err(|e| classify(e.to_string()))
        }
    }

    fn m(name: &str, sql: &str) -> Migration {
        Migration::new(name, sql)
    }

    fn two() -> Vec<Migration> {
        vec![
            m(
                "20260101000000_init",
                "CREATE TABLE \"a\" (\"_id\" TEXT PRIMARY KEY NOT NULL);\nINSERT INTO \"a\" VALUES ('x');\n",
            ),
            // Depends on the first: order matters.
            m(
                "20260102000000_more",
                "CREATE TABLE \"b\" AS SELECT * FROM \"a\";",
            ),
        ]
    }

    fn names(entries: &[Entry]) -> Vec<(&str, &State)> {
        entries
            .iter()
            .map(|e| (e.name.as_str(), &e.state))
            .collect()
    }

    #[test]
    fn applies_in_file_order_and_records_each() {
        let mut db = Sqlite::new();
        let mut seen = Vec::new();
        let applied = apply(&mut db, &two(), &mut |e| {
            if let Event::Applied(n) = e {
                seen.push(n.to_owned());
            }
        })
        .expect("apply");
        assert_eq!(applied, ["20260101000000_init", "20260102000000_more"]);
        assert_eq!(seen, applied);
        assert_eq!(db.tables(), ["_lunora_migrations", "a", "b"]);
        assert_eq!(db.count("b"), 1);
        let entries = status(&mut db, &two()).expect("status");
        assert!(
            entries.iter().all(
                |e| matches!(&e.state, State::Applied { applied_at } if applied_at.ends_with('Z'))
            ),
            "{entries:?}"
        );
        let sums: Vec<Row> = db
            .query(
                "",
                "SELECT name, checksum FROM _lunora_migrations ORDER BY name",
            )
            .expect("rows");
        assert_eq!(sums[0]["checksum"], two()[0].checksum);
        assert_eq!(sums[1]["checksum"], sha256_hex(two()[1].sql.as_bytes()));
    }

    #[test]
    fn second_run_applies_nothing() {
        let mut db = Sqlite::new();
        apply(&mut db, &two(), &mut |_| {}).expect("first");
        let scripts = db.scripts;
        let applied = apply(&mut db, &two(), &mut |_| {}).expect("second");
        assert!(applied.is_empty());
        assert_eq!(db.scripts, scripts, "no script ran the second time");
        assert_eq!(db.count("a"), 1, "the INSERT did not run twice");
    }

    #[test]
    fn only_new_migrations_run_later() {
        let mut db = Sqlite::new();
        let all = two();
        apply(&mut db, &all[..1], &mut |_| {}).expect("first");
        assert_eq!(
            names(&status(&mut db, &all).expect("status"))[1],
            ("20260102000000_more", &State::Pending)
        );
        let applied = apply(&mut db, &all, &mut |_| {}).expect("second");
        assert_eq!(applied, ["20260102000000_more"]);
    }

    #[test]
    fn a_changed_applied_migration_stops_the_run() {
        let mut db = Sqlite::new();
        let mut all = two();
        apply(&mut db, &all[..1], &mut |_| {}).expect("first");
        all[0] = m(&all[0].name, "CREATE TABLE \"a\" (\"other\" TEXT);");
        let err = apply(&mut db, &all, &mut |_| {}).unwrap_err();
        let ApplyError::Blocked(blocked) = err else {
            panic!("{err:?}")
        };
        assert_eq!(blocked.len(), 1);
        assert_eq!(blocked[0].name, "20260101000000_init");
        assert!(matches!(blocked[0].state, State::Changed { .. }));
        assert_eq!(
            db.tables(),
            ["_lunora_migrations", "a"],
            "the pending one did not run"
        );
    }

    #[test]
    fn missing_and_out_of_order_migrations_stop_the_run() {
        let mut db = Sqlite::new();
        let all = two();
        apply(
            &mut db,
            &all[1..]
                .iter()
                .map(|x| m(&x.name, "SELECT 1;"))
                .collect::<Vec<_>>(),
            &mut |_| {},
        )
        .expect("apply the later one first");
        // `init` sorts before the applied `more`: out of order.
        let err = apply(
            &mut db,
            &[all[0].clone(), m(&all[1].name, "SELECT 1;")],
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(
            err,
            ApplyError::Blocked(vec![Entry {
                name: "20260101000000_init".into(),
                state: State::OutOfOrder
            }])
        );
        // The applied file is gone.
        let err = apply(&mut db, &[], &mut |_| {}).unwrap_err();
        assert!(
            matches!(&err, ApplyError::Blocked(b) if matches!(b[0].state, State::Missing { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn a_failing_migration_leaves_nothing_and_stops() {
        let mut db = Sqlite::new();
        let mut all = two();
        all.insert(
            1,
            m(
                "20260101120000_bad",
                "CREATE TABLE \"c\" (\"x\" TEXT);\nINSERT INTO \"a\" VALUES ('y');\nINSERT INTO \"nosuch\" VALUES (1);\n",
            ),
        );
        let err = apply(&mut db, &all, &mut |_| {}).unwrap_err();
        let ApplyError::Failed {
            applied,
            name,
            message,
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(applied, ["20260101000000_init"]);
        assert_eq!(name, "20260101120000_bad");
        assert!(message.contains("nosuch"), "{message}");
        assert_eq!(db.tables(), ["_lunora_migrations", "a"], "no `c`, no `b`");
        assert_eq!(db.count("a"), 1, "the INSERT into `a` was rolled back");
        assert_eq!(db.count("_lunora_migrations"), 1, "no tracking row");
        let entries = status(&mut db, &all).expect("status");
        assert_eq!(entries[1].state, State::Pending);
        // Fixed: the run resumes.
        all[1] = m(&all[1].name, "CREATE TABLE \"c\" (\"x\" TEXT);");
        let applied = apply(&mut db, &all, &mut |_| {}).expect("resume");
        assert_eq!(applied, ["20260101120000_bad", "20260102000000_more"]);
    }

    #[test]
    fn names_with_quotes_are_escaped() {
        let mut db = Sqlite::new();
        let applied = apply(&mut db, &[m("2026_o'hara", "SELECT 1;")], &mut |_| {}).expect("apply");
        assert_eq!(applied, ["2026_o'hara"]);
        let entries = status(&mut db, &[m("2026_o'hara", "SELECT 1;")]).expect("status");
        assert!(matches!(entries[0].state, State::Applied { .. }));
    }

    #[test]
    fn a_last_line_comment_does_not_swallow_the_tracking_row() {
        let s = script(&m("n", "SELECT 1; -- trailing comment"));
        let mut db = Sqlite::new();
        db.run_script(CREATE_TRACKING).expect("create");
        db.run_script(&s).expect("script");
        assert_eq!(db.count("_lunora_migrations"), 1);
    }

    /// Two migrations that are not idempotent on their own: run twice they
    /// would log two rows.
    fn two_logging_migrations() -> Vec<Migration> {
        vec![
            m(
                "20260101000000_log",
                "CREATE TABLE IF NOT EXISTS \"log\" (\"x\" INTEGER);\nINSERT INTO \"log\" VALUES (1);\n",
            ),
            m("20260102000000_more", "INSERT INTO \"log\" VALUES (2);"),
        ]
    }

    /// Another runner applies everything between our status read and our
    /// first script (what two concurrent `migrate apply` processes do).
    struct Racing {
        db: Sqlite,
        files: Vec<Migration>,
        raced: bool,
    }

    impl Executor for Racing {
        fn run_script(&mut self, sql: &str) -> Result<(), ExecError> {
            if !self.raced {
                self.raced = true;
                let files = self.files.clone();
                apply(&mut self.db, &files, &mut |_| {}).expect("the other run");
            }
            self.db.run_script(sql)
        }

        fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError> {
            self.db.query(prelude, select)
        }
    }

    #[test]
    fn a_concurrent_run_applies_each_migration_once() {
        let files = two_logging_migrations();
        let mut racing = Racing {
            db: Sqlite::new(),
            files: files.clone(),
            raced: false,
        };
        let applied =
            apply(&mut racing, &files, &mut |_| {}).expect("skips what the other applied");
        assert!(applied.is_empty(), "{applied:?}");
        assert!(racing.raced);
        assert_eq!(racing.db.count("log"), 2, "each INSERT ran exactly once");
        assert_eq!(racing.db.count("_lunora_migrations"), 2);
    }

    /// Like [`Racing`], and every tracking-table read after the race fails
    /// (the other run's wrangler holds the local database: workerd's
    /// internal error, five times in a row).
    struct RacingUnreadable {
        racing: Racing,
    }

    impl Executor for RacingUnreadable {
        fn run_script(&mut self, sql: &str) -> Result<(), ExecError> {
            self.racing.run_script(sql)
        }

        fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError> {
            if self.racing.raced {
                return Err(classify("internal error; reference = abc123".into()));
            }
            self.racing.query(prelude, select)
        }
    }

    #[test]
    fn a_lost_race_is_recognised_by_the_primary_key_when_the_database_cannot_be_read() {
        let files = two_logging_migrations();
        let mut exec = RacingUnreadable {
            racing: Racing {
                db: Sqlite::new(),
                files: files.clone(),
                raced: false,
            },
        };
        let mut events = Vec::new();
        let applied = apply(&mut exec, &files, &mut |e| {
            events.push(format!("{e:?}"));
        })
        .expect("both were applied by the other run");
        assert!(applied.is_empty(), "{applied:?}");
        assert_eq!(
            events,
            [
                "AppliedElsewhere(\"20260101000000_log\")",
                "AppliedElsewhere(\"20260102000000_more\")"
            ]
        );
        assert_eq!(
            exec.racing.db.count("log"),
            2,
            "each INSERT ran exactly once"
        );
    }

    #[test]
    fn the_tracking_row_fails_a_second_application_as_a_whole() {
        let mut db = Sqlite::new();
        let one = m(
            "20260101000000_log",
            "CREATE TABLE IF NOT EXISTS \"log\" (\"x\" INTEGER);\nINSERT INTO \"log\" VALUES (1);",
        );
        apply(&mut db, std::slice::from_ref(&one), &mut |_| {}).expect("apply");
        let err = db.run_script(&script(&one)).unwrap_err();
        assert!(err.message.contains("UNIQUE"), "{err}");
        assert_eq!(err.kind, ExecErrorKind::TrackingRowExists);
        assert_eq!(
            db.count("log"),
            1,
            "the statements after the row rolled back"
        );
    }

    #[test]
    fn pending_lists_what_apply_would_run() {
        let mut db = Sqlite::new();
        let all = two();
        assert_eq!(
            pending(&mut db, &all).expect("pending"),
            ["20260101000000_init", "20260102000000_more"]
        );
        assert_eq!(
            db.tables(),
            ["_lunora_migrations"],
            "pending changes nothing else"
        );
        apply(&mut db, &all[..1], &mut |_| {}).expect("first");
        assert_eq!(
            pending(&mut db, &all).expect("pending"),
            ["20260102000000_more"]
        );
        let mut edited = all.clone();
        edited[0] = m(&all[0].name, "SELECT 2;");
        assert!(matches!(
            pending(&mut db, &edited),
            Err(ApplyError::Blocked(_))
        ));
    }

    /// Busy for the first `busy` scripts, then a real database.
    struct Busy {
        db: Sqlite,
        busy: usize,
    }

    impl Executor for Busy {
        fn run_script(&mut self, sql: &str) -> Result<(), ExecError> {
            if self.busy > 0 {
                self.busy -= 1;
                return Err(classify("database is locked: SQLITE_BUSY".to_owned()));
            }
            self.db.run_script(sql)
        }

        fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError> {
            self.db.query(prelude, select)
        }
    }

    #[test]
    fn a_busy_database_is_retried_then_reported() {
        let mut db = Busy {
            db: Sqlite::new(),
            busy: 2,
        };
        let applied = apply(&mut db, &two(), &mut |_| {}).expect("retried");
        assert_eq!(applied.len(), 2);
        assert_eq!(db.db.count("a"), 1);
        let mut db = Busy {
            db: Sqlite::new(),
            busy: usize::MAX,
        };
        let err = apply(&mut db, &two(), &mut |_| {}).unwrap_err();
        assert!(
            matches!(&err, ApplyError::Failed { message, .. } if message.contains("SQLITE_BUSY")),
            "{err:?}"
        );
    }

    /// workerd's opaque internal error on the first `reads` tracking-table
    /// reads and the first `scripts` units, then a real database.
    struct Internal {
        db: Sqlite,
        reads: usize,
        scripts: usize,
    }

    const INTERNAL: &str = "internal error; reference = kmqnte5ilp5k92ekc61u1cf7";

    impl Executor for Internal {
        fn run_script(&mut self, sql: &str) -> Result<(), ExecError> {
            if self.scripts > 0 {
                self.scripts -= 1;
                return Err(classify(INTERNAL.to_owned()));
            }
            self.db.run_script(sql)
        }

        fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError> {
            if self.reads > 0 {
                self.reads -= 1;
                return Err(classify(INTERNAL.to_owned()));
            }
            self.db.query(prelude, select)
        }
    }

    #[test]
    fn an_internal_error_retries_the_read_but_never_a_unit() {
        let mut db = Internal {
            db: Sqlite::new(),
            reads: 2,
            scripts: 0,
        };
        let applied = apply(&mut db, &two(), &mut |_| {}).expect("read retried");
        assert_eq!(applied.len(), 2);
        // A unit that failed this way may have committed: it is reported, not re-run.
        let mut db = Internal {
            db: Sqlite::new(),
            reads: 0,
            scripts: 1,
        };
        let err = apply(&mut db, &two(), &mut |_| {}).unwrap_err();
        assert!(
            matches!(&err, ApplyError::Failed { message, .. } if message.contains("internal error")),
            "{err:?}"
        );
        assert_eq!(db.scripts, 0);
    }
}
