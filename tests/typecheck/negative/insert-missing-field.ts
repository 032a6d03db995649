import { mutation, v } from "@/lunora/_generated/server";

export const bad = mutation.input({ channelId: v.id("channels") }).mutation(async ({ ctx, args: { channelId } }) => {
    if (!ctx.auth.userId) throw new Error("must be signed in");
    // `text` is missing.
    await ctx.db.insert("messages", { channelId, userId: ctx.auth.userId, createdAt: Date.now() });
});
