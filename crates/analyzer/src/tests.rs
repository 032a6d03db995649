use super::*;
use lunora_parser::{Code, Diagnostic, MemFs};

pub(crate) const TUTORIAL_SCHEMA: &str = r#"import { defineSchema, defineTable, v } from "lunorash/server";

export const schema = defineSchema({
    channels: defineTable({
        name: v.string(),
        topic: v.optional(v.string()),
    })
        .global()
        .index("by_name", ["name"], { unique: true }),

    messages: defineTable({
        channelId: v.id("channels"),
        userId: v.id("users"),
        text: v.string(),
        createdAt: v.number(),
    })
        .shardBy("channelId")
        .index("by_channel", ["channelId", "createdAt"]),
});
"#;

pub(crate) const TUTORIAL_MESSAGES: &str = r#"import { mutation, query, v } from "@/lunora/_generated/server";

export const list = query.input({ channelId: v.id("channels"), limit: v.optional(v.number()) }).query(async ({ ctx, args: { channelId, limit } }) => {
    return ctx.db
        .query("messages")
        .withIndex("by_channel", (q) => q.eq("channelId", channelId))
        .order("desc")
        .take(limit ?? 50);
});

export const send = mutation.input({ channelId: v.id("channels"), text: v.string() }).mutation(async ({ ctx, args: { channelId, text } }) => {
    if (!ctx.auth.userId) throw new Error("must be signed in");

    await ctx.db.insert("messages", {
        channelId,
        userId: ctx.auth.userId,
        text,
        createdAt: Date.now(),
    });
});
"#;

fn app(files: &[(&str, &str)]) -> AnalyzeReturn {
    let mut fs = MemFs::new();
    for (p, t) in files {
        fs.insert(format!("/app/{p}"), t.as_bytes().to_vec());
    }
    analyze(Path::new("/app"), &fs)
}

fn codes(r: &AnalyzeReturn) -> Vec<&'static str> {
    r.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

/// The text under the primary label of the only diagnostic with `code`.
fn primary_text(r: &AnalyzeReturn, code: Code) -> String {
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.diagnostics));
    let l = d.primary().expect("label");
    r.files.get(l.at.file).slice(l.at.span).to_string()
}

fn diag(r: &AnalyzeReturn, code: Code) -> &Diagnostic {
    r.diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.diagnostics))
}

fn schema_with(tables: &str) -> String {
    format!(
        "import {{ defineSchema, defineTable, v }} from \"lunorash/server\";\nexport const schema = defineSchema({{\n{tables}\n}});\n"
    )
}

#[test]
fn tutorial_ir() {
    let r = app(&[
        ("lunora/schema.ts", TUTORIAL_SCHEMA),
        ("lunora/messages.ts", TUTORIAL_MESSAGES),
    ]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let ir = r.ir.expect("ir");
    assert_eq!(ir.schema_export, SchemaExport::Named("schema".into()));
    let names: Vec<&str> = ir.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["channels", "messages", "users"]);
    let channels = &ir.tables[0];
    assert_eq!(channels.placement, Placement::Global);
    assert_eq!(
        channels.fields,
        vec![
            Field {
                name: "name".into(),
                span: channels.fields[0].span,
                validator: Validator::String
            },
            Field {
                name: "topic".into(),
                span: channels.fields[1].span,
                validator: Validator::Optional(Box::new(Validator::String))
            },
        ]
    );
    assert_eq!(
        r.files
            .get(channels.span.unwrap().file)
            .slice(channels.span.unwrap().span),
        "channels"
    );
    assert_eq!(
        channels.indexes,
        vec![Index {
            name: "by_name".into(),
            span: channels.indexes[0].span,
            fields: vec!["name".into()],
            unique: true
        }]
    );
    let messages = &ir.tables[1];
    assert_eq!(
        messages.placement,
        Placement::Shard {
            key: "channelId".into()
        }
    );
    let fv: Vec<(&str, &Validator)> = messages
        .fields
        .iter()
        .map(|f| (f.name.as_str(), &f.validator))
        .collect();
    assert_eq!(
        fv,
        vec![
            ("channelId", &Validator::Id("channels".into())),
            ("userId", &Validator::Id("users".into())),
            ("text", &Validator::String),
            ("createdAt", &Validator::Number),
        ]
    );
    assert_eq!(messages.indexes[0].fields, ["channelId", "createdAt"]);
    assert!(!messages.indexes[0].unique);
    let users = &ir.tables[2];
    assert!(users.builtin);
    assert_eq!(users.placement, Placement::Global);

    assert_eq!(ir.modules.len(), 1);
    assert_eq!(ir.modules[0].module, "messages");
    assert_eq!(ir.modules[0].api_path, ["messages"]);
    assert_eq!(ir.functions.len(), 2);
    let list = &ir.functions[0];
    assert_eq!(list.id(), "messages:list");
    assert_eq!(list.kind, FunctionKind::Query);
    assert_eq!(list.visibility, Visibility::Public);
    assert_eq!(
        list.args,
        Some(vec![
            ObjectField {
                name: "channelId".into(),
                validator: Validator::Id("channels".into())
            },
            ObjectField {
                name: "limit".into(),
                validator: Validator::Optional(Box::new(Validator::Number))
            },
        ])
    );
    assert_eq!(
        list.route,
        Route::Shard {
            key: "channelId".into(),
            arg: "channelId".into()
        }
    );
    assert_eq!(list.tables_read, ["messages"]);
    assert!(list.tables_written.is_empty());
    let send = &ir.functions[1];
    assert_eq!(send.id(), "messages:send");
    assert_eq!(send.kind, FunctionKind::Mutation);
    assert_eq!(
        send.args,
        Some(vec![
            ObjectField {
                name: "channelId".into(),
                validator: Validator::Id("channels".into())
            },
            ObjectField {
                name: "text".into(),
                validator: Validator::String
            },
        ])
    );
    assert_eq!(
        send.route,
        Route::Shard {
            key: "channelId".into(),
            arg: "channelId".into()
        }
    );
    assert_eq!(send.tables_written, ["messages"]);
    assert_eq!(
        r.files
            .get(send.span.unwrap().file)
            .slice(send.span.unwrap().span),
        "send"
    );
}

