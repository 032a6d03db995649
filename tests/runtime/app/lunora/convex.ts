// Convex's object form (issue 15): the runtime runs these exactly as the builder form.
import { paginationOptsValidator } from "lunorash/server";
import { mutation, query, v } from "./_generated/server";

export const addNote = mutation({
  args: { title: v.string(), rank: v.float64() },
  returns: v.id("notes"),
  handler: async (ctx, args) => {
    return await ctx.db.insert("notes", { title: args.title, rank: args.rank, done: false });
  },
});

export const titles = query({
  args: v.object({ prefix: v.string() }),
  returns: v.array(v.string()),
  handler: async (ctx, { prefix }) => {
    const notes = await ctx.db.query("notes").withIndex("by_rank").collect();
    return notes.map((n) => n.title).filter((t) => t.startsWith(prefix));
  },
});

export const badReturn = query({
  returns: v.string(),
  // Deliberately breaks its `returns` validator: the server must refuse the result.
  handler: async () => 42 as unknown as string,
});

export const paged = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, args) => ctx.db.query("notes").withIndex("by_rank").paginate(args.paginationOpts),
});
