use std::io::Write;

use crate::Exit;
use crate::args::{CodegenArgs, GlobalArgs};

pub fn run(
    _global: &GlobalArgs,
    _args: CodegenArgs,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    super::not_implemented("codegen", stderr)
}
