import { query, v } from "@/lunora/_generated/server";

export const bad = query.input({ channelId: v.id("channels") }).query(async ({ ctx, args: { channelId } }) => {
    return ctx.db
        .query("messages")
        .withIndex("by_chanel", (q) => q.eq("channelId", channelId))
        .collect();
});
