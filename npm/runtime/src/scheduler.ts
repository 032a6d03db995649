// Scheduled functions (`ctx.scheduler.runAfter/runAt/cancel`, docs/ARCHITECTURE.md "Scheduled
// functions"). A job is a row of `_lunora_scheduled` in the Durable Object that owns it: the
// object the scheduling mutation ran in (root for an action). A mutation writes its jobs inside its
// own transaction (through the object's recording `sql`, so a D1 commit replays them with its other
// local writes): a mutation that throws schedules nothing, a retried one schedules once. The
// object's single alarm is set to the earliest due work (jobs, outbox, intents) and runs due jobs:
//
// - a mutation routed to this object runs in the serial queue, and the job's `success` mark is
//   written in that mutation's own transaction (exactly once, also across restarts);
// - a mutation routed to another object is sent to it as a `/call` with the mutation id
//   `sched_<job>:1`, retried with backoff until it answers; the target's `_lunora_mutations` row
//   answers a re-sent copy with the first result (exactly once);
// - an action runs at most once (Convex's guarantee): marked `inProgress` before it starts; an
//   object restarted while one ran marks it failed.
//
// `ctx.db.system.get(id)` / `ctx.db.system.query("_scheduled_functions")` read the jobs in Convex's
// shape; live queries over them re-run when a job changes.

import { decodeValue, encodeValue, type JsonValue } from "@lunora/client";
import { isIdKey, newId, tableOfId } from "./ids.js";
import { noteWholeTable, unknownWrites, type ReadSet, type WriteSet } from "./readset.js";
import { validatedArgs } from "./routing.js";
import { LunoraRuntimeError, type Wiring, type WiringFunction } from "./types.js";

/** The system table's name, as Convex names it (`Id<"_scheduled_functions">`). */
export const SCHEDULED_TABLE = "_scheduled_functions";

export const SCHEDULED_DDL = [
  `CREATE TABLE IF NOT EXISTS _lunora_scheduled (id TEXT PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL, created REAL NOT NULL, scheduled REAL NOT NULL, next_try REAL NOT NULL, state TEXT NOT NULL, error TEXT, completed REAL, attempts INTEGER NOT NULL DEFAULT 0)`,
  `CREATE INDEX IF NOT EXISTS _lunora_scheduled__due ON _lunora_scheduled (state, next_try)`,
];

export type JobState = "pending" | "inProgress" | "success" | "failed" | "canceled";

/** A job as `ctx.db.system` returns it (Convex's `_scheduled_functions` document). */
export interface ScheduledFunctionDoc {
  _id: string;
  _creationTime: number;
  name: string;
  args: unknown[];
  scheduledTime: number;
  completedTime?: number;
  state: { kind: JobState; error?: string };
}

/** The job's mutation id in the object it is delivered to (`_lunora_mutations` answers copies). */
export function jobMutationId(jobId: string): string {
  return `sched_${jobId.slice(jobId.lastIndexOf(":") + 1)}:1`;
}

function refPath(ref: unknown): string {
  if (typeof ref === "string") return ref;
  if (ref && typeof ref === "object" && typeof (ref as { path?: unknown }).path === "string") return (ref as { path: string }).path;
  throw new LunoraRuntimeError("bad_args", "ctx.scheduler: the function must be a reference such as `internal.jobs.run`");
}

/** A job to insert: its function is checked (a mutation or an action) and its args validated now. */
export function newJob(wiring: Wiring, ref: unknown, args: unknown, at: number): { id: string; name: string; args: string; at: number } {
  const name = refPath(ref);
  const fn = Object.hasOwn(wiring.functions, name) ? wiring.functions[name] : undefined;
  if (!fn) throw new LunoraRuntimeError("bad_args", `ctx.scheduler: no function "${name}"`);
  if (fn.kind === "query") throw new LunoraRuntimeError("bad_args", `ctx.scheduler: "${name}" is a query; only mutations and actions can be scheduled`);
  if (!Number.isFinite(at)) throw new LunoraRuntimeError("bad_args", `ctx.scheduler: the time must be a finite number of milliseconds`);
  const encoded = encodeValue(args ?? {});
  validatedArgs(fn, name, encoded);
  return { id: newId(SCHEDULED_TABLE), name, args: JSON.stringify(encoded), at };
}

function toTime(when: unknown): number {
  const t = when instanceof Date ? when.getTime() : when;
  if (typeof t !== "number" || !Number.isFinite(t)) throw new LunoraRuntimeError("bad_args", "ctx.scheduler.runAt: expected a timestamp in milliseconds or a Date");
  return t;
}

/** `ctx.scheduler` over how a job is scheduled and cancelled (by a mutation, or by an action through root). */
function scheduler(schedule: (at: number, ref: unknown, args: unknown) => Promise<string>, cancel: (id: unknown) => Promise<void>) {
  return {
    runAfter: (delayMs: number, ref: unknown, args?: unknown) => {
      if (typeof delayMs !== "number" || !Number.isFinite(delayMs)) {
        throw new LunoraRuntimeError("bad_args", "ctx.scheduler.runAfter: the delay must be a number of milliseconds");
      }
      return schedule(Date.now() + Math.max(0, delayMs), ref, args);
    },
    runAt: (when: number | Date, ref: unknown, args?: unknown) => schedule(toTime(when), ref, args),
    cancel,
  };
}

