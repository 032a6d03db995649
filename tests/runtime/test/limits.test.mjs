// What an anonymous or single client can cost (issue 16): each limit gives its documented error
// and nothing is written or woken (the app runs with small limits: app/src/worker-limits.ts).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { authProtocol, startApp, until } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp({ entry: "worker-limits" });
});
after(async () => {
  await app?.dispose();
});

const usersRows = async () => (await app.db.prepare(`SELECT count(*) AS n FROM "users"`).first()).n;

function socket(object, token) {
  const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(object)}`, token ? ["lunora", authProtocol(token)] : ["lunora"]);
  const frames = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data))));
  const opened = new Promise((resolve) => ws.once("open", () => resolve(101)).once("unexpected-response", (_req, res) => resolve(res.statusCode)));
  return { ws, frames, opened };
}

test("a burst of guest sign-ins from one address: 429 rate_limited past the limit, nothing written or woken", async () => {
  // A live query on users in root: a sign-in that got through would update it.
  const watcher = socket("root");
  assert.equal(await watcher.opened, 101);
  watcher.ws.send(JSON.stringify({ t: "sub", id: "u", path: "users:subjects", args: {} }));
  await until(() => watcher.frames.some((f) => f.t === "result"), 5000, "the users subscription");
  const replies = [];
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${app.url}/api/auth/guest`, { method: "POST" });
    replies.push({ status: res.status, body: await res.json() });
  }
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 429, 429, 429, 429, 429]);
  assert.equal(replies[3].body.error.code, "rate_limited");
  await until(() => watcher.frames.filter((f) => f.t === "delta").length >= 1, 5000, "the accepted sign-ins to reach the subscription");
  const before = watcher.frames.length;
  assert.equal(await usersRows(), 3, "only the accepted sign-ins wrote a row");
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${app.url}/api/auth/guest`, { method: "POST" })).status, 429);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(watcher.frames.length, before, "refused sign-ins woke nothing");
  assert.equal(await usersRows(), 3);
  watcher.ws.close();
});

test("sockets per user on one object: the next upgrade is 429", async () => {
  // Anonymous sockets are counted per client address.
  const first = socket("root");
  const second = socket("root");
  assert.equal(await first.opened, 101);
  assert.equal(await second.opened, 101);
  const third = socket("root");
  assert.equal(await third.opened, 429);
  first.ws.close();
  second.ws.close();
});

test("subscriptions per object: the next sub is too_many, the others keep running", async () => {
  const ch = "channels:limitsaaaaaaaaaaaaaa";
  const s = socket(`channelId:${ch}`);
  assert.equal(await s.opened, 101);
  for (let i = 1; i <= 6; i++) s.ws.send(JSON.stringify({ t: "sub", id: String(i), path: "messages:list", args: { channelId: ch, limit: i } }));
  await until(() => s.frames.length >= 6, 5000, "six answers");
  const byId = Object.fromEntries(s.frames.map((f) => [f.id, f]));
  for (let i = 1; i <= 5; i++) assert.equal(byId[String(i)].t, "result");
  assert.equal(byId["6"].t, "error");
  assert.equal(byId["6"].error.code, "too_many");
  s.ws.close();
});

test("documents read per query: past the limit too_many_reads", async () => {
  for (let i = 0; i < 10; i++) assert.equal((await app.call("notes:add", { title: `r${i}`, rank: i })).status, 200);
  const ok = await app.call("notes:all", {});
  assert.equal(ok.status, 200);
  assert.equal(ok.body.value.length, 10);
  assert.equal((await app.call("notes:add", { title: "r10", rank: 10 })).status, 200);
  const tooMany = await app.call("notes:all", {});
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.error.code, "too_many_reads");
  assert.equal((await app.call("notes:byRank", {})).body.error.code, "too_many_reads");
  const page = await app.call("notes:page", { numItems: 5, cursor: null });
  assert.equal(page.status, 200, "a bounded read still works");
});
