//! Where file-system events come from: the real `notify` watcher, or a scripted
//! mock in unit tests.

use std::collections::VecDeque;
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
}

/// The real watcher: `notify`'s recommended backend, watching the root
/// recursively.
pub struct NotifySource {
    // Kept alive for as long as events are wanted.
    watcher: notify::RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
}

impl NotifySource {
    pub fn new(root: &Path) -> notify::Result<Self> {
        use notify::Watcher as _;
        let (tx, rx) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            // The receiver is gone only when the loop ended.
            let _ = tx.send(event);
        })?;
        watcher.watch(root, notify::RecursiveMode::Recursive)?;
        Ok(Self { watcher, rx })
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
                        self.cover_new_dir(dir, &mut paths);
                    }
                    Recv::Changed(paths)
                }
                _ => Recv::Changed(event.paths),
            },
            // A watcher error (e.g. inotify limit): regenerate from scratch to be safe.
            Err(_) => Recv::Rescan,
        }
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
