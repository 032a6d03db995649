//! Supervising the children of `lunora dev`: the signals that stop it, the
//! first reason to stop, and draining the children's output afterwards.

use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::children::{POLL, Running};

/// Sets `stop` on SIGINT, SIGTERM and SIGHUP (unix; elsewhere nothing). On
/// failure: the signal that could not be handled, and why.
pub fn stop_on_signals(stop: &Arc<AtomicBool>) -> Result<(), (i32, std::io::Error)> {
    #[cfg(unix)]
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, Arc::clone(stop)).map_err(|e| (signal, e))?;
    }
    #[cfg(not(unix))]
    let _ = stop;
    Ok(())
}

/// Why supervision ended.
#[derive(Debug)]
pub enum Stopped {
    /// `stop` was set (a signal).
    Asked,
    /// A child exited on its own.
    Exited {
        name: &'static str,
        status: ExitStatus,
    },
    /// The codegen watcher thread ended.
    Watcher,
}

/// Polls every [`POLL`] until `stop` is set, a child exits or `watcher_done`
/// says the watcher ended; the first of these is the answer.
pub fn wait(
    children: &mut [Running],
    stop: &AtomicBool,
    watcher_done: &dyn Fn() -> bool,
) -> Stopped {
    loop {
        if stop.load(Ordering::Relaxed) {
            return Stopped::Asked;
        }
        for child in children.iter_mut() {
            if let Ok(Some(status)) = child.child.try_wait() {
                return Stopped::Exited {
                    name: child.name,
                    status,
                };
            }
        }
        if watcher_done() {
            return Stopped::Watcher;
        }
        thread::sleep(POLL);
    }
}

/// After shutdown: joins the forwarders, so output still in the pipes is
/// forwarded; a process that escaped its group and still holds a pipe does
/// not keep us waiting more than two seconds in all.
pub fn drain(children: Vec<Running>) {
    let deadline = Instant::now() + Duration::from_secs(2);
    for forwarder in children.into_iter().flat_map(|c| c.forwarders) {
        while !forwarder.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        if forwarder.is_finished() {
            let _ = forwarder.join();
        }
    }
}
