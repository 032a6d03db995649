//! What function discovery (pass 1) makes of an export before its args are
//! resolved: read by discovery ([`crate::functions`]), the helper walk
//! ([`crate::helpers`]) and HTTP actions ([`crate::http`]).

use std::sync::Arc;

use lunora_parser::summary::FunctionSummary;
use lunora_parser::{FileId, FileSpan};

use crate::eval::{Entry, Val};
use crate::ir::{FunctionKind, Visibility};

/// A discovered function before its args are resolved.
pub struct FunctionDraft {
    pub module: String,
    pub file: String,
    pub api_path: Vec<String>,
    pub export_name: String,
    pub span: FileSpan,
    pub kind: FunctionKind,
    pub visibility: Visibility,
    pub form: Form,
    pub args: Option<Vec<Entry>>,
    /// The `returns` validator as written (resolved in pass 2).
    pub returns: Option<Val>,
    pub handler: Option<(Arc<FunctionSummary>, FileId)>,
    /// The helpers the handler hands its `ctx` to (`getUser(ctx, id)`), and theirs
    /// in turn: the tables their `ctx.db` calls name are the function's (route).
    pub helpers: Vec<(Arc<FunctionSummary>, FileId)>,
}

/// How a function was written; it decides how its handler takes the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `query.input({...}).query(async ({ ctx, args }) => ...)`
    Builder,
    /// Convex's `query({ args, returns, handler: async (ctx, args) => ... })`.
    Object,
}
