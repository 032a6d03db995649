//! The incremental engine equals a cold run after random edit sequences:
//! edits that keep the app valid, that introduce syntax and semantic errors
//! and then fix them, deletions, renames, new modules, and edits of an
//! imported const module outside `lunora/`. After every step the engine's
//! result (files read, diagnostics, IR, outputs) must equal
//! `pipeline::generate` over the same files, and it must have parsed exactly
//! the files whose text changed. Each sequence runs twice: checking
//! everything (`Change::Unknown`, as the language server does), and told the
//! changed paths (`Change::Paths`, as the watcher does), which takes
//! the module-local path for isolated modules.

#![expect(
    clippy::print_stderr,
    reason = "the property test prints what it measured"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lunora_engine::pipeline::{self, Analysis};
use lunora_engine::{Change, Session as Incremental};
use lunora_parser::MemFs;
use proptest::prelude::*;

const ROOT: &str = "/app";

/// A fixture app: `consts` (consts across modules and from `shared/` outside
/// `lunora/`: few isolated modules) or `workspace` (mostly isolated modules,
/// a const module the schema imports).
fn fixture_app(name: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/valid")
        .join(name);
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            files.insert(rel, std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    assert!(files.contains_key("lunora/schema.ts"), "{files:?}");
    files
}

fn fixture() -> BTreeMap<String, String> {
    let files = fixture_app("consts");
    assert!(files.contains_key("shared/validators.ts"), "{files:?}");
    files
}

/// Paths an edit may target: the fixture's, plus new ones.
const EXTRA: &[&str] = &[
    "lunora/extra.ts",
    "lunora/admin/tools.ts",
    "shared/unused.ts",
];

const NEW_MODULE: &str = "import { query, v } from \"./_generated/server\";\nexport const ping = query.input({ n: v.number() }).query(async ({ ctx, args }) => args.n);\n";

#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Back to the fixture's text (or a valid new module).
    Restore,
    /// A comment: new text, same meaning.
    Comment,
    /// A syntax error.
    Break,
    /// A semantic change: rename one string literal or identifier.
    Rename(usize),
    Delete,
    /// Move the file to `<stem>2.ts` (a renamed module).
    Move,
    /// Every file back to the fixture (fixes every error at once).
    RestoreAll,
}

/// Replacements that change meaning; some keep the app valid, some do not.
const RENAMES: &[(&str, &str)] = &[
    ("\"EUR\"", "\"GBP\""),
    ("by_email", "by_mail"),
    ("customers", "clients"),
    ("v.number()", "v.string()"),
    ("tenantId", "tenant"),
    ("v.string()", "v.strin()"),
    (".global()", ""),
    ("export const list", "export const list2"),
    ("\"orgs\"", "\"orgz\""),
    ("by_org_user", "by_user"),
    (".query(async", ".mutation(async"),
];

fn apply(
    files: &mut BTreeMap<String, String>,
    original: &BTreeMap<String, String>,
    path: &str,
    edit: Edit,
) {
    let base = || {
        original
            .get(path)
            .cloned()
            .unwrap_or_else(|| NEW_MODULE.to_string())
    };
    match edit {
        Edit::Restore => {
            files.insert(path.to_string(), base());
        }
        Edit::Comment => {
            let text = files.get(path).cloned().unwrap_or_else(base);
            files.insert(path.to_string(), format!("{text}// edited\n"));
        }
        Edit::Break => {
            let text = files.get(path).cloned().unwrap_or_else(base);
            files.insert(path.to_string(), format!("{text}export const = ;\n"));
        }
        Edit::Rename(i) => {
            let (from, to) = RENAMES[i % RENAMES.len()];
            let text = files.get(path).cloned().unwrap_or_else(base);
            files.insert(path.to_string(), text.replacen(from, to, 1));
        }
        Edit::Delete => {
            files.remove(path);
        }
        Edit::RestoreAll => *files = original.clone(),
        Edit::Move => {
            if let Some(text) = files.remove(path) {
                let stem = path.strip_suffix(".ts").unwrap_or(path);
                files.insert(format!("{stem}2.ts"), text);
            }
        }
    }
}

fn memfs(files: &BTreeMap<String, String>) -> MemFs<'static> {
    let mut fs = MemFs::new();
    for (path, text) in files {
        fs.insert(PathBuf::from(ROOT).join(path), text.as_bytes().to_vec());
    }
    fs
}

