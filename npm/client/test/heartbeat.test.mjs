// The heartbeat against a scripted WebSocket: a quiet socket is pinged; one that answers stays;
// one that goes silent (half-open: no pong, no close event) is replaced within
// heartbeatMs + heartbeatTimeoutMs, and its live queries resume on the new socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LunoraClient, PING, PONG } from "../dist/index.js";

/** Fake sockets: each answers `sub` with a result (the socket's number) and PING with PONG. */
function fakeSockets() {
  const sockets = [];
  class FakeSocket {
    readyState = 0;
    onopen = null;
    onmessage = null;
    onclose = null;
    onerror = null;
    sent = [];
    closed = null;
    /** Half-open: nothing reaches the client any more, and closing it never completes. */
    silent = false;
    constructor(url) {
      this.url = url;
      this.n = sockets.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 1);
    }
    send(data) {
      this.sent.push(data);
      if (this.silent) return;
      const reply = (msg) => setTimeout(() => !this.silent && this.onmessage?.({ data: msg }), 1);
      if (data === PING) return reply(PONG);
      const msg = JSON.parse(data);
      if (msg.t === "sub") reply(JSON.stringify({ t: "result", id: msg.id, version: this.n, value: this.n }));
    }
    close(code, reason) {
      this.closed = { code, reason };
      this.readyState = 3;
      if (!this.silent) setTimeout(() => this.onclose?.({ code }), 1);
    }
  }
  return { FakeSocket, sockets };
}

const ref = { __lunora: "ref", path: "m:get", kind: "query" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what, ms = 2_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function client(FakeSocket) {
  // /api/resolve names the object of every query: one object here.
  const fetch = async () => Response.json({ ok: true, value: { object: "root" } });
  return new LunoraClient("http://test", { auth: "none", storage: null, fetch, WebSocket: FakeSocket, heartbeatMs: 20, heartbeatTimeoutMs: 20, minBackoffMs: 1, maxBackoffMs: 5 });
}

test("a socket that answers the pings is kept", async () => {
  const { FakeSocket, sockets } = fakeSockets();
  const c = client(FakeSocket);
  const values = [];
  const stop = c.subscribe(ref, {}, (v) => values.push(v));
  await until(() => values.length === 1, "the first result");
  await sleep(150);
  assert.equal(sockets.length, 1, "no reconnect");
  assert.ok(sockets[0].sent.filter((d) => d === PING).length >= 2, "pinged while quiet");
  assert.equal(sockets[0].closed, null);
  assert.equal(c.connectionState().status, "connected");
  stop();
  c.close();
});

test("a half-open socket is replaced within heartbeatMs + heartbeatTimeoutMs and its queries resume", async () => {
  const { FakeSocket, sockets } = fakeSockets();
  const c = client(FakeSocket);
  const values = [];
  const stop = c.subscribe(ref, {}, (v) => values.push(v));
  await until(() => values.length === 1, "the first result");
  const cut = Date.now();
  sockets[0].silent = true;
  await until(() => sockets.length === 2, "a new socket");
  const detected = Date.now() - cut;
  assert.ok(detected < 1_000, `detected after ${detected} ms`);
  assert.deepEqual(sockets[0].closed, { code: 4002, reason: "no heartbeat" });
  await until(() => values.at(-1) === 2, "the result over the new socket");
  assert.equal(c.queryState(ref, {}).status, "success");
  await until(() => c.connectionState().status === "connected", "connected again");
  stop();
  c.close();
});
