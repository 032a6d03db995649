import assert from "node:assert/strict";
import { test } from "node:test";
import { createFunctionBuilders, defineSchema, defineTable, tableNameFromId, v } from "../dist/server.js";

test("primitive validators accept their type and name the path otherwise", () => {
  assert.equal(v.string().validate("x"), null);
  assert.equal(v.string().validate(1, "args.text"), "args.text: expected a string, got number 1");
  assert.equal(v.number().validate(1.5), null);
  assert.equal(v.number().validate("1"), 'value: expected a number, got string "1"');
  assert.equal(v.boolean().validate(false), null);
  assert.match(v.boolean().validate(0), /expected a boolean/);
  assert.equal(v.null().validate(null), null);
  assert.match(v.null().validate(undefined), /expected null, got undefined/);
  assert.equal(v.int64().validate(10n), null);
  assert.match(v.int64().validate(10), /expected a bigint/);
  assert.equal(v.int64().validate(2n ** 63n - 1n), null);
  assert.equal(v.int64().validate(-(2n ** 63n)), null);
  assert.match(v.int64().validate(2n ** 63n), /9223372036854775808 is out of the int64 range/);
  assert.match(v.int64().validate(-(2n ** 63n) - 1n), /out of the int64 range/);
  assert.equal(v.bytes().validate(new ArrayBuffer(2)), null);
  assert.match(v.bytes().validate(new Uint8Array(2)), /expected an ArrayBuffer/);
  assert.equal(v.any().validate({ a: [1] }), null);
  assert.equal(v.string().kind, "string");
  assert.equal(v.string().isOptional, false);
});

test("v.id checks the table part of the id", () => {
  const id = v.id("channels");
  assert.equal(id.kind, "id");
  assert.equal(id.tableName, "channels");
  assert.equal(id.validate("channels:abcdefghijklmnopqrst"), null);
  assert.equal(
    id.validate("messages:abcdefghijklmnopqrst", "args.channelId"),
    'args.channelId: expected an id of table "channels", got an id of table "messages"',
  );
  assert.match(id.validate("channels"), /expected an id of table "channels", got string/);
  assert.match(id.validate("channels:"), /expected an id/);
  // the key part is checked too: 20 characters of lower-case base32
  for (const bad of ["channels:x", "channels:abcdefghijklmnopqrs1", "channels:ABCDEFGHIJKLMNOPQRST", "channels:abcdefghijklmnopqrstu", "channels:constructor"]) {
    assert.match(id.validate(bad, "args.id"), /^args\.id: expected an id of table "channels", got a malformed id/, bad);
  }
  assert.match(id.validate(3), /expected an id/);
  assert.equal(tableNameFromId("admin:x:abc"), "admin:x");
  assert.equal(tableNameFromId("nocolon"), null);
});

test("literal, optional, array, record, union", () => {
  assert.equal(v.literal("a").validate("a"), null);
  assert.match(v.literal("a").validate("b"), /expected "a"/);
  assert.equal(v.literal(3).value, 3);
  const opt = v.optional(v.number());
  assert.equal(opt.kind, "optional");
  assert.equal(opt.isOptional, true);
  assert.equal(opt.inner.kind, "number");
  assert.equal(opt.validate(undefined), null);
  assert.match(opt.validate("x"), /expected a number/);
  assert.throws(() => v.optional(opt), /already optional/);
  const arr = v.array(v.string());
  assert.equal(arr.validate(["a", "b"]), null);
  assert.equal(arr.validate(["a", 2], "tags"), "tags[1]: expected a string, got number 2");
  assert.match(arr.validate("a"), /expected an array/);
  const rec = v.record(v.string(), v.number());
  assert.equal(rec.validate({ a: 1, "b c": 2 }), null);
  assert.equal(rec.validate({ "b c": "x" }, "r"), 'r["b c"]: expected a number, got string "x"');
  const un = v.union(v.string(), v.null());
  assert.equal(un.members.length, 2);
  assert.equal(un.validate(null), null);
  assert.equal(un.validate("s"), null);
  assert.match(un.validate(1), /matches no member of the union/);
});

test("object: required, optional, unexpected fields, nested paths", () => {
  const obj = v.object({ name: v.string(), topic: v.optional(v.string()), meta: v.object({ n: v.number() }) });
  assert.equal(obj.kind, "object");
  assert.deepEqual(Object.keys(obj.fields), ["name", "topic", "meta"]);
  assert.equal(obj.validate({ name: "a", meta: { n: 1 } }), null);
  assert.equal(obj.validate({ name: "a", topic: undefined, meta: { n: 1 } }), null);
  assert.equal(obj.validate({ meta: { n: 1 } }, "args"), "args.name: missing required field");
  assert.equal(obj.validate({ name: "a", meta: { n: "1" } }, "doc"), 'doc.meta.n: expected a number, got string "1"');
  assert.match(obj.validate({ name: "a", meta: { n: 1 }, extra: 1 }, "doc"), /^doc\.extra: unexpected field/);
  assert.match(obj.validate([], "doc"), /expected an object, got array/);
  assert.match(obj.validate(new Date(), "doc"), /expected an object/);
});

