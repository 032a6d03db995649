use std::io::Write;

use crate::Exit;
use crate::args::{DeployArgs, GlobalArgs};

pub fn run(
    _global: &GlobalArgs,
    _args: DeployArgs,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    super::not_implemented("deploy", stderr)
}
