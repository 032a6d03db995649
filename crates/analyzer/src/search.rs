//! Text search indexes: `.searchIndex(name, { searchField, filterFields? })` in the
//! schema (pass 1 reads the call in [`crate::schema`], pass 3 here checks it against
//! the table's fields) and
//! `.withSearchIndex(name, (q) => q.search(field, text).eq(filterField, value))` in
//! function bodies. Storage and semantics: docs/ARCHITECTURE.md "Text search".

use std::collections::HashMap;

use lunora_parser::{Diagnostic, FileId, FileSpan};

use crate::diagnostics::{self, unknown_index_field};
use crate::ir::{Field, Placement, SearchIndex, Table, Validator};
use crate::schema::{SearchIndexDraft, check_name, unindexable};

/// Convex's limit on filter fields per search index.
pub const MAX_FILTER_FIELDS: usize = 16;

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
            d.push(diagnostics::duplicate_search_index(
                &s.name, table, s.name_at, *first,
            ));
            continue;
        }
        seen.insert(&s.name, s.name_at);
        let mut ok = check_name("search index", &s.name, s.name_at, d);
        let (sf, sf_at) = &s.search_field;
        match fields.iter().find(|f| f.name == *sf) {
            _ if sf.starts_with('_') => {
                d.push(diagnostics::search_system_field(&s.name, sf, *sf_at));
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
                d.push(diagnostics::search_field_not_string(
                    &s.name,
                    sf,
                    *sf_at,
                    f.span.unwrap_or(*sf_at),
                ));
                ok = false;
            }
            Some(_) => {}
        }
        let mut seen_filters: HashMap<&str, FileSpan> = HashMap::new();
        for (i, (f, at)) in s.filter_fields.iter().enumerate() {
            if i == MAX_FILTER_FIELDS {
                d.push(diagnostics::too_many_filter_fields(
                    &s.name,
                    MAX_FILTER_FIELDS,
                    *at,
                ));
                ok = false;
                break;
            }
            if let Some(first) = seen_filters.get(f.as_str()) {
                d.push(diagnostics::filter_field_twice(&s.name, f, *at, *first));
                ok = false;
                continue;
            }
            seen_filters.insert(f, *at);
            if f.starts_with('_') {
                d.push(diagnostics::filter_system_field(&s.name, f, *at));
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
                        d.push(diagnostics::unfilterable_field(&s.name, f, kind, *at));
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
        d.push(diagnostics::unknown_search_index(
            t,
            name,
            file,
            idx.name_span,
        ));
        return;
    };
    if !idx.conditions_known {
        return;
    }
    let Some(first) = idx.conditions.first() else {
        d.push(diagnostics::search_query_no_search(
            name,
            index,
            file,
            idx.name_span,
        ));
        return;
    };
    for (i, c) in idx.conditions.iter().enumerate() {
        let Some((field, fspan)) = &c.field else {
            return;
        };
        match (i, c.method.as_str()) {
            (0, "search") => {
                if *field != index.search_field {
                    d.push(diagnostics::search_query_wrong_field(
                        field, name, index, file, *fspan,
                    ));
                    return;
                }
            }
            (_, "eq") if i > 0 => {
                if !index.filter_fields.contains(field) {
                    d.push(diagnostics::search_query_not_filter_field(
                        field, name, index, file, *fspan,
                    ));
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
                d.push(diagnostics::search_query_method(
                    other,
                    i == 0,
                    name,
                    index,
                    file,
                    c.method_span,
                ));
                return;
            }
        }
    }
    let _ = first;
}