fn read_files(g: &Analysis) -> BTreeMap<String, String> {
    g.files
        .iter()
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect()
}

fn assert_same(step: usize, incremental: &Analysis, cold: &Analysis) {
    assert_eq!(
        read_files(incremental),
        read_files(cold),
        "step {step}: files read"
    );
    assert_eq!(
        incremental.diagnostics, cold.diagnostics,
        "step {step}: diagnostics"
    );
    assert_eq!(incremental.ir, cold.ir, "step {step}: IR");
    assert_eq!(incremental.outputs, cold.outputs, "step {step}: outputs");
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => Just(Edit::Restore),
        2 => Just(Edit::Comment),
        2 => Just(Edit::Break),
        3 => (0..RENAMES.len()).prop_map(Edit::Rename),
        1 => Just(Edit::Delete),
        1 => Just(Edit::Move),
        1 => Just(Edit::RestoreAll),
    ]
}

/// What [`check`] saw, for the coverage checks.
#[derive(Debug, Default)]
struct Seen {
    analyzed: usize,
    clean: usize,
    /// Steps the engine handled module by module.
    local: usize,
}

/// Paths whose text differs between two states (new, changed, deleted), absolute.
fn changed_paths(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| PathBuf::from(ROOT).join(p))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Runs `steps` on the fixture app `app` and checks every one; `told`: the
/// engine is told the changed paths.
fn check(app: &str, steps: &[(usize, Edit)], told: bool) -> Seen {
    let original = fixture_app(app);
    let mut targets: Vec<String> = original.keys().cloned().collect();
    targets.extend(EXTRA.iter().map(|s| s.to_string()));
    let mut files = original.clone();
    let root = Path::new(ROOT);
    let mut engine = Incremental::new(root);
    let first = engine.update(&memfs(&files), Change::Unknown);
    assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
    assert!(!first.outputs.is_empty());
    let mut previous = read_files(engine.last());
    // The last text read of every path read so far.
    let mut known = previous.clone();
    let mut seen = Seen::default();
    for (step, &(target, edit)) in steps.iter().enumerate() {
        let path = &targets[target % targets.len()];
        let before = files.clone();
        apply(&mut files, &original, path, edit);
        let fs = memfs(&files);
        let incremental = if told {
            engine.update(&fs, Change::Paths(&changed_paths(&before, &files)))
        } else {
            engine.update(&fs, Change::Unknown)
        };
        let cold = pipeline::generate(root, &fs);
        assert_same(step, incremental, &cold);
        let now = read_files(incremental);
        let stats = engine.stats().clone();
        // Exactly the files read whose text is new were parsed.
        let changed: Vec<String> = now
            .iter()
            .filter(|(p, t)| previous.get(*p) != Some(*t))
            .map(|(p, _)| p.clone())
            .collect();
        if stats.analyzed {
            seen.analyzed += 1;
            // Every text never seen before was parsed; nothing the previous
            // run read unchanged was. (A file read again after a run that
            // did not read it may come from the cache, or be parsed again.)
            let new_texts: Vec<&String> = now
                .iter()
                .filter(|(p, t)| known.get(*p) != Some(*t))
                .map(|(p, _)| p)
                .collect();
            for p in new_texts {
                assert!(
                    stats.parsed.contains(p),
                    "step {step}: {p} not parsed: {stats:?}"
                );
            }
            for p in &stats.parsed {
                assert!(
                    changed.contains(p),
                    "step {step}: {p} parsed again: {stats:?}"
                );
            }
            assert_eq!(stats.reused + stats.parsed.len(), now.len(), "step {step}");
        } else {
            // Nothing it read changed, so nothing was re-done.
            assert!(changed.is_empty(), "step {step}: {changed:?}");
            assert_eq!(now, previous, "step {step}");
        }
        assert!(
            told || !stats.local,
            "step {step}: local without being told"
        );
        if stats.local {
            seen.local += 1;
        }
        if cold
            .diagnostics
            .iter()
            .all(|d| d.severity != lunora_parser::Severity::Error)
        {
            seen.clean += 1;
        }
        known.extend(now.iter().map(|(p, t)| (p.clone(), t.clone())));
        previous = now;
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_cold_after_random_edits(
        steps in prop::collection::vec((0usize..64, edit_strategy()), 1..24)
    ) {
        check("consts", &steps, false);
        check("consts", &steps, true);
        check("workspace", &steps, false);
        check("workspace", &steps, true);
    }
}

/// A fixed sequence covering each kind of step, so the property above is known
/// to exercise them: an unread file, a comment-only edit (same IR, outputs
/// reused), errors introduced then fixed, a schema change, a const module
/// outside `lunora/`, a new, a renamed and a deleted module.
#[test]
fn each_kind_of_step_is_exercised() {
    let original = fixture();
    let root = Path::new(ROOT);
    let mut files = original.clone();
    let mut engine = Incremental::new(root);
    engine.update(&memfs(&files), Change::Unknown);
    assert_eq!(engine.stats().parsed.len(), engine.last().files.len());

    let mut step = |path: &str, edit: Edit| {
        apply(&mut files, &original, path, edit);
        let fs = memfs(&files);
        let cold = pipeline::generate(root, &fs);
        let incremental = engine.update(&fs, Change::Unknown);
        assert_same(0, incremental, &cold);
        (engine.stats().clone(), cold)
    };

    // A file nothing reads: no analysis at all.
    let (stats, _) = step("shared/unused.ts", Edit::Restore);
    assert!(!stats.analyzed);

    // A comment in one module: that module alone is parsed; the IR is the
    // same, so the outputs are reused.
    let (stats, cold) = step("lunora/customers.ts", Edit::Comment);
    assert_eq!(stats.parsed, ["lunora/customers.ts"]);
    assert!(!stats.emitted && !cold.outputs.is_empty());

    // A syntax error, then its fix: no outputs while broken, back after.
    let (stats, cold) = step("lunora/invoices.ts", Edit::Break);
    assert_eq!(stats.parsed, ["lunora/invoices.ts"]);
    assert!(!cold.diagnostics.is_empty() && cold.outputs.is_empty());
    let (stats, cold) = step("lunora/invoices.ts", Edit::Restore);
    assert!(cold.diagnostics.is_empty() && !cold.outputs.is_empty());
    // Back to a known IR: reused, not emitted again.
    assert!(stats.analyzed && !stats.emitted);

    // A semantic error in the schema (an unknown validator), then fixed.
    let (_, cold) = step("lunora/schema.ts", Edit::Rename(5));
    assert!(!cold.diagnostics.is_empty());
    step("lunora/schema.ts", Edit::Restore);

    // The const module outside lunora/: a new currency changes the outputs.
    let (stats, cold) = step("shared/validators.ts", Edit::Rename(0));
    assert_eq!(stats.parsed, ["shared/validators.ts"]);
    assert!(stats.emitted && cold.diagnostics.is_empty());

    // A new module, a renamed one, a deleted one.
    let (stats, cold) = step("lunora/extra.ts", Edit::Restore);
    assert_eq!(stats.parsed, ["lunora/extra.ts"]);
    assert!(cold.diagnostics.is_empty(), "{:?}", cold.diagnostics);
    let (stats, _) = step("lunora/extra.ts", Edit::Move);
    assert_eq!(stats.parsed, ["lunora/extra2.ts"]);
    let (stats, cold) = step("lunora/extra2.ts", Edit::Delete);
    assert!(stats.analyzed && stats.parsed.is_empty());
    assert!(cold.diagnostics.is_empty());
}

/// Long random sequences: enough steps are analyzed and enough end clean that
/// the property is not only comparing error runs.
#[test]
fn random_sequences_cover_clean_and_broken_states() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let steps: Vec<(usize, Edit)> = (0..300)
        .map(|_| {
            let target = (next() % 64) as usize;
            let edit = match next() % 12 {
                0..=2 => Edit::Restore,
                3 => Edit::Comment,
                4 | 5 => Edit::Break,
                6 | 7 => Edit::Rename((next() % 7) as usize),
                8 => Edit::Delete,
                9 => Edit::Move,
                10 => Edit::Comment,
                _ => Edit::RestoreAll,
            };
            (target, edit)
        })
        .collect();
    for app in ["consts", "workspace"] {
        for told in [false, true] {
            let seen = check(app, &steps, told);
            eprintln!("{app}, told the changes: {told}: 300 steps: {seen:?}");
            assert!(seen.analyzed > 100, "{seen:?}");
            assert!(seen.clean > 20, "{seen:?}");
            if told && app == "workspace" {
                assert!(seen.local > 25, "{seen:?}");
            }
        }
    }
}

