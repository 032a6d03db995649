import { api } from "@/lunora/_generated/api";
import { query, v } from "@/lunora/_generated/server";

export const bad = query.input({ channelId: v.id("channels") }).query(async ({ ctx, args: { channelId } }) => {
    // Queries have no scheduler.
    await ctx.scheduler.runAfter(0, api.messages.send, { channelId, text: "hi" });
});
