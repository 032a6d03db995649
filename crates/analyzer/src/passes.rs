//! The passes, run over a [`State`] that keeps what each pass found per
//! function module, so a later run can recompute only what a change affects
//! (see [`crate::Session`]). A cold [`crate::analyze`] runs the same code over
//! an empty state: one pipeline, whether a result is computed or reused.
//!
//! Passes, in order (each stops the run after producing errors, see STYLE.md):
//! 1. collect: read and parse every file, evaluate the schema, discover the
//!    functions of every module (one evaluator shared by the schema and all
//!    modules, so an error in a shared const is reported once);
//! 2. validators of tables, then of each function's args;
//! 3. placement, indexes and shard keys; the auth table; SQL name clashes;
//! 4. function bodies and routes;
//! 5. the IR, functions and modules sorted.
//!
//! Within a pass every diagnostic is collected, in file order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lunora_parser::summary::{BindingKind, ExprKind, ModuleSummary};
use lunora_parser::{Diagnostic, FileId, FileSpan, SourceFile, has_errors};

use crate::analysis::{AnalyzeReturn, SCHEMA_PATH, Timings};
use crate::bodies;
use crate::crons::{self, CronDraft};
use crate::diagnostics;
use crate::draft::FunctionDraft;
use crate::eval::{Eval, Mode};
use crate::functions;
use crate::http::{self, HttpCollected};
use crate::ir::{
    AUTH_TABLE, Function, IDENTITY_TABLE, Ir, Module, ObjectField, Placement, Route, SchemaExport,
    Table, Validator,
};
use crate::load::Loader;
use crate::par;
use crate::scheduler;
use crate::schema::{self, TableDraft};

/// Everything one run found, pass by pass; `None` where a pass has not run
/// (or must run again).
pub(crate) struct State {
    /// Kept for a later run (a [`crate::Session`]): results are copied out,
    /// never moved (a cold run moves them into the IR).
    retain: bool,
    /// The loader's tables: root-relative path → file id, and summaries by id.
    /// Ids stay valid while the set of files is unchanged.
    pub by_path: HashMap<String, Option<FileId>>,
    pub modules: Vec<Arc<ModuleSummary>>,
    /// `lunora/schema.ts` is missing.
    listed: Vec<Diagnostic>,
    /// The first load (schema, then every function module): read failures in
    /// order, then each file's parse diagnostics in order.
    read_failures: Vec<Diagnostic>,
    pub parsed: Vec<(FileId, Vec<Diagnostic>)>,
    /// Files read by the first load; the ones after were read by pass 1.
    initial_files: usize,
    /// Files read once the schema's pass 1 ran; the ones after were read by
    /// the modules' pass 1.
    schema_files: usize,
    /// Files read by pass 1, set aside while a run stops before it (a cold
    /// run would not have read them).
    pub files_aside: Vec<SourceFile>,
    /// A file only the schema reads changed while the run stopped before
    /// pass 1: the schema's pass 1 must run again before it is used.
    pub schema_stale: bool,
    schema: Option<SchemaStage>,
    pub units: Vec<Unit>,
    tables_validated: Option<TablesValidated>,
    tables_placed: Option<TablesPlaced>,
    /// Pass 5's cron jobs (`lunora/crons.ts`), when the app has that file.
    crons: Option<crate::Crons>,
}

/// One function module, in path order, and what each pass found in it.
pub(crate) struct Unit {
    pub rel: String,
    /// Reading it, its module path, a duplicate API path (pass 1, before
    /// discovery; they depend on the set of files, not on its text).
    path_d: Vec<Diagnostic>,
    /// Its module paths; `None` when it could not be read, cannot become an
    /// API path, or duplicates an earlier module's API path.
    pub module: Option<(FileId, Module)>,
    /// Pass 1 for this module: module-path diagnostics, then discovery.
    pub collected: Option<Collected>,
    pub validated: Option<Validated>,
    pub checked: Option<Checked>,
    /// Pass 1 read no other file for it, and no other module (nor the
    /// schema) read its file: its results depend on its own text and the
    /// schema only.
    pub isolated: bool,
}

pub(crate) struct Collected {
    d: Vec<Diagnostic>,
    drafts: Vec<FunctionDraft>,
    /// Its `httpAction`s to check in pass 4, and `http.ts`'s routes.
    http: HttpCollected,
    /// `crons.ts`'s jobs, when read without errors.
    crons: Option<Vec<CronDraft>>,
    /// Files its evaluation resolved or loaded, besides its own.
    pub touched: Vec<String>,
}

