import { api } from "@/lunora/_generated/api";
import { mutation } from "@/lunora/_generated/server";

export const bad = mutation.mutation(async ({ ctx }) => {
    // `messages.send` takes args: they may be left out only for a function that takes none.
    await ctx.scheduler.runAfter(1000, api.messages.send);
});
