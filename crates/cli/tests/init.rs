//! `lunora init`: the scaffolded file list, package.json in both modes, a fresh
//! secret per init, refusal of a non-empty folder.

use std::fs;
use std::path::Path;

use clap::Parser;
use lunora_cli::{Cli, Exit, run};
use walkdir::WalkDir;

fn lunora(args: &[&str]) -> (Exit, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("lunora").chain(args.iter().copied()))
        .expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = run(cli, &mut out, &mut err);
    (
        exit,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn file_list(dir: &Path) -> String {
    let mut files: Vec<String> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files.join("\n")
}

fn secret(dir: &Path) -> String {
    let vars = fs::read_to_string(dir.join(".dev.vars")).unwrap();
    let line = vars
        .lines()
        .find(|l| l.starts_with("LUNORA_AUTH_SECRET="))
        .expect("secret line");
    line["LUNORA_AUTH_SECRET=".len()..].to_owned()
}

#[test]
fn init_from_registry_writes_the_template() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("My Chat");
    let (exit, out, err) = lunora(&["init", app.to_str().unwrap()]);
    assert_eq!(exit, Exit::Ok, "{err}");
    assert!(out.contains("pnpm install"), "{out}");
    insta::assert_snapshot!("init_file_list", file_list(&app));
    let package = fs::read_to_string(app.join("package.json")).unwrap();
    insta::assert_snapshot!("init_package_json_registry", package);
    let gitignore = fs::read_to_string(app.join(".gitignore")).unwrap();
    for entry in [".dev.vars", "node_modules/", ".wrangler/"] {
        assert!(
            gitignore.lines().any(|l| l == entry),
            "{entry} not in .gitignore"
        );
    }
}

#[test]
fn init_with_packages_points_at_the_tarballs() {
    let tmp = tempfile::tempdir().unwrap();
    let packs = tmp.path().join("packs");
    fs::create_dir(&packs).unwrap();
    let v = env!("CARGO_PKG_VERSION");
    for name in [
        "lunorash",
        "lunora-runtime",
        "lunora-react",
        "lunora-client",
        "lunora-cli-linux-x64-gnu",
    ] {
        fs::write(packs.join(format!("{name}-{v}.tgz")), b"").unwrap();
    }
    // A tarball of another version is ignored.
    fs::write(packs.join("lunorash-0.0.1.tgz"), b"").unwrap();
    let app = tmp.path().join("chat");
    let (exit, _, err) = lunora(&[
        "init",
        app.to_str().unwrap(),
        "--packages",
        packs.to_str().unwrap(),
    ]);
    assert_eq!(exit, Exit::Ok, "{err}");
    let packs_abs = fs::canonicalize(&packs).unwrap();
    let package = fs::read_to_string(app.join("package.json"))
        .unwrap()
        .replace(&packs_abs.to_string_lossy().replace('\\', "/"), "[PACKS]")
        .replace(v, "[VERSION]");
    insta::assert_snapshot!("init_package_json_tarballs", package);
}

#[test]
fn init_without_the_tarballs_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let (exit, _, err) = lunora(&[
        "init",
        tmp.path().join("app").to_str().unwrap(),
        "--packages",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(exit, Exit::Failure);
    assert!(err.contains("no tarball of @lunora/react"), "{err}");
    assert!(err.contains("npm/pack.sh"), "{err}");
    assert!(
        !tmp.path().join("app").exists(),
        "nothing is written on failure"
    );
}

#[test]
fn every_init_gets_a_fresh_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_eq!(lunora(&["init", a.to_str().unwrap()]).0, Exit::Ok);
    assert_eq!(lunora(&["init", b.to_str().unwrap()]).0, Exit::Ok);
    let (sa, sb) = (secret(&a), secret(&b));
    assert_eq!(sa.len(), 64);
    assert!(sa.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(sa, sb);
}

#[test]
fn init_refuses_a_non_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let (exit, out, err) = lunora(&["init", tmp.path().to_str().unwrap()]);
    assert_eq!(exit, Exit::Failure);
    assert_eq!(out, "");
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    // An existing empty folder is fine.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_eq!(lunora(&["init", empty.to_str().unwrap()]).0, Exit::Ok);
}

#[test]
fn the_template_matches_the_contracts() {
    let find = |path: &str| {
        lunora_cli::commands::init::TEMPLATE
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| *t)
            .unwrap()
    };
    // The Worker entry exactly as docs/ARCHITECTURE.md shows it.
    let worker = find("src/server/index.ts");
    assert!(worker.contains("const lunora = createWorker(wiring);"));
    assert!(worker.contains("export default lunora.worker;"));
    assert!(worker.contains("export const LunoraShard = lunora.Shard;"));
    let wrangler = find("wrangler.jsonc");
    for needle in [
        "\"LUNORA_SHARD\"",
        "\"class_name\": \"LunoraShard\"",
        "\"new_sqlite_classes\": [\"LunoraShard\"]",
        "\"binding\": \"DB\"",
        "\"migrations_dir\": \"lunora/migrations\"",
    ] {
        assert!(wrangler.contains(needle), "wrangler.jsonc lacks {needle}");
    }
    let date = wrangler.split("\"compatibility_date\": \"").nth(1).unwrap();
    assert!(
        &date[..10] <= "2026-05-03",
        "compatibility_date {} too new for workerd",
        &date[..10]
    );
}
