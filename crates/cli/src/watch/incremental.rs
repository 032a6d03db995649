//! The incremental codegen engine: [`Incremental`] keeps what one run learnt
//! and regenerates with as little work as the change allows, always producing
//! what a cold [`pipeline::generate`] would.
//!
//! Three levels of reuse, each exact (no guess about what a change affects):
//!
//! 1. **Early cut-off.** Every question the last analysis asked the file
//!    system (reads, `is_file` probes, folder listings) is recorded with its
//!    answer. On update the questions are asked again; when every answer is the
//!    same, the analysis, a pure function of those answers, would be the same:
//!    the previous result is returned without parsing or checking anything.
//!    (A touched file, a save of identical bytes, a change in an unread file.)
//! 2. **Parse cache.** Otherwise the analyzer runs with a
//!    [`ParseCache`]: module summaries keyed by path + content hash (text
//!    compared byte for byte), so only files whose text changed are parsed.
//!    Every semantic pass runs again over the summaries: a schema change
//!    re-checks every function module that depends on it, by construction.
//! 3. **Emit reuse.** When the new IR equals the IR of the last clean run, the
//!    outputs of that run are reused without emitting.
//!
//! The engine reads the disk itself, so a missed or coalesced watcher event
//! cannot make it stale: `changed` paths are reported, never trusted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lunora_analyzer::{Ir, ParseCache};
use lunora_emit::GeneratedFile;
use lunora_parser::{Files, OsFs, Vfs, has_errors};

use crate::pipeline::{self, Generated};

/// What the last [`Incremental::update`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// False when nothing the last analysis read had changed: the previous
    /// result was returned as is.
    pub analyzed: bool,
    /// Modules parsed (new or changed text), root-relative and sorted.
    pub parsed: Vec<String>,
    /// Modules whose cached summary was reused.
    pub reused: usize,
    /// True when `_generated/` contents were emitted; false when they were
    /// reused (same IR as the last clean run) or when the run had errors.
    pub emitted: bool,
}

/// Incremental regeneration of one app. `Incremental::new(root)` then
/// `update(&changed)` after each batch of changes; the first update is a cold
/// run.
pub struct Incremental {
    root: PathBuf,
    cache: ParseCache,
    /// The file-system questions of the last analysis and their answers.
    trace: Option<Trace>,
    last: Generated,
    /// IR and outputs of the last run without errors.
    last_clean: Option<(Ir, Vec<GeneratedFile>)>,
    stats: UpdateStats,
    updates: u64,
}

