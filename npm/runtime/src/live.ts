// The live-query engine of one Durable Object: subscription groups (same path + args + user share
// one run), their sockets, re-runs after a commit and the deltas sent to every member. Groups are
// persisted in `_lunora_subs`, so they survive hibernation (the first update after a wake-up is a
// full `result`).

import { computeDelta, encodeValue, type JsonValue, type ServerMessage } from "@lunora/client";
import { toWireError } from "./http.js";
import { touches, type ReadSet, type WriteSet } from "./readset.js";
import { publicFunction, validatedArgs } from "./routing.js";
import { LunoraRuntimeError, type Limits, type Wiring, type WiringFunction } from "./types.js";

export interface SocketAttachment {
  sock: string;
  uid: string | null;
  object: string;
  /** When the socket's identity expires (ms), or null. */
  exp?: number | null;
  /** The client address of an anonymous socket (sockets per address are limited). */
  addr?: string | null;
}

/** Close code of a socket whose identity expired: the client signs in again and resubscribes. */
export const CLOSE_IDENTITY_EXPIRED = 4001;

/** Closes the socket when its identity has expired (`exp`: its expiry, else read from the socket); true when it did. */
export function closeIfExpired(ws: WebSocket, exp?: number | null): boolean {
  const expiry = exp === undefined ? ((ws.deserializeAttachment() as SocketAttachment | null)?.exp ?? null) : exp;
  if (!expiry || Date.now() < expiry) return false;
  try {
    ws.close(CLOSE_IDENTITY_EXPIRED, "identity expired");
  } catch {
    // already closing
  }
  return true;
}

interface Group {
  key: string;
  path: string;
  args: JsonValue;
  uid: string | null;
  tables: Set<string> | null;
  /** What its last run read (null: it never ran, so any write may change it). */
  reads: ReadSet | null;
  value: JsonValue | undefined;
  version: number;
  members: Set<string>; // `${sock}\u0000${subId}`
}

/** The live engine's table (created with the object's other tables, on its first write). */
export const LIVE_DDL = `CREATE TABLE IF NOT EXISTS _lunora_subs (sock TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, args TEXT NOT NULL, uid TEXT, PRIMARY KEY (sock, id))`;

export type LiveResult = { value: JsonValue; tables: Set<string>; reads: ReadSet };
export type LiveRun = (fn: WiringFunction, args: Record<string, unknown>, uid: string | null) => Promise<LiveResult>;

export class LiveQueries {
  private readonly groups = new Map<string, Group>();
  /** Per socket, its subscription ids and their groups (leave() touches only those). */
  private readonly bySocket = new Map<string, Map<string, Group>>();
  /** Each socket's identity expiry (read from its attachment once, not on every send). */
  private readonly expiries = new Map<string, number | null>();
  private readonly sockets = new Map<string, WebSocket>();
  private loaded = false;
  /** Query runs for live groups so far (first runs and re-runs; the test hook `/debug` reports it). */
  runs = 0;

  constructor(
    private readonly wiring: Wiring,
    private readonly sql: SqlStorage,
    private readonly state: DurableObjectState,
    /** Runs a query for a live subscription (registering global reads with root). */
    private readonly run: LiveRun,
    /** Checks that a subscription's validated args belong to this object. */
    private readonly checkRoute: (fn: WiringFunction, args: Record<string, unknown>) => void,
    /** The object's commit version. */
    private readonly version: () => number,
    private readonly limits: Pick<Limits, "subscriptionsPerSocket" | "subscriptionsPerObject">,
    /** Whether the object's tables exist (`LIVE_DDL` included); the object creates them before a `subscribe`. */
    private readonly ready: () => boolean,
  ) {}

  /** Remembers a socket just accepted (or seen again after hibernation). */
  track(sock: string, ws: WebSocket): void {
    this.sockets.set(sock, ws);
  }

