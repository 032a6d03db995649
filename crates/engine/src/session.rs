//! The incremental session: [`Session`] keeps what one run learnt and
//! regenerates with as little work as the [`Change`] allows, always producing
//! what a cold [`crate::generate`] would. `codegen --watch`, `lunora dev`, the
//! language server and the benchmarks use it.
//!
//! Four levels of reuse, each exact (no guess about what a change affects):
//!
//! 1. **Module-local runs.** When the watcher names the changed paths and
//!    they are all function modules that the last run found *isolated* (they
//!    import no other local file and none imports them; see
//!    [`lunora_analyzer::Session`]), only those files are read, parsed and
//!    analyzed; every other module's results, the tables and the outputs of
//!    unchanged modules are reused ([`lunora_emit::Emitter`]). Paths that
//!    neither exist nor were read (an editor's temporary file) are ignored.
//!    Here the engine trusts the watcher: files it does not name are taken
//!    as unchanged (a lost event makes the watcher report a rescan, which
//!    takes the next level).
//! 2. **Early cut-off.** Otherwise every question the last analysis asked
//!    the file system (reads, `is_file` probes, folder listings) is asked
//!    again; when every answer is the same, the analysis, a pure function of
//!    those answers, would be the same: the previous result is returned
//!    without parsing or checking anything.
//! 3. **Parse cache.** Otherwise the whole analysis runs, reusing the
//!    summaries of files whose text did not change (compared byte for byte),
//!    so only changed files are parsed. Every semantic pass runs again.
//! 4. **Emit reuse.** When the new IR equals the IR of the last clean run, the
//!    outputs of that run are reused without emitting.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lunora_analyzer::{Ir, IrChange, Reanalyzed};
use lunora_emit::{Emitter, GeneratedFile};
use lunora_parser::{Vfs, has_errors};

use crate::layout::LUNORA_DIR;
use crate::pipeline::Analysis;

/// What changed since the last [`Session::update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// Not known (the first update, an editor's buffers, a rescan): every
    /// question the last analysis asked the file system is asked again.
    Unknown,
    /// These paths changed (absolute or root-relative, files or folders), as
    /// a watcher reports them, and nothing else did. An empty list is the
    /// same as [`Change::Unknown`].
    Paths(&'a [PathBuf]),
}

/// What the last [`Session::update`] did.
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
    /// Only the changed modules were analyzed (level 1 above).
    pub local: bool,
}

/// Incremental regeneration of one app. `Session::new(root)` then
/// `update(fs, change)` after each batch of changes; the first update is a
/// cold run.
pub struct Session {
    root: PathBuf,
    session: lunora_analyzer::Session,
    emitter: Emitter,
    /// Modules whose functions changed since the emitter last rendered
    /// (runs with errors emit nothing); `None`: anything may have.
    unemitted: Option<BTreeSet<String>>,
    /// The file-system questions of the last analysis and their answers.
    trace: Option<Trace>,
    last: Analysis,
    /// IR and outputs of the last run without errors.
    last_clean: Option<(Ir, Vec<GeneratedFile>)>,
    stats: UpdateStats,
    updates: u64,
}

