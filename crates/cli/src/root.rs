//! Finding the app root: the folder that holds `lunora/`.

use std::path::{Path, PathBuf};

/// The folder holding the app's sources, relative to the root.
pub const LUNORA_DIR: &str = "lunora";
/// Where codegen writes, relative to the root.
pub const GENERATED_DIR: &str = "lunora/_generated";

/// `--root` if given (it must hold `lunora/`), else the nearest folder from
/// `cwd` upwards that holds `lunora/`. The error is a one-line message for a
/// usage failure (exit 2).
pub fn find_root(explicit: Option<&Path>, cwd: &Path) -> Result<PathBuf, String> {
    if let Some(root) = explicit {
        let root = if root.is_absolute() {
            root.to_path_buf()
        } else {
            cwd.join(root)
        };
        return if root.join(LUNORA_DIR).is_dir() {
            Ok(root)
        } else {
            Err(format!(
                "`{}` has no `{LUNORA_DIR}/` folder; pass the app root (the folder that holds `{LUNORA_DIR}/`)",
                root.display()
            ))
        };
    }
    cwd.ancestors()
        .find(|dir| dir.join(LUNORA_DIR).is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            format!(
                "no `{LUNORA_DIR}/` folder in `{}` or any parent; run inside a Lunora app or pass `--root <dir>`",
                cwd.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nearest_app_upwards() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let app = tmp.path().join("app");
        std::fs::create_dir_all(app.join("lunora/_generated")).expect("mkdir");
        std::fs::create_dir_all(app.join("src/client")).expect("mkdir");
        assert_eq!(find_root(None, &app.join("src/client")), Ok(app.clone()));
        assert_eq!(find_root(None, &app), Ok(app.clone()));
        // inside lunora/ itself the app root is still its parent
        assert_eq!(find_root(None, &app.join("lunora")), Ok(app.clone()));
        assert_eq!(find_root(Some(Path::new("app")), tmp.path()), Ok(app));
        assert!(find_root(Some(Path::new(".")), tmp.path()).is_err());
    }

    #[test]
    fn no_app_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = find_root(None, tmp.path()).expect_err("no app");
        assert!(err.contains("--root"), "{err}");
    }
}
