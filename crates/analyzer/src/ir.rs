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
    pub fields: Vec<Field>,
    pub indexes: Vec<Index>,
    pub placement: Placement,
    /// True for the built-in auth table that Lunora adds.
    pub builtin: bool,
}

impl Table {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
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
