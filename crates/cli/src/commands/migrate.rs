//! `lunora migrate generate`: diff the schema's global tables against the
//! latest `lunora/migrations/*.snapshot.json` and write `<stamp>_<slug>.sql`
//! plus `<stamp>_<slug>.snapshot.json` (temp file + rename, SQL last renamed
//! after the snapshot is in place). `check` is the CI drift gate; `apply` and
//! `status` drive D1 through wrangler (`lunora_engine::migrations::runner`).
//! The folder model, the replay and the runner live in
//! [`lunora_engine::migrations`]; this module only wires and renders.
//!
//! Exit codes: 0 written or no changes; 1 schema errors, refused migration
//! (data loss without `--allow-data-loss`, required column on an existing
//! table, bad `--rename`); 2 no app root, unreadable migrations folder, bad
//! snapshot file, write failure.

use std::io::Write;
use std::path::Path;

use lunora_emit::migrate::{
    self, DataLoss, DiffReturn, Planned, Refusal, Renames, describe, describe_loss,
    describe_refusal, tables_of,
};
use lunora_engine::migrations::runner::{
    self as migrate_runner, ApplyOptions, Entry, Failure, FailureKind, State, Target,
};
use lunora_engine::migrations::{self as folder, MIGRATIONS_DIR, WriteNewError};
use lunora_engine::pipeline;
use lunora_parser::{Code, Diagnostic, Files, OsFs, has_errors};

use crate::args::{GlobalArgs, MigrateCommand, MigrateGenerateArgs, MigrateTargetArgs};
use crate::render::{self, Color};
use crate::{Exit, Format};

/// The exit code of a runner failure: 1 for the app's problems, 2 for the tooling's.
pub fn failure_exit(kind: FailureKind) -> Exit {
    match kind {
        FailureKind::App => Exit::UserError,
        FailureKind::Tool => Exit::Failure,
    }
}

fn target_of(a: &MigrateTargetArgs) -> Target {
    if a.remote {
        Target::Remote
    } else {
        Target::Local
    }
}

pub fn run(
    global: &GlobalArgs,
    args: MigrateCommand,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let root = match super::app_root(global, stderr) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    let color = super::stderr_color(global.format);
    let args = match args {
        MigrateCommand::Generate(args) => args,
        MigrateCommand::Check => return check(&root, global.format, color, stdout, stderr),
        MigrateCommand::Apply(a) => {
            let options = ApplyOptions { lock: !a.no_lock };
            let target = target_of(&a.target);
            return apply_command(&root, target, options, global.format, color, stdout, stderr);
        }
        MigrateCommand::Status(a) => {
            let target = target_of(&a);
            return status_command(&root, target, global.format, color, stdout, stderr);
        }
    };
    let stamp = match std::env::var("LUNORA_MIGRATION_TIMESTAMP") {
        Ok(s) if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) => s,
        Ok(s) => {
            let _ = writeln!(
                stderr,
                "error: LUNORA_MIGRATION_TIMESTAMP must be 14 digits (YYYYMMDDHHMMSS), got `{s}`"
            );
            return Exit::Failure;
        }
        Err(_) => utc_stamp(std::time::SystemTime::now()),
    };
    generate(&root, &args, &stamp, global.format, color, stdout, stderr)
}

/// `YYYYMMDDHHMMSS` in UTC.
pub fn utc_stamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

pub fn generate(
    root: &Path,
    args: &MigrateGenerateArgs,
    stamp: &str,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let Some(slug) = migrate::slugify(&args.name) else {
        let _ = writeln!(
            stderr,
            "error: migration name `{}` has no letters or digits",
            args.name
        );
        return Exit::Failure;
    };
    let mut renames = Renames::default();
    for spec in &args.renames {
        if let Err(e) = renames.add(spec) {
            let _ = writeln!(stderr, "error: {e}");
            return Exit::Failure;
        }
    }
    let generated = pipeline::generate(root, &OsFs);
    let ir = match generated.ir {
        Some(ir) if !has_errors(&generated.diagnostics) => ir,
        _ => {
            let out: &mut dyn Write = if format == Format::Human {
                stderr
            } else {
                stdout
            };
            let _ = render::render(format, &generated.diagnostics, &generated.files, color, out);
            let (errors, _) = render::summary(&generated.diagnostics);
            if errors == 0 {
                let _ = writeln!(stderr, "error: the schema could not be analyzed");
                return Exit::Failure;
            }
            let _ = writeln!(
                stderr,
                "{errors} error(s) in the schema; no migration written"
            );
            return Exit::UserError;
        }
    };
    let report = Report {
        format,
        color,
        files: &generated.files,
    };
    generate_from_ir(
        root,
        &ir,
        &renames,
        args.allow_data_loss,
        &stamp_slug(stamp, &slug),
        &report,
        stdout,
        stderr,
    )
}

