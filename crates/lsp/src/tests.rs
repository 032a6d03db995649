//! The server loop over an in-memory connection with a fake pipeline.

use std::path::Path;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use lunora_parser::{Code, Diagnostic, Files, Span, Vfs};
use serde_json::{Value, json};

use super::*;

/// Fake pipeline: every `ERR` in `lunora/messages.ts` is an error; a second
/// label points at the first `ok` if any.
fn fake_generate(root: &Path, fs: &dyn Vfs) -> Analysis {
    let mut files = Files::new();
    let mut diagnostics = Vec::new();
    let text = String::from_utf8(
        fs.read(&root.join("lunora/messages.ts"))
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let id = files.add("lunora/messages.ts", text.clone());
    for (at, _) in text.match_indices("ERR") {
        let mut d = Diagnostic::error(Code::SyntaxError, "bad token")
            .with_label(id, Span::new(at as u32, at as u32 + 3), "here")
            .with_help("remove it");
        if let Some(ok) = text.find("ok") {
            d = d.and_label(id, Span::new(ok as u32, ok as u32 + 2), "see");
        }
        diagnostics.push(d);
    }
    Analysis {
        files,
        diagnostics,
        ir: None,
        outputs: Vec::new(),
    }
}

fn notify(client: &Connection, method: &str, params: Value) {
    client
        .sender
        .send(Message::Notification(Notification::new(
            method.into(),
            params,
        )))
        .unwrap();
}

fn next_diagnostics(client: &Connection) -> Value {
    loop {
        let message = client
            .receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("a message from the server");
        if let Message::Notification(n) = message
            && n.method == "textDocument/publishDiagnostics"
        {
            return n.params;
        }
    }
}

#[test]
fn publishes_and_clears_diagnostics_from_unsaved_buffers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    // On disk the file is clean; only the buffer has errors.
    std::fs::write(root.join("lunora/messages.ts"), "ok").unwrap();
    let uri = path_to_uri(&root.join("lunora/messages.ts")).unwrap();
    let uri = uri.as_str().to_string();

    let (server, client) = Connection::memory();
    let root_uri = path_to_uri(&root).unwrap().as_str().to_string();
    let handle = std::thread::spawn(move || {
        let mut generate = fake_generate;
        serve(&server, None, &mut Cold::new(&mut generate))
    });
    client
        .sender
        .send(Message::Request(Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({"capabilities": {}, "rootUri": root_uri}),
        )))
        .unwrap();
    let Message::Response(init) = client.receiver.recv().unwrap() else {
        panic!("expected the initialize response");
    };
    assert_eq!(init.result.unwrap()["capabilities"]["textDocumentSync"], 1);
    notify(&client, "initialized", json!({}));

    // `é` and `😀` are 1 and 2 UTF-16 units: ERR starts at column 4.
    let text = "ok\né😀ERR";
    notify(
        &client,
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}}),
    );
    let params = next_diagnostics(&client);
    assert_eq!(params["uri"], uri.as_str());
    let diagnostics = params["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(
        d["range"],
        json!({"start": {"line": 1, "character": 3}, "end": {"line": 1, "character": 6}})
    );
    assert_eq!(d["code"], "parse/syntax-error");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["message"], "bad token\nhelp: remove it");
    assert_eq!(
        d["relatedInformation"][0]["location"]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 2}})
    );

    notify(
        &client,
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "ok fixed"}]}),
    );
    let params = next_diagnostics(&client);
    assert_eq!(params["uri"], uri.as_str());
    assert_eq!(params["diagnostics"], json!([]));

    shutdown(&client);
    assert_eq!(handle.join().unwrap(), Ok(()));
}

#[test]
fn uris_round_trip() {
    let path = Path::new("/tmp/a b/ünï/x#1.ts");
    let uri = path_to_uri(path).unwrap();
    assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BCn%C3%AF/x%231.ts");
    assert_eq!(uri_to_path(uri.as_str()).unwrap(), path);
    assert_eq!(
        uri_to_path("file://localhost/x/y.ts").unwrap(),
        Path::new("/x/y.ts")
    );
    assert_eq!(uri_to_path("untitled:Untitled-1"), None);
    assert_eq!(uri_to_path("file:///bad%"), Some(PathBuf::from("/bad%")));
}

/// The incremental analyzer, logging what each analysis parsed.
struct Logged {
    inner: IncrementalAnalyzer,
    log: std::sync::Arc<std::sync::Mutex<Vec<lunora_engine::UpdateStats>>>,
}

impl Analyzer for Logged {
    fn analyze(&mut self, root: &Path, fs: &dyn Vfs) -> &Analysis {
        self.inner.analyze(root, fs);
        let engine = self.inner.engine().expect("analyzed once");
        self.log.lock().unwrap().push(engine.stats().clone());
        engine.last()
    }
}

