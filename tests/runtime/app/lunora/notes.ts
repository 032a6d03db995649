import { mutation, query, v } from "./_generated/server";

export const add = mutation
  .input({ title: v.string(), rank: v.number(), done: v.optional(v.boolean()), tags: v.optional(v.array(v.string())) })
  .mutation(async ({ ctx, args }) => {
    return ctx.db.insert("notes", { title: args.title, rank: args.rank, done: args.done ?? false, ...(args.tags ? { tags: args.tags } : {}) });
  });

export const addMany = mutation
  .input({ titles: v.array(v.string()), failAfter: v.optional(v.number()) })
  .mutation(async ({ ctx, args }) => {
    let i = 0;
    for (const title of args.titles) {
      if (args.failAfter !== undefined && i === args.failAfter) throw new Error(`failing after ${i} inserts`);
      await ctx.db.insert("notes", { title, rank: i, done: false });
      i++;
    }
    return i;
  });

export const get = query.input({ id: v.id("notes") }).query(async ({ ctx, args }) => ctx.db.get(args.id));

export const patch = mutation
  .input({ id: v.id("notes"), rank: v.optional(v.number()), done: v.optional(v.boolean()), title: v.optional(v.string()) })
  .mutation(async ({ ctx, args: { id, ...rest } }) => {
    await ctx.db.patch(id, rest);
  });

export const replace = mutation
  .input({ id: v.id("notes"), title: v.string(), rank: v.number(), done: v.boolean() })
  .mutation(async ({ ctx, args: { id, ...doc } }) => {
    await ctx.db.replace(id, doc);
  });

export const remove = mutation.input({ id: v.id("notes") }).mutation(async ({ ctx, args }) => {
  await ctx.db.delete(args.id);
});

export const all = query.query(async ({ ctx }) => ctx.db.query("notes").collect());

export const byRank = query.query(async ({ ctx }) => ctx.db.query("notes").withIndex("by_rank").collect());

export const rangeGteLt = query.input({ gte: v.number(), lt: v.number() }).query(async ({ ctx, args }) => {
  return ctx.db
    .query("notes")
    .withIndex("by_rank", (q) => q.gte("rank", args.gte).lt("rank", args.lt))
    .collect();
});

export const rangeGtLte = query.input({ gt: v.number(), lte: v.number() }).query(async ({ ctx, args }) => {
  return ctx.db
    .query("notes")
    .withIndex("by_rank", (q) => q.gt("rank", args.gt).lte("rank", args.lte))
    .collect();
});

export const rangeDesc = query.input({ gte: v.number(), lte: v.number() }).query(async ({ ctx, args }) => {
  return ctx.db
    .query("notes")
    .withIndex("by_rank", (q) => q.gte("rank", args.gte).lte("rank", args.lte))
    .order("desc")
    .collect();
});

export const above = query.input({ gt: v.number() }).query(async ({ ctx, args }) => {
  return ctx.db
    .query("notes")
    .withIndex("by_rank", (q) => q.gt("rank", args.gt))
    .collect();
});

export const openByRank = query.input({ done: v.boolean(), limit: v.number() }).query(async ({ ctx, args }) => {
  return ctx.db
    .query("notes")
    .withIndex("by_done_rank", (q) => q.eq("done", args.done))
    .order("desc")
    .take(args.limit);
});

export const filtered = query.input({ contains: v.string() }).query(async ({ ctx, args }) => {
  return ctx.db
    .query("notes")
    .filter((n) => n.title.includes(args.contains))
    .collect();
});

export const firstByRank = query.query(async ({ ctx }) => ctx.db.query("notes").withIndex("by_rank").first());

export const byTitle = query.input({ title: v.string() }).query(async ({ ctx, args }) => {
  return ctx.db.query("notes").withIndex("by_title", (q) => q.eq("title", args.title)).unique();
});

export const uniqueRank = query.input({ rank: v.number() }).query(async ({ ctx, args }) => {
  return ctx.db.query("notes").withIndex("by_rank", (q) => q.eq("rank", args.rank)).unique();
});

export const page = query.input({ numItems: v.number(), cursor: v.union(v.string(), v.null()) }).query(async ({ ctx, args }) => {
  return ctx.db.query("notes").withIndex("by_rank").paginate({ numItems: args.numItems, cursor: args.cursor });
});

export const pageByTitle = query.input({ numItems: v.number(), cursor: v.union(v.string(), v.null()) }).query(async ({ ctx, args }) => {
  return ctx.db.query("notes").withIndex("by_title").paginate({ numItems: args.numItems, cursor: args.cursor });
});
