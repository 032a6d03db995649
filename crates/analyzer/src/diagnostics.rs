//! Every diagnostic the analyzer reports, one named constructor per problem.
//! The passes decide *whether* to report; the texts (message, labels, help)
//! live here, grouped by the pass or module that reports them.

use lunora_parser::{Code, Diagnostic, FileId, FileSpan, Span};

use crate::ir::{Field, HttpPath, ObjectField, SearchIndex, Table};
use crate::suggest::did_you_mean;
use crate::vocab::{ROUTE_OPTIONS, VALIDATORS};

/// The help of a non-static `lunora/crons.ts`.
pub(crate) const CRONS_NOT_STATIC_HELP: &str = "write `const crons = cronJobs();`, then `crons.daily(\"cleanup\", { hourUTC: 3, minuteUTC: 0 }, internal.jobs.cleanup);` at the top level, and `export default crons;`";
/// The help of a non-static `lunora/http.ts`.
pub(crate) const HTTP_NOT_STATIC_HELP: &str = "write `const http = httpRouter();`, then `http.route({ path: \"/hook\", method: \"POST\", handler: httpAction(async (ctx, request) => new Response()) });` at the top level, and `export default http;`";
/// The help of a schema value the evaluator cannot read statically.
pub(crate) const SCHEMA_HELP: &str = "the schema may only use literals, `const` bindings (also imported from relative modules), object spreads of them, and calls of `defineSchema`, `defineTable` and `v.*` validators";
/// The help of function arguments the evaluator cannot read statically.
pub(crate) const ARGS_HELP: &str = "function arguments may only use `v.*` validators, literals, `const` bindings (also imported from relative modules) and object spreads of them";

/// An error with its primary label at `at`.
fn err(code: Code, msg: impl Into<String>, at: FileSpan, label: impl Into<String>) -> Diagnostic {
    Diagnostic::error(code, msg).with_label(at.file, at.span, label)
}

/// `err` with a secondary label at `first`.
fn err_again(
    code: Code,
    msg: impl Into<String>,
    at: FileSpan,
    label: impl Into<String>,
    first: FileSpan,
    first_label: &str,
) -> Diagnostic {
    err(code, msg, at, label).and_label(first.file, first.span, first_label)
}

// ---------------------------------------------------------------------------
// schema: names, tables (pass 1)
// ---------------------------------------------------------------------------

/// A user-chosen name (table, field, index) starts with `_`.
pub(crate) fn name_starts_with_underscore(kind: &str, name: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::ReservedName,
        format!("{kind} name `{name}` starts with `_`"),
        at,
        "names starting with `_` are reserved",
    )
    .with_help(format!(
        "rename it to `{}`: `_id`, `_creationTime` and other `_` names are system fields",
        name.trim_start_matches('_')
    ))
}

/// A user-chosen name (table, field, index) is not an identifier.
pub(crate) fn name_not_identifier(kind: &str, name: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::ReservedName,
        format!("{kind} name `{name}` is not an identifier"),
        at,
        "not a valid identifier",
    )
    .with_help("use letters, digits, `_` and `$`, not starting with a digit")
}

/// The schema export is a value other than a call (`described`).
pub(crate) fn schema_not_define_schema(described: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::NoSchemaExport,
        format!("the schema export is {described}, not `defineSchema({{...}})`"),
        at,
        "expected `defineSchema({...})`",
    )
    .with_help("write `export const schema = defineSchema({ ... })`")
}

/// The schema export calls something other than `defineSchema`.
pub(crate) fn schema_not_define_schema_call(at: FileSpan) -> Diagnostic {
    err(
        Code::NoSchemaExport,
        "the schema export is not a `defineSchema(...)` call",
        at,
        "expected `defineSchema`",
    )
    .with_help("import `defineSchema` from `lunorash/server` and call it with the tables")
}

/// `defineSchema`'s first argument is not an object literal.
pub(crate) fn define_schema_not_object(at: FileSpan) -> Diagnostic {
    err(
        Code::NotStatic,
        "`defineSchema` takes an object literal of tables",
        at,
        "expected `{ tableName: defineTable({...}), ... }`",
    )
    .with_help(SCHEMA_HELP)
}

/// An unknown or ill-typed `defineSchema` option.
pub(crate) fn define_schema_unknown_option(key: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::NotStatic,
        format!("unknown or invalid `defineSchema` option `{key}`"),
        at,
        "not a schema option",
    )
    .with_help("the options are `schemaValidation: boolean` and `strictTableNameTypes: boolean`")
}

/// `defineSchema`'s options are not an object literal.
pub(crate) fn define_schema_options_not_object(at: FileSpan) -> Diagnostic {
    err(
        Code::NotStatic,
        "`defineSchema` options must be an object literal",
        at,
        "expected `{ schemaValidation: true }`",
    )
    .with_help("the options are `schemaValidation: boolean` and `strictTableNameTypes: boolean`")
}

/// Two tables of one name.
pub(crate) fn duplicate_table(name: &str, at: FileSpan, first: FileSpan) -> Diagnostic {
    err_again(
        Code::DuplicateTable,
        format!("table `{name}` is defined twice"),
        at,
        "defined again here",
        first,
        "first defined here",
    )
    .with_help("rename or remove one of the two tables")
}

/// `defineTable` called with something other than one object of fields.
pub(crate) fn define_table_not_fields(table: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::NotATable,
        format!("`defineTable` for `{table}` takes one object of fields"),
        at,
        "expected `defineTable({ field: v.string(), ... })`",
    )
    .with_help("pass an object literal whose values are `v.*` validators, or `v.union(v.object({...}), ...)` for a table of several document shapes")
}

/// A table has a `.vectorIndex(...)`.
pub(crate) fn unsupported_vector_index(table: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::UnsupportedVectorIndex,
        format!("table `{table}` has a vector index: vector search is out of Lunora's scope"),
        at,
        "vector indexes are not supported",
    )
    .with_help("remove `.vectorIndex(...)`; store embeddings in a vector database (e.g. Cloudflare Vectorize) and keep their ids in a field; for text search use `.searchIndex(name, { searchField, filterFields })`")
}

/// A table method that does not exist.
pub(crate) fn unknown_table_method(method: &str, at: FileSpan, methods: &[&str]) -> Diagnostic {
    err(
        Code::UnknownTableMethod,
        format!("unknown table method `.{method}()`"),
        at,
        "not a table method",
    )
    .with_help(
        did_you_mean(method, ".", methods.iter().copied()).unwrap_or_else(|| {
            "table methods are `.global()`, `.shardBy(field)`, `.index(name, fields, { unique? })` and `.searchIndex(name, { searchField, filterFields? })`".to_string()
        }),
    )
}

/// A union table's `v.union()` has no members.
pub(crate) fn union_table_empty(table: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::NotATable,
        format!("the union table `{table}` has no document shape"),
        at,
        "an empty `v.union()`",
    )
    .with_help("list the document shapes: `v.union(v.object({ kind: v.literal(\"a\"), ... }), v.object({ ... }))`")
}

/// A member of a union table is not an object.
pub(crate) fn union_table_member_not_object(table: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::NotATable,
        format!("a member of the union table `{table}` is not an object"),
        at,
        "expected `v.object({ ... })`",
    )
    .with_help("each member of a union table is one document shape: `v.object({ kind: v.literal(\"a\"), ... })`")
}

/// Invalid arguments of a table method (`.global`, `.shardBy`, `.index`, `.searchIndex`).
pub(crate) fn bad_method_args(at: FileSpan, msg: &str, help: &str) -> Diagnostic {
    err(Code::InvalidTableMethodArgs, msg, at, "invalid argument").with_help(help)
}

/// A table's value is not built with `defineTable(...)` (`described`).
pub(crate) fn not_a_table(table: &str, at: FileSpan, described: &str) -> Diagnostic {
    err(
        Code::NotATable,
        format!("table `{table}` is not built with `defineTable(...)`"),
        at,
        format!("this is {described}"),
    )
    .with_help("write `defineTable({ ... })`, optionally followed by `.global()`, `.shardBy(...)` or `.index(...)`")
}

// ---------------------------------------------------------------------------
// schema: validators (pass 2)
// ---------------------------------------------------------------------------

/// Two fields of one name in an object.
pub(crate) fn duplicate_field(name: &str, at: FileSpan, first: FileSpan) -> Diagnostic {
    err_again(
        Code::DuplicateField,
        format!("field `{name}` is defined twice"),
        at,
        "defined again here",
        first,
        "first defined here",
    )
    .with_help("remove or rename one of the two fields")
}

/// Invalid arguments of a `v.*` validator.
pub(crate) fn bad_validator_args(at: FileSpan, msg: String, help: &str) -> Diagnostic {
    err(Code::InvalidValidatorArgs, msg, at, "invalid arguments").with_help(help)
}

/// `v.<name>` without `(...)`.
pub(crate) fn validator_not_called(name: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::InvalidValidatorArgs,
        format!("`v.{name}` is not called"),
        at,
        "missing `(...)`",
    )
    .with_help(format!("call it: `v.{name}(...)`"))
}

