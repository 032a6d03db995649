//! One module per subcommand.

pub mod codegen;
pub mod deploy;
pub mod dev;
pub mod init;
pub mod lsp;
pub mod migrate;
pub mod migrations;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use lunora_engine::AppLayout;

use crate::args::GlobalArgs;
use crate::render::Color;
use crate::{Exit, Format};

/// The app root of a command: `--root`, or the nearest folder upwards that
/// holds `lunora/`. On failure the message is written and the exit code returned.
pub(crate) fn app_root(global: &GlobalArgs, stderr: &mut dyn Write) -> Result<PathBuf, Exit> {
    let cwd = std::env::current_dir().map_err(|e| {
        let _ = writeln!(stderr, "error: cannot read the current folder: {e}");
        Exit::Failure
    })?;
    AppLayout::find(global.root.as_deref(), &cwd)
        .map(AppLayout::into_root)
        .map_err(|message| {
            let _ = writeln!(stderr, "error: {message}");
            Exit::Failure
        })
}

/// Colour for human diagnostics on stderr: only on a terminal, never with `NO_COLOR`.
pub(crate) fn stderr_color(format: Format) -> Color {
    if format == Format::Human
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
    {
        Color::Always
    } else {
        Color::Never
    }
}

/// A Node tool of the app (`wrangler`, `vite`): `<root>/node_modules/.bin/<name>`,
/// else `npx --no-install <name>` (which finds it upwards or fails clearly).
pub(crate) fn app_tool(root: &std::path::Path, name: &str) -> std::process::Command {
    let local = root.join("node_modules").join(".bin").join(name);
    if local.is_file() {
        std::process::Command::new(local)
    } else {
        let mut cmd = std::process::Command::new("npx");
        cmd.args(["--no-install", name]);
        cmd
    }
}