pub(crate) struct Validated {
    d: Vec<Diagnostic>,
    args: Vec<Option<Vec<ObjectField>>>,
    /// The `returns` validator of each draft.
    returns: Vec<Option<Validator>>,
}

pub(crate) struct Checked {
    d: Vec<Diagnostic>,
    pub functions: Vec<Function>,
}

struct SchemaStage {
    d: Vec<Diagnostic>,
    ok: Option<SchemaOk>,
    /// Files its evaluation resolved or loaded, in order (the schema too).
    touched: Vec<String>,
}

struct SchemaOk {
    export: SchemaExport,
    drafts: Vec<TableDraft>,
}

struct TablesValidated {
    d: Vec<Diagnostic>,
    /// Per table draft: its fields and, for a union table, its variants.
    shapes: Vec<schema::Shape>,
}

struct TablesPlaced {
    d: Vec<Diagnostic>,
    /// `None` when the auth table is wrong (an error in `d`).
    tables: Option<Vec<Table>>,
}

impl Unit {
    fn new(rel: String) -> Self {
        Self {
            rel,
            path_d: Vec::new(),
            module: None,
            collected: None,
            validated: None,
            checked: None,
            isolated: false,
        }
    }

    /// Its functions, when pass 4 ran for it.
    pub fn checked_functions(&self) -> Option<&[Function]> {
        self.checked.as_ref().map(|k| k.functions.as_slice())
    }

    /// Forgets pass 1 and after (its text changed).
    pub fn invalidate(&mut self) {
        self.collected = None;
        self.validated = None;
        self.checked = None;
    }
}

/// Lists the app and loads (reads, parses) the schema and every function
/// module: the start of every cold run.
pub(crate) fn start(ld: &mut Loader<'_>, t: &mut Timings, retain: bool) -> State {
    let lunora_dir = ld.root.join("lunora");
    let listed = ld.fs.list_files(&lunora_dir).unwrap_or_default();
    let mut function_files = Vec::new();
    for p in listed {
        let Some(rel) = lunora_parser::relative_path(&ld.root, &p) else {
            continue;
        };
        if functions::is_function_module(&rel) {
            function_files.push(rel);
        }
    }
    function_files.sort();
    let mut listed = Vec::new();
    let mut load = vec![SCHEMA_PATH.to_string()];
    if !ld.fs.is_file(&ld.root.join(SCHEMA_PATH)) {
        listed.push(diagnostics::missing_schema(SCHEMA_PATH));
        load.clear();
    }
    load.extend(function_files.iter().cloned());
    t.lap("list");
    let (read_failures, parsed) = ld.load_many_parts(&load);
    t.lap("read+parse");
    State {
        initial_files: ld.files.len(),
        schema_files: ld.files.len(),
        files_aside: Vec::new(),
        schema_stale: false,
        retain,
        by_path: HashMap::new(),
        modules: Vec::new(),
        listed,
        read_failures,
        parsed,
        schema: None,
        units: function_files.into_iter().map(Unit::new).collect(),
        tables_validated: None,
        tables_placed: None,
        crons: None,
    }
}

impl State {
    /// File `id`'s parse diagnostics are now `d` (its text changed); a file
    /// outside the first load reports them where pass 1 loads it.
    pub fn set_parse_diagnostics(&mut self, id: FileId, d: Vec<Diagnostic>) {
        if let Some(slot) = self.parsed.iter_mut().find(|(p, _)| *p == id) {
            slot.1 = d;
        }
    }

    /// A run stops before pass 1 (errors while listing, reading or parsing
    /// the first load).
    pub fn stops_before_pass1(&self) -> bool {
        has_errors(&self.listed)
            || has_errors(&self.read_failures)
            || self.parsed.iter().any(|(_, d)| has_errors(d))
    }

    /// How many of the files read so far a cold run would have read (file
    /// ids follow load order): it stops before pass 1 on errors while
    /// listing, reading or parsing, and before the modules' pass 1 when the
    /// schema has no usable export.
    pub fn files_a_cold_run_reads(&self) -> Option<usize> {
        if self.stops_before_pass1() {
            Some(self.initial_files)
        } else if self.schema.as_ref().is_some_and(|s| s.ok.is_none()) {
            Some(self.schema_files)
        } else {
            None
        }
    }
}

