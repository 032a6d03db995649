//! HTTP actions: the router of `lunora/http.ts`, read statically in pass 1
//! (Convex's `httpRouter()` + `http.route({ path | pathPrefix, method,
//! handler })`, and `corsRouter(http, {...}).route(...)`), and the
//! `httpAction(...)` handlers, whose bodies pass 4 checks as actions'.
//!
//! What is read: `const http = httpRouter()` (from `lunorash/server`),
//! `const cors = corsRouter(http, ...)`, then top-level `http.route({...})` /
//! `cors.route({...})` statements, and `export default http`. Anything else
//! at the top level of `http.ts` that could register routes (an `if`, a loop,
//! another call) is `http/not-static`: the runtime compares the routes it
//! registered with this table and refuses to serve when they differ.

use std::collections::HashMap;
use std::sync::Arc;

use lunora_parser::summary::{
    BindingKind, Expr, ExprKind, FunctionSummary, ImportKind, ModuleSummary, Property, Statement,
};
use lunora_parser::{Code, Diagnostic, FileId, FileSpan, Span};

use crate::builder::{
    NotBuilder, TopStatement, default_builder_binding, package_import, top_statement,
};
use crate::diagnostics;
use crate::draft::{Form, FunctionDraft};
use crate::eval::{Eval, Mode, Val, ValKind};
use crate::ir::*;
use crate::load::namespace_import;
use crate::load::{Loader, is_generated_server};

/// The module whose default export is the router.
pub const ROUTER_MODULE: &str = "http";
pub const ROUTER_FILE: &str = "lunora/http.ts";
/// Lunora's own endpoints live under this prefix; routes may not.
pub const RESERVED_PREFIX: &str = "/api/";

/// What pass 1 found of HTTP actions in one module.
#[derive(Default)]
pub struct HttpCollected {
    /// `lunora/http.ts`'s routes, when they were read without errors.
    pub router: Option<HttpRouter>,
    /// Handlers whose bodies pass 4 checks: the module's `httpAction`
    /// exports, and in `http.ts` the routes' handlers that are no export.
    pub actions: Vec<FunctionDraft>,
}

/// `callee` names `_generated/server`'s `httpAction`: an import of it
/// (through const aliases), or `server.httpAction` of a namespace import.
fn names_http_action(ld: &Loader<'_>, file: FileId, callee: &Expr, depth: u32) -> bool {
    if depth > 16 {
        return false;
    }
    match &callee.kind {
        ExprKind::Ident(n) => {
            let m = ld.module(file);
            if let Some(b) = m.binding(n) {
                return match (&b.kind, &b.init) {
                    (
                        BindingKind::Const,
                        Some(
                            init @ Expr {
                                kind: ExprKind::Ident(_),
                                ..
                            },
                        ),
                    ) => names_http_action(ld, file, init, depth + 1),
                    _ => false,
                };
            }
            let Some((imp, spec)) = m.import_of(n) else {
                return false;
            };
            matches!(&spec.kind, ImportKind::Named(i) if i == "httpAction")
                && ld
                    .resolve(&ld.files.get(file).path, &imp.source)
                    .ok()
                    .flatten()
                    .is_some_and(|base| is_generated_server(&base))
        }
        ExprKind::Member {
            object, property, ..
        } if property == "httpAction" => match &object.kind {
            ExprKind::Ident(ns) => namespace_import(ld, file, ns) == Some(true),
            _ => false,
        },
        _ => false,
    }
}

fn action_draft(module: &Module, name: String, at: FileSpan) -> FunctionDraft {
    FunctionDraft {
        module: module.module.clone(),
        file: module.file.clone(),
        api_path: module.api_path.clone(),
        export_name: name,
        span: at,
        kind: FunctionKind::Action,
        visibility: Visibility::Internal,
        form: Form::Object,
        args: None,
        returns: None,
        handler: None,
        helpers: Vec::new(),
    }
}

/// The handler function of `httpAction(<args>)`: a function, or a const
/// bound to one; reported when it is neither.
fn handler_fn(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    call_span: Span,
    args: &[Expr],
    d: &mut Vec<Diagnostic>,
) -> Option<(Arc<FunctionSummary>, FileId)> {
    let not_a_function = |d: &mut Vec<Diagnostic>, span: Span| {
        d.push(diagnostics::http_action_not_function(file, span));
    };
    match args {
        [
            Expr {
                kind: ExprKind::Function(h),
                ..
            },
        ] => Some((h.clone(), file)),
        [
            a @ Expr {
                kind: ExprKind::Ident(_),
                ..
            },
        ] => match ev.eval(ld, file, a, MODE, d) {
            Some(Val {
                kind: ValKind::Function(h),
                at,
            }) => Some((h, at.file)),
            Some(_) => {
                not_a_function(d, a.span);
                None
            }
            None => None,
        },
        [a] => {
            not_a_function(d, a.span);
            None
        }
        _ => {
            not_a_function(d, call_span);
            None
        }
    }
}

