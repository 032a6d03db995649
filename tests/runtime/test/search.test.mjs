// Text search on workerd (docs/ARCHITECTURE.md "Text search"): a search index on a D1 table, a root
// table and a sharded table (SQLite FTS5 in D1 and in Durable Object storage, kept in sync by
// triggers; D1's from the real `lunora migrate generate`), relevance
// order, the last term as a prefix, filter fields, an empty index, patch/replace/delete keeping the
// index in sync, a live subscription, and fixtures/valid/search built as written.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildFixtureWorker, buildWorker, workerEntry } from "../scripts/build-app.mjs";
import { ref, startApp, until } from "./helpers.mjs";

async function build(name, files) {
  const { dir, scriptPath, ddl } = await buildWorker(name, files, workerEntry({ options: "" }));
  return { app: await startApp({ scriptPath, ddl }), ddl, dir };
}

const SCHEMA = `import { defineSchema, defineTable, v } from "lunorash/server";
const doc = { shard: v.string(), body: v.optional(v.string()), author: v.string(), n: v.int64() };
export default defineSchema({
  sGlobal: defineTable(doc).global().searchIndex("by_body", { searchField: "body", filterFields: ["author", "n"] }),
  sRoot: defineTable(doc).searchIndex("by_body", { searchField: "body", filterFields: ["author", "n"] }),
  sShard: defineTable(doc).shardBy("shard").searchIndex("by_body", { searchField: "body", filterFields: ["author", "n"] }),
});
`;

function module(table, shard) {
  const args = shard ? "shard: v.string(), " : "";
  return `
export const put${table} = mutation({ args: { ${args}doc: v.any() }, handler: async (ctx, { doc }) => ctx.db.insert("${table}", doc) });
export const patch${table} = mutation({ args: { ${args}id: v.id("${table}"), fields: v.any() }, handler: async (ctx, { id, fields }) => ctx.db.patch(id, fields) });
export const replace${table} = mutation({ args: { ${args}id: v.id("${table}"), doc: v.any() }, handler: async (ctx, { id, doc }) => ctx.db.replace(id, doc) });
export const del${table} = mutation({ args: { ${args}id: v.id("${table}") }, handler: async (ctx, { id }) => ctx.db.delete(id) });
export const search${table} = query({
  args: { ${args}text: v.string(), author: v.optional(v.string()), n: v.optional(v.int64()), limit: v.optional(v.number()) },
  handler: async (ctx, { text, author, n, limit }) => {
    const q = ctx.db.query("${table}").withSearchIndex("by_body", (q) => {
      let s = q.search("body", text);
      if (author !== undefined) s = s.eq("author", author);
      if (n !== undefined) s = s.eq("n", n);
      return s;
    });
    return (limit === undefined ? await q.collect() : await q.take(limit)).map((d) => d.body);
  },
});
export const page${table} = query({
  args: { ${args}text: v.string(), numItems: v.number(), cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, { text, numItems, cursor }) =>
    ctx.db.query("${table}").withSearchIndex("by_body", (q) => q.search("body", text)).paginate({ numItems, cursor }),
});
`;
}

const FUNCTIONS = `import { v } from "lunorash/server";
import { mutation, query } from "./_generated/server";
${module("sGlobal", false)}${module("sRoot", false)}${module("sShard", true)}`;

const PLACEMENTS = [
  { table: "sGlobal", args: {}, shard: "root" },
  { table: "sRoot", args: {}, shard: "root" },
  { table: "sShard", args: { shard: "s1" }, shard: "s1" },
];

let probe;
let client;
before(async () => {
  probe = await build("search-probe", { "lunora/schema.ts": SCHEMA, "lunora/probe.ts": FUNCTIONS });
  client = probe.app.client();
});
after(async () => {
  await probe?.app.dispose();
});

const m = (name) => ref(`probe:${name}`, "mutation");
const q = (name) => ref(`probe:${name}`);

