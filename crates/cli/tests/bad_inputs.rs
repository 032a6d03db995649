//! Bad-input corpus (issue 9): every hostile app tree makes `lunora codegen`
//! (and `migrate generate`) report a diagnostic and exit 1 or 2 — never a
//! panic, an abort or a stack overflow (those exit by signal or with 101).

#![expect(clippy::print_stderr, reason = "the test prints what it measured")]

use std::path::{Path, PathBuf};
use std::process::Command;

use lunora_testkit::apps::walk;

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

/// Codegen on the edited base app fails cleanly, reporting diagnostic `code`
/// (`""`: any code — e.g. a truncation point decides which one).
fn codegen_fails(what: &str, code: &str, edit: impl FnOnce(&Path)) -> Run {
    let (_tmp, root) = app(edit);
    let run = lunora(&root, &["codegen"]);
    fails_cleanly(what, &run);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.trim() == code || code.is_empty()),
        "{what}: expected diagnostic {code}:\n{}",
        run.stderr
    );
    // The same app through `codegen --check` and `migrate generate` (which read it the same way;
    // `_generated/` problems aside, which only codegen meets).
    if code != "io/write-error" {
        fails_cleanly(
            &format!("{what} (check)"),
            &lunora(&root, &["codegen", "--check"]),
        );
        let migrate = lunora(&root, &["migrate", "generate", "x"]);
        fails_cleanly(&format!("{what} (migrate generate)"), &migrate);
        assert!(
            !root.join("lunora/migrations").exists(),
            "{what}: migrate generate wrote nothing"
        );
    }
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
        codegen_fails(&format!("schema cut at {cut}"), "", |root| {
            std::fs::write(root.join("lunora/schema.ts"), &SCHEMA[..cut]).expect("write");
        });
    }
    codegen_fails("functions cut", "parse/syntax-error", |root| {
        std::fs::write(
            root.join("lunora/notes.ts"),
            &FUNCTIONS[..FUNCTIONS.len() - 20],
        )
        .expect("write");
    });
}

#[test]
fn non_utf8_bytes() {
    codegen_fails("non-UTF-8 schema", "io/not-utf8", |root| {
        let mut bytes = SCHEMA.as_bytes().to_vec();
        bytes.splice(20..20, [0xff, 0xfe, 0xc3, 0x28]);
        std::fs::write(root.join("lunora/schema.ts"), bytes).expect("write");
    });
    codegen_fails("non-UTF-8 function file", "io/not-utf8", |root| {
        std::fs::write(root.join("lunora/bad.ts"), [0x80, 0x81, 0x82, b'\n']).expect("write");
    });
}

