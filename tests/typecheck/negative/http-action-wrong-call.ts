import { api } from "@/lunora/_generated/api";
import { httpAction } from "@/lunora/_generated/server";

// `ctx.runQuery` takes queries: `api.messages.send` is a mutation.
export const wrongCall = httpAction(async (ctx) => {
  await ctx.runQuery(api.messages.send, { channelId: "c", text: "t" });
  return new Response(null, { status: 204 });
});
