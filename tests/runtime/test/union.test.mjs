// Union tables (Convex's `defineTable(v.union(v.object(...), ...))`) on workerd, on every placement:
// fixtures/valid/convex-union-table as written (root `results`, D1 `events`, sharded `moves`), and a
// property test of random documents of random variants (every validator kind, a field whose type
// differs between variants) written, read, patched and replaced in D1, the root object and a shard.
// A union table is stored in the merge of its variants' fields (docs/ARCHITECTURE.md, "Union tables").
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fc from "fast-check";
import { buildWorker, repo, workerEntry } from "../scripts/build-app.mjs";
import { ref, startApp } from "./helpers.mjs";
import { anyValue, bytes, int64, key, num, objectOf, opt, same, show, str } from "./values.mjs";

/** Builds the app in `.build/<name>` from `files` (path under the app → text) and starts it. */
async function build(name, files) {
  const { scriptPath, ddl } = await buildWorker(name, files, workerEntry({ options: "" }));
  return { app: await startApp({ scriptPath, ddl }), ddl };
}

// A probe schema: three variants with every validator kind, `s` a string in one variant and a
// number in another, `i` required in one and optional in another, on each placement.
const PROBE_SCHEMA = `import { defineSchema, defineTable, v } from "lunorash/server";
const doc = v.union(
  v.object({ shard: v.string(), kind: v.literal("a"), s: v.string(), i: v.int64(), by: v.bytes(), o: v.optional(v.number()) }),
  v.object({ shard: v.string(), kind: v.literal("b"), s: v.number(), arr: v.array(v.int64()), nu: v.null(), flag: v.boolean() }),
  v.object({ shard: v.string(), kind: v.literal("c"), any: v.any(), i: v.optional(v.int64()), obj: v.object({ x: v.bytes(), y: v.optional(v.string()) }), rec: v.record(v.string(), v.number()) }),
);
export default defineSchema({
  uGlobal: defineTable(doc).global().index("by_kind", ["kind", "i"]),
  uRoot: defineTable(doc).index("by_kind", ["kind", "i"]),
  uShard: defineTable(doc).shardBy("shard").index("by_kind", ["kind", "i"]),
});
`;

function probeModule(table, shard) {
  const args = shard ? "shard: v.string(), " : "";
  return `
export const put${table} = mutation({ args: { ${args}doc: v.any() }, handler: async (ctx, { doc }) => ctx.db.insert("${table}", doc) });
export const get${table} = query({ args: { ${args}id: v.id("${table}") }, handler: async (ctx, { id }) => ctx.db.get(id) });
export const all${table} = query({ args: { ${args.replace(", ", "")} }, handler: async (ctx) => ctx.db.query("${table}").collect() });
export const ofKind${table} = query({
  args: { ${args}kind: v.union(v.literal("a"), v.literal("b"), v.literal("c")) },
  handler: async (ctx, { kind }) => ctx.db.query("${table}").withIndex("by_kind", (q) => q.eq("kind", kind)).collect(),
});
export const patch${table} = mutation({ args: { ${args}id: v.id("${table}"), fields: v.any() }, handler: async (ctx, { id, fields }) => ctx.db.patch(id, fields) });
export const replace${table} = mutation({ args: { ${args}id: v.id("${table}"), doc: v.any() }, handler: async (ctx, { id, doc }) => ctx.db.replace(id, doc) });
export const ordered${table} = query({
  args: { ${args}order: v.union(v.literal("asc"), v.literal("desc")), page: v.optional(v.object({ numItems: v.number(), cursor: v.union(v.string(), v.null()) })) },
  handler: async (ctx, { order, page }) => {
    const q = ctx.db.query("${table}").withIndex("by_kind").order(order);
    return page ? q.paginate(page) : q.collect();
  },
});
export const clear${table} = mutation({
  args: { ${args.replace(", ", "")} },
  handler: async (ctx) => { for (const d of await ctx.db.query("${table}").collect()) await ctx.db.delete(d._id); },
});
`;
}

const PROBE_FUNCTIONS = `import { v } from "lunorash/server";
import { mutation, query } from "./_generated/server";
${probeModule("uGlobal", false)}${probeModule("uRoot", false)}${probeModule("uShard", true)}`;

const PLACEMENTS = [
  { table: "uGlobal", args: {}, shard: "root" },
  { table: "uRoot", args: {}, shard: "root" },
  { table: "uShard", args: { shard: "s1" }, shard: "s1" },
];

