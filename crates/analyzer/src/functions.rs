//! Functions: discovery and builder chains (pass 1); their bodies and routes
//! (pass 4) are checked in [`crate::bodies`].

use std::sync::Arc;

use lunora_parser::summary::{BindingKind, Expr, ExprKind, FunctionSummary, ImportKind, Property};
use lunora_parser::{Diagnostic, FileId, FileSpan, Span};

use crate::diagnostics;
use crate::draft::{Form, FunctionDraft};
use crate::eval::{Entry, Eval, Mode, Val, ValKind};
use crate::ir::*;
use crate::load::{Loader, is_generated_server, namespace_import};
use crate::schema::is_identifier;

pub const BUILDERS: &[&str] = &[
    "query",
    "mutation",
    "action",
    "internalQuery",
    "internalMutation",
    "internalAction",
];
const BUILDER_METHODS: &[&str] = &["input", "returns", "query", "mutation", "action"];

/// Is `rel` (root-relative) a function module?
pub fn is_function_module(rel: &str) -> bool {
    let Some(rest) = rel.strip_prefix("lunora/") else {
        return false;
    };
    rest.ends_with(".ts")
        && !rest.ends_with(".d.ts")
        && rest != "schema.ts"
        && !rest.starts_with("_generated/")
        && !rest.starts_with("migrations/")
        && !rest
            .split('/')
            .any(|s| s == "__tests__" || s == "node_modules")
        && !rest.ends_with(".test.ts")
        && !rest.ends_with(".spec.ts")
}

/// `lunora/admin/audit-log.ts` → module `admin/audit-log`, API path `["admin", "audit_log"]`.
pub fn module_paths(rel: &str, file: FileId, d: &mut Vec<Diagnostic>) -> Option<Module> {
    let module = rel
        .strip_prefix("lunora/")?
        .strip_suffix(".ts")?
        .to_string();
    let mut api_path = Vec::new();
    let segs: Vec<&str> = module.split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        if i == segs.len() - 1 && *seg == "index" {
            continue;
        }
        let s = seg.replace('-', "_");
        if !is_identifier(&s) {
            d.push(diagnostics::invalid_module_name(rel, seg, file));
            return None;
        }
        api_path.push(s);
    }
    Some(Module {
        file: rel.to_string(),
        module,
        api_path,
    })
}

/// Follows local const aliases and imports to a builder name, if `name` is one.
fn builder_of(ld: &Loader<'_>, file: FileId, name: &str, depth: u32) -> Option<&'static str> {
    if depth > 16 {
        return None;
    }
    let m = ld.module(file);
    if let Some(b) = m.binding(name) {
        return match (&b.kind, &b.init) {
            (
                BindingKind::Const,
                Some(Expr {
                    kind: ExprKind::Ident(n),
                    ..
                }),
            ) => builder_of(ld, file, n, depth + 1),
            _ => None,
        };
    }
    let (imp, spec) = m.import_of(name)?;
    let ImportKind::Named(imported) = &spec.kind else {
        return None;
    };
    let base = ld.resolve(&ld.files.get(file).path, &imp.source).ok()??;
    if !is_generated_server(&base) {
        return None;
    }
    BUILDERS.iter().copied().find(|b| b == imported)
}

/// `s.query` where `s` is `import * as s from "./_generated/server"`: the
/// builder `query`, as if imported by name.
fn namespace_builder(
    ld: &Loader<'_>,
    file: FileId,
    object: &Expr,
    property: &str,
) -> Option<&'static str> {
    namespace_member(ld, file, object, property).and_then(|(b, generated)| generated.then_some(b))
}

/// `s.query` where `s` is a namespace import of any module: the builder name
/// and whether the module is `_generated/server`.
fn namespace_member(
    ld: &Loader<'_>,
    file: FileId,
    object: &Expr,
    property: &str,
) -> Option<(&'static str, bool)> {
    let ExprKind::Ident(ns) = &object.kind else {
        return None;
    };
    let builder = BUILDERS.iter().copied().find(|b| *b == property)?;
    namespace_import(ld, file, ns).map(|generated| (builder, generated))
}

/// What discovery made of one export.
enum Found {
    Function(Box<FunctionDraft>),
    /// A function definition with a mistake, already reported.
    Reported,
    /// Not rooted at a builder of `_generated/server`.
    NotAFunction,
}

