//! [`Session`]: analysis that keeps what each pass found per function module,
//! so that after an edit of some modules only those modules are read,
//! parsed, evaluated and checked again.
//!
//! Exactness rests on what the cold run recorded: a module is *isolated* when
//! pass 1 read no other file for it and nothing else (the schema, another
//! module) read its file. An isolated module's pass-1 result is a function of
//! its own text alone, whichever evaluator computes it, and passes 2 and 4 are
//! functions of one module's drafts and the tables. Likewise, when no module's
//! pass 1 read any file the schema's evaluation read, an edit of those files
//! re-runs the schema's pass 1 alone (keeping every module's), then the tables
//! and every module's passes 2 to 4. Everything else (new or deleted files,
//! shared files, a module that starts importing, a schema that reads other
//! files than before) goes through [`Session::analyze`].

use std::path::Path;

use lunora_parser::{Diagnostic, FileId, Files, Vfs};

use crate::analysis::{AnalyzeReturn, IrChange, Timings};
use crate::eval::Eval;
use crate::ir::Ir;
use crate::load::{Loader, ParseCache};
use crate::passes::{self, State};

/// Analysis that remembers, for the next run, the summaries of the files it
/// read and every pass's results per function module (watch mode).
#[derive(Default)]
pub struct Session {
    cache: ParseCache,
    state: Option<State>,
    /// Files a [`Session::reanalyze`] that gave up had parsed already: the
    /// next [`Session::analyze`] finds them in the cache and reports them
    /// as parsed, not reused.
    parsed_before: Vec<String>,
}

/// What [`Session::reanalyze`] returns.
pub struct Reanalyzed {
    /// Every file read, as [`AnalyzeReturn::files`].
    pub files: Files,
    /// The IR, as [`AnalyzeReturn::ir`].
    pub ir: Option<Ir>,
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Timings,
    /// What in the IR may differ from the last run's.
    pub change: IrChange,
}

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parse cache: what the last run parsed and reused.
    pub fn cache(&self) -> &ParseCache {
        &self.cache
    }

    /// A whole analysis, as [`crate::analyze`] (identical result), reusing
    /// the summaries of files whose text did not change since the last run,
    /// and keeping every pass's results for [`Session::reanalyze`].
    pub fn analyze(&mut self, root: &Path, fs: &dyn Vfs) -> AnalyzeReturn {
        let mut ld = Loader::with_cache(root, fs, std::mem::take(&mut self.cache));
        let (out, mut st) = crate::passes::run(&mut ld, true);
        let (_, by_path, modules, cache) = ld.into_parts();
        st.by_path = by_path;
        st.modules = modules;
        self.cache = cache;
        self.state = Some(st);
        for rel in std::mem::take(&mut self.parsed_before) {
            if self.cache.contains(&rel) && !self.cache.parsed.contains(&rel) {
                self.cache.parsed.push(rel);
                self.cache.reused = self.cache.reused.saturating_sub(1);
            }
        }
        self.cache.parsed.sort();
        out
    }

    /// Brings the last run's result up to date after the files `changed`
    /// (root-relative paths, all of them read by the last run: isolated
    /// modules, or files only the schema reads) changed on disk, and nothing
    /// else did: only they are read and analyzed again. `files` and `ir` are the last run's
    /// [`AnalyzeReturn::files`] and [`AnalyzeReturn::ir`] (this session's
    /// last run, full or not); the result holds what [`crate::analyze`]
    /// would return now.
    ///
    /// `None` when the change is not local to those modules (one is not an
    /// isolated module of the last run, cannot be read, or now reads another
    /// file): `files` and `ir` are then used up, and the caller runs
    /// [`Session::analyze`].
    pub fn reanalyze(
        &mut self,
        root: &Path,
        fs: &dyn Vfs,
        mut files: Files,
        ir: Option<Ir>,
        changed: &[String],
    ) -> Option<Reanalyzed> {
        let mut timings = Timings::start();
        let st = self.state.as_mut()?;
        let mut edits = Edits::read(st, root, fs, changed)?;
        // The files pass 1 read, set aside while the last run stopped before it.
        files.restore(std::mem::take(&mut st.files_aside));
        let mut ld = Loader::from_parts(
            root,
            fs,
            files,
            std::mem::take(&mut st.by_path),
            std::mem::take(&mut st.modules),
            std::mem::take(&mut self.cache),
        );
        let (local, schema_changed) = recollect(st, &mut ld, &mut edits);
        timings.lap("read+parse+collect");
        let mut diagnostics = Vec::new();
        let clean =
            local && passes::evaluate(st, &mut ld, &mut diagnostics, &mut timings).is_some();
        let (files, cache) = put_back(st, ld, local);
        self.cache = cache;
        if !local {
            // It imports something now: the isolation map is stale.
            self.parsed_before = self.cache.parsed.clone();
            self.state = None;
            return None;
        }
        let changed_modules = changed_modules(st, &edits.targets);
        let ir = if clean {
            updated_ir(st, ir, &edits.targets, schema_changed)
        } else {
            None
        };
        timings.lap("global");
        Some(Reanalyzed {
            files,
            ir,
            diagnostics,
            timings,
            change: if schema_changed {
                IrChange::Any
            } else {
                IrChange::Modules(changed_modules)
            },
        })
    }
}

