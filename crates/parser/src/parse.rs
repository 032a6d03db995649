//! Parses one file with oxc and lowers it into an owned [`ModuleSummary`].

use std::sync::Arc;

use oxc_allocator::Allocator;
use oxc_ast::ast;
use oxc_ast_visit::{Visit, walk};
use oxc_span::SourceType;

use crate::diagnostic::Diagnostic;
use crate::diagnostics;
use crate::source::SourceFile;
use crate::span::Span;
use crate::summary::*;

/// What [`summarize`] returns: the module summary (partial when the file has
/// syntax errors) and the syntax diagnostics.
#[derive(Debug, Clone, Default)]
pub struct ParseReturn {
    pub module: ModuleSummary,
    pub diagnostics: Vec<Diagnostic>,
}

/// Deepest bracket nesting (`(`, `[`, `{`, `${`) a file may have. The parser,
/// the evaluator and codegen recurse on nesting; a limit turns what would be a
/// stack overflow (an abort) on hostile input into a diagnostic. Real code stays
/// far below it.
pub const MAX_NESTING: u32 = 256;

/// Stack size for every thread that parses, analyzes or emits (the CLI's main
/// thread has 8 MiB on Linux): the nesting limits above are sized so that the
/// deepest accepted file fits in it, so a file accepted in a small app (parsed
/// on the main thread) cannot overflow a worker thread in a large one.
pub const THREAD_STACK_SIZE: usize = 8 << 20;

/// Deepest nesting of parentheses opened right after a `<` (`a<(b<(c…`). The
/// TypeScript parser reads each as possible type arguments and re-parses on
/// backtracking: time and memory double every level or two (oxc 0.146: 28
/// levels take seconds, 60 exhaust memory; fuzz/known/). Real code nests a
/// few at most.
pub const MAX_ANGLE_PARENS: u32 = 16;

/// Why [`too_deep`] refused a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TooDeep {
    /// Brackets deeper than [`MAX_NESTING`].
    Brackets,
    /// `<(` deeper than [`MAX_ANGLE_PARENS`].
    AngleParens,
}