/// Pass 1: the functions exported by one module. An export whose initializer
/// uses a builder but is no function definition Lunora understands is
/// reported (`functions/undiscoverable`), never dropped silently. Its
/// `httpAction(...)` exports go to `http_actions` (see `crate::http`).
pub fn discover(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    d: &mut Vec<Diagnostic>,
    http_actions: &mut Vec<FunctionDraft>,
) -> Vec<FunctionDraft> {
    // Shared, so the initializers are borrowed while `ld` loads imports.
    let m = ld.module_arc(file);
    // (export name, span of the name, initializer)
    let mut exports: Vec<(&str, Span, &Expr)> = Vec::new();
    for b in &m.bindings {
        let Some(init) = &b.init else { continue };
        if !b.exported {
            continue;
        }
        if b.kind == BindingKind::Const {
            exports.push((&b.name, b.span, init));
        } else if let Some(found) = mentions_builder(ld, file, init, 0) {
            d.push(diagnostics::function_not_const(
                &b.name,
                b.kind.as_str(),
                &found.shown,
                file,
                b.span,
            ));
        }
    }
    for a in &m.export_aliases {
        if let Some(b) = m.binding(&a.local)
            && b.kind == BindingKind::Const
            && let Some(init) = &b.init
        {
            exports.push((&a.exported, a.span, init));
        }
    }
    if let Some(e) = &m.default_export
        && let Some(found) = mentions_builder(ld, file, e, 0)
    {
        d.push(diagnostics::function_default_export(
            file,
            e.span,
            &found.shown,
        ));
    }
    let mut out = Vec::new();
    for (name, span, init) in exports {
        match discover_one(ld, ev, file, module, name, span, init, d) {
            Found::Function(mut f) => {
                f.helpers = crate::helpers::helpers_of(ld, &f);
                out.push(*f)
            }
            Found::Reported => {}
            Found::NotAFunction => {
                if let Some(h) =
                    crate::http::http_action_export(ld, ev, file, module, name, span, init, d)
                {
                    http_actions.push(h);
                } else if let Some(found) = mentions_builder(ld, file, init, 0) {
                    d.push(undiscoverable(file, name, span, init, &found));
                }
            }
        }
    }
    out
}

/// The error for an export that uses a builder but is no function definition.
fn undiscoverable(
    file: FileId,
    name: &str,
    span: Span,
    init: &Expr,
    found: &Mention,
) -> Diagnostic {
    diagnostics::function_undiscoverable(
        name,
        &found.shown,
        found.name.as_str(),
        found.generated,
        file,
        span,
        init.span,
    )
}

/// A builder an expression uses: as written (`query`, `server.query`), its
/// name (`query`; for an identifier, the local name), and whether it is one
/// of `_generated/server`'s.
struct Mention {
    shown: String,
    name: String,
    generated: bool,
}

/// The first builder the expression uses outside function bodies: an
/// identifier that resolves to a builder of `_generated/server`, an import
/// (from anywhere) named like one (`query`, `internalMutation`, ...), or such
/// a member of a namespace import (`server.query`).
fn mentions_builder(ld: &Loader<'_>, file: FileId, e: &Expr, depth: u32) -> Option<Mention> {
    if depth > 64 {
        return None;
    }
    let rec = |e: &Expr| mentions_builder(ld, file, e, depth + 1);
    match &e.kind {
        ExprKind::Ident(n) => {
            let imported_like = ld.module(file).import_of(n).is_some_and(|(_, spec)| {
                matches!(&spec.kind, ImportKind::Named(i) if BUILDERS.contains(&i.as_str()))
            });
            let generated = builder_of(ld, file, n, 0).is_some();
            (imported_like || generated).then(|| Mention {
                shown: n.clone(),
                name: n.clone(),
                generated,
            })
        }
        ExprKind::Member {
            object, property, ..
        } => {
            // `s.query` of `import * as s from ...`.
            if let (ExprKind::Ident(ns), Some((name, generated))) =
                (&object.kind, namespace_member(ld, file, object, property))
            {
                return Some(Mention {
                    shown: format!("{ns}.{property}"),
                    name: name.to_string(),
                    generated,
                });
            }
            rec(object)
        }
        ExprKind::Call { callee, args } => rec(callee).or_else(|| args.iter().find_map(rec)),
        ExprKind::Object(props) => props.iter().find_map(|p| match p {
            Property::KeyValue { value, .. } => rec(value),
            Property::Spread { expr, .. } => rec(expr),
            Property::Unsupported { .. } => None,
        }),
        ExprKind::Array(items) => items.iter().find_map(rec),
        _ => None,
    }
}