fn stamp_slug(stamp: &str, slug: &str) -> String {
    format!("{stamp}_{slug}")
}

/// How `generate_from_ir` renders a refusal: the format, colors and the
/// sources its diagnostics point into.
pub struct Report<'a> {
    pub format: Format,
    pub color: Color,
    pub files: &'a Files,
}

/// A refused migration as diagnostics: one per refusal (`migrate/required-column`
/// at the field, `migrate/bad-rename`), or, without refusals, one
/// `migrate/data-loss` per loss (at the field or table when it is still in the
/// schema).
pub fn refusal_diagnostics(d: &DiffReturn, ir: &lunora_analyzer::Ir) -> Vec<Diagnostic> {
    const SCHEMA: &str = "lunora/schema.ts";
    let table_of = |t: &str| ir.tables.iter().find(|x| x.name == t);
    let at = |diag: Diagnostic, table: &str, column: Option<&str>, label: &str| {
        let t = table_of(table);
        let span = column
            .and_then(|c| t.and_then(|t| t.fields.iter().find(|f| f.name == c)))
            .and_then(|f| f.span)
            .or_else(|| t.and_then(|t| t.span));
        match span {
            Some(s) => diag.with_label(s.file, s.span, label),
            None => diag.with_path(SCHEMA),
        }
    };
    if !d.refusals.is_empty() {
        return d
            .refusals
            .iter()
            .map(|r| {
                let (msg, help) = describe_refusal(r);
                match r {
                    Refusal::RequiredColumn { table, column } => at(
                        Diagnostic::error(Code::MigrationRequiredColumn, msg),
                        table,
                        Some(column),
                        "required: rows already in the table have no value",
                    )
                    .with_help(help),
                    Refusal::BadRename { .. } => Diagnostic::error(Code::MigrationBadRename, msg)
                        .with_path(SCHEMA)
                        .with_help(help),
                }
            })
            .collect();
    }
    let help = "if that is intended, run again with `--allow-data-loss`; to keep data under a new \
                name use `--rename table.old=new` or `--rename old=new`";
    d.data_loss
        .iter()
        .map(|loss| {
            let msg = format!("this migration would delete {}", describe_loss(loss));
            let diag = Diagnostic::error(Code::MigrationDataLoss, msg);
            let diag = match loss {
                DataLoss::Table { table } => at(diag, table, None, "its data would be lost"),
                DataLoss::Column { table, .. } => at(diag, table, None, "loses a column"),
                DataLoss::Narrowing { table, column, .. }
                | DataLoss::NullRows { table, column } => {
                    at(diag, table, Some(column), "changed here")
                }
            };
            diag.with_help(help)
        })
        .collect()
}

/// Everything after analysis; tests call it with a hand-built IR.
#[expect(
    clippy::too_many_arguments,
    reason = "the command's inputs and its two output streams"
)]
pub fn generate_from_ir(
    root: &Path,
    ir: &lunora_analyzer::Ir,
    renames: &Renames,
    allow_data_loss: bool,
    stem: &str,
    report: &Report<'_>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let dir = root.join(MIGRATIONS_DIR);
    let (records, previous) = match folder::previous_state(&dir) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return Exit::Failure;
        }
    };
    let next = tables_of(ir);
    match migrate::plan(&previous, &next, records, renames, allow_data_loss) {
        Planned::NoChanges => {
            let _ = writeln!(
                stdout,
                "no changes: the global tables match the latest snapshot"
            );
            Exit::Ok
        }
        Planned::Refused(d) => {
            let diagnostics = refusal_diagnostics(&d, ir);
            let out: &mut dyn Write = if report.format == Format::Human {
                stderr
            } else {
                stdout
            };
            let _ = render::render(report.format, &diagnostics, report.files, report.color, out);
            if report.format == Format::Human {
                let _ = writeln!(stderr, "nothing written to {MIGRATIONS_DIR}/");
            }
            Exit::UserError
        }
        Planned::Ready { diff, files } => {
            match folder::write_new(&dir, stem, &files.sql, &files.snapshot) {
                Ok(()) => {}
                Err(WriteNewError::Exists) => {
                    let _ = writeln!(
                        stderr,
                        "error: {MIGRATIONS_DIR}/{stem}.sql already exists; wait a second or pick another name"
                    );
                    return Exit::Failure;
                }
                Err(WriteNewError::Io(e)) => {
                    let _ = writeln!(stderr, "error: cannot write {MIGRATIONS_DIR}/{stem}: {e}");
                    return Exit::Failure;
                }
            }
            for step in &diff.steps {
                let _ = writeln!(stderr, "  {}", describe(step));
            }
            let _ = writeln!(stdout, "wrote {MIGRATIONS_DIR}/{stem}.sql");
            Exit::Ok
        }
    }
}

