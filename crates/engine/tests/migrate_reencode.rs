//! D1 columns whose encoding changes while their SQL type may not
//! (docs/ARCHITECTURE.md "D1 migrations"): `v.string()` → `v.union(v.string(),
//! v.null())` keeps TEXT but goes from the plain string to tagged JSON, and a
//! boolean or an int64 (both INTEGER) becomes JSON too. The snapshot records
//! each column's encoding, the differ rebuilds the table converting every row
//! into what the runtime would have written (`stringify(encodeStored(v))`), and
//! only a conversion that can lose values needs `--allow-data-loss`. Applied on
//! SQLite (rusqlite) and read back.

use std::collections::BTreeMap;

use lunora_emit::migrate::{
    Column, DataLoss, Encoding, Pair, Renames, SqlType, Step, TableDef, Tables, diff, render_sql,
};
use lunora_engine::migrations::replay::introspect;
use rusqlite::types::Value;

fn col(name: &str, encoding: Option<Encoding>, sql_type: SqlType, nullable: bool) -> Column {
    Column {
        encoding,
        name: name.into(),
        nullable,
        sql_type,
    }
}

fn notes(columns: Vec<Column>) -> Tables {
    Tables::from([(
        "notes".to_string(),
        TableDef {
            columns,
            indexes: BTreeMap::new(),
            search_indexes: BTreeMap::new(),
        },
    )])
}

/// Creates `previous` with `rows` (column values in order, `_id` numbered),
/// migrates to `next`, and returns the diff's data losses and the rows after.
fn migrate(
    previous: &Tables,
    next: &Tables,
    rows: &[Vec<Value>],
) -> (Vec<DataLoss>, Vec<Vec<Value>>) {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let create = diff(
        Pair {
            previous: &Tables::new(),
            next: previous,
        },
        &Renames::default(),
    );
    db.execute_batch(&render_sql(&create.steps)).unwrap();
    let columns = &previous["notes"].columns;
    let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.name)).collect();
    for (k, row) in rows.iter().enumerate() {
        let marks = vec!["?"; row.len()].join(", ");
        let sql = format!(
            "INSERT INTO notes (_id, _creationTime, {}) VALUES ('n{k}', {k}, {marks})",
            names.join(", ")
        );
        db.execute(&sql, rusqlite::params_from_iter(row.iter()))
            .unwrap();
    }
    let out = diff(Pair { previous, next }, &Renames::default());
    assert!(out.refusals.is_empty(), "{:?}", out.refusals);
    assert!(
        out.steps
            .iter()
            .any(|s| matches!(s, Step::RebuildTable { .. })),
        "{:?}",
        out.steps
    );
    let sql = render_sql(&out.steps);
    db.execute_batch(&sql)
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    assert_eq!(&introspect(&db).unwrap(), next, "replay of\n{sql}");
    let after = next["notes"]
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name));
    let select = format!(
        "SELECT {} FROM notes ORDER BY _creationTime",
        after.collect::<Vec<_>>().join(", ")
    );
    let mut stmt = db.prepare(&select).unwrap();
    let n = next["notes"].columns.len();
    let got = stmt
        .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<Vec<Vec<Value>>, _>>()
        .unwrap();
    (out.data_loss, got)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

