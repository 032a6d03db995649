//! The schema: tables (pass 1), validators (pass 2), indexes and placement (pass 3).

use std::collections::{HashMap, HashSet};

use lunora_parser::{Diagnostic, FileSpan};

use crate::diagnostics;
use crate::eval::{Entry, Val, ValKind};
use crate::ir::*;
use crate::suggest::did_you_mean;
use crate::vocab::VALIDATORS;

mod index_args;

pub use index_args::{IndexDraft, SearchIndexDraft};
use index_args::{index_draft, search_index_draft};

pub const TABLE_METHODS: &[&str] = &["global", "shardBy", "index", "searchIndex"];

/// A table as written, before its validators are resolved.
pub struct TableDraft {
    pub name: String,
    pub at: FileSpan,
    pub fields: Vec<Entry>,
    /// A union table's members (`defineTable(v.union(v.object({...}), ...))`), each one's
    /// entries; empty for a table of one object (then `fields` holds its entries).
    pub variants: Vec<Vec<Entry>>,
    pub globals: Vec<FileSpan>,
    /// (field, span of the argument, span of the method name)
    pub shards: Vec<(String, FileSpan, FileSpan)>,
    pub indexes: Vec<IndexDraft>,
    pub search_indexes: Vec<SearchIndexDraft>,
}

/// The schema's table names: in declaration order (for messages) and hashed
/// (for the `v.id("t")` check, once per id validator).
pub struct TableNames<'a> {
    pub ordered: Vec<&'a str>,
    set: HashSet<&'a str>,
}

impl<'a> TableNames<'a> {
    pub fn new(ordered: Vec<&'a str>) -> Self {
        let set = ordered.iter().copied().collect();
        Self { ordered, set }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }
}

pub fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_' || f == '$')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$')
}

/// Checks a user-chosen name (table, field, index): no leading `_`, an identifier.
pub fn check_name(kind: &str, name: &str, at: FileSpan, d: &mut Vec<Diagnostic>) -> bool {
    if name.starts_with('_') {
        d.push(diagnostics::name_starts_with_underscore(kind, name, at));
        false
    } else if !is_identifier(name) {
        d.push(diagnostics::name_not_identifier(kind, name, at));
        false
    } else {
        true
    }
}

/// Pass 1: the `defineSchema({...})` value into table drafts.
pub fn collect_tables(schema: &Val, d: &mut Vec<Diagnostic>) -> Vec<TableDraft> {
    let ValKind::Call { callee, args } = &schema.kind else {
        d.push(diagnostics::schema_not_define_schema(
            schema.describe(),
            schema.at,
        ));
        return Vec::new();
    };
    if callee.extern_name() != Some("defineSchema") {
        d.push(diagnostics::schema_not_define_schema_call(callee.at));
        return Vec::new();
    }
    let Some(Val {
        kind: ValKind::Object(entries),
        ..
    }) = args.first()
    else {
        let at = args.first().map_or(schema.at, |a| a.at);
        d.push(diagnostics::define_schema_not_object(at));
        return Vec::new();
    };
    // Convex's `defineSchema(tables, { schemaValidation?, strictTableNameTypes? })`:
    // Lunora always validates documents and always types table names strictly.
    match args.get(1) {
        None => {}
        Some(Val {
            kind: ValKind::Object(opts),
            ..
        }) => {
            for o in opts {
                match (o.key.as_str(), &o.value.kind) {
                    ("schemaValidation" | "strictTableNameTypes", ValKind::Bool(_)) => {}
                    _ => d.push(diagnostics::define_schema_unknown_option(&o.key, o.key_at)),
                }
            }
        }
        Some(v) => d.push(diagnostics::define_schema_options_not_object(v.at)),
    }
    let mut seen: HashMap<&str, FileSpan> = HashMap::new();
    let mut out = Vec::new();
    for entry in entries {
        if let Some(first) = seen.get(entry.key.as_str()) {
            d.push(diagnostics::duplicate_table(
                &entry.key,
                entry.key_at,
                *first,
            ));
            continue;
        }
        seen.insert(&entry.key, entry.key_at);
        check_name("table", &entry.key, entry.key_at, d);
        if let Some(t) = table_draft(entry, d) {
            out.push(t);
        }
    }
    out
}

