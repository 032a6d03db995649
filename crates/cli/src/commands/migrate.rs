use std::io::Write;

use crate::Exit;
use crate::args::{GlobalArgs, MigrateCommand};

pub fn run(
    _global: &GlobalArgs,
    _args: MigrateCommand,
    _stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Exit {
    super::not_implemented("migrate", stderr)
}
