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
use lunora_parser::{Code, Diagnostic, FileId, Files, Span};

/// Root-relative path of the config file.
pub const WRANGLER_FILE: &str = "wrangler.jsonc";
/// The Durable Object binding `@lunora/runtime` reads (its default).
pub const SHARD_BINDING: &str = "LUNORA_SHARD";
/// The class the template's Worker exports.
pub const SHARD_CLASS: &str = "LunoraShard";
/// The D1 binding `@lunora/runtime` reads (its default).
pub const D1_BINDING: &str = "DB";
/// The R2 binding `@lunora/runtime` stores files in (its default).
pub const R2_BINDING: &str = "STORAGE";
/// The database id `lunora init` writes until `wrangler d1 create` gives a real one.
pub const PLACEHOLDER_DATABASE_ID: &str = "00000000-0000-4000-8000-000000000000";

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
        None => v.error(
            Code::ConfigMain,
            "no `main` (the Worker entry)",
            top,
            "this object needs `main`",
            "add `\"main\": \"src/server/index.ts\"`",
        ),
        Some(prop) => match &prop.value {
            Value::StringLit(s) if root.join(s.value.as_ref()).is_file() => {}
            Value::StringLit(s) => v.error(
                Code::ConfigMain,
                format!("`main` names `{}`, which does not exist", s.value),
                range_span(&s.range),
                "no such file",
                "point `main` at the Worker entry that calls `createWorker` (relative to the app root)",
            ),
            other => v.error(
                Code::ConfigMain,
                "`main` must be a string",
                value_span(other),
                "not a string",
                "set `main` to the Worker entry's path, e.g. `\"src/server/index.ts\"`",
            ),
        },
    }

    // compatibility_date
    match config.get("compatibility_date") {
        None => v.error(
            Code::ConfigCompatibilityDate,
            "no `compatibility_date`",
            top,
            "this object needs `compatibility_date`",
            "add `\"compatibility_date\": \"2026-05-01\"` (the pinned workerd accepts dates up to 2026-05-03)",
        ),
        Some(prop) => match &prop.value {
            Value::StringLit(s) if is_date(&s.value) => {}
            other => v.error(
                Code::ConfigCompatibilityDate,
                "`compatibility_date` must be a `YYYY-MM-DD` string",
                value_span(other),
                "not a date",
                "use a date such as `\"2026-05-01\"`",
            ),
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
    let all = needed
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(triggers) = config.get("triggers") else {
        v.error(
            Code::ConfigCrons,
            "no `triggers`: the cron jobs of `lunora/crons.ts` would never run",
            top,
            "this object needs `triggers.crons`",
            format!("add `\"triggers\": {{ \"crons\": [{all}] }}`"),
        );
        return;
    };
    let Value::Object(t) = &triggers.value else {
        v.error(
            Code::ConfigCrons,
            "`triggers` must be an object",
            value_span(&triggers.value),
            "not an object",
            format!("write `\"triggers\": {{ \"crons\": [{all}] }}`"),
        );
        return;
    };
    let Some(crons) = t.get_array("crons") else {
        let at = t.get("crons").map_or(prop_span(triggers), prop_span);
        v.error(
            Code::ConfigCrons,
            "no `triggers.crons` array: the cron jobs of `lunora/crons.ts` would never run",
            at,
            "expected a `crons` array",
            format!("add `\"crons\": [{all}]`"),
        );
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
    let shown = missing
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    v.error(
        Code::ConfigCrons,
        format!(
            "`triggers.crons` lacks {shown}, which `lunora/crons.ts` needs",
            ),
        range_span(&crons.range),
        format!("{} missing", if missing.len() == 1 { "one expression" } else { "expressions" }),
        format!("add {shown} to `triggers.crons`, written exactly so: the Worker runs the jobs whose expression is the trigger's"),
    );
}

/// Parses `text`; `None` (with a diagnostic) unless it holds one object.
fn parse<'a>(text: &'a str, v: &mut Validator) -> Option<jsonc_parser::ParseResult<'a>> {
    let parsed = match parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()) {
        Err(e) => {
            let range = e.range();
            v.error(
                Code::ConfigSyntax,
                format!("{WRANGLER_FILE} is not valid JSON with comments"),
                span(range.start, range.end.max(range.start + 1).min(text.len())),
                e.kind().to_string(),
                "fix the syntax; comments and trailing commas are allowed",
            );
            return None;
        }
        Ok(parsed) => parsed,
    };
    match &parsed.value {
        Some(Value::Object(_)) => return Some(parsed),
        Some(other) => v.error(
            Code::ConfigSyntax,
            format!("{WRANGLER_FILE} must hold one object"),
            value_span(other),
            "not an object",
            "start from the file `lunora init` writes",
        ),
        None => v.error(
            Code::ConfigSyntax,
            format!("{WRANGLER_FILE} is empty"),
            span(0, 0),
            "no object here",
            "start from the file `lunora init` writes",
        ),
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
        v.error(
            Code::ConfigShardBinding,
            format!("no Durable Object binding for the shard class `{SHARD_CLASS}`"),
            at,
            "expected `durable_objects.bindings`",
            format!(
                "add `\"durable_objects\": {{ \"bindings\": [{{ \"name\": \"{SHARD_BINDING}\", \"class_name\": \"{SHARD_CLASS}\" }}] }}`"
            ),
        );
        return;
    };
    let found = objects(bindings).find(|b| string(b, "class_name") == Some(SHARD_CLASS));
    match found {
        None => v.error(
            Code::ConfigShardBinding,
            format!("no Durable Object binding for the shard class `{SHARD_CLASS}`"),
            range_span(&bindings.range),
            "no binding here has this class",
            format!("add `{{ \"name\": \"{SHARD_BINDING}\", \"class_name\": \"{SHARD_CLASS}\" }}`"),
        ),
        Some(binding) => match binding.get_string("name") {
            Some(name) if name.value == SHARD_BINDING => {}
            Some(name) => v.error(
                Code::ConfigShardBinding,
                format!(
                    "the shard binding must be named `{SHARD_BINDING}`, not `{}`",
                    name.value
                ),
                range_span(&name.range),
                "@lunora/runtime reads this binding by name",
                format!("rename it to `\"{SHARD_BINDING}\"`"),
            ),
            None => v.error(
                Code::ConfigShardBinding,
                "the shard binding has no `name`",
                range_span(&binding.range),
                "no `name`",
                format!("add `\"name\": \"{SHARD_BINDING}\"`"),
            ),
        },
    }
}