/// A method called on `defineTable(...)`: its name and where it is, its
/// arguments, and where the call is.
type TableMethod<'v> = (&'v str, FileSpan, &'v [Val], FileSpan);

fn table_draft(entry: &Entry, d: &mut Vec<Diagnostic>) -> Option<TableDraft> {
    let (define, methods) = unwind_table_methods(entry, d)?;
    let (fields, variants) = table_fields(entry, define, d)?;
    let mut t = TableDraft {
        name: entry.key.clone(),
        at: entry.key_at,
        fields,
        variants,
        globals: Vec::new(),
        shards: Vec::new(),
        indexes: Vec::new(),
        search_indexes: Vec::new(),
    };
    for method in methods {
        table_method(&mut t, method, d);
    }
    Some(t)
}

/// Unwinds `defineTable({...}).m1(..).m2(..)`: the `defineTable(...)` call,
/// and the methods in the order written. `None` when the value is no such
/// chain (reported).
fn unwind_table_methods<'v>(
    entry: &'v Entry,
    d: &mut Vec<Diagnostic>,
) -> Option<(&'v Val, Vec<TableMethod<'v>>)> {
    let mut methods = Vec::new();
    let mut cur = &entry.value;
    loop {
        match &cur.kind {
            ValKind::Call { callee, args } => match &callee.kind {
                ValKind::Member {
                    object,
                    property,
                    property_at,
                } => {
                    methods.push((property.as_str(), *property_at, args.as_slice(), cur.at));
                    cur = object;
                }
                ValKind::Extern { name, .. } if name == "defineTable" => break,
                _ => return not_a_table(entry, cur, d),
            },
            _ => return not_a_table(entry, cur, d),
        }
    }
    methods.reverse();
    Some((cur, methods))
}

/// The fields of `defineTable(fields)` (`{...}` or `v.object({...})`), or
/// for `defineTable(v.union(...))` its variants' (then the fields are
/// empty). `None` when reported.
fn table_fields(
    entry: &Entry,
    define: &Val,
    d: &mut Vec<Diagnostic>,
) -> Option<(Vec<Entry>, Vec<Vec<Entry>>)> {
    let ValKind::Call { args, .. } = &define.kind else {
        return None;
    };
    match args.first().map(|a| object_entries(a)) {
        Some(Some(fields)) if args.len() == 1 => Some((fields.clone(), Vec::new())),
        _ if args.len() == 1 && is_v_call(&args[0], "union") => {
            Some((Vec::new(), union_members(entry, &args[0], d)?))
        }
        _ => {
            d.push(diagnostics::define_table_not_fields(&entry.key, define.at));
            None
        }
    }
}

/// Applies one method of a table's chain (`.global()`, `.shardBy(...)`,
/// `.index(...)`, `.searchIndex(...)`) to its draft; others are reported.
fn table_method(t: &mut TableDraft, method: TableMethod<'_>, d: &mut Vec<Diagnostic>) {
    let (name, name_at, args, call_at) = method;
    match name {
        "global" => {
            if !args.is_empty() {
                d.push(diagnostics::bad_method_args(
                    call_at,
                    "`.global()` takes no arguments",
                    "remove the arguments: `.global()`",
                ));
            }
            t.globals.push(name_at);
        }
        "shardBy" => match args {
            [
                Val {
                    kind: ValKind::Str(f),
                    at,
                },
            ] => t.shards.push((f.clone(), *at, name_at)),
            _ => d.push(diagnostics::bad_method_args(
                args.first().map_or(call_at, |a| a.at),
                "`.shardBy(...)` takes one field name as a string",
                "write `.shardBy(\"fieldName\")`",
            )),
        },
        "index" => {
            if let Some(i) = index_draft(args, call_at, d) {
                t.indexes.push(i);
            }
        }
        "searchIndex" => {
            if let Some(i) = search_index_draft(args, call_at, d) {
                t.search_indexes.push(i);
            }
        }
        "vectorIndex" => d.push(diagnostics::unsupported_vector_index(&t.name, name_at)),
        other => d.push(diagnostics::unknown_table_method(
            other,
            name_at,
            TABLE_METHODS,
        )),
    }
}

