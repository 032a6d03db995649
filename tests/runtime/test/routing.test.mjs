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