/// Offset of the first bracket deeper than [`MAX_NESTING`] (or the first
/// `(` after `<` deeper than [`MAX_ANGLE_PARENS`]), skipping comments,
/// string and template literal text, and escaped characters (so `/\(/` counts
/// nothing). A rough lexer: it never fails, and only guards the limits.
fn too_deep(text: &str) -> Option<(usize, TooDeep)> {
    #[derive(PartialEq)]
    enum Mode {
        Code,
        Template,
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Open {
        Bracket,
        /// `${`: its `}` returns to template text.
        Substitution,
        /// `(` right after `<`.
        AngleParen,
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut angle_parens = 0u32;
    // The last byte of code that is not white space.
    let mut last = 0u8;
    let mut mode = Mode::Code;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if mode == Mode::Template {
            match b {
                b'\\' => i += 1,
                b'`' => mode = Mode::Code,
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Open::Substitution);
                    if stack.len() > MAX_NESTING as usize {
                        return Some((i, TooDeep::Brackets));
                    }
                    mode = Mode::Code;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            last = 0;
            continue;
        }
        match b {
            b'\\' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'\'' | b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => mode = Mode::Template,
            b'(' | b'[' | b'{' => {
                let open = if b == b'(' && last == b'<' {
                    angle_parens += 1;
                    if angle_parens > MAX_ANGLE_PARENS {
                        return Some((i, TooDeep::AngleParens));
                    }
                    Open::AngleParen
                } else {
                    Open::Bracket
                };
                stack.push(open);
                if stack.len() > MAX_NESTING as usize {
                    return Some((i, TooDeep::Brackets));
                }
            }
            b')' | b']' | b'}' => {
                mode = Mode::Code;
                match stack.pop() {
                    // Closing a `${`: back to template text.
                    Some(Open::Substitution) => mode = Mode::Template,
                    Some(Open::AngleParen) => angle_parens -= 1,
                    Some(Open::Bracket) | None => {}
                }
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
        i += 1;
    }
    None
}

/// Parses `file` as TypeScript and summarizes it. Never panics.
pub fn summarize(file: &SourceFile) -> ParseReturn {
    if let Some((at, why)) = too_deep(&file.text) {
        let at = at as u32;
        let d = match why {
            TooDeep::Brackets => diagnostics::brackets_too_deep(file.id, at),
            TooDeep::AngleParens => diagnostics::angle_parens_too_deep(file.id, at),
        };
        return ParseReturn {
            module: ModuleSummary::default(),
            diagnostics: vec![d],
        };
    }
    match guarded(|| parse_and_lower(file)) {
        Some(ret) => ret,
        None => ParseReturn {
            module: ModuleSummary::default(),
            diagnostics: vec![diagnostics::parser_panicked(file.id)],
        },
    }
}

thread_local! {
    /// True while this thread runs oxc inside [`guarded`].
    static IN_GUARD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `None`. oxc 0.146 (pinned) can panic on some
/// inputs (`StringLiteral::is_string_well_formed_unicode` slices past the end
/// of `"\\u"` in a module export name, found by fuzzing); such a file gets a
/// diagnostic instead of crashing the CLI or the language server. The panic
/// hook is wrapped once so that panics caught here print nothing; every other
/// panic still reaches the previous hook (libFuzzer's abort included).
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_GUARD.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = IN_GUARD.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_GUARD.with(|g| g.set(outer));
    result.ok()
}

/// Arenas above this size are freed after use rather than kept for the next file.
const KEEP_ARENA_BYTES: usize = 32 << 20;

thread_local! {
    static ARENA: std::cell::RefCell<Allocator> = std::cell::RefCell::new(Allocator::default());
}

/// Runs `f` with this thread's oxc arena, emptied first. Reusing one arena per
/// thread instead of a fresh one per file saves mapping and zeroing new pages
/// for every file (a tenth of the parse time on large apps). Re-entrant use
/// (not expected) gets a fresh arena.
pub fn with_arena<R>(f: impl FnOnce(&Allocator) -> R) -> R {
    ARENA.with(|cell| match cell.try_borrow_mut() {
        Ok(mut arena) => {
            arena.reset();
            let out = f(&arena);
            if arena.capacity() > KEEP_ARENA_BYTES {
                *arena = Allocator::default();
            }
            out
        }
        Err(_) => f(&Allocator::default()),
    })
}

fn parse_and_lower(file: &SourceFile) -> ParseReturn {
    with_arena(|allocator| parse_and_lower_in(allocator, file))
}

fn parse_and_lower_in(allocator: &Allocator, file: &SourceFile) -> ParseReturn {
    let ret = oxc_parser::Parser::new(allocator, &file.text, SourceType::ts()).parse();
    let mut diagnostics = Vec::new();
    let len = file.text.len() as u32;
    for error in ret.diagnostics.iter() {
        let span = error
            .labels
            .first()
            .map(|l| {
                let start = l.offset().min(len);
                let end = l.offset().saturating_add(l.len()).min(len).max(start);
                Span::new(start, end)
            })
            .unwrap_or(Span::new(0, 0));
        let label = error
            .labels
            .first()
            .and_then(|l| l.label().map(str::to_string))
            .unwrap_or_default();
        diagnostics.push(diagnostics::syntax_error(
            file.id,
            span,
            error.message.to_string(),
            label,
            error.help.as_ref().map(|h| h.to_string()),
        ));
    }
    let module = if ret.panicked {
        ModuleSummary::default()
    } else {
        lower_program(&ret.program)
    };
    if diagnostics.is_empty() {
        redeclarations(file, &module, &mut diagnostics);
    }
    ParseReturn {
        module,
        diagnostics,
    }
}

/// Top-level names declared twice (`const`/`let`/`class`, or an import and
/// such a binding): an early SyntaxError in JavaScript that the parser alone
/// does not report, and which would make "the" binding of a name ambiguous.
/// `var` and function declarations (TypeScript overloads) may repeat.
fn redeclarations(file: &SourceFile, m: &ModuleSummary, out: &mut Vec<Diagnostic>) {
    let strict = |k: BindingKind| !matches!(k, BindingKind::Var | BindingKind::Function);
    let mut seen: std::collections::BTreeMap<&str, Span> = std::collections::BTreeMap::new();
    for import in &m.imports {
        for s in &import.specifiers {
            seen.entry(s.local.as_str()).or_insert(s.span);
        }
    }
    for b in &m.bindings {
        if !strict(b.kind) {
            continue;
        }
        if let Some(first) = seen.get(b.name.as_str()) {
            out.push(diagnostics::declared_twice(
                file.id, &b.name, b.span, *first,
            ));
        } else {
            seen.insert(&b.name, b.span);
        }
    }
}

/// An owned copy of an oxc atom's text. A plain copy: `Atom::to_string` goes
/// through `Display`. A function (not inline code) so `lower_expr`'s debug
/// stack frame stays small: its recursion depth is bounded, not its frame.
fn own(s: &str) -> String {
    s.to_owned()
}

fn sp(span: oxc_span::Span) -> Span {
    Span::from(span)
}

fn lower_program(program: &ast::Program<'_>) -> ModuleSummary {
    let mut m = ModuleSummary::default();
    for stmt in &program.body {
        match stmt {
            ast::Statement::ImportDeclaration(d) => {
                let mut specifiers = Vec::new();
                for s in d.specifiers.iter().flatten() {
                    specifiers.push(match s {
                        ast::ImportDeclarationSpecifier::ImportSpecifier(s) => ImportSpecifier {
                            kind: ImportKind::Named(export_name(&s.imported)),
                            local: own(&s.local.name),
                            span: sp(s.span),
                        },
                        ast::ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                            ImportSpecifier {
                                kind: ImportKind::Default,
                                local: own(&s.local.name),
                                span: sp(s.span),
                            }
                        }
                        ast::ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                            ImportSpecifier {
                                kind: ImportKind::Namespace,
                                local: own(&s.local.name),
                                span: sp(s.span),
                            }
                        }
                    });
                }
                m.imports.push(Import {
                    source: own(&d.source.value),
                    source_span: sp(d.source.span),
                    specifiers,
                    type_only: d.import_kind.is_type(),
                });
            }
            ast::Statement::ExportDeclaration(d) => lower_declaration(&d.declaration, true, &mut m),
            ast::Statement::ExportNamedDeclaration(d) => {
                for s in &d.specifiers {
                    m.export_aliases.push(ExportAlias {
                        local: export_name(&s.local),
                        exported: export_name(&s.exported),
                        span: sp(s.span),
                    });
                }
            }
            ast::Statement::ExportFromDeclaration(d) => {
                for s in &d.specifiers {
                    m.reexports.push(ReExport {
                        source: own(&d.source.value),
                        source_span: sp(d.source.span),
                        imported: Some(export_name(&s.local)),
                        exported: Some(export_name(&s.exported)),
                        span: sp(s.span),
                    });
                }
            }
            ast::Statement::ExportAllDeclaration(d) => {
                m.reexports.push(ReExport {
                    source: own(&d.source.value),
                    source_span: sp(d.source.span),
                    imported: None,
                    exported: d.exported.as_ref().map(export_name),
                    span: sp(d.span),
                });
            }
            ast::Statement::ExportDefaultDeclaration(d) => {
                if let Some(e) = d.declaration.as_expression() {
                    m.default_export = Some(lower_expr(e, true));
                } else {
                    m.default_export = Some(Expr {
                        kind: ExprKind::Unsupported {
                            what: "a declaration",
                        },
                        span: sp(d.span),
                    });
                }
            }
            ast::Statement::ExpressionStatement(s) => m
                .statements
                .push(Statement::Expr(lower_expr(&s.expression, true))),
            ast::Statement::EmptyStatement(_) => {}
            other => {
                if let Some(decl) = other.as_declaration() {
                    lower_declaration(decl, false, &mut m);
                } else {
                    m.statements.push(Statement::Other {
                        what: statement_kind(other),
                        span: sp(other.span()),
                    });
                }
            }
        }
    }
    m
}

/// What a top-level statement that is no declaration is, for a diagnostic.
fn statement_kind(s: &ast::Statement<'_>) -> &'static str {
    match s {
        ast::Statement::IfStatement(_) => "an `if` statement",
        ast::Statement::ForStatement(_)
        | ast::Statement::ForInStatement(_)
        | ast::Statement::ForOfStatement(_)
        | ast::Statement::WhileStatement(_)
        | ast::Statement::DoWhileStatement(_) => "a loop",
        ast::Statement::BlockStatement(_) => "a block",
        ast::Statement::TryStatement(_) => "a `try` statement",
        ast::Statement::SwitchStatement(_) => "a `switch` statement",
        _ => "a statement",
    }
}

fn export_name(n: &ast::ModuleExportName<'_>) -> String {
    match n {
        ast::ModuleExportName::IdentifierName(i) => own(&i.name),
        ast::ModuleExportName::IdentifierReference(i) => own(&i.name),
        ast::ModuleExportName::StringLiteral(s) => own(&s.value),
    }
}

fn lower_declaration(decl: &ast::Declaration<'_>, exported: bool, m: &mut ModuleSummary) {
    match decl {
        ast::Declaration::VariableDeclaration(v) => {
            let kind = match v.kind {
                ast::VariableDeclarationKind::Const => BindingKind::Const,
                ast::VariableDeclarationKind::Let => BindingKind::Let,
                ast::VariableDeclarationKind::Var => BindingKind::Var,
                _ => BindingKind::Other,
            };
            for d in &v.declarations {
                match &d.id {
                    ast::BindingPattern::BindingIdentifier(id) => m.bindings.push(Binding {
                        name: own(&id.name),
                        span: sp(id.span),
                        kind,
                        init: d.init.as_ref().map(|e| lower_expr(e, true)),
                        exported,
                    }),
                    pattern => {
                        let mut names = Vec::new();
                        pattern_names(pattern, &mut names);
                        for (name, span) in names {
                            m.bindings.push(Binding {
                                name,
                                span,
                                kind: BindingKind::Other,
                                init: None,
                                exported,
                            });
                        }
                    }
                }
            }
        }
        ast::Declaration::FunctionDeclaration(f) => {
            if let Some(id) = &f.id {
                m.bindings.push(Binding {
                    name: own(&id.name),
                    span: sp(id.span),
                    kind: BindingKind::Function,
                    // Its summary: a helper's `ctx.db` calls count for the functions calling it.
                    init: Some(Expr {
                        kind: lower_function(f, true),
                        span: sp(f.span),
                    }),
                    exported,
                });
            }
        }
        ast::Declaration::ClassDeclaration(c) => {
            if let Some(id) = &c.id {
                m.bindings.push(Binding {
                    name: own(&id.name),
                    span: sp(id.span),
                    kind: BindingKind::Class,
                    init: None,
                    exported,
                });
            }
        }
        _ => {}
    }
}

fn pattern_names(p: &ast::BindingPattern<'_>, out: &mut Vec<(String, Span)>) {
    match p {
        ast::BindingPattern::BindingIdentifier(id) => out.push((own(&id.name), sp(id.span))),
        ast::BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                pattern_names(&prop.value, out);
            }
            if let Some(rest) = &o.rest {
                pattern_names(&rest.argument, out);
            }
        }
        ast::BindingPattern::ArrayPattern(a) => {
            for e in a.elements.iter().flatten() {
                pattern_names(e, out);
            }
            if let Some(rest) = &a.rest {
                pattern_names(&rest.argument, out);
            }
        }
        ast::BindingPattern::AssignmentPattern(a) => pattern_names(&a.left, out),
    }
}

