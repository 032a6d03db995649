//! D1 migrations for global tables: snapshot model, diff engine (data), SQL
//! rendering and human summary. Pure: the CLI reads and writes the files.

pub mod diff;
pub mod snapshot;
pub mod sql;
pub mod summary;

pub use diff::{ColumnChange, DataLoss, DiffReturn, Pair, Refusal, Renames, Step, diff};
pub use snapshot::{
    Column, Encoding, IndexDef, MigrationRecord, SNAPSHOT_VERSION, SearchIndexDef, Snapshot,
    SqlType, TableDef, Tables, sha256_hex, tables_of,
};
pub use sql::{json_key, render_sql};
pub use summary::{describe, describe_loss, describe_refusal};

/// `"Add Users!"` → `add_users`; `None` when nothing usable is left.
pub fn slugify(name: &str) -> Option<String> {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() { None } else { Some(out) }
}

/// The two files of a new migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFiles {
    pub sql: String,
    pub snapshot: String,
}

pub enum Planned {
    /// The schema equals the previous snapshot.
    NoChanges,
    /// Refusals or data loss without permission: nothing to write.
    Refused(DiffReturn),
    Ready {
        diff: DiffReturn,
        files: MigrationFiles,
    },
}

/// Plans a migration from the previous snapshot (None: first migration) to the
/// schema's global tables. `previous` lists every existing migration in file
/// order with its checksums.
pub fn plan(
    previous_tables: &Tables,
    next: &Tables,
    previous: Vec<MigrationRecord>,
    renames: &Renames,
    allow_data_loss: bool,
) -> Planned {
    let d = diff(
        Pair {
            previous: previous_tables,
            next,
        },
        renames,
    );
    if !d.refusals.is_empty() || (!d.data_loss.is_empty() && !allow_data_loss) {
        return Planned::Refused(d);
    }
    if d.steps.is_empty() {
        return Planned::NoChanges;
    }
    let sql = render_sql(&d.steps);
    let snapshot = Snapshot::new(next.clone(), previous, &sql).to_json();
    Planned::Ready {
        diff: d,
        files: MigrationFiles { sql, snapshot },
    }
}