#[test]
fn ten_megabyte_file() {
    let run = codegen_fails("10 MB of garbage", "parse/syntax-error", |root| {
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
    codegen_fails("10,000-deep v.object", "parse/syntax-error", |root| {
        let text = format!(
            "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport const schema = defineSchema({{ notes: defineTable({{ title: {}v.string(){} }}) }});\n",
            "v.object({ a: ".repeat(depth),
            " })".repeat(depth)
        );
        std::fs::write(root.join("lunora/schema.ts"), text).expect("write");
    });
    codegen_fails("10,000-deep v.array", "parse/syntax-error", |root| {
        let text = format!(
            "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport const schema = defineSchema({{ notes: defineTable({{ title: {}v.string(){} }}) }});\n",
            "v.array(".repeat(depth),
            ")".repeat(depth)
        );
        std::fs::write(root.join("lunora/schema.ts"), text).expect("write");
    });
    codegen_fails(
        "10,000-deep parentheses in a function file",
        "parse/syntax-error",
        |root| {
            let text = format!(
                "export const x = {}1{};\n",
                "(".repeat(depth),
                ")".repeat(depth)
            );
            std::fs::write(root.join("lunora/deep.ts"), text).expect("write");
        },
    );
}

#[test]
fn cyclic_const_imports() {
    codegen_fails(
        "cyclic consts across files",
        "schema/cyclic-const",
        |root| {
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
        },
    );
}

#[test]
fn missing_schema_and_zero_tables() {
    codegen_fails("no schema.ts", "schema/missing-schema", |root| {
        std::fs::remove_file(root.join("lunora/schema.ts")).expect("rm");
    });
    codegen_fails(
        "schema without an export",
        "schema/no-schema-export",
        |root| {
            std::fs::write(root.join("lunora/schema.ts"), "export const other = 1;\n")
                .expect("write");
        },
    );
    // Zero tables: the base app's function reads a table that no longer exists.
    let empty = "import { defineSchema } from \"lunorash/server\";\nexport const schema = defineSchema({});\n";
    let run = codegen_fails(
        "zero tables, a function reading `notes`",
        "functions/unknown-table",
        |root| {
            std::fs::write(root.join("lunora/schema.ts"), empty).expect("write");
        },
    );
    assert!(
        run.stderr.contains("functions/unknown-table"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("schema/empty-schema"), "{}", run.stderr);
    // Zero tables and no function: a warning only (the built-in `users` table still exists).
    let (_tmp, root) = app(|root| {
        std::fs::write(root.join("lunora/schema.ts"), empty).expect("write");
        std::fs::remove_file(root.join("lunora/notes.ts")).expect("rm");
    });
    let run = lunora(&root, &["codegen"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("schema/empty-schema"), "{}", run.stderr);
}

#[test]
fn unreadable_files() {
    // We may run as root, where permissions do not stop reads: use a folder where a file is expected.
    codegen_fails("schema.ts is a folder", "schema/missing-schema", |root| {
        std::fs::remove_file(root.join("lunora/schema.ts")).expect("rm");
        std::fs::create_dir(root.join("lunora/schema.ts")).expect("mkdir");
    });
    codegen_fails(
        "a function file that is a dangling symlink",
        "io/read-error",
        |root| {
            std::os::unix::fs::symlink(root.join("nowhere.ts"), root.join("lunora/gone.ts"))
                .expect("symlink");
        },
    );
}

#[test]
fn generated_folder_not_writable() {
    // `_generated` is a file: nothing can be written under it.
    codegen_fails("_generated is a file", "io/write-error", |root| {
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

#[test]
fn duplicate_names() {
    let schema = |tables: &str| {
        format!(
            "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport const schema = defineSchema({{ {tables} }});\n"
        )
    };
    let cases = [
        (
            "duplicate table",
            "schema/duplicate-table",
            schema(
                "notes: defineTable({ title: v.string() }), notes: defineTable({ body: v.string() })",
            ),
        ),
        (
            "duplicate field",
            "schema/duplicate-field",
            schema("notes: defineTable({ title: v.string(), title: v.number() })"),
        ),
        (
            "duplicate index",
            "schema/duplicate-index",
            schema(
                "notes: defineTable({ title: v.string() }).index(\"by_title\", [\"title\"]).index(\"by_title\", [\"title\"])",
            ),
        ),
    ];
    for (what, code, text) in cases {
        codegen_fails(what, code, |root| {
            std::fs::write(root.join("lunora/schema.ts"), &text).expect("write");
        });
    }
    codegen_fails("a function exported twice", "parse/syntax-error", |root| {
        std::fs::write(
            root.join("lunora/more.ts"),
            format!(
                "{FUNCTIONS}{}",
                FUNCTIONS.lines().last().unwrap_or_default()
            ),
        )
        .expect("write");
    });
}

/// Whether this process can read files it has no permission for (root).
fn privileged() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs `lunora` as an unprivileged user, so permissions apply: directly when
/// this process is not root, else through `setpriv` as `nobody` (the app tree
/// is opened to everyone first). `None` when neither is possible.
fn lunora_unprivileged(tmp: &Path, root: &Path, args: &[&str]) -> Option<Run> {
    if !privileged() {
        return Some(lunora(root, args));
    }
    use std::os::unix::fs::PermissionsExt;
    // Open the tree (the tests set the permissions they test afterwards).
    for entry in walk(tmp) {
        let mode = if entry.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).ok()?;
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_lunora"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    let run = Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    // setpriv itself failing (no permission to switch users): not our case.
    (!run.stderr.starts_with("setpriv:")).then_some(run)
}

#[test]
fn permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    let set = |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
    // Sanity: the base app passes under the same runner.
    let (tmp, root) = app(|_| {});
    let Some(base) = lunora_unprivileged(tmp.path(), &root, &["codegen"]) else {
        eprintln!(
            "SKIPPED permission_denied: running as root and cannot switch to an unprivileged user"
        );
        return;
    };
    assert_eq!(base.code, Some(0), "{}", base.stderr);

    // A function file with mode 000.
    let (tmp, root) = app(|_| {});
    let run = {
        let _ = lunora_unprivileged(tmp.path(), &root, &["--version"]); // opens the tree
        set(&root.join("lunora/notes.ts"), 0o000).expect("chmod");
        lunora_unprivileged_keep(&root, &["codegen"])
    };
    fails_cleanly("notes.ts mode 000", &run);
    assert!(
        run.stderr.contains("io/read-error") && run.stderr.contains("notes.ts"),
        "{}",
        run.stderr
    );

    // schema.ts mode 000.
    let (tmp, root) = app(|_| {});
    let _ = lunora_unprivileged(tmp.path(), &root, &["--version"]);
    set(&root.join("lunora/schema.ts"), 0o000).expect("chmod");
    let run = lunora_unprivileged_keep(&root, &["codegen"]);
    fails_cleanly("schema.ts mode 000", &run);
    assert!(run.stderr.contains("io/read-error"), "{}", run.stderr);

    // `_generated/` read-only, with an old file in it: a diagnostic, and the old file is untouched.
    let (tmp, root) = app(|_| {});
    let _ = lunora_unprivileged(tmp.path(), &root, &["--version"]);
    let generated = root.join("lunora/_generated");
    std::fs::create_dir_all(&generated).expect("mkdir");
    std::fs::write(generated.join("server.ts"), "old").expect("write");
    set(&generated.join("server.ts"), 0o444).expect("chmod");
    set(&generated, 0o555).expect("chmod");
    let run = lunora_unprivileged_keep(&root, &["codegen"]);
    fails_cleanly("_generated read-only", &run);
    assert!(run.stderr.contains("io/write-error"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(generated.join("server.ts")).expect("read"),
        "old"
    );
    let names: Vec<_> = walk(&generated).into_iter().skip(1).collect();
    assert_eq!(
        names,
        vec![generated.join("server.ts")],
        "no temp file left behind"
    );
    set(&generated, 0o755).expect("chmod"); // so the temp dir can be removed
}

/// Runs unprivileged without touching permissions (they were set by the caller).
fn lunora_unprivileged_keep(root: &Path, args: &[&str]) -> Run {
    let mut cmd = if privileged() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_lunora"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_lunora"))
    };
    let out = cmd
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("run lunora");
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// A schema with `n` tables (and one function file reading each), so that
/// codegen writes a few hundred kilobytes; `extra` adds a field (version B).
fn big_app(root: &Path, n: usize, extra: bool) {
    let mut schema = String::from(
        "import { defineSchema, defineTable, v } from \"lunorash/server\";\n\nexport const schema = defineSchema({\n",
    );
    let mut funcs = String::from("import { query } from \"./_generated/server\";\n\n");
    for i in 0..n {
        let more = if extra {
            ", added: v.optional(v.string())"
        } else {
            ""
        };
        schema.push_str(&format!(
            "  t{i}: defineTable({{ name: v.string(), n: v.number(), tags: v.array(v.string()){more} }}).index(\"by_name\", [\"name\"]),\n"
        ));
        funcs.push_str(&format!(
            "export const list{i} = query.query(async ({{ ctx }}) => ctx.db.query(\"t{i}\").collect());\n"
        ));
    }
    schema.push_str("});\n");
    std::fs::create_dir_all(root.join("lunora")).expect("mkdir");
    std::fs::write(root.join("lunora/schema.ts"), schema).expect("write");
    std::fs::write(root.join("lunora/tables.ts"), funcs).expect("write");
}

/// `_generated/` as (file name → contents).
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("read"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn killed_mid_write_leaves_old_or_new_files() {
    const TABLES: usize = 300;
    // The complete outputs of both versions, from clean runs.
    let versions: Vec<_> = [false, true]
        .iter()
        .map(|&extra| {
            let tmp = tempfile::tempdir().expect("tempdir");
            big_app(tmp.path(), TABLES, extra);
            let run = lunora(tmp.path(), &["codegen"]);
            assert_eq!(run.code, Some(0), "{}", run.stderr);
            snapshot(&tmp.path().join("lunora/_generated"))
        })
        .collect();
    assert_eq!(
        versions[0].keys().collect::<Vec<_>>(),
        versions[1].keys().collect::<Vec<_>>()
    );
    assert!(versions[0] != versions[1]);
    let total: usize = versions[1].values().map(Vec::len).sum();
    assert!(
        total > 100_000,
        "outputs big enough to be caught mid-write ({total} bytes)"
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    big_app(root, TABLES, false);
    assert_eq!(lunora(root, &["codegen"]).code, Some(0));
    // How long one full run takes: kills are spread over that time.
    big_app(root, TABLES, true);
    let started = std::time::Instant::now();
    assert_eq!(lunora(root, &["codegen"]).code, Some(0));
    let full = started.elapsed();
    let generated = root.join("lunora/_generated");
    // Outcomes: only old files, only new files, a mix; temp files left behind.
    let (mut old, mut new, mut mixed, mut temps) = (0, 0, 0, 0);
    const KILLS: u32 = 40;
    for k in 0..KILLS {
        big_app(root, TABLES, k % 2 == 0);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lunora"))
            .args(["codegen", "--root"])
            .arg(root)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Mostly late in the run (the writes come last), up to just past its end.
        std::thread::sleep(full.mul_f64(0.3 + 0.8 * f64::from(k) / f64::from(KILLS)));
        let _ = child.kill();
        let _ = child.wait();
        let now = snapshot(&generated);
        let mut from = std::collections::BTreeSet::new();
        for (name, bytes) in &now {
            if name.starts_with('.') && name.ends_with(".lunora-tmp") {
                temps += 1;
                continue;
            }
            let which = versions.iter().position(|v| v.get(name) == Some(bytes));
            assert!(
                which.is_some(),
                "kill {k}: {name} is neither the old nor the new content ({} bytes)",
                bytes.len()
            );
            if versions[0].get(name) != versions[1].get(name) {
                from.insert(which);
            }
        }
        for name in versions[0].keys() {
            assert!(now.contains_key(name), "kill {k}: {name} disappeared");
        }
        let target = usize::from(k % 2 == 0);
        match (from.len(), from.contains(&Some(target))) {
            (1, true) => new += 1,
            (1, false) => old += 1,
            _ => mixed += 1,
        }
    }
    // A complete run afterwards converges and removes leftover temp files.
    big_app(root, TABLES, true);
    assert_eq!(lunora(root, &["codegen"]).code, Some(0));
    assert_eq!(snapshot(&generated), versions[1]);
    eprintln!(
        "killed_mid_write: one run {full:?}; {KILLS} kills: {old} left the old files, {new} the new ones, {mixed} a mix; {temps} temp files left (removed by the next run)"
    );
}

#[test]
fn killed_migrate_generate_leaves_no_half_migration() {
    const TABLES: usize = 300;
    let global = |root: &Path| {
        // The migrations cover global tables: make every table global.
        let path = root.join("lunora/schema.ts");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace(
                ".index(\"by_name\", [\"name\"])",
                ".index(\"by_name\", [\"name\"]).global()",
            ),
        )
        .expect("write");
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    big_app(root, TABLES, false);
    global(root);
    let dir = root.join("lunora/migrations");
    let started = std::time::Instant::now();
    let run = lunora(root, &["migrate", "generate", "init"]);
    let full = started.elapsed();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let reference = snapshot(&dir);
    let names: Vec<_> = reference.keys().cloned().collect();
    assert_eq!(
        names,
        [
            "20260101000000_init.snapshot.json",
            "20260101000000_init.sql"
        ]
    );
    assert!(reference.values().map(Vec::len).sum::<usize>() > 50_000);
    let (mut none, mut complete, mut snapshot_only, mut temps) = (0, 0, 0, 0);
    const KILLS: u32 = 30;
    for k in 0..KILLS {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("rm");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_lunora"))
            .args(["migrate", "generate", "init", "--root"])
            .arg(root)
            .env("NO_COLOR", "1")
            .env("LUNORA_MIGRATION_TIMESTAMP", "20260101000000")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(full.mul_f64(0.3 + 0.8 * f64::from(k) / f64::from(KILLS)));
        let _ = child.kill();
        let _ = child.wait();
        let now = snapshot(&dir);
        let mut kept = Vec::new();
        for (name, bytes) in &now {
            if name.ends_with(".lunora-tmp") {
                temps += 1;
                continue;
            }
            assert_eq!(
                Some(bytes),
                reference.get(name),
                "kill {k}: {name} is not complete"
            );
            kept.push(name.as_str());
        }
        match kept.as_slice() {
            [] => none += 1,
            [_, _] => complete += 1,
            [only] if only.ends_with(".snapshot.json") => snapshot_only += 1,
            other => panic!("kill {k}: a migration's SQL without its snapshot: {other:?}"),
        }
    }
    eprintln!(
        "killed_migrate_generate: one run {full:?}; {KILLS} kills: {none} left nothing, {complete} a complete migration, {snapshot_only} only the snapshot (ignored: a migration counts once its .sql exists); {temps} temp files"
    );
}

/// The deepest nesting the limits accept must work wherever a file is parsed:
/// with 16+ modules files are parsed and checked on worker threads, whose
/// stack must be as deep as the main thread's (a file accepted in a small app
/// must not crash a large one).
#[test]
fn deepest_accepted_nesting_on_worker_threads() {
    let depth = lunora_parser::parse::MAX_NESTING as usize - 8;
    let chain = 400;
    let (_tmp, root) = app(|root| {
        for i in 0..40 {
            let text = format!(
                "import {{ query }} from \"./_generated/server\";\nimport {{ v }} from \"lunorash/server\";\n\nexport const deep{i} = {}1{};\nexport const member{i} = globalThis{};\nexport const args{i} = query.args({{ x: {}v.string(){} }}).query(async ({{ ctx }}) => ctx.db.query(\"notes\").collect());\n",
                "[".repeat(depth),
                "]".repeat(depth),
                ".a".repeat(chain),
                "v.object({ a: ".repeat(depth / 2 - 4),
                " })".repeat(depth / 2 - 4),
            );
            std::fs::write(root.join(format!("lunora/m{i:02}.ts")), text).expect("write");
        }
    });
    let run = lunora(&root, &["codegen"]);
    assert!(
        matches!(run.code, Some(0..=2)),
        "killed or panicked (code {:?}): {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}
