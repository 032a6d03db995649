//! D1 migrations of text search indexes (docs/ARCHITECTURE.md "Text search"): a
//! search index added to a table with rows finds them, triggers keep it in sync,
//! a table rebuild recreates it, dropping it leaves nothing behind, and
//! `lunora migrate check`'s replay (bundled SQLite, FTS5 enabled) reads back
//! exactly the snapshot's tables. The SQL of each step is snapshotted.

use std::collections::BTreeMap;

use lunora_emit::migrate::{
    Column, Pair, Renames, SearchIndexDef, SqlType, Step, TableDef, Tables, diff, render_sql,
};
use lunora_engine::migrations::replay::introspect;

fn notes(author_nullable: bool, search: bool) -> Tables {
    let col = |name: &str, nullable| Column {
        encoding: None,
        name: name.into(),
        nullable,
        sql_type: SqlType::Text,
    };
    let mut search_indexes = BTreeMap::new();
    if search {
        search_indexes.insert(
            "search_body".to_string(),
            SearchIndexDef {
                column: "body".into(),
            },
        );
    }
    Tables::from([(
        "notes".to_string(),
        TableDef {
            columns: vec![col("body", true), col("author", author_nullable)],
            indexes: BTreeMap::new(),
            search_indexes,
        },
    )])
}

fn migrate(db: &rusqlite::Connection, previous: &Tables, next: &Tables) -> (Vec<Step>, String) {
    let out = diff(Pair { previous, next }, &Renames::default());
    assert!(out.refusals.is_empty(), "{:?}", out.refusals);
    let sql = render_sql(&out.steps);
    db.execute_batch(&sql)
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    assert_eq!(&introspect(db).unwrap(), next, "replay of\n{sql}");
    (out.steps, sql)
}

fn search(db: &rusqlite::Connection, text: &str) -> Vec<String> {
    db.prepare(
        "SELECT n.\"_id\" FROM \"notes__search_body\" f JOIN \"notes\" n ON n.rowid = f.rowid \
         WHERE \"notes__search_body\" MATCH ?1 ORDER BY f.rank, n.rowid",
    )
    .unwrap()
    .query_map([text], |r| r.get(0))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn search_index_migrations_on_sqlite() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let empty = Tables::new();
    let v1 = notes(false, false);
    migrate(&db, &empty, &v1);
    db.execute_batch(
        "INSERT INTO notes (_id, _creationTime, body, author) VALUES ('notes:a', 1, 'hello world', 'ann');
         INSERT INTO notes (_id, _creationTime, body, author) VALUES ('notes:b', 2, 'goodbye', 'bob');
         INSERT INTO notes (_id, _creationTime, body, author) VALUES ('notes:c', 3, NULL, 'cat');",
    )
    .unwrap();

    // Added to a table with rows: it finds them.
    let v2 = notes(false, true);
    let (steps, add_sql) = migrate(&db, &v1, &v2);
    assert!(
        matches!(steps.as_slice(), [Step::CreateSearchIndex { .. }]),
        "{steps:?}"
    );
    assert_eq!(search(&db, "hello"), ["notes:a"]);
    assert_eq!(search(&db, "good*"), ["notes:b"]);
    insta::assert_snapshot!("add_search_index", add_sql);

    // Triggers: insert, update, delete.
    db.execute_batch(
        "INSERT INTO notes (_id, _creationTime, body, author) VALUES ('notes:d', 4, 'hello again', 'dan');
         UPDATE notes SET body = 'hello there' WHERE _id = 'notes:c';
         DELETE FROM notes WHERE _id = 'notes:a';",
    )
    .unwrap();
    let mut hits = search(&db, "hello");
    hits.sort();
    assert_eq!(hits, ["notes:c", "notes:d"]);

    // No change: no step.
    assert!(
        diff(
            Pair {
                previous: &v2,
                next: &v2
            },
            &Renames::default()
        )
        .steps
        .is_empty()
    );

    // A rebuild (author becomes optional) drops and recreates the index around it.
    let v3 = notes(true, true);
    let (steps, rebuild_sql) = migrate(&db, &v2, &v3);
    assert!(
        matches!(
            steps.as_slice(),
            [
                Step::DropSearchIndex { .. },
                Step::RebuildTable { .. },
                Step::CreateSearchIndex { .. }
            ]
        ),
        "{steps:?}"
    );
    let mut hits = search(&db, "hello");
    hits.sort();
    assert_eq!(hits, ["notes:c", "notes:d"]);
    insta::assert_snapshot!("rebuild_with_search_index", rebuild_sql);

    // Dropped: its FTS5 table, shadow tables and triggers go.
    let v4 = notes(true, false);
    let (steps, drop_sql) = migrate(&db, &v3, &v4);
    assert!(
        matches!(steps.as_slice(), [Step::DropSearchIndex { .. }]),
        "{steps:?}"
    );
    let left: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'notes\\_\\_%' ESCAPE '\\'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    insta::assert_snapshot!("drop_search_index", drop_sql);
}
