//! `lunora-bench`: dev tool behind `scripts/bench.sh`.
//!
//! - `lunora-bench gen <small|medium|large> <dir>`: writes the app of that size.
//! - `lunora-bench parse <dir>`: the parse-only floor as a whole process (list,
//!   read and oxc-parse the files `lunora codegen` parses; nothing else).
//! - `lunora-bench touch-module <dir>` / `touch-schema <dir>`: the edits of the
//!   incremental runs (a new function in the first module; a new optional
//!   field on the first table), each call making a different edit.

use std::path::Path;
use std::process::ExitCode;

use lunora_bench::{Size, app, parse_dir, write_app};

fn usage() -> ExitCode {
    eprintln!(
        "usage: lunora-bench gen <small|medium|large> <dir> | parse <dir> | touch-module <dir> | touch-schema <dir>"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let strs: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match strs.as_slice() {
        ["gen", size, dir] => {
            let Some(size) = Size::parse(size) else {
                return usage();
            };
            let files = app(size);
            write_app(Path::new(dir), &files).map(|()| {
                let bytes: usize = files.iter().map(|f| f.text.len()).sum();
                println!("{} files, {bytes} bytes", files.len());
            })
        }
        ["parse", dir] => parse_dir(Path::new(dir)).map(|(files, bytes, statements)| {
            println!("parsed {files} files, {bytes} bytes, {statements} statements");
        }),
        ["touch-module", dir] => touch_module(Path::new(dir)),
        ["touch-schema", dir] => touch_schema(Path::new(dir)),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn first_module(dir: &Path) -> std::io::Result<std::path::PathBuf> {
    use lunora_parser::Vfs;
    lunora_parser::OsFs
        .list_files(&dir.join("lunora"))?
        .into_iter()
        .find(|p| {
            p.strip_prefix(dir)
                .ok()
                .and_then(|r| r.to_str())
                .is_some_and(|r| {
                    lunora_bench::parsed_by_codegen(&r.replace('\\', "/"))
                        && !r.ends_with("schema.ts")
                })
        })
        .ok_or_else(|| std::io::Error::other("no function module"))
}

/// Appends a fresh query to the first function module.
fn touch_module(dir: &Path) -> std::io::Result<()> {
    let path = first_module(dir)?;
    let mut text = std::fs::read_to_string(&path)?;
    let n = text.matches("export const benchEdit").count();
    text.push_str(&format!(
        "\nexport const benchEdit{n} = query.query(async () => {{\n    return {n};\n}});\n"
    ));
    std::fs::write(path, text)
}

/// Adds an optional field to the first table of the schema.
fn touch_schema(dir: &Path) -> std::io::Result<()> {
    let path = dir.join("lunora/schema.ts");
    let text = std::fs::read_to_string(&path)?;
    let n = text.matches("benchEdit").count();
    let Some(at) = text.find("defineTable({") else {
        return Err(std::io::Error::other("no defineTable in the schema"));
    };
    let at = at + "defineTable({".len();
    let text = format!(
        "{}\n        benchEdit{n}: v.optional(v.string()),{}",
        &text[..at],
        &text[at..]
    );
    std::fs::write(path, text)
}
