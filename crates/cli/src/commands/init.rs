//! `lunora init <dir> [--packages <folder>]`: scaffold the template app.
//!
//! The template app and its rendering live in [`lunora_engine::scaffold`];
//! this module reports the result.

use crate::args::InitArgs;
use crate::exit::Exit;
use crate::report::Reporter;

pub use lunora_engine::scaffold::TEMPLATE;

pub fn run(args: InitArgs, reporter: &mut Reporter<'_>) -> Exit {
    match lunora_engine::scaffold::init(&args.dir, args.packages.as_deref()) {
        Ok(files) => {
            let dir = args.dir.display();
            reporter.result(format_args!(
                "Created a Lunora app in {dir} ({files} files)."
            ));
            reporter.result(format_args!(
                "\nNext:\n  cd {dir}\n  pnpm install\n  pnpm dev"
            ));
            Exit::Ok
        }
        Err(message) => {
            reporter.error(message);
            Exit::Failure
        }
    }
}
