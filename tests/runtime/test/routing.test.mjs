import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { ref, startApp } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.dispose();
});

test("guest auth, routing of two channels to two Durable Objects", async () => {
  const { token, userId } = await app.guest();
  assert.match(userId, /^users:[a-z2-7]{20}$/);
  const user = await app.db.prepare(`SELECT subject FROM users WHERE _id = ?`).bind(userId).first();
  assert.equal(user.subject, `guest:${userId.slice(6)}`);

  const a = (await app.call("channels:create", { name: "general" }, token)).body.value;
  const b = (await app.call("channels:create", { name: "random" }, token)).body.value;
  for (const text of ["a1", "a2", "a3"]) assert.equal((await app.call("messages:send", { channelId: a, text }, token)).status, 200);
  assert.equal((await app.call("messages:send", { channelId: b, text: "b1" }, token)).status, 200);

  const da = await app.debug(`channelId:${a}`);
  const db = await app.debug(`channelId:${b}`);
  assert.equal(da.name, `channelId:${a}`);
  assert.equal(da.counts.messages, 3);
  assert.equal(db.counts.messages, 1);
  const root = await app.debug("root");
  assert.equal(root.counts.messages, 0, "no message lands in the root object");

  const listA = (await app.call("messages:list", { channelId: a }, token)).body.value;
  assert.deepEqual(listA.map((m) => m.text), ["a3", "a2", "a1"]);
  assert.ok(listA.every((m) => m.userId === userId && m.channelId === a));
  const listB = (await app.call("messages:list", { channelId: b, limit: 10 })).body.value;
  assert.deepEqual(listB.map((m) => m.text), ["b1"]);

  // actions run in the Worker and reach internal queries through ctx.runQuery
  const counted = await app.call("channels:countMessages", { channelId: a }, token);
  assert.deepEqual(counted.body.value, { channelId: a, n: 3 });
});

test("send without a token fails cleanly with the function's message", async () => {
  const { token } = await app.guest();
  const ch = (await app.call("channels:create", { name: "anon" }, token)).body.value;
  const res = await app.call("messages:send", { channelId: ch, text: "hi" });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { ok: false, error: { code: "function_error", message: "must be signed in" } });
  assert.equal((await app.debug(`channelId:${ch}`)).counts.messages, 0);
});

test("forged and tampered tokens are rejected", async () => {
  const { token } = await app.guest();
  const [payload, sig] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const forgedPayload = Buffer.from(JSON.stringify({ ...claims, uid: "users:aaaaaaaaaaaaaaaaaaaa" })).toString("base64url");
  for (const bad of [`${forgedPayload}.${sig}`, `${payload}.${sig.slice(0, -2)}AA`, "garbage", `${payload}.`]) {
    const res = await app.call("channels:list", {}, bad);
    assert.equal(res.status, 401, bad);
    assert.equal(res.body.error.code, "unauthenticated");
  }
  assert.equal((await app.call("channels:list", {}, token)).status, 200);
});

test("bad arguments are refused before anything is written", async () => {
  const { token } = await app.guest();
  const ch = (await app.call("channels:create", { name: "validation" }, token)).body.value;
  const cases = [
    { channelId: ch },
    { channelId: ch, text: 42 },
    { channelId: 7, text: "x" },
    { channelId: ch, text: "x", extra: true },
  ];
  for (const args of cases) {
    const res = await app.call("messages:send", args, token);
    assert.equal(res.status, 400, JSON.stringify(args));
    assert.equal(res.body.error.code, "bad_args");
    assert.match(res.body.error.message, /^messages:send: invalid arguments: /);
  }
  assert.equal((await app.debug(`channelId:${ch}`)).counts.messages, 0);
});

test("internal and unknown functions are not callable from clients", async () => {
  const { token } = await app.guest();
  const ch = (await app.call("channels:create", { name: "internal" }, token)).body.value;
  for (const path of ["messages:count", "nope:nothing", "__proto__", "constructor"]) {
    const res = await app.call(path, { channelId: ch }, token);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.error.code, "not_found");
  }
});

test("a pluggable verifier maps external subjects to users rows", async () => {
  const { token } = await app.guest();
  const ch = (await app.call("channels:create", { name: "ext" }, token)).body.value;
  assert.equal((await app.call("messages:send", { channelId: ch, text: "from alice" }, "ext:alice")).status, 200);
  assert.equal((await app.call("messages:send", { channelId: ch, text: "again" }, "ext:alice")).status, 200);
  const rows = await app.db.prepare(`SELECT _id, name FROM users WHERE subject = 'ext|alice'`).all();
  assert.equal(rows.results.length, 1);
  assert.equal(rows.results[0].name, "alice");
  const list = (await app.call("messages:list", { channelId: ch })).body.value;
  assert.deepEqual(list.map((m) => m.userId), [rows.results[0]._id, rows.results[0]._id]);
  const res = await app.call("messages:send", { channelId: ch, text: "x" }, "ext:Not-Valid");
  assert.equal(res.status, 401);
});

test("the client obtains a guest identity once and keeps it in its storage", async () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };
  const first = app.client({ storage });
  const ch = await first.mutation(ref("channels:create", "mutation"), { name: "kept" });
  await first.mutation(ref("messages:send", "mutation"), { channelId: ch, text: "one" });
  assert.equal(store.size, 1);
  const second = app.client({ storage });
  await second.mutation(ref("messages:send", "mutation"), { channelId: ch, text: "two" });
  const list = await second.query(ref("messages:list"), { channelId: ch });
  assert.equal(list.length, 2);
  assert.equal(list[0].userId, list[1].userId, "same guest user across clients sharing storage");
  const anon = app.client({ auth: "none" });
  await assert.rejects(anon.mutation(ref("messages:send", "mutation"), { channelId: ch, text: "x" }), (e) => e.code === "function_error" && e.message === "must be signed in");
  first.close();
  second.close();
  anon.close();
});
