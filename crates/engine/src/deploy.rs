//! The checks of `lunora deploy` before anything is uploaded: codegen (which
//! writes `_generated/`), the `migrate check` replay, the optional
//! `triggers.crons` update, and the `wrangler.jsonc` validation. [`checks`]
//! returns what each step found ([`Checked`]); the CLI words and renders it.

use std::path::Path;

use lunora_analyzer::{Ir, Placement};
use lunora_emit::migrate::tables_of;
use lunora_parser::{Code, Diagnostic, Files, OsFs, has_errors};

use crate::layout::MIGRATIONS_DIR;
use crate::pipeline::generate;
use crate::wrangler_config::{self, Expect, WRANGLER_FILE};
use crate::writer;

/// Where `wrangler deploy --dry-run` writes the bundle (root-relative; under
/// `.wrangler/`, which the template's `.gitignore` ignores).
pub const DRY_RUN_OUTDIR: &str = ".wrangler/lunora-dry-run";

/// What [`checks`] found. Every step's diagnostics are in one list, pointing
/// into `files`, so they are rendered together (one document in `--format json`).
pub enum Checked {
    /// The app has errors: `_generated/` left untouched, nothing else checked.
    AppErrors {
        files: Files,
        diagnostics: Vec<Diagnostic>,
    },
    /// `_generated/` could not be written (an `io/write-error` diagnostic).
    WriteFailed {
        files: Files,
        diagnostics: Vec<Diagnostic>,
    },
    /// Every check ran.
    Done(Checks),
}

/// The checks after a clean codegen, in the order they ran.
pub struct Checks {
    pub files: Files,
    pub diagnostics: Vec<Diagnostic>,
    /// How many generated files changed on disk.
    pub generated_changed: usize,
    /// The replay: `Ok(true)` when the migrations do not match the schema
    /// (diagnostics added), `Err` when the folder cannot be read.
    pub drift: Result<bool, String>,
    /// `--write-crons` with cron jobs: whether `triggers.crons` was written.
    pub crons_written: Option<Result<(), String>>,
    /// `wrangler.jsonc` has no errors.
    pub config_valid: bool,
    /// `wrangler.jsonc` could not be read (a tool failure, not the app's).
    pub config_unreadable: bool,
    /// The schema has tables in D1, so there are migrations to apply.
    pub needs_d1: bool,
}

/// Codegen (writes `_generated/`), `migrate check` and the config check.
/// `remote`: a real deploy (a placeholder database id is then an error).
pub fn checks(root: &Path, remote: bool, write_crons: bool) -> Checked {
    let generated = generate(root, &OsFs);
    let mut files = generated.files;
    let mut diagnostics = generated.diagnostics;
    let ir = match generated.ir {
        Some(ir) if !has_errors(&diagnostics) => ir,
        _ => return Checked::AppErrors { files, diagnostics },
    };
    let generated_changed = match writer::write_generated(root, &generated.outputs) {
        Ok(done) => done.written.len(),
        Err(e) => {
            diagnostics.push(crate::diagnostics::deploy_write_failed(&e));
            return Checked::WriteFailed { files, diagnostics };
        }
    };

    let drift = crate::migrations::replay::check(&root.join(MIGRATIONS_DIR), &tables_of(&ir)).map(
        |found| {
            let drift = !found.is_empty();
            diagnostics.extend(found);
            drift
        },
    );

    let crons = cron_expressions(&ir);
    let mut crons_written = None;
    if write_crons && !crons.is_empty() {
        let path = root.join(WRANGLER_FILE);
        if let Some(text) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| wrangler_config::with_crons(&t, &crons))
        {
            crons_written =
                Some(writer::write_atomic(&path, text.as_bytes()).map_err(|e| e.to_string()));
        }
    }
    let needs_d1 = needs_d1(&ir);
    let expect = Expect {
        needs_d1,
        needs_r2: needs_r2(&ir),
        remote,
        crons: &crons,
    };
    let config = check_config(root, expect, &mut files);
    let config_valid = !has_errors(&config);
    let config_unreadable = config.iter().any(|d| d.code == Code::IoRead);
    diagnostics.extend(config);
    Checked::Done(Checks {
        files,
        diagnostics,
        generated_changed,
        drift,
        crons_written,
        config_valid,
        config_unreadable,
        needs_d1,
    })
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
