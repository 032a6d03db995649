use std::io::Write;

use crate::Exit;
use crate::args::{GlobalArgs, LspArgs};

pub fn run(
    _global: &GlobalArgs,
    _args: LspArgs,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    super::not_implemented("lsp", stderr)
}