const dropUndefined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const variantArb = (shard) =>
  fc.oneof(
    fc.record({ shard: fc.constant(shard), kind: fc.constant("a"), s: str, i: int64, by: bytes, o: opt(num) }).map(dropUndefined),
    fc.record({ shard: fc.constant(shard), kind: fc.constant("b"), s: num, arr: fc.array(int64, { maxLength: 3 }), nu: fc.constant(null), flag: fc.boolean() }).map(dropUndefined),
    fc
      .record({
        shard: fc.constant(shard),
        kind: fc.constant("c"),
        any: anyValue,
        i: opt(int64),
        obj: fc.record({ x: bytes, y: opt(str) }).map(dropUndefined),
        rec: fc.array(fc.tuple(key, num), { maxLength: 3 }).map(objectOf),
      })
      .map(dropUndefined),
  );

const strip = ({ _id, _creationTime, ...rest }) => rest;

let fixture;
let probe;
let client;
let probeClient;
before(async () => {
  fixture = await build("union-fixture", { lunora: { copy: path.join(repo, "fixtures/valid/convex-union-table/lunora") } });
  probe = await build("union-probe", { "lunora/schema.ts": PROBE_SCHEMA, "lunora/probe.ts": PROBE_FUNCTIONS });
  client = fixture.app.client();
  probeClient = probe.app.client();
});
after(async () => {
  await fixture?.app.dispose();
  await probe?.app.dispose();
});

test("the D1 table of a union table has one column per merged field, nullable where a variant lacks it", () => {
  const create = fixture.ddl.match(/CREATE TABLE "events" \(([^;]*)\);/)?.[1];
  assert.ok(create, fixture.ddl);
  const columns = create.split(",\n").map((c) => c.trim());
  assert.deepEqual(columns, [
    '"_id" TEXT PRIMARY KEY NOT NULL',
    '"_creationTime" REAL NOT NULL',
    '"type" TEXT NOT NULL',
    '"email" TEXT',
    '"at" REAL NOT NULL',
    '"amount" INTEGER',
    '"note" TEXT',
    '"reason" TEXT',
  ]);
});

test("root union table: each variant is stored and read back as written, indexes see the discriminant", async () => {
  const bad = await client.mutation(ref("results:record", "mutation"), { message: "boom" });
  await client.mutation(ref("results:record", "mutation"), { value: 2.5 });
  await client.mutation(ref("results:record", "mutation"), { value: 4 });
  assert.match(bad, /^results:/);
  assert.deepEqual(await client.query(ref("results:errors"), {}), ["boom"]);
  assert.equal(await client.query(ref("results:total"), {}), 6.5);
});

test("D1 union table: variants, patch within a variant, replace into another variant clears the old variant's columns", async () => {
  await client.mutation(ref("events:signup", "mutation"), { email: "a@x" });
  const bought = await client.mutation(ref("events:purchase", "mutation"), { amount: 2n ** 60n, note: "gift" });
  const purchases = await client.query(ref("events:ofType"), { type: "purchase" });
  assert.equal(purchases.length, 1);
  assert.deepEqual(strip(purchases[0]), { type: "purchase", amount: 2n ** 60n, at: purchases[0].at, note: "gift" });
  await client.mutation(ref("events:refund", "mutation"), { id: bought, reason: "late" });
  const [refund] = await client.query(ref("events:ofType"), { type: "refund" });
  assert.deepEqual(strip(refund), { type: "refund", amount: 2n ** 60n, at: purchases[0].at, reason: "late" });
  assert.deepEqual(await client.query(ref("events:ofType"), { type: "purchase" }), []);
  const row = await fixture.app.db.prepare(`SELECT "type", "email", "note", "reason" FROM "events" WHERE "_id" = ?`).bind(bought).first();
  assert.deepEqual({ ...row }, { type: "refund", email: null, note: null, reason: "late" });
  const [signup] = await client.query(ref("events:ofType"), { type: "signup" });
  assert.deepEqual(Object.keys(strip(signup)).sort(), ["at", "email", "type"]);
  // A refund of something that is not a purchase is the app's own error; nothing changes.
  await assert.rejects(client.mutation(ref("events:refund", "mutation"), { id: signup._id, reason: "late" }), /not a purchase/);
});

test("sharded union table: variants route by the shard key every variant has", async () => {
  await client.mutation(ref("moves:place", "mutation"), { gameId: "g1", x: 1n, y: 2n });
  await client.mutation(ref("moves:pass", "mutation"), { gameId: "g1" });
  await client.mutation(ref("moves:place", "mutation"), { gameId: "g2", x: 3n, y: 3n });
  assert.deepEqual(await client.query(ref("moves:history"), { gameId: "g1" }), ["1,2", "pass"]);
  assert.deepEqual(await client.query(ref("moves:history"), { gameId: "g2" }), ["3,3"]);
});

