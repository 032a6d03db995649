import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import WebSocket from "ws";
import { authProtocol, startApp, ref, until } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.dispose();
});

/** A `ws` WebSocket that records every server message (to check versions and deltas). */
function recordingSocket(log) {
  return class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (event) => log.push(JSON.parse(String(event.data))));
    }
  };
}

/** Per subscription id: results reset the chain; every delta must continue it (none lost or duplicated). */
function checkVersionChains(log) {
  const last = new Map();
  let deltas = 0;
  for (const msg of log) {
    if (msg.t === "result") last.set(msg.id, msg.version);
    else if (msg.t === "delta") {
      deltas++;
      assert.equal(msg.from, last.get(msg.id), `delta for sub ${msg.id} continues the previous version`);
      assert.ok(msg.version > msg.from, "versions increase");
      last.set(msg.id, msg.version);
    }
  }
  return deltas;
}

const call = (path, args, token) => app.ok(path, args, token);

test("live queries: random mutation sequences, the client reproduces every result exactly", async () => {
  const log = [];
  const client = app.client({ auth: "none", WebSocket: recordingSocket(log) });
  const queries = [
    [ref("notes:all"), {}],
    [ref("notes:openByRank"), { done: false, limit: 4 }],
    [ref("notes:rangeDesc"), { gte: 2, lte: 6 }],
  ];
  const values = queries.map(() => undefined);
  const unsubs = queries.map(([r, args], i) => client.subscribe(r, args, (v) => (values[i] = v)));
  let counter = 0;
  const ids = [];
  const op = fc.oneof(
    fc.record({ k: fc.constant("add"), rank: fc.integer({ min: 0, max: 9 }), done: fc.boolean() }),
    fc.record({ k: fc.constant("patch"), pick: fc.nat(), rank: fc.integer({ min: 0, max: 9 }), done: fc.option(fc.boolean(), { nil: undefined }) }),
    fc.record({ k: fc.constant("replace"), pick: fc.nat(), rank: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ k: fc.constant("remove"), pick: fc.nat() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
      for (const o of ops) {
        const id = ids.length ? ids[o.pick % ids.length] : null;
        if (o.k === "add" || !id) ids.push(await call("notes:add", { title: `n${counter++}`, rank: o.rank ?? 1, done: o.done ?? false }));
        else if (o.k === "patch") await call("notes:patch", { id, rank: o.rank, ...(o.done === undefined ? {} : { done: o.done }) });
        else if (o.k === "replace") await call("notes:replace", { id, title: `r${counter++}`, rank: o.rank, done: true });
        else {
          await call("notes:remove", { id });
          ids.splice(ids.indexOf(id), 1);
        }
        for (let i = 0; i < queries.length; i++) {
          const fresh = await call(queries[i][0].path, queries[i][1]);
          await until(() => JSON.stringify(values[i]) === JSON.stringify(fresh), 5000, `${queries[i][0].path} to converge`);
          assert.deepEqual(values[i], fresh);
        }
      }
    }),
    { numRuns: 8 },
  );
  const deltas = checkVersionChains(log);
  assert.ok(deltas > 20, `deltas were sent (${deltas})`);
  assert.ok(log.some((m) => m.t === "delta" && m.delta.k === "list"), "keyed list deltas are used");
  unsubs.forEach((u) => u());
  client.close();
});

test("global (D1) queries update live, including writes made by a shard object", async () => {
  const { token } = await app.guest();
  const client = app.client({ auth: "none" });
  let channels;
  client.subscribe(ref("channels:list"), {}, (v) => (channels = v));
  await until(() => channels !== undefined, 5000, "initial result");
  const before = channels.length;
  const id = await call("channels:create", { name: "zz-live" }, token);
  await until(() => channels.length === before + 1, 5000, "insert to arrive");
  assert.equal(channels.at(-1).name, "zz-live");
  await call("messages:send", { channelId: id, text: "m" }, token);
  await call("messages:setTopic", { channelId: id, topic: "news" }, token);
  await until(() => channels.find((c) => c._id === id)?.topic === "news (1)", 5000, "shard write to reach the root subscription");
  client.close();
});

