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

const ok = (path, args = {}) => app.ok(path, args);

async function fails(path, args, code) {
  const res = await app.call(path, args);
  assert.notEqual(res.status, 200, `${path} should fail`);
  if (code) assert.equal(res.body.error.code, code, JSON.stringify(res.body));
  return res.body.error;
}

test("every ctx.db operation on Durable Object SQLite", async () => {
  const ids = [];
  for (const [title, rank, done] of [["b", 2, false], ["a", 1, true], ["d", 4, false], ["c", 3, true], ["e", 5, false]]) {
    ids.push(await ok("notes:add", { title, rank, done, ...(title === "a" ? { tags: ["x", "y"] } : {}) }));
  }
  assert.ok(ids.every((id) => /^notes:[a-z2-7]{20}$/.test(id)));

  // get
  const a = await ok("notes:get", { id: ids[1] });
  assert.deepEqual({ ...a, _creationTime: 0 }, { _id: ids[1], _creationTime: 0, title: "a", rank: 1, done: true, tags: ["x", "y"] });
  assert.equal(typeof a._creationTime, "number");
  assert.equal(await ok("notes:get", { id: "notes:doesnotexistaaaaaaaa" }), null);

  // collect in creation order, index ranges, order
  assert.deepEqual((await ok("notes:all")).map((n) => n.title), ["b", "a", "d", "c", "e"]);
  const ranks = async (path, args) => (await ok(path, args)).map((n) => n.rank);
  assert.deepEqual(await ranks("notes:byRank", {}), [1, 2, 3, 4, 5]);
  assert.deepEqual(await ranks("notes:rangeGteLt", { gte: 2, lt: 4 }), [2, 3]);
  assert.deepEqual(await ranks("notes:rangeGtLte", { gt: 2, lte: 4 }), [3, 4]);
  assert.deepEqual(await ranks("notes:rangeDesc", { gte: 2, lte: 4 }), [4, 3, 2]);
  assert.deepEqual(await ranks("notes:above", { gt: 5 }), []);

  // eq + order + take on a compound index
  assert.deepEqual((await ok("notes:openByRank", { done: false, limit: 2 })).map((n) => n.title), ["e", "d"]);
  assert.deepEqual((await ok("notes:openByRank", { done: true, limit: 10 })).map((n) => n.title), ["c", "a"]);

  // filter, first, unique
  await ok("notes:add", { title: "cab", rank: 9 });
  assert.deepEqual((await ok("notes:filtered", { contains: "c" })).map((n) => n.title), ["c", "cab"]);
  assert.equal((await ok("notes:firstByRank")).title, "a");
  assert.equal((await ok("notes:byTitle", { title: "d" })).rank, 4);
  assert.equal(await ok("notes:byTitle", { title: "zzz" }), null);
  await ok("notes:add", { title: "dup-rank", rank: 4 });
  assert.equal((await fails("notes:uniqueRank", { rank: 4 }, "not_unique")).code, "not_unique");

  // paginate: pages cover everything in index order, once
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 10; i++) {
    const page = await ok("notes:page", { numItems: 3, cursor });
    seen.push(...page.page.map((n) => n.title));
    cursor = page.continueCursor;
    if (page.isDone) break;
  }
  const expected = (await ok("notes:byRank", {})).map((n) => n.title);
  assert.deepEqual(seen, expected);

  // patch (including removing an optional field), replace, delete
  await ok("notes:patch", { id: ids[0], rank: 10, done: true });
  const b = await ok("notes:get", { id: ids[0] });
  assert.equal(b.rank, 10);
  assert.equal(b.done, true);
  assert.equal(b.title, "b");
  await ok("notes:replace", { id: ids[1], title: "a2", rank: 11, done: false });
  const a2 = await ok("notes:get", { id: ids[1] });
  assert.deepEqual([a2.title, a2.rank, a2.done, a2.tags, a2._creationTime], ["a2", 11, false, undefined, a._creationTime]);
  await ok("notes:remove", { id: ids[2] });
  assert.equal(await ok("notes:get", { id: ids[2] }), null);
  await fails("notes:remove", { id: ids[2] }, "not_found");

  // unique index enforced
  const err = await fails("notes:add", { title: "c", rank: 1 }, "unique_violation");
  assert.match(err.message, /by_title/);
});

