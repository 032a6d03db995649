//! `lunora dev` run in-process ([`lunora_cli::commands::dev::run_with`]) over
//! captured writers, with fake `wrangler` and `vite`: everything it and its
//! children print reaches the injected writers.
#![cfg(unix)]

use std::path::Path;

use clap::Parser;
use lunora_cli::commands::dev::{DevIo, run_with};
use lunora_cli::{Cli, Command, Exit};
use lunora_dev::SharedWriter;

mod support;

/// A fake dev server: prints one line to each stream; `vite` then exits 3.
const FAKE: &str = r#"#!/bin/sh
name=$(basename "$0")
echo "fake $name ready"
echo "fake $name warning" >&2
if [ "$name" = "vite" ]; then sleep 1; exit 3; fi
sleep 300 & wait
"#;

fn app() -> tempfile::TempDir {
    support::app_with_fake_tools(FAKE)
}

fn dev(root: &Path, format: &str) -> (Exit, String, String) {
    let cli = Cli::try_parse_from(
        ["lunora", "dev", "--format", format, "--root"]
            .map(Into::into)
            .into_iter()
            .chain([root.as_os_str().to_owned()]),
    )
    .expect("arguments");
    let Command::Dev(args) = cli.command else {
        unreachable!("parsed `dev`")
    };
    let (stdout, out) = SharedWriter::capture();
    let (stderr, err) = SharedWriter::capture();
    let io = DevIo {
        stdout,
        stderr,
        reaper: Some(env!("CARGO_BIN_EXE_lunora").into()),
    };
    let exit = run_with(&cli.global, args, io);
    let text = |b: &std::sync::Arc<std::sync::Mutex<Vec<u8>>>| {
        String::from_utf8(b.lock().expect("buffer").clone()).expect("utf-8")
    };
    (exit, text(&out), text(&err))
}

#[test]
fn a_dying_child_stops_dev_and_all_output_is_captured() {
    let tmp = app();
    let (exit, out, err) = dev(tmp.path(), "human");
    assert_eq!(exit, Exit::Failure, "{err}");
    assert!(out.contains("[wrangler] fake wrangler ready"), "{out}");
    assert!(out.contains("[vite] fake vite ready"), "{out}");
    assert!(out.contains("[lunora] run 1:"), "{out}");
    assert!(err.contains("[lunora] codegen"), "{err}");
    assert!(err.contains("[vite] fake vite warning"), "{err}");
    assert!(err.contains("[lunora] vite exited"), "{err}");
}

#[test]
fn a_schema_error_without_generated_code_is_one_json_line() {
    let tmp = app();
    std::fs::write(
        tmp.path().join("lunora/schema.ts"),
        "export default defineSchema({",
    )
    .expect("write");
    let (exit, out, err) = dev(tmp.path(), "json");
    assert_eq!(exit, Exit::UserError, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let doc: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert!(doc["summary"]["errors"].as_u64() >= Some(1), "{doc}");
    assert!(err.contains("fix the errors above"), "{err}");
}
