use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use lunora_cli::{Cli, Exit, run};

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
    let stdout = io::stdout();
    let stderr = io::stderr();
    let code = run(cli, &mut stdout.lock(), &mut stderr.lock());
    let _ = io::stdout().flush();
    ExitCode::from(code as u8)
}
