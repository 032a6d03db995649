//! The generated apps are valid Lunora apps: zero diagnostics (errors and
//! warnings), the expected shape, and byte-for-byte determinism.

use std::path::Path;

use lunora_analyzer::{Placement, analyze};
use lunora_bench::{Params, Size, app, generate, mem_fs, parse_all};

fn check_clean(size: Size) -> lunora_analyzer::Ir {
    let root = Path::new("/app");
    let files = app(size);
    let fs = mem_fs(root, &files);
    let out = analyze(root, &fs);
    assert!(
        out.diagnostics.is_empty(),
        "{size:?}: {} diagnostics, first: {:?}",
        out.diagnostics.len(),
        out.diagnostics.first()
    );
    let ir = out.ir.expect("an IR");
    let emitted = lunora_emit::emit_generated(&ir);
    assert!(!emitted.files.is_empty());
    ir
}

#[test]
fn small_is_the_chat_app_and_clean() {
    let ir = check_clean(Size::Small);
    assert!(ir.table_by_name("messages").is_some());
    assert_eq!(ir.functions.len(), 2);
}

#[test]
fn medium_is_clean_and_has_the_requested_shape() {
    let ir = check_clean(Size::Medium);
    // 50 schema tables + the built-in `users`.
    assert_eq!(ir.tables.len(), 51);
    assert_eq!(ir.functions.len(), 100 * 5);
    let count = |p: fn(&Placement) -> bool| ir.tables.iter().filter(|t| p(&t.placement)).count();
    assert_eq!(count(|p| matches!(p, Placement::Global)), 10 + 1);
    assert_eq!(count(|p| matches!(p, Placement::Root)), 10);
    assert_eq!(count(|p| matches!(p, Placement::Shard { .. })), 30);
    for t in ir.tables.iter().filter(|t| !t.builtin) {
        assert!(
            (5..=20).contains(&t.fields.len()),
            "{}: {} fields",
            t.name,
            t.fields.len()
        );
        assert!(
            (1..=4).contains(&t.indexes.len()),
            "{}: {} indexes",
            t.name,
            t.indexes.len()
        );
    }
}

#[test]
fn a_small_generated_app_is_clean() {
    let p = Params {
        tables: 12,
        modules: 9,
        functions_per_module: 4,
        seed: 7,
    };
    let root = Path::new("/app");
    let files = generate(&p);
    let out = analyze(root, &mem_fs(root, &files));
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics.first());
    assert_eq!(out.ir.expect("an IR").functions.len(), 9 * 4);
}

#[test]
fn generation_is_deterministic_and_seeded() {
    let p = Size::Medium.params().expect("params");
    assert_eq!(generate(&p), generate(&p));
    let other = generate(&Params {
        seed: p.seed + 1,
        ..p
    });
    assert_ne!(generate(&p), other);
}

#[test]
fn large_has_ten_thousand_functions_in_two_thousand_modules() {
    let files = app(Size::Large);
    assert_eq!(files.len(), 2_000 + 1);
    // Every module exports its functions (the schema exports `schema`).
    let exports: usize = files
        .iter()
        .filter(|f| f.path != "lunora/schema.ts")
        .map(|f| f.text.matches("export const ").count())
        .sum();
    assert_eq!(exports, 10_000);
    // Every file is valid TypeScript for oxc (the floor parses it all).
    let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
    assert!(parse_all(&texts) > 10_000);
}
