//! Durable Object SQLite DDL for root and shard tables: one table per Lunora
//! table holding the JSON document, one expression index per Lunora index.
//! Every statement is idempotent (`IF NOT EXISTS`).

use lunora_analyzer::{Index, Placement, Table};

/// `"name"` with embedded `"` doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL expression reading `field` of the JSON document (or the system column).
fn field_expr(field: &str) -> String {
    match field {
        "_creationTime" => "_creationTime".to_string(),
        "_id" => "_id".to_string(),
        f => {
            let simple = !f.is_empty() && f.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
            let path = if simple {
                format!("$.{f}")
            } else {
                format!("$.\"{}\"", f.replace('"', "\\\""))
            };
            format!("json_extract(doc,'{}')", path.replace('\'', "''"))
        }
    }
}

fn index_statement(table: &str, index: &Index) -> String {
    let mut columns: Vec<String> = index.fields.iter().map(|f| field_expr(f)).collect();
    // A non-unique index orders ties by creation time (the default scan order);
    // a unique index must not, or the `_creationTime` column would make every row unique.
    if !index.unique && index.fields.last().map(String::as_str) != Some("_creationTime") {
        columns.push("_creationTime".to_string());
    }
    format!(
        "CREATE {}INDEX IF NOT EXISTS {} ON {}({})",
        if index.unique { "UNIQUE " } else { "" },
        quote_ident(&format!("{table}__{}", index.name)),
        quote_ident(table),
        columns.join(", ")
    )
}

/// The statements for one table, or `None` for global (D1) tables, which
/// migrations create.
pub fn table_statements(table: &Table) -> Option<Vec<String>> {
    if table.placement == Placement::Global {
        return None;
    }
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {} (_id TEXT PRIMARY KEY, _creationTime REAL NOT NULL, doc TEXT NOT NULL)",
        quote_ident(&table.name)
    )];
    statements.extend(
        table
            .indexes
            .iter()
            .map(|i| index_statement(&table.name, i)),
    );
    Some(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_paths_are_quoted() {
        assert_eq!(field_expr("channelId"), "json_extract(doc,'$.channelId')");
        assert_eq!(field_expr("a.b'c"), "json_extract(doc,'$.\"a.b''c\"')");
        assert_eq!(field_expr("_creationTime"), "_creationTime");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn unique_and_explicit_creation_time() {
        let unique = Index {
            name: "by_name".into(),
            span: None,
            fields: vec!["name".into()],
            unique: true,
        };
        assert_eq!(
            index_statement("rooms", &unique),
            "CREATE UNIQUE INDEX IF NOT EXISTS \"rooms__by_name\" ON \"rooms\"(json_extract(doc,'$.name'))"
        );
        let explicit = Index {
            name: "by_time".into(),
            span: None,
            fields: vec!["kind".into(), "_creationTime".into()],
            unique: false,
        };
        assert_eq!(
            index_statement("rooms", &explicit),
            "CREATE INDEX IF NOT EXISTS \"rooms__by_time\" ON \"rooms\"(json_extract(doc,'$.kind'), _creationTime)"
        );
    }
}
