//! Applying D1 migrations for `lunora dev` (local) and `lunora deploy`
//! (remote), or saying what would be applied (`deploy --dry-run`).

use std::io::Write;
use std::path::Path;

use crate::commands::migrate::{MIGRATIONS_DIR, apply_command, list_migrations};
use crate::migrate_runner::Target;
use crate::{Exit, Format};

fn names(root: &Path, stderr: &mut dyn Write) -> Result<Vec<String>, Exit> {
    list_migrations(&root.join(MIGRATIONS_DIR)).map_err(|e| {
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
    let exit = apply_command(root, target, Format::Human, color, &mut out, stderr);
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
        if names.is_empty() {
            let _ = writeln!(stderr, "no migration files in {MIGRATIONS_DIR}/");
        } else {
            let _ = writeln!(
                stderr,
                "would apply, in this order, each of these not yet applied to the remote D1 database:"
            );
            for name in &names {
                let _ = writeln!(stderr, "  {MIGRATIONS_DIR}/{name}.sql");
            }
        }
        return Exit::Ok;
    }
    run_runner(root, Target::Remote, stderr)
}
