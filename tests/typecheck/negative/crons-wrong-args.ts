import { cronJobs } from "lunorash/server";
import { api } from "@/lunora/_generated/api";
import type { Id } from "@/lunora/_generated/dataModel";

const crons = cronJobs();
// `text` is a string in `messages.send`'s args.
crons.daily("nightly", { hourUTC: 3, minuteUTC: 0 }, api.messages.send, { channelId: "c" as Id<"channels">, text: 42 });
export default crons;
