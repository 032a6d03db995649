// An app that owns its `users` table (Convex's "store the user" pattern: fixtures/valid/convex-users)
// on workerd: guests and verified subjects live in the built-in `_identities`, ctx.auth.userId is
// one of its ids, getUserIdentity() works, and the app's `users` rows are the app's own.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { buildFixtureWorker, workerEntry } from "../scripts/build-app.mjs";
import { startApp } from "./helpers.mjs";

let app;
let ddl;
before(async () => {
  const worker = workerEntry({
    options: `{
  testHooks: true,
  verifyToken: async (token) => (token.startsWith("ext:") ? { subject: token.slice(4), name: "Ext" } : null),
}`,
  });
  let scriptPath;
  ({ scriptPath, ddl } = await buildFixtureWorker("convex-users", "convex-users", worker));
  app = await startApp({ scriptPath, ddl });
});
after(async () => {
  await app?.dispose();
});

test("the migration creates _identities in D1 and no D1 users table (the app's users is a root table)", () => {
  assert.match(ddl, /CREATE TABLE "_identities"/);
  assert.doesNotMatch(ddl, /CREATE TABLE "users"/);
});

test("store the user: a guest's identity finds or makes its own users row, once", async () => {
  const { token, userId } = await app.guest();
  assert.match(userId, /^_identities:[a-z2-7]{20}$/);
  const first = await app.ok("users:store", { name: "Ada" }, token);
  assert.match(first, /^users:/);
  assert.equal(await app.ok("users:store", { name: "Ada L." }, token), first, "the same row the second time");
  const me = await app.ok("users:me", {}, token);
  assert.equal(me._id, first);
  assert.equal(me.name, "Ada L.");
  assert.equal(me.tokenIdentifier, `lunora|guest:${userId.slice("_identities:".length)}`);
  await app.ok("users:addNote", { body: "hello" }, token);
  const notes = await app.ok("users:myNotes", {}, token);
  assert.deepEqual(notes.map((n) => [n.author, n.body]), [[first, "hello"]]);
  // Another guest is another identity and another row.
  const other = await app.guest();
  const second = await app.ok("users:store", { name: "Bob" }, other.token);
  assert.notEqual(second, first);
  assert.deepEqual(await app.ok("users:myNotes", {}, other.token), []);
  assert.equal(await app.ok("users:me", {}), null, "anonymous");
});

test("a verified subject gets an _identities row on first sight, and its own users row", async () => {
  const token = "ext:alice";
  const id = await app.ok("users:store", { name: "Alice" }, token);
  const me = await app.ok("users:me", {}, token);
  assert.equal(me._id, id);
  assert.equal(me.tokenIdentifier, "lunora|alice");
  const rows = await app.db.prepare(`SELECT "_id", "subject" FROM "_identities" WHERE "subject" = ?`).bind("alice").all();
  assert.equal(rows.results.length, 1);
  assert.match(rows.results[0]._id, /^_identities:/);
});