fn lower_pattern(p: &ast::BindingPattern<'_>) -> Pattern {
    match p {
        ast::BindingPattern::BindingIdentifier(id) => Pattern::Ident {
            name: own(&id.name),
            span: sp(id.span),
        },
        ast::BindingPattern::ObjectPattern(o) => Pattern::Object {
            props: o
                .properties
                .iter()
                .map(|prop| PatternProp {
                    key: if prop.computed {
                        None
                    } else {
                        property_key_name(&prop.key)
                    },
                    value: lower_pattern(&prop.value),
                })
                .collect(),
            rest: o.rest.as_ref().and_then(|r| match &r.argument {
                ast::BindingPattern::BindingIdentifier(id) => Some(own(&id.name)),
                _ => None,
            }),
        },
        ast::BindingPattern::AssignmentPattern(a) => lower_pattern(&a.left),
        ast::BindingPattern::ArrayPattern(_) => Pattern::Other,
    }
}

fn property_key_name(key: &ast::PropertyKey<'_>) -> Option<String> {
    match key {
        ast::PropertyKey::StaticIdentifier(id) => Some(own(&id.name)),
        ast::PropertyKey::StringLiteral(s) => Some(own(&s.value)),
        ast::PropertyKey::NumericLiteral(n) => Some(number_text(n.value)),
        _ => None,
    }
}

