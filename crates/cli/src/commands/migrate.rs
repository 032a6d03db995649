//! `lunora migrate generate`: diff the schema's global tables against the
//! latest `lunora/migrations/*.snapshot.json` and write `<stamp>_<slug>.sql`
//! plus `<stamp>_<slug>.snapshot.json` (temp file + rename, SQL last renamed
//! after the snapshot is in place). `check`, `apply` and `status` are not
//! built yet.
//!
//! Exit codes: 0 written or no changes; 1 schema errors, refused migration
//! (data loss without `--allow-data-loss`, required column on an existing
//! table, bad `--rename`); 2 no app root, unreadable migrations folder, bad
//! snapshot file, write failure.

use std::io::Write;
use std::path::{Path, PathBuf};

use lunora_emit::migrate::{
    self, MigrationRecord, Planned, Renames, Snapshot, Tables, describe, describe_loss,
    describe_refusal, sha256_hex, tables_of,
};
use lunora_parser::{OsFs, has_errors};

use crate::args::{GlobalArgs, MigrateCommand, MigrateGenerateArgs};
use crate::render::{self, Color};
use crate::{Exit, Format, pipeline};

/// Root-relative folder of migrations.
pub const MIGRATIONS_DIR: &str = "lunora/migrations";

pub fn run(
    global: &GlobalArgs,
    args: MigrateCommand,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let args = match args {
        MigrateCommand::Generate(args) => Some(args),
        MigrateCommand::Check => None,
        _ => return super::not_implemented("migrate apply/status", stderr),
    };
    let root = match super::app_root(global, stderr) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    let color = super::stderr_color(global.format);
    let Some(args) = args else {
        return check(&root, global.format, color, stdout, stderr);
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

/// Existing migration stems in file order (names sort by timestamp).
pub fn list_migrations(dir: &Path) -> Result<Vec<String>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {MIGRATIONS_DIR}/: {e}")),
    };
    let mut stems = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {MIGRATIONS_DIR}/: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".sql") {
            stems.push(stem.to_owned());
        }
    }
    stems.sort();
    Ok(stems)
}

fn read(dir: &Path, file: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(file))
        .map_err(|e| format!("cannot read {MIGRATIONS_DIR}/{file}: {e}"))
}

/// Records of every existing migration and the latest snapshot's tables.
fn previous_state(dir: &Path) -> Result<(Vec<MigrationRecord>, Tables), String> {
    let stems = list_migrations(dir)?;
    let mut records = Vec::new();
    let mut tables = Tables::new();
    for stem in &stems {
        let sql = read(dir, &format!("{stem}.sql"))?;
        let snap_text = read(dir, &format!("{stem}.snapshot.json"))?;
        let snap = Snapshot::from_json(&snap_text)
            .map_err(|e| format!("{MIGRATIONS_DIR}/{stem}.snapshot.json: {e}"))?;
        records.push(MigrationRecord {
            name: stem.clone(),
            snapshot: sha256_hex(snap_text.as_bytes()),
            sql: sha256_hex(sql.as_bytes()),
        });
        tables = snap.tables;
    }
    Ok((records, tables))
}

/// Writes `contents` to `path` through a temp file in the same folder.
fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_extension("lunora-tmp");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
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
    generate_from_ir(
        root,
        &ir,
        &renames,
        args.allow_data_loss,
        &stamp_slug(stamp, &slug),
        stdout,
        stderr,
    )
}

fn stamp_slug(stamp: &str, slug: &str) -> String {
    format!("{stamp}_{slug}")
}

/// Everything after analysis; tests call it with a hand-built IR.
pub fn generate_from_ir(
    root: &Path,
    ir: &lunora_analyzer::Ir,
    renames: &Renames,
    allow_data_loss: bool,
    stem: &str,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let dir = root.join(MIGRATIONS_DIR);
    let (records, previous) = match previous_state(&dir) {
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
            for r in &d.refusals {
                let (msg, help) = describe_refusal(r);
                let _ = writeln!(stderr, "error: {msg}\n  help: {help}");
            }
            if d.refusals.is_empty() {
                let _ = writeln!(
                    stderr,
                    "error: this migration would lose data; nothing written. It would delete:"
                );
                for loss in &d.data_loss {
                    let _ = writeln!(stderr, "  - {}", describe_loss(loss));
                }
                let _ = writeln!(
                    stderr,
                    "  help: if that is intended, run again with `--allow-data-loss`; \
                     to keep data under a new name use `--rename table.old=new` or `--rename old=new`"
                );
            }
            Exit::UserError
        }
        Planned::Ready { diff, files } => {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                let _ = writeln!(stderr, "error: cannot create {MIGRATIONS_DIR}/: {e}");
                return Exit::Failure;
            }
            let sql_path = dir.join(format!("{stem}.sql"));
            let snap_path = dir.join(format!("{stem}.snapshot.json"));
            if sql_path.exists() || snap_path.exists() {
                let _ = writeln!(
                    stderr,
                    "error: {MIGRATIONS_DIR}/{stem}.sql already exists; wait a second or pick another name"
                );
                return Exit::Failure;
            }
            // Snapshot first, SQL last: a migration counts only once its
            // `.sql` exists, so an interrupted run leaves no half migration.
            let written = write_atomic(&snap_path, &files.snapshot)
                .and_then(|()| write_atomic(&sql_path, &files.sql));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&snap_path);
                let _ = writeln!(stderr, "error: cannot write {MIGRATIONS_DIR}/{stem}: {e}");
                return Exit::Failure;
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
    match crate::migrate_check::check(&root.join(MIGRATIONS_DIR), &tables_of(ir)) {
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
