//! Pass 1 of a table's indexes: the arguments of `.index(...)` and
//! `.searchIndex(...)` read into drafts, before their fields are checked
//! (pass 3).

use lunora_parser::{Diagnostic, FileSpan};

use crate::diagnostics::bad_method_args;
use crate::eval::{Entry, Val, ValKind};

/// An `.index(...)` as written, before its fields are checked.
pub struct IndexDraft {
    pub name: String,
    pub name_at: FileSpan,
    pub fields: Vec<(String, FileSpan)>,
    pub fields_at: FileSpan,
    pub unique: bool,
}

/// A `.searchIndex(...)` as written, before its fields are checked.
pub struct SearchIndexDraft {
    pub name: String,
    pub name_at: FileSpan,
    pub search_field: (String, FileSpan),
    pub filter_fields: Vec<(String, FileSpan)>,
}

const INDEX_HELP: &str = "write `.index(\"by_field\", [\"field\"])` or `.index(\"by_field\", [\"field\"], { unique: true })`";

const SEARCH_INDEX_HELP: &str =
    "write `.searchIndex(\"search_body\", { searchField: \"body\", filterFields: [\"channel\"] })`";

/// Pass 1: the arguments of `.index(name, [fields], { unique? })` or
/// Convex's `.index(name, { fields, staged? })`.
pub fn index_draft(args: &[Val], call_at: FileSpan, d: &mut Vec<Diagnostic>) -> Option<IndexDraft> {
    let (name, name_at) = draft_name(
        args,
        call_at,
        "an index name must be a string",
        "`.index(...)` needs a name and a list of fields",
        INDEX_HELP,
        d,
    )?;
    let (fields_arg, convex_opts) = index_fields_arg(args, &name, d)?;
    let (fields, fields_at) = index_fields(fields_arg, call_at, &name, d)?;
    let mut unique = false;
    if let Some(opts) = convex_opts {
        convex_index_options(opts, &mut unique, d);
    }
    if let Some(opts) = args.get(2) {
        index_options(opts, &mut unique, d);
    }
    if args.len() > 3 {
        d.push(bad_method_args(
            args[3].at,
            "`.index(...)` takes at most three arguments",
            INDEX_HELP,
        ));
    }
    Some(IndexDraft {
        name,
        name_at,
        fields,
        fields_at,
        unique,
    })
}

