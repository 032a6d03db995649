//! The diff engine: `Pair { previous, next }` → ordered `Vec<Step>`. Pure data;
//! SQL is rendered from the steps in `sql.rs`, the human summary in `summary.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::snapshot::{Column, Encoding, IndexDef, SqlType, TableDef, Tables};

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
    /// The values are re-encoded in a way that can lose some (`sql::convert`):
    /// a value that does not convert becomes absent (its row is deleted when
    /// the column is required), a number keeps 15 significant digits.
    Reencoding {
        table: String,
        column: String,
        from: Encoding,
        to: Encoding,
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
    let next = pair.next;
    let Some(table_renames) = check_table_renames(pair, renames, &mut out.refusals) else {
        return out;
    };
    let renamed = push_table_renames(pair.previous, renames, &table_renames, &mut out.steps);
    let renamed_tables: BTreeSet<&str> = table_renames.iter().map(|(_, t)| t.as_str()).collect();
    check_column_renames(&renamed, next, renames, &mut out.refusals);
    if !out.refusals.is_empty() {
        out.steps.clear();
        return out;
    }

    // --- the tables that stay: index drops first, then their column steps,
    // then index creates (after the table creates).
    let mut kept = KeptSteps::default();
    for (name, n) in next {
        let Some(p) = renamed.get(name) else { continue };
        diff_kept_table(
            name,
            p,
            n,
            renames,
            renamed_tables.contains(name.as_str()),
            &mut kept,
            &mut out,
        );
    }

    out.steps.extend(kept.index_drops);
    push_table_drops_and_creates(&renamed, next, &mut out);
    out.steps.extend(kept.table_steps);
    out.steps.extend(kept.index_creates);
    if !out.refusals.is_empty() {
        out.steps.clear();
    }
    out
}

