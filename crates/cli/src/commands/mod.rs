//! One module per subcommand.

pub mod codegen;
pub mod deploy;
pub mod dev;
pub mod init;
pub mod lsp;
pub mod migrate;

use std::io::Write;

use crate::Exit;

/// Placeholder for a command that is not built yet: a clear message and exit 2.
pub(crate) fn not_implemented(name: &str, stderr: &mut dyn Write) -> Exit {
    let _ = writeln!(stderr, "error: `lunora {name}` is not implemented yet");
    Exit::Failure
}
