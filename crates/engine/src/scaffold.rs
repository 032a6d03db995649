//! `lunora init`: the template app. Its static files are embedded
//! (`crates/engine/template/`); `package.json` and `.dev.vars` are rendered
//! here because they depend on the options and on a fresh random secret.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The Lunora version this binary belongs to; npm packages move in lockstep.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Static template files: (path in the app, contents).
pub const TEMPLATE: &[(&str, &str)] = &[
    (".gitignore", include_str!("../template/gitignore")),
    ("README.md", include_str!("../template/README.md")),
    ("index.html", include_str!("../template/index.html")),
    (
        "lunora/channels.ts",
        include_str!("../template/lunora/channels.ts"),
    ),
    (
        "lunora/messages.ts",
        include_str!("../template/lunora/messages.ts"),
    ),
    (
        "lunora/schema.ts",
        include_str!("../template/lunora/schema.ts"),
    ),
    (
        "src/client/App.tsx",
        include_str!("../template/src/client/App.tsx"),
    ),
    (
        "src/client/Chat.tsx",
        include_str!("../template/src/client/Chat.tsx"),
    ),
    (
        "src/client/main.tsx",
        include_str!("../template/src/client/main.tsx"),
    ),
    (
        "src/server/index.ts",
        include_str!("../template/src/server/index.ts"),
    ),
    ("tsconfig.json", include_str!("../template/tsconfig.json")),
    ("vite.config.ts", include_str!("../template/vite.config.ts")),
    ("wrangler.jsonc", include_str!("../template/wrangler.jsonc")),
];

/// The Lunora packages an app depends on directly.
const LUNORA_DEPS: &[&str] = &["@lunora/react", "@lunora/runtime", "lunorash"];

/// Where the Lunora packages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The registry's `alpha` dist-tag.
    Registry,
    /// Tarballs made by `npm/pack.sh`: package name → absolute path, sorted by name.
    Tarballs(Vec<(String, PathBuf)>),
}

/// Writes the template app into `dir` (which must be empty or missing),
/// with the packages from the registry or, with `packages`, from the tarballs
/// in that folder. Returns the number of files written.
pub fn init(dir: &Path, packages: Option<&Path>) -> Result<usize, String> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "{} is not empty; choose a new folder or empty this one",
                    dir.display()
                ));
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(format!("cannot read {}: {err}", dir.display())),
    }
    let source = match packages {
        Some(folder) => Source::Tarballs(find_tarballs(folder)?),
        None => Source::Registry,
    };
    let secret = fresh_secret()?;
    let name = app_name(dir);
    let mut files: Vec<(String, String)> = TEMPLATE
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect();
    files.push(("package.json".to_owned(), package_json(&name, &source)));
    files.push((".dev.vars".to_owned(), dev_vars(&secret)));
    for (path, text) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
        }
        fs::write(&target, text)
            .map_err(|err| format!("cannot write {}: {err}", target.display()))?;
    }
    Ok(files.len())
}

/// The npm package name for the app: the folder name, lowercased, with anything
/// npm does not allow replaced by `-`.
pub fn app_name(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches(|c| c == '-' || c == '_').to_owned();
    if name.is_empty() {
        "lunora-app".to_owned()
    } else {
        name
    }
}

/// The tarballs `npm/pack.sh` wrote for this version: `lunorash-<v>.tgz` →
/// `lunorash`, `lunora-runtime-<v>.tgz` → `@lunora/runtime` (pnpm's naming).
pub fn find_tarballs(folder: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let folder = fs::canonicalize(folder).map_err(|err| {
        format!(
            "cannot read the packages folder {}: {err}",
            folder.display()
        )
    })?;
    let entries = fs::read_dir(&folder).map_err(|err| {
        format!(
            "cannot read the packages folder {}: {err}",
            folder.display()
        )
    })?;
    let suffix = format!("-{VERSION}.tgz");
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = file.strip_suffix(&suffix) else {
            continue;
        };
        let name = match stem.strip_prefix("lunora-") {
            Some(rest) => format!("@lunora/{rest}"),
            None => stem.to_owned(),
        };
        found.push((name, folder.join(&file)));
    }
    found.sort();
    for required in LUNORA_DEPS {
        if !found.iter().any(|(name, _)| name == required) {
            return Err(format!(
                "{} has no tarball of {required} {VERSION}; run `npm/pack.sh {}` first",
                folder.display(),
                folder.display()
            ));
        }
    }
    Ok(found)
}

fn file_spec(path: &Path) -> String {
    format!("file:{}", path.to_string_lossy().replace('\\', "/"))
}

/// `package.json` of a new app. Lunora packages come from the registry's
/// `alpha` tag or, with `--packages`, from the tarballs (also as overrides, so
/// transitive `@lunora/*` dependencies resolve offline too).
pub fn package_json(name: &str, source: &Source) -> String {
    let lunora_spec = |pkg: &str| -> String {
        match source {
            Source::Registry => "alpha".to_owned(),
            Source::Tarballs(found) => found
                .iter()
                .find(|(n, _)| n == pkg)
                .map(|(_, path)| file_spec(path))
                .unwrap_or_else(|| "alpha".to_owned()),
        }
    };
    let mut dependencies = Map::new();
    for pkg in LUNORA_DEPS {
        dependencies.insert((*pkg).to_owned(), Value::String(lunora_spec(pkg)));
    }
    dependencies.insert("react".to_owned(), json!("^19.2.0"));
    dependencies.insert("react-dom".to_owned(), json!("^19.2.0"));
    let mut package = json!({
        "name": name,
        "private": true,
        "version": "0.0.0",
        "type": "module",
        "scripts": {
            "dev": "lunora dev",
            "build": "lunora codegen && tsc -p tsconfig.json && vite build && wrangler deploy --dry-run --outdir dist/server",
            "typecheck": "tsc -p tsconfig.json",
            "lunora": "lunora",
            "deploy": "lunora deploy"
        },
        "dependencies": dependencies,
        "devDependencies": {
            "@cloudflare/workers-types": "4.20260426.1",
            "@types/react": "^19.2.0",
            "@types/react-dom": "^19.2.0",
            "@vitejs/plugin-react": "^5.1.0",
            "typescript": "~5.9.3",
            "vite": "^7.2.0",
            "wrangler": "4.86.0"
        }
    });
    if let Source::Tarballs(found) = source {
        let overrides: Map<String, Value> = found
            .iter()
            .map(|(n, path)| (n.clone(), Value::String(file_spec(path))))
            .collect();
        package["pnpm"] = json!({ "overrides": overrides });
    }
    let mut text = serde_json::to_string_pretty(&package).unwrap_or_default();
    text.push('\n');
    text
}

fn dev_vars(secret: &str) -> String {
    format!(
        "# Local secrets for `wrangler dev`; never commit this file.\n\
         # Signs the dev guest identities (HMAC). Production: `wrangler secret put LUNORA_AUTH_SECRET`.\n\
         LUNORA_AUTH_SECRET={secret}\n"
    )
}

/// 32 random bytes from the OS, hex-encoded.
fn fresh_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| format!("no OS randomness for the auth secret: {err}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