test("defineTable / defineSchema runtime shapes", () => {
  const messages = defineTable({ channelId: v.id("channels"), text: v.string(), createdAt: v.number() })
    .shardBy("channelId")
    .index("by_channel", ["channelId", "createdAt"]);
  const channels = defineTable({ name: v.string() }).global().index("by_name", ["name"], { unique: true });
  const notes = defineTable({ body: v.string() });
  const schema = defineSchema({ channels, messages, notes });
  assert.equal(schema.__lunora, "schema");
  assert.deepEqual(Object.keys(schema.tables), ["channels", "messages", "notes"]);
  assert.equal(channels.placement, "global");
  assert.deepEqual(messages.placement, { shardBy: "channelId" });
  assert.equal(notes.placement, "root");
  assert.deepEqual(messages.indexes, [{ name: "by_channel", fields: ["channelId", "createdAt"], unique: false }]);
  assert.deepEqual(channels.indexes, [{ name: "by_name", fields: ["name"], unique: true }]);
  assert.equal(messages.fields.kind, "object");
  assert.equal(messages.fields.validate({ channelId: "channels:abcdefghijklmnopqrst", text: "t", createdAt: 1 }), null);
  assert.throws(() => defineTable({ a: v.string() }).shardBy("b"), /not a field/);
  assert.throws(() => channels.index("by_name", ["name"]), /duplicate index/);
  assert.throws(() => defineSchema({ x: 1 }), /not a defineTable/);
});

test("function builders return registered function objects", async () => {
  const { query, mutation, internalAction } = createFunctionBuilders();
  const list = query.input({ channelId: v.id("channels") }).query(async ({ args }) => args.channelId);
  assert.equal(list.__lunora, "function");
  assert.equal(list.kind, "query");
  assert.equal(list.visibility, "public");
  assert.equal(list.args.kind, "object");
  assert.equal(list.args.validate({ channelId: "channels:abcdefghijklmnopqrst" }), null);
  assert.equal(await list.handler({ ctx: {}, args: { channelId: "channels:abcdefghijklmnopqrst" } }), "channels:abcdefghijklmnopqrst");
  const noArgs = mutation.mutation(() => 1);
  assert.equal(noArgs.args, null);
  assert.equal(noArgs.kind, "mutation");
  const internal = internalAction.action(() => 2);
  assert.equal(internal.visibility, "internal");
  assert.equal(internal.kind, "action");
  assert.throws(() => query.input({ a: "string" }), /not a validator/);
  assert.throws(() => query.query(42), /must be a function/);
});

test("Convex's object form registers the same shape as the builder form", async () => {
  const { query, mutation, internalQuery } = createFunctionBuilders();
  const builder = query.input({ channelId: v.id("channels") }).query(async ({ ctx, args }) => [ctx.tag, args.channelId]);
  const object = query({
    args: { channelId: v.id("channels") },
    handler: async (ctx, args) => [ctx.tag, args.channelId],
  });
  for (const key of ["__lunora", "kind", "visibility", "returns"]) assert.equal(object[key], builder[key], key);
  assert.deepEqual(Object.keys(object).sort(), Object.keys(builder).sort());
  assert.deepEqual(Object.keys(object.args.fields), Object.keys(builder.args.fields));
  assert.equal(object.args.validate({ channelId: "channels:abcdefghijklmnopqrst" }), null);
  assert.notEqual(object.args.validate({ channelId: "users:abcdefghijklmnopqrst" }), null);
  const input = { ctx: { tag: "ctx" }, args: { channelId: "channels:abcdefghijklmnopqrst" } };
  assert.deepEqual(await object.handler(input), await builder.handler(input));
  // `args: v.object({...})`, no args, a bare handler, internal visibility
  const viaObject = mutation({ args: v.object({ n: v.number() }), handler: (_ctx, args) => args.n + 1 });
  assert.equal(viaObject.args.kind, "object");
  assert.equal(await viaObject.handler({ ctx: {}, args: { n: 1 } }), 2);
  assert.equal(mutation({ handler: () => 3 }).args, null);
  assert.equal(await query(async () => 4).handler({ ctx: {}, args: {} }), 4);
  assert.equal(internalQuery({ handler: () => 5 }).visibility, "internal");
  assert.throws(() => query({ args: { a: "string" }, handler: () => 1 }), /not a validator/);
  assert.throws(() => query({ args: {} }), /handler must be a function/);
  assert.throws(() => query({ returns: "string", handler: () => 1 }), /returns must be/);
});