const MSG_TABLES: &str = r#"  channels: defineTable({ name: v.string() }).global(),
  messages: defineTable({ channelId: v.id("channels"), text: v.string(), createdAt: v.number(), note: v.optional(v.string()) })
    .shardBy("channelId")
    .index("by_channel", ["channelId", "createdAt"]),"#;

fn fn_app(body: &str) -> AnalyzeReturn {
    let src = format!(
        "import {{ mutation, query, action, internalQuery, v }} from \"./_generated/server\";\n{body}\n"
    );
    app(&[
        ("lunora/schema.ts", &schema_with(MSG_TABLES)),
        ("lunora/fns.ts", &src),
    ])
}

#[test]
fn unknown_validator_suggests() {
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: v.strng() }),"),
    )]);
    assert_eq!(codes(&r), ["schema/unknown-validator"]);
    assert_eq!(primary_text(&r, Code::UnknownValidator), "strng");
    assert_eq!(
        diag(&r, Code::UnknownValidator).help.as_deref(),
        Some("did you mean `v.string`?")
    );
    assert!(r.ir.is_none());
}

#[test]
fn nested_validators() {
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with(
            r#"t: defineTable({
  a: v.array(v.object({ x: v.literal(-2.5), y: v.union(v.null(), v.int64(), v.bytes()) })),
  b: v.record(v.string(), v.any()),
  c: v.literal(true),
  d: v.literal("s"),
}),"#,
        ),
    )]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let ir = r.ir.unwrap();
    let t = &ir.tables[0];
    assert_eq!(
        t.fields[0].validator,
        Validator::Array(Box::new(Validator::Object(vec![
            ObjectField {
                name: "x".into(),
                validator: Validator::Literal(Literal::Number("-2.5".into()))
            },
            ObjectField {
                name: "y".into(),
                validator: Validator::Union(vec![
                    Validator::Null,
                    Validator::Int64,
                    Validator::Bytes
                ])
            },
        ])))
    );
    assert_eq!(
        t.fields[1].validator,
        Validator::Record(Box::new(Validator::String), Box::new(Validator::Any))
    );
    assert_eq!(
        t.fields[2].validator,
        Validator::Literal(Literal::Boolean(true))
    );
    assert_eq!(
        t.fields[3].validator,
        Validator::Literal(Literal::String("s".into()))
    );
    assert_eq!(t.placement, Placement::Root);
}

#[test]
fn invalid_validator_args() {
    for (src, text) in [
        ("v.optional()", "v.optional()"),
        ("v.id(42)", "42"),
        ("v.array(v.string(), v.number())", "v.number()"),
        ("v.string", "string"),
    ] {
        let r = app(&[(
            "lunora/schema.ts",
            &schema_with(&format!("t: defineTable({{ a: {src} }}),")),
        )]);
        assert_eq!(codes(&r), ["schema/invalid-validator-args"], "{src}");
        assert_eq!(primary_text(&r, Code::InvalidValidatorArgs), text, "{src}");
    }
}

#[test]
fn not_a_validator() {
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: \"string\" }),"),
    )]);
    assert_eq!(codes(&r), ["schema/not-a-validator"]);
    assert_eq!(primary_text(&r, Code::NotAValidator), "\"string\"");
}