fn check_shard_migration(v: &mut Validator, config: &Object<'_>, top: Span) {
    let help = format!(
        "add `\"migrations\": [{{ \"tag\": \"v1\", \"new_sqlite_classes\": [\"{SHARD_CLASS}\"] }}]`"
    );
    let Some(migrations) = config.get_array("migrations") else {
        let at = config.get("migrations").map_or(top, prop_span);
        v.error(
            Code::ConfigShardMigration,
            format!("no Durable Object migration creates `{SHARD_CLASS}` with SQLite storage"),
            at,
            "expected a `migrations` array",
            help,
        );
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
        v.error(
            Code::ConfigShardMigration,
            format!("`{SHARD_CLASS}` is created without SQLite storage"),
            at,
            "listed in `new_classes`",
            format!(
                "the shard stores its tables in SQLite: list `{SHARD_CLASS}` in `new_sqlite_classes` instead"
            ),
        );
        return;
    }
    v.error(
        Code::ConfigShardMigration,
        format!("no Durable Object migration creates `{SHARD_CLASS}` with SQLite storage"),
        range_span(&migrations.range),
        "no `new_sqlite_classes` here lists the shard class",
        help,
    );
}

/// The R2 bucket of `ctx.storage`: an `r2_buckets` entry with `"binding":
/// "STORAGE"` (its `bucket_name` may be left to wrangler's provisioning).
fn check_r2(v: &mut Validator, config: &Object<'_>, top: Span) {
    let help = format!(
        "add `\"r2_buckets\": [{{ \"binding\": \"{R2_BINDING}\", \"bucket_name\": \"<name>\" }}]` (wrangler creates the bucket on deploy, and simulates it locally)"
    );
    let message = format!("the app uses file storage but there is no R2 binding `{R2_BINDING}`");
    let Some(buckets) = config.get_array("r2_buckets") else {
        let at = config.get("r2_buckets").map_or(top, prop_span);
        v.error(
            Code::ConfigR2Binding,
            message,
            at,
            "expected an `r2_buckets` array",
            help,
        );
        return;
    };
    if !objects(buckets).any(|b| string(b, "binding") == Some(R2_BINDING)) {
        v.error(
            Code::ConfigR2Binding,
            message,
            range_span(&buckets.range),
            format!("no entry here has `\"binding\": \"{R2_BINDING}\"`"),
            help,
        );
    }
}

/// Returns the database name of a valid D1 binding.
fn check_d1(v: &mut Validator, config: &Object<'_>, top: Span, remote: bool) -> Option<String> {
    let help = format!(
        "add `\"d1_databases\": [{{ \"binding\": \"{D1_BINDING}\", \"database_name\": \"<name>\", \"database_id\": \"<id from `wrangler d1 create <name>`>\", \"migrations_dir\": \"lunora/migrations\" }}]`"
    );
    let Some(dbs) = config.get_array("d1_databases") else {
        let at = config.get("d1_databases").map_or(top, prop_span);
        v.error(
            Code::ConfigD1Binding,
            format!("the schema has global tables but there is no D1 binding `{D1_BINDING}`"),
            at,
            "expected a `d1_databases` array",
            help,
        );
        return None;
    };
    let Some(db) = objects(dbs).find(|d| string(d, "binding") == Some(D1_BINDING)) else {
        v.error(
            Code::ConfigD1Binding,
            format!("the schema has global tables but there is no D1 binding `{D1_BINDING}`"),
            range_span(&dbs.range),
            format!("no entry here has `\"binding\": \"{D1_BINDING}\"`"),
            help,
        );
        return None;
    };
    let name = match db.get_string("database_name") {
        Some(name) => Some(name.value.to_string()),
        None => {
            v.error(
                Code::ConfigD1Binding,
                "the D1 binding has no `database_name`",
                range_span(&db.range),
                "no `database_name`",
                "add the name you gave `wrangler d1 create`",
            );
            None
        }
    };
    match db.get_string("database_id") {
        None => v.error(
            Code::ConfigD1Binding,
            "the D1 binding has no `database_id`",
            range_span(&db.range),
            "no `database_id`",
            "add the id `wrangler d1 create <name>` printed",
        ),
        Some(id) if id.value == PLACEHOLDER_DATABASE_ID => {
            let message = "`database_id` is the template's placeholder";
            let help = "run `wrangler d1 create <name>` and paste the id it prints here";
            let diagnostic = if remote {
                Diagnostic::error(Code::ConfigPlaceholderDatabaseId, message)
            } else {
                Diagnostic::warning(Code::ConfigPlaceholderDatabaseId, message)
            };
            v.out.push(
                diagnostic
                    .with_label(v.file, range_span(&id.range), "not a real database")
                    .with_help(help),
            );
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
    fn error(
        &mut self,
        code: Code,
        message: impl Into<String>,
        at: Span,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.out.push(
            Diagnostic::error(code, message)
                .with_label(self.file, at, label)
                .with_help(help),
        );
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