/// `lunora migrate check`: exit 1 with one diagnostic per drift.
pub fn check(
    root: &Path,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let generated = pipeline::generate(root, &OsFs);
    let out: &mut dyn Write = if format == Format::Human {
        &mut *stderr
    } else {
        &mut *stdout
    };
    let Some(ir) = generated.ir.filter(|_| !has_errors(&generated.diagnostics)) else {
        let _ = render::render(format, &generated.diagnostics, &generated.files, color, out);
        let _ = writeln!(stderr, "the schema has errors; migrations not checked");
        return Exit::UserError;
    };
    check_ir(root, &ir, format, color, stdout, stderr)
}

/// `migrate check` after analysis; tests call it with a hand-built IR.
pub fn check_ir(
    root: &Path,
    ir: &lunora_analyzer::Ir,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    match lunora_engine::migrations::replay::check(&root.join(MIGRATIONS_DIR), &tables_of(ir)) {
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            Exit::Failure
        }
        Ok(diagnostics) if diagnostics.is_empty() => {
            let _ = writeln!(stderr, "migrations are up to date with the schema");
            Exit::Ok
        }
        Ok(diagnostics) => {
            let files = lunora_parser::Files::default();
            let out: &mut dyn Write = if format == Format::Human {
                &mut *stderr
            } else {
                &mut *stdout
            };
            let _ = render::render(format, &diagnostics, &files, color, out);
            Exit::UserError
        }
    }
}

fn state_word(state: &State) -> String {
    match state {
        State::Applied { applied_at } => format!("applied {applied_at}"),
        State::Pending => "pending".to_owned(),
        State::Changed { applied_at } => {
            format!("CHANGED since it was applied {applied_at}")
        }
        State::Missing { applied_at } => format!("MISSING file (applied {applied_at})"),
        State::OutOfOrder => "pending, OUT OF ORDER (older than an applied migration)".to_owned(),
    }
}

/// Renders a failure: human diagnostics on stderr, JSON/GitHub on stdout
/// (JSON with the extra keys of the command, if any).
fn render_failure(
    f: &Failure,
    format: Format,
    color: Color,
    extra: serde_json::Map<String, serde_json::Value>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let _ = match format {
        Format::Human => render::render(format, &f.diagnostics, &f.files, color, stderr),
        Format::Json => write_json(&f.diagnostics, &f.files, extra, stdout),
        Format::Github => render::render(format, &f.diagnostics, &f.files, color, stdout),
    };
    failure_exit(f.kind)
}

/// The diagnostics document (`version`, `diagnostics`, `summary`) plus the
/// command's own keys; keys sorted (serde_json's map is a BTreeMap).
fn write_json(
    diagnostics: &[lunora_parser::Diagnostic],
    files: &lunora_parser::Files,
    extra: serde_json::Map<String, serde_json::Value>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut doc = match serde_json::to_value(render::json::report(diagnostics, files)) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    doc.extend(extra);
    let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(doc))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    out.write_all(text.as_bytes())
}

fn database_json(db: &migrate_runner::AppDb) -> serde_json::Value {
    serde_json::json!({ "binding": db.binding, "target": db.target.flag().trim_start_matches('-') })
}

fn entries_json(entries: &[Entry]) -> serde_json::Value {
    entries
        .iter()
        .map(|e| {
            let mut m = serde_json::Map::new();
            m.insert("name".into(), e.name.clone().into());
            m.insert("state".into(), e.state.word().into());
            if let Some(at) = e.state.applied_at() {
                m.insert("applied_at".into(), at.into());
            }
            serde_json::Value::Object(m)
        })
        .collect()
}