#[test]
fn default_export_and_consts_across_files() {
    let r = app(&[
        (
            "lunora/schema.ts",
            r#"import { defineSchema, defineTable, v } from "lunorash/server";
import { shared, extra } from "../shared";
import common from "./common/index";
const local = { b: v.number() };
export default defineSchema({ t: defineTable({ ...shared, ...local, ...common }).index(NAME, ["a"]), ...extra });
const NAME = "by_a";
"#,
        ),
        (
            "shared/index.ts",
            r#"import { defineTable, v } from "lunorash/server";
export const shared = { a: v.string() };
const e = { u: defineTable({ z: v.boolean() }).global() };
export { e as extra };
"#,
        ),
        (
            "lunora/common/index.ts",
            "import { v } from \"lunorash/server\";\nexport default { c: v.null() };\n",
        ),
    ]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let ir = r.ir.unwrap();
    assert_eq!(ir.schema_export, SchemaExport::Default);
    let t = &ir.tables[0];
    let names: Vec<&str> = t.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(t.indexes[0].name, "by_a");
    assert_eq!(ir.tables[1].name, "u");
    assert_eq!(ir.tables[1].placement, Placement::Global);
    // the field's span points into the file that defined it
    let a = t.fields[0].span.unwrap();
    assert_eq!(r.files.get(a.file).path, "shared/index.ts");
    // common/index.ts is not a function module with functions but is listed
    assert_eq!(ir.modules.len(), 1);
    assert_eq!(ir.modules[0].api_path, ["common"]);
}

#[test]
fn cyclic_consts() {
    let r = app(&[
        (
            "lunora/schema.ts",
            "import { defineSchema } from \"lunorash/server\";\nimport { b } from \"./b\";\nexport const a = { ...b };\nexport const schema = defineSchema({ ...a });\n",
        ),
        (
            "lunora/b.ts",
            "import { a } from \"./schema\";\nexport const b = { ...a };\n",
        ),
    ]);
    assert_eq!(codes(&r), ["schema/cyclic-const"]);
    assert!(diag(&r, Code::CyclicConst).labels.len() >= 2);
}

#[test]
fn not_static_points_at_expression() {
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: v.string() }).index(\"by_\" + x, [\"a\"]),"),
    )]);
    assert_eq!(codes(&r), ["schema/not-static"]);
    assert_eq!(primary_text(&r, Code::NotStatic), "\"by_\" + x");
    assert!(
        diag(&r, Code::NotStatic)
            .help
            .as_deref()
            .unwrap()
            .contains("literals")
    );
    let r = app(&[(
        "lunora/schema.ts",
        &format!("let f = {{}};\n{}", schema_with("t: defineTable(f),")),
    )]);
    assert_eq!(codes(&r), ["schema/not-static"]);
    assert_eq!(primary_text(&r, Code::NotStatic), "f");
}

#[test]
fn unresolved_import() {
    let r = app(&[(
        "lunora/schema.ts",
        &format!(
            "import {{ x }} from \"./nope\";\n{}",
            schema_with("t: defineTable(x),")
        ),
    )]);
    assert_eq!(codes(&r), ["schema/unresolved-import"]);
    assert_eq!(primary_text(&r, Code::UnresolvedImport), "\"./nope\"");
    let r = app(&[
        (
            "lunora/schema.ts",
            &format!(
                "import {{ x }} from \"./other\";\n{}",
                schema_with("t: defineTable(x),")
            ),
        ),
        ("lunora/other.ts", "export const y = 1;\n"),
    ]);
    assert_eq!(codes(&r), ["schema/unresolved-import"]);
    assert_eq!(primary_text(&r, Code::UnresolvedImport), "x");
}

#[test]
fn missing_and_no_export() {
    let r = app(&[]);
    assert_eq!(codes(&r), ["schema/missing-schema"]);
    assert_eq!(r.diagnostics[0].path.as_deref(), Some("lunora/schema.ts"));
    let r = app(&[("lunora/schema.ts", "const schema = 1;\n")]);
    assert_eq!(codes(&r), ["schema/no-schema-export"]);
    let r = app(&[(
        "lunora/schema.ts",
        "import { defineSchema } from \"lunorash/server\";\nexport const schema = defineSchema({});\n",
    )]);
    assert_eq!(codes(&r), ["schema/empty-schema"]);
    assert!(!r.diagnostics[0].is_error());
    assert!(r.ir.is_some());
}

#[test]
fn duplicates_have_secondary_labels() {
    let r = app(&[(
        "lunora/schema.ts",
        &format!(
            "const more = {{ t: defineTable({{ a: v.string() }}) }};\n{}",
            schema_with("t: defineTable({ a: v.string() }), ...more,")
        ),
    )]);
    assert_eq!(codes(&r), ["schema/duplicate-table"]);
    assert_eq!(diag(&r, Code::DuplicateTable).labels.len(), 2);
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: v.string(), a: v.number() }),"),
    )]);
    assert_eq!(codes(&r), ["schema/duplicate-field"]);
    assert_eq!(
        diag(&r, Code::DuplicateField).labels[1].message.as_deref(),
        Some("first defined here")
    );
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with(
            "t: defineTable({ a: v.string() }).index(\"i\", [\"a\"]).index(\"i\", [\"a\"]),",
        ),
    )]);
    assert_eq!(codes(&r), ["schema/duplicate-index"]);
    assert_eq!(diag(&r, Code::DuplicateIndex).labels.len(), 2);
}

#[test]
fn reserved_names() {
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("_t: defineTable({ _a: v.string(), \"a-b\": v.string() }),"),
    )]);
    assert_eq!(codes(&r), ["schema/reserved-name"]);
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ _a: v.string(), \"a-b\": v.string() }),"),
    )]);
    assert_eq!(codes(&r), ["schema/reserved-name", "schema/reserved-name"]);
}

