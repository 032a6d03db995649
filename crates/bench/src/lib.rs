//! `lunora_bench`: a deterministic, seeded generator of synthetic Lunora apps
//! and the parse-only floor the benchmarks compare against. Dev-only: it is
//! not a dependency of the `lunora` binary (see docs/ARCHITECTURE.md).
//!
//! An app is a list of `(root-relative path, text)` pairs; [`write_app`] puts
//! it on disk, [`mem_fs`] in a `MemFs` for in-process benchmarks.

use std::io;
use std::path::Path;

use oxc_span::SourceType;

/// The benchmark sizes of issue 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The chat app of the tutorial (`fixtures/valid/chat`).
    Small,
    /// 50 tables, 100 modules of 5 functions.
    Medium,
    /// 500 tables, 2,000 modules of 5 functions (10,000 functions).
    Large,
}

impl Size {
    pub fn parse(s: &str) -> Option<Size> {
        match s {
            "small" => Some(Size::Small),
            "medium" => Some(Size::Medium),
            "large" => Some(Size::Large),
            _ => None,
        }
    }

    /// Generator parameters; `None` for the hand-written chat app.
    pub fn params(self) -> Option<Params> {
        match self {
            Size::Small => None,
            Size::Medium => Some(Params {
                tables: 50,
                modules: 100,
                functions_per_module: 5,
                seed: DEFAULT_SEED,
            }),
            Size::Large => Some(Params {
                tables: 500,
                modules: 2_000,
                functions_per_module: 5,
                seed: DEFAULT_SEED,
            }),
        }
    }
}

pub const DEFAULT_SEED: u64 = 0x5eed_1a2b_3c4d;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub tables: usize,
    pub modules: usize,
    pub functions_per_module: usize,
    pub seed: u64,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFile {
    /// Root-relative, `/`-separated.
    pub path: String,
    pub text: String,
}

/// The app of a size.
pub fn app(size: Size) -> Vec<AppFile> {
    match size.params() {
        Some(p) => generate(&p),
        None => chat(),
    }
}

/// The tutorial's chat app, the `small` size.
pub fn chat() -> Vec<AppFile> {
    vec![
        AppFile {
            path: "lunora/messages.ts".into(),
            text: include_str!("../../../fixtures/valid/chat/lunora/messages.ts").into(),
        },
        AppFile {
            path: "lunora/schema.ts".into(),
            text: include_str!("../../../fixtures/valid/chat/lunora/schema.ts").into(),
        },
    ]
}

/// splitmix64: small, seeded, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Global,
    Shard,
    Root,
}

struct Field {
    name: String,
    /// Validator source, e.g. `v.optional(v.array(v.string()))`.
    validator: String,
    optional: bool,
}

struct Table {
    name: String,
    placement: Placement,
    /// The shard key field (first field) for sharded tables.
    shard_key: Option<String>,
    fields: Vec<Field>,
    /// (name, fields)
    indexes: Vec<(String, Vec<String>)>,
}

/// Scalar field kinds usable in indexes.
const SCALARS: [&str; 3] = ["v.string()", "v.number()", "v.boolean()"];

/// A non-index field validator, some of them nested several levels deep.
fn nested_validator(rng: &mut Rng, global_names: &[String]) -> String {
    match rng.range(0, 9) {
        0 => "v.string()".into(),
        1 => "v.number()".into(),
        2 => "v.optional(v.string())".into(),
        3 => "v.array(v.string())".into(),
        4 => "v.object({ label: v.string(), weight: v.optional(v.number()), tags: v.array(v.string()) })"
            .into(),
        5 => r#"v.union(v.literal("draft"), v.literal("live"), v.literal("archived"))"#.into(),
        6 => "v.record(v.string(), v.number())".into(),
        7 => "v.optional(v.object({ at: v.number(), by: v.optional(v.id(\"users\")), notes: v.array(v.object({ text: v.string(), pinned: v.boolean() })) }))".into(),
        8 => "v.int64()".into(),
        _ => {
            let g = &global_names[rng.range(0, global_names.len() - 1)];
            format!("v.id(\"{g}\")")
        }
    }
}

