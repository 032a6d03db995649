//! Function-body analysis: one walk over a function's body collects what the
//! analyzer checks there, each list in source order: `ctx.db` calls (with
//! their `withIndex`/`withSearchIndex` uses), calls that may hand `ctx` to a
//! helper, `ctx.scheduler` calls, `ctx.storage` members and `ctx.vectorSearch`.

use oxc_ast::ast;
use oxc_ast_visit::{Visit, walk};
use oxc_span::GetSpan;

use crate::expr::{Body, MAX_EXPR_DEPTH, lower_expr, own, sp, unsupported};
use crate::span::Span;
use crate::summary::*;

/// Fills `summary`'s body lists from a function expression's body: the
/// [`crate::expr::Bodies`] collector of the module level.
pub(crate) fn collect(body: Body<'_, '_>, summary: &mut FunctionSummary) {
    match body {
        Body::Arrow(b) => collect_arrow_body(b, summary),
        Body::Function(b) => collect_function_body(b, summary),
    }
}

/// Fills `summary`'s body lists from an arrow function's body.
pub(crate) fn collect_arrow_body(body: &ast::ArrowFunctionBody<'_>, summary: &mut FunctionSummary) {
    let mut c = DbCollector::default();
    c.visit_arrow_function_body(body);
    c.finish(summary);
}

/// Fills `summary`'s body lists from a function's body.
pub(crate) fn collect_function_body(body: &ast::FunctionBody<'_>, summary: &mut FunctionSummary) {
    let mut c = DbCollector::default();
    c.visit_function_body(body);
    c.finish(summary);
}

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
        self.helper_call(it);
        self.scheduler_call(it);
        self.db_call_or_index_use(it);
        walk::walk_call_expression(self, it);
    }
}

impl DbCollector {
    /// `f(x, ...)` or `h.f(x, ...)` with a plain identifier among the
    /// arguments: a call that may hand `ctx` to a helper.
    fn helper_call(&mut self, it: &ast::CallExpression<'_>) {
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
        if !plain_callee {
            return;
        }
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
                callee: lower_expr(&it.callee, None),
                args,
                span: sp(it.span),
            });
        }
    }

    /// `<ident>.scheduler.<method>(...)`.
    fn scheduler_call(&mut self, it: &ast::CallExpression<'_>) {
        if let Some((scheduler, method)) = scheduler_method(&it.callee) {
            self.scheduler_calls.push(SchedulerCall {
                method: own(&method.name),
                method_span: sp(method.span),
                scheduler_span: scheduler,
                span: sp(it.span),
                args: lower_args(it),
            });
        }
    }

    /// `<expr>.db.<method>(...)`, or a `withIndex`/`withSearchIndex` call on
    /// a chain rooted at `<expr>.db.query(...)` (joined to its query in
    /// [`DbCollector::finish`]).
    fn db_call_or_index_use(&mut self, it: &ast::CallExpression<'_>) {
        if let Some(method) = db_method(&it.callee) {
            self.calls.push(DbCall {
                method: own(&method.name),
                method_span: sp(method.span),
                span: sp(it.span),
                args: lower_args(it),
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
    }
}

/// A call's arguments lowered without function bodies; a spread is unsupported.
fn lower_args(call: &ast::CallExpression<'_>) -> Vec<Expr> {
    call.arguments
        .iter()
        .map(|a| match a.as_expression() {
            Some(e) => lower_expr(e, None),
            None => unsupported("a spread argument", a.span()),
        })
        .collect()
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
        Some(cb) => match index_callback(cb) {
            Some((param, body)) => known = conditions_of(body, param, &mut conditions),
            None => known = false,
        },
    }
    IndexUse {
        search: false,
        name,
        name_span,
        conditions,
        conditions_known: known,
    }
}

/// `(q) => <body>` or `function (q) { return <body>; }` → `q` and `<body>`.
fn index_callback<'b, 'a>(
    cb: &'b ast::Expression<'a>,
) -> Option<(&'b str, &'b ast::Expression<'a>)> {
    match cb.without_parentheses() {
        ast::Expression::ArrowFunctionExpression(f) => {
            let body = match &f.body {
                ast::ArrowFunctionBody::FunctionBody(b) => single_return(b),
                other => other.as_expression(),
            };
            first_param(&f.params).zip(body)
        }
        ast::Expression::FunctionExpression(f) => {
            first_param(&f.params).zip(f.body.as_deref().and_then(single_return))
        }
        _ => None,
    }
}

/// The name of a function's first parameter, when it is a plain identifier.
fn first_param<'b>(params: &'b ast::FormalParameters<'_>) -> Option<&'b str> {
    params.items.first().and_then(|p| match &p.pattern {
        ast::BindingPattern::BindingIdentifier(id) => Some(id.name.as_str()),
        _ => None,
    })
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
                .map(|e| lower_expr(e, None));
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
    use crate::parse::tests::parse;
    use crate::summary::*;

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
}