#[test]
fn table_methods() {
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: v.string() }).shardyBy(\"a\"),"),
    )]);
    assert_eq!(codes(&r), ["schema/unknown-table-method"]);
    assert_eq!(primary_text(&r, Code::UnknownTableMethod), "shardyBy");
    assert_eq!(
        diag(&r, Code::UnknownTableMethod).help.as_deref(),
        Some("did you mean `.shardBy`?")
    );
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: v.string() }).shardBy(1).index(\"x\"),"),
    )]);
    assert_eq!(
        codes(&r),
        [
            "schema/invalid-table-method-args",
            "schema/invalid-table-method-args"
        ]
    );
    let r = app(&[("lunora/schema.ts", &schema_with("t: v.string(),"))]);
    assert_eq!(codes(&r), ["schema/not-a-table"]);
}

#[test]
fn placement_checks() {
    let cases = [
        (
            "t: defineTable({ a: v.string() }).global().shardBy(\"a\"),",
            "schema/global-and-shard",
        ),
        (
            "t: defineTable({ a: v.string() }).global().global(),",
            "schema/duplicate-placement",
        ),
        (
            "t: defineTable({ a: v.string() }).shardBy(\"b\"),",
            "schema/shard-key-missing",
        ),
        (
            "t: defineTable({ a: v.optional(v.string()) }).shardBy(\"a\"),",
            "schema/shard-key-not-scalar",
        ),
        (
            "t: defineTable({ a: v.array(v.string()) }).shardBy(\"a\"),",
            "schema/shard-key-not-scalar",
        ),
        (
            "t: defineTable({ a: v.string() }).index(\"i\", [\"b\"]),",
            "schema/index-unknown-field",
        ),
        (
            "t: defineTable({ a: v.string() }).index(\"i\", [\"_id\"]),",
            "schema/index-system-field",
        ),
        (
            "t: defineTable({ a: v.string() }).index(\"i\", []),",
            "schema/invalid-index-fields",
        ),
        (
            "t: defineTable({ a: v.string() }).index(\"i\", [\"a\", \"a\"]),",
            "schema/invalid-index-fields",
        ),
        (
            "t: defineTable({ a: v.id(\"nope\") }),",
            "schema/unknown-id-table",
        ),
    ];
    for (src, code) in cases {
        let r = app(&[("lunora/schema.ts", &schema_with(src))]);
        assert_eq!(codes(&r), [code], "{src}");
    }
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with("t: defineTable({ a: v.string() }).shardBy(\"b\"),"),
    )]);
    assert_eq!(primary_text(&r, Code::ShardKeyMissing), "\"b\"");
    let r = app(&[(
        "lunora/schema.ts",
        &schema_with(
            "t: defineTable({ a: v.string() }).index(\"i\", [\"a\", \"_creationTime\"]),\nusers: defineTable({ subject: v.string(), email: v.string() }).global().index(\"by_subject\", [\"subject\"], { unique: true }),",
        ),
    )]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let ir = r.ir.unwrap();
    assert_eq!(ir.tables.len(), 2);
    assert!(!ir.tables[1].builtin);
    // Any other `users` belongs to the app; identities go to the built-in `_identities`.
    for users in [
        "users: defineTable({ subject: v.string() }),",
        "users: defineTable({ name: v.string(), tokenIdentifier: v.string() }).index(\"by_token\", [\"tokenIdentifier\"]),",
        "users: defineTable({ email: v.string() }).shardBy(\"email\"),",
    ] {
        let r = app(&[("lunora/schema.ts", &schema_with(users))]);
        assert!(r.diagnostics.is_empty(), "{users}: {:#?}", r.diagnostics);
        let ir = r.ir.unwrap();
        let names: Vec<(&str, bool)> = ir
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.builtin))
            .collect();
        assert_eq!(names, [("users", false), ("_identities", true)], "{users}");
        assert_eq!(ir.tables[1].placement, Placement::Global);
    }
}

#[test]
fn function_discovery_and_paths() {
    let fns = "import { query as q, internalMutation } from \"../_generated/server\";\nconst alias = q;\nexport const a = alias.query(async () => 1);\nexport const b = internalMutation.mutation(async () => {});\nexport const notAFunction = 5;\n";
    let r = app(&[
        (
            "lunora/schema.ts",
            &schema_with("t: defineTable({ a: v.string() }),"),
        ),
        ("lunora/admin/audit-log.ts", fns),
        (
            "lunora/admin/index.ts",
            "import { action } from \"@/lunora/_generated/server\";\nexport const c = action.action(async () => {});\n",
        ),
        ("lunora/admin/audit-log.test.ts", "export const x = 1;\n"),
        ("lunora/__tests__/x.ts", "export const x = 1;\n"),
        ("lunora/_generated/server.ts", "export const query = 1;\n"),
        ("lunora/migrations/x.ts", "export const x = 1;\n"),
    ]);
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let ir = r.ir.unwrap();
    let modules: Vec<(&str, Vec<String>)> = ir
        .modules
        .iter()
        .map(|m| (m.module.as_str(), m.api_path.clone()))
        .collect();
    assert_eq!(
        modules,
        [
            (
                "admin/audit-log",
                vec!["admin".to_string(), "audit_log".to_string()]
            ),
            ("admin/index", vec!["admin".to_string()])
        ]
    );
    let ids: Vec<String> = ir.functions.iter().map(Function::id).collect();
    assert_eq!(
        ids,
        ["admin/audit-log:a", "admin/audit-log:b", "admin/index:c"]
    );
    assert_eq!(ir.functions[0].kind, FunctionKind::Query);
    assert_eq!(ir.functions[0].args, None);
    assert_eq!(ir.functions[0].route, Route::Root);
    assert_eq!(ir.functions[1].visibility, Visibility::Internal);
    assert_eq!(ir.functions[2].route, Route::Worker);
}

