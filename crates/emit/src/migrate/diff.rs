//! The diff engine: `Pair { previous, next }` → ordered `Vec<Step>`. Pure data;
//! SQL is rendered from the steps in `sql.rs`, the human summary in `summary.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::snapshot::{Column, IndexDef, SqlType, TableDef, Tables};

/// Previous (latest snapshot; empty for the first migration) and next (the schema).
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    pub previous: &'a Tables,
    pub next: &'a Tables,
}

/// Renames requested with `--rename`; never guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// old table name → new table name.
    pub tables: BTreeMap<String, String>,
    /// (new table name, old column) → new column.
    pub columns: BTreeMap<(String, String), String>,
}

impl Renames {
    /// Parses one `--rename` value: `table.old=new` (column) or `old=new` (table).
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let Some((from, to)) = spec.split_once('=') else {
            return Err(format!(
                "`--rename {spec}`: expected `table.old=new` (a column) or `old=new` (a table)"
            ));
        };
        let (from, to) = (from.trim(), to.trim());
        let bad = |s: &str| s.is_empty() || s.contains('.') || s.contains('=');
        match from.split_once('.') {
            Some((table, old)) => {
                if bad(table) || bad(old) || bad(to) {
                    return Err(format!("`--rename {spec}`: expected `table.old=new`"));
                }
                let key = (table.to_owned(), old.to_owned());
                if self.columns.contains_key(&key) {
                    return Err(format!("`{table}.{old}` is renamed twice"));
                }
                self.columns.insert(key, to.to_owned());
            }
            None => {
                if bad(from) || bad(to) {
                    return Err(format!("`--rename {spec}`: expected `old=new`"));
                }
                if self.tables.contains_key(from) {
                    return Err(format!("table `{from}` is renamed twice"));
                }
                self.tables.insert(from.to_owned(), to.to_owned());
            }
        }
        Ok(())
    }
}

/// A column whose type or nullability changes inside a table rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChange {
    pub column: String,
    pub from: Column,
    pub to: Column,
}

/// One migration step. `diff` returns them in execution order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    RenameTable {
        from: String,
        to: String,
    },
    DropIndex {
        table: String,
        index: String,
    },
    DropTable {
        table: String,
    },
    CreateTable {
        table: String,
        def: TableDef,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    /// Only ever a nullable column (a required one needs a default).
    AddColumn {
        table: String,
        column: Column,
    },
    /// Type or nullability changes: SQLite cannot ALTER them, so the table is
    /// rebuilt (create new, copy, drop, rename, recreate indexes).
    RebuildTable {
        table: String,
        /// The table as it is before the rebuild (after renames, drops, adds).
        previous: TableDef,
        next: TableDef,
        changes: Vec<ColumnChange>,
    },
    CreateIndex {
        table: String,
        index: String,
        def: IndexDef,
    },
    /// Drops a search index's triggers and FTS5 table (before any other step).
    DropSearchIndex {
        table: String,
        index: String,
    },
    /// Creates a search index's FTS5 table and triggers and fills it from the
    /// table's rows (after every other step).
    CreateSearchIndex {
        table: String,
        index: String,
        column: String,
    },
}

/// What a step would destroy; refused without `--allow-data-loss`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLoss {
    Table {
        table: String,
    },
    Column {
        table: String,
        column: String,
    },
    /// A narrowing type change: values are `CAST` and may lose information.
    Narrowing {
        table: String,
        column: String,
        from: SqlType,
        to: SqlType,
    },
    /// optional → required: rows where the column is NULL are deleted.
    NullRows {
        table: String,
        column: String,
    },
}

