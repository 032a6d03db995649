//! The helpers a function hands its `ctx` to: `getUser(ctx, id)`, where
//! `getUser` is a function of this module or of an imported one (`import {
//! getUser } from "./model/users"`, `import * as Users from "./model/users"`
//! then `Users.getUser(ctx, id)`), followed through their own helpers. Convex
//! apps keep their data access in such helpers: the tables their `ctx.db` calls
//! name are the calling function's, for its route (docs/ARCHITECTURE.md,
//! "Routing").

use std::collections::HashSet;
use std::sync::Arc;

use lunora_parser::summary::{BindingKind, Expr, ExprKind, FunctionSummary, ImportKind, Pattern};
use lunora_parser::{FileId, Span};

use crate::draft::{Form, FunctionDraft};
use crate::load::Loader;

/// How deep helpers of helpers are followed.
const MAX_DEPTH: u32 = 8;

/// [`FunctionDraft::helpers`] of `f`.
pub fn helpers_of(ld: &mut Loader<'_>, f: &FunctionDraft) -> Vec<(Arc<FunctionSummary>, FileId)> {
    let Some((h, file)) = &f.handler else {
        return Vec::new();
    };
    // `(ctx, args) => ...` or `({ ctx, args }) => ...`
    let ctx = match (f.form, h.params.first()) {
        (Form::Object, Some(Pattern::Ident { name, .. })) => Some(name.clone()),
        (Form::Builder, Some(Pattern::Object { props, .. })) => {
            props.iter().find_map(|p| match (&p.key, &p.value) {
                (Some(k), Pattern::Ident { name, .. }) if k == "ctx" => Some(name.clone()),
                _ => None,
            })
        }
        _ => None,
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    follow(ld, h, *file, ctx, 0, &mut seen, &mut out);
    out
}

fn follow(
    ld: &mut Loader<'_>,
    h: &FunctionSummary,
    file: FileId,
    ctx: Option<String>,
    depth: u32,
    seen: &mut HashSet<(FileId, Span)>,
    out: &mut Vec<(Arc<FunctionSummary>, FileId)>,
) {
    let Some(ctx) = ctx else { return };
    if depth >= MAX_DEPTH {
        return;
    }
    for call in &h.helper_calls {
        let Some(pos) = call
            .args
            .iter()
            .position(|a| a.as_deref() == Some(ctx.as_str()))
        else {
            continue;
        };
        // A callee that is not statically a function of the app (a method, a
        // package's export, a computed value) is not followed.
        let Some((summary, at)) = callee(ld, file, &call.callee) else {
            continue;
        };
        if !seen.insert((at, summary.span)) {
            continue;
        }
        let inner = match summary.params.get(pos) {
            Some(Pattern::Ident { name, .. }) => Some(name.clone()),
            _ => None,
        };
        out.push((summary.clone(), at));
        follow(ld, &summary, at, inner, depth + 1, seen, out);
    }
}

/// The function `f` or `ns.f` names, and its file.
fn callee(ld: &mut Loader<'_>, file: FileId, e: &Expr) -> Option<(Arc<FunctionSummary>, FileId)> {
    match &e.kind {
        ExprKind::Ident(name) => local(ld, file, name, 0),
        ExprKind::Member {
            object, property, ..
        } => {
            let ExprKind::Ident(ns) = &object.kind else {
                return None;
            };
            let m = ld.module_arc(file);
            let (imp, spec) = m.import_of(ns)?;
            if spec.kind != ImportKind::Namespace {
                return None;
            }
            let target = imported(ld, file, &imp.source)?;
            exported(ld, target, property, 0)
        }
        _ => None,
    }
}

/// The function bound to `name` in `file`: declared there, a `const` arrow or
/// alias, or imported by name.
fn local(
    ld: &mut Loader<'_>,
    file: FileId,
    name: &str,
    depth: u32,
) -> Option<(Arc<FunctionSummary>, FileId)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let m = ld.module_arc(file);
    if let Some(b) = m.binding(name) {
        return match (&b.kind, &b.init) {
            (
                BindingKind::Function | BindingKind::Const,
                Some(Expr {
                    kind: ExprKind::Function(f),
                    ..
                }),
            ) => Some((f.clone(), file)),
            (
                BindingKind::Const,
                Some(Expr {
                    kind: ExprKind::Ident(other),
                    ..
                }),
            ) => local(ld, file, other, depth + 1),
            _ => None,
        };
    }
    let (imp, spec) = m.import_of(name)?;
    let ImportKind::Named(exported_name) = &spec.kind else {
        return None;
    };
    let target = imported(ld, file, &imp.source)?;
    exported(ld, target, exported_name, depth + 1)
}

/// The function `file` exports as `name`.
fn exported(
    ld: &mut Loader<'_>,
    file: FileId,
    name: &str,
    depth: u32,
) -> Option<(Arc<FunctionSummary>, FileId)> {
    let m = ld.module_arc(file);
    if m.binding(name).is_some_and(|b| b.exported) {
        return local(ld, file, name, depth + 1);
    }
    let alias = m.export_aliases.iter().find(|a| a.exported == name)?;
    local(ld, file, &alias.local.clone(), depth + 1)
}

/// The app module a relative import names (never `_generated/`, never a package).
fn imported(ld: &mut Loader<'_>, file: FileId, source: &str) -> Option<FileId> {
    let from = ld.files.get(file).path.clone();
    let base = ld.resolve(&from, source).ok()??;
    if base.starts_with("lunora/_generated/") {
        return None;
    }
    let path = ld.module_file(&base)?;
    let mut scratch = Vec::new();
    ld.load(&path, &mut scratch)
}
