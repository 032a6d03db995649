//! Invariants checked by the fuzz targets (`fuzz/`) and by the regression
//! tests that replay their reproducers (`crates/testkit/tests/fuzz_regressions.rs`),
//! so CI checks every past crash without running the fuzzer.
//!
//! Each check returns `Err(description)` when an invariant is broken; a panic
//! inside the pipeline propagates (the caller decides whether to catch it).

use std::path::Path;

use lunora_emit::migrate::{
    DataLoss, Encoding, Pair, Planned, Renames, SqlType, Tables, diff, plan, tables_of,
};
use lunora_emit::quote::quote_ident;
use lunora_parser::{Files, MemFs, SourceFile, has_errors, summarize};

use lunora_engine::migrations::replay::introspect;
use lunora_engine::pipeline::generate;

/// The schema used when the fuzzed text is a function module.
const MODULE_SCHEMA: &str = r#"import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({
  channels: defineTable({ name: v.string() }).global().index("by_name", ["name"], { unique: true }),
  messages: defineTable({ channelId: v.id("channels"), body: v.string(), n: v.optional(v.number()) })
    .shardBy("channelId")
    .index("by_channel", ["channelId"]),
});
"#;

/// Where the fuzzed text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// As `lunora/schema.ts`, alone.
    Schema,
    /// As `lunora/fuzz.ts`, next to a small valid schema.
    FunctionModule,
}

/// Runs analyze + emit on `input` placed as `placement` in an in-memory app and
/// checks the invariants of [`check_app`].
pub fn check_codegen(input: &[u8], placement: Placement) -> Result<(), String> {
    let files: Vec<(String, Vec<u8>)> = match placement {
        Placement::Schema => vec![("lunora/schema.ts".into(), input.to_vec())],
        Placement::FunctionModule => vec![
            ("lunora/schema.ts".into(), MODULE_SCHEMA.as_bytes().to_vec()),
            ("lunora/fuzz.ts".into(), input.to_vec()),
        ],
    };
    check_app(&files)
}

/// Runs analyze + emit on an in-memory app made of `files` (paths relative to
/// the app root) and checks:
/// - every diagnostic label lies within its file, on char boundaries;
/// - a second run gives the same diagnostics and outputs (determinism);
/// - errors ⇔ nothing emitted;
/// - without errors, every emitted TypeScript file parses with oxc, and the
///   first migration of the app's global tables runs on SQLite and yields them,
///   and the Durable Object DDL of the other tables runs and creates them all.
pub fn check_app(files: &[(String, Vec<u8>)]) -> Result<(), String> {
    let mut fs = MemFs::new();
    let root = Path::new("/app");
    for (path, contents) in files {
        fs.insert(root.join(path), contents.clone());
    }
    let generated = generate(root, &fs);
    check_spans(&generated.files, &generated.diagnostics)?;
    let again = generate(root, &fs);
    if again.diagnostics != generated.diagnostics {
        return Err(format!(
            "diagnostics differ between two runs:\n{:?}\n{:?}",
            generated.diagnostics, again.diagnostics
        ));
    }
    if again.outputs != generated.outputs {
        return Err("outputs differ between two runs".into());
    }
    if has_errors(&generated.diagnostics) {
        if !generated.outputs.is_empty() {
            return Err("errors were reported but files were emitted".into());
        }
        return Ok(());
    }
    if generated.outputs.is_empty() {
        return Err("no error was reported but nothing was emitted".into());
    }
    let mut emitted = Files::new();
    for out in &generated.outputs {
        if !out.path.ends_with(".ts") {
            continue;
        }
        let id = emitted.add(out.path.clone(), out.contents.clone());
        let parsed = summarize(emitted.get(id));
        if let Some(d) = parsed.diagnostics.first() {
            return Err(format!(
                "emitted {} does not parse: {}\n{}",
                out.path, d.message, out.contents
            ));
        }
    }
    let Some(ir) = &generated.ir else {
        return Err("no error was reported but there is no IR".into());
    };
    check_migration(&Tables::new(), &tables_of(ir), &Renames::default())
        .map_err(|e| format!("first migration of the global tables: {e}"))?;
    check_storage(ir)
}

/// The Durable Object DDL of the root and shard tables runs on SQLite and
/// creates one table per table and one index per index: its statements say
/// `IF NOT EXISTS`, so two Lunora names that SQLite sees as one would
/// otherwise share an object silently.
fn check_storage(ir: &lunora_analyzer::Ir) -> Result<(), String> {
    let db = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    let mut expected = 0;
    for table in &ir.tables {
        let Some(statements) = lunora_emit::storage::table_statements(table) else {
            continue;
        };
        // A search index is an FTS5 table with 5 shadow tables (`_data`, `_idx`,
        // `_content`, `_docsize`, `_config`).
        expected += 1 + table.indexes.len() + 6 * table.search_indexes.len();
        for sql in statements {
            db.execute_batch(&sql)
                .map_err(|e| format!("storage DDL failed: {e}\n{sql}"))?;
        }
    }
    let created: usize = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT LIKE 'sqlite_autoindex_%'",
            [],
            |row| row.get(0),
        )
        .map_err(|e| e.to_string())?;
    if created != expected {
        return Err(format!(
            "storage DDL created {created} tables and indexes, expected {expected}"
        ));
    }
    Ok(())
}