#[test]
fn duplicate_api_path() {
    let r = app(&[
        (
            "lunora/schema.ts",
            &schema_with("t: defineTable({ a: v.string() }),"),
        ),
        ("lunora/a-b.ts", ""),
        ("lunora/a_b.ts", ""),
    ]);
    assert_eq!(codes(&r), ["functions/duplicate-api-path"]);
}

#[test]
fn builder_errors() {
    let r = fn_app("export const a = query.inptu({}).query(async () => 1);");
    assert_eq!(codes(&r), ["functions/unknown-builder-method"]);
    assert_eq!(
        diag(&r, Code::UnknownBuilderMethod).help.as_deref(),
        Some("did you mean `.input`?")
    );
    let r = fn_app("export const a = query.input({});");
    assert_eq!(codes(&r), ["functions/missing-handler"]);
    let r = fn_app("export const a = query.input({}).mutation(async () => 1);");
    assert_eq!(codes(&r), ["functions/kind-mismatch"]);
    assert_eq!(primary_text(&r, Code::KindMismatch), "mutation");
    let r = fn_app("export const a = query.input({ x: someCall() }).query(async () => 1);");
    assert_eq!(codes(&r), ["functions/args-not-static"]);
    assert_eq!(primary_text(&r, Code::ArgsNotStatic), "someCall");
}

#[test]
fn body_checks() {
    let r = fn_app(
        "export const a = query.query(async ({ ctx }) => ctx.db.query(\"mesages\").collect());",
    );
    assert_eq!(codes(&r), ["functions/unknown-table"]);
    assert_eq!(primary_text(&r, Code::UnknownTable), "\"mesages\"");
    assert_eq!(
        diag(&r, Code::UnknownTable).help.as_deref(),
        Some("did you mean `messages`?")
    );

    let r = fn_app(
        "export const a = query.input({ channelId: v.id(\"channels\") }).query(async ({ ctx, args }) => ctx.db.query(\"messages\").withIndex(\"by_chan\", (q) => q.eq(\"channelId\", args.channelId)).collect());",
    );
    assert_eq!(codes(&r), ["functions/unknown-index"]);
    assert_eq!(primary_text(&r, Code::UnknownIndex), "\"by_chan\"");

    let r = fn_app(
        "export const a = query.input({ channelId: v.id(\"channels\") }).query(async ({ ctx, args }) => ctx.db.query(\"messages\").withIndex(\"by_channel\", (q) => q.gt(\"createdAt\", 1).eq(\"channelId\", args.channelId)).collect());",
    );
    assert_eq!(codes(&r), ["functions/index-range-order"]);
    assert_eq!(primary_text(&r, Code::IndexRangeOrder), "\"createdAt\"");

    let r = fn_app(
        "export const a = mutation.input({ channelId: v.id(\"channels\") }).mutation(async ({ ctx, args: { channelId } }) => { await ctx.db.insert(\"messages\", { channelId, txt: \"x\", createdAt: 1 }); });",
    );
    assert_eq!(
        codes(&r),
        ["functions/unknown-field", "functions/missing-field"]
    );
    assert_eq!(primary_text(&r, Code::UnknownField), "txt");
    assert_eq!(
        diag(&r, Code::UnknownField).help.as_deref(),
        Some("did you mean `text`?")
    );

    // spreads: no missing-field check
    let r = fn_app(
        "export const a = mutation.input({ channelId: v.id(\"channels\") }).mutation(async ({ ctx, args: { channelId } }) => { await ctx.db.insert(\"messages\", { channelId, ...rest }); });",
    );
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);

    let r = fn_app(
        "export const a = query.query(async ({ ctx }) => { await ctx.db.insert(\"channels\", { name: \"x\" }); });",
    );
    assert_eq!(codes(&r), ["functions/write-in-query"]);
    assert_eq!(primary_text(&r, Code::WriteInQuery), "insert");
}

