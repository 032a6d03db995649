// The Durable Object class: one instance per shard-key value, plus `root`. Every call,
// subscription and mutation runs through one serial queue; a mutation runs in a storage
// transaction together with its D1 batch; after a commit the live queries re-run (live.ts) and
// other objects are told about global writes (root keeps the watchers).

import { DurableObject } from "cloudflare:workers";
import { decodeValue, encodeValue, PING, PONG, WS_PROTOCOL, type CallReply, type JsonValue } from "@lunora/client";
import { D1Backend } from "./storage/d1.js";
import { DoBackend } from "./storage/do.js";
import { functionAuth } from "./auth.js";
import { Conflict, ensureCommitTables, fence, isGuardFailure } from "./commit.js";
import { Db, d1Error } from "./db.js";
import { errorResponse, json, MAX_MESSAGE_BYTES, tooLarge } from "./http.js";
import { closeIfExpired, LIVE_DDL, LiveQueries, type SocketAttachment } from "./live.js";
import { mergeWrites, noteWholeTable, unknownWrites, type ReadSet, type WriteSet } from "./readset.js";
import { familyOf, objectName, publicFunction, ROOT, validatedArgs } from "./routing.js";
import { LunoraRuntimeError, type Limits, type Wiring, type WiringFunction } from "./types.js";
import {
  cancelJob,
  dueJobs,
  failInterruptedActions,
  finishJob,
  insertJob,
  isTransient,
  jobFunction,
  jobMutationId,
  jobsChanged,
  mutationScheduler,
  newJob,
  nextDue,
  pruneJobs,
  retryJob,
  SCHEDULED_DDL,
  systemReader,
  type DueJob,
} from "./scheduler.js";
import { bucket, fileMetadata, fileDoc, fileQuery, fileRows, fileUrl, isStorageId, STORAGE_TABLE, spendUploadToken, uploadUrl, type FileRow, type UploadToken } from "./files.js";
import { dropStaleSearchIndexes } from "./search.js";

type Env = Record<string, unknown>;

/** What the object needs from `createWorker`'s options. */
export interface ObjectConfig {
  shardBinding: string;
  /** Runs a scheduled action (in this object, with the Worker's `ctx.runQuery/runMutation`). */
  runAction?: (env: Record<string, unknown>, fn: WiringFunction, args: Record<string, unknown>) => Promise<unknown>;
  d1Binding: string;
  /** The R2 binding of file storage (`STORAGE`). */
  storageBinding: string;
  /** Serve `/debug`, `/debug/abort` and `/debug/fault` (tests only). */
  testHooks: boolean;
  limits: Limits;
}

/** How often a mutation runs again after an optimistic-concurrency conflict before `conflict`. */
const MAX_ATTEMPTS = 30;

/** A write statement run inside a mutation's transaction (replayed after its D1 commit). */
type Op = { q: string; p: unknown[] };
/** What a run read (a `Db`'s read tables and read set): live queries re-run on writes to it. */
type Reads = { readTables: Set<string>; readSet: ReadSet };

/** Thrown out of a mutation's transaction to roll it back: its D1 batch decides (commitGlobal). */
const SPECULATIVE = Symbol("lunora: speculative run");

/** Fault points a test can arm through `/debug/fault` (each fires once per count). */
const FAULTS = [
  "abort-before-commit", // restart the object after the handler ran, before anything committed
  "abort-after-commit", // restart after the commit, before the reply
  "abort-after-d1", // restart after the D1 batch committed, before the local writes are applied
  "d1-fail", // the D1 batch fails without applying
  "d1-lose-reply", // the D1 batch applies, then its reply is lost
  "invalidate-fail", // this object refuses `/invalidate` (a notification to it fails)
  "file-delete-fail", // deleting a file a committed mutation marked fails (kept, retried)
] as const;
type Fault = (typeof FAULTS)[number];

/** A client's mutation id: `<client>:<sequence number>`. */
function parseMutationId(id: unknown): { client: string; seq: number } | null {
  if (id === undefined || id === null) return null;
  const m = typeof id === "string" && id.length <= 100 ? /^([A-Za-z0-9_-]{1,64}):(\d{1,15})$/.exec(id) : null;
  if (!m) throw new LunoraRuntimeError("bad_request", "mutationId must be \"<client id>:<sequence number>\"");
  return { client: m[1]!, seq: Number(m[2]) };
}

