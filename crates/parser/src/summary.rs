//! Owned, arena-free summaries of one TypeScript module: what the analyzer
//! needs (imports, top-level bindings, exports, a small expression tree of the
//! statically analyzable subset, and the `ctx.db` calls of function bodies).
//! Summaries are computed per file, independently, so callers may cache them.

use std::sync::Arc;

use crate::span::Span;

/// The summary of one module.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleSummary {
    pub imports: Vec<Import>,
    /// Top-level bindings in source order (`const`, `let`, `var`, functions, classes).
    pub bindings: Vec<Binding>,
    /// `export { local as exported }` without a source.
    pub export_aliases: Vec<ExportAlias>,
    /// `export { a as b } from "./x"`.
    pub reexports: Vec<ReExport>,
    /// `export default <expr>`.
    pub default_export: Option<Expr>,
    /// Top-level statements that are no import, export or declaration, in
    /// source order (`http.route({...})` in `lunora/http.ts`).
    pub statements: Vec<Statement>,
}

/// A top-level statement that is no import, export or declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// An expression statement: its expression.
    Expr(Expr),
    /// Any other statement (`if`, `for`, a block, ...): what it is, and where.
    Other { what: &'static str, span: Span },
}

impl ModuleSummary {
    pub fn binding(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.name == name)
    }

    /// The import that binds local name `name`, with its specifier.
    pub fn import_of(&self, name: &str) -> Option<(&Import, &ImportSpecifier)> {
        self.imports.iter().find_map(|i| {
            i.specifiers
                .iter()
                .find(|s| s.local == name)
                .map(|s| (i, s))
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub source: String,
    pub source_span: Span,
    pub specifiers: Vec<ImportSpecifier>,
    /// `import type { .. }`: erased, never a value.
    pub type_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportSpecifier {
    pub kind: ImportKind,
    /// The local binding name.
    pub local: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// `import { imported as local }`
    Named(String),
    /// `import local from ".."`
    Default,
    /// `import * as local from ".."`
    Namespace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Const,
    Let,
    Var,
    Function,
    Class,
    /// A destructuring or other binding that the analyzer cannot follow.
    Other,
}

impl BindingKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            BindingKind::Const => "const",
            BindingKind::Let => "let",
            BindingKind::Var => "var",
            BindingKind::Function => "function",
            BindingKind::Class => "class",
            BindingKind::Other => "binding",
        }
    }
}

/// A top-level binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub name: String,
    /// Span of the binding's name.
    pub span: Span,
    pub kind: BindingKind,
    /// The initializer of a `const` (or `let`/`var`) declarator.
    pub init: Option<Expr>,
    /// `export const ...` / `export function ...`.
    pub exported: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportAlias {
    pub local: String,
    pub exported: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReExport {
    pub source: String,
    pub source_span: Span,
    /// `None` for `export * from`.
    pub imported: Option<String>,
    pub exported: Option<String>,
    pub span: Span,
}

/// A node of the owned expression tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    String(String),
    /// A finite number; `raw` is its normalised text (`1`, `-2.5`).
    Number {
        value: f64,
        raw: String,
    },
    Boolean(bool),
    Null,
    Ident(String),
    /// `object.property` (also `object["literal"]`).
    Member {
        object: Box<Expr>,
        property: String,
        property_span: Span,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    Object(Vec<Property>),
    Array(Vec<Expr>),
    /// An arrow function or function expression.
    Function(Arc<FunctionSummary>),
    /// Anything outside the analyzable subset; `what` names it (`a binary expression`).
    Unsupported {
        what: &'static str,
    },
}

impl Expr {
    /// The string value of a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::String(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    KeyValue {
        key: String,
        key_span: Span,
        value: Expr,
    },
    Spread {
        expr: Expr,
        span: Span,
    },
    /// `[expr]: value`, a getter/setter or a method: not analyzable.
    Unsupported {
        what: &'static str,
        span: Span,
    },
}

/// An arrow function or function expression, with what the analyzer needs of its body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionSummary {
    pub span: Span,
    pub params: Vec<Pattern>,
    /// Every `<expr>.db.<method>(...)` call in the body, in source order.
    pub db_calls: Vec<DbCall>,
    /// Every `<expr>.storage.<method>` (`ctx.storage.getUrl`): the method
    /// name and its span, in source order.
    pub storage_calls: Vec<(String, Span)>,
    /// Every `<expr>.scheduler.<method>(...)` call in the body, in source order.
    pub scheduler_calls: Vec<SchedulerCall>,
    /// Calls of a plain function (`f(...)`, `ns.f(...)`) with a bare identifier
    /// among their arguments, in source order: the helpers a function may hand
    /// its `ctx` to (`getUser(ctx, id)`), whose `ctx.db` calls are the caller's.
    pub helper_calls: Vec<HelperCall>,
    /// Every `<expr>.vectorSearch` (`ctx.vectorSearch(...)` in a Convex action):
    /// vector search is out of Lunora's scope, reported by the analyzer.
    pub vector_search: Vec<Span>,
}

/// One call `f(a, b)` / `ns.f(a, b)` (see [`FunctionSummary::helper_calls`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HelperCall {
    /// `f` or `ns.f`.
    pub callee: Expr,
    /// Per argument, its name when it is a bare identifier.
    pub args: Vec<Option<String>>,
    pub span: Span,
}

/// One `ctx.scheduler.<method>(...)` call (`runAfter`, `runAt`, `cancel`).
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerCall {
    pub method: String,
    pub method_span: Span,
    /// The `scheduler` member.
    pub scheduler_span: Span,
    /// The whole call.
    pub span: Span,
    pub args: Vec<Expr>,
}

/// A binding pattern of a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Ident {
        name: String,
        span: Span,
    },
    Object {
        props: Vec<PatternProp>,
        rest: Option<String>,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternProp {
    /// `None` for a computed key.
    pub key: Option<String>,
    pub value: Pattern,
}

/// One `ctx.db.<method>(...)` call.
#[derive(Debug, Clone, PartialEq)]
pub struct DbCall {
    pub method: String,
    pub method_span: Span,
    /// The whole call.
    pub span: Span,
    pub args: Vec<Expr>,
    /// `.withIndex(...)` chained on a `query(...)` call.
    pub index: Option<IndexUse>,
}

impl DbCall {
    /// The table name when the first argument is a string literal.
    pub fn table(&self) -> Option<(&str, Span)> {
        let first = self.args.first()?;
        first.as_str().map(|s| (s, first.span))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexUse {
    /// True for `.withSearchIndex(...)` (conditions `search` then `eq`), false for `.withIndex(...)`.
    pub search: bool,
    /// The index name when it is a string literal.
    pub name: Option<String>,
    /// Span of the first argument (or of `withIndex` when it has none).
    pub name_span: Span,
    /// Conditions of the range callback in call order.
    pub conditions: Vec<IndexCondition>,
    /// False when the callback is not a simple `q => q.eq(..)...` chain.
    pub conditions_known: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexCondition {
    /// `eq`, `gt`, `gte`, `lt`, `lte` (or anything else that was written).
    pub method: String,
    pub method_span: Span,
    /// The field name when it is a string literal, with the literal's span.
    pub field: Option<(String, Span)>,
    pub value: Option<Expr>,
}
