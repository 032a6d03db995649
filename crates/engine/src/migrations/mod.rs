//! D1 migrations, one module with one direction of imports (modelled on
//! prisma's migrations directory):
//!
//! - this file: the migrations folder (`lunora/migrations/<stamp>_<slug>.sql`
//!   plus its `.snapshot.json`): listing, the previous state a new migration
//!   is diffed against, and writing a new migration;
//! - [`generate`]: `migrate generate` after analysis: plan, refuse with
//!   diagnostics, or write the new migration (over this folder model);
//! - [`replay`]: `migrate check`, the drift gate (replays every migration on
//!   in-memory SQLite and compares with the schema);
//! - [`executor`]: the [`Executor`] trait and its typed [`ExecError`];
//! - [`runner`]: the MigrationRunner over an [`Executor`] (status, pending,
//!   apply), returning typed errors ([`runner::Failure`] is `App` or `Tool`);
//! - [`wrangler`]: the [`Executor`] that runs `wrangler d1 execute`, and the
//!   classification of wrangler's messages beside the strings it parses.
//!
//! Imports run one way: `runner` → `wrangler` → `executor`, and `runner`
//! and `generate` → this folder model; nothing here imports a command, and neither `replay`
//! nor this file imports the runner.

pub mod executor;
pub mod generate;
pub mod replay;
pub mod runner;
pub mod wrangler;

use std::path::Path;

use lunora_emit::migrate::{MigrationRecord, Snapshot, Tables, sha256_hex};

pub use crate::layout::MIGRATIONS_DIR;
pub use executor::{ExecError, ExecErrorKind, Executor, Row, TRACKING_TABLE};
pub use wrangler::Target;

/// Existing migration stems in file order (names sort by timestamp).
pub fn list(dir: &Path) -> Result<Vec<String>, String> {
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

/// Root-relative path of a migration's `.sql` file.
pub fn sql_path(stem: &str) -> String {
    format!("{MIGRATIONS_DIR}/{stem}.sql")
}

fn read(dir: &Path, file: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(file))
        .map_err(|e| format!("cannot read {MIGRATIONS_DIR}/{file}: {e}"))
}

/// Records of every existing migration and the latest snapshot's tables.
pub fn previous_state(dir: &Path) -> Result<(Vec<MigrationRecord>, Tables), String> {
    let stems = list(dir)?;
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

/// Why [`write_new`] wrote nothing.
#[derive(Debug)]
pub enum WriteNewError {
    /// A migration with this stem exists (two runs within one second).
    Exists,
    /// Creating the folder or writing a file failed; nothing was left behind.
    Io(std::io::Error),
}

/// Writes a new migration `<stem>.sql` + `<stem>.snapshot.json` into `dir`
/// (created if missing). Snapshot first, SQL last: a migration counts only
/// once its `.sql` exists, so an interrupted run leaves no half migration.
pub fn write_new(dir: &Path, stem: &str, sql: &str, snapshot: &str) -> Result<(), WriteNewError> {
    std::fs::create_dir_all(dir).map_err(WriteNewError::Io)?;
    let sql_file = dir.join(format!("{stem}.sql"));
    let snap_file = dir.join(format!("{stem}.snapshot.json"));
    if sql_file.exists() || snap_file.exists() {
        return Err(WriteNewError::Exists);
    }
    crate::writer::write_atomic(&snap_file, snapshot.as_bytes())
        .and_then(|()| crate::writer::write_atomic(&sql_file, sql.as_bytes()))
        .map_err(|e| {
            let _ = std::fs::remove_file(&snap_file);
            WriteNewError::Io(e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_sql_stems_in_order_and_writes_snapshot_then_sql() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("lunora/migrations");
        assert_eq!(list(&dir), Ok(Vec::new()), "no folder yet: no migrations");
        write_new(&dir, "20260102000000_b", "SELECT 2;\n", "{}").expect("write b");
        write_new(&dir, "20260101000000_a", "SELECT 1;\n", "{}").expect("write a");
        assert!(matches!(
            write_new(&dir, "20260101000000_a", "", ""),
            Err(WriteNewError::Exists)
        ));
        std::fs::write(dir.join("notes.txt"), "x").expect("write");
        assert_eq!(
            list(&dir),
            Ok(vec![
                "20260101000000_a".to_owned(),
                "20260102000000_b".to_owned()
            ])
        );
        let left: Vec<String> = std::fs::read_dir(&dir)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".lunora-tmp"))
            .collect();
        assert!(left.is_empty(), "temp files left: {left:?}");
        assert_eq!(sql_path("x"), "lunora/migrations/x.sql");
    }
}