/** What the scheduler of one function run writes with (a mutation: its transaction's `sql`). */
export interface JobStore {
  sql: SqlStorage;
  /** Called after a job was written or changed (before the function's commit: arm the alarm). */
  scheduled(at: number): void | Promise<void>;
}

/** `ctx.scheduler` for a mutation: every write goes through the mutation's transaction. */
export function mutationScheduler(wiring: Wiring, store: JobStore, written: WriteSet) {
  const schedule = async (at: number, ref: unknown, args: unknown) => {
    const job = newJob(wiring, ref, args, at);
    const now = Date.now();
    store.sql.exec(
      `INSERT INTO _lunora_scheduled (id, name, args, created, scheduled, next_try, state) VALUES (?, ?, ?, ?, ?, ?, 'pending')`,
      job.id,
      job.name,
      job.args,
      now,
      job.at,
      job.at,
    );
    written.set(SCHEDULED_TABLE, null);
    await store.scheduled(job.at);
    return job.id;
  };
  return scheduler(schedule, async (id) => {
    cancelJob(store.sql, id);
    written.set(SCHEDULED_TABLE, null);
  });
}

/** `ctx.scheduler` for an action: its jobs are written by root (`/schedule`, `/cancel`). */
export function actionScheduler(call: (route: string, body: unknown) => Promise<JsonValue>) {
  const schedule = async (at: number, ref: unknown, args: unknown) =>
    String(await call("/schedule", { path: refPath(ref), args: encodeValue(args ?? {}), at }));
  return scheduler(schedule, async (id) => {
    await call("/cancel", { id });
  });
}

/**
 * Cancels a job of this object: a pending one never runs; one that already finished keeps its
 * state (as in Convex). An id this object does not own is an error (a job is canceled where it lives).
 */
export function cancelJob(sql: SqlStorage, id: unknown): void {
  if (typeof id !== "string" || tableOfId(id) !== SCHEDULED_TABLE || !isIdKey(id.slice(SCHEDULED_TABLE.length + 1))) {
    throw new LunoraRuntimeError("bad_args", `ctx.scheduler.cancel: ${JSON.stringify(id)} is not an Id<"_scheduled_functions">`);
  }
  const row = sql.exec(`SELECT state FROM _lunora_scheduled WHERE id = ?`, id).toArray()[0];
  if (!row) {
    throw new LunoraRuntimeError("not_found", `ctx.scheduler.cancel: no scheduled function ${id} here (a job is canceled from the object that scheduled it)`);
  }
  if (row["state"] === "pending" || row["state"] === "inProgress") {
    sql.exec(`UPDATE _lunora_scheduled SET state = 'canceled', completed = ? WHERE id = ?`, Date.now(), id);
  }
}

/** Inserts a job outside a mutation (an action's `ctx.scheduler`, through root's `/schedule`). */
export function insertJob(sql: SqlStorage, job: { id: string; name: string; args: string; at: number }): void {
  sql.exec(
    `INSERT INTO _lunora_scheduled (id, name, args, created, scheduled, next_try, state) VALUES (?, ?, ?, ?, ?, ?, 'pending')`,
    job.id,
    job.name,
    job.args,
    Date.now(),
    job.at,
    job.at,
  );
}

/** The earliest time a job is due (null: none pending). */
export function nextDue(sql: SqlStorage): number | null {
  const row = sql.exec(`SELECT min(next_try) AS t FROM _lunora_scheduled WHERE state = 'pending'`).toArray()[0];
  const t = row?.["t"];
  return t === null || t === undefined ? null : Number(t);
}

/** Marks a job finished (in the caller's transaction). */
export function finishJob(sql: SqlStorage, id: string, state: "success" | "failed", error: string | null = null): void {
  sql.exec(`UPDATE _lunora_scheduled SET state = ?, error = ?, completed = ? WHERE id = ?`, state, error, Date.now(), id);
}

function toDoc(row: Record<string, SqlStorageValue>): ScheduledFunctionDoc {
  const state = String(row["state"]) as JobState;
  const doc: ScheduledFunctionDoc = {
    _id: String(row["id"]),
    _creationTime: Number(row["created"]),
    name: String(row["name"]),
    args: [decodeValue(JSON.parse(String(row["args"])) as JsonValue)],
    scheduledTime: Number(row["scheduled"]),
    state: state === "failed" ? { kind: state, error: String(row["error"] ?? "") } : { kind: state },
  };
  if (row["completed"] !== null && row["completed"] !== undefined) doc.completedTime = Number(row["completed"]);
  return doc;
}

/** The read set entry that makes a live query re-run when a job of this object changes. */
function noteRead(reads: { readTables: Set<string>; readSet: ReadSet }): void {
  noteWholeTable(reads, SCHEDULED_TABLE);
}

