//! Soak: many random edits (writes, invalid saves, deletes, renames, new
//! folders) under a running `lunora codegen --watch`; once it has caught up,
//! `lunora/_generated/` must equal what a cold run of the pipeline produces.
//! `LUNORA_SOAK_EDITS` sets the number of edits (default 1000).

#![expect(clippy::print_stderr, reason = "the soak test prints its measurements")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lunora_parser::OsFs;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(120);

/// Module bodies to pick from: valid ones and broken ones.
const SCHEMAS: &[&str] = &[
    "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport default defineSchema({ messages: defineTable({ body: v.string() }) });\n",
    "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport default defineSchema({ messages: defineTable({ body: v.string(), n: v.number() }).index(\"by_n\", [\"n\"]) });\n",
    "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport default defineSchema({ messages: defineTable({ body: v.string() }), channels: defineTable({ name: v.string() }).global() });\n",
    "import { defineSchema, defineTable, v } from \"lunorash/server\";\nexport default defineSchema({ messages: defineTable({ body: v.string( }) });\n",
];
const MODULES: &[&str] = &[
    "import { query } from \"@/lunora/_generated/server\";\nexport const list = query.query(async ({ ctx }) => ctx.db.query(\"messages\").collect());\n",
    "import { mutation, v } from \"@/lunora/_generated/server\";\nexport const send = mutation.input({ body: v.string() }).mutation(async ({ ctx, args }) => { await ctx.db.insert(\"messages\", args); });\n",
    "export const = ;\n",
    "export {};\n",
];
const NAMES: &[&str] = &[
    "a.ts",
    "b.ts",
    "admin/c.ts",
    "admin/deep/d.ts",
    "x-y/index.ts",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn generated_on_disk(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(root.join("lunora/_generated")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            out.insert(
                format!("lunora/_generated/{name}"),
                std::fs::read_to_string(entry.path()).unwrap(),
            );
        }
    }
    out
}

#[test]
fn random_edits_end_equal_to_a_cold_run() {
    let edits: usize = std::env::var("LUNORA_SOAK_EDITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let lunora = root.join("lunora");
    std::fs::create_dir_all(&lunora).unwrap();
    std::fs::write(lunora.join("schema.ts"), SCHEMAS[0]).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_lunora"))
        .arg("--root")
        .arg(&root)
        .args(["--format", "json", "codegen", "--watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, docs) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                break;
            }
        }
    });
    docs.recv_timeout(TIMEOUT).expect("the initial run");

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut stats = Stats::default();
    for i in 0..edits {
        let name = rng.pick(NAMES);
        let path = lunora.join(name);
        match rng.next() % 6 {
            0 => {
                std::fs::write(lunora.join("schema.ts"), rng.pick(SCHEMAS)).unwrap();
            }
            1 => {
                let _ = std::fs::remove_file(&path);
            }
            2 => {
                // Temp file + rename, as editors save.
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let tmp = lunora.join(".tmp___jb_tmp___");
                std::fs::write(&tmp, rng.pick(MODULES)).unwrap();
                std::fs::rename(&tmp, &path).unwrap();
            }
            3 => {
                let to = lunora.join(rng.pick(NAMES));
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                let _ = std::fs::rename(&path, &to);
            }
            _ => {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, rng.pick(MODULES)).unwrap();
            }
        }
        // Now and then a pause longer than the debounce settle time, so runs
        // happen in the middle of the sequence, not only at checkpoints.
        if rng.next().is_multiple_of(8) {
            std::thread::sleep(Duration::from_millis(15));
        }
        if (i + 1) % CHECK_EVERY == 0 {
            checkpoint(&root, &docs, i, &mut stats);
        }
    }
    // End in a valid state, with a last save the watcher must report.
    std::fs::write(lunora.join("schema.ts"), SCHEMAS[2]).unwrap();
    for name in NAMES {
        let path = lunora.join(name);
        if path.exists() {
            std::fs::write(&path, MODULES[0]).unwrap();
        }
    }
    let last = checkpoint(&root, &docs, edits, &mut stats);
    let _ = child.kill();
    let _ = child.wait();

    // The final state is a valid app, so the last comparison was between real
    // outputs.
    assert_eq!(last["summary"]["errors"], 0, "{last}");
    let cold = lunora_engine::pipeline::generate(&root, &OsFs);
    let ir = cold.ir.as_ref().expect("IR of a valid app");
    assert!(ir.tables.iter().any(|t| t.name == "channels"));
    let api = generated_on_disk(&root)
        .remove("lunora/_generated/api.ts")
        .expect("api.ts written");
    assert!(api.contains("list"), "{api}");
    eprintln!(
        "soak: {edits} edits, {} runs, {} checkpoints ({} valid, compared to a cold run; {} with errors, kept the last good output)",
        stats.runs, stats.checkpoints, stats.valid, stats.invalid
    );
}

/// Edits between two checkpoints.
const CHECK_EVERY: usize = 50;

#[derive(Default)]
struct Stats {
    runs: usize,
    checkpoints: usize,
    valid: usize,
    invalid: usize,
}

/// Saves a sentinel module, waits for the run it starts (which sees every
/// edit before it), then checks `_generated/` against a cold run of the
/// pipeline: equal when the app is valid; the run kept the last good output
/// otherwise. Returns that run's report.
fn checkpoint(root: &Path, docs: &mpsc::Receiver<Value>, n: usize, stats: &mut Stats) -> Value {
    std::fs::write(
        root.join("lunora/zz-sentinel.ts"),
        format!("export {{}};\n// checkpoint {n}\n"),
    )
    .unwrap();
    let doc = loop {
        let doc = docs.recv_timeout(TIMEOUT).expect("the watcher catches up");
        stats.runs += 1;
        let trigger = doc["watch"]["trigger"].as_array().unwrap();
        if trigger.iter().any(|t| t == "lunora/zz-sentinel.ts") {
            break doc;
        }
    };
    stats.checkpoints += 1;
    let cold = lunora_engine::pipeline::generate(root, &OsFs);
    let errors = cold
        .diagnostics
        .iter()
        .filter(|d| d.severity == lunora_parser::Severity::Error)
        .count();
    assert_eq!(
        doc["summary"]["errors"], errors,
        "checkpoint {n}: the watch run and a cold run disagree: {doc}"
    );
    let cold_doc = serde_json::to_value(lunora_cli::render::json::report(
        &cold.diagnostics,
        &cold.files,
    ))
    .unwrap();
    assert_eq!(
        doc["diagnostics"], cold_doc["diagnostics"],
        "checkpoint {n}: diagnostics differ from a cold run"
    );
    if errors > 0 {
        stats.invalid += 1;
        assert_eq!(doc["watch"]["keptLastGood"], true, "checkpoint {n}: {doc}");
    } else {
        stats.valid += 1;
        assert_eq!(doc["watch"]["keptLastGood"], false, "checkpoint {n}: {doc}");
        let cold: BTreeMap<String, String> = cold
            .outputs
            .into_iter()
            .map(|f| (f.path, f.contents))
            .collect();
        assert_eq!(generated_on_disk(root), cold, "checkpoint {n}");
    }
    doc
}
