import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";

// The test app plugs in a stand-in "production" verifier (a real app would verify a JWT here):
// tokens `ext:<subject>` are accepted for subjects made of letters.
const lunora = createWorker(wiring, {
  testHooks: true,
  verifyToken: async (token) => {
    const m = /^ext:([a-z]+)$/.exec(token);
    return m ? { subject: `ext|${m[1]}`, name: m[1] } : null;
  },
});
export default lunora.worker;
export const LunoraShard = lunora.Shard;
