//! The small snapshot model the migration fuzz target draws from: a few
//! table, column and index names (some of them SQL keywords), every column type,
//! nullable or not, indexes over existing columns and `_creationTime`, and
//! `--rename` values. The structured app of the `app` target is in [`app`].

pub mod app;

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Result, Unstructured};
use lunora_emit::migrate::{Column, Encoding, IndexDef, SqlType, TableDef, Tables};

// Names the analyzer accepts, including the awkward ones: SQL keywords, `$`,
// names equal up to ASCII case (SQLite identifiers are case-insensitive) and
// `__` (the separator of SQLite index names `<table>__<index>`).
const TABLES: [&str; 6] = ["a", "A", "a__b", "order", "t$1", "b"];
const COLUMNS: [&str; 6] = ["x", "X", "y", "group", "select", "b__c"];
const INDEXES: [&str; 5] = ["i", "b", "b__c", "unique", "by_x"];

/// A pair of snapshots, the previous one and the next one, and `--rename`
/// values (`old=new` for a table, `table.old=new` for a column).
#[derive(Debug)]
pub struct SnapshotPair {
    pub previous: Tables,
    pub next: Tables,
    pub renames: Vec<String>,
}

impl<'a> Arbitrary<'a> for SnapshotPair {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let previous = tables(u)?;
        // Often derive the next snapshot from the previous one, so diffs are
        // small edits (the interesting case) rather than full rewrites.
        let next = if u.arbitrary()? {
            mutate(u, previous.clone())?
        } else {
            tables(u)?
        };
        let renames = renames(u, &previous, &next)?;
        Ok(SnapshotPair {
            previous,
            next,
            renames,
        })
    }
}

/// Mostly none; otherwise renames that could apply (a table only in the
/// previous snapshot to one only in the next; a column likewise), sometimes
/// any names at all.
fn renames(u: &mut Unstructured<'_>, previous: &Tables, next: &Tables) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !u.ratio(1, 3)? {
        return Ok(out);
    }
    for _ in 0..u.int_in_range(1..=2)? {
        if u.arbitrary()? {
            let gone: Vec<&String> = previous.keys().filter(|t| !next.contains_key(*t)).collect();
            let new: Vec<&String> = next.keys().filter(|t| !previous.contains_key(*t)).collect();
            if !gone.is_empty() && !new.is_empty() && u.ratio(4, 5)? {
                out.push(format!("{}={}", u.choose(&gone)?, u.choose(&new)?));
            } else {
                out.push(format!("{}={}", u.choose(&TABLES)?, u.choose(&TABLES)?));
            }
        } else {
            let both: Vec<&String> = next.keys().filter(|t| previous.contains_key(*t)).collect();
            let table = if !both.is_empty() && u.ratio(4, 5)? {
                (*u.choose(&both)?).clone()
            } else {
                (*u.choose(&TABLES)?).to_owned()
            };
            let (p, n) = (previous.get(&table), next.get(&table));
            let gone: Vec<&str> = p
                .map(|p| {
                    p.columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .filter(|c| n.is_none_or(|n| n.column(c).is_none()))
                        .collect()
                })
                .unwrap_or_default();
            let new: Vec<&str> = n
                .map(|n| {
                    n.columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .filter(|c| p.is_none_or(|p| p.column(c).is_none()))
                        .collect()
                })
                .unwrap_or_default();
            let (old, to) = if !gone.is_empty() && !new.is_empty() && u.ratio(4, 5)? {
                (*u.choose(&gone)?, *u.choose(&new)?)
            } else {
                (*u.choose(&COLUMNS)?, *u.choose(&COLUMNS)?)
            };
            out.push(format!("{table}.{old}={to}"));
        }
    }
    Ok(out)
}

/// True when no two names of `tables` are one SQLite name (the analyzer
/// rejects such schemas: `schema/duplicate-*`): tables and `<table>__<index>`
/// compared without ASCII case, and each table's columns likewise.
pub fn sqlite_names_ok(tables: &Tables) -> bool {
    let mut objects = std::collections::BTreeSet::new();
    for (name, def) in tables {
        if !objects.insert(name.to_ascii_lowercase()) {
            return false;
        }
        for index in def.indexes.keys() {
            if !objects.insert(format!("{name}__{index}").to_ascii_lowercase()) {
                return false;
            }
        }
        let mut columns = std::collections::BTreeSet::new();
        if !def
            .columns
            .iter()
            .all(|c| columns.insert(c.name.to_ascii_lowercase()))
        {
            return false;
        }
    }
    true
}

impl SnapshotPair {
    /// `{"previous": ..., "next": ...}`, the format of `fuzz/regressions/migrate/*.json`.
    pub fn to_json(&self) -> String {
        let mut m = serde_json::Map::new();
        m.insert(
            "previous".into(),
            serde_json::to_value(&self.previous).unwrap_or_default(),
        );
        m.insert(
            "next".into(),
            serde_json::to_value(&self.next).unwrap_or_default(),
        );
        m.insert(
            "renames".into(),
            serde_json::to_value(&self.renames).unwrap_or_default(),
        );
        serde_json::to_string_pretty(&serde_json::Value::Object(m)).unwrap_or_default()
    }
}

