//! `lunora deploy [--dry-run]`: codegen (stop on errors), `migrate check`,
//! validate `wrangler.jsonc` (every problem a diagnostic pointing into it),
//! apply pending D1 migrations remotely with the MigrationRunner, then
//! `wrangler deploy`. The checks are [`lunora_engine::deploy::checks`]; this
//! module words and renders what they found and runs wrangler.
//!
//! `--dry-run` does everything that needs no Cloudflare account: codegen,
//! the drift check, the config check (a placeholder database id is then only
//! a warning), lists the migrations it would apply, and runs
//! `wrangler deploy --dry-run` (which bundles the Worker without uploading).
//!
//! Exit codes: 0 deployed (or the dry run passed); 1 problems in the app
//! (schema, drift, config); 2 a tool failed (wrangler, D1, file system).

use std::path::Path;

use lunora_engine::deploy::{self as checks, Checked};
use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::wrangler_config::WRANGLER_FILE;
use lunora_parser::has_errors;

use crate::args::{DeployArgs, GlobalArgs};
use crate::exit::Exit;
use crate::render;
use crate::report::Reporter;

pub use lunora_engine::deploy::DRY_RUN_OUTDIR;

pub fn run(global: &GlobalArgs, args: DeployArgs, reporter: &mut Reporter<'_>) -> Exit {
    let root = match super::app_root(global, reporter) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    deploy(&root, args.dry_run, args.write_crons, reporter)
}

fn step(reporter: &mut Reporter<'_>, what: &str) {
    reporter.status(format_args!("\n==> {what}"));
}

pub fn deploy(root: &Path, dry_run: bool, write_crons: bool, reporter: &mut Reporter<'_>) -> Exit {
    let mode = if dry_run { " (dry run)" } else { "" };
    reporter.status(format_args!("lunora deploy{mode}: {}", root.display()));
    // Every check's diagnostics are rendered together, as one document in
    // `--format json`.
    let (exit, d1) = run_checks(root, dry_run, write_crons, reporter);
    if exit != Exit::Ok {
        return exit;
    }
    step(reporter, "D1 migrations (remote)");
    if !d1 {
        reporter.status("no global tables: nothing to apply");
    } else {
        let exit = super::migrations::apply_remote(root, dry_run, reporter);
        if exit != Exit::Ok {
            return exit;
        }
    }

    step(
        reporter,
        if dry_run {
            "wrangler deploy --dry-run"
        } else {
            "wrangler deploy"
        },
    );
    let mut cmd = super::app_tool(root, "wrangler");
    cmd.arg("deploy");
    if dry_run {
        cmd.args(["--dry-run", "--outdir", DRY_RUN_OUTDIR]);
    }
    reporter.flush();
    // wrangler's progress goes to stderr like ours: stdout stays one document
    // in `--format json`.
    #[cfg(unix)]
    if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
        cmd.stdout(std::process::Stdio::from(fd));
    }
    match cmd.current_dir(root).status() {
        Ok(status) if status.success() => {
            reporter.status(if dry_run {
                "dry run passed: nothing was uploaded and no migration was applied"
            } else {
                "deployed"
            });
            Exit::Ok
        }
        Ok(status) => {
            reporter.error(format_args!("wrangler deploy failed ({status})"));
            Exit::Failure
        }
        Err(e) => {
            reporter.error(format_args!(
                "cannot run wrangler: {e} (install it in the app: `pnpm add -D wrangler`)"
            ));
            Exit::Failure
        }
    }
}

/// [`checks::checks`], reported. Returns the exit code and whether the
/// schema has D1 tables.
fn run_checks(
    root: &Path,
    dry_run: bool,
    write_crons: bool,
    reporter: &mut Reporter<'_>,
) -> (Exit, bool) {
    step(reporter, "codegen, migrate check, check wrangler.jsonc");
    let found = match checks::checks(root, !dry_run, write_crons) {
        Checked::AppErrors { files, diagnostics } => {
            reporter.diagnostics(&diagnostics, &files);
            reporter.status(format_args!(
                "deploy stopped: the app has errors; {GENERATED_DIR} left untouched"
            ));
            return (Exit::UserError, false);
        }
        Checked::WriteFailed { files, diagnostics } => {
            reporter.diagnostics(&diagnostics, &files);
            return (Exit::Failure, false);
        }
        Checked::Done(found) => found,
    };
    let changed = found.generated_changed;
    reporter.status(format_args!(
        "generated {GENERATED_DIR} ({changed} file{} changed)",
        if changed == 1 { "" } else { "s" }
    ));
    let mut exit = Exit::Ok;
    match &found.drift {
        Ok(false) => reporter.status("migrations are up to date with the schema"),
        Ok(true) => reporter.status(
            "the migrations do not match the schema (`lunora migrate generate <name>` writes the missing one)",
        ),
        Err(e) => {
            reporter.error(e);
            exit = Exit::Failure;
        }
    }
    match &found.crons_written {
        Some(Ok(())) => reporter.status(format_args!(
            "added the cron jobs' triggers to `triggers.crons` in {WRANGLER_FILE}"
        )),
        Some(Err(e)) => {
            reporter.error(format_args!("cannot write {WRANGLER_FILE}: {e}"));
            exit = Exit::Failure;
        }
        None => {}
    }
    if found.config_valid {
        reporter.status(format_args!("{WRANGLER_FILE} is valid"));
    }
    if found.config_unreadable {
        exit = Exit::Failure;
    }
    reporter.diagnostics(&found.diagnostics, &found.files);
    if has_errors(&found.diagnostics) {
        let (errors, _) = render::summary(&found.diagnostics);
        reporter.status(format_args!(
            "deploy stopped: {errors} error{} above",
            if errors == 1 { "" } else { "s" }
        ));
        if exit == Exit::Ok {
            exit = Exit::UserError;
        }
    }
    (exit, found.needs_d1)
}