/// `v.<name>` that is no validator.
pub(crate) fn unknown_validator(name: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::UnknownValidator,
        format!("unknown validator `v.{name}`"),
        at,
        "not a validator",
    )
    .with_help(
        did_you_mean(name, "v.", VALIDATORS.iter().copied()).unwrap_or_else(|| {
            format!(
                "validators are {}",
                VALIDATORS
                    .iter()
                    .map(|v| format!("`v.{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    )
}

/// `v.id("t")` of a table that does not exist; `suggestion` is a near name's help.
pub(crate) fn unknown_id_table(
    table: &str,
    at: FileSpan,
    suggestion: Option<String>,
    tables: &[&str],
) -> Diagnostic {
    let help = suggestion.unwrap_or_else(|| {
        format!(
            "the schema's tables are {}",
            tables
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    err(
        Code::UnknownIdTable,
        format!("`v.id(\"{table}\")` names a table that does not exist"),
        at,
        "no such table",
    )
    .with_help(help)
}

/// A value where a validator belongs (`described`).
pub(crate) fn not_a_validator(described: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::NotAValidator,
        format!("expected a validator, found {described}"),
        at,
        "not a `v.*` validator",
    )
    .with_help("use a validator such as `v.string()`, `v.number()` or `v.id(\"table\")`")
}

// ---------------------------------------------------------------------------
// schema: placement and indexes (pass 3)
// ---------------------------------------------------------------------------

/// `.global()` called again on one table.
pub(crate) fn global_twice(table: &str, at: FileSpan, first: FileSpan) -> Diagnostic {
    err_again(
        Code::DuplicatePlacement,
        format!("`.global()` is called twice on `{table}`"),
        at,
        "called again here",
        first,
        "first called here",
    )
    .with_help("remove the second `.global()`")
}

/// `.shardBy()` called again on one table.
pub(crate) fn shard_by_twice(table: &str, at: FileSpan, first: FileSpan) -> Diagnostic {
    err_again(
        Code::DuplicatePlacement,
        format!("`.shardBy()` is called twice on `{table}`"),
        at,
        "called again here",
        first,
        "first called here",
    )
    .with_help("a table has one shard key: keep one `.shardBy(...)`")
}

/// A table both `.global()` and `.shardBy()`.
pub(crate) fn global_and_shard(table: &str, shard_at: FileSpan, global_at: FileSpan) -> Diagnostic {
    err_again(
        Code::GlobalAndShard,
        format!("table `{table}` is both `.global()` and `.shardBy()`"),
        shard_at,
        "sharded here",
        global_at,
        "made global here",
    )
    .with_help("a table lives in D1 (`.global()`) or in shard objects (`.shardBy(...)`), not both: remove one")
}

/// The shard key is not a field of the table.
pub(crate) fn shard_key_missing(
    table: &str,
    key: &str,
    at: FileSpan,
    fields: &[Field],
) -> Diagnostic {
    err(
        Code::ShardKeyMissing,
        format!("shard key `{key}` is not a field of `{table}`"),
        at,
        "no such field",
    )
    .with_help(
        did_you_mean(key, "", fields.iter().map(|f| f.name.as_str()))
            .unwrap_or_else(|| format!("add a required field `{key}` to `{table}`")),
    )
}

/// The shard key is not a required scalar (`union`: the table has variants).
pub(crate) fn shard_key_not_scalar(
    table: &str,
    key: &str,
    at: FileSpan,
    field_at: FileSpan,
    union: bool,
    optional: bool,
) -> Diagnostic {
    err_again(
        Code::ShardKeyNotScalar,
        format!("shard key `{key}` of `{table}` must be a required scalar"),
        at,
        if union {
            "not required with one validator in every variant"
        } else if optional {
            "this field is optional"
        } else {
            "this field is not a scalar"
        },
        field_at,
        "field defined here",
    )
    .with_help(if !union {
        "shard by a required string, number, int64, boolean, id or literal field"
    } else {
        "every variant of a sharded union table has the shard key, required, with the same scalar validator (string, number, int64, boolean, id or literal)"
    })
}

/// The shard key is named after the root object (`root_family`).
pub(crate) fn shard_key_reserved(
    table: &str,
    key: &str,
    at: FileSpan,
    field_at: FileSpan,
    root_family: &str,
) -> Diagnostic {
    err_again(
        Code::ReservedName,
        format!("`{table}` is sharded by a field named `{key}`"),
        at,
        "reserved shard key name",
        field_at,
        "field defined here",
    )
    .with_help(format!(
        "a shard object is named `<shard key>:<value>` and `{root_family}` is the root object's name: \
         rename the field (e.g. `{key}Id`) and shard by that"
    ))
}

/// Two indexes of one name on a table.
pub(crate) fn duplicate_index(
    index: &str,
    table: &str,
    at: FileSpan,
    first: FileSpan,
) -> Diagnostic {
    err_again(
        Code::DuplicateIndex,
        format!("index `{index}` is defined twice on `{table}`"),
        at,
        "defined again here",
        first,
        "first defined here",
    )
    .with_help("rename or remove one of the two indexes")
}

/// An index named like a built-in one.
pub(crate) fn index_name_reserved(index: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::ReservedName,
        format!("index name `{index}` is reserved"),
        at,
        "every table has this index already",
    )
    .with_help("`by_creation_time` (`_creationTime`) and `by_id` (`_id`) are built in, as in Convex: use them without defining them, or name yours differently")
}

/// An index with an empty field list.
pub(crate) fn index_no_fields(index: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::InvalidIndexFields,
        format!("index `{index}` has no fields"),
        at,
        "empty list",
    )
    .with_help("list at least one field: `[\"field\"]`")
}

/// An index lists a field twice.
pub(crate) fn index_field_twice(
    index: &str,
    field: &str,
    at: FileSpan,
    first: FileSpan,
) -> Diagnostic {
    err_again(
        Code::InvalidIndexFields,
        format!("index `{index}` lists `{field}` twice"),
        at,
        "listed again here",
        first,
        "first listed here",
    )
    .with_help("list each field once")
}

/// An index on a system field other than `_creationTime`.
pub(crate) fn index_system_field(index: &str, field: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::IndexSystemField,
        format!("index `{index}` is on system field `{field}`"),
        at,
        "system field",
    )
    .with_help(if field == "_id" {
        "`_id` is already the primary key: remove it from the index"
    } else {
        "only `_creationTime` may be indexed among system fields"
    })
}

/// `index-unknown-field`: `{subject} `f``, which `table` does not have (an
/// index's field, a search index's search or filter field); the help
/// suggests a near name, else adding the field or `{verb}`-ing an existing one.
pub(crate) fn unknown_index_field(
    subject: String,
    table: &str,
    f: &str,
    at: FileSpan,
    fields: &[Field],
    verb: &str,
) -> Diagnostic {
    err(
        Code::IndexUnknownField,
        format!("{subject} `{f}`, which `{table}` does not have"),
        at,
        "no such field",
    )
    .with_help(
        did_you_mean(f, "", fields.iter().map(|f| f.name.as_str())).unwrap_or_else(|| {
            format!("add a field `{f}` to `{table}` or {verb} an existing field")
        }),
    )
}

/// An index on a field of a `kind` without a value order.
pub(crate) fn unindexable_field(index: &str, field: &str, kind: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::UnindexableField,
        format!(
            "index `{index}` is on `{field}`, a {kind} field, which has no value order in storage"
        ),
        at,
        "not indexable",
    )
    .with_help(
        "index a string, id, number, boolean, int64 or literal field, or a union of \
         strings/ids/string literals; each may be optional (`v.optional(T)`) or nullable \
         (`v.union(T, v.null())`)",
    )
}

/// An index on `v.optional(v.union(T, v.null()))`: absent and null would be one key.
pub(crate) fn unindexable_optional_nullable(index: &str, field: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::UnindexableField,
        format!(
            "index `{index}` is on `{field}`, which is both optional and nullable: an index \
             cannot tell an absent field from a null"
        ),
        at,
        "optional and nullable",
    )
    .with_help(
        "make the field either `v.optional(T)` (absent for no value) or `v.union(T, v.null())` \
         (always present, null for no value)",
    )
}

/// An index on a nullable int64 field of a global (D1) table.
pub(crate) fn unindexable_nullable_global(
    index: &str,
    table: &str,
    field: &str,
    at: FileSpan,
) -> Diagnostic {
    err(
        Code::UnindexableField,
        format!(
            "index `{index}` is on `{field}`, a nullable int64 field of the global table \
             `{table}`: D1 does not index nullable int64 fields yet"
        ),
        at,
        "nullable int64 in D1",
    )
    .with_help(
        "use `v.optional(v.int64())` instead of `v.union(v.int64(), v.null())` for this field, \
         or keep the table in Durable Objects (drop `.global()`), where it is indexable",
    )
}

// ---------------------------------------------------------------------------
// schema: SQLite names (global checks)
// ---------------------------------------------------------------------------

/// A table name starting with `sqlite_`.
pub(crate) fn sqlite_reserved_table(table: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::ReservedName,
        format!("table name `{table}` starts with `sqlite_`"),
        at,
        "reserved by SQLite",
    )
    .with_help("SQLite reserves names starting with `sqlite_`: rename the table")
}

/// Two tables or indexes with one SQLite name (`index`: either is an index).
pub(crate) fn sqlite_name_clash(
    first_what: &str,
    what: &str,
    sql: &str,
    index: bool,
    again: Option<FileSpan>,
    first: Option<FileSpan>,
) -> Option<Diagnostic> {
    let code = if index {
        Code::DuplicateIndex
    } else {
        Code::DuplicateTable
    };
    let msg = format!("{first_what} and {what} have the same SQLite name `{sql}`");
    Some(clash(code, msg, again, first)?.with_help(
        "SQLite ignores case in names, and stores index `i` of table `t` as `t__i`: rename one of them",
    ))
}

/// Two fields of a table whose names differ only in case.
pub(crate) fn sqlite_field_clash(
    first: &str,
    field: &str,
    table: &str,
    again_at: Option<FileSpan>,
    first_at: Option<FileSpan>,
) -> Option<Diagnostic> {
    let msg = format!("fields `{first}` and `{field}` of `{table}` differ only in case");
    Some(
        clash(Code::DuplicateField, msg, again_at, first_at)?
            .with_help("SQLite ignores case in column names: rename one of them"),
    )
}

/// A clash labelled at `again` (and at `first` when both are known).
fn clash(
    code: Code,
    msg: String,
    again: Option<FileSpan>,
    first: Option<FileSpan>,
) -> Option<Diagnostic> {
    match (again, first) {
        (Some(a), Some(f)) => Some(err(code, msg, a, "clashes with the other name").and_label(
            f.file,
            f.span,
            "first defined here",
        )),
        (Some(at), None) | (None, Some(at)) => {
            Some(err(code, msg, at, "clashes with a built-in name"))
        }
        (None, None) => None,
    }
}

// ---------------------------------------------------------------------------
// search: search indexes in the schema (pass 3) and their use in functions
// ---------------------------------------------------------------------------

/// A search index named like another index of the table.
pub(crate) fn duplicate_search_index(
    index: &str,
    table: &str,
    at: FileSpan,
    first: FileSpan,
) -> Diagnostic {
    err_again(
        Code::DuplicateIndex,
        format!("index `{index}` is defined twice on `{table}`"),
        at,
        "defined again here",
        first,
        "first defined here",
    )
    .with_help("indexes and search indexes share one namespace: rename or remove one of the two")
}

/// A search index searches a system field.
pub(crate) fn search_system_field(index: &str, field: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::SearchFieldNotString,
        format!("search index `{index}` searches the system field `{field}`"),
        at,
        "not a text field",
    )
    .with_help("search a `v.string()` field of the table")
}

