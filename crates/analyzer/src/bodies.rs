//! Function bodies and routes (pass 4): each function's `ctx` uses checked
//! against the finished tables, and the route that follows from the tables
//! it touches.

use std::collections::{BTreeSet, HashMap};

use lunora_parser::summary::{
    DbCall, Expr, ExprKind, FunctionSummary, Pattern, PatternProp, Property,
};
use lunora_parser::{Diagnostic, FileId, Span};

use crate::diagnostics;
use crate::draft::{Form, FunctionDraft};
use crate::ir::*;

/// How a handler refers to its arguments.
#[derive(Default)]
struct ArgEnv {
    /// Local variable → argument name (`args: { channelId: cid }`).
    locals: HashMap<String, String>,
    /// Variables that hold the args object (`args`).
    args_vars: Vec<String>,
    /// Variables that hold the whole input (`(input) => input.args.x`).
    input_vars: Vec<String>,
}

impl ArgEnv {
    fn new(h: &FunctionSummary, form: Form) -> Self {
        let mut env = ArgEnv::default();
        if form == Form::Object {
            // `(ctx, args) => ...`
            match h.params.get(1) {
                Some(Pattern::Ident { name, .. }) => env.args_vars.push(name.clone()),
                Some(Pattern::Object { props, .. }) => env.destructured(props),
                _ => {}
            }
            return env;
        }
        match h.params.first() {
            Some(Pattern::Ident { name, .. }) => env.input_vars.push(name.clone()),
            Some(Pattern::Object { props, .. }) => {
                for p in props {
                    if p.key.as_deref() != Some("args") {
                        continue;
                    }
                    match &p.value {
                        Pattern::Ident { name, .. } => env.args_vars.push(name.clone()),
                        Pattern::Object { props, .. } => env.destructured(props),
                        Pattern::Other => {}
                    }
                }
            }
            _ => {}
        }
        env
    }

    /// `{ channelId: cid, text }` destructuring the args object.
    fn destructured(&mut self, props: &[PatternProp]) {
        for q in props {
            if let (Some(k), Pattern::Ident { name, .. }) = (&q.key, &q.value) {
                self.locals.insert(name.clone(), k.clone());
            }
        }
    }

    /// The argument name `e` provably is.
    fn arg_of(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Ident(n) => self.locals.get(n).cloned(),
            ExprKind::Member {
                object, property, ..
            } => match &object.kind {
                ExprKind::Ident(a) if self.args_vars.contains(a) => Some(property.clone()),
                ExprKind::Member {
                    object: inner,
                    property: p2,
                    ..
                } if p2 == "args" => match &inner.kind {
                    ExprKind::Ident(i) if self.input_vars.contains(i) => Some(property.clone()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }
}

const WRITES: &[&str] = &["insert", "patch", "replace", "delete"];

/// `ctx.storage` of a query (Convex's `StorageReader`).
const STORAGE_QUERY: &[&str] = &["getUrl", "getMetadata"];
/// What a mutation adds (`StorageWriter`).
const STORAGE_MUTATION: &[&str] = &["generateUploadUrl", "delete"];
/// What an action adds (`StorageActionWriter`).
const STORAGE_ACTION: &[&str] = &["store", "get"];

/// One `ctx.storage.<method>` use: a method of Convex's storage API that the
/// function's kind has (queries read, mutations also write, actions also
/// store and read bytes).
fn check_storage_call(
    f: &FunctionDraft,
    method: &str,
    file: FileId,
    span: Span,
    d: &mut Vec<Diagnostic>,
) {
    let all = || {
        STORAGE_QUERY
            .iter()
            .chain(STORAGE_MUTATION)
            .chain(STORAGE_ACTION)
            .copied()
    };
    if !all().any(|m| m == method) {
        let methods: Vec<&str> = all().collect();
        d.push(diagnostics::storage_unknown_method(
            method, &methods, file, span,
        ));
        return;
    }
    let (kind, has): (&str, Vec<&str>) = match f.kind {
        FunctionKind::Query => ("query", STORAGE_QUERY.to_vec()),
        FunctionKind::Mutation => (
            "mutation",
            STORAGE_QUERY
                .iter()
                .chain(STORAGE_MUTATION)
                .copied()
                .collect(),
        ),
        FunctionKind::Action => return,
    };
    if has.contains(&method) {
        return;
    }
    d.push(diagnostics::storage_wrong_ctx(
        kind,
        &f.export_name,
        method,
        STORAGE_ACTION.contains(&method),
        file,
        span,
        f.span,
    ));
}

/// The finished tables pass 4 checks bodies against, and their ids by name.
struct Tables<'t> {
    tables: &'t [Table],
    by_name: &'t HashMap<&'t str, usize>,
}

impl<'t> Tables<'t> {
    /// The table named `name` (the first of a name).
    fn get(&self, name: &str) -> Option<&'t Table> {
        self.by_name.get(name).map(|&i| &self.tables[i])
    }
}

/// What a function's body and the helpers it hands `ctx` to touch.
#[derive(Default)]
struct Touched {
    read: BTreeSet<String>,
    written: BTreeSet<String>,
    /// (shard key, arg) evidence from withIndex/insert.
    bindings: Vec<(String, String)>,
}

impl Touched {
    /// `t` is read, or written when `is_write`.
    fn touch(&mut self, t: &Table, is_write: bool) {
        if is_write {
            self.written.insert(t.name.clone());
        } else {
            self.read.insert(t.name.clone());
        }
    }
}

/// The handler of a function being checked: the file it is in and how it
/// refers to the function's arguments.
struct Body<'b> {
    f: &'b FunctionDraft,
    file: FileId,
    env: ArgEnv,
    args: Option<&'b [ObjectField]>,
}