#[test]
fn valid_range_conditions() {
    let r = fn_app(
        "export const a = query.input({ channelId: v.id(\"channels\") }).query(async ({ ctx, args }) => ctx.db.query(\"messages\").withIndex(\"by_channel\", (q) => q.eq(\"channelId\", args.channelId).gte(\"createdAt\", 1).lt(\"createdAt\", 5)).collect());",
    );
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let r = fn_app(
        "export const a = query.input({ channelId: v.id(\"channels\") }).query(async ({ ctx, args }) => ctx.db.query(\"messages\").withIndex(\"by_channel\", (q) => q.eq(\"channelId\", args.channelId).gt(\"createdAt\", 1).gt(\"createdAt\", 5)).collect());",
    );
    assert_eq!(codes(&r), ["functions/index-range-order"]);
}

#[test]
fn routes() {
    // arg flows through a renaming destructure
    let r = fn_app(
        "export const a = query.input({ room: v.id(\"channels\") }).query(async ({ ctx, args: { room: r } }) => ctx.db.query(\"messages\").withIndex(\"by_channel\", (q) => q.eq(\"channelId\", r)).collect());",
    );
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    assert_eq!(
        r.ir.unwrap().functions[0].route,
        Route::Shard {
            key: "channelId".into(),
            arg: "room".into()
        }
    );
    // input.args.x form, insert
    let r = fn_app(
        "export const a = mutation.input({ c: v.id(\"channels\") }).mutation(async (input) => { await input.ctx.db.insert(\"messages\", { channelId: input.args.c, text: \"\", createdAt: 1 }); });",
    );
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    let f = &r.ir.unwrap().functions[0];
    assert_eq!(
        f.route,
        Route::Shard {
            key: "channelId".into(),
            arg: "c".into()
        }
    );
    assert_eq!(f.tables_written, ["messages"]);
    // by name, through get of an id
    let r = fn_app(
        "export const a = query.input({ channelId: v.id(\"channels\"), id: v.id(\"messages\") }).query(async ({ ctx, args }) => ctx.db.get(args.id));",
    );
    let f = &r.ir.unwrap().functions[0];
    assert_eq!(
        f.route,
        Route::Shard {
            key: "channelId".into(),
            arg: "channelId".into()
        }
    );
    assert_eq!(f.tables_read, ["messages"]);
    // global only
    let r = fn_app(
        "export const a = query.query(async ({ ctx }) => ctx.db.query(\"channels\").collect());",
    );
    assert_eq!(r.ir.unwrap().functions[0].route, Route::Global);
    // unroutable: no binding arg
    let r = fn_app(
        "export const a = query.query(async ({ ctx }) => ctx.db.query(\"messages\").collect());",
    );
    assert_eq!(codes(&r), ["functions/unroutable"]);
    let d = diag(&r, Code::Unroutable);
    assert!(d.message.contains("messages") && d.message.contains("channelId"));
    assert!(d.help.as_deref().unwrap().contains("channelId"));
    assert_eq!(primary_text(&r, Code::Unroutable), "a");
}

#[test]
fn two_shard_families_unroutable() {
    let tables = "a: defineTable({ k1: v.string() }).shardBy(\"k1\"),\nb: defineTable({ k2: v.string() }).shardBy(\"k2\"),";
    let r = app(&[
        ("lunora/schema.ts", &schema_with(tables)),
        (
            "lunora/f.ts",
            "import { query, v } from \"./_generated/server\";\nexport const f = query.input({ k1: v.string(), k2: v.string() }).query(async ({ ctx }) => { await ctx.db.query(\"a\").collect(); await ctx.db.query(\"b\").collect(); });\n",
        ),
    ]);
    assert_eq!(codes(&r), ["functions/unroutable"]);
    assert!(
        diag(&r, Code::Unroutable)
            .message
            .contains("two shard families")
    );
}

#[test]
fn io_errors() {
    let mut fs = MemFs::new();
    fs.insert("/app/lunora/schema.ts", vec![0xff, 0xfe, b'a']);
    let r = analyze(Path::new("/app"), &fs);
    assert_eq!(codes(&r), ["io/not-utf8"]);
    assert_eq!(r.diagnostics[0].path.as_deref(), Some("lunora/schema.ts"));
}

#[test]
fn syntax_errors_stop_analysis() {
    let r = app(&[(
        "lunora/schema.ts",
        "export const schema = defineSchema({ t: defineTable({ a: v.string( }) });",
    )]);
    assert!(
        codes(&r).iter().all(|c| *c == "parse/syntax-error"),
        "{:?}",
        codes(&r)
    );
    assert!(!r.diagnostics.is_empty());
    assert!(r.ir.is_none());
}

#[test]
fn garbage_and_truncated_inputs_never_panic() {
    let full_schema = TUTORIAL_SCHEMA;
    let full_fns = TUTORIAL_MESSAGES;
    let mut step = 1;
    if cfg!(debug_assertions) {
        step = 7;
    }
    for end in (0..full_schema.len()).step_by(step) {
        if full_schema.is_char_boundary(end) {
            let _ = app(&[
                ("lunora/schema.ts", &full_schema[..end]),
                ("lunora/messages.ts", full_fns),
            ]);
        }
    }
    for end in (0..full_fns.len()).step_by(step) {
        if full_fns.is_char_boundary(end) {
            let _ = app(&[
                ("lunora/schema.ts", full_schema),
                ("lunora/messages.ts", &full_fns[..end]),
            ]);
        }
    }
    for garbage in [
        "",
        "}",
        "export default 1",
        "export default defineSchema(1)",
        "export const schema = defineSchema({ t: 1 })",
        "\u{0}",
    ] {
        let _ = app(&[("lunora/schema.ts", garbage), ("lunora/x.ts", garbage)]);
    }
}

