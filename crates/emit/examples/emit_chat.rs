//! Writes the chat tutorial's generated files under `<dir>/lunora/_generated/`
//! (used by tests/typecheck until the analyzer and CLI can generate them).

#![expect(
    clippy::print_stderr,
    reason = "a dev example that prints its usage and errors"
)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: emit_chat <app dir>");
        return ExitCode::from(2);
    };
    let dir = std::path::PathBuf::from(dir);
    for file in lunora_emit::emit_generated(&lunora_testkit::ir::chat_ir()).files {
        let path = dir.join(&file.path);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, file.contents));
        if let Err(error) = written {
            eprintln!("emit_chat: {}: {error}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
