// The client's mutation sender against a scripted fetch: one mutation at a time, in order, each
// with its own id; failures that may have lost a reply are retried with the same id; server
// verdicts are not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LunoraClient, LunoraError } from "../dist/index.js";

/** A fake server: applies each mutation id once (as the Durable Object does), can fail on cue. */
function fakeServer(script = []) {
  const applied = new Map();
  const order = [];
  const seen = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = async (_url, init) => {
    const body = JSON.parse(init.body);
    seen.push(body.mutationId);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      const step = script.shift() ?? "ok";
      if (step === "network") throw new TypeError("fetch failed");
      if (step === "unavailable") return Response.json({ ok: false, error: { code: "unavailable", message: "try again" } }, { status: 503 });
      if (step === "bad_args") return Response.json({ ok: false, error: { code: "bad_args", message: "no" } }, { status: 400 });
      if (step === "html") return new Response("<html>502</html>", { status: 502 });
      if (!applied.has(body.mutationId)) {
        applied.set(body.mutationId, body.args.n);
        order.push(body.args.n);
      }
      if (step === "lost") throw new TypeError("network connection lost"); // applied, reply lost
      return Response.json({ ok: true, value: applied.get(body.mutationId) });
    } finally {
      inFlight--;
    }
  };
  return { fetch, applied, order, seen, maxInFlight: () => maxInFlight };
}

const ref = { __lunora: "ref", path: "m:add", kind: "mutation" };
const client = (server) => new LunoraClient("http://test", { auth: "none", storage: null, fetch: server.fetch, minBackoffMs: 1, maxBackoffMs: 5 });

test("mutations are sent one at a time, in the order issued, each applied once", async () => {
  const server = fakeServer(["ok", "lost", "network", "ok", "html", "unavailable", "lost", "lost"]);
  const c = client(server);
  const results = await Promise.all(Array.from({ length: 10 }, (_, n) => c.mutation(ref, { n })));
  assert.deepEqual(results, Array.from({ length: 10 }, (_, n) => n), "each promise resolves with its own first result");
  assert.deepEqual(server.order, Array.from({ length: 10 }, (_, n) => n), "applied once each, in issue order");
  assert.equal(server.maxInFlight(), 1, "never two mutations in flight");
  const ids = [...new Set(server.seen)];
  assert.equal(ids.length, 10, "a retry re-sends the same id");
  assert.ok(ids.every((id, i) => id.endsWith(`:${i + 1}`) && id.split(":")[0] === ids[0].split(":")[0]));
  assert.ok(server.seen.length > 10, "failures were retried");
});

test("a server verdict rejects that mutation only; the next ones still run in order", async () => {
  const server = fakeServer(["ok", "bad_args", "ok"]);
  const c = client(server);
  const [a, b, d] = await Promise.allSettled([c.mutation(ref, { n: 1 }), c.mutation(ref, { n: 2 }), c.mutation(ref, { n: 3 })]);
  assert.equal(a.status, "fulfilled");
  assert.equal(b.status, "rejected");
  assert.ok(b.reason instanceof LunoraError && b.reason.code === "bad_args");
  assert.equal(d.status, "fulfilled");
  assert.deepEqual(server.order, [1, 3]);
});

test("two clients have different ids", async () => {
  const server = fakeServer();
  await client(server).mutation(ref, { n: 1 });
  await client(server).mutation(ref, { n: 2 });
  assert.notEqual(server.seen[0].split(":")[0], server.seen[1].split(":")[0]);
});
