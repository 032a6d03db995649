// Hostile clients (issue 9): every malformed or malicious request gets a clean error and changes
// nothing — each test compares the stored state (D1 and the Durable Objects) before and after.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import WebSocket from "ws";
import { authProtocol, SECRET, startApp, until } from "./helpers.mjs";

let app;
let token;
let userId;
let chA;
let chB;
before(async () => {
  app = await startApp();
  ({ token, userId } = await app.guest());
  chA = (await app.call("channels:create", { name: "hostile-a" }, token)).body.value;
  chB = (await app.call("channels:create", { name: "hostile-b" }, token)).body.value;
  assert.equal((await app.call("messages:send", { channelId: chA, text: "seed" }, token)).status, 200);
  assert.equal((await app.call("notes:add", { title: "seed", rank: 1 })).status, 200);
});
after(async () => {
  await app?.dispose();
});

/** Everything a hostile request could have changed. */
async function state() {
  const d1 = {};
  for (const table of ["channels", "users"]) {
    d1[table] = (await app.db.prepare(`SELECT * FROM ${table} ORDER BY _id`).all()).results;
  }
  const objects = {};
  for (const name of ["root", `channelId:${chA}`, `channelId:${chB}`]) {
    const { version, counts } = await app.debug(name);
    objects[name] = { version, counts };
  }
  const messages = (await app.call("messages:list", { channelId: chA })).body.value;
  const notes = (await app.call("notes:all", {})).body.value;
  return { d1, objects, messages, notes };
}

async function raw(pathName, body, headers = {}) {
  const res = await fetch(`${app.url}${pathName}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`${pathName}: reply is not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: json };
}

/**
 * POSTs an oversized body with its true content-length, writes only its first 64 KiB and waits
 * for the answer: the Worker must refuse it from the content-length, without reading the body.
 * (Writing all of it races the server's close: the kernel may reset the connection before the
 * client has read the 413, which made fetch fail now and then on a busy machine.)
 */
