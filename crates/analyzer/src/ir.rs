//! The typed IR of a Lunora app. Everything emitted (TypeScript, migrations,
//! the runtime manifest) is a pure function of this. Collections keep a
//! deterministic order: tables in schema declaration order, fields in
//! declaration order, functions sorted by (module, export name).

use lunora_parser::FileSpan;

/// Name of the built-in auth table, added when the schema does not define it.
pub const AUTH_TABLE: &str = "users";
/// Name of the built-in identity table when the app owns `users` (any shape,
/// any placement): guests and verified subjects live here, and
/// `ctx.auth.userId` is one of its ids. Same fields as the built-in `users`.
pub const IDENTITY_TABLE: &str = "_identities";
/// The system table of scheduled functions (`v.id("_scheduled_functions")` holds
/// what `ctx.scheduler.runAfter` returns); each object keeps its own jobs.
pub const SCHEDULED_TABLE: &str = "_scheduled_functions";
/// The system table of stored files (`v.id("_storage")` holds what an upload
/// or `ctx.storage.store` returns); its rows live in the root object.
pub const STORAGE_TABLE: &str = "_storage";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ir {
    /// Schema tables in declaration order, then the built-in `users` table if
    /// the schema does not define one.
    pub tables: Vec<Table>,
    /// Sorted by `(module, export_name)`.
    pub functions: Vec<Function>,
    /// Every discovered function module (root-relative file path, module path),
    /// sorted by module path, including modules that export no function.
    pub modules: Vec<Module>,
    /// How the schema was exported: `export const <name>` or `export default`.
    pub schema_export: SchemaExport,
    /// The HTTP router of `lunora/http.ts`; `None` without that file.
    pub http: Option<HttpRouter>,
    /// The cron jobs of `lunora/crons.ts`; `None` without that file.
    pub crons: Option<Crons>,
    /// Some function or HTTP action uses `ctx.storage`: `lunora deploy`
    /// then requires the R2 binding (as does a `v.id("_storage")` field).
    pub uses_storage: bool,
}

/// `lunora/crons.ts`'s default export: its jobs in registration order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Crons {
    pub jobs: Vec<CronJob>,
}

/// One cron job: its schedule as the Cloudflare Cron Trigger expression
/// that fires it (UTC, minute granularity), and the function it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronJob {
    pub name: String,
    /// Five fields: minute hour day-of-month month day-of-week (`MON`..`SUN`).
    pub cron: String,
    /// The function's id in `wiring.ts`, `<module>:<export>`.
    pub function: String,
    pub kind: FunctionKind,
    pub span: Option<FileSpan>,
}

/// `lunora/http.ts`'s default export: its routes in registration order, as
/// the router registers them at run time (the runtime compares the two).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRouter {
    pub routes: Vec<HttpRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    pub method: HttpMethod,
    pub path: HttpPath,
    pub cors: HttpCors,
    /// The route's definition (`http.route({...})`).
    pub span: Option<FileSpan>,
}

/// `path` (an exact match) or `pathPrefix` (every path that starts with it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpPath {
    Exact(String),
    Prefix(String),
}

impl HttpPath {
    pub fn as_str(&self) -> &str {
        match self {
            HttpPath::Exact(p) | HttpPath::Prefix(p) => p,
        }
    }
}

