//! Never a silent drop (issue 15): in every valid fixture app, every export of
//! a function module whose initializer calls or chains a builder (`query`,
//! `mutation`, ..., imported from `_generated/server` or named like one and
//! imported from anywhere) is in the generated registry (`wiring.ts`) and in
//! the IR. Invalid apps get `functions/undiscoverable` instead
//! (`fixtures/invalid/functions--undiscoverable`).
//!
//! The check reads the modules with the parser alone, not with the analyzer's
//! discovery, so a discovery that skips an export cannot hide it here.

use std::path::{Path, PathBuf};

use lunora_engine::pipeline;
use lunora_parser::summary::{Expr, ExprKind, ImportKind, ModuleSummary, Property};
use lunora_parser::{FileId, OsFs, SourceFile, summarize};

const BUILDERS: &[&str] = &[
    "query",
    "mutation",
    "action",
    "internalQuery",
    "internalMutation",
    "internalAction",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Local names bound to a builder by a named import, and local names of
/// namespace imports (`import * as s from ...`, whose `s.query` is one).
struct Locals {
    builders: Vec<String>,
    namespaces: Vec<String>,
}

fn builder_locals(m: &ModuleSummary) -> Locals {
    let specifiers = || {
        m.imports
            .iter()
            .filter(|i| !i.type_only)
            .flat_map(|i| &i.specifiers)
    };
    Locals {
        builders: specifiers()
            .filter(|s| matches!(&s.kind, ImportKind::Named(n) if BUILDERS.contains(&n.as_str())))
            .map(|s| s.local.clone())
            .collect(),
        namespaces: specifiers()
            .filter(|s| s.kind == ImportKind::Namespace)
            .map(|s| s.local.clone())
            .collect(),
    }
}

/// Does `e` use one of `locals` outside function bodies?
fn uses_builder(e: &Expr, locals: &Locals) -> bool {
    match &e.kind {
        ExprKind::Ident(n) => locals.builders.contains(n),
        ExprKind::Member {
            object, property, ..
        } => {
            matches!(&object.kind, ExprKind::Ident(ns) if locals.namespaces.contains(ns))
                && BUILDERS.contains(&property.as_str())
                || uses_builder(object, locals)
        }
        ExprKind::Call { callee, args } => {
            uses_builder(callee, locals) || args.iter().any(|a| uses_builder(a, locals))
        }
        ExprKind::Object(props) => props.iter().any(|p| match p {
            Property::KeyValue { value, .. } => uses_builder(value, locals),
            Property::Spread { expr, .. } => uses_builder(expr, locals),
            Property::Unsupported { .. } => false,
        }),
        ExprKind::Array(items) => items.iter().any(|i| uses_builder(i, locals)),
        _ => false,
    }
}

/// `(module, export)` of every export that uses a builder.
fn function_like_exports(app: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(app.join("lunora"))
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let rel = entry
            .path()
            .strip_prefix(app)
            .expect("under the app")
            .to_string_lossy()
            .replace('\\', "/");
        if !entry.file_type().is_file() || !lunora_analyzer::is_function_module(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("fixture module is UTF-8");
        let parsed = summarize(&SourceFile::new(FileId(0), rel.clone(), text));
        assert!(parsed.diagnostics.is_empty(), "{rel} does not parse");
        let m = parsed.module;
        let locals = builder_locals(&m);
        let module = rel
            .strip_prefix("lunora/")
            .and_then(|r| r.strip_suffix(".ts"))
            .expect("a function module")
            .to_string();
        let mut names: Vec<String> = m
            .bindings
            .iter()
            .filter(|b| b.exported)
            .filter(|b| b.init.as_ref().is_some_and(|i| uses_builder(i, &locals)))
            .map(|b| b.name.clone())
            .collect();
        for a in &m.export_aliases {
            if let Some(b) = m.binding(&a.local)
                && b.init.as_ref().is_some_and(|i| uses_builder(i, &locals))
            {
                names.push(a.exported.clone());
            }
        }
        assert!(
            m.default_export
                .as_ref()
                .is_none_or(|e| !uses_builder(e, &locals)),
            "{rel}: a valid app exports no function as default"
        );
        out.extend(names.into_iter().map(|n| (module.clone(), n)));
    }
    out
}

#[test]
fn every_function_export_of_every_valid_fixture_is_registered() {
    let dir = repo_root().join("fixtures/valid");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/valid")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    apps.sort();
    let mut missing = Vec::new();
    let mut seen = 0;
    for app in &apps {
        let generated = pipeline::generate(app, &OsFs);
        let ir = generated.ir.as_ref().expect("a valid fixture has an IR");
        let wiring = generated
            .outputs
            .iter()
            .find(|f| f.path.ends_with("_generated/wiring.ts"))
            .expect("wiring.ts is generated");
        for (module, export) in function_like_exports(app) {
            seen += 1;
            let id = format!("{module}:{export}");
            let in_ir = ir
                .functions
                .iter()
                .any(|f| f.module == module && f.export_name == export);
            let in_wiring = wiring.contents.contains(&format!("\"{id}\": {{"));
            if !in_ir || !in_wiring {
                missing.push(format!("{}: {id}", app.display()));
            }
        }
    }
    assert!(seen > 0, "no function export found in any fixture");
    assert!(
        missing.is_empty(),
        "exports dropped from the registry: {missing:#?}"
    );
}