fn sql_type(u: &mut Unstructured<'_>) -> Result<SqlType> {
    Ok(*u.choose(&[
        SqlType::Text,
        SqlType::Real,
        SqlType::Integer,
        SqlType::Blob,
    ])?)
}

fn column(u: &mut Unstructured<'_>, name: &str) -> Result<Column> {
    let sql_type = sql_type(u)?;
    // An encoding that fits the type, or none (a snapshot from before encodings were recorded).
    let fitting: &[Encoding] = match sql_type {
        SqlType::Text => &[Encoding::Text, Encoding::Json],
        SqlType::Real => &[Encoding::Real],
        SqlType::Integer => &[Encoding::Bool, Encoding::Int64],
        SqlType::Blob => &[Encoding::Bytes],
    };
    let encoding = if u.arbitrary()? {
        Some(*u.choose(fitting)?)
    } else {
        None
    };
    Ok(Column {
        encoding,
        name: name.to_owned(),
        nullable: u.arbitrary()?,
        sql_type,
    })
}

fn table(u: &mut Unstructured<'_>) -> Result<TableDef> {
    let mut names: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|_| u.arbitrary().unwrap_or(false))
        .collect();
    // Declaration order matters (rebuilds); shuffle a little.
    if names.len() > 1 && u.arbitrary()? {
        let i = u.choose_index(names.len())?;
        names.swap(0, i);
    }
    let columns = names
        .iter()
        .map(|n| column(u, n))
        .collect::<Result<Vec<_>>>()?;
    let mut def = TableDef {
        columns,
        indexes: BTreeMap::new(),
        search_indexes: BTreeMap::new(),
    };
    for name in INDEXES {
        if u.arbitrary()? {
            if let Some(i) = index(u, &def)? {
                def.indexes.insert(name.to_owned(), i);
            }
        }
    }
    Ok(def)
}

fn index(u: &mut Unstructured<'_>, def: &TableDef) -> Result<Option<IndexDef>> {
    let mut pool: Vec<String> = def.columns.iter().map(|c| c.name.clone()).collect();
    pool.push("_creationTime".into());
    let mut columns = Vec::new();
    let n = u.int_in_range(1..=3)?;
    for _ in 0..n {
        if pool.is_empty() {
            break;
        }
        let i = u.choose_index(pool.len())?;
        columns.push(pool.remove(i));
    }
    if columns.is_empty() {
        return Ok(None);
    }
    // A JSON column is indexed through `json_extract` (a nullable field's index).
    let json = columns
        .iter()
        .filter(|c| {
            def.column(c)
                .is_some_and(|c| c.encoding == Some(Encoding::Json))
        })
        .cloned()
        .collect();
    Ok(Some(IndexDef {
        columns,
        json,
        unique: u.arbitrary()?,
    }))
}

fn tables(u: &mut Unstructured<'_>) -> Result<Tables> {
    let mut out = Tables::new();
    for name in TABLES {
        if u.arbitrary()? {
            out.insert(name.to_owned(), table(u)?);
        }
    }
    Ok(out)
}

/// Small edits: drop/add a table, change a column's type or nullability,
/// add/drop a column, add/drop/change an index.
fn mutate(u: &mut Unstructured<'_>, mut t: Tables) -> Result<Tables> {
    let edits = u.int_in_range(1..=4)?;
    for _ in 0..edits {
        let name = *u.choose(&TABLES)?;
        match u.int_in_range(0..=6)? {
            0 => {
                t.remove(name);
            }
            1 => {
                let def = table(u)?;
                t.insert(name.to_owned(), def);
            }
            2..=3 => {
                if let Some(def) = t.get_mut(name)
                    && !def.columns.is_empty()
                {
                    let i = u.choose_index(def.columns.len())?;
                    if u.arbitrary()? {
                        def.columns[i].nullable = !def.columns[i].nullable;
                    } else {
                        def.columns[i].sql_type = sql_type(u)?;
                    }
                }
            }
            4 => {
                if let Some(def) = t.get_mut(name) {
                    let c = *u.choose(&COLUMNS)?;
                    if let Some(i) = def.columns.iter().position(|x| x.name == c) {
                        def.columns.remove(i);
                        def.indexes
                            .retain(|_, ix| !ix.columns.iter().any(|x| x == c));
                    } else {
                        let col = column(u, c)?;
                        def.columns.push(col);
                    }
                }
            }
            _ => {
                if let Some(def) = t.get_mut(name) {
                    let ix = *u.choose(&INDEXES)?;
                    if def.indexes.remove(ix).is_none() || u.arbitrary()? {
                        if let Some(i) = index(u, def)? {
                            def.indexes.insert(ix.to_owned(), i);
                        }
                    }
                }
            }
        }
    }
    Ok(t)
}
