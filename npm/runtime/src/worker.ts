// createWorker(wiring): the Worker entry (HTTP RPC, auth, WebSocket upgrade) and the Durable Object
// class (SQLite storage, transactions, live queries over hibernating WebSockets).
// The wire protocol is documented in docs/ARCHITECTURE.md ("Wire protocol").

import { DurableObject } from "cloudflare:workers";
import { computeDelta, decodeValue, encodeValue, type JsonValue } from "@lunora/client";
import { authenticate, createGuest, type Identity, type TokenVerifier } from "./auth.js";
import { D1Backend, Db, DoBackend, toWireError } from "./db.js";
import { LunoraRuntimeError, type Route, type Wiring, type WiringFunction } from "./types.js";

export interface WorkerOptions {
  /** Production auth: verify a bearer token that is not a Lunora guest token (e.g. a JWT). */
  verifyToken?: TokenVerifier;
  /** Disable `/api/auth/guest` (e.g. in production with a real identity provider). */
  guestAuth?: boolean;
  /** Lifetime of guest tokens in milliseconds (default 30 days); an expired token is `401`. */
  guestTokenTtlMs?: number;
  /** Name of the Durable Object namespace binding (default `LUNORA_SHARD`). */
  shardBinding?: string;
  /** Name of the D1 binding (default `DB`). */
  d1Binding?: string;
  /** Value of the CORS `Access-Control-Allow-Origin` header (default `*`). */
  corsOrigin?: string;
}

type Env = Record<string, unknown>;

const ROOT = "root";

function json(body: unknown, status = 200, cors = "*"): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "access-control-allow-origin": cors,
    },
  });
}

function errorResponse(error: unknown, cors = "*"): Response {
  const { code, message, status } = toWireError(error);
  return json({ ok: false, error: { code, message } }, status, cors);
}

/** Finds a function callable from a client (internal ones are reported as unknown). */
function publicFunction(wiring: Wiring, path: unknown, internal = false): WiringFunction {
  if (typeof path !== "string") throw new LunoraRuntimeError("bad_request", "missing function path");
  const fn = Object.prototype.hasOwnProperty.call(wiring.functions, path) ? wiring.functions[path] : undefined;
  if (!fn || (fn.visibility !== "public" && !internal)) {
    throw new LunoraRuntimeError("not_found", `no public function "${path}"`, 404);
  }
  return fn;
}

/** Largest request body / WebSocket message accepted from a client (bytes). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Most live subscriptions one socket may hold (each is a stored row). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 1000;

function tooLarge(size: number): LunoraRuntimeError {
  return new LunoraRuntimeError("too_large", `message of ${size} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`, 413);
}

/**
 * The body's bytes, refusing more than MAX_MESSAGE_BYTES as they arrive (a chunked upload has no
 * content-length: reading it whole first would buffer whatever the client sends).
 */
async function readCapped(request: Request): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_MESSAGE_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge(total);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Reads a client's JSON body `{ path, args }`, refusing oversized and malformed ones. */
async function readCallBody(request: Request): Promise<{ path?: unknown; args?: unknown }> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_MESSAGE_BYTES) throw tooLarge(declared);
  const bytes = await readCapped(request);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new LunoraRuntimeError("bad_request", "body must be JSON { path, args }");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new LunoraRuntimeError("bad_request", "body must be JSON { path, args }");
  }
  return body as { path?: unknown; args?: unknown };
}