for (const { table, args, shard } of PLACEMENTS) {
  test(`${table}: search in relevance order, any term, last term a prefix, filters, sync on writes`, async () => {
    const search = (text, more = {}) => client.query(q(`search${table}`), { ...args, text, ...more });
    assert.deepEqual(await search("anything"), [], "an empty index finds nothing");
    const put = (body, author = "ann", n = 1n) =>
      client.mutation(m(`put${table}`), { ...args, doc: { shard, author, n, ...(body === undefined ? {} : { body }) } });
    const a = await put("the quick brown fox jumps over the lazy dog");
    const b = await put("fox fox fox: a fox den", "bob", 2n);
    const c = await put("nothing relevant here", "bob");
    const d = await put(undefined, "cat");
    const e = await put("Foxtrot and café au lait", "cat", 3n);
    // bm25: the document with most "fox" (and shortest) first; "fox" as the last term is a prefix, so "Foxtrot" matches too.
    const hits = await search("fox");
    assert.equal(hits[0], "fox fox fox: a fox den");
    assert.deepEqual(new Set(hits), new Set(["fox fox fox: a fox den", "the quick brown fox jumps over the lazy dog", "Foxtrot and café au lait"]));
    // Not a prefix when it is not the last term; any term matches; case and diacritics folded.
    assert.deepEqual(await search("fox lazy"), ["the quick brown fox jumps over the lazy dog", "fox fox fox: a fox den"]);
    assert.deepEqual(await search("foxt"), ["Foxtrot and café au lait"]);
    assert.deepEqual(await search("CAFE"), ["Foxtrot and café au lait"]);
    assert.deepEqual(await search("zebra"), []);
    assert.deepEqual(await search("  ;; "), [], "a text without terms finds nothing");
    // Filter fields by equality (a string and an int64).
    assert.deepEqual(await search("fox", { author: "bob" }), ["fox fox fox: a fox den"]);
    assert.deepEqual(await search("fox", { n: 3n }), ["Foxtrot and café au lait"]);
    assert.deepEqual(await search("fox", { author: "bob", n: 1n }), []);
    assert.equal((await search("fox", { limit: 1 })).length, 1);
    // Pages follow relevance order.
    const p1 = await client.query(q(`page${table}`), { ...args, text: "fox", numItems: 2, cursor: null });
    assert.equal(p1.page.length, 2);
    assert.equal(p1.isDone, false);
    const p2 = await client.query(q(`page${table}`), { ...args, text: "fox", numItems: 2, cursor: p1.continueCursor });
    assert.deepEqual([...p1.page, ...p2.page].map((x) => x.body), hits);
    assert.equal(p2.isDone, true);
    // patch, replace and delete keep the index in sync (triggers, same transaction).
    await client.mutation(m(`patch${table}`), { ...args, id: c, fields: { body: "a zebra crossing" } });
    assert.deepEqual(await search("zebra"), ["a zebra crossing"]);
    assert.deepEqual(await search("relevant"), []);
    await client.mutation(m(`replace${table}`), { ...args, id: d, doc: { shard, author: "cat", n: 1n, body: "zebra zebra" } });
    assert.deepEqual(await search("zebra"), ["zebra zebra", "a zebra crossing"]);
    await client.mutation(m(`replace${table}`), { ...args, id: d, doc: { shard, author: "cat", n: 1n } });
    assert.deepEqual(await search("zebra"), ["a zebra crossing"]);
    await client.mutation(m(`del${table}`), { ...args, id: b });
    assert.deepEqual(new Set(await search("fox")), new Set(["the quick brown fox jumps over the lazy dog", "Foxtrot and café au lait"]));
    void a;
    void e;
  });

  test(`${table}: a live search updates when a matching document is written`, async () => {
    let seen;
    const unsub = client.subscribe(q(`search${table}`), { ...args, text: "live", author: "zed" }, (v) => (seen = v));
    await until(() => seen !== undefined, 5000, "initial result");
    assert.deepEqual(seen, []);
    const id = await client.mutation(m(`put${table}`), { ...args, doc: { shard, author: "zed", n: 1n, body: "a live update" } });
    await until(() => seen?.length === 1, 5000, "the insert to reach the subscription");
    await client.mutation(m(`patch${table}`), { ...args, id, fields: { body: "not any more" } });
    await until(() => seen?.length === 0, 5000, "the patch to reach the subscription");
    unsub?.();
  });
}

test("a wrong search use is bad_query", async () => {
  await assert.rejects(client.query(q("searchsRoot"), { text: 5 }));
});

