import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";

// The same app with small limits (limits.test.mjs).
const lunora = createWorker(wiring, {
  testHooks: true,
  limits: { guestSignInsPerMinute: 3, socketsPerUser: 2, subscriptionsPerObject: 5, rowsReadPerQuery: 10 },
});
export default lunora.worker;
export const LunoraShard = lunora.Shard;