/// Pass 4: body checks and the route of one function.
pub fn check_body(
    tables: &[Table],
    by_name: &HashMap<&str, usize>,
    f: &FunctionDraft,
    args: Option<&[ObjectField]>,
    d: &mut Vec<Diagnostic>,
) -> (Route, Vec<String>, Vec<String>) {
    let tables = Tables { tables, by_name };
    let mut touched = Touched::default();
    if let Some((h, hfile)) = &f.handler {
        let body = Body {
            f,
            file: *hfile,
            env: ArgEnv::new(h, f.form),
            args,
        };
        check_handler(&tables, &body, h, &mut touched, d);
    }
    helper_tables(&tables, f, &mut touched);
    let route = if f.kind == FunctionKind::Action {
        Route::Worker
    } else {
        route_of(&tables, f, args, &touched, d)
    };
    (
        route,
        touched.read.into_iter().collect(),
        touched.written.into_iter().collect(),
    )
}

/// The handler's own uses of `ctx`: its storage calls, vector searches,
/// then each db call, in that order.
fn check_handler(
    tables: &Tables<'_>,
    body: &Body<'_>,
    h: &FunctionSummary,
    touched: &mut Touched,
    d: &mut Vec<Diagnostic>,
) {
    let (f, file) = (body.f, body.file);
    for (method, span) in &h.storage_calls {
        check_storage_call(f, method, file, *span, d);
    }
    for span in &h.vector_search {
        d.push(diagnostics::unsupported_vector_search(
            &f.export_name,
            file,
            *span,
        ));
    }
    for call in &h.db_calls {
        check_db_call(tables, body, call, touched, d);
    }
}

/// One `ctx.db` call of the handler: no write in a query, a known table, its
/// index range or search, an insert's fields; records the table it touches.
fn check_db_call(
    tables: &Tables<'_>,
    body: &Body<'_>,
    call: &DbCall,
    touched: &mut Touched,
    d: &mut Vec<Diagnostic>,
) {
    let (f, file, env) = (body.f, body.file, &body.env);
    let is_write = WRITES.contains(&call.method.as_str());
    if is_write && f.kind == FunctionKind::Query {
        d.push(diagnostics::write_in_query(
            &f.export_name,
            &call.method,
            file,
            call.method_span,
            f.span,
        ));
    }
    let Some((tname, tspan)) = table_of(call, env, body.args) else {
        return;
    };
    let Some(t) = tables.get(tname.as_str()) else {
        if let Some(span) = tspan {
            let table_names: Vec<&str> = tables.tables.iter().map(|t| t.name.as_str()).collect();
            d.push(diagnostics::unknown_table(&tname, &table_names, file, span));
        }
        return;
    };
    touched.touch(t, is_write);
    if let Some(idx) = &call.index {
        if idx.search {
            let bindings = &mut touched.bindings;
            crate::search::check_search_use(
                t,
                idx,
                file,
                |key, v| {
                    if let Some(arg) = env.arg_of(v) {
                        bindings.push((key.to_string(), arg));
                    }
                },
                d,
            );
        } else {
            check_index(t, idx, file, env, &mut touched.bindings, d);
        }
    }
    if call.method == "insert" {
        check_insert(t, call, file, env, &mut touched.bindings, d);
    }
}

/// The tables the helpers it hands `ctx` to name (their own mistakes are not
/// reported once per caller: only the tables count, for the route).
fn helper_tables(tables: &Tables<'_>, f: &FunctionDraft, touched: &mut Touched) {
    let no_args = ArgEnv::default();
    for (h, _) in &f.helpers {
        for call in &h.db_calls {
            if let Some((tname, _)) = table_of(call, &no_args, None)
                && let Some(t) = tables.get(tname.as_str())
            {
                touched.touch(t, WRITES.contains(&call.method.as_str()));
            }
        }
    }
}

