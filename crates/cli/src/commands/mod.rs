//! One module per subcommand.

pub mod codegen;
pub mod deploy;
pub mod dev;
pub mod init;
pub mod lsp;
pub mod migrate;
pub mod migrations;

use std::path::PathBuf;

use lunora_engine::AppLayout;

use crate::args::GlobalArgs;
use crate::exit::Exit;
use crate::report::Reporter;

/// The app root of a command: `--root`, or the nearest folder upwards that
/// holds `lunora/`. On failure the error is reported and the exit code returned.
pub(crate) fn app_root(global: &GlobalArgs, reporter: &mut Reporter<'_>) -> Result<PathBuf, Exit> {
    let cwd = std::env::current_dir().map_err(|e| {
        reporter.error(format_args!("cannot read the current folder: {e}"));
        Exit::Failure
    })?;
    AppLayout::find(global.root.as_deref(), &cwd)
        .map(AppLayout::into_root)
        .map_err(|message| {
            reporter.error(message);
            Exit::Failure
        })
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
