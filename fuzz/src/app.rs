//! A structured app for the `app` fuzz target: `lunora/schema.ts`, sometimes a
//! const module, and function modules, drawn so that most apps are close to
//! valid (tables, fields and indexes used by functions come from the schema),
//! with names picked from pools that hold the awkward cases: SQL keywords,
//! names differing only in case, `__` (the SQLite index-name separator), `$`,
//! reserved `_` names and non-identifiers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use arbitrary::{Arbitrary, Result, Unstructured};

const TABLES: &[&str] = &[
    "channels", "messages", "users", "order", "Order", "a", "a__b", "b", "t$1", "docs", "_hidden",
];
const FIELDS: &[&str] = &[
    "name",
    "Name",
    "body",
    "channelId",
    "n",
    "select",
    "x__y",
    "createdAt",
    "tags",
    "id",
    "$x",
    "_id",
    "_creationTime",
    "a-b",
    "",
];
const INDEXES: &[&str] = &[
    "by_name",
    "by_channel",
    "b__c",
    "b",
    "unique",
    "i",
    "By_name",
];
const MODULES: &[&str] = &[
    "messages",
    "admin/index",
    "admin/audit-log",
    "select",
    "a_b",
    "a-b",
    "1bad",
    "index",
    "x.y",
];
const FUNCS: &[&str] = &[
    "list",
    "send",
    "get",
    "default",
    "constructor",
    "select",
    "x",
    "$",
];
const ARGS: &[&str] = &[
    "channelId",
    "id",
    "text",
    "n",
    "limit",
    "room",
    "args",
    "ctx",
];
const STRINGS: &[&str] = &[
    "",
    "a",
    "\"",
    "\\",
    "it's",
    "${x}",
    "</script>",
    "é",
    "\u{2028}",
    "a\nb",
    "`",
    "*/",
];
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "2.5",
    "1e21",
    "0x10",
    "-0",
    "9007199254740993",
    "1_000",
];
const KINDS: &[(&str, &str)] = &[
    ("query", "query"),
    ("mutation", "mutation"),
    ("action", "action"),
    ("internalQuery", "query"),
    ("internalMutation", "mutation"),
    ("internalAction", "action"),
];

/// An app: root-relative paths and their contents.
#[derive(Debug)]
pub struct App {
    pub files: Vec<(String, Vec<u8>)>,
}

impl App {
    /// `{"<path>": "<text>", ...}`, the format of `fuzz/regressions/app/*.json`.
    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, String> = self
            .files
            .iter()
            .map(|(p, c)| (p.as_str(), String::from_utf8_lossy(c).into_owned()))
            .collect();
        serde_json::to_string_pretty(&map).unwrap_or_default()
    }
}

struct Table {
    name: String,
    fields: Vec<String>,
    /// Index name and its fields.
    indexes: Vec<(String, Vec<String>)>,
}

fn pick<'a>(u: &mut Unstructured<'_>, pool: &[&'a str]) -> Result<&'a str> {
    Ok(*u.choose(pool)?)
}

/// A JS string literal (JSON strings are valid JS string literals).
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// An object key: bare when it is an identifier, quoted otherwise.
fn key(s: &str) -> String {
    let mut c = s.chars();
    let ident = matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_' || f == '$')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$');
    if ident { s.to_owned() } else { lit(s) }
}

fn validator(
    u: &mut Unstructured<'_>,
    depth: u32,
    tables: &[String],
    out: &mut String,
) -> Result<()> {
    let composite = depth > 0 && u.ratio(1, 3)?;
    if composite {
        match u.int_in_range(0..=4)? {
            0 => {
                out.push_str("v.optional(");
                validator(u, depth - 1, tables, out)?;
                out.push(')');
            }
            1 => {
                out.push_str("v.array(");
                validator(u, depth - 1, tables, out)?;
                out.push(')');
            }
            2 => {
                out.push_str("v.object({ ");
                for _ in 0..u.int_in_range(0..=3)? {
                    let f = pick(u, FIELDS)?;
                    let _ = write!(out, "{}: ", key(f));
                    validator(u, depth - 1, tables, out)?;
                    out.push_str(", ");
                }
                out.push_str("})");
            }
            3 => {
                out.push_str("v.union(");
                for i in 0..u.int_in_range(0..=4)? {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    validator(u, depth - 1, tables, out)?;
                }
                out.push(')');
            }
            _ => {
                out.push_str("v.record(");
                if u.arbitrary()? {
                    out.push_str("v.string()");
                } else {
                    validator(u, 0, tables, out)?;
                }
                out.push_str(", ");
                validator(u, depth - 1, tables, out)?;
                out.push(')');
            }
        }
        return Ok(());
    }
    match u.int_in_range(0..=10)? {
        0 => out.push_str("v.number()"),
        1 => out.push_str("v.int64()"),
        2 => out.push_str("v.boolean()"),
        3 => out.push_str("v.bytes()"),
        4 => out.push_str("v.null()"),
        5 => out.push_str("v.any()"),
        6 | 7 => {
            let t = if !tables.is_empty() && u.ratio(3, 4)? {
                u.choose(tables)?.clone()
            } else {
                pick(u, TABLES)?.to_owned()
            };
            let _ = write!(out, "v.id({})", lit(&t));
        }
        8 => {
            let value = match u.int_in_range(0..=2)? {
                0 => lit(pick(u, STRINGS)?),
                1 => pick(u, NUMBERS)?.to_owned(),
                _ => if u.arbitrary()? { "true" } else { "false" }.to_owned(),
            };
            let _ = write!(out, "v.literal({value})");
        }
        _ => out.push_str("v.string()"),
    }
    Ok(())
}