function postOversized(pathName, payload, token) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(payload);
    const headers = { "content-type": "application/json", "content-length": data.length };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request(`${app.url}${pathName}`, { method: "POST", headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode, body: JSON.parse(text) });
        } catch {
          reject(new Error(`${pathName}: reply is not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
    req.write(data.subarray(0, 64 * 1024));
  });
}

/**
 * POSTs chunks of `size` bytes with chunked encoding, `count` in all, but stops writing (without
 * ending the body) once `stopAfter` chunks are out, and waits for the answer. A server that
 * answers then has refused the upload while it was still open: it did not wait to buffer all of
 * it. (Writing on after the server closed its side makes the kernel reset the connection, which a
 * fast machine may see before it has read the answer.)
 */
function chunkedUpload(size, count, stopAfter) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${app.url}/api/call`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer after ${sent} chunks: the server waits for the whole body`));
    }, 20_000);
    req.on("response", (res) => {
      answered = true;
      clearTimeout(timer);
      const at = sent;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c)).on("end", () => {
        req.destroy();
        try {
          resolve({ status: res.statusCode, body: JSON.parse(text), sent: at, ended: at >= count });
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on("error", (error) => {
      if (answered) return;
      clearTimeout(timer);
      reject(error);
    });
    const chunk = Buffer.alloc(size, "z");
    req.write(`{"path":"messages:send","args":{"channelId":${JSON.stringify(chA)},"text":"`);
    const pump = () => {
      while (!answered && sent < Math.min(count, stopAfter)) {
        sent++;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered && sent >= count) req.end('"}}');
    };
    pump();
  });
}

function expectError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.equal(res.body.ok, false, what);
  assert.equal(res.body.error.code, code, `${what}: ${res.body.error.message}`);
  assert.equal(typeof res.body.error.message, "string");
}

function sign(claims) {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const sig = createHmac("sha256", SECRET).update(payload).digest("base64url");
  return `${payload}.${sig}`;
}

async function openSocket(object, token) {
  const q = new URLSearchParams({ object });
  const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?${q}`, token ? ["lunora", authProtocol(token)] : ["lunora"]);
  const replies = [];
  ws.on("message", (data) => replies.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return { ws, replies };
}

test("malformed HTTP bodies and paths: bad_request, nothing written", async () => {
  const before = await state();
  for (const body of ["", "{", "null", "[]", '"x"', "42", "true", '{"path":'])
    expectError(await raw("/api/call", body), 400, "bad_request", `body ${body}`);
  expectError(await raw("/api/call", Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, "bad_request", "non-UTF-8 body");
  for (const path of [null, 42, {}, ["messages:send"], true])
    expectError(await raw("/api/call", JSON.stringify({ path, args: {} })), 400, "bad_request", `path ${JSON.stringify(path)}`);
  expectError(await raw("/api/resolve", "{"), 400, "bad_request", "resolve: not JSON");
  assert.deepEqual(await state(), before);
});

test("unknown and internal functions are not_found over HTTP, resolve and WebSocket", async () => {
  const before = await state();
  const names = ["nope:x", "__proto__", "constructor", "toString", "hasOwnProperty", "messages", "messages:", ":send", "messages:count", "messages:send/../count", ""];
  for (const path of names) {
    expectError(await app.call(path, { channelId: chA }, token), 404, "not_found", `call ${path}`);
    expectError(await raw("/api/resolve", JSON.stringify({ path, args: { channelId: chA } })), 404, "not_found", `resolve ${path}`);
  }
  const { ws, replies } = await openSocket(`channelId:${chA}`, token);
  names.forEach((path, i) => ws.send(JSON.stringify({ t: "sub", id: `s${i}`, path, args: { channelId: chA } })));
  // A mutation is not subscribable either.
  ws.send(JSON.stringify({ t: "sub", id: "mut", path: "messages:send", args: { channelId: chA, text: "via-sub" } }));
  await until(() => replies.length === names.length + 1, 5000, "one reply per subscription");
  for (const r of replies) assert.equal(r.t, "error", JSON.stringify(r));
  assert.ok(replies.filter((r) => r.id !== "mut").every((r) => r.error.code === "not_found"));
  assert.equal(replies.find((r) => r.id === "mut").error.code, "bad_request");
  ws.close();
  assert.deepEqual(await state(), before);
});

test("arguments of the wrong shape: bad_args before anything runs", async () => {
  const before = await state();
  const cases = [
    "text",
    42,
    [chA, "x"],
    { channelId: 5, text: "x" },
    { channelId: chA, text: 123 },
    { channelId: chA },
    { channelId: chA, text: "x", extra: true },
    { channelId: chA, text: { $int64: "not-a-number" } },
    { channelId: chA, text: { $bytes: "%%%" } },
    { channelId: { $int64: "zz" }, text: "x" },
    JSON.parse(`{"channelId":${JSON.stringify(chA)},"text":"x","__proto__":{"isAdmin":true}}`),
    JSON.parse(`{"__proto__":{"channelId":${JSON.stringify(chA)},"text":"x"}}`),
  ];
  for (const args of cases) {
    const res = await app.call("messages:send", args, token);
    expectError(res, 400, "bad_args", `args ${JSON.stringify(args).slice(0, 80)}`);
  }
  // 100,000-deep nesting (built as text: JSON.stringify itself would overflow here).
  const deep = `{"path":"messages:send","args":{"channelId":${JSON.stringify(chA)},"text":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
  expectError(await raw("/api/call", deep, { authorization: `Bearer ${token}` }), 400, "bad_args", "deep nesting");
  const deepObj = `{"path":"messages:send","args":{"channelId":${JSON.stringify(chA)},"text":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}}`;
  expectError(await raw("/api/call", deepObj, { authorization: `Bearer ${token}` }), 400, "bad_args", "deep object nesting");
  // A shard key smuggled in as another type, and a channel id of another table.
  expectError(await app.call("messages:list", { channelId: 7 }), 400, "bad_args", "numeric shard key");
  expectError(await app.call("messages:list", { channelId: "notes:aaaaaaaaaaaaaaaaaaaa" }), 400, "bad_args", "id of another table");
  expectError(await app.call("notes:add", { title: "t", rank: "1" }), 400, "bad_args", "string rank");
  assert.deepEqual(await state(), before);
});

test("oversized requests: too_large (413) over HTTP, an error frame over WebSocket", async () => {
  const before = await state();
  const big = "x".repeat(1024 * 1024 + 1);
  const call = (args) => JSON.stringify({ path: "messages:send", args });
  expectError(await postOversized("/api/call", call({ channelId: chA, text: big }), token), 413, "too_large", "1 MiB text");
  expectError(await postOversized("/api/resolve", JSON.stringify({ path: "messages:list", args: { channelId: chA, pad: big } })), 413, "too_large", "resolve");
  // Multi-byte characters: under a million UTF-16 units but over 1 MiB of UTF-8.
  expectError(await postOversized("/api/call", call({ channelId: chA, text: "é".repeat(600_000) }), token), 413, "too_large", "UTF-8 size");
  const { ws, replies } = await openSocket(`channelId:${chA}`, token);
  ws.send(JSON.stringify({ t: "sub", id: "big", path: "messages:list", args: { channelId: chA, pad: big } }));
  ws.send(Buffer.from(JSON.stringify({ t: "sub", id: "bigbin", path: "messages:list", args: { channelId: chA, pad: big } })));
  ws.send(JSON.stringify({ t: "sub", id: "ok", path: "messages:list", args: { channelId: chA } }));
  await until(() => replies.length === 3, 10_000, "three replies");
  assert.deepEqual(replies.slice(0, 2).map((r) => r.error?.code), ["too_large", "too_large"]);
  assert.equal(replies[2].t, "result", "the socket still works after oversized frames");
  assert.deepEqual(replies[2].value.map((m) => m.text), ["seed"]);
  ws.close();
  // A chunked upload (no content-length) is cut off once it passes the limit. (node:http rather
  // than fetch: the server answers while the request is still open.) The client means to send
  // 64 MiB in 64 KiB chunks, sends 2 MiB and then waits without ending the body.
  const { status, body, sent, ended } = await chunkedUpload(64 * 1024, 1024, 32);
  expectError({ status, body }, 413, "too_large", "chunked 64 MiB upload");
  // The Worker answered while the body was still open: it stopped reading at the limit instead
  // of buffering the whole upload.
  assert.equal(ended, false, "refused before the body was complete");
  console.log(`chunked upload: refused after ${sent} of 1024 chunks, body still open`);
  // Just under the limit is accepted (and then refused by the validator for the unknown field).
  const near = "y".repeat(1024 * 1024 - 200);
  expectError(await app.call("messages:send", { channelId: chA, text: "t", pad: near }, token), 400, "bad_args", "just under the limit");
  assert.deepEqual(await state(), before);
});

test("malformed WebSocket frames: an error frame each, the socket keeps working", async () => {
  const before = await state();
  const { ws, replies } = await openSocket(`channelId:${chA}`, token);
  const frames = [
    "not json",
    "null",
    "42",
    "[]",
    '"sub"',
    "{}",
    JSON.stringify({ t: "sub" }),
    JSON.stringify({ t: "sub", id: 7, path: "messages:list" }),
    JSON.stringify({ t: "sub", id: "x".repeat(300), path: "messages:list", args: { channelId: chA } }),
    JSON.stringify({ t: "bogus", id: "b1" }),
    JSON.stringify({ t: "sub", id: "p1", path: 17, args: {} }),
    JSON.stringify({ t: "sub", id: "a1", path: "messages:list", args: "str" }),
    JSON.stringify({ t: "sub", id: "a2", path: "messages:list", args: { channelId: chA, limit: { $int64: "q" } } }),
  ];
  for (const f of frames) ws.send(f);
  ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
  await until(() => replies.length === frames.length + 1, 5000, "one error per bad frame");
  for (const r of replies) assert.equal(r.t, "error", JSON.stringify(r));
  const codes = replies.map((r) => r.error.code);
  assert.deepEqual(codes.slice(0, 10), Array(10).fill("bad_request"));
  assert.deepEqual(codes.slice(10, 13), ["bad_request", "bad_args", "bad_args"]);
  assert.equal(codes[13], "bad_request", "non-UTF-8 binary frame");
  // A valid binary frame works; so does unsubscribing an id that was never subscribed.
  ws.send(JSON.stringify({ t: "unsub", id: "never" }));
  ws.send(Buffer.from(JSON.stringify({ t: "sub", id: "good", path: "messages:list", args: { channelId: chA } })));
  await until(() => replies.length === frames.length + 2, 5000, "the valid subscription");
  assert.equal(replies.at(-1).t, "result");
  assert.equal(replies.at(-1).id, "good");
  ws.close();
  assert.deepEqual(await state(), before);
});

test("forged, expired and malformed tokens: 401 over HTTP and WebSocket, nothing written", async () => {
  const before = await state();
  const [payload] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  assert.equal(typeof claims.exp, "number", "guest tokens carry an expiry");
  assert.ok(claims.exp > Date.now() + 24 * 3600 * 1000, "and it is in the future");
  // A correctly signed token is accepted (the signing here matches the runtime's) ...
  const good = sign({ ...claims });
  assert.equal((await app.call("channels:list", {}, good)).status, 200);
  const bad = [
    sign({ ...claims, exp: Date.now() - 1000 }), // expired
    sign({ v: 1, uid: claims.uid, sub: claims.sub, iat: claims.iat }), // no expiry
    sign({ ...claims, exp: "9999999999999" }), // expiry of the wrong type
    sign({ ...claims, v: 3 }),
    sign({ ...claims, aud: "preview.example.dev" }), // another deployment's audience
    sign({ ...claims, aud: undefined }), // no audience
    sign({ ...claims, kid: "AAAAAAAAAAAAAAAA" }), // an unknown key id
    sign({ ...claims, sub: "ext|someone" }), // a guest token for a non-guest subject
    sign("just a string"),
    `${payload}.${createHmac("sha256", "another-secret-0123456789").update(payload).digest("base64url")}`, // other key
    `${Buffer.from(JSON.stringify({ ...claims, uid: "users:aaaaaaaaaaaaaaaaaaaa" })).toString("base64url")}.${token.split(".")[1]}`,
    `${payload}.${"A".repeat(43)}`,
    "a.b.c",
    "%%%.%%%",
    ".",
    "ext:UPPER", // the test app's verifier only accepts lower-case subjects
    "x".repeat(10_000),
  ];
  for (const t of bad) {
    expectError(await app.call("messages:send", { channelId: chA, text: "forged" }, t), 401, "unauthenticated", `token ${t.slice(0, 40)}`);
  }
  for (const t of bad.slice(0, 3)) {
    const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(`channelId:${chA}`)}`, ["lunora", authProtocol(t)]);
    const status = await new Promise((resolve) => ws.once("unexpected-response", (_req, res) => resolve(res.statusCode)).once("open", () => resolve("open")));
    assert.equal(status, 401);
  }
  // A token in the URL (it would end up in access logs) is refused, even a valid one.
  const inUrl = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(`channelId:${chA}`)}&token=${encodeURIComponent(token)}`);
  const inUrlStatus = await new Promise((resolve) => inUrl.once("unexpected-response", (_req, res) => resolve(res.statusCode)).once("open", () => resolve("open")));
  assert.equal(inUrlStatus, 400, "a token in the URL is refused");
  assert.deepEqual(await state(), before);
  assert.equal((await app.call("messages:send", { channelId: chA, text: "real" }, token)).status, 200, "the real token still works");
  const after = await state();
  assert.equal(after.messages[0].text, "real");
  assert.equal(after.messages[0].userId, userId);
});

test("subscribing to another object's data with crafted arguments or object names is refused", async () => {
  const before = await state();
  // Unknown placement families and malformed object names are refused by the Worker.
  for (const object of ["", "notes:x", "channels:x", "channelId", "../root", "ROOT"]) {
    const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(object)}`);
    const reply = await new Promise((resolve) =>
      ws
        .once("unexpected-response", (_req, res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk)).on("end", () => resolve({ status: res.statusCode, text }));
        })
        .once("open", () => resolve({ status: "open" })),
    );
    assert.equal(reply.status, 400, `object ${object}`);
    assert.equal(JSON.parse(reply.text).error.code, "bad_request", `object ${object}`);
  }
  const { ws, replies } = await openSocket(`channelId:${chA}`, token);
  ws.send(JSON.stringify({ t: "sub", id: "1", path: "messages:list", args: { channelId: chB } }));
  ws.send(JSON.stringify({ t: "sub", id: "2", path: "channels:list", args: {} })); // root's query
  ws.send(JSON.stringify({ t: "sub", id: "3", path: "notes:all", args: {} })); // root-table query
  ws.send(JSON.stringify({ t: "sub", id: "4", path: "messages:withChannel", args: { channelId: chB } }));
  await until(() => replies.length === 4, 5000, "four replies");
  for (const r of replies) assert.equal(r.error?.code, "wrong_object", JSON.stringify(r));
  ws.close();
  // From root, a shard query is refused too.
  const root = await openSocket("root", token);
  root.ws.send(JSON.stringify({ t: "sub", id: "r", path: "messages:list", args: { channelId: chA } }));
  await until(() => root.replies.length === 1, 5000, "reply from root");
  assert.equal(root.replies[0].error.code, "wrong_object");
  root.ws.close();
  // A socket on a channel object that the arguments do not name cannot be used to read chA either.
  const fake = await openSocket("channelId:channels:aaaaaaaaaaaaaaaaaaaa", token);
  fake.ws.send(JSON.stringify({ t: "sub", id: "f", path: "messages:list", args: { channelId: chA } }));
  await until(() => fake.replies.length === 1, 5000, "reply from the fake object");
  assert.equal(fake.replies[0].error.code, "wrong_object");
  fake.ws.close();
  assert.deepEqual(await state(), before);
});

test("the runtime's internal headers sent by a client are ignored (no identity or object spoofing)", async () => {
  const before = await state();
  const spoof = { "x-lunora-user": userId, "x-lunora-object": `channelId:${chB}` };
  // HTTP: anonymous stays anonymous, and a signed-in caller stays itself.
  const anon = await raw("/api/call", JSON.stringify({ path: "users:me", args: {} }), spoof);
  assert.equal(anon.status, 200);
  assert.equal(anon.body.value, null);
  const other = await app.guest();
  const signed = await raw("/api/call", JSON.stringify({ path: "users:me", args: {} }), { ...spoof, authorization: `Bearer ${other.token}` });
  assert.equal(signed.body.value, other.userId);
  expectError(
    await raw("/api/call", JSON.stringify({ path: "messages:send", args: { channelId: chA, text: "spoofed" } }), spoof),
    400,
    "function_error",
    "send with a spoofed user header",
  );
  // WebSocket: the same headers on the upgrade request.
  const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=root`, { headers: spoof });
  const replies = [];
  ws.on("message", (data) => replies.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ t: "sub", id: "me", path: "users:me", args: {} }));
  ws.send(JSON.stringify({ t: "sub", id: "chA", path: "messages:list", args: { channelId: chA } }));
  await until(() => replies.length === 2, 5000, "two replies");
  const byId = Object.fromEntries(replies.map((r) => [r.id, r]));
  assert.equal(byId.me.t, "result");
  assert.equal(byId.me.value, null, "anonymous on the socket despite the header");
  assert.equal(byId.chA.error?.code, "wrong_object", "the socket is root's, whatever the header says");
  ws.close();
  const after = await state();
  // The guest created above is the only change.
  assert.deepEqual({ ...after, d1: { ...after.d1, users: after.d1.users.filter((u) => u._id !== other.userId) } }, before);
});