/// Where the touched tables are placed, in table-name order.
struct Placements<'t> {
    /// (shard key, first table sharded by it), one per key.
    families: Vec<(&'t str, &'t str)>,
    /// The first root table.
    root_table: Option<&'t str>,
    global: bool,
}

impl<'t> Placements<'t> {
    /// The placements of every table `touched` reads or writes.
    fn of(tables: &Tables<'t>, touched: &Touched) -> Self {
        let names: BTreeSet<&String> = touched.read.iter().chain(touched.written.iter()).collect();
        let mut p = Placements {
            families: Vec::new(),
            root_table: None,
            global: false,
        };
        for name in &names {
            let Some(t) = tables.get(name.as_str()) else {
                continue;
            };
            match &t.placement {
                Placement::Shard { key } => {
                    if !p.families.iter().any(|(k, _)| *k == key) {
                        p.families.push((key, &t.name));
                    }
                }
                Placement::Root => p.root_table = p.root_table.or(Some(t.name.as_str())),
                Placement::Global => p.global = true,
            }
        }
        p
    }
}

/// The route of a query or mutation from the placements of what it touches:
/// one shard family (bound by an argument), the root, or global tables only.
fn route_of(
    tables: &Tables<'_>,
    f: &FunctionDraft,
    args: Option<&[ObjectField]>,
    touched: &Touched,
    d: &mut Vec<Diagnostic>,
) -> Route {
    let p = Placements::of(tables, touched);
    if p.families.len() > 1 {
        d.push(diagnostics::two_shard_families(
            &f.export_name,
            &p.families,
            f.span,
        ));
        Route::Root
    } else if let Some((key, table)) = p.families.first() {
        if let Some(root) = p.root_table {
            d.push(diagnostics::root_and_shard(
                &f.export_name,
                root,
                table,
                key,
                f.span,
            ));
            Route::Root
        } else {
            shard_route(f, args, &touched.bindings, key, table, d)
        }
    } else if p.root_table.is_some() || !p.global {
        Route::Root
    } else {
        Route::Global
    }
}

/// The route to the shard of `table` (sharded by `key`): the declared
/// argument that binds the key, else an argument named like it; the root,
/// reported, when there is none.
fn shard_route(
    f: &FunctionDraft,
    args: Option<&[ObjectField]>,
    bindings: &[(String, String)],
    key: &str,
    table: &str,
    d: &mut Vec<Diagnostic>,
) -> Route {
    let declared = |a: &str| args.is_some_and(|args| args.iter().any(|x| x.name == a));
    let arg = bindings
        .iter()
        .find(|(k, a)| k == key && declared(a))
        .map(|(_, a)| a.clone())
        .or_else(|| declared(key).then(|| key.to_string()));
    match arg {
        Some(arg) => Route::Shard {
            key: key.to_string(),
            arg,
        },
        None => {
            d.push(diagnostics::shard_key_unbound(
                &f.export_name,
                table,
                key,
                f.span,
            ));
            Route::Root
        }
    }
}

/// The table a db call names: a string literal, or an argument validated as `v.id("t")`.
fn table_of(
    call: &DbCall,
    env: &ArgEnv,
    args: Option<&[ObjectField]>,
) -> Option<(String, Option<Span>)> {
    let first = call.args.first()?;
    let literal_table = match call.method.as_str() {
        "query" | "insert" => true,
        "get" | "delete" => call.args.len() >= 2,
        "patch" | "replace" => call.args.len() >= 3,
        _ => return None,
    };
    if literal_table {
        return first.as_str().map(|s| (s.to_string(), Some(first.span)));
    }
    let arg = env.arg_of(first)?;
    let v = &args?.iter().find(|a| a.name == arg)?.validator;
    match v {
        Validator::Id(t) => Some((t.clone(), None)),
        Validator::Optional(inner) => match inner.as_ref() {
            Validator::Id(t) => Some((t.clone(), None)),
            _ => None,
        },
        _ => None,
    }
}

/// One `.withIndex(name, range)` use: a known index, and range conditions
/// in the index's order (see [`IndexWalk`]); an `eq` on the shard key with
/// an argument binds it.
fn check_index(
    t: &Table,
    idx: &lunora_parser::summary::IndexUse,
    file: FileId,
    env: &ArgEnv,
    bindings: &mut Vec<(String, String)>,
    d: &mut Vec<Diagnostic>,
) {
    let Some(name) = &idx.name else { return };
    let Some(index) = t.index(name) else {
        d.push(diagnostics::unknown_index(t, name, file, idx.name_span));
        return;
    };
    if !idx.conditions_known {
        return;
    }
    let mut walk = IndexWalk::new(&index.name, &index.fields, file);
    for c in &idx.conditions {
        let Some((field, fspan)) = &c.field else {
            return;
        };
        let step = match c.method.as_str() {
            "eq" => walk.eq(&c.method, field, *fspan).map(|()| {
                if let Some(v) = &c.value
                    && let Some(arg) = env.arg_of(v)
                    && let Placement::Shard { key } = &t.placement
                    && key == field
                {
                    bindings.push((key.clone(), arg));
                }
            }),
            "gt" | "gte" | "lt" | "lte" => walk.bound(&c.method, field, *fspan),
            other => Err(diagnostics::unknown_range_method(
                other,
                file,
                c.method_span,
            )),
        };
        if let Err(e) = step {
            d.push(e);
            return;
        }
    }
}

