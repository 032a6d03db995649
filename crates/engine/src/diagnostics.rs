//! Every diagnostic the engine reports, one named constructor per problem:
//! the `wrangler.jsonc` checks and the migrations (check, runner, wrangler).
//! Callers decide *whether* to report; the texts live here.

use lunora_emit::migrate::{DataLoss, Refusal, describe_loss, describe_refusal};
use lunora_parser::{Code, Diagnostic, FileId, FileSpan, Span};

use crate::layout::GENERATED_DIR;
use crate::layout::{D1_BINDING, R2_BINDING, SHARD_BINDING, SHARD_CLASS, WRANGLER_FILE};
use crate::migrations::MIGRATIONS_DIR;
use crate::migrations::executor::TRACKING_TABLE;
use crate::writer::WriteError;

/// An error labelled at `at` in `wrangler.jsonc` (`file`).
fn config_error(
    code: Code,
    message: impl Into<String>,
    file: FileId,
    at: Span,
    label: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, message)
        .with_label(file, at, label)
        .with_help(help)
}

/// The expressions `crons` as a JSON list's items: `"a", "b"`.
fn quoted(crons: &[&String]) -> String {
    crons
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------
// wrangler_config: `main`, `compatibility_date`, syntax
// ---------------------------------------------------------------------------

/// No `main`.
pub(crate) fn config_no_main(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigMain,
        "no `main` (the Worker entry)",
        file,
        at,
        "this object needs `main`",
        "add `\"main\": \"src/server/index.ts\"`",
    )
}

/// `main` names a file that does not exist.
pub(crate) fn config_main_missing(main: &str, file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigMain,
        format!("`main` names `{main}`, which does not exist"),
        file,
        at,
        "no such file",
        "point `main` at the Worker entry that calls `createWorker` (relative to the app root)",
    )
}

/// `main` is not a string.
pub(crate) fn config_main_not_string(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigMain,
        "`main` must be a string",
        file,
        at,
        "not a string",
        "set `main` to the Worker entry's path, e.g. `\"src/server/index.ts\"`",
    )
}

/// No `compatibility_date`.
pub(crate) fn config_no_compatibility_date(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigCompatibilityDate,
        "no `compatibility_date`",
        file,
        at,
        "this object needs `compatibility_date`",
        "add `\"compatibility_date\": \"2026-05-01\"` (the pinned workerd accepts dates up to 2026-05-03)",
    )
}

/// `compatibility_date` is not a `YYYY-MM-DD` string.
pub(crate) fn config_bad_compatibility_date(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigCompatibilityDate,
        "`compatibility_date` must be a `YYYY-MM-DD` string",
        file,
        at,
        "not a date",
        "use a date such as `\"2026-05-01\"`",
    )
}

/// `wrangler.jsonc` does not parse (`error`: the parser's message).
pub(crate) fn config_syntax(error: String, file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigSyntax,
        format!("{WRANGLER_FILE} is not valid JSON with comments"),
        file,
        at,
        error,
        "fix the syntax; comments and trailing commas are allowed",
    )
}

/// `wrangler.jsonc` holds a value other than an object.
pub(crate) fn config_not_object(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigSyntax,
        format!("{WRANGLER_FILE} must hold one object"),
        file,
        at,
        "not an object",
        "start from the file `lunora init` writes",
    )
}

/// `wrangler.jsonc` is empty.
pub(crate) fn config_empty(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigSyntax,
        format!("{WRANGLER_FILE} is empty"),
        file,
        at,
        "no object here",
        "start from the file `lunora init` writes",
    )
}

// ---------------------------------------------------------------------------
// wrangler_config: `triggers.crons`
// ---------------------------------------------------------------------------

/// No `triggers` for the cron expressions `needed`.
pub(crate) fn config_no_triggers(needed: &[String], file: FileId, at: Span) -> Diagnostic {
    let all = quoted(&needed.iter().collect::<Vec<_>>());
    config_error(
        Code::ConfigCrons,
        "no `triggers`: the cron jobs of `lunora/crons.ts` would never run",
        file,
        at,
        "this object needs `triggers.crons`",
        format!("add `\"triggers\": {{ \"crons\": [{all}] }}`"),
    )
}