test("a socket holds at most 1000 subscriptions: the next is refused with too_many, the others keep working", async () => {
  const before = await state();
  const { ws, replies } = await openSocket(`channelId:${chA}`, token);
  for (let i = 0; i < 1000; i++) ws.send(JSON.stringify({ t: "sub", id: `s${i}`, path: "messages:list", args: { channelId: chA } }));
  await until(() => replies.length === 1000, 20_000, "1000 results");
  assert.ok(replies.every((r) => r.t === "result"));
  ws.send(JSON.stringify({ t: "sub", id: "over", path: "messages:list", args: { channelId: chA, limit: 1 } }));
  // Re-subscribing an id it already holds is not a new subscription.
  ws.send(JSON.stringify({ t: "sub", id: "s1", path: "messages:list", args: { channelId: chA, limit: 2 } }));
  await until(() => replies.length === 1002, 5000, "two more replies");
  assert.equal(replies[1000].id, "over");
  assert.equal(replies[1000].error?.code, "too_many");
  assert.equal(replies[1001].id, "s1");
  assert.equal(replies[1001].t, "result");
  ws.send(JSON.stringify({ t: "unsub", id: "s0" }));
  ws.send(JSON.stringify({ t: "sub", id: "over", path: "messages:list", args: { channelId: chA, limit: 1 } }));
  await until(() => replies.length === 1003, 5000, "the subscription after an unsub");
  assert.equal(replies[1002].t, "result");
  ws.close();
  assert.deepEqual(await state(), before);
});

