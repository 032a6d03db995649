// A real upload from Chromium (issue 17): a page on the Worker's origin picks a file through an
// <input type=file> (setInputFiles from a temp file), POSTs it to generateUploadUrl's signed URL as a
// user's app does, then fetches getUrl's URL and reads the bytes back; system.get's document (size,
// SHA-256, content type) is checked from Node. Fails, as tests/e2e-chat does, if Chromium is missing
// (scripts/test.sh installs it: lunora_setup chromium).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { startFileStorageApp } from "./file-storage-app.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const scratch = mkdtempSync(path.join(tmpdir(), "lunora-files-browser-"));
let app;
let browser;

before(async () => {
  app = await startFileStorageApp("convex-file-storage-browser");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => {
  await browser?.close();
  await app?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

test("Chromium uploads a picked file through the signed URL; getUrl serves it back", async () => {
  const bytes = new Uint8Array(64 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  bytes.set([137, 80, 78, 71, 13, 10, 26, 10]);
  const file = path.join(scratch, "pic.png");
  writeFileSync(file, bytes);

  const page = await browser.newPage();
  // Any path of the Worker's origin makes the page same-origin with the API; the page's body is ours.
  await page.goto(`${app.url}/api/storage/none`);
  await page.setContent(`<input type="file" id="f">`);
  assert.equal(await page.evaluate(() => location.origin), new URL(app.url).origin);
  await page.setInputFiles("#f", file);

  const uploadUrl = await app.ok("messages:generateUploadUrl");
  const upload = await page.evaluate(async (uploadUrl) => {
    const file = document.getElementById("f").files[0];
    const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": file.type }, body: file });
    return { status: res.status, body: await res.json(), name: file.name, type: file.type, size: file.size };
  }, uploadUrl);
  assert.deepEqual({ ...upload, body: undefined }, { status: 200, body: undefined, name: "pic.png", type: "image/png", size: bytes.length });
  const { storageId } = upload.body;
  assert.match(storageId, /^_storage:[a-z2-7]{20}$/);

  const doc = await app.ok("messages:fileInfo", { storageId });
  const sha = Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
  assert.deepEqual(doc, { _id: storageId, _creationTime: doc._creationTime, sha256: sha, size: bytes.length, contentType: "image/png" });

  await app.ok("messages:sendImage", { storageId, author: "ada" });
  const url = (await app.ok("messages:list")).find((m) => m.body === storageId).url;
  const served = await page.evaluate(async (url) => {
    const res = await fetch(url);
    return { status: res.status, type: res.headers.get("content-type"), bytes: Array.from(new Uint8Array(await res.arrayBuffer())) };
  }, url);
  assert.equal(served.status, 200);
  assert.equal(served.type, "image/png");
  assert.deepEqual(new Uint8Array(served.bytes), bytes);
  await page.close();
});