/// A search index searches a field that is not a string.
pub(crate) fn search_field_not_string(
    index: &str,
    field: &str,
    at: FileSpan,
    field_at: FileSpan,
) -> Diagnostic {
    err_again(
        Code::SearchFieldNotString,
        format!("search index `{index}` searches `{field}`, which is not a string field"),
        at,
        "not a string field",
        field_at,
        "field defined here",
    )
    .with_help("a search field is `v.string()` or `v.optional(v.string())`: only text is tokenized")
}

/// A search index with more than `max` filter fields.
pub(crate) fn too_many_filter_fields(index: &str, max: usize, at: FileSpan) -> Diagnostic {
    err(
        Code::BadFilterField,
        format!("search index `{index}` has more than {max} filter fields"),
        at,
        "one too many",
    )
    .with_help(format!("keep at most {max} filter fields (Convex's limit)"))
}

/// A search index lists a filter field twice.
pub(crate) fn filter_field_twice(
    index: &str,
    field: &str,
    at: FileSpan,
    first: FileSpan,
) -> Diagnostic {
    err_again(
        Code::BadFilterField,
        format!("search index `{index}` lists `{field}` twice"),
        at,
        "listed again here",
        first,
        "first listed here",
    )
    .with_help("list each filter field once")
}

/// A search index filters by a system field.
pub(crate) fn filter_system_field(index: &str, field: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::BadFilterField,
        format!("search index `{index}` filters by the system field `{field}`"),
        at,
        "system field",
    )
    .with_help("filter by fields of the document; order or range by `_creationTime` with a regular `.index(...)`")
}

/// A search index filters by a field of a `kind` without equality.
pub(crate) fn unfilterable_field(index: &str, field: &str, kind: &str, at: FileSpan) -> Diagnostic {
    err(
        Code::BadFilterField,
        format!("search index `{index}` filters by `{field}`, a {kind} field, which has no equality in storage"),
        at,
        "not filterable",
    )
    .with_help("filter by a string, id, number, boolean, int64 or literal field (optional allowed), or a union of strings/ids/string literals")
}

/// `.withSearchIndex(name)` of a search index the table does not have.
pub(crate) fn unknown_search_index(
    table: &Table,
    name: &str,
    file: FileId,
    at: Span,
) -> Diagnostic {
    let names = table.search_indexes.iter().map(|i| i.name.as_str());
    Diagnostic::error(Code::UnknownIndex, format!("table `{}` has no search index `{name}`", table.name))
        .with_label(file, at, "no such search index")
        .with_help(did_you_mean(name, "", names).unwrap_or_else(|| {
            if table.search_indexes.is_empty() {
                format!(
                    "`{}` has no search indexes: add one with `.searchIndex(\"{name}\", {{ searchField: \"...\" }})`",
                    table.name
                )
            } else {
                format!(
                    "search indexes of `{}`: {}",
                    table.name,
                    table.search_indexes.iter().map(|i| format!("`{}`", i.name)).collect::<Vec<_>>().join(", ")
                )
            }
        }))
}

/// `bad-search-query` at `at`; the help shows how to query `index`.
fn bad_search_query(
    msg: String,
    index: &SearchIndex,
    file: FileId,
    at: Span,
    label: &str,
) -> Diagnostic {
    let filters = if index.filter_fields.is_empty() {
        "it has no filter fields".to_string()
    } else {
        format!(
            "its filter fields are {}",
            index
                .filter_fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let help = format!(
        "write `(q) => q.search(\"{}\", text)` followed by `.eq(field, value)` on filter fields ({filters})",
        index.search_field
    );
    Diagnostic::error(Code::BadSearchQuery, msg)
        .with_label(file, at, label.to_string())
        .with_help(help)
}

/// `withSearchIndex("name")` without a `q.search(...)`.
pub(crate) fn search_query_no_search(
    name: &str,
    index: &SearchIndex,
    file: FileId,
    at: Span,
) -> Diagnostic {
    bad_search_query(
        format!(
            "`withSearchIndex(\"{name}\")` has no `q.search(\"{}\", text)`",
            index.search_field
        ),
        index,
        file,
        at,
        "no search text",
    )
}

/// `q.search(field)` on a field other than the index's searchField.
pub(crate) fn search_query_wrong_field(
    field: &str,
    name: &str,
    index: &SearchIndex,
    file: FileId,
    at: Span,
) -> Diagnostic {
    bad_search_query(
        format!(
            "`q.search(\"{field}\")` on search index `{name}`, whose searchField is `{}`",
            index.search_field
        ),
        index,
        file,
        at,
        "not the search field",
    )
}

/// `q.eq(field)` on a field that is not a filter field of the index.
pub(crate) fn search_query_not_filter_field(
    field: &str,
    name: &str,
    index: &SearchIndex,
    file: FileId,
    at: Span,
) -> Diagnostic {
    bad_search_query(
        format!(
            "`q.eq(\"{field}\")` on search index `{name}`: `{field}` is not one of its filter fields"
        ),
        index,
        file,
        at,
        "not a filter field",
    )
}

/// A search query method other than `search` first or `eq` after it (`first`: in first place).
pub(crate) fn search_query_method(
    method: &str,
    first: bool,
    name: &str,
    index: &SearchIndex,
    file: FileId,
    at: Span,
) -> Diagnostic {
    let msg = if first {
        format!(
            "`withSearchIndex(\"{name}\")` must start with `q.search(...)`, not `q.{method}(...)`"
        )
    } else {
        format!(
            "`q.{method}(...)` in `withSearchIndex(\"{name}\")`: only `q.eq(...)` may follow `q.search(...)`"
        )
    };
    bad_search_query(msg, index, file, at, "not allowed here")
}

// ---------------------------------------------------------------------------
// functions: discovery and builder chains (pass 1)
// ---------------------------------------------------------------------------

/// A function module whose path segment `seg` is not an identifier (a warning).
pub(crate) fn invalid_module_name(rel: &str, seg: &str, file: FileId) -> Diagnostic {
    Diagnostic::warning(
        Code::InvalidModuleName,
        format!("`{rel}` cannot become an API path: `{seg}` is not an identifier"),
    )
    .with_label(file, Span::EMPTY, "")
    .with_path(rel)
    .with_help("name function modules with letters, digits, `_` and `-`, not starting with a digit")
}

/// An export with `let`/`var` (`binding_kind`) that uses the builder `shown`.
pub(crate) fn function_not_const(
    name: &str,
    binding_kind: &str,
    shown: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::FunctionUndiscoverable,
        format!(
            "`{name}` is exported with `{binding_kind}`, so it is not discovered as a function"
        ),
    )
    .with_label(file, span, format!("uses `{shown}` but is not a `const`"))
    .with_help(format!(
        "declare it with `export const {name} = ...`: functions must be `const` exports"
    ))
}

/// A default export that uses the builder `shown`.
pub(crate) fn function_default_export(file: FileId, span: Span, shown: &str) -> Diagnostic {
    Diagnostic::error(
        Code::FunctionUndiscoverable,
        "a function exported as `export default` has no name in the API",
    )
    .with_label(file, span, format!("uses `{shown}`"))
    .with_help("export it by name: `export const get = query({ ... })` becomes `api.<module>.get`")
}

/// An export that uses `builder` (named `short`; `generated`: from
/// `_generated/server`) but is no function definition Lunora can discover.
pub(crate) fn function_undiscoverable(
    name: &str,
    builder: &str,
    short: &str,
    generated: bool,
    file: FileId,
    span: Span,
    init: Span,
) -> Diagnostic {
    let kind = match short {
        "mutation" | "internalMutation" => "mutation",
        "action" | "internalAction" => "action",
        _ => "query",
    };
    let help = if generated {
        format!(
            "write `export const {name} = {builder}({{ args: {{ ... }}, handler: async (ctx, args) => ... }})` or `{builder}.input({{ ... }}).{kind}(async ({{ ctx, args }}) => ...)`; wrappers and calls of other values are not supported"
        )
    } else {
        format!(
            "import `{short}` from `./_generated/server` (it is bound to this app's data model), then write `export const {name} = {short}({{ args: {{ ... }}, handler: async (ctx, args) => ... }})`"
        )
    };
    Diagnostic::error(
        Code::FunctionUndiscoverable,
        format!("`{name}` uses `{builder}` but is not a function Lunora can discover"),
    )
    .with_label(file, span, "not discovered as a function")
    .and_label(file, init, "not a supported function definition")
    .with_help(help)
}

/// Arguments (`.input(...)`, `args`) that are not an object: `msg`, and `usage` for the help.
pub(crate) fn args_not_object(msg: &str, usage: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::ArgsNotStatic, msg)
        .with_label(file, span, "not an object")
        .with_help(format!("write {usage}"))
}