/// `lunora migrate apply [--local|--remote]` for an already-found root; `lunora
/// dev` calls it with [`Target::Local`]. Progress on stderr, the result on
/// stdout (`--format json`: one document with `applied` and `database`).
/// Exit 0 applied or nothing to apply; 1 a migration failed or an applied one
/// changed; 2 D1 unreachable.
pub fn apply_command(
    root: &Path,
    target: Target,
    options: ApplyOptions,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let db = match migrate_runner::open(root, target) {
        Ok(db) => db,
        Err(f) => return render_failure(&f, format, color, serde_json::Map::new(), stdout, stderr),
    };
    let where_ = db.describe();
    let started = std::time::Instant::now();
    let mut applied_names: Vec<String> = Vec::new();
    let mut elsewhere: Vec<String> = Vec::new();
    let mut report = |event: migrate_runner::Event<'_>| {
        let (name, what) = match event {
            migrate_runner::Event::Applied(name) => {
                applied_names.push(name.to_owned());
                (name, "applied")
            }
            migrate_runner::Event::AppliedElsewhere(name) => {
                elsewhere.push(name.to_owned());
                (name, "applied meanwhile by another run:")
            }
            migrate_runner::Event::Waiting => (
                migrate_runner::LOCK_FILE,
                "waiting for another `lunora migrate apply`, which holds",
            ),
        };
        if format == Format::Human {
            let _ = writeln!(stderr, "  {what} {name}");
        }
    };
    let result = db.apply(options, &mut report);
    let elapsed = started.elapsed();
    let mut extra = serde_json::Map::new();
    extra.insert("database".into(), database_json(&db));
    extra.insert("applied".into(), applied_names.clone().into());
    extra.insert("applied_elsewhere".into(), elsewhere.into());
    match result {
        Err(f) => {
            let exit = render_failure(&f, format, color, extra, stdout, stderr);
            if format == Format::Human && f.kind == FailureKind::App {
                let _ = writeln!(
                    stderr,
                    "{} migration(s) applied to {where_} before it stopped",
                    applied_names.len()
                );
            }
            exit
        }
        Ok(applied) => {
            match format {
                Format::Json => {
                    let _ = write_json(&[], &db.files, extra, stdout);
                }
                Format::Human | Format::Github if applied.is_empty() => {
                    let _ = writeln!(
                        stdout,
                        "nothing to apply: {where_} has all {} migration(s)",
                        db.migrations.len()
                    );
                }
                Format::Human | Format::Github => {
                    let _ = writeln!(
                        stdout,
                        "applied {} migration(s) to {where_} in {:.1} s",
                        applied.len(),
                        elapsed.as_secs_f64()
                    );
                }
            }
            Exit::Ok
        }
    }
}

/// `lunora migrate status [--local|--remote]`: every migration with its
/// state. Exit 1 when one needs attention (changed, missing, out of order).
pub fn status_command(
    root: &Path,
    target: Target,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let db = match migrate_runner::open(root, target) {
        Ok(db) => db,
        Err(f) => return render_failure(&f, format, color, serde_json::Map::new(), stdout, stderr),
    };
    let entries = match db.status() {
        Ok(entries) => entries,
        Err(f) => return render_failure(&f, format, color, serde_json::Map::new(), stdout, stderr),
    };
    let blocked: Vec<lunora_parser::Diagnostic> = entries
        .iter()
        .filter(|e| e.state.blocks())
        .map(migrate_runner::blocked_diagnostic)
        .collect();
    match format {
        Format::Json => {
            let mut extra = serde_json::Map::new();
            extra.insert("database".into(), database_json(&db));
            extra.insert("migrations".into(), entries_json(&entries));
            let _ = write_json(&blocked, &db.files, extra, stdout);
        }
        Format::Human | Format::Github => {
            let _ = writeln!(stdout, "migrations of {}:", db.describe());
            for e in &entries {
                let _ = writeln!(stdout, "  {}  {}", e.name, state_word(&e.state));
            }
            let count = |f: fn(&State) -> bool| entries.iter().filter(|e| f(&e.state)).count();
            let _ = writeln!(
                stdout,
                "{} applied, {} pending, {} need attention",
                count(|s| matches!(s, State::Applied { .. } | State::Changed { .. })),
                count(|s| matches!(s, State::Pending | State::OutOfOrder)),
                blocked.len()
            );
            if !blocked.is_empty() {
                let out: &mut dyn Write = if format == Format::Human {
                    &mut *stderr
                } else {
                    &mut *stdout
                };
                let _ = render::render(format, &blocked, &db.files, color, out);
            }
        }
    }
    if blocked.is_empty() {
        Exit::Ok
    } else {
        Exit::UserError
    }
}
