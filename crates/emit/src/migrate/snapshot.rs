//! The snapshot of the schema's global tables as D1 sees them: SQL column
//! types, nullability and indexes. Written beside every migration as
//! `<stem>.snapshot.json`; the next `migrate generate` diffs against it.
//!
//! Every document also has the system columns `_id TEXT PRIMARY KEY NOT NULL`
//! and `_creationTime REAL NOT NULL`; they are implicit (never in `columns`).

use std::collections::BTreeMap;

use lunora_analyzer::{Ir, Validator};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped when the snapshot shape changes incompatibly.
pub const SNAPSHOT_VERSION: u32 = 1;

/// SQLite column type of a Lunora validator (DESIGN.md type mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SqlType {
    Text,
    Real,
    Integer,
    Blob,
}

impl SqlType {
    pub const fn as_str(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::Real => "REAL",
            SqlType::Integer => "INTEGER",
            SqlType::Blob => "BLOB",
        }
    }

    pub fn parse(s: &str) -> Option<SqlType> {
        match s.to_ascii_uppercase().as_str() {
            "TEXT" => Some(SqlType::Text),
            "REAL" => Some(SqlType::Real),
            "INTEGER" => Some(SqlType::Integer),
            "BLOB" => Some(SqlType::Blob),
            _ => None,
        }
    }

    /// True when every value of `self` converts to `to` without losing
    /// information (`CAST`): only INTEGER → TEXT (the decimal digits). REAL →
    /// TEXT is not: SQLite prints a double with 15 significant digits
    /// (`CAST(0.30000000000000004 AS TEXT)` is `0.3`, on D1 too), and INTEGER →
    /// REAL rounds integers beyond 2^53.
    pub fn widens_to(self, to: SqlType) -> bool {
        matches!((self, to), (SqlType::Integer, SqlType::Text)) || self == to
    }

    /// boolean → INTEGER, number → REAL, int64 → INTEGER, bytes → BLOB,
    /// string/id/literal → TEXT, everything structured (JSON) → TEXT.
    pub fn of(validator: &Validator) -> SqlType {
        match validator {
            Validator::Optional(inner) => SqlType::of(inner),
            Validator::Boolean | Validator::Int64 => SqlType::Integer,
            Validator::Number => SqlType::Real,
            Validator::Bytes => SqlType::Blob,
            Validator::String
            | Validator::Id(_)
            | Validator::Literal(_)
            | Validator::Null
            | Validator::Any
            | Validator::Array(_)
            | Validator::Object(_)
            | Validator::Record(_, _)
            | Validator::Union(_) => SqlType::Text,
        }
    }
}

/// How the runtime writes a field's values into its column: the codec of
/// `columnCodec` in npm/runtime/src/storage/fields.ts, decided by the
/// validator. Two encodings share a SQL type (`text` and `json` are TEXT,
/// `bool` and `int64` INTEGER), so the type alone cannot tell a
/// `v.string()` column from a `v.union(v.string(), v.null())` one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// string, id, a string literal, a union of only those: the string.
    Text,
    /// number: the REAL (`-0` as the BLOB `X'2D30'`).
    Real,
    /// boolean: 0 or 1.
    Bool,
    /// int64: the INTEGER.
    Int64,
    /// bytes: the BLOB.
    Bytes,
    /// Everything else: the tagged JSON text of the value.
    Json,
}

impl Encoding {
    /// The encoding of a field with `validator` (optional or not).
    pub fn of(validator: &Validator) -> Encoding {
        match validator {
            Validator::Optional(inner) => Encoding::of(inner),
            v if v.is_string_like() => Encoding::Text,
            Validator::Number => Encoding::Real,
            Validator::Boolean => Encoding::Bool,
            Validator::Int64 => Encoding::Int64,
            Validator::Bytes => Encoding::Bytes,
            _ => Encoding::Json,
        }
    }

    /// Whether the rebuild's conversion (`sql::convert`) keeps every value:
    /// into JSON from text, booleans and int64s, and between two native
    /// encodings of different SQL types where the type widens (as before
    /// encodings were recorded).
    pub fn converts_losslessly_to(
        self,
        to: Encoding,
        from_type: SqlType,
        to_type: SqlType,
    ) -> bool {
        match (self, to) {
            (a, b) if a == b => true,
            (Encoding::Text | Encoding::Bool | Encoding::Int64, Encoding::Json) => true,
            (Encoding::Json, _) | (_, Encoding::Json) => false,
            (Encoding::Bool, Encoding::Int64) | (Encoding::Int64, Encoding::Bool) => false,
            _ => from_type.widens_to(to_type),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Text => "text",
            Encoding::Real => "real",
            Encoding::Bool => "bool",
            Encoding::Int64 => "int64",
            Encoding::Bytes => "bytes",
            Encoding::Json => "json",
        }
    }
}

/// One user column. Equal columns have the same name, nullability, type and
/// encoding; a column without a recorded encoding (snapshots written before
/// encodings were recorded, and the live database's introspection) equals one
/// with any encoding.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Absent in snapshots written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    pub name: String,
    pub nullable: bool,
    #[serde(rename = "type")]
    pub sql_type: SqlType,
}

impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.nullable == other.nullable
            && self.sql_type == other.sql_type
            && match (self.encoding, other.encoding) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl Column {
    /// The column's encoding change from `self` to `to`: when both are known and
    /// differ, or when a column of an older snapshot (no encoding) changes its
    /// SQL type into JSON — its encoding is then the one its type implies (an
    /// INTEGER taken as an int64), so the rows become JSON rather than a `CAST`
    /// that is not JSON (found by fuzzing: a BLOB cast to TEXT under a
    /// `json_extract` index).
    pub fn reencoded(&self, to: &Column) -> Option<(Encoding, Encoding)> {
        match (self.encoding, to.encoding) {
            (Some(a), Some(b)) if a != b => Some((a, b)),
            (None, Some(Encoding::Json)) if self.sql_type != to.sql_type => {
                let implied = match self.sql_type {
                    SqlType::Text => Encoding::Text,
                    SqlType::Real => Encoding::Real,
                    SqlType::Integer => Encoding::Int64,
                    SqlType::Blob => Encoding::Bytes,
                };
                Some((implied, Encoding::Json))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDef {
    /// Column names in index order (`_creationTime` allowed).
    pub columns: Vec<String>,
    /// The columns (of `columns`) the index reads through `json_extract(c, '$')`:
    /// nullable fields (`v.union(T, v.null())`), whose column holds tagged JSON.
    /// Absent from the JSON when empty, so older snapshots keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json: Vec<String>,
    pub unique: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDef {
    /// User columns in schema declaration order.
    pub columns: Vec<Column>,
    /// By Lunora index name; the SQLite index is `"<table>__<name>"`.
    pub indexes: BTreeMap<String, IndexDef>,
    /// Text search indexes by name: the FTS5 table `"<table>__<name>"` over
    /// `column` (crates/emit/src/search.rs). Absent from the JSON when empty, so
    /// snapshots written before search indexes existed keep their bytes.
    #[serde(
        default,
        rename = "searchIndexes",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub search_indexes: BTreeMap<String, SearchIndexDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchIndexDef {
    /// The search field's column.
    pub column: String,
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The global tables by name.
pub type Tables = BTreeMap<String, TableDef>;

/// Global tables of the IR, as D1 should hold them.
pub fn tables_of(ir: &Ir) -> Tables {
    ir.global_tables()
        .map(|t| {
            let columns = t
                .fields
                .iter()
                .map(|f| Column {
                    encoding: Some(Encoding::of(&f.validator)),
                    name: f.name.clone(),
                    nullable: f.is_optional(),
                    sql_type: SqlType::of(&f.validator),
                })
                .collect();
            let indexes = t
                .indexes
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        IndexDef {
                            columns: i.fields.clone(),
                            json: i
                                .fields
                                .iter()
                                .filter(|f| {
                                    t.field(f).is_some_and(|x| {
                                        Encoding::of(&x.validator) == Encoding::Json
                                    })
                                })
                                .cloned()
                                .collect(),
                            unique: i.unique,
                        },
                    )
                })
                .collect();
            let search_indexes = t
                .search_indexes
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        SearchIndexDef {
                            column: i.search_field.clone(),
                        },
                    )
                })
                .collect();
            (
                t.name.clone(),
                TableDef {
                    columns,
                    indexes,
                    search_indexes,
                },
            )
        })
        .collect()
}

/// One earlier migration, as recorded in a later snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRecord {
    /// File stem, e.g. `20240401123456_init`.
    pub name: String,
    /// sha256 (hex) of its `.snapshot.json` bytes.
    pub snapshot: String,
    /// sha256 (hex) of its `.sql` bytes.
    pub sql: String,
}

/// The content of a `<stem>.snapshot.json`. Fields are declared in
/// alphabetical order so the JSON keys are sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// sha256 (hex) of this snapshot serialized with `checksum: ""`: detects
    /// hand edits of the snapshot itself.
    pub checksum: String,
    /// Every earlier migration in file order, with checksums of both files:
    /// detects edits of any earlier migration.
    pub previous: Vec<MigrationRecord>,
    /// sha256 (hex) of the `.sql` written with this snapshot.
    pub sql: String,
    pub tables: Tables,
    pub version: u32,
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl Snapshot {
    /// Builds a snapshot and fills in its checksum.
    pub fn new(tables: Tables, previous: Vec<MigrationRecord>, sql: &str) -> Snapshot {
        let mut s = Snapshot {
            checksum: String::new(),
            previous,
            sql: sha256_hex(sql.as_bytes()),
            tables,
            version: SNAPSHOT_VERSION,
        };
        s.checksum = s.compute_checksum();
        s
    }

    /// The checksum this snapshot should carry.
    pub fn compute_checksum(&self) -> String {
        let mut body = self.clone();
        body.checksum = String::new();
        sha256_hex(body.to_json().as_bytes())
    }

    /// Pretty JSON with a trailing newline; deterministic.
    pub fn to_json(&self) -> String {
        // Serializing plain structs and BTreeMaps cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SNAPSHOT_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "snapshot format version {v} is not supported (this lunora writes version {SNAPSHOT_VERSION})"
                ));
            }
            None => return Err("missing `version`".to_owned()),
        }
        serde_json::from_value(value).map_err(|e| format!("not a lunora snapshot: {e}"))
    }
}
