// Convex's object form on workerd (issue 15): a mutation and a query written as
// `mutation({ args, returns, handler: (ctx, args) => ... })` run as the builder form does;
// a result its `returns` validator rejects is an error; paginationOptsValidator args paginate.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startApp } from "./helpers.mjs";

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