test("a text frame that is not valid UTF-8: an error frame, and the socket and the object keep working", async () => {
  const before = await state();
  const other = await openSocket(`channelId:${chA}`, token);
  other.ws.send(JSON.stringify({ t: "sub", id: "g", path: "messages:list", args: { channelId: chA } }));
  await until(() => other.replies.length === 1, 5000, "the other socket's result");
  const { ws, replies } = await openSocket(`channelId:${chA}`, token);
  // (workerd decodes text frames leniently: the bytes arrive as U+FFFD, which is not JSON)
  ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  ws.send(Buffer.from('{"t":"sub","id":"\xff","path":"messages:list","args":{}}', "latin1"), { binary: false });
  await until(() => replies.length === 2, 5000, "two replies");
  assert.equal(replies[0].error?.code, "bad_request");
  assert.equal(replies[1].error?.code, "bad_args", JSON.stringify(replies[1]));
  ws.send(JSON.stringify({ t: "sub", id: "after", path: "messages:list", args: { channelId: chA } }));
  await until(() => replies.length === 3, 5000, "the socket still works");
  assert.equal(replies[2].t, "result");
  assert.deepEqual(await state(), before);
  assert.equal((await app.call("messages:send", { channelId: chA, text: "still-live" }, token)).status, 200);
  await until(() => other.replies.length === 2 && replies.length === 4, 5000, "deltas on both sockets");
  assert.equal(other.replies[1].t, "delta");
  assert.equal(replies[3].t, "delta");
  ws.close();
  other.ws.close();
});

