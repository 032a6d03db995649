//! The small snapshot model the migration fuzz target draws from: a few
//! table, column and index names (some of them SQL keywords), every column type,
//! nullable or not, and indexes over existing columns and `_creationTime`.

pub mod app;

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Result, Unstructured};
use lunora_emit::migrate::{Column, IndexDef, SqlType, TableDef, Tables};

// Names the analyzer accepts, including the awkward ones: SQL keywords, `$`,
// names equal up to ASCII case (SQLite identifiers are case-insensitive) and
// `__` (the separator of SQLite index names `<table>__<index>`).
const TABLES: [&str; 6] = ["a", "A", "a__b", "order", "t$1", "b"];
const COLUMNS: [&str; 6] = ["x", "X", "y", "group", "select", "b__c"];
const INDEXES: [&str; 5] = ["i", "b", "b__c", "unique", "by_x"];

/// A pair of snapshots: the previous one and the next one.
#[derive(Debug)]
pub struct SnapshotPair {
    pub previous: Tables,
    pub next: Tables,
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
        Ok(SnapshotPair { previous, next })
    }
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
    Ok(Column {
        name: name.to_owned(),
        nullable: u.arbitrary()?,
        sql_type: sql_type(u)?,
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
    Ok(Some(IndexDef {
        columns,
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
