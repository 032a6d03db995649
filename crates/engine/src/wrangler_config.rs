//! Validation of the app's `wrangler.jsonc` for `lunora deploy` (DESIGN.md):
//! `main` exists, a `compatibility_date`, a Durable Object binding for the
//! shard class with a `new_sqlite_classes` migration, a D1 binding when the
//! schema has global tables (a placeholder database id is an error for a real
//! deploy), an R2 binding when the app uses file storage. Every problem is a [`Diagnostic`] whose label points into the file,
//! which is added to the caller's [`Files`].

use std::path::Path;

use jsonc_parser::ast::{Array, Object, ObjectProp, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
use lunora_parser::{Diagnostic, FileId, Files, Span};

use crate::diagnostics;

pub use crate::layout::{
    D1_BINDING, PLACEHOLDER_DATABASE_ID, R2_BINDING, SHARD_BINDING, SHARD_CLASS, WRANGLER_FILE,
};

/// What the config must provide.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The schema has global tables, so a D1 binding is required.
    pub needs_d1: bool,
    /// The app uses file storage, so the R2 binding is required.
    pub needs_r2: bool,
    /// A real deploy (not `--dry-run`): the placeholder database id is an error.
    pub remote: bool,
    /// The Cron Trigger expressions `lunora/crons.ts` needs (each once):
    /// `triggers.crons` must list every one.
    pub crons: &'a [String],
}

/// Validates `text` (the contents of `wrangler.jsonc` at `root`). The file is
/// added to `files`; the diagnostics point into it.
pub fn validate(root: &Path, text: &str, files: &mut Files, expect: Expect<'_>) -> Vec<Diagnostic> {
    let file = files.add(WRANGLER_FILE, text);
    let mut v = Validator {
        file,
        out: Vec::new(),
    };
    let Some(parsed) = parse(text, &mut v) else {
        return v.out;
    };
    let Some(Value::Object(config)) = &parsed.value else {
        return v.out;
    };
    let top = head(config);

    // main
    match config.get("main") {
        None => v.push(diagnostics::config_no_main(v.file, top)),
        Some(prop) => match &prop.value {
            Value::StringLit(s) if root.join(s.value.as_ref()).is_file() => {}
            Value::StringLit(s) => v.push(diagnostics::config_main_missing(
                &s.value,
                v.file,
                range_span(&s.range),
            )),
            other => v.push(diagnostics::config_main_not_string(
                v.file,
                value_span(other),
            )),
        },
    }

    // compatibility_date
    match config.get("compatibility_date") {
        None => v.push(diagnostics::config_no_compatibility_date(v.file, top)),
        Some(prop) => match &prop.value {
            Value::StringLit(s) if is_date(&s.value) => {}
            other => v.push(diagnostics::config_bad_compatibility_date(
                v.file,
                value_span(other),
            )),
        },
    }

    check_shard_binding(&mut v, config, top);
    check_shard_migration(&mut v, config, top);
    if expect.needs_d1 {
        check_d1(&mut v, config, top, expect.remote);
    }
    if expect.needs_r2 {
        check_r2(&mut v, config, top);
    }
    if !expect.crons.is_empty() {
        check_crons(&mut v, config, top, expect.crons);
    }
    v.out
}

/// `text` with the expressions of `needed` that `triggers.crons` lacks added
/// to it (creating `triggers` or `crons` when absent), everything else kept
/// byte for byte (comments included). `None` when nothing is missing or the
/// file is not an object whose `triggers` (and `triggers.crons`) can take them
/// (`validate` reports why).
pub fn with_crons(text: &str, needed: &[String]) -> Option<String> {
    let parsed = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).ok()?;
    let Some(Value::Object(config)) = &parsed.value else {
        return None;
    };
    // Cron expressions hold no quote or backslash (the analyzer validated them).
    let list = |items: &[&String]| {
        items
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all: Vec<&String> = needed.iter().collect();
    let (at, insert) = match config.get("triggers") {
        None => {
            let comma = if config.properties.is_empty() {
                ""
            } else {
                ","
            };
            (
                config.range.start + 1,
                format!("\n  \"triggers\": {{ \"crons\": [{}] }}{comma}", list(&all)),
            )
        }
        Some(prop) => {
            let Value::Object(t) = &prop.value else {
                return None;
            };
            match t.get("crons") {
                None => {
                    let comma = if t.properties.is_empty() { " " } else { "," };
                    (
                        t.range.start + 1,
                        format!(" \"crons\": [{}]{comma}", list(&all)),
                    )
                }
                Some(cp) => {
                    let Value::Array(a) = &cp.value else {
                        return None;
                    };
                    let listed: Vec<&str> = a
                        .elements
                        .iter()
                        .filter_map(|e| match e {
                            Value::StringLit(s) => Some(s.value.as_ref()),
                            _ => None,
                        })
                        .collect();
                    let missing: Vec<&String> = needed
                        .iter()
                        .filter(|c| !listed.contains(&c.as_str()))
                        .collect();
                    if missing.is_empty() {
                        return None;
                    }
                    match a.elements.last() {
                        None => (a.range.start + 1, list(&missing)),
                        Some(last) => (last.range().end, format!(", {}", list(&missing))),
                    }
                }
            }
        }
    };
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..at]);
    out.push_str(&insert);
    out.push_str(&text[at..]);
    Some(out)
}

