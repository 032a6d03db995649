//! SQL of each kind of step, as insta snapshots; plus the refusals.

use lunora_emit::migrate::{
    Column, IndexDef, Planned, Renames, SqlType, TableDef, Tables, describe_loss, plan,
};

fn col(name: &str, t: SqlType, nullable: bool) -> Column {
    Column {
        encoding: None,
        name: name.into(),
        nullable,
        sql_type: t,
    }
}

fn table(cols: Vec<Column>, idx: Vec<(&str, Vec<&str>, bool)>) -> TableDef {
    TableDef {
        columns: cols,
        search_indexes: Default::default(),
        indexes: idx
            .into_iter()
            .map(|(n, c, u)| {
                (
                    n.to_owned(),
                    IndexDef {
                        json: Vec::new(),
                        columns: c.into_iter().map(String::from).collect(),
                        unique: u,
                    },
                )
            })
            .collect(),
    }
}

fn channels() -> TableDef {
    table(
        vec![
            col("name", SqlType::Text, false),
            col("topic", SqlType::Text, true),
        ],
        vec![("by_name", vec!["name"], true)],
    )
}

fn tables(list: Vec<(&str, TableDef)>) -> Tables {
    list.into_iter().map(|(n, t)| (n.to_owned(), t)).collect()
}

fn sql(prev: &Tables, next: &Tables, renames: &[&str]) -> String {
    let mut r = Renames::default();
    for s in renames {
        r.add(s).unwrap();
    }
    match plan(prev, next, Vec::new(), &r, true) {
        Planned::Ready { files, .. } => files.sql,
        Planned::NoChanges => "no changes".into(),
        Planned::Refused(d) => format!("refused: {:?}", d.refusals),
    }
}

#[test]
fn create_table_with_unique_index() {
    let next = tables(vec![("channels", channels())]);
    insta::assert_snapshot!(sql(&Tables::new(), &next, &[]));
}

#[test]
fn drop_table() {
    let prev = tables(vec![("channels", channels())]);
    insta::assert_snapshot!(sql(&prev, &Tables::new(), &[]));
}

#[test]
fn add_optional_column() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns.push(col("archived", SqlType::Integer, true));
    insta::assert_snapshot!(sql(&prev, &tables(vec![("channels", c)]), &[]));
}

#[test]
fn drop_column() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns.retain(|c| c.name != "topic");
    insta::assert_snapshot!(sql(&prev, &tables(vec![("channels", c)]), &[]));
}

#[test]
fn drop_indexed_column_drops_index_first() {
    let prev = tables(vec![("channels", channels())]);
    let c = table(vec![col("topic", SqlType::Text, true)], vec![]);
    insta::assert_snapshot!(sql(&prev, &tables(vec![("channels", c)]), &[]));
}

#[test]
fn type_change_rebuilds_table() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns[1].sql_type = SqlType::Real;
    insta::assert_snapshot!(sql(&prev, &tables(vec![("channels", c)]), &[]));
}

#[test]
fn optional_to_required_rebuilds_and_filters_nulls() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns[1].nullable = false;
    insta::assert_snapshot!(sql(&prev, &tables(vec![("channels", c)]), &[]));
}

#[test]
fn required_to_optional_rebuilds() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns[0].nullable = true;
    insta::assert_snapshot!(sql(&prev, &tables(vec![("channels", c)]), &[]));
}

#[test]
fn index_add_drop_change_unique() {
    let prev = tables(vec![(
        "channels",
        table(
            vec![
                col("name", SqlType::Text, false),
                col("topic", SqlType::Text, true),
            ],
            vec![
                ("by_name", vec!["name"], true),
                ("by_topic", vec!["topic"], false),
            ],
        ),
    )]);
    let next = tables(vec![(
        "channels",
        table(
            vec![
                col("name", SqlType::Text, false),
                col("topic", SqlType::Text, true),
            ],
            vec![
                ("by_name", vec!["name"], false),
                ("by_both", vec!["topic", "name", "_creationTime"], false),
            ],
        ),
    )]);
    insta::assert_snapshot!(sql(&prev, &next, &[]));
}