/// The handler of `name` is not a function; `help` from [`chain_handler_help`] or
/// [`object_form_handler_help`].
pub(crate) fn handler_not_function(name: &str, help: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::MissingHandler,
        format!("the handler of `{name}` is not a function"),
    )
    .with_label(file, span, "expected a function")
    .with_help(help.to_string())
}

/// How to write the handler of a builder chain finished by `.{kind}(...)`.
pub(crate) fn chain_handler_help(kind: &str) -> String {
    format!("write `.{kind}(async ({{ ctx, args }}) => {{ ... }})`")
}

/// How to write the object form of `builder`.
fn object_form_usage(builder: &str) -> String {
    format!("`{builder}({{ args: {{ ... }}, handler: async (ctx, args) => {{ ... }} }})`")
}

/// How to write the handler of `builder`'s object form.
pub(crate) fn object_form_handler_help(builder: &str) -> String {
    format!("write {}", object_form_usage(builder))
}

/// A builder method after the object form `builder({ ... })`.
pub(crate) fn method_after_definition(
    method: &str,
    builder: &str,
    name: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownBuilderMethod,
        format!("`.{method}(...)` after `{builder}({{ ... }})` of `{name}`"),
    )
    .with_label(file, span, "nothing can follow the definition")
    .with_help(format!(
        "`{builder}({{ args, returns, handler }})` is complete: remove `.{method}(...)`"
    ))
}

/// A builder method after the handler `.{kind}(...)`.
pub(crate) fn method_after_handler(
    method: &str,
    name: &str,
    kind: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownBuilderMethod,
        format!("`.{method}(...)` after the handler of `{name}`"),
    )
    .with_label(file, span, "nothing can follow the handler")
    .with_help(format!("`.{kind}(handler)` must be the last call"))
}

/// `.input(...)` without exactly one argument.
pub(crate) fn input_arity(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::ArgsNotStatic,
        "`.input(...)` takes one object of validators",
    )
    .with_label(file, span, "expected one argument")
    .with_help("write `.input({ name: v.string() })`")
}

/// `.returns(...)` without exactly one argument.
pub(crate) fn returns_arity(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::ArgsNotStatic, "`.returns(...)` takes one validator")
        .with_label(file, span, "expected one argument")
        .with_help("write `.returns(v.string())`")
}

/// `.{method}()` without a handler.
pub(crate) fn chain_handler_missing(
    method: &str,
    name: &str,
    kind: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::MissingHandler,
        format!("`.{method}()` of `{name}` has no handler"),
    )
    .with_label(file, span, "missing handler")
    .with_help(chain_handler_help(kind))
}

/// A `builder` finished with `.{method}(...)` instead of `.{kind}(...)`.
pub(crate) fn kind_mismatch(
    builder: &str,
    method: &str,
    kind: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::KindMismatch,
        format!("`{builder}` is finished with `.{method}(...)`"),
    )
    .with_label(file, span, format!("expected `.{kind}(...)`"))
    .with_help(format!(
        "a `{builder}` takes its handler in `.{kind}(handler)`"
    ))
}

/// A builder method that does not exist (`methods`: the known ones).
pub(crate) fn unknown_builder_method(
    method: &str,
    kind: &str,
    methods: &[&str],
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownBuilderMethod,
        format!("unknown builder method `.{method}`"),
    )
    .with_label(file, span, "not a builder method")
    .with_help(
        did_you_mean(method, ".", methods.iter().copied())
            .unwrap_or_else(|| format!("builders take `.input({{...}})` then `.{kind}(handler)`")),
    )
}

/// A builder chain without its handler call `.{kind}(handler)`.
pub(crate) fn chain_no_handler(name: &str, kind: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::MissingHandler, format!("`{name}` has no handler"))
        .with_label(file, span, format!("`.{kind}(handler)` is missing"))
        .with_help(format!(
            "add `.{kind}(async ({{ ctx, args }}) => {{ ... }})` to the builder chain"
        ))
}

/// `builder(...)` with other than one definition object.
pub(crate) fn definition_arity(builder: &str, name: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::MissingHandler,
        format!("`{builder}(...)` of `{name}` takes one definition object"),
    )
    .with_label(file, span, "expected `{ args, handler }`")
    .with_help(object_form_handler_help(builder))
}

/// The definition of `name` is not an object literal.
pub(crate) fn definition_not_object(
    name: &str,
    builder: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::ArgsNotStatic,
        format!("the definition of `{name}` must be an object literal"),
    )
    .with_label(file, span, "not an object literal")
    .with_help(format!(
        "write the definition inline: {}",
        object_form_usage(builder)
    ))
}

/// An unknown option of a function definition.
pub(crate) fn unknown_definition_option(
    option: &str,
    name: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownBuilderMethod,
        format!("unknown option `{option}` in the definition of `{name}`"),
    )
    .with_label(file, span, "not a function option")
    .with_help(
        did_you_mean(option, "", ["args", "returns", "handler"])
            .unwrap_or_else(|| "the options are `args`, `returns` and `handler`".to_string()),
    )
}

/// A spread or other property Lunora cannot evaluate in a definition.
pub(crate) fn definition_not_static(
    name: &str,
    builder: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::ArgsNotStatic,
        format!("the definition of `{name}` is not statically analyzable"),
    )
    .with_label(file, span, "Lunora cannot evaluate this without running it")
    .with_help(format!(
        "write `args`, `returns` and `handler` as plain properties: {}",
        object_form_usage(builder)
    ))
}

/// A definition object without `handler`.
pub(crate) fn definition_no_handler(
    name: &str,
    builder: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(Code::MissingHandler, format!("`{name}` has no handler"))
        .with_label(file, span, "`handler` is missing")
        .with_help(format!(
            "add `handler: async (ctx, args) => {{ ... }}`: {}",
            object_form_usage(builder)
        ))
}

// ---------------------------------------------------------------------------
// functions: bodies and routes (pass 4)
// ---------------------------------------------------------------------------