/// The evaluator reports `http/not-static` in `http.ts`.
const MODE: Mode = Mode {
    code: Code::HttpNotStatic,
    help: diagnostics::HTTP_NOT_STATIC_HELP,
};

/// Pass 1, for an export `name = init` that is no query/mutation/action:
/// `Some` when it is `httpAction(...)` (its draft has no handler when the
/// handler was reported).
#[expect(
    clippy::too_many_arguments,
    reason = "the export's parts, as `discover` holds them"
)]
pub fn http_action_export(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    name: &str,
    span: Span,
    init: &Expr,
    d: &mut Vec<Diagnostic>,
) -> Option<FunctionDraft> {
    let ExprKind::Call { callee, args } = &init.kind else {
        return None;
    };
    if !names_http_action(ld, file, callee, 0) {
        return None;
    }
    let mut draft = action_draft(module, name.to_string(), FileSpan::new(file, span));
    draft.handler = handler_fn(ld, ev, file, init.span, args, d);
    Some(draft)
}

/// A route as read, before the duplicate checks.
struct Read {
    method: HttpMethod,
    path: HttpPath,
    span: Span,
}

/// Pass 1 of `lunora/http.ts`: its routes. Inline handlers (and local
/// consts that are no export) go to `actions`, to be checked in pass 4.
pub fn collect_router(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    actions: &mut Vec<FunctionDraft>,
    d: &mut Vec<Diagnostic>,
) -> Option<HttpRouter> {
    let m = ld.module_arc(file);
    let errors_before = d.iter().filter(|x| x.is_error()).count();
    let router = router_binding(ld, file, module, d)?;
    let cors_routers = cors_routers(ld, file, &m, &router, d);
    let mut table = RouteTable::default();
    for st in &m.statements {
        let Some((e, target, args)) = route_statement(st, file, &router, &cors_routers, d) else {
            continue;
        };
        let Some(read) = read_route(ld, ev, file, module, e.span, args, actions, d) else {
            continue;
        };
        table.register(file, &read, target, d);
    }
    let errors_after = d.iter().filter(|x| x.is_error()).count();
    (errors_after == errors_before).then_some(HttpRouter {
        routes: table.routes,
    })
}

/// The name of the router: the `const` bound to `httpRouter()` that
/// `http.ts` exports by default. `None` when reported.
fn router_binding(
    ld: &Loader<'_>,
    file: FileId,
    module: &Module,
    d: &mut Vec<Diagnostic>,
) -> Option<String> {
    match default_builder_binding(ld, file, "httpRouter") {
        Ok((router, _)) => Some(router),
        Err(NotBuilder::NotAName(span)) => {
            d.push(diagnostics::http_default_not_a_name(file, span));
            None
        }
        Err(NotBuilder::NoDefault) => {
            d.push(diagnostics::http_no_default_export(file, &module.file));
            None
        }
        Err(NotBuilder::NotBound(router, router_use)) => {
            d.push(diagnostics::http_default_not_router(
                &router, file, router_use,
            ));
            None
        }
    }
}

/// The `const cors = corsRouter(http, {...})` bindings that wrap `router`:
/// each name → its id, in binding order. Others are reported.
fn cors_routers(
    ld: &Loader<'_>,
    file: FileId,
    m: &ModuleSummary,
    router: &str,
    d: &mut Vec<Diagnostic>,
) -> HashMap<String, usize> {
    let mut cors_routers: HashMap<String, usize> = HashMap::new();
    for b in &m.bindings {
        let Some(Expr {
            kind: ExprKind::Call { callee, args },
            span,
        }) = &b.init
        else {
            continue;
        };
        let ExprKind::Ident(c) = &callee.kind else {
            continue;
        };
        if !package_import(ld, file, c, "corsRouter") {
            continue;
        }
        let wraps_router =
            matches!(args.first(), Some(Expr { kind: ExprKind::Ident(r), .. }) if *r == router);
        if b.kind != BindingKind::Const || !wraps_router || args.len() > 2 {
            d.push(diagnostics::http_cors_not_static(
                &b.name, router, file, *span,
            ));
            continue;
        }
        let id = cors_routers.len();
        cors_routers.insert(b.name.clone(), id);
    }
    cors_routers
}

