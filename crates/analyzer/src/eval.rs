//! Static evaluation of the analyzable subset: literals, `const` bindings,
//! imports of them from relative modules (followed across files), object
//! spreads, and calls/members kept symbolically for the schema and builders.

use std::collections::HashMap;
use std::sync::Arc;

use lunora_parser::summary::{BindingKind, Expr, ExprKind, FunctionSummary, ImportKind, Property};
use lunora_parser::{Code, Diagnostic, FileId, FileSpan, Span};

use crate::load::{Loader, is_generated_server};

/// An evaluated value; `at` is where it was written.
#[derive(Debug, Clone)]
pub struct Val {
    pub kind: ValKind,
    pub at: FileSpan,
}

#[derive(Debug, Clone)]
pub enum ValKind {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Object(Vec<Entry>),
    Array(Vec<Val>),
    /// A value imported from a package or from `_generated/`: `source` is the
    /// import source (`lunorash/server`, or `_generated/server` for the
    /// generated module), `name` the imported name (`*` for a namespace).
    Extern {
        source: String,
        name: String,
    },
    Member {
        object: Box<Val>,
        property: String,
        property_at: FileSpan,
    },
    Call {
        callee: Box<Val>,
        args: Vec<Val>,
    },
    Function(Arc<FunctionSummary>),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_at: FileSpan,
    pub value: Val,
}

