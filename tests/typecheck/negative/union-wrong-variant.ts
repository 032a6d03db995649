// A union table's insert takes one of its variants: `value` belongs to "success", not to "error".
import { mutation } from "./_generated/server";

export const bad = mutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("results", { kind: "error", value: 1 });
  },
});
