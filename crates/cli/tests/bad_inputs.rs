//! Bad-input corpus (issue 9): every hostile app tree makes `lunora codegen`
//! (and `migrate generate`) report a diagnostic and exit 1 or 2 — never a
//! panic, an abort or a stack overflow (those exit by signal or with 101).

use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMA: &str = r#"import { defineSchema, defineTable, v } from "lunorash/server";

export const schema = defineSchema({
  notes: defineTable({ title: v.string() }).index("by_title", ["title"]),
});
"#;

const FUNCTIONS: &str = r#"import { query } from "./_generated/server";

export const list = query.query(async ({ ctx }) => ctx.db.query("notes").collect());
"#;

/// A temp app with `lunora/schema.ts` and `lunora/notes.ts`; `edit` changes it.
fn app(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("app");
    std::fs::create_dir_all(root.join("lunora")).expect("mkdir");
    std::fs::write(root.join("lunora/schema.ts"), SCHEMA).expect("write");
    std::fs::write(root.join("lunora/notes.ts"), FUNCTIONS).expect("write");
    edit(&root);
    (tmp, root)
}

struct Run {
    code: Option<i32>,
    stderr: String,
    stdout: String,
}

fn lunora(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lunora"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .env("LUNORA_MIGRATION_TIMESTAMP", "20260101000000")
        .output()
        .expect("run lunora");
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// Exit 1 or 2 with a message on stderr, no panic.
fn fails_cleanly(what: &str, run: &Run) {
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("stack overflow"),
        "{what}: crashed:\n{}",
        run.stderr
    );
    assert!(
        matches!(run.code, Some(1 | 2)),
        "{what}: expected exit 1 or 2, got {:?}\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.trim().is_empty() || !run.stdout.trim().is_empty(),
        "{what}: no diagnostic"
    );
}

fn codegen_fails(what: &str, edit: impl FnOnce(&Path)) -> Run {
    let (_tmp, root) = app(edit);
    let run = lunora(&root, &["codegen"]);
    fails_cleanly(what, &run);
    run
}