/// Evaluates the arguments of a function: an object of validators, or
/// `v.object({...})` (Convex accepts both).
fn eval_args(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    e: &Expr,
    (msg, usage): (&str, &str),
    d: &mut Vec<Diagnostic>,
) -> Option<Vec<Entry>> {
    let v = ev.eval(ld, file, e, Mode::ARGS, d);
    match v?.kind {
        ValKind::Object(entries) => Some(entries),
        ValKind::Call { callee, mut args }
            if matches!(&callee.kind, ValKind::Member { object, property, .. }
                if property == "object" && object.extern_name() == Some("v"))
                && args.len() == 1
                && matches!(args[0].kind, ValKind::Object(_)) =>
        {
            match args.pop().map(|a| a.kind) {
                Some(ValKind::Object(entries)) => Some(entries),
                _ => None,
            }
        }
        _ => {
            d.push(diagnostics::args_not_object(msg, usage, file, e.span));
            None
        }
    }
}

/// Evaluates a `returns` validator (resolved in pass 2).
fn eval_returns(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    e: &Expr,
    d: &mut Vec<Diagnostic>,
) -> Option<Val> {
    ev.eval(ld, file, e, Mode::ARGS, d)
}

/// The handler expression of a function: a function, or a const bound to one.
/// `Err(())` when it is reported as not a function.
fn handler_of(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    e: &Expr,
    name: &str,
    help: &str,
    d: &mut Vec<Diagnostic>,
) -> Result<Option<(Arc<FunctionSummary>, FileId)>, ()> {
    match &e.kind {
        ExprKind::Function(h) => Ok(Some((h.clone(), file))),
        ExprKind::Ident(_) => {
            if let Some(v) = ev.eval(ld, file, e, Mode::SCHEMA, d)
                && let ValKind::Function(h) = v.kind
            {
                Ok(Some((h, v.at.file)))
            } else {
                Ok(None)
            }
        }
        _ => {
            d.push(diagnostics::handler_not_function(name, help, file, e.span));
            Err(())
        }
    }
}

/// What reading one definition needs: the loader and evaluator, the file,
/// and where its diagnostics go.
struct Cx<'c, 'l> {
    ld: &'c mut Loader<'l>,
    ev: &'c mut Eval,
    file: FileId,
    d: &'c mut Vec<Diagnostic>,
}

/// An export's initializer, unwound syntactically: the builder it is rooted
/// at, its builder methods in call order, and the direct call of the builder
/// (`query({...})`, Convex's object form) with the call's span, if any.
struct Chain<'e> {
    builder: Option<&'static str>,
    methods: Vec<(&'e str, Span, &'e [Expr])>,
    direct: Option<(&'e [Expr], Span)>,
}

/// Unwinds `init` into base identifier + methods, or a direct call of the
/// base. The builder is an identifier (`query`) or a member of a namespace
/// import of `_generated/server` (`s.query`).
fn unwind_chain<'e>(ld: &Loader<'_>, file: FileId, init: &'e Expr) -> Chain<'e> {
    let mut methods: Vec<(&str, Span, &[Expr])> = Vec::new();
    let mut cur = init;
    let (builder, direct) = loop {
        match &cur.kind {
            ExprKind::Call { callee, args } => match &callee.kind {
                ExprKind::Member {
                    object,
                    property,
                    property_span,
                } => {
                    if let Some(b) = namespace_builder(ld, file, object, property) {
                        break (Some(b), Some((args.as_slice(), cur.span)));
                    }
                    methods.push((property, *property_span, args));
                    cur = object;
                }
                ExprKind::Ident(n) => {
                    break (
                        builder_of(ld, file, n, 0),
                        Some((args.as_slice(), cur.span)),
                    );
                }
                _ => break (None, None),
            },
            ExprKind::Member {
                object,
                property,
                property_span,
            } => {
                if let Some(b) = namespace_builder(ld, file, object, property) {
                    break (Some(b), None);
                }
                methods.push((property, *property_span, &[]));
                cur = object;
            }
            ExprKind::Ident(n) => break (builder_of(ld, file, n, 0), None),
            _ => break (None, None),
        }
    };
    methods.reverse();
    Chain {
        builder,
        methods,
        direct,
    }
}

/// The kind and visibility of the functions `builder` defines.
fn kind_of_builder(builder: &str) -> (FunctionKind, Visibility) {
    match builder {
        "query" => (FunctionKind::Query, Visibility::Public),
        "mutation" => (FunctionKind::Mutation, Visibility::Public),
        "action" => (FunctionKind::Action, Visibility::Public),
        "internalQuery" => (FunctionKind::Query, Visibility::Internal),
        "internalMutation" => (FunctionKind::Mutation, Visibility::Internal),
        _ => (FunctionKind::Action, Visibility::Internal),
    }
}

