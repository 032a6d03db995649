//! `lunora migrate generate | check | apply | status`: wiring and rendering.
//! The folder model, the plan-and-write of `generate`
//! ([`lunora_engine::migrations::generate`]), the replay of `check` and the
//! MigrationRunner of `apply` and `status` live in [`lunora_engine::migrations`].
//!
//! Exit codes: 0 written or no changes; 1 schema errors, refused migration
//! (data loss without `--allow-data-loss`, required column on an existing
//! table, bad `--rename`); 2 no app root, unreadable migrations folder, bad
//! snapshot file, write failure.

use std::path::Path;

use lunora_emit::migrate::{self, Renames, tables_of};
use lunora_engine::migrations::MIGRATIONS_DIR;
use lunora_engine::migrations::generate::{GenerateError, Generated, generate_from_ir as plan};
use lunora_engine::migrations::runner::{
    self as migrate_runner, ApplyOptions, Entry, Failure, FailureKind, State, Target,
};
use lunora_engine::pipeline;
use lunora_parser::{Files, OsFs, has_errors};

use crate::args::{GlobalArgs, MigrateCommand, MigrateGenerateArgs, MigrateTargetArgs};
use crate::exit::Exit;
use crate::render;
use crate::report::{Extra, Reporter};

pub use lunora_engine::migrations::generate::utc_stamp;

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

pub fn run(global: &GlobalArgs, args: MigrateCommand, reporter: &mut Reporter<'_>) -> Exit {
    let root = match super::app_root(global, reporter) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    let args = match args {
        MigrateCommand::Generate(args) => args,
        MigrateCommand::Check => return check(&root, reporter),
        MigrateCommand::Apply(a) => {
            let options = ApplyOptions { lock: !a.no_lock };
            return apply_command(&root, target_of(&a.target), options, reporter);
        }
        MigrateCommand::Status(a) => return status_command(&root, target_of(&a), reporter),
    };
    let stamp = match std::env::var("LUNORA_MIGRATION_TIMESTAMP") {
        Ok(s) if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) => s,
        Ok(s) => {
            reporter.error(format_args!(
                "LUNORA_MIGRATION_TIMESTAMP must be 14 digits (YYYYMMDDHHMMSS), got `{s}`"
            ));
            return Exit::Failure;
        }
        Err(_) => utc_stamp(std::time::SystemTime::now()),
    };
    generate(&root, &args, &stamp, reporter)
}

pub fn generate(
    root: &Path,
    args: &MigrateGenerateArgs,
    stamp: &str,
    reporter: &mut Reporter<'_>,
) -> Exit {
    let Some(slug) = migrate::slugify(&args.name) else {
        reporter.error(format_args!(
            "migration name `{}` has no letters or digits",
            args.name
        ));
        return Exit::Failure;
    };
    let mut renames = Renames::default();
    for spec in &args.renames {
        if let Err(e) = renames.add(spec) {
            reporter.error(e);
            return Exit::Failure;
        }
    }
    let generated = pipeline::generate(root, &OsFs);
    let ir = match generated.ir {
        Some(ir) if !has_errors(&generated.diagnostics) => ir,
        _ => {
            reporter.diagnostics(&generated.diagnostics, &generated.files);
            let (errors, _) = render::summary(&generated.diagnostics);
            if errors == 0 {
                reporter.error("the schema could not be analyzed");
                return Exit::Failure;
            }
            reporter.status(format_args!(
                "{errors} error(s) in the schema; no migration written"
            ));
            return Exit::UserError;
        }
    };
    let stem = format!("{stamp}_{slug}");
    generate_from_ir(
        root,
        &ir,
        &renames,
        args.allow_data_loss,
        &stem,
        &generated.files,
        reporter,
    )
}

/// Everything after analysis ([`lunora_engine::migrations::generate`]),
/// rendered; `files` are the sources a refusal's diagnostics point into.
/// Tests call it with a hand-built IR.
pub fn generate_from_ir(
    root: &Path,
    ir: &lunora_analyzer::Ir,
    renames: &Renames,
    allow_data_loss: bool,
    stem: &str,
    files: &Files,
    reporter: &mut Reporter<'_>,
) -> Exit {
    match plan(root, ir, renames, allow_data_loss, stem) {
        Ok(Generated::NoChanges) => {
            reporter.result("no changes: the global tables match the latest snapshot");
            Exit::Ok
        }
        Ok(Generated::Refused(diagnostics)) => {
            reporter.diagnostics(&diagnostics, files);
            reporter.progress(format_args!("nothing written to {MIGRATIONS_DIR}/"));
            Exit::UserError
        }
        Ok(Generated::Written { steps }) => {
            for step in &steps {
                reporter.status(format_args!("  {step}"));
            }
            reporter.result(format_args!("wrote {MIGRATIONS_DIR}/{stem}.sql"));
            Exit::Ok
        }
        Err(GenerateError::Folder(e)) => {
            reporter.error(e);
            Exit::Failure
        }
        Err(GenerateError::Exists) => {
            reporter.error(format_args!(
                "{MIGRATIONS_DIR}/{stem}.sql already exists; wait a second or pick another name"
            ));
            Exit::Failure
        }
        Err(GenerateError::Write(e)) => {
            reporter.error(format_args!("cannot write {MIGRATIONS_DIR}/{stem}: {e}"));
            Exit::Failure
        }
    }
}

