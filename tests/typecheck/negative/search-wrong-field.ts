import { v } from "lunorash/server";
import { query } from "./_generated/server";

export const bad = query({
  args: { text: v.string() },
  handler: async (ctx, { text }) =>
    ctx.db.query("notes").withSearchIndex("search_body", (q) => q.search("title", text)).take(5),
});