/// `triggers.crons` lists every expression the app's cron jobs need: the
/// Worker's `scheduled` handler only runs for the triggers Cloudflare has.
fn check_crons(v: &mut Validator, config: &Object<'_>, top: Span, needed: &[String]) {
    let Some(triggers) = config.get("triggers") else {
        v.push(diagnostics::config_no_triggers(needed, v.file, top));
        return;
    };
    let Value::Object(t) = &triggers.value else {
        v.push(diagnostics::config_triggers_not_object(
            needed,
            v.file,
            value_span(&triggers.value),
        ));
        return;
    };
    let Some(crons) = t.get_array("crons") else {
        let at = t.get("crons").map_or(prop_span(triggers), prop_span);
        v.push(diagnostics::config_no_crons(needed, v.file, at));
        return;
    };
    let listed: Vec<&str> = crons
        .elements
        .iter()
        .filter_map(|e| match e {
            Value::StringLit(s) => Some(s.value.as_ref()),
            _ => None,
        })
        .collect();
    let missing: Vec<&String> = needed
        .iter()
        .filter(|c| !listed.contains(&c.as_str()))
        .collect();
    if missing.is_empty() {
        return;
    }
    v.push(diagnostics::config_crons_missing(
        &missing,
        v.file,
        range_span(&crons.range),
    ));
}

/// Parses `text`; `None` (with a diagnostic) unless it holds one object.
fn parse<'a>(text: &'a str, v: &mut Validator) -> Option<jsonc_parser::ParseResult<'a>> {
    let parsed = match parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()) {
        Err(e) => {
            let range = e.range();
            let at = span(range.start, range.end.max(range.start + 1).min(text.len()));
            v.push(diagnostics::config_syntax(e.kind().to_string(), v.file, at));
            return None;
        }
        Ok(parsed) => parsed,
    };
    match &parsed.value {
        Some(Value::Object(_)) => return Some(parsed),
        Some(other) => v.push(diagnostics::config_not_object(v.file, value_span(other))),
        None => v.push(diagnostics::config_empty(v.file, span(0, 0))),
    }
    None
}

/// Only the D1 part of [`validate`], for `lunora migrate apply/status`: the
/// binding to pass to `wrangler d1 execute` ([`D1_BINDING`]), or the
/// diagnostics (errors first) that say why there is none. The placeholder
/// `database_id` is an error for `remote` and a warning otherwise; warnings
/// alone still give the binding.
pub fn d1_binding(
    text: &str,
    files: &mut Files,
    remote: bool,
) -> (Option<&'static str>, Vec<Diagnostic>) {
    let file = files.add(WRANGLER_FILE, text);
    let mut v = Validator {
        file,
        out: Vec::new(),
    };
    let Some(parsed) = parse(text, &mut v) else {
        return (None, v.out);
    };
    let Some(Value::Object(config)) = &parsed.value else {
        return (None, v.out);
    };
    check_d1(&mut v, config, head(config), remote);
    let ok = !v.out.iter().any(Diagnostic::is_error);
    (ok.then_some(D1_BINDING), v.out)
}

fn check_shard_binding(v: &mut Validator, config: &Object<'_>, top: Span) {
    let bindings = config
        .get_object("durable_objects")
        .and_then(|o| o.get_array("bindings"));
    let Some(bindings) = bindings else {
        let at = config.get("durable_objects").map_or(top, prop_span);
        v.push(diagnostics::config_no_shard_bindings(v.file, at));
        return;
    };
    let found = objects(bindings).find(|b| string(b, "class_name") == Some(SHARD_CLASS));
    match found {
        None => v.push(diagnostics::config_no_shard_binding(
            v.file,
            range_span(&bindings.range),
        )),
        Some(binding) => match binding.get_string("name") {
            Some(name) if name.value == SHARD_BINDING => {}
            Some(name) => v.push(diagnostics::config_shard_binding_name(
                &name.value,
                v.file,
                range_span(&name.range),
            )),
            None => v.push(diagnostics::config_shard_binding_no_name(
                v.file,
                range_span(&binding.range),
            )),
        },
    }
}