/// A top-level statement of `http.ts` as a route registration: the call,
/// the cors router it goes through (`None`: the router itself), and its
/// arguments. `None` when it is no `.route(...)` call (reported).
fn route_statement<'a>(
    st: &'a Statement,
    file: FileId,
    router: &str,
    cors_routers: &HashMap<String, usize>,
    d: &mut Vec<Diagnostic>,
) -> Option<(&'a Expr, Option<usize>, &'a [Expr])> {
    match top_statement(st) {
        TopStatement::MethodCall {
            call,
            object,
            method: "route",
            args,
        } if object == router => Some((call, None, args)),
        TopStatement::MethodCall {
            call,
            object,
            method: "route",
            args,
        } if cors_routers.contains_key(object) => {
            Some((call, cors_routers.get(object).copied(), args))
        }
        TopStatement::MethodCall { call, .. } => {
            not_static_statement(file, call.span, router, d);
            None
        }
        TopStatement::OtherExpr(span) => {
            not_static_statement(file, span, router, d);
            None
        }
        TopStatement::Other { what, span } => {
            d.push(diagnostics::http_top_level_other(what, router, file, span));
            None
        }
    }
}

/// The routes registered so far, and what the duplicate checks look up.
#[derive(Default)]
struct RouteTable {
    routes: Vec<HttpRoute>,
    /// (method, path) → index in `routes`.
    seen: HashMap<(HttpMethod, HttpPath), usize>,
    /// A path → the cors router whose preflight answers it.
    preflights: HashMap<HttpPath, usize>,
}

impl RouteTable {
    /// Registers a route read through `target` (a cors router, or `None`
    /// for the router itself), and the preflight a cors router adds.
    fn register(
        &mut self,
        file: FileId,
        read: &Read,
        target: Option<usize>,
        d: &mut Vec<Diagnostic>,
    ) {
        let cors = if target.is_some() {
            HttpCors::Route
        } else {
            HttpCors::None
        };
        if !self.add(file, read, cors, d) {
            return;
        }
        if let Some(router_id) = target {
            self.add_preflight(file, read, router_id, d);
        }
    }

    /// Adds one route; false when its (method, path) is taken (reported).
    fn add(&mut self, file: FileId, read: &Read, cors: HttpCors, d: &mut Vec<Diagnostic>) -> bool {
        let key = (read.method, read.path.clone());
        if let Some(&first) = self.seen.get(&key) {
            let first = self.routes[first]
                .span
                .map(|at| (at, self.routes[first].cors == HttpCors::Preflight));
            d.push(diagnostics::http_duplicate_route(
                read.method.as_str(),
                &read.path,
                file,
                read.span,
                first,
            ));
            return false;
        }
        self.seen.insert(key, self.routes.len());
        self.routes.push(HttpRoute {
            method: read.method,
            path: read.path.clone(),
            cors,
            span: Some(FileSpan::new(file, read.span)),
        });
        true
    }

    /// `corsRouter` answers the browser's preflight: one `OPTIONS` route
    /// per path, shared by the methods its router registers there.
    fn add_preflight(
        &mut self,
        file: FileId,
        read: &Read,
        router_id: usize,
        d: &mut Vec<Diagnostic>,
    ) {
        if self.preflights.get(&read.path) == Some(&router_id) {
            return;
        }
        let preflight = Read {
            method: HttpMethod::Options,
            path: read.path.clone(),
            span: read.span,
        };
        if read.method != HttpMethod::Options && self.add(file, &preflight, HttpCors::Preflight, d)
        {
            self.preflights.insert(read.path.clone(), router_id);
        }
    }
}

fn not_static_statement(file: FileId, span: Span, router: &str, d: &mut Vec<Diagnostic>) {
    d.push(diagnostics::http_statement_not_route(router, file, span));
}