/// The files a [`Session::reanalyze`] reads again, with their new text.
struct Edits {
    /// Changed function modules: (unit index, file id, new text).
    targets: Vec<(usize, FileId, String)>,
    /// Files only the schema reads: (id, new text).
    schema_files: Vec<(FileId, String)>,
}

impl Edits {
    /// Sorts `changed` into isolated modules and files only the schema
    /// reads, and reads their text; `None` when one is neither (or a module
    /// is listed twice), or cannot be read.
    fn read(st: &State, root: &Path, fs: &dyn Vfs, changed: &[String]) -> Option<Self> {
        let mut targets: Vec<(usize, FileId, String)> = Vec::with_capacity(changed.len());
        let mut schema_files: Vec<(FileId, String)> = Vec::new();
        // Computed only when a changed file is not a module (it walks them all).
        let mut schema_only = None;
        for rel in changed {
            let Some(Some(id)) = st.by_path.get(rel.as_str()) else {
                return None;
            };
            let id = *id;
            let read = || String::from_utf8(fs.read(&root.join(rel)).ok()?).ok();
            match st.units.binary_search_by(|u| u.rel.as_str().cmp(rel)) {
                Ok(i) => {
                    if !st.units[i].isolated || targets.iter().any(|(j, ..)| *j == i) {
                        return None;
                    }
                    targets.push((i, id, read()?));
                }
                Err(_)
                    if schema_only
                        .get_or_insert_with(|| st.schema_only_files())
                        .as_ref()?
                        .contains(rel.as_str()) =>
                {
                    schema_files.push((id, read()?));
                }
                Err(_) => return None,
            }
        }
        Some(Edits {
            targets,
            schema_files,
        })
    }
}

/// Reparses the edited files and runs pass 1 again where they changed it:
/// the schema's (unless the run still stops before pass 1), then each
/// changed module's, on its own evaluator. Returns whether the change stayed
/// local (pass 1 read no other file) and whether the schema changed.
fn recollect(st: &mut State, ld: &mut Loader<'_>, edits: &mut Edits) -> (bool, bool) {
    let mut local = true;
    for (id, text) in edits.schema_files.iter_mut() {
        st.set_parse_diagnostics(*id, ld.reparse(*id, std::mem::take(text)));
    }
    for (i, id, text) in edits.targets.iter_mut() {
        st.set_parse_diagnostics(*id, ld.reparse(*id, std::mem::take(text)));
        st.units[*i].invalidate();
    }
    let schema_changed = !edits.schema_files.is_empty() || st.schema_stale;
    // While the run stops before pass 1 the schema's pass 1 waits.
    st.schema_stale = schema_changed && st.stops_before_pass1();
    if schema_changed && !st.schema_stale {
        local &= passes::recollect_schema(st, ld);
    }
    for (i, ..) in edits.targets.iter() {
        let unit = &mut st.units[*i];
        // Pass 1 again, on its own evaluator: an isolated module's
        // evaluation reads only its own file.
        let c = passes::collect_unit(ld, &mut Eval::new(), unit);
        local &= c.touched.is_empty();
        unit.collected = Some(c);
    }
    (local, schema_changed)
}

/// Takes the loader apart: its tables go back into `st`; the files (less
/// those a cold run would not read, set aside, when the change is `local`)
/// and the parse cache are returned.
fn put_back(st: &mut State, ld: Loader<'_>, local: bool) -> (Files, ParseCache) {
    let (mut files, by_path, modules, cache) = ld.into_parts();
    if local && let Some(n) = st.files_a_cold_run_reads() {
        // A cold run stops early and reads nothing more.
        st.files_aside = files.split_off(n);
    }
    st.by_path = by_path;
    st.modules = modules;
    (files, cache)
}

/// The module paths of the changed modules, sorted.
fn changed_modules(st: &State, targets: &[(usize, FileId, String)]) -> Vec<String> {
    let mut changed: Vec<String> = targets
        .iter()
        .filter_map(|(i, ..)| st.units[*i].module.as_ref().map(|(_, m)| m.module.clone()))
        .collect();
    changed.sort();
    changed
}

/// The IR after a run without errors: built again when the schema changed
/// (or there was none), else the last run's with the changed modules'
/// functions replaced.
fn updated_ir(
    st: &mut State,
    ir: Option<Ir>,
    targets: &[(usize, FileId, String)],
    schema_changed: bool,
) -> Option<Ir> {
    if schema_changed {
        return passes::build_ir(st);
    }
    let Some(mut ir) = ir else {
        return passes::build_ir(st);
    };
    for (i, ..) in targets {
        let unit = &st.units[*i];
        let (Some((_, m)), Some(functions)) = (&unit.module, unit.checked_functions()) else {
            continue;
        };
        let from = ir.functions.partition_point(|f| f.module < m.module);
        let to = ir.functions.partition_point(|f| f.module <= m.module);
        let mut new = functions.to_vec();
        passes::sort_functions(&mut new);
        ir.functions.splice(from..to, new);
    }
    Some(ir)
}
