// Data integrity under concurrency and failures (issue 13): serializable read-modify-writes of
// global documents from root and shards, exactly-once mutations in client order, notifications
// that survive failures, atomic commits across a Durable Object and D1, shard-key checks.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startApp, ref, until } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.dispose();
});

const call = (path, args, token) => app.ok(path, args, token);

// A well-formed channel id named after `n` (characters outside the id alphabet mapped into it).
const channel = (n) => `channels:${[...String(n)].map((c) => (/[a-z2-7]/.test(c) ? c : "abcdefghijklmnopqrstuvwxyz234567"[c.charCodeAt(0) % 32])).join("").padStart(20, "a")}`;
const messagesOf = async (channelId) => (await call("messages:list", { channelId, limit: 1000 })).map((m) => m.text);

test("50 concurrent increments of one global document from root and three shards end at exactly 50", async () => {
  const id = await call("counters:create", { name: "race" });
  const shards = [channel("race1"), channel("race2"), channel("race3")];
  const client = app.client({ auth: "none" });
  const calls = [];
  for (let i = 0; i < 50; i++) {
    calls.push(
      i % 4 === 0
        ? client.mutation(ref("counters:incRoot", "mutation"), { id })
        : client.mutation(ref("counters:incShard", "mutation"), { id, channelId: shards[i % 3], text: `inc${i}` }),
    );
  }
  // One client sends one mutation at a time; many clients (here: raw HTTP calls) race for real.
  const racing = [];
  for (let i = 0; i < 50; i++) {
    racing.push(
      i % 4 === 0 ? call("counters:incRoot", { id }) : call("counters:incShard", { id, channelId: shards[i % 3], text: `race${i}` }),
    );
  }
  const results = await Promise.all([...calls, ...racing]);
  const doc = await call("counters:get", { id });
  assert.equal(doc.n, 100, "every increment survived");
  // Each increment saw a distinct predecessor: the returned values are exactly 1..100.
  assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
  let messages = 0;
  for (const ch of shards) messages += (await messagesOf(ch)).length;
  const shardCalls = 2 * Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 4 !== 0).length;
  assert.equal(messages, shardCalls, "every shard mutation's local write committed once");
});

test("a read-only mutation whose global reads go stale runs again: its reads agree", async () => {
  const id = await call("counters:create", { name: "read-only" });
  for (let round = 0; round < 3; round++) {
    const reading = call("counters:readTwice", { id, pauseMs: 300 });
    // A shard increments the counter between the two reads of the first attempt.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await call("counters:incShard", { id, channelId: channel(`ro${round}`), text: "between" });
    const [first, second] = await reading;
    assert.equal(first, second, `round ${round}: the two reads of one mutation saw different counters`);
    assert.equal(second, round + 1);
  }
});

test("a shard and root patching different fields of one row concurrently both survive", async () => {
  const id = await call("counters:create", { name: "fields" });
  const jobs = [];
  for (let i = 0; i < 10; i++) {
    jobs.push(call("counters:setA", { id, value: String(i % 10) }));
    jobs.push(call("counters:setB", { id, channelId: channel("fields"), value: String(i % 10) }));
  }
  await Promise.all(jobs);
  const doc = await call("counters:get", { id });
  assert.equal(doc.a.length, 10, `every append to a survived: ${doc.a}`);
  assert.equal(doc.b.length, 10, `every append to b survived: ${doc.b}`);
});

test("mutations of one client commit once each, in the order issued", async () => {
  const client = app.client({ auth: "none" });
  const titles = Array.from({ length: 20 }, (_, i) => `ordered-${String(i).padStart(2, "0")}`);
  // Fired without awaiting; a restart after one commit and one before another on the way.
  await app.fault("root", { "abort-after-commit": 1 });
  const pending = titles.map((title, rank) => client.mutation(ref("notes:add", "mutation"), { title, rank: 1000 + rank }));
  const ids = await Promise.all(pending);
  assert.equal(new Set(ids).size, 20);
  const stored = (await call("notes:all", {})).filter((n) => n.title.startsWith("ordered-"));
  assert.deepEqual(
    stored.map((n) => n.title),
    titles,
    "each applied once, in creation order = issue order",
  );
});

