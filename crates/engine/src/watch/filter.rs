//! Which file-system events start a regeneration. The whole root is watched
//! recursively (so new folders are caught) and events are filtered here.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use crate::layout::{LUNORA_DIR, is_source};

/// Folders whose contents never feed codegen.
const IGNORED_DIRS: &[&str] = &[
    "node_modules",
    ".git",
    "target",
    "dist",
    ".wrangler",
    ".scratch",
];

/// Extensions of modules the analyzer may read.
const SOURCE_EXTS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "json"];

/// Decides whether a changed path matters.
#[derive(Debug, Clone)]
pub struct Filter {
    root: std::path::PathBuf,
    /// Root-relative paths (`/`-separated) the last run read outside `lunora/`
    /// (imported const modules): changes to them matter too.
    deps: BTreeSet<String>,
}

impl Filter {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            deps: BTreeSet::new(),
        }
    }

    /// Replaces the set of files read by the last run.
    pub fn set_deps(&mut self, deps: impl IntoIterator<Item = String>) {
        self.deps = deps.into_iter().collect();
    }

    /// Root-relative paths of the files read outside `lunora/`.
    pub fn deps(&self) -> impl Iterator<Item = &str> {
        self.deps.iter().map(String::as_str)
    }

    /// True if a change at `path` (absolute, or relative to the root) can change
    /// the output.
    pub fn is_relevant(&self, path: &Path) -> bool {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<&str> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        let Some(name) = parts.last() else {
            return false;
        };
        if is_editor_noise(name) {
            return false;
        }
        if parts[..parts.len() - 1]
            .iter()
            .any(|p| IGNORED_DIRS.contains(p))
        {
            return false;
        }
        let rel = parts.join("/");
        if rel == LUNORA_DIR || is_source(&rel) {
            // A source module, or something without an extension: possibly a
            // folder created, removed or renamed as a whole.
            return match extension(name) {
                Some(ext) => SOURCE_EXTS.contains(&ext),
                None => true,
            };
        }
        if parts.first() == Some(&LUNORA_DIR) {
            // Our own writes (`lunora/_generated/`): never a trigger (no feedback loop).
            return false;
        }
        // Outside `lunora/`: only files the last run actually read.
        self.deps.contains(&rel)
    }
}

fn extension(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()).then_some(ext)
}

/// Swap, backup and temp files editors write next to the real one.
pub fn is_editor_noise(name: &str) -> bool {
    name.ends_with('~')                       // vim/emacs backups
        || name.starts_with(".#")             // emacs lock files
        || (name.starts_with('#') && name.ends_with('#')) // emacs autosave
        || name == "4913"                     // vim's write-permission probe
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".swx")
        || name.ends_with(".swpx")
        || name.contains("___jb_")            // JetBrains safe-write temp/old files
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.ends_with(".orig")
        || name.ends_with(".crswap")          // Chrome/VS Code web
        || name == ".DS_Store"
        || name.ends_with(".lunora-tmp") // our own atomic-write temp files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f() -> Filter {
        Filter::new(Path::new("/app"))
    }

    #[test]
    fn sources_under_lunora_are_relevant() {
        let f = f();
        assert!(f.is_relevant(Path::new("/app/lunora/messages.ts")));
        assert!(f.is_relevant(Path::new("/app/lunora/admin/audit-log.ts")));
        assert!(f.is_relevant(Path::new("/app/lunora/schema.ts")));
        // A folder created or renamed as a whole.
        assert!(f.is_relevant(Path::new("/app/lunora/admin")));
    }

    #[test]
    fn own_writes_and_noise_are_ignored() {
        let f = f();
        assert!(!f.is_relevant(Path::new("/app/lunora/_generated/api.ts")));
        assert!(!f.is_relevant(Path::new("/app/lunora/_generated")));
        for noise in [
            "/app/lunora/.messages.ts.swp",
            "/app/lunora/.messages.ts.swx",
            "/app/lunora/messages.ts~",
            "/app/lunora/.#messages.ts",
            "/app/lunora/#messages.ts#",
            "/app/lunora/4913",
            "/app/lunora/messages.ts___jb_tmp___",
            "/app/lunora/messages.ts___jb_old___",
            "/app/lunora/.DS_Store",
            "/app/lunora/api.ts.1234.lunora-tmp",
            "/app/lunora/readme.md",
            "/app/lunora/node_modules/x/index.ts",
        ] {
            assert!(!f.is_relevant(Path::new(noise)), "{noise}");
        }
    }

    #[test]
    fn outside_lunora_only_read_files_matter() {
        let mut f = f();
        assert!(!f.is_relevant(Path::new("/app/shared/consts.ts")));
        f.set_deps(["shared/consts.ts".to_string()]);
        assert!(f.is_relevant(Path::new("/app/shared/consts.ts")));
        assert!(!f.is_relevant(Path::new("/app/shared/other.ts")));
        assert!(!f.is_relevant(Path::new("/app/src/App.tsx")));
    }
}
