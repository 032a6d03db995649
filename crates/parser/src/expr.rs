//! Lowering of expressions (and function parameters) into owned [`Expr`]
//! trees: the values the analyzer evaluates statically, such as validators,
//! table definitions and function builders. A function expression's body is
//! handed to the [`Bodies`] collector the caller passes (body analysis lives in
//! `body.rs`, which uses this module; this module does not use it).

use std::sync::Arc;

use oxc_ast::ast;
use oxc_span::GetSpan;

use crate::span::Span;
use crate::summary::*;

/// An owned copy of an oxc atom's text. A plain copy: `Atom::to_string` goes
/// through `Display`. A function (not inline code) so `lower_expr`'s debug
/// stack frame stays small: its recursion depth is bounded, not its frame.
pub(crate) fn own(s: &str) -> String {
    s.to_owned()
}

pub(crate) fn sp(span: oxc_span::Span) -> Span {
    Span::from(span)
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

pub(crate) fn unsupported(what: &'static str, span: oxc_span::Span) -> Expr {
    Expr {
        kind: ExprKind::Unsupported { what },
        span: sp(span),
    }
}

/// Deepest expression tree `lower_expr` lowers (and `DbCollector` walks):
/// chains such as `a.b.b.b…` nest without brackets, so
/// [`MAX_NESTING`](crate::parse::MAX_NESTING) does not bound them. Deeper
/// parts become `Unsupported` instead of overflowing the stack.
pub const MAX_EXPR_DEPTH: u32 = 512;

thread_local! {
    static EXPR_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A function expression's body, as [`Bodies`] receives it.
pub(crate) enum Body<'b, 'a> {
    Arrow(&'b ast::ArrowFunctionBody<'a>),
    Function(&'b ast::FunctionBody<'a>),
}

/// What becomes of the bodies of the function expressions met while lowering:
/// `None` keeps their parameters only; `Some(collect)` fills each one's
/// [`FunctionSummary`] (the module level passes body analysis here).
pub(crate) type Bodies = Option<fn(Body<'_, '_>, &mut FunctionSummary)>;

/// Lowers an expression. `collect` says whether function expressions get their
/// bodies summarized (params and `ctx.db` calls), and how.
pub(crate) fn lower_expr(e: &ast::Expression<'_>, collect: Bodies) -> Expr {
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

fn lower_expr_inner(e: &ast::Expression<'_>, collect: Bodies) -> Expr {
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
fn lower_object(o: &ast::ObjectExpression<'_>, collect: Bodies) -> ExprKind {
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
fn lower_arrow(f: &ast::ArrowFunctionExpression<'_>, collect: Bodies) -> ExprKind {
    let mut summary = FunctionSummary {
        span: sp(f.span),
        params: lower_params(&f.params),
        ..FunctionSummary::default()
    };
    if let Some(collect) = collect {
        collect(Body::Arrow(&f.body), &mut summary);
    }
    ExprKind::Function(Arc::new(summary))
}

#[inline(never)]
pub(crate) fn lower_function(f: &ast::Function<'_>, collect: Bodies) -> ExprKind {
    let mut summary = FunctionSummary {
        span: sp(f.span),
        params: lower_params(&f.params),
        ..FunctionSummary::default()
    };
    if let Some(collect) = collect
        && let Some(body) = &f.body
    {
        collect(Body::Function(body), &mut summary);
    }
    ExprKind::Function(Arc::new(summary))
}

#[cfg(test)]
mod tests {
    use crate::parse::tests::parse;

    #[test]
    fn long_member_chains_do_not_overflow() {
        // No brackets, so only the expression-depth limit guards the recursion.
        // On a thread like the ones that parse in production (the test
        // harness's own threads have 2 MiB, less than any of those).
        let worker = std::thread::Builder::new()
            .stack_size(crate::parse::THREAD_STACK_SIZE)
            .spawn(|| {
                let chain = format!("export const a = x{};", ".b".repeat(100_000));
                parse(&chain).module.binding("a").is_some()
            })
            .expect("spawn");
        assert!(worker.join().expect("no overflow"));
    }
}