#[test]
fn names_that_clash_in_sqlite() {
    let schema = |tables: &str| app(&[("lunora/schema.ts", &schema_with(tables))]);
    // Tables equal up to ASCII case, global or not.
    let r = schema("order: defineTable({}).global(),\nOrder: defineTable({}),");
    assert_eq!(codes(&r), ["schema/duplicate-table"]);
    assert_eq!(primary_text(&r, Code::DuplicateTable), "Order");
    assert_eq!(diag(&r, Code::DuplicateTable).labels.len(), 2);
    // Against the built-in `users` table: one label.
    let r = schema("Users: defineTable({}).global(),");
    assert_eq!(codes(&r), ["schema/duplicate-table"]);
    assert_eq!(diag(&r, Code::DuplicateTable).labels.len(), 1);
    // `a.b__c` and `a__b.c` are both `a__b__c`; `a.b` is the table `a__b`.
    let r = schema(
        "a: defineTable({ x: v.string() }).index(\"b__c\", [\"x\"]),\na__b: defineTable({ x: v.string() }).index(\"C\", [\"x\"]),",
    );
    assert_eq!(codes(&r), ["schema/duplicate-index"]);
    assert_eq!(primary_text(&r, Code::DuplicateIndex), "\"C\"");
    let r =
        schema("a: defineTable({ x: v.string() }).index(\"b\", [\"x\"]),\na__b: defineTable({}),");
    assert_eq!(codes(&r), ["schema/duplicate-index"]);
    // Fields equal up to case.
    let r = schema("t: defineTable({ x: v.string(), X: v.number() }).global(),");
    assert_eq!(codes(&r), ["schema/duplicate-field"]);
    assert_eq!(primary_text(&r, Code::DuplicateField), "X");
    // SQLite reserves `sqlite_*` object names.
    let r = schema("SQLite_stats: defineTable({}).global(),");
    assert_eq!(codes(&r), ["schema/reserved-name"]);
    assert_eq!(primary_text(&r, Code::ReservedName), "SQLite_stats");
    // A shard key named `root` would share the root object's name family.
    let r = schema("t: defineTable({ root: v.string() }).shardBy(\"root\"),");
    assert_eq!(codes(&r), ["schema/reserved-name"]);
    assert_eq!(primary_text(&r, Code::ReservedName), "\"root\"");
    let r = schema("t: defineTable({ root: v.string(), k: v.string() }).shardBy(\"k\"),");
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    // Distinct names stay fine.
    let r = schema(
        "a: defineTable({ x: v.string(), y: v.string() }).index(\"b_c\", [\"x\"]),\nab: defineTable({}),",
    );
    assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
}

#[test]
fn a_union_table_is_stored_in_the_merge_of_its_variants() {
    let schema = r#"import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({
    t: defineTable(v.union(
        v.object({ kind: v.literal("a"), n: v.number(), s: v.string(), o: v.optional(v.int64()) }),
        v.object({ kind: v.literal("b"), n: v.number(), s: v.union(v.number(), v.string()), x: v.bytes() }),
        v.object({ kind: v.union(v.literal("c"), v.literal("a")), n: v.number(), o: v.int64() }),
    )).index("by_kind", ["kind", "n"]),
});
"#;
    let r = app(&[("lunora/schema.ts", schema)]);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let ir = r.ir.expect("ir");
    let t = ir.table_by_name("t").expect("table t");
    let lit = |s: &str| Validator::Literal(Literal::String(s.into()));
    let opt = |v: Validator| Validator::Optional(Box::new(v));
    let merged: Vec<(&str, &Validator)> = t
        .fields
        .iter()
        .map(|f| (f.name.as_str(), &f.validator))
        .collect();
    assert_eq!(
        merged,
        vec![
            // differing validators: their union, unions flattened, duplicates dropped, first seen first
            (
                "kind",
                &Validator::Union(vec![lit("a"), lit("b"), lit("c")])
            ),
            // one validator in every variant: kept, required
            ("n", &Validator::Number),
            // missing from a variant: optional; `string` already seen, so one `number` is added
            (
                "s",
                &opt(Validator::Union(vec![Validator::String, Validator::Number]))
            ),
            // optional in one variant, required in another: optional
            ("o", &opt(Validator::Int64)),
            ("x", &opt(Validator::Bytes)),
        ]
    );
    assert_eq!(t.variants.len(), 3);
    assert_eq!(
        t.variants[1]
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["kind", "n", "s", "x"]
    );
    // A plain table has no variants.
    let r = app(&[("lunora/schema.ts", TUTORIAL_SCHEMA)]);
    assert!(
        r.ir.expect("ir")
            .tables
            .iter()
            .all(|t| t.variants.is_empty())
    );
}

