//! `lunora_cli`: the `lunora` command. `main` parses arguments and calls
//! [`run`]; commands only wire library calls and report through one
//! [`Reporter`] over injected writers, so tests capture everything.

pub mod args;
pub mod commands;
mod diagnostics;
pub mod exit;
pub mod render;
pub mod report;
pub mod watch;

use std::io::Write;

pub use args::{Cli, Command, Format};
pub use exit::Exit;
pub use report::Reporter;

/// Runs one CLI invocation.
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Exit {
    let reporter = &mut Reporter::for_terminal(cli.global.format, stdout, stderr);
    let global = &cli.global;
    match cli.command {
        Command::Codegen(args) => commands::codegen::run(global, args, reporter),
        Command::Migrate(args) => commands::migrate::run(global, args, reporter),
        Command::Init(args) => commands::init::run(args, reporter),
        Command::Dev(args) => commands::dev::run(global, args),
        Command::Deploy(args) => commands::deploy::run(global, args, reporter),
        Command::Lsp(_) => commands::lsp::run(global, reporter),
        Command::Reap(args) => commands::dev::reap(&args.groups),
    }
}