fn tables(p: &Params, rng: &mut Rng) -> Vec<Table> {
    // Groups of five: one global table, three sharded by an id of that
    // global table (one shard family per group), one root table.
    let names: Vec<(String, Placement)> = (0..p.tables)
        .map(|i| match i % 5 {
            0 => (format!("g{i:04}"), Placement::Global),
            4 => (format!("r{i:04}"), Placement::Root),
            _ => (format!("s{i:04}"), Placement::Shard),
        })
        .collect();
    let global_names: Vec<String> = names
        .iter()
        .filter(|(_, pl)| *pl == Placement::Global)
        .map(|(n, _)| n.clone())
        .collect();
    let mut out = Vec::with_capacity(p.tables);
    for (i, (name, placement)) in names.into_iter().enumerate() {
        let total = rng.range(5, 20);
        let mut fields = Vec::new();
        let shard_key = if placement == Placement::Shard {
            let parent = format!("g{:04}", i - i % 5);
            let key = format!("{parent}Id");
            fields.push(Field {
                name: key.clone(),
                validator: format!("v.id(\"{parent}\")"),
                optional: false,
            });
            Some(key)
        } else {
            None
        };
        // Four indexable scalars, then nested fields up to `total`.
        for k in 0..4 {
            fields.push(Field {
                name: format!("k{k}"),
                validator: SCALARS[rng.range(0, SCALARS.len() - 1)].into(),
                optional: false,
            });
        }
        let mut n = 0;
        while fields.len() < total {
            let validator = nested_validator(rng, &global_names);
            fields.push(Field {
                name: format!("f{n}"),
                optional: validator.starts_with("v.optional("),
                validator,
            });
            n += 1;
        }
        let index_count = rng.range(1, 4);
        let mut indexes = Vec::new();
        for k in 0..index_count {
            let mut cols = Vec::new();
            if let Some(key) = &shard_key {
                cols.push(key.clone());
            }
            cols.push(format!("k{k}"));
            if rng.range(0, 1) == 1 {
                cols.push(format!("k{}", (k + 1) % 4));
            }
            indexes.push((format!("by_k{k}"), cols));
        }
        out.push(Table {
            name,
            placement,
            shard_key,
            fields,
            indexes,
        });
    }
    out
}

fn schema_ts(tables: &[Table]) -> String {
    let mut s = String::from(
        "// Generated by lunora_bench (synthetic benchmark app).\nimport { defineSchema, defineTable, v } from \"lunorash/server\";\n\nexport const schema = defineSchema({\n",
    );
    for t in tables {
        s.push_str(&format!("    {}: defineTable({{\n", t.name));
        for f in &t.fields {
            s.push_str(&format!("        {}: {},\n", f.name, f.validator));
        }
        s.push_str("    })");
        match (&t.placement, &t.shard_key) {
            (Placement::Global, _) => s.push_str("\n        .global()"),
            (Placement::Shard, Some(key)) => s.push_str(&format!("\n        .shardBy(\"{key}\")")),
            _ => {}
        }
        for (name, cols) in &t.indexes {
            let cols: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
            s.push_str(&format!(
                "\n        .index(\"{name}\", [{}])",
                cols.join(", ")
            ));
        }
        s.push_str(",\n\n");
    }
    s.push_str("});\n");
    s
}

fn module_ts(p: &Params, j: usize, t: &Table) -> String {
    let mut s = format!(
        "// Generated by lunora_bench: functions over `{}`.\nimport {{ mutation, query, v }} from \"@/lunora/_generated/server\";\n",
        t.name
    );
    for f in 0..p.functions_per_module {
        s.push('\n');
        let (index, cols) = &t.indexes[f % t.indexes.len()];
        if f % 3 == 2 {
            // A mutation inserting a full document.
            let args: Vec<String> = t
                .fields
                .iter()
                .map(|fl| format!("        {}: {},", fl.name, fl.validator))
                .collect();
            let doc: Vec<String> = t
                .fields
                .iter()
                .filter(|fl| !fl.optional)
                .map(|fl| format!("            {}: args.{},", fl.name, fl.name))
                .collect();
            s.push_str(&format!(
                "export const create{j}_{f} = mutation\n    .input({{\n{}\n    }})\n    .mutation(async ({{ ctx, args }}) => {{\n        return await ctx.db.insert(\"{}\", {{\n{}\n        }});\n    }});\n",
                args.join("\n"),
                t.name,
                doc.join("\n"),
            ));
        } else {
            // A query on an index, equality on its first column (the shard
            // key of sharded tables).
            let first = &cols[0];
            let validator = &t
                .fields
                .iter()
                .find(|fl| &fl.name == first)
                .map(|fl| fl.validator.as_str())
                .unwrap_or("v.string()");
            let order = if f % 2 == 0 { "asc" } else { "desc" };
            s.push_str(&format!(
                "export const list{j}_{f} = query\n    .input({{ {first}: {validator}, limit: v.optional(v.number()) }})\n    .query(async ({{ ctx, args }}) => {{\n        return ctx.db\n            .query(\"{}\")\n            .withIndex(\"{index}\", (q) => q.eq(\"{first}\", args.{first}))\n            .order(\"{order}\")\n            .take(args.limit ?? 20);\n    }});\n",
                t.name,
            ));
        }
    }
    s
}

