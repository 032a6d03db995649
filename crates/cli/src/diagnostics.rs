//! Every diagnostic the commands report themselves, one named constructor per
//! problem (the stages' and the engine's are built in their own crates).

use lunora_emit::migrate::{DataLoss, Refusal, describe_loss, describe_refusal};
use lunora_engine::layout::GENERATED_DIR;
use lunora_engine::wrangler_config::WRANGLER_FILE;
use lunora_engine::writer::WriteError;
use lunora_parser::{Code, Diagnostic, FileSpan};

/// The schema file, named by a migration diagnostic without a label.
const SCHEMA: &str = "lunora/schema.ts";

/// Labels `diag` at `at`, or names the schema file when the span is unknown.
fn at_or_schema(diag: Diagnostic, at: Option<FileSpan>, label: &str) -> Diagnostic {
    match at {
        Some(s) => diag.with_label(s.file, s.span, label),
        None => diag.with_path(SCHEMA),
    }
}

// ---------------------------------------------------------------------------
// codegen
// ---------------------------------------------------------------------------

/// A generated file `lunora codegen` cannot `verb` (write, remove).
pub(crate) fn codegen_write_failed(e: &WriteError, verb: &str) -> Diagnostic {
    Diagnostic::error(
        Code::IoWrite,
        format!("cannot {verb} this file: {}", e.error),
    )
    .with_path(e.path.clone())
    .with_help(format!(
        "make sure `{GENERATED_DIR}/` is a writable folder, then run `lunora codegen` again"
    ))
}

// ---------------------------------------------------------------------------
// deploy
// ---------------------------------------------------------------------------

/// A generated file `lunora deploy` cannot write.
pub(crate) fn deploy_write_failed(e: &WriteError) -> Diagnostic {
    Diagnostic::error(
        Code::IoWrite,
        format!("cannot write this file: {}", e.error),
    )
    .with_path(e.path.clone())
    .with_help(format!("make sure `{GENERATED_DIR}/` is writable"))
}

/// The app has no `wrangler.jsonc`.
pub(crate) fn no_wrangler_config() -> Diagnostic {
    Diagnostic::error(Code::ConfigSyntax, format!("there is no {WRANGLER_FILE}"))
        .with_path(WRANGLER_FILE)
        .with_help("`lunora init` writes one; copy it from a new app")
}

/// `wrangler.jsonc` cannot be read (`error`).
pub(crate) fn wrangler_config_unreadable(error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::IoRead,
        format!("cannot read {WRANGLER_FILE}: {error}"),
    )
    .with_path(WRANGLER_FILE)
    .with_help("make sure the file is readable")
}

// ---------------------------------------------------------------------------
// migrate generate: refusals and data loss
// ---------------------------------------------------------------------------

/// A new required column of a table with rows (`at`: the field, else the table).
pub(crate) fn migration_required_column(refusal: &Refusal, at: Option<FileSpan>) -> Diagnostic {
    let (msg, help) = describe_refusal(refusal);
    at_or_schema(
        Diagnostic::error(Code::MigrationRequiredColumn, msg),
        at,
        "required: rows already in the table have no value",
    )
    .with_help(help)
}

/// A `--rename` that does not fit the diff.
pub(crate) fn migration_bad_rename(refusal: &Refusal) -> Diagnostic {
    let (msg, help) = describe_refusal(refusal);
    Diagnostic::error(Code::MigrationBadRename, msg)
        .with_path(SCHEMA)
        .with_help(help)
}

/// A migration that would delete data (`at`: the table or field it concerns).
pub(crate) fn migration_data_loss(loss: &DataLoss, at: Option<FileSpan>) -> Diagnostic {
    let msg = format!("this migration would delete {}", describe_loss(loss));
    let label = match loss {
        DataLoss::Table { .. } => "its data would be lost",
        DataLoss::Column { .. } => "loses a column",
        DataLoss::Narrowing { .. } | DataLoss::NullRows { .. } => "changed here",
    };
    at_or_schema(Diagnostic::error(Code::MigrationDataLoss, msg), at, label).with_help(
        "if that is intended, run again with `--allow-data-loss`; to keep data under a new \
         name use `--rename table.old=new` or `--rename old=new`",
    )
}
