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
    _watcher: notify::RecommendedWatcher,
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
        Ok(Self {
            _watcher: watcher,
            rx,
        })
    }
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
                _ => Recv::Changed(event.paths),
            },
            // A watcher error (e.g. inotify limit): regenerate from scratch to be safe.
            Err(_) => Recv::Rescan,
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