impl Val {
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            ValKind::Str(_) => "a string",
            ValKind::Num(_) => "a number",
            ValKind::Bool(_) => "a boolean",
            ValKind::Null => "`null`",
            ValKind::Object(_) => "an object",
            ValKind::Array(_) => "an array",
            ValKind::Extern { .. } => "an imported value",
            ValKind::Member { .. } => "a member access",
            ValKind::Call { .. } => "a call",
            ValKind::Function(_) => "a function",
        }
    }

    /// `Some(name)` if this is an extern (imported) value.
    pub fn extern_name(&self) -> Option<&str> {
        match &self.kind {
            ValKind::Extern { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// The evaluator: memoizes consts per (file, name) and detects cycles.
pub struct Eval {
    memo: HashMap<(FileId, String), Option<Val>>,
    /// Per file, names imported from a package or `_generated/` and their
    /// value (an `Extern`, `at` aside): every `v.string()` of every function
    /// resolves `v`, so this skips path normalization for all but the first.
    externs: HashMap<FileId, HashMap<String, ValKind>>,
    stack: Vec<(FileId, String, Span)>,
}

/// What the evaluator reports a value it cannot read statically as: the code
/// and the help, per caller (the schema, function args, `crons.ts`, `http.ts`).
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub code: Code,
    pub help: &'static str,
}

impl Mode {
    /// The schema (`not-static`).
    pub const SCHEMA: Mode = Mode {
        code: Code::NotStatic,
        help: crate::diagnostics::SCHEMA_HELP,
    };
    /// Function args and `returns` validators (`args/not-static`).
    pub const ARGS: Mode = Mode {
        code: Code::ArgsNotStatic,
        help: crate::diagnostics::ARGS_HELP,
    };

    fn not_static(self, file: FileId, span: Span, what: &str) -> Diagnostic {
        crate::diagnostics::not_static(self.code, self.help, file, span, what)
    }
}

impl Eval {
    pub fn new() -> Self {
        Self {
            memo: HashMap::new(),
            externs: HashMap::new(),
            stack: Vec::new(),
        }
    }

    pub fn eval(
        &mut self,
        ld: &mut Loader<'_>,
        file: FileId,
        e: &Expr,
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Val> {
        let at = FileSpan::new(file, e.span);
        let kind = match &e.kind {
            ExprKind::String(s) => ValKind::Str(s.clone()),
            ExprKind::Number { raw, .. } => ValKind::Num(raw.clone()),
            ExprKind::Boolean(b) => ValKind::Bool(*b),
            ExprKind::Null => ValKind::Null,
            ExprKind::Ident(name) => {
                let mut v = self.ident(ld, file, name, e.span, mode, d)?;
                // Keep the original position for literals, where they were used
                // is more useful; for composite values keep the definition.
                if matches!(v.kind, ValKind::Extern { .. } | ValKind::Function(_)) {
                    v.at = at;
                }
                return Some(v);
            }
            ExprKind::Member {
                object,
                property,
                property_span,
            } => {
                let obj = self.eval(ld, file, object, mode, d)?;
                let property_at = FileSpan::new(file, *property_span);
                return member(at, obj, property, property_at, mode, d);
            }
            ExprKind::Call { callee, args } => {
                let callee = self.eval(ld, file, callee, mode, d);
                let out = self.eval_all(ld, file, args, mode, d);
                let callee = callee?;
                let out = out?;
                if !matches!(callee.kind, ValKind::Extern { .. } | ValKind::Member { .. }) {
                    d.push(mode.not_static(file, e.span, "a call of a local value"));
                    return None;
                }
                ValKind::Call {
                    callee: Box::new(callee),
                    args: out,
                }
            }
            ExprKind::Object(props) => ValKind::Object(self.object(ld, file, props, mode, d)?),
            ExprKind::Array(items) => ValKind::Array(self.eval_all(ld, file, items, mode, d)?),
            ExprKind::Function(f) => ValKind::Function(f.clone()),
            ExprKind::Unsupported { what } => {
                d.push(mode.not_static(file, e.span, &capitalize(what)));
                return None;
            }
        };
        Some(Val { kind, at })
    }

    /// Evaluates every expression of `items` (reporting each that fails);
    /// `None` when any did.
    fn eval_all(
        &mut self,
        ld: &mut Loader<'_>,
        file: FileId,
        items: &[Expr],
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Val>> {
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for i in items {
            match self.eval(ld, file, i, mode, d) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The entries of an object literal, spreads of objects flattened in
    /// (later keys shadow earlier ones when read); `None` when any property
    /// failed (each reported).
    fn object(
        &mut self,
        ld: &mut Loader<'_>,
        file: FileId,
        props: &[Property],
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Entry>> {
        let mut entries = Vec::with_capacity(props.len());
        let mut ok = true;
        for p in props {
            match p {
                Property::KeyValue {
                    key,
                    key_span,
                    value,
                } => match self.eval(ld, file, value, mode, d) {
                    Some(v) => entries.push(Entry {
                        key: key.clone(),
                        key_at: FileSpan::new(file, *key_span),
                        value: v,
                    }),
                    None => ok = false,
                },
                Property::Spread { expr, span } => match self.eval(ld, file, expr, mode, d) {
                    Some(Val {
                        kind: ValKind::Object(inner),
                        ..
                    }) => entries.extend(inner),
                    Some(v) => {
                        d.push(mode.not_static(
                            file,
                            *span,
                            &format!("a spread of {}", v.describe()),
                        ));
                        ok = false;
                    }
                    None => ok = false,
                },
                Property::Unsupported { what, span } => {
                    d.push(mode.not_static(file, *span, &capitalize(what)));
                    ok = false;
                }
            }
        }
        ok.then_some(entries)
    }

    /// Resolves identifier `name` used at `span` in `file`.
    pub fn ident(
        &mut self,
        ld: &mut Loader<'_>,
        file: FileId,
        name: &str,
        span: Span,
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Val> {
        let at = FileSpan::new(file, span);
        if let Some(kind) = self.externs.get(&file).and_then(|m| m.get(name)) {
            return Some(Val {
                kind: kind.clone(),
                at,
            });
        }
        // Shared, so the initializer is borrowed while `ld` loads imports.
        let module = ld.module_arc(file);
        if let Some(b) = module.binding(name) {
            let (kind, bspan, init) = (b.kind, b.span, b.init.as_ref());
            return match (kind, init) {
                (BindingKind::Const, Some(init)) => {
                    self.konst(ld, file, name, bspan, span, init, mode, d)
                }
                _ => {
                    d.push(
                        mode.not_static(
                            file,
                            span,
                            &format!("`{name}`, a `{}` binding,", kind.as_str()),
                        )
                        .and_label(file, bspan, "declared here"),
                    );
                    None
                }
            };
        }
        if let Some((imp, spec)) = module.import_of(name) {
            let import = ImportSpec {
                source: imp.source.clone(),
                source_span: imp.source_span,
                kind: spec.kind.clone(),
                spec_span: spec.span,
            };
            return self.imported(ld, at, name, import, mode, d);
        }
        d.push(
            mode.not_static(
                file,
                span,
                &format!("`{name}`, which is not declared in this file,"),
            )
            .with_help(format!(
                "declare `{name}` as a `const` in this file or import it; {}",
                mode.help
            )),
        );
        None
    }

    /// The value of `name`, used at `at` and imported by `import`: an
    /// extern for a package or `_generated/`, else the export of the local
    /// module it names.
    fn imported(
        &mut self,
        ld: &mut Loader<'_>,
        at: FileSpan,
        name: &str,
        import: ImportSpec,
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Val> {
        let file = at.file;
        let ImportSpec {
            source,
            source_span,
            kind,
            spec_span,
        } = import;
        let from = ld.files.get(file).path.clone();
        let base = match ld.resolve(&from, &source) {
            Ok(Some(base)) => base,
            Ok(None) => return Some(self.extern_val(at, name, source, kind)),
            Err(()) => {
                d.push(crate::diagnostics::unresolved_import(
                    file,
                    source_span,
                    &source,
                ));
                return None;
            }
        };
        if is_generated_server(&base) || base.starts_with("lunora/_generated/") {
            let source = "_generated/server".to_string();
            return Some(self.extern_val(at, name, source, kind));
        }
        let Some(target_path) = ld.module_file(&base) else {
            d.push(crate::diagnostics::unresolved_import(
                file,
                source_span,
                &source,
            ));
            return None;
        };
        let target = ld.load(&target_path, d)?;
        match kind {
            ImportKind::Named(n) => self.export(ld, target, &n, file, spec_span, mode, d),
            ImportKind::Default => self.export(ld, target, "default", file, spec_span, mode, d),
            ImportKind::Namespace => {
                d.push(mode.not_static(file, spec_span, "A namespace import of a local module"));
                None
            }
        }
    }

    /// The extern value of `name`, imported from `source` and used at `at`;
    /// remembered for the file's later uses.
    fn extern_val(&mut self, at: FileSpan, name: &str, source: String, kind: ImportKind) -> Val {
        let kind = ValKind::Extern {
            source,
            name: import_name(kind),
        };
        self.remember_extern(at.file, name, &kind);
        Val { kind, at }
    }

    fn remember_extern(&mut self, file: FileId, name: &str, kind: &ValKind) {
        self.externs
            .entry(file)
            .or_default()
            .insert(name.to_string(), kind.clone());
    }

    /// The value of export `name` of module `target`; `use_file/use_span` is
    /// the import specifier that asked for it.
    #[expect(
        clippy::too_many_arguments,
        reason = "(target, name) and (use_file, use_span) are one export and one use; a struct would only rename them"
    )]
    fn export(
        &mut self,
        ld: &mut Loader<'_>,
        target: FileId,
        name: &str,
        use_file: FileId,
        use_span: Span,
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Val> {
        let module = ld.module_arc(target);
        if name == "default" {
            if let Some(e) = &module.default_export {
                let key = (target, "default".to_string());
                if let Some(v) = self.memo.get(&key) {
                    return v.clone();
                }
                let v = self.eval(ld, target, e, mode, d);
                self.memo.insert(key, v.clone());
                return v;
            }
        } else if let Some(b) = module
            .bindings
            .iter()
            .find(|b| b.exported && b.name == name)
        {
            let span = b.span;
            return self.ident(ld, target, name, span, mode, d);
        } else if let Some(a) = module.export_aliases.iter().find(|a| a.exported == name) {
            let (local, span) = (a.local.clone(), a.span);
            return self.ident(ld, target, &local, span, mode, d);
        } else if let Some(r) = module
            .reexports
            .iter()
            .find(|r| r.exported.as_deref() == Some(name) && r.imported.is_some())
        {
            let (source, source_span, imported) = (
                r.source.clone(),
                r.source_span,
                r.imported.clone().unwrap_or_default(),
            );
            let from = ld.files.get(target).path.clone();
            let path = match ld.resolve(&from, &source) {
                Ok(Some(base)) => ld.module_file(&base),
                _ => None,
            };
            let Some(path) = path else {
                d.push(crate::diagnostics::unresolved_import(
                    target,
                    source_span,
                    &source,
                ));
                return None;
            };
            let next = ld.load(&path, d)?;
            if self.stack.len() > 64 {
                return None;
            }
            self.stack
                .push((target, format!("export {name}"), source_span));
            let v = self.export(ld, next, &imported, target, source_span, mode, d);
            self.stack.pop();
            return v;
        }
        let path = ld.files.get(target).path.clone();
        d.push(crate::diagnostics::no_such_export(
            &path, name, use_file, use_span,
        ));
        None
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "(file, name, spans, init) identify one binding use; a struct would only rename them"
    )]
    fn konst(
        &mut self,
        ld: &mut Loader<'_>,
        file: FileId,
        name: &str,
        decl_span: Span,
        use_span: Span,
        init: &Expr,
        mode: Mode,
        d: &mut Vec<Diagnostic>,
    ) -> Option<Val> {
        let key = (file, name.to_string());
        if let Some(v) = self.memo.get(&key) {
            return v.clone();
        }
        if let Some(pos) = self
            .stack
            .iter()
            .position(|(f, n, _)| *f == file && n == name)
        {
            let cycle: Vec<_> = self.stack[pos..].to_vec();
            d.push(crate::diagnostics::cyclic_const(
                name, &cycle, file, use_span,
            ));
            // Memoize failure for every member so the cycle is reported once.
            for (f, n, _) in cycle {
                self.memo.insert((f, n), None);
            }
            return None;
        }
        if self.stack.len() > 256 {
            return None;
        }
        self.stack.push((file, name.to_string(), decl_span));
        let v = self.eval(ld, file, init, mode, d);
        self.stack.pop();
        self.memo.entry(key).or_insert(v).clone()
    }
}

/// An import specifier, copied out of its module's summary.
struct ImportSpec {
    source: String,
    source_span: Span,
    kind: ImportKind,
    spec_span: Span,
}

/// Member `property` (at `property_at`) of the value `obj`, read at `at`:
/// the entry of an object, the named import of a namespace, else kept
/// symbolically. `None` when the object has no such entry (reported).
fn member(
    at: FileSpan,
    obj: Val,
    property: &str,
    property_at: FileSpan,
    mode: Mode,
    d: &mut Vec<Diagnostic>,
) -> Option<Val> {
    let kind = match obj.kind {
        ValKind::Extern { source, name } if name == "*" => ValKind::Extern {
            source,
            name: property.to_string(),
        },
        ValKind::Object(entries) => {
            return match entries.iter().rev().find(|en| en.key == *property) {
                Some(en) => Some(en.value.clone()),
                None => {
                    d.push(mode.not_static(
                        property_at.file,
                        property_at.span,
                        &format!("property `{property}`, which the object does not have,"),
                    ));
                    None
                }
            };
        }
        _ => ValKind::Member {
            object: Box::new(obj),
            property: property.to_string(),
            property_at,
        },
    };
    Some(Val { kind, at })
}

/// What an import specifier imports: a name, `default` or `*`.
fn import_name(kind: ImportKind) -> String {
    match kind {
        ImportKind::Named(n) => n,
        ImportKind::Default => "default".to_string(),
        ImportKind::Namespace => "*".to_string(),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