/// `triggers` is not an object.
pub(crate) fn config_triggers_not_object(needed: &[String], file: FileId, at: Span) -> Diagnostic {
    let all = quoted(&needed.iter().collect::<Vec<_>>());
    config_error(
        Code::ConfigCrons,
        "`triggers` must be an object",
        file,
        at,
        "not an object",
        format!("write `\"triggers\": {{ \"crons\": [{all}] }}`"),
    )
}

/// No `triggers.crons` array.
pub(crate) fn config_no_crons(needed: &[String], file: FileId, at: Span) -> Diagnostic {
    let all = quoted(&needed.iter().collect::<Vec<_>>());
    config_error(
        Code::ConfigCrons,
        "no `triggers.crons` array: the cron jobs of `lunora/crons.ts` would never run",
        file,
        at,
        "expected a `crons` array",
        format!("add `\"crons\": [{all}]`"),
    )
}

/// `triggers.crons` lacks the expressions `missing`.
pub(crate) fn config_crons_missing(missing: &[&String], file: FileId, at: Span) -> Diagnostic {
    let shown = quoted(missing);
    config_error(
        Code::ConfigCrons,
        format!("`triggers.crons` lacks {shown}, which `lunora/crons.ts` needs"),
        file,
        at,
        format!(
            "{} missing",
            if missing.len() == 1 {
                "one expression"
            } else {
                "expressions"
            }
        ),
        format!(
            "add {shown} to `triggers.crons`, written exactly so: the Worker runs the jobs whose expression is the trigger's"
        ),
    )
}

// ---------------------------------------------------------------------------
// wrangler_config: the shard Durable Object
// ---------------------------------------------------------------------------

/// No `durable_objects.bindings`.
pub(crate) fn config_no_shard_bindings(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardBinding,
        format!("no Durable Object binding for the shard class `{SHARD_CLASS}`"),
        file,
        at,
        "expected `durable_objects.bindings`",
        format!(
            "add `\"durable_objects\": {{ \"bindings\": [{{ \"name\": \"{SHARD_BINDING}\", \"class_name\": \"{SHARD_CLASS}\" }}] }}`"
        ),
    )
}

/// No binding of the shard class among `durable_objects.bindings`.
pub(crate) fn config_no_shard_binding(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardBinding,
        format!("no Durable Object binding for the shard class `{SHARD_CLASS}`"),
        file,
        at,
        "no binding here has this class",
        format!("add `{{ \"name\": \"{SHARD_BINDING}\", \"class_name\": \"{SHARD_CLASS}\" }}`"),
    )
}

/// The shard binding is named `name`, not [`SHARD_BINDING`].
pub(crate) fn config_shard_binding_name(name: &str, file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardBinding,
        format!("the shard binding must be named `{SHARD_BINDING}`, not `{name}`"),
        file,
        at,
        "@lunora/runtime reads this binding by name",
        format!("rename it to `\"{SHARD_BINDING}\"`"),
    )
}

/// The shard binding has no `name`.
pub(crate) fn config_shard_binding_no_name(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardBinding,
        "the shard binding has no `name`",
        file,
        at,
        "no `name`",
        format!("add `\"name\": \"{SHARD_BINDING}\"`"),
    )
}

/// How to add the shard class's SQLite migration.
fn shard_migration_help() -> String {
    format!(
        "add `\"migrations\": [{{ \"tag\": \"v1\", \"new_sqlite_classes\": [\"{SHARD_CLASS}\"] }}]`"
    )
}

/// No `migrations` array.
pub(crate) fn config_no_migrations(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardMigration,
        format!("no Durable Object migration creates `{SHARD_CLASS}` with SQLite storage"),
        file,
        at,
        "expected a `migrations` array",
        shard_migration_help(),
    )
}

/// The shard class is in `new_classes` (no SQLite storage).
pub(crate) fn config_shard_without_sqlite(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardMigration,
        format!("`{SHARD_CLASS}` is created without SQLite storage"),
        file,
        at,
        "listed in `new_classes`",
        format!(
            "the shard stores its tables in SQLite: list `{SHARD_CLASS}` in `new_sqlite_classes` instead"
        ),
    )
}

