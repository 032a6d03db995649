//! `lunora migrate check`: the CI drift gate. Returns one diagnostic per
//! problem: schema ≠ latest snapshot, files edited after generation
//! (checksums), replay on an empty in-memory SQLite ≠ the schema.

use std::path::Path;

use lunora_emit::migrate::{
    Column, IndexDef, Pair, Renames, SearchIndexDef, Snapshot, SqlType, TableDef, Tables, describe,
    diff, sha256_hex,
};
use lunora_parser::Diagnostic;

use crate::diagnostics;

use super::{MIGRATIONS_DIR, list as list_migrations};

/// Checks the migrations in `dir` against the schema's global tables.
/// `Err` is a tool failure (unreadable folder).
pub fn check(dir: &Path, expected: &Tables) -> Result<Vec<Diagnostic>, String> {
    let stems = list_migrations(dir)?;
    let mut out = Vec::new();
    let mut sqls = Vec::new();
    let mut latest: Option<Tables> = None;
    let mut seen = Vec::new();
    for stem in &stems {
        let sql_file = format!("{MIGRATIONS_DIR}/{stem}.sql");
        let snap_file = format!("{MIGRATIONS_DIR}/{stem}.snapshot.json");
        let sql = std::fs::read_to_string(dir.join(format!("{stem}.sql")))
            .map_err(|e| format!("cannot read {sql_file}: {e}"))?;
        let snap_text = match std::fs::read_to_string(dir.join(format!("{stem}.snapshot.json"))) {
            Ok(t) => t,
            Err(e) => {
                out.push(diagnostics::snapshot_unreadable(snap_file, &e));
                sqls.push(sql);
                continue;
            }
        };
        match Snapshot::from_json(&snap_text) {
            Err(e) => out.push(diagnostics::snapshot_invalid(snap_file.clone(), &e)),
            Ok(snap) => {
                if snap.checksum != snap.compute_checksum() {
                    out.push(diagnostics::snapshot_edited(snap_file.clone()));
                }
                if snap.sql != sha256_hex(sql.as_bytes()) {
                    out.push(diagnostics::migration_sql_edited(sql_file.clone()));
                }
                if snap.previous != seen {
                    out.push(diagnostics::earlier_migrations_edited(snap_file.clone()));
                }
                latest = Some(snap.tables);
            }
        }
        seen.push(lunora_emit::migrate::MigrationRecord {
            name: stem.clone(),
            snapshot: sha256_hex(snap_text.as_bytes()),
            sql: sha256_hex(sql.as_bytes()),
        });
        sqls.push(sql);
    }
    let latest = latest.unwrap_or_default();
    let drift = diff(
        Pair {
            previous: &latest,
            next: expected,
        },
        &Renames::default(),
    );
    if !drift.steps.is_empty() || !drift.refusals.is_empty() || !drift.data_loss.is_empty() {
        let what: Vec<String> = drift.steps.iter().map(describe).collect();
        out.push(diagnostics::migration_drift(&what));
    }
    match replay(&sqls) {
        Ok(actual) => {
            // Compared with the latest snapshot, which the drift check above
            // compares with the schema: together, replay == schema, and
            // schema drift is reported once.
            let d = diff(
                Pair {
                    previous: &actual,
                    next: &latest,
                },
                &Renames::default(),
            );
            for step in &d.steps {
                out.push(diagnostics::replay_differs(&describe(step)));
            }
        }
        Err(e) => out.push(diagnostics::replay_failed(&e)),
    }
    Ok(out)
}

/// Runs each migration in order on an empty in-memory SQLite and reads back
/// the global tables.
pub fn replay(sqls: &[String]) -> Result<Tables, String> {
    let db = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    for (i, sql) in sqls.iter().enumerate() {
        db.execute_batch(sql)
            .map_err(|e| format!("migration {}: {e}", i + 1))?;
    }
    introspect(&db).map_err(|e| e.to_string())
}

