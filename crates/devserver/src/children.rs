//! The child processes of `lunora dev` (wrangler, vite): each in its own
//! process group, its output forwarded line by line with a `[name]` prefix,
//! and stopped together with everything it started.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::SharedWriter;

/// How long children get to exit after SIGTERM before their group is killed.
pub const GRACE: Duration = Duration::from_secs(5);
/// How often the supervisor looks at the children.
pub const POLL: Duration = Duration::from_millis(100);

/// A child that runs: its name (the output prefix), the process (the leader
/// of its own group) and the threads forwarding its output.
pub struct Running {
    pub name: &'static str,
    pub child: Child,
    pub forwarders: Vec<thread::JoinHandle<()>>,
}

/// Starts `cmd` (in `root` unless it has a folder) with its output
/// forwarded, each line prefixed `[name]`: its stdout to `stdout`, its
/// stderr to `stderr`.
pub fn spawn(
    name: &'static str,
    mut cmd: Command,
    root: &Path,
    mut stdout: SharedWriter,
    mut stderr: SharedWriter,
) -> std::io::Result<Running> {
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(root);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own group: the terminal's Ctrl-C reaches only us, and shutdown
        // can signal the child together with everything it started.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    let prefix = format!("[{name}]");
    let mut forwarders = Vec::new();
    if let Some(out) = child.stdout.take() {
        let prefix = prefix.clone();
        forwarders.push(thread::spawn(move || forward(out, &prefix, &mut stdout)));
    }
    if let Some(err) = child.stderr.take() {
        forwarders.push(thread::spawn(move || forward(err, &prefix, &mut stderr)));
    }
    Ok(Running {
        name,
        child,
        forwarders,
    })
}

/// Copies `input` to `out` line by line, each line prefixed.
pub fn forward(input: impl Read, prefix: &str, out: &mut dyn Write) {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let _ = writeln!(out, "{prefix} {}", text.trim_end_matches(['\n', '\r']));
                let _ = out.flush();
            }
        }
    }
}

/// SIGTERM to every child's process group, wait for the groups to empty (up
/// to [`GRACE`]), then SIGKILL what is left.
pub fn shutdown(children: &mut [Running], stderr: &mut dyn Write) {
    for child in children.iter_mut() {
        signal_group(&mut child.child, false);
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        let mut alive = false;
        for child in children.iter_mut() {
            // Reap the leader: a zombie still counts as a member of its group.
            let _ = child.child.try_wait();
            alive |= group_alive(&child.child);
        }
        if !alive {
            return;
        }
        thread::sleep(POLL);
    }
    for child in children.iter_mut() {
        if group_alive(&child.child) {
            let _ = writeln!(
                stderr,
                "[lunora] {} did not stop within {}s; killing it",
                child.name,
                GRACE.as_secs()
            );
        }
        signal_group(&mut child.child, true);
        let _ = child.child.wait();
    }
}

#[cfg(unix)]
fn signal_group(child: &mut Child, kill: bool) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let signal = if kill { Signal::KILL } else { Signal::TERM };
    // ESRCH: the group is already gone.
    let _ = kill_process_group(Pid::from_child(child), signal);
}

#[cfg(not(unix))]
fn signal_group(child: &mut Child, _kill: bool) {
    let _ = child.kill();
}

#[cfg(unix)]
fn group_alive(child: &Child) -> bool {
    use rustix::process::{Pid, test_kill_process_group};
    test_kill_process_group(Pid::from_child(child)).is_ok()
}

#[cfg(not(unix))]
fn group_alive(_child: &Child) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_prefixes_lines_and_keeps_invalid_utf8_readable() {
        let mut out = Vec::new();
        forward(&b"a\r\nb\xff\nlast"[..], "[w]", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[w] a\n[w] b\u{fffd}\n[w] last\n"
        );
    }
}