/// `ctx.storage.{method}` that does not exist (`methods`: all of them).
pub(crate) fn storage_unknown_method(
    method: &str,
    methods: &[&str],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let help = did_you_mean(method, "", methods.iter().copied()).unwrap_or_else(|| {
        format!(
            "`ctx.storage` has {}",
            methods
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    Diagnostic::error(
        Code::StorageUnknownMethod,
        format!("`ctx.storage.{method}` does not exist"),
    )
    .with_label(file, span, "not a method of `ctx.storage`")
    .with_help(help)
}

/// A `kind` function `name` (declared at `declared`) uses `ctx.storage.{method}`,
/// which its ctx lacks (`action_only`: only actions have it).
pub(crate) fn storage_wrong_ctx(
    kind: &str,
    name: &str,
    method: &str,
    action_only: bool,
    file: FileId,
    span: Span,
    declared: FileSpan,
) -> Diagnostic {
    let help = if action_only {
        format!(
            "`ctx.storage.{method}` reads or writes a file's bytes, which only actions do: move it into an `action` (it may call this {kind} with `ctx.runMutation`/`ctx.runQuery`)"
        )
    } else {
        format!(
            "a query is read-only: call `ctx.storage.{method}` from a `mutation` or an `action`"
        )
    };
    Diagnostic::error(
        Code::StorageWrongCtx,
        format!("{kind} `{name}` uses `ctx.storage.{method}`"),
    )
    .with_label(
        file,
        span,
        format!("a {kind}'s `ctx.storage` has no `{method}`"),
    )
    .and_label(
        declared.file,
        declared.span,
        format!("declared as a {kind} here"),
    )
    .with_help(help)
}

/// A function uses `ctx.vectorSearch`.
pub(crate) fn unsupported_vector_search(name: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnsupportedVectorSearch,
        format!("`{name}` uses `ctx.vectorSearch`: Lunora has no vector search"),
    )
    .with_label(file, span, "vector search is not supported")
    .with_help(
        "vector search is out of Lunora's scope: keep embeddings in a vector database (e.g. Cloudflare Vectorize) called from the action, or use a text search index (`.searchIndex` and `withSearchIndex`)",
    )
}

/// A query (declared at `declared`) writes with `ctx.db.{method}`.
pub(crate) fn write_in_query(
    name: &str,
    method: &str,
    file: FileId,
    span: Span,
    declared: FileSpan,
) -> Diagnostic {
    Diagnostic::error(
        Code::WriteInQuery,
        format!("query `{name}` writes with `ctx.db.{method}`"),
    )
    .with_label(file, span, "queries are read-only")
    .and_label(declared.file, declared.span, "declared as a query here")
    .with_help("make it a `mutation`, or move the write into one")
}

/// A db call on a table the schema does not have.
pub(crate) fn unknown_table(table: &str, tables: &[&str], file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownTable,
        format!("table `{table}` does not exist"),
    )
    .with_label(file, span, "no such table")
    .with_help(
        did_you_mean(table, "", tables.iter().copied()).unwrap_or_else(|| {
            format!(
                "the schema's tables are {}",
                tables
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    )
}

/// A function touching two shard families (`families`: `(key, table)` each).
pub(crate) fn two_shard_families(
    name: &str,
    families: &[(&str, &str)],
    at: FileSpan,
) -> Diagnostic {
    let list: Vec<String> = families
        .iter()
        .map(|(k, t)| format!("`{k}` (table `{t}`)"))
        .collect();
    Diagnostic::error(
        Code::Unroutable,
        format!(
            "`{name}` touches two shard families: {}",
            list.join(" and ")
        ),
    )
    .with_label(at.file, at.span, "cannot run in one Durable Object")
    .with_help("split it into one function per shard family, or make one of the tables `.global()`")
}

/// A function touching a root table and a sharded one.
pub(crate) fn root_and_shard(
    name: &str,
    root: &str,
    table: &str,
    key: &str,
    at: FileSpan,
) -> Diagnostic {
    Diagnostic::error(
        Code::Unroutable,
        format!("`{name}` touches root table `{root}` and table `{table}` sharded by `{key}`"),
    )
    .with_label(at.file, at.span, "cannot run in one Durable Object")
    .with_help(format!(
        "make `{root}` `.global()` or shard it by `{key}`, or split the function"
    ))
}

/// A function touching a sharded table without an argument binding its key.
pub(crate) fn shard_key_unbound(name: &str, table: &str, key: &str, at: FileSpan) -> Diagnostic {
    Diagnostic::error(
        Code::Unroutable,
        format!("`{name}` touches table `{table}`, sharded by `{key}`, but no argument binds `{key}`"),
    )
    .with_label(at.file, at.span, "cannot tell which shard to run in")
    .with_help(format!(
        "add an argument `{key}` and use it in `.withIndex(..., (q) => q.eq(\"{key}\", {key}))` or as the `{key}` of the inserted document"
    ))
}

/// `.withIndex(name)` of an index the table does not have.
pub(crate) fn unknown_index(table: &Table, name: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownIndex,
        format!("table `{}` has no index `{name}`", table.name),
    )
    .with_label(file, span, "no such index")
    .with_help(
        did_you_mean(name, "", table.indexes.iter().map(|i| i.name.as_str())).unwrap_or_else(
            || {
                if table.indexes.is_empty() {
                    format!(
                        "`{}` has no indexes: add one with `.index(\"{name}\", [...])`",
                        table.name
                    )
                } else {
                    format!(
                        "indexes of `{}`: {}",
                        table.name,
                        table
                            .indexes
                            .iter()
                            .map(|i| format!("`{}`", i.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            },
        ),
    )
}

/// `index-range-order` at `span`; the help lists the index's `fields` in order.
fn index_range_order(msg: String, fields: &[String], file: FileId, span: Span) -> Diagnostic {
    let order = fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::error(Code::IndexRangeOrder, msg)
        .with_label(file, span, "out of index order")
        .with_help(format!(
            "conditions must follow the index order ({order}): `eq` on a prefix, then `gt`/`gte` and/or `lt`/`lte` on the next field"
        ))
}

/// `q.eq(field)` after a range condition.
pub(crate) fn eq_after_range(
    field: &str,
    index: &str,
    fields: &[String],
    file: FileId,
    span: Span,
) -> Diagnostic {
    index_range_order(
        format!("`q.eq(\"{field}\")` comes after a range condition on index `{index}`"),
        fields,
        file,
        span,
    )
}

/// `q.{method}(field)` where the index's next field is `next` (`None`: no more fields).
pub(crate) fn condition_out_of_order(
    method: &str,
    field: &str,
    index: &str,
    next: Option<&str>,
    fields: &[String],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let expected = next.map_or("no more fields".to_string(), |f| format!("`{f}`"));
    index_range_order(
        format!("`q.{method}(\"{field}\")` on index `{index}` where the next field is {expected}"),
        fields,
        file,
        span,
    )
}

/// A range on `field` after a range on `range`.
pub(crate) fn second_range_field(
    method: &str,
    field: &str,
    range: &str,
    fields: &[String],
    file: FileId,
    span: Span,
) -> Diagnostic {
    index_range_order(
        format!("`q.{method}(\"{field}\")` after a range on `{range}`: one field per range"),
        fields,
        file,
        span,
    )
}

/// Two lower (`lower`) or two upper bounds on `field`.
pub(crate) fn two_bounds(
    field: &str,
    lower: bool,
    fields: &[String],
    file: FileId,
    span: Span,
) -> Diagnostic {
    index_range_order(
        format!(
            "two {} bounds on `{field}`",
            if lower { "lower" } else { "upper" }
        ),
        fields,
        file,
        span,
    )
}

/// `q.{method}` that is no index range method.
pub(crate) fn unknown_range_method(method: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::IndexRangeOrder,
        format!("`q.{method}` is not an index range method"),
    )
    .with_label(file, span, "unknown method")
    .with_help(
        did_you_mean(method, "q.", ["eq", "gt", "gte", "lt", "lte"])
            .unwrap_or_else(|| "use `eq`, `gt`, `gte`, `lt` or `lte`".to_string()),
    )
}

/// An inserted document's field the table does not have.
pub(crate) fn unknown_field(table: &Table, key: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownField,
        format!("table `{}` has no field `{key}`", table.name),
    )
    .with_label(file, span, "no such field")
    .with_help(
        did_you_mean(key, "", table.fields.iter().map(|f| f.name.as_str())).unwrap_or_else(|| {
            format!(
                "fields of `{}`: {}",
                table.name,
                table
                    .fields
                    .iter()
                    .map(|f| format!("`{}`", f.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    )
}

/// An insert without the table's `missing` required fields.
pub(crate) fn missing_fields(
    table: &str,
    missing: &[&str],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let list = missing
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::error(
        Code::MissingField,
        format!(
            "insert into `{table}` is missing required field{} {list}",
            if missing.len() == 1 { "" } else { "s" }
        ),
    )
    .with_label(file, span, format!("missing {list}"))
    .with_help(format!(
        "add {list}, or make {} `v.optional(...)` in the schema",
        if missing.len() == 1 { "it" } else { "them" }
    ))
}

// ---------------------------------------------------------------------------
// http: `lunora/http.ts` and `httpAction(...)` (pass 1)
// ---------------------------------------------------------------------------

/// `httpAction(...)` whose argument is not one function.
pub(crate) fn http_action_not_function(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpHandlerNotHttpAction,
        "`httpAction(...)` takes one function",
    )
    .with_label(file, span, "expected `async (ctx, request) => Response`")
    .with_help("write `httpAction(async (ctx, request) => new Response(...))`")
}

/// The default export of `lunora/http.ts` is not a name.
pub(crate) fn http_default_not_a_name(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNotStatic,
        "the default export of `lunora/http.ts` must name its router",
    )
    .with_label(file, span, "not a `const` bound to `httpRouter()`")
    .with_help(HTTP_NOT_STATIC_HELP)
}

/// `lunora/http.ts` (at `path`) has no default export.
pub(crate) fn http_no_default_export(file: FileId, path: &str) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNoDefaultExport,
        "`lunora/http.ts` does not export its router by default",
    )
    .with_label(file, Span::EMPTY, "")
    .with_path(path)
    .with_help("end the file with `export default http;` (`http` being `httpRouter()`)")
}

/// The default export `router` is not bound to `httpRouter()`.
pub(crate) fn http_default_not_router(router: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNotStatic,
        format!("`{router}`, the default export of `lunora/http.ts`, is not `httpRouter()`"),
    )
    .with_label(file, span, "exported here")
    .with_help(
        "declare it `const http = httpRouter();` with `httpRouter` imported from `lunorash/server`",
    )
}

/// A `corsRouter(...)` binding whose routes cannot be read.
pub(crate) fn http_cors_not_static(
    name: &str,
    router: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNotStatic,
        format!("`{name}` is not `corsRouter({router}, {{ ... }})` bound to a `const`"),
    )
    .with_label(file, span, "the routes it adds cannot be read")
    .with_help(format!("write `const cors = corsRouter({router}, {{ allowedOrigins: [\"https://example.com\"] }});` and then `cors.route({{ ... }})`"))
}

/// A top-level statement (`what`) that may register routes.
pub(crate) fn http_top_level_other(
    what: &str,
    router: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNotStatic,
        format!("{what} at the top level of `lunora/http.ts`"),
    )
    .with_label(
        file,
        span,
        "routes registered here cannot be read without running the code",
    )
    .with_help(format!(
        "register every route with a top-level `{router}.route({{ ... }})`"
    ))
}

/// Two routes for one method and path (`first`: the earlier route, and whether it is
/// `corsRouter`'s preflight).
pub(crate) fn http_duplicate_route(
    method: &str,
    path: &HttpPath,
    file: FileId,
    span: Span,
    first: Option<(FileSpan, bool)>,
) -> Diagnostic {
    let what = match path {
        HttpPath::Exact(p) => format!("path `{p}`"),
        HttpPath::Prefix(p) => format!("pathPrefix `{p}`"),
    };
    let mut diag = Diagnostic::error(
        Code::HttpDuplicateRoute,
        format!("two routes for {method} {what}"),
    )
    .with_label(file, span, "registered again here");
    if let Some((at, preflight)) = first {
        let label = if preflight {
            "`corsRouter` registered an `OPTIONS` preflight here"
        } else {
            "first registered here"
        };
        diag = diag.and_label(at.file, at.span, label);
    }
    diag.with_help(
        "each method and path (or pathPrefix) has one handler: remove one route, or change its method or path",
    )
}

/// A top-level statement that is not a route call.
pub(crate) fn http_statement_not_route(router: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNotStatic,
        "a top-level statement in `lunora/http.ts` that is not a route",
    )
    .with_label(
        file,
        span,
        format!("only `{router}.route({{ ... }})` calls may stand here"),
    )
    .with_help(format!(
        "register every route with a top-level `{router}.route({{ path, method, handler }})`; helpers that register routes cannot be read without running them"
    ))
}

/// `route(...)` without one object literal.
pub(crate) fn http_route_arity(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::HttpNotStatic, "`route(...)` takes one object literal")
        .with_label(file, span, "expected `{ path, method, handler }`")
        .with_help(HTTP_NOT_STATIC_HELP)
}

/// A spread or other property in a route definition.
pub(crate) fn http_route_not_plain(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpNotStatic,
        "a route definition that is not a plain object",
    )
    .with_label(file, span, "Lunora cannot read this without running it")
    .with_help("write `path` (or `pathPrefix`), `method` and `handler` as plain properties")
}

