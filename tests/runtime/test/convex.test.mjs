// Convex's object form on workerd (issue 15): a mutation and a query written as
// `mutation({ args, returns, handler: (ctx, args) => ... })` run as the builder form does;
// a result its `returns` validator rejects is an error; paginationOptsValidator args paginate.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { ref, startApp, until } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.dispose();
});

test("object-form mutation and query run, with args validated", async () => {
  const added = await app.call("convex:addNote", { title: "convex-one", rank: 1.5 });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.match(added.body.value, /^notes:/);
  const titles = await app.call("convex:titles", { prefix: "convex-" });
  assert.equal(titles.status, 200, JSON.stringify(titles.body));
  assert.deepEqual(titles.body.value, ["convex-one"]);
  const bad = await app.call("convex:addNote", { title: "x", rank: "high" });
  assert.equal(bad.body.ok, false);
  assert.equal(bad.body.error.code, "bad_args");
});

test("a result its returns validator rejects is refused", async () => {
  const res = await app.call("convex:badReturn", {});
  assert.equal(res.body.ok, false, JSON.stringify(res.body));
  assert.match(res.body.error.message, /returns/);
});

test("paginationOptsValidator args paginate with Convex's result shape", async () => {
  const first = await app.call("convex:paged", { paginationOpts: { numItems: 1, cursor: null } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.value.page.length, 1);
  assert.equal(typeof first.body.value.isDone, "boolean");
  assert.equal(typeof first.body.value.continueCursor, "string");
});

test("paginationOpts.endCursor pins a page's end: every document after cursor up to endCursor, however many", async () => {
  for (const [title, rank] of [["pin-a", 1001], ["pin-b", 1002], ["pin-c", 1003], ["pin-d", 1004]]) await app.ok("convex:addNote", { title, rank });
  const titles = (r) => r.page.map((n) => n.title).filter((t) => t.startsWith("pin-"));
  // The page after the notes ranked below 1001, two long: pin-a, pin-b.
  const before = (await app.ok("convex:paged", { paginationOpts: { numItems: 1000, cursor: null } })).page.filter((n) => n.rank < 1001);
  const start = before.length
    ? (await app.ok("convex:paged", { paginationOpts: { numItems: before.length, cursor: null } })).continueCursor
    : null;
  const page = await app.ok("convex:paged", { paginationOpts: { numItems: 2, cursor: start } });
  assert.deepEqual(titles(page), ["pin-a", "pin-b"]);
  // A note ranked inside the page: the pinned page grows to hold it, the next page is unchanged.
  await app.ok("convex:addNote", { title: "pin-ab", rank: 1001.5 });
  const pinned = await app.ok("convex:paged", { paginationOpts: { numItems: 2, cursor: start, endCursor: page.continueCursor } });
  assert.deepEqual(titles(pinned), ["pin-a", "pin-ab", "pin-b"]);
  assert.equal(pinned.continueCursor, page.continueCursor);
  const rest = await app.ok("convex:paged", { paginationOpts: { numItems: 2, cursor: page.continueCursor } });
  assert.deepEqual(titles(rest), ["pin-c", "pin-d"]);
  const bad = await app.call("convex:paged", { paginationOpts: { numItems: 2, cursor: start, endCursor: "not a cursor" } });
  assert.equal(bad.body.ok, false);
  assert.equal(bad.body.error.code, "bad_args");
});

test("ctx.db table-first get/patch/replace/delete; an id of another table is refused and nothing is written", async () => {
  const r = await app.ok("convex:tableFirst", { title: "tf" });
  assert.deepEqual(r, { patched: 2, replaced: "tf!", deleted: true });
  const id = await app.ok("convex:addNote", { title: "tf-keep", rank: 7 });
  const refused = await app.call("convex:wrongTable", { id });
  assert.equal(refused.body.ok, false);
  assert.equal(refused.body.error.code, "bad_args", JSON.stringify(refused.body));
  assert.match(refused.body.error.message, /not an id of "channels"/);
  assert.ok((await app.ok("convex:titles", { prefix: "tf-keep" })).includes("tf-keep"), "still there");
});

test("normalizeId: the id for its own table, null for another table or a malformed string", async () => {
  const id = await app.ok("convex:addNote", { title: "norm", rank: 8 });
  assert.deepEqual(await app.ok("convex:normalize", { raw: id }), { notes: id, channels: null });
  for (const raw of ["", "notes:", "notes:short", `${id}x`, "notes:ABCDEFGHIJKLMNOPQRST", id.replace("notes:", "channels:")]) {
    assert.deepEqual(await app.ok("convex:normalize", { raw }), { notes: null, channels: raw.startsWith("channels:") ? raw : null }, raw);
  }
});

test("the filter builder (q.field, and, eq, gte, neq, mod) and for await over a query", async () => {
  for (const [title, rank, done] of [["fb-1", 21, false], ["fb-2", 22, false], ["fb-3", 23, true], ["fb-4", 24, false], ["fb-0", 19, false]]) {
    const id = await app.ok("convex:addNote", { title, rank });
    if (done) await app.ok("notes:patch", { id, done: true });
  }
  // rank >= 20, not done, even rank.
  assert.deepEqual(await app.ok("convex:openAbove", { min: 20, prefix: "fb-" }), ["fb-2", "fb-4"]);
});

test("ctx.auth.getUserIdentity: null when anonymous; subject, issuer and tokenIdentifier for a guest", async () => {
  assert.equal(await app.ok("convex:whoami", {}), null);
  const { token } = await app.guest();
  const me = await app.ok("convex:whoami", {}, token);
  assert.match(me.subject, /^guest:/);
  assert.equal(me.issuer, "lunora");
  assert.equal(me.tokenIdentifier, `lunora|${me.subject}`);
  assert.equal(me.subject, `guest:${me.userId.slice("users:".length)}`);
});

test("getUserIdentity in a query routed to a shard, live: the identity and the channel's messages", async () => {
  const { token } = await app.guest();
  const channelId = await app.ok("channels:create", { name: "ident" }, token);
  await app.ok("messages:send", { channelId, text: "one" }, token);
  const resolved = await app.call("convex:whoamiInChannel", { channelId }, token);
  assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
  assert.match(resolved.body.value.subject, /^guest:/);
  assert.equal(resolved.body.value.messages, 1);
  const c = app.client({ auth: async () => token });
  let seen;
  c.subscribe(ref("convex:whoamiInChannel"), { channelId }, (v) => (seen = v));
  await until(() => seen?.messages === 1, 5000, "the first result");
  assert.equal(seen.subject, resolved.body.value.subject);
  await app.ok("messages:send", { channelId, text: "two" }, token);
  await until(() => seen?.messages === 2, 5000, "a live update");
  c.close();
});

test("getUserIdentity in an action: from the verified token, the same subject as in a query", async () => {
  assert.equal(await app.ok("convex:whoamiAction", {}), null);
  const { token } = await app.guest();
  const fromAction = await app.ok("convex:whoamiAction", {}, token);
  const fromQuery = await app.ok("convex:whoami", {}, token);
  assert.deepEqual(fromAction, { subject: fromQuery.subject, tokenIdentifier: fromQuery.tokenIdentifier });
});
