//! Debouncing: a batch is flushed once events have settled for `settle`, or at
//! the latest `max_wait` after its first event (continuous saves still
//! regenerate). A pure state machine over injected instants, so it is tested
//! without sleeping.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const DEFAULT_SETTLE: Duration = Duration::from_millis(10);
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Debouncer {
    settle: Duration,
    max_wait: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
    paths: BTreeSet<PathBuf>,
}

impl Debouncer {
    pub fn new(settle: Duration, max_wait: Duration) -> Self {
        Self {
            settle,
            max_wait,
            first: None,
            last: None,
            paths: BTreeSet::new(),
        }
    }

    /// Records a relevant change at `now`.
    pub fn push(&mut self, path: PathBuf, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.paths.insert(path);
    }

    /// When the pending batch is due, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + self.settle).min(first + self.max_wait))
    }

    /// Takes the pending batch (sorted, deduplicated paths) if it is due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Option<Vec<PathBuf>> {
        if self.deadline()? > now {
            return None;
        }
        self.first = None;
        self.last = None;
        Some(std::mem::take(&mut self.paths).into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn flushes_after_settling() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(10 * MS, 1000 * MS);
        assert_eq!(d.deadline(), None);
        assert_eq!(d.take_due(t0), None);
        d.push("a.ts".into(), t0);
        d.push("b.ts".into(), t0 + 4 * MS);
        d.push("a.ts".into(), t0 + 5 * MS);
        assert_eq!(d.deadline(), Some(t0 + 15 * MS));
        assert_eq!(d.take_due(t0 + 14 * MS), None);
        assert_eq!(
            d.take_due(t0 + 15 * MS),
            Some(vec![PathBuf::from("a.ts"), PathBuf::from("b.ts")])
        );
        assert_eq!(d.deadline(), None);
        assert_eq!(d.take_due(t0 + 100 * MS), None);
    }

    #[test]
    fn continuous_saves_flush_within_max_wait() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(10 * MS, 1000 * MS);
        let mut flushed_at = None;
        // A save every 5 ms forever: the settle window never closes.
        for i in 0..400u32 {
            let now = t0 + 5 * i * MS;
            if d.take_due(now).is_some() {
                flushed_at = Some(now);
                break;
            }
            d.push("a.ts".into(), now);
        }
        assert_eq!(flushed_at, Some(t0 + 1000 * MS));
        // The next batch starts fresh.
        d.push("b.ts".into(), t0 + 1001 * MS);
        assert_eq!(d.deadline(), Some(t0 + 1011 * MS));
    }
}
