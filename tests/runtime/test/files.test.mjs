// File storage on workerd with Miniflare's local R2 (fixtures/valid/convex-file-storage, built with
// the real codegen): an upload through generateUploadUrl's signed URL, served back by getUrl with
// its content type; a forged or missing token; an upload URL used twice; an upload aborted midway leaves no metadata row and
// no object; a file survives a restart of root; the size cap (docs/ARCHITECTURE.md, "File storage").
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startFileStorageApp } from "./file-storage-app.mjs";
import { until } from "./helpers.mjs";

let app;

before(async () => {
  app = await startFileStorageApp();
});
after(async () => {
  await app?.dispose();
});

const r2Keys = async () => (await (await app.mf.getR2Bucket("STORAGE")).list()).objects.map((o) => o.key);

test("upload through the signed URL, then getUrl serves the bytes with their content type", async () => {
  const url = await app.ok("messages:generateUploadUrl");
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/storage\/upload\?token=\d+\.[0-9a-f]{32}\.[0-9a-f]{64}$/);
  const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]);
  const res = await fetch(url, { method: "POST", headers: { "content-type": "image/png" }, body: png });
  assert.equal(res.status, 200);
  const { storageId } = await res.json();
  assert.match(storageId, /^_storage:[a-z2-7]{20}$/);
  await app.ok("messages:sendImage", { storageId, author: "ada" });
  const [message] = await app.ok("messages:list");
  assert.equal(message.body, storageId);
  const served = await fetch(message.url);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get("content-type"), "image/png");
  assert.deepEqual(new Uint8Array(await served.arrayBuffer()), png);
  const doc = await app.ok("messages:fileInfo", { storageId });
  const sha = Buffer.from(await crypto.subtle.digest("SHA-256", png)).toString("base64");
  assert.deepEqual(doc, { _id: storageId, _creationTime: doc._creationTime, sha256: sha, size: png.length, contentType: "image/png" });
  assert.ok((await r2Keys()).includes(storageId));
});

test("a forged, tampered or missing upload token is refused and stores nothing", async () => {
  const before = await r2Keys();
  const url = new URL(await app.ok("messages:generateUploadUrl"));
  const token = url.searchParams.get("token");
  for (const bad of [null, "1.2.3", token.replace(/^\d+/, String(Date.now() + 1e9)), `${Date.now() - 1}.${"a".repeat(32)}.${"b".repeat(64)}`]) {
    const u = new URL(url);
    if (bad === null) u.searchParams.delete("token");
    else u.searchParams.set("token", bad);
    const res = await fetch(u, { method: "POST", body: "x" });
    assert.equal(res.status, 401, String(bad));
    assert.equal((await res.json()).error.code, "unauthenticated");
  }
  assert.deepEqual(await r2Keys(), before);
});

test("an upload URL stores one file: used again it is refused and its bytes are removed", async () => {
  const url = await app.ok("messages:generateUploadUrl");
  const first = await fetch(url, { method: "POST", headers: { "content-type": "text/plain" }, body: "first" });
  assert.equal(first.status, 200);
  const { storageId } = await first.json();
  const files = (await app.ok("messages:files")).length;
  const keys = await r2Keys();
  for (const body of ["second", "first"]) {
    const again = await fetch(url, { method: "POST", headers: { "content-type": "text/plain" }, body });
    assert.equal(again.status, 401, body);
    const { error } = await again.json();
    assert.equal(error.code, "unauthenticated");
    assert.match(error.message, /already used/);
  }
  // Two uploads racing on one fresh URL: exactly one is stored.
  const raced = await app.ok("messages:generateUploadUrl");
  const results = await Promise.all(["a", "b", "c"].map((body) => fetch(raced, { method: "POST", body })));
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401]);
  await Promise.all(results.map((r) => r.body?.cancel()));
  assert.equal((await app.ok("messages:files")).length, files + 1);
  assert.equal((await r2Keys()).length, keys.length + 1);
  assert.equal(await app.ok("messages:readText", { storageId }), "first");
});

test("an upload aborted midway leaves no metadata row and no object", async () => {
  const files = (await app.ok("messages:files")).length;
  const keys = await r2Keys();
  const url = new URL(await app.ok("messages:generateUploadUrl"));
  await new Promise((resolve) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "text/plain", "content-length": "100000" } });
    req.on("error", resolve);
    req.on("close", resolve);
    req.write("only the first bytes");
    setTimeout(() => req.destroy(), 200);
  });
  // Give the Worker time to notice the aborted body.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await app.ok("messages:files")).length, files);
  assert.deepEqual(await r2Keys(), keys);
});

test("a declared size over the cap is too_large (413)", async () => {
  const url = await app.ok("messages:generateUploadUrl");
  const res = await new Promise((resolve, reject) => {
    const req = http.request(new URL(url), { method: "POST", headers: { "content-length": String(21 * 1024 * 1024) } }, (r) => {
      let body = "";
      r.on("data", (c) => (body += c));
      r.on("end", () => resolve({ status: r.statusCode, body: JSON.parse(body) }));
    });
    req.on("error", reject);
    req.write("x");
  });
  assert.equal(res.status, 413);
  assert.equal(res.body.error.code, "too_large");
});

test("a stored file survives a restart of root; delete removes the row and the object", async () => {
  const storageId = await app.ok("messages:storeText", { text: "persisted", author: "bob" });
  await app.restart("root");
  assert.equal(await app.ok("messages:readText", { storageId }), "persisted");
  const list = await app.ok("messages:list");
  const url = list.find((m) => m.body === storageId).url;
  assert.equal(await (await fetch(url)).text(), "persisted");
  await app.ok("messages:deleteFile", { storageId });
  assert.equal(await app.ok("messages:fileInfo", { storageId }), null);
  assert.equal((await fetch(url)).status, 404);
  await until(async () => !(await r2Keys()).includes(storageId), 5000, "the R2 object deleted");
  assert.equal((await app.ok("messages:list")).find((m) => m.body === storageId).url, null);
});
