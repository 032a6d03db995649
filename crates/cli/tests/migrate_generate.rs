//! `migrate generate` file writing, driven with hand-built IR values and,
//! for union tables, with the analyzer's IR of a schema.

use lunora_analyzer::{Field, Ir, Validator};
use lunora_cli::commands::migrate::generate_from_ir;
use lunora_cli::{Exit, Reporter};
use lunora_emit::migrate::{Renames, Snapshot};
use lunora_testkit::ir::{chat_ir, field, optional};

/// The chat tutorial's IR (its global tables: `channels`, the built-in `users`),
/// with `extra` appended to `channels`.
fn chat(extra: Option<Field>) -> Ir {
    let mut ir = chat_ir();
    let channels = ir.tables.iter_mut().find(|t| t.name == "channels");
    channels.expect("chat_ir has channels").fields.extend(extra);
    ir
}

fn run(root: &std::path::Path, ir: &Ir, stem: &str, allow: bool) -> (Exit, String, String) {
    run_as(root, ir, stem, allow, lunora_cli::Format::Human)
}

fn run_as(
    root: &std::path::Path,
    ir: &Ir,
    stem: &str,
    allow: bool,
    format: lunora_cli::Format,
) -> (Exit, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let files = lunora_parser::Files::default();
    let color = lunora_cli::render::Color::Never;
    let exit = generate_from_ir(
        root,
        ir,
        &Renames::default(),
        allow,
        stem,
        &files,
        &mut Reporter::new(format, color, &mut out, &mut err),
    );
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn files(root: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("lunora/migrations"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn init_then_no_changes_then_refusal_then_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (exit, out, _) = run(root, &chat(None), "20240401123456_init", false);
    assert_eq!(exit, Exit::Ok);
    assert_eq!(out, "wrote lunora/migrations/20240401123456_init.sql\n");
    let sql =
        std::fs::read_to_string(root.join("lunora/migrations/20240401123456_init.sql")).unwrap();
    assert!(sql.contains("CREATE TABLE \"channels\""), "{sql}");
    assert!(
        sql.contains("CREATE UNIQUE INDEX \"users__by_subject\""),
        "{sql}"
    );
    assert!(
        !sql.contains("messages"),
        "sharded tables are not in D1: {sql}"
    );
    assert!(!sql.contains("2024"), "timestamp only in the file name");
    let snap =
        std::fs::read_to_string(root.join("lunora/migrations/20240401123456_init.snapshot.json"))
            .unwrap();
    let parsed = Snapshot::from_json(&snap).unwrap();
    assert_eq!(parsed.checksum, parsed.compute_checksum());

    // Same inputs, same bytes (another folder, another stem).
    let dir2 = tempfile::tempdir().unwrap();
    run(dir2.path(), &chat(None), "20250101000000_init", false);
    assert_eq!(
        sql,
        std::fs::read_to_string(
            dir2.path()
                .join("lunora/migrations/20250101000000_init.sql")
        )
        .unwrap()
    );
    assert_eq!(
        snap,
        std::fs::read_to_string(
            dir2.path()
                .join("lunora/migrations/20250101000000_init.snapshot.json")
        )
        .unwrap()
    );

    let (exit, out, _) = run(root, &chat(None), "20240401123457_again", false);
    assert_eq!(exit, Exit::Ok);
    assert!(out.starts_with("no changes"), "{out}");
    assert_eq!(files(root).len(), 2);

    // A required field on an existing table is refused, even with permission.
    let (exit, _, err) = run(
        root,
        &chat(Some(field("owner", Validator::String))),
        "20240401123458_owner",
        true,
    );
    assert_eq!(exit, Exit::UserError);
    assert!(err.contains("owner") && err.contains("no default"), "{err}");
    assert!(err.contains("migrate/required-column"), "{err}");
    assert_eq!(files(root).len(), 2);
    // Under --format json the refusal is a coded diagnostic on stdout.
    let (exit, out, _) = run_as(
        root,
        &chat(Some(field("owner", Validator::String))),
        "20240401123458_owner",
        true,
        lunora_cli::Format::Json,
    );
    assert_eq!(exit, Exit::UserError);
    let doc: serde_json::Value = serde_json::from_str(&out).expect(&out);
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["migrate/required-column"], "{out}");

    // Dropping a column needs --allow-data-loss and says what is lost.
    let mut dropped = chat(None);
    dropped.tables[0].fields.pop();
    let (exit, _, err) = run(root, &dropped, "20240401123459_drop", false);
    assert_eq!(exit, Exit::UserError);
    assert!(err.contains("column `channels.topic`"), "{err}");
    assert!(
        err.contains("migrate/data-loss") && err.contains("--allow-data-loss"),
        "{err}"
    );
    let (_, out, _) = run_as(
        root,
        &dropped,
        "20240401123459_drop",
        false,
        lunora_cli::Format::Json,
    );
    assert!(out.contains("\"migrate/data-loss\""), "{out}");
    assert_eq!(files(root).len(), 2);
    let (exit, out, _) = run(root, &dropped, "20240401123459_drop", true);
    assert_eq!(exit, Exit::Ok, "{out}");
    assert_eq!(files(root).len(), 4);
    let snap2 = Snapshot::from_json(
        &std::fs::read_to_string(root.join("lunora/migrations/20240401123459_drop.snapshot.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(snap2.previous.len(), 1);
    assert_eq!(snap2.previous[0].name, "20240401123456_init");
    assert!(!files(root).iter().any(|f| f.contains("tmp")));
}

fn check_codes(root: &std::path::Path, ir: &Ir) -> (Exit, Vec<String>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let (format, color) = (lunora_cli::Format::Json, lunora_cli::render::Color::Never);
    let exit = lunora_cli::commands::migrate::check_ir(
        root,
        ir,
        &mut Reporter::new(format, color, &mut out, &mut err),
    );
    if exit == Exit::Ok {
        return (exit, Vec::new());
    }
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let mut codes: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    (exit, codes)
}

#[test]
fn check_catches_each_kind_of_drift() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // No migrations yet: the schema's global tables are drift.
    let (exit, codes) = check_codes(root, &chat(None));
    assert_eq!(exit, Exit::UserError);
    assert!(codes.contains(&"migrate/drift".to_owned()), "{codes:?}");

    run(root, &chat(None), "20240401123456_init", false);
    let mut with_owner = chat(Some(field("owner", optional(Validator::String))));
    run(root, &with_owner, "20240401123457_owner", false);
    assert_eq!(check_codes(root, &with_owner), (Exit::Ok, Vec::new()));

    // Schema changed without a migration.
    with_owner.tables[0].indexes.clear();
    assert_eq!(check_codes(root, &with_owner).1, vec!["migrate/drift"]);
    let with_owner = chat(Some(field("owner", optional(Validator::String))));

    // An earlier SQL file edited: checksum + replay both notice.
    let sql_path = root.join("lunora/migrations/20240401123456_init.sql");
    let original = std::fs::read_to_string(&sql_path).unwrap();
    std::fs::write(
        &sql_path,
        original.replace(
            "CREATE UNIQUE INDEX \"channels__by_name\" ON \"channels\" (\"name\");",
            "",
        ),
    )
    .unwrap();
    assert_eq!(
        check_codes(root, &with_owner).1,
        // its own checksum, the later snapshot's history, and the replay
        vec![
            "migrate/edited",
            "migrate/edited",
            "migrate/replay-mismatch"
        ]
    );
    std::fs::write(&sql_path, &original).unwrap();
    assert_eq!(check_codes(root, &with_owner), (Exit::Ok, Vec::new()));

    // A snapshot edited by hand.
    let snap_path = root.join("lunora/migrations/20240401123457_owner.snapshot.json");
    let snap = std::fs::read_to_string(&snap_path).unwrap();
    std::fs::write(&snap_path, snap.replace("\"owner\"", "\"owner2\"")).unwrap();
    let codes = check_codes(root, &with_owner).1;
    assert!(codes.contains(&"migrate/edited".to_owned()), "{codes:?}");
    std::fs::write(&snap_path, &snap).unwrap();

    // A migration removed: the later snapshot's history no longer matches.
    std::fs::remove_file(&sql_path).unwrap();
    std::fs::remove_file(root.join("lunora/migrations/20240401123456_init.snapshot.json")).unwrap();
    let codes = check_codes(root, &with_owner).1;
    assert!(codes.contains(&"migrate/edited".to_owned()), "{codes:?}");
    assert!(
        codes.contains(&"migrate/replay-mismatch".to_owned()),
        "{codes:?}"
    );
}

/// A union table's D1 columns are the merge of its variants (docs/ARCHITECTURE.md, "Union
/// tables"), analyzed from source: a new variant adds its fields as nullable columns, and one
/// lacking a field every variant had makes that column nullable (a rebuild keeping the rows).
#[test]
fn a_union_table_migrates_as_its_merged_fields() {
    let ir_of = |variants: &str| {
        let schema = format!(
            "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport default defineSchema({{\n  events: defineTable(v.union({variants})).global(),\n}});\n"
        );
        let mut fs = lunora_parser::MemFs::new();
        fs.insert("/app/lunora/schema.ts", schema.into_bytes());
        let r = lunora_analyzer::analyze(std::path::Path::new("/app"), &fs);
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        r.ir.expect("ir")
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let two = r#"v.object({ type: v.literal("signup"), email: v.string(), at: v.number() }), v.object({ type: v.literal("buy"), amount: v.int64(), at: v.number() })"#;
    let (exit, _, err) = run(root, &ir_of(two), "20260101000000_init", false);
    assert_eq!(exit, Exit::Ok, "{err}");
    let init =
        std::fs::read_to_string(root.join("lunora/migrations/20260101000000_init.sql")).unwrap();
    for column in [
        "\"type\" TEXT NOT NULL",
        "\"email\" TEXT,",
        "\"at\" REAL NOT NULL",
        "\"amount\" INTEGER\n",
    ] {
        assert!(init.contains(column), "{column} in\n{init}");
    }
    let three = format!(r#"{two}, v.object({{ type: v.literal("note"), text: v.string() }})"#);
    let (exit, _, err) = run(root, &ir_of(&three), "20260102000000_note", false);
    assert_eq!(exit, Exit::Ok, "{err}");
    let next =
        std::fs::read_to_string(root.join("lunora/migrations/20260102000000_note.sql")).unwrap();
    assert!(
        next.contains("rebuild table `events`: `at` REAL NOT NULL → REAL NULL"),
        "{next}"
    );
    assert!(next.contains("\"text\" TEXT\n"), "{next}");
    assert!(
        next.contains("SELECT \"_id\", \"_creationTime\", \"type\", \"email\", \"at\", \"amount\" FROM \"events\""),
        "the rows are kept: {next}"
    );
}
