//! Pass 5: `ctx.scheduler` calls (docs/ARCHITECTURE.md, "Scheduled functions").
//!
//! Runs over every function after their bodies were checked, since a call
//! names another module's function: `ctx.scheduler.runAfter(ms, ref, args)`
//! and `runAt(time, ref, args)` must name a mutation or an action that exists
//! (`internal.jobs.run`, `api.messages.send`) with arguments it accepts, as a
//! direct call would; a query may not schedule. A `ref` or `args` that is not
//! written literally is left to the runtime, which checks both when the job is
//! scheduled.

use std::collections::HashMap;

use lunora_parser::summary::{Expr, ExprKind, FunctionSummary, Property, SchedulerCall};
use lunora_parser::{Diagnostic, FileId};

use crate::diagnostics;
use crate::ir::{Function, FunctionKind, ObjectField, Validator, Visibility};

/// A function and, when it has a handler body, its summary and file.
pub type Caller<'a> = (&'a Function, Option<(&'a FunctionSummary, FileId)>);

/// `api.a.b.f` / `internal.a.b.f` → the function, as `api.ts` nests them.
pub fn refs<'a>(functions: impl Iterator<Item = &'a Function>) -> HashMap<String, &'a Function> {
    let mut by_ref: HashMap<String, &Function> = HashMap::new();
    for f in functions {
        let root = match f.visibility {
            Visibility::Public => "api",
            Visibility::Internal => "internal",
        };
        let mut key = String::from(root);
        for seg in f.api_path.iter().chain(std::iter::once(&f.export_name)) {
            key.push('.');
            key.push_str(seg);
        }
        by_ref.entry(key).or_insert(f);
    }
    by_ref
}

/// Checks every `ctx.scheduler` call of `callers` against the functions in it.
pub fn check(callers: &[Caller<'_>], d: &mut Vec<Diagnostic>) {
    // Most apps (and most watch-mode runs) have no scheduler call: no map to build.
    if !callers
        .iter()
        .any(|(_, body)| body.is_some_and(|(s, _)| !s.scheduler_calls.is_empty()))
    {
        return;
    }
    let by_ref = refs(callers.iter().map(|(f, _)| *f));
    for (f, body) in callers {
        let Some((summary, file)) = body else {
            continue;
        };
        for call in &summary.scheduler_calls {
            check_call(f, call, *file, &by_ref, d);
        }
    }
}

fn check_call(
    f: &Function,
    call: &SchedulerCall,
    file: FileId,
    by_ref: &HashMap<String, &Function>,
    d: &mut Vec<Diagnostic>,
) {
    if f.kind == FunctionKind::Query {
        d.push(diagnostics::scheduler_in_query(
            &f.export_name,
            file,
            call.scheduler_span,
            f.span,
        ));
        return;
    }
    if !matches!(call.method.as_str(), "runAfter" | "runAt") {
        return;
    }
    let Some(target_expr) = call.args.get(1) else {
        return;
    };
    let Some(path) = ref_path(target_expr) else {
        return;
    };
    let Some(target) = schedulable(&path, target_expr, file, by_ref, d) else {
        return;
    };
    check_args(&path, target, call.args.get(2), call.span, file, d);
}

/// The mutation or action `path` names (written at `target_expr`), or `None`
/// when it names none (reported: `functions/unknown-function`, or
/// `functions/not-schedulable` for a query).
pub fn schedulable<'a>(
    path: &str,
    target_expr: &Expr,
    file: FileId,
    by_ref: &HashMap<String, &'a Function>,
    d: &mut Vec<Diagnostic>,
) -> Option<&'a Function> {
    let Some(target) = by_ref.get(path).copied() else {
        let root = path.split('.').next().unwrap_or("");
        // `internal.x.f` of a public function (or the reverse): say which one it is.
        let other = match root {
            "api" => Some("internal"),
            "internal" => Some("api"),
            _ => None,
        }
        .map(|o| format!("{o}{}", &path[root.len()..]))
        .filter(|o| by_ref.contains_key(o));
        if let Some(other) = other {
            d.push(diagnostics::wrong_visibility(
                path,
                root == "api",
                &other,
                file,
                target_expr.span,
            ));
            return None;
        }
        let known: Vec<&str> = by_ref
            .keys()
            .filter(|k| k.split('.').next() == Some(root))
            .map(String::as_str)
            .collect();
        d.push(diagnostics::unknown_function(
            path,
            root,
            &known,
            file,
            target_expr.span,
        ));
        return None;
    };
    if target.kind == FunctionKind::Query {
        d.push(diagnostics::not_schedulable(
            path,
            file,
            target_expr.span,
            target.span,
        ));
        return None;
    }
    Some(target)
}

/// `api.a.f` written as a member chain rooted at `api` or `internal`.
pub fn ref_path(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Ident(name) if name == "api" || name == "internal" => Some(name.clone()),
        ExprKind::Member {
            object, property, ..
        } => {
            let mut base = ref_path(object)?;
            base.push('.');
            base.push_str(property);
            Some(base)
        }
        _ => None,
    }
}

/// A call's args (`args`, written in a call at `call_span`) against the
/// target's `.input(...)`: unknown and missing required fields, when the args
/// are an object literal (or absent).
pub fn check_args(
    path: &str,
    target: &Function,
    args: Option<&Expr>,
    call_span: lunora_parser::Span,
    file: FileId,
    d: &mut Vec<Diagnostic>,
) {
    let empty: Vec<ObjectField> = Vec::new();
    let params = target.args.as_ref().unwrap_or(&empty);
    let (given, span) = match args {
        None => (Vec::new(), call_span),
        Some(e) => match &e.kind {
            ExprKind::Object(props) => {
                let mut keys = Vec::new();
                for p in props {
                    match p {
                        Property::KeyValue { key, key_span, .. } => {
                            keys.push((key.as_str(), *key_span))
                        }
                        // A spread or computed key: the runtime checks.
                        _ => return,
                    }
                }
                (keys, e.span)
            }
            _ => return,
        },
    };
    for (key, key_span) in &given {
        if !params.iter().any(|p| p.name == *key) {
            d.push(diagnostics::unknown_call_arg(
                path, key, params, file, *key_span,
            ));
        }
    }
    for p in params {
        if !matches!(p.validator, Validator::Optional(_))
            && !given.iter().any(|(k, _)| *k == p.name)
        {
            d.push(diagnostics::missing_call_arg(path, &p.name, file, span));
        }
    }
}
