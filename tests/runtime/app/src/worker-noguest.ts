import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";

// The same app with guest auth off (hostile.test.mjs: a correctly signed guest token is refused).
const lunora = createWorker(wiring, { guestAuth: false, testHooks: true });
export default lunora.worker;
export const LunoraShard = lunora.Shard;