fn schema(u: &mut Unstructured<'_>, files: &mut Vec<(String, Vec<u8>)>) -> Result<Vec<Table>> {
    let n = u.int_in_range(0..=4)?;
    let mut names: Vec<String> = Vec::new();
    for _ in 0..n {
        names.push(pick(u, TABLES)?.to_owned());
    }
    let mut tables = Vec::new();
    let mut consts = String::new();
    let mut body = String::new();
    for name in &names {
        let mut fields = Vec::new();
        let mut fields_ts = String::from("{ ");
        for _ in 0..u.int_in_range(0..=5)? {
            let f = pick(u, FIELDS)?.to_owned();
            let _ = write!(fields_ts, "{}: ", key(&f));
            let depth = u.int_in_range(0..=3)?;
            validator(u, depth, &names, &mut fields_ts)?;
            fields_ts.push_str(", ");
            fields.push(f);
        }
        fields_ts.push('}');
        // Sometimes the fields live in a const module and are spread in.
        let fields_expr = if u.ratio(1, 5)? {
            let c = format!("fields{}", tables.len());
            let _ = writeln!(consts, "export const {c} = {fields_ts};");
            format!("{{ ...{c} }}")
        } else {
            fields_ts
        };
        let mut t = format!("defineTable({fields_expr})");
        match u.int_in_range(0..=3)? {
            0 => t.push_str(".global()"),
            1 => {
                let k = if !fields.is_empty() && u.ratio(4, 5)? {
                    u.choose(&fields)?.clone()
                } else {
                    pick(u, FIELDS)?.to_owned()
                };
                let _ = write!(t, ".shardBy({})", lit(&k));
            }
            _ => {}
        }
        let mut indexes = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let ix = pick(u, INDEXES)?.to_owned();
            let mut cols = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                let c = if !fields.is_empty() && u.ratio(5, 6)? {
                    u.choose(&fields)?.clone()
                } else {
                    pick(u, &["_creationTime", "_id", "nope"])?.to_owned()
                };
                cols.push(c);
            }
            let cols_ts: Vec<String> = cols.iter().map(|c| lit(c)).collect();
            let opts = match u.int_in_range(0..=3)? {
                0 => ", { unique: true }",
                1 => ", { unique: false }",
                _ => "",
            };
            let _ = write!(t, ".index({}, [{}]{opts})", lit(&ix), cols_ts.join(", "));
            indexes.push((ix, cols));
        }
        let _ = writeln!(body, "  {}: {t},", key(name));
        tables.push(Table {
            name: name.clone(),
            fields,
            indexes,
        });
    }
    let mut text =
        String::from("import { defineSchema, defineTable, v } from \"lunorash/server\";\n");
    if !consts.is_empty() {
        let list: Vec<String> = (0..tables.len()).map(|i| format!("fields{i}")).collect();
        // Import only the consts that exist: an unknown import is its own diagnostic.
        let existing: Vec<&String> = list
            .iter()
            .filter(|c| consts.contains(&format!("const {c} ")))
            .collect();
        let names: Vec<&str> = existing.iter().map(|s| s.as_str()).collect();
        let _ = writeln!(
            text,
            "import {{ {} }} from \"./model/consts\";",
            names.join(", ")
        );
        files.push((
            "lunora/model/consts.ts".into(),
            format!("import {{ v }} from \"lunorash/server\";\n{consts}").into_bytes(),
        ));
    }
    if u.arbitrary()? {
        let _ = write!(text, "export default defineSchema({{\n{body}}});\n");
    } else {
        let _ = write!(text, "export const schema = defineSchema({{\n{body}}});\n");
    }
    files.push(("lunora/schema.ts".into(), text.into_bytes()));
    Ok(tables)
}

/// An expression for a value: an argument when there is one, else a literal.
fn value(u: &mut Unstructured<'_>, args: &[String]) -> Result<String> {
    if !args.is_empty() && u.ratio(2, 3)? {
        return Ok(format!("args.{}", u.choose(args)?));
    }
    Ok(match u.int_in_range(0..=2)? {
        0 => lit(pick(u, STRINGS)?),
        1 => pick(u, NUMBERS)?.to_owned(),
        _ => "Date.now()".to_owned(),
    })
}

