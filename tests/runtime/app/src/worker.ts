import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";

// The test app plugs in a stand-in "production" verifier (a real app would verify a JWT here):
// tokens `ext:<subject>` are accepted for subjects made of letters.
const lunora = createWorker(wiring, {
  testHooks: true,
  // The tests sign in many guests and open many sockets from one address.
  limits: { guestSignInsPerMinute: 100_000, socketsPerUser: 10_000 },
  verifyToken: async (token) => {
    const m = /^ext:([a-z]+)$/.exec(token);
    if (m) return { subject: `ext|${m[1]}`, name: m[1] };
    // A careless verifier that passes any subject through (hostile.test.mjs): `as:<subject>`.
    const raw = /^as:(.+)$/.exec(token);
    return raw ? { subject: raw[1]! } : null;
  },
});
export default lunora.worker;
export const LunoraShard = lunora.Shard;