/// An unknown HTTP method `method` (`names`: the routable ones).
pub(crate) fn http_unknown_method(
    method: &str,
    names: &[&str],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let help = if method == "HEAD" {
        "HEAD requests are served by the `GET` route (without the body): route `GET`".to_string()
    } else {
        did_you_mean(method, "", names.iter().copied()).unwrap_or_else(|| {
            format!(
                "the methods are {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    };
    Diagnostic::error(
        Code::HttpUnknownMethod,
        format!("unknown HTTP method `{method}`"),
    )
    .with_label(file, span, "not a routable method")
    .with_help(help)
}

/// An unknown route option.
pub(crate) fn http_unknown_route_option(option: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpUnknownRouteOption,
        format!("unknown route option `{option}`"),
    )
    .with_label(file, span, "not a route option")
    .with_help(did_you_mean(option, "", ROUTE_OPTIONS).unwrap_or_else(|| {
        "the options are `path` or `pathPrefix`, `method` and `handler`".to_string()
    }))
}

/// A route without `method`.
pub(crate) fn http_no_method(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::HttpUnknownMethod, "the route has no `method`")
        .with_label(file, span, "`method` is missing")
        .with_help("add `method: \"GET\"` (or `POST`, `PUT`, `PATCH`, `DELETE`, `OPTIONS`)")
}

/// A `path` that does not start with `/`.
pub(crate) fn http_path_no_slash(path: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpInvalidPath,
        format!("path `{path}` does not start with `/`"),
    )
    .with_label(file, span, "paths start with `/`")
    .with_help(format!("write `\"/{path}\"`"))
}

/// A `pathPrefix` that does not start and end with `/`.
pub(crate) fn http_prefix_slashes(prefix: &str, file: FileId, span: Span) -> Diagnostic {
    let fixed = format!(
        "{}{}{}",
        if prefix.starts_with('/') { "" } else { "/" },
        prefix,
        if prefix.ends_with('/') { "" } else { "/" }
    );
    Diagnostic::error(
        Code::HttpInvalidPath,
        format!("pathPrefix `{prefix}` must start and end with `/`"),
    )
    .with_label(file, span, "a prefix matches whole path segments")
    .with_help(format!(
        "write `\"{fixed}\"`; for one exact path use `path` instead"
    ))
}

/// A route with both `path` and `pathPrefix`.
pub(crate) fn http_path_and_prefix(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpPathOrPrefix,
        "a route with both `path` and `pathPrefix`",
    )
    .with_label(file, span, "one of the two")
    .with_help("`path` matches one path exactly, `pathPrefix` every path under it: keep one")
}

/// A route with neither `path` nor `pathPrefix`.
pub(crate) fn http_no_path(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::HttpPathOrPrefix,
        "a route with neither `path` nor `pathPrefix`",
    )
    .with_label(file, span, "what does it match?")
    .with_help(
        "add `path: \"/hook\"` (one exact path) or `pathPrefix: \"/files/\"` (every path under it)",
    )
}

/// A route path under Lunora's own `reserved` prefix.
pub(crate) fn http_reserved_path(
    path: &str,
    reserved: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::HttpReservedPath,
        format!("`{path}` is under `{reserved}`, which Lunora's own endpoints own"),
    )
    .with_label(file, span, "the Worker never hands this path to the router")
    .with_help("serve it elsewhere, e.g. under `/http/`: `/api/call`, `/api/ws` and the rest of `/api/` are Lunora's")
}

/// A route without `handler`.
pub(crate) fn http_no_handler(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::HttpHandlerNotHttpAction, "the route has no `handler`")
        .with_label(file, span, "`handler` is missing")
        .with_help("add `handler: httpAction(async (ctx, request) => new Response(...))`")
}

/// A string route option (`key`) whose value (`described`) is not a string.
pub(crate) fn http_option_not_string(
    key: &str,
    described: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(Code::HttpNotStatic, format!("`{key}` must be a string"))
        .with_label(file, span, format!("{described}, not a string"))
        .with_help(format!(
            "write `{key}` as a string literal or a `const` string"
        ))
}

/// The handler of `route` is `what` (e.g. "a plain function"), not an
/// `httpAction` (`defined`: where that value is defined, when elsewhere).
pub(crate) fn http_handler_not_http_action(
    route: &str,
    what: &str,
    file: FileId,
    span: Span,
    defined: Option<FileSpan>,
) -> Diagnostic {
    let help = if what == "a plain function" {
        "wrap it: `handler: httpAction(async (ctx, request) => new Response(...))`".to_string()
    } else {
        "routes take `httpAction(async (ctx, request) => ...)` from `./_generated/server`; to call a query, mutation or action, do it inside one with `ctx.runQuery`, `ctx.runMutation` or `ctx.runAction`".to_string()
    };
    let mut diag = Diagnostic::error(
        Code::HttpHandlerNotHttpAction,
        format!("the handler of {route} is {what}, not an `httpAction`"),
    )
    .with_label(file, span, "not an `httpAction(...)`");
    if let Some(at) = defined {
        diag = diag.and_label(at.file, at.span, "defined here");
    }
    diag.with_help(help)
}

// ---------------------------------------------------------------------------
// load: reading source files
// ---------------------------------------------------------------------------

/// A source file that is not UTF-8 (`offset`: of the first invalid byte).
pub(crate) fn not_utf8(rel: &str, offset: usize) -> Diagnostic {
    Diagnostic::error(
        Code::IoNotUtf8,
        format!("`{rel}` is not valid UTF-8 (invalid byte at offset {offset})"),
    )
    .with_path(rel)
    .with_help("save the file as UTF-8")
}

/// A source file that cannot be read (`error`: the I/O error).
pub(crate) fn io_read(rel: &str, error: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(Code::IoRead, format!("cannot read `{rel}`: {error}"))
        .with_path(rel)
        .with_help("check that the file exists and is readable")
}

// ---------------------------------------------------------------------------
// eval: static evaluation of consts and imports
// ---------------------------------------------------------------------------

/// `what` cannot be evaluated statically; `code` and `help` per caller ([`crate::eval::Mode`]).
pub(crate) fn not_static(
    code: Code,
    help: &str,
    file: FileId,
    span: Span,
    what: &str,
) -> Diagnostic {
    Diagnostic::error(code, format!("{what} is not statically analyzable"))
        .with_label(file, span, "Lunora cannot evaluate this without running it")
        .with_help(help)
}

