//! `lunora_analyzer`: builds the IR of a Lunora app from its sources and runs
//! every semantic check.
//!
//! Passes, in order (each returns after producing errors, see STYLE.md):
//! 1. collect: discover files, parse, resolve consts/imports, collect tables and functions
//! 2. validators: resolve validator trees
//! 3. indexes and shard keys
//! 4. function bodies and routes
//! 5. global checks
//!
//! Within a pass every diagnostic is collected.

mod eval;
mod functions;
pub mod ir;
mod load;
mod par;
mod schema;
pub mod suggest;

use std::collections::HashMap;
use std::path::Path;

use lunora_parser::summary::{BindingKind, ExprKind};
use lunora_parser::{Code, Diagnostic, FileSpan, Files, Vfs, has_errors};

pub use ir::*;

use crate::eval::Eval;
use crate::functions::FunctionDraft;
use crate::load::Loader;
pub use crate::load::ParseCache;
use crate::schema::TableDraft;

/// What [`analyze`] returns: the IR when no error stopped it, every file read
/// (diagnostics point into them) and all diagnostics, errors and warnings.
pub struct AnalyzeReturn {
    pub files: Files,
    pub ir: Option<Ir>,
    pub diagnostics: Vec<Diagnostic>,
    /// Wall time of each pass that ran, in order (`lunora codegen` prints
    /// them with `LUNORA_TIMINGS=1`; the benchmarks read them).
    pub timings: Timings,
}

/// Wall time per analyzer pass, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub passes: Vec<(&'static str, std::time::Duration)>,
    last: Option<std::time::Instant>,
}

impl Timings {
    fn start() -> Self {
        Self {
            passes: Vec::new(),
            last: Some(std::time::Instant::now()),
        }
    }

    /// Ends the pass `name` (it started when the previous one ended).
    fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last {
            self.passes.push((name, now - last));
        }
        self.last = Some(now);
    }
}

pub const SCHEMA_PATH: &str = "lunora/schema.ts";

/// Analyzes the app whose root (the folder holding `lunora/`) is `root`.
pub fn analyze(root: &Path, fs: &dyn Vfs) -> AnalyzeReturn {
    analyze_with(&mut Loader::new(root, fs))
}

/// [`analyze`], reusing the module summaries in `cache` for files whose text
/// did not change, and leaving in it the summaries of every file this run read.
/// The result is identical to [`analyze`]'s: only parsing is skipped, every
/// semantic check runs again over the summaries.
pub fn analyze_cached(root: &Path, fs: &dyn Vfs, cache: &mut ParseCache) -> AnalyzeReturn {
    let mut ld = Loader::with_cache(root, fs, std::mem::take(cache));
    let out = analyze_with(&mut ld);
    *cache = ld.take_cache();
    out
}

fn analyze_with(ld: &mut Loader<'_>) -> AnalyzeReturn {
    let mut diagnostics = Vec::new();
    let mut timings = Timings::start();
    let ir = run(ld, &mut diagnostics, &mut timings);
    AnalyzeReturn {
        files: std::mem::take(&mut ld.files),
        ir,
        diagnostics,
        timings,
    }
}