/// `items` without repeats, each where it first stood.
fn dedup_in_order(items: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

/// Runs every pass whose result `st` lacks and gathers the diagnostics of
/// all, in pass order, stopping after the first pass with errors as a cold
/// run would. `Some(())` when no pass reported an error.
pub(crate) fn evaluate(
    st: &mut State,
    ld: &mut Loader<'_>,
    d: &mut Vec<Diagnostic>,
    t: &mut Timings,
) -> Option<()> {
    report_loaded(st, d);
    if has_errors(d) {
        return None;
    }
    pass_collect(st, ld, d)?;
    t.lap("collect");
    if has_errors(d) {
        return None;
    }
    pass_validators(st, d)?;
    t.lap("validators");
    if has_errors(d) {
        return None;
    }
    pass_indexes(st, d)?;
    t.lap("indexes");
    if has_errors(d) {
        return None;
    }
    pass_bodies(st, d)?;
    t.lap("bodies");
    pass_calls(st, d);
    t.lap("scheduler");
    if has_errors(d) {
        return None;
    }
    Some(())
}

/// The diagnostics of listing, reading and parsing the first load.
fn report_loaded(st: &State, d: &mut Vec<Diagnostic>) {
    d.extend(st.listed.iter().cloned());
    d.extend(st.read_failures.iter().cloned());
    for (_, pd) in &st.parsed {
        d.extend(pd.iter().cloned());
    }
}

/// Pass 1: collect the schema (when not kept) and every module lacking its
/// result; `None` when the schema has no usable export.
fn pass_collect(st: &mut State, ld: &mut Loader<'_>, d: &mut Vec<Diagnostic>) -> Option<()> {
    if st.schema.is_none() {
        collect_all(st, ld);
    }
    let schema = st.schema.as_ref()?;
    d.extend(schema.d.iter().cloned());
    schema.ok.as_ref()?;
    for unit in &mut st.units {
        if unit.collected.is_none() {
            // Only a module whose text changed lacks it (see `Session`): it
            // is isolated, so a fresh evaluator finds what the shared one would.
            unit.collected = Some(collect_unit(ld, &mut Eval::new(), unit));
        }
        d.extend(unit.path_d.iter().cloned());
        if let Some(c) = &unit.collected {
            d.extend(c.d.iter().cloned());
        }
    }
    Some(())
}

/// Pass 2: the validators of the tables (when not kept), then of the args
/// and `returns` of every module lacking them.
fn pass_validators(st: &mut State, d: &mut Vec<Diagnostic>) -> Option<()> {
    let ok = st.schema.as_ref()?.ok.as_ref()?;
    let table_names = schema::TableNames::new(ok.drafts.iter().map(|t| t.name.as_str()).collect());
    let tv = st.tables_validated.get_or_insert_with(|| {
        let mut d = Vec::new();
        let shapes = ok
            .drafts
            .iter()
            .map(|t| schema::table_shape(t, &table_names, &mut d))
            .collect();
        TablesValidated { d, shapes }
    });
    d.extend(tv.d.iter().cloned());
    validate_units(&mut st.units, &table_names, d);
    Some(())
}

/// Pass 2 for the function modules: the drafts of every module lacking it,
/// resolved in parallel, stored per module.
fn validate_units(units: &mut [Unit], table_names: &schema::TableNames, d: &mut Vec<Diagnostic>) {
    let todo: Vec<&FunctionDraft> = units
        .iter()
        .filter(|u| u.validated.is_none())
        .filter_map(|u| u.collected.as_ref())
        .flat_map(|c| c.drafts.iter())
        .collect();
    let mut resolved = par::map(&todo, |f| {
        let mut fd = Vec::new();
        let args = f.args.as_ref().map(|entries| {
            schema::object_fields(entries, table_names, true, &mut fd)
                .unwrap_or_default()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<ObjectField>>()
        });
        let returns = f
            .returns
            .as_ref()
            .and_then(|r| schema::validator(r, table_names, &mut fd));
        ((args, returns), fd)
    })
    .into_iter();
    drop(todo);
    for unit in units {
        if unit.validated.is_none()
            && let Some(c) = &unit.collected
        {
            let mut v = Validated {
                d: Vec::new(),
                args: Vec::with_capacity(c.drafts.len()),
                returns: Vec::with_capacity(c.drafts.len()),
            };
            for ((args, returns), fd) in resolved.by_ref().take(c.drafts.len()) {
                v.d.extend(fd);
                v.args.push(args);
                v.returns.push(returns);
            }
            unit.validated = Some(v);
        }
        if let Some(v) = &unit.validated {
            d.extend(v.d.iter().cloned());
        }
    }
}

/// Pass 3: placement, indexes and shard keys (when not kept); `None` when
/// the auth table is wrong.
fn pass_indexes(st: &mut State, d: &mut Vec<Diagnostic>) -> Option<()> {
    let ok = st.schema.as_ref()?.ok.as_ref()?;
    let tv = st.tables_validated.as_ref()?;
    let tp = st
        .tables_placed
        .get_or_insert_with(|| place_tables(ok, &tv.shapes));
    d.extend(tp.d.iter().cloned());
    tp.tables.as_deref()?;
    Some(())
}

/// Pass 4: function bodies and routes. Each body is checked on its own
/// against the finished tables, in parallel; diagnostics are merged in
/// function order.
fn pass_bodies(st: &mut State, d: &mut Vec<Diagnostic>) -> Option<()> {
    let tables = st.tables_placed.as_ref()?.tables.as_deref()?;
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(tables.len());
    for (i, t) in tables.iter().enumerate() {
        // The first of a name wins, as in `Ir::table_by_name`.
        by_name.entry(t.name.as_str()).or_insert(i);
    }
    let todo: Vec<(&FunctionDraft, Option<&[ObjectField]>)> = st
        .units
        .iter()
        .filter(|u| u.checked.is_none())
        .filter_map(|u| Some((u.collected.as_ref()?, u.validated.as_ref()?)))
        .flat_map(|(c, v)| c.drafts.iter().zip(v.args.iter().map(Option::as_deref)))
        .collect();
    let mut checked = par::map(&todo, |(f, args)| {
        let mut fd = Vec::new();
        let r = bodies::check_body(tables, &by_name, f, *args, &mut fd);
        (r, fd)
    })
    .into_iter();
    drop(todo);
    let retain = st.retain;
    for unit in &mut st.units {
        if unit.checked.is_none()
            && let (Some(c), Some(v)) = (&mut unit.collected, &mut unit.validated)
        {
            let mut k = Checked {
                d: Vec::new(),
                functions: Vec::with_capacity(c.drafts.len()),
            };
            for (((f, args), returns), ((route, tables_read, tables_written), fd)) in c
                .drafts
                .iter_mut()
                .zip(&mut v.args)
                .zip(&mut v.returns)
                .zip(checked.by_ref())
            {
                k.d.extend(fd);
                let (args, returns) = if retain {
                    (args.clone(), returns.clone())
                } else {
                    (args.take(), returns.take())
                };
                let body = BodyFound {
                    route,
                    tables_read,
                    tables_written,
                };
                k.functions
                    .push(function_of(f, args, returns, body, retain));
            }
            // Its `httpAction` handlers: bodies checked as actions' are.
            for f in &c.http.actions {
                bodies::check_body(tables, &by_name, f, None, &mut k.d);
            }
            unit.checked = Some(k);
        }
        if let Some(k) = &unit.checked {
            d.extend(k.d.iter().cloned());
        }
    }
    Some(())
}

/// What pass 4 found in one function's body.
struct BodyFound {
    route: Route,
    tables_read: Vec<String>,
    tables_written: Vec<String>,
}

/// The IR function of draft `f` with its validators and body's findings;
/// the draft's strings are copied when the state is retained, else moved.
fn function_of(
    f: &mut FunctionDraft,
    args: Option<Vec<ObjectField>>,
    returns: Option<Validator>,
    body: BodyFound,
    retain: bool,
) -> Function {
    let take = |s: &mut String| {
        if retain { s.clone() } else { std::mem::take(s) }
    };
    Function {
        module: take(&mut f.module),
        file: take(&mut f.file),
        api_path: if retain {
            f.api_path.clone()
        } else {
            std::mem::take(&mut f.api_path)
        },
        export_name: take(&mut f.export_name),
        span: Some(f.span),
        kind: f.kind,
        visibility: f.visibility,
        args,
        returns,
        route: body.route,
        tables_read: body.tables_read,
        tables_written: body.tables_written,
    }
}

/// Pass 5: `ctx.scheduler` calls, and `lunora/crons.ts`'s jobs. Both name
/// functions of any module, so this pass is never kept per module: it runs
/// over every function each time (it only reads summaries).
fn pass_calls(st: &mut State, d: &mut Vec<Diagnostic>) {
    let callers: Vec<scheduler::Caller<'_>> = st
        .units
        .iter()
        .filter_map(|u| Some((u.collected.as_ref()?, u.checked.as_ref()?)))
        .flat_map(|(c, k)| {
            c.drafts
                .iter()
                .zip(&k.functions)
                .map(|(draft, f)| (f, draft.handler.as_ref().map(|(h, file)| (&**h, *file))))
        })
        .collect();
    scheduler::check(&callers, d);
    st.crons = st
        .units
        .iter()
        .find_map(|u| u.collected.as_ref()?.crons.as_ref())
        .and_then(|drafts| {
            let functions: Vec<&Function> = callers.iter().map(|(f, _)| *f).collect();
            crons::check(drafts, &functions, d)
        });
}

/// The IR of a state whose passes all ran without errors (see [`evaluate`]):
/// copied out of a retained state, moved out of a cold run's.
pub(crate) fn build_ir(st: &mut State) -> Option<Ir> {
    let retain = st.retain;
    let export = st.schema.as_ref()?.ok.as_ref()?.export.clone();
    let placed = st.tables_placed.as_mut()?;
    let tables = if retain {
        placed.tables.clone()?
    } else {
        placed.tables.take()?
    };
    let mut functions: Vec<Function> = Vec::new();
    let mut modules: Vec<Module> = Vec::new();
    for unit in &mut st.units {
        if let Some(k) = &mut unit.checked {
            if retain {
                functions.extend(k.functions.iter().cloned());
            } else {
                functions.append(&mut k.functions);
            }
        }
        if let Some((_, m)) = &unit.module {
            modules.push(m.clone());
        }
    }
    sort_functions(&mut functions);
    modules.sort_by(|a, b| a.module.cmp(&b.module));
    let http = st
        .units
        .iter()
        .find_map(|u| u.collected.as_ref()?.http.router.clone());
    let uses_storage = st
        .units
        .iter()
        .filter_map(|u| u.collected.as_ref())
        .any(|c| {
            c.drafts.iter().chain(&c.http.actions).any(|f| {
                f.handler
                    .as_ref()
                    .is_some_and(|(h, _)| !h.storage_calls.is_empty())
            })
        });
    Some(Ir {
        tables,
        functions,
        modules,
        schema_export: export,
        http,
        crons: st.crons.clone(),
        uses_storage,
    })
}

/// The IR's function order: by module, then export name (stable).
pub(crate) fn sort_functions(functions: &mut [Function]) {
    functions.sort_by(|a, b| (&a.module, &a.export_name).cmp(&(&b.module, &b.export_name)));
}

/// Pass 1 from scratch: the schema, then every module in path order, with
/// one evaluator; records which files each one read.
fn collect_all(st: &mut State, ld: &mut Loader<'_>) {
    let mut ev = Eval::new();
    let mut d = Vec::new();
    ld.start_touches();
    let ok = collect_schema(ld, &mut ev, &mut d);
    let schema_touched = dedup_in_order(ld.take_touches());
    st.schema_files = ld.files.len();
    let collected_units = ok.is_some();
    st.schema = Some(SchemaStage {
        d,
        ok,
        touched: schema_touched.clone(),
    });
    for unit in &mut st.units {
        unit.invalidate();
        unit.module = None;
        unit.isolated = false;
    }
    st.tables_validated = None;
    st.tables_placed = None;
    if !collected_units {
        return;
    }
    let mut api_seen: HashMap<Vec<String>, String> = HashMap::new();
    for unit in &mut st.units {
        let mut d = Vec::new();
        if let Some(id) = ld.load(&unit.rel, &mut d)
            && let Some(module) = functions::module_paths(&unit.rel, id, &mut d)
        {
            if let Some(first) = api_seen.get(&module.api_path) {
                d.push(diagnostics::duplicate_api_path(
                    &unit.rel,
                    first,
                    &module.api_path,
                    id,
                ));
            } else {
                api_seen.insert(module.api_path.clone(), unit.rel.clone());
                unit.module = Some((id, module));
            }
        }
        unit.path_d = d;
        unit.collected = Some(collect_unit(ld, &mut ev, unit));
    }
    // Isolated: read nothing else, and read by nothing else.
    let mut read_by_others: HashSet<&str> = schema_touched.iter().map(String::as_str).collect();
    for unit in &st.units {
        if let Some(c) = &unit.collected {
            read_by_others.extend(c.touched.iter().map(String::as_str));
        }
    }
    let isolated: Vec<bool> = st
        .units
        .iter()
        .map(|u| {
            // `http.ts`'s routes are part of `wiring.ts`'s head: never module-local.
            u.collected.as_ref().is_some_and(|c| c.touched.is_empty())
                && !read_by_others.contains(u.rel.as_str())
                && u.rel != http::ROUTER_FILE
                && u.rel != crons::CRONS_FILE
        })
        .collect();
    for (unit, isolated) in st.units.iter_mut().zip(isolated) {
        unit.isolated = isolated;
    }
}

impl State {
    /// The files the schema's evaluation reads (the schema itself and the
    /// const modules it imports), when pass 1 ran for every module and none
    /// of them reads any of those files: then the schema's pass 1 can run
    /// again alone (with a shared file, which of the two evaluated a shared
    /// const first decides who reports its errors).
    pub fn schema_only_files(&self) -> Option<HashSet<&str>> {
        let schema = self.schema.as_ref()?;
        schema.ok.as_ref()?;
        let files: HashSet<&str> = schema.touched.iter().map(String::as_str).collect();
        for unit in &self.units {
            let c = unit.collected.as_ref()?;
            // A module file the schema reads (`lunora/model/*.ts` holding
            // consts) is shared only if its own pass 1 evaluated something.
            let evaluated = !c.drafts.is_empty()
                || !c.http.actions.is_empty()
                || c.http.router.is_some()
                || c.crons.is_some()
                || !c.d.is_empty()
                || !c.touched.is_empty();
            if (evaluated && files.contains(unit.rel.as_str()))
                || c.touched.iter().any(|t| files.contains(t.as_str()))
            {
                return None;
            }
        }
        Some(files)
    }
}

/// Pass 1 of the schema alone, after only files that the schema alone reads
/// changed (see [`State::schema_only_files`]): no module's pass 1 depends on
/// them, so those results stay; the tables and passes 2 to 4 of every module
/// run again. False (nothing kept is valid then) when the schema now reads
/// other files than before.
pub(crate) fn recollect_schema(st: &mut State, ld: &mut Loader<'_>) -> bool {
    let Some(before) = st.schema.take() else {
        return false;
    };
    // The modules the schema's evaluation loaded after the first load: a
    // cold run reports their parse diagnostics (or read failure) there.
    let mut lazy = Vec::new();
    for rel in &before.touched {
        match ld.loaded(rel) {
            Some(Some(id)) if (id.0 as usize) < st.initial_files => {}
            Some(Some(_)) => lazy.push(rel.clone()),
            Some(None) => return false,
            None => {}
        }
    }
    ld.replay_parse_diagnostics(lazy);
    let mut d = Vec::new();
    ld.start_touches();
    let ok = collect_schema(ld, &mut Eval::new(), &mut d);
    let touched = dedup_in_order(ld.take_touches());
    if touched != before.touched {
        return false;
    }
    st.schema = Some(SchemaStage { d, ok, touched });
    st.tables_validated = None;
    st.tables_placed = None;
    for unit in &mut st.units {
        unit.validated = None;
        unit.checked = None;
    }
    true
}

/// Pass 1 for one module whose module paths are known: its functions.
pub(crate) fn collect_unit(ld: &mut Loader<'_>, ev: &mut Eval, unit: &Unit) -> Collected {
    let mut d = Vec::new();
    let Some((id, module)) = &unit.module else {
        return Collected {
            d,
            drafts: Vec::new(),
            http: HttpCollected::default(),
            crons: None,
            touched: Vec::new(),
        };
    };
    ld.start_touches();
    let mut found = HttpCollected::default();
    let drafts = functions::discover(ld, ev, *id, module, &mut d, &mut found.actions);
    if module.module == http::ROUTER_MODULE {
        found.router = http::collect_router(ld, ev, *id, module, &mut found.actions, &mut d);
    }
    let crons = (module.module == crons::CRONS_MODULE)
        .then(|| crons::collect(ld, ev, *id, module, &mut d))
        .flatten();
    let mut touched = ld.take_touches();
    touched.retain(|rel| *rel != unit.rel);
    Collected {
        d,
        drafts,
        http: found,
        crons,
        touched,
    }
}

/// The schema's export, evaluated, and its table drafts.
fn collect_schema(ld: &mut Loader<'_>, ev: &mut Eval, d: &mut Vec<Diagnostic>) -> Option<SchemaOk> {
    let schema_id = ld.load(SCHEMA_PATH, d)?;
    let sm = ld.module_arc(schema_id);
    let (export, expr) = if let Some(e) = &sm.default_export {
        (SchemaExport::Default, e)
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
            (BindingKind::Const, Some(init)) => (SchemaExport::Named(b.name.clone()), init),
            _ => {
                d.push(diagnostics::schema_not_const(&b.name, schema_id, b.span));
                return None;
            }
        }
    } else {
        d.push(diagnostics::no_schema_export(schema_id));
        return None;
    };
    let schema_val = ev.eval(ld, schema_id, expr, Mode::SCHEMA, d);
    let drafts: Vec<TableDraft> = match &schema_val {
        Some(v) => schema::collect_tables(v, d),
        None => Vec::new(),
    };
    if drafts.is_empty() && schema_val.is_some() && !has_errors(d) {
        let at = schema_val
            .as_ref()
            .map_or(FileSpan::new(schema_id, expr.span), |v| v.at);
        d.push(diagnostics::empty_schema(at));
    }
    Some(SchemaOk { export, drafts })
}