test("index range queries use the index (EXPLAIN QUERY PLAN)", async () => {
  await ok("notes:rangeDesc", { gte: 2, lte: 4 });
  await ok("notes:openByRank", { done: false, limit: 2 });
  const { plans } = await app.debug("root");
  const range = plans.find((p) => p.sql.includes("json_extract(doc,'$.rank') >= json_extract(?,'$')") && p.sql.includes("DESC"));
  assert.ok(range, JSON.stringify(plans.map((p) => p.sql)));
  const detail = range.plan.join(" | ");
  assert.match(detail, /SEARCH notes USING INDEX notes__by_rank/, detail);
  assert.doesNotMatch(detail, /SCAN|TEMP B-TREE/, detail);
  const compound = plans.findLast((p) => p.sql.includes("json_extract(doc,'$.done') = ?"));
  const detail2 = compound.plan.join(" | ");
  assert.match(detail2, /SEARCH notes USING INDEX notes__by_done_rank/, detail2);
  assert.doesNotMatch(detail2, /SCAN|TEMP B-TREE/, detail2);
});

test("a throwing mutation leaves nothing behind", async () => {
  const before = (await app.debug("root")).counts.notes;
  const err = await fails("notes:addMany", { titles: ["t1", "t2", "t3"], failAfter: 2 }, "function_error");
  assert.equal(err.message, "failing after 2 inserts");
  assert.equal((await app.debug("root")).counts.notes, before);
  assert.equal(await ok("notes:byTitle", { title: "t1" }), null);
  // a later constraint failure rolls back the earlier inserts of the same mutation
  await fails("notes:addMany", { titles: ["u1", "u2", "u1"] }, "unique_violation");
  assert.equal((await app.debug("root")).counts.notes, before);
  assert.equal(await ok("notes:addMany", { titles: ["v1", "v2"] }), 2);
  assert.equal((await app.debug("root")).counts.notes, before + 2);
});

test("global (D1) tables: real columns, unique index, atomic batch on throw", async () => {
  const { token } = await app.guest();
  const id = (await app.call("channels:create", { name: "general" }, token)).body.value;
  const row = await app.db.prepare(`SELECT * FROM channels WHERE _id = ?`).bind(id).first();
  assert.equal(row.name, "general");
  assert.equal(row.topic, null);
  const byName = await ok("channels:byName", { name: "general" });
  assert.deepEqual(Object.keys(byName).sort(), ["_creationTime", "_id", "name"]);
  await fails("channels:create", { name: "general" }, "unique_violation");

  const before = (await app.db.prepare(`SELECT count(*) AS n FROM channels`).first()).n;
  await fails("channels:createTwoThenFail", { a: "x1", b: "x2" }, "function_error");
  assert.equal((await app.db.prepare(`SELECT count(*) AS n FROM channels`).first()).n, before);

  // a shard mutation patching a global row
  await app.call("messages:send", { channelId: id, text: "one" }, token);
  assert.equal((await app.call("messages:setTopic", { channelId: id, topic: "hello" }, token)).status, 200);
  assert.equal((await ok("channels:byName", { name: "general" })).topic, "hello (1)");

  // shard + D1 in one mutation: a failing D1 batch (duplicate channel name) rolls back the message too
  const ok2 = await app.call("messages:sendAndCreateChannel", { channelId: id, text: "kept", name: "fresh-name" }, token);
  assert.equal(ok2.status, 200, JSON.stringify(ok2.body));
  const dup = await app.call("messages:sendAndCreateChannel", { channelId: id, text: "lost", name: "general" }, token);
  assert.equal(dup.body.error.code, "unique_violation");
  const texts = (await ok("messages:list", { channelId: id })).map((m) => m.text);
  assert.deepEqual(texts, ["kept", "one"]);
});

test("query() inside a mutation sees the mutation's own pending D1 writes", async () => {
  const { token } = await app.guest();
  const names = ["ryw-b", "ryw-d", "ryw-f", "ryw-h"];
  const ids = [];
  for (const name of names) ids.push((await app.call("channels:create", { name }, token)).body.value);
  const res = await app.call(
    "channels:writeThenRead",
    { insert: "ryw-e", renameId: ids[0], renameTo: "ryw-z", deleteId: ids[2], after: "ryw-d" },
    token,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const value = res.body.value;
  // What a fresh read after the commit says: the in-mutation reads must agree with it.
  const committed = (await ok("channels:list", {})).map((c) => c.name).filter((n) => n.startsWith("ryw-"));
  assert.deepEqual(committed, ["ryw-d", "ryw-e", "ryw-h", "ryw-z"]);
  assert.deepEqual(value.all.filter((n) => n.startsWith("ryw-")), committed);
  assert.deepEqual(value.pages.filter((n) => n.startsWith("ryw-")), committed, "paginate over the merged rows");
  assert.deepEqual(value.desc, committed.slice().reverse().slice(0, 2));
  assert.equal(value.inserted, "ryw-e");
  assert.equal(value.renamed, ids[0]);
  assert.deepEqual(value.range.filter((n) => n.startsWith("ryw-")), ["ryw-e", "ryw-h", "ryw-z"]);
});
