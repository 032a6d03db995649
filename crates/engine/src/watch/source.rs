//! Where file-system events come from: the real `notify` watcher, or a scripted
//! mock in unit tests.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// One message from an [`EventSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recv {
    /// Paths that changed (created, written, removed, renamed from or to).
    Changed(Vec<PathBuf>),
    /// The watcher lost events (queue overflow): rescan everything.
    Rescan,
    /// Nothing arrived before the timeout.
    Timeout,
    /// The source is gone; the loop ends.
    Closed,
}

pub trait EventSource {
    /// Waits up to `timeout` (forever if `None`) for the next message.
    fn recv(&mut self, timeout: Option<Duration>) -> Recv;

    /// Makes sure changes to `files` (absolute paths of files the last run
    /// read outside the watched folders) produce events. Returns the files
    /// whose folder was not watched before this call: a change to them since
    /// the run read them had no event.
    fn watch_files(&mut self, files: &[PathBuf]) -> Vec<PathBuf> {
        let _ = files;
        Vec::new()
    }
}

/// The real watcher: `notify`'s recommended backend, watching the root
/// recursively.
pub struct NotifySource {
    // Kept alive for as long as events are wanted.
    watcher: notify::RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    /// With [`NotifySource::for_app`]: `lunora/`, the only folder watched
    /// recursively (new folders elsewhere are not watched).
    scope: Option<PathBuf>,
    /// The app root, watched on its own (not recursively) by `for_app`.
    root: Option<PathBuf>,
    /// Folders watched (not recursively) for files read outside `lunora/`.
    dep_dirs: BTreeSet<PathBuf>,
}

impl NotifySource {
    /// Watches `path` and everything below it.
    pub fn new(path: &Path) -> notify::Result<Self> {
        use notify::Watcher as _;
        let mut source = Self::unwatched()?;
        source
            .watcher
            .watch(path, notify::RecursiveMode::Recursive)?;
        Ok(source)
    }

    /// Watches an app: `lunora/` recursively, the root itself (so `lunora/`
    /// appearing is seen), and, once [`EventSource::watch_files`] names
    /// them, the folders of files read outside `lunora/`. Never
    /// `node_modules/` and other big trees a recursive watch of the root would
    /// walk.
    pub fn for_app(root: &Path) -> notify::Result<Self> {
        use notify::Watcher as _;
        let mut source = Self::unwatched()?;
        source
            .watcher
            .watch(root, notify::RecursiveMode::NonRecursive)?;
        let lunora = root.join("lunora");
        if lunora.is_dir() {
            source
                .watcher
                .watch(&lunora, notify::RecursiveMode::Recursive)?;
        }
        source.scope = Some(lunora);
        source.root = Some(root.to_path_buf());
        Ok(source)
    }

    fn unwatched() -> notify::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let watcher = notify::recommended_watcher(move |event| {
            // The receiver is gone only when the loop ended.
            let _ = tx.send(event);
        })?;
        Ok(Self {
            watcher,
            rx,
            scope: None,
            root: None,
            dep_dirs: BTreeSet::new(),
        })
    }
}

impl NotifySource {
    /// A folder appeared (created, or moved in whole): files written into it
    /// before its inotify watch existed produced no event, so make sure it is
    /// watched, then report everything already inside it.
    fn cover_new_dir(&mut self, dir: &Path, paths: &mut Vec<PathBuf>) {
        use notify::Watcher as _;
        // Returns once the backend watches `dir`: a file created after this
        // call has an event, one created before it is found by the walk below.
        // Failure (e.g. the folder is already gone) leaves the events as they are.
        let _ = self.watcher.watch(dir, notify::RecursiveMode::Recursive);
        let mut stack = vec![dir.to_path_buf()];
        let mut budget = MAX_WALK;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if budget == 0 {
                    return;
                }
                budget -= 1;
                // Symlinks are not followed (no cycles).
                match entry.file_type() {
                    Ok(t) if t.is_dir() => stack.push(entry.path()),
                    Ok(_) => paths.push(entry.path()),
                    Err(_) => {}
                }
            }
        }
    }
}

/// Entries walked at most in one new folder (a moved-in `node_modules` must not
/// stall the loop; its files are never relevant anyway).
const MAX_WALK: usize = 10_000;

/// Events after which `path` may be a folder that is new to the watcher.
fn appears(kind: notify::EventKind) -> bool {
    use notify::event::{ModifyKind, RenameMode};
    matches!(
        kind,
        notify::EventKind::Create(_)
            | notify::EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Any))
    )
}