/// A walk over an index range's conditions, in order, against the index's
/// fields (`_creationTime` last): `eq`s on a prefix, then bounds on the next
/// field, at most one lower and one upper.
struct IndexWalk<'i> {
    index: &'i str,
    fields: Vec<String>,
    file: FileId,
    /// How many fields the `eq`s matched.
    pos: usize,
    /// The field of the range, once a bound was seen.
    range: Option<String>,
    lower: bool,
    upper: bool,
}

impl<'i> IndexWalk<'i> {
    fn new(index: &'i str, fields: &[String], file: FileId) -> Self {
        let mut fields = fields.to_vec();
        if !fields.iter().any(|f| f == "_creationTime") {
            fields.push("_creationTime".into());
        }
        IndexWalk {
            index,
            fields,
            file,
            pos: 0,
            range: None,
            lower: false,
            upper: false,
        }
    }

    /// `field` is the index's next field, else the error for `q.<method>`.
    fn next_field(&self, method: &str, field: &str, fspan: Span) -> Result<(), Diagnostic> {
        if self.fields.get(self.pos).map(String::as_str) == Some(field) {
            return Ok(());
        }
        Err(diagnostics::condition_out_of_order(
            method,
            field,
            self.index,
            self.fields.get(self.pos).map(String::as_str),
            &self.fields,
            self.file,
            fspan,
        ))
    }

    /// `q.eq(field, ..)`: before any bound, on the next field.
    fn eq(&mut self, method: &str, field: &str, fspan: Span) -> Result<(), Diagnostic> {
        if self.range.is_some() {
            return Err(diagnostics::eq_after_range(
                field,
                self.index,
                &self.fields,
                self.file,
                fspan,
            ));
        }
        self.next_field(method, field, fspan)?;
        self.pos += 1;
        Ok(())
    }

    /// `q.gt`/`gte`/`lt`/`lte(field, ..)`: the range's field (the next one
    /// for the first bound), one bound of each side.
    fn bound(&mut self, method: &str, field: &str, fspan: Span) -> Result<(), Diagnostic> {
        let is_lower = method.starts_with('g');
        match &self.range {
            None => {
                self.next_field(method, field, fspan)?;
                self.range = Some(field.to_string());
            }
            Some(r) if r != field => {
                return Err(diagnostics::second_range_field(
                    method,
                    field,
                    r,
                    &self.fields,
                    self.file,
                    fspan,
                ));
            }
            Some(_) => {
                if (is_lower && self.lower) || (!is_lower && self.upper) {
                    return Err(diagnostics::two_bounds(
                        field,
                        is_lower,
                        &self.fields,
                        self.file,
                        fspan,
                    ));
                }
            }
        }
        if is_lower {
            self.lower = true;
        } else {
            self.upper = true;
        }
        Ok(())
    }
}

fn check_insert(
    t: &Table,
    call: &DbCall,
    file: FileId,
    env: &ArgEnv,
    bindings: &mut Vec<(String, String)>,
    d: &mut Vec<Diagnostic>,
) {
    let Some(Expr {
        kind: ExprKind::Object(props),
        span,
    }) = call.args.get(1)
    else {
        return;
    };
    let mut complete = true;
    let mut present = Vec::new();
    for p in props {
        match p {
            Property::KeyValue {
                key,
                key_span,
                value,
            } => {
                if t.field(key).is_none() {
                    d.push(diagnostics::unknown_field(t, key, file, *key_span));
                    continue;
                }
                present.push(key.as_str());
                if let Placement::Shard { key: sk } = &t.placement
                    && sk == key
                    && let Some(arg) = env.arg_of(value)
                {
                    bindings.push((sk.clone(), arg));
                }
            }
            _ => complete = false,
        }
    }
    if complete {
        let missing: Vec<&str> = t
            .fields
            .iter()
            .filter(|f| !f.is_optional() && !present.contains(&f.name.as_str()))
            .map(|f| f.name.as_str())
            .collect();
        if !missing.is_empty() {
            d.push(diagnostics::missing_fields(&t.name, &missing, file, *span));
        }
    }
}