/// No migration lists the shard class in `new_sqlite_classes`.
pub(crate) fn config_no_shard_migration(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigShardMigration,
        format!("no Durable Object migration creates `{SHARD_CLASS}` with SQLite storage"),
        file,
        at,
        "no `new_sqlite_classes` here lists the shard class",
        shard_migration_help(),
    )
}

// ---------------------------------------------------------------------------
// wrangler_config: R2 and D1
// ---------------------------------------------------------------------------

/// No R2 binding [`R2_BINDING`] (`array`: an `r2_buckets` array exists, without it).
pub(crate) fn config_no_r2(array: bool, file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigR2Binding,
        format!("the app uses file storage but there is no R2 binding `{R2_BINDING}`"),
        file,
        at,
        if array {
            format!("no entry here has `\"binding\": \"{R2_BINDING}\"`")
        } else {
            "expected an `r2_buckets` array".to_string()
        },
        format!(
            "add `\"r2_buckets\": [{{ \"binding\": \"{R2_BINDING}\", \"bucket_name\": \"<name>\" }}]` (wrangler creates the bucket on deploy, and simulates it locally)"
        ),
    )
}

/// No D1 binding [`D1_BINDING`] (`array`: a `d1_databases` array exists, without it).
pub(crate) fn config_no_d1(array: bool, file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigD1Binding,
        format!("the schema has global tables but there is no D1 binding `{D1_BINDING}`"),
        file,
        at,
        if array {
            format!("no entry here has `\"binding\": \"{D1_BINDING}\"`")
        } else {
            "expected a `d1_databases` array".to_string()
        },
        format!(
            "add `\"d1_databases\": [{{ \"binding\": \"{D1_BINDING}\", \"database_name\": \"<name>\", \"database_id\": \"<id from `wrangler d1 create <name>`>\", \"migrations_dir\": \"lunora/migrations\" }}]`"
        ),
    )
}

/// The D1 binding has no `database_name`.
pub(crate) fn config_d1_no_name(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigD1Binding,
        "the D1 binding has no `database_name`",
        file,
        at,
        "no `database_name`",
        "add the name you gave `wrangler d1 create`",
    )
}

/// The D1 binding has no `database_id`.
pub(crate) fn config_d1_no_id(file: FileId, at: Span) -> Diagnostic {
    config_error(
        Code::ConfigD1Binding,
        "the D1 binding has no `database_id`",
        file,
        at,
        "no `database_id`",
        "add the id `wrangler d1 create <name>` printed",
    )
}

/// The template's placeholder `database_id`: an error for a `remote` run, else a warning.
pub(crate) fn config_placeholder_database_id(remote: bool, file: FileId, at: Span) -> Diagnostic {
    let message = "`database_id` is the template's placeholder";
    let diagnostic = if remote {
        Diagnostic::error(Code::ConfigPlaceholderDatabaseId, message)
    } else {
        Diagnostic::warning(Code::ConfigPlaceholderDatabaseId, message)
    };
    diagnostic
        .with_label(file, at, "not a real database")
        .with_help("run `wrangler d1 create <name>` and paste the id it prints here")
}

// ---------------------------------------------------------------------------
// migrations::replay: `lunora migrate check`
// ---------------------------------------------------------------------------

/// A generated migration file (`path`) edited after generation (`message`: how).
fn edited(path: String, message: String) -> Diagnostic {
    Diagnostic::error(Code::MigrationEdited, message)
        .with_path(path)
        .with_help("restore the file from version control; never edit a generated migration, generate a new one")
}

/// A migration's snapshot file that is missing or unreadable (`error`).
pub(crate) fn snapshot_unreadable(path: String, error: &dyn std::fmt::Display) -> Diagnostic {
    edited(path, format!("missing or unreadable snapshot: {error}"))
}

/// A migration's snapshot file that does not parse (`error`).
pub(crate) fn snapshot_invalid(path: String, error: &dyn std::fmt::Display) -> Diagnostic {
    edited(path, format!("invalid snapshot: {error}"))
}

/// A snapshot whose checksum does not match its contents.
pub(crate) fn snapshot_edited(path: String) -> Diagnostic {
    edited(
        path,
        "snapshot was edited after it was generated (checksum mismatch)".into(),
    )
}

/// A migration's SQL whose checksum does not match its snapshot.
pub(crate) fn migration_sql_edited(path: String) -> Diagnostic {
    edited(
        path,
        "migration was edited after it was generated (checksum mismatch)".into(),
    )
}

