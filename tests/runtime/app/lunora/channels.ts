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

export const rename = mutation.input({ id: v.id("channels"), name: v.string() }).mutation(async ({ ctx, args: { id, name } }) => {
  await ctx.db.patch(id, { name });
});

/**
 * Read-your-writes: inserts, renames and deletes channels, then reads them back with `query` in the
 * same mutation (before the D1 batch has run).
 */
export const writeThenRead = mutation
  .input({ insert: v.string(), renameId: v.id("channels"), renameTo: v.string(), deleteId: v.id("channels"), after: v.string() })
  .mutation(async ({ ctx, args }) => {
    await ctx.db.insert("channels", { name: args.insert });
    await ctx.db.patch(args.renameId, { name: args.renameTo });
    await ctx.db.delete(args.deleteId);
    const all = await ctx.db.query("channels").withIndex("by_name").collect();
    const desc = await ctx.db.query("channels").withIndex("by_name").order("desc").take(2);
    const inserted = await ctx.db.query("channels").withIndex("by_name", (q) => q.eq("name", args.insert)).unique();
    const renamed = await ctx.db.query("channels").withIndex("by_name", (q) => q.eq("name", args.renameTo)).unique();
    const range = await ctx.db.query("channels").withIndex("by_name", (q) => q.gt("name", args.after)).collect();
    const page1 = await ctx.db.query("channels").withIndex("by_name").paginate({ numItems: 2, cursor: null });
    const page2 = await ctx.db.query("channels").withIndex("by_name").paginate({ numItems: 100, cursor: page1.continueCursor });
    const names = (docs: { name: string }[]) => docs.map((d) => d.name);
    return {
      all: names(all),
      desc: names(desc),
      inserted: inserted?.name ?? null,
      renamed: renamed?._id ?? null,
      range: names(range),
      pages: [...names(page1.page), ...names(page2.page)],
    };
  });