test("a shard query reading a global table updates when the table is written in another object", async () => {
  const { token } = await app.guest();
  const id = await call("channels:create", { name: "shard-global" }, token);
  const other = await call("channels:create", { name: "shard-global-other" }, token);
  await call("messages:send", { channelId: id, text: "m" }, token);
  const log = [];
  const client = app.client({ auth: "none", WebSocket: recordingSocket(log) });
  let seen;
  client.subscribe(ref("messages:withChannel"), { channelId: id }, (v) => (seen = v));
  await until(() => seen !== undefined, 5000, "initial result");
  assert.deepEqual(seen, { name: "shard-global", topic: null, n: 1 });
  assert.equal((await app.call("messages:withChannel", { channelId: id })).body.value.n, 1);
  // Written in root (a global-routed mutation), not in the shard serving the subscription.
  await call("channels:rename", { id, name: "shard-global-renamed" }, token);
  await until(() => seen.name === "shard-global-renamed", 5000, "rename made in root to reach the shard subscription");
  // Written by its own shard object.
  await call("messages:setTopic", { channelId: id, topic: "t" }, token);
  await until(() => seen.topic === "t (1)", 5000, "own shard write");
  // Written by another shard object (root fans the invalidation out).
  await call("messages:renameChannel", { channelId: other, target: id, name: "shard-global-2" }, token);
  await until(() => seen.name === "shard-global-2", 5000, "rename made in another shard");
  assert.deepEqual(seen, { name: "shard-global-2", topic: "t (1)", n: 1 });
  checkVersionChains(log);
  client.close();
});

test("users rows written by the Worker (guest sign-in, a verifier's new subject) update live queries", async () => {
  let subjects;
  const client = app.client({ auth: "none" });
  client.subscribe(ref("users:subjects"), {}, (v) => (subjects = v));
  await until(() => subjects !== undefined, 5000, "initial result");
  const { userId } = await app.guest();
  const guestSubject = `guest:${userId.slice("users:".length)}`;
  await until(() => subjects.includes(guestSubject), 5000, "the new guest in the live list");
  // A verified external subject seen for the first time creates its row during authentication.
  const ch = await call("channels:create", { name: "users-live" }, (await app.guest()).token);
  await call("messages:send", { channelId: ch, text: "hi" }, "ext:livebob");
  await until(() => subjects.includes("ext|livebob"), 5000, "the verifier's new user in the live list");
  const stored = (await app.db.prepare(`SELECT subject FROM users ORDER BY subject`).all()).results.map((r) => r.subject);
  assert.deepEqual([...subjects].sort(), stored.sort());
  client.close();
});

test("reconnect: the client re-subscribes and converges", async () => {
  const { token } = await app.guest();
  const ch = await call("channels:create", { name: "reconnect" }, token);
  const log = [];
  const client = app.client({ auth: "none", WebSocket: recordingSocket(log) });
  let messages;
  client.subscribe(ref("messages:list"), { channelId: ch }, (v) => (messages = v));
  await call("messages:send", { channelId: ch, text: "before" }, token);
  await until(() => messages?.length === 1, 5000, "first message");
  client.dropConnections();
  for (const text of ["while-1", "while-2", "while-3"]) await call("messages:send", { channelId: ch, text }, token);
  await until(() => messages?.length === 4, 5000, "convergence after reconnect");
  assert.deepEqual(messages.map((m) => m.text), ["while-3", "while-2", "while-1", "before"]);
  assert.ok(log.filter((m) => m.t === "result").length >= 2, "a fresh result after reconnecting");
  await call("messages:send", { channelId: ch, text: "after" }, token);
  await until(() => messages?.length === 5, 5000, "live again");
  checkVersionChains(log);
  client.close();
});

test("a Durable Object refuses a subscription that does not belong to it", async () => {
  const { token } = await app.guest();
  const a = await call("channels:create", { name: "sub-a" }, token);
  const b = await call("channels:create", { name: "sub-b" }, token);
  const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(`channelId:${a}`)}`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const replies = [];
  ws.on("message", (data) => replies.push(JSON.parse(String(data))));
  ws.send(JSON.stringify({ t: "sub", id: "1", path: "messages:list", args: { channelId: b } }));
  ws.send(JSON.stringify({ t: "sub", id: "2", path: "messages:count", args: { channelId: a } }));
  ws.send(JSON.stringify({ t: "sub", id: "3", path: "messages:list", args: { channelId: a, limit: "x" } }));
  ws.send(JSON.stringify({ t: "sub", id: "4", path: "messages:list", args: { channelId: a } }));
  await until(() => replies.length === 4, 5000, "four replies");
  const byId = Object.fromEntries(replies.map((r) => [r.id, r]));
  assert.equal(byId["1"].error.code, "wrong_object");
  assert.equal(byId["2"].error.code, "not_found");
  assert.equal(byId["3"].error.code, "bad_args");
  assert.equal(byId["4"].t, "result");
  ws.close();
  const bad = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=root`, ["lunora", authProtocol("forged.token")]);
  const status = await new Promise((resolve) => bad.once("unexpected-response", (_req, res) => resolve(res.statusCode)).once("open", () => resolve("open")));
  assert.equal(status, 401);
});