impl EventSource for NotifySource {
    fn recv(&mut self, timeout: Option<Duration>) -> Recv {
        let message = match timeout {
            Some(t) => match self.rx.recv_timeout(t) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => return Recv::Timeout,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Recv::Closed,
            },
            None => match self.rx.recv() {
                Ok(m) => m,
                Err(_) => return Recv::Closed,
            },
        };
        match message {
            Ok(event) if event.need_rescan() => Recv::Rescan,
            Ok(event) => match event.kind {
                // Reads and opens change nothing.
                notify::EventKind::Access(_) => Recv::Changed(Vec::new()),
                kind if appears(kind) => {
                    let mut paths = event.paths;
                    for dir in paths.clone().iter().filter(|p| p.is_dir()) {
                        if self.scope.as_ref().is_none_or(|s| dir.starts_with(s)) {
                            self.cover_new_dir(dir, &mut paths);
                        }
                    }
                    Recv::Changed(paths)
                }
                notify::EventKind::Remove(_)
                | notify::EventKind::Modify(notify::event::ModifyKind::Name(_)) => {
                    // A watched folder removed or renamed away: its watch is gone.
                    for p in &event.paths {
                        self.dep_dirs.remove(p);
                    }
                    Recv::Changed(event.paths)
                }
                _ => Recv::Changed(event.paths),
            },
            // A watcher error (e.g. inotify limit): regenerate from scratch to be safe.
            Err(_) => Recv::Rescan,
        }
    }

    fn watch_files(&mut self, files: &[PathBuf]) -> Vec<PathBuf> {
        use notify::Watcher as _;
        // Only an app-scoped watcher needs this: `new` watches everything.
        let (Some(scope), Some(root)) = (&self.scope, &self.root) else {
            return Vec::new();
        };
        let wanted: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent())
            .filter(|d| !d.starts_with(scope) && *d != root.as_path())
            .map(Path::to_path_buf)
            .collect();
        for gone in self
            .dep_dirs
            .difference(&wanted)
            .cloned()
            .collect::<Vec<_>>()
        {
            let _ = self.watcher.unwatch(&gone);
            self.dep_dirs.remove(&gone);
        }
        let mut unwatched = Vec::new();
        for dir in wanted {
            if self.dep_dirs.contains(&dir) {
                continue;
            }
            // Failure (the folder is gone again) is seen by the next run.
            if self
                .watcher
                .watch(&dir, notify::RecursiveMode::NonRecursive)
                .is_ok()
            {
                unwatched.extend(files.iter().filter(|f| f.parent() == Some(&dir)).cloned());
                self.dep_dirs.insert(dir);
            }
        }
        unwatched
    }
}

/// How often a [`Stoppable`] source checks its flag.
pub const STOP_POLL: Duration = Duration::from_millis(50);

/// A source that reports `Closed` once `stop` is set (checked every
/// [`STOP_POLL`]), so the loop ends after flushing what is pending.
pub struct Stoppable<S> {
    inner: S,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<S: EventSource> Stoppable<S> {
    pub fn new(inner: S, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        Self { inner, stop }
    }
}

impl<S: EventSource> EventSource for Stoppable<S> {
    fn recv(&mut self, timeout: Option<Duration>) -> Recv {
        let start = std::time::Instant::now();
        loop {
            if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Recv::Closed;
            }
            let left = timeout.map(|t| t.saturating_sub(start.elapsed()));
            let wait = left.map_or(STOP_POLL, |l| l.min(STOP_POLL));
            match self.inner.recv(Some(wait)) {
                Recv::Timeout if left.is_none_or(|l| l > wait) => continue,
                other => return other,
            }
        }
    }

    fn watch_files(&mut self, files: &[PathBuf]) -> Vec<PathBuf> {
        self.inner.watch_files(files)
    }
}

/// A scripted source for unit tests: yields its messages in order, then `Closed`.
#[derive(Debug, Default)]
pub struct MockSource {
    pub script: VecDeque<Recv>,
}

impl MockSource {
    pub fn new(script: impl IntoIterator<Item = Recv>) -> Self {
        Self {
            script: script.into_iter().collect(),
        }
    }
}

impl EventSource for MockSource {
    fn recv(&mut self, _timeout: Option<Duration>) -> Recv {
        self.script.pop_front().unwrap_or(Recv::Closed)
    }
}