/** Decodes and validates arguments with the function's validator. */
function validatedArgs(fn: WiringFunction, path: string, raw: unknown): Record<string, unknown> {
  let args: unknown;
  try {
    args = decodeValue((raw ?? {}) as JsonValue);
  } catch (error) {
    // e.g. {"$int64":"x"}, {"$bytes":"%"} or nesting deeper than the stack
    throw new LunoraRuntimeError("bad_args", `${path}: undecodable arguments: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    throw new LunoraRuntimeError("bad_args", `${path}: arguments must be an object`);
  }
  const validator = fn.fn.args;
  if (validator) {
    const error = validator.validate(args, "args");
    if (error) throw new LunoraRuntimeError("bad_args", `${path}: invalid arguments: ${error}`);
  } else if (Object.keys(args).length > 0) {
    throw new LunoraRuntimeError("bad_args", `${path}: takes no arguments`);
  }
  return args as Record<string, unknown>;
}

/** The Durable Object name a call runs in, from the route and the *validated* arguments. */
export function objectName(route: Route, args: Record<string, unknown>): string | null {
  switch (route.kind) {
    case "root":
    case "global":
      return ROOT;
    case "worker":
      return null;
    case "shard": {
      const value = args[route.arg];
      if (typeof value !== "string" && typeof value !== "number") {
        throw new LunoraRuntimeError("bad_args", `shard key argument "${route.arg}" must be a string or number`);
      }
      return `${route.key}:${value}`;
    }
  }
}

/** Which local placement family an object name holds ("root" or the shard key field). */
function familyOf(name: string): string {
  return name === ROOT ? ROOT : name.slice(0, name.indexOf(":"));
}

function bearer(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || null;
  return null;
}

interface SocketAttachment {
  sock: string;
  uid: string | null;
  object: string;
}

interface Group {
  key: string;
  path: string;
  args: JsonValue;
  uid: string | null;
  tables: Set<string> | null;
  value: JsonValue | undefined;
  version: number;
  members: Set<string>; // `${sock}\u0000${subId}`
}

/** What `createWorker` returns: export `worker` as default and `Shard` as the DO class. */
export interface LunoraWorker {
  worker: { fetch(request: Request, env: any): Promise<Response> };
  Shard: new (state: DurableObjectState, env: any) => DurableObject;
}

export function createWorker(wiring: Wiring, options: WorkerOptions = {}): LunoraWorker {
  const shardBinding = options.shardBinding ?? "LUNORA_SHARD";
  const d1Binding = options.d1Binding ?? "DB";
  const cors = options.corsOrigin ?? "*";
  const shardFamilies = new Set(
    Object.values(wiring.tables).flatMap((t) => (typeof t.placement === "object" ? [t.placement.shardBy] : [])),
  );
  const globalTables = new Set(Object.entries(wiring.tables).flatMap(([name, t]) => (t.placement === "global" ? [name] : [])));

  /**
   * The Worker itself wrote `users` (a new guest, or a verified subject seen for the first time):
   * tell root, as a mutation in a shard object would, so live queries on `users` re-run.
   */
  function usersWritten(env: Env): () => Promise<void> {
    return async () => {
      const res = await stub(env, ROOT).fetch("https://lunora.internal/invalidate", {
        method: "POST",
        headers: { "x-lunora-object": ROOT },
        body: JSON.stringify({ tables: ["users"] }),
      });
      await res.body?.cancel();
    };
  }

  function namespace(env: Env): DurableObjectNamespace {
    const ns = env[shardBinding] as DurableObjectNamespace | undefined;
    if (!ns) throw new LunoraRuntimeError("misconfigured", `missing Durable Object binding "${shardBinding}"`, 500);
    return ns;
  }

  function stub(env: Env, name: string): DurableObjectStub {
    const ns = namespace(env);
    return ns.get(ns.idFromName(name));
  }

  function d1(env: Env): D1Backend | null {
    const db = env[d1Binding] as D1Database | undefined;
    return db ? new D1Backend(db, wiring) : null;
  }

  /** Runs a call wherever its route says; used by the Worker and by actions. */
  async function dispatch(env: Env, path: string, rawArgs: unknown, identity: Identity | null, internal: boolean): Promise<JsonValue> {
    const fn = publicFunction(wiring, path, internal);
    const args = validatedArgs(fn, path, rawArgs);
    const name = objectName(fn.route, args);
    if (name === null) return runAction(env, fn, args, identity);
    const res = await stub(env, name).fetch("https://lunora.internal/call", {
      method: "POST",
      headers: { "x-lunora-object": name, "content-type": "application/json" },
      body: JSON.stringify({ path, args: rawArgs ?? {}, uid: identity?.userId ?? null, internal }),
    });
    const reply = (await res.json()) as { ok: true; value: JsonValue } | { ok: false; error: { code: string; message: string } };
    if (!reply.ok) throw new LunoraRuntimeError(reply.error.code, reply.error.message, res.status);
    return reply.value;
  }

  async function runAction(env: Env, fn: WiringFunction, args: Record<string, unknown>, identity: Identity | null): Promise<JsonValue> {
    if (fn.kind !== "action") throw new LunoraRuntimeError("misconfigured", "only actions run in the Worker", 500);
    const ctx = {
      auth: { userId: identity?.userId ?? null },
      runQuery: async (ref: { path: string }, a?: unknown) => decodeValue(await dispatch(env, ref.path, encodeValue(a ?? {}), identity, true)),
      runMutation: async (ref: { path: string }, a?: unknown) => decodeValue(await dispatch(env, ref.path, encodeValue(a ?? {}), identity, true)),
      runAction: async (ref: { path: string }, a?: unknown) => decodeValue(await dispatch(env, ref.path, encodeValue(a ?? {}), identity, true)),
    };
    return encodeValue(await fn.fn.handler({ ctx, args }));
  }

  const worker = {
    async fetch(request: Request, env: Env): Promise<Response> {
      const url = new URL(request.url);
      if (request.method === "OPTIONS") {
        return new Response(null, {
          status: 204,
          headers: {
            "access-control-allow-origin": cors,
            "access-control-allow-methods": "GET, POST, OPTIONS",
            "access-control-allow-headers": "content-type, authorization",
          },
        });
      }
      try {
        if (url.pathname === "/api/auth/guest" && request.method === "POST") {
          if (options.guestAuth === false) throw new LunoraRuntimeError("not_found", "guest auth is disabled", 404);
          const guest = await createGuest(env, options.guestTokenTtlMs);
          await usersWritten(env)();
          return json(guest, 200, cors);
        }
        if (url.pathname === "/api/call" && request.method === "POST") {
          const identity = await authenticate(env, bearer(request), options.verifyToken, usersWritten(env));
          const body = await readCallBody(request);
          if (typeof body.path !== "string") throw new LunoraRuntimeError("bad_request", "missing function path");
          const value = await dispatch(env, body.path, body.args, identity, false);
          return json({ ok: true, value }, 200, cors);
        }
        if (url.pathname === "/api/resolve" && request.method === "POST") {
          const body = await readCallBody(request);
          const fn = publicFunction(wiring, body.path);
          if (fn.kind !== "query") throw new LunoraRuntimeError("bad_request", `${String(body.path)} is not a query`);
          const name = objectName(fn.route, validatedArgs(fn, String(body.path), body.args));
          return json({ ok: true, value: { object: name } }, 200, cors);
        }
        if (url.pathname === "/api/ws") {
          if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
            throw new LunoraRuntimeError("bad_request", "expected a WebSocket upgrade", 426);
          }
          const object = url.searchParams.get("object") ?? "";
          if (object !== ROOT && !shardFamilies.has(familyOf(object))) {
            throw new LunoraRuntimeError("bad_request", `unknown object "${object}"`);
          }
          const identity = await authenticate(env, url.searchParams.get("token"), options.verifyToken, usersWritten(env));
          const headers = new Headers(request.headers);
          headers.set("x-lunora-object", object);
          headers.set("x-lunora-user", identity?.userId ?? "");
          return stub(env, object).fetch(new Request("https://lunora.internal/ws", { headers }));
        }
        return json({ ok: false, error: { code: "not_found", message: `no route ${url.pathname}` } }, 404, cors);
      } catch (error) {
        return errorResponse(error, cors);
      }
    },
  };

  class Shard extends DurableObject {
    private readonly sql: SqlStorage;
    private readonly local: DoBackend;
    private queue: Promise<unknown> = Promise.resolve();
    private name: string | null = null;
    private version = 0;
    private readonly groups = new Map<string, Group>();
    private readonly sockets = new Map<string, WebSocket>();
    private loaded = false;
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
      state.blockConcurrencyWhile(async () => {
        this.sql.exec(`CREATE TABLE IF NOT EXISTS _lunora_meta (k TEXT PRIMARY KEY, v)`);
        this.sql.exec(`CREATE TABLE IF NOT EXISTS _lunora_watchers (object TEXT NOT NULL, tbl TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (object, tbl))`);
        this.sql.exec(
          `CREATE TABLE IF NOT EXISTS _lunora_subs (sock TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, args TEXT NOT NULL, uid TEXT, PRIMARY KEY (sock, id))`,
        );
        for (const statements of Object.values(wiring.storage)) for (const s of statements) this.sql.exec(s);
        const row = this.sql.exec(`SELECT v FROM _lunora_meta WHERE k = 'version'`).toArray()[0];
        this.version = row ? Number(row["v"]) : 0;
        const nameRow = this.sql.exec(`SELECT v FROM _lunora_meta WHERE k = 'name'`).toArray()[0];
        this.name = nameRow ? String(nameRow["v"]) : null;
        const seqRow = this.sql.exec(`SELECT v FROM _lunora_meta WHERE k = 'watch_seq'`).toArray()[0];
        this.watchSeq = seqRow ? Number(seqRow["v"]) : 0;
      });
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
        this.sql.exec(`INSERT OR REPLACE INTO _lunora_meta (k, v) VALUES ('name', ?)`, name);
      } else if (this.name !== name) {
        throw new LunoraRuntimeError("wrong_object", `this object is "${this.name}", not "${name}"`, 500);
      }
      return name;
    }

    private newDb(writable: boolean): Db {
      return new Db(wiring, this.local, d1(this.envRecord), writable, familyOf(this.name ?? ROOT));
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
          this.sql.exec(`INSERT OR REPLACE INTO _lunora_meta (k, v) VALUES ('version', ?)`, this.version);
        }
        // Last step inside the transaction: if the D1 batch fails, the local writes roll back.
        await db.flushGlobal();
      });
      if (db.writtenTables.size > 0) {
        const globals = db.globalWrites();
        await this.afterCommit(db.writtenTables);
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
            this.ensureLoaded();
            const affected = [...this.groups.values()].some((g) => !g.tables || tables.some((t) => g.tables!.has(t)));
            if (affected) {
              this.version++;
              this.sql.exec(`INSERT OR REPLACE INTO _lunora_meta (k, v) VALUES ('version', ?)`, this.version);
              await this.afterCommit(new Set(tables));
            }
            // Still interested? (A shard answers root's fan-out; root drops watchers that are not.)
            const still = [...this.groups.values()].some((g) => !g.tables || tables.some((t) => g.tables!.has(t)));
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
          this.sql.exec(`INSERT OR REPLACE INTO _lunora_meta (k, v) VALUES ('watch_seq', ?)`, this.watchSeq);
          return json({ ok: true, value: null });
        }
        if (url.pathname === "/ws") {
          const pair = new WebSocketPair();
          const sock = crypto.randomUUID();
          const uid = request.headers.get("x-lunora-user") || null;
          this.ctx.acceptWebSocket(pair[1], [sock]);
          const attachment: SocketAttachment = { sock, uid, object: name };
          pair[1].serializeAttachment(attachment);
          this.sockets.set(sock, pair[1]);
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

    // ---- live queries -------------------------------------------------------------------------

    private socket(sock: string): WebSocket | undefined {
      let ws = this.sockets.get(sock);
      if (!ws) {
        ws = this.ctx.getWebSockets(sock)[0];
        if (ws) this.sockets.set(sock, ws);
      }
      return ws;
    }

    /** After hibernation the in-memory groups are gone: rebuild them from `_lunora_subs`. */
    private ensureLoaded(): void {
      if (this.loaded) return;
      this.loaded = true;
      const live = new Set(this.ctx.getWebSockets().map((ws) => (ws.deserializeAttachment() as SocketAttachment | null)?.sock));
      for (const row of this.sql.exec(`SELECT sock, id, path, args, uid FROM _lunora_subs`).toArray()) {
        const sock = String(row["sock"]);
        if (!live.has(sock)) {
          this.sql.exec(`DELETE FROM _lunora_subs WHERE sock = ?`, sock);
          continue;
        }
        const uid = row["uid"] === null ? null : String(row["uid"]);
        this.group(String(row["path"]), JSON.parse(String(row["args"])) as JsonValue, uid).members.add(`${sock}\u0000${String(row["id"])}`);
      }
    }

    private group(path: string, args: JsonValue, uid: string | null): Group {
      const key = `${path}\u0000${JSON.stringify(args)}\u0000${uid ?? ""}`;
      let g = this.groups.get(key);
      if (!g) {
        g = { key, path, args, uid, tables: null, value: undefined, version: 0, members: new Set() };
        this.groups.set(key, g);
      }
      return g;
    }

    private leave(sock: string, id: string | null): void {
      for (const [key, g] of this.groups) {
        for (const member of g.members) {
          if (member.startsWith(`${sock}\u0000`) && (id === null || member === `${sock}\u0000${id}`)) g.members.delete(member);
        }
        if (g.members.size === 0) this.groups.delete(key);
      }
      if (id === null) this.sql.exec(`DELETE FROM _lunora_subs WHERE sock = ?`, sock);
      else this.sql.exec(`DELETE FROM _lunora_subs WHERE sock = ? AND id = ?`, sock, id);
    }

    private send(sock: string, message: unknown): void {
      const ws = this.socket(sock);
      if (!ws) return;
      try {
        ws.send(typeof message === "string" ? message : JSON.stringify(message));
      } catch {
        // closed under us: webSocketClose cleans up
      }
    }

    /** Re-runs every group that read a written table and sends deltas, in commit order. */
    private async afterCommit(written: Set<string>): Promise<void> {
      this.ensureLoaded();
      for (const g of this.groups.values()) {
        if (g.tables && ![...g.tables].some((t) => written.has(t))) continue;
        const fn = wiring.functions[g.path];
        if (!fn) continue;
        let result: { value: JsonValue; tables: Set<string> };
        try {
          result = await this.runLive(fn, validatedArgs(fn, g.path, g.args), g.uid);
        } catch (error) {
          const { code, message } = toWireError(error);
          for (const m of g.members) {
            const [sock, id] = m.split("\u0000") as [string, string];
            this.send(sock, { t: "error", id, error: { code, message } });
          }
          continue;
        }
        g.tables = result.tables;
        if (g.value === undefined) {
          // No base in memory (after hibernation): send the whole result.
          g.value = result.value;
          g.version = this.version;
          for (const m of g.members) {
            const [sock, id] = m.split("\u0000") as [string, string];
            this.send(sock, { t: "result", id, version: g.version, value: g.value });
          }
          continue;
        }
        const delta = computeDelta(g.value, result.value);
        if (!delta) continue;
        const from = g.version;
        g.value = result.value;
        g.version = this.version;
        const payload = JSON.stringify(delta);
        for (const m of g.members) {
          const [sock, id] = m.split("\u0000") as [string, string];
          this.send(sock, `{"t":"delta","id":${JSON.stringify(id)},"from":${from},"version":${g.version},"delta":${payload}}`);
        }
      }
    }

    override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
      const att = ws.deserializeAttachment() as SocketAttachment;
      this.sockets.set(att.sock, ws);
      if (this.name === null) this.learnName(att.object);
      const reject = (code: string, text: string) => this.send(att.sock, { t: "error", id: null, error: { code, message: text } });
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
        this.ensureLoaded();
        if (msg.t === "unsub") {
          this.leave(att.sock, id);
          return;
        }
        if (msg.t !== "sub") {
          this.send(att.sock, { t: "error", id, error: { code: "bad_request", message: `unknown message type ${String(msg.t)}` } });
          return;
        }
        try {
          if (typeof msg.path !== "string") throw new LunoraRuntimeError("bad_request", "missing function path");
          const path = msg.path;
          const fn = publicFunction(wiring, path);
          if (fn.kind !== "query") throw new LunoraRuntimeError("bad_request", `${path} is not a query`);
          const args = validatedArgs(fn, path, msg.args);
          // The route is recomputed from the validated args: a subscription for another object is refused.
          this.checkRoute(fn, args);
          this.leave(att.sock, id);
          const held = Number(this.sql.exec(`SELECT count(*) AS n FROM _lunora_subs WHERE sock = ?`, att.sock).toArray()[0]?.["n"] ?? 0);
          if (held >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
            throw new LunoraRuntimeError("too_many", `a socket holds at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions`);
          }
          const encodedArgs = encodeValue(msg.args ?? {});
          const g = this.group(path, encodedArgs, att.uid);
          if (g.value === undefined) {
            const result = await this.runLive(fn, args, att.uid);
            g.value = result.value;
            g.tables = result.tables;
            g.version = this.version;
          }
          g.members.add(`${att.sock}\u0000${id}`);
          this.sql.exec(
            `INSERT OR REPLACE INTO _lunora_subs (sock, id, path, args, uid) VALUES (?, ?, ?, ?, ?)`,
            att.sock,
            id,
            path,
            JSON.stringify(encodedArgs),
            att.uid,
          );
          this.send(att.sock, { t: "result", id, version: g.version, value: g.value });
        } catch (error) {
          const { code, message } = toWireError(error);
          this.send(att.sock, { t: "error", id, error: { code, message } });
        }
      });
    }

    override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
      const att = ws.deserializeAttachment() as SocketAttachment | null;
      if (att) {
        this.sockets.delete(att.sock);
        await this.serial(async () => this.leave(att.sock, null));
      }
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
      if (att) {
        this.sockets.delete(att.sock);
        await this.serial(async () => this.leave(att.sock, null));
      }
    }
  }

  return { worker, Shard };
}
