//! Helpers shared by the CLI's integration tests (`mod support;` in each
//! test file that uses them).

/// A temporary app: the chat fixture's `lunora/` files, plus `fake` (a shell
/// script) as the app's `node_modules/.bin/wrangler` and `vite`.
#[cfg(unix)]
pub fn app_with_fake_tools(fake: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fixture = lunora_testkit::apps::fixture("valid/chat/lunora");
    let lunora = tmp.path().join("lunora");
    std::fs::create_dir_all(&lunora).expect("mkdir");
    for entry in std::fs::read_dir(&fixture).expect("fixture") {
        let entry = entry.expect("entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), lunora.join(entry.file_name())).expect("copy");
        }
    }
    for name in ["wrangler", "vite"] {
        lunora_testkit::apps::fake_tool(tmp.path(), name, fake);
    }
    tmp
}