#[test]
fn text_booleans_and_int64s_become_json_without_loss() {
    use Encoding::{Bool, Int64, Json};
    use SqlType::Integer;
    let previous = notes(vec![
        col("s", Some(Encoding::Text), SqlType::Text, false),
        col("os", Some(Encoding::Text), SqlType::Text, true),
        col("b", Some(Bool), Integer, false),
        col("i", Some(Int64), Integer, true),
    ]);
    let next = notes(vec![
        col("s", Some(Json), SqlType::Text, false),
        col("os", Some(Json), SqlType::Text, true),
        col("b", Some(Json), SqlType::Text, false),
        col("i", Some(Json), SqlType::Text, true),
    ]);
    let rows = vec![
        vec![
            text("plain"),
            text("a\"b\\c é"),
            Value::Integer(1),
            Value::Integer(i64::MAX),
        ],
        vec![text(""), Value::Null, Value::Integer(0), Value::Null],
    ];
    let (loss, got) = migrate(&previous, &next, &rows);
    assert_eq!(loss, vec![], "widening into JSON loses nothing");
    // Exactly what the runtime writes for these values, and absent stays NULL.
    assert_eq!(
        got,
        vec![
            vec![
                text("\"plain\""),
                text("\"a\\\"b\\\\c é\""),
                text("true"),
                text("{\"$int64\":\"9223372036854775807\"}"),
            ],
            vec![text("\"\""), Value::Null, text("false"), Value::Null],
        ]
    );
    // Each is JSON that decodes to the value it was.
    let decoded: serde_json::Value = serde_json::from_str("\"a\\\"b\\\\c é\"").unwrap();
    assert_eq!(decoded, serde_json::json!("a\"b\\c é"));
}

#[test]
fn out_of_json_keeps_the_values_of_the_new_kind_and_reports_the_rest() {
    use Encoding::*;
    let previous = notes(vec![
        col("s", Some(Json), SqlType::Text, false),
        col("o", Some(Json), SqlType::Text, true),
    ]);
    // `v.union(v.string(), v.null())` → `v.string()` (required) and → `v.optional(v.string())`.
    let next = notes(vec![
        col("s", Some(Text), SqlType::Text, false),
        col("o", Some(Text), SqlType::Text, true),
    ]);
    let rows = vec![
        vec![text("\"kept\""), text("null")],
        vec![text("null"), text("\"x\"")],
        vec![text("\"also\""), Value::Null],
    ];
    let (loss, got) = migrate(&previous, &next, &rows);
    assert_eq!(
        loss,
        vec![
            DataLoss::Reencoding {
                table: "notes".into(),
                column: "s".into(),
                from: Json,
                to: Text
            },
            DataLoss::Reencoding {
                table: "notes".into(),
                column: "o".into(),
                from: Json,
                to: Text
            },
        ]
    );
    // The row whose required value was null is gone; an optional null became absent.
    assert_eq!(
        got,
        vec![
            vec![text("kept"), Value::Null],
            vec![text("also"), Value::Null],
        ]
    );
}

