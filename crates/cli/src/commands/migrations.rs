//! Applying D1 migrations for `lunora dev` (local) and `lunora deploy`
//! (remote), or saying what would be applied (`deploy --dry-run`).

use std::io::Write;
use std::path::Path;

use lunora_engine::migrations::runner::{self, ApplyOptions, FailureKind, Target};
use lunora_engine::migrations::{self as folder, MIGRATIONS_DIR};

use super::migrate::{apply_command, failure_exit};
use crate::{Exit, Format};

fn names(root: &Path, stderr: &mut dyn Write) -> Result<Vec<String>, Exit> {
    folder::list(&root.join(MIGRATIONS_DIR)).map_err(|e| {
        let _ = writeln!(stderr, "error: {e}");
        Exit::Failure
    })
}

/// Applies pending migrations to the local D1 database that `wrangler dev` uses.
pub fn apply_local(root: &Path, stderr: &mut dyn Write) -> Exit {
    let names = match names(root, stderr) {
        Ok(n) => n,
        Err(exit) => return exit,
    };
    if names.is_empty() {
        let _ = writeln!(
            stderr,
            "[lunora] no D1 migrations in {MIGRATIONS_DIR}/ yet: global tables will be missing (`lunora migrate generate init` writes the first)"
        );
        return Exit::Ok;
    }
    let _ = writeln!(stderr, "[lunora] applying D1 migrations locally");
    run_runner(root, Target::Local, stderr)
}

/// The MigrationRunner (`lunora migrate apply`), all output to `stderr`.
fn run_runner(root: &Path, target: Target, stderr: &mut dyn Write) -> Exit {
    let mut out = Vec::new();
    let color = super::stderr_color(Format::Human);
    let exit = apply_command(
        root,
        target,
        ApplyOptions::default(),
        Format::Human,
        color,
        &mut out,
        stderr,
    );
    let _ = stderr.write_all(&out);
    exit
}

/// Applies pending migrations remotely, or (dry run) says what it would apply.
pub fn apply_remote(root: &Path, dry_run: bool, stderr: &mut dyn Write) -> Exit {
    let names = match names(root, stderr) {
        Ok(n) => n,
        Err(exit) => return exit,
    };
    if dry_run {
        return dry_run_pending(root, &names, stderr);
    }
    run_runner(root, Target::Remote, stderr)
}

/// `deploy --dry-run`: the migrations the runner would apply remotely
/// ([`runner::AppDb::pending`]) when the remote database can be read; every
/// migration file otherwise (no Cloudflare login, or the template's
/// placeholder database id, which names no database).
fn dry_run_pending(root: &Path, names: &[String], stderr: &mut dyn Write) -> Exit {
    if names.is_empty() {
        let _ = writeln!(stderr, "no migration files in {MIGRATIONS_DIR}/");
        return Exit::Ok;
    }
    let pending = runner::open(root, Target::Remote).map(|db| (db.pending(), db.describe()));
    match pending {
        Ok((Ok(pending), db)) if pending.is_empty() => {
            let _ = writeln!(
                stderr,
                "nothing to apply: {db} has all {} migration(s)",
                names.len()
            );
            Exit::Ok
        }
        Ok((Ok(pending), db)) => {
            let _ = writeln!(stderr, "would apply, in this order, to {db}:");
            for name in &pending {
                let _ = writeln!(stderr, "  {}", folder::sql_path(name));
            }
            Exit::Ok
        }
        Ok((Err(f), _)) if f.kind == FailureKind::App => {
            // The real deploy would stop here too (an applied migration changed).
            let color = super::stderr_color(Format::Human);
            let _ = crate::render::render(Format::Human, &f.diagnostics, &f.files, color, stderr);
            failure_exit(f.kind)
        }
        Ok((Err(f), _)) => {
            for d in &f.diagnostics {
                let _ = writeln!(stderr, "note: {}", d.message);
            }
            list_all(names, stderr)
        }
        Err(_) => list_all(names, stderr),
    }
}

fn list_all(names: &[String], stderr: &mut dyn Write) -> Exit {
    let _ = writeln!(
        stderr,
        "would apply, in this order, each of these not yet applied to the remote D1 database:"
    );
    for name in names {
        let _ = writeln!(stderr, "  {}", folder::sql_path(name));
    }
    Exit::Ok
}
