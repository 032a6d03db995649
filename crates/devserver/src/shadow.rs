//! The last good copy of the app's Worker sources that `wrangler dev` runs
//! ([`SHADOW_DIR`]): filled at start, updated after every clean codegen run.

use std::io::Write;
use std::path::{Path, PathBuf};

use lunora_engine::watch::Engine;
use lunora_engine::{Analysis, Change, Session, writer};
use lunora_parser::{OsFs, has_errors};

/// Root-relative folder of the last good copy that `wrangler dev` runs.
pub const SHADOW_DIR: &str = ".wrangler/lunora-dev";
/// What the Worker needs, copied into [`SHADOW_DIR`] at start.
const SHADOW_FILES: &[&str] = &[
    "wrangler.jsonc",
    "tsconfig.json",
    ".dev.vars",
    "package.json",
];
const SHADOW_DIRS: &[&str] = &["src/server", "lunora"];

/// Fills [`SHADOW_DIR`] from the app. When the first codegen had errors and a
/// copy from an earlier run exists, that last good copy is kept.
pub fn prepare_shadow(root: &Path, clean: bool) -> std::io::Result<()> {
    let shadow = root.join(SHADOW_DIR);
    if !clean && shadow.join("lunora").is_dir() {
        return Ok(());
    }
    if shadow.exists() {
        std::fs::remove_dir_all(&shadow)?;
    }
    std::fs::create_dir_all(&shadow)?;
    for file in SHADOW_FILES {
        let from = root.join(file);
        if from.is_file() {
            std::fs::copy(&from, shadow.join(file))?;
        }
    }
    for dir in SHADOW_DIRS {
        copy_tree(&root.join(dir), &shadow.join(dir))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// After a clean run: the sources it read and the files it generated, into
/// [`SHADOW_DIR`] (only files whose contents changed, each written atomically).
fn sync_shadow(root: &Path, generated: &Analysis) -> std::io::Result<()> {
    let shadow = root.join(SHADOW_DIR);
    let sources = generated.files.iter().map(|f| (&f.path, &f.text));
    let outputs = generated.outputs.iter().map(|f| (&f.path, &f.contents));
    for (path, text) in sources.chain(outputs) {
        let rel = Path::new(path.as_str());
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        writer::write_if_changed(&shadow.join(rel), text.as_bytes())?;
    }
    Ok(())
}

/// The incremental engine, plus: after a clean run, the sources it read and
/// the generated files go to [`SHADOW_DIR`].
pub struct ShadowSync<W: Write> {
    pub inner: Session,
    /// Where a failed copy is reported (`lunora dev`: `[lunora] ...` on stderr).
    pub errors: W,
}

impl<W: Write> Engine for ShadowSync<W> {
    fn regenerate(&mut self, root: &Path, changed: &[PathBuf]) -> &Analysis {
        let generated = self.inner.update(&OsFs, Change::Paths(changed));
        let clean = !has_errors(&generated.diagnostics) && !generated.outputs.is_empty();
        if clean && let Err(e) = sync_shadow(root, generated) {
            let _ = writeln!(self.errors, "cannot update {SHADOW_DIR}/: {e}");
        }
        generated
    }
}
