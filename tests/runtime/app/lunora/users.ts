import { query } from "./_generated/server";

/** The built-in `users` table, live: rows are written by the Worker itself (guest sign-in, verifier). */
export const subjects = query.query(async ({ ctx }) => {
  const rows = await ctx.db.query("users").withIndex("by_subject").collect();
  return rows.map((u) => u.subject);
});

/** Who the runtime says the caller is. */
export const me = query.query(async ({ ctx }) => ctx.auth.userId);
