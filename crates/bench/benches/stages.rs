//! In-process stage benchmarks per size: the parse-only floor over the same
//! files, analyze (parse + lowering + every check, from a `MemFs`), emit, and
//! the migration diff (empty history → the schema's global tables).
//!
//! `cargo bench -p lunora_bench` (all sizes), or `-- medium` to filter.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use lunora_bench::{Size, app, mem_fs, parse_all};
use lunora_emit::migrate::{Pair, Renames, Tables, diff, tables_of};

fn stages(c: &mut Criterion) {
    for (name, size) in [
        ("small", Size::Small),
        ("medium", Size::Medium),
        ("large", Size::Large),
    ] {
        let root = Path::new("/app");
        let files = app(size);
        let fs = mem_fs(root, &files);
        let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
        let analyzed = lunora_analyzer::analyze(root, &fs);
        assert!(analyzed.diagnostics.is_empty(), "{name} is not clean");
        let Some(ir) = analyzed.ir else {
            panic!("{name}: no IR");
        };
        let next = tables_of(&ir);
        let empty = Tables::default();

        let mut g = c.benchmark_group(name);
        if size == Size::Large {
            g.sample_size(20);
        }
        g.bench_function("parse_only", |b| b.iter(|| parse_all(black_box(&texts))));
        g.bench_function("analyze", |b| {
            b.iter(|| lunora_analyzer::analyze(root, black_box(&fs)))
        });
        g.bench_function("emit", |b| {
            b.iter(|| lunora_emit::emit_generated(black_box(&ir)))
        });
        g.bench_function("migrate_diff", |b| {
            b.iter(|| {
                diff(
                    Pair {
                        previous: black_box(&empty),
                        next: black_box(&next),
                    },
                    &Renames::default(),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