/// JS-like text of a finite number (`1`, `-2.5`).
pub fn number_text(value: f64) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    format!("{value}")
}

fn unsupported(what: &'static str, span: oxc_span::Span) -> Expr {
    Expr {
        kind: ExprKind::Unsupported { what },
        span: sp(span),
    }
}

/// Deepest expression tree `lower_expr` lowers (and `DbCollector` walks):
/// chains such as `a.b.b.b…` nest without brackets, so [`MAX_NESTING`] does not
/// bound them. Deeper parts become `Unsupported` instead of overflowing the stack.
pub const MAX_EXPR_DEPTH: u32 = 512;

thread_local! {
    static EXPR_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Lowers an expression. `collect` controls whether function expressions
/// get their bodies summarized (params and `ctx.db` calls).
fn lower_expr(e: &ast::Expression<'_>, collect: bool) -> Expr {
    let depth = EXPR_DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    let out = if depth > MAX_EXPR_DEPTH {
        unsupported(
            "an expression nested more than 512 levels deep",
            oxc_span::GetSpan::span(e),
        )
    } else {
        lower_expr_inner(e, collect)
    };
    EXPR_DEPTH.with(|d| d.set(d.get() - 1));
    out
}

fn lower_expr_inner(e: &ast::Expression<'_>, collect: bool) -> Expr {
    use ast::Expression as E;
    let span = sp(oxc_span::GetSpan::span(e));
    let kind = match e {
        E::StringLiteral(s) => ExprKind::String(own(&s.value)),
        E::NumericLiteral(n) => {
            if n.value.is_finite() {
                ExprKind::Number {
                    value: n.value,
                    raw: number_text(n.value),
                }
            } else {
                return unsupported("a non-finite number", n.span);
            }
        }
        E::BooleanLiteral(b) => ExprKind::Boolean(b.value),
        E::NullLiteral(_) => ExprKind::Null,
        E::TemplateLiteral(t) => {
            if t.expressions.is_empty() && t.quasis.len() == 1 {
                match &t.quasis[0].value.cooked {
                    Some(c) => ExprKind::String(own(c)),
                    None => return unsupported("an invalid template literal", t.span),
                }
            } else {
                return unsupported("a template literal with `${}` expressions", t.span);
            }
        }
        E::Identifier(i) => {
            if i.name == "undefined" {
                return unsupported("`undefined`", i.span);
            }
            ExprKind::Ident(own(&i.name))
        }
        E::StaticMemberExpression(m) => ExprKind::Member {
            object: Box::new(lower_expr(&m.object, collect)),
            property: own(&m.property.name),
            property_span: sp(m.property.span),
        },
        E::ComputedMemberExpression(m) => match &m.expression {
            E::StringLiteral(s) => ExprKind::Member {
                object: Box::new(lower_expr(&m.object, collect)),
                property: own(&s.value),
                property_span: sp(s.span),
            },
            _ => return unsupported("a computed member access", m.span),
        },
        E::CallExpression(c) => {
            let mut args = Vec::with_capacity(c.arguments.len());
            for a in &c.arguments {
                match a.as_expression() {
                    Some(e) => args.push(lower_expr(e, collect)),
                    None => args.push(unsupported("a spread argument", a.span())),
                }
            }
            ExprKind::Call {
                callee: Box::new(lower_expr(&c.callee, collect)),
                args,
            }
        }
        E::ObjectExpression(o) => lower_object(o, collect),
        E::ArrayExpression(a) => {
            let mut items = Vec::with_capacity(a.elements.len());
            for el in &a.elements {
                match el.as_expression() {
                    Some(e) => items.push(lower_expr(e, collect)),
                    None => items.push(unsupported("a spread or hole in an array", el.span())),
                }
            }
            ExprKind::Array(items)
        }
        E::UnaryExpression(u) => match (&u.operator, &u.argument) {
            (oxc_syntax::operator::UnaryOperator::UnaryNegation, E::NumericLiteral(n))
                if n.value.is_finite() =>
            {
                ExprKind::Number {
                    value: -n.value,
                    raw: number_text(-n.value),
                }
            }
            _ => return unsupported("a unary expression", u.span),
        },
        E::ParenthesizedExpression(p) => return lower_expr(&p.expression, collect),
        E::TSAsExpression(t) => return lower_expr(&t.expression, collect),
        E::TSSatisfiesExpression(t) => return lower_expr(&t.expression, collect),
        E::TSNonNullExpression(t) => return lower_expr(&t.expression, collect),
        E::TSTypeAssertion(t) => return lower_expr(&t.expression, collect),
        E::ArrowFunctionExpression(f) => lower_arrow(f, collect),
        E::FunctionExpression(f) => lower_function(f, collect),
        E::BigIntLiteral(_) => return unsupported("a bigint literal", e.span()),
        E::RegExpLiteral(_) => return unsupported("a regular expression", e.span()),
        E::BinaryExpression(_) => return unsupported("a binary expression", e.span()),
        E::LogicalExpression(_) => return unsupported("a logical expression", e.span()),
        E::ConditionalExpression(_) => return unsupported("a conditional expression", e.span()),
        E::NewExpression(_) => return unsupported("a `new` expression", e.span()),
        E::AwaitExpression(_) => return unsupported("an `await` expression", e.span()),
        E::ChainExpression(_) => return unsupported("an optional chain", e.span()),
        E::TaggedTemplateExpression(_) => return unsupported("a tagged template", e.span()),
        E::ClassExpression(_) => return unsupported("a class expression", e.span()),
        E::AssignmentExpression(_) => return unsupported("an assignment", e.span()),
        E::SequenceExpression(_) => return unsupported("a sequence expression", e.span()),
        E::ThisExpression(_) => return unsupported("`this`", e.span()),
        _ => return unsupported("this kind of expression", e.span()),
    };
    Expr { kind, span }
}

// The arms below are out of line so `lower_expr_inner`'s stack frame, paid
// once per nesting level (up to MAX_EXPR_DEPTH), stays small in debug builds.

#[inline(never)]
fn lower_object(o: &ast::ObjectExpression<'_>, collect: bool) -> ExprKind {
    let mut props = Vec::with_capacity(o.properties.len());
    for p in &o.properties {
        match p {
            ast::ObjectPropertyKind::ObjectProperty(p) => {
                if p.kind != ast::PropertyKind::Init {
                    props.push(Property::Unsupported {
                        what: "a getter or setter",
                        span: sp(p.span),
                    });
                    continue;
                }
                if p.method {
                    props.push(Property::Unsupported {
                        what: "a method",
                        span: sp(p.span),
                    });
                    continue;
                }
                let key = if p.computed {
                    None
                } else {
                    property_key_name(&p.key)
                };
                match key {
                    Some(key) => props.push(Property::KeyValue {
                        key,
                        key_span: sp(p.key.span()),
                        value: lower_expr(&p.value, collect),
                    }),
                    None => props.push(Property::Unsupported {
                        what: "a computed key",
                        span: sp(p.key.span()),
                    }),
                }
            }
            ast::ObjectPropertyKind::SpreadProperty(s) => props.push(Property::Spread {
                expr: lower_expr(&s.argument, collect),
                span: sp(s.span),
            }),
        }
    }
    ExprKind::Object(props)
}

fn lower_params(params: &ast::FormalParameters<'_>) -> Vec<Pattern> {
    params
        .items
        .iter()
        .map(|p| lower_pattern(&p.pattern))
        .collect()
}

#[inline(never)]
fn lower_arrow(f: &ast::ArrowFunctionExpression<'_>, collect: bool) -> ExprKind {
    let mut summary = FunctionSummary {
        span: sp(f.span),
        params: lower_params(&f.params),
        ..FunctionSummary::default()
    };
    if collect {
        let mut c = DbCollector::default();
        c.visit_arrow_function_body(&f.body);
        c.finish(&mut summary);
    }
    ExprKind::Function(Arc::new(summary))
}

#[inline(never)]
fn lower_function(f: &ast::Function<'_>, collect: bool) -> ExprKind {
    let mut summary = FunctionSummary {
        span: sp(f.span),
        params: lower_params(&f.params),
        ..FunctionSummary::default()
    };
    if collect && let Some(body) = &f.body {
        let mut c = DbCollector::default();
        c.visit_function_body(body);
        c.finish(&mut summary);
    }
    ExprKind::Function(Arc::new(summary))
}

use oxc_span::GetSpan;

/// Collects `<expr>.db.<method>(...)` calls and `withIndex` uses.
#[derive(Default)]
struct DbCollector {
    calls: Vec<DbCall>,
    /// (span of the `db.query(..)` call, index use)
    indexes: Vec<(Span, IndexUse)>,
    /// Current expression depth (the walk stops below [`MAX_EXPR_DEPTH`]).
    depth: u32,
    /// `<x>.storage.<m>`: Convex ctx members Lunora lacks.
    storage_calls: Vec<(String, Span)>,
    /// `<x>.scheduler.<m>(...)` calls.
    scheduler_calls: Vec<SchedulerCall>,
    /// `f(ctx, ...)`: calls that may hand `ctx` to a helper.
    helper_calls: Vec<HelperCall>,
    /// `<x>.vectorSearch`: Convex's vector search, which Lunora does not have.
    vector_search: Vec<Span>,
}

impl DbCollector {
    /// Fills `summary`'s body lists, each in source order.
    fn finish(mut self, summary: &mut FunctionSummary) {
        for (query_span, index) in self.indexes {
            if let Some(call) = self
                .calls
                .iter_mut()
                .find(|c| c.span == query_span && c.index.is_none())
            {
                call.index = Some(index);
            }
        }
        self.calls.sort_by_key(|c| (c.span.start, c.span.end));
        self.storage_calls.sort_by_key(|(_, s)| (s.start, s.end));
        self.scheduler_calls
            .sort_by_key(|c| (c.span.start, c.span.end));
        self.helper_calls
            .sort_by_key(|c| (c.span.start, c.span.end));
        self.vector_search.sort_by_key(|s| (s.start, s.end));
        summary.db_calls = self.calls;
        summary.storage_calls = self.storage_calls;
        summary.scheduler_calls = self.scheduler_calls;
        summary.helper_calls = self.helper_calls;
        summary.vector_search = self.vector_search;
    }
}

/// `<ident>.scheduler.<method>` → the `scheduler` member's span and the method.
fn scheduler_method<'b>(
    callee: &'b ast::Expression<'_>,
) -> Option<(Span, &'b ast::IdentifierName<'b>)> {
    let ast::Expression::StaticMemberExpression(m) = callee.without_parentheses() else {
        return None;
    };
    let ast::Expression::StaticMemberExpression(s) = m.object.without_parentheses() else {
        return None;
    };
    (s.property.name == "scheduler"
        && matches!(
            s.object.without_parentheses(),
            ast::Expression::Identifier(_)
        ))
    .then(|| (sp(s.property.span), &m.property))
}

