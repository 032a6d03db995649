import { mutation, v } from "@/lunora/_generated/server";

export const bad = mutation.input({ channelId: v.id("channels") }).mutation(async ({ ctx, args: { channelId } }) => {
    if (!ctx.auth.userId) throw new Error("must be signed in");
    // `createdAt` is a string, the schema says v.number().
    await ctx.db.insert("messages", { channelId, userId: ctx.auth.userId, text: "hi", createdAt: "now" });
});
