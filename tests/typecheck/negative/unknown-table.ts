import { query } from "@/lunora/_generated/server";

export const bad = query.query(async ({ ctx }) => {
    return ctx.db.query("mesages").collect();
});
