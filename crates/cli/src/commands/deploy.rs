//! `lunora deploy [--dry-run]`: codegen (stop on errors), `migrate check`,
//! validate `wrangler.jsonc` (every problem a diagnostic pointing into it),
//! apply pending D1 migrations remotely with the MigrationRunner, then
//! `wrangler deploy`.
//!
//! `--dry-run` does everything that needs no Cloudflare account: codegen,
//! the drift check, the config check (a placeholder database id is then only
//! a warning), lists the migrations it would apply, and runs
//! `wrangler deploy --dry-run` (which bundles the Worker without uploading).
//!
//! Exit codes: 0 deployed (or the dry run passed); 1 problems in the app
//! (schema, drift, config); 2 a tool failed (wrangler, D1, file system).

use std::io::Write;
use std::path::Path;

use lunora_analyzer::{Ir, Placement};
use lunora_parser::{Code, Diagnostic, Files, OsFs, has_errors};

use lunora_emit::migrate::tables_of;
use lunora_engine::layout::{GENERATED_DIR, MIGRATIONS_DIR};
use lunora_engine::wrangler_config::{self, Expect, WRANGLER_FILE};
use lunora_engine::{generate, writer};

use crate::args::{DeployArgs, GlobalArgs};
use crate::render::{self, Color};
use crate::{Exit, Format};

/// Where `wrangler deploy --dry-run` writes the bundle (root-relative; under
/// `.wrangler/`, which the template's `.gitignore` ignores).
pub const DRY_RUN_OUTDIR: &str = ".wrangler/lunora-dry-run";

pub fn run(
    global: &GlobalArgs,
    args: DeployArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let root = match super::app_root(global, stderr) {
        Ok(root) => root,
        Err(exit) => return exit,
    };
    let color = super::stderr_color(global.format);
    deploy(
        &root,
        args.dry_run,
        args.write_crons,
        global.format,
        color,
        stdout,
        stderr,
    )
}

/// Whether the schema has tables in D1 (the built-in `users` table counts).
pub fn needs_d1(ir: &Ir) -> bool {
    ir.tables.iter().any(|t| t.placement == Placement::Global)
}

/// Whether the app stores files: a `ctx.storage` use or a `v.id("_storage")`.
pub fn needs_r2(ir: &Ir) -> bool {
    fn holds(v: &lunora_analyzer::Validator) -> bool {
        use lunora_analyzer::Validator as V;
        match v {
            V::Id(t) => t == lunora_analyzer::STORAGE_TABLE,
            V::Optional(i) | V::Array(i) => holds(i),
            V::Record(k, i) => holds(k) || holds(i),
            V::Object(fs) => fs.iter().any(|f| holds(&f.validator)),
            V::Union(ms) => ms.iter().any(holds),
            _ => false,
        }
    }
    ir.uses_storage
        || ir
            .tables
            .iter()
            .any(|t| t.fields.iter().any(|f| holds(&f.validator)))
        || ir
            .functions
            .iter()
            .any(|f| f.args.iter().flatten().any(|a| holds(&a.validator)))
}

fn step(stderr: &mut dyn Write, what: &str) {
    let _ = writeln!(stderr, "\n==> {what}");
}

pub fn deploy(
    root: &Path,
    dry_run: bool,
    write_crons: bool,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    let mode = if dry_run { " (dry run)" } else { "" };
    let _ = writeln!(stderr, "lunora deploy{mode}: {}", root.display());
    // Every check's diagnostics are rendered together, as one document in
    // `--format json`.
    let (exit, d1) = checks(root, dry_run, write_crons, format, color, stdout, stderr);
    if exit != Exit::Ok {
        return exit;
    }
    step(stderr, "D1 migrations (remote)");
    if !d1 {
        let _ = writeln!(stderr, "no global tables: nothing to apply");
    } else {
        let exit = super::migrations::apply_remote(root, dry_run, stderr);
        if exit != Exit::Ok {
            return exit;
        }
    }

    step(
        stderr,
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
    let _ = stdout.flush();
    let _ = stderr.flush();
    // wrangler's progress goes to stderr like ours: stdout stays one document
    // in `--format json`.
    #[cfg(unix)]
    if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
        cmd.stdout(std::process::Stdio::from(fd));
    }
    match cmd.current_dir(root).status() {
        Ok(status) if status.success() => {
            let _ = writeln!(
                stderr,
                "{}",
                if dry_run {
                    "dry run passed: nothing was uploaded and no migration was applied"
                } else {
                    "deployed"
                }
            );
            Exit::Ok
        }
        Ok(status) => {
            let _ = writeln!(stderr, "error: wrangler deploy failed ({status})");
            Exit::Failure
        }
        Err(e) => {
            let _ = writeln!(
                stderr,
                "error: cannot run wrangler: {e} (install it in the app: `pnpm add -D wrangler`)"
            );
            Exit::Failure
        }
    }
}