/// Why a migration cannot be generated at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A required column added to a table that already exists.
    RequiredColumn { table: String, column: String },
    /// A `--rename` that does not fit the two schemas.
    BadRename { rename: String, reason: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffReturn {
    pub steps: Vec<Step>,
    pub data_loss: Vec<DataLoss>,
    pub refusals: Vec<Refusal>,
}

/// The SQLite name of a Lunora index.
pub fn index_sql_name(table: &str, index: &str) -> String {
    format!("{table}__{index}")
}

/// Diffs the pair. Step order: table renames (indexes of renamed tables are
/// dropped first and recreated at the end, so their SQLite names follow the
/// table), index drops, table drops, table creates (with their indexes), then
/// per existing table in name order: column renames, drops, adds or one
/// rebuild; finally index creates.
pub fn diff(pair: Pair<'_>, renames: &Renames) -> DiffReturn {
    let mut out = diff_tables(pair, renames);
    if out.refusals.is_empty() {
        search_steps(pair, renames, &mut out.steps);
    }
    out
}

/// Search indexes (docs/ARCHITECTURE.md "Text search"): one that goes away or
/// changes, or whose table any other step touches (a rebuild drops its
/// triggers and renumbers rowids, a rename renames the table under it), is
/// dropped before every other step and, when still in the schema, created
/// (and filled from the rows) after them.
fn search_steps(pair: Pair<'_>, renames: &Renames, steps: &mut Vec<Step>) {
    let touched: BTreeSet<&str> = steps
        .iter()
        .flat_map(|s| match s {
            Step::RenameTable { from, to } => vec![from.as_str(), to.as_str()],
            Step::DropIndex { table, .. }
            | Step::DropTable { table }
            | Step::CreateTable { table, .. }
            | Step::RenameColumn { table, .. }
            | Step::DropColumn { table, .. }
            | Step::AddColumn { table, .. }
            | Step::RebuildTable { table, .. }
            | Step::CreateIndex { table, .. }
            | Step::DropSearchIndex { table, .. }
            | Step::CreateSearchIndex { table, .. } => vec![table.as_str()],
        })
        .collect();
    let mut drops = Vec::new();
    let mut creates = Vec::new();
    for (name, def) in pair.previous {
        let to = renames.tables.get(name).unwrap_or(name);
        for (index, s) in &def.search_indexes {
            let kept = to == name
                && !touched.contains(name.as_str())
                && pair
                    .next
                    .get(name)
                    .and_then(|n| n.search_indexes.get(index))
                    == Some(s);
            if !kept {
                drops.push(Step::DropSearchIndex {
                    table: name.clone(),
                    index: index.clone(),
                });
            }
        }
    }
    for (name, def) in pair.next {
        for (index, s) in &def.search_indexes {
            let kept = !touched.contains(name.as_str())
                && pair
                    .previous
                    .get(name)
                    .and_then(|p| p.search_indexes.get(index))
                    == Some(s);
            if !kept {
                creates.push(Step::CreateSearchIndex {
                    table: name.clone(),
                    index: index.clone(),
                    column: s.column.clone(),
                });
            }
        }
    }
    drops.append(steps);
    drops.extend(creates);
    *steps = drops;
}

fn diff_tables(pair: Pair<'_>, renames: &Renames) -> DiffReturn {
    let mut out = DiffReturn::default();
    let (prev, next) = (pair.previous, pair.next);

    // --- validate table renames, build the previous schema under new names.
    let mut renamed: Tables = BTreeMap::new();
    let mut table_renames: Vec<(String, String)> = Vec::new();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    for (from, to) in &renames.tables {
        let bad = |reason: String| Refusal::BadRename {
            rename: format!("{from}={to}"),
            reason,
        };
        if !prev.contains_key(from) {
            out.refusals.push(bad(format!(
                "the previous snapshot has no global table `{from}`"
            )));
        } else if !next.contains_key(to) {
            out.refusals
                .push(bad(format!("the schema has no global table `{to}`")));
        } else if let Some(existing) = prev.keys().find(|k| {
            // SQLite ignores case: `b` blocks a rename to `B` (found by fuzzing).
            k.eq_ignore_ascii_case(to) && *k != from && !renames.tables.contains_key(*k)
        }) {
            out.refusals.push(bad(format!(
                "table `{existing}` already exists in the previous snapshot"
            )));
        } else if let Some((table, index)) = prev
            .iter()
            .filter(|(t, _)| *t != from)
            .flat_map(|(t, def)| def.indexes.keys().map(move |i| (t, i)))
            .find(|(t, i)| index_sql_name(t, i).eq_ignore_ascii_case(to))
        {
            // Renames run before other indexes and tables are dropped, and
            // SQLite tables and indexes share one namespace (found by fuzzing).
            out.refusals.push(bad(format!(
                "index `{index}` of `{table}` is stored as `{}`; drop it in an earlier migration",
                index_sql_name(table, index)
            )));
        } else if !taken.insert(to) || from == to {
            out.refusals
                .push(bad(format!("table `{to}` is the target of another rename")));
        } else {
            table_renames.push((from.clone(), to.clone()));
        }
    }
    if !renames.tables.is_empty() && table_renames.len() != renames.tables.len() {
        return out;
    }
    // Swapping names (a=b, b=a) would need a temporary name; refuse instead.
    for (from, to) in &table_renames {
        if renames.tables.contains_key(to) {
            out.refusals.push(Refusal::BadRename {
                rename: format!("{from}={to}"),
                reason: format!("`{to}` is itself renamed; rename in two migrations"),
            });
        }
    }
    if !out.refusals.is_empty() {
        return out;
    }
    for (name, def) in prev {
        let new_name = renames.tables.get(name).unwrap_or(name);
        renamed.insert(new_name.clone(), def.clone());
    }
    for (from, to) in &table_renames {
        for index in prev[from].indexes.keys() {
            out.steps.push(Step::DropIndex {
                table: from.clone(),
                index: index.clone(),
            });
        }
        out.steps.push(Step::RenameTable {
            from: from.clone(),
            to: to.clone(),
        });
    }
    let renamed_tables: BTreeSet<&str> = table_renames.iter().map(|(_, t)| t.as_str()).collect();

    // --- validate column renames.
    for ((table, old), new) in &renames.columns {
        let spec = format!("{table}.{old}={new}");
        let bad = |reason: String| Refusal::BadRename {
            rename: spec.clone(),
            reason,
        };
        let (Some(p), Some(n)) = (renamed.get(table), next.get(table)) else {
            out.refusals.push(bad(format!(
                "`{table}` is not a global table in both the previous snapshot and the schema"
            )));
            continue;
        };
        if p.column(old).is_none() {
            out.refusals
                .push(bad(format!("the previous `{table}` has no column `{old}`")));
        } else if n.column(new).is_none() {
            out.refusals
                .push(bad(format!("the schema's `{table}` has no field `{new}`")));
        } else if let Some(existing) = p
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(new) && c.name != *old)
        {
            // SQLite ignores case: a column `x` blocks a rename to `X` (found by fuzzing).
            out.refusals.push(bad(format!(
                "the previous `{table}` already has a column `{}`",
                existing.name
            )));
        } else if renames
            .columns
            .iter()
            .filter(|((t, _), n2)| t == table && *n2 == new)
            .count()
            > 1
        {
            out.refusals
                .push(bad(format!("two renames target `{table}.{new}`")));
        }
    }
    if !out.refusals.is_empty() {
        out.steps.clear();
        return out;
    }

    // --- index drops on tables that stay (and are not rebuilt: decided below).
    let mut table_steps: Vec<Step> = Vec::new();
    let mut index_drops: Vec<Step> = Vec::new();
    let mut index_creates: Vec<Step> = Vec::new();
    let mut rebuilt: BTreeSet<&str> = BTreeSet::new();

    for (name, n) in next {
        let Some(p) = renamed.get(name) else { continue };
        // Apply column renames to the previous definition.
        let mut current = p.clone();
        for col in &mut current.columns {
            if let Some(new) = renames.columns.get(&(name.clone(), col.name.clone())) {
                table_steps.push(Step::RenameColumn {
                    table: name.clone(),
                    from: col.name.clone(),
                    to: new.clone(),
                });
                col.name = new.clone();
            }
        }
        // Rename follows into index definitions (SQLite does this too).
        for def in current.indexes.values_mut() {
            for c in &mut def.columns {
                if let Some(new) = renames.columns.get(&(name.clone(), c.clone())) {
                    *c = new.clone();
                }
            }
        }
        // Dropped columns.
        for col in &p.columns {
            let now = renames
                .columns
                .get(&(name.clone(), col.name.clone()))
                .unwrap_or(&col.name);
            if n.column(now).is_none() {
                out.data_loss.push(DataLoss::Column {
                    table: name.clone(),
                    column: now.clone(),
                });
            }
        }
        let mut changes = Vec::new();
        for to in &n.columns {
            match current.column(&to.name) {
                Some(from) if from != to => {
                    if !from.sql_type.widens_to(to.sql_type) {
                        out.data_loss.push(DataLoss::Narrowing {
                            table: name.clone(),
                            column: to.name.clone(),
                            from: from.sql_type,
                            to: to.sql_type,
                        });
                    }
                    if from.nullable && !to.nullable {
                        out.data_loss.push(DataLoss::NullRows {
                            table: name.clone(),
                            column: to.name.clone(),
                        });
                    }
                    changes.push(ColumnChange {
                        column: to.name.clone(),
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
                Some(_) => {}
                None if !to.nullable => out.refusals.push(Refusal::RequiredColumn {
                    table: name.clone(),
                    column: to.name.clone(),
                }),
                None => {}
            }
        }
        let stays_indexed = |def: &IndexDef| {
            def.columns
                .iter()
                .all(|c| n.column(c).is_some() || c == "_creationTime")
        };
        let renamed_table = renamed_tables.contains(name.as_str());
        if changes.is_empty() {
            // Drop indexes that go away or change (and every index touching a
            // dropped column, which SQLite requires before DROP COLUMN).
            if !renamed_table {
                for (index, def) in &current.indexes {
                    if n.indexes.get(index) != Some(def) || !stays_indexed(def) {
                        index_drops.push(Step::DropIndex {
                            table: name.clone(),
                            index: index.clone(),
                        });
                    }
                }
            }
            for col in &current.columns {
                if n.column(&col.name).is_none() {
                    table_steps.push(Step::DropColumn {
                        table: name.clone(),
                        column: col.name.clone(),
                    });
                }
            }
            for col in &n.columns {
                if current.column(&col.name).is_none() && col.nullable {
                    table_steps.push(Step::AddColumn {
                        table: name.clone(),
                        column: col.clone(),
                    });
                }
            }
            for (index, def) in &n.indexes {
                if renamed_table || current.indexes.get(index) != Some(def) {
                    index_creates.push(Step::CreateIndex {
                        table: name.clone(),
                        index: index.clone(),
                        def: def.clone(),
                    });
                }
            }
        } else {
            rebuilt.insert(name.as_str());
            // The rebuild's DROP TABLE drops every old index, but only after
            // the table creates: an index that goes away is dropped up front,
            // so that a new table may take its SQLite name (`a` loses index
            // `b` while table `a__b` is created; found by fuzzing).
            if !renamed_table {
                for (index, def) in &current.indexes {
                    if n.indexes.get(index) != Some(def) {
                        index_drops.push(Step::DropIndex {
                            table: name.clone(),
                            index: index.clone(),
                        });
                    }
                }
            }
            let before = TableDef {
                search_indexes: BTreeMap::new(),
                columns: current.columns.clone(),
                indexes: if renamed_table {
                    BTreeMap::new()
                } else {
                    current.indexes.clone()
                },
            };
            table_steps.push(Step::RebuildTable {
                table: name.clone(),
                previous: before,
                next: n.clone(),
                changes,
            });
            for (index, def) in &n.indexes {
                index_creates.push(Step::CreateIndex {
                    table: name.clone(),
                    index: index.clone(),
                    def: def.clone(),
                });
            }
        }
    }

    out.steps.extend(index_drops);
    for name in renamed.keys() {
        if !next.contains_key(name) {
            out.data_loss.push(DataLoss::Table {
                table: name.clone(),
            });
            out.steps.push(Step::DropTable {
                table: name.clone(),
            });
        }
    }
    for (name, n) in next {
        if !renamed.contains_key(name) {
            out.steps.push(Step::CreateTable {
                table: name.clone(),
                def: n.clone(),
            });
            for (index, def) in &n.indexes {
                out.steps.push(Step::CreateIndex {
                    table: name.clone(),
                    index: index.clone(),
                    def: def.clone(),
                });
            }
        }
    }
    out.steps.extend(table_steps);
    out.steps.extend(index_creates);
    if !out.refusals.is_empty() {
        out.steps.clear();
    }
    out
}