/// Generates a synthetic app: `lunora/schema.ts` and `modules` function
/// modules under `lunora/area<NN>/`. Deterministic for given params.
pub fn generate(p: &Params) -> Vec<AppFile> {
    let mut rng = Rng(p.seed);
    let tables = tables(p, &mut rng);
    let mut out = Vec::with_capacity(p.modules + 1);
    out.push(AppFile {
        path: "lunora/schema.ts".into(),
        text: schema_ts(&tables),
    });
    if tables.is_empty() {
        return out;
    }
    for j in 0..p.modules {
        // Mostly sharded tables (the common case), cycling through all.
        let t = &tables[(j * 7 + rng.range(0, 3)) % tables.len()];
        out.push(AppFile {
            path: format!("lunora/area{:02}/mod{j:04}.ts", j / 100),
            text: module_ts(p, j, t),
        });
    }
    out
}

/// Writes `files` under `root` (creating folders). Existing files are replaced.
pub fn write_app(root: &Path, files: &[AppFile]) -> io::Result<()> {
    for f in files {
        let path = root.join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &f.text)?;
    }
    Ok(())
}

/// A `MemFs` holding `files` under `root`.
pub fn mem_fs(root: &Path, files: &[AppFile]) -> lunora_parser::MemFs<'static> {
    let mut fs = lunora_parser::MemFs::new();
    for f in files {
        fs.insert(root.join(&f.path), f.text.as_bytes().to_vec());
    }
    fs
}

/// The files `lunora codegen` parses: `lunora/schema.ts` and every function
/// module (the analyzer's own rule).
pub fn parsed_by_codegen(rel: &str) -> bool {
    rel == lunora_analyzer::SCHEMA_PATH || lunora_analyzer::is_function_module(rel)
}

/// Parses one source with oxc, nothing else, in the same reused per-thread
/// arena as the parser crate. Returns the number of top-level statements plus
/// syntax errors (so the work cannot be optimized away).
pub fn parse_one(text: &str) -> usize {
    lunora_parser::parse::with_arena(|allocator| {
        let ret = oxc_parser::Parser::new(allocator, text, SourceType::ts()).parse();
        ret.program.body.len() + ret.diagnostics.len()
    })
}

/// The parse-only floor: parses every text with oxc, on the same threads and
/// chunking as the analyzer's loader (`load_many`).
pub fn parse_all(texts: &[&str]) -> usize {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if texts.len() < 16 || threads < 2 {
        return texts.iter().map(|t| parse_one(t)).sum();
    }
    let chunk = texts.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(|t| parse_one(t)).sum::<usize>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

/// Whole-process floor: list, read and parse the app's codegen inputs from
/// disk. Returns (files, bytes, statements).
pub fn parse_dir(root: &Path) -> io::Result<(usize, usize, usize)> {
    use lunora_parser::Vfs;
    let listed = lunora_parser::OsFs.list_files(&root.join("lunora"))?;
    let mut texts = Vec::new();
    for p in listed {
        let Some(rel) = lunora_parser::relative_path(root, &p) else {
            continue;
        };
        if parsed_by_codegen(&rel) {
            texts.push(std::fs::read_to_string(&p)?);
        }
    }
    let bytes = texts.iter().map(String::len).sum();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let statements = parse_all(&refs);
    Ok((texts.len(), bytes, statements))
}
