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

/** A guest token with the claims of a real one, but expiring at `exp`, signed with the test secret. */
function guestToken(real, exp) {
  const claims = { ...JSON.parse(Buffer.from(real.split(".")[0], "base64url").toString()), exp };
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${payload}.${createHmac("sha256", SECRET).update(payload).digest("base64url")}`;
}

test("a socket whose identity expired is closed (code 4001) instead of getting the next update", async () => {
  const writer = await app.guest();
  const ch = (await app.call("channels:create", { name: "expiring" }, writer.token)).body.value;
  const short = guestToken(writer.token, Date.now() + 1500);
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

test("a rotated secret keeps its tokens valid while listed as previous; tokens are bound to their audience", async () => {
  const OLD = SECRET;
  const NEW = "rotated-secret-abcdefghijklmnop";
  const aud = { LUNORA_AUTH_AUDIENCE: "lunora-test" };
  const before = await startApp({ bindings: aud });
  const rotated = await startApp({ bindings: { ...aud, LUNORA_AUTH_SECRET: NEW, LUNORA_AUTH_PREVIOUS_SECRETS: OLD } });
  const dropped = await startApp({ bindings: { ...aud, LUNORA_AUTH_SECRET: NEW } });
  const otherAudience = await startApp({ bindings: { LUNORA_AUTH_AUDIENCE: "production" } });
  try {
    const old = await before.guest();
    const me = async (target, token) => (await target.call("users:me", {}, token)).status;
    assert.equal(await me(before, old.token), 200);
    assert.equal(await me(rotated, old.token), 200, "signed with the previous secret: still valid");
    assert.equal(await me(dropped, old.token), 401, "its secret is no longer listed: refused");
    assert.equal(await me(otherAudience, old.token), 401, "another deployment's token: refused");
    const fresh = await rotated.guest();
    const kid = (t) => JSON.parse(Buffer.from(t.split(".")[0], "base64url").toString()).kid;
    assert.notEqual(kid(fresh.token), kid(old.token), "new tokens are signed with the new secret");
    assert.equal(await me(dropped, fresh.token), 200);
  } finally {
    for (const app of [before, rotated, dropped, otherAudience]) await app.dispose();
  }
});
