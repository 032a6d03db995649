//! The language server behind `lunora lsp`, over stdio. It runs the codegen pipeline
//! over the disk overlaid with the editor's unsaved buffers and publishes the
//! same diagnostics as `lunora codegen` for files under `lunora/`, clearing
//! them for files that became clean.
//!
//! Analysis is incremental (the engine's [`Session`], told
//! [`Change::Unknown`], over the overlay):
//! after an edit only the buffers and files whose text changed are parsed
//! again, and a change that alters nothing the analysis read (a save of the
//! same text) costs no analysis at all. The result is always what a cold
//! `lunora codegen` would report for the same texts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_server::{Connection, Message, Notification, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};
use lunora_parser::{Diagnostic, FileSpan, Files, MemFs, OsFs, Severity, Vfs};

use lunora_engine::layout::{AppLayout, is_source, relative};
use lunora_engine::{Analysis, Change, Session};

/// A cold pipeline run (`lunora_engine::generate`, or a fake in tests).
pub type GenerateFn<'a> = dyn FnMut(&Path, &dyn Vfs) -> Analysis + 'a;

/// Serves the editor on the process's stdin/stdout (the protocol owns them)
/// until it shuts the server down. `root` is the `--root` option: the app is
/// found from it, or from the current directory, when the client names no
/// workspace folder.
pub fn run_stdio(root: Option<&Path>) -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let fallback_root = std::env::current_dir()
        .ok()
        .and_then(|cwd| AppLayout::find(root, &cwd).ok())
        .map(AppLayout::into_root);
    let mut analyzer = IncrementalAnalyzer::default();
    let result = serve(&connection, fallback_root, &mut analyzer);
    drop(connection);
    let joined = io_threads.join();
    result.and_then(|()| joined.map_err(|e| e.to_string()))
}

/// What the server analyzes the app with.
pub trait Analyzer {
    /// The pipeline's result for the app at `root`, reading through `fs` (the
    /// disk overlaid with the open buffers).
    fn analyze(&mut self, root: &Path, fs: &dyn Vfs) -> &Analysis;
}

/// The engine's incremental [`Session`], created for the workspace root
/// on first use: only files whose text changed since the last analysis are
/// parsed again.
#[derive(Default)]
pub struct IncrementalAnalyzer {
    engine: Option<Session>,
}

impl IncrementalAnalyzer {
    /// The engine, once something was analyzed (its `stats()` tell what the
    /// last analysis parsed).
    pub fn engine(&self) -> Option<&Session> {
        self.engine.as_ref()
    }
}

impl Analyzer for IncrementalAnalyzer {
    fn analyze(&mut self, root: &Path, fs: &dyn Vfs) -> &Analysis {
        if self.engine.as_ref().is_some_and(|e| e.root() != root) {
            self.engine = None;
        }
        self.engine
            .get_or_insert_with(|| Session::new(root))
            .update(fs, Change::Unknown)
    }
}

/// A [`GenerateFn`] as an [`Analyzer`]: a cold run every time (tests).
pub struct Cold<'g, 'a> {
    generate: &'g mut GenerateFn<'a>,
    last: Option<Analysis>,
}

impl<'g, 'a> Cold<'g, 'a> {
    pub fn new(generate: &'g mut GenerateFn<'a>) -> Self {
        Self {
            generate,
            last: None,
        }
    }
}

impl Analyzer for Cold<'_, '_> {
    fn analyze(&mut self, root: &Path, fs: &dyn Vfs) -> &Analysis {
        self.last.insert((self.generate)(root, fs))
    }
}