/// A snapshot whose record of the earlier migrations does not match them.
pub(crate) fn earlier_migrations_edited(path: String) -> Diagnostic {
    edited(
        path,
        "the migrations before this one were edited, added or removed after it was generated"
            .into(),
    )
}

/// The schema's global tables differ from the latest snapshot (`steps`: the differences).
pub(crate) fn migration_drift(steps: &[String]) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationDrift,
        format!(
            "the schema's global tables differ from the latest migration snapshot: {}",
            if steps.is_empty() {
                "changed".to_owned()
            } else {
                steps.join("; ")
            }
        ),
    )
    .with_path("lunora/schema.ts")
    .with_help("run `lunora migrate generate <name>` and commit the new files")
}

/// Replaying the migrations misses `step` of the latest snapshot.
pub(crate) fn replay_differs(step: &str) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationReplay,
        format!("replaying the migrations does not give the schema: needs {step}"),
    )
    .with_path(MIGRATIONS_DIR)
    .with_help("restore the migrations from version control, or generate a new migration")
}

/// Replaying the migrations failed (`error`: SQLite's message).
pub(crate) fn replay_failed(error: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationReplay,
        format!("replaying the migrations on an empty SQLite failed: {error}"),
    )
    .with_path(MIGRATIONS_DIR)
    .with_help("restore the migrations from version control")
}

// ---------------------------------------------------------------------------
// migrations::runner and migrations::wrangler: `lunora migrate apply/status`
// ---------------------------------------------------------------------------

/// The migrations folder cannot be read (`error`: why).
pub(crate) fn migrations_unreadable(error: String) -> Diagnostic {
    Diagnostic::error(Code::IoRead, error)
        .with_path(MIGRATIONS_DIR)
        .with_help("make sure the folder and its files are readable")
}

/// The lock file (`path`) cannot be taken (`error`).
pub(crate) fn lock_failed(path: &str, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(Code::IoWrite, format!("cannot lock {path}: {error}"))
        .with_path(path)
        .with_help("make sure the app folder is writable")
}

/// Migration `name` (at `path`) failed on `db` (`applied`: how many this run applied before it).
pub(crate) fn migration_apply_failed(
    name: &str,
    path: String,
    db: &str,
    message: &str,
    applied: usize,
) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationApplyFailed,
        format!("migration `{name}` failed on {db}: {message}"),
    )
    .with_path(path)
    .with_help(format!(
        "nothing of it was applied (it runs as one unit with its tracking row); \
         the migrations before it stay applied ({applied} by this run) and later ones \
         did not run. Fix the cause, then run `lunora migrate apply` again"
    ))
}

/// The database `db` cannot be read (`message`); `remote`: Cloudflare's, not the local one.
pub(crate) fn d1_unavailable(db: &str, message: &str, remote: bool) -> Diagnostic {
    let help = if remote {
        "check your Cloudflare login (`wrangler login` or CLOUDFLARE_API_TOKEN) and the `database_id` in `wrangler.jsonc`"
    } else {
        "install wrangler in the app (`pnpm add -D wrangler`) and check `wrangler.jsonc`"
    };
    Diagnostic::error(
        Code::MigrationD1Unavailable,
        format!("cannot read {db}: {message}"),
    )
    .with_path(WRANGLER_FILE)
    .with_help(help)
}

/// An applied migration `name` (at `path`) whose file changed since.
pub(crate) fn applied_changed(name: &str, applied_at: &str, path: String) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationAppliedChanged,
        format!(
            "migration `{name}` was applied {applied_at} but its file changed since (checksum differs from `{TRACKING_TABLE}`)"
        ),
    )
    .with_path(path)
    .with_help("restore the file from version control; to change the database, generate a new migration")
}

/// An applied migration `name` (at `path`) whose file is gone.
pub(crate) fn applied_missing(name: &str, applied_at: &str, path: String) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationAppliedMissing,
        format!("migration `{name}` was applied {applied_at} but its file is gone"),
    )
    .with_path(path)
    .with_help("restore the file from version control")
}

