//! Broken `wrangler.jsonc` variants of the template's file, checked by
//! [`lunora_engine::wrangler_config`] and each rendered by the CLI (human
//! format, no colour) into a reviewed snapshot.

use lunora_engine::wrangler_config::*;
use lunora_parser::{Diagnostic, Files};

use lunora_cli::render::{self, Color};

const TEMPLATE: &str = include_str!("../../engine/template/wrangler.jsonc");

const DRY_RUN: Expect = Expect {
    needs_d1: true,
    needs_r2: false,
    remote: false,
    crons: &[],
};
const REMOTE: Expect = Expect {
    needs_d1: true,
    needs_r2: false,
    remote: true,
    crons: &[],
};

fn app() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join("src/server")).expect("mkdir");
    std::fs::write(tmp.path().join("src/server/index.ts"), "export {};\n").expect("write");
    tmp
}

const REAL_ID: &str = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";

/// The template with a real database id and `from` replaced by `to` (which
/// must occur exactly once), so only the edit's problem is reported.
fn edit(from: &str, to: &str) -> String {
    let base = TEMPLATE.replace(PLACEHOLDER_DATABASE_ID, REAL_ID);
    assert_eq!(base.matches(from).count(), 1, "`{from}` must occur once");
    base.replace(from, to)
}