/// `ctx.scheduler` calls name functions of other modules: after an edit of the
/// callee's module alone (the module-local path of watch mode), the caller's
/// diagnostics follow, as a cold run would give them.
#[test]
fn scheduler_references_follow_an_edit_of_the_callee_module() {
    let schema = r#"import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({ log: defineTable({ text: v.string() }) });
"#;
    let callee = |name: &str| {
        format!(
            r#"import {{ v }} from "lunorash/server";
import {{ internalMutation }} from "./_generated/server";
export const {name} = internalMutation({{
  args: {{ text: v.string() }},
  handler: async (ctx, {{ text }}) => {{ await ctx.db.insert("log", {{ text }}); }},
}});
"#
        )
    };
    let caller = r#"import { internal } from "./_generated/api";
import { mutation } from "./_generated/server";
export const later = mutation({
  args: {},
  handler: async (ctx) => { await ctx.scheduler.runAfter(0, internal.log.write, { text: "x" }); },
});
"#;
    let root = Path::new("/app");
    let mut fs = MemFs::new();
    fs.insert("/app/lunora/schema.ts", schema.as_bytes().to_vec());
    fs.insert("/app/lunora/log.ts", callee("write").into_bytes());
    fs.insert("/app/lunora/later.ts", caller.as_bytes().to_vec());
    let mut session = crate::Session::new();
    let first = session.analyze(root, &fs);
    assert!(first.diagnostics.is_empty(), "{:#?}", first.diagnostics);
    let (mut files, mut ir) = (first.files, first.ir);
    for (name, expected) in [
        ("wirte", vec!["functions/unknown-function"]),
        ("write", vec![]),
    ] {
        fs.insert("/app/lunora/log.ts", callee(name).into_bytes());
        let re = session
            .reanalyze(root, &fs, files, ir, &["lunora/log.ts".to_string()])
            .expect("an edit of an isolated module is local");
        let got: Vec<&str> = re.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(got, expected);
        (files, ir) = (re.files, re.ir);
        let cold = analyze(root, &fs);
        assert_eq!(codes(&cold), expected);
    }
}

/// A function's route follows the tables of the helpers it hands `ctx` to, in
/// other modules too; an edit of the helper's module alone re-routes the caller
/// as a cold run does.
#[test]
fn routes_follow_helpers_and_an_edit_of_the_helper_module() {
    let schema = r#"import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({
  notes: defineTable({ text: v.string() }),
  messages: defineTable({ channelId: v.string(), text: v.string() }).shardBy("channelId"),
});
"#;
    let helper = |table: &str| {
        format!(
            r#"import type {{ MutationCtx }} from "../_generated/server";
export async function save(ctx: MutationCtx, channelId: string, text: string) {{
  await record(ctx, {{ channelId, text }});
}}
const record = async (c: MutationCtx, doc: {{ channelId: string; text: string }}) => {{
  await c.db.insert("{table}", doc);
}};
"#
        )
    };
    let caller = r#"import { v } from "lunorash/server";
import { mutation } from "./_generated/server";
import * as Model from "./model/save";
export const send = mutation({
  args: { channelId: v.string(), text: v.string() },
  handler: async (ctx, args) => { await Model.save(ctx, args.channelId, args.text); },
});
"#;
    let root = Path::new("/app");
    let mut fs = MemFs::new();
    fs.insert("/app/lunora/schema.ts", schema.as_bytes().to_vec());
    fs.insert("/app/lunora/model/save.ts", helper("messages").into_bytes());
    fs.insert("/app/lunora/send.ts", caller.as_bytes().to_vec());
    let route_of = |ir: &Option<Ir>| {
        let ir = ir.as_ref().expect("ir");
        let f = ir
            .functions
            .iter()
            .find(|f| f.export_name == "send")
            .expect("send");
        (f.route.clone(), f.tables_written.clone())
    };
    let mut session = crate::Session::new();
    let first = session.analyze(root, &fs);
    assert!(first.diagnostics.is_empty(), "{:#?}", first.diagnostics);
    let shard = Route::Shard {
        key: "channelId".into(),
        arg: "channelId".into(),
    };
    assert_eq!(
        route_of(&first.ir),
        (shard.clone(), vec!["messages".to_string()])
    );
    let (mut files, mut ir) = (first.files, first.ir);
    for (table, expected) in [
        ("notes", (Route::Root, vec!["notes".to_string()])),
        ("messages", (shard, vec!["messages".to_string()])),
    ] {
        fs.insert("/app/lunora/model/save.ts", helper(table).into_bytes());
        let cold = analyze(root, &fs);
        assert_eq!(route_of(&cold.ir), expected);
        match session.reanalyze(root, &fs, files, ir, &["lunora/model/save.ts".to_string()]) {
            Some(re) => {
                assert!(re.diagnostics.is_empty(), "{:#?}", re.diagnostics);
                (files, ir) = (re.files, re.ir);
            }
            None => {
                let cold = session.analyze(root, &fs);
                (files, ir) = (cold.files, cold.ir);
            }
        }
        assert_eq!(
            route_of(&ir),
            expected,
            "after an edit of the helper to `{table}`"
        );
    }
}