/// Told the changed paths, the engine takes the module-local path exactly
/// when it may: an isolated module edited (also into and out of a syntax
/// error); not for the schema, a module the schema's const module feeds, a
/// module that starts importing, or a new file. An editor's temporary file
/// that came and went changes nothing.
#[test]
fn told_changes_take_the_module_local_path_only_when_exact() {
    let original = fixture_app("workspace");
    let root = Path::new(ROOT);
    let mut files = original.clone();
    let mut engine = Incremental::new(root);
    engine.update(&memfs(&files), Change::Unknown);
    let mut step = |edit: &dyn Fn(&mut BTreeMap<String, String>), extra: &[&str]| {
        let before = files.clone();
        edit(&mut files);
        let fs = memfs(&files);
        let mut changed = changed_paths(&before, &files);
        changed.extend(extra.iter().map(|p| PathBuf::from(ROOT).join(p)));
        let incremental = engine.update(&fs, Change::Paths(&changed));
        assert_same(0, incremental, &pipeline::generate(root, &fs));
        engine.stats().clone()
    };
    let append = |path: &'static str, text: &'static str| {
        move |f: &mut BTreeMap<String, String>| {
            f.get_mut(path).unwrap().push_str(text);
        }
    };

    // An isolated module: a new function.
    let stats = step(
        &append(
            "lunora/orgs.ts",
            "export const count = query.query(async ({ ctx }) => (await ctx.db.query(\"orgs\").collect()).length);\n",
        ),
        &[],
    );
    assert!(stats.local && stats.emitted, "{stats:?}");
    assert_eq!(stats.parsed, ["lunora/orgs.ts"]);
    // Broken, then fixed: both module-local.
    let stats = step(&append("lunora/members.ts", "export const = ;\n"), &[]);
    assert!(stats.local && !stats.emitted, "{stats:?}");
    let fixed = original["lunora/members.ts"].clone();
    let stats = step(
        &move |f: &mut BTreeMap<String, String>| {
            f.insert("lunora/members.ts".into(), fixed.clone());
        },
        &[],
    );
    assert!(stats.local && stats.emitted, "{stats:?}");
    // A temporary file that is gone again: nothing to do.
    let stats = step(
        &|_: &mut BTreeMap<String, String>| {},
        &["lunora/.orgs.ts.tmp-1"],
    );
    assert!(!stats.analyzed, "{stats:?}");
    // The schema: its pass 1 alone, then every module's later passes.
    let stats = step(&append("lunora/schema.ts", "// edited\n"), &[]);
    assert!(stats.local && stats.emitted, "{stats:?}");
    assert_eq!(stats.parsed, ["lunora/schema.ts"]);
    let stats = step(
        &|f: &mut BTreeMap<String, String>| {
            let text = f.get_mut("lunora/schema.ts").unwrap();
            *text = text.replacen("name: v.optional(v.string()),", "", 1);
        },
        &[],
    );
    assert!(stats.local && stats.emitted, "{stats:?}");
    // A module file (no functions) that the schema reads: everything.
    let stats = step(&append("lunora/model/common.ts", "// edited\n"), &[]);
    assert!(stats.analyzed && !stats.local, "{stats:?}");
    // The schema broken, then fixed.
    let stats = step(&append("lunora/schema.ts", "export const = ;\n"), &[]);
    assert!(stats.local && !stats.emitted, "{stats:?}");
    let stats = step(
        &|f: &mut BTreeMap<String, String>| {
            let text = f.get_mut("lunora/schema.ts").unwrap();
            *text = text.replace("export const = ;\n", "");
        },
        &[],
    );
    assert!(stats.local && stats.emitted, "{stats:?}");
    // A module that starts importing another file: not local any more.
    let stats = step(
        &append(
            "lunora/orgs.ts",
            "import { role } from \"./model/common\";\nexport const roles = query.input({ r: role }).query(async () => 1);\n",
        ),
        &[],
    );
    assert!(stats.analyzed && !stats.local, "{stats:?}");
    // Now a module and the schema both evaluate `model/common.ts`: a schema
    // edit re-checks everything.
    let stats = step(&append("lunora/schema.ts", "// again\n"), &[]);
    assert!(stats.analyzed && !stats.local, "{stats:?}");
    // A new module.
    let stats = step(
        &|f: &mut BTreeMap<String, String>| {
            f.insert("lunora/extra.ts".into(), NEW_MODULE.into());
        },
        &[],
    );
    assert!(stats.analyzed && !stats.local, "{stats:?}");
    // And the new module, edited: local again.
    let stats = step(&append("lunora/extra.ts", "// edited\n"), &[]);
    assert!(stats.local, "{stats:?}");
}
