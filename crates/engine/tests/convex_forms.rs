//! The builder form and Convex's object form of the same function generate the
//! same registry entry (IR function), route and API type (issue 15): the
//! generated `api.ts`, `wiring.ts`, `server.ts` and `dataModel.ts` are
//! byte-identical, and so is every IR function but for its source span.

use std::path::{Path, PathBuf};

use lunora_engine::pipeline::{self, Analysis};
use lunora_parser::MemFs;

const ROOT: &str = "/app";

const SCHEMA: &str = r#"import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({
  channels: defineTable({ name: v.string() }).global(),
  messages: defineTable({ channelId: v.id("channels"), text: v.string(), n: v.number() })
    .shardBy("channelId")
    .index("by_channel", ["channelId", "n"]),
  notes: defineTable({ body: v.string() }),
});
"#;

const BUILDER: &str = r#"import { internalQuery, mutation, query, v } from "./_generated/server";
export const list = query
  .input({ channelId: v.id("channels"), after: v.optional(v.number()) })
  .returns(v.array(v.object({ text: v.string() })))
  .query(async ({ ctx, args: { channelId, after } }) => {
    const rows = await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channelId", channelId).gt("n", after ?? 0))
      .collect();
    return rows.map((r) => ({ text: r.text }));
  });
export const send = mutation
  .input({ channelId: v.id("channels"), text: v.string() })
  .mutation(async ({ ctx, args }) => {
    await ctx.db.insert("messages", { channelId: args.channelId, text: args.text, n: 1 });
  });
export const notes = internalQuery.query(async ({ ctx }) => ctx.db.query("notes").collect());
export const channels = query.query(async ({ ctx }) => ctx.db.query("channels").collect());
"#;

const OBJECT: &str = r#"import { internalQuery, mutation, query } from "./_generated/server";
import { v } from "lunorash/server";
export const list = query({
  args: { channelId: v.id("channels"), after: v.optional(v.number()) },
  returns: v.array(v.object({ text: v.string() })),
  handler: async (ctx, { channelId, after }) => {
    const rows = await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channelId", channelId).gt("n", after ?? 0))
      .collect();
    return rows.map((r) => ({ text: r.text }));
  },
});
export const send = mutation({
  args: v.object({ channelId: v.id("channels"), text: v.string() }),
  handler: async (ctx, args) => {
    await ctx.db.insert("messages", { channelId: args.channelId, text: args.text, n: 1 });
  },
});
export const notes = internalQuery({ handler: async (ctx) => ctx.db.query("notes").collect() });
export const channels = query(async (ctx) => ctx.db.query("channels").collect());
"#;

fn generate(module: &str) -> Analysis {
    let mut fs = MemFs::new();
    let root = PathBuf::from(ROOT);
    fs.insert(root.join("lunora/schema.ts"), SCHEMA.as_bytes().to_vec());
    fs.insert(root.join("lunora/messages.ts"), module.as_bytes().to_vec());
    pipeline::generate(Path::new(ROOT), &fs)
}

#[test]
fn builder_and_object_forms_generate_the_same_registry_routes_and_types() {
    let builder = generate(BUILDER);
    let object = generate(OBJECT);
    assert!(builder.diagnostics.is_empty(), "{:?}", builder.diagnostics);
    assert!(object.diagnostics.is_empty(), "{:?}", object.diagnostics);
    let (b, o) = (builder.ir.unwrap(), object.ir.unwrap());
    assert_eq!(b.functions.len(), 4);
    for (bf, of) in b.functions.iter().zip(&o.functions) {
        let mut of = of.clone();
        of.span = bf.span;
        assert_eq!(bf, &of, "IR of `{}`", bf.export_name);
    }
    let list = &b
        .functions
        .iter()
        .find(|f| f.export_name == "list")
        .unwrap();
    assert!(list.returns.is_some(), "the returns validator is in the IR");
    assert_eq!(
        list.route,
        lunora_analyzer::Route::Shard {
            key: "channelId".into(),
            arg: "channelId".into()
        }
    );
    assert_eq!(builder.outputs.len(), object.outputs.len());
    for (bo, oo) in builder.outputs.iter().zip(&object.outputs) {
        assert_eq!(bo.path, oo.path);
        assert_eq!(bo.contents, oo.contents, "{} differs", bo.path);
    }
}

#[test]
fn object_form_body_checks_name_the_mistake() {
    let bad = OBJECT
        .replace("q.eq(\"channelId\", channelId).gt(\"n\"", "q.gt(\"n\"")
        .replace("text: args.text, n: 1", "txt: args.text, n: 1");
    let g = generate(&bad);
    let codes: Vec<&str> = g.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"functions/index-range-order"), "{codes:?}");
    assert!(codes.contains(&"functions/unknown-field"), "{codes:?}");
}