#[test]
fn rename_table_and_column() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns[1].name = "subject".into();
    insta::assert_snapshot!(sql(
        &prev,
        &tables(vec![("rooms", c)]),
        &["channels=rooms", "rooms.topic=subject"]
    ));
}

#[test]
fn identifiers_are_quoted() {
    let next = tables(vec![(
        "order",
        table(
            vec![
                col("select", SqlType::Blob, false),
                col("we\"ird", SqlType::Integer, true),
            ],
            vec![],
        ),
    )]);
    insta::assert_snapshot!(sql(&Tables::new(), &next, &[]));
}

#[test]
fn required_column_on_existing_table_is_refused_even_with_permission() {
    let prev = tables(vec![("channels", channels())]);
    let mut c = channels();
    c.columns.push(col("owner", SqlType::Text, false));
    let out = sql(&prev, &tables(vec![("channels", c)]), &[]);
    assert!(out.starts_with("refused"), "{out}");
    assert!(out.contains("owner"), "{out}");
}

#[test]
fn data_loss_is_listed_and_refused_without_permission() {
    let prev = tables(vec![("channels", channels()), ("old", channels())]);
    let mut c = channels();
    c.columns.retain(|c| c.name != "topic");
    c.columns[0].sql_type = SqlType::Integer;
    let next = tables(vec![("channels", c)]);
    let Planned::Refused(d) = plan(&prev, &next, Vec::new(), &Renames::default(), false) else {
        panic!("expected a refusal");
    };
    let lines: Vec<String> = d.data_loss.iter().map(describe_loss).collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn unchanged_schema_has_no_changes() {
    let prev = tables(vec![("channels", channels())]);
    assert!(matches!(
        plan(&prev, &prev.clone(), Vec::new(), &Renames::default(), false),
        Planned::NoChanges
    ));
}

#[test]
fn bad_renames_are_refused() {
    let prev = tables(vec![("channels", channels())]);
    let next = tables(vec![("rooms", channels())]);
    for specs in [
        &["nope=rooms"][..],
        &["channels=nope"],
        &["channels=rooms", "rooms.nope=x"],
    ] {
        let out = sql(&prev, &next, specs);
        let spec = specs.join(" ");
        assert!(out.starts_with("refused"), "{spec}: {out}");
    }
    assert!(Renames::default().add("a.b.c=d").is_err());
    assert!(Renames::default().add("noequals").is_err());
    let mut twice = Renames::default();
    twice.add("a=b").unwrap();
    assert!(twice.add("a=c").is_err());
}

/// SQLite ignores case and keeps tables and indexes in one namespace; these
/// cases came from the `migrate_diff` fuzz target.
#[test]
fn renames_respect_sqlite_names() {
    // Only the case changes: through a temporary name (SQLite refuses `A` → `a`).
    let out = sql(
        &tables(vec![("A", channels())]),
        &tables(vec![("a", channels())]),
        &["A=a"],
    );
    assert!(
        out.contains("ALTER TABLE \"A\" RENAME TO \"_lunora_new_a\";\nALTER TABLE \"_lunora_new_a\" RENAME TO \"a\";\n"),
        "{out}"
    );
    // `B` is `b` to SQLite, and `b` is only dropped after the rename.
    let out = sql(
        &tables(vec![("a", channels()), ("b", channels())]),
        &tables(vec![("B", channels())]),
        &["a=B"],
    );
    assert!(
        out.starts_with("refused") && out.contains("table `b` already exists"),
        "{out}"
    );
    // Index `by_name` of `c` is stored as `c__by_name`, dropped with `c` after the rename.
    let out = sql(
        &tables(vec![("c", channels()), ("t", channels())]),
        &tables(vec![("c__by_name", channels())]),
        &["t=c__by_name"],
    );
    assert!(
        out.starts_with("refused") && out.contains("stored as `c__by_name`"),
        "{out}"
    );
    // A column rename onto a name a dropped column has up to case.
    let mut next = channels();
    next.columns[1].name = "Name".into();
    next.columns.remove(0);
    next.indexes.clear();
    let out = sql(
        &tables(vec![("c", channels())]),
        &tables(vec![("c", next)]),
        &["c.topic=Name"],
    );
    assert!(
        out.starts_with("refused") && out.contains("already has a column `name`"),
        "{out}"
    );
}
