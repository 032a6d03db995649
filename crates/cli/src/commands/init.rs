use std::io::Write;

use crate::Exit;
use crate::args::{GlobalArgs, InitArgs};

pub fn run(
    _global: &GlobalArgs,
    _args: InitArgs,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    super::not_implemented("init", stderr)
}