fn check_spans(files: &Files, diagnostics: &[lunora_parser::Diagnostic]) -> Result<(), String> {
    for d in diagnostics {
        for label in &d.labels {
            let Some(file) = files.iter().find(|f| f.id == label.at.file) else {
                return Err(format!("{}: label points to an unknown file", d.code));
            };
            let span = label.at.span;
            if !span_ok(file, span) {
                return Err(format!(
                    "{} ({}): span {}..{} is not a char range of {} ({} bytes)",
                    d.code,
                    d.message,
                    span.start,
                    span.end,
                    file.path,
                    file.text.len()
                ));
            }
        }
    }
    Ok(())
}

fn span_ok(file: &SourceFile, span: lunora_parser::Span) -> bool {
    let (start, end) = (span.start as usize, span.end as usize);
    start <= end
        && end <= file.text.len()
        && file.text.is_char_boundary(start)
        && file.text.is_char_boundary(end)
}

/// Plans the migration `previous` → `next` (with `renames`) and checks that its
/// SQL runs on SQLite once `previous`'s tables exist, and that the result is
/// `next`. A refusal (data loss, a rename that does not apply) is a valid
/// outcome (nothing to execute); without data loss allowed, a plan is refused
/// exactly when the diff reports data loss or a refusal.
pub fn check_migration(previous: &Tables, next: &Tables, renames: &Renames) -> Result<(), String> {
    let db = create(previous)?;
    let created = introspect(&db).map_err(|e| e.to_string())?;
    let again = diff(
        Pair {
            previous: &created,
            next: previous,
        },
        &Renames::default(),
    );
    if !again.steps.is_empty() {
        return Err(format!(
            "created tables differ from the previous snapshot: {:?}",
            again.steps
        ));
    }
    for allow_data_loss in [false, true] {
        let sql = match plan(previous, next, Vec::new(), renames, allow_data_loss) {
            Planned::Ready { files, .. } => files.sql,
            Planned::NoChanges => {
                let d = diff(Pair { previous, next }, renames);
                if !d.steps.is_empty() {
                    return Err(format!(
                        "no changes planned but the diff has steps: {:?}",
                        d.steps
                    ));
                }
                return Ok(());
            }
            Planned::Refused(_) => continue,
        };
        let db = create(previous)?;
        insert_one_row_each(&db, previous)?;
        db.execute_batch(&sql)
            .map_err(|e| format!("migration SQL failed: {e}\n{sql}"))?;
        let actual = introspect(&db).map_err(|e| e.to_string())?;
        let rest = diff(
            Pair {
                previous: &actual,
                next,
            },
            &Renames::default(),
        );
        if !rest.steps.is_empty() {
            return Err(format!(
                "applying the migration does not give the next snapshot: {:?}\n{sql}",
                rest.steps
            ));
        }
        // A table that lives on (under its name or a new one) keeps its row, unless a
        // reported lossy re-encoding into a required column could not convert its value.
        let lossy = diff(Pair { previous, next }, renames).data_loss;
        for name in next.keys() {
            let may_go = lossy.iter().any(|loss| {
                matches!(loss, DataLoss::Reencoding { table, column, .. }
                    if table == name
                        && next[name].column(column).is_some_and(|c| !c.nullable))
            });
            let kept = renames.tables.values().any(|to| to == name)
                || (previous.contains_key(name) && !renames.tables.contains_key(name));
            let rows: i64 = db
                .query_row(
                    &format!("SELECT count(*) FROM {}", quote_ident(name)),
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| e.to_string())?;
            if rows != i64::from(kept) && !(may_go && rows == 0) {
                return Err(format!(
                    "table `{name}` has {rows} row(s) after the migration, expected {}\n{sql}",
                    i64::from(kept)
                ));
            }
        }
    }
    Ok(())
}

/// One row in every table, with a non-null value of the column's type (and
/// encoding, when known) in every column.
fn insert_one_row_each(db: &rusqlite::Connection, tables: &Tables) -> Result<(), String> {
    for (name, def) in tables {
        let mut columns = vec![quote_ident("_id"), quote_ident("_creationTime")];
        let mut values = vec!["'row'".to_owned(), "1.5".to_owned()];
        for c in &def.columns {
            columns.push(quote_ident(&c.name));
            values.push(
                match (c.encoding, c.sql_type) {
                    (Some(Encoding::Text), _) => "'text'",
                    (Some(Encoding::Bool), _) => "1",
                    // JSON, or a TEXT column of an older snapshot (text or JSON, unknown): a
                    // value valid as both.
                    (_, SqlType::Text) => "'\"text\"'",
                    (_, SqlType::Real) => "2.5",
                    (_, SqlType::Integer) => "7",
                    (_, SqlType::Blob) => "x'00ff'",
                }
                .to_owned(),
            );
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({});",
            quote_ident(name),
            columns.join(", "),
            values.join(", ")
        );
        db.execute_batch(&sql)
            .map_err(|e| format!("inserting a row failed: {e}\n{sql}"))?;
    }
    Ok(())
}

/// An in-memory SQLite holding `tables`, created by the first migration's SQL.
fn create(tables: &Tables) -> Result<rusqlite::Connection, String> {
    let db = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    match plan(
        &Tables::new(),
        tables,
        Vec::new(),
        &Renames::default(),
        true,
    ) {
        Planned::Ready { files, .. } => db
            .execute_batch(&files.sql)
            .map_err(|e| format!("creating the previous tables failed: {e}\n{}", files.sql))?,
        Planned::NoChanges => {}
        Planned::Refused(r) => {
            return Err(format!("creating tables was refused: {:?}", r.refusals));
        }
    }
    Ok(db)
}