fn check(text: &str, expect: Expect<'_>) -> (Vec<Diagnostic>, String) {
    let tmp = app();
    let mut files = Files::default();
    let diagnostics = validate(tmp.path(), text, &mut files, expect);
    let mut out = Vec::new();
    render::human::render(&diagnostics, &files, Color::Never, &mut out).expect("render");
    (diagnostics, String::from_utf8(out).expect("utf-8"))
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn template_is_valid_for_a_dry_run_except_the_placeholder_warning() {
    let (diagnostics, _) = check(TEMPLATE, DRY_RUN);
    assert_eq!(codes(&diagnostics), ["config/placeholder-database-id"]);
    assert!(!lunora_parser::has_errors(&diagnostics));
}

#[test]
fn real_id_has_no_diagnostics() {
    let text = edit(REAL_ID, REAL_ID);
    assert!(check(&text, REMOTE).0.is_empty());
}

#[test]
fn no_global_tables_needs_no_d1() {
    let start = TEMPLATE.find("\"d1_databases\"").expect("d1");
    let end = TEMPLATE.find("\"dev\"").expect("dev");
    let text = format!("{}{}", &TEMPLATE[..start], &TEMPLATE[end..]);
    let no_d1 = Expect {
        needs_d1: false,
        needs_r2: false,
        remote: true,
        crons: &[],
    };
    assert!(check(&text, no_d1).0.is_empty());
    let (diagnostics, _) = check(&text, REMOTE);
    assert_eq!(codes(&diagnostics), ["config/d1-binding"]);
}

#[test]
fn crons_need_every_expression_in_triggers() {
    let needed = ["*/5 * * * *".to_string(), "0 9 * * MON".to_string()];
    let expect = Expect {
        crons: &needed,
        ..REMOTE
    };
    let text = edit(REAL_ID, REAL_ID);
    // The template has no `triggers`: the jobs would never run.
    let (diagnostics, _) = check(&text, expect);
    assert_eq!(codes(&diagnostics), ["config/crons"]);
    assert!(
        diagnostics[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains(r#""crons": ["*/5 * * * *", "0 9 * * MON"]"#)
    );
    // One of two listed: the other is reported, pointing into the array.
    let one = text.replacen(
        '{',
        "{\n  \"triggers\": { \"crons\": [\"*/5 * * * *\"] },",
        1,
    );
    let (diagnostics, rendered) = check(&one, expect);
    assert_eq!(codes(&diagnostics), ["config/crons"], "{rendered}");
    assert!(
        diagnostics[0].message.contains(r#""0 9 * * MON""#),
        "{rendered}"
    );
    assert!(!diagnostics[0].message.contains("*/5"), "{rendered}");
    assert!(
        rendered.contains(r#"["*/5 * * * *"]"#) || rendered.contains("crons"),
        "{rendered}"
    );
    // Both listed (and a comment): valid.
    let both = text.replacen(
        '{',
        "{\n  // Cron Triggers of lunora/crons.ts\n  \"triggers\": { \"crons\": [\"*/5 * * * *\", \"0 9 * * MON\"] },",
        1,
    );
    assert!(check(&both, expect).0.is_empty());
    // An app without crons needs no triggers.
    assert!(check(&text, REMOTE).0.is_empty());
}

#[test]
fn write_crons_adds_what_is_missing_and_keeps_the_rest() {
    let needed = ["*/5 * * * *".to_string(), "0 9 * * MON".to_string()];
    let expect = Expect {
        crons: &needed,
        ..REMOTE
    };
    let text = edit(REAL_ID, REAL_ID);
    // No `triggers`: created; every other byte (comments included) kept.
    let written = with_crons(&text, &needed).expect("added");
    assert!(check(&written, expect).0.is_empty(), "{written}");
    assert_eq!(
        written.len(),
        text.len()
            + r#"
  "triggers": { "crons": ["*/5 * * * *", "0 9 * * MON"] },"#
                .len()
    );
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with("//"))
            .all(|l| written.contains(l))
    );
    // Nothing missing: nothing to write.
    assert_eq!(with_crons(&written, &needed), None);
    // A partial array gets the missing expression appended; an empty one, all.
    let partial = text.replacen(
        '{',
        "{\n  \"triggers\": { \"crons\": [\"*/5 * * * *\"] },",
        1,
    );
    let fixed = with_crons(&partial, &needed).expect("added");
    assert!(
        fixed.contains(r#""crons": ["*/5 * * * *", "0 9 * * MON"]"#),
        "{fixed}"
    );
    let empty = text.replacen('{', "{\n  \"triggers\": { \"crons\": [] },", 1);
    assert!(
        check(&with_crons(&empty, &needed).expect("added"), expect)
            .0
            .is_empty()
    );
    // `triggers` without `crons`.
    let bare = text.replacen('{', "{\n  \"triggers\": {},", 1);
    assert!(
        check(&with_crons(&bare, &needed).expect("added"), expect)
            .0
            .is_empty()
    );
}

macro_rules! broken {
    ($name:ident, $text:expr, $expect:expr, [$($code:literal),*]) => {
        #[test]
        fn $name() {
            let (diagnostics, rendered) = check(&$text, $expect);
            assert_eq!(codes(&diagnostics), [$($code),*] as [&str; _]);
            insta::assert_snapshot!(stringify!($name), rendered);
        }
    };
}

broken!(
    placeholder_id_is_an_error_for_remote,
    TEMPLATE,
    REMOTE,
    ["config/placeholder-database-id"]
);
broken!(
    syntax_error,
    edit(
        "\"name\": \"lunora-app\",",
        "\"name\": \"lunora-app\" \"x\","
    ),
    DRY_RUN,
    ["config/syntax-error"]
);
broken!(not_an_object, "[1, 2]", DRY_RUN, ["config/syntax-error"]);
broken!(
    no_main,
    edit("\"main\": \"src/server/index.ts\",", ""),
    DRY_RUN,
    ["config/main"]
);
broken!(
    main_file_missing,
    edit("src/server/index.ts", "src/worker.ts"),
    DRY_RUN,
    ["config/main"]
);
broken!(
    main_not_a_string,
    edit("\"src/server/index.ts\"", "42"),
    DRY_RUN,
    ["config/main"]
);
broken!(
    no_compatibility_date,
    edit("\"compatibility_date\": \"2026-05-01\",", ""),
    DRY_RUN,
    ["config/compatibility-date"]
);
broken!(
    bad_compatibility_date,
    edit("2026-05-01", "2026-13-01"),
    DRY_RUN,
    ["config/compatibility-date"]
);
broken!(
    shard_class_renamed,
    edit(
        "\"class_name\": \"LunoraShard\"",
        "\"class_name\": \"Shard\""
    ),
    DRY_RUN,
    ["config/shard-binding"]
);
broken!(
    shard_binding_renamed,
    edit("\"name\": \"LUNORA_SHARD\"", "\"name\": \"SHARDS\""),
    DRY_RUN,
    ["config/shard-binding"]
);
broken!(
    no_durable_objects,
    edit(
        "\"durable_objects\": {\n        \"bindings\": [{ \"name\": \"LUNORA_SHARD\", \"class_name\": \"LunoraShard\" }]\n    },",
        ""
    ),
    DRY_RUN,
    ["config/shard-binding"]
);
broken!(
    shard_without_sqlite,
    edit("new_sqlite_classes", "new_classes"),
    DRY_RUN,
    ["config/shard-migration"]
);
broken!(
    no_migrations,
    edit(
        "\"migrations\": [{ \"tag\": \"v1\", \"new_sqlite_classes\": [\"LunoraShard\"] }],",
        ""
    ),
    DRY_RUN,
    ["config/shard-migration"]
);
broken!(
    d1_binding_renamed,
    edit("\"binding\": \"DB\"", "\"binding\": \"DATABASE\""),
    DRY_RUN,
    ["config/d1-binding"]
);
broken!(
    several_problems_at_once,
    TEMPLATE
        .replace(
            "\"main\": \"src/server/index.ts\",",
            "\"main\": \"nope.ts\","
        )
        .replace("2026-05-01", "soon")
        .replace("new_sqlite_classes", "new_classes"),
    REMOTE,
    [
        "config/main",
        "config/compatibility-date",
        "config/shard-migration",
        "config/placeholder-database-id"
    ]
);
broken!(
    empty_file,
    "  // nothing\n",
    DRY_RUN,
    ["config/syntax-error"]
);

#[test]
fn every_prefix_of_the_template_is_handled_without_panic() {
    let tmp = app();
    for (end, _) in TEMPLATE.char_indices() {
        let diagnostics = validate(tmp.path(), &TEMPLATE[..end], &mut Files::default(), REMOTE);
        assert!(
            lunora_parser::has_errors(&diagnostics),
            "prefix of {end} bytes gave no error"
        );
    }
}

#[test]
fn storage_needs_the_r2_binding() {
    let storage = Expect {
        needs_d1: true,
        needs_r2: true,
        remote: true,
        crons: &[],
    };
    let text = edit(REAL_ID, REAL_ID);
    assert!(
        check(&text, storage).0.is_empty(),
        "the template carries `STORAGE`"
    );
    let renamed = edit("\"binding\": \"STORAGE\"", "\"binding\": \"FILES\"");
    assert_eq!(codes(&check(&renamed, storage).0), ["config/r2-binding"]);
    // An app without file storage does not need it.
    assert!(check(&renamed, REMOTE).0.is_empty());
}
