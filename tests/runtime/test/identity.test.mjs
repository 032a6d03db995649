// Identity that expires and changes (issue 16): a socket's identity ends at its expiry, and a
// client that signs out drops the old identity's results and subscribes again as the new one.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import WebSocket from "ws";
import { authProtocol, ref, SECRET, startApp, until } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.dispose();
});

/** A guest token for `userId` signed with the test secret, expiring at `exp`. */
function guestToken(userId, exp) {
  const claims = { v: 1, uid: userId, sub: `guest:${userId.slice(6)}`, iat: Date.now(), exp };
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${payload}.${createHmac("sha256", SECRET).update(payload).digest("base64url")}`;
}

test("a socket whose identity expired is closed (code 4001) instead of getting the next update", async () => {
  const writer = await app.guest();
  const ch = (await app.call("channels:create", { name: "expiring" }, writer.token)).body.value;
  const short = guestToken(writer.userId, Date.now() + 1500);
  const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(`channelId:${ch}`)}`, ["lunora", authProtocol(short)]);
  const frames = [];
  let closed = null;
  ws.on("message", (data) => frames.push(JSON.parse(String(data))));
  ws.on("close", (code) => (closed = code));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  assert.equal(ws.protocol, "lunora", "the server answered with the lunora subprotocol");
  ws.send(JSON.stringify({ t: "sub", id: "1", path: "messages:list", args: { channelId: ch } }));
  await until(() => frames.some((f) => f.t === "result"), 5000, "the first result");
  await app.call("messages:send", { channelId: ch, text: "while valid" }, writer.token);
  await until(() => frames.some((f) => f.t === "delta"), 5000, "a delta while the identity is valid");
  await new Promise((r) => setTimeout(r, 1700 - 0));
  const seen = frames.length;
  await app.call("messages:send", { channelId: ch, text: "after expiry" }, writer.token);
  await until(() => closed !== null, 5000, "the socket to be closed");
  assert.equal(closed, 4001);
  assert.equal(frames.length, seen, "nothing was sent to the expired identity");
});

test("signOut closes the sockets, drops cached results and resubscribes as the new identity", async () => {
  const client = app.client();
  const me = ref("users:me");
  const values = [];
  client.subscribe(me, {}, (v) => values.push(v));
  await until(() => values.length === 1, 5000, "the first identity");
  const first = values[0];
  assert.match(first, /^users:/);
  assert.equal(client.current(me, {}), first);
  client.signOut();
  assert.equal(client.current(me, {}), undefined, "the old identity's result is dropped at once");
  await until(() => values.length >= 2, 5000, "a result for the new identity");
  assert.match(values.at(-1), /^users:/);
  assert.notEqual(values.at(-1), first, "the live query now runs as the new guest");
});
