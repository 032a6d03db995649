//! `lunora migrate generate` after analysis: diff the schema's global tables
//! against the latest snapshot and write `<stamp>_<slug>.sql` plus its
//! `.snapshot.json` ([`super::write_new`]), or refuse with diagnostics.
//! Returns what happened ([`Generated`]) or why nothing could be
//! ([`GenerateError`]); the CLI renders both.

use std::path::Path;

use lunora_emit::migrate::{
    self, DataLoss, DiffReturn, Planned, Refusal, Renames, describe, tables_of,
};
use lunora_parser::Diagnostic;

use crate::diagnostics;

use super::{MIGRATIONS_DIR, WriteNewError};

/// What [`generate_from_ir`] did.
#[derive(Debug)]
pub enum Generated {
    /// The global tables match the latest snapshot.
    NoChanges,
    /// The migration was refused ([`refusal_diagnostics`]); nothing written.
    Refused(Vec<Diagnostic>),
    /// `<stem>.sql` and its snapshot were written; `steps` describes them.
    Written { steps: Vec<String> },
}

/// Why [`generate_from_ir`] wrote nothing (a tool failure, exit 2).
#[derive(Debug)]
pub enum GenerateError {
    /// The migrations folder or a snapshot in it cannot be read.
    Folder(String),
    /// `<stem>.sql` already exists.
    Exists,
    /// Writing the new files failed.
    Write(std::io::Error),
}

/// Everything after analysis; tests call it with a hand-built IR.
pub fn generate_from_ir(
    root: &Path,
    ir: &lunora_analyzer::Ir,
    renames: &Renames,
    allow_data_loss: bool,
    stem: &str,
) -> Result<Generated, GenerateError> {
    let dir = root.join(MIGRATIONS_DIR);
    let (records, previous) = super::previous_state(&dir).map_err(GenerateError::Folder)?;
    let next = tables_of(ir);
    match migrate::plan(&previous, &next, records, renames, allow_data_loss) {
        Planned::NoChanges => Ok(Generated::NoChanges),
        Planned::Refused(d) => Ok(Generated::Refused(refusal_diagnostics(&d, ir))),
        Planned::Ready { diff, files } => {
            super::write_new(&dir, stem, &files.sql, &files.snapshot).map_err(|e| match e {
                WriteNewError::Exists => GenerateError::Exists,
                WriteNewError::Io(e) => GenerateError::Write(e),
            })?;
            let steps = diff.steps.iter().map(describe).collect();
            Ok(Generated::Written { steps })
        }
    }
}

/// A refused migration as diagnostics: one per refusal (`migrate/required-column`
/// at the field, `migrate/bad-rename`), or, without refusals, one
/// `migrate/data-loss` per loss (at the field or table when it is still in the
/// schema).
pub fn refusal_diagnostics(d: &DiffReturn, ir: &lunora_analyzer::Ir) -> Vec<Diagnostic> {
    // Where a table (or one of its columns) is defined, when the schema says.
    let locate = |table: &str, column: Option<&str>| {
        let t = ir.tables.iter().find(|x| x.name == table);
        column
            .and_then(|c| t.and_then(|t| t.fields.iter().find(|f| f.name == c)))
            .and_then(|f| f.span)
            .or_else(|| t.and_then(|t| t.span))
    };
    if !d.refusals.is_empty() {
        return d
            .refusals
            .iter()
            .map(|r| match r {
                Refusal::RequiredColumn { table, column } => {
                    diagnostics::migration_required_column(r, locate(table, Some(column)))
                }
                Refusal::BadRename { .. } => diagnostics::migration_bad_rename(r),
            })
            .collect();
    }
    d.data_loss
        .iter()
        .map(|loss| {
            let at = match loss {
                DataLoss::Table { table } | DataLoss::Column { table, .. } => locate(table, None),
                DataLoss::Narrowing { table, column, .. }
                | DataLoss::NullRows { table, column }
                | DataLoss::Reencoding { table, column, .. } => locate(table, Some(column)),
            };
            diagnostics::migration_data_loss(loss, at)
        })
        .collect()
}

/// `YYYYMMDDHHMMSS` in UTC: the stamp of a new migration's file name.
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
