// Cron jobs on workerd: fixtures/valid/crons built with the real codegen. A Cron Trigger runs every
// job of lunora/crons.ts whose expression is the one that fired (a mutation job writes, an action job
// calls ctx.runMutation), a job whose function throws is logged and the others still run, a trigger
// delivered again applies a mutation job once, and an expression no job has runs nothing
// (docs/ARCHITECTURE.md, "Cron jobs").
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { buildFixtureWorker } from "../scripts/build-app.mjs";
import { startApp, until } from "./helpers.mjs";

let app;
let worker;
/** What workerd printed on stderr (console.error of the Worker). */
let stderr = "";

before(async () => {
  app = await startApp({
    ...(await buildFixtureWorker("crons")),
    miniflare: {
      handleRuntimeStdio(out, err) {
        out.resume();
        err.on("data", (chunk) => {
          stderr += chunk.toString();
        });
      },
    },
  });
  worker = await app.mf.getWorker();
});
after(async () => {
  await app?.dispose();
});

const log = () => app.ok("jobs:log", {});
const count = (lines, text) => lines.filter((l) => l === text).length;

test("a trigger runs its mutation jobs; a failing job is logged and the other job on it still runs", async () => {
  const before = await log();
  const result = await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date("2026-01-01T00:05:00Z") });
  assert.equal(result.outcome, "ok");
  const after = await log();
  assert.equal(count(after, "five") - count(before, "five"), 1);
  assert.equal(count(after, "fail five"), 0);
  await until(() => stderr.includes(`cron job "also every five minutes" (jobs:writeLog) failed`) && stderr.includes("refused: fail five"));
});

test("an action job runs, and its ctx.runMutation commits", async () => {
  await worker.scheduled({ cron: "15 * * * *", scheduledTime: new Date("2026-01-01T00:15:00Z") });
  assert.equal(count(await log(), "action: quarter"), 1);
});

test("a job routed by its args runs in that object; the weekly day is written MON", async () => {
  await worker.scheduled({ cron: "0 0 1 * *", scheduledTime: new Date("2026-02-01T00:00:00Z") });
  assert.deepEqual(await app.ok("jobs:notes", { room: "lobby" }), ["monthly"]);
  await worker.scheduled({ cron: "0 9 * * MON", scheduledTime: new Date("2026-01-05T09:00:00Z") });
  assert.equal(count(await log(), "action: weekly"), 1);
});

test("a trigger delivered again (same scheduled time) applies a mutation job once", async () => {
  const at = new Date("2026-01-01T03:30:00Z");
  await worker.scheduled({ cron: "30 3 * * *", scheduledTime: at });
  await worker.scheduled({ cron: "30 3 * * *", scheduledTime: at });
  assert.equal(count(await log(), "nightly"), 1);
  // The next day's trigger runs it again.
  await worker.scheduled({ cron: "30 3 * * *", scheduledTime: new Date("2026-01-02T03:30:00Z") });
  assert.equal(count(await log(), "nightly"), 2);
});

test("an expression no job has runs nothing", async () => {
  const before = await log();
  const result = await worker.scheduled({ cron: "1 2 3 4 *", scheduledTime: new Date("2026-04-03T02:01:00Z") });
  assert.equal(result.outcome, "ok");
  assert.deepEqual(await log(), before);
});
