//! `lunora lsp` spoken to over real stdio with JSON-RPC framing, as an editor
//! does.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
}

impl Client {
    fn start(root: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lunora"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        self.messages
            .recv_timeout(TIMEOUT)
            .expect("a message from the server within the timeout")
    }

    fn diagnostics_for(&mut self, uri: &str) -> Value {
        loop {
            let m = self.recv();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].clone();
            }
        }
    }

    fn initialize(&mut self, root: &Path) {
        self.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": null, "capabilities": {},
                "rootUri": format!("file://{}", root.display()),
            }}),
        );
        let response = self.recv();
        assert_eq!(response["id"], 1);
        assert_eq!(response["result"]["capabilities"]["textDocumentSync"], 1);
        self.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}
            }}),
        );
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}]
            }}),
        );
    }

    fn shutdown(mut self) {
        self.send(json!({"jsonrpc": "2.0", "id": 99, "method": "shutdown", "params": null}));
        loop {
            if self.recv()["id"] == 99 {
                break;
            }
        }
        self.send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn app() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("lunora")).unwrap();
    std::fs::write(
        root.join("lunora/schema.ts"),
        "import { defineSchema, defineTable, v } from \"lunorash/server\";\n\
         export default defineSchema({ messages: defineTable({ body: v.string() }) });\n",
    )
    .unwrap();
    std::fs::write(root.join("lunora/messages.ts"), "export {};\n").unwrap();
    (dir, root)
}

#[test]
fn protocol_exchange_over_stdio() {
    let (_dir, root) = app();
    let uri = format!("file://{}/lunora/messages.ts", root.display());
    let mut client = Client::start(&root);
    client.initialize(&root);
    client.open(&uri, "export {};\n");
    assert_eq!(client.diagnostics_for(&uri), json!([]));
    client.change(&uri, 2, "export const x = 1;\n");
    assert_eq!(client.diagnostics_for(&uri), json!([]));
    client.send(json!({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {}}));
    loop {
        let m = client.recv();
        if m["id"] == 7 {
            assert_eq!(m["error"]["code"], -32601);
            break;
        }
    }
    client.shutdown();
}

#[test]
fn syntax_error_in_unsaved_buffer_is_published_then_cleared() {
    let (_dir, root) = app();
    let uri = format!("file://{}/lunora/messages.ts", root.display());
    let mut client = Client::start(&root);
    client.initialize(&root);
    // `é` is one UTF-16 unit (two bytes), `😀` two (four bytes): the `;` is at
    // UTF-16 character 24 of line 1, byte column 27.
    client.open(&uri, "// x\nexport const s = \"é😀\" +;\n");
    let diagnostics = client.diagnostics_for(&uri);
    let first = &diagnostics[0];
    assert_eq!(first["code"], "parse/syntax-error");
    assert_eq!(first["range"]["start"]["line"], 1);
    assert_eq!(first["range"]["start"]["character"], 24);
    client.change(&uri, 2, "// x\nexport const s = \"é😀\";\n");
    assert_eq!(client.diagnostics_for(&uri), json!([]));
    client.shutdown();
}
