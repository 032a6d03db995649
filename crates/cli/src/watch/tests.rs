//! Watch loop with a scripted event source and a fake pipeline over a real
//! temp folder.

use std::cell::Cell;
use std::path::Path;

use lunora_emit::GeneratedFile;
use lunora_parser::{Code, Diagnostic, Files, Span, Vfs};
use serde_json::Value;

use super::source::{MockSource, Recv};
use super::*;

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
fn watch_loop(
    root: &Path,
    source: &mut dyn EventSource,
    format: Format,
    timing: Timing,
    generate: &mut dyn FnMut(&Path, &dyn Vfs) -> Analysis,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    let mut engine = FnEngine {
        generate,
        last: None,
    };
    let options = Options {
        format,
        timing,
        ..Options::default()
    };
    watch_loop_with(root, source, options, &mut engine, stdout, stderr);
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

fn run_script(root: &Path, script: Vec<Recv>, calls: &Cell<u32>) -> Vec<Value> {
    let mut source = MockSource::new(script);
    let mut generate = |root: &Path, fs: &dyn Vfs| {
        calls.set(calls.get() + 1);
        fake_generate(root, fs)
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let timing = Timing {
        settle: Duration::ZERO,
        max_wait: Duration::ZERO,
    };
    watch_loop(
        root,
        &mut source,
        Format::Json,
        timing,
        &mut generate,
        &mut out,
        &mut err,
    );
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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
    assert_eq!(
        docs[0]["watch"]["written"][0],
        "lunora/_generated/dataModel.ts"
    );
    assert_eq!(std::fs::read_to_string(&generated).unwrap(), "GOOD ONE");

    std::fs::write(schema(root), "bad ERR here").unwrap();
    let docs = run_script(root, vec![], &calls);
    assert_eq!(docs[0]["summary"]["errors"], 1);
    assert_eq!(docs[0]["watch"]["keptLastGood"], true);
    assert_eq!(docs[0]["diagnostics"][0]["start"]["column"], 5);
    assert_eq!(std::fs::read_to_string(&generated).unwrap(), "GOOD ONE");

    std::fs::write(schema(root), "fixed").unwrap();
    let docs = run_script(root, vec![], &calls);
    assert_eq!(docs[0]["summary"]["errors"], 0);
    assert_eq!(std::fs::read_to_string(&generated).unwrap(), "FIXED");
    // A clean run with identical output does not rewrite.
    let docs = run_script(root, vec![], &calls);
    assert_eq!(docs[0]["watch"]["written"], serde_json::json!([]));
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
    let triggers: Vec<&Value> = docs.iter().map(|d| &d["watch"]["trigger"]).collect();
    assert_eq!(
        triggers,
        [
            &serde_json::json!([]),
            &serde_json::json!(["lunora/admin", "lunora/schema.ts"]),
            &serde_json::json!(["."]),
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
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // A settle time far longer than the test: only the close flushes it.
    let timing = Timing {
        settle: Duration::from_secs(3600),
        max_wait: Duration::from_secs(3600),
    };
    watch_loop(
        root,
        &mut source,
        Format::Human,
        timing,
        &mut generate,
        &mut out,
        &mut err,
    );
    assert_eq!(calls.get(), 2);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("[lunora] run 2:"), "{text}");
}
