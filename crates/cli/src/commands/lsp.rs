//! `lunora lsp`: the language server ([`lunora_lsp`]) on stdin/stdout.

use crate::args::GlobalArgs;
use crate::exit::Exit;
use crate::report::Reporter;

pub fn run(global: &GlobalArgs, reporter: &mut Reporter<'_>) -> Exit {
    // The protocol owns the real stdout; the reporter's stdout is not used.
    match lunora_lsp::run_stdio(global.root.as_deref()) {
        Ok(()) => Exit::Ok,
        Err(err) => {
            reporter.error(format_args!("lunora lsp: {err}"));
            Exit::Failure
        }
    }
}