test("fixtures/valid/search as written: search on a root, a D1 and a sharded table", async () => {
  const app = await startApp(await buildFixtureWorker("search", "search-fixture"));
  try {
    const c = app.client();
    const run = (kind, name, args) => (kind === "q" ? c.query(ref(name), args) : c.mutation(ref(name, "mutation"), args));
    await run("m", "notes:add", { title: "Fox notes", body: "the quick brown fox", author: "ann", pinned: false });
    await run("m", "notes:add", { title: "Cats", body: "a lazy cat", author: "bob", pinned: true });
    await run("m", "notes:add", { title: "Untitled", author: "bob", pinned: false });
    assert.deepEqual((await run("q", "notes:search", { text: "fox" })).map((n) => n.title), ["Fox notes"]);
    assert.deepEqual(await run("q", "notes:search", { text: "fox", author: "bob" }), []);
    assert.equal((await run("q", "notes:firstTitle", { text: "cat" }))?.title, "Cats");
    await run("m", "articles:add", { title: "En", text: "search engines rank documents", lang: "en" });
    await run("m", "articles:add", { title: "Fr", text: "search moteurs", lang: "fr" });
    const page = await run("q", "articles:search", { text: "search", lang: "fr", paginationOpts: { numItems: 5, cursor: null } });
    assert.deepEqual(page.page.map((a) => a.title), ["Fr"]);
    assert.equal(page.isDone, true);
    await run("m", "messages:send", { channel: "general", author: "ann", body: "hello world" });
    await run("m", "messages:send", { channel: "random", author: "ann", body: "hello there" });
    assert.deepEqual((await run("q", "messages:search", { channel: "general", text: "hel" })).map((x) => x.body), ["hello world"]);
  } finally {
    await app.dispose();
  }
});

test("a deploy that removes or redefines a Durable Object's search index drops its stale FTS table and triggers", async () => {
  const persist = await mkdtemp(path.join(os.tmpdir(), "lunora-fts-"));
  const schema = (indexes) => `import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({ posts: defineTable({ title: v.string(), body: v.string() })${indexes} });
`;
  const functions = (field) => `import { v } from "lunorash/server";
import { mutation, query } from "./_generated/server";
export const put = mutation({ args: { title: v.string(), body: v.string() }, handler: async (ctx, args) => ctx.db.insert("posts", args) });
export const find = query({
  args: { text: v.string() },
  handler: async (ctx, { text }) => (await ctx.db.query("posts").withSearchIndex("by_title", (q) => q.search("${field}", text)).collect()).map((p) => p.title),
});
`;
  const start = async (name, indexes, field) =>
    startApp({
      ...(await buildWorker(name, { "lunora/schema.ts": schema(indexes), "lunora/posts.ts": functions(field) }, workerEntry())),
      miniflare: { durableObjectsPersist: persist },
    });
  let app = await start(
    "fts-v1",
    `.searchIndex("by_body", { searchField: "body" }).searchIndex("by_title", { searchField: "title" })`,
    "title",
  );
  try {
    await app.ok("posts:put", { title: "alpha", body: "zebra" });
    assert.deepEqual(await app.ok("posts:find", { text: "alpha" }), ["alpha"]);
    const before = (await app.debug("root")).fts;
    assert.ok(before.includes("posts__by_body") && before.includes("posts__by_body__insert"), JSON.stringify(before));
  } finally {
    await app.dispose();
  }
  // v2: by_body removed, by_title now searches `body` (same name, another field).
  app = await start("fts-v2", `.searchIndex("by_title", { searchField: "body" })`, "body");
  try {
    await app.ok("posts:put", { title: "beta", body: "yak" });
    const after = (await app.debug("root")).fts;
    assert.ok(!after.some((n) => n.startsWith("posts__by_body")), JSON.stringify(after));
    assert.ok(after.includes("posts__by_title") && after.includes("posts__by_title__update"), JSON.stringify(after));
    // Rebuilt from the rows: the old document is found by its body, not by its title any more.
    assert.deepEqual(await app.ok("posts:find", { text: "zebra" }), ["alpha"]);
    assert.deepEqual(await app.ok("posts:find", { text: "alpha" }), []);
    assert.deepEqual(await app.ok("posts:find", { text: "yak" }), ["beta"]);
  } finally {
    await app.dispose();
    await rm(persist, { recursive: true, force: true });
  }
});
