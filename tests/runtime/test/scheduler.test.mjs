// Scheduled functions (issue 17) on workerd: fixtures/valid/scheduler. `ctx.scheduler` in
// mutations is part of their transaction, jobs are stored in the object that scheduled them and
// run from its alarm, exactly once for mutations (also across restarts, lost replies and objects),
// failures are recorded, and `ctx.db.system.query("_scheduled_functions")` shows them.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { buildFixtureWorker } from "../scripts/build-app.mjs";
import { startApp, until } from "./helpers.mjs";

let app;
before(async () => {
  app = await startApp(await buildFixtureWorker("scheduler"));
});
after(async () => {
  await app?.dispose();
});

const call = (p, args) => app.ok(p, args);
const logs = () => call("jobs:logs", {});
const job = (id) => call("jobs:job", { id });
const count = (list, text) => list.filter((t) => t === text).length;
const settled = async (id, what = id) => until(async () => {
  const j = await job(id);
  return j && j.state.kind !== "pending" && j.state.kind !== "inProgress" ? j : null;
}, 8000, `${what} to finish`);

test("runAfter(0): the scheduled mutation's write becomes visible and the job is a success", async () => {
  const before = Date.now();
  const id = await call("jobs:logLater", { text: "soon", delayMs: 0 });
  assert.match(id, /^_scheduled_functions:[a-z2-7]{20}$/);
  const done = await settled(id);
  assert.deepEqual(done.state, { kind: "success" });
  assert.equal(done.name, "jobs:writeLog");
  assert.deepEqual(done.args, [{ text: "soon" }]);
  assert.ok(done.scheduledTime >= before && done.completedTime >= done.scheduledTime, JSON.stringify(done));
  assert.equal(count(await logs(), "soon"), 1);
  const all = await call("jobs:scheduled", {});
  assert.ok(all.some((j) => j._id === id && j.state.kind === "success"), "listed by ctx.db.system.query");
});

test("runAt a future time: pending until then, then run once", async () => {
  const at = Date.now() + 1500;
  const id = await call("jobs:logAt", { text: "at-time", at });
  assert.equal((await job(id)).state.kind, "pending");
  assert.equal((await job(id)).scheduledTime, at);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(count(await logs(), "at-time"), 0, "not before its time");
  const done = await settled(id);
  assert.equal(done.state.kind, "success");
  assert.ok(done.completedTime >= at, `completed ${done.completedTime} >= scheduled ${at}`);
  assert.equal(count(await logs(), "at-time"), 1);
});

test("cancel before it runs: it never runs and is canceled", async () => {
  const id = await call("jobs:logLater", { text: "canceled", delayMs: 800 });
  await call("jobs:cancel", { id });
  assert.equal((await job(id)).state.kind, "canceled");
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(count(await logs(), "canceled"), 0);
  const j = await job(id);
  assert.equal(j.state.kind, "canceled");
  assert.ok(j.completedTime > 0);
  // Canceling a finished job leaves it as it is; an id of nothing here is an error.
  await call("jobs:cancel", { id });
  const res = await app.call("jobs:cancel", { id: "_scheduled_functions:aaaaaaaaaaaaaaaaaaaa" });
  assert.notEqual(res.status, 200);
});

test("a mutation that throws after scheduling schedules nothing", async () => {
  const before = (await call("jobs:scheduled", {})).length;
  const res = await app.call("jobs:logThenThrow", { text: "never" });
  assert.notEqual(res.status, 200);
  assert.match(JSON.stringify(res.body), /changed my mind/);
  assert.equal((await call("jobs:scheduled", {})).length, before);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(count(await logs(), "never"), 0);
});

test("a scheduled mutation that throws: the job is failed with its error, nothing written", async () => {
  const id = await call("jobs:logLater", { text: "fail-1", delayMs: 0 });
  const done = await settled(id);
  assert.equal(done.state.kind, "failed");
  assert.match(done.state.error, /refused: fail-1/);
  assert.equal(count(await logs(), "fail-1"), 0);
});

test("bad args are refused when scheduling (the scheduling mutation fails)", async () => {
  const res = await app.call("jobs:logLater", { text: "x", delayMs: Number.NaN });
  assert.notEqual(res.status, 200);
});

test("from a shard to a root function: the job lives in the shard, the write lands in root once", async () => {
  const id = await call("notes:addThenLog", { room: "r1", text: "hello" });
  await until(async () => count(await logs(), "r1: hello") === 1, 8000, "root's log line");
  const jobs = await until(async () => {
    const list = await call("notes:scheduled", { room: "r1" });
    return list.find((j) => j._id === id && j.state.kind === "success") ? list : null;
  }, 8000, "the shard's job to succeed");
  assert.equal(jobs.length, 1);
  assert.deepEqual(await call("notes:list", { room: "r1" }), ["hello"]);
  // Root has no such job: it belongs to the shard that scheduled it.
  assert.equal(await job(id), null);
});

test("from root to a shard function, and a shard's own delayed job", async () => {
  const id = await call("jobs:noteLater", { room: "r2", text: "from root" });
  await until(async () => (await call("notes:list", { room: "r2" })).includes("from root"), 8000, "the note in r2");
  assert.equal((await settled(id)).state.kind, "success");
  await call("notes:addLater", { room: "r2", text: "later", delayMs: 200 });
  await until(async () => (await call("notes:list", { room: "r2" })).includes("later (after 1)"), 8000, "r2's own job");
});

test("a failing mutation on another object: the job is failed with that object's error", async () => {
  const id = await call("jobs:noteLater", { room: "r3", text: "fail-remote" });
  const done = await settled(id);
  assert.equal(done.state.kind, "failed");
  assert.match(done.state.error, /refused: fail-remote/);
});

