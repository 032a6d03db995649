//! `lunora codegen [--check]`: analyze, emit, and write `lunora/_generated/`.
//!
//! Output: diagnostics go to stderr in human format and to stdout in `json`
//! and `github` format (stdout then holds only machine-readable output); the
//! summary line and `--check` findings always go to stderr.
//!
//! Exit codes: 0 generated or up to date (warnings allowed); 1 the app has
//! errors, or `--check` found stale/missing/extra files; 2 usage or tool
//! failure: no app root, or `_generated/` cannot be read or written
//! (`io/write-error`, rendered as a diagnostic). An unwritable folder is an
//! environment problem, not something wrong in the app's code, so it is 2.

use std::path::Path;

use lunora_parser::{OsFs, has_errors};

use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::writer;
use lunora_engine::{Analysis, generate};

use crate::args::{CodegenArgs, GlobalArgs};
use crate::exit::Exit;
use crate::render;
use crate::report::Reporter;

pub fn run(global: &GlobalArgs, args: CodegenArgs, reporter: &mut Reporter<'_>) -> Exit {
    // `--watch` finds the root like every other command (`--root` must hold `lunora/`).
    let root = match super::app_root(global, reporter) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    if args.watch {
        return crate::watch::run(&root, reporter);
    }
    codegen(&root, args.check, reporter)
}

/// The command body for an already-found root.
pub fn codegen(root: &Path, check: bool, reporter: &mut Reporter<'_>) -> Exit {
    finish(root, generate(root, &OsFs), check, reporter)
}

/// Everything after the pipeline: render, compare, write. Split out so tests
/// can feed hand-made diagnostics and generated files.
pub fn finish(root: &Path, generated: Analysis, check: bool, reporter: &mut Reporter<'_>) -> Exit {
    let mut diagnostics = generated.diagnostics;
    let files = &generated.files;
    if has_errors(&diagnostics) {
        reporter.diagnostics(&diagnostics, files);
        let (errors, warnings) = render::summary(&diagnostics);
        reporter.status(format_args!(
            "{} error{}, {} warning{}; {GENERATED_DIR} left untouched",
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        ));
        return Exit::UserError;
    }

    let outputs = &generated.outputs;
    let plan = match writer::plan(root, outputs) {
        Ok(plan) => plan,
        Err(e) => {
            diagnostics.push(crate::diagnostics::codegen_write_failed(&e, "read"));
            reporter.diagnostics(&diagnostics, files);
            return Exit::Failure;
        }
    };

    if check {
        reporter.diagnostics(&diagnostics, files);
        if plan.is_clean() {
            reporter.status(format_args!(
                "{GENERATED_DIR} is up to date ({} file{})",
                outputs.len(),
                plural(outputs.len())
            ));
            return Exit::Ok;
        }
        reporter.status(format_args!("{GENERATED_DIR} is out of date:"));
        for (kind, paths) in [
            ("stale", &plan.stale),
            ("missing", &plan.missing),
            ("extra", &plan.extra),
        ] {
            for path in paths {
                reporter.status(format_args!("  {kind}: {path}"));
            }
        }
        reporter.status(format_args!("run `lunora codegen` to update it"));
        return Exit::UserError;
    }

    match writer::apply(root, outputs, &plan) {
        Ok(done) => {
            let (written, removed) = (done.written.len(), done.removed.len());
            reporter.diagnostics(&diagnostics, files);
            reporter.status(format_args!(
                "generated {} file{} in {GENERATED_DIR} ({written} changed{})",
                outputs.len(),
                plural(outputs.len()),
                if removed == 0 {
                    String::new()
                } else {
                    format!(", {removed} removed")
                }
            ));
            Exit::Ok
        }
        Err(e) => {
            diagnostics.push(crate::diagnostics::codegen_write_failed(&e, "write"));
            reporter.diagnostics(&diagnostics, files);
            Exit::Failure
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