impl Incremental {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            cache: ParseCache::new(),
            trace: None,
            last: Generated {
                files: Files::new(),
                diagnostics: Vec::new(),
                ir: None,
                outputs: Vec::new(),
            },
            last_clean: None,
            stats: UpdateStats::default(),
            updates: 0,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Regenerates from the disk after `changed` paths changed (any paths,
    /// absolute or root-relative, files or folders; empty is fine). Returns
    /// the same result as `pipeline::generate(root, &OsFs)` would now.
    pub fn update(&mut self, changed: &[PathBuf]) -> &Generated {
        // Kept for the signature's sake: the engine re-checks by content.
        let _ = changed;
        self.update_with(&OsFs)
    }

    /// [`Self::update`] over any file system (in-memory in tests, editor
    /// buffers over the disk in the language server).
    pub fn update_with(&mut self, fs: &dyn Vfs) -> &Generated {
        self.updates += 1;
        if let Some(trace) = &self.trace
            && trace.still_holds(fs)
        {
            self.stats = UpdateStats {
                analyzed: false,
                parsed: Vec::new(),
                reused: 0,
                emitted: false,
            };
            return &self.last;
        }
        let recording = Recording::new(fs);
        let analyzed = lunora_analyzer::analyze_cached(&self.root, &recording, &mut self.cache);
        self.trace = Some(recording.into_trace());
        let mut emitted = false;
        let outputs = match &analyzed.ir {
            Some(ir) if !has_errors(&analyzed.diagnostics) => match &self.last_clean {
                Some((last_ir, outputs)) if last_ir == ir => outputs.clone(),
                _ => {
                    emitted = true;
                    let outputs = lunora_emit::emit_generated(ir).files;
                    self.last_clean = Some((ir.clone(), outputs.clone()));
                    outputs
                }
            },
            _ => Vec::new(),
        };
        self.stats = UpdateStats {
            analyzed: true,
            parsed: self.cache.parsed.clone(),
            reused: self.cache.reused,
            emitted,
        };
        self.last = Generated {
            files: analyzed.files,
            diagnostics: analyzed.diagnostics,
            ir: analyzed.ir,
            outputs,
        };
        &self.last
    }

    /// The result of the last update (empty before the first).
    pub fn last(&self) -> &Generated {
        &self.last
    }

    /// What the last update did.
    pub fn stats(&self) -> &UpdateStats {
        &self.stats
    }

    /// Number of updates so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }
}

/// A cold run, for comparison: exactly what `codegen` does.
pub fn cold(root: &Path, fs: &dyn Vfs) -> Generated {
    pipeline::generate(root, fs)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Question {
    Read(PathBuf),
    IsFile(PathBuf),
    List(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Read(Result<Vec<u8>, IoError>),
    IsFile(bool),
    List(Result<Vec<PathBuf>, IoError>),
}

/// An `io::Error` as data: its kind and message, which is all the analyzer
/// looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IoError {
    kind: std::io::ErrorKind,
    message: String,
}

impl IoError {
    fn from_io(e: std::io::Error) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    fn to_io(&self) -> std::io::Error {
        std::io::Error::new(self.kind, self.message.clone())
    }
}

fn ask(fs: &dyn Vfs, q: &Question) -> Answer {
    match q {
        Question::Read(p) => Answer::Read(fs.read(p).map_err(IoError::from_io)),
        Question::IsFile(p) => Answer::IsFile(fs.is_file(p)),
        Question::List(p) => Answer::List(fs.list_files(p).map_err(IoError::from_io)),
    }
}

/// Every question an analysis asked, with the first answer it got.
#[derive(Debug, Default)]
struct Trace {
    answers: BTreeMap<Question, Answer>,
    /// A question got two different answers within the run (a file changed
    /// while it was read): the result matches no single state of the disk.
    unstable: bool,
}

impl Trace {
    fn still_holds(&self, fs: &dyn Vfs) -> bool {
        !self.unstable && self.answers.iter().all(|(q, a)| ask(fs, q) == *a)
    }
}

/// A [`Vfs`] that records every question and answer.
struct Recording<'a> {
    inner: &'a dyn Vfs,
    trace: Mutex<Trace>,
}

impl<'a> Recording<'a> {
    fn new(inner: &'a dyn Vfs) -> Self {
        Self {
            inner,
            trace: Mutex::new(Trace::default()),
        }
    }

    fn record(&self, q: Question) -> Answer {
        let a = ask(self.inner, &q);
        // A poisoned lock only means another recording call panicked; the map
        // itself is intact.
        let mut trace = self.trace.lock().unwrap_or_else(|e| e.into_inner());
        match trace.answers.get(&q) {
            Some(first) if *first != a => trace.unstable = true,
            Some(_) => {}
            None => {
                trace.answers.insert(q, a.clone());
            }
        }
        a
    }

    fn into_trace(self) -> Trace {
        self.trace.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Vfs for Recording<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self.record(Question::Read(path.to_path_buf())) {
            Answer::Read(answer) => answer.map_err(|e| e.to_io()),
            // `record` answers a question of the same kind.
            Answer::IsFile(_) | Answer::List(_) => self.inner.read(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        matches!(
            self.record(Question::IsFile(path.to_path_buf())),
            Answer::IsFile(true)
        )
    }

    fn list_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        match self.record(Question::List(dir.to_path_buf())) {
            Answer::List(answer) => answer.map_err(|e| e.to_io()),
            Answer::Read(_) | Answer::IsFile(_) => self.inner.list_files(dir),
        }
    }
}
