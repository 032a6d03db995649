//! What `lunora/crons.ts` and `lunora/http.ts` share: each default-exports a
//! `const` bound to a builder of `lunorash/server` (`cronJobs()`,
//! `httpRouter()`) and registers its entries with top-level method calls on
//! it. The callers turn what was wrong into their own diagnostics.

use lunora_parser::summary::{BindingKind, Expr, ExprKind, ImportKind, Statement};
use lunora_parser::{FileId, Span};

use crate::load::Loader;

/// The package the builders come from.
const PACKAGE: &str = "lunorash/server";

/// `name` is imported by name from `lunorash/server` as `export`.
pub(crate) fn package_import(ld: &Loader<'_>, file: FileId, name: &str, export: &str) -> bool {
    let m = ld.module(file);
    m.binding(name).is_none()
        && m.import_of(name).is_some_and(|(imp, spec)| {
            imp.source == PACKAGE && matches!(&spec.kind, ImportKind::Named(i) if i == export)
        })
}

/// Why [`default_builder_binding`] found no builder.
pub(crate) enum NotBuilder {
    /// The default export is an expression, not a name: where it is.
    NotAName(Span),
    /// The file has no default export (`export default x` or
    /// `export { x as default }`).
    NoDefault,
    /// The name exported by default is not a `const` bound to
    /// `<builder>()`: the name, and where it is exported.
    NotBound(String, Span),
}

/// The `const` bound to `<builder>()` (imported from `lunorash/server`) that
/// `file` exports by default: its name, and where it is exported.
pub(crate) fn default_builder_binding(
    ld: &Loader<'_>,
    file: FileId,
    builder: &str,
) -> Result<(String, Span), NotBuilder> {
    let m = ld.module_arc(file);
    let (name, used) = match &m.default_export {
        Some(Expr {
            kind: ExprKind::Ident(n),
            span,
        }) => (n.clone(), *span),
        Some(e) => return Err(NotBuilder::NotAName(e.span)),
        None => m
            .export_aliases
            .iter()
            .find(|a| a.exported == "default")
            .map(|a| (a.local.clone(), a.span))
            .ok_or(NotBuilder::NoDefault)?,
    };
    let bound = m.binding(&name).is_some_and(|b| {
        b.kind == BindingKind::Const
            && matches!(&b.init, Some(Expr { kind: ExprKind::Call { callee, args }, .. })
                if args.is_empty()
                    && matches!(&callee.kind, ExprKind::Ident(c) if package_import(ld, file, c, builder)))
    });
    if bound {
        Ok((name, used))
    } else {
        Err(NotBuilder::NotBound(name, used))
    }
}

/// A top-level statement of a builder file, as the registration loops read it.
pub(crate) enum TopStatement<'a> {
    /// `object.method(args)`, `object` a plain name.
    MethodCall {
        call: &'a Expr,
        object: &'a str,
        method: &'a str,
        args: &'a [Expr],
    },
    /// Any other expression statement: where it is.
    OtherExpr(Span),
    /// A statement that is no expression (`if`, a loop, ...).
    Other { what: &'static str, span: Span },
}

pub(crate) fn top_statement(st: &Statement) -> TopStatement<'_> {
    match st {
        Statement::Expr(
            call @ Expr {
                kind: ExprKind::Call { callee, args },
                ..
            },
        ) => match &callee.kind {
            ExprKind::Member {
                object, property, ..
            } => match &object.kind {
                ExprKind::Ident(o) => TopStatement::MethodCall {
                    call,
                    object: o,
                    method: property,
                    args,
                },
                _ => TopStatement::OtherExpr(call.span),
            },
            _ => TopStatement::OtherExpr(call.span),
        },
        Statement::Expr(e) => TopStatement::OtherExpr(e.span),
        Statement::Other { what, span } => TopStatement::Other { what, span: *span },
    }
}