#[test]
fn the_base_app_is_valid() {
    // Guards the corpus: each case below fails because of its edit, not the base.
    let (_tmp, root) = app(|_| {});
    let run = lunora(&root, &["codegen"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn truncated_files() {
    for cut in [10, SCHEMA.len() / 2, SCHEMA.len() - 5] {
        codegen_fails(&format!("schema cut at {cut}"), |root| {
            std::fs::write(root.join("lunora/schema.ts"), &SCHEMA[..cut]).expect("write");
        });
    }
    codegen_fails("functions cut", |root| {
        std::fs::write(
            root.join("lunora/notes.ts"),
            &FUNCTIONS[..FUNCTIONS.len() - 20],
        )
        .expect("write");
    });
}

#[test]
fn non_utf8_bytes() {
    codegen_fails("non-UTF-8 schema", |root| {
        let mut bytes = SCHEMA.as_bytes().to_vec();
        bytes.splice(20..20, [0xff, 0xfe, 0xc3, 0x28]);
        std::fs::write(root.join("lunora/schema.ts"), bytes).expect("write");
    });
    codegen_fails("non-UTF-8 function file", |root| {
        std::fs::write(root.join("lunora/bad.ts"), [0x80, 0x81, 0x82, b'\n']).expect("write");
    });
}

#[test]
fn ten_megabyte_file() {
    let run = codegen_fails("10 MB of garbage", |root| {
        let line = "export const x = ((( @@@ ;\n";
        std::fs::write(
            root.join("lunora/huge.ts"),
            line.repeat(10 * 1024 * 1024 / line.len()),
        )
        .expect("write");
    });
    assert!(
        run.stderr.len() < 1024 * 1024,
        "diagnostics stay bounded ({} bytes)",
        run.stderr.len()
    );
}

#[test]
fn ten_megabyte_valid_file_is_fine() {
    let (_tmp, root) = app(|root| {
        let line = "// padding padding padding padding padding padding padding\n";
        let mut text = FUNCTIONS.replace("list", "list2");
        text.push_str(&line.repeat(10 * 1024 * 1024 / line.len()));
        std::fs::write(root.join("lunora/big.ts"), text).expect("write");
    });
    let run = lunora(&root, &["codegen"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn ten_thousand_deep_validators() {
    let depth = 10_000;
    codegen_fails("10,000-deep v.object", |root| {
        let text = format!(
            "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport const schema = defineSchema({{ notes: defineTable({{ title: {}v.string(){} }}) }});\n",
            "v.object({ a: ".repeat(depth),
            " })".repeat(depth)
        );
        std::fs::write(root.join("lunora/schema.ts"), text).expect("write");
    });
    codegen_fails("10,000-deep v.array", |root| {
        let text = format!(
            "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport const schema = defineSchema({{ notes: defineTable({{ title: {}v.string(){} }}) }});\n",
            "v.array(".repeat(depth),
            ")".repeat(depth)
        );
        std::fs::write(root.join("lunora/schema.ts"), text).expect("write");
    });
    codegen_fails("10,000-deep parentheses in a function file", |root| {
        let text = format!(
            "export const x = {}1{};\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        std::fs::write(root.join("lunora/deep.ts"), text).expect("write");
    });
}

#[test]
fn cyclic_const_imports() {
    codegen_fails("cyclic consts across files", |root| {
        std::fs::write(
            root.join("lunora/schema.ts"),
            "import { defineSchema, defineTable, v } from \"lunorash/server\";\nimport { b } from \"./b\";\nexport const a = v.object({ x: b });\nexport const schema = defineSchema({ notes: defineTable({ title: a }) });\n",
        )
        .expect("write");
        std::fs::write(
            root.join("lunora/b.ts"),
            "import { a } from \"./schema\";\nexport const b = a;\n",
        )
        .expect("write");
    });
}

#[test]
fn missing_schema_and_zero_tables() {
    codegen_fails("no schema.ts", |root| {
        std::fs::remove_file(root.join("lunora/schema.ts")).expect("rm");
    });
    codegen_fails("schema without an export", |root| {
        std::fs::write(root.join("lunora/schema.ts"), "export const other = 1;\n").expect("write");
    });
    // Zero tables is a valid (if empty) schema for codegen only when no function reads a table.
    let (_tmp, root) = app(|root| {
        std::fs::write(
            root.join("lunora/schema.ts"),
            "import { defineSchema } from \"lunorash/server\";\nexport const schema = defineSchema({});\n",
        )
        .expect("write");
    });
    let run = lunora(&root, &["codegen"]);
    assert!(
        matches!(run.code, Some(0..=2)),
        "zero tables: {:?}\n{}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn unreadable_files() {
    // We may run as root, where permissions do not stop reads: use a folder where a file is expected.
    codegen_fails("schema.ts is a folder", |root| {
        std::fs::remove_file(root.join("lunora/schema.ts")).expect("rm");
        std::fs::create_dir(root.join("lunora/schema.ts")).expect("mkdir");
    });
    codegen_fails("a function file that is a dangling symlink", |root| {
        std::os::unix::fs::symlink(root.join("nowhere.ts"), root.join("lunora/gone.ts"))
            .expect("symlink");
    });
}

#[test]
fn generated_folder_not_writable() {
    // `_generated` is a file: nothing can be written under it.
    codegen_fails("_generated is a file", |root| {
        std::fs::write(root.join("lunora/_generated"), "not a folder").expect("write");
    });
    let (_tmp, root) = app(|root| {
        std::fs::write(root.join("lunora/migrations"), "not a folder").expect("write");
        std::fs::write(
            root.join("lunora/schema.ts"),
            "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport const schema = defineSchema({ notes: defineTable({ title: v.string() }).global() });\n",
        )
        .expect("write");
    });
    fails_cleanly(
        "migrations is a file",
        &lunora(&root, &["migrate", "generate", "init"]),
    );
}
