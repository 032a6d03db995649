//! Helpers shared by the CLI's integration tests (`mod support;` in each
//! test file that uses them).

use std::path::Path;

/// A temporary app: the chat fixture's `lunora/` files, plus `fake` (a shell
/// script) as the app's `node_modules/.bin/wrangler` and `vite`.
#[cfg(unix)]
pub fn app_with_fake_tools(fake: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/valid/chat/lunora");
    let lunora = tmp.path().join("lunora");
    std::fs::create_dir_all(&lunora).expect("mkdir");
    for entry in std::fs::read_dir(&fixture).expect("fixture") {
        let entry = entry.expect("entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), lunora.join(entry.file_name())).expect("copy");
        }
    }
    let bin = tmp.path().join("node_modules/.bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    for name in ["wrangler", "vite"] {
        let path = bin.join(name);
        std::fs::write(&path, fake).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    tmp
}
