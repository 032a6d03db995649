//! The reaper: `lunora __reap <groups>`, started beside the children, stops
//! them if `lunora dev` itself is killed (SIGKILL runs no handler).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
#[cfg(unix)]
use std::sync::Arc;
#[cfg(unix)]
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::{Duration, Instant};

use crate::children::Running;
#[cfg(unix)]
use crate::children::{GRACE, POLL};

/// The reaper of one `lunora dev` run: `lunora __reap <groups>`, in its own
/// process group (terminal signals do not reach it), reading its stdin.
pub struct Reaper {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
}

/// What the reaper reads before EOF when `lunora dev` stopped its children
/// itself: nothing left to do.
const REAPER_RELEASE: &[u8] = b"released\n";

impl Reaper {
    /// Our children are stopped: the reaper exits without touching them.
    pub fn release(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(REAPER_RELEASE);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the reaper for `children`: `exe __reap <groups>` (`exe` is the
/// `lunora` binary, which runs [`reap`] for that command).
pub fn spawn_reaper(exe: &Path, children: &[Running]) -> std::io::Result<Reaper> {
    let mut cmd = Command::new(exe);
    cmd.arg("__reap")
        .args(children.iter().map(|c| c.child.id().to_string()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    Ok(Reaper {
        stdin: child.stdin.take(),
        child,
    })
}

/// `lunora __reap <groups>`: waits for its stdin to close; unless `lunora
/// dev` wrote `REAPER_RELEASE` first (it stopped its children itself), it
/// was killed: SIGTERM to each group, then SIGKILL to what is left after
/// `GRACE`.
pub fn reap(groups: &[i32]) {
    #[cfg(unix)]
    {
        use std::io::Read;
        // Hang-ups and Ctrl-C are for `lunora dev`, which stops the children
        // itself and then releases us.
        let ignored = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP] {
            let _ = signal_hook::flag::register(signal, Arc::clone(&ignored));
        }
        let mut said = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut said);
        if said == REAPER_RELEASE {
            return;
        }
        use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
        let pids: Vec<Pid> = groups.iter().filter_map(|&g| Pid::from_raw(g)).collect();
        for &pid in &pids {
            let _ = kill_process_group(pid, Signal::TERM);
        }
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline
            && pids.iter().any(|&pid| test_kill_process_group(pid).is_ok())
        {
            thread::sleep(POLL);
        }
        for &pid in &pids {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
    #[cfg(not(unix))]
    let _ = groups;
}