/// An import of `name` that `path` does not export.
pub(crate) fn no_such_export(path: &str, name: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::UnresolvedImport,
        format!("`{path}` has no export named `{name}`"),
    )
    .with_label(file, span, "imported here")
    .with_help(format!("export a `const {name}` from `{path}`"))
}

/// A const `name` that refers to itself through `cycle` (each member's file,
/// name and definition).
pub(crate) fn cyclic_const(
    name: &str,
    cycle: &[(FileId, String, Span)],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let names: Vec<String> = cycle
        .iter()
        .map(|(_, n, _)| format!("`{n}`"))
        .chain(std::iter::once(format!("`{name}`")))
        .collect();
    let mut diag = Diagnostic::error(
        Code::CyclicConst,
        format!("`{name}` refers to itself through {}", names.join(" → ")),
    )
    .with_label(file, span, "this reference closes the cycle");
    for (f, n, s) in cycle {
        diag = diag.and_label(*f, *s, format!("`{n}` is defined here"));
    }
    diag.with_help("break the cycle: a const cannot depend on itself")
}

/// An import whose relative `source` resolves to no module.
pub(crate) fn unresolved_import(file: FileId, span: Span, source: &str) -> Diagnostic {
    Diagnostic::error(
        Code::UnresolvedImport,
        format!("cannot resolve import `{source}`"),
    )
    .with_label(file, span, "no such module")
    .with_help("relative imports must point to a `.ts` file or a folder with an `index.ts`")
}

// ---------------------------------------------------------------------------
// passes: the schema module and global checks
// ---------------------------------------------------------------------------

/// No `lunora/schema.ts` (at `path`).
pub(crate) fn missing_schema(path: &str) -> Diagnostic {
    Diagnostic::error(Code::MissingSchema, "`lunora/schema.ts` does not exist")
        .with_path(path)
        .with_help("create `lunora/schema.ts` with `export const schema = defineSchema({ ... })`")
}

/// Two function modules (`rel`, `first`) with one API path.
pub(crate) fn duplicate_api_path(
    rel: &str,
    first: &str,
    api_path: &[String],
    file: FileId,
) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateApiPath,
        format!(
            "`{rel}` and `{first}` both map to `api.{}`",
            api_path.join(".")
        ),
    )
    .with_label(file, Span::EMPTY, "")
    .with_path(rel)
    .with_help("rename one of the two files")
}

/// The schema export `name` is not a `const`.
pub(crate) fn schema_not_const(name: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::NoSchemaExport, format!("`{name}` must be a `const`"))
        .with_label(file, span, "not a const")
        .with_help("write `export const schema = defineSchema({ ... })`")
}

/// `lunora/schema.ts` exports no schema.
pub(crate) fn no_schema_export(file: FileId) -> Diagnostic {
    Diagnostic::error(Code::NoSchemaExport, "`lunora/schema.ts` does not export a schema")
        .with_label(file, Span::EMPTY, "")
        .with_help("add `export const schema = defineSchema({ ... })` or `export default defineSchema({ ... })`")
}

/// A schema without tables (a warning).
pub(crate) fn empty_schema(at: FileSpan) -> Diagnostic {
    Diagnostic::warning(Code::EmptySchema, "the schema defines no table")
        .with_label(at.file, at.span, "no tables")
        .with_help("add a table: `messages: defineTable({ text: v.string() })`")
}

// ---------------------------------------------------------------------------
// crons: `lunora/crons.ts` (pass 1)
// ---------------------------------------------------------------------------

/// `crons/not-static` with its primary label.
fn crons_not_static(
    file: FileId,
    span: Span,
    message: String,
    label: &str,
    help: String,
) -> Diagnostic {
    Diagnostic::error(Code::CronsNotStatic, message)
        .with_label(file, span, label)
        .with_help(help)
}

/// `crons/invalid-schedule` with its primary label.
fn invalid_schedule(at: FileSpan, message: String, label: &str, help: String) -> Diagnostic {
    Diagnostic::error(Code::CronsInvalidSchedule, message)
        .with_label(at.file, at.span, label)
        .with_help(help)
}

/// How to call the `cronJobs()` method `method`.
fn cron_usage(method: &str) -> &'static str {
    match method {
        "interval" => "crons.interval(\"name\", { minutes: 5 }, internal.module.fn, args?)",
        "hourly" => "crons.hourly(\"name\", { minuteUTC: 0 }, internal.module.fn, args?)",
        "daily" => "crons.daily(\"name\", { hourUTC: 3, minuteUTC: 0 }, internal.module.fn, args?)",
        "weekly" => {
            "crons.weekly(\"name\", { dayOfWeek: \"monday\", hourUTC: 3, minuteUTC: 0 }, internal.module.fn, args?)"
        }
        "monthly" => {
            "crons.monthly(\"name\", { day: 1, hourUTC: 3, minuteUTC: 0 }, internal.module.fn, args?)"
        }
        _ => "crons.cron(\"name\", \"0 3 * * *\", internal.module.fn, args?)",
    }
}

/// The default export of `lunora/crons.ts` is not a name.
pub(crate) fn crons_default_not_a_name(file: FileId, span: Span) -> Diagnostic {
    crons_not_static(
        file,
        span,
        "the default export of `lunora/crons.ts` must name its `cronJobs()`".into(),
        "not a `const` bound to `cronJobs()`",
        CRONS_NOT_STATIC_HELP.into(),
    )
}

/// `lunora/crons.ts` (at `path`) has no default export.
pub(crate) fn crons_no_default_export(file: FileId, path: &str) -> Diagnostic {
    Diagnostic::error(
        Code::CronsNoDefaultExport,
        "`lunora/crons.ts` does not export its cron jobs by default",
    )
    .with_label(file, Span::EMPTY, "")
    .with_path(path)
    .with_help("end the file with `export default crons;` (`crons` being `cronJobs()`)")
}

/// The default export `crons` is not bound to `cronJobs()`.
pub(crate) fn crons_default_not_cron_jobs(crons: &str, file: FileId, span: Span) -> Diagnostic {
    crons_not_static(
        file,
        span,
        format!("`{crons}`, the default export of `lunora/crons.ts`, is not `cronJobs()`"),
        "exported here",
        "declare it `const crons = cronJobs();` with `cronJobs` imported from `lunorash/server`"
            .into(),
    )
}

/// A top-level statement (`what`) that may register jobs.
pub(crate) fn crons_top_level_other(
    what: &str,
    crons: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    crons_not_static(
        file,
        span,
        format!("{what} at the top level of `lunora/crons.ts`"),
        "jobs registered here cannot be read without running the code",
        format!(
            "register every job with a top-level `{crons}.daily(...)`, `{crons}.interval(...)`, ..."
        ),
    )
}

/// `crons.{method}(...)` that is no `cronJobs()` method (`methods`: the known ones).
pub(crate) fn crons_unknown_method(
    crons: &str,
    method: &str,
    methods: &[&str],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let help = did_you_mean(method, "", methods.iter().copied()).unwrap_or_else(|| {
        "the methods are `interval`, `hourly`, `daily`, `weekly`, `monthly` and `cron`".to_string()
    });
    crons_not_static(
        file,
        span,
        format!("`{crons}.{method}(...)` registers no cron job"),
        "not a `cronJobs()` method",
        help,
    )
}

/// Two cron jobs of one name.
pub(crate) fn crons_duplicate_name(
    name: &str,
    file: FileId,
    span: Span,
    first: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::CronsDuplicateName,
        format!("two cron jobs named `{name}`"),
    )
    .with_label(file, span, "registered again here")
    .and_label(file, first, "first registered here")
    .with_help("each cron job has a unique name: rename one")
}

/// A top-level statement that is not a cron job.
pub(crate) fn crons_statement_not_job(crons: &str, file: FileId, span: Span) -> Diagnostic {
    crons_not_static(
        file,
        span,
        "a top-level statement in `lunora/crons.ts` that is not a cron job".into(),
        &format!("only `{crons}.<schedule>(...)` calls may stand here"),
        format!(
            "register every job with a top-level `{crons}.interval(...)`, `{crons}.daily(...)`, ...; helpers that register jobs cannot be read without running them"
        ),
    )
}

/// `{method}(...)` without 3 or 4 arguments.
pub(crate) fn crons_job_arity(method: &str, file: FileId, span: Span) -> Diagnostic {
    crons_not_static(
        file,
        span,
        format!("`{method}(...)` takes a name, a schedule, a function and its args"),
        "expected 3 or 4 arguments",
        format!("write `{}`", cron_usage(method)),
    )
}

/// A cron job's name (`described`) that is not a string.
pub(crate) fn crons_name_not_string(described: &str, file: FileId, span: Span) -> Diagnostic {
    crons_not_static(
        file,
        span,
        "a cron job's name must be a string".into(),
        &format!("{described}, not a string"),
        "write the name as a string literal or a `const` string".into(),
    )
}

/// A cron job's function that is not a reference.
pub(crate) fn crons_target_not_reference(name: &str, file: FileId, span: Span) -> Diagnostic {
    crons_not_static(
        file,
        span,
        format!("the function of cron job `{name}` is not written as a reference"),
        "expected `internal.<module>.<function>` or `api.<module>.<function>`",
        "name the function directly, e.g. `internal.jobs.cleanup`, from `./_generated/api`".into(),
    )
}

