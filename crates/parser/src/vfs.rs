//! File access behind a trait, so the same pipeline serves the real file
//! system, editors' unsaved buffers (LSP), tests and fuzzing.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub trait Vfs: Sync {
    /// Reads a whole file as bytes.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// True if `path` is an existing regular file.
    fn is_file(&self, path: &Path) -> bool;
    /// Every regular file under `dir` (and every symlink that is not to a
    /// folder), recursively, sorted. Missing dir → empty.
    fn list_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

impl Vfs for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn list_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        if !dir.is_dir() {
            return Ok(out);
        }
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let entry = entry?;
                let ty = entry.file_type()?;
                if ty.is_dir() {
                    stack.push(entry.path());
                } else if ty.is_file() || (ty.is_symlink() && !entry.path().is_dir()) {
                    // A symlink to a file, or a dangling one: listed, so reading
                    // it reports the error instead of the file silently vanishing.
                    out.push(entry.path());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// An in-memory file system (tests, fuzzing), optionally layered over another
/// one (LSP: unsaved buffers over the disk).
#[derive(Default)]
pub struct MemFs<'a> {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
    pub fallback: Option<&'a dyn Vfs>,
}

impl<'a> MemFs<'a> {
    pub fn new() -> Self {
        Self {
            files: BTreeMap::new(),
            fallback: None,
        }
    }

    pub fn over(fallback: &'a dyn Vfs) -> Self {
        Self {
            files: BTreeMap::new(),
            fallback: Some(fallback),
        }
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), contents.into());
    }
}

impl Vfs for MemFs<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(bytes) => Ok(bytes.clone()),
            None => match self.fallback {
                Some(fs) => fs.read(path),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "no such file")),
            },
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.fallback.is_some_and(|fs| fs.is_file(path))
    }

    fn list_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect();
        if let Some(fs) = self.fallback {
            out.extend(fs.list_files(dir)?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// `path` relative to `root`, with `/` separators (the form of every path in
/// diagnostics and outputs); `None` when it is not under `root`.
pub fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}