/// The app's tables of a SQLite database (system columns checked, not
/// listed): every table but SQLite's and the runtime's own `_lunora_*` ones
/// (the built-in `_identities` is the app's).
pub fn introspect(db: &rusqlite::Connection) -> rusqlite::Result<Tables> {
    let mut tables = Tables::new();
    // Search indexes' FTS5 tables and their shadow tables are not app tables.
    let fts: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let names: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_lunora\\_%' ESCAPE '\\' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let is_fts = |name: &str| {
        fts.iter().any(|f| {
            name == f
                || ["_data", "_idx", "_content", "_docsize", "_config"]
                    .iter()
                    .any(|suffix| name.strip_prefix(f.as_str()) == Some(*suffix))
        })
    };
    for name in names {
        if is_fts(&name) {
            continue;
        }
        let mut def = TableDef::default();
        let cols: Vec<(String, String, bool)> = db
            .prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (col, ty, notnull) in cols {
            if col == "_id" || col == "_creationTime" {
                continue;
            }
            // An unknown type shows up as BLOB, which the diff then reports.
            let sql_type = SqlType::parse(&ty).unwrap_or(SqlType::Blob);
            def.columns.push(Column {
                // The database cannot tell an encoding (equal to any: `Column`'s PartialEq).
                encoding: None,
                name: col,
                nullable: !notnull,
                sql_type,
            });
        }
        let indexes: Vec<(String, bool)> = db
            .prepare("SELECT name, \"unique\" FROM pragma_index_list(?1) WHERE origin = 'c' ORDER BY name")?
            .query_map([&name], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))?
            .collect::<rusqlite::Result<_>>()?;
        for (index, unique) in indexes {
            let named: Vec<Option<String>> = db
                .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?
                .query_map([&index], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let (columns, json) = if named.iter().all(Option::is_some) {
                (named.into_iter().flatten().collect(), Vec::new())
            } else {
                // An expression (a nullable field's `json_extract`): read from the index's SQL.
                let sql: String = db.query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                    [&index],
                    |r| r.get(0),
                )?;
                index_keys(&sql)
            };
            let key = index
                .strip_prefix(&format!("{name}__"))
                .map(str::to_owned)
                .unwrap_or(index);
            def.indexes.insert(
                key,
                IndexDef {
                    columns,
                    json,
                    unique,
                },
            );
        }
        // A search index: its insert trigger `<t>__<i>__insert` (crates/emit/src/search.rs)
        // over the FTS5 table `<t>__<i>`, the column read from the trigger's `new."<col>"`.
        let triggers: Vec<(String, String)> = db
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
            )?
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (trigger, sql) in triggers {
            let Some(index) = trigger
                .strip_prefix(&format!("{name}__"))
                .and_then(|t| t.strip_suffix("__insert"))
            else {
                continue;
            };
            if !fts.contains(&format!("{name}__{index}")) {
                continue;
            }
            let Some(col) = sql
                .split_once("VALUES (new.rowid, new.")
                .and_then(|(_, rest)| rest.strip_prefix('"'))
                .and_then(|rest| {
                    rest.split_once("\"); END")
                        .map(|(c, _)| c.replace("\"\"", "\""))
                })
            else {
                continue;
            };
            def.search_indexes
                .insert(index.to_string(), SearchIndexDef { column: col });
        }
        tables.insert(name, def);
    }
    Ok(tables)
}

/// The columns of a `CREATE INDEX .. ON "t" (<keys>)` the migrations wrote, and
/// which of them are read through `json_extract("c", '$')` (`json_key`). A key
/// of another shape is kept as its text, so the comparison with the snapshot
/// reports it.
fn index_keys(sql: &str) -> (Vec<String>, Vec<String>) {
    let inner = sql
        .find(" (")
        .and_then(|open| sql.rfind(')').map(|close| &sql[open + 2..close]))
        .unwrap_or_default();
    let mut columns = Vec::new();
    let mut json = Vec::new();
    for key in split_top_level(inner) {
        let key = key.trim();
        let unquote = |q: &str| {
            q.strip_prefix('"')?
                .strip_suffix('"')
                .map(|n| n.replace("\"\"", "\""))
        };
        if let Some(name) = key
            .strip_prefix("json_extract(")
            .and_then(|rest| rest.strip_suffix(", '$')"))
            .and_then(unquote)
        {
            json.push(name.clone());
            columns.push(name);
        } else {
            columns.push(unquote(key).unwrap_or_else(|| key.to_owned()));
        }
    }
    (columns, json)
}

/// `a, f(b, c), "d,e"` → `a`, `f(b, c)`, `"d,e"`: commas outside parentheses and quotes.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, None::<char>, 0);
    for (i, ch) in text.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !text[start..].trim().is_empty() {
        parts.push(&text[start..]);
    }
    parts
}
