import { api } from "@/lunora/_generated/api";
import { mutation, v } from "@/lunora/_generated/server";

export const bad = mutation.input({ channelId: v.id("channels") }).mutation(async ({ ctx, args: { channelId } }) => {
    // `text` is a string in `messages.send`'s args.
    await ctx.scheduler.runAfter(1000, api.messages.send, { channelId, text: 42 });
});
