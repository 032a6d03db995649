import { action, mutation, query, v } from "./_generated/server";
import { internal } from "./_generated/api";

export const create = mutation.input({ name: v.string() }).mutation(async ({ ctx, args: { name } }) => {
  return ctx.db.insert("channels", { name });
});

export const list = query.query(async ({ ctx }) => {
  return ctx.db.query("channels").withIndex("by_name").collect();
});

export const byName = query.input({ name: v.string() }).query(async ({ ctx, args: { name } }) => {
  return ctx.db.query("channels").withIndex("by_name", (q) => q.eq("name", name)).unique();
});

/** Creates two channels in one mutation, then fails: neither may exist afterwards (D1 batch). */
export const createTwoThenFail = mutation.input({ a: v.string(), b: v.string() }).mutation(async ({ ctx, args: { a, b } }) => {
  await ctx.db.insert("channels", { name: a });
  await ctx.db.insert("channels", { name: b });
  throw new Error("boom after two inserts");
});

export const countMessages = action.input({ channelId: v.id("channels") }).action(async ({ ctx, args: { channelId } }) => {
  const n: number = await ctx.runQuery(internal.messages.count, { channelId });
  return { channelId, n };
});