test("crafted pagination cursors are bad_args, never a SQL error", async () => {
  const crafted = [
    Buffer.from("[]").toString("base64"),
    Buffer.from("[1,2,3,4,5,6,7]").toString("base64"),
    Buffer.from('[{"a":1},2]').toString("base64"),
    Buffer.from('[[1],"x"]').toString("base64"),
    Buffer.from("{}").toString("base64"),
    "%%%not base64",
  ];
  for (const cursor of crafted) {
    expectError(await app.call("notes:page", { numItems: 2, cursor }), 400, "bad_args", `cursor ${cursor}`);
  }
  const first = await app.call("notes:page", { numItems: 1, cursor: null });
  assert.equal(first.status, 200);
  const next = await app.call("notes:page", { numItems: 1, cursor: first.body.value.continueCursor });
  assert.equal(next.status, 200, "a cursor the query returned still works");
  // Cursors over string keys beyond Latin-1 (the cursor holds the key's text).
  for (const title of ["é-cursor-1", "🙂-cursor-2", "日本-cursor-3"]) assert.equal((await app.call("notes:add", { title, rank: 1 })).status, 200);
  const titles = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const page = await app.call("notes:pageByTitle", { numItems: 1, cursor });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    titles.push(...page.body.value.page.map((n) => n.title));
    cursor = page.body.value.continueCursor;
    if (page.body.value.isDone) break;
  }
  for (const title of ["é-cursor-1", "🙂-cursor-2", "日本-cursor-3"]) assert.ok(titles.includes(title), `paged past ${title}`);
});