fn table_ref<'a>(
    u: &mut Unstructured<'_>,
    tables: &'a [Table],
) -> Result<(String, Option<&'a Table>)> {
    if !tables.is_empty() && u.ratio(5, 6)? {
        let t = u.choose(tables)?;
        return Ok((t.name.clone(), Some(t)));
    }
    Ok((pick(u, TABLES)?.to_owned(), None))
}

fn statement(
    u: &mut Unstructured<'_>,
    method: &str,
    tables: &[Table],
    args: &[String],
    out: &mut String,
) -> Result<()> {
    let (name, table) = table_ref(u, tables)?;
    let write = method == "mutation" || u.ratio(1, 8)?;
    match u.int_in_range(0..=4)? {
        0 | 1 if write => {
            let _ = write!(out, "    await ctx.db.insert({}, {{ ", lit(&name));
            if let Some(t) = table {
                for f in &t.fields {
                    if u.ratio(7, 8)? {
                        let _ = write!(out, "{}: {}, ", key(f), value(u, args)?);
                    }
                }
            }
            if u.ratio(1, 6)? {
                out.push_str("...args, ");
            }
            out.push_str("});\n");
        }
        2 if write => {
            let _ = write!(out, "    await ctx.db.patch({}, {{ ", value(u, args)?);
            if let Some(t) = table
                && !t.fields.is_empty()
            {
                let f = u.choose(&t.fields)?;
                let _ = write!(out, "{}: {}", key(f), value(u, args)?);
            }
            out.push_str(" });\n");
        }
        3 if write => {
            let _ = writeln!(out, "    await ctx.db.delete({});", value(u, args)?);
        }
        4 => {
            let _ = writeln!(
                out,
                "    const doc = await ctx.db.get({});",
                value(u, args)?
            );
        }
        _ => {
            let _ = write!(out, "    const rows = await ctx.db.query({})", lit(&name));
            if let Some(t) = table
                && !t.indexes.is_empty()
                && u.ratio(3, 4)?
            {
                let (ix, cols) = u.choose(&t.indexes)?;
                let _ = write!(out, ".withIndex({}, (q) => q", lit(ix));
                let n = u.int_in_range(0..=cols.len())?;
                for (i, c) in cols.iter().take(n).enumerate() {
                    let op = if i + 1 == n && u.ratio(1, 3)? {
                        pick(u, &["gt", "gte", "lt", "lte"])?
                    } else {
                        "eq"
                    };
                    let _ = write!(out, ".{op}({}, {})", lit(c), value(u, args)?);
                }
                out.push(')');
            }
            if u.arbitrary()? {
                let _ = write!(out, ".order({})", lit(pick(u, &["asc", "desc", "up"])?));
            }
            let end = pick(u, &[".collect()", ".first()", ".unique()", ".take(10)", ""])?;
            let _ = writeln!(out, "{end};");
        }
    }
    Ok(())
}

fn module(u: &mut Unstructured<'_>, tables: &[Table]) -> Result<String> {
    let mut text = String::from(
        "import { query, mutation, action, internalQuery, internalMutation, internalAction, v } from \"@/lunora/_generated/server\";\n",
    );
    for _ in 0..u.int_in_range(1..=3)? {
        let f = pick(u, FUNCS)?;
        let &(kind, mut method) = u.choose(KINDS)?;
        if u.ratio(1, 12)? {
            method = pick(u, &["query", "mutation", "action", "handler"])?;
        }
        let _ = write!(text, "export const {f} = {kind}");
        let mut args = Vec::new();
        if u.ratio(4, 5)? {
            text.push_str(".input({ ");
            for _ in 0..u.int_in_range(0..=3)? {
                let a = pick(u, ARGS)?.to_owned();
                let _ = write!(text, "{a}: ");
                if !tables.is_empty() && u.arbitrary()? {
                    // Often an id of a table, or a copy of a field's validator shape.
                    let t = u.choose(tables)?;
                    let _ = write!(text, "v.id({})", lit(&t.name));
                } else {
                    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
                    validator(u, 1, &names, &mut text)?;
                }
                text.push_str(", ");
                args.push(a);
            }
            text.push_str("})");
        }
        let _ = write!(text, ".{method}(async ({{ ctx, args }}) => {{\n");
        for _ in 0..u.int_in_range(0..=3)? {
            statement(u, method, tables, &args, &mut text)?;
        }
        text.push_str("    return null;\n});\n");
    }
    Ok(text)
}

impl<'a> Arbitrary<'a> for App {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut files = Vec::new();
        let tables = schema(u, &mut files)?;
        let mut used = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let m = pick(u, MODULES)?;
            if used.contains(&m) {
                continue;
            }
            used.push(m);
            let text = module(u, &tables)?;
            files.push((format!("lunora/{m}.ts"), text.into_bytes()));
        }
        Ok(App { files })
    }
}
