//! Reading, parsing and caching modules, and resolving relative imports.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lunora_parser::summary::{ImportKind, ModuleSummary};
use lunora_parser::{Diagnostic, FileId, Files, ParseReturn, SourceFile, Vfs};

/// Parsed module summaries kept between runs (watch mode, the language
/// server, benches), keyed by root-relative path and content hash. A module is
/// re-parsed only when its text changed; the entry is reused only when the text
/// is byte-for-byte equal (the hash is a fast pre-check, never trusted alone).
/// After a run the cache holds exactly the modules that run read, so deleted
/// files do not linger.
#[derive(Debug, Default)]
pub struct ParseCache {
    entries: BTreeMap<String, CachedParse>,
    /// Modules reused from the cache by the last run.
    pub reused: usize,
    /// Modules (re-)parsed by the last run, sorted.
    pub parsed: Vec<String>,
}

#[derive(Debug)]
struct CachedParse {
    hash: u64,
    text: String,
    /// The file id the diagnostics point into.
    id: FileId,
    /// Shared with the run that parsed it: a hit costs a reference count.
    module: Arc<ModuleSummary>,
    diagnostics: Vec<Diagnostic>,
}

/// One module's parse as the loader keeps it.
struct Parsed {
    module: Arc<ModuleSummary>,
    diagnostics: Vec<Diagnostic>,
}

impl From<ParseReturn> for Parsed {
    fn from(r: ParseReturn) -> Self {
        Self {
            module: Arc::new(r.module),
            diagnostics: r.diagnostics,
        }
    }
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parse diagnostics of `rel`, pointing into file `id`.
    fn diagnostics_of(&self, rel: &str, id: FileId) -> Option<Vec<Diagnostic>> {
        Some(self.entries.get(rel)?.diagnostics_for(id))
    }

    /// Holds a summary of `rel`.
    pub fn contains(&self, rel: &str) -> bool {
        self.entries.contains_key(rel)
    }

    /// Number of modules held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn get(&self, rel: &str, hash: u64, text: &str, id: FileId) -> Option<Parsed> {
        let hit = self.entries.get(rel)?;
        if hit.hash != hash || hit.text != text {
            return None;
        }
        Some(Parsed {
            module: Arc::clone(&hit.module),
            diagnostics: hit.diagnostics_for(id),
        })
    }
}

impl CachedParse {
    fn new(file: &SourceFile, parse: &Parsed) -> Self {
        Self {
            hash: content_hash(&file.text),
            text: file.text.clone(),
            id: file.id,
            module: Arc::clone(&parse.module),
            diagnostics: parse.diagnostics.clone(),
        }
    }

    /// Its parse diagnostics, pointing into file `id`: they only point into
    /// their own file, whose id may differ in this run (ids follow load order).
    fn diagnostics_for(&self, id: FileId) -> Vec<Diagnostic> {
        let mut out = self.diagnostics.clone();
        for d in &mut out {
            for label in &mut d.labels {
                if label.at.file == self.id {
                    label.at.file = id;
                }
            }
        }
        out
    }
}