/// How a route came in: `http.route`, `corsRouter(...).route`, or the
/// `OPTIONS` preflight `corsRouter` adds once per path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpCors {
    None,
    Route,
    Preflight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 6] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
        HttpMethod::Options,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Options => "OPTIONS",
        }
    }

    pub fn parse(s: &str) -> Option<HttpMethod> {
        HttpMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SchemaExport {
    /// `export const <name> = defineSchema(...)`
    Named(String),
    /// `export default defineSchema(...)`
    #[default]
    Default,
}

impl Ir {
    /// The table named `name` (the first of that name).
    pub fn table_by_name(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn global_tables(&self) -> impl Iterator<Item = &Table> {
        self.tables
            .iter()
            .filter(|t| t.placement == Placement::Global)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    /// Span of the table's key in `defineSchema({ <key>: ... })`; `None` for the built-in `users`.
    pub span: Option<FileSpan>,
    /// User fields in declaration order (system fields `_id`, `_creationTime` are implicit).
    /// For a union table, the merge of its variants' fields (see [`Table::variants`]): the
    /// columns it is stored in, the fields its indexes and queries may name.
    pub fields: Vec<Field>,
    /// A union table's document shapes (`defineTable(v.union(v.object({...}), ...))`), each
    /// member's fields in declaration order; empty for a table of one object. A document must
    /// match one of them. [`Table::fields`] is their merge: every field of any member, in order of
    /// first appearance; a field in every member with one validator keeps it; one whose
    /// validators differ is their union (members flattened, duplicates dropped, first seen
    /// first); one missing from, or optional in, any member is optional.
    pub variants: Vec<Vec<ObjectField>>,
    pub indexes: Vec<Index>,
    /// Text search indexes (`.searchIndex(name, { searchField, filterFields })`), in
    /// declaration order; their names share the namespace of [`Table::indexes`].
    pub search_indexes: Vec<SearchIndex>,
    pub placement: Placement,
    /// True for the built-in auth table that Lunora adds.
    pub builtin: bool,
}

/// Convex's indexes of every table, by name and field: `by_creation_time`
/// (`_creationTime`) and `by_id` (`_id`). Not in [`Table::indexes`] (no DDL:
/// the storage orders by those columns itself); [`Table::index`] finds them.
pub const BUILTIN_INDEXES: [(&str, &str); 2] =
    [("by_creation_time", "_creationTime"), ("by_id", "_id")];

impl Table {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The index named `name`: one of the schema's, or a built-in one
    /// ([`BUILTIN_INDEXES`]).
    pub fn index(&self, name: &str) -> Option<Index> {
        if let Some(i) = self.indexes.iter().find(|i| i.name == name) {
            return Some(i.clone());
        }
        BUILTIN_INDEXES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, field)| Index {
                name: n.to_string(),
                span: None,
                fields: vec![field.to_string()],
                unique: *field == "_id",
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Neither `.global()` nor `.shardBy()`: lives in the single root Durable Object.
    Root,
    /// `.global()`: lives in D1.
    Global,
    /// `.shardBy(key)`: one Durable Object per value of `key`.
    Shard { key: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub span: Option<FileSpan>,
    pub validator: Validator,
}

impl Field {
    /// Required means not `v.optional(...)`.
    pub fn is_optional(&self) -> bool {
        matches!(self.validator, Validator::Optional(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    String,
    Number,
    Boolean,
    Null,
    Int64,
    Bytes,
    Any,
    /// `v.id("table")`
    Id(String),
    Literal(Literal),
    Optional(Box<Validator>),
    Array(Box<Validator>),
    /// Fields in declaration order.
    Object(Vec<ObjectField>),
    /// `v.record(keys, values)`
    Record(Box<Validator>, Box<Validator>),
    Union(Vec<Validator>),
}

impl Validator {
    /// A string, an id, a string literal, or a union of only those: values
    /// stored (and ordered) as plain strings in both storages.
    pub fn is_string_like(&self) -> bool {
        match self {
            Validator::String | Validator::Id(_) | Validator::Literal(Literal::String(_)) => true,
            Validator::Union(members) => members.iter().all(Validator::is_string_like),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectField {
    pub name: String,
    pub validator: Validator,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    /// The number as written in source, normalised (e.g. `1`, `-2.5`); always a finite JS number.
    Number(String),
    Boolean(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub span: Option<FileSpan>,
    /// Field names in index order; may include `_creationTime`.
    pub fields: Vec<String>,
    pub unique: bool,
}

/// `.searchIndex(name, { searchField, filterFields })`: an SQLite FTS5 table
/// `"<table>__<name>"` over the string field `search_field`, kept in sync by
/// triggers on the document table (docs/ARCHITECTURE.md "Text search").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchIndex {
    pub name: String,
    pub span: Option<FileSpan>,
    /// A string field (optional allowed).
    pub search_field: String,
    /// Indexable fields a search may filter by equality, in declaration order.
    pub filter_fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FunctionKind {
    Query,
    Mutation,
    Action,
}

impl FunctionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            FunctionKind::Query => "query",
            FunctionKind::Mutation => "mutation",
            FunctionKind::Action => "action",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Visibility {
    Public,
    /// `internalQuery` / `internalMutation` / `internalAction`: callable only from
    /// other functions (`ctx.runQuery` etc.), never from a client.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Root-relative file path, e.g. `lunora/admin/audit-log.ts`.
    pub file: String,
    /// Path under `lunora/` without extension, e.g. `admin/audit-log` (`index.ts`
    /// keeps its segment here: `admin/index`).
    pub module: String,
    /// API path segments, e.g. `["admin", "audit_log"]`; `index.ts` drops its segment.
    pub api_path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Same as [`Module::module`] of its file.
    pub module: String,
    /// Root-relative file path.
    pub file: String,
    /// API path segments of the module (see [`Module::api_path`]).
    pub api_path: Vec<String>,
    pub export_name: String,
    pub span: Option<FileSpan>,
    pub kind: FunctionKind,
    pub visibility: Visibility,
    /// `None` when the builder has no `.input(...)`: the function takes no arguments.
    pub args: Option<Vec<ObjectField>>,
    /// The `returns` validator (`.returns(v)` or `returns: v`), checked by the
    /// server on every result; `None` without one.
    pub returns: Option<Validator>,
    /// Where the function runs, inferred from the tables it touches.
    pub route: Route,
    /// Tables named literally in `ctx.db` calls, sorted, deduplicated.
    pub tables_read: Vec<String>,
    pub tables_written: Vec<String>,
}

impl Function {
    /// The stable identifier used on the wire and in the manifest:
    /// `<module>:<export>`, e.g. `messages:list`, `admin/audit-log:recent`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.module, self.export_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Runs in the single root Durable Object (touches root tables, or nothing).
    Root,
    /// Touches only global (D1) tables; the runtime runs it in the root object
    /// so that its live queries update.
    Global,
    /// Runs in the Durable Object of shard family `key` for the value of argument `arg`.
    /// The Durable Object name is `<key>:<value of arg>`.
    Shard {
        /// The shard key field name; tables sharded by the same field share a family.
        key: String,
        /// The argument whose value selects the shard.
        arg: String,
    },
    /// Actions run in the Worker and reach data through `ctx.runQuery/runMutation`.
    Worker,
}