/** The writes a job change stands for (live queries over `_scheduled_functions` re-run). */
export function jobsChanged(): WriteSet {
  return unknownWrites([SCHEDULED_TABLE]);
}

/**
 * `ctx.db.system`: `get(id)` and `query("_scheduled_functions")` over this object's jobs, in
 * creation order, with `.order`, `.filter(doc => bool)`, `.collect/.take/.first/.unique` and
 * `for await`.
 */
export function systemReader(sql: SqlStorage | null, reads: { readTables: Set<string>; readSet: ReadSet }) {
  const rows = (): ScheduledFunctionDoc[] => {
    noteRead(reads);
    if (!sql || sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_lunora_scheduled'`).toArray().length === 0) return [];
    return sql.exec(`SELECT * FROM _lunora_scheduled ORDER BY created, rowid`).toArray().map(toDoc);
  };
  const query = (table: string) => {
    if (table !== SCHEDULED_TABLE) throw new LunoraRuntimeError("bad_args", `ctx.db.system.query: unknown system table "${table}" (known: ${SCHEDULED_TABLE})`);
    let desc = false;
    const preds: ((d: ScheduledFunctionDoc) => unknown)[] = [];
    const run = () => {
      const all = rows().filter((d) => preds.every((p) => p(d)));
      return desc ? all.reverse() : all;
    };
    const q = {
      order(o: "asc" | "desc") {
        desc = o === "desc";
        return q;
      },
      filter(p: (d: ScheduledFunctionDoc) => unknown) {
        preds.push(p);
        return q;
      },
      collect: async () => run(),
      take: async (n: number) => run().slice(0, n),
      first: async () => run()[0] ?? null,
      unique: async () => {
        const all = run();
        if (all.length > 1) throw new LunoraRuntimeError("function_error", `unique(): ${all.length} documents match`);
        return all[0] ?? null;
      },
      async *[Symbol.asyncIterator]() {
        yield* run();
      },
    };
    return q;
  };
  return {
    get: async (...a: unknown[]) => {
      const id = a.length > 1 ? a[1] : a[0];
      if (typeof id !== "string" || tableOfId(id) !== SCHEDULED_TABLE) return null;
      return rows().find((d) => d._id === id) ?? null;
    },
    query,
  };
}

/** A due job as the runner sees it. */
export interface DueJob {
  id: string;
  name: string;
  /** The args as stored (encoded). */
  rawArgs: JsonValue;
  attempts: number;
}

/** Pending jobs due by `now`, earliest first. */
export function dueJobs(sql: SqlStorage, now: number, limit = 100): DueJob[] {
  return sql
    .exec(`SELECT id, name, args, attempts FROM _lunora_scheduled WHERE state = 'pending' AND next_try <= ? ORDER BY next_try, rowid LIMIT ?`, now, limit)
    .toArray()
    .map((r) => ({ id: String(r["id"]), name: String(r["name"]), rawArgs: JSON.parse(String(r["args"])) as JsonValue, attempts: Number(r["attempts"]) }));
}

/** Backs a job off after a transient failure (its function did not run, or its answer is unknown). */
export function retryJob(sql: SqlStorage, id: string, attempts: number): number {
  const at = Date.now() + Math.min(60_000, 100 * 2 ** Math.min(attempts, 10));
  sql.exec(`UPDATE _lunora_scheduled SET attempts = attempts + 1, next_try = ? WHERE id = ? AND state = 'pending'`, at, id);
  return at;
}

/** Errors after which a scheduled mutation is tried again (it did not commit, or may not have). */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "unavailable" || code === "conflict";
}

/** The function of a job, or why it cannot run (removed by a deploy, no longer schedulable). */
export function jobFunction(wiring: Wiring, job: DueJob): { fn: WiringFunction; args: Record<string, unknown> } | { error: string } {
  const fn = Object.hasOwn(wiring.functions, job.name) ? wiring.functions[job.name] : undefined;
  if (!fn || fn.kind === "query") return { error: `no mutation or action "${job.name}" (removed by a deploy?)` };
  try {
    return { fn, args: validatedArgs(fn, job.name, job.rawArgs) };
  } catch (error) {
    return { error: String((error as Error)?.message ?? error) };
  }
}

/** Finished jobs are kept this long (as Convex keeps them), then pruned from the alarm. */
export const FINISHED_JOB_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function pruneJobs(sql: SqlStorage, now = Date.now()): void {
  sql.exec(`DELETE FROM _lunora_scheduled WHERE state IN ('success', 'failed', 'canceled') AND completed < ?`, now - FINISHED_JOB_TTL_MS);
}

/** Marks actions that a previous instance left running as failed (they run at most once). */
export function failInterruptedActions(sql: SqlStorage): boolean {
  const n = sql.exec(`SELECT count(*) AS n FROM _lunora_scheduled WHERE state = 'inProgress'`).toArray()[0]?.["n"];
  if (!n) return false;
  sql.exec(
    `UPDATE _lunora_scheduled SET state = 'failed', error = 'the object restarted while the action ran (scheduled actions run at most once)', completed = ? WHERE state = 'inProgress'`,
    Date.now(),
  );
  return true;
}