/** A client's last applied mutation is kept this long (its retries are answered from it). */
const FINISHED_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function createShardClass(wiring: Wiring, config: ObjectConfig): new (state: DurableObjectState, env: any) => DurableObject {
  const globalTables = new Set(Object.entries(wiring.tables).flatMap(([name, t]) => (t.placement === "global" ? [name] : [])));
  // What root tells the objects that watch it about: global tables, and the stored files' rows
  // (root holds them; a shard's live query over `_storage` is told of uploads and deletes).
  const watchable = new Set([...globalTables, STORAGE_TABLE]);

  function stub(env: Env, name: string): DurableObjectStub {
    const ns = env[config.shardBinding] as DurableObjectNamespace | undefined;
    if (!ns) throw new LunoraRuntimeError("misconfigured", `missing Durable Object binding "${config.shardBinding}"`, 500);
    return ns.get(ns.idFromName(name));
  }

  return class Shard extends DurableObject {
    /** Storage as the runtime uses it: writes made while a mutation runs are recorded (`Op`). */
    private readonly sql: SqlStorage;
    private readonly rawSql: SqlStorage;
    private recording: Op[] | null = null;
    /** Settles when the running mutation's transaction has ended (null: none running). */
    private txn: Promise<void> | null = null;
    private readonly faults = new Map<Fault, number>();
    private draining = false;
    private readonly limiter = new SlidingWindow();
    private drainAgain = false;
    private readonly local: DoBackend;
    private readonly live: LiveQueries;
    private queue: Promise<unknown> = Promise.resolve();
    private name: string | null = null;
    private version = 0;
    /** The public origin the Worker last forwarded a request from (`getUrl`'s URLs are on it). */
    private origin = "";
    /** A random id of this in-memory instance (tests tell a restart or a wake-up by it). */
    private readonly instance = crypto.randomUUID();
    /** Global tables this (shard) object has registered with root as read by its live queries. */
    private readonly watched = new Set<string>();
    /** Root: registration counter of `_lunora_watchers` rows (a reply only drops older rows). */
    private watchSeq = 0;
    /**
     * Whether this object's tables exist. An object is created by its first write (a mutation, a
     * subscription, a watcher or a notification to root), not by reads: a query on an object no
     * write has reached reads empty tables and stores nothing (`ensureStorage`).
     */
    private ready = false;

    constructor(state: DurableObjectState, env: Env) {
      super(state, env);
      this.rawSql = state.storage.sql;
      const raw = this.rawSql;
      this.sql = {
        exec: (query: string, ...params: unknown[]) => {
          if (this.recording && !/^\s*SELECT\b/i.test(query)) this.recording.push({ q: query, p: params });
          return raw.exec(query, ...(params as SqlStorageValue[]));
        },
      } as unknown as SqlStorage;
      this.local = new DoBackend(this.sql, () => this.ready);
      this.live = new LiveQueries(
        wiring,
        this.sql,
        state,
        (fn, args, uid) => this.runLive(fn, args, uid),
        (fn, args) => this.checkRoute(fn, args),
        () => this.version,
        config.limits,
        () => this.ready,
      );
      // The client's heartbeat is answered by workerd itself: a hibernating object stays asleep.
      state.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
      state.blockConcurrencyWhile(async () => {
        // Nothing stored yet (no write has reached this object): stay without tables.
        if (this.rawSql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_lunora_meta'`).toArray().length === 0) return;
        this.createTables();
        this.version = Number(this.meta("version") ?? 0);
        // Work a previous instance left: notifications not yet delivered, D1 commits whose local
        // writes are not yet applied. The alarm resolves both.
        if (this.leftoverWork()) await state.storage.setAlarm(Date.now());
        // Scheduled functions: actions a previous instance left running failed (at most once);
        // the alarm is set for the earliest pending job (it survives restarts; this is a safety net).
        if (failInterruptedActions(this.rawSql)) this.scheduleLive(jobsChanged());
        const due = nextDue(this.rawSql);
        if (due !== null) await this.armAlarm(due);
        const name = this.meta("name");
        this.name = name === null ? null : String(name);
        this.watchSeq = Number(this.meta("watch_seq") ?? 0);
      });
    }

    /** The object's tables (idempotent: also adds tables and indexes a new deploy introduced). */
    private createTables(): void {
      this.rawSql.exec(`CREATE TABLE IF NOT EXISTS _lunora_meta (k TEXT PRIMARY KEY, v)`);
      this.rawSql.exec(
        `CREATE TABLE IF NOT EXISTS _lunora_watchers (object TEXT NOT NULL, tbl TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (object, tbl))`,
      );
      this.rawSql.exec(`CREATE TABLE IF NOT EXISTS _lunora_mutations (client TEXT PRIMARY KEY, seq INTEGER NOT NULL, result TEXT NOT NULL, at INTEGER NOT NULL)`);
      this.rawSql.exec(`CREATE TABLE IF NOT EXISTS _lunora_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`);
      this.rawSql.exec(`CREATE TABLE IF NOT EXISTS _lunora_intents (id TEXT PRIMARY KEY, ops TEXT NOT NULL, at INTEGER NOT NULL)`);
      // Files a committed mutation deleted with `ctx.storage.delete`, until they are gone (flushDeletes).
      this.rawSql.exec(`CREATE TABLE IF NOT EXISTS _lunora_file_deletes (id TEXT PRIMARY KEY)`);
      this.rawSql.exec(LIVE_DDL);
      for (const s of SCHEDULED_DDL) this.rawSql.exec(s);
      dropStaleSearchIndexes(this.rawSql, wiring.tables);
      for (const statements of Object.values(wiring.storage)) for (const s of statements) this.rawSql.exec(s);
      this.ready = true;
    }

    /** Work a previous instance or a failed attempt left: notifications, D1 commits, file deletes. */
    private leftoverWork(): boolean {
      return (
        this.rawSql
          .exec(`SELECT 1 FROM _lunora_outbox UNION ALL SELECT 1 FROM _lunora_intents UNION ALL SELECT 1 FROM _lunora_file_deletes LIMIT 1`)
          .toArray().length > 0
      );
    }

    /** Creates the object's tables before its first write, with the name it learnt. */
    private ensureStorage(): void {
      if (this.ready) return;
      this.ctx.storage.transactionSync(() => {
        this.createTables();
        if (this.name !== null) this.setMeta("name", this.name);
      });
    }

    private meta(key: string): unknown {
      const row = this.sql.exec(`SELECT v FROM _lunora_meta WHERE k = ?`, key).toArray()[0];
      return row ? row["v"] : null;
    }

    private setMeta(key: string, value: string | number): void {
      this.sql.exec(`INSERT OR REPLACE INTO _lunora_meta (k, v) VALUES (?, ?)`, key, value);
    }

    private get envRecord(): Env {
      return this.env as Env;
    }

    private serial<T>(fn: () => Promise<T>): Promise<T> {
      const next = this.queue.then(fn, fn);
      this.queue = next.catch(() => undefined);
      return next;
    }

    private learnName(name: string | null): string {
      if (!name) throw new LunoraRuntimeError("bad_request", "missing object name", 400);
      if (this.name === null) {
        this.name = name;
        if (this.ready) this.setMeta("name", name);
      } else if (this.name !== name) {
        throw new LunoraRuntimeError("wrong_object", `this object is "${this.name}", not "${name}"`, 500);
      }
      return name;
    }

    private d1(): D1Backend | null {
      const db = this.envRecord[config.d1Binding] as D1Database | undefined;
      return db ? new D1Backend(db, wiring) : null;
    }

    private newDb(writable: boolean): Db {
      const db = new Db(wiring, this.local, this.d1(), writable, familyOf(this.name ?? ROOT), this.name);
      db.maxReads = config.limits.rowsReadPerQuery;
      return db;
    }

    /** Checks that a call with these validated args belongs to this object. */
    private checkRoute(fn: WiringFunction, args: Record<string, unknown>): void {
      const expected = objectName(fn.route, args);
      if (expected !== this.name) {
        throw new LunoraRuntimeError("wrong_object", `call routed to "${this.name}" but its arguments belong to "${expected}"`, 400);
      }
    }

    /** Waits until no mutation transaction is open (writes outside the queue must not join one). */
    private async idle(): Promise<void> {
      while (this.txn) await this.txn;
    }

    /**
     * Queues the notifications of a commit that wrote global tables, in the outbox (written in the
     * commit's own transaction, so a crash cannot lose them): a shard tells root; root (after its
     * own global write, or one a shard reported) tells every object watching those tables except
     * `from`, which already re-ran its own queries.
     */
    private queueNotifications(tables: string[], from: string | null): void {
      if (tables.length === 0) return;
      const push = (target: string, body: unknown) =>
        this.sql.exec(`INSERT INTO _lunora_outbox (target, body) VALUES (?, ?)`, target, JSON.stringify(body));
      if (this.name !== ROOT) {
        push(ROOT, { tables, from: this.name });
        return;
      }
      const rows = this.sql
        .exec(
          `SELECT object, tbl, seq FROM _lunora_watchers WHERE tbl IN (${tables.map(() => "?").join(", ")}) ORDER BY object, tbl`,
          ...tables,
        )
        .toArray();
      const byObject = new Map<string, { tables: string[]; seq: number }>();
      for (const row of rows) {
        const object = String(row["object"]);
        if (object === from) continue;
        const entry = byObject.get(object) ?? { tables: [], seq: 0 };
        entry.tables.push(String(row["tbl"]));
        entry.seq = Math.max(entry.seq, Number(row["seq"]));
        byObject.set(object, entry);
      }
      for (const [object, entry] of byObject) push(object, entry);
    }

    /**
     * Delivers the outbox: each target's notifications in order, targets in parallel, outside the
     * serial queue (a target may itself be waiting on this object). A failed delivery stays and is
     * retried from the alarm with backoff, until delivered. A watcher that answers it no longer
     * reads the tables loses the watcher rows registered before the notification was queued.
     */
    private async drainOutbox(): Promise<void> {
      if (this.draining) {
        this.drainAgain = true;
        return;
      }
      this.draining = true;
      try {
        do {
          this.drainAgain = false;
          const rows = this.rawSql.exec(`SELECT seq, target, body, attempts FROM _lunora_outbox ORDER BY seq`).toArray();
          const byTarget = new Map<string, { seq: number; body: string; attempts: number }[]>();
          for (const row of rows) {
            const target = String(row["target"]);
            const list = byTarget.get(target) ?? [];
            list.push({ seq: Number(row["seq"]), body: String(row["body"]), attempts: Number(row["attempts"]) });
            byTarget.set(target, list);
          }
          let retryIn: number | null = null;
          await Promise.all(
            [...byTarget].map(async ([target, list]) => {
              for (const item of list) {
                try {
                  await this.deliver(target, item.body);
                  await this.idle();
                  this.rawSql.exec(`DELETE FROM _lunora_outbox WHERE seq = ?`, item.seq);
                } catch (error) {
                  console.error(`lunora: notifying ${target} failed (attempt ${item.attempts + 1}), will retry: ${String(error)}`);
                  await this.idle();
                  this.rawSql.exec(`UPDATE _lunora_outbox SET attempts = attempts + 1 WHERE seq = ?`, item.seq);
                  const delay = Math.min(30_000, 50 * 2 ** Math.min(item.attempts, 10));
                  retryIn = retryIn === null ? delay : Math.min(retryIn, delay);
                  return; // keep this target's order: its later notifications wait
                }
              }
            }),
          );
          if (retryIn !== null) await this.armAlarm(Date.now() + retryIn);
        } while (this.drainAgain);
      } finally {
        this.draining = false;
      }
    }

    private async deliver(target: string, body: string): Promise<void> {
      const res = await stub(this.envRecord, target).fetch("https://lunora.internal/invalidate", {
        method: "POST",
        headers: { "x-lunora-object": target, "content-type": "application/json" },
        body,
      });
      const reply = (await res.json()) as { ok: boolean; value?: { watching?: boolean }; error?: { message?: string } };
      if (!reply.ok) throw new Error(`${target} answered ${res.status}: ${reply.error?.message ?? "error"}`);
      const sent = JSON.parse(body) as { tables: string[]; seq?: number };
      if (reply.value?.watching === false && this.name === ROOT && typeof sent.seq === "number") {
        await this.idle();
        this.rawSql.exec(
          `DELETE FROM _lunora_watchers WHERE object = ? AND seq <= ? AND tbl IN (${sent.tables.map(() => "?").join(", ")})`,
          target,
          sent.seq,
          ...sent.tables,
        );
      }
    }

    /**
     * The object has one alarm for all its deferred work (outbox, intents, scheduled functions):
     * it is moved earlier, never later, so each kind of work only asks for its own time.
     */
    private async armAlarm(at: number): Promise<void> {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > at) await this.ctx.storage.setAlarm(at);
    }

    /** Starts delivering the outbox now; a safety alarm covers an eviction before it finishes. */
    private kickOutbox(): void {
      this.ctx.waitUntil(
        (async () => {
          await this.armAlarm(Date.now() + 10_000);
          await this.drainOutbox();
        })().catch((error) => console.error(`lunora: outbox: ${String(error)}`)),
      );
    }

    override async alarm(): Promise<void> {
      if (!this.ready) return;
      await this.serial(() => this.resolveIntents()).catch((error) => console.error(`lunora: resolving commits: ${String(error)}`));
      await this.drainOutbox();
      await this.runDueJobs().catch((error) => console.error(`lunora: scheduled functions: ${String(error)}`));
      await this.serial(() => this.flushDeletes()).catch((error) => console.error(`lunora: deleting stored files: ${String(error)}`));
      if (this.leftoverWork()) await this.armAlarm(Date.now() + 1000);
      const due = nextDue(this.rawSql);
      if (due !== null) await this.armAlarm(due);
    }

    /**
     * Runs the scheduled functions that are due (docs/ARCHITECTURE.md, "Scheduled functions"):
     * local mutations in the serial queue with their `success` mark in their own commit; mutations
     * of other objects sent there with the job's mutation id until they answer; actions at most once.
     */
    private async runDueJobs(): Promise<void> {
      await this.idle();
      pruneJobs(this.rawSql);
      for (let round = 0; round < 10; round++) {
        const jobs = dueJobs(this.rawSql, Date.now());
        if (jobs.length === 0) return;
        await Promise.all(
          jobs.map((job) =>
            this.runJob(job).catch(async (error) => {
              // Not the function's failure (that is recorded in runJob): e.g. no object for its args.
              await this.idle();
              this.jobWrite(() => finishJob(this.rawSql, job.id, "failed", String((error as Error)?.message ?? error)));
            }),
          ),
        );
      }
    }

    private async runJob(job: DueJob): Promise<void> {
      const found = jobFunction(wiring, job);
      if ("error" in found) {
        await this.idle();
        this.finishJobNow(job.id, "failed", found.error);
        return;
      }
      const { fn, args } = found;
      if (fn.kind === "action") {
        await this.idle();
        if (this.rawSql.exec(`SELECT 1 FROM _lunora_scheduled WHERE id = ? AND state = 'pending'`, job.id).toArray().length === 0) return;
        this.jobWrite(() => this.rawSql.exec(`UPDATE _lunora_scheduled SET state = 'inProgress' WHERE id = ?`, job.id));
        let error: string | null = null;
        try {
          if (!config.runAction) throw new Error("scheduled actions need createWorker's action runner");
          await config.runAction(this.envRecord, fn, args);
        } catch (e) {
          error = String((e as Error)?.message ?? e);
        }
        await this.idle();
        // (A cancel while it ran keeps `canceled`.)
        this.jobWrite(() =>
          this.rawSql.exec(
            `UPDATE _lunora_scheduled SET state = ?, error = ?, completed = ? WHERE id = ? AND state = 'inProgress'`,
            error === null ? "success" : "failed",
            error,
            Date.now(),
            job.id,
          ),
        );
        return;
      }
      const target = objectName(fn.route, args);
      if (target === this.name) {
        await this.serial(async () => {
          // Canceled (or already run) since it was picked?
          if (this.rawSql.exec(`SELECT 1 FROM _lunora_scheduled WHERE id = ? AND state = 'pending'`, job.id).toArray().length === 0) return;
          this.ensureStorage();
          try {
            await this.runMutation(fn, args, null, undefined, job.id);
          } catch (error) {
            if (isTransient(error)) retryJob(this.rawSql, job.id, job.attempts);
            else this.finishJobNow(job.id, "failed", String((error as Error)?.message ?? error));
          }
        });
        return;
      }
      // Another object runs it: delivered like the outbox (retried until answered), applied
      // there once (the job's mutation id).
      try {
        const res = await stub(this.envRecord, target!).fetch("https://lunora.internal/call", {
          method: "POST",
          headers: { "x-lunora-object": target!, "content-type": "application/json" },
          body: JSON.stringify({ path: job.name, args: job.rawArgs, uid: null, internal: true, mutationId: jobMutationId(job.id) }),
        });
        const reply = (await res.json()) as CallReply;
        await this.idle();
        if (reply.ok) this.finishJobNow(job.id, "success");
        else if (isTransient(reply.error)) retryJob(this.rawSql, job.id, job.attempts);
        else this.finishJobNow(job.id, "failed", reply.error.message);
      } catch (error) {
        console.error(`lunora: scheduled ${job.name} on ${target}: no answer (attempt ${job.attempts + 1}), will retry: ${String(error)}`);
        await this.idle();
        retryJob(this.rawSql, job.id, job.attempts);
      }
    }

    private finishJobNow(id: string, state: "success" | "failed", error: string | null = null): void {
      this.jobWrite(() => finishJob(this.rawSql, id, state, error));
    }

    /** A change of job rows outside a mutation: a commit of its own (live queries over them re-run). */
    private jobWrite(write: () => void): void {
      this.ctx.storage.transactionSync(() => {
        write();
        this.version++;
        this.setMeta("version", this.version);
      });
      this.scheduleLive(jobsChanged());
    }

    /** Consumes one armed fault (test hooks only). */
    private fault(name: Fault): boolean {
      const n = this.faults.get(name) ?? 0;
      if (n <= 0) return false;
      this.faults.set(name, n - 1);
      return true;
    }

    private restartNow(): never {
      this.ctx.abort("lunora: injected restart");
      throw new Error("lunora: injected restart");
    }

    /**
     * Runs a live query. In a shard object, a run that reads global tables not yet watched
     * registers them with root and runs once more: a global write that root fanned out between
     * the first read and the registration is then seen by the second read.
     */
    private async runLive(fn: WiringFunction, args: Record<string, unknown>, uid: string | null) {
      const result = await this.runQuery(fn, args, uid);
      if (this.name === ROOT) return result;
      const fresh = [...result.tables].filter((t) => watchable.has(t) && !this.watched.has(t));
      if (fresh.length === 0) return result;
      const res = await stub(this.envRecord, ROOT).fetch("https://lunora.internal/watch", {
        method: "POST",
        headers: { "x-lunora-object": ROOT },
        body: JSON.stringify({ object: this.name, tables: fresh }),
      });
      const reply = (await res.json()) as { ok: boolean; error?: { code: string; message: string } };
      if (!reply.ok) throw new LunoraRuntimeError(reply.error?.code ?? "misconfigured", reply.error?.message ?? "watch failed", 500);
      for (const t of fresh) this.watched.add(t);
      return this.runQuery(fn, args, uid);
    }

    private async runQuery(fn: WiringFunction, args: Record<string, unknown>, uid: string | null) {
      const db = this.newDb(false);
      const reader = { ...db.reader(), system: this.withFiles(systemReader(this.ready ? this.rawSql : null, db), db) };
      const value = encodeValue(await fn.fn.handler({ ctx: { db: reader, auth: functionAuth(uid, (id) => db.user(id)), storage: this.storageCtx(false, db) }, args }));
      return { value, tables: db.readTables, reads: db.readSet };
    }

    /**
     * Runs a mutation exactly once per mutation id: a retry of the client's last mutation here gets
     * the first run's result. Runs again (up to MAX_ATTEMPTS) when its D1 commit meets a conflict.
     */
    private async runMutation(
      fn: WiringFunction,
      args: Record<string, unknown>,
      uid: string | null,
      mutationId: unknown,
      job: string | null = null,
    ): Promise<JsonValue> {
      const client = parseMutationId(mutationId);
      await this.resolveIntents();
      if (client) {
        const row = this.rawSql.exec(`SELECT seq, result FROM _lunora_mutations WHERE client = ?`, client.client).toArray()[0];
        if (row && Number(row["seq"]) === client.seq) return JSON.parse(String(row["result"])) as JsonValue;
        if (row && Number(row["seq"]) > client.seq) {
          throw new LunoraRuntimeError("stale_mutation", `mutation ${String(mutationId)} is older than this client's last one here`, 409);
        }
      }
      for (let attempt = 1; ; attempt++) {
        try {
          const value = await this.attemptMutation(fn, args, uid, client, job);
          await this.flushDeletes();
          return value;
        } catch (error) {
          if (!(error instanceof Conflict)) throw error;
          if (attempt >= MAX_ATTEMPTS) {
            throw new LunoraRuntimeError("conflict", `gave up after ${attempt} attempts: global tables it read kept changing`, 409);
          }
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(250, 5 * 2 ** attempt)));
        }
      }
    }

    /**
     * One run of a mutation. The handler runs in a storage transaction. Without global writes (and
     * without global reads to validate) that transaction commits. Otherwise it is rolled back with
     * its writes recorded; the D1 batch is the commit point (commit.ts) and the recorded writes are
     * applied afterwards in one synchronous transaction. An intent row (written before the batch,
     * removed with the applied writes) lets a restarted object finish the job (resolveIntents).
     */
    private async attemptMutation(
      fn: WiringFunction,
      args: Record<string, unknown>,
      uid: string | null,
      client: { client: string; seq: number } | null,
      job: string | null = null,
    ): Promise<JsonValue> {
      const db = this.newDb(true);
      // Jobs it schedules or cancels are written in its transaction (recorded with its other writes).
      const jobWrites: WriteSet = new Map();
      const scheduler = mutationScheduler(wiring, { sql: this.sql, scheduled: (at) => this.armAlarm(at) }, jobWrites);
      const versionBefore = this.version;
      const commitId = crypto.randomUUID();
      let value: JsonValue = null;
      let batch: D1PreparedStatement[] | null = null;
      let ops: Op[] = [];
      let release = () => {};
      this.txn = new Promise<void>((r) => (release = r));
      try {
        await this.ctx.storage.transaction(async () => {
          this.recording = [];
          const writer = { ...db.writer(), system: this.withFiles(systemReader(this.rawSql, db), db) };
          value = encodeValue(await fn.fn.handler({ ctx: { db: writer, auth: functionAuth(uid, (id) => db.user(id)), scheduler, storage: this.storageCtx(true, db) }, args }));
          await db.validateReadOnly();
          if (this.fault("abort-before-commit")) this.restartNow();
          // A scheduled mutation's job is done in the same commit as its writes: exactly once.
          if (job) {
            finishJob(this.sql, job, "success");
            jobWrites.set("_scheduled_functions", null);
          }
          if (db.writtenTables.size > 0 || jobWrites.size > 0) {
            this.version++;
            this.setMeta("version", this.version);
            this.queueNotifications(db.globalWrites(), this.name);
          }
          if (client) {
            this.sql.exec(
              `INSERT OR REPLACE INTO _lunora_mutations (client, seq, result, at) VALUES (?, ?, ?, ?)`,
              client.client,
              client.seq,
              JSON.stringify(value),
              Date.now(),
            );
            if (Math.random() < 0.01) this.sql.exec(`DELETE FROM _lunora_mutations WHERE at < ?`, Date.now() - FINISHED_TTL_MS);
          }
          batch = db.commitBatch(commitId);
          if (batch) {
            ops = this.recording;
            throw SPECULATIVE;
          }
        });
      } catch (error) {
        if (error !== SPECULATIVE) {
          this.version = versionBefore;
          throw error;
        }
      } finally {
        this.recording = null;
        this.txn = null;
        release();
      }
      if (batch) {
        try {
          await this.commitGlobal(commitId, batch, ops);
        } catch (error) {
          this.version = versionBefore;
          throw error;
        }
      }
      // A D1 commit replayed the file-delete marks without the transaction's safety alarm.
      if (batch && this.rawSql.exec(`SELECT 1 FROM _lunora_file_deletes LIMIT 1`).toArray().length > 0) await this.armAlarm(Date.now() + 5_000);
      if (this.fault("abort-after-commit")) this.restartNow();
      if (db.writtenTables.size > 0 || jobWrites.size > 0) {
        this.scheduleLive(new Map([...db.writeSet, ...jobWrites]));
        if (db.globalWrites().length > 0) this.kickOutbox();
      }
      if (jobWrites.size > 0) {
        // (Also armed inside the transaction; a D1 commit replays the rows after rolling it back.)
        const due = nextDue(this.rawSql);
        if (due !== null) await this.armAlarm(due);
      }
      return value;
    }

    /** Sends a mutation's D1 batch (the commit point), then applies its recorded local writes. */
    private async commitGlobal(commitId: string, batch: D1PreparedStatement[], ops: Op[]): Promise<void> {
      const d1 = this.d1Binding();
      this.rawSql.exec(`INSERT INTO _lunora_intents (id, ops, at) VALUES (?, ?, ?)`, commitId, JSON.stringify(encodeValue(ops)), Date.now());
      try {
        await ensureCommitTables(d1);
        if (this.fault("d1-fail")) throw new Error("D1 unreachable (injected fault)");
        await d1.batch(batch);
        if (this.fault("d1-lose-reply")) throw new Error("Network connection lost (injected fault: the batch applied)");
      } catch (error) {
        // Applied or not? The fence answers, and stops a batch still in flight from applying.
        let state: "committed" | "aborted";
        try {
          state = await fence(d1, commitId);
        } catch (unknown) {
          this.intentsResolved = false; // keep the intent: resolved before the next mutation
          throw unknown;
        }
        if (state === "aborted") {
          this.rawSql.exec(`DELETE FROM _lunora_intents WHERE id = ?`, commitId);
          if (isGuardFailure(error)) throw new Conflict(`a global table this mutation read changed before it committed`);
          throw d1Error(error);
        }
      }
      if (this.fault("abort-after-d1")) this.restartNow();
      this.apply(commitId, ops);
    }

    /** Applies a committed mutation's local writes and drops its intent, atomically. */
    private apply(commitId: string, ops: Op[]): void {
      this.ctx.storage.transactionSync(() => {
        for (const op of ops) this.rawSql.exec(op.q, ...(op.p as SqlStorageValue[]));
        this.rawSql.exec(`DELETE FROM _lunora_intents WHERE id = ?`, commitId);
      });
    }

    private intentsResolved = false;

    /**
     * Finishes what a previous instance (or a lost D1 answer) left: each intent whose batch
     * committed in D1 gets its local writes applied; the others are dropped. Throws `unavailable`
     * while D1 cannot tell (no new mutation runs until it can: it could be applied twice).
     */
    private async resolveIntents(): Promise<void> {
      if (this.intentsResolved) return;
      const rows = this.rawSql.exec(`SELECT id, ops FROM _lunora_intents ORDER BY at`).toArray();
      let applied = false;
      for (const row of rows) {
        const id = String(row["id"]);
        const state = await fence(this.d1Binding(), id);
        if (state === "committed") {
          this.apply(id, decodeValue(JSON.parse(String(row["ops"])) as JsonValue) as Op[]);
          applied = true;
        } else this.rawSql.exec(`DELETE FROM _lunora_intents WHERE id = ?`, id);
      }
      this.intentsResolved = true;
      if (applied) {
        this.version = Number(this.meta("version") ?? 0);
        this.scheduleLive(unknownWrites([...Object.keys(wiring.tables), "_scheduled_functions"]));
        this.kickOutbox();
        const due = nextDue(this.rawSql);
        if (due !== null) await this.armAlarm(due);
      }
    }

    /** What commits wrote whose live queries have not re-run yet. */
    private pendingLive: WriteSet = new Map();
    private liveScheduled = false;

    /**
     * Queues the re-run of the live queries these writes may change, after what is already in the
     * serial queue: commits that land meanwhile are coalesced into one re-run per group.
     */
    private scheduleLive(written: WriteSet): void {
      mergeWrites(this.pendingLive, written);
      if (this.liveScheduled) return;
      this.liveScheduled = true;
      void this.serial(() => this.flushLive());
    }

    private async flushLive(): Promise<void> {
      this.liveScheduled = false;
      if (this.pendingLive.size === 0) return;
      const written = this.pendingLive;
      this.pendingLive = new Map();
      await this.live.afterCommit(written).catch((error) => console.error(`lunora: live queries: ${String(error)}`));
    }

    private d1Binding(): D1Database {
      const db = this.envRecord[config.d1Binding] as D1Database | undefined;
      if (!db) throw new LunoraRuntimeError("misconfigured", `no D1 binding "${config.d1Binding}" is configured`, 500);
      return db;
    }

    /** A call to root's `/storage/*` (the metadata rows live there). */
    private async rootStorage(route: string, body: unknown): Promise<unknown> {
      const res = await stub(this.envRecord, ROOT).fetch(`https://lunora.internal/storage/${route}`, {
        method: "POST",
        headers: { "x-lunora-object": ROOT, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const reply = (await res.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
      if (!reply.ok) throw new LunoraRuntimeError(reply.error?.code ?? "unavailable", reply.error?.message ?? "storage call failed", res.status);
      return reply.value ?? null;
    }

    private async fileRow(id: unknown, reads: Reads): Promise<FileRow | null> {
      noteWholeTable(reads, STORAGE_TABLE);
      if (!isStorageId(id)) return null;
      if (this.name === ROOT) return fileRows.get(this.rawSql, id);
      return (await this.rootStorage("meta", { id })) as FileRow | null;
    }

    private async fileList(reads: Reads): Promise<FileRow[]> {
      noteWholeTable(reads, STORAGE_TABLE);
      if (this.name === ROOT) return fileRows.list(this.rawSql);
      return (await this.rootStorage("list", {})) as FileRow[];
    }

    /** Root: removes a file's row, then its object. */
    private async deleteFileHere(id: unknown): Promise<boolean> {
      let had = false;
      this.filesChanged(() => (had = fileRows.delete(this.rawSql, id)));
      if (had) await bucket(this.envRecord, config.storageBinding).delete(String(id));
      return had;
    }

    /**
     * Root: changes `_storage` rows (an upload's commit, a delete) in one transaction with the
     * notifications of the objects that watch `_storage`; live queries over it here re-run.
     */
    private filesChanged(change: () => void): void {
      this.ensureStorage();
      this.ctx.storage.transactionSync(() => {
        change();
        this.version++;
        this.setMeta("version", this.version);
        this.queueNotifications([STORAGE_TABLE], null);
      });
      this.scheduleLive(unknownWrites([STORAGE_TABLE]));
      this.kickOutbox();
    }

    /** `ctx.storage` of a query (`getUrl`, `getMetadata`) or a mutation (also `generateUploadUrl`, `delete`). */
    private storageCtx(mutation: boolean, reads: Reads) {
      const reader = {
        getUrl: async (id: unknown) => ((await this.fileRow(id, reads)) ? fileUrl(this.origin, String(id)) : null),
        getMetadata: async (id: unknown) => {
          const row = await this.fileRow(id, reads);
          return row ? fileMetadata(row) : null;
        },
      };
      if (!mutation) return reader;
      return {
        ...reader,
        generateUploadUrl: () => uploadUrl(this.envRecord, this.origin),
        delete: async (id: unknown) => {
          if (!(await this.fileRow(id, reads))) throw new LunoraRuntimeError("not_found", `no stored file ${JSON.stringify(id)}`, 404);
          // Marked in the mutation's own transaction (recorded with its writes, so a D1 commit
          // replays it): the file goes once the mutation commits, also across a restart.
          this.sql.exec(`INSERT OR IGNORE INTO _lunora_file_deletes (id) VALUES (?)`, String(id));
          // A safety alarm in the same transaction wakes the object if it stops before the flush.
          await this.armAlarm(Date.now() + 5_000);
        },
      };
    }

    /** `ctx.db.system` with the `_storage` table besides `_scheduled_functions`. */
    private withFiles<S extends { get(id: any): Promise<unknown>; query(t: any): unknown }>(system: S, reads: Reads): S {
      return {
        get: (id: unknown) => (isStorageId(id) ? this.fileRow(id, reads).then((r) => (r ? fileDoc(r) : null)) : system.get(id)),
        query: (t: string) => (t === STORAGE_TABLE ? fileQuery(() => this.fileList(reads)) : system.query(t)),
      } as unknown as S;
    }

    /**
     * In the serial queue, after a mutation committed and from the alarm: the files marked by
     * committed mutations' `ctx.storage.delete` go (root deletes the row, then the R2 object; a
     * shard asks root), then are unmarked. Deleting is idempotent, so a restart between the two
     * only repeats it; a failure keeps the mark and the alarm retries it.
     */
    private async flushDeletes(): Promise<void> {
      const ids = this.rawSql.exec(`SELECT id FROM _lunora_file_deletes ORDER BY id`).toArray();
      let failed = false;
      for (const row of ids) {
        const id = String(row["id"]);
        try {
          if (this.fault("file-delete-fail")) throw new Error("injected fault");
          if (this.name === ROOT) await this.deleteFileHere(id);
          else await this.rootStorage("delete", { id });
          this.rawSql.exec(`DELETE FROM _lunora_file_deletes WHERE id = ?`, id);
        } catch (error) {
          failed = true;
          console.error(`lunora: deleting the stored file ${id} failed, will retry: ${String(error)}`);
        }
      }
      if (failed) await this.armAlarm(Date.now() + 1000);
    }

    override async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const origin = request.headers.get("x-lunora-origin");
      if (origin) this.origin = origin;
      try {
        const name = this.learnName(request.headers.get("x-lunora-object"));
        if (url.pathname.startsWith("/storage/")) {
          if (name !== ROOT) throw new LunoraRuntimeError("wrong_object", "stored files live in root", 400);
          const body = (await request.json()) as { id?: unknown; row?: FileRow; upload?: UploadToken };
          const value = await this.serial(async () => {
            this.ensureStorage();
            switch (url.pathname) {
              case "/storage/meta":
                return fileRows.get(this.rawSql, body.id);
              case "/storage/list":
                return fileRows.list(this.rawSql);
              case "/storage/commit":
                this.filesChanged(() => {
                  if (body.upload) spendUploadToken(this.rawSql, body.upload, body.row!.id);
                  fileRows.insert(this.rawSql, body.row!);
                });
                return null;
              case "/storage/delete":
                return this.deleteFileHere(body.id);
              default:
                throw new LunoraRuntimeError("not_found", `no route ${url.pathname}`, 404);
            }
          });
          return json({ ok: true, value });
        }
        if (url.pathname === "/call") {
          const body = (await request.json()) as { path: string; args: unknown; uid: string | null; internal: boolean; mutationId?: unknown };
          return await this.serial(async () => {
            const fn = publicFunction(wiring, body.path, body.internal);
            const args = validatedArgs(fn, body.path, body.args);
            this.checkRoute(fn, args);
            if (fn.kind === "action") throw new LunoraRuntimeError("misconfigured", "actions run in the Worker", 500);
            if (fn.kind === "query") return json({ ok: true, value: (await this.runQuery(fn, args, body.uid)).value });
            this.ensureStorage();
            const value = await this.runMutation(fn, args, body.uid, body.mutationId);
            // The reply does not wait for the live queries (they re-run next in the queue): the
            // client waits for them with a `sync` on its socket when it has subscriptions here.
            const reply: CallReply = { ok: true, value, commit: { object: name, version: this.version } };
            return json(reply);
          });
        }
        if (url.pathname === "/invalidate") {
          // Global tables were written elsewhere: re-run the live queries that read them. Root
          // also passes the news on to the objects that watch them (through its outbox).
          if (config.testHooks && this.fault("invalidate-fail")) throw new LunoraRuntimeError("unavailable", "injected fault", 503);
          const body = (await request.json()) as { tables?: unknown; from?: unknown };
          if (!Array.isArray(body.tables)) throw new LunoraRuntimeError("bad_request", "bad /invalidate body");
          const tables = body.tables.filter((t): t is string => typeof t === "string" && watchable.has(t));
          const from = typeof body.from === "string" ? body.from : null;
          const watching = await this.serial(async () => {
            // Root keeps the notification's fan-out in its outbox; a shard only re-runs its queries.
            if (name === ROOT) this.ensureStorage();
            const affected = this.live.reads(tables);
            this.ctx.storage.transactionSync(() => {
              if (affected) {
                this.version++;
                this.setMeta("version", this.version);
              }
              if (name === ROOT) this.queueNotifications(tables, from);
            });
            if (affected) this.scheduleLive(unknownWrites(tables));
            // Still interested? (A shard answers root's fan-out; root drops watchers that are not.)
            const still = this.live.reads(tables);
            if (!still) for (const t of tables) this.watched.delete(t);
            return still;
          });
          if (name === ROOT) this.kickOutbox();
          return json({ ok: true, value: { watching } });
        }
        if (url.pathname === "/schedule" || url.pathname === "/cancel") {
          // An action's `ctx.scheduler`: its jobs live in root (documented owner).
          if (name !== ROOT) throw new LunoraRuntimeError("wrong_object", "actions schedule in root", 400);
          const body = (await request.json()) as { path?: unknown; args?: unknown; at?: unknown; id?: unknown };
          const value = await this.serial(async () => {
            this.ensureStorage();
            let id: string | null = null;
            const job = url.pathname === "/schedule" ? newJob(wiring, body.path, decodeValue((body.args ?? {}) as JsonValue), Number(body.at)) : null;
            this.ctx.storage.transactionSync(() => {
              if (job) {
                insertJob(this.rawSql, job);
                id = job.id;
              } else cancelJob(this.rawSql, body.id);
              this.version++;
              this.setMeta("version", this.version);
            });
            this.scheduleLive(jobsChanged());
            const due = nextDue(this.rawSql);
            if (due !== null) await this.armAlarm(due);
            return id;
          });
          return json({ ok: true, value });
        }
        if (url.pathname === "/watch") {
          // A shard object's live queries read these global tables: invalidate it on their writes.
          // Not in the serial queue (the shard waits for this inside its own queue), but never
          // inside a running mutation's transaction (which may roll back): after it.
          if (name !== ROOT) throw new LunoraRuntimeError("wrong_object", "only root keeps watchers", 400);
          const body = (await request.json()) as { object?: unknown; tables?: unknown };
          if (typeof body.object !== "string" || !Array.isArray(body.tables)) throw new LunoraRuntimeError("bad_request", "bad /watch body");
          await this.idle();
          this.ensureStorage();
          this.ctx.storage.transactionSync(() => {
            for (const t of body.tables as unknown[]) {
              if (typeof t !== "string" || !watchable.has(t)) continue;
              this.watchSeq++;
              this.rawSql.exec(`INSERT OR REPLACE INTO _lunora_watchers (object, tbl, seq) VALUES (?, ?, ?)`, body.object, t, this.watchSeq);
            }
            this.setMeta("watch_seq", this.watchSeq);
          });
          return json({ ok: true, value: null });
        }
        if (url.pathname === "/ws") {
          const pair = new WebSocketPair();
          const sock = crypto.randomUUID();
          const uid = request.headers.get("x-lunora-user") || null;
          // Sockets per user (anonymous: per address) on this object.
          const who = uid ?? `addr:${request.headers.get("x-lunora-addr") ?? ""}`;
          const held = this.ctx.getWebSockets().filter((ws) => {
            const a = ws.deserializeAttachment() as SocketAttachment | null;
            return a !== null && (a.uid ?? `addr:${a.addr ?? ""}`) === who;
          }).length;
          if (held >= config.limits.socketsPerUser) {
            throw new LunoraRuntimeError("too_many", `at most ${config.limits.socketsPerUser} sockets per user on one object`, 429);
          }
          const expires = Number(request.headers.get("x-lunora-user-expires") || "");
          this.ctx.acceptWebSocket(pair[1], [sock]);
          const attachment: SocketAttachment = {
            sock,
            uid,
            object: name,
            exp: Number.isFinite(expires) && expires > 0 ? expires : null,
            addr: uid === null ? (request.headers.get("x-lunora-addr") ?? "") : null,
          };
          pair[1].serializeAttachment(attachment);
          this.live.track(sock, pair[1]);
          // A client that offered the `lunora` subprotocol must get it back, or its browser fails the socket.
          const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
          const headers = offered.includes(WS_PROTOCOL) ? { "sec-websocket-protocol": WS_PROTOCOL } : undefined;
          return new Response(null, { status: 101, webSocket: pair[0], headers });
        }
        if (url.pathname === "/limit") {
          // Root: a sliding-window counter in memory (one instance for the whole app), for limits
          // that no Rate Limiting binding covers. Not in the serial queue: pure memory.
          if (name !== ROOT) throw new LunoraRuntimeError("wrong_object", "only root keeps limits", 400);
          const body = (await request.json()) as { key?: unknown; limit?: unknown; windowMs?: unknown };
          if (typeof body.key !== "string" || typeof body.limit !== "number" || typeof body.windowMs !== "number") {
            throw new LunoraRuntimeError("bad_request", "bad /limit body");
          }
          return json({ ok: true, value: this.limiter.take(body.key, body.limit, body.windowMs) });
        }
        if (url.pathname.startsWith("/debug") && !config.testHooks) {
          throw new LunoraRuntimeError("not_found", `no route ${url.pathname}`, 404);
        }
        if (url.pathname === "/debug/fault") {
          // Test hook: arm fault points (`{ "<fault>": <times> }`), each fires once per count.
          const body = (await request.json()) as Record<string, unknown>;
          for (const [key, times] of Object.entries(body)) {
            if (!(FAULTS as readonly string[]).includes(key) || typeof times !== "number") {
              throw new LunoraRuntimeError("bad_request", `unknown fault ${key} (known: ${FAULTS.join(", ")})`);
            }
            this.faults.set(key as Fault, times);
          }
          return json({ ok: true, value: null });
        }
        if (url.pathname === "/debug") {
          // Test hook: which object is this, and what does it store.
          const counts: Record<string, number> = {};
          const count = (table: string) =>
            this.ready ? Number(this.rawSql.exec(`SELECT count(*) AS n FROM "${table}"`).toArray()[0]?.["n"] ?? 0) : 0;
          for (const table of Object.keys(wiring.storage)) counts[table] = count(table);
          // Every table SQLite holds for this object (0: nothing stored, the object was only read).
          const tables = Number(this.rawSql.exec(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).toArray()[0]?.["n"] ?? 0);
          // The search indexes' FTS tables and their triggers.
          const fts = this.rawSql
            .exec(`SELECT name FROM sqlite_master WHERE (type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%') OR (type = 'trigger' AND name LIKE '%\\_\\_%' ESCAPE '\\') ORDER BY name`)
            .toArray()
            .map((r) => String(r["name"]));
          // EXPLAIN QUERY PLAN of the recent index scans (only SQL this runtime generated).
          const plans = this.local.recent.map(({ sql, params }) => ({
            sql,
            plan: this.sql
              .exec(`EXPLAIN QUERY PLAN ${sql}`, ...params)
              .toArray()
              .map((r) => String(r["detail"])),
          }));
          const outbox = count("_lunora_outbox");
          const intents = count("_lunora_intents");
          const alarm = await this.ctx.storage.getAlarm();
          return json({
            ok: true,
            value: { name: this.name, version: this.version, instance: this.instance, counts, plans, outbox, intents, tables, fts, alarm, liveRuns: this.live.runs } as unknown as JsonValue,
          });
        }
        if (url.pathname === "/debug/abort") {
          // Test hook: a restart (as after a crash or a code update): the in-memory state is lost
          // and every socket is disconnected; storage stays.
          this.ctx.abort("lunora: restart requested");
        }
        throw new LunoraRuntimeError("not_found", `no route ${url.pathname}`, 404);
      } catch (error) {
        return errorResponse(error);
      }
    }

    override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
      const att = ws.deserializeAttachment() as SocketAttachment;
      if (closeIfExpired(ws)) {
        await this.serial(async () => this.live.leave(att.sock, null));
        return;
      }
      this.live.track(att.sock, ws);
      if (this.name === null) this.learnName(att.object);
      const reject = (code: string, text: string) => this.live.send(att.sock, { t: "error", id: null, error: { code, message: text } });
      const size = typeof message === "string" ? message.length : message.byteLength;
      if (size > MAX_MESSAGE_BYTES) {
        // (string length counts UTF-16 units: a lower bound of the UTF-8 size, checked again below)
        reject("too_large", tooLarge(size).message);
        return;
      }
      let msg: { t?: string; id?: unknown; path?: unknown; args?: unknown };
      try {
        const text = typeof message === "string" ? message : new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(message);
        const bytes = new TextEncoder().encode(text).byteLength;
        if (bytes > MAX_MESSAGE_BYTES) {
          reject("too_large", tooLarge(bytes).message);
          return;
        }
        msg = JSON.parse(text);
      } catch {
        reject("bad_request", "messages must be JSON");
        return;
      }
      if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
        reject("bad_request", "messages must be JSON objects");
        return;
      }
      const id = typeof msg.id === "string" ? msg.id : null;
      if (!id || id.length > 256) {
        reject("bad_request", "missing subscription id (a string of at most 256 characters)");
        return;
      }
      await this.serial(async () => {
        this.live.ensureLoaded();
        if (msg.t === "unsub") this.live.leave(att.sock, id);
        else if (msg.t === "sync") {
          // Every update due so far has been sent on this socket once the pending re-runs ran.
          await this.flushLive();
          this.live.send(att.sock, { t: "synced", id, version: this.version });
        }
        else if (msg.t === "sub") {
          this.ensureStorage();
          await this.live.subscribe(att, id, msg.path, msg.args);
        }
        else this.live.send(att.sock, { t: "error", id, error: { code: "bad_request", message: `unknown message type ${String(msg.t)}` } });
      });
    }

    override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
      const att = ws.deserializeAttachment() as SocketAttachment | null;
      if (att) await this.serial(async () => this.live.leave(att.sock, null));
      if (code !== 1005 && code !== 1006 && code !== 1015) {
        try {
          ws.close(code, "closing");
        } catch {
          // already closed
        }
      }
    }

    override async webSocketError(ws: WebSocket): Promise<void> {
      const att = ws.deserializeAttachment() as SocketAttachment | null;
      if (att) await this.serial(async () => this.live.leave(att.sock, null));
    }
  };
}

/** Hits per key in the last window, bounded in keys (the oldest keys are dropped first). */
class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  take(key: string, limit: number, windowMs: number): { allowed: boolean; retryAfterMs: number } {
    const now = Date.now();
    const recent = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
    this.hits.delete(key);
    const allowed = recent.length < limit;
    if (allowed) recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 100_000) this.hits.delete(this.hits.keys().next().value as string);
    return { allowed, retryAfterMs: allowed ? 0 : Math.max(1, (recent[0] ?? now) + windowMs - now) };
  }
}
