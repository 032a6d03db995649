//! Text search indexes: `.searchIndex(name, { searchField, filterFields? })` in the
//! schema (pass 1 reads the call, pass 3 checks it against the table's fields) and
//! `.withSearchIndex(name, (q) => q.search(field, text).eq(filterField, value))` in
//! function bodies. Storage and semantics: docs/ARCHITECTURE.md "Text search".

use std::collections::HashMap;

use lunora_parser::{Code, Diagnostic, FileId, FileSpan};

use crate::eval::{Val, ValKind};
use crate::ir::{Field, Placement, SearchIndex, Table, Validator};
use crate::schema::{bad_method_args, check_name, err, unindexable, unknown_index_field};
use crate::suggest::did_you_mean;

/// Convex's limit on filter fields per search index.
pub const MAX_FILTER_FIELDS: usize = 16;

/// A `.searchIndex(...)` as written, before its fields are checked.
pub struct SearchIndexDraft {
    pub name: String,
    pub name_at: FileSpan,
    pub search_field: (String, FileSpan),
    pub filter_fields: Vec<(String, FileSpan)>,
}

const HELP: &str =
    "write `.searchIndex(\"search_body\", { searchField: \"body\", filterFields: [\"channel\"] })`";

/// Pass 1: the arguments of `.searchIndex(name, { searchField, filterFields?, staged? })`.
pub fn search_index_draft(
    args: &[Val],
    call_at: FileSpan,
    d: &mut Vec<Diagnostic>,
) -> Option<SearchIndexDraft> {
    let (name, name_at) = match args.first() {
        Some(Val {
            kind: ValKind::Str(n),
            at,
        }) => (n.clone(), *at),
        Some(v) => {
            d.push(bad_method_args(
                v.at,
                "a search index name must be a string",
                HELP,
            ));
            return None;
        }
        None => {
            d.push(bad_method_args(
                call_at,
                "`.searchIndex(...)` needs a name and `{ searchField }`",
                HELP,
            ));
            return None;
        }
    };
    let opts = match args.get(1) {
        Some(Val {
            kind: ValKind::Object(opts),
            ..
        }) => opts,
        Some(v) => {
            d.push(bad_method_args(
                v.at,
                "search index options must be an object `{ searchField, filterFields? }`",
                HELP,
            ));
            return None;
        }
        None => {
            d.push(bad_method_args(
                call_at,
                &format!("search index `{name}` has no `{{ searchField }}`"),
                HELP,
            ));
            return None;
        }
    };
    if args.len() > 2 {
        d.push(bad_method_args(
            args[2].at,
            "`.searchIndex(...)` takes two arguments",
            HELP,
        ));
    }
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
                            d.push(bad_method_args(i.at, "filter fields must be strings", HELP));
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
    let Some(search_field) = search_field else {
        if ok {
            d.push(bad_method_args(
                args[1].at,
                &format!("search index `{name}` has no `searchField`"),
                HELP,
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

fn is_text(v: &Validator) -> bool {
    match v {
        Validator::String => true,
        Validator::Optional(inner) => matches!(inner.as_ref(), Validator::String),
        _ => false,
    }
}

/// Pass 3: a table's search indexes, checked against its fields. `index_names`
/// holds the table's `.index(...)` names (one namespace with search indexes).
pub fn search_indexes(
    table: &str,
    drafts: &[SearchIndexDraft],
    index_names: &HashMap<&str, FileSpan>,
    fields: &[Field],
    d: &mut Vec<Diagnostic>,
) -> Vec<SearchIndex> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, FileSpan> = HashMap::new();
    for s in drafts {
        if let Some(first) = index_names
            .get(s.name.as_str())
            .or(seen.get(s.name.as_str()))
        {
            d.push(
                err(
                    Code::DuplicateIndex,
                    format!("index `{}` is defined twice on `{table}`", s.name),
                    s.name_at,
                    "defined again here",
                )
                .and_label(first.file, first.span, "first defined here")
                .with_help("indexes and search indexes share one namespace: rename or remove one of the two"),
            );
            continue;
        }
        seen.insert(&s.name, s.name_at);
        let mut ok = check_name("search index", &s.name, s.name_at, d);
        let (sf, sf_at) = &s.search_field;
        match fields.iter().find(|f| f.name == *sf) {
            _ if sf.starts_with('_') => {
                d.push(
                    err(
                        Code::SearchFieldNotString,
                        format!("search index `{}` searches the system field `{sf}`", s.name),
                        *sf_at,
                        "not a text field",
                    )
                    .with_help("search a `v.string()` field of the table"),
                );
                ok = false;
            }
            None => {
                d.push(unknown_index_field(
                    format!("search index `{}` searches", s.name),
                    table,
                    sf,
                    *sf_at,
                    fields,
                    "name",
                ));
                ok = false;
            }
            Some(f) if !is_text(&f.validator) => {
                let at = f.span.unwrap_or(*sf_at);
                d.push(
                    err(
                        Code::SearchFieldNotString,
                        format!("search index `{}` searches `{sf}`, which is not a string field", s.name),
                        *sf_at,
                        "not a string field",
                    )
                    .and_label(at.file, at.span, "field defined here")
                    .with_help("a search field is `v.string()` or `v.optional(v.string())`: only text is tokenized"),
                );
                ok = false;
            }
            Some(_) => {}
        }
        let mut seen_filters: HashMap<&str, FileSpan> = HashMap::new();
        for (i, (f, at)) in s.filter_fields.iter().enumerate() {
            if i == MAX_FILTER_FIELDS {
                d.push(
                    err(
                        Code::BadFilterField,
                        format!(
                            "search index `{}` has more than {MAX_FILTER_FIELDS} filter fields",
                            s.name
                        ),
                        *at,
                        "one too many",
                    )
                    .with_help(format!(
                        "keep at most {MAX_FILTER_FIELDS} filter fields (Convex's limit)"
                    )),
                );
                ok = false;
                break;
            }
            if let Some(first) = seen_filters.get(f.as_str()) {
                d.push(
                    err(
                        Code::BadFilterField,
                        format!("search index `{}` lists `{f}` twice", s.name),
                        *at,
                        "listed again here",
                    )
                    .and_label(first.file, first.span, "first listed here")
                    .with_help("list each filter field once"),
                );
                ok = false;
                continue;
            }
            seen_filters.insert(f, *at);
            if f.starts_with('_') {
                d.push(
                    err(
                        Code::BadFilterField,
                        format!("search index `{}` filters by the system field `{f}`", s.name),
                        *at,
                        "system field",
                    )
                    .with_help("filter by fields of the document; order or range by `_creationTime` with a regular `.index(...)`"),
                );
                ok = false;
                continue;
            }
            match fields.iter().find(|x| x.name == *f) {
                None => {
                    d.push(unknown_index_field(
                        format!("search index `{}` filters by", s.name),
                        table,
                        f,
                        *at,
                        fields,
                        "name",
                    ));
                    ok = false;
                }
                Some(field) => {
                    if let Some(kind) = unindexable(&field.validator) {
                        d.push(
                            err(
                                Code::BadFilterField,
                                format!("search index `{}` filters by `{f}`, a {kind} field, which has no equality in storage", s.name),
                                *at,
                                "not filterable",
                            )
                            .with_help("filter by a string, id, number, boolean, int64 or literal field (optional allowed), or a union of strings/ids/string literals"),
                        );
                        ok = false;
                    }
                }
            }
        }
        if ok {
            out.push(SearchIndex {
                name: s.name.clone(),
                span: Some(s.name_at),
                search_field: sf.clone(),
                filter_fields: s.filter_fields.iter().map(|(f, _)| f.clone()).collect(),
            });
        }
    }
    out
}

/// A function body's `.withSearchIndex(name, (q) => q.search(f, text).eq(g, x)...)`:
/// the index exists, `search` comes first on its searchField, `eq` only on its filter
/// fields. An `eq` on a sharded table's shard key binds the key like `withIndex`.
pub fn check_search_use(
    t: &Table,
    idx: &lunora_parser::summary::IndexUse,
    file: FileId,
    mut bind: impl FnMut(&str, &lunora_parser::summary::Expr),
    d: &mut Vec<Diagnostic>,
) {
    let Some(name) = &idx.name else { return };
    let Some(index) = t.search_indexes.iter().find(|i| i.name == *name) else {
        let names = t.search_indexes.iter().map(|i| i.name.as_str());
        d.push(
            Diagnostic::error(Code::UnknownIndex, format!("table `{}` has no search index `{name}`", t.name))
                .with_label(file, idx.name_span, "no such search index")
                .with_help(did_you_mean(name, "", names).unwrap_or_else(|| {
                    if t.search_indexes.is_empty() {
                        format!(
                            "`{}` has no search indexes: add one with `.searchIndex(\"{name}\", {{ searchField: \"...\" }})`",
                            t.name
                        )
                    } else {
                        format!(
                            "search indexes of `{}`: {}",
                            t.name,
                            t.search_indexes.iter().map(|i| format!("`{}`", i.name)).collect::<Vec<_>>().join(", ")
                        )
                    }
                })),
        );
        return;
    };
    if !idx.conditions_known {
        return;
    }
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
    let bad = |msg: String, at: lunora_parser::Span, label: &str, d: &mut Vec<Diagnostic>| {
        d.push(
            Diagnostic::error(Code::BadSearchQuery, msg)
                .with_label(file, at, label.to_string())
                .with_help(help.clone()),
        );
    };
    let Some(first) = idx.conditions.first() else {
        bad(
            format!(
                "`withSearchIndex(\"{name}\")` has no `q.search(\"{}\", text)`",
                index.search_field
            ),
            idx.name_span,
            "no search text",
            d,
        );
        return;
    };
    for (i, c) in idx.conditions.iter().enumerate() {
        let Some((field, fspan)) = &c.field else {
            return;
        };
        match (i, c.method.as_str()) {
            (0, "search") => {
                if *field != index.search_field {
                    bad(
                        format!(
                            "`q.search(\"{field}\")` on search index `{name}`, whose searchField is `{}`",
                            index.search_field
                        ),
                        *fspan,
                        "not the search field",
                        d,
                    );
                    return;
                }
            }
            (_, "eq") if i > 0 => {
                if !index.filter_fields.contains(field) {
                    bad(
                        format!(
                            "`q.eq(\"{field}\")` on search index `{name}`: `{field}` is not one of its filter fields"
                        ),
                        *fspan,
                        "not a filter field",
                        d,
                    );
                    return;
                }
                if let Some(v) = &c.value
                    && let Placement::Shard { key } = &t.placement
                    && key == field
                {
                    bind(key, v);
                }
            }
            (_, other) => {
                let msg = if i == 0 {
                    format!(
                        "`withSearchIndex(\"{name}\")` must start with `q.search(...)`, not `q.{other}(...)`"
                    )
                } else {
                    format!(
                        "`q.{other}(...)` in `withSearchIndex(\"{name}\")`: only `q.eq(...)` may follow `q.search(...)`"
                    )
                };
                bad(msg, c.method_span, "not allowed here", d);
                return;
            }
        }
    }
    let _ = first;
}