/// The draft of export `name` of `module`, defined by `builder`, before its
/// definition is read (builder form, no args, returns or handler yet).
fn empty_draft(module: &Module, name: &str, span: FileSpan, builder: &str) -> FunctionDraft {
    let (kind, visibility) = kind_of_builder(builder);
    FunctionDraft {
        module: module.module.clone(),
        file: module.file.clone(),
        api_path: module.api_path.clone(),
        export_name: name.to_string(),
        span,
        kind,
        visibility,
        form: Form::Builder,
        args: None,
        returns: None,
        handler: None,
        helpers: Vec::new(),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the export's parts, as `discover` holds them"
)]
fn discover_one(
    ld: &mut Loader<'_>,
    ev: &mut Eval,
    file: FileId,
    module: &Module,
    name: &str,
    span: Span,
    init: &Expr,
    d: &mut Vec<Diagnostic>,
) -> Found {
    let chain = unwind_chain(ld, file, init);
    let Some(builder) = chain.builder else {
        return Found::NotAFunction;
    };
    let mut f = empty_draft(module, name, FileSpan::new(file, span), builder);
    let mut cx = Cx { ld, ev, file, d };
    let ok = if let Some((call_args, call_span)) = chain.direct {
        f.form = Form::Object;
        let ok = object_form(&mut cx, builder, call_args, call_span, &mut f);
        if let Some((method, mspan, _)) = chain.methods.first() {
            cx.d.push(diagnostics::method_after_definition(
                method, builder, name, file, *mspan,
            ));
            return Found::Reported;
        }
        ok
    } else {
        builder_chain(&mut cx, builder, &chain.methods, span, &mut f)
    };
    if ok {
        Found::Function(Box::new(f))
    } else {
        Found::Reported
    }
}

/// The builder form: `query.input({...}).returns(...).query(handler)`.
/// Reads each method in order into `f`; false when something was reported.
fn builder_chain(
    cx: &mut Cx<'_, '_>,
    builder: &str,
    methods: &[(&str, Span, &[Expr])],
    span: Span,
    f: &mut FunctionDraft,
) -> bool {
    let kind = f.kind.as_str();
    let mut ok = true;
    let mut handled = false;
    for &(method, mspan, args) in methods {
        if handled {
            cx.d.push(diagnostics::method_after_handler(
                method,
                &f.export_name,
                kind,
                cx.file,
                mspan,
            ));
            ok = false;
            continue;
        }
        match method {
            "input" => ok &= chain_input(cx, args, mspan, f),
            "returns" => ok &= chain_returns(cx, args, mspan, f),
            "query" | "mutation" | "action" if method == kind => {
                handled = true;
                ok &= chain_handler(cx, method, args, mspan, f);
            }
            "query" | "mutation" | "action" => {
                cx.d.push(diagnostics::kind_mismatch(
                    builder, method, kind, cx.file, mspan,
                ));
                ok = false;
                handled = true;
            }
            other => {
                cx.d.push(diagnostics::unknown_builder_method(
                    other,
                    kind,
                    BUILDER_METHODS,
                    cx.file,
                    mspan,
                ));
                ok = false;
            }
        }
    }
    if !handled && ok {
        cx.d.push(diagnostics::chain_no_handler(
            &f.export_name,
            kind,
            cx.file,
            span,
        ));
        ok = false;
    }
    ok
}

/// `.input({...})`: the function's arguments; false when reported.
fn chain_input(cx: &mut Cx<'_, '_>, args: &[Expr], mspan: Span, f: &mut FunctionDraft) -> bool {
    let entries = match args {
        [a] => eval_args(
            cx.ld,
            cx.ev,
            cx.file,
            a,
            (
                "`.input(...)` takes an object of validators",
                "`.input({ name: v.string() })`",
            ),
            cx.d,
        ),
        _ => {
            cx.d.push(diagnostics::input_arity(cx.file, mspan));
            None
        }
    };
    match entries {
        Some(entries) => {
            f.args = Some(entries);
            true
        }
        None => false,
    }
}

