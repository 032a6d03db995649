//! The registry of diagnostic codes. A code cannot be misspelled; renaming one
//! is a visible diff. Every code has a doc comment: what it means, why, and an
//! example. Codes are stable: tools and editors match on `as_str()`.

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident => $name:literal, )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Code::$variant => $name, )*
                }
            }

            pub fn parse(s: &str) -> Option<Code> {
                match s {
                    $( $name => Some(Code::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    // ---- files and syntax -------------------------------------------------
    /// A file could not be read (permissions, vanished, not a file).
    IoRead => "io/read-error",
    /// A file is not valid UTF-8. Lunora reads TypeScript as UTF-8 only.
    IoNotUtf8 => "io/not-utf8",
    /// A file could not be written (e.g. `_generated/` is read-only).
    IoWrite => "io/write-error",
    /// oxc reported a syntax error. Example: `defineTable({ name: v.string( })`.
    SyntaxError => "parse/syntax-error",

    // ---- schema ---------------------------------------------------------
    /// `lunora/schema.ts` does not exist.
    MissingSchema => "schema/missing-schema",
    /// `schema.ts` has no `export const schema = defineSchema(...)` nor `export default defineSchema(...)`.
    NoSchemaExport => "schema/no-schema-export",
    /// An expression the analyzer cannot evaluate statically (a call, a `let`, a computed key...).
    NotStatic => "schema/not-static",
    /// A relative import that points to no file, or names an export the file does not have.
    UnresolvedImport => "schema/unresolved-import",
    /// Consts that refer to each other in a cycle (`const a = b; const b = a;`), possibly across files.
    CyclicConst => "schema/cyclic-const",
    /// `v.strng()` — a validator that does not exist. Help suggests the closest one.
    UnknownValidator => "schema/unknown-validator",
    /// A validator called with the wrong arguments (`v.optional()`, `v.id(42)`, `v.array(1, 2)`).
    InvalidValidatorArgs => "schema/invalid-validator-args",
    /// `.shardyBy(...)` — a table method that does not exist.
    UnknownTableMethod => "schema/unknown-table-method",
    /// Invalid arguments to a table method (`.index("x")` without fields, `.shardBy(1)`).
    InvalidTableMethodArgs => "schema/invalid-table-method-args",
    /// Two tables with the same name (possible through spreads).
    DuplicateTable => "schema/duplicate-table",
    /// Two fields with the same name in one object validator.
    DuplicateField => "schema/duplicate-field",
    /// Two indexes with the same name on one table.
    DuplicateIndex => "schema/duplicate-index",
    /// A table, field or index name that starts with `_` (reserved for system fields)
    /// or is not an identifier; a table name that starts with `sqlite_` (reserved by SQLite).
    ReservedName => "schema/reserved-name",
    /// `.global()` and `.shardBy()` on one table: a table lives in D1 or in shard objects, not both.
    GlobalAndShard => "schema/global-and-shard",
    /// `.global()` twice, or `.shardBy()` twice.
    DuplicatePlacement => "schema/duplicate-placement",
    /// `.shardBy("x")` where the table has no field `x`.
    ShardKeyMissing => "schema/shard-key-missing",
    /// `.shardBy("x")` where `x` is optional or not a scalar (string, number, int64, boolean, id, literal).
    ShardKeyNotScalar => "schema/shard-key-not-scalar",
    /// `.index(name, ["nope"])` — an index on a field the table does not have.
    IndexUnknownField => "schema/index-unknown-field",
    /// An index on a system field other than `_creationTime` (`_id` is already the key).
    IndexSystemField => "schema/index-system-field",
    /// An index with no fields or the same field twice.
    InvalidIndexFields => "schema/invalid-index-fields",
    /// `v.id("nope")` — an id of a table that is not in the schema (except the built-in `users`).
    UnknownIdTable => "schema/unknown-id-table",
    /// The schema defines no table (warning).
    EmptySchema => "schema/empty-schema",
    /// A table was not built with `defineTable(...)`.
    NotATable => "schema/not-a-table",
    /// A field's value is not a validator (`name: "string"` instead of `name: v.string()`).
    NotAValidator => "schema/not-a-validator",

    // ---- functions ------------------------------------------------------
    /// `ctx.db.query("nope")` / `insert("nope", ..)` — a table the schema does not have.
    UnknownTable => "functions/unknown-table",
    /// `.withIndex("nope", ..)` — an index the table does not have (or
    /// `.withSearchIndex("nope", ..)` — a search index it does not have).
    UnknownIndex => "functions/unknown-index",
    /// `.withSearchIndex(name, q => ...)` conditions that do not fit the search
    /// index: `q.search` on a field other than its `searchField`, no `q.search`
    /// first, or `q.eq` on a field that is not one of its `filterFields`.
    /// Example: `q.search("title", t)` on an index whose searchField is `body`.
    BadSearchQuery => "functions/bad-search-query",
    /// Range conditions out of the index's field order (`q.gt("b")` before `q.eq("a")`).
    IndexRangeOrder => "functions/index-range-order",
    /// `insert("t", { nope: 1 })` — a field the table does not have.
    UnknownField => "functions/unknown-field",
    /// `insert("t", {...})` without a required field of the table.
    MissingField => "functions/missing-field",
    /// The analyzer cannot decide where a function runs: it touches two shard
    /// families, or a sharded table without an argument that binds its key.
    Unroutable => "functions/unroutable",
    /// Two function modules map to the same API path (`a-b.ts` and `a_b.ts`).
    DuplicateApiPath => "functions/duplicate-api-path",
    /// A module file name that cannot become an API path segment.
    InvalidModuleName => "functions/invalid-module-name",
    /// `query.inptu(...)` — a builder method that does not exist.
    UnknownBuilderMethod => "functions/unknown-builder-method",
    /// `query.input({...})` exported without `.query(handler)`.
    MissingHandler => "functions/missing-handler",
    /// `query.mutation(...)` — the handler method does not match the builder kind.
    KindMismatch => "functions/kind-mismatch",
    /// `ctx.db.insert/patch/replace/delete` inside a query: queries are read-only.
    WriteInQuery => "functions/write-in-query",
    /// Function arguments validators that are not statically analyzable.
    ArgsNotStatic => "functions/args-not-static",

    // ---- migrations (`lunora migrate check`) -------------------------------
    /// The schema's global tables differ from the latest migration snapshot:
    /// run `lunora migrate generate <name>`.
    MigrationDrift => "migrate/drift",
    /// A migration `.sql` or `.snapshot.json` was edited (or removed) after it
    /// was generated: its checksum no longer matches the later snapshots.
    MigrationEdited => "migrate/edited",

    // ---- migrate apply / status (D1) ----------------------------------------
    /// `lunora migrate apply`: a migration already applied to D1 no longer has
    /// the checksum recorded in `_lunora_migrations` (it was edited after it
    /// was applied). Nothing is applied until the file is restored.
    MigrationAppliedChanged => "migrate/applied-changed",
    /// A migration recorded in `_lunora_migrations` has no file any more
    /// (deleted or renamed after it was applied). Nothing is applied.
    MigrationAppliedMissing => "migrate/applied-missing",
    /// A pending migration sorts before one already applied (e.g. a branch
    /// merged an older migration). Migrations apply in file order only.
    MigrationOutOfOrder => "migrate/out-of-order",
    /// A migration failed on D1. It left nothing behind (it runs as one unit
    /// with its tracking row); migrations before it stay applied.
    MigrationApplyFailed => "migrate/apply-failed",
    /// D1 could not be reached: wrangler missing or failing, no credentials
    /// for `--remote`. A tool failure (exit 2), not a problem of the app.
    MigrationD1Unavailable => "migrate/d1-unavailable",

    // ---- migrate generate -------------------------------------------------
    /// A required field added to a global table that already exists: its rows
    /// would have no value (the schema language has no defaults).
    MigrationRequiredColumn => "migrate/required-column",
    /// A `--rename table.old=new` / `--rename old=new` that does not fit the
    /// previous and the next schema.
    MigrationBadRename => "migrate/bad-rename",
    /// The migration would delete data (a table, a column, rows, or narrow a
    /// type); nothing is written without `--allow-data-loss`.
    MigrationDataLoss => "migrate/data-loss",

    /// Replaying every migration on an empty SQLite does not give the schema's
    /// global tables, columns, types, nullability and indexes.
    MigrationReplay => "migrate/replay-mismatch",

    // ---- wrangler.jsonc (`lunora deploy`) ----------------------------------
    /// `wrangler.jsonc` is missing or is not valid JSON with comments.
    ConfigSyntax => "config/syntax-error",
    /// `main` is missing, not a string, or names a file that does not exist.
    ConfigMain => "config/main",
    /// `compatibility_date` is missing or not a `YYYY-MM-DD` date.
    ConfigCompatibilityDate => "config/compatibility-date",
    /// No Durable Object binding `LUNORA_SHARD` for the class `LunoraShard`.
    ConfigShardBinding => "config/shard-binding",
    /// No `migrations` entry lists the shard class in `new_sqlite_classes`.
    ConfigShardMigration => "config/shard-migration",
    /// The schema has global tables but there is no D1 binding `DB`.
    ConfigD1Binding => "config/d1-binding",
    /// The D1 `database_id` is the template's placeholder (an error for a
    /// real deploy, a warning for `--dry-run`).
    ConfigPlaceholderDatabaseId => "config/placeholder-database-id",
    /// `triggers.crons` does not list every Cron Trigger expression the jobs of
    /// `lunora/crons.ts` need.
    ConfigCrons => "config/crons",
    /// The app uses file storage (`ctx.storage`, `v.id("_storage")`) but
    /// `r2_buckets` has no binding `STORAGE`.
    ConfigR2Binding => "config/r2-binding",

    // ---- Convex compatibility (issue 15) -----------------------------------
    /// An export of a function module that uses a builder (`query`, `mutation`,
    /// ...) but is no function definition Lunora can discover: a wrapper call,
    /// `export let`, `export default`, a builder imported from a package instead
    /// of `_generated/server`. Example: `export const get = myWrapper(query)`.
    /// Nothing exported as a function is ever dropped silently.
    FunctionUndiscoverable => "functions/undiscoverable",
    /// `.vectorIndex(...)` on a table: vector search is out of Lunora's scope
    /// (text search, `.searchIndex(...)`, is supported).
    UnsupportedVectorIndex => "unsupported/vector-index",
    /// `ctx.vectorSearch(...)` in an action: vector search is out of Lunora's
    /// scope (text search, `withSearchIndex`, is supported).
    UnsupportedVectorSearch => "unsupported/vector-search",

    // ---- HTTP actions (`lunora/http.ts`, issue 17) ---------------------------
    /// `lunora/http.ts` has no `export default` of its router: the Worker serves
    /// the router that the file exports by default (`export default http`).
    HttpNoDefaultExport => "http/no-default-export",
    /// The routes cannot be read without running the code: a router that is not
    /// `httpRouter()` bound to a `const`, a statement other than `http.route({...})`
    /// at the top level, a route definition that is not an object literal, a path
    /// that is not a string literal or const. Example: `if (dev) http.route(...)`.
    HttpNotStatic => "http/not-static",
    /// Two routes for the same method and the same `path`, or the same
    /// `pathPrefix` (also through `corsRouter`'s automatic `OPTIONS` preflight).
    HttpDuplicateRoute => "http/duplicate-route",
    /// A `path` or `pathPrefix` that does not start with `/`, or a `pathPrefix`
    /// that does not end with `/`. Example: `path: "webhook"`.
    HttpInvalidPath => "http/invalid-path",
    /// A route with both `path` and `pathPrefix`, or with neither.
    HttpPathOrPrefix => "http/path-or-prefix",
    /// A route `method` that is not one of `GET POST PUT PATCH DELETE OPTIONS`
    /// (HEAD requests are served by the `GET` route), or no `method`.
    HttpUnknownMethod => "http/unknown-method",
    /// A route `handler` that is not an `httpAction(...)` of `_generated/server`
    /// (a query, an action, a plain function), or no handler.
    HttpHandlerNotHttpAction => "http/handler-not-http-action",
    /// A route option other than `path`, `pathPrefix`, `method` and `handler`.
    HttpUnknownRouteOption => "http/unknown-route-option",
    /// A route under `/api/`, which Lunora's own endpoints own (`/api/call`,
    /// `/api/ws`, ...): the Worker would never hand it to the router.
    HttpReservedPath => "http/reserved-path",

    // ---- Cron jobs (`lunora/crons.ts`, issue 17) -----------------------------
    /// `lunora/crons.ts` has no `export default` of its `cronJobs()`: the Worker
    /// runs the jobs of the object the file exports by default (`export default crons`).
    CronsNoDefaultExport => "crons/no-default-export",
    /// The jobs cannot be read without running the code: a statement other than
    /// `crons.interval/hourly/daily/weekly/monthly/cron(...)` at the top level, a
    /// name or schedule that is not a literal or const. Example: `if (dev) crons.daily(...)`.
    CronsNotStatic => "crons/not-static",
    /// A schedule Cloudflare Cron Triggers cannot express (minute granularity,
    /// wall-clock UTC): an interval that does not divide the hour or the day, a
    /// field out of range, a cron expression that is not 5 valid fields.
    /// Example: `crons.interval("x", { minutes: 7 }, ...)`.
    CronsInvalidSchedule => "crons/invalid-schedule",
    /// Two cron jobs with the same name (as in Convex, names are unique).
    CronsDuplicateName => "crons/duplicate-name",

    // ---- File storage (`ctx.storage`, issue 17) ------------------------------
    /// A `ctx.storage` method the function's kind lacks: queries have `getUrl`
    /// and `getMetadata`; mutations also `generateUploadUrl` and `delete`;
    /// actions also `store` and `get` (Convex's split).
    /// Example: `ctx.storage.store(blob)` in a mutation.
    StorageWrongCtx => "storage/wrong-ctx",
    /// `ctx.storage.<name>` that is no method of Convex's storage API.
    /// Example: `ctx.storage.getURL(id)`.
    StorageUnknownMethod => "storage/unknown-method",

    // ---- Scheduled functions (issue 17) -----------------------------------
    /// A query uses `ctx.scheduler`: queries are read-only and cannot schedule.
    /// Example: `query.query(async ({ ctx }) => ctx.scheduler.runAfter(0, ...))`.
    SchedulerInQuery => "functions/scheduler-in-query",
    /// A function reference (`api.x.y`, `internal.x.y`) that names no function
    /// of the app. Example: `ctx.scheduler.runAfter(0, internal.jobs.rnu, {})`.
    UnknownFunction => "functions/unknown-function",
    /// `ctx.scheduler.runAfter/runAt` of a query: only mutations and actions
    /// can be scheduled (as in Convex).
    NotSchedulable => "functions/not-schedulable",
    /// The arguments of a scheduled call do not fit the function's `.input`:
    /// an unknown argument or a missing required one.
    /// Example: `runAfter(0, internal.jobs.run, { nmae: "x" })`.
    CallArgs => "functions/call-args",

    // ---- Storage (issue 13) ------------------------------------------------
    /// An index on a field whose values have no value order in storage: bytes, null, any,
    /// array, object, record, or a union that is not only strings/ids/string literals.
    UnindexableField => "schema/unindexable-field",
    // ---- Text search (issue 17) ---------------------------------------------
    /// A search index's `searchField` is not a string field (`v.string()`, optionally
    /// `v.optional(...)`): only text is tokenized. Example: `searchField: "count"` on a number.
    SearchFieldNotString => "schema/search-field-not-string",
    /// A search index's filter field cannot be filtered by equality: a system field, a
    /// field with no value order (bytes, object, ...; see `schema/unindexable-field`), the
    /// searchField itself, or listed twice. Example: `filterFields: ["tags"]` on an array.
    BadFilterField => "schema/bad-filter-field",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            let (group, name) = code.as_str().split_once('/').expect("group/name");
            assert!(!group.is_empty() && !name.is_empty());
        }
    }
}
