//! SQLite FTS5 for text search indexes (docs/ARCHITECTURE.md "Text search"): one
//! FTS5 table `"<table>__<index>"` per search index, whose rowid is the document
//! row's rowid and whose one column `_text` holds the search field, kept in sync by
//! three triggers on the document table, so every write (in a Durable Object's
//! transaction or in a D1 batch) updates the index in the same transaction.

use lunora_analyzer::{SearchIndex, Table};

use crate::quote::quote_ident;

/// The FTS5 table of a search index.
pub fn fts_table(table: &Table, index: &SearchIndex) -> String {
    format!("{}__{}", table.name, index.name)
}

/// The tokenizer: Unicode-aware words, case and diacritics folded.
pub const TOKENIZE: &str = "unicode61 remove_diacritics 2";

/// The statements that create a search index's FTS5 table and triggers and fill it
/// from the rows already in the table. `text(row)` is the search field's SQL
/// expression on `new`/`old` (`json_extract(new.doc,'$.body')` in a Durable Object,
/// `new."body"` in D1). With `idempotent` (the Durable Object's DDL, applied at
/// every start), the triggers are dropped and recreated and only rows missing from
/// the index are added; otherwise (a D1 migration) they are created once.
pub fn fts_statements(
    table: &Table,
    index: &SearchIndex,
    text: &dyn Fn(&str) -> String,
    idempotent: bool,
) -> Vec<String> {
    let fts = quote_ident(&fts_table(table, index));
    let t = quote_ident(&table.name);
    let trigger = |what: &str| quote_ident(&format!("{}__{}__{what}", table.name, index.name));
    let mut out = vec![format!(
        "CREATE VIRTUAL TABLE {}{fts} USING fts5(_text, tokenize = '{TOKENIZE}')",
        if idempotent { "IF NOT EXISTS " } else { "" }
    )];
    if idempotent {
        for what in ["insert", "update", "delete"] {
            out.push(format!("DROP TRIGGER IF EXISTS {}", trigger(what)));
        }
    }
    out.push(format!(
        "CREATE TRIGGER {} AFTER INSERT ON {t} BEGIN INSERT INTO {fts}(rowid, _text) VALUES (new.rowid, {}); END",
        trigger("insert"),
        text("new")
    ));
    out.push(format!(
        "CREATE TRIGGER {} AFTER UPDATE ON {t} BEGIN DELETE FROM {fts} WHERE rowid = old.rowid; INSERT INTO {fts}(rowid, _text) VALUES (new.rowid, {}); END",
        trigger("update"),
        text("new")
    ));
    out.push(format!(
        "CREATE TRIGGER {} AFTER DELETE ON {t} BEGIN DELETE FROM {fts} WHERE rowid = old.rowid; END",
        trigger("delete")
    ));
    let row = text(t.as_str());
    out.push(if idempotent {
        format!("INSERT INTO {fts}(rowid, _text) SELECT rowid, {row} FROM {t} WHERE rowid NOT IN (SELECT rowid FROM {fts})")
    } else {
        format!("INSERT INTO {fts}(rowid, _text) SELECT rowid, {row} FROM {t}")
    });
    out
}

/// A D1 migration's statements creating a search index over `column` of `table`.
pub fn d1_statements(table: &str, index: &str, column: &str) -> Vec<String> {
    let t = Table {
        name: table.to_string(),
        span: None,
        fields: Vec::new(),
        variants: Vec::new(),
        indexes: Vec::new(),
        search_indexes: Vec::new(),
        placement: lunora_analyzer::Placement::Global,
        builtin: false,
    };
    let i = SearchIndex {
        name: index.to_string(),
        span: None,
        search_field: column.to_string(),
        filter_fields: Vec::new(),
    };
    let col = quote_ident(column);
    fts_statements(&t, &i, &|row| format!("{row}.{col}"), false)
}

/// The statements that drop a search index (D1 migrations): its triggers, then its table.
pub fn drop_statements(table: &str, index: &str) -> Vec<String> {
    let mut out: Vec<String> = ["insert", "update", "delete"]
        .iter()
        .map(|what| {
            format!(
                "DROP TRIGGER IF EXISTS {}",
                quote_ident(&format!("{table}__{index}__{what}"))
            )
        })
        .collect();
    out.push(format!(
        "DROP TABLE IF EXISTS {}",
        quote_ident(&format!("{table}__{index}"))
    ));
    out
}
