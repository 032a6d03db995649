// Benchmark (not a test): the latency of a mutation with N live subscriptions in its object that
// its writes do not change (range subscriptions on `notes` far from the written rank), N = 0 and
// N = 1000. Prints medians and their ratio. Run after `node scripts/prepare.mjs`:
//   node bench/idle-subscriptions.mjs [sends=40] [subscriptions=1000]
import WebSocket from "ws";
import { startApp, until } from "../test/helpers.mjs";

const SENDS = Number(process.argv[2] ?? 40);
const SUBS = Number(process.argv[3] ?? 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sendLatencies(app, label) {
  const out = [];
  for (let i = 0; i < SENDS; i++) {
    const start = performance.now();
    const res = await app.call("notes:add", { title: `${label}-${i}-${Math.random()}`, rank: i % 10 });
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    out.push(performance.now() - start);
  }
  return out;
}

const app = await startApp({ entry: "worker" });
try {
  await sendLatencies(app, "warm");
  const none = median(await sendLatencies(app, "none"));
  const sockets = [];
  let answered = 0;
  for (let s = 0; s * 500 < SUBS; s++) {
    const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/ws?object=root`, ["lunora"]);
    ws.on("message", () => answered++);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    for (let i = s * 500; i < Math.min(SUBS, (s + 1) * 500); i++) {
      ws.send(JSON.stringify({ t: "sub", id: String(i), path: "notes:rangeGteLt", args: { gte: 1_000_000 + i, lt: 1_000_001 + i } }));
    }
    sockets.push(ws);
  }
  await until(() => answered >= SUBS, 120_000, "every subscription's first result");
  const idle = median(await sendLatencies(app, "idle"));
  console.log(
    `BENCH idle-subscriptions ${JSON.stringify({ sends: SENDS, subscriptions: SUBS, medianMsWithout: +none.toFixed(2), medianMsWith: +idle.toFixed(2), ratio: +(idle / none).toFixed(2) })}`,
  );
  for (const ws of sockets) ws.close();
} finally {
  await app.dispose();
}