  /** Whether any group may read one of these tables (a group that never ran reads everything). */
  reads(tables: readonly string[]): boolean {
    this.ensureLoaded();
    return [...this.groups.values()].some((g) => !g.tables || tables.some((t) => g.tables!.has(t)));
  }

  private socket(sock: string): WebSocket | undefined {
    let ws = this.sockets.get(sock);
    if (!ws) {
      ws = this.state.getWebSockets(sock)[0];
      if (ws) this.sockets.set(sock, ws);
    }
    return ws;
  }

  /** After hibernation the in-memory groups are gone: rebuild them from `_lunora_subs`. */
  ensureLoaded(): void {
    if (this.loaded) return;
    // No tables yet: nothing was ever subscribed here (subscribe() comes after the object's tables).
    if (!this.ready()) return;
    this.loaded = true;
    const live = new Set(this.state.getWebSockets().map((ws) => (ws.deserializeAttachment() as SocketAttachment | null)?.sock));
    for (const row of this.sql.exec(`SELECT sock, id, path, args, uid FROM _lunora_subs`).toArray()) {
      const sock = String(row["sock"]);
      if (!live.has(sock)) {
        this.sql.exec(`DELETE FROM _lunora_subs WHERE sock = ?`, sock);
        continue;
      }
      const uid = row["uid"] === null ? null : String(row["uid"]);
      this.join(this.group(String(row["path"]), JSON.parse(String(row["args"])) as JsonValue, uid), sock, String(row["id"]));
    }
  }