test("a verifier's subject in the guests' namespace is refused: it cannot sign in as a guest's row", async () => {
  const guest = await app.guest();
  const subject = `guest:${guest.userId.slice("users:".length)}`;
  expectError(await app.call("users:me", {}, `as:${subject}`), 401, "unauthenticated", "guest subject from a verifier");
  assert.equal((await app.call("users:me", {}, "as:someone-else")).body.value.startsWith("users:"), true, "other subjects sign in");
});

test("with guest auth off, a correctly signed guest token is refused and no guest can be created", async () => {
  const noGuest = await startApp({ entry: "worker-noguest" });
  try {
    const signed = await app.guest(); // same secret: the token is correctly signed
    const res = await fetch(`${noGuest.url}/api/call`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${signed.token}` },
      body: JSON.stringify({ path: "users:me", args: {} }),
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthenticated");
    const create = await fetch(`${noGuest.url}/api/auth/guest`, { method: "POST" });
    assert.equal(create.status, 404);
  } finally {
    await noGuest.dispose();
  }
});

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const randomKey = () => Array.from({ length: 20 }, () => BASE32[Math.floor(Math.random() * 32)]).join("");

test("reads create no Durable Object storage: 1,000 messages:list calls on random channels", async () => {
  const ids = Array.from({ length: 1000 }, () => `channels:${randomKey()}`);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map(async (channelId) => assert.deepEqual(await app.ok("messages:list", { channelId }), [])));
  }
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (channelId) => {
        const { tables, counts } = await app.debug(`channelId:${channelId}`);
        assert.equal(tables, 0, `channelId:${channelId} has ${tables} tables`);
        assert.equal(counts.messages, 0);
      }),
    );
  }
  // An id of the wrong shape is refused before any object is reached.
  const bad = await app.call("messages:list", { channelId: "channels:x" });
  assert.equal(bad.body.error.code, "bad_args");
  assert.match(bad.body.error.message, /malformed id/);
  // The first write creates the object's tables; reads then see it.
  const fresh = ids[0];
  assert.equal((await app.call("messages:send", { channelId: fresh, text: "first" }, token)).status, 200);
  const after = await app.debug(`channelId:${fresh}`);
  assert.ok(after.tables > 0);
  assert.equal(after.counts.messages, 1);
  assert.deepEqual((await app.ok("messages:list", { channelId: fresh })).map((m) => m.text), ["first"]);
  // So does a subscription (it is kept in the object's storage across hibernation).
  const watched = ids[1];
  const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=${encodeURIComponent(`channelId:${watched}`)}`, ["lunora"]);
  const frames = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ t: "sub", id: "s", path: "messages:list", args: { channelId: watched } }));
  await until(() => frames.some((f) => f.id === "s"), 5000, "the subscription's first result");
  assert.deepEqual(frames.find((f) => f.id === "s"), { t: "result", id: "s", version: 0, value: [] });
  assert.ok((await app.debug(`channelId:${watched}`)).tables > 0);
  assert.equal((await app.call("messages:send", { channelId: watched, text: "live" }, token)).status, 200);
  await until(() => frames.some((f) => f.t === "delta"), 5000, "the subscription's delta");
  ws.close();
});
