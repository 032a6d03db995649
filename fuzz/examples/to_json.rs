//! Prints a fuzz input of the `app` or `migrate_diff` target as the JSON that
//! `fuzz/regressions/{app,migrate}/*.json` hold (replayed by
//! `crates/cli/tests/fuzz_regressions.rs`):
//! `cargo run --example to_json -- migrate_diff artifacts/migrate_diff/crash-...`

use arbitrary::{Arbitrary, Unstructured};
use lunora_fuzz::SnapshotPair;
use lunora_fuzz::app::App;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, target, path] = args.as_slice() else {
        eprintln!("usage: to_json <app|migrate_diff> <input file>");
        std::process::exit(2);
    };
    let data = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    // `fuzz_target!(|x: T| ..)` builds `T` with `arbitrary_take_rest`.
    let u = Unstructured::new(&data);
    let json = match target.as_str() {
        "app" => App::arbitrary_take_rest(u).map(|a| a.to_json()),
        "migrate_diff" => SnapshotPair::arbitrary_take_rest(u).map(|p| p.to_json()),
        _ => {
            eprintln!("unknown target `{target}`");
            std::process::exit(2);
        }
    };
    match json {
        Ok(j) => println!("{j}"),
        Err(e) => {
            eprintln!("not an input of `{target}`: {e}");
            std::process::exit(1);
        }
    }
}
