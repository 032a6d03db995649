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