/// The `--rename old=new` of tables that fit the pair, or `None` when any is
/// refused (each refusal pushed).
fn check_table_renames(
    pair: Pair<'_>,
    renames: &Renames,
    refusals: &mut Vec<Refusal>,
) -> Option<Vec<(String, String)>> {
    let (prev, next) = (pair.previous, pair.next);
    let mut table_renames: Vec<(String, String)> = Vec::new();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    for (from, to) in &renames.tables {
        let bad = |reason: String| Refusal::BadRename {
            rename: format!("{from}={to}"),
            reason,
        };
        if !prev.contains_key(from) {
            refusals.push(bad(format!(
                "the previous snapshot has no global table `{from}`"
            )));
        } else if !next.contains_key(to) {
            refusals.push(bad(format!("the schema has no global table `{to}`")));
        } else if let Some(existing) = prev.keys().find(|k| {
            // SQLite ignores case: `b` blocks a rename to `B` (found by fuzzing).
            k.eq_ignore_ascii_case(to) && *k != from && !renames.tables.contains_key(*k)
        }) {
            refusals.push(bad(format!(
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
            refusals.push(bad(format!(
                "index `{index}` of `{table}` is stored as `{}`; drop it in an earlier migration",
                index_sql_name(table, index)
            )));
        } else if !taken.insert(to) || from == to {
            refusals.push(bad(format!("table `{to}` is the target of another rename")));
        } else {
            table_renames.push((from.clone(), to.clone()));
        }
    }
    if !renames.tables.is_empty() && table_renames.len() != renames.tables.len() {
        return None;
    }
    // Swapping names (a=b, b=a) would need a temporary name; refuse instead.
    for (from, to) in &table_renames {
        if renames.tables.contains_key(to) {
            refusals.push(Refusal::BadRename {
                rename: format!("{from}={to}"),
                reason: format!("`{to}` is itself renamed; rename in two migrations"),
            });
        }
    }
    refusals.is_empty().then_some(table_renames)
}

/// Pushes the table renames (each renamed table's indexes dropped first);
/// returns the previous schema under the new names.
fn push_table_renames(
    prev: &Tables,
    renames: &Renames,
    table_renames: &[(String, String)],
    steps: &mut Vec<Step>,
) -> Tables {
    let mut renamed: Tables = BTreeMap::new();
    for (name, def) in prev {
        let new_name = renames.tables.get(name).unwrap_or(name);
        renamed.insert(new_name.clone(), def.clone());
    }
    for (from, to) in table_renames {
        for index in prev[from].indexes.keys() {
            steps.push(Step::DropIndex {
                table: from.clone(),
                index: index.clone(),
            });
        }
        steps.push(Step::RenameTable {
            from: from.clone(),
            to: to.clone(),
        });
    }
    renamed
}

/// Refuses the `--rename table.old=new` of columns that do not fit the pair.
fn check_column_renames(
    renamed: &Tables,
    next: &Tables,
    renames: &Renames,
    refusals: &mut Vec<Refusal>,
) {
    for ((table, old), new) in &renames.columns {
        let spec = format!("{table}.{old}={new}");
        let bad = |reason: String| Refusal::BadRename {
            rename: spec.clone(),
            reason,
        };
        let (Some(p), Some(n)) = (renamed.get(table), next.get(table)) else {
            refusals.push(bad(format!(
                "`{table}` is not a global table in both the previous snapshot and the schema"
            )));
            continue;
        };
        if p.column(old).is_none() {
            refusals.push(bad(format!("the previous `{table}` has no column `{old}`")));
        } else if n.column(new).is_none() {
            refusals.push(bad(format!("the schema's `{table}` has no field `{new}`")));
        } else if let Some(existing) = p
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(new) && c.name != *old)
        {
            // SQLite ignores case: a column `x` blocks a rename to `X` (found by fuzzing).
            refusals.push(bad(format!(
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
            refusals.push(bad(format!("two renames target `{table}.{new}`")));
        }
    }
}

/// The steps of the tables that stay, in three runs (see [`diff`]).
#[derive(Default)]
struct KeptSteps {
    index_drops: Vec<Step>,
    table_steps: Vec<Step>,
    index_creates: Vec<Step>,
}

/// One table of both schemas (`p` under its new name): column renames, then
/// drops and adds in place, or one rebuild when a column changes.
fn diff_kept_table(
    name: &str,
    p: &TableDef,
    n: &TableDef,
    renames: &Renames,
    renamed_table: bool,
    kept: &mut KeptSteps,
    out: &mut DiffReturn,
) {
    let current = push_column_renames(name, p, renames, &mut kept.table_steps);
    // Dropped columns.
    for col in &p.columns {
        let now = renames
            .columns
            .get(&(name.to_owned(), col.name.to_owned()))
            .unwrap_or(&col.name);
        if n.column(now).is_none() {
            out.data_loss.push(DataLoss::Column {
                table: name.to_owned(),
                column: now.clone(),
            });
        }
    }
    let changes = column_changes(name, &current, n, out);
    if changes.is_empty() {
        push_in_place(name, &current, n, renamed_table, kept);
    } else {
        push_rebuild(name, &current, n, renamed_table, changes, kept);
    }
}

/// `p` with its column renames applied (they follow into index definitions,
/// as in SQLite), each pushed as a step.
fn push_column_renames(
    name: &str,
    p: &TableDef,
    renames: &Renames,
    table_steps: &mut Vec<Step>,
) -> TableDef {
    let mut current = p.clone();
    for col in &mut current.columns {
        if let Some(new) = renames.columns.get(&(name.to_owned(), col.name.to_owned())) {
            table_steps.push(Step::RenameColumn {
                table: name.to_owned(),
                from: col.name.to_owned(),
                to: new.clone(),
            });
            col.name = new.clone();
        }
    }
    for def in current.indexes.values_mut() {
        for c in &mut def.columns {
            if let Some(new) = renames.columns.get(&(name.to_owned(), c.clone())) {
                *c = new.clone();
            }
        }
    }
    current
}

/// The columns of `n` whose type or nullability differs in `current`, with
/// the data they lose; a required column that is new is refused.
fn column_changes(
    name: &str,
    current: &TableDef,
    n: &TableDef,
    out: &mut DiffReturn,
) -> Vec<ColumnChange> {
    let mut changes = Vec::new();
    for to in &n.columns {
        match current.column(&to.name) {
            Some(from) if from != to => {
                if let Some((a, b)) = from.reencoded(to) {
                    if !a.converts_losslessly_to(b, from.sql_type, to.sql_type) {
                        out.data_loss.push(DataLoss::Reencoding {
                            table: name.to_owned(),
                            column: to.name.to_owned(),
                            from: a,
                            to: b,
                        });
                    }
                } else if !from.sql_type.widens_to(to.sql_type) {
                    out.data_loss.push(DataLoss::Narrowing {
                        table: name.to_owned(),
                        column: to.name.to_owned(),
                        from: from.sql_type,
                        to: to.sql_type,
                    });
                }
                if from.nullable && !to.nullable {
                    out.data_loss.push(DataLoss::NullRows {
                        table: name.to_owned(),
                        column: to.name.to_owned(),
                    });
                }
                changes.push(ColumnChange {
                    column: to.name.to_owned(),
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            Some(_) => {}
            None if !to.nullable => out.refusals.push(Refusal::RequiredColumn {
                table: name.to_owned(),
                column: to.name.to_owned(),
            }),
            None => {}
        }
    }
    changes
}

/// A table whose columns keep their types: index drops, column drops and
/// adds, index creates.
fn push_in_place(
    name: &str,
    current: &TableDef,
    n: &TableDef,
    renamed_table: bool,
    kept: &mut KeptSteps,
) {
    let stays_indexed = |def: &IndexDef| {
        def.columns
            .iter()
            .all(|c| n.column(c).is_some() || c == "_creationTime")
    };
    // Drop indexes that go away or change (and every index touching a
    // dropped column, which SQLite requires before DROP COLUMN).
    if !renamed_table {
        for (index, def) in &current.indexes {
            if n.indexes.get(index) != Some(def) || !stays_indexed(def) {
                kept.index_drops.push(Step::DropIndex {
                    table: name.to_owned(),
                    index: index.clone(),
                });
            }
        }
    }
    for col in &current.columns {
        if n.column(&col.name).is_none() {
            kept.table_steps.push(Step::DropColumn {
                table: name.to_owned(),
                column: col.name.to_owned(),
            });
        }
    }
    for col in &n.columns {
        if current.column(&col.name).is_none() && col.nullable {
            kept.table_steps.push(Step::AddColumn {
                table: name.to_owned(),
                column: col.clone(),
            });
        }
    }
    for (index, def) in &n.indexes {
        if renamed_table || current.indexes.get(index) != Some(def) {
            kept.index_creates.push(Step::CreateIndex {
                table: name.to_owned(),
                index: index.clone(),
                def: def.clone(),
            });
        }
    }
}

/// A table with a changed column: one rebuild, its indexes recreated.
fn push_rebuild(
    name: &str,
    current: &TableDef,
    n: &TableDef,
    renamed_table: bool,
    changes: Vec<ColumnChange>,
    kept: &mut KeptSteps,
) {
    // The rebuild's DROP TABLE drops every old index, but only after
    // the table creates: an index that goes away is dropped up front,
    // so that a new table may take its SQLite name (`a` loses index
    // `b` while table `a__b` is created; found by fuzzing).
    if !renamed_table {
        for (index, def) in &current.indexes {
            if n.indexes.get(index) != Some(def) {
                kept.index_drops.push(Step::DropIndex {
                    table: name.to_owned(),
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
    kept.table_steps.push(Step::RebuildTable {
        table: name.to_owned(),
        previous: before,
        next: n.clone(),
        changes,
    });
    for (index, def) in &n.indexes {
        kept.index_creates.push(Step::CreateIndex {
            table: name.to_owned(),
            index: index.clone(),
            def: def.clone(),
        });
    }
}

/// Drops the tables that go away, then creates the new ones with their indexes.
fn push_table_drops_and_creates(renamed: &Tables, next: &Tables, out: &mut DiffReturn) {
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
}