/// Codegen (writes `_generated/`), `migrate check` and the config check.
/// Returns the exit code and whether the schema has D1 tables.
fn checks(
    root: &Path,
    dry_run: bool,
    write_crons: bool,
    format: Format,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> (Exit, bool) {
    step(stderr, "codegen, migrate check, check wrangler.jsonc");
    let generated = generate(root, &OsFs);
    let mut files = generated.files;
    let mut diagnostics = generated.diagnostics;
    let ir = match generated.ir {
        Some(ir) if !has_errors(&diagnostics) => ir,
        _ => {
            render_diagnostics(format, &diagnostics, &files, color, stdout, stderr);
            let _ = writeln!(
                stderr,
                "deploy stopped: the app has errors; {GENERATED_DIR} left untouched"
            );
            return (Exit::UserError, false);
        }
    };
    match writer::write_generated(root, &generated.outputs) {
        Ok(done) => {
            let changed = done.written.len();
            let _ = writeln!(
                stderr,
                "generated {GENERATED_DIR} ({changed} file{} changed)",
                if changed == 1 { "" } else { "s" }
            );
        }
        Err(e) => {
            diagnostics.push(crate::diagnostics::deploy_write_failed(&e));
            render_diagnostics(format, &diagnostics, &files, color, stdout, stderr);
            return (Exit::Failure, false);
        }
    }

    let mut exit = Exit::Ok;
    match lunora_engine::migrations::replay::check(&root.join(MIGRATIONS_DIR), &tables_of(&ir)) {
        Ok(found) if found.is_empty() => {
            let _ = writeln!(stderr, "migrations are up to date with the schema");
        }
        Ok(found) => {
            diagnostics.extend(found);
            let _ = writeln!(
                stderr,
                "the migrations do not match the schema (`lunora migrate generate <name>` writes the missing one)"
            );
        }
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            exit = Exit::Failure;
        }
    }

    let d1 = needs_d1(&ir);
    let crons = cron_expressions(&ir);
    if write_crons && !crons.is_empty() {
        let path = root.join(WRANGLER_FILE);
        if let Some(text) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| wrangler_config::with_crons(&t, &crons))
        {
            match lunora_engine::writer::write_atomic(&path, text.as_bytes()) {
                Ok(()) => {
                    let _ = writeln!(
                        stderr,
                        "added the cron jobs' triggers to `triggers.crons` in {WRANGLER_FILE}"
                    );
                }
                Err(e) => {
                    let _ = writeln!(stderr, "error: cannot write {WRANGLER_FILE}: {e}");
                    exit = Exit::Failure;
                }
            }
        }
    }
    let expect = Expect {
        needs_d1: d1,
        needs_r2: needs_r2(&ir),
        remote: !dry_run,
        crons: &crons,
    };
    let config = check_config(root, expect, &mut files);
    if !has_errors(&config) {
        let _ = writeln!(stderr, "{WRANGLER_FILE} is valid");
    }
    if config.iter().any(|d| d.code == Code::IoRead) {
        exit = Exit::Failure;
    }
    diagnostics.extend(config);
    render_diagnostics(format, &diagnostics, &files, color, stdout, stderr);
    if has_errors(&diagnostics) {
        let (errors, _) = render::summary(&diagnostics);
        let _ = writeln!(
            stderr,
            "deploy stopped: {errors} error{} above",
            if errors == 1 { "" } else { "s" }
        );
        if exit == Exit::Ok {
            exit = Exit::UserError;
        }
    }
    (exit, d1)
}

/// The Cron Trigger expressions the app's cron jobs need, each once, in job order.
pub fn cron_expressions(ir: &lunora_analyzer::Ir) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for job in ir.crons.iter().flat_map(|c| &c.jobs) {
        if !out.contains(&job.cron) {
            out.push(job.cron.clone());
        }
    }
    out
}

/// Reads and validates `<root>/wrangler.jsonc`.
/// (added to `files`, which the diagnostics point into).
pub fn check_config(root: &Path, expect: Expect<'_>, files: &mut Files) -> Vec<Diagnostic> {
    match std::fs::read_to_string(root.join(WRANGLER_FILE)) {
        Ok(text) => wrangler_config::validate(root, &text, files, expect),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            vec![crate::diagnostics::no_wrangler_config()]
        }
        Err(e) => vec![crate::diagnostics::wrangler_config_unreadable(&e)],
    }
}

/// Human: stderr, only when there is something to show. Machine formats:
/// exactly one document on stdout.
fn render_diagnostics(
    format: Format,
    diagnostics: &[Diagnostic],
    files: &Files,
    color: Color,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    if diagnostics.is_empty() && format == Format::Human {
        return;
    }
    let out: &mut dyn Write = if format == Format::Human {
        stderr
    } else {
        stdout
    };
    let _ = render::render(format, diagnostics, files, color, out);
}