/// `.returns(validator)`: the function's result; false when reported.
fn chain_returns(cx: &mut Cx<'_, '_>, args: &[Expr], mspan: Span, f: &mut FunctionDraft) -> bool {
    match args {
        [a] => match eval_returns(cx.ld, cx.ev, cx.file, a, cx.d) {
            Some(v) => {
                f.returns = Some(v);
                true
            }
            None => false,
        },
        _ => {
            cx.d.push(diagnostics::returns_arity(cx.file, mspan));
            false
        }
    }
}

/// `.query(handler)` (the method of the function's kind): its handler;
/// false when reported.
fn chain_handler(
    cx: &mut Cx<'_, '_>,
    method: &str,
    args: &[Expr],
    mspan: Span,
    f: &mut FunctionDraft,
) -> bool {
    let kind = f.kind.as_str();
    let Some(a) = args.first() else {
        cx.d.push(diagnostics::chain_handler_missing(
            method,
            &f.export_name,
            kind,
            cx.file,
            mspan,
        ));
        return false;
    };
    let help = diagnostics::chain_handler_help(kind);
    match handler_of(cx.ld, cx.ev, cx.file, a, &f.export_name, &help, cx.d) {
        Ok(h) => {
            f.handler = h;
            true
        }
        Err(()) => false,
    }
}

/// Convex's object form: `query({ args?, returns?, handler })` or `query(handler)`.
/// Fills `f`; false when something was reported.
fn object_form(
    cx: &mut Cx<'_, '_>,
    builder: &str,
    call_args: &[Expr],
    call_span: Span,
    f: &mut FunctionDraft,
) -> bool {
    let file = cx.file;
    let def = match call_args {
        [def] => def,
        _ => {
            cx.d.push(diagnostics::definition_arity(
                builder,
                &f.export_name,
                file,
                call_span,
            ));
            return false;
        }
    };
    let props = match &def.kind {
        // `query(async (ctx) => ...)`: a handler alone, no arguments.
        ExprKind::Function(h) => {
            f.handler = Some((h.clone(), file));
            return true;
        }
        ExprKind::Object(props) => props,
        _ => {
            cx.d.push(diagnostics::definition_not_object(
                &f.export_name,
                builder,
                file,
                def.span,
            ));
            return false;
        }
    };
    object_props(cx, builder, def, props, f)
}

/// The properties of the object form's definition `def`, read into `f`:
/// each a known option, none spread or computed, a `handler` among them.
/// False when something was reported.
fn object_props(
    cx: &mut Cx<'_, '_>,
    builder: &str,
    def: &Expr,
    props: &[Property],
    f: &mut FunctionDraft,
) -> bool {
    let mut ok = true;
    let mut handler = None;
    for p in props {
        match p {
            Property::KeyValue {
                key,
                key_span,
                value,
            } => {
                if key == "handler" {
                    handler = Some(*key_span);
                }
                ok &= object_option(cx, builder, key, *key_span, value, f);
            }
            Property::Spread { span, .. } | Property::Unsupported { span, .. } => {
                cx.d.push(diagnostics::definition_not_static(
                    &f.export_name,
                    builder,
                    cx.file,
                    *span,
                ));
                ok = false;
            }
        }
    }
    if handler.is_none() && ok {
        cx.d.push(diagnostics::definition_no_handler(
            &f.export_name,
            builder,
            cx.file,
            def.span,
        ));
        ok = false;
    }
    ok
}

/// One `key: value` of the object form (`args`, `returns`, `handler`) read
/// into `f`; false when reported (an unknown key too).
fn object_option(
    cx: &mut Cx<'_, '_>,
    builder: &str,
    key: &str,
    key_span: Span,
    value: &Expr,
    f: &mut FunctionDraft,
) -> bool {
    match key {
        "args" => match eval_args(
            cx.ld,
            cx.ev,
            cx.file,
            value,
            (
                "`args` takes an object of validators",
                "`args: { name: v.string() }` or `args: v.object({ name: v.string() })`",
            ),
            cx.d,
        ) {
            Some(entries) => f.args = Some(entries),
            None => return false,
        },
        "returns" => match eval_returns(cx.ld, cx.ev, cx.file, value, cx.d) {
            Some(v) => f.returns = Some(v),
            None => return false,
        },
        "handler" => {
            let help = diagnostics::object_form_handler_help(builder);
            match handler_of(cx.ld, cx.ev, cx.file, value, &f.export_name, &help, cx.d) {
                Ok(h) => f.handler = h,
                Err(()) => return false,
            }
        }
        other => {
            cx.d.push(diagnostics::unknown_definition_option(
                other,
                &f.export_name,
                cx.file,
                key_span,
            ));
            return false;
        }
    }
    true
}
