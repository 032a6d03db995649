// Starts the test app on real workerd (programmatic Miniflare) and gives Node-side clients.
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import WebSocket from "ws";
import assert from "node:assert/strict";
import { LunoraClient } from "../.build/client.mjs";

export { authProtocol } from "../.build/client.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SECRET = "test-secret-0123456789abcdef";

/**
 * Starts an app: by default the test app's `entry` bundled by scripts/prepare.mjs; `scriptPath`
 * and `ddl` (the D1 migration SQL) start another one (test/schemas.test.mjs); `miniflare`: more
 * Miniflare options (e.g. `handleRuntimeStdio`, test/http.test.mjs).
 */
export async function startApp({ entry = "worker", bindings = {}, scriptPath, ddl, miniflare = {} } = {}) {
  const mf = new Miniflare({
    ...miniflare,
    modules: true,
    scriptPath: scriptPath ?? path.join(root, `.build/${entry}.mjs`),
    compatibilityDate: "2026-04-01",
    durableObjects: { LUNORA_SHARD: { className: "LunoraShard", useSQLite: true } },
    d1Databases: ["DB"],
    r2Buckets: ["STORAGE"],
    bindings: { LUNORA_AUTH_SECRET: SECRET, ...bindings },
    host: "127.0.0.1",
    port: 0,
    cf: false,
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const db = await mf.getD1Database("DB");
  // Written by scripts/prepare.mjs with the real `lunora migrate generate`.
  const statements = (ddl ?? readFileSync(path.join(root, ".build/d1.sql"), "utf8"))
    .split(/;[ \t]*(?:\n|$)/) // statement ends (a trigger body has `; ` inside)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean);
  if (statements.length > 0) await db.batch(statements.map((s) => db.prepare(s)));
  const ns = await mf.getDurableObjectNamespace("LUNORA_SHARD");
  const clients = [];
  return {
    mf,
    url,
    db,
    /** Internal view of one Durable Object: name, commit version, row counts, recent query plans. */
    async debug(name) {
      const stub = ns.get(ns.idFromName(name));
      const res = await stub.fetch("https://lunora.internal/debug", { headers: { "x-lunora-object": name } });
      const body = await res.json();
      if (!body.ok) throw new Error(JSON.stringify(body));
      return body.value;
    },
    /**
     * Restarts one Durable Object as a crash or a code update would: its memory is lost and the
     * server closes every socket; storage stays.
     */
    async restart(name) {
      await ns
        .get(ns.idFromName(name))
        .fetch("https://lunora.internal/debug/abort", { headers: { "x-lunora-object": name } })
        .catch(() => {});
    },
    /** Arms fault points of one Durable Object (`{ "<fault>": <times> }`, see npm/runtime/src/object.ts). */
    async fault(name, faults) {
      const stub = ns.get(ns.idFromName(name));
      const res = await stub.fetch("https://lunora.internal/debug/fault", {
        method: "POST",
        headers: { "x-lunora-object": name },
        body: JSON.stringify(faults),
      });
      const body = await res.json();
      if (!body.ok) throw new Error(JSON.stringify(body));
    },
    client(options = {}) {
      const client = new LunoraClient(url, { storage: null, WebSocket, minBackoffMs: 20, maxBackoffMs: 200, ...options });
      clients.push(client);
      return client;
    },
    /** A call that must succeed: its value (the test fails with the reply otherwise). */
    async ok(pathName, args = {}, token) {
      const res = await this.call(pathName, args, token);
      assert.equal(res.status, 200, `${pathName}: ${JSON.stringify(res.body)}`);
      return res.body.value;
    },
    async call(pathName, args, token) {
      const headers = { "content-type": "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${url}/api/call`, { method: "POST", headers, body: JSON.stringify({ path: pathName, args }) });
      return { status: res.status, body: await res.json() };
    },
    async guest() {
      const res = await fetch(`${url}/api/auth/guest`, { method: "POST" });
      return res.json();
    },
    async dispose() {
      // Clients a failed test left open would keep reconnecting (and the process alive).
      for (const client of clients) client.close();
      await mf.dispose();
    },
  };
}

export const ref = (path, kind = "query") => ({ __lunora: "ref", path, kind });

export async function until(predicate, timeoutMs = 5000, what = "condition") {
  const start = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
