//! The keeping [`Emitter`] equals a fresh [`emit_generated`] after every
//! change of some modules' functions, when told which modules changed:
//! functions added, removed, renamed, changed in kind, visibility or args;
//! modules gaining their first function and losing their last (the aliases
//! of `wiring.ts` shift); nested and `index` modules; an export name equal to
//! a child module's segment; duplicate export names; a `:` in a module name
//! (ids no longer group by module).

use lunora_analyzer::{
    Function, FunctionKind, Ir, IrChange, ObjectField, Placement, Route, SchemaExport, Validator,
    Visibility,
};
use lunora_emit::{Emitter, emit_generated};
use lunora_testkit::ir::{field, table};

/// Modules and their API paths (as the analyzer derives them).
const MODULES: &[(&str, &[&str])] = &[
    ("a", &["a"]),
    ("a/b", &["a", "b"]),
    ("a/b/c", &["a", "b", "c"]),
    ("a/index", &["a"]),
    ("a-b", &["a_b"]),
    ("b", &["b"]),
    ("b/x", &["b", "x"]),
    ("c:d", &["c_d"]),
    ("zeta", &["zeta"]),
];

const EXPORTS: &[&str] = &["list", "get", "b", "x", "send", "$weird", "with-dash"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn function(rng: &mut Rng, module: usize) -> Function {
    let (name, api_path) = MODULES[module];
    let kinds = [
        FunctionKind::Query,
        FunctionKind::Mutation,
        FunctionKind::Action,
    ];
    Function {
        module: name.into(),
        file: format!("lunora/{name}.ts"),
        api_path: api_path.iter().map(|s| s.to_string()).collect(),
        export_name: EXPORTS[rng.below(EXPORTS.len())].into(),
        span: None,
        kind: kinds[rng.below(3)],
        visibility: if rng.below(3) == 0 {
            Visibility::Internal
        } else {
            Visibility::Public
        },
        args: match rng.below(3) {
            0 => None,
            1 => Some(vec![]),
            _ => Some(vec![ObjectField {
                name: "n".into(),
                validator: if rng.below(2) == 0 {
                    Validator::Number
                } else {
                    Validator::Id("notes".into())
                },
            }]),
        },
        returns: None,
        route: if rng.below(2) == 0 {
            Route::Root
        } else {
            Route::Shard {
                key: "k".into(),
                arg: "n".into(),
            }
        },
        tables_read: vec![],
        tables_written: vec![],
    }
}

fn ir(functions: &[Vec<Function>]) -> Ir {
    let mut all: Vec<Function> = functions.iter().flatten().cloned().collect();
    all.sort_by(|a, b| (&a.module, &a.export_name).cmp(&(&b.module, &b.export_name)));
    Ir {
        tables: vec![table(
            "notes",
            vec![field("body", Validator::String)],
            vec![],
            Placement::Root,
        )],
        functions: all,
        modules: vec![],
        schema_export: SchemaExport::Named("schema".into()),
        http: None,
        crons: None,
        uses_storage: false,
    }
}

#[test]
fn a_kept_emitter_told_the_changed_modules_equals_a_fresh_emit() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for sequence in 0..40 {
        // Without the `c:d` module half the time: the block-wise path.
        let modules = if sequence % 2 == 0 {
            MODULES.len()
        } else {
            MODULES.len() - 2
        };
        let mut functions: Vec<Vec<Function>> = (0..MODULES.len())
            .map(|m| {
                if m >= modules {
                    return Vec::new();
                }
                let n = rng.below(4);
                (0..n).map(|_| function(&mut rng, m)).collect()
            })
            .collect();
        let mut emitter = Emitter::new();
        let mut buffers = emitter.update(&ir(&functions), &IrChange::Any);
        assert_eq!(buffers, emit_generated(&ir(&functions)).files);
        for step in 0..30 {
            let mut changed: Vec<String> = Vec::new();
            for _ in 0..1 + rng.below(2) {
                let m = rng.below(modules);
                let list = &mut functions[m];
                match rng.below(4) {
                    0 => list.push(function(&mut rng, m)),
                    1 if !list.is_empty() => {
                        let i = rng.below(list.len());
                        list.remove(i);
                    }
                    2 => list.clear(),
                    _ => {
                        let n = rng.below(4);
                        *list = (0..n).map(|_| function(&mut rng, m)).collect();
                    }
                }
                changed.push(MODULES[m].0.to_string());
            }
            changed.sort();
            changed.dedup();
            let now = ir(&functions);
            let kept =
                emitter.update_reusing(&now, &IrChange::Modules(changed.clone()), &mut buffers);
            let fresh = emit_generated(&now).files;
            assert_eq!(kept.len(), fresh.len());
            for (k, f) in kept.iter().zip(&fresh) {
                assert_eq!(k.path, f.path);
                assert!(
                    k.contents == f.contents,
                    "sequence {sequence}, step {step}, {} differs after changing {changed:?}:\n--- kept\n{}\n--- fresh\n{}",
                    k.path,
                    k.contents,
                    f.contents
                );
            }
            buffers = kept;
        }
    }
}

#[test]
fn a_module_emptied_without_being_named_is_noticed() {
    let mut rng = Rng(7);
    let mut functions: Vec<Vec<Function>> = (0..3)
        .map(|m| vec![function(&mut rng, m), function(&mut rng, m)])
        .collect();
    let mut emitter = Emitter::new();
    emitter.update(&ir(&functions), &IrChange::Any);
    // The caller names `a` but `a/b` lost its functions too.
    functions[0].push(function(&mut rng, 0));
    functions[1].clear();
    let now = ir(&functions);
    let kept = emitter.update(&now, &IrChange::Modules(vec!["a".to_string()]));
    assert_eq!(kept, emit_generated(&now).files);
}

#[test]
fn large_irs_written_on_two_threads_equal_a_fresh_emit() {
    let mut rng = Rng(42);
    // 9 modules x 40 functions: past the two-thread threshold (200).
    let mut functions: Vec<Vec<Function>> = (0..MODULES.len())
        .map(|m| (0..40).map(|_| function(&mut rng, m)).collect())
        .collect();
    let mut emitter = Emitter::new();
    let first = emitter.update(&ir(&functions), &IrChange::Any);
    assert_eq!(first, emit_generated(&ir(&functions)).files);
    let mut buffers = first;
    for step in 0..10 {
        let m = rng.below(MODULES.len());
        functions[m] = (0..rng.below(60)).map(|_| function(&mut rng, m)).collect();
        let now = ir(&functions);
        let kept = emitter.update_reusing(
            &now,
            &IrChange::Modules(vec![MODULES[m].0.to_string()]),
            &mut buffers,
        );
        assert!(kept == emit_generated(&now).files, "step {step}");
        buffers = kept;
    }
}
