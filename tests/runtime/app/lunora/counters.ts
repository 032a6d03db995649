import type { Id } from "./_generated/dataModel";
import { mutation, query, v } from "./_generated/server";

const SYSTEM_USER = "users:systemaaaaaaaaaaaaaa" as Id<"users">;

// A global document written by read-modify-write mutations from root and from shard objects
// (integrity.test.mjs): no increment may be lost, no field overwritten by a concurrent patch.

export const create = mutation.input({ name: v.string() }).mutation(async ({ ctx, args: { name } }) => {
  return ctx.db.insert("counters", { name, n: 0 });
});

export const get = query.input({ id: v.id("counters") }).query(async ({ ctx, args: { id } }) => ctx.db.get(id));

/** Runs in root (it touches only a global table). */
export const incRoot = mutation.input({ id: v.id("counters") }).mutation(async ({ ctx, args: { id } }) => {
  const doc = await ctx.db.get(id);
  if (!doc) throw new Error("no counter");
  await ctx.db.patch(id, { n: doc.n + 1 });
  return doc.n + 1;
});

/** Runs in the channel's object: increments the global counter and writes a message there too. */
export const incShard = mutation
  .input({ channelId: v.id("channels"), id: v.id("counters"), text: v.string() })
  .mutation(async ({ ctx, args: { channelId, id, text } }) => {
    await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).first();
    const doc = await ctx.db.get(id);
    if (!doc) throw new Error("no counter");
    await ctx.db.patch(id, { n: doc.n + 1 });
    await ctx.db.insert("messages", { channelId, userId: SYSTEM_USER, text, createdAt: Date.now() });
    return doc.n + 1;
  });

/** Root patches field `a` from what it read. */
export const setA = mutation.input({ id: v.id("counters"), value: v.string() }).mutation(async ({ ctx, args: { id, value } }) => {
  const doc = await ctx.db.get(id);
  await ctx.db.patch(id, { a: `${doc?.a ?? ""}${value}` });
});

/** A shard patches field `b` from what it read. */
export const setB = mutation
  .input({ channelId: v.id("channels"), id: v.id("counters"), value: v.string() })
  .mutation(async ({ ctx, args: { channelId, id, value } }) => {
    await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).first();
    const doc = await ctx.db.get(id);
    await ctx.db.patch(id, { b: `${doc?.b ?? ""}${value}` });
  });

/** Runs in `channelId`'s object but writes a message of another channel: refused (wrong_shard). */
export const misroute = mutation
  .input({ channelId: v.id("channels"), other: v.id("channels") })
  .mutation(async ({ ctx, args: { channelId, other } }) => {
    await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).first();
    await ctx.db.insert("messages", { channelId: other, userId: SYSTEM_USER, text: "misrouted", createdAt: 0 });
  });

/**
 * A read-only mutation (runs in root) that reads the counter twice with a pause between: the two
 * reads must agree, however the counter changes meanwhile (it runs again when its reads are stale).
 */
export const readTwice = mutation.input({ id: v.id("counters"), pauseMs: v.number() }).mutation(async ({ ctx, args: { id, pauseMs } }) => {
  const first = await ctx.db.get(id);
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  const second = await ctx.db.get(id);
  return [first?.n ?? null, second?.n ?? null];
});

/** Fails while the counter is odd (live.test.mjs: a live query's error state and its recovery). */
export const even = query.input({ id: v.id("counters") }).query(async ({ ctx, args: { id } }) => {
  const doc = await ctx.db.get(id);
  if (!doc) throw new Error("no counter");
  if (doc.n % 2 === 1) throw new Error(`counter is odd: ${doc.n}`);
  return doc.n;
});
