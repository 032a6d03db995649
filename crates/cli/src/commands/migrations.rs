//! Applying D1 migrations for `lunora dev` (local) and `lunora deploy`
//! (remote), or saying what would be applied (`deploy --dry-run`,
//! [`runner::dry_run`]). All output goes to the reporter's stderr.

use std::path::Path;

use lunora_engine::migrations::runner::{self, ApplyOptions, DryRun, Target};
use lunora_engine::migrations::{self as folder, MIGRATIONS_DIR};

use super::migrate::{apply_command, failure_exit};
use crate::exit::Exit;
use crate::report::Reporter;

fn names(root: &Path, reporter: &mut Reporter<'_>) -> Result<Vec<String>, Exit> {
    folder::list(&root.join(MIGRATIONS_DIR)).map_err(|e| {
        reporter.error(e);
        Exit::Failure
    })
}

/// Applies pending migrations to the local D1 database that `wrangler dev` uses.
pub fn apply_local(root: &Path, reporter: &mut Reporter<'_>) -> Exit {
    let names = match names(root, reporter) {
        Ok(n) => n,
        Err(exit) => return exit,
    };
    if names.is_empty() {
        reporter.status(format_args!(
            "[lunora] no D1 migrations in {MIGRATIONS_DIR}/ yet: global tables will be missing (`lunora migrate generate init` writes the first)"
        ));
        return Exit::Ok;
    }
    reporter.status("[lunora] applying D1 migrations locally");
    run_runner(root, Target::Local, reporter)
}

/// The MigrationRunner (`lunora migrate apply`), all output to stderr.
fn run_runner(root: &Path, target: Target, reporter: &mut Reporter<'_>) -> Exit {
    reporter.human_on_stderr(|r| apply_command(root, target, ApplyOptions::default(), r))
}

/// Applies pending migrations remotely, or (dry run) says what it would apply.
pub fn apply_remote(root: &Path, dry_run: bool, reporter: &mut Reporter<'_>) -> Exit {
    let names = match names(root, reporter) {
        Ok(n) => n,
        Err(exit) => return exit,
    };
    if dry_run {
        return dry_run_pending(root, &names, reporter);
    }
    run_runner(root, Target::Remote, reporter)
}

/// `deploy --dry-run`: the migrations the runner would apply remotely when
/// the remote database can be read; every migration file otherwise.
fn dry_run_pending(root: &Path, names: &[String], reporter: &mut Reporter<'_>) -> Exit {
    if names.is_empty() {
        reporter.status(format_args!("no migration files in {MIGRATIONS_DIR}/"));
        return Exit::Ok;
    }
    let list = |heading: String, names: &[String], reporter: &mut Reporter<'_>| {
        reporter.status(heading);
        for name in names {
            reporter.status(format_args!("  {}", folder::sql_path(name)));
        }
        Exit::Ok
    };
    match runner::dry_run(root) {
        DryRun::Pending { db, pending } if pending.is_empty() => {
            reporter.status(format_args!(
                "nothing to apply: {db} has all {} migration(s)",
                names.len()
            ));
            Exit::Ok
        }
        DryRun::Pending { db, pending } => list(
            format!("would apply, in this order, to {db}:"),
            &pending,
            reporter,
        ),
        DryRun::Blocked(f) => {
            // The real deploy would stop here too (an applied migration changed).
            reporter.human_on_stderr(|r| r.diagnostics(&f.diagnostics, &f.files));
            failure_exit(f.kind)
        }
        DryRun::Unknown { notes } => {
            for note in notes {
                reporter.status(format_args!("note: {note}"));
            }
            list(
                "would apply, in this order, each of these not yet applied to the remote D1 database:"
                    .to_owned(),
                names,
                reporter,
            )
        }
    }
}
