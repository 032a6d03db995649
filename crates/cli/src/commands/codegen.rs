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

use std::io::Write;
use std::path::Path;

use lunora_parser::{Diagnostic, Files, OsFs, has_errors};

use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::writer;
use lunora_engine::{Analysis, generate};

use crate::args::{CodegenArgs, GlobalArgs};
use crate::render::{self, Color};
use crate::{Exit, Format};

pub fn run(
    global: &GlobalArgs,
    args: CodegenArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    // `--watch` finds the root like every other command (`--root` must hold `lunora/`).
    let root = match super::app_root(global, stderr) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    if args.watch {
        return crate::watch::run(&root, global.format, stdout, stderr);
    }
    let color = super::stderr_color(global.format);
    codegen(&root, global.format, color, args.check, stdout, stderr)
}

/// Renders diagnostics to the stream the format uses (see the module docs).
fn emit_diagnostics(
    format: Format,
    diagnostics: &[Diagnostic],
    files: &Files,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    // Write errors (a closed pipe) are ignored: quiet on broken pipe.
    let _ = match format {
        Format::Human => {
            if diagnostics.is_empty() {
                Ok(())
            } else {
                render::render(format, diagnostics, files, color, stderr)
            }
        }
        Format::Json => render::render(format, diagnostics, files, color, stdout),
        Format::Github => render::render(format, diagnostics, files, color, stdout),
    };
}

/// The command body for an already-found root.
pub fn codegen(
    root: &Path,
    format: Format,
    color: Color,
    check: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    finish(
        root,
        generate(root, &OsFs),
        format,
        color,
        check,
        stdout,
        stderr,
    )
}

/// Everything after the pipeline: render, compare, write. Split out so tests
/// can feed hand-made diagnostics and generated files.
pub fn finish(
    root: &Path,
    generated: Analysis,
    format: Format,
    color: Color,
    check: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let mut diagnostics = generated.diagnostics;
    let files = &generated.files;
    let report = |diagnostics: &[Diagnostic], stdout: &mut dyn Write, stderr: &mut dyn Write| {
        emit_diagnostics(format, diagnostics, files, color, stdout, stderr);
    };
    if has_errors(&diagnostics) {
        report(&diagnostics, stdout, stderr);
        let (errors, warnings) = render::summary(&diagnostics);
        let _ = writeln!(
            stderr,
            "{} error{}, {} warning{}; {GENERATED_DIR} left untouched",
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        );
        return Exit::UserError;
    }

    let outputs = &generated.outputs;
    let plan = match writer::plan(root, outputs) {
        Ok(plan) => plan,
        Err(e) => {
            diagnostics.push(crate::diagnostics::codegen_write_failed(&e, "read"));
            report(&diagnostics, stdout, stderr);
            return Exit::Failure;
        }
    };

    if check {
        report(&diagnostics, stdout, stderr);
        if plan.is_clean() {
            let _ = writeln!(
                stderr,
                "{GENERATED_DIR} is up to date ({} file{})",
                outputs.len(),
                plural(outputs.len())
            );
            return Exit::Ok;
        }
        let _ = writeln!(stderr, "{GENERATED_DIR} is out of date:");
        for (kind, paths) in [
            ("stale", &plan.stale),
            ("missing", &plan.missing),
            ("extra", &plan.extra),
        ] {
            for path in paths {
                let _ = writeln!(stderr, "  {kind}: {path}");
            }
        }
        let _ = writeln!(stderr, "run `lunora codegen` to update it");
        return Exit::UserError;
    }

    match writer::apply(root, outputs, &plan) {
        Ok(done) => {
            let (written, removed) = (done.written.len(), done.removed.len());
            report(&diagnostics, stdout, stderr);
            let _ = writeln!(
                stderr,
                "generated {} file{} in {GENERATED_DIR} ({written} changed{})",
                outputs.len(),
                plural(outputs.len()),
                if removed == 0 {
                    String::new()
                } else {
                    format!(", {removed} removed")
                }
            );
            Exit::Ok
        }
        Err(e) => {
            diagnostics.push(crate::diagnostics::codegen_write_failed(&e, "write"));
            report(&diagnostics, stdout, stderr);
            Exit::Failure
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