for (const p of PLACEMENTS) {
  const call = (kind, name, args) => probeClient[kind](ref(`probe:${name}${p.table}`, kind), { ...p.args, ...args });

  test(`a document matching no variant is refused, on ${p.table}, and nothing is written`, async () => {
    await call("mutation", "clear", {});
    const cases = [
      { shard: p.shard, kind: "a", s: 1, i: 1n, by: new ArrayBuffer(1) }, // s is a number only in "b"
      { shard: p.shard, kind: "b", s: 1, arr: [], nu: null, flag: true, i: 1n }, // i is not a field of "b"
      { shard: p.shard, kind: "d" },
      { shard: p.shard, kind: "c", any: 1, obj: { x: new ArrayBuffer(0) } }, // rec missing
    ];
    for (const doc of cases) {
      await assert.rejects(call("mutation", "put", { doc }), (e) => e.code === "bad_document", show(doc));
    }
    const id = await call("mutation", "put", { doc: { shard: p.shard, kind: "b", s: 1, arr: [], nu: null, flag: true } });
    // A patch that would turn the document into no variant is refused and changes nothing.
    await assert.rejects(call("mutation", "patch", { id, fields: { kind: "a" } }), (e) => e.code === "bad_document");
    assert.deepEqual(strip(await call("query", "get", { id })), { shard: p.shard, kind: "b", s: 1, arr: [], nu: null, flag: true });
    assert.equal((await call("query", "all", {})).length, 1);
  });

  // Regression: a page ending on a document whose index field is absent (NULL) lost the documents
  // after it with the same prefix (SQLite's row-value comparison is NULL once it reaches a NULL).
  test(`pages of one over an index with absent fields are the whole ordered result, both orders, on ${p.table}`, async () => {
    await call("mutation", "clear", {});
    const c = (i) => ({ shard: p.shard, kind: "c", any: null, obj: { x: new ArrayBuffer(0) }, rec: {}, ...(i === undefined ? {} : { i }) });
    const docs = [c(undefined), c(5n), { shard: p.shard, kind: "b", s: 1, arr: [], nu: null, flag: true }, { shard: p.shard, kind: "a", s: "", i: -3n, by: new ArrayBuffer(0) }, c(undefined), c(-1n)];
    for (const doc of docs) await call("mutation", "put", { doc });
    for (const order of ["asc", "desc"]) {
      const all = (await call("query", "ordered", { order })).map((d) => d._id);
      assert.equal(all.length, docs.length);
      for (const numItems of [1, 2]) {
        const pages = [];
        for (let cursor = null, n = 0; ; n++) {
          assert.ok(n <= docs.length + 1, "paginate does not end");
          const page = await call("query", "ordered", { order, page: { numItems, cursor } });
          pages.push(...page.page.map((d) => d._id));
          if (page.isDone) break;
          cursor = page.continueCursor;
        }
        assert.deepEqual(pages, all, `${order}, pages of ${numItems}`);
      }
    }
  });

  test(`random documents of random variants round-trip on ${p.table}`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(variantArb(p.shard), { minLength: 1, maxLength: 5 }), variantArb(p.shard), async (docs, replacement) => {
        try {
          await roundTrip(docs, replacement);
        } catch (error) {
          console.error(`${p.table}: ${error?.message ?? error}`);
          throw error;
        }
      }),
      { numRuns: Number(process.env.LUNORA_STORAGE_RUNS ?? 10), endOnFailure: true },
    );
  });

  async function roundTrip(docs, replacement) {
        await call("mutation", "clear", {});
        const ids = [];
        for (const doc of docs) ids.push(await call("mutation", "put", { doc }));
        for (const [k, id] of ids.entries()) {
          const got = strip(await call("query", "get", { id }));
          assert.ok(same(got, docs[k]), `get: ${show(got)} != ${show(docs[k])}`);
        }
        for (const kind of ["a", "b", "c"]) {
          const got = await call("query", "ofKind", { kind });
          const want = ids.filter((_, k) => docs[k].kind === kind).sort();
          assert.deepEqual(got.map((d) => d._id).sort(), want, `ofKind ${kind}`);
        }
        await call("mutation", "replace", { id: ids[0], doc: replacement });
        const replaced = strip(await call("query", "get", { id: ids[0] }));
        assert.ok(same(replaced, replacement), `replace: ${show(replaced)} != ${show(replacement)}`);
  }
}
