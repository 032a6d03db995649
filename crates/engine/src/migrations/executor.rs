//! What the MigrationRunner runs SQL through: the [`Executor`] trait and its
//! typed error. The executor, which knows its database's messages, says
//! what kind of failure each one is ([`ExecErrorKind`]); the runner decides
//! what to do about each kind.

use std::collections::BTreeMap;

/// The table of applied migrations (name, checksum, applied_at).
pub const TRACKING_TABLE: &str = "_lunora_migrations";

/// A result row: column name → value as text (NULL is empty).
pub type Row = BTreeMap<String, String>;

/// Something that runs SQL against one database.
pub trait Executor {
    /// Runs a script of several statements as one unit: either every
    /// statement takes effect or none does.
    fn run_script(&mut self, sql: &str) -> Result<(), ExecError>;
    /// Runs `prelude` (statements without results, may be empty) then the
    /// single statement `select`, and returns the rows of `select`.
    fn query(&mut self, prelude: &str, select: &str) -> Result<Vec<Row>, ExecError>;
}

/// A failed [`Executor`] call: what kind of failure, and the database's (or
/// the tool's) message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    pub kind: ExecErrorKind,
    pub message: String,
}

impl ExecError {
    pub fn new(kind: ExecErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A failure of no particular kind (never retried).
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ExecErrorKind::Other, message)
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kinds of failure the runner treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecErrorKind {
    /// The unit failed on the [`TRACKING_TABLE`] row's PRIMARY KEY: a row for
    /// this migration is already there, so another run applied it (and
    /// nothing of this unit ran: the row is its first statement).
    TrackingRowExists,
    /// Another connection held the database's write lock: the unit's
    /// transaction rolled back, running it again is safe.
    Busy,
    /// The database's runtime failed to start before any statement was sent:
    /// running again is safe.
    RuntimeStart,
    /// An opaque internal error: nothing says whether a write committed, so
    /// only idempotent reads may run again.
    Internal,
    /// Anything else (a SQL error, a missing tool): reported as is.
    Other,
}
