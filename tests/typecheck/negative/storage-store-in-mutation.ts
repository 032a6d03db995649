import { mutation, v } from "@/lunora/_generated/server";

export const bad = mutation.input({ text: v.string() }).mutation(async ({ ctx, args: { text } }) => {
    // Only actions store bytes: a mutation's ctx.storage has no `store`.
    await ctx.storage.store(new Blob([text]));
});
