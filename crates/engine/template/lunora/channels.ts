import { mutation, v } from "@/lunora/_generated/server";

/** The id of the channel called `name`, created if it does not exist yet. */
export const open = mutation.input({ name: v.string() }).mutation(async ({ ctx, args: { name } }) => {
    const existing = await ctx.db
        .query("channels")
        .withIndex("by_name", (q) => q.eq("name", name))
        .unique();
    if (existing) return existing._id;
    return ctx.db.insert("channels", { name });
});
