//! Watch loop with a scripted event source and a fake pipeline over a real
//! temp folder.

use std::cell::Cell;
use std::path::Path;

use lunora_emit::GeneratedFile;
use lunora_parser::{Code, Diagnostic, Files, Span, Vfs};

use super::super::source::MockSource;
use super::*;

/// One run as the test sees it: the report, the error count and the start
/// offset of the first diagnostic's primary label.
struct Run {
    report: RunReport,
    errors: usize,
    first_start: Option<u32>,
}

/// A generate function as an [`Engine`]: a cold run over the disk each time.
struct FnEngine<'g> {
    generate: &'g mut dyn FnMut(&Path, &dyn Vfs) -> Analysis,
    last: Option<Analysis>,
}

impl Engine for FnEngine<'_> {
    fn regenerate(&mut self, root: &Path, _changed: &[PathBuf]) -> &Analysis {
        self.last.insert((self.generate)(root, &OsFs))
    }
}

/// The watch loop over `source`, calling `generate` for every run.
fn watch_loop_fn(
    root: &Path,
    source: &mut dyn EventSource,
    timing: Timing,
    generate: &mut dyn FnMut(&Path, &dyn Vfs) -> Analysis,
) -> Vec<Run> {
    let mut engine = FnEngine {
        generate,
        last: None,
    };
    let mut runs = Vec::new();
    watch_loop(
        root,
        source,
        timing,
        &mut engine,
        &mut |report, analysis| {
            runs.push(Run {
                report: report.clone(),
                errors: analysis
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == lunora_parser::Severity::Error)
                    .count(),
                first_start: analysis
                    .diagnostics
                    .first()
                    .and_then(|d| d.labels.first())
                    .map(|l| l.at.span.start),
            });
        },
    );
    runs
}

/// A fake pipeline: `lunora/schema.ts` containing `ERR` is a syntax error at
/// that word; otherwise one output echoing the schema in upper case.
fn fake_generate(root: &Path, fs: &dyn Vfs) -> Analysis {
    let mut files = Files::new();
    let text = String::from_utf8(fs.read(&root.join("lunora/schema.ts")).unwrap_or_default())
        .unwrap_or_default();
    let id = files.add("lunora/schema.ts", text.clone());
    let mut diagnostics = Vec::new();
    let mut outputs = Vec::new();
    if let Some(at) = text.find("ERR") {
        diagnostics.push(
            Diagnostic::error(Code::SyntaxError, "bad token").with_label(
                id,
                Span::new(at as u32, at as u32 + 3),
                "",
            ),
        );
    } else {
        outputs.push(GeneratedFile {
            path: "lunora/_generated/dataModel.ts".into(),
            contents: text.to_uppercase(),
        });
    }
    Analysis {
        files,
        diagnostics,
        ir: None,
        outputs,
    }
}

fn run_script(root: &Path, script: Vec<Recv>, calls: &Cell<u32>) -> Vec<Run> {
    let mut source = MockSource::new(script);
    let mut generate = |root: &Path, fs: &dyn Vfs| {
        calls.set(calls.get() + 1);
        fake_generate(root, fs)
    };
    let timing = Timing {
        settle: Duration::ZERO,
        max_wait: Duration::ZERO,
    };
    watch_loop_fn(root, &mut source, timing, &mut generate)
}

fn schema(root: &Path) -> std::path::PathBuf {
    root.join("lunora/schema.ts")
}

#[test]
fn keeps_last_good_output_on_error_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    std::fs::write(schema(root), "good one").unwrap();
    let generated = root.join("lunora/_generated/dataModel.ts");

    let calls = Cell::new(0);
    // Each loop below has an empty script: just the initial run, over the disk
    // as the test left it.
    let docs = run_script(root, vec![], &calls);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].report.written, ["lunora/_generated/dataModel.ts"]);
    assert_eq!(std::fs::read_to_string(&generated).unwrap(), "GOOD ONE");

    std::fs::write(schema(root), "bad ERR here").unwrap();
    let docs = run_script(root, vec![], &calls);
    assert_eq!(docs[0].errors, 1);
    assert!(docs[0].report.kept_last_good);
    // `ERR` at column 5: offset 4.
    assert_eq!(docs[0].first_start, Some(4));
    assert_eq!(std::fs::read_to_string(&generated).unwrap(), "GOOD ONE");

    std::fs::write(schema(root), "fixed").unwrap();
    let docs = run_script(root, vec![], &calls);
    assert_eq!(docs[0].errors, 0);
    assert_eq!(std::fs::read_to_string(&generated).unwrap(), "FIXED");
    // A clean run with identical output does not rewrite.
    let docs = run_script(root, vec![], &calls);
    assert!(docs[0].report.written.is_empty());
    assert_eq!(calls.get(), 4);
}

#[test]
fn filters_and_batches_events() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    std::fs::write(schema(root), "x").unwrap();
    let calls = Cell::new(0);
    let docs = run_script(
        root,
        vec![
            // Our own writes and editor noise: no run.
            Recv::Changed(vec![root.join("lunora/_generated/api.ts")]),
            Recv::Changed(vec![
                root.join("lunora/.schema.ts.swp"),
                root.join("lunora/4913"),
                root.join("lunora/schema.ts~"),
            ]),
            Recv::Changed(vec![]),
            Recv::Timeout,
            // A real change (two paths, one event) and a new folder.
            Recv::Changed(vec![schema(root), root.join("lunora/admin")]),
            Recv::Rescan,
        ],
        &calls,
    );
    let triggers: Vec<&[String]> = docs.iter().map(|d| d.report.trigger.as_slice()).collect();
    assert_eq!(
        triggers,
        [
            &[][..],
            &["lunora/admin".to_owned(), "lunora/schema.ts".to_owned()][..],
            &[".".to_owned()][..],
        ]
    );
    assert_eq!(calls.get(), 3);
}

#[test]
fn pending_batch_is_flushed_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    let calls = Cell::new(0);
    let mut source = MockSource::new([Recv::Changed(vec![schema(root)])]);
    let mut generate = |root: &Path, fs: &dyn Vfs| {
        calls.set(calls.get() + 1);
        fake_generate(root, fs)
    };
    // A settle time far longer than the test: only the close flushes it.
    let timing = Timing {
        settle: Duration::from_secs(3600),
        max_wait: Duration::from_secs(3600),
    };
    let runs = watch_loop_fn(root, &mut source, timing, &mut generate);
    assert_eq!(calls.get(), 2);
    assert_eq!(runs.last().map(|r| r.report.run), Some(2));
}
