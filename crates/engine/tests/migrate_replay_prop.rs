//! Property: applying the generated migrations in order to a real SQLite with
//! rows in it gives the same schema as the final snapshot, and keeps every row
//! of every table that no step was allowed to drop.

use std::collections::BTreeMap;

use lunora_emit::migrate::{
    Column, DataLoss, IndexDef, Pair, Planned, Renames, SqlType, TableDef, Tables, diff, plan,
};
use lunora_engine::migrations::replay::introspect;
use proptest::prelude::*;

fn sql_type() -> impl Strategy<Value = SqlType> {
    prop_oneof![
        Just(SqlType::Text),
        Just(SqlType::Real),
        Just(SqlType::Integer),
        Just(SqlType::Blob)
    ]
}

fn table_def() -> impl Strategy<Value = TableDef> {
    (
        proptest::collection::vec(proptest::option::of((sql_type(), any::<bool>())), 3),
        proptest::option::of((0usize..3, any::<bool>())),
    )
        .prop_map(|(cols, index)| {
            let columns: Vec<Column> = ["x", "y", "z"]
                .iter()
                .zip(cols)
                .filter_map(|(n, c)| {
                    c.map(|(t, nullable)| Column {
                        encoding: None,
                        name: (*n).into(),
                        nullable,
                        sql_type: t,
                    })
                })
                .collect();
            let mut indexes = BTreeMap::new();
            if let Some((i, unique)) = index
                && let Some(c) = columns.get(i % columns.len().max(1))
            {
                indexes.insert(
                    "i".to_owned(),
                    IndexDef {
                        json: Vec::new(),
                        columns: vec![c.name.clone()],
                        unique,
                    },
                );
            }
            TableDef {
                columns,
                indexes,
                search_indexes: Default::default(),
            }
        })
}

fn schema() -> impl Strategy<Value = Tables> {
    proptest::collection::vec(proptest::option::of(table_def()), 3).prop_map(|ts| {
        ["a", "b", "c"]
            .iter()
            .zip(ts)
            .filter_map(|(n, t)| t.map(|t| ((*n).to_owned(), t)))
            .collect()
    })
}

fn insert_rows(db: &rusqlite::Connection, tables: &Tables, counter: &mut i64) {
    for (name, def) in tables {
        for _ in 0..2 {
            *counter += 1;
            let n = *counter;
            let mut cols = vec!["\"_id\"".to_owned(), "\"_creationTime\"".to_owned()];
            let mut vals = vec![format!("'id{n}'"), format!("{n}.0")];
            for c in &def.columns {
                cols.push(format!("\"{}\"", c.name));
                vals.push(if c.nullable && n % 2 == 0 {
                    "NULL".to_owned()
                } else {
                    match c.sql_type {
                        SqlType::Text => format!("'{n}'"),
                        SqlType::Real => format!("{n}.0"),
                        SqlType::Integer => format!("{n}"),
                        SqlType::Blob => format!("CAST('{n}' AS BLOB)"),
                    }
                });
            }
            db.execute_batch(&format!(
                "INSERT INTO \"{name}\" ({}) VALUES ({});",
                cols.join(", "),
                vals.join(", ")
            ))
            .unwrap();
        }
    }
}

fn count(db: &rusqlite::Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn migrations_replay_to_the_final_schema_and_keep_rows(schemas in proptest::collection::vec(schema(), 1..6)) {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let mut current = Tables::new();
        let mut counter = 0;
        for next in schemas {
            let d = match plan(&current, &next, Vec::new(), &Renames::default(), true) {
                Planned::Ready { diff, files } => (diff, files.sql),
                Planned::NoChanges | Planned::Refused(_) => continue,
            };
            let before: BTreeMap<String, i64> = current.keys().map(|t| (t.clone(), count(&db, t))).collect();
            db.execute_batch(&d.1).unwrap();
            for (t, n) in &before {
                let lossy = d.0.data_loss.iter().any(|l| matches!(l,
                    DataLoss::Table { table } | DataLoss::NullRows { table, .. } if table == t));
                if !lossy {
                    prop_assert_eq!(count(&db, t), *n, "rows of {} lost\n{}", t, d.1);
                }
            }
            current = next;
            let actual = introspect(&db).unwrap();
            let again = diff(Pair { previous: &actual, next: &current }, &Renames::default());
            prop_assert!(again.steps.is_empty(), "replay differs: {:?}\n{}", again.steps, d.1);
            insert_rows(&db, &current, &mut counter);
        }
    }
}