/// One `http.route({...})`: its method and path, its handler resolved (and
/// queued for pass 4 when it is no export). `None` when reported.
#[expect(
    clippy::too_many_arguments,
    reason = "the statement's parts and the pass's outputs"
)]
fn read_route(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    call_span: Span,
    args: &[Expr],
    actions: &mut Vec<FunctionDraft>,
    d: &mut Vec<Diagnostic>,
) -> Option<Read> {
    let props = match args {
        [
            Expr {
                kind: ExprKind::Object(props),
                ..
            },
        ] => props,
        _ => {
            d.push(diagnostics::http_route_arity(file, call_span));
            return None;
        }
    };
    let mut ok = true;
    let options = route_options(ld, ev, file, props, &mut ok, d);
    if !options.method_seen && ok {
        d.push(diagnostics::http_no_method(file, call_span));
        ok = false;
    }
    let route_path = route_path(options.path, options.prefix, file, call_span, &mut ok, d);
    let route_name = match (&route_path, options.method) {
        (Some((p, _)), Some(m)) => format!("{} {}", m.as_str(), p.as_str()),
        _ => "the route".to_string(),
    };
    match options.handler {
        None => {
            if ok {
                d.push(diagnostics::http_no_handler(file, call_span));
            }
            ok = false;
        }
        Some(h) => {
            if !route_handler(ld, ev, file, module, &route_name, h, actions, d) {
                ok = false;
            }
        }
    }
    let (path, _) = route_path?;
    let method = options.method?;
    ok.then_some(Read {
        method,
        path,
        span: call_span,
    })
}

/// The options of one `http.route({...})`, each read on its own.
#[derive(Default)]
struct RouteOptions<'a> {
    path: Option<(String, Span)>,
    prefix: Option<(String, Span)>,
    method: Option<HttpMethod>,
    /// A `method` key was given (whether or not its value was good).
    method_seen: bool,
    handler: Option<&'a Expr>,
}

/// Reads the properties of a route's options object; a bad one is
/// reported and clears `ok`.
fn route_options<'a>(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    props: &'a [Property],
    ok: &mut bool,
    d: &mut Vec<Diagnostic>,
) -> RouteOptions<'a> {
    let mut options = RouteOptions::default();
    for p in props {
        let (key, key_span, value) = match p {
            Property::KeyValue {
                key,
                key_span,
                value,
            } => (key, *key_span, value),
            Property::Spread { span, .. } | Property::Unsupported { span, .. } => {
                d.push(diagnostics::http_route_not_plain(file, *span));
                *ok = false;
                continue;
            }
        };
        match key.as_str() {
            "path" | "pathPrefix" => {
                let Some(s) = string_option(ld, ev, file, key, value, d) else {
                    *ok = false;
                    continue;
                };
                if key == "path" {
                    options.path = Some((s, value.span));
                } else {
                    options.prefix = Some((s, value.span));
                }
            }
            "method" => {
                options.method_seen = true;
                match route_method(ld, ev, file, key, value, d) {
                    Some(m) => options.method = Some(m),
                    None => *ok = false,
                }
            }
            "handler" => options.handler = Some(value),
            other => {
                d.push(diagnostics::http_unknown_route_option(
                    other, file, key_span,
                ));
                *ok = false;
            }
        }
    }
    options
}

/// A route's `method` option: a string naming an HTTP method. `None` when
/// reported.
fn route_method(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    key: &str,
    value: &Expr,
    d: &mut Vec<Diagnostic>,
) -> Option<HttpMethod> {
    let s = string_option(ld, ev, file, key, value, d)?;
    let method = HttpMethod::parse(&s);
    if method.is_none() {
        let names = HttpMethod::ALL.map(HttpMethod::as_str);
        d.push(diagnostics::http_unknown_method(
            &s, &names, file, value.span,
        ));
    }
    method
}

/// A route's path from its `path` or `pathPrefix` (exactly one), checked
/// for its slashes and the reserved prefix; a problem is reported and
/// clears `ok`.
fn route_path(
    path: Option<(String, Span)>,
    prefix: Option<(String, Span)>,
    file: FileId,
    call_span: Span,
    ok: &mut bool,
    d: &mut Vec<Diagnostic>,
) -> Option<(HttpPath, Span)> {
    let route_path = match (path, prefix) {
        (Some((p, span)), None) => {
            if !p.starts_with('/') {
                d.push(diagnostics::http_path_no_slash(&p, file, span));
                *ok = false;
            }
            Some((HttpPath::Exact(p), span))
        }
        (None, Some((p, span))) => {
            if !p.starts_with('/') || !p.ends_with('/') {
                d.push(diagnostics::http_prefix_slashes(&p, file, span));
                *ok = false;
            }
            Some((HttpPath::Prefix(p), span))
        }
        (Some((_, span)), Some(_)) => {
            d.push(diagnostics::http_path_and_prefix(file, span));
            *ok = false;
            None
        }
        (None, None) => {
            if *ok {
                d.push(diagnostics::http_no_path(file, call_span));
            }
            *ok = false;
            None
        }
    };
    if let Some((p, span)) = &route_path
        && p.as_str().starts_with(RESERVED_PREFIX)
    {
        d.push(diagnostics::http_reserved_path(
            p.as_str(),
            RESERVED_PREFIX,
            file,
            *span,
        ));
        *ok = false;
    }
    route_path
}

