// Load test: 50 WebSocket subscribers on one channel, 5 writers x 200 messages. Every subscriber
// must see every message, in commit order, none lost or duplicated. Prints throughput and
// delivery latency (a benchmark printout, not a timed assertion).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startApp, ref, until } from "./helpers.mjs";

const SUBSCRIBERS = 50;
const WRITERS = 5;
const PER_WRITER = 200;
const TOTAL = WRITERS * PER_WRITER;

let app;
before(async () => {
  app = await startApp();
});
after(async () => {
  await app?.dispose();
});

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

test(`load: ${SUBSCRIBERS} subscribers, ${WRITERS} writers x ${PER_WRITER} messages`, { timeout: 600_000 }, async () => {
  const { token } = await app.guest();
  const create = await app.call("channels:create", { name: "load" }, token);
  const channelId = create.body.value;
  const sentAt = new Map();
  const subscribers = [];
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const client = app.client({ auth: "none" });
    const sub = { client, seen: [], ids: new Set(), dup: 0, latencies: [], ready: false };
    client.subscribe(ref("messages:list"), { channelId, limit: 20 }, (list) => {
      sub.ready = true;
      const now = performance.now();
      // the list is newest first: walk it oldest first to record new messages in order
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i];
        if (sub.ids.has(m._id)) continue;
        sub.ids.add(m._id);
        sub.seen.push(m);
        const t0 = sentAt.get(m.text);
        if (t0 !== undefined) sub.latencies.push(now - t0);
      }
    });
    subscribers.push(sub);
  }
  await until(() => subscribers.every((s) => s.ready), 30_000, "all subscribers to get their first result");

  const writers = await Promise.all(Array.from({ length: WRITERS }, () => app.guest()));
  const start = performance.now();
  await Promise.all(
    writers.map(async ({ token: wt }, w) => {
      for (let i = 0; i < PER_WRITER; i++) {
        const text = `w${w}-${i}`;
        sentAt.set(text, performance.now());
        const res = await app.call("messages:send", { channelId, text }, wt);
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    }),
  );
  const writesDone = performance.now();
  await until(() => subscribers.every((s) => s.seen.length >= TOTAL), 120_000, "every subscriber to receive every message");
  const allDelivered = performance.now();

  // commit order = the index order of the channel's messages
  const committed = (await app.call("messages:list", { channelId, limit: TOTAL + 10 })).body.value.reverse();
  assert.equal(committed.length, TOTAL);
  const order = committed.map((m) => m._id);
  for (const [s, sub] of subscribers.entries()) {
    assert.equal(sub.seen.length, TOTAL, `subscriber ${s}: count`);
    assert.deepEqual(sub.seen.map((m) => m._id), order, `subscriber ${s}: every message, in commit order`);
  }
  // each writer's messages appear in the order it sent them
  for (let w = 0; w < WRITERS; w++) {
    const mine = committed.filter((m) => m.text.startsWith(`w${w}-`)).map((m) => Number(m.text.split("-")[1]));
    assert.deepEqual(mine, Array.from({ length: PER_WRITER }, (_, i) => i));
  }

  const latencies = subscribers.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const writeSecs = (writesDone - start) / 1000;
  const deliverSecs = (allDelivered - start) / 1000;
  const report = {
    messages: TOTAL,
    subscribers: SUBSCRIBERS,
    deliveries: latencies.length,
    writeThroughputMsgPerSec: Math.round(TOTAL / writeSecs),
    deliveryThroughputPerSec: Math.round(latencies.length / deliverSecs),
    p50LatencyMs: Number(percentile(latencies, 50).toFixed(1)),
    p99LatencyMs: Number(percentile(latencies, 99).toFixed(1)),
    maxLatencyMs: Number(latencies.at(-1).toFixed(1)),
    totalSecs: Number(deliverSecs.toFixed(2)),
  };
  console.log(`LOAD ${JSON.stringify(report)}`);
  assert.equal(latencies.length, TOTAL * SUBSCRIBERS);
  for (const sub of subscribers) sub.client.close();
});