/// Pass 3 over the tables: placement and indexes, the auth table, SQL name
/// clashes.
fn place_tables(ok: &SchemaOk, shapes: &[schema::Shape]) -> TablesPlaced {
    let mut d = Vec::new();
    let mut tables = Vec::new();
    for (t, shape) in ok.drafts.iter().zip(shapes) {
        let (placement, indexes) = schema::placement_and_indexes(t, &shape.fields, &mut d);
        let index_names = t
            .indexes
            .iter()
            .map(|i| (i.name.as_str(), i.name_at))
            .collect();
        let search_indexes = crate::search::search_indexes(
            &t.name,
            &t.search_indexes,
            &index_names,
            &shape.fields,
            &mut d,
        );
        tables.push(Table {
            name: t.name.clone(),
            span: Some(t.at),
            fields: shape.fields.clone(),
            indexes,
            search_indexes,
            placement,
            variants: shape.variants.clone(),
            builtin: false,
        });
    }
    if has_errors(&d) {
        return TablesPlaced { d, tables: None };
    }
    match tables.iter().find(|t| t.name == AUTH_TABLE) {
        // The app's `users` in the built-in's shape (global, `subject`, unique
        // `by_subject`) extends the built-in one: `ctx.auth.userId` is its id.
        Some(users)
            if users.placement == Placement::Global
                && users.field("subject").map(|f| &f.validator) == Some(&Validator::String)
                && users
                    .indexes
                    .iter()
                    .any(|i| i.name == "by_subject" && i.unique && i.fields == ["subject"]) => {}
        // Any other `users` belongs to the app (as in Convex); identities
        // live in the built-in `_identities`.
        Some(_) => tables.push(schema::builtin_identities(IDENTITY_TABLE)),
        None => tables.push(schema::builtin_identities(AUTH_TABLE)),
    }
    schema::sqlite_name_clashes(&tables, &mut d);
    TablesPlaced {
        d,
        tables: Some(tables),
    }
}

/// Runs every pass over the app `ld` reads: the analysis, and the passes' state
/// (kept by a [`crate::Session`] when `retain`).
pub fn run(ld: &mut Loader<'_>, retain: bool) -> (AnalyzeReturn, State) {
    let mut diagnostics = Vec::new();
    let mut timings = Timings::start();
    let mut st = start(ld, &mut timings, retain);
    let ir = evaluate(&mut st, ld, &mut diagnostics, &mut timings).and_then(|()| build_ir(&mut st));
    timings.lap("global");
    let out = AnalyzeReturn {
        files: std::mem::take(&mut ld.files),
        ir,
        diagnostics,
        timings,
    };
    (out, st)
}
