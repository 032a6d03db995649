use std::io::Write;

use crate::Exit;
use crate::args::{DevArgs, GlobalArgs};

pub fn run(
    _global: &GlobalArgs,
    _args: DevArgs,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    super::not_implemented("dev", stderr)
}