#[test]
fn numbers_into_json_are_reported_and_keep_their_value_and_sign() {
    use Encoding::*;
    let previous = notes(vec![col("n", Some(Real), SqlType::Real, false)]);
    let next = notes(vec![col("n", Some(Json), SqlType::Text, false)]);
    let neg_zero = Value::Blob(b"-0".to_vec());
    let rows = vec![
        vec![Value::Real(1.5)],
        vec![neg_zero],
        vec![Value::Real(-3.0)],
    ];
    let (loss, got) = migrate(&previous, &next, &rows);
    assert!(
        matches!(
            &loss[..],
            [DataLoss::Reencoding {
                from: Real,
                to: Json,
                ..
            }]
        ),
        "{loss:?}"
    );
    let parsed: Vec<f64> = got
        .iter()
        .map(|r| match &r[0] {
            Value::Text(t) => serde_json::from_str::<f64>(t).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(parsed[0], 1.5);
    assert!(parsed[1] == 0.0 && parsed[1].is_sign_negative(), "{got:?}");
    assert_eq!(parsed[2], -3.0);
}

#[test]
fn a_snapshot_without_encodings_equals_one_with_them() {
    // Snapshots written before encodings were recorded: the same columns are no change.
    let old = notes(vec![col("s", None, SqlType::Text, false)]);
    let new = notes(vec![col("s", Some(Encoding::Json), SqlType::Text, false)]);
    let out = diff(
        Pair {
            previous: &old,
            next: &new,
        },
        &Renames::default(),
    );
    assert!(out.steps.is_empty(), "{:?}", out.steps);
    assert_eq!(old, new);
}

#[test]
fn a_nullable_fields_index_reads_its_json_column_and_replays() {
    use lunora_emit::migrate::IndexDef;
    // `v.union(v.string(), v.null())`, indexed (with `_creationTime`), in a new table.
    let mut next = notes(vec![
        col("u", Some(Encoding::Json), SqlType::Text, false),
        col("t", Some(Encoding::Text), SqlType::Text, false),
    ]);
    next.get_mut("notes").unwrap().indexes.insert(
        "by_u".into(),
        IndexDef {
            columns: vec!["u".into(), "_creationTime".into()],
            json: vec!["u".into()],
            unique: false,
        },
    );
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let out = diff(
        Pair {
            previous: &Tables::new(),
            next: &next,
        },
        &Renames::default(),
    );
    let sql = render_sql(&out.steps);
    assert!(
        sql.contains(r#"ON "notes" (json_extract("u", '$'), "_creationTime")"#),
        "{sql}"
    );
    db.execute_batch(&sql).unwrap();
    // `migrate check`'s replay reads the expression back as the snapshot has it.
    assert_eq!(introspect(&db).unwrap(), next);
    // The runtime's range (npm/runtime/src/storage/d1.ts) uses the index.
    let plan: Vec<String> = db
        .prepare(
            r#"EXPLAIN QUERY PLAN SELECT _id FROM "notes" WHERE json_extract("notes"."u", '$') < ?1 ORDER BY json_extract("notes"."u", '$')"#,
        )
        .unwrap()
        .query_map(["b"], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|d| d.contains("INDEX notes__by_u")),
        "{plan:?}"
    );
    // A table rebuild (a column's type changes) recreates the expression index.
    let mut rebuilt = next.clone();
    rebuilt.get_mut("notes").unwrap().columns[1] =
        col("t", Some(Encoding::Real), SqlType::Real, false);
    let step = diff(
        Pair {
            previous: &next,
            next: &rebuilt,
        },
        &Renames::default(),
    );
    db.execute_batch(&render_sql(&step.steps)).unwrap();
    assert_eq!(introspect(&db).unwrap(), rebuilt);
}

#[test]
fn numbers_into_text_are_data_loss_and_int64s_are_not() {
    // SQLite prints a double with 15 significant digits: a number made a string can change.
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let printed: String = db
        .query_row("SELECT CAST(0.30000000000000004 AS TEXT)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(printed, "0.3");
    let loss = |from: Column, to: Column| {
        diff(
            Pair {
                previous: &notes(vec![from]),
                next: &notes(vec![to]),
            },
            &Renames::default(),
        )
        .data_loss
    };
    // With encodings recorded (v.number() → v.string()), and from an older snapshot without them.
    assert!(matches!(
        &loss(
            col("n", Some(Encoding::Real), SqlType::Real, false),
            col("n", Some(Encoding::Text), SqlType::Text, false)
        )[..],
        [DataLoss::Reencoding {
            from: Encoding::Real,
            to: Encoding::Text,
            ..
        }]
    ));
    assert!(matches!(
        &loss(
            col("n", None, SqlType::Real, false),
            col("n", Some(Encoding::Text), SqlType::Text, false)
        )[..],
        [DataLoss::Narrowing {
            from: SqlType::Real,
            to: SqlType::Text,
            ..
        }]
    ));
    // An int64's decimal digits are exact; a big int64 made a number is rounded.
    assert_eq!(
        loss(
            col("i", Some(Encoding::Int64), SqlType::Integer, false),
            col("i", Some(Encoding::Text), SqlType::Text, false)
        ),
        vec![]
    );
    assert_eq!(
        loss(
            col("i", Some(Encoding::Int64), SqlType::Integer, false),
            col("i", Some(Encoding::Real), SqlType::Real, false)
        )
        .len(),
        1
    );
}