const SCHEMA: &str = "import { defineSchema, defineTable, v } from \"lunorash/server\";\n\
    export default defineSchema({ messages: defineTable({ body: v.string() }), channels: defineTable({ name: v.string() }).global() });\n";
const MESSAGES: &str = "import { query } from \"./_generated/server\";\n\
    export const list = query.query(async ({ ctx }) => ctx.db.query(\"messages\").collect());\n";
const CHANNELS: &str = "import { query } from \"./_generated/server\";\n\
    export const all = query.query(async ({ ctx }) => ctx.db.query(\"channels\").collect());\n";

fn shutdown(client: &Connection) {
    client
        .sender
        .send(Message::Request(Request::new(
            RequestId::from(2),
            "shutdown".into(),
            Value::Null,
        )))
        .unwrap();
    loop {
        if let Message::Response(r) = client.receiver.recv().unwrap() {
            assert_eq!(r.id, RequestId::from(2));
            break;
        }
    }
    notify(client, "exit", Value::Null);
}

/// Diagnostics published for `uri` by the next check (every check publishes
/// for each open document).
fn diagnostics_for(client: &Connection, uri: &str) -> Value {
    loop {
        let params = next_diagnostics(client);
        if params["uri"] == uri {
            return params["diagnostics"].clone();
        }
    }
}

#[test]
fn an_edit_of_one_buffer_reparses_only_that_file_and_reports_like_a_cold_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    for (name, text) in [
        ("schema.ts", SCHEMA),
        ("messages.ts", MESSAGES),
        ("channels.ts", CHANNELS),
    ] {
        std::fs::write(root.join("lunora").join(name), text).unwrap();
    }
    let messages = root.join("lunora/messages.ts");
    let uri = path_to_uri(&messages).unwrap().as_str().to_string();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));

    let (server, client) = Connection::memory();
    let root_uri = path_to_uri(&root).unwrap().as_str().to_string();
    let mut analyzer = Logged {
        inner: IncrementalAnalyzer::default(),
        log: std::sync::Arc::clone(&log),
    };
    let handle = std::thread::spawn(move || serve(&server, None, &mut analyzer));
    client
        .sender
        .send(Message::Request(Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({"capabilities": {}, "rootUri": root_uri}),
        )))
        .unwrap();
    assert!(matches!(
        client.receiver.recv().unwrap(),
        Message::Response(_)
    ));
    notify(&client, "initialized", json!({}));

    // Opening: a cold analysis parses every module.
    notify(
        &client,
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": MESSAGES}}),
    );
    assert_eq!(diagnostics_for(&client, &uri), json!([]));
    {
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            log[0].parsed,
            [
                "lunora/channels.ts",
                "lunora/messages.ts",
                "lunora/schema.ts"
            ]
        );
    }

    // An unsaved edit that queries a table the schema lacks: only the edited
    // buffer is parsed again, and the diagnostics are a cold run's.
    let bad = MESSAGES.replace("query(\"messages\")", "query(\"mesages\")");
    assert_ne!(bad, MESSAGES);
    notify(
        &client,
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": bad}]}),
    );
    let diagnostics = diagnostics_for(&client, &uri);
    let mut overlay = MemFs::over(&OsFs);
    overlay.insert(messages.clone(), bad.as_bytes().to_vec());
    let cold = lunora_engine::pipeline::generate(&root, &overlay);
    assert!(lunora_parser::has_errors(&cold.diagnostics));
    let expected = group_by_file(&root, &cold)
        .remove(&messages)
        .expect("the cold run reports the edited file");
    assert_eq!(diagnostics, serde_json::to_value(&expected).unwrap());
    assert!(diagnostics.to_string().contains("mesages"), "{diagnostics}");
    {
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 2);
        assert!(log[1].analyzed);
        assert_eq!(log[1].parsed, ["lunora/messages.ts"]);
        assert_eq!(log[1].reused, 2);
    }

    // Back to the disk's text: clean again, still one file parsed.
    notify(
        &client,
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": MESSAGES}]}),
    );
    assert_eq!(diagnostics_for(&client, &uri), json!([]));
    // A save that changes nothing costs no analysis at all.
    notify(
        &client,
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(diagnostics_for(&client, &uri), json!([]));
    {
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 4);
        assert_eq!(log[2].parsed, ["lunora/messages.ts"]);
        assert!(!log[3].analyzed);
        assert!(log[3].parsed.is_empty());
    }

    shutdown(&client);
    assert_eq!(handle.join().unwrap(), Ok(()));
}