impl Session {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            session: lunora_analyzer::Session::new(),
            emitter: Emitter::new(),
            unemitted: None,
            trace: None,
            last: Analysis::default(),
            last_clean: None,
            stats: UpdateStats::default(),
            updates: 0,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Regenerates over `fs` (the disk, in-memory files in tests, editor
    /// buffers over the disk in the language server) after `change`.
    /// Returns the same result as `generate(root, fs)` would now, provided a
    /// [`Change::Paths`] names every path changed since the last update (a
    /// folder, or [`Change::Unknown`], makes it check everything).
    pub fn update(&mut self, fs: &dyn Vfs, change: Change<'_>) -> &Analysis {
        match change {
            Change::Paths(changed) if !changed.is_empty() => self.update_paths(fs, changed),
            Change::Paths(_) | Change::Unknown => self.update_all(fs),
        }
    }

    fn update_paths(&mut self, fs: &dyn Vfs, changed: &[PathBuf]) -> &Analysis {
        match self.local_change(fs, changed) {
            Some(rels) if rels.is_empty() => {
                // Nothing the last run read changed, nothing it would read appeared.
                self.updates += 1;
                self.stats = UpdateStats::default();
                return &self.last;
            }
            Some(rels) if self.update_local(fs, &rels) => return &self.last,
            _ => {}
        }
        self.update_all(fs)
    }

    /// The function modules a change touched, when it can be handled module
    /// by module (level 1): every changed path is a file the last run read
    /// and still a file, or a path that is not a file now and was not read
    /// (nor any file under it). `None` otherwise.
    fn local_change(&self, fs: &dyn Vfs, changed: &[PathBuf]) -> Option<Vec<String>> {
        let trace = self.trace.as_ref()?;
        if changed.is_empty() || trace.unstable {
            return None;
        }
        // The watcher reports changes under `lunora/` and to files read
        // outside it; a module looked for outside `lunora/` and not found
        // (an unresolved import) could appear unreported: check everything.
        let lunora = self.root.join(LUNORA_DIR);
        if trace.answers.iter().any(|(q, a)| {
            matches!((q, a), (Question::IsFile(p), Answer::IsFile(false)) if !p.starts_with(&lunora))
        }) {
            return None;
        }
        let mut rels: Vec<String> = Vec::new();
        for path in changed {
            let abs = if path.is_absolute() {
                path.clone()
            } else {
                self.root.join(path)
            };
            let rel = lunora_parser::relative_path(&self.root, &abs)?;
            if rel.is_empty() {
                return None;
            }
            let read = self.last.files.find(&rel).is_some();
            if fs.is_file(&abs) {
                if !read {
                    return None;
                }
                if !rels.contains(&rel) {
                    rels.push(rel);
                }
            } else {
                // Gone (or never there): harmless unless the last run asked
                // about it or about something under it.
                if read || trace.mentions(&abs) {
                    return None;
                }
                // A folder that exists now may hold new files.
                if fs.list_files(&abs).is_ok_and(|l| !l.is_empty()) {
                    return None;
                }
            }
        }
        rels.sort();
        Some(rels)
    }

    /// Level 1: re-analyzes the modules `rels` alone. False when the session
    /// finds the change is not local (then nothing was kept).
    fn update_local(&mut self, fs: &dyn Vfs, rels: &[String]) -> bool {
        let files = std::mem::take(&mut self.last.files);
        let ir = self.last.ir.take();
        let Some(re) = self.session.reanalyze(&self.root, fs, files, ir, rels) else {
            // Not local: the last run's files and IR are used up, and the
            // trace may still hold (the texts on disk equal what it recorded),
            // which would hand back `self.last` stripped of them. Forget the
            // trace: the caller's full run rebuilds everything.
            self.trace = None;
            return false;
        };
        let Reanalyzed {
            files,
            ir,
            diagnostics,
            change,
            ..
        } = re;
        self.updates += 1;
        // The trace now answers with the new texts.
        if let Some(trace) = &mut self.trace {
            for rel in rels {
                if let Some(f) = files.find(rel) {
                    trace.answers.insert(
                        Question::Read(self.root.join(rel)),
                        Answer::Read(Ok(f.text.as_bytes().to_vec())),
                    );
                }
            }
        }
        let clean = !has_errors(&diagnostics);
        let mut emitted = false;
        let mut buffers = std::mem::take(&mut self.last.outputs);
        // What changed since the emitter last ran: this run's modules and
        // those of runs that stopped on errors.
        let changed = match (self.unemitted.take(), change) {
            (Some(mut before), IrChange::Modules(now)) => {
                before.extend(now);
                IrChange::Modules(before.into_iter().collect())
            }
            _ => IrChange::Any,
        };
        let outputs = match &ir {
            Some(ir) if clean => {
                emitted = true;
                self.unemitted = Some(BTreeSet::new());
                self.emitter.update_reusing(ir, &changed, &mut buffers)
            }
            _ => {
                self.unemitted = match changed {
                    IrChange::Modules(modules) => Some(modules.into_iter().collect()),
                    IrChange::Any => None,
                };
                Vec::new()
            }
        };
        self.stats = UpdateStats {
            analyzed: true,
            parsed: rels.to_vec(),
            reused: files.len() - rels.len(),
            emitted,
            local: true,
        };
        self.last = Analysis {
            files,
            diagnostics,
            ir,
            outputs,
        };
        true
    }

    /// Checks everything (levels 2 to 4).
    fn update_all(&mut self, fs: &dyn Vfs) -> &Analysis {
        self.updates += 1;
        if let Some(trace) = &self.trace
            && trace.still_holds(fs)
        {
            self.stats = UpdateStats::default();
            return &self.last;
        }
        let recording = Recording::new(fs);
        let analyzed = self.session.analyze(&self.root, &recording);
        self.trace = Some(recording.into_trace());
        let mut emitted = false;
        // The emitter's pieces match the IR after this only if it renders now.
        self.unemitted = None;
        let outputs = match &analyzed.ir {
            Some(ir) if !has_errors(&analyzed.diagnostics) => match &self.last_clean {
                Some((last_ir, outputs)) if last_ir == ir => outputs.clone(),
                _ => {
                    emitted = true;
                    let outputs = self.emitter.update(ir, &IrChange::Any);
                    self.unemitted = Some(BTreeSet::new());
                    self.last_clean = Some((ir.clone(), outputs.clone()));
                    outputs
                }
            },
            _ => Vec::new(),
        };
        let cache = self.session.cache();
        self.stats = UpdateStats {
            analyzed: true,
            parsed: cache.parsed.clone(),
            reused: cache.reused,
            emitted,
            local: false,
        };
        self.last = Analysis {
            files: analyzed.files,
            diagnostics: analyzed.diagnostics,
            ir: analyzed.ir,
            outputs,
        };
        &self.last
    }

    /// The result of the last update (empty before the first).
    pub fn last(&self) -> &Analysis {
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
    /// Some question or listed path is `path` or lies under it.
    fn mentions(&self, path: &Path) -> bool {
        self.answers.iter().any(|(q, a)| {
            let (Question::Read(p) | Question::IsFile(p) | Question::List(p)) = q;
            p.starts_with(path)
                || matches!(a, Answer::List(Ok(listed)) if listed.iter().any(|l| l.starts_with(path)))
        })
    }

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