/// `<expr>.db.<method>` → method name and span.
fn db_method<'b>(callee: &'b ast::Expression<'_>) -> Option<&'b ast::IdentifierName<'b>> {
    let ast::Expression::StaticMemberExpression(m) = callee.without_parentheses() else {
        return None;
    };
    let ast::Expression::StaticMemberExpression(db) = m.object.without_parentheses() else {
        return None;
    };
    (db.property.name == "db").then_some(&m.property)
}

impl<'a> Visit<'a> for DbCollector {
    fn visit_static_member_expression(&mut self, it: &ast::StaticMemberExpression<'a>) {
        // `ctx.storage.getUrl(..)`: the member of a member, so a local `storage`
        // variable or `x.storage` alone is not one.
        if let ast::Expression::StaticMemberExpression(inner) = it.object.without_parentheses()
            && inner.property.name == "storage"
            && matches!(
                inner.object.without_parentheses(),
                ast::Expression::Identifier(_)
            )
        {
            self.storage_calls
                .push((own(&it.property.name), sp(it.property.span)));
        }
        if it.property.name == "vectorSearch"
            && matches!(
                it.object.without_parentheses(),
                ast::Expression::Identifier(_)
            )
        {
            self.vector_search.push(sp(it.property.span));
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_expression(&mut self, it: &ast::Expression<'a>) {
        if self.depth >= MAX_EXPR_DEPTH {
            return;
        }
        self.depth += 1;
        walk::walk_expression(self, it);
        self.depth -= 1;
    }

    fn visit_call_expression(&mut self, it: &ast::CallExpression<'a>) {
        let plain_callee = match it.callee.without_parentheses() {
            ast::Expression::Identifier(_) => true,
            ast::Expression::StaticMemberExpression(m) => {
                matches!(
                    m.object.without_parentheses(),
                    ast::Expression::Identifier(_)
                )
            }
            _ => false,
        };
        if plain_callee {
            let args: Vec<Option<String>> = it
                .arguments
                .iter()
                .map(
                    |a| match a.as_expression().map(|e| e.without_parentheses()) {
                        Some(ast::Expression::Identifier(id)) => Some(own(&id.name)),
                        _ => None,
                    },
                )
                .collect();
            if args.iter().any(Option::is_some) {
                self.helper_calls.push(HelperCall {
                    callee: lower_expr(&it.callee, false),
                    args,
                    span: sp(it.span),
                });
            }
        }
        if let Some((scheduler, method)) = scheduler_method(&it.callee) {
            self.scheduler_calls.push(SchedulerCall {
                method: own(&method.name),
                method_span: sp(method.span),
                scheduler_span: scheduler,
                span: sp(it.span),
                args: it
                    .arguments
                    .iter()
                    .map(|a| match a.as_expression() {
                        Some(e) => lower_expr(e, false),
                        None => unsupported("a spread argument", a.span()),
                    })
                    .collect(),
            });
        }
        if let Some(method) = db_method(&it.callee) {
            let args = it
                .arguments
                .iter()
                .map(|a| match a.as_expression() {
                    Some(e) => lower_expr(e, false),
                    None => unsupported("a spread argument", a.span()),
                })
                .collect();
            self.calls.push(DbCall {
                method: own(&method.name),
                method_span: sp(method.span),
                span: sp(it.span),
                args,
                index: None,
            });
        } else if let ast::Expression::StaticMemberExpression(m) = it.callee.without_parentheses()
            && (m.property.name == "withIndex" || m.property.name == "withSearchIndex")
            && let Some(query_span) = find_db_query(&m.object)
        {
            let mut used = lower_index_use(it, sp(m.property.span));
            used.search = m.property.name == "withSearchIndex";
            self.indexes.push((query_span, used));
        }
        walk::walk_call_expression(self, it);
    }
}

/// Walks down a method chain to the `<expr>.db.query(...)` call at its root.
fn find_db_query(e: &ast::Expression<'_>) -> Option<Span> {
    let mut cur = e.without_parentheses();
    loop {
        match cur {
            ast::Expression::CallExpression(c) => {
                if let Some(m) = db_method(&c.callee) {
                    return (m.name == "query").then_some(sp(c.span));
                }
                match c.callee.without_parentheses() {
                    ast::Expression::StaticMemberExpression(m) => {
                        cur = m.object.without_parentheses()
                    }
                    _ => return None,
                }
            }
            ast::Expression::StaticMemberExpression(m) => cur = m.object.without_parentheses(),
            ast::Expression::AwaitExpression(a) => cur = a.argument.without_parentheses(),
            _ => return None,
        }
    }
}

fn lower_index_use(call: &ast::CallExpression<'_>, method_span: Span) -> IndexUse {
    let first = call.arguments.first().and_then(|a| a.as_expression());
    let (name, name_span) = match first {
        Some(ast::Expression::StringLiteral(s)) => (Some(own(&s.value)), sp(s.span)),
        Some(e) => (None, sp(e.span())),
        None => (None, method_span),
    };
    let mut conditions = Vec::new();
    let mut known = true;
    match call.arguments.get(1).and_then(|a| a.as_expression()) {
        None => {}
        Some(cb) => {
            let body = match cb.without_parentheses() {
                ast::Expression::ArrowFunctionExpression(f) => {
                    let param = f.params.items.first().and_then(|p| match &p.pattern {
                        ast::BindingPattern::BindingIdentifier(id) => Some(id.name.as_str()),
                        _ => None,
                    });
                    let body = match &f.body {
                        ast::ArrowFunctionBody::FunctionBody(b) => single_return(b),
                        other => other.as_expression(),
                    };
                    param.zip(body)
                }
                ast::Expression::FunctionExpression(f) => {
                    let param = f.params.items.first().and_then(|p| match &p.pattern {
                        ast::BindingPattern::BindingIdentifier(id) => Some(id.name.as_str()),
                        _ => None,
                    });
                    param.zip(f.body.as_deref().and_then(single_return))
                }
                _ => None,
            };
            match body {
                Some((param, body)) => known = conditions_of(body, param, &mut conditions),
                None => known = false,
            }
        }
    }
    IndexUse {
        search: false,
        name,
        name_span,
        conditions,
        conditions_known: known,
    }
}

fn single_return<'b, 'a>(body: &'b ast::FunctionBody<'a>) -> Option<&'b ast::Expression<'a>> {
    match body.statements.as_slice() {
        [ast::Statement::ReturnStatement(r)] => r.argument.as_ref(),
        _ => None,
    }
}

/// Unwinds `q.eq(..).gt(..)` into conditions in call order. Returns false if
/// the chain is not rooted at `param`.
fn conditions_of(e: &ast::Expression<'_>, param: &str, out: &mut Vec<IndexCondition>) -> bool {
    match e.without_parentheses() {
        ast::Expression::Identifier(i) => i.name == param,
        ast::Expression::CallExpression(c) => {
            let ast::Expression::StaticMemberExpression(m) = c.callee.without_parentheses() else {
                return false;
            };
            if !conditions_of(&m.object, param, out) {
                return false;
            }
            let field = c.arguments.first().and_then(|a| match a.as_expression() {
                Some(ast::Expression::StringLiteral(s)) => Some((own(&s.value), sp(s.span))),
                _ => None,
            });
            let value = c
                .arguments
                .get(1)
                .and_then(|a| a.as_expression())
                .map(|e| lower_expr(e, false));
            out.push(IndexCondition {
                method: own(&m.property.name),
                method_span: sp(m.property.span),
                field,
                value,
            });
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::span::FileId;

    fn parse(text: &str) -> ParseReturn {
        summarize(&SourceFile::new(FileId(0), "a.ts", text))
    }

    #[test]
    fn names_declared_twice() {
        let r = parse("export const a = 1;\nexport const a = 2;\n");
        assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
        assert_eq!(r.diagnostics[0].code, Code::SyntaxError);
        assert_eq!(r.diagnostics[0].primary().unwrap().at.span.start, 33);
        assert_eq!(
            parse("import { a } from \"./x\";\nclass a {}\n")
                .diagnostics
                .len(),
            1
        );
        // `var` may repeat; so may functions (TypeScript overloads).
        let ok = "var v = 1; var v = 2;\nexport function f(x: string): void;\nexport function f(x: any) {}\n";
        assert!(
            parse(ok).diagnostics.is_empty(),
            "{:?}",
            parse(ok).diagnostics
        );
    }

    #[test]
    fn nesting_limit_counts_code_brackets_only() {
        let n = MAX_NESTING as usize;
        // At the limit: fine.
        let ok = format!("const a = {}1{};", "(".repeat(n), ")".repeat(n));
        assert!(parse(&ok).diagnostics.is_empty());
        // One deeper: a diagnostic at the first bracket over the limit.
        let deep = format!("const a = {}1{};", "[".repeat(n + 1), "]".repeat(n + 1));
        let r = parse(&deep);
        assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
        assert_eq!(r.diagnostics[0].code, Code::SyntaxError);
        let span = r.diagnostics[0].primary().unwrap().at.span;
        assert_eq!(span.start as usize, "const a = ".len() + n);
        // Brackets in strings, comments, templates and regex escapes do not count.
        let quiet = format!(
            "const a = \"{0}\"; const b = '{0}'; // {0}\n/* {0} */ const c = `{0}`; const d = /\\(/;",
            "(".repeat(n + 10)
        );
        assert!(
            parse(&quiet).diagnostics.is_empty(),
            "{:?}",
            parse(&quiet).diagnostics
        );
        // Template substitutions nest: `${` counts, and text after `}` is template text again.
        let tpl = format!(
            "const a = `{}x{}`;",
            "${`".repeat(n / 2 + 1),
            "`}".repeat(n / 2 + 1)
        );
        assert_eq!(parse(&tpl).diagnostics.len(), 0);
        let tpl_deep = format!(
            "const a = `{}x{}`;",
            "${(".repeat(n / 2 + 1),
            ")}".repeat(n / 2 + 1)
        );
        assert_eq!(parse(&tpl_deep).diagnostics.len(), 1);
    }

    #[test]
    fn parentheses_after_angle_brackets_have_their_own_limit() {
        let n = MAX_ANGLE_PARENS as usize;
        // `a<(` at the limit, also with white space between: fine, and fast.
        let ok = format!("const x = {}b{};", "a <\n(".repeat(n), ")".repeat(n));
        assert!(
            parse(&ok).diagnostics.is_empty(),
            "{:?}",
            parse(&ok).diagnostics
        );
        // Closed ones do not add up; other brackets do not count.
        let siblings = format!("const x = [{}];", "f<(A)>(1), ".repeat(3 * n));
        assert!(parse(&siblings).diagnostics.is_empty());
        // One deeper: a diagnostic at its `(`, before oxc sees the file.
        let deep = format!("const x = {}b{};", "a<(".repeat(n + 1), ")".repeat(n + 1));
        let r = parse(&deep);
        assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
        assert!(
            r.diagnostics[0].message.contains("after `<`"),
            "{:?}",
            r.diagnostics
        );
        let span = r.diagnostics[0].primary().unwrap().at.span;
        assert_eq!(span.start as usize, "const x = ".len() + 3 * n + 2);
        // In strings and comments they do not count.
        let quiet = format!("const s = \"{0}\"; // {0}\n", "a<(".repeat(n + 5));
        assert!(parse(&quiet).diagnostics.is_empty());
    }

    #[test]
    fn long_member_chains_do_not_overflow() {
        // No brackets, so only the expression-depth limit guards the recursion.
        // On a thread like the ones that parse in production (the test
        // harness's own threads have 2 MiB, less than any of those).
        let worker = std::thread::Builder::new()
            .stack_size(super::THREAD_STACK_SIZE)
            .spawn(|| {
                let chain = format!("export const a = x{};", ".b".repeat(100_000));
                parse(&chain).module.binding("a").is_some()
            })
            .expect("spawn");
        assert!(worker.join().expect("no overflow"));
    }

    #[test]
    fn oxc_panic_becomes_a_diagnostic() {
        // oxc 0.146 panics (slices past the end) on a string module export
        // name whose value ends in `\u`; found by the `codegen` fuzz target.
        for text in [
            "import { \"\\\\u\" as x } from \"./y\";",
            "export { x as \"\\\\u1\" };\nconst x = 1;",
            "import { \"\\\\u\u{e9}\" as x } from \"./y\";",
        ] {
            let r = parse(text);
            assert_eq!(r.diagnostics.len(), 1, "{text}: {:?}", r.diagnostics);
            assert_eq!(r.diagnostics[0].code, Code::SyntaxError);
            assert!(r.diagnostics[0].message.contains("internal error in oxc"));
        }
        // The guard leaves other files alone, and a later parse still works.
        let r = parse("import { \"a\" as x } from \"./y\";");
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert_eq!(r.module.imports.len(), 1);
    }

    #[test]
    fn syntax_error_has_exact_span() {
        let r = parse("const a = defineTable({ name: v.string( });");
        assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
        let d = &r.diagnostics[0];
        assert_eq!(d.code, Code::SyntaxError);
        let span = d.primary().unwrap().at.span;
        assert_eq!(span.start, 40);
    }

    #[test]
    fn imports_bindings_and_exports() {
        let r = parse(
            r#"import { a as b, c } from "./x";
import d from "y";
import * as ns from "z";
const local = 1;
export const e = { ...b, k: "s", [x]: 1 };
export { local as renamed };
export default -2.5;
"#,
        );
        assert!(r.diagnostics.is_empty());
        let m = r.module;
        assert_eq!(m.imports.len(), 3);
        assert_eq!(
            m.imports[0].specifiers[0].kind,
            ImportKind::Named("a".into())
        );
        assert_eq!(m.imports[0].specifiers[0].local, "b");
        assert_eq!(m.imports[1].specifiers[0].kind, ImportKind::Default);
        assert_eq!(m.imports[2].specifiers[0].kind, ImportKind::Namespace);
        assert!(!m.binding("local").unwrap().exported);
        let e = m.binding("e").unwrap();
        assert!(e.exported);
        let ExprKind::Object(props) = &e.init.as_ref().unwrap().kind else {
            panic!("object")
        };
        assert!(matches!(props[0], Property::Spread { .. }));
        assert!(matches!(&props[1], Property::KeyValue { key, .. } if key == "k"));
        assert!(matches!(props[2], Property::Unsupported { .. }));
        assert_eq!(m.export_aliases[0].exported, "renamed");
        assert!(matches!(
            &m.default_export.as_ref().unwrap().kind,
            ExprKind::Number { raw, .. } if raw == "-2.5"
        ));
    }

    #[test]
    fn handler_db_calls_and_params() {
        let src = r#"export const list = query.input({}).query(async ({ ctx, args: { channelId: cid, limit } }) => {
  const x = await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", cid).gt("createdAt", 5)).order("desc").take(limit ?? 50);
  await ctx.db.insert("messages", { channelId: cid, ...rest, text: `hi` });
  return x;
});"#;
        let r = parse(src);
        assert!(r.diagnostics.is_empty());
        let init = r.module.binding("list").unwrap().init.clone().unwrap();
        let ExprKind::Call { args, .. } = init.kind else {
            panic!()
        };
        let ExprKind::Function(f) = &args[0].kind else {
            panic!()
        };
        let Pattern::Object { props, .. } = &f.params[0] else {
            panic!()
        };
        assert_eq!(props[1].key.as_deref(), Some("args"));
        assert_eq!(f.db_calls.len(), 2);
        let q = &f.db_calls[0];
        assert_eq!(q.method, "query");
        assert_eq!(q.table().unwrap().0, "messages");
        let idx = q.index.as_ref().unwrap();
        assert_eq!(idx.name.as_deref(), Some("by_channel"));
        assert!(idx.conditions_known);
        assert_eq!(idx.conditions.len(), 2);
        assert_eq!(idx.conditions[0].method, "eq");
        assert_eq!(idx.conditions[0].field.as_ref().unwrap().0, "channelId");
        assert_eq!(
            idx.conditions[0].value.as_ref().unwrap().kind,
            ExprKind::Ident("cid".into())
        );
        assert_eq!(idx.conditions[1].method, "gt");
        let ins = &f.db_calls[1];
        assert_eq!(ins.method, "insert");
        let ExprKind::Object(props) = &ins.args[1].kind else {
            panic!()
        };
        assert_eq!(props.len(), 3);
        assert!(
            matches!(&props[2], Property::KeyValue { value, .. } if value.as_str() == Some("hi"))
        );
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "",
            "export const",
            "export default defineSchema({",
            "query.input({ a: v.string( }).query(async ({ ctx }) => ctx.db.query(",
            "\u{0}\u{1}\u{2}",
            "}}}}))))",
            "ctx.db.query('x').withIndex(",
            "export const x = ctx.db.query().withIndex('a', q => q.eq().gt(1,2,3))",
            "const a = `${",
            "export default class {}",
        ];
        for i in inputs {
            let _ = parse(i);
            // every prefix of a realistic file, too
        }
        let src = r#"import { query, v } from "./_generated/server";
export const list = query.input({ id: v.id("t") }).query(async ({ ctx, args }) => ctx.db.query("t").withIndex("i", (q) => q.eq("a", args.id)).collect());"#;
        for end in 0..=src.len() {
            if src.is_char_boundary(end) {
                let _ = parse(&src[..end]);
            }
        }
    }
}
