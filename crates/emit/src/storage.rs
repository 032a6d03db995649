//! Durable Object SQLite DDL for root and shard tables: one table per Lunora
//! table holding the JSON document, one expression index per Lunora index.
//! Every statement is idempotent (`IF NOT EXISTS`).

use lunora_analyzer::{Index, Placement, Table, Validator};

use crate::quote::quote_ident;

/// The SQL expression reading `field` of the JSON document (or the system column),
/// chosen from the field's validator: int64 values are stored `{"$int64":"<decimal>"}`,
/// so their index expression is the integer inside
/// (`CAST(json_extract(doc,'$.f."$int64"') AS INTEGER)`); every other field is
/// `json_extract(doc,'$.f')`. The runtime (`doFieldExpr` in npm/runtime/src/storage/do.ts)
/// writes the same text, or SQLite would not use the index.
fn field_expr(field: &str, validator: Option<&Validator>) -> String {
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
            if is_int64(validator) {
                let path = format!("{path}.\"$int64\"");
                format!(
                    "CAST(json_extract(doc,'{}') AS INTEGER)",
                    path.replace('\'', "''")
                )
            } else {
                format!("json_extract(doc,'{}')", path.replace('\'', "''"))
            }
        }
    }
}

/// Whether the field's values are int64s: `v.int64()`, optional or in a union with `v.null()`
/// (a null is SQL NULL through the same expression).
fn is_int64(validator: Option<&Validator>) -> bool {
    match validator {
        Some(Validator::Optional(inner)) => is_int64(Some(inner)),
        Some(Validator::Int64) => true,
        Some(Validator::Union(members)) => {
            let mut values = members.iter().filter(|m| **m != Validator::Null);
            matches!(
                (values.next(), values.next()),
                (Some(Validator::Int64), None)
            )
        }
        _ => false,
    }
}

fn index_statement(table: &Table, index: &Index) -> String {
    let mut columns: Vec<String> = index
        .fields
        .iter()
        .map(|f| field_expr(f, table.field(f).map(|x| &x.validator)))
        .collect();
    // A non-unique index orders ties by creation time (the default scan order);
    // a unique index must not, or the `_creationTime` column would make every row unique.
    if !index.unique && index.fields.last().map(String::as_str) != Some("_creationTime") {
        columns.push("_creationTime".to_string());
    }
    format!(
        "CREATE {}INDEX IF NOT EXISTS {} ON {}({})",
        if index.unique { "UNIQUE " } else { "" },
        quote_ident(&format!("{}__{}", table.name, index.name)),
        quote_ident(&table.name),
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
    statements.extend(table.indexes.iter().map(|i| index_statement(table, i)));
    for index in &table.search_indexes {
        let text = |row: &str| {
            field_expr(&index.search_field, None).replacen(
                "json_extract(doc,",
                &format!("json_extract({row}.doc,"),
                1,
            )
        };
        statements.extend(crate::search::fts_statements(table, index, &text, true));
    }
    Some(statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lunora_analyzer::Field;

    fn rooms(fields: Vec<(&str, Validator)>) -> Table {
        Table {
            name: "rooms".into(),
            span: None,
            fields: fields
                .into_iter()
                .map(|(name, validator)| Field {
                    name: name.into(),
                    span: None,
                    validator,
                })
                .collect(),
            indexes: vec![],
            search_indexes: Vec::new(),
            placement: Placement::Root,
            variants: Vec::new(),
            builtin: false,
        }
    }

    #[test]
    fn expression_paths_are_quoted() {
        assert_eq!(
            field_expr("channelId", Some(&Validator::String)),
            "json_extract(doc,'$.channelId')"
        );
        assert_eq!(
            field_expr("a.b'c", None),
            "json_extract(doc,'$.\"a.b''c\"')"
        );
        assert_eq!(field_expr("_creationTime", None), "_creationTime");
    }

    #[test]
    fn int64_fields_index_the_integer_inside_the_tag() {
        assert_eq!(
            field_expr("n", Some(&Validator::Int64)),
            "CAST(json_extract(doc,'$.n.\"$int64\"') AS INTEGER)"
        );
        assert_eq!(
            field_expr(
                "a b'",
                Some(&Validator::Optional(Box::new(Validator::Int64)))
            ),
            "CAST(json_extract(doc,'$.\"a b''\".\"$int64\"') AS INTEGER)"
        );
        assert_eq!(
            field_expr("x", Some(&Validator::Number)),
            "json_extract(doc,'$.x')"
        );
        // A nullable int64: the same expression (a null has no `$int64` member: NULL).
        assert_eq!(
            field_expr(
                "n",
                Some(&Validator::Union(vec![Validator::Null, Validator::Int64]))
            ),
            "CAST(json_extract(doc,'$.n.\"$int64\"') AS INTEGER)"
        );
        assert_eq!(
            field_expr(
                "n",
                Some(&Validator::Union(vec![Validator::Int64, Validator::String]))
            ),
            "json_extract(doc,'$.n')"
        );
    }

    #[test]
    fn unique_and_explicit_creation_time() {
        let table = rooms(vec![
            ("name", Validator::String),
            ("kind", Validator::Int64),
        ]);
        let unique = Index {
            name: "by_name".into(),
            span: None,
            fields: vec!["name".into()],
            unique: true,
        };
        assert_eq!(
            index_statement(&table, &unique),
            "CREATE UNIQUE INDEX IF NOT EXISTS \"rooms__by_name\" ON \"rooms\"(json_extract(doc,'$.name'))"
        );
        let explicit = Index {
            name: "by_time".into(),
            span: None,
            fields: vec!["kind".into(), "_creationTime".into()],
            unique: false,
        };
        assert_eq!(
            index_statement(&table, &explicit),
            "CREATE INDEX IF NOT EXISTS \"rooms__by_time\" ON \"rooms\"(CAST(json_extract(doc,'$.kind.\"$int64\"') AS INTEGER), _creationTime)"
        );
    }
}