fn run(ld: &mut Loader<'_>, d: &mut Vec<Diagnostic>, t: &mut Timings) -> Option<Ir> {
    let mut ev = Eval::new();
    // ---- pass 1: collect ------------------------------------------------
    let lunora_dir = ld.root.join("lunora");
    let listed = ld.fs.list_files(&lunora_dir).unwrap_or_default();
    let mut function_files = Vec::new();
    for p in listed {
        let Ok(rel) = p.strip_prefix(&ld.root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if functions::is_function_module(&rel) {
            function_files.push(rel);
        }
    }
    function_files.sort();
    let mut schema_files = vec![SCHEMA_PATH.to_string()];
    if !ld.fs.is_file(&ld.root.join(SCHEMA_PATH)) {
        d.push(
            Diagnostic::error(Code::MissingSchema, "`lunora/schema.ts` does not exist")
                .with_path(SCHEMA_PATH)
                .with_help(
                    "create `lunora/schema.ts` with `export const schema = defineSchema({ ... })`",
                ),
        );
        schema_files.clear();
    }
    schema_files.extend(function_files.iter().cloned());
    t.lap("list");
    ld.load_many(&schema_files, d);
    t.lap("read+parse");
    if has_errors(d) {
        return None;
    }
    let schema_id = ld.load(SCHEMA_PATH, d)?;

    // The schema export.
    let sm = ld.module(schema_id);
    let (export, expr) = if let Some(e) = &sm.default_export {
        (SchemaExport::Default, e.clone())
    } else if let Some(b) = sm
        .bindings
        .iter()
        .find(|b| b.exported && b.name == "schema")
        .or_else(|| {
            sm.bindings.iter().find(|b| {
                b.exported
                    && matches!(&b.init, Some(e) if matches!(&e.kind, ExprKind::Call { callee, .. } if matches!(&callee.kind, ExprKind::Ident(n) if n == "defineSchema")))
            })
        })
    {
        match (&b.kind, &b.init) {
            (BindingKind::Const, Some(init)) => (SchemaExport::Named(b.name.clone()), init.clone()),
            _ => {
                d.push(
                    Diagnostic::error(Code::NoSchemaExport, format!("`{}` must be a `const`", b.name))
                        .with_label(schema_id, b.span, "not a const")
                        .with_help("write `export const schema = defineSchema({ ... })`"),
                );
                return None;
            }
        }
    } else {
        d.push(
            Diagnostic::error(Code::NoSchemaExport, "`lunora/schema.ts` does not export a schema")
                .with_label(schema_id, lunora_parser::Span::EMPTY, "")
                .with_help("add `export const schema = defineSchema({ ... })` or `export default defineSchema({ ... })`"),
        );
        return None;
    };
    let schema_val = ev.eval(ld, schema_id, &expr, d);
    let drafts: Vec<TableDraft> = match &schema_val {
        Some(v) => schema::collect_tables(v, d),
        None => Vec::new(),
    };
    if drafts.is_empty() && schema_val.is_some() && !has_errors(d) {
        let at = schema_val
            .as_ref()
            .map_or(FileSpan::new(schema_id, expr.span), |v| v.at);
        d.push(
            Diagnostic::warning(Code::EmptySchema, "the schema defines no table")
                .with_label(at.file, at.span, "no tables")
                .with_help("add a table: `messages: defineTable({ text: v.string() })`"),
        );
    }

    // Function modules.
    let mut modules = Vec::new();
    let mut fdrafts: Vec<FunctionDraft> = Vec::new();
    let mut api_seen: HashMap<Vec<String>, String> = HashMap::new();
    for rel in &function_files {
        let Some(id) = ld.load(rel, d) else { continue };
        let Some(module) = functions::module_paths(rel, id, d) else {
            continue;
        };
        if let Some(first) = api_seen.get(&module.api_path) {
            d.push(
                Diagnostic::error(
                    Code::DuplicateApiPath,
                    format!(
                        "`{rel}` and `{first}` both map to `api.{}`",
                        module.api_path.join(".")
                    ),
                )
                .with_label(id, lunora_parser::Span::EMPTY, "")
                .with_path(rel.clone())
                .with_help("rename one of the two files"),
            );
            continue;
        }
        api_seen.insert(module.api_path.clone(), rel.clone());
        fdrafts.extend(functions::discover(ld, &mut ev, id, &module, d));
        modules.push(module);
    }
    t.lap("collect");
    if has_errors(d) {
        return None;
    }

    // ---- pass 2: validators -------------------------------------------
    let table_names = schema::TableNames::new(drafts.iter().map(|t| t.name.as_str()).collect());
    let mut tables_fields: Vec<Vec<Field>> = Vec::new();
    for t in &drafts {
        let fields = schema::object_fields(&t.fields, &table_names, true, d).unwrap_or_default();
        tables_fields.push(
            fields
                .into_iter()
                .map(|(f, at)| Field {
                    name: f.name,
                    span: Some(at),
                    validator: f.validator,
                })
                .collect(),
        );
    }
    let resolved = par::map(&fdrafts, |f| {
        let mut fd = Vec::new();
        let args = f.args.as_ref().map(|entries| {
            schema::object_fields(entries, &table_names, true, &mut fd)
                .unwrap_or_default()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<ObjectField>>()
        });
        (args, fd)
    });
    let mut fargs: Vec<Option<Vec<ObjectField>>> = Vec::with_capacity(resolved.len());
    for (args, fd) in resolved {
        d.extend(fd);
        fargs.push(args);
    }
    t.lap("validators");
    if has_errors(d) {
        return None;
    }

    // ---- pass 3: indexes and shard keys -----------------------------------
    let mut tables = Vec::new();
    for (t, fields) in drafts.iter().zip(tables_fields) {
        let (placement, indexes) = schema::placement_and_indexes(t, &fields, d);
        tables.push(Table {
            name: t.name.clone(),
            span: Some(t.at),
            fields,
            indexes,
            placement,
            builtin: false,
        });
    }
    if has_errors(d) {
        return None;
    }
    // The auth table.
    match tables.iter().find(|t| t.name == AUTH_TABLE) {
        Some(users) => {
            let at = users.span.unwrap_or(FileSpan::new(schema_id, expr.span));
            let mut problems = Vec::new();
            if users.placement != Placement::Global {
                problems.push("be `.global()`");
            }
            if users.field("subject").map(|f| &f.validator) != Some(&Validator::String) {
                problems.push("have a required `subject: v.string()` field");
            }
            if !users
                .indexes
                .iter()
                .any(|i| i.name == "by_subject" && i.unique && i.fields == ["subject"])
            {
                problems.push("have a unique index `by_subject` on `[\"subject\"]`");
            }
            if !problems.is_empty() {
                d.push(
                    Diagnostic::error(Code::AuthTablePlacement, format!("the `users` table must {}", problems.join(", ")))
                        .with_label(at.file, at.span, "backs `ctx.auth.userId`")
                        .with_help("define it as `defineTable({ subject: v.string(), ... }).global().index(\"by_subject\", [\"subject\"], { unique: true })`, or remove it to use the built-in one"),
                );
                return None;
            }
        }
        None => tables.push(schema::builtin_users()),
    }
    schema::sqlite_name_clashes(&tables, d);
    if has_errors(d) {
        return None;
    }

    let mut ir = Ir {
        tables,
        functions: Vec::new(),
        modules,
        schema_export: export,
    };

    t.lap("indexes");

    // ---- pass 4: function bodies and routes ---------------------------------
    // Each body is checked on its own against the finished tables, in parallel;
    // diagnostics are merged in function order.
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(ir.tables.len());
    for (i, t) in ir.tables.iter().enumerate() {
        // The first of a name wins, as in `Ir::table_by_name`.
        by_name.entry(t.name.as_str()).or_insert(i);
    }
    let drafts_args: Vec<(FunctionDraft, Option<Vec<ObjectField>>)> =
        fdrafts.into_iter().zip(fargs).collect();
    let checked = par::map(&drafts_args, |(f, args)| {
        let mut fd = Vec::new();
        let r = functions::check_body(&ir, &by_name, f, args.as_deref(), &mut fd);
        (r, fd)
    });
    let mut functions = Vec::with_capacity(drafts_args.len());
    for ((f, args), ((route, tables_read, tables_written), fd)) in
        drafts_args.into_iter().zip(checked)
    {
        d.extend(fd);
        functions.push(Function {
            module: f.module,
            file: f.file,
            api_path: f.api_path,
            export_name: f.export_name,
            span: Some(f.span),
            kind: f.kind,
            visibility: f.visibility,
            args,
            route,
            tables_read,
            tables_written,
        });
    }
    drop(by_name);
    ir.functions = functions;
    t.lap("bodies");
    if has_errors(d) {
        return None;
    }

    // ---- pass 5: global checks -------------------------------------------
    ir.functions
        .sort_by(|a, b| (&a.module, &a.export_name).cmp(&(&b.module, &b.export_name)));
    ir.modules.sort_by(|a, b| a.module.cmp(&b.module));
    t.lap("global");
    Some(ir)
}

#[cfg(test)]
mod tests;
