// Convex's object form (issue 15): the runtime runs these exactly as the builder form.
import { paginationOptsValidator } from "lunorash/server";
import { action, mutation, query, v, type Id } from "./_generated/server";

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

// Convex's table-first `ctx.db` calls, `normalizeId`, the filter builder, `for await` and
// `getUserIdentity` (issue 15).
export const tableFirst = mutation({
  args: { title: v.string() },
  handler: async (ctx, args) => {
    const id = await ctx.db.insert("notes", { title: args.title, rank: 1, done: false });
    await ctx.db.patch("notes", id, { rank: 2 });
    const patched = await ctx.db.get("notes", id);
    await ctx.db.replace("notes", id, { title: `${args.title}!`, rank: 3, done: true });
    const replaced = await ctx.db.get("notes", id);
    await ctx.db.delete("notes", id);
    const deleted = await ctx.db.get(id);
    return { patched: patched?.rank ?? null, replaced: replaced?.title ?? null, deleted: deleted === null };
  },
});

export const wrongTable = mutation({
  args: { id: v.id("notes") },
  handler: async (ctx, args) => {
    // Deliberately the id of another table.
    await ctx.db.delete("channels", args.id as unknown as Id<"channels">);
  },
});

export const normalize = query({
  args: { raw: v.string() },
  handler: async (ctx, args) => ({ notes: ctx.db.normalizeId("notes", args.raw), channels: ctx.db.normalizeId("channels", args.raw) }),
});

export const openAbove = query({
  args: { min: v.number(), prefix: v.string() },
  handler: async (ctx, args) => {
    const titles: string[] = [];
    const open = ctx.db
      .query("notes")
      .withIndex("by_rank")
      .filter((q) => q.and(q.eq(q.field("done"), false), q.gte(q.field("rank"), args.min), q.neq(q.mod(q.field("rank"), 2), 1)));
    for await (const note of open) if (note.title.startsWith(args.prefix)) titles.push(note.title);
    return titles;
  },
});

export const whoami = query({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    return identity === null ? null : { subject: identity.subject, issuer: identity.issuer, tokenIdentifier: identity.tokenIdentifier, userId: ctx.auth.userId };
  },
});

// getUserIdentity in a query that runs in a shard (messages are sharded by channelId): the
// user's row is a global read like any other.
export const whoamiInChannel = query({
  args: { channelId: v.id("channels") },
  handler: async (ctx, args) => {
    const identity = await ctx.auth.getUserIdentity();
    const messages = await ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channelId", args.channelId))
      .collect();
    return { subject: identity?.subject ?? null, messages: messages.length };
  },
});

// In an action (the Worker), the identity comes from the verified token.
export const whoamiAction = action({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    return identity === null ? null : { subject: identity.subject, tokenIdentifier: identity.tokenIdentifier };
  },
});
