//! Test apps on disk, shared by the integration tests of every crate: the
//! repository's fixtures, copied into temp dirs, and fake tools
//! (`node_modules/.bin/<name>` scripts standing in for wrangler and vite).

use std::path::{Path, PathBuf};

/// The repository's root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `fixtures/<rel>` in the repository.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// Copies the folder `from` into `to` (created), recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read the folder to copy") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// `dir` and every folder and file below it, sorted (so `dir` comes first).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    fn visit(dir: &Path, out: &mut Vec<PathBuf>) {
        out.push(dir.to_path_buf());
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                visit(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, &mut out);
    out.sort();
    out
}

/// Writes `script` as the app's executable `node_modules/.bin/<name>` (what
/// `lunora dev`/`deploy`/`migrate` run instead of the real tool).
#[cfg(unix)]
pub fn fake_tool(root: &Path, name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = root.join("node_modules/.bin");
    std::fs::create_dir_all(&bin).expect("mkdir node_modules/.bin");
    let path = bin.join(name);
    std::fs::write(&path, script).expect("write the fake tool");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}
