//! Reading, parsing and caching modules, and resolving relative imports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lunora_parser::summary::ModuleSummary;
use lunora_parser::{Code, Diagnostic, FileId, Files, Vfs};

pub struct Loader<'f> {
    pub root: PathBuf,
    pub fs: &'f dyn Vfs,
    pub files: Files,
    /// Root-relative path → parsed module (None when it could not be read).
    by_path: HashMap<String, Option<FileId>>,
    /// Indexed by `FileId`.
    pub modules: Vec<ModuleSummary>,
}

/// Outcome of reading one file.
enum Read {
    Text(String),
    Failed(Diagnostic),
}

impl<'f> Loader<'f> {
    pub fn new(root: &Path, fs: &'f dyn Vfs) -> Self {
        Self {
            root: root.to_path_buf(),
            fs,
            files: Files::new(),
            by_path: HashMap::new(),
            modules: Vec::new(),
        }
    }

    pub fn module(&self, id: FileId) -> &ModuleSummary {
        &self.modules[id.0 as usize]
    }

    pub fn exists(&self, rel: &str) -> bool {
        matches!(self.by_path.get(rel), Some(Some(_))) || self.fs.is_file(&self.root.join(rel))
    }

    fn read(&self, rel: &str) -> Read {
        match self.fs.read(&self.root.join(rel)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Read::Text(text),
                Err(e) => Read::Failed(
                    Diagnostic::error(
                        Code::IoNotUtf8,
                        format!(
                            "`{rel}` is not valid UTF-8 (invalid byte at offset {})",
                            e.utf8_error().valid_up_to()
                        ),
                    )
                    .with_path(rel)
                    .with_help("save the file as UTF-8"),
                ),
            },
            Err(e) => Read::Failed(
                Diagnostic::error(Code::IoRead, format!("cannot read `{rel}`: {e}"))
                    .with_path(rel)
                    .with_help("check that the file exists and is readable"),
            ),
        }
    }

    /// Loads (or returns the cached) module at root-relative `rel`.
    pub fn load(&mut self, rel: &str, diags: &mut Vec<Diagnostic>) -> Option<FileId> {
        if let Some(id) = self.by_path.get(rel) {
            return *id;
        }
        self.load_many(&[rel.to_string()], diags);
        self.by_path.get(rel).copied().flatten()
    }

    /// Loads many modules, parsing them in parallel. Diagnostics are in input order.
    pub fn load_many(&mut self, rels: &[String], diags: &mut Vec<Diagnostic>) {
        let mut todo = Vec::new();
        for rel in rels {
            if self.by_path.contains_key(rel) {
                continue;
            }
            match self.read(rel) {
                Read::Text(text) => {
                    let id = self.files.add(rel.clone(), text);
                    self.by_path.insert(rel.clone(), Some(id));
                    todo.push(id);
                }
                Read::Failed(d) => {
                    diags.push(d);
                    self.by_path.insert(rel.clone(), None);
                }
            }
        }
        let sources: Vec<_> = todo.iter().map(|id| self.files.get(*id)).collect();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let results: Vec<lunora_parser::ParseReturn> = if sources.len() < 16 || threads < 2 {
            sources
                .iter()
                .map(|f| lunora_parser::summarize(f))
                .collect()
        } else {
            let chunk = sources.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = sources
                    .chunks(chunk)
                    .map(|c| {
                        s.spawn(move || {
                            c.iter()
                                .map(|f| lunora_parser::summarize(f))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
        for (id, r) in todo.iter().zip(results) {
            diags.extend(r.diagnostics);
            let idx = id.0 as usize;
            if self.modules.len() <= idx {
                self.modules.resize_with(idx + 1, ModuleSummary::default);
            }
            self.modules[idx] = r.module;
        }
    }

    /// Resolves an import `source` written in `from` (root-relative) to a
    /// root-relative module path: relative paths and the `@/` alias (the app
    /// root). `Ok(None)` for a package import; `Err(())` if it points nowhere.
    pub fn resolve(&self, from: &str, source: &str) -> Result<Option<String>, ()> {
        let base = if let Some(rest) = source.strip_prefix("@/") {
            normalize("", rest)
        } else if source.starts_with("./") || source.starts_with("../") || source == "." {
            let dir = match from.rfind('/') {
                Some(i) => &from[..i],
                None => "",
            };
            normalize(dir, source)
        } else {
            return Ok(None);
        };
        let base = base.ok_or(())?;
        Ok(Some(base))
    }

    /// The module file for a resolved import base (`lunora/shared` →
    /// `lunora/shared.ts` or `lunora/shared/index.ts`).
    pub fn module_file(&self, base: &str) -> Option<String> {
        let stem = base
            .strip_suffix(".js")
            .or_else(|| base.strip_suffix(".ts"))
            .unwrap_or(base);
        let candidates = [
            format!("{stem}.ts"),
            format!("{stem}/index.ts"),
            base.to_string(),
        ];
        candidates.into_iter().find(|c| self.exists(c))
    }
}

/// Joins `dir` and a relative `path`, resolving `.` and `..`. `None` if it
/// escapes the root.
fn normalize(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Is `base` (a resolved import) the generated server module?
pub fn is_generated_server(base: &str) -> bool {
    let stem = base
        .strip_suffix(".js")
        .or_else(|| base.strip_suffix(".ts"))
        .unwrap_or(base);
    stem == "lunora/_generated/server"
}
