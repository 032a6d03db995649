//! Cargo and npm versions move in lockstep: every npm/*/package.json carries the
//! workspace version, and lunorash's platform packages are all optional deps.

use std::fs;
use std::path::Path;

#[test]
fn npm_versions_match_cargo() {
    let npm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../npm");
    let mut checked = Vec::new();
    for entry in fs::read_dir(&npm).unwrap().flatten() {
        let manifest = entry.path().join("package.json");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        let package: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            package["version"].as_str(),
            Some(env!("CARGO_PKG_VERSION")),
            "{} disagrees with Cargo's version (run `node npm/version.mjs --stamp`)",
            manifest.display()
        );
        checked.push(entry.file_name().to_string_lossy().into_owned());
    }
    checked.sort();
    assert!(checked.contains(&"lunorash".to_owned()), "{checked:?}");
    assert!(
        checked.contains(&"cli-linux-x64-gnu".to_owned()),
        "{checked:?}"
    );
}

#[test]
fn lunorash_lists_every_platform_package() {
    let npm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../npm");
    let text = fs::read_to_string(npm.join("lunorash/package.json")).unwrap();
    let lunorash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let optional = lunorash["optionalDependencies"].as_object().unwrap();
    let mut platforms = 0;
    for entry in fs::read_dir(&npm).unwrap().flatten() {
        let dir = entry.file_name().to_string_lossy().into_owned();
        if !dir.starts_with("cli-") {
            continue;
        }
        let text = fs::read_to_string(entry.path().join("package.json")).unwrap();
        let package: serde_json::Value = serde_json::from_str(&text).unwrap();
        let name = package["name"].as_str().unwrap();
        assert_eq!(name, format!("@lunora/{dir}"));
        assert!(optional.contains_key(name), "lunorash does not list {name}");
        assert!(
            package["os"].is_array() && package["cpu"].is_array(),
            "{name}: os/cpu"
        );
        if dir.starts_with("cli-linux") {
            assert!(package["libc"].is_array(), "{name}: libc");
        }
        platforms += 1;
    }
    assert_eq!(platforms, 7);
    assert_eq!(optional.len(), 7);
    assert_eq!(lunorash["bin"]["lunora"].as_str(), Some("bin/lunora.cjs"));
}
