import { internalQuery, mutation, query, v } from "./_generated/server";

export const list = query.input({ channelId: v.id("channels"), limit: v.optional(v.number()) }).query(async ({ ctx, args: { channelId, limit } }) => {
  return ctx.db
    .query("messages")
    .withIndex("by_channel", (q) => q.eq("channelId", channelId))
    .order("desc")
    .take(limit ?? 50);
});

export const send = mutation.input({ channelId: v.id("channels"), text: v.string() }).mutation(async ({ ctx, args: { channelId, text } }) => {
  if (!ctx.auth.userId) throw new Error("must be signed in");

  await ctx.db.insert("messages", {
    channelId,
    userId: ctx.auth.userId,
    text,
    createdAt: Date.now(),
  });
});

/** Writes a global table from a shard object: live `channels:list` subscribers (root) must update. */
export const setTopic = mutation.input({ channelId: v.id("channels"), topic: v.string() }).mutation(async ({ ctx, args: { channelId, topic } }) => {
  const count = (await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).collect()).length;
  await ctx.db.patch(channelId, { topic: `${topic} (${count})` });
});

export const count = internalQuery.input({ channelId: v.id("channels") }).query(async ({ ctx, args: { channelId } }) => {
  return (await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).collect()).length;
});

/** Writes the shard (a message) and D1 (a channel) in one mutation: a failing D1 batch must undo both. */
export const sendAndCreateChannel = mutation
  .input({ channelId: v.id("channels"), text: v.string(), name: v.string() })
  .mutation(async ({ ctx, args: { channelId, text, name } }) => {
    if (!ctx.auth.userId) throw new Error("must be signed in");
    await ctx.db.insert("messages", { channelId, userId: ctx.auth.userId, text, createdAt: Date.now() });
    return ctx.db.insert("channels", { name });
  });

/** A shard-routed query that also reads a global table: must update live when the channel changes anywhere. */
export const withChannel = query.input({ channelId: v.id("channels") }).query(async ({ ctx, args: { channelId } }) => {
  const channel = await ctx.db.get(channelId);
  const n = (await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).collect()).length;
  return { name: channel?.name ?? null, topic: channel?.topic ?? null, n };
});

/** Runs in `channelId`'s object and renames another channel (a global write made by a shard). */
export const renameChannel = mutation
  .input({ channelId: v.id("channels"), target: v.id("channels"), name: v.string() })
  .mutation(async ({ ctx, args: { channelId, target, name } }) => {
    await ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", channelId)).first();
    await ctx.db.patch(target, { name });
  });
