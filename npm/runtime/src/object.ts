// The Durable Object class: one instance per shard-key value, plus `root`. Every call,
// subscription and mutation runs through one serial queue; a mutation runs in a storage
// transaction together with its D1 batch; after a commit the live queries re-run (live.ts) and
// other objects are told about global writes (root keeps the watchers).

import { DurableObject } from "cloudflare:workers";
import { encodeValue, type JsonValue } from "@lunora/client";
import { D1Backend } from "./storage/d1.js";
import { DoBackend } from "./storage/do.js";
import { Db } from "./db.js";
import { errorResponse, json, MAX_MESSAGE_BYTES, tooLarge } from "./http.js";
import { LiveQueries, type SocketAttachment } from "./live.js";
import { familyOf, objectName, publicFunction, ROOT, validatedArgs } from "./routing.js";
import { LunoraRuntimeError, type Wiring, type WiringFunction } from "./types.js";

type Env = Record<string, unknown>;

/** What the object needs from `createWorker`'s options. */
export interface ObjectConfig {
  shardBinding: string;
  d1Binding: string;
}

export function createShardClass(wiring: Wiring, config: ObjectConfig): new (state: DurableObjectState, env: any) => DurableObject {
  const globalTables = new Set(Object.entries(wiring.tables).flatMap(([name, t]) => (t.placement === "global" ? [name] : [])));

  function stub(env: Env, name: string): DurableObjectStub {
    const ns = env[config.shardBinding] as DurableObjectNamespace | undefined;
    if (!ns) throw new LunoraRuntimeError("misconfigured", `missing Durable Object binding "${config.shardBinding}"`, 500);
    return ns.get(ns.idFromName(name));
  }

  return class Shard extends DurableObject {
    private readonly sql: SqlStorage;
    private readonly local: DoBackend;
    private readonly live: LiveQueries;
    private queue: Promise<unknown> = Promise.resolve();
    private name: string | null = null;
    private version = 0;
    /** A random id of this in-memory instance (tests tell a restart or a wake-up by it). */
    private readonly instance = crypto.randomUUID();
    /** Global tables this (shard) object has registered with root as read by its live queries. */
    private readonly watched = new Set<string>();
    /** Root: registration counter of `_lunora_watchers` rows (a reply only drops older rows). */
    private watchSeq = 0;

    constructor(state: DurableObjectState, env: Env) {
      super(state, env);
      this.sql = state.storage.sql;
      this.local = new DoBackend(this.sql);
      this.live = new LiveQueries(
        wiring,
        this.sql,
        state,
        (fn, args, uid) => this.runLive(fn, args, uid),
        (fn, args) => this.checkRoute(fn, args),
        () => this.version,
      );
      state.blockConcurrencyWhile(async () => {
        this.sql.exec(`CREATE TABLE IF NOT EXISTS _lunora_meta (k TEXT PRIMARY KEY, v)`);
        this.sql.exec(
          `CREATE TABLE IF NOT EXISTS _lunora_watchers (object TEXT NOT NULL, tbl TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (object, tbl))`,
        );
        for (const statements of Object.values(wiring.storage)) for (const s of statements) this.sql.exec(s);
        this.version = Number(this.meta("version") ?? 0);
        const name = this.meta("name");
        this.name = name === null ? null : String(name);
        this.watchSeq = Number(this.meta("watch_seq") ?? 0);
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
        this.setMeta("name", name);
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
      return new Db(wiring, this.local, this.d1(), writable, familyOf(this.name ?? ROOT));
    }

    /** Checks that a call with these validated args belongs to this object. */
    private checkRoute(fn: WiringFunction, args: Record<string, unknown>): void {
      const expected = objectName(fn.route, args);
      if (expected !== this.name) {
        throw new LunoraRuntimeError("wrong_object", `call routed to "${this.name}" but its arguments belong to "${expected}"`, 400);
      }
    }

    /**
     * Root: tells every shard object watching one of these global tables (except `from`, which
     * already re-ran its own queries) to re-run its affected live queries. Not awaited by the
     * caller's queue: a watcher may itself be waiting on root. A watcher that answers it no longer
     * reads these tables loses the rows registered before the fan-out started.
     */
    private fanOut(tables: string[], from: string | null): void {
      if (tables.length === 0) return;
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
      for (const [object, entry] of byObject) {
        const task = (async () => {
          const res = await stub(this.envRecord, object).fetch("https://lunora.internal/invalidate", {
            method: "POST",
            headers: { "x-lunora-object": object },
            body: JSON.stringify({ tables: entry.tables }),
          });
          const reply = (await res.json()) as { ok: boolean; value?: { watching?: boolean } };
          if (reply.ok && reply.value?.watching === false) {
            this.sql.exec(
              `DELETE FROM _lunora_watchers WHERE object = ? AND seq <= ? AND tbl IN (${entry.tables.map(() => "?").join(", ")})`,
              object,
              entry.seq,
              ...entry.tables,
            );
          }
        })().catch((error) => console.error(`lunora: invalidating ${object} failed: ${String(error)}`));
        this.ctx.waitUntil(task);
      }
    }

    /**
     * Runs a live query. In a shard object, a run that reads global tables not yet watched
     * registers them with root and runs once more: a global write that root fanned out between
     * the first read and the registration is then seen by the second read.
     */
    private async runLive(fn: WiringFunction, args: Record<string, unknown>, uid: string | null) {
      const result = await this.runQuery(fn, args, uid);
      if (this.name === ROOT) return result;
      const fresh = [...result.tables].filter((t) => globalTables.has(t) && !this.watched.has(t));
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
      const value = encodeValue(await fn.fn.handler({ ctx: { db: db.reader(), auth: { userId: uid } }, args }));
      return { value, tables: db.readTables };
    }

    private async runMutation(fn: WiringFunction, args: Record<string, unknown>, uid: string | null): Promise<JsonValue> {
      const db = this.newDb(true);
      let value: JsonValue = null;
      await this.ctx.storage.transaction(async () => {
        value = encodeValue(await fn.fn.handler({ ctx: { db: db.writer(), auth: { userId: uid } }, args }));
        if (db.writtenTables.size > 0) {
          this.version++;
          this.setMeta("version", this.version);
        }
        // Last step inside the transaction: if the D1 batch fails, the local writes roll back.
        await db.flushGlobal();
      });
      if (db.writtenTables.size > 0) {
        const globals = db.globalWrites();
        await this.live.afterCommit(db.writtenTables);
        if (globals.length > 0 && this.name !== ROOT) {
          // Live queries on global tables run in the root object: tell it what changed (root
          // re-runs its own and fans the invalidation out to the shard objects that watch them).
          await stub(this.envRecord, ROOT).fetch("https://lunora.internal/invalidate", {
            method: "POST",
            headers: { "x-lunora-object": ROOT },
            body: JSON.stringify({ tables: globals, from: this.name }),
          });
        } else if (globals.length > 0) {
          this.fanOut(globals, ROOT);
        }
      }
      return value;
    }

    override async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      try {
        const name = this.learnName(request.headers.get("x-lunora-object"));
        if (url.pathname === "/call") {
          const body = (await request.json()) as { path: string; args: unknown; uid: string | null; internal: boolean };
          return await this.serial(async () => {
            const fn = publicFunction(wiring, body.path, body.internal);
            const args = validatedArgs(fn, body.path, body.args);
            this.checkRoute(fn, args);
            const value =
              fn.kind === "query"
                ? (await this.runQuery(fn, args, body.uid)).value
                : fn.kind === "mutation"
                  ? await this.runMutation(fn, args, body.uid)
                  : (() => {
                      throw new LunoraRuntimeError("misconfigured", "actions run in the Worker", 500);
                    })();
            return json({ ok: true, value });
          });
        }
        if (url.pathname === "/invalidate") {
          const body = (await request.json()) as { tables: string[]; from?: string };
          const tables = body.tables.filter((t) => globalTables.has(t));
          const watching = await this.serial(async () => {
            if (this.live.reads(tables)) {
              this.version++;
              this.setMeta("version", this.version);
              await this.live.afterCommit(new Set(tables));
            }
            // Still interested? (A shard answers root's fan-out; root drops watchers that are not.)
            const still = this.live.reads(tables);
            if (!still) for (const t of tables) this.watched.delete(t);
            return still;
          });
          if (name === ROOT) this.fanOut(tables, body.from ?? null);
          return json({ ok: true, value: { watching } });
        }
        if (url.pathname === "/watch") {
          // A shard object's live queries read these global tables: invalidate it on their writes.
          // Not in the serial queue (the shard waits for this inside its own queue; root's queue
          // may be waiting on that shard): a plain synchronous SQL write.
          if (name !== ROOT) throw new LunoraRuntimeError("wrong_object", "only root keeps watchers", 400);
          const body = (await request.json()) as { object?: unknown; tables?: unknown };
          if (typeof body.object !== "string" || !Array.isArray(body.tables)) throw new LunoraRuntimeError("bad_request", "bad /watch body");
          for (const t of body.tables) {
            if (typeof t !== "string" || !globalTables.has(t)) continue;
            this.watchSeq++;
            this.sql.exec(`INSERT OR REPLACE INTO _lunora_watchers (object, tbl, seq) VALUES (?, ?, ?)`, body.object, t, this.watchSeq);
          }
          this.setMeta("watch_seq", this.watchSeq);
          return json({ ok: true, value: null });
        }
        if (url.pathname === "/ws") {
          const pair = new WebSocketPair();
          const sock = crypto.randomUUID();
          const uid = request.headers.get("x-lunora-user") || null;
          this.ctx.acceptWebSocket(pair[1], [sock]);
          const attachment: SocketAttachment = { sock, uid, object: name };
          pair[1].serializeAttachment(attachment);
          this.live.track(sock, pair[1]);
          return new Response(null, { status: 101, webSocket: pair[0] });
        }
        if (url.pathname === "/debug") {
          // Test hook: which object is this, and what does it store.
          const counts: Record<string, number> = {};
          for (const table of Object.keys(wiring.storage)) {
            counts[table] = Number(this.sql.exec(`SELECT count(*) AS n FROM "${table}"`).toArray()[0]?.["n"] ?? 0);
          }
          // EXPLAIN QUERY PLAN of the recent index scans (only SQL this runtime generated).
          const plans = this.local.recent.map(({ sql, params }) => ({
            sql,
            plan: this.sql
              .exec(`EXPLAIN QUERY PLAN ${sql}`, ...params)
              .toArray()
              .map((r) => String(r["detail"])),
          }));
          return json({ ok: true, value: { name: this.name, version: this.version, instance: this.instance, counts, plans } as unknown as JsonValue });
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
        else if (msg.t === "sub") await this.live.subscribe(att, id, msg.path, msg.args);
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
