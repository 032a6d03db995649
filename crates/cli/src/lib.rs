//! `lunora_cli`: the `lunora` command. `main` parses arguments and calls
//! [`run`]; commands only wire library calls and write through injected writers
//! so tests capture everything.

pub mod args;
pub mod commands;
mod diagnostics;
pub mod render;
pub mod watch;

use std::io::Write;

pub use args::{Cli, Command, Format};

/// Process exit codes (DESIGN.md): 0 ok, 1 user errors (diagnostics, drift,
/// stale files), 2 usage or tool failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    UserError = 1,
    Failure = 2,
}

/// Runs one CLI invocation.
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Exit {
    match cli.command {
        Command::Codegen(args) => commands::codegen::run(&cli.global, args, stdout, stderr),
        Command::Migrate(args) => commands::migrate::run(&cli.global, args, stdout, stderr),
        Command::Init(args) => commands::init::run(&cli.global, args, stdout, stderr),
        Command::Dev(args) => commands::dev::run(&cli.global, args, stdout, stderr),
        Command::Deploy(args) => commands::deploy::run(&cli.global, args, stdout, stderr),
        Command::Lsp(args) => commands::lsp::run(&cli.global, args, stdout, stderr),
        Command::Reap(args) => commands::dev::reap(&args.groups),
    }
}
