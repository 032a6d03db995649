//! The app layout: one type that knows where an app's folders are and which
//! files are its sources, and the one root finder every command uses
//! (`codegen`, `codegen --watch`, `migrate`, `dev`, `deploy`, `lsp`).

use std::path::{Component, Path, PathBuf};

/// The folder holding the app's sources, relative to the root.
pub const LUNORA_DIR: &str = "lunora";
/// Where codegen writes, relative to the root (the emitter's constant: the
/// paths of its files start with it).
pub use lunora_emit::GENERATED_DIR;
/// Where `migrate generate` writes D1 migrations, relative to the root.
pub const MIGRATIONS_DIR: &str = "lunora/migrations";

/// One app on disk: its root (the folder that holds `lunora/`) and the
/// folders below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLayout {
    root: PathBuf,
}

impl AppLayout {
    /// The layout of the app at `root` (not checked: see [`Self::find`]).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `explicit` (`--root`) if given: it must hold `lunora/`. Else the nearest
    /// folder from `cwd` upwards that holds `lunora/`. The error is a one-line
    /// message for a usage failure (exit 2).
    pub fn find(explicit: Option<&Path>, cwd: &Path) -> Result<Self, String> {
        if let Some(root) = explicit {
            let root = if root.is_absolute() {
                root.to_path_buf()
            } else {
                cwd.join(root)
            };
            return if root.join(LUNORA_DIR).is_dir() {
                Ok(Self::new(root))
            } else {
                Err(format!(
                    "`{}` has no `{LUNORA_DIR}/` folder; pass the app root (the folder that holds `{LUNORA_DIR}/`)",
                    root.display()
                ))
            };
        }
        cwd.ancestors()
            .find(|dir| dir.join(LUNORA_DIR).is_dir())
            .map(Self::new)
            .ok_or_else(|| {
                format!(
                    "no `{LUNORA_DIR}/` folder in `{}` or any parent; run inside a Lunora app or pass `--root <dir>`",
                    cwd.display()
                )
            })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn into_root(self) -> PathBuf {
        self.root
    }

    /// `<root>/lunora`.
    pub fn lunora_dir(&self) -> PathBuf {
        self.root.join(LUNORA_DIR)
    }

    /// `<root>/lunora/_generated`.
    pub fn generated_dir(&self) -> PathBuf {
        self.root.join(GENERATED_DIR)
    }

    /// `<root>/lunora/migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        self.root.join(MIGRATIONS_DIR)
    }

    /// Root-relative, `/`-separated form of `path` (`.` for the root itself).
    pub fn relative(&self, path: &Path) -> String {
        relative(&self.root, path)
    }
}

/// Root-relative, `/`-separated form of `path` (absolute, or already relative
/// to `root`); `.` for the root itself.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The source-file rule shared by codegen's watcher and the language server:
/// `rel` (root-relative, `/`-separated) lies under `lunora/` and is not
/// codegen's own output (`lunora/_generated/`).
pub fn is_source(rel: &str) -> bool {
    let Some(rest) = rel
        .strip_prefix(LUNORA_DIR)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|r| !r.is_empty())
    else {
        return false;
    };
    let generated = &GENERATED_DIR[LUNORA_DIR.len() + 1..];
    !(rest == generated || rest.starts_with(&format!("{generated}/")))
}

// The Worker's configuration: `wrangler.jsonc` and the bindings the template
// writes there and `@lunora/runtime` reads (checked by `crate::wrangler_config`).

/// Root-relative path of the config file.
pub const WRANGLER_FILE: &str = "wrangler.jsonc";
/// The Durable Object binding `@lunora/runtime` reads (its default).
pub const SHARD_BINDING: &str = "LUNORA_SHARD";
/// The class the template's Worker exports.
pub const SHARD_CLASS: &str = "LunoraShard";
/// The D1 binding `@lunora/runtime` reads (its default).
pub const D1_BINDING: &str = "DB";
/// The R2 binding `@lunora/runtime` stores files in (its default).
pub const R2_BINDING: &str = "STORAGE";
/// The database id `lunora init` writes until `wrangler d1 create` gives a real one.
pub const PLACEHOLDER_DATABASE_ID: &str = "00000000-0000-4000-8000-000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nearest_app_upwards() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let app = tmp.path().join("app");
        std::fs::create_dir_all(app.join("lunora/_generated")).expect("mkdir");
        std::fs::create_dir_all(app.join("src/client")).expect("mkdir");
        let found = |explicit: Option<&Path>, cwd: &Path| {
            AppLayout::find(explicit, cwd).map(AppLayout::into_root)
        };
        assert_eq!(found(None, &app.join("src/client")), Ok(app.clone()));
        assert_eq!(found(None, &app), Ok(app.clone()));
        // inside lunora/ itself the app root is still its parent
        assert_eq!(found(None, &app.join("lunora")), Ok(app.clone()));
        assert_eq!(found(Some(Path::new("app")), tmp.path()), Ok(app));
        assert!(found(Some(Path::new(".")), tmp.path()).is_err());
    }

    #[test]
    fn no_app_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = AppLayout::find(None, tmp.path()).expect_err("no app");
        assert!(err.contains("--root"), "{err}");
    }

    #[test]
    fn folders_and_relative_paths() {
        let app = AppLayout::new("/app");
        assert_eq!(app.generated_dir(), Path::new("/app/lunora/_generated"));
        assert_eq!(app.migrations_dir(), Path::new("/app/lunora/migrations"));
        assert_eq!(app.relative(Path::new("/app/lunora/a.ts")), "lunora/a.ts");
        assert_eq!(app.relative(Path::new("lunora/./a.ts")), "lunora/a.ts");
        assert_eq!(app.relative(Path::new("/app")), ".");
    }

    #[test]
    fn sources_are_under_lunora_but_not_generated() {
        assert!(
            !is_source("lunora"),
            "the folder itself is not a source file"
        );
        assert!(is_source("lunora/schema.ts"));
        assert!(is_source("lunora/admin/audit-log.ts"));
        assert!(is_source("lunora/_generatedish.ts"));
        assert!(!is_source("lunora/_generated"));
        assert!(!is_source("lunora/_generated/api.ts"));
        assert!(!is_source("lunorax/a.ts"));
        assert!(!is_source("src/server/index.ts"));
    }
}
