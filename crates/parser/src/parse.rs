//! Parses one file with oxc and lowers it into an owned [`ModuleSummary`]:
//! the module level (imports, exports, top-level declarations and
//! statements) is lowered here; expressions in `expr.rs`, function bodies
//! in `body.rs`; `nesting.rs` refuses files nested too deep before oxc sees
//! them, and `diagnostics.rs` builds every diagnostic the parser reports.

use oxc_allocator::Allocator;
use oxc_ast::ast;
use oxc_span::{GetSpan, SourceType};

use crate::diagnostic::Diagnostic;
use crate::diagnostics;
use crate::expr::{Bodies, lower_expr, lower_function, own, sp};
pub use crate::expr::{MAX_EXPR_DEPTH, number_text};
pub use crate::nesting::{MAX_ANGLE_PARENS, MAX_NESTING};
use crate::nesting::{TooDeep, too_deep};
use crate::source::SourceFile;
use crate::span::Span;
use crate::summary::*;

/// Module-level lowering summarizes function bodies (body analysis).
const BODIES: Bodies = Some(crate::body::collect);

/// What [`summarize`] returns: the module summary (partial when the file has
/// syntax errors) and the syntax diagnostics.
#[derive(Debug, Clone, Default)]
pub struct ParseReturn {
    pub module: ModuleSummary,
    pub diagnostics: Vec<Diagnostic>,
}

/// Stack size for every thread that parses, analyzes or emits (the CLI's main
/// thread has 8 MiB on Linux): the nesting limits ([`MAX_NESTING`],
/// [`MAX_ANGLE_PARENS`], [`MAX_EXPR_DEPTH`]) are sized so that the deepest
/// accepted file fits in it, so a file accepted in a small app (parsed on the
/// main thread) cannot overflow a worker thread in a large one.
pub const THREAD_STACK_SIZE: usize = 8 << 20;

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

fn lower_program(program: &ast::Program<'_>) -> ModuleSummary {
    let mut m = ModuleSummary::default();
    for stmt in &program.body {
        match stmt {
            ast::Statement::ImportDeclaration(d) => m.imports.push(lower_import(d)),
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
                    m.default_export = Some(lower_expr(e, BODIES));
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
                .push(Statement::Expr(lower_expr(&s.expression, BODIES))),
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

fn lower_import(d: &ast::ImportDeclaration<'_>) -> Import {
    let mut specifiers = Vec::new();
    for s in d.specifiers.iter().flatten() {
        specifiers.push(match s {
            ast::ImportDeclarationSpecifier::ImportSpecifier(s) => ImportSpecifier {
                kind: ImportKind::Named(export_name(&s.imported)),
                local: own(&s.local.name),
                span: sp(s.span),
            },
            ast::ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => ImportSpecifier {
                kind: ImportKind::Default,
                local: own(&s.local.name),
                span: sp(s.span),
            },
            ast::ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => ImportSpecifier {
                kind: ImportKind::Namespace,
                local: own(&s.local.name),
                span: sp(s.span),
            },
        });
    }
    Import {
        source: own(&d.source.value),
        source_span: sp(d.source.span),
        specifiers,
        type_only: d.import_kind.is_type(),
    }
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
                        init: d.init.as_ref().map(|e| lower_expr(e, BODIES)),
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
                        kind: lower_function(f, BODIES),
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::code::Code;
    use crate::span::FileId;

    pub(crate) fn parse(text: &str) -> ParseReturn {
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
