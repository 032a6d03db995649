//! The only writer of Lunora's output: `lunora/_generated/` (codegen, watch
//! mode, `dev`, `deploy`), migration files and `lunora dev`'s shadow copy.
//! Every write is atomic (a temp file in the same folder, then a rename, so
//! a reader never sees half a file) and only files whose bytes changed are
//! written.

use std::io;
use std::path::{Path, PathBuf};

use lunora_emit::GeneratedFile;

use crate::layout::{GENERATED_DIR, relative};

/// What differs between the generated set and the disk. Paths are
/// root-relative with `/` separators, sorted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// On disk with other contents.
    pub stale: Vec<String>,
    /// Generated, not on disk.
    pub missing: Vec<String>,
    /// On disk under `_generated/`, no longer generated.
    pub extra: Vec<String>,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// A file operation that failed: the root-relative path and the error.
#[derive(Debug)]
pub struct WriteError {
    pub path: String,
    pub error: io::Error,
}

/// What [`apply`] (or [`write_generated`]) changed on disk: root-relative
/// paths, sorted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub written: Vec<String>,
    pub removed: Vec<String>,
}

fn rel(root: &Path, path: &Path) -> String {
    relative(root, path)
}

/// Every file currently under `_generated/`, root-relative, sorted.
fn existing(root: &Path) -> Result<Vec<String>, WriteError> {
    let dir = root.join(GENERATED_DIR);
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|error| WriteError {
            path: rel(root, &d),
            error,
        })?;
        for entry in entries {
            let entry = entry.map_err(|error| WriteError {
                path: rel(root, &d),
                error,
            })?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(rel(root, &path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Compares `outputs` with the disk; reads only, writes nothing.
pub fn plan(root: &Path, outputs: &[GeneratedFile]) -> Result<Plan, WriteError> {
    let mut plan = Plan::default();
    for file in outputs {
        match std::fs::read(root.join(&file.path)) {
            Ok(bytes) if bytes == file.contents.as_bytes() => {}
            Ok(_) => plan.stale.push(file.path.clone()),
            // Not a directory: `_generated` (or a parent) is a file; writing
            // will report it.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                plan.missing.push(file.path.clone())
            }
            Err(error) => {
                return Err(WriteError {
                    path: file.path.clone(),
                    error,
                });
            }
        }
    }
    plan.extra = existing(root)?
        .into_iter()
        .filter(|p| !outputs.iter().any(|f| &f.path == p))
        .collect();
    plan.stale.sort();
    plan.missing.sort();
    Ok(plan)
}

/// The temp file beside `target`: hidden, named after it and this process,
/// ending in `.lunora-tmp` (which the watcher ignores).
fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.lunora-tmp", std::process::id()))
}

/// Writes `contents` to `path` through a temp file in the same folder, then a
/// rename (no temp file is left behind on failure). Creates no folder.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// [`write_atomic`] unless `path` already holds `contents`; creates the
/// parent folders. True when it wrote.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    write_atomic(path, contents)?;
    Ok(true)
}

/// [`plan`] then [`apply`]: writes every generated file whose bytes differ
/// from the disk and removes files under `_generated/` no longer generated.
pub fn write_generated(root: &Path, outputs: &[GeneratedFile]) -> Result<Written, WriteError> {
    let plan = plan(root, outputs)?;
    apply(root, outputs, &plan)
}

/// Applies `plan`: writes every stale or missing file (all temp files first,
/// then the renames, so a failed write leaves the folder as it was) and
/// removes the extra ones.
pub fn apply(root: &Path, outputs: &[GeneratedFile], plan: &Plan) -> Result<Written, WriteError> {
    let to_write: Vec<&GeneratedFile> = outputs
        .iter()
        .filter(|f| plan.stale.contains(&f.path) || plan.missing.contains(&f.path))
        .collect();
    let mut temps: Vec<(PathBuf, PathBuf, &str)> = Vec::new();
    let cleanup = |temps: &[(PathBuf, PathBuf, &str)]| {
        for (tmp, _, _) in temps {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for file in &to_write {
        let target = root.join(&file.path);
        let result = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let tmp = temp_path(&target);
                std::fs::write(&tmp, file.contents.as_bytes()).map(|()| tmp)
            });
        match result {
            Ok(tmp) => temps.push((tmp, target, &file.path)),
            Err(error) => {
                cleanup(&temps);
                return Err(WriteError {
                    path: file.path.clone(),
                    error,
                });
            }
        }
    }
    for (i, (tmp, target, path)) in temps.iter().enumerate() {
        if let Err(error) = std::fs::rename(tmp, target) {
            cleanup(&temps[i..]);
            return Err(WriteError {
                path: (*path).to_owned(),
                error,
            });
        }
    }
    for path in &plan.extra {
        std::fs::remove_file(root.join(path)).map_err(|error| WriteError {
            path: path.clone(),
            error,
        })?;
    }
    let mut written: Vec<String> = to_write.iter().map(|f| f.path.clone()).collect();
    written.sort();
    Ok(Written {
        written,
        removed: plan.extra.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn writes_what_changed_and_removes_stale_generated_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("lunora/_generated/nested")).expect("mkdir");
        std::fs::write(root.join("lunora/_generated/old.ts"), "old").expect("write");
        std::fs::write(root.join("lunora/_generated/nested/x.ts"), "x").expect("write");
        let outputs = vec![
            file("lunora/_generated/api.ts", "api"),
            file("lunora/_generated/server.ts", "server"),
        ];
        std::fs::write(root.join("lunora/_generated/server.ts"), "server").expect("write");
        let plan = plan(root, &outputs).expect("plan");
        assert_eq!(plan.missing, ["lunora/_generated/api.ts"]);
        assert!(plan.stale.is_empty());
        assert_eq!(
            plan.extra,
            ["lunora/_generated/nested/x.ts", "lunora/_generated/old.ts"]
        );
        let done = write_generated(root, &outputs).expect("write");
        assert_eq!(done.written, ["lunora/_generated/api.ts"]);
        assert_eq!(
            done.removed,
            ["lunora/_generated/nested/x.ts", "lunora/_generated/old.ts"]
        );
        assert_eq!(
            std::fs::read_to_string(root.join("lunora/_generated/api.ts")).expect("read"),
            "api"
        );
        assert_eq!(
            write_generated(root, &outputs).expect("again"),
            Written::default()
        );
        assert!(plan_is_clean(root, &outputs));
    }

    fn plan_is_clean(root: &Path, outputs: &[GeneratedFile]) -> bool {
        plan(root, outputs).expect("plan").is_clean()
    }

    #[test]
    fn write_if_changed_leaves_equal_files_and_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b.txt");
        assert!(write_if_changed(&path, b"one").expect("write"));
        assert!(!write_if_changed(&path, b"one").expect("same"));
        assert!(write_if_changed(&path, b"two").expect("changed"));
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let names: Vec<String> = std::fs::read_dir(dir.path().join("a"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["b.txt"]);
    }
}