/// A string-valued route option (`path`, `pathPrefix`, `method`): a literal
/// or a const.
fn string_option(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    key: &str,
    value: &Expr,
    d: &mut Vec<Diagnostic>,
) -> Option<String> {
    match ev.eval(ld, file, value, MODE, d) {
        Some(Val {
            kind: ValKind::Str(s),
            ..
        }) => Some(s),
        Some(v) => {
            d.push(diagnostics::http_option_not_string(
                key,
                v.describe(),
                file,
                value.span,
            ));
            None
        }
        None => None,
    }
}

/// Checks that a route's handler is an `httpAction(...)`; queues its body
/// for pass 4 unless it is an export (discovery checks those). False when
/// reported.
#[expect(
    clippy::too_many_arguments,
    reason = "the route's parts and the pass's outputs"
)]
fn route_handler(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    route_name: &str,
    h: &Expr,
    actions: &mut Vec<FunctionDraft>,
    d: &mut Vec<Diagnostic>,
) -> bool {
    // Inline: `handler: httpAction(async (ctx, request) => ...)`.
    if let ExprKind::Call { callee, args } = &h.kind
        && names_http_action(ld, file, callee, 0)
    {
        let mut draft = action_draft(module, route_name.to_string(), FileSpan::new(file, h.span));
        draft.handler = handler_fn(ld, ev, file, h.span, args, d);
        let ok = draft.handler.is_some();
        actions.push(draft);
        return ok;
    }
    let Some(v) = ev.eval(ld, file, h, MODE, d) else {
        return false;
    };
    let what = match &v.kind {
        ValKind::Call { callee, args } if matches!(&callee.kind, ValKind::Extern { source, name } if source == "_generated/server" && name == "httpAction") =>
        {
            // A const bound to `httpAction(...)`: in another module it is
            // an export (checked there); here, unless exported, check it now.
            if v.at.file == file {
                let m = ld.module_arc(file);
                let exported = m.bindings.iter().any(|b| {
                    b.init.as_ref().is_some_and(|i| i.span == v.at.span)
                        && (b.exported || m.export_aliases.iter().any(|a| a.local == b.name))
                });
                if !exported {
                    let handler = match args.as_slice() {
                        [
                            Val {
                                kind: ValKind::Function(f),
                                at,
                            },
                        ] => Some((f.clone(), at.file)),
                        _ => None,
                    };
                    let mut draft = action_draft(module, route_name.to_string(), v.at);
                    draft.handler = handler;
                    actions.push(draft);
                }
            }
            return true;
        }
        ValKind::Call { callee, .. } => match &callee.kind {
            ValKind::Extern { name, .. } => format!("`{name}(...)`"),
            _ => "a call".to_string(),
        },
        ValKind::Function(_) => "a plain function".to_string(),
        _ => v.describe().to_string(),
    };
    let defined = (v.at != FileSpan::new(file, h.span)).then_some(v.at);
    d.push(diagnostics::http_handler_not_http_action(
        route_name, &what, file, h.span, defined,
    ));
    false
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use lunora_parser::MemFs;

    use crate::{AnalyzeReturn, HttpCors, HttpMethod, HttpPath, analyze};

    const SCHEMA: &str = r#"import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({ messages: defineTable({ body: v.string() }) });
"#;

    fn app(http: &str, extra: &[(&str, &str)]) -> AnalyzeReturn {
        let mut fs = MemFs::new();
        fs.insert("/app/lunora/schema.ts", SCHEMA.as_bytes().to_vec());
        fs.insert("/app/lunora/http.ts", http.as_bytes().to_vec());
        for (p, t) in extra {
            fs.insert(format!("/app/{p}"), t.as_bytes().to_vec());
        }
        analyze(Path::new("/app"), &fs)
    }

    fn codes(r: &AnalyzeReturn) -> Vec<&'static str> {
        r.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn routes_in_registration_order_with_preflights() {
        let r = app(
            r#"import { corsRouter, httpRouter } from "lunorash/server";
import * as server from "./_generated/server";
import { hook } from "./hooks";
const PATH = "/const";
const http = httpRouter();
const local = server.httpAction(async () => new Response());
http.route({ path: PATH, method: "GET", handler: local });
http.route({ pathPrefix: "/files/", method: "GET", handler: hook });
const cors = corsRouter(http, {});
cors.route({ path: "/x", method: "POST", handler: hook });
cors.route({ path: "/x", method: "PUT", handler: hook });
export default http;
"#,
            &[(
                "lunora/hooks.ts",
                r#"import { httpAction } from "./_generated/server";
export const hook = httpAction(async () => new Response());
"#,
            )],
        );
        assert_eq!(codes(&r), Vec::<&str>::new());
        let ir = r.ir.expect("ir");
        let routes: Vec<(HttpMethod, HttpPath, HttpCors)> = ir
            .http
            .expect("router")
            .routes
            .into_iter()
            .map(|r| (r.method, r.path, r.cors))
            .collect();
        assert_eq!(
            routes,
            vec![
                (
                    HttpMethod::Get,
                    HttpPath::Exact("/const".into()),
                    HttpCors::None
                ),
                (
                    HttpMethod::Get,
                    HttpPath::Prefix("/files/".into()),
                    HttpCors::None
                ),
                (
                    HttpMethod::Post,
                    HttpPath::Exact("/x".into()),
                    HttpCors::Route
                ),
                (
                    HttpMethod::Options,
                    HttpPath::Exact("/x".into()),
                    HttpCors::Preflight
                ),
                (
                    HttpMethod::Put,
                    HttpPath::Exact("/x".into()),
                    HttpCors::Route
                ),
            ]
        );
        // httpAction exports are no functions of the API.
        assert!(ir.functions.is_empty());
    }

    #[test]
    fn handler_bodies_are_checked_like_actions() {
        let inline = app(
            r#"import { httpRouter } from "lunorash/server";
import { httpAction } from "./_generated/server";
const http = httpRouter();
http.route({ path: "/a", method: "GET", handler: httpAction(async (ctx) => { await ctx.db.query("nope").collect(); return new Response(); }) });
export default http;
"#,
            &[],
        );
        assert_eq!(codes(&inline), vec!["functions/unknown-table"]);
        let exported = app(
            r#"import { httpRouter } from "lunorash/server";
const http = httpRouter();
export default http;
"#,
            &[(
                "lunora/hooks.ts",
                r#"import { httpAction } from "./_generated/server";
export const hook = httpAction(async (ctx) => { await ctx.db.insert("nope", {}); return new Response(); });
"#,
            )],
        );
        assert_eq!(codes(&exported), vec!["functions/unknown-table"]);
    }

    /// Bad inputs give diagnostics, never a panic.
    #[test]
    fn hostile_routers_give_diagnostics() {
        let header = "import { corsRouter, httpRouter } from \"lunorash/server\";\nimport { httpAction } from \"./_generated/server\";\n";
        let cases = [
            "export default httpRouter();",
            "let http = httpRouter();\nexport default http;",
            "const http = httpRouter();\nhttp.route();\nexport default http;",
            "const http = httpRouter();\nhttp.route({ ...{} });\nexport default http;",
            "const http = httpRouter();\nhttp.route({ path: 1, method: 2, handler: 3 });\nexport default http;",
            "const http = httpRouter();\nhttp.route({ path: `/${1}`, method: \"GET\", handler: httpAction(async () => new Response()) });\nexport default http;",
            "const http = httpRouter();\nhttp.route({ path: \"/a\", method: \"HEAD\", handler: httpAction() });\nexport default http;",
            "const http = httpRouter();\nhttp.route({ path: \"/a\", method: \"GET\", handler: httpAction(1, 2) });\nexport default http;",
            "const http = httpRouter();\nhttp.route({ path: \"/a\", method: \"GET\", handler: nope });\nexport default http;",
            "const http = httpRouter();\nconst cors = corsRouter(other, {});\nexport default http;",
            "const http = httpRouter();\nfor (;;) {}\nhttp.other();\nexport default http;",
            "const http = httpRouter();\nhttp.route({ path: \"\", pathPrefix: \"\", method: \"GET\", handler: httpAction(async () => new Response()) });\nexport default http;",
            "const http = httpRouter();\nhttp.route({ pathPrefix: \"/api/\", method: \"GET\", handler: httpAction(async () => new Response()) });\nexport default http;",
        ];
        for case in cases {
            let r = app(&format!("{header}{case}\n"), &[]);
            assert!(
                r.diagnostics.iter().any(|d| d.is_error()),
                "no error for:\n{case}"
            );
        }
    }
}