fn content_hash(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// What a loader keeps between runs: the file table, root-relative path →
/// file id (`None`: unreadable), summaries by file id, and the parse cache.
pub type LoaderParts = (
    Files,
    HashMap<String, Option<FileId>>,
    Vec<Arc<ModuleSummary>>,
    ParseCache,
);

/// A load's diagnostics: read failures, then each module's parse
/// diagnostics, both in input order.
pub type LoadDiagnostics = (Vec<Diagnostic>, Vec<(FileId, Vec<Diagnostic>)>);

pub struct Loader<'f> {
    pub root: PathBuf,
    pub fs: &'f dyn Vfs,
    pub files: Files,
    /// Root-relative path → parsed module (None when it could not be read).
    by_path: HashMap<String, Option<FileId>>,
    /// Indexed by `FileId`. Shared (`Arc`) so passes can hold a module while
    /// loading others, and the parse cache can keep it without a deep copy.
    modules: Vec<Arc<ModuleSummary>>,
    /// Summaries from earlier runs, when the caller keeps them.
    cache: Option<ParseCache>,
    /// What this run parsed or reused, for the next run's cache.
    fresh: BTreeMap<String, CachedParse>,
    /// While recording: every module this run resolved (`module_file`) or
    /// loaded, root-relative (see [`Loader::start_touches`]).
    touches: Option<Vec<String>>,
    /// Made by [`Loader::from_parts`].
    from_parts: bool,
    /// Modules loaded by an earlier run whose parse diagnostics the next
    /// `load` reports again, as a first load would (see
    /// [`Loader::replay_parse_diagnostics`]).
    replay: std::collections::HashSet<String>,
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
            cache: None,
            fresh: BTreeMap::new(),
            touches: None,
            from_parts: false,
            replay: std::collections::HashSet::new(),
        }
    }

    /// A loader over the tables a previous run left (see [`Loader::into_parts`]).
    pub fn from_parts(
        root: &Path,
        fs: &'f dyn Vfs,
        files: Files,
        by_path: HashMap<String, Option<FileId>>,
        modules: Vec<Arc<ModuleSummary>>,
        cache: ParseCache,
    ) -> Self {
        Self {
            files,
            by_path,
            modules,
            from_parts: true,
            ..Self::with_cache(root, fs, cache)
        }
    }

    /// The loader's tables, for [`Loader::from_parts`]; the parse cache keeps
    /// every module read (by this run or the run its parts came from).
    pub fn into_parts(mut self) -> LoaderParts {
        let cache = self.take_cache();
        (self.files, self.by_path, self.modules, cache)
    }

    /// The next `load` of each of `rels` (loaded by the run the parts came
    /// from) reports its parse diagnostics, as that run's first load did.
    pub fn replay_parse_diagnostics(&mut self, rels: impl IntoIterator<Item = String>) {
        self.replay.extend(rels);
    }

    /// The id of `rel` if it was loaded (`Some(None)`: it could not be read).
    pub fn loaded(&self, rel: &str) -> Option<Option<FileId>> {
        self.by_path.get(rel).copied()
    }

    /// Starts recording the modules resolved or loaded from now on.
    pub fn start_touches(&mut self) {
        self.touches = Some(Vec::new());
    }

    /// Stops recording; what was resolved or loaded since [`Self::start_touches`].
    pub fn take_touches(&mut self) -> Vec<String> {
        self.touches.take().unwrap_or_default()
    }

    fn touch(&mut self, rel: &str) {
        if let Some(t) = &mut self.touches {
            t.push(rel.to_string());
        }
    }

    /// Replaces the text and summary of a loaded module (its text changed on
    /// disk); returns its parse diagnostics.
    pub fn reparse(&mut self, id: FileId, text: String) -> Vec<Diagnostic> {
        self.files.set_text(id, text);
        let file = self.files.get(id);
        let r = Parsed::from(lunora_parser::summarize(file));
        if let Some(cache) = &mut self.cache {
            cache.parsed.push(file.path.clone());
            cache
                .entries
                .insert(file.path.clone(), CachedParse::new(file, &r));
        }
        self.modules[id.0 as usize] = r.module;
        r.diagnostics
    }

    /// A loader that reuses the summaries in `cache` (see [`ParseCache`]).
    pub fn with_cache(root: &Path, fs: &'f dyn Vfs, mut cache: ParseCache) -> Self {
        cache.reused = 0;
        cache.parsed.clear();
        Self {
            cache: Some(cache),
            ..Self::new(root, fs)
        }
    }

    /// The cache for the next run: every module this run read, nothing else.
    pub fn take_cache(&mut self) -> ParseCache {
        let mut cache = self.cache.take().unwrap_or_default();
        if self.from_parts {
            // The run the parts came from read every module the cache holds.
            cache.entries.append(&mut self.fresh);
        } else {
            cache.entries = std::mem::take(&mut self.fresh);
        }
        cache.parsed.sort();
        cache
    }

    pub fn module(&self, id: FileId) -> &ModuleSummary {
        &self.modules[id.0 as usize]
    }

    /// The module, shared: usable while `self` is borrowed mutably.
    pub fn module_arc(&self, id: FileId) -> Arc<ModuleSummary> {
        Arc::clone(&self.modules[id.0 as usize])
    }

    pub fn exists(&self, rel: &str) -> bool {
        matches!(self.by_path.get(rel), Some(Some(_))) || self.fs.is_file(&self.root.join(rel))
    }

    fn read(&self, rel: &str) -> Read {
        match self.fs.read(&self.root.join(rel)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Read::Text(text),
                Err(e) => Read::Failed(crate::diagnostics::not_utf8(
                    rel,
                    e.utf8_error().valid_up_to(),
                )),
            },
            Err(e) => Read::Failed(crate::diagnostics::io_read(rel, &e)),
        }
    }

    /// Loads (or returns the cached) module at root-relative `rel`.
    pub fn load(&mut self, rel: &str, diags: &mut Vec<Diagnostic>) -> Option<FileId> {
        self.touch(rel);
        if let Some(id) = self.by_path.get(rel).copied() {
            if self.replay.remove(rel)
                && let (Some(id), Some(cache)) = (id, &self.cache)
                && let Some(parse) = cache.diagnostics_of(rel, id)
            {
                diags.extend(parse);
            }
            return id;
        }
        self.load_many(&[rel.to_string()], diags);
        self.by_path.get(rel).copied().flatten()
    }

    /// Loads many modules, parsing them in parallel. Diagnostics are in input order.
    pub fn load_many(&mut self, rels: &[String], diags: &mut Vec<Diagnostic>) {
        let (failures, parsed) = self.load_many_parts(rels);
        diags.extend(failures);
        for (_, d) in parsed {
            diags.extend(d);
        }
    }

    /// [`Self::load_many`], its diagnostics apart: read failures in input
    /// order, then each loaded module's parse diagnostics in input order.
    pub fn load_many_parts(&mut self, rels: &[String]) -> LoadDiagnostics {
        let mut diags = Vec::new();
        let mut out = Vec::new();
        let mut todo = Vec::new();
        // Cache hits, placed in input order with the parsed ones below.
        let mut hits: HashMap<FileId, Parsed> = HashMap::new();
        for rel in rels {
            if self.by_path.contains_key(rel) {
                continue;
            }
            match self.read(rel) {
                Read::Text(text) => {
                    let hash = self.cache.as_ref().map(|_| content_hash(&text));
                    let id = self.files.add(rel.clone(), text);
                    self.by_path.insert(rel.clone(), Some(id));
                    if let (Some(cache), Some(hash)) = (&mut self.cache, hash) {
                        let text = &self.files.get(id).text;
                        match cache.get(rel, hash, text, id) {
                            Some(parse) => {
                                cache.reused += 1;
                                hits.insert(id, parse);
                            }
                            None => cache.parsed.push(rel.clone()),
                        }
                    }
                    todo.push(id);
                }
                Read::Failed(d) => {
                    diags.push(d);
                    self.by_path.insert(rel.clone(), None);
                }
            }
        }
        let sources: Vec<_> = todo
            .iter()
            .filter(|id| !hits.contains_key(id))
            .map(|id| self.files.get(*id))
            .collect();
        let results = crate::par::map(&sources, |f| Parsed::from(lunora_parser::summarize(f)));
        let mut results = results.into_iter();
        for id in &todo {
            let Some(r) = hits.remove(id).or_else(|| results.next()) else {
                break;
            };
            if self.cache.is_some() {
                let file = self.files.get(*id);
                self.fresh
                    .insert(file.path.clone(), CachedParse::new(file, &r));
            }
            out.push((*id, r.diagnostics));
            let idx = id.0 as usize;
            if self.modules.len() <= idx {
                self.modules.resize_with(idx + 1, Arc::default);
            }
            self.modules[idx] = r.module;
        }
        (diags, out)
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
    pub fn module_file(&mut self, base: &str) -> Option<String> {
        let stem = base
            .strip_suffix(".js")
            .or_else(|| base.strip_suffix(".ts"))
            .unwrap_or(base);
        let candidates = [
            format!("{stem}.ts"),
            format!("{stem}/index.ts"),
            base.to_string(),
        ];
        let found = candidates.into_iter().find(|c| self.exists(c));
        self.touch(found.as_deref().unwrap_or(base));
        found
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

/// Whether `ns` is a namespace import (`import * as ns from ...`) and, if it
/// is, whether of `_generated/server`.
pub(crate) fn namespace_import(ld: &Loader<'_>, file: FileId, ns: &str) -> Option<bool> {
    let m = ld.module(file);
    if m.binding(ns).is_some() {
        return None;
    }
    let (imp, spec) = m.import_of(ns)?;
    if spec.kind != ImportKind::Namespace {
        return None;
    }
    Some(
        ld.resolve(&ld.files.get(file).path, &imp.source)
            .ok()
            .flatten()
            .is_some_and(|base| is_generated_server(&base)),
    )
}
