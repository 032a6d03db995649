//! Snapshot of every generated file for the chat tutorial IR.

mod support {
    pub mod chat_ir;
}

use lunora_emit::{HEADER, emit_generated};

#[test]
fn chat_generated_files() {
    let ir = support::chat_ir::chat_ir();
    let out = emit_generated(&ir);
    let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "lunora/_generated/api.ts",
            "lunora/_generated/dataModel.ts",
            "lunora/_generated/server.ts",
            "lunora/_generated/wiring.ts",
        ]
    );
    let mut doc = String::new();
    for file in &out.files {
        assert!(
            file.contents.starts_with(HEADER),
            "{} lacks the header",
            file.path
        );
        assert!(file.contents.ends_with('\n'));
        assert!(!file.contents.contains("@lunora/runtime"));
        doc.push_str(&format!(
            "## {}\n\n```ts\n{}```\n\n",
            file.path, file.contents
        ));
    }
    insta::assert_snapshot!("chat", doc);
    // Pure and deterministic: a second run gives the same bytes.
    assert_eq!(emit_generated(&ir).files, out.files);
}