  private group(path: string, args: JsonValue, uid: string | null): Group {
    const key = `${path}\u0000${JSON.stringify(args)}\u0000${uid ?? ""}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { key, path, args, uid, tables: null, reads: null, value: undefined, version: 0, members: new Set() };
      this.groups.set(key, g);
    }
    return g;
  }

  private join(g: Group, sock: string, id: string): void {
    g.members.add(`${sock}\u0000${id}`);
    let subs = this.bySocket.get(sock);
    if (!subs) {
      subs = new Map();
      this.bySocket.set(sock, subs);
    }
    subs.set(id, g);
  }

  /** Removes one subscription of a socket, or all of them (`id` null): work in its own subscriptions only. */
  leave(sock: string, id: string | null): void {
    const subs = this.bySocket.get(sock);
    for (const [subId, g] of subs ? [...subs] : []) {
      if (id !== null && subId !== id) continue;
      g.members.delete(`${sock}\u0000${subId}`);
      subs!.delete(subId);
      if (g.members.size === 0 && this.groups.get(g.key) === g) this.groups.delete(g.key);
    }
    if (subs && subs.size === 0) this.bySocket.delete(sock);
    if (id === null) {
      this.sockets.delete(sock);
      this.expiries.delete(sock);
    }
    if (!this.ready()) return;
    if (id === null) this.sql.exec(`DELETE FROM _lunora_subs WHERE sock = ?`, sock);
    else this.sql.exec(`DELETE FROM _lunora_subs WHERE sock = ? AND id = ?`, sock, id);
  }

  send(sock: string, message: ServerMessage | string): void {
    const ws = this.socket(sock);
    if (!ws) return;
    // Nothing more for an identity past its expiry (webSocketClose then removes its subscriptions).
    let exp = this.expiries.get(sock);
    if (exp === undefined) {
      exp = (ws.deserializeAttachment() as SocketAttachment | null)?.exp ?? null;
      this.expiries.set(sock, exp);
    }
    if (closeIfExpired(ws, exp)) return;
    try {
      ws.send(typeof message === "string" ? message : JSON.stringify(message));
    } catch {
      // closed under us: webSocketClose cleans up
    }
  }

  /**
   * Re-runs every group that the writes may change (`touches`: a written document in a range or
   * by id it read, or a table it read written by unknown documents) and sends deltas, in commit
   * order; the others cost one range check each. Never throws.
   */
  async afterCommit(written: WriteSet): Promise<void> {
    this.ensureLoaded();
    for (const g of this.groups.values()) {
      if (g.reads && !touches(g.reads, written)) continue;
      const fn = this.wiring.functions[g.path];
      if (!fn) continue;
      let result: LiveResult;
      try {
        this.runs++;
        result = await this.run(fn, validatedArgs(fn, g.path, g.args), g.uid);
      } catch (error) {
        const { code, message } = toWireError(error);
        for (const m of g.members) {
          const [sock, id] = m.split("\u0000") as [string, string];
          this.send(sock, { t: "error", id, error: { code, message } });
        }
        continue;
      }
      g.tables = result.tables;
      g.reads = result.reads;
      if (g.value === undefined) {
        // No base in memory (after hibernation): send the whole result.
        g.value = result.value;
        g.version = this.version();
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
      g.version = this.version();
      const payload = JSON.stringify(delta);
      for (const m of g.members) {
        const [sock, id] = m.split("\u0000") as [string, string];
        this.send(sock, `{"t":"delta","id":${JSON.stringify(id)},"from":${from},"version":${g.version},"delta":${payload}}`);
      }
    }
  }

  /** A `sub` message: (re)subscribes `id` of a socket and sends the current result. */
  async subscribe(att: SocketAttachment, id: string, path: unknown, rawArgs: unknown): Promise<void> {
    this.ensureLoaded();
    try {
      if (typeof path !== "string") throw new LunoraRuntimeError("bad_request", "missing function path");
      const fn = publicFunction(this.wiring, path);
      if (fn.kind !== "query") throw new LunoraRuntimeError("bad_request", `${path} is not a query`);
      const args = validatedArgs(fn, path, rawArgs);
      // The route is recomputed from the validated args: a subscription for another object is refused.
      this.checkRoute(fn, args);
      this.leave(att.sock, id);
      const held = Number(this.sql.exec(`SELECT count(*) AS n FROM _lunora_subs WHERE sock = ?`, att.sock).toArray()[0]?.["n"] ?? 0);
      if (held >= this.limits.subscriptionsPerSocket) {
        throw new LunoraRuntimeError("too_many", `a socket holds at most ${this.limits.subscriptionsPerSocket} subscriptions`);
      }
      const all = Number(this.sql.exec(`SELECT count(*) AS n FROM _lunora_subs`).toArray()[0]?.["n"] ?? 0);
      if (all >= this.limits.subscriptionsPerObject) {
        throw new LunoraRuntimeError("too_many", `this object holds at most ${this.limits.subscriptionsPerObject} subscriptions`);
      }
      // The canonical wire form of the *decoded* args (re-runs decode it again): `rawArgs` is
      // already in wire form, and encoding it again would turn `{"$int64":"5"}` into an object.
      const encodedArgs = encodeValue(args);
      const g = this.group(path, encodedArgs, att.uid);
      let failure: unknown = null;
      if (g.value === undefined) {
        try {
          this.runs++;
          const result = await this.run(fn, args, att.uid);
          g.value = result.value;
          g.tables = result.tables;
          g.reads = result.reads;
          g.version = this.version();
        } catch (error) {
          // The query itself failed (it threw, a read limit): the subscription is kept, so a
          // later commit re-runs it (a group that never ran reads everything) and the client
          // gets a result once it succeeds. Refused subscriptions (above) are not kept.
          failure = error;
        }
      }
      this.join(g, att.sock, id);
      this.sql.exec(
        `INSERT OR REPLACE INTO _lunora_subs (sock, id, path, args, uid) VALUES (?, ?, ?, ?, ?)`,
        att.sock,
        id,
        path,
        JSON.stringify(encodedArgs),
        att.uid,
      );
      if (failure !== null || g.value === undefined) {
        const { code, message } = toWireError(failure);
        this.send(att.sock, { t: "error", id, error: { code, message } });
        return;
      }
      this.send(att.sock, { t: "result", id, version: g.version, value: g.value });
    } catch (error) {
      const { code, message } = toWireError(error);
      this.send(att.sock, { t: "error", id, error: { code, message } });
    }
  }
}