test("returns validators check results in both forms", async () => {
  const { query } = createFunctionBuilders();
  const good = query({ returns: v.string(), handler: () => "ok" });
  assert.equal(good.returns.kind, "string");
  assert.equal(await good.handler({ ctx: {}, args: {} }), "ok");
  const bad = query({ returns: v.string(), handler: async () => 42 });
  await assert.rejects(bad.handler({ ctx: {}, args: {} }), /return value: expected a string/);
  const chained = query.input({ n: v.number() }).returns(v.number()).query(({ args }) => args.n);
  assert.equal(chained.returns.kind, "number");
  assert.equal(await chained.handler({ ctx: {}, args: { n: 7 } }), 7);
  const chainedBad = query.returns(v.null()).query(() => "x");
  await assert.rejects(chainedBad.handler({ ctx: {}, args: {} }), /returns/);
  assert.equal(query.query(() => 1).returns, null);
});

test("Convex's vocabulary: float64, nullable, defineTable(v.object), index config, schema options", () => {
  assert.equal(v.float64().kind, "number");
  assert.equal(v.float64().validate(1.5), null);
  assert.equal(v.nullable(v.string()).validate(null), null);
  assert.notEqual(v.nullable(v.string()).validate(1), null);
  const t = defineTable(v.object({ a: v.number() })).index("by_a", { fields: ["a"], staged: true });
  assert.deepEqual(t.indexes, [{ name: "by_a", fields: ["a"], unique: false }]);
  assert.equal(t.fields.kind, "object");
  assert.throws(() => defineTable(v.string()), /object of validators/);
  assert.equal(defineSchema({ t }, { schemaValidation: false }).tables.t, t);
});

test("paginationOptsValidator accepts Convex's pagination options", async () => {
  const { paginationOptsValidator } = await import("../dist/server.js");
  assert.equal(paginationOptsValidator.validate({ numItems: 10, cursor: null }), null);
  assert.equal(paginationOptsValidator.validate({ numItems: 10, cursor: "abc" }), null);
  assert.notEqual(paginationOptsValidator.validate({ numItems: 10 }), null);
});

// The same example as crates/analyzer/src/tests.rs `a_union_table_is_stored_in_the_merge_of_its_variants`:
// the runtime's columns of a union table must be the analyzer's (the migrations' D1 columns).
test("a union table: fields are the merge of its variants, documents must match one variant", () => {
  const t = defineTable(
    v.union(
      v.object({ kind: v.literal("a"), n: v.number(), s: v.string(), o: v.optional(v.int64()) }),
      v.object({ kind: v.literal("b"), n: v.number(), s: v.union(v.number(), v.string()), x: v.bytes() }),
      v.object({ kind: v.union(v.literal("c"), v.literal("a")), n: v.number(), o: v.int64() }),
    ),
  ).index("by_kind", ["kind", "n"]);
  const shape = (val) => {
    switch (val.kind) {
      case "literal":
        return JSON.stringify(val.value);
      case "optional":
        return `optional(${shape(val.inner)})`;
      case "union":
        return `union(${val.members.map(shape).join(", ")})`;
      default:
        return val.kind;
    }
  };
  const merged = Object.entries(t.fields.fields).map(([name, val]) => `${name}: ${shape(val)}`);
  assert.deepEqual(merged, [
    'kind: union("a", "b", "c")',
    "n: number",
    "s: optional(union(string, number))",
    "o: optional(int64)",
    "x: optional(bytes)",
  ]);
  assert.equal(t.document.kind, "union");
  assert.equal(t.document.validate({ kind: "a", n: 1, s: "x" }), null);
  assert.equal(t.document.validate({ kind: "c", n: 1, o: 1n }), null);
  // The merge would accept this; the union does not: `x` belongs to "b", whose `s` is not optional.
  assert.equal(t.fields.validate({ kind: "b", n: 1, x: new ArrayBuffer(0) }), null);
  assert.notEqual(t.document.validate({ kind: "b", n: 1, x: new ArrayBuffer(0) }), null);
  assert.throws(() => defineTable(v.union(v.object({ a: v.string() }), v.string())), /each member of a union table is v\.object/);
  // A plain table's document validator is its fields.
  const plain = defineTable({ a: v.string() });
  assert.equal(plain.document, plain.fields);
});