/// `lunora migrate check`: exit 1 with one diagnostic per drift.
pub fn check(root: &Path, reporter: &mut Reporter<'_>) -> Exit {
    let generated = pipeline::generate(root, &OsFs);
    let Some(ir) = generated.ir.filter(|_| !has_errors(&generated.diagnostics)) else {
        reporter.diagnostics(&generated.diagnostics, &generated.files);
        reporter.status("the schema has errors; migrations not checked");
        return Exit::UserError;
    };
    check_ir(root, &ir, reporter)
}

/// `migrate check` after analysis; tests call it with a hand-built IR.
pub fn check_ir(root: &Path, ir: &lunora_analyzer::Ir, reporter: &mut Reporter<'_>) -> Exit {
    match lunora_engine::migrations::replay::check(&root.join(MIGRATIONS_DIR), &tables_of(ir)) {
        Err(e) => {
            reporter.error(e);
            Exit::Failure
        }
        Ok(diagnostics) if diagnostics.is_empty() => {
            reporter.status("migrations are up to date with the schema");
            Exit::Ok
        }
        Ok(diagnostics) => {
            reporter.diagnostics(&diagnostics, &Files::default());
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

/// Reports a runner failure (JSON with the command's `extra` keys).
fn report_failure(f: &Failure, extra: Extra, reporter: &mut Reporter<'_>) -> Exit {
    reporter.outcome(&[], &f.diagnostics, &f.files, extra);
    failure_exit(f.kind)
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
    reporter: &mut Reporter<'_>,
) -> Exit {
    let db = match migrate_runner::open(root, target) {
        Ok(db) => db,
        Err(f) => return report_failure(&f, Extra::new(), reporter),
    };
    let where_ = db.describe();
    let started = std::time::Instant::now();
    let mut applied_names: Vec<String> = Vec::new();
    let mut elsewhere: Vec<String> = Vec::new();
    let mut on_event = |event: migrate_runner::Event<'_>| {
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
        reporter.progress(format_args!("  {what} {name}"));
    };
    let result = db.apply(options, &mut on_event);
    let elapsed = started.elapsed();
    let mut extra = Extra::new();
    extra.insert("database".into(), database_json(&db));
    extra.insert("applied".into(), applied_names.clone().into());
    extra.insert("applied_elsewhere".into(), elsewhere.into());
    match result {
        Err(f) => {
            let exit = report_failure(&f, extra, reporter);
            if f.kind == FailureKind::App {
                reporter.progress(format_args!(
                    "{} migration(s) applied to {where_} before it stopped",
                    applied_names.len()
                ));
            }
            exit
        }
        Ok(applied) => {
            let line = if applied.is_empty() {
                format!(
                    "nothing to apply: {where_} has all {} migration(s)",
                    db.migrations.len()
                )
            } else {
                format!(
                    "applied {} migration(s) to {where_} in {:.1} s",
                    applied.len(),
                    elapsed.as_secs_f64()
                )
            };
            reporter.outcome(&[line], &[], &db.files, extra);
            Exit::Ok
        }
    }
}

/// `lunora migrate status [--local|--remote]`: every migration with its
/// state. Exit 1 when one needs attention (changed, missing, out of order).
pub fn status_command(root: &Path, target: Target, reporter: &mut Reporter<'_>) -> Exit {
    let db = match migrate_runner::open(root, target) {
        Ok(db) => db,
        Err(f) => return report_failure(&f, Extra::new(), reporter),
    };
    let entries = match db.status() {
        Ok(entries) => entries,
        Err(f) => return report_failure(&f, Extra::new(), reporter),
    };
    let blocked: Vec<lunora_parser::Diagnostic> = entries
        .iter()
        .filter(|e| e.state.blocks())
        .map(migrate_runner::blocked_diagnostic)
        .collect();
    let mut lines = vec![format!("migrations of {}:", db.describe())];
    for e in &entries {
        lines.push(format!("  {}  {}", e.name, state_word(&e.state)));
    }
    let count = |f: fn(&State) -> bool| entries.iter().filter(|e| f(&e.state)).count();
    lines.push(format!(
        "{} applied, {} pending, {} need attention",
        count(|s| matches!(s, State::Applied { .. } | State::Changed { .. })),
        count(|s| matches!(s, State::Pending | State::OutOfOrder)),
        blocked.len()
    ));
    let mut extra = Extra::new();
    extra.insert("database".into(), database_json(&db));
    extra.insert("migrations".into(), entries_json(&entries));
    reporter.outcome(&lines, &blocked, &db.files, extra);
    if blocked.is_empty() {
        Exit::Ok
    } else {
        Exit::UserError
    }
}