/// The members of a union table's `v.union(...)`: each must be an object
/// (`v.object({...})`), as in Convex.
fn union_members(entry: &Entry, union: &Val, d: &mut Vec<Diagnostic>) -> Option<Vec<Vec<Entry>>> {
    let ValKind::Call { args, .. } = &union.kind else {
        return None;
    };
    if args.is_empty() {
        d.push(diagnostics::union_table_empty(&entry.key, union.at));
        return None;
    }
    let mut out = Vec::with_capacity(args.len());
    let mut ok = true;
    for member in args {
        match object_entries(member) {
            Some(entries) => out.push(entries.clone()),
            None => {
                d.push(diagnostics::union_table_member_not_object(
                    &entry.key, member.at,
                ));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Is `val` a call `v.<name>(...)`?
fn is_v_call(val: &Val, name: &str) -> bool {
    matches!(&val.kind, ValKind::Call { callee, .. }
        if matches!(&callee.kind, ValKind::Member { object, property, .. }
            if property == name && object.extern_name() == Some("v")))
}

/// The entries of `{...}` or of `v.object({...})` (Convex's `defineTable(v.object(...))`).
fn object_entries(val: &Val) -> Option<&Vec<Entry>> {
    match &val.kind {
        ValKind::Object(fields) => Some(fields),
        ValKind::Call { callee, args }
            if args.len() == 1
                && matches!(&callee.kind, ValKind::Member { object, property, .. }
                    if property == "object" && object.extern_name() == Some("v")) =>
        {
            match &args[0].kind {
                ValKind::Object(fields) => Some(fields),
                _ => None,
            }
        }
        _ => None,
    }
}

fn not_a_table<T>(entry: &Entry, at: &Val, d: &mut Vec<Diagnostic>) -> Option<T> {
    d.push(diagnostics::not_a_table(&entry.key, at.at, at.describe()));
    None
}

/// A table's resolved document shape: its fields (for a union table, the merge
/// of its variants, [`Table::fields`]) and its variants ([`Table::variants`]).
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub fields: Vec<Field>,
    pub variants: Vec<Vec<ObjectField>>,
}

/// Pass 2: a table's fields, or a union table's variants and their merge.
/// Fields that do not resolve are left out (their errors are in `d`).
pub fn table_shape(t: &TableDraft, tables: &TableNames<'_>, d: &mut Vec<Diagnostic>) -> Shape {
    let resolve = |entries: &[Entry], d: &mut Vec<Diagnostic>| {
        object_fields(entries, tables, true, d).unwrap_or_default()
    };
    if t.variants.is_empty() {
        let fields = resolve(&t.fields, d)
            .into_iter()
            .map(|(f, at)| Field {
                name: f.name,
                span: Some(at),
                validator: f.validator,
            })
            .collect();
        return Shape {
            fields,
            variants: Vec::new(),
        };
    }
    let variants: Vec<Vec<(ObjectField, FileSpan)>> = t
        .variants
        .iter()
        .map(|entries| resolve(entries, d))
        .collect();
    Shape {
        fields: merge_variants(&variants),
        variants: variants
            .into_iter()
            .map(|fields| fields.into_iter().map(|(f, _)| f).collect())
            .collect(),
    }
}

/// The columns of a union table ([`Table::fields`]): every field of any variant,
/// in order of first appearance. A field in every variant with one validator
/// keeps it; differing validators become their union (members of unions
/// flattened, duplicates dropped, first seen first); a field missing from, or
/// optional in, any variant is optional. `npm/lunorash/src/schema.ts`
/// (`mergeVariants`) computes the same for the runtime's codecs.
pub fn merge_variants(variants: &[Vec<(ObjectField, FileSpan)>]) -> Vec<Field> {
    let mut order: Vec<(&str, FileSpan)> = Vec::new();
    for (f, at) in variants.iter().flatten() {
        if !order.iter().any(|(n, _)| *n == f.name) {
            order.push((&f.name, *at));
        }
    }
    order
        .into_iter()
        .map(|(name, at)| {
            let mut optional = false;
            let mut members: Vec<&Validator> = Vec::new();
            for variant in variants {
                let Some((f, _)) = variant.iter().find(|(f, _)| f.name == name) else {
                    optional = true;
                    continue;
                };
                let inner = match &f.validator {
                    Validator::Optional(inner) => {
                        optional = true;
                        inner.as_ref()
                    }
                    v => v,
                };
                if !members.contains(&inner) {
                    members.push(inner);
                }
            }
            let merged = if members.len() == 1 {
                members[0].clone()
            } else {
                let mut flat: Vec<Validator> = Vec::new();
                for m in members {
                    let parts = match m {
                        Validator::Union(parts) => parts.as_slice(),
                        one => std::slice::from_ref(one),
                    };
                    for p in parts {
                        if !flat.contains(p) {
                            flat.push(p.clone());
                        }
                    }
                }
                Validator::Union(flat)
            };
            Field {
                name: name.to_string(),
                span: Some(at),
                validator: if optional {
                    Validator::Optional(Box::new(merged))
                } else {
                    merged
                },
            }
        })
        .collect()
}

/// Pass 2: resolves an object of field validators.
pub fn object_fields(
    entries: &[Entry],
    tables: &TableNames<'_>,
    check_names: bool,
    d: &mut Vec<Diagnostic>,
) -> Option<Vec<(ObjectField, FileSpan)>> {
    let mut seen: HashMap<&str, FileSpan> = HashMap::new();
    let mut out = Vec::new();
    let mut ok = true;
    for e in entries {
        if let Some(first) = seen.get(e.key.as_str()) {
            d.push(diagnostics::duplicate_field(&e.key, e.key_at, *first));
            ok = false;
            continue;
        }
        seen.insert(&e.key, e.key_at);
        if check_names && !check_name("field", &e.key, e.key_at, d) {
            ok = false;
        }
        match validator(&e.value, tables, d) {
            Some(v) => out.push((
                ObjectField {
                    name: e.key.clone(),
                    validator: v,
                },
                e.key_at,
            )),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Convex's `paginationOptsValidator` (exported by `lunorash/server`):
/// `{ numItems, cursor, endCursor? }` (`endCursor` pins a live page's end).
fn pagination_opts_validator() -> Validator {
    let cursor = || Validator::Union(vec![Validator::String, Validator::Null]);
    Validator::Object(vec![
        ObjectField {
            name: "numItems".into(),
            validator: Validator::Number,
        },
        ObjectField {
            name: "cursor".into(),
            validator: cursor(),
        },
        ObjectField {
            name: "endCursor".into(),
            validator: Validator::Optional(Box::new(cursor())),
        },
    ])
}

/// `v.<name>(args)` (or an uncalled `v.<name>`, reported unless it names no
/// validator): the name, the arguments and the call's span.
/// `None` when reported.
fn validator_call<'v>(
    val: &'v Val,
    d: &mut Vec<Diagnostic>,
) -> Option<(&'v str, &'v [Val], FileSpan)> {
    let (name, name_at, args, call_at) = match &val.kind {
        ValKind::Call { callee, args } => match &callee.kind {
            ValKind::Member {
                object,
                property,
                property_at,
            } if object.extern_name() == Some("v") => {
                (property.as_str(), *property_at, args.as_slice(), val.at)
            }
            _ => {
                not_validator(val, d);
                return None;
            }
        },
        ValKind::Member {
            object,
            property,
            property_at,
        } if object.extern_name() == Some("v") => {
            if VALIDATORS.contains(&property.as_str()) {
                d.push(diagnostics::validator_not_called(property, *property_at));
                return None;
            }
            (property.as_str(), *property_at, &[][..], val.at)
        }
        _ => {
            not_validator(val, d);
            return None;
        }
    };
    if !VALIDATORS.contains(&name) {
        d.push(diagnostics::unknown_validator(name, name_at));
        return None;
    }
    Some((name, args, call_at))
}

/// Pass 2: one validator expression.
pub fn validator(val: &Val, tables: &TableNames<'_>, d: &mut Vec<Diagnostic>) -> Option<Validator> {
    if val.extern_name() == Some("paginationOptsValidator") {
        return Some(pagination_opts_validator());
    }
    let (name, args, call_at) = validator_call(val, d)?;
    let count = |n: usize, d: &mut Vec<Diagnostic>, usage: &str| -> bool {
        arg_count(name, args, call_at, n, usage, d)
    };
    let v = match name {
        "string" | "number" | "float64" | "boolean" | "null" | "int64" | "bytes" | "any" => {
            if !count(0, d, &format!("write `v.{name}()`")) {
                return None;
            }
            scalar_validator(name)
        }
        "id" => {
            if !count(1, d, "write `v.id(\"tableName\")`") {
                return None;
            }
            id_validator(&args[0], tables, d)?
        }
        "literal" => {
            if !count(1, d, "write `v.literal(\"value\")`") {
                return None;
            }
            Validator::Literal(literal(&args[0], d)?)
        }
        "optional" | "array" | "nullable" => {
            if !count(1, d, &format!("write `v.{name}(v.string())`")) {
                return None;
            }
            let inner = validator(&args[0], tables, d)?;
            match name {
                "optional" => Validator::Optional(Box::new(inner)),
                "array" => Validator::Array(Box::new(inner)),
                // `v.nullable(x)` is `v.union(x, v.null())`.
                _ => Validator::Union(vec![inner, Validator::Null]),
            }
        }
        "object" => {
            if !count(1, d, "write `v.object({ field: v.string() })`") {
                return None;
            }
            object_validator(&args[0], tables, d)?
        }
        "record" => {
            if !count(2, d, "write `v.record(v.string(), v.number())`") {
                return None;
            }
            let k = validator(&args[0], tables, d);
            let x = validator(&args[1], tables, d);
            Validator::Record(Box::new(k?), Box::new(x?))
        }
        // union
        _ => union(args, call_at, tables, d)?,
    };
    Some(v)
}

/// Checks that `v.<name>(args)` has `n` arguments; else reports it (at the
/// first extra argument, or the call) with `usage` as help.
fn arg_count(
    name: &str,
    args: &[Val],
    call_at: FileSpan,
    n: usize,
    usage: &str,
    d: &mut Vec<Diagnostic>,
) -> bool {
    if args.len() == n {
        true
    } else {
        let at = args.get(n).map_or(call_at, |a| a.at);
        d.push(diagnostics::bad_validator_args(
            at,
            format!(
                "`v.{name}` takes {n} argument{}, got {}",
                if n == 1 { "" } else { "s" },
                args.len()
            ),
            usage,
        ));
        false
    }
}

/// The validator of an argument-less `v.<name>()`: `string`, `number`
/// (`float64`), `boolean`, `null`, `int64`, `bytes`, else `any`.
fn scalar_validator(name: &str) -> Validator {
    match name {
        "string" => Validator::String,
        // Convex's name for a JS number.
        "number" | "float64" => Validator::Number,
        "boolean" => Validator::Boolean,
        "null" => Validator::Null,
        "int64" => Validator::Int64,
        "bytes" => Validator::Bytes,
        _ => Validator::Any,
    }
}

/// `v.id("table")`: a table name of the schema or a built-in table.
fn id_validator(arg: &Val, tables: &TableNames<'_>, d: &mut Vec<Diagnostic>) -> Option<Validator> {
    let ValKind::Str(t) = &arg.kind else {
        d.push(diagnostics::bad_validator_args(
            arg.at,
            "`v.id` takes a table name as a string".into(),
            "write `v.id(\"tableName\")`",
        ));
        return None;
    };
    if !tables.contains(t)
        && t != AUTH_TABLE
        && t != IDENTITY_TABLE
        && t != SCHEDULED_TABLE
        && t != STORAGE_TABLE
    {
        d.push(diagnostics::unknown_id_table(
            t,
            arg.at,
            did_you_mean(t, "", tables.ordered.iter().copied().chain([AUTH_TABLE])),
            &tables.ordered,
        ));
        return None;
    }
    Some(Validator::Id(t.clone()))
}

/// `v.object({...})`: an object of field validators.
fn object_validator(
    arg: &Val,
    tables: &TableNames<'_>,
    d: &mut Vec<Diagnostic>,
) -> Option<Validator> {
    let ValKind::Object(entries) = &arg.kind else {
        d.push(diagnostics::bad_validator_args(
            arg.at,
            "`v.object` takes an object of validators".into(),
            "write `v.object({ field: v.string() })`",
        ));
        return None;
    };
    Some(Validator::Object(
        object_fields(entries, tables, false, d)?
            .into_iter()
            .map(|(f, _)| f)
            .collect(),
    ))
}

/// The value of `v.literal(value)`: a string, number or boolean.
fn literal(arg: &Val, d: &mut Vec<Diagnostic>) -> Option<Literal> {
    Some(match &arg.kind {
        ValKind::Str(s) => Literal::String(s.clone()),
        ValKind::Num(n) => Literal::Number(n.clone()),
        ValKind::Bool(b) => Literal::Boolean(*b),
        _ => {
            d.push(diagnostics::bad_validator_args(
                arg.at,
                "`v.literal` takes a string, number or boolean".into(),
                "write `v.literal(\"value\")`",
            ));
            return None;
        }
    })
}

/// `v.union(a, b, ...)`: at least one validator, each checked.
fn union(
    args: &[Val],
    call_at: FileSpan,
    tables: &TableNames<'_>,
    d: &mut Vec<Diagnostic>,
) -> Option<Validator> {
    if args.is_empty() {
        d.push(diagnostics::bad_validator_args(
            call_at,
            "`v.union` needs at least one validator".into(),
            "write `v.union(v.string(), v.number())`",
        ));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for a in args {
        match validator(a, tables, d) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(Validator::Union(out))
}

fn not_validator(val: &Val, d: &mut Vec<Diagnostic>) -> Option<Validator> {
    d.push(diagnostics::not_a_validator(val.describe(), val.at));
    None
}

/// The root object's name, which no shard key may take (shard objects are `<key>:<value>`, and the
/// runtime tells an object's placement family by the part before `:`).
const ROOT_FAMILY: &str = "root";

fn is_scalar(v: &Validator) -> bool {
    matches!(
        v,
        Validator::String
            | Validator::Number
            | Validator::Int64
            | Validator::Boolean
            | Validator::Id(_)
            | Validator::Literal(_)
    )
}

/// Pass 3: placement and indexes of one table whose fields are resolved.
pub fn placement_and_indexes(
    t: &TableDraft,
    fields: &[Field],
    d: &mut Vec<Diagnostic>,
) -> (Placement, Vec<Index>) {
    let placement = placement(t, fields, d);
    let indexes = indexes(t, fields, &placement, d);
    (placement, indexes)
}

/// `.global()` or `.shardBy(key)` (at most one, once), the key a required scalar field.
fn placement(t: &TableDraft, fields: &[Field], d: &mut Vec<Diagnostic>) -> Placement {
    for dup in t.globals.iter().skip(1) {
        d.push(diagnostics::global_twice(&t.name, *dup, t.globals[0]));
    }
    for dup in t.shards.iter().skip(1) {
        d.push(diagnostics::shard_by_twice(&t.name, dup.2, t.shards[0].2));
    }
    let mut placement = Placement::Root;
    if let (Some(g), Some(s)) = (t.globals.first(), t.shards.first()) {
        d.push(diagnostics::global_and_shard(&t.name, s.2, *g));
    } else if !t.globals.is_empty() {
        placement = Placement::Global;
    } else if let Some((key, at, _)) = t.shards.first() {
        match fields.iter().find(|f| f.name == *key) {
            None => d.push(diagnostics::shard_key_missing(&t.name, key, *at, fields)),
            Some(f) if !is_scalar(&f.validator) => d.push(diagnostics::shard_key_not_scalar(
                &t.name,
                key,
                *at,
                f.span.unwrap_or(*at),
                !t.variants.is_empty(),
                f.is_optional(),
            )),
            Some(f) if key == ROOT_FAMILY => d.push(diagnostics::shard_key_reserved(
                &t.name,
                key,
                *at,
                f.span.unwrap_or(*at),
                ROOT_FAMILY,
            )),
            Some(_) => placement = Placement::Shard { key: key.clone() },
        }
    }
    placement
}

/// The table's `.index(...)`s, each named once and on fields it can order by.
fn indexes(
    t: &TableDraft,
    fields: &[Field],
    placement: &Placement,
    d: &mut Vec<Diagnostic>,
) -> Vec<Index> {
    let mut indexes: Vec<Index> = Vec::new();
    let mut seen: HashMap<&str, FileSpan> = HashMap::new();
    for i in &t.indexes {
        if let Some(first) = seen.get(i.name.as_str()) {
            d.push(diagnostics::duplicate_index(
                &i.name, &t.name, i.name_at, *first,
            ));
            continue;
        }
        seen.insert(&i.name, i.name_at);
        let ok = index_ok(t, i, fields, placement, d);
        if ok {
            indexes.push(Index {
                name: i.name.clone(),
                span: Some(i.name_at),
                fields: i.fields.iter().map(|(f, _)| f.clone()).collect(),
                unique: i.unique,
            });
        }
    }
    indexes
}

/// One index's name and fields (the duplicate-name check aside).
fn index_ok(
    t: &TableDraft,
    i: &IndexDraft,
    fields: &[Field],
    placement: &Placement,
    d: &mut Vec<Diagnostic>,
) -> bool {
    let mut ok = check_name("index", &i.name, i.name_at, d);
    if ok && BUILTIN_INDEXES.iter().any(|(n, _)| *n == i.name) {
        d.push(diagnostics::index_name_reserved(&i.name, i.name_at));
        ok = false;
    }
    if i.fields.is_empty() {
        d.push(diagnostics::index_no_fields(&i.name, i.fields_at));
        ok = false;
    }
    let mut seen_fields: HashMap<&str, FileSpan> = HashMap::new();
    for (f, at) in &i.fields {
        if let Some(first) = seen_fields.get(f.as_str()) {
            d.push(diagnostics::index_field_twice(&i.name, f, *at, *first));
            ok = false;
            continue;
        }
        seen_fields.insert(f, *at);
        if f == "_creationTime" {
            continue;
        }
        if f.starts_with('_') {
            d.push(diagnostics::index_system_field(&i.name, f, *at));
            ok = false;
        } else if !fields.iter().any(|x| x.name == *f) {
            d.push(diagnostics::unknown_index_field(
                format!("index `{}` is on", i.name),
                &t.name,
                f,
                *at,
                fields,
                "index",
            ));
            ok = false;
        } else if let Some(field) = fields.iter().find(|x| x.name == *f)
            && let Some(refusal) = index_refusal(&field.validator, placement)
        {
            d.push(match refusal {
                IndexRefusal::Kind(kind) => diagnostics::unindexable_field(&i.name, f, kind, *at),
                IndexRefusal::OptionalNullable => {
                    diagnostics::unindexable_optional_nullable(&i.name, f, *at)
                }
                IndexRefusal::NullableInD1 => {
                    diagnostics::unindexable_nullable_global(&i.name, &t.name, f, *at)
                }
            });
            ok = false;
        }
    }
    ok
}

/// Why an index cannot be on a field (see [`index_refusal`]).
enum IndexRefusal {
    /// Its values have no order in storage (the kind, for the message).
    Kind(&'static str),
    /// `v.optional(v.union(T, v.null()))`: absent and null would both be SQL NULL in the index.
    OptionalNullable,
    /// `v.union(v.int64(), v.null())` of a global table: D1 indexes a nullable field through
    /// `json_extract` of its JSON column, which gives an int64's tag object, not its value.
    NullableInD1,
}

/// Why an index cannot be on a field of a table with `placement`, or `None`: a field
/// [`unindexable`] accepts, or a required `v.union(T, v.null())` whose `T` it accepts (in D1 not an
/// int64) — a null is SQL NULL in the index expression and orders first, as Convex orders `null`
/// below every value.
fn index_refusal(validator: &Validator, placement: &Placement) -> Option<IndexRefusal> {
    let (inner, optional) = match validator {
        Validator::Optional(inner) => (inner.as_ref(), true),
        v => (v, false),
    };
    let Validator::Union(members) = inner else {
        return unindexable(validator).map(IndexRefusal::Kind);
    };
    let values: Vec<Validator> = members
        .iter()
        .filter(|m| **m != Validator::Null)
        .cloned()
        .collect();
    if values.len() == members.len() {
        return unindexable(validator).map(IndexRefusal::Kind);
    }
    let value = match values.as_slice() {
        [] => Validator::Null,
        [one] => one.clone(),
        _ => Validator::Union(values),
    };
    if let Some(kind) = unindexable(&value) {
        return Some(IndexRefusal::Kind(kind));
    }
    if optional {
        Some(IndexRefusal::OptionalNullable)
    } else if *placement == Placement::Global && value == Validator::Int64 {
        Some(IndexRefusal::NullableInD1)
    } else {
        None
    }
}

/// Why a field cannot be indexed (its kind), or `None` when its values order by value in both
/// storages (docs/ARCHITECTURE.md "DO storage"): string, id, number, boolean, int64, a literal,
/// a union of only strings/ids/string literals, each optionally `v.optional(...)`.
pub fn unindexable(validator: &Validator) -> Option<&'static str> {
    match validator {
        Validator::Optional(inner) => unindexable(inner),
        Validator::String
        | Validator::Id(_)
        | Validator::Number
        | Validator::Boolean
        | Validator::Int64
        | Validator::Literal(_) => None,
        Validator::Union(_) if validator.is_string_like() => None,
        Validator::Union(_) => Some("union"),
        Validator::Bytes => Some("bytes"),
        Validator::Null => Some("null"),
        Validator::Any => Some("any"),
        Validator::Array(_) => Some("array"),
        Validator::Object(_) => Some("object"),
        Validator::Record(_, _) => Some("record"),
    }
}

/// The built-in identity table (docs/ARCHITECTURE.md): `users`, or
/// `_identities` when the app owns `users`.
pub fn builtin_identities(name: &str) -> Table {
    Table {
        name: name.to_string(),
        span: None,
        fields: vec![
            Field {
                name: "name".into(),
                span: None,
                validator: Validator::Optional(Box::new(Validator::String)),
            },
            Field {
                name: "subject".into(),
                span: None,
                validator: Validator::String,
            },
        ],
        indexes: vec![Index {
            name: "by_subject".into(),
            span: None,
            fields: vec!["subject".into()],
            unique: true,
        }],
        search_indexes: Vec::new(),
        placement: Placement::Global,
        variants: Vec::new(),
        builtin: true,
    }
}

/// One name as SQLite stores it, for [`sqlite_name_clashes`].
struct SqlName {
    /// `table \`a\`` or `index \`i\` of \`a\``.
    what: String,
    at: Option<FileSpan>,
    is_index: bool,
}

/// Names Lunora keeps apart but SQLite would not: SQLite ignores ASCII case in
/// table, index and column names, tables and indexes share one namespace, and
/// index `i` of table `t` is stored as `t__i` (D1 migrations and the Durable
/// Object DDL alike). So `Order` and `order`, or index `b__c` of `a` and index
/// `c` of `a__b` (both `a__b__c`), or fields `x` and `X` of one table, would
/// fail a migration or, worse, silently share one object (`IF NOT EXISTS`).
/// Found by the `app` fuzz target. Runs on the final tables (the built-in
/// `users` included).
pub fn sqlite_name_clashes(tables: &[Table], d: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::BTreeMap<String, SqlName> = std::collections::BTreeMap::new();

    for t in tables {
        // SQLite reserves every object name starting with `sqlite_` (found by fuzzing).
        if let Some(at) = t.span
            && t.name
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("sqlite_"))
        {
            d.push(diagnostics::sqlite_reserved_table(&t.name, at));
        }
        let mut names = vec![(
            t.name.clone(),
            SqlName {
                what: format!("table `{}`", t.name),
                at: t.span,
                is_index: false,
            },
        )];
        for i in &t.indexes {
            names.push((
                format!("{}__{}", t.name, i.name),
                SqlName {
                    what: format!("index `{}` of `{}`", i.name, t.name),
                    at: i.span,
                    is_index: true,
                },
            ));
        }
        // A search index is the FTS5 table `<table>__<name>` (docs/ARCHITECTURE.md "Text search").
        for i in &t.search_indexes {
            names.push((
                format!("{}__{}", t.name, i.name),
                SqlName {
                    what: format!("search index `{}` of `{}`", i.name, t.name),
                    at: i.span,
                    is_index: true,
                },
            ));
        }
        for (sql, name) in names {
            let key = sql.to_ascii_lowercase();
            match seen.get(&key) {
                Some(first) => {
                    if let Some(diag) = diagnostics::sqlite_name_clash(
                        &first.what,
                        &name.what,
                        &sql,
                        first.is_index || name.is_index,
                        name.at,
                        first.at,
                    ) {
                        d.push(diag);
                    }
                }
                None => {
                    seen.insert(key, name);
                }
            }
        }
        let mut fields: HashMap<String, &Field> = HashMap::new();
        for f in &t.fields {
            match fields.get(&f.name.to_ascii_lowercase()) {
                Some(first) => {
                    if let Some(diag) = diagnostics::sqlite_field_clash(
                        &first.name,
                        &f.name,
                        &t.name,
                        f.span,
                        first.span,
                    ) {
                        d.push(diag);
                    }
                }
                None => {
                    fields.insert(f.name.to_ascii_lowercase(), f);
                }
            }
        }
    }
}