/// Runs the server on `connection` until `shutdown` + `exit` (or the client
/// hangs up). `fallback_root` is used when the client names no workspace.
pub fn serve(
    connection: &Connection,
    fallback_root: Option<PathBuf>,
    analyzer: &mut dyn Analyzer,
) -> Result<(), String> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    let params = connection
        .initialize(capabilities)
        .map_err(|e| e.to_string())?;
    let root = root_from_params(&params)
        .or(fallback_root)
        .ok_or("the client named no workspace folder and no `lunora/` folder was found")?;
    let mut server = Server {
        root,
        docs: BTreeMap::new(),
        published: BTreeSet::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let response = Response::new_err(
                    request.id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("unsupported request {}", request.method),
                );
                send(connection, Message::Response(response))?;
            }
            Message::Response(_) => {}
            Message::Notification(notification) => {
                if server.handle(&notification) {
                    for message in server.check(analyzer) {
                        send(connection, message)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection.sender.send(message).map_err(|e| e.to_string())
}

struct Server {
    root: PathBuf,
    /// Open documents: absolute path → current text.
    docs: BTreeMap<PathBuf, String>,
    /// Files that currently have diagnostics published.
    published: BTreeSet<PathBuf>,
}

impl Server {
    /// Applies a notification; true if the diagnostics must be recomputed.
    fn handle(&mut self, notification: &Notification) -> bool {
        let params = &notification.params;
        let doc_path = || params["textDocument"]["uri"].as_str().and_then(uri_to_path);
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let (Some(path), Some(text)) =
                    (doc_path(), params["textDocument"]["text"].as_str())
                else {
                    return false;
                };
                self.docs.insert(path, text.to_string());
                true
            }
            DidChangeTextDocument::METHOD => {
                // Full sync: the last change holds the whole text.
                let text = params["contentChanges"]
                    .as_array()
                    .and_then(|changes| changes.last())
                    .and_then(|change| change["text"].as_str());
                let (Some(path), Some(text)) = (doc_path(), text) else {
                    return false;
                };
                self.docs.insert(path, text.to_string());
                true
            }
            DidCloseTextDocument::METHOD => {
                if let Some(path) = doc_path() {
                    self.docs.remove(&path);
                }
                true
            }
            DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => true,
            _ => false,
        }
    }

    /// Runs the pipeline over disk + buffers; returns the notifications to send.
    fn check(&mut self, analyzer: &mut dyn Analyzer) -> Vec<Message> {
        let mut fs = MemFs::over(&OsFs);
        for (path, text) in &self.docs {
            fs.insert(path.clone(), text.as_bytes().to_vec());
        }
        let generated = analyzer.analyze(&self.root, &fs);
        let mut by_file = group_by_file(&self.root, generated);
        // Open documents under lunora/ always get a (possibly empty) list.
        for path in self.docs.keys() {
            if self.is_lunora_file(path) {
                by_file.entry(path.clone()).or_default();
            }
        }
        for path in &self.published {
            by_file.entry(path.clone()).or_default();
        }
        self.published = by_file
            .iter()
            .filter(|(_, diagnostics)| !diagnostics.is_empty())
            .map(|(path, _)| path.clone())
            .collect();
        by_file
            .into_iter()
            .filter_map(|(path, diagnostics)| {
                let uri = path_to_uri(&path)?;
                let params = PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version: None,
                };
                Some(Message::Notification(Notification::new(
                    PublishDiagnostics::METHOD.to_string(),
                    params,
                )))
            })
            .collect()
    }

    fn is_lunora_file(&self, path: &Path) -> bool {
        path.starts_with(&self.root) && is_source(&relative(&self.root, path))
    }
}

/// Every diagnostic of a run as LSP diagnostics, keyed by the absolute path of
/// its file; only source files ([`is_source`], the rule codegen's watcher uses) are kept.
fn group_by_file(
    root: &Path,
    generated: &Analysis,
) -> BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> {
    let mut out: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    for d in &generated.diagnostics {
        let (rel, range) = match d.primary() {
            Some(label) => (
                generated.files.get(label.at.file).path.clone(),
                to_range(&generated.files, label.at),
            ),
            None => match &d.path {
                Some(path) => (path.clone(), Range::default()),
                None => continue,
            },
        };
        if !is_source(&rel) {
            continue;
        }
        out.entry(root.join(&rel))
            .or_default()
            .push(to_lsp(root, &generated.files, d, range));
    }
    out
}

/// A 0-based LSP range (UTF-16 columns) for a span.
pub fn to_range(files: &Files, at: FileSpan) -> Range {
    let file = files.get(at.file);
    let position = |offset| {
        let lc = file.line_col(offset);
        Position::new(lc.line - 1, lc.column - 1)
    };
    Range::new(position(at.span.start), position(at.span.end))
}

fn to_lsp(root: &Path, files: &Files, d: &Diagnostic, range: Range) -> lsp_types::Diagnostic {
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .skip(1)
        .filter_map(|label| {
            let uri = path_to_uri(&root.join(&files.get(label.at.file).path))?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri, to_range(files, label.at)),
                message: label.message.clone().unwrap_or_default(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("lunora".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

fn root_from_params(params: &serde_json::Value) -> Option<PathBuf> {
    params["workspaceFolders"][0]["uri"]
        .as_str()
        .or(params["rootUri"].as_str())
        .and_then(uri_to_path)
        .or_else(|| params["rootPath"].as_str().map(PathBuf::from))
}

/// `file:///a%20b/c.ts` → `/a b/c.ts`. Other schemes → `None`.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // Skip an authority (`file://localhost/...`).
    let rest = &rest[rest.find('/')?..];
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// `/a b/c.ts` → `file:///a%20b/c.ts`.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

#[cfg(test)]
mod tests;
