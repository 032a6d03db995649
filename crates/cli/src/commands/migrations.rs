//! Applying D1 migrations for `lunora dev` (local) and `lunora deploy`
//! (remote), or saying what would be applied (`deploy --dry-run`).

use std::io::Write;
use std::path::Path;

use crate::Exit;
use crate::commands::migrate::{MIGRATIONS_DIR, list_migrations};

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
    let _ = stderr.flush();
    let mut cmd = super::app_tool(root, "wrangler");
    cmd.args(["d1", "migrations", "apply", "DB", "--local"])
        .current_dir(root)
        .stdin(std::process::Stdio::null());
    match cmd.output() {
        Ok(out) if out.status.success() => Exit::Ok,
        Ok(out) => {
            let _ = stderr.write_all(&out.stdout);
            let _ = stderr.write_all(&out.stderr);
            let _ = writeln!(stderr, "error: applying the local D1 migrations failed");
            Exit::Failure
        }
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot run wrangler: {e}");
            Exit::Failure
        }
    }
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
    let _ = writeln!(
        stderr,
        "error: applying migrations remotely needs the MigrationRunner, which is not built yet"
    );
    Exit::Failure
}
