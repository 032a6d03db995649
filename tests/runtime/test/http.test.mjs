// HTTP actions on workerd: fixtures/valid/convex-http built with the real codegen. The Worker serves
// lunora/http.ts's routes outside /api/ (exact path, then the longest pathPrefix, per method; 404
// otherwise), an HTTP action's ctx runs queries and mutations, a throwing action is a 500 with the
// error logged and its earlier mutation committed, corsRouter answers preflights, and a router whose
// routes differ from the table codegen read is refused (docs/ARCHITECTURE.md, "HTTP actions").
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildFixtureWorker, bundleWorker, workerEntry } from "../scripts/build-app.mjs";
import { startApp, until } from "./helpers.mjs";

/** The app's build folder (`.build/convex-http`). */
let dir;
let app;
let ddl;
/** What workerd printed on stderr (console.error of the Worker). */
let stderr = "";

before(async () => {
  let scriptPath;
  ({ dir, scriptPath, ddl } = await buildFixtureWorker("convex-http"));
  app = await startApp({
    scriptPath,
    ddl,
    miniflare: {
      handleRuntimeStdio(out, err) {
        out.resume();
        err.on("data", (chunk) => {
          stderr += chunk.toString();
        });
      },
    },
  });
});
after(async () => {
  await app?.dispose();
});

const at = (p, init) => fetch(`${app.url}${p}`, init);

test("POST with a body runs a mutation; a GET route and a query both see it", async () => {
  const res = await at("/postMessage", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ author: "ada", body: "hello over HTTP" }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const list = await at("/getMessagesByAuthor?author=ada");
  assert.equal(list.status, 200);
  assert.deepEqual(await list.json(), ["hello over HTTP"]);
  const docs = await app.ok("messages:byAuthor", { author: "ada" });
  assert.deepEqual(docs.map((d) => d.body), ["hello over HTTP"]);
});

test("a handler imported from another module runs, and may call internal functions", async () => {
  const res = await at("/webhook", { method: "POST", body: "ping" });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { received: 4 });
  const docs = await app.ok("messages:byAuthor", { author: "webhook" });
  assert.deepEqual(docs.map((d) => d.body), ["ping"]);
  // The internal mutation itself is not callable from a client.
  assert.equal((await app.call("messages:record", { body: "x" })).status, 404);
});