/// A pending migration `name` (at `path`) older than an applied one.
pub(crate) fn out_of_order(name: &str, path: String) -> Diagnostic {
    Diagnostic::error(
        Code::MigrationOutOfOrder,
        format!("migration `{name}` is pending but older than a migration already applied"),
    )
    .with_path(path)
    .with_help("migrations apply in file order: remove it and generate it again after the applied ones (`lunora migrate generate`)")
}

/// `wrangler.jsonc` cannot be read (`error`); `other`: a wrangler config of
/// another format that the app has instead.
pub(crate) fn wrangler_unreadable(
    error: &dyn std::fmt::Display,
    other: Option<&str>,
) -> Diagnostic {
    let help = match other {
        Some(f) => format!("lunora reads `{WRANGLER_FILE}`; convert `{f}` to it"),
        None => "run `lunora init` for a template, or create `wrangler.jsonc` with a `d1_databases` entry".to_owned(),
    };
    Diagnostic::error(
        Code::ConfigSyntax,
        format!("cannot read {WRANGLER_FILE}: {error}"),
    )
    .with_path(WRANGLER_FILE)
    .with_help(help)
}

/// The schema file, named by a migration diagnostic without a label.
const SCHEMA: &str = "lunora/schema.ts";

/// Labels `diag` at `at`, or names the schema file when the span is unknown.
fn at_or_schema(diag: Diagnostic, at: Option<FileSpan>, label: &str) -> Diagnostic {
    match at {
        Some(s) => diag.with_label(s.file, s.span, label),
        None => diag.with_path(SCHEMA),
    }
}

// ---------------------------------------------------------------------------
// deploy
// ---------------------------------------------------------------------------

/// A generated file `lunora deploy` cannot write.
pub(crate) fn deploy_write_failed(e: &WriteError) -> Diagnostic {
    Diagnostic::error(
        Code::IoWrite,
        format!("cannot write this file: {}", e.error),
    )
    .with_path(e.path.clone())
    .with_help(format!("make sure `{GENERATED_DIR}/` is writable"))
}

/// The app has no `wrangler.jsonc`.
pub(crate) fn no_wrangler_config() -> Diagnostic {
    Diagnostic::error(Code::ConfigSyntax, format!("there is no {WRANGLER_FILE}"))
        .with_path(WRANGLER_FILE)
        .with_help("`lunora init` writes one; copy it from a new app")
}

/// `wrangler.jsonc` cannot be read (`error`).
pub(crate) fn wrangler_config_unreadable(error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::IoRead,
        format!("cannot read {WRANGLER_FILE}: {error}"),
    )
    .with_path(WRANGLER_FILE)
    .with_help("make sure the file is readable")
}

// ---------------------------------------------------------------------------
// migrate generate: refusals and data loss
// ---------------------------------------------------------------------------

/// A new required column of a table with rows (`at`: the field, else the table).
pub(crate) fn migration_required_column(refusal: &Refusal, at: Option<FileSpan>) -> Diagnostic {
    let (msg, help) = describe_refusal(refusal);
    at_or_schema(
        Diagnostic::error(Code::MigrationRequiredColumn, msg),
        at,
        "required: rows already in the table have no value",
    )
    .with_help(help)
}

/// A `--rename` that does not fit the diff.
pub(crate) fn migration_bad_rename(refusal: &Refusal) -> Diagnostic {
    let (msg, help) = describe_refusal(refusal);
    Diagnostic::error(Code::MigrationBadRename, msg)
        .with_path(SCHEMA)
        .with_help(help)
}

/// A migration that would delete data (`at`: the table or field it concerns).
pub(crate) fn migration_data_loss(loss: &DataLoss, at: Option<FileSpan>) -> Diagnostic {
    let msg = format!("this migration would delete {}", describe_loss(loss));
    let label = match loss {
        DataLoss::Table { .. } => "its data would be lost",
        DataLoss::Column { .. } => "loses a column",
        DataLoss::Narrowing { .. } | DataLoss::NullRows { .. } | DataLoss::Reencoding { .. } => {
            "changed here"
        }
    };
    at_or_schema(Diagnostic::error(Code::MigrationDataLoss, msg), at, label).with_help(
        "if that is intended, run again with `--allow-data-loss`; to keep data under a new \
         name use `--rename table.old=new` or `--rename old=new`",
    )
}
