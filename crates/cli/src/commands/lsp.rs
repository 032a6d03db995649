//! `lunora lsp`: the language server ([`lunora_lsp`]) on stdin/stdout.

use std::io::Write;

use crate::Exit;
use crate::args::{GlobalArgs, LspArgs};

pub fn run(
    global: &GlobalArgs,
    _args: LspArgs,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    // The protocol owns the real stdout; the injected writers are not used.
    match lunora_lsp::run_stdio(global.root.as_deref()) {
        Ok(()) => Exit::Ok,
        Err(err) => {
            let _ = writeln!(stderr, "error: lunora lsp: {err}");
            Exit::Failure
        }
    }
}