test("an object restarted with a pending job runs it once, at its time", async () => {
  const id = await call("jobs:logLater", { text: "restart-pending", delayMs: 600 });
  const first = (await app.debug("root")).instance;
  await app.restart("root");
  assert.notEqual((await app.debug("root")).instance, first, "root restarted");
  const done = await settled(id);
  assert.equal(done.state.kind, "success");
  assert.equal(count(await logs(), "restart-pending"), 1);
});

test("restarted after the scheduled mutation committed, before anything else: not run again", async () => {
  const instance = (await app.debug("root")).instance;
  const id = await call("jobs:logLater", { text: "restart-after-commit", delayMs: 400 });
  await app.fault("root", { "abort-after-commit": 1 });
  const done = await settled(id);
  assert.equal(done.state.kind, "success");
  assert.notEqual((await app.debug("root")).instance, instance, "the fault restarted root");
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(count(await logs(), "restart-after-commit"), 1);
});

test("restarted while the scheduled mutation ran, before it committed: run again, once", async () => {
  const instance = (await app.debug("root")).instance;
  const id = await call("jobs:logLater", { text: "restart-before-commit", delayMs: 400 });
  await app.fault("root", { "abort-before-commit": 1 });
  const done = await settled(id);
  assert.equal(done.state.kind, "success");
  assert.notEqual((await app.debug("root")).instance, instance, "the fault restarted root");
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(count(await logs(), "restart-before-commit"), 1);
});

test("exactly once under a lost reply: the target shard commits and restarts before answering", async () => {
  await call("notes:add", { room: "r4", text: "first" }); // the shard object exists (fault hooks are per instance)
  await app.fault("room:r4", { "abort-after-commit": 1 });
  const id = await call("jobs:noteLater", { room: "r4", text: "once" });
  const done = await settled(id);
  assert.equal(done.state.kind, "success");
  const notes = await call("notes:list", { room: "r4" });
  assert.equal(count(notes, "once"), 1, JSON.stringify(notes));
});

test("actions schedule (their jobs live in root) and scheduled actions run", async () => {
  const id = await call("jobs:logFromAction", { text: "from-action" });
  assert.equal((await settled(id)).state.kind, "success");
  assert.equal(count(await logs(), "from-action"), 1);
  const viaAction = await call("jobs:logViaAction", { text: "via-action" });
  assert.equal((await settled(viaAction)).state.kind, "success");
  assert.equal(count(await logs(), "via-action"), 1);
});

test("a live query over _scheduled_functions updates when a job runs", async () => {
  const client = app.client({ auth: "none" });
  const seen = [];
  const stop = client.subscribe({ __lunora: "ref", path: "jobs:scheduled", kind: "query" }, {}, (value) => seen.push(value));
  const id = await call("jobs:logLater", { text: "live", delayMs: 300 });
  await until(() => seen.at(-1)?.some((j) => j._id === id && j.state.kind === "success"), 8000, "the live result to show success");
  stop?.();
});

for (const fault of ["d1-lose-reply", "abort-after-d1"]) {
  test(`a scheduled mutation that writes D1 (${fault}): its D1 commit, local writes and success mark apply once`, async () => {
    const name = `t-${fault}`;
    const instance = (await app.debug("root")).instance;
    const id = await call("jobs:tallyLater", { name, delayMs: 300 });
    await app.fault("root", { [fault]: 1 });
    const done = await settled(id);
    assert.equal(done.state.kind, "success");
    if (fault === "abort-after-d1") assert.notEqual((await app.debug("root")).instance, instance, "the fault restarted root");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await call("jobs:tallyOf", { name }), 1);
    assert.equal(count(await logs(), `tally ${name}`), 1);
    assert.equal((await app.debug("root")).intents, 0);
  });
}

test("a job id stored in a document (v.id(\"_scheduled_functions\")) cancels the job later", async () => {
  const reminder = await call("jobs:remind", { text: "reminder", delayMs: 800 });
  await call("jobs:forget", { id: reminder });
  const jobs = await call("jobs:scheduled", {});
  const j = jobs.find((x) => x.args[0]?.text === "reminder");
  assert.equal(j.state.kind, "canceled");
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(count(await logs(), "reminder"), 0);
  // The args validator refuses an id of another table.
  const res = await app.call("jobs:cancel", { id: reminder });
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, "bad_args");
});

test("a mutation sent twice with one mutation id schedules once (the copy gets the first job id)", async () => {
  const send = async () => {
    const res = await fetch(`${app.url}/api/call`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "jobs:logLater", args: { text: "sent-twice", delayMs: 0 }, mutationId: "schedtest:1" }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.value;
  };
  const first = await send();
  const second = await send();
  assert.equal(second, first);
  assert.equal((await settled(first)).state.kind, "success");
  const jobs = (await call("jobs:scheduled", {})).filter((j) => j.args[0]?.text === "sent-twice");
  assert.equal(jobs.length, 1);
  assert.equal(count(await logs(), "sent-twice"), 1);
});

test("a scheduled action runs at most once: restarted while it runs, it is failed and not run again", async () => {
  const id = await call("jobs:slowLater", { text: "slow", ms: 3000 });
  await until(async () => (await job(id)).state.kind === "inProgress", 8000, "the action to start");
  await app.restart("root");
  const done = await settled(id);
  assert.equal(done.state.kind, "failed");
  assert.match(done.state.error, /restarted while the action ran/);
  await new Promise((r) => setTimeout(r, 3500));
  assert.equal(count(await logs(), "slow"), 0);
  assert.equal((await job(id)).state.kind, "failed");
});
