use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use lunora_cli::{Cli, Exit, run};

/// mimalloc: the analyzer allocates and frees many small objects across
/// threads, where it is much faster than glibc malloc (README, Performance).
/// Linux only: macOS and Windows builds use the system allocator (crates/cli/Cargo.toml).
#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // --help and --version are not failures.
            return ExitCode::from(if err.use_stderr() {
                Exit::Failure as u8
            } else {
                0
            });
        }
    };
    // Unlocked handles: `lunora lsp` writes to stdout from its own I/O thread,
    // which would block forever on a lock held here.
    let code = run(cli, &mut io::stdout(), &mut io::stderr());
    let _ = io::stdout().flush();
    ExitCode::from(code as u8)
}
