//! `lunora-bench`: dev tool behind `scripts/bench.sh`.
//!
//! - `lunora-bench gen <small|medium|large> <dir>`: writes the app of that size.
//! - `lunora-bench parse <dir>`: the parse-only floor as a whole process (list,
//!   read and oxc-parse the files `lunora codegen` parses; nothing else).
//! - `lunora-bench stages <dir> <runs>`: in-process timings (median over
//!   `runs`) of the parse-only floor, `analyze` and `emit` on the app in
//!   `<dir>` read from disk; the target of `perf record` when profiling.
//! - `lunora-bench analyze <dir>`: one in-process analyze + emit (for
//!   instruction counts under callgrind).
//! - `lunora-bench incremental <dir> <runs>`: watch mode's incremental engine
//!   (`lunora_engine::Session`) in-process: after a cold update,
//!   medians of `update` after editing one function module and after editing
//!   the schema (the edits of `touch-module` / `touch-schema`). Edits the app.
//! - `lunora-bench touch-module <dir>` / `touch-schema <dir>`: the edits of the
//!   incremental runs (a new function in the first module; a new optional
//!   field on the first table), each call making a different edit.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a dev tool whose output is its measurements"
)]

use std::path::Path;
use std::process::ExitCode;

use lunora_bench::{Size, app, parse_dir, write_app};

fn usage() -> ExitCode {
    eprintln!(
        "usage: lunora-bench gen <small|medium|large> <dir> | parse <dir> | stages <dir> <runs> | analyze <dir> | incremental <dir> <runs> | touch-module <dir> | touch-schema <dir>"
    );
    ExitCode::from(2)
}

/// mimalloc: the analyzer allocates and frees many small objects across
/// threads, where it is much faster than glibc malloc (README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        ["stages", dir, n] => match n.parse::<usize>() {
            Ok(n) if n > 0 => stages(Path::new(dir), n),
            _ => return usage(),
        },
        ["analyze", dir] => {
            // One analyze + emit, for instruction counts under
            // `valgrind --tool=callgrind` (deterministic, unlike time here).
            let out = lunora_analyzer::analyze(Path::new(dir), &lunora_parser::OsFs);
            let emitted = out.ir.as_ref().map(lunora_emit::emit_generated);
            println!(
                "{} diagnostics, {} files emitted",
                out.diagnostics.len(),
                emitted.map_or(0, |e| e.files.len())
            );
            Ok(())
        }
        ["incremental", dir, n] => match n.parse::<usize>() {
            Ok(n) if n > 0 => incremental(Path::new(dir), n),
            _ => return usage(),
        },
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

/// Median of `runs` timings of `f`, in ms.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// In-process stage timings on an app on disk: medians of the floor, the
/// analyzer (and each of its passes), dropping its result, and emit.
fn stages(dir: &Path, runs: usize) -> std::io::Result<()> {
    let fs = lunora_parser::OsFs;
    let cpu0 = cpu_ms();
    let floor = median_ms(runs, || {
        std::hint::black_box(parse_dir(dir).ok());
    });
    let floor_cpu = cpu_ms().zip(cpu0).map(|(b, a)| (b - a) / runs as f64);
    let analyzed = lunora_analyzer::analyze(dir, &fs);
    let Some(ir) = analyzed.ir else {
        return Err(std::io::Error::other(format!(
            "the app has errors: {:?}",
            analyzed.diagnostics.first()
        )));
    };
    let mut passes: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut drops = Vec::new();
    let cpu0 = cpu_ms();
    let analyze = median_ms(runs, || {
        let out = lunora_analyzer::analyze(dir, &fs);
        for (i, (name, d)) in out.timings.passes.iter().enumerate() {
            if passes.len() <= i {
                passes.push((name, Vec::new()));
            }
            passes[i].1.push(d.as_secs_f64() * 1000.0);
        }
        let t = std::time::Instant::now();
        drop(out);
        drops.push(t.elapsed().as_secs_f64() * 1000.0);
    });
    let analyze_cpu = cpu_ms().zip(cpu0).map(|(b, a)| (b - a) / runs as f64);
    let emit = median_ms(runs, || {
        std::hint::black_box(lunora_emit::emit_generated(&ir));
    });
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let passes: Vec<String> = passes
        .iter_mut()
        .map(|(name, v)| format!("{name} {:.2}", med(v)))
        .collect();
    println!(
        "parse-only floor {floor:.2} ms (CPU {} ms/run); analyze {analyze:.2} ms ({:.2}x floor; CPU {} ms/run) = {}, then drop {:.2}; emit {emit:.2} ms (medians of {runs})",
        floor_cpu.map_or("n/a".to_string(), |c| format!("{c:.0}")),
        analyze / floor,
        analyze_cpu.map_or("n/a".to_string(), |c| format!("{c:.0}")),
        passes.join(", "),
        med(&mut drops),
    );
    Ok(())
}

/// User + system CPU time of this process so far (all threads), in ms, from
/// `/proc/self/stat` (Linux; clock ticks of 10 ms, so meaningful over many runs).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)`, which may hold spaces: state is field 3,
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

/// Medians of the incremental engine's update after a module and a schema edit.
fn incremental(dir: &Path, runs: usize) -> std::io::Result<()> {
    use lunora_engine::{Change, Session};
    use lunora_parser::OsFs;
    let mut engine = Session::new(dir);
    let fail = |what: &str| std::io::Error::other(format!("the app has errors after {what}"));
    if lunora_parser::has_errors(&engine.update(&OsFs, Change::Unknown).diagnostics) {
        return Err(fail("the cold run"));
    }
    let module = first_module(dir)?;
    let schema = dir.join("lunora/schema.ts");
    let mut timed = |edit: fn(&Path) -> std::io::Result<()>, path: &Path| {
        let mut times = Vec::new();
        let mut parsed = 0;
        for _ in 0..runs {
            edit(dir)?;
            let t = std::time::Instant::now();
            let errors = lunora_parser::has_errors(
                &engine
                    .update(&OsFs, Change::Paths(&[path.to_path_buf()]))
                    .diagnostics,
            );
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if errors {
                return Err(fail("an edit"));
            }
            parsed = engine.stats().parsed.len();
        }
        times.sort_by(f64::total_cmp);
        Ok::<_, std::io::Error>((times[times.len() / 2], parsed))
    };
    let (m, mp) = timed(touch_module, &module)?;
    let (s, sp) = timed(touch_schema, &schema)?;
    println!(
        "incremental update (median of {runs}): module edit {m:.3} ms ({mp} file parsed), schema edit {s:.3} ms ({sp} file parsed)"
    );
    Ok(())
}