/// A schedule number option `key` outside `lo..=hi`.
pub(crate) fn schedule_number(key: &str, lo: u32, hi: u32, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        format!("`{key}` must be a whole number from {lo} to {hi}"),
        "out of range or not a number",
        format!("write `{key}` as a number literal from {lo} to {hi} (times are UTC)"),
    )
}

/// `cron(...)`'s schedule (`described`) is not a string.
pub(crate) fn cron_not_string(described: &str, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        "`cron(...)` takes a cron expression string".into(),
        &format!("{described}, not a string"),
        format!("write `{}`", cron_usage("cron")),
    )
}

/// The schedule of `{method}(...)` (`described`) is not an object.
pub(crate) fn schedule_not_object(method: &str, described: &str, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        format!("the schedule of `{method}(...)` must be an object"),
        &format!("{described}, not an object"),
        format!("write `{}`", cron_usage(method)),
    )
}

/// A schedule option `key` that `{method}(...)` does not have (`allowed`: those it has).
pub(crate) fn schedule_unknown_option(
    method: &str,
    key: &str,
    allowed: &[&str],
    at: FileSpan,
) -> Diagnostic {
    invalid_schedule(
        at,
        format!("`{method}(...)` has no option `{key}`"),
        "unknown option",
        did_you_mean(key, "", allowed.iter().copied()).unwrap_or_else(|| {
            format!(
                "its options are {}",
                allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    )
}

/// A schedule of `{method}(...)` without the options `missing`.
pub(crate) fn schedule_incomplete(method: &str, missing: &[&str], at: FileSpan) -> Diagnostic {
    let missing: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
    invalid_schedule(
        at,
        format!(
            "the schedule of `{method}(...)` lacks {}",
            missing.join(", ")
        ),
        "incomplete schedule",
        format!("write `{}`", cron_usage(method)),
    )
}

/// `dayOfWeek` that is no day name (`value`: the string, when it is one; `described` otherwise).
pub(crate) fn schedule_not_a_day(
    value: Option<&str>,
    described: &str,
    days: &[&str],
    at: FileSpan,
) -> Diagnostic {
    let shown = match value {
        Some(s) => format!("`\"{s}\"`"),
        None => described.to_string(),
    };
    invalid_schedule(
        at,
        format!("`dayOfWeek` is {shown}, not a day name"),
        "not a day",
        value
            .and_then(|s| did_you_mean(&s.to_lowercase(), "", days.iter().copied()))
            .unwrap_or_else(|| {
                "write a lowercase English day name: `\"monday\"` ... `\"sunday\"`".into()
            }),
    )
}

/// `interval(...)` with no unit (`empty`) or more than one.
pub(crate) fn interval_units(empty: bool, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        "`interval(...)` takes one of `seconds`, `minutes` or `hours`".into(),
        if empty {
            "no interval"
        } else {
            "more than one unit"
        },
        "write one unit, e.g. `{ minutes: 5 }` or `{ hours: 2 }`".into(),
    )
}

/// What intervals Cloudflare Cron Triggers can run.
const INTERVAL_HELP: &str = "Cloudflare Cron Triggers fire on wall-clock UTC minutes: use an interval that divides the hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes) or the day (1, 2, 3, 4, 6, 8, 12 or 24 hours), or write the times with `crons.cron(name, \"*/5 * * * *\", ...)`";

/// An interval of `n` seconds that is not whole minutes.
pub(crate) fn interval_not_minutes(n: u32, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        format!("an interval of {n} seconds is not a whole number of minutes"),
        "Cloudflare Cron Triggers run at most once a minute",
        INTERVAL_HELP.into(),
    )
}

/// An interval of `n` `unit` that divides neither the hour nor the day.
pub(crate) fn interval_unsupported(n: u32, unit: &str, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        format!("an interval of {n} {unit} has no Cloudflare Cron Trigger"),
        "it divides neither the hour nor the day",
        INTERVAL_HELP.into(),
    )
}

/// A cron expression `expr` with `count` fields instead of 5.
pub(crate) fn cron_field_count(expr: &str, count: usize, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        format!("`{expr}` has {count} fields: a cron expression has 5"),
        "not a cron expression",
        "write minute, hour, day of month, month and day of week (UTC), e.g. `\"0 3 * * *\"` for 03:00 every day; seconds and years are not supported".into(),
    )
}

/// The `what` field `field` of `expr` is invalid (`why`); it takes `lo..=hi`
/// (`names`: and month or day names).
#[expect(
    clippy::too_many_arguments,
    reason = "the expression, the field and its range, as the parser holds them"
)]
pub(crate) fn cron_field_invalid(
    expr: &str,
    what: &str,
    field: &str,
    why: &str,
    lo: u32,
    hi: u32,
    names: bool,
    at: FileSpan,
) -> Diagnostic {
    invalid_schedule(
        at,
        format!("`{expr}`: in the {what} field `{field}`, {why}"),
        "invalid cron expression",
        format!(
            "the {what} field takes `*`, a number from {lo} to {hi}, a range `a-b`, a step `*/n` or `a-b/n`, or a list of those separated by `,`{}",
            if names {
                " (names like `MON` or `JAN` too)"
            } else {
                ""
            }
        ),
    )
}

/// A cron expression restricting both day of month and day of week.
pub(crate) fn cron_both_days(expr: &str, at: FileSpan) -> Diagnostic {
    invalid_schedule(
        at,
        format!("`{expr}` restricts both the day of month and the day of week"),
        "cron implementations disagree on whether one or both must match",
        "restrict one of the two and keep the other `*`, or register two jobs".into(),
    )
}

// ---------------------------------------------------------------------------
// scheduler: `ctx.scheduler` calls and function references (pass 5)
// ---------------------------------------------------------------------------

/// A query (declared at `declared`) uses `ctx.scheduler`.
pub(crate) fn scheduler_in_query(
    name: &str,
    file: FileId,
    span: Span,
    declared: Option<FileSpan>,
) -> Diagnostic {
    let mut diag = Diagnostic::error(
        Code::SchedulerInQuery,
        format!("query `{name}` uses `ctx.scheduler`"),
    )
    .with_label(file, span, "queries cannot schedule functions");
    if let Some(s) = declared {
        diag = diag.and_label(s.file, s.span, "declared as a query here");
    }
    diag.with_help("schedule from a `mutation` (part of its transaction) or an `action`")
}

/// `path` (rooted at `api` when `public`) names a function of the other
/// visibility, `other`.
pub(crate) fn wrong_visibility(
    path: &str,
    public: bool,
    other: &str,
    file: FileId,
    span: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::UnknownFunction,
        format!(
            "`{path}` is no {} function",
            if public { "public" } else { "internal" }
        ),
    )
    .with_label(file, span, "no such function")
    .with_help(format!(
        "the function is {}: use `{other}`",
        if public { "internal" } else { "public" }
    ))
}

/// `path` (rooted at `root`) names no function (`known`: those under `root`).
pub(crate) fn unknown_function(
    path: &str,
    root: &str,
    known: &[&str],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let mut sorted = known.to_vec();
    sorted.sort_unstable();
    Diagnostic::error(
        Code::UnknownFunction,
        format!("`{path}` is no function of this app"),
    )
    .with_label(file, span, "no such function")
    .with_help(
        did_you_mean(path, "", known.iter().copied()).unwrap_or_else(|| {
            if root == "api" || root == "internal" {
                format!(
                    "`{root}` has {}",
                    if sorted.is_empty() {
                        "no functions".to_string()
                    } else {
                        sorted
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )
            } else {
                "name the function as `api.<module>.<export>` or `internal.<module>.<export>`"
                    .to_string()
            }
        }),
    )
}

/// A scheduled (or cron) reference `path` to a query (declared at `declared`).
pub(crate) fn not_schedulable(
    path: &str,
    file: FileId,
    span: Span,
    declared: Option<FileSpan>,
) -> Diagnostic {
    let mut diag = Diagnostic::error(
        Code::NotSchedulable,
        format!("`{path}` is a query: only mutations and actions can be scheduled"),
    )
    .with_label(file, span, "a query");
    if let Some(s) = declared {
        diag = diag.and_label(s.file, s.span, "declared as a query here");
    }
    diag.with_help(
        "schedule a mutation that does the work, or read the data in the scheduled function",
    )
}

/// An argument `key` that `path` (taking `params`) does not declare.
pub(crate) fn unknown_call_arg(
    path: &str,
    key: &str,
    params: &[ObjectField],
    file: FileId,
    span: Span,
) -> Diagnostic {
    let help = did_you_mean(key, "", params.iter().map(|p| p.name.as_str())).unwrap_or_else(|| {
        if params.is_empty() {
            format!("`{path}` takes no arguments")
        } else {
            format!(
                "`{path}` takes {}",
                params
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    });
    Diagnostic::error(Code::CallArgs, format!("`{path}` has no argument `{key}`"))
        .with_label(file, span, "unknown argument")
        .with_help(help)
}

/// A required argument `arg` of `path` that the call does not pass.
pub(crate) fn missing_call_arg(path: &str, arg: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::CallArgs,
        format!("`{path}` needs the argument `{arg}`"),
    )
    .with_label(file, span, format!("`{arg}` is missing"))
    .with_help(format!("pass `{arg}` as `{path}` declares it"))
}