fn check_shard_migration(v: &mut Validator, config: &Object<'_>, top: Span) {
    let Some(migrations) = config.get_array("migrations") else {
        let at = config.get("migrations").map_or(top, prop_span);
        v.push(diagnostics::config_no_migrations(v.file, at));
        return;
    };
    let lists = |m: &Object<'_>, key: &str| -> Option<Span> {
        m.get_array(key)?.elements.iter().find_map(|e| match e {
            Value::StringLit(s) if s.value == SHARD_CLASS => Some(range_span(&s.range)),
            _ => None,
        })
    };
    if objects(migrations).any(|m| lists(m, "new_sqlite_classes").is_some()) {
        return;
    }
    if let Some(at) = objects(migrations).find_map(|m| lists(m, "new_classes")) {
        v.push(diagnostics::config_shard_without_sqlite(v.file, at));
        return;
    }
    v.push(diagnostics::config_no_shard_migration(
        v.file,
        range_span(&migrations.range),
    ));
}

/// The R2 bucket of `ctx.storage`: an `r2_buckets` entry with `"binding":
/// "STORAGE"` (its `bucket_name` may be left to wrangler's provisioning).
fn check_r2(v: &mut Validator, config: &Object<'_>, top: Span) {
    let Some(buckets) = config.get_array("r2_buckets") else {
        let at = config.get("r2_buckets").map_or(top, prop_span);
        v.push(diagnostics::config_no_r2(false, v.file, at));
        return;
    };
    if !objects(buckets).any(|b| string(b, "binding") == Some(R2_BINDING)) {
        v.push(diagnostics::config_no_r2(
            true,
            v.file,
            range_span(&buckets.range),
        ));
    }
}

/// Returns the database name of a valid D1 binding.
fn check_d1(v: &mut Validator, config: &Object<'_>, top: Span, remote: bool) -> Option<String> {
    let Some(dbs) = config.get_array("d1_databases") else {
        let at = config.get("d1_databases").map_or(top, prop_span);
        v.push(diagnostics::config_no_d1(false, v.file, at));
        return None;
    };
    let Some(db) = objects(dbs).find(|d| string(d, "binding") == Some(D1_BINDING)) else {
        v.push(diagnostics::config_no_d1(
            true,
            v.file,
            range_span(&dbs.range),
        ));
        return None;
    };
    let name = match db.get_string("database_name") {
        Some(name) => Some(name.value.to_string()),
        None => {
            v.push(diagnostics::config_d1_no_name(
                v.file,
                range_span(&db.range),
            ));
            None
        }
    };
    match db.get_string("database_id") {
        None => v.push(diagnostics::config_d1_no_id(v.file, range_span(&db.range))),
        Some(id) if id.value == PLACEHOLDER_DATABASE_ID => {
            v.push(diagnostics::config_placeholder_database_id(
                remote,
                v.file,
                range_span(&id.range),
            ));
        }
        Some(_) => {}
    }
    name
}

struct Validator {
    file: FileId,
    out: Vec<Diagnostic>,
}

impl Validator {
    fn push(&mut self, diagnostic: Diagnostic) {
        self.out.push(diagnostic);
    }
}

fn objects<'b, 'a>(array: &'b Array<'a>) -> impl Iterator<Item = &'b Object<'a>> {
    array.elements.iter().filter_map(|e| match e {
        Value::Object(o) => Some(o),
        _ => None,
    })
}

fn string<'b>(object: &'b Object<'_>, key: &str) -> Option<&'b str> {
    object.get_string(key).map(|s| s.value.as_ref())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..10].parse::<u8>(), Ok(1..=31))
}

fn span(start: usize, end: usize) -> Span {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Span::new(clamp(start), clamp(end.max(start)))
}

fn range_span(range: &jsonc_parser::common::Range) -> Span {
    span(range.start, range.end)
}

fn value_span(value: &Value<'_>) -> Span {
    range_span(&value.range())
}

fn prop_span(prop: &ObjectProp<'_>) -> Span {
    range_span(&prop.range)
}

/// The opening brace of the top-level object: where "this object needs X" points.
fn head(object: &Object<'_>) -> Span {
    span(object.range.start, object.range.start + 1)
}