/// An index's name, its method's first argument: a string. `None` when it
/// is no string (`not_string`) or missing (`missing`), reported.
fn draft_name(
    args: &[Val],
    call_at: FileSpan,
    not_string: &str,
    missing: &str,
    help: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<(String, FileSpan)> {
    match args.first() {
        Some(Val {
            kind: ValKind::Str(n),
            at,
        }) => Some((n.clone(), *at)),
        Some(v) => {
            d.push(bad_method_args(v.at, not_string, help));
            None
        }
        None => {
            d.push(bad_method_args(call_at, missing, help));
            None
        }
    }
}

/// The argument of `.index(name, ...)` that lists the fields: the second,
/// or, in Convex's `.index(name, { fields: [...], staged? })`, its `fields`
/// (then the options are returned too). `None` when an options object has
/// no `fields` (reported).
fn index_fields_arg<'v>(
    args: &'v [Val],
    name: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<(Option<&'v Val>, Option<&'v [Entry]>)> {
    match args.get(1) {
        Some(Val {
            kind: ValKind::Object(opts),
            at,
        }) => match opts.iter().rev().find(|o| o.key == "fields") {
            Some(o) => Some((Some(&o.value), Some(opts))),
            None => {
                d.push(bad_method_args(
                    *at,
                    format!("index `{name}` has no `fields`").as_str(),
                    "write `.index(\"by_field\", { fields: [\"field\"] })`",
                ));
                None
            }
        },
        other => Some((other, None)),
    }
}

/// An index's fields: an array of field names, and where it is. `None`
/// when reported.
fn index_fields(
    fields_arg: Option<&Val>,
    call_at: FileSpan,
    name: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<(Vec<(String, FileSpan)>, FileSpan)> {
    match fields_arg {
        Some(Val {
            kind: ValKind::Array(items),
            at,
        }) => {
            let mut out = Vec::new();
            for i in items {
                match &i.kind {
                    ValKind::Str(s) => out.push((s.clone(), i.at)),
                    _ => {
                        d.push(bad_method_args(
                            i.at,
                            "index fields must be strings",
                            INDEX_HELP,
                        ));
                        return None;
                    }
                }
            }
            Some((out, *at))
        }
        Some(v) => {
            d.push(bad_method_args(
                v.at,
                "index fields must be an array of field names",
                INDEX_HELP,
            ));
            None
        }
        None => {
            d.push(bad_method_args(
                call_at,
                format!("index `{name}` has no list of fields").as_str(),
                INDEX_HELP,
            ));
            None
        }
    }
}

/// The options of Convex's `.index(name, { fields, staged?, unique? })`;
/// `unique` is set when given, an unknown option reported.
fn convex_index_options(opts: &[Entry], unique: &mut bool, d: &mut Vec<Diagnostic>) {
    for o in opts {
        match (o.key.as_str(), &o.value.kind) {
            ("fields", _) => {}
            // A staged index is backfilled before it is enabled in Convex; Lunora
            // builds indexes when a table is created or migrated, so it is a plain index.
            ("staged", ValKind::Bool(_)) => {}
            ("unique", ValKind::Bool(b)) => *unique = *b,
            _ => d.push(bad_method_args(
                o.key_at,
                &format!("unknown or invalid index option `{}`", o.key),
                "the index options are `fields: [...]`, `staged: boolean` and `unique: boolean`",
            )),
        }
    }
}

/// The third argument of `.index(name, [fields], { unique })`: an object
/// whose only option is `unique` (set when given); anything else reported.
fn index_options(opts: &Val, unique: &mut bool, d: &mut Vec<Diagnostic>) {
    match opts {
        Val {
            kind: ValKind::Object(opts),
            ..
        } => {
            for o in opts {
                match (o.key.as_str(), &o.value.kind) {
                    ("unique", ValKind::Bool(b)) => *unique = *b,
                    _ => d.push(bad_method_args(
                        o.key_at,
                        &format!("unknown or invalid index option `{}`", o.key),
                        "the only index option is `unique: true | false`",
                    )),
                }
            }
        }
        v => d.push(bad_method_args(
            v.at,
            "index options must be an object",
            INDEX_HELP,
        )),
    }
}

/// Pass 1: the arguments of `.searchIndex(name, { searchField, filterFields?, staged? })`.
pub fn search_index_draft(
    args: &[Val],
    call_at: FileSpan,
    d: &mut Vec<Diagnostic>,
) -> Option<SearchIndexDraft> {
    let (name, name_at) = draft_name(
        args,
        call_at,
        "a search index name must be a string",
        "`.searchIndex(...)` needs a name and `{ searchField }`",
        SEARCH_INDEX_HELP,
        d,
    )?;
    let opts = search_index_options_arg(args, call_at, &name, d)?;
    if args.len() > 2 {
        d.push(bad_method_args(
            args[2].at,
            "`.searchIndex(...)` takes two arguments",
            SEARCH_INDEX_HELP,
        ));
    }
    let SearchOptions {
        search_field,
        filter_fields,
        ok,
    } = search_index_options(opts, d);
    let Some(search_field) = search_field else {
        if ok {
            d.push(bad_method_args(
                args[1].at,
                &format!("search index `{name}` has no `searchField`"),
                SEARCH_INDEX_HELP,
            ));
        }
        return None;
    };
    ok.then_some(SearchIndexDraft {
        name,
        name_at,
        search_field,
        filter_fields,
    })
}

/// The options object of `.searchIndex(name, {...})`, its second argument.
/// `None` when it is no object or missing (reported).
fn search_index_options_arg<'v>(
    args: &'v [Val],
    call_at: FileSpan,
    name: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<&'v [Entry]> {
    match args.get(1) {
        Some(Val {
            kind: ValKind::Object(opts),
            ..
        }) => Some(opts),
        Some(v) => {
            d.push(bad_method_args(
                v.at,
                "search index options must be an object `{ searchField, filterFields? }`",
                SEARCH_INDEX_HELP,
            ));
            None
        }
        None => {
            d.push(bad_method_args(
                call_at,
                &format!("search index `{name}` has no `{{ searchField }}`"),
                SEARCH_INDEX_HELP,
            ));
            None
        }
    }
}

/// What a search index's options name, as read.
struct SearchOptions {
    /// `searchField`, the last when repeated.
    search_field: Option<(String, FileSpan)>,
    /// `filterFields`, the last list when repeated.
    filter_fields: Vec<(String, FileSpan)>,
    /// No option was reported.
    ok: bool,
}

/// Reads a search index's options; a bad one is reported (and clears `ok`).
fn search_index_options(opts: &[Entry], d: &mut Vec<Diagnostic>) -> SearchOptions {
    let mut ok = true;
    let mut search_field = None;
    let mut filter_fields = Vec::new();
    for o in opts {
        match (o.key.as_str(), &o.value.kind) {
            ("searchField", ValKind::Str(f)) => search_field = Some((f.clone(), o.value.at)),
            ("filterFields", ValKind::Array(items)) => {
                filter_fields.clear();
                for i in items {
                    match &i.kind {
                        ValKind::Str(f) => filter_fields.push((f.clone(), i.at)),
                        _ => {
                            d.push(bad_method_args(
                                i.at,
                                "filter fields must be strings",
                                SEARCH_INDEX_HELP,
                            ));
                            ok = false;
                        }
                    }
                }
            }
            // Convex backfills a staged index before enabling it; Lunora builds search
            // indexes with the table (and migrations populate them), so it is a plain one.
            ("staged", ValKind::Bool(_)) => {}
            _ => {
                d.push(bad_method_args(
                    o.key_at,
                    &format!("unknown or invalid search index option `{}`", o.key),
                    "the search index options are `searchField: \"field\"`, `filterFields: [\"field\", ...]` and `staged: boolean`",
                ));
                ok = false;
            }
        }
    }
    SearchOptions {
        search_field,
        filter_fields,
        ok,
    }
}
