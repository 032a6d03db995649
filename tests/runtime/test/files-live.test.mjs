// Live queries over stored files (docs/ARCHITECTURE.md, "File storage"): a subscription that reads
// `ctx.db.system.query("_storage")` or `ctx.storage.getUrl` re-runs when a file is uploaded, stored
// from an action or deleted, in the root object (where the rows live) and in a shard object (told by
// root, which it watches for `_storage` as for a global table). A committed mutation's file delete is
// not lost to a restart right after the commit or to a failing delete, in root and in a shard.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { buildWorker } from "../scripts/build-app.mjs";
import { ref, startApp, until } from "./helpers.mjs";

const SCHEMA = `import { defineSchema, defineTable, v } from "lunorash/server";
export default defineSchema({
  notes: defineTable({ owner: v.string(), file: v.optional(v.id("_storage")) }).shardBy("owner").index("by_owner", ["owner"]),
});
`;

const FUNCTIONS = `import { v } from "lunorash/server";
import { action, mutation, query } from "./_generated/server";

export const uploadUrl = mutation({ args: {}, handler: async (ctx) => ctx.storage.generateUploadUrl() });

/** Root: every stored file. */
export const allFiles = query({ args: {}, handler: async (ctx) => (await ctx.db.system.query("_storage").collect()).map((f) => f._id) });

/** A shard (by owner): the owner's notes, and how many files exist. */
export const ownerView = query({
  args: { owner: v.string() },
  handler: async (ctx, { owner }) => {
    const notes = await ctx.db.query("notes").withIndex("by_owner", (q) => q.eq("owner", owner)).collect();
    const files = await ctx.db.system.query("_storage").collect();
    return { notes: notes.length, files: files.length };
  },
});

/** A shard: whether the owner's note's file still has a URL. */
export const noteUrl = query({
  args: { owner: v.string() },
  handler: async (ctx, { owner }) => {
    const note = await ctx.db.query("notes").withIndex("by_owner", (q) => q.eq("owner", owner)).first();
    return note?.file ? await ctx.storage.getUrl(note.file) : null;
  },
});

export const attach = mutation({
  args: { owner: v.string(), file: v.id("_storage") },
  handler: async (ctx, args) => ctx.db.insert("notes", args),
});

export const remove = mutation({ args: { file: v.id("_storage") }, handler: async (ctx, { file }) => ctx.storage.delete(file) });

/** A shard (by owner): deletes the owner's notes and their files. */
export const detach = mutation({
  args: { owner: v.string() },
  handler: async (ctx, { owner }) => {
    for (const note of await ctx.db.query("notes").withIndex("by_owner", (q) => q.eq("owner", owner)).collect()) {
      if (note.file) await ctx.storage.delete(note.file);
      await ctx.db.delete(note._id);
    }
  },
});

export const storeText = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => ctx.storage.store(new Blob([text], { type: "text/plain" })),
});
`;

let app;
let client;
before(async () => {
  app = await startApp(await buildWorker("files-live", { "lunora/schema.ts": SCHEMA, "lunora/files.ts": FUNCTIONS }));
  client = app.client();
});
after(async () => {
  await app?.dispose();
});

const upload = async (bytes) => {
  const url = await client.mutation(ref("files:uploadUrl", "mutation"), {});
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
  assert.equal(res.status, 200);
  return (await res.json()).storageId;
};

test("a live query over _storage in root re-runs on upload, store and delete", async () => {
  let seen;
  const unsub = client.subscribe(ref("files:allFiles"), {}, (v) => (seen = v));
  try {
    await until(() => Array.isArray(seen), 5000, "the initial result");
    const start = seen.length;
    const a = await upload(new Uint8Array([1, 2, 3]));
    await until(() => seen.length === start + 1 && seen.includes(a), 5000, "the upload to reach the subscription");
    const b = await client.action(ref("files:storeText", "action"), { text: "hello" });
    await until(() => seen.length === start + 2 && seen.includes(b), 5000, "an action's store to reach the subscription");
    await client.mutation(ref("files:remove", "mutation"), { file: a });
    await until(() => seen.length === start + 1 && !seen.includes(a), 5000, "the delete to reach the subscription");
  } finally {
    unsub?.();
  }
});

test("a shard's live query over _storage and getUrl re-runs when root's files change", async () => {
  let view;
  let url;
  const unsubView = client.subscribe(ref("files:ownerView"), { owner: "ada" }, (v) => (view = v));
  const unsubUrl = client.subscribe(ref("files:noteUrl"), { owner: "ada" }, (v) => (url = v));
  try {
    await until(() => view !== undefined && url !== undefined, 5000, "the initial results");
    const files = view.files;
    const id = await upload(new Uint8Array([9, 9]));
    await until(() => view.files === files + 1, 5000, "an upload to reach the shard's subscription");
    await client.mutation(ref("files:attach", "mutation"), { owner: "ada", file: id });
    await until(() => view.notes === 1 && typeof url === "string", 5000, "the note and its URL");
    // Deleted from root (a mutation that runs there): the shard's queries see it go.
    await client.mutation(ref("files:remove", "mutation"), { file: id });
    await until(() => view.files === files && url === null, 5000, "the delete to reach the shard's subscriptions");
  } finally {
    unsubView?.();
    unsubUrl?.();
  }
});

test("a committed mutation's file delete survives a restart after the commit and a failed delete, in root and in a shard", async () => {
  const r2Keys = async () => (await (await app.mf.getR2Bucket("STORAGE")).list()).objects.map((o) => o.key);
  const gone = (id, what) =>
    until(async () => !(await app.ok("files:allFiles")).includes(id) && !(await r2Keys()).includes(id), 10_000, what);
  const stored = async () => app.ok("files:storeText", { text: "to delete" });
  for (const [fault, label] of [
    [{ "abort-after-commit": 1 }, "restarted after its commit"],
    [{ "file-delete-fail": 1 }, "whose first delete failed"],
  ]) {
    // Root: `remove` runs there.
    const a = await stored();
    await app.fault("root", fault);
    const res = await app.call("files:remove", { file: a });
    if (fault["file-delete-fail"]) {
      assert.equal(res.status, 200);
      assert.ok((await app.ok("files:allFiles")).includes(a), "the failed delete left the file for the retry");
    }
    await gone(a, `root's delete ${label}`);
    // A shard: `detach` runs in owner:<owner> and asks root.
    const b = await stored();
    const owner = `del-${Object.keys(fault)[0]}`;
    await app.ok("files:attach", { owner, file: b });
    await app.fault(`owner:${owner}`, fault);
    const shard = await app.call("files:detach", { owner });
    if (fault["file-delete-fail"]) {
      assert.equal(shard.status, 200);
      assert.ok((await app.ok("files:allFiles")).includes(b), "the failed delete left the file for the retry");
    }
    await gone(b, `a shard's delete ${label}`);
    assert.equal((await app.debug(`owner:${owner}`)).counts.notes, 0);
  }
});