test("routing: an exact path first, then the longest pathPrefix, per method; 404 otherwise", async () => {
  const get = async (p, init) => {
    const res = await at(p, init);
    return [res.status, await res.text()];
  };
  assert.deepEqual(await get("/files/a/b.txt"), [200, "file /files/a/b.txt"]);
  assert.deepEqual(await get("/files/"), [200, "file /files/"]);
  assert.deepEqual(await get("/files/private/key"), [403, "private"], "the longer prefix wins");
  assert.deepEqual(await get("/files/index"), [200, "index"], "an exact path before any prefix");
  assert.deepEqual(await get("/files/index/more"), [200, "file /files/index/more"]);
  // A prefix matches whole segments only; no route: 404 (a path routed for another method too, as Convex).
  assert.equal((await get("/files"))[0], 404);
  assert.equal((await get("/nowhere"))[0], 404);
  assert.match((await get("/nowhere"))[1], /No HttpAction routed for \/nowhere/);
  assert.equal((await get("/files/a", { method: "POST" }))[0], 404);
  assert.equal((await get("/postMessage"))[0], 404, "GET of a POST route");
  // HEAD runs the GET route without its body.
  const head = await at("/files/index", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

test("Lunora's own paths come first: /api/ never reaches the router", async () => {
  const preflight = await at("/api/call", { method: "OPTIONS" });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
  const unknown = await at("/api/nope");
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, "not_found");
  assert.equal((await app.guest()).userId.startsWith("users:"), true);
});

test("ctx.auth: the bearer token's identity; anonymous without one or with a token that is not Lunora's", async () => {
  const { token, userId } = await app.guest();
  const me = await (await at("/whoami", { headers: { authorization: `Bearer ${token}` } })).json();
  assert.equal(me.userId, userId);
  assert.equal(me.identity.subject, `guest:${userId.slice("users:".length)}`);
  for (const headers of [{}, { authorization: "Bearer a-webhook-secret" }]) {
    const res = await at("/whoami", { headers });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { userId: null, identity: null });
  }
});

test("a throwing HTTP action is a 500, the error is logged, and its earlier mutation stays committed", async () => {
  const res = await at("/fail", { method: "POST" });
  assert.equal(res.status, 500);
  assert.equal(await res.text(), "Internal Server Error", "the error's message is not sent to the caller");
  const docs = await app.ok("messages:byAuthor", { author: "fail" });
  assert.deepEqual(docs.map((d) => d.body), ["before the throw"]);
  await until(() => stderr.includes("the handler failed"), 5000, "the error in the Worker's log");
  assert.match(stderr, /the HTTP action for POST \/fail threw/);
});

test("corsRouter: the preflight allows the route's methods for an allowed origin, responses carry the headers", async () => {
  const origin = "https://app.example.com";
  const preflight = await at("/cors/echo", {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "PUT" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), origin);
  assert.equal(preflight.headers.get("access-control-allow-methods"), "POST, PUT, OPTIONS");
  assert.equal(preflight.headers.get("access-control-allow-headers"), "Content-Type, Authorization");
  assert.equal(preflight.headers.get("access-control-max-age"), "86400");
  assert.match(preflight.headers.get("vary") ?? "", /Origin/);
  const res = await at("/cors/echo", { method: "PUT", headers: { origin }, body: "echo" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "echo");
  assert.equal(res.headers.get("access-control-allow-origin"), origin);
  // Another origin: the preflight refuses it, and a response carries no CORS header.
  const evil = "https://evil.example";
  assert.equal((await at("/cors/echo", { method: "OPTIONS", headers: { origin: evil } })).status, 403);
  const other = await at("/cors/echo", { method: "POST", headers: { origin: evil }, body: "x" });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();
  // Routes outside corsRouter get no preflight.
  assert.equal((await at("/postMessage", { method: "OPTIONS", headers: { origin } })).status, 404);
});

test("a router whose routes differ from the table codegen read is refused (500, logged)", async () => {
  const staleWiring = "{ ...wiring, http: { ...wiring.http, routes: wiring.http.routes.slice(1) } }";
  writeFileSync(path.join(dir, "src/worker-stale.ts"), workerEntry({ wiring: staleWiring }));
  const scriptPath = path.join(dir, "worker-stale.mjs");
  await bundleWorker(path.join(dir, "src/worker-stale.ts"), scriptPath);
  let log = "";
  const stale = await startApp({
    scriptPath,
    ddl,
    miniflare: {
      handleRuntimeStdio(out, err) {
        out.resume();
        err.on("data", (chunk) => {
          log += chunk.toString();
        });
      },
    },
  });
  try {
    const res = await fetch(`${stale.url}/files/x`);
    assert.equal(res.status, 500);
    await res.body?.cancel();
    await until(() => log.includes("refusing to serve HTTP actions"), 5000, "the mismatch in the log");
    assert.match(log, /route 1: lunora\/http\.ts registered POST \/postMessage where `lunora codegen` read GET \/getMessagesByAuthor/);
    // Lunora's own endpoints still work.
    assert.equal((await stale.call("messages:byAuthor", { author: "x" })).status, 200);
  } finally {
    await stale.dispose();
  }
});

test("an HTTP action's request body is capped at 20 MiB: declared or streamed, a larger body is a 413", async () => {
  const big = new Uint8Array(20 * 1024 * 1024 + 1).fill(0x61);
  // A declared content-length over the limit: refused before the action runs.
  const declared = await at("/cors/echo", { method: "POST", body: big });
  assert.equal(declared.status, 413);
  assert.match(await declared.text(), /20 MiB/);
  // A chunked body (no content-length): counted as the action reads it.
  const chunk = new Uint8Array(1024 * 1024).fill(0x62);
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 21; i++) controller.enqueue(chunk);
      controller.close();
    },
  });
  const streamed = await at("/cors/echo", { method: "POST", body: stream, duplex: "half" });
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
  // Over the limit, a mutating action writes nothing (it failed reading its body).
  const before = (await app.ok("messages:byAuthor", { author: "big" })).length;
  const json = new TextEncoder().encode(JSON.stringify({ author: "big", body: "x".repeat(20 * 1024 * 1024) }));
  assert.equal((await at("/postMessage", { method: "POST", body: json })).status, 413);
  assert.equal((await app.ok("messages:byAuthor", { author: "big" })).length, before);
  // At the limit's right side, bodies go through unchanged.
  const ok = await at("/cors/echo", { method: "POST", body: "small body" });
  assert.equal(await ok.text(), "small body");
});