test("a lost reply, a restart before and after the commit: each mutation applied exactly once", async () => {
  const id = await call("counters:create", { name: "faults" });
  const ch = channel("faults");
  const object = `channelId:${ch}`;
  const client = app.client({ auth: "none" });
  const inc = (text) => client.mutation(ref("counters:incShard", "mutation"), { id, channelId: ch, text });
  await inc("warm-up");
  // Subscribers of both stores, on another client: they must converge on the final state.
  const watcher = app.client({ auth: "none" });
  let counter;
  let messages;
  watcher.subscribe(ref("counters:get"), { id }, (v) => (counter = v));
  watcher.subscribe(ref("messages:list"), { channelId: ch, limit: 1000 }, (v) => (messages = v));
  await until(() => counter?.n === 1 && messages?.length === 1, 5000, "initial results");
  const cases = [
    ["abort-before-commit", "restart-before"],
    ["abort-after-commit", "restart-after"],
    ["d1-lose-reply", "d1-reply-lost"],
    ["abort-after-d1", "restart-between-d1-and-local"],
    ["d1-fail", "d1-failed-once"],
  ];
  for (const [fault, text] of cases) {
    const before = (await app.debug(object)).instance;
    await app.fault(object, { [fault]: 1 });
    await inc(text);
    if (fault.startsWith("abort")) assert.notEqual((await app.debug(object)).instance, before, `${fault}: the object restarted`);
  }
  const doc = await call("counters:get", { id });
  assert.equal(doc.n, 1 + cases.length, "the global write of each mutation applied once");
  const texts = (await messagesOf(ch)).reverse();
  assert.deepEqual(texts, ["warm-up", ...cases.map(([, t]) => t)], "the local write of each mutation applied once, with it");
  const info = await app.debug(object);
  assert.equal(info.intents, 0, "no commit left unresolved");
  await until(() => counter?.n === doc.n && messages?.length === texts.length, 15_000, "the subscribers to converge");
  assert.deepEqual(messages.map((m) => m.text).reverse(), texts);
});

test("the same mutation id sent twice is applied once and both get the first result", async () => {
  const body = { path: "notes:add", args: { title: "dedup-me", rank: 7 }, mutationId: "testclient:1" };
  const post = () =>
    fetch(`${app.url}/api/call`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) =>
      r.json(),
    );
  const [first, second] = await Promise.all([post(), post()]);
  const third = await post();
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.equal(second.value, first.value);
  assert.equal(third.value, first.value);
  const stored = (await call("notes:all", {})).filter((n) => n.title === "dedup-me");
  assert.equal(stored.length, 1);
  const bad = await app.call("notes:add", { title: "x", rank: 1 });
  assert.equal(bad.status, 200, "a call without a mutation id still works");
  const malformed = await fetch(`${app.url}/api/call`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, mutationId: "no sequence number" }),
  }).then((r) => r.json());
  assert.equal(malformed.error.code, "bad_request");
});

test("a failing notification to root is retried until delivered: subscribers converge", async () => {
  const id = await call("counters:create", { name: "notify" });
  const ch = channel("notify");
  const client = app.client({ auth: "none" });
  let seen;
  client.subscribe(ref("counters:get"), { id }, (v) => (seen = v));
  await until(() => seen?.n === 0, 5000, "initial counter");
  await app.fault("root", { "invalidate-fail": 3 });
  const n = await client.mutation(ref("counters:incShard", "mutation"), { id, channelId: ch, text: "notified" });
  assert.equal(n, 1, "the mutation committed and said so, though root refused the notification");
  await until(() => seen?.n === 1, 10_000, "the root subscription to see the shard's write");
  await until(async () => (await app.debug(`channelId:${ch}`)).outbox === 0, 10_000, "the shard's outbox to drain");
});

test("a document of another shard cannot be written from this one", async () => {
  const ch = channel("mine");
  const other = channel("theirs");
  const res = await app.call("counters:misroute", { channelId: ch, other });
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, "wrong_shard", JSON.stringify(res.body));
  assert.deepEqual(await messagesOf(other), []);
  assert.deepEqual(await messagesOf(ch), []);
});

test("a signed-in client's socket carries its token in the subprotocol header, never in the URL", async () => {
  const { default: WebSocket } = await import("ws");
  const opened = [];
  class Recording extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      opened.push({ url, protocols });
    }
  }
  const client = app.client({ WebSocket: Recording });
  let me;
  client.subscribe(ref("users:me"), {}, (v) => (me = v));
  await until(() => typeof me === "string" && me.startsWith("users:"), 5000, "a signed-in live query");
  assert.equal(opened.length, 1);
  assert.ok(!/token/.test(opened[0].url), opened[0].url);
  assert.equal(opened[0].protocols[0], "lunora");
  assert.match(opened[0].protocols[1], /^lunora\.auth\.[A-Za-z0-9_-]+$/);
});

test("after `await mutation(...)`, the client's live queries on that object already show it", async () => {
  const client = app.client();
  const ch = channel("promise");
  const list = ref("messages:list");
  let updates = 0;
  client.subscribe(list, { channelId: ch, limit: 100 }, () => updates++);
  await until(() => client.current(list, { channelId: ch, limit: 100 }) !== undefined, 5000, "the first result");
  for (let i = 0; i < 20; i++) {
    const text = `promised ${i}`;
    await client.mutation(ref("messages:send", "mutation"), { channelId: ch, text });
    const now = client.current(list, { channelId: ch, limit: 100 });
    assert.ok(
      now.some((m) => m.text === text),
      `right after the mutation resolved, the live query shows "${text}"`,
    );
  }
  assert.ok(updates >= 20);
});
