//! Comparing generated files with `lunora/_generated/` on disk and writing
//! them: atomically (temp file in the same folder, then rename), only what
//! changed, removing files we no longer generate.

use std::io;
use std::path::{Path, PathBuf};

use lunora_emit::GeneratedFile;

use crate::root::GENERATED_DIR;

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

fn rel(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
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

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.lunora-tmp-{}", std::process::id()))
}

/// Applies `plan`: writes every stale or missing file (all temp files first,
/// then the renames, so a failed write leaves the folder as it was) and
/// removes the extra ones. Returns (files written, files removed).
pub fn apply(
    root: &Path,
    outputs: &[GeneratedFile],
    plan: &Plan,
) -> Result<(usize, usize), WriteError> {
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
    Ok((to_write.len(), plan.extra.len()))
}