test("a write re-runs only the live queries whose ranges or documents it touches", async () => {
  const client = app.client();
  // Live re-runs happen in the object's serial queue after the reply: a query call queued behind
  // them makes sure they are done before the count is read.
  const runs = async () => {
    await app.ok("notes:all", {});
    return (await app.debug("root")).liveRuns;
  };
  const seen = { far: [], near: [], all: [], one: [] };
  const far = client.subscribe(ref("notes:rangeGteLt"), { gte: 5000, lt: 5001 }, (v) => seen.far.push(v));
  const near = client.subscribe(ref("notes:rangeGteLt"), { gte: 4000, lt: 4010 }, (v) => seen.near.push(v));
  const all = client.subscribe(ref("notes:all"), {}, (v) => seen.all.push(v));
  const target = await app.ok("notes:add", { title: "moving", rank: 5000.5 });
  const one = client.subscribe(ref("notes:get"), { id: target }, (v) => seen.one.push(v));
  try {
    await until(() => Object.values(seen).every((s) => s.length > 0) && seen.far.at(-1).length === 1, 5000, "first results");
    // Outside both ranges and not the watched document: only notes:all re-runs.
    let before = await runs();
    await app.ok("notes:add", { title: "elsewhere", rank: 1 });
    await until(() => seen.all.at(-1).some((d) => d.title === "elsewhere"), 5000, "notes:all");
    assert.equal((await runs()) - before, 1);
    // The watched document moves from the far range into the near one: all four re-run.
    before = await runs();
    await app.ok("notes:patch", { id: target, rank: 4005 });
    await until(() => seen.near.at(-1).length === 1 && seen.far.at(-1).length === 0 && seen.one.at(-1)?.rank === 4005, 5000, "the move");
    assert.equal((await runs()) - before, 4);
    // Deleted: the near range, notes:all and notes:get re-run; the far range does not.
    before = await runs();
    await app.ok("notes:remove", { id: target });
    await until(() => seen.near.at(-1).length === 0 && seen.one.at(-1) === null, 5000, "the delete");
    assert.equal((await runs()) - before, 3);
  } finally {
    for (const stop of [far, near, all, one]) stop();
  }
});

test("query state: a live query that throws is in `error` (its code and message), then `success` again once a run succeeds; a first run that fails is kept and recovers too", async () => {
  const client = app.client();
  const id = await app.ok("counters:create", { name: "parity" });
  const even = ref("counters:even");
  const inc = ref("counters:incRoot", "mutation");
  const states = [];
  assert.equal(client.queryState(even, { id }).status, "loading", "nobody subscribed: loading");
  const stop = client.watch(even, { id }, () => states.push(client.queryState(even, { id })));
  await until(() => client.queryState(even, { id }).status === "success", 5000, "first result");
  assert.deepEqual(client.queryState(even, { id }), { status: "success", data: 0, error: undefined });
  assert.equal(client.queryState(even, { id }), client.queryState(even, { id }), "the state keeps its identity");

  await client.mutation(inc, { id });
  await until(() => client.queryState(even, { id }).status === "error", 5000, "error state");
  const failed = client.queryState(even, { id });
  assert.equal(failed.error.code, "function_error");
  assert.match(failed.error.message, /counter is odd: 1/);
  assert.equal(failed.data, undefined, "no stale result next to the error");
  assert.equal(client.current(even, { id }), undefined);

  await client.mutation(inc, { id });
  await until(() => client.queryState(even, { id }).status === "success", 5000, "recovered");
  assert.equal(client.queryState(even, { id }).data, 2);
  assert.deepEqual(
    states.map((s) => s.status),
    ["success", "error", "success"],
    "one change per state, none repeated",
  );
  stop();

  // A subscription whose first run fails is kept by the server and recovers with the data.
  await client.mutation(inc, { id });
  const late = app.client();
  const stopLate = late.watch(even, { id }, () => {});
  await until(() => late.queryState(even, { id }).status === "error", 5000, "first run fails");
  assert.match(late.queryState(even, { id }).error.message, /counter is odd: 3/);
  await client.mutation(inc, { id });
  await until(() => late.queryState(even, { id }).status === "success", 5000, "first failure recovers");
  assert.equal(late.queryState(even, { id }).data, 4);
  stopLate();

  // Refused args are an error at once (and not kept by the server).
  const bad = app.client();
  const stopBad = bad.watch(even, { id: "nope" }, () => {});
  await until(() => bad.queryState(even, { id: "nope" }).status === "error", 5000, "bad args");
  assert.equal(bad.queryState(even, { id: "nope" }).error.code, "bad_args");
  stopBad();
});
