// The framework-free Lunora client: HTTP calls, guest auth, live queries over one WebSocket per
// Durable Object, reconnect with backoff and delta application.

import { decodeValue, encodeValue, type JsonValue } from "./codec.js";
import { applyDelta } from "./delta.js";
import { OptimisticLayer, queryKey, type OptimisticUpdate } from "./optimistic.js";
import { authProtocol, PING, PONG, WS_PROTOCOL, type CallReply, type CallRequest, type ClientMessage, type Commit, type ServerMessage } from "./protocol.js";
import type { ArgsOf, FunctionRef, ReturnOf } from "./refs.js";

export type { ArgsOf, FunctionKind, FunctionRef, ReturnOf } from "./refs.js";

/** Server-reported error, with the wire code (`bad_args`, `unauthorized`, `not_found`, ...). */
export class LunoraError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "LunoraError";
    this.code = code;
  }
}

export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: any }) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
}

/** Options of one mutation call. */
export interface MutationOptions<Args> {
  /**
   * Edits the local results of live queries at once (`localStore.setQuery(...)`); the edit is
   * shown until the server's results include the mutation, and rolled back if it fails.
   */
  optimisticUpdate?: OptimisticUpdate<Args> | undefined;
}

export interface ClientOptions {
  /** "guest" (default): obtain a signed guest identity on first use and keep it; "none": anonymous;
   * or a function returning a token (e.g. a JWT from your identity provider). */
  auth?: "guest" | "none" | (() => Promise<string | null>);
  /** Where the guest token is kept; defaults to `localStorage` when present. */
  storage?: TokenStorage | null;
  /** WebSocket constructor; defaults to the global one (Node 20 needs the `ws` package). */
  WebSocket?: new (url: string, protocols?: string[]) => WebSocketLike;
  fetch?: typeof fetch;
  /** Reconnect backoff bounds in milliseconds. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * The heartbeat: a socket quiet for `heartbeatMs` (default 5,000) is pinged, and one that then
   * stays silent for `heartbeatTimeoutMs` more (default 5,000) is taken for half-open (a laptop
   * that slept, a dropped NAT entry) and replaced. The server answers without waking its object.
   */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
}

const TOKEN_KEY = "lunora:token";

/** Close code the server uses when a socket's identity expired (`@lunora/runtime` live.ts). */
const CLOSE_IDENTITY_EXPIRED = 4001;

/** Server verdicts that mean "not applied, try again" (a mutation is then sent again, same id). */
const RETRYABLE_CODES = new Set(["unavailable"]);

function randomClientId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Where a live query stands: `loading` until its first result (and again after the identity
 * changes), `success` with its current result, or `error` with the server's verdict (the query
 * threw, its args were refused, a limit was hit). An `error` becomes `success` again when a later
 * run succeeds. The object keeps its identity until the state changes.
 */
export type QueryState<T = unknown> =
  | { readonly status: "loading"; readonly data: undefined; readonly error: undefined }
  | { readonly status: "success"; readonly data: T; readonly error: undefined }
  | { readonly status: "error"; readonly data: undefined; readonly error: LunoraError };

/**
 * The client's sockets: `connected` when every socket its live queries need is open (or none is
 * needed), `reconnecting` while one is not (`attempt`: failed attempts so far, 0 while the first
 * one is under way), `offline` while the browser says it has no network.
 */
export type ConnectionState =
  | { readonly status: "connected" }
  | { readonly status: "reconnecting"; readonly attempt: number }
  | { readonly status: "offline" };

const LOADING: QueryState<never> = Object.freeze({ status: "loading", data: undefined, error: undefined });

type Listener = {
  onValue?: ((value: unknown) => void) | undefined;
  onError?: ((error: LunoraError) => void) | undefined;
  /** Any change of the state (also back to `loading`). */
  onState?: (() => void) | undefined;
};

interface Subscription {
  id: string;
  key: string;
  path: string;
  args: JsonValue;
  object: string | null;
  version: number | null;
  value: JsonValue | undefined;
  /** What the server says (its result, its error, or loading), at `serverVersion`. */
  server: QueryState;
  serverVersion: number | null;
  /** A newer server result held back while an optimistic update waits for its reply (`holds`). */
  held: { state: QueryState; version: number | null } | null;
  /** What is shown: `server`, or an optimistic value while a mutation is pending. */
  state: QueryState;
  listeners: Set<Listener>;
}

interface Connection {
  object: string;
  ws: WebSocketLike | null;
  subs: Map<string, Subscription>;
  attempts: number;
  timer: ReturnType<typeof setTimeout> | null;
  /** Pending `sync`s by id (resolved by `synced`, or when the socket closes). */
  syncs: Map<string, () => void>;
  /** The heartbeat's one timer: when the socket may be due a ping, or the deadline of its pong. */
  beat: ReturnType<typeof setTimeout> | null;
  /** When the socket last delivered anything (ms). */
  heardAt: number;
  /** A ping went out and nothing has arrived since. */
  pinged: boolean;
}

export class LunoraClient {
  readonly url: string;
  private options: ClientOptions;
  private readonly storage: TokenStorage | null;
  private token: string | null = null;
  private tokenPromise: Promise<string | null> | null = null;
  private readonly subs = new Map<string, Subscription>();
  private readonly connections = new Map<string, Connection>();
  private nextId = 1;
  private closed = false;
  private readonly optimistic = new OptimisticLayer();
  /** Mutation ids are `<clientId>:<seq>`: the server applies each once (docs/ARCHITECTURE.md). */
  private readonly clientId = randomClientId();
  private mutationSeq = 0;
  private nextSync = 1;
  /** Mutations are sent one at a time, in the order issued: they commit in that order. */
  private mutationQueue: Promise<unknown> = Promise.resolve();

  private connState: ConnectionState = { status: "connected" };
  private readonly connListeners = new Set<() => void>();
  private readonly unlisten: (() => void)[] = [];

  constructor(url: string, options: ClientOptions = {}) {
    this.url = url.replace(/\/$/, "");
    this.options = options;
    const globalStorage = (globalThis as { localStorage?: TokenStorage }).localStorage;
    this.storage = options.storage !== undefined ? options.storage : (globalStorage ?? null);
    this.token = this.storage?.getItem(TOKEN_KEY) ?? null;
    // In a browser: back online, or the tab visible again (a laptop woke up): reconnect now
    // rather than at the end of the backoff.
    const win = globalThis as { addEventListener?: EventTarget["addEventListener"]; removeEventListener?: EventTarget["removeEventListener"] };
    const doc = (globalThis as { document?: { visibilityState?: string; addEventListener: EventTarget["addEventListener"]; removeEventListener: EventTarget["removeEventListener"] } })
      .document;
    if (typeof win.addEventListener === "function" && typeof win.removeEventListener === "function") {
      const online = () => this.reconnectNow();
      const offline = () => this.updateConnectionState();
      win.addEventListener("online", online);
      win.addEventListener("offline", offline);
      this.unlisten.push(() => {
        win.removeEventListener?.("online", online);
        win.removeEventListener?.("offline", offline);
      });
    }
    if (doc && typeof doc.addEventListener === "function") {
      const visible = () => {
        if (doc.visibilityState === "visible") this.reconnectNow();
      };
      doc.addEventListener("visibilitychange", visible);
      this.unlisten.push(() => doc.removeEventListener("visibilitychange", visible));
    }
  }

  /** The sockets' state (see `ConnectionState`); keeps its identity until it changes. */
  connectionState(): ConnectionState {
    return this.connState;
  }

  /** Calls `onChange` after every change of `connectionState()`; returns the unsubscribe function. */
  watchConnection(onChange: () => void): () => void {
    const listener = () => onChange();
    this.connListeners.add(listener);
    return () => this.connListeners.delete(listener);
  }

  /**
   * Sockets waiting for their backoff to end connect now (called on the browser's `online` event
   * and when the tab becomes visible).
   */
  reconnectNow(): void {
    for (const conn of this.connections.values()) {
      if (conn.ws || !conn.timer) continue;
      clearTimeout(conn.timer);
      conn.timer = null;
      void this.open(conn);
    }
    this.updateConnectionState();
  }

  private updateConnectionState(): void {
    const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
    let next: ConnectionState = { status: "connected" };
    if (nav?.onLine === false) next = { status: "offline" };
    else {
      let attempt = -1;
      for (const conn of this.connections.values()) {
        if (!conn.ws || conn.ws.readyState !== 1) attempt = Math.max(attempt, conn.attempts);
      }
      if (attempt >= 0) next = { status: "reconnecting", attempt };
    }
    const prev = this.connState;
    if (prev.status === next.status && (prev.status !== "reconnecting" || next.status !== "reconnecting" || prev.attempt === next.attempt)) return;
    this.connState = next;
    for (const l of [...this.connListeners]) l();
  }

  private get fetchImpl(): typeof fetch {
    // Called as a method of this object, the browser's `fetch` would throw
    // "Illegal invocation": it must be called with the global as `this`.
    const impl = this.options.fetch ?? globalThis.fetch;
    return (input, init) => impl.call(globalThis, input, init);
  }

  /** The current auth token, obtaining a guest identity first when configured to. */
  async getToken(): Promise<string | null> {
    const auth = this.options.auth ?? "guest";
    if (auth === "none") return null;
    if (typeof auth === "function") return auth();
    if (this.token) return this.token;
    this.tokenPromise ??= (async () => {
      const res = await this.fetchImpl(`${this.url}/api/auth/guest`, { method: "POST" });
      const body = (await res.json()) as { token?: string; error?: { code: string; message: string } };
      if (!res.ok || !body.token) {
        throw new LunoraError(body.error?.code ?? "auth_failed", body.error?.message ?? "guest sign-in failed");
      }
      this.token = body.token;
      this.storage?.setItem(TOKEN_KEY, body.token);
      return body.token;
    })().finally(() => {
      this.tokenPromise = null;
    });
    return this.tokenPromise;
  }

  /**
   * Forgets the identity: the stored guest token is dropped (the next call obtains a new guest),
   * every socket is closed, cached results are dropped and every live query subscribes again
   * under the new identity.
   */
  signOut(): void {
    this.token = null;
    this.storage?.removeItem(TOKEN_KEY);
    this.reconnectAll();
  }

  /** Switches to another auth source (e.g. after sign-in with your identity provider), as `signOut` does. */
  setAuth(auth: ClientOptions["auth"]): void {
    this.options = { ...this.options, auth };
    this.token = auth === "guest" || auth === undefined ? (this.storage?.getItem(TOKEN_KEY) ?? null) : null;
    this.reconnectAll();
  }

  /** Closes every socket and drops its subscriptions' results; each reconnects at once. */
  private reconnectAll(): void {
    for (const conn of this.connections.values()) this.restart(conn);
  }

  private restart(conn: Connection): void {
    const ws = conn.ws;
    conn.ws = null;
    this.stopBeat(conn);
    ws?.close(1000, "identity changed");
    for (const sub of conn.subs.values()) {
      sub.value = undefined;
      sub.version = null;
      // Nothing of the old identity stays on screen: back to loading until the new result.
      sub.server = LOADING;
      sub.serverVersion = null;
      sub.held = null;
      this.show(sub);
    }
    if (conn.timer) {
      clearTimeout(conn.timer);
      conn.timer = null;
    }
    conn.attempts = 0;
    void this.open(conn);
  }

  private async post(endpoint: string, body: CallRequest): Promise<JsonValue> {
    return (await this.postReply(endpoint, body)).value;
  }

  private async postReply(endpoint: string, body: CallRequest): Promise<{ value: JsonValue; commit?: Commit | undefined }> {
    const token = await this.getToken();
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers["authorization"] = `Bearer ${token}`;
    const res = await this.fetchImpl(`${this.url}${endpoint}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    const reply = (await res.json()) as CallReply;
    if (!reply.ok) {
      if (reply.error.code === "unauthenticated" && (this.options.auth ?? "guest") === "guest") this.signOut();
      throw new LunoraError(reply.error.code, reply.error.message);
    }
    return { value: reply.value, commit: reply.commit };
  }

  /** Runs a query or action once over HTTP; a mutation goes through `mutation`. */
  async call<R extends FunctionRef>(ref: R, args?: ArgsOf<R>): Promise<ReturnOf<R>> {
    if (ref.kind === "mutation") return this.mutation(ref as FunctionRef<"mutation">, args) as Promise<ReturnOf<R>>;
    const value = await this.post("/api/call", { path: ref.path, args: encodeValue(args ?? {}) });
    return decodeValue(value) as ReturnOf<R>;
  }

  query<R extends FunctionRef<"query">>(ref: R, args?: ArgsOf<R>): Promise<ReturnOf<R>> {
    return this.call(ref, args);
  }

  /**
   * Runs a mutation exactly once. Mutations of this client are sent one at a time in the order
   * issued, each with its own id; a network failure, a lost reply or a restarted server makes the
   * client send it again with the same id until the server answers, and the server applies it
   * once and answers every copy with the first result. The promise rejects only when the server
   * says the mutation failed (it then did not commit).
   */
  mutation<R extends FunctionRef<"mutation">>(ref: R, args?: ArgsOf<R>, options?: MutationOptions<ArgsOf<R>>): Promise<ReturnOf<R>> {
    const request: CallRequest = { path: ref.path, args: encodeValue(args ?? {}), mutationId: `${this.clientId}:${++this.mutationSeq}` };
    // Shown at once, even while earlier mutations are still in flight.
    const update = options?.optimisticUpdate;
    const handle = update ? this.optimistic.add(update, (args ?? {}) as ArgsOf<R>) : null;
    if (handle) this.reapply();
    const send = () => this.sendMutation(request, handle);
    const result = this.mutationQueue.then(send, send);
    this.mutationQueue = result.catch(() => undefined);
    // Confirmed (the live queries show the server's result) or failed (rolled back): the update goes.
    const settled = handle
      ? result.finally(() => {
          this.optimistic.drop(handle);
          this.reapply();
        })
      : result;
    return settled.then((value) => decodeValue(value) as ReturnOf<R>);
  }

  private async sendMutation(request: CallRequest, optimistic: object | null): Promise<JsonValue> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new LunoraError("closed", "the client was closed before the mutation was confirmed");
      let reply: { value: JsonValue; commit?: Commit | undefined };
      try {
        reply = await this.postReply("/api/call", request);
      } catch (error) {
        if (error instanceof LunoraError && !RETRYABLE_CODES.has(error.code)) throw error;
        const min = this.options.minBackoffMs ?? 100;
        const max = this.options.maxBackoffMs ?? 10_000;
        await new Promise((r) => setTimeout(r, Math.min(max, min * 2 ** Math.min(attempt, 16)) * (0.5 + Math.random() / 2)));
        continue;
      }
      if (optimistic && reply.commit) {
        // Results computed after the commit already show it: the update no longer applies to them.
        this.optimistic.committed(optimistic, reply.commit);
        this.reapply();
      }
      if (reply.commit) await this.synced(reply.commit);
      return reply.value;
    }
  }

  /**
   * Waits until this client's live queries on the object a mutation ran in reflect it: a `sync`
   * on that socket is answered after every update due so far (the object re-runs its live queries
   * after the reply). Code after `await mutation(...)` then never sees the old results there.
   * Resolves at once without subscriptions there, and when the socket closes (it resubscribes).
   */
  private synced(commit: Commit): Promise<void> {
    const conn = this.connections.get(commit.object);
    const ws = conn?.ws;
    if (!conn || !ws || ws.readyState !== 1 || conn.subs.size === 0) return Promise.resolve();
    const id = `sync:${this.nextSync++}`;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        conn.syncs.delete(id);
        resolve();
      };
      const timer = setTimeout(done, 10_000);
      conn.syncs.set(id, done);
      const message: ClientMessage = { t: "sync", id };
      ws.send(JSON.stringify(message));
    });
  }

  action<R extends FunctionRef<"action">>(ref: R, args?: ArgsOf<R>): Promise<ReturnOf<R>> {
    return this.call(ref, args);
  }

  /** The last value a live query delivered, if any (used by React to render synchronously). */
  current<R extends FunctionRef<"query">>(ref: R, args?: ArgsOf<R>): ReturnOf<R> | undefined {
    const state = this.queryState(ref, args);
    return state.status === "success" ? state.data : undefined;
  }

  /** The state of a live query of this client (`loading` when nobody subscribed to it). */
  queryState<R extends FunctionRef<"query">>(ref: R, args?: ArgsOf<R>): QueryState<ReturnOf<R>> {
    const sub = this.subs.get(queryKey(ref.path, encodeValue(args ?? {})));
    return (sub?.state ?? LOADING) as QueryState<ReturnOf<R>>;
  }

  /**
   * Subscribes to a live query's state: `onChange` runs after every change of `queryState(ref,
   * args)` (a result, an error, back to loading when the identity changes). Returns the
   * unsubscribe function; shares the server subscription with `subscribe`.
   */
  watch<R extends FunctionRef<"query">>(ref: R, args: ArgsOf<R> | undefined, onChange: () => void): () => void {
    return this.listen(ref.path, encodeValue(args ?? {}), { onState: onChange });
  }

  /**
   * Subscribes to a live query. `onValue` gets the current result, then every new result after a
   * mutation commits. Returns the unsubscribe function. Identical subscriptions share one server
   * subscription.
   */
  subscribe<R extends FunctionRef<"query">>(
    ref: R,
    args: ArgsOf<R> | undefined,
    onValue: (value: ReturnOf<R>) => void,
    onError?: (error: LunoraError) => void,
  ): () => void {
    return this.listen(ref.path, encodeValue(args ?? {}), { onValue: onValue as (value: unknown) => void, onError });
  }

  private listen(path: string, encodedArgs: JsonValue, listener: Listener): () => void {
    const key = queryKey(path, encodedArgs);
    let sub = this.subs.get(key);
    if (!sub) {
      sub = {
        id: String(this.nextId++),
        key,
        path,
        args: encodedArgs,
        object: null,
        version: null,
        value: undefined,
        server: LOADING,
        serverVersion: null,
        held: null,
        state: LOADING,
        listeners: new Set(),
      };
      this.subs.set(key, sub);
      sub.listeners.add(listener);
      void this.attach(sub);
    } else {
      sub.listeners.add(listener);
      if (sub.state.status === "success") listener.onValue?.(sub.state.data);
      else if (sub.state.status === "error") listener.onError?.(sub.state.error);
    }
    const current = sub;
    return () => {
      current.listeners.delete(listener);
      // Detach on the next tick, so an immediate re-subscribe (React StrictMode) reuses the result.
      if (current.listeners.size === 0) {
        setTimeout(() => {
          if (current.listeners.size === 0 && this.subs.get(current.key) === current) this.detach(current);
        }, 0);
      }
    };
  }

  private async attach(sub: Subscription): Promise<void> {
    try {
      const resolved = (await this.post("/api/resolve", { path: sub.path, args: sub.args })) as { object: string };
      if (this.subs.get(sub.key) !== sub) return;
      sub.object = resolved.object;
      const conn = this.connection(resolved.object);
      conn.subs.set(sub.id, sub);
      if (conn.ws && conn.ws.readyState === 1) this.sendSub(conn, sub);
    } catch (error) {
      this.fail(sub, error);
      // A network failure (not a server verdict such as bad_args): try again later.
      if (!(error instanceof LunoraError) && !this.closed) {
        setTimeout(() => {
          if (this.subs.get(sub.key) === sub && sub.object === null) void this.attach(sub);
        }, this.options.maxBackoffMs ?? 1000);
      }
    }
  }

  private detach(sub: Subscription): void {
    this.subs.delete(sub.key);
    if (!sub.object) return;
    const conn = this.connections.get(sub.object);
    if (!conn) return;
    conn.subs.delete(sub.id);
    const unsub: ClientMessage = { t: "unsub", id: sub.id };
    if (conn.ws && conn.ws.readyState === 1) conn.ws.send(JSON.stringify(unsub));
    if (conn.subs.size === 0) {
      this.connections.delete(conn.object);
      if (conn.timer) clearTimeout(conn.timer);
      this.stopBeat(conn);
      conn.ws?.close(1000, "no subscriptions");
      conn.ws = null;
      this.updateConnectionState();
    }
  }

  /**
   * A failed run or subscription. A server verdict (a `LunoraError`) puts the query in `error`
   * (the last result stays as the base of later deltas); a network failure leaves the state as it
   * is (the client tries again) and is only reported to `onError` listeners.
   */
  private fail(sub: Subscription, error: unknown): void {
    const err = error instanceof LunoraError ? error : new LunoraError("network", String(error));
    if (error instanceof LunoraError) {
      const prev = sub.server;
      // The same verdict again (each commit re-runs a failing query) keeps the state's identity.
      if (!(prev.status === "error" && prev.error.code === err.code && prev.error.message === err.message)) {
        sub.server = { status: "error", data: undefined, error: err };
        sub.held = null;
        this.show(sub);
      }
    }
    for (const l of sub.listeners) l.onError?.(err);
  }

  /** Shows the server state of `sub`, or (with optimistic updates pending) recomputes every query. */
  private show(sub: Subscription): void {
    if (this.optimistic.empty) this.display(sub, sub.server);
    else this.reapply();
  }

  /** Every query's shown state: its server state with the pending optimistic updates applied. */
  private reapply(): void {
    // Results held back for updates that have their reply now are shown.
    for (const sub of this.subs.values()) {
      if (sub.held && !this.optimistic.holds(sub.key)) {
        sub.server = sub.held.state;
        sub.serverVersion = sub.held.version;
        sub.held = null;
      }
    }
    const shown = this.optimistic.apply(
      [...this.subs.values()].map((s) => ({ key: s.key, path: s.path, args: s.args, object: s.object, version: s.serverVersion, value: s.server.data })),
      (error) => console.error("lunora: an optimistic update threw; it is skipped", error),
    );
    for (const sub of this.subs.values()) {
      if (!shown.has(sub.key)) {
        this.display(sub, sub.server);
        continue;
      }
      const value = shown.get(sub.key);
      if (value === undefined) this.display(sub, LOADING);
      else if (sub.server.status === "success" && sub.server.data === value) this.display(sub, sub.server);
      else if (!(sub.state.status === "success" && sub.state.data === value)) this.display(sub, { status: "success", data: value, error: undefined });
    }
  }

  /** Shows `state` for `sub` and tells its listeners, if it changed. */
  private display(sub: Subscription, state: QueryState): void {
    if (sub.state === state) return;
    sub.state = state;
    for (const l of sub.listeners) {
      if (state.status === "success") l.onValue?.(state.data);
      l.onState?.();
    }
  }

  private connection(object: string): Connection {
    let conn = this.connections.get(object);
    if (!conn) {
      conn = { object, ws: null, subs: new Map(), attempts: 0, timer: null, syncs: new Map(), beat: null, heardAt: 0, pinged: false };
      this.connections.set(object, conn);
      void this.open(conn);
    }
    return conn;
  }

  private async open(conn: Connection): Promise<void> {
    if (this.closed || this.connections.get(conn.object) !== conn) return;
    let token: string | null = null;
    try {
      token = await this.getToken();
    } catch {
      this.scheduleReconnect(conn);
      return;
    }
    const Ctor =
      this.options.WebSocket ?? (globalThis as unknown as { WebSocket?: new (url: string, protocols?: string[]) => WebSocketLike }).WebSocket;
    if (!Ctor) throw new Error("no WebSocket implementation: pass options.WebSocket");
    // The token goes in the subprotocol header, never in the URL.
    const wsUrl = `${this.url.replace(/^http/, "ws")}/api/ws?object=${encodeURIComponent(conn.object)}`;
    const ws = new Ctor(wsUrl, token ? [WS_PROTOCOL, authProtocol(token)] : [WS_PROTOCOL]);
    conn.ws = ws;
    this.updateConnectionState();
    ws.onopen = () => {
      if (conn.ws !== ws) return;
      this.heard(conn);
      conn.attempts = 0;
      for (const sub of conn.subs.values()) this.sendSub(conn, sub);
      this.updateConnectionState();
    };
    // A socket replaced by another (identity changed) may still deliver: its results are dropped.
    ws.onmessage = (event) => {
      if (conn.ws !== ws) return;
      this.heard(conn);
      const data = String(event.data);
      if (data !== PONG) this.onMessage(conn, data);
    };
    ws.onerror = () => {};
    ws.onclose = (event: { code?: number }) => this.socketClosed(conn, ws, event?.code);
  }

  /**
   * `ws` of `conn` closed (or was abandoned): pending syncs resolve, and the connection
   * reconnects, or starts again under a new identity after the server ended an expired one.
   */
  private socketClosed(conn: Connection, ws: WebSocketLike, code: number | undefined): void {
    for (const done of [...conn.syncs.values()]) done();
    if (conn.ws !== ws) return;
    conn.ws = null;
    this.stopBeat(conn);
    if (code === CLOSE_IDENTITY_EXPIRED) {
      // The server ended an expired identity: a guest signs in anew, a token function is asked
      // again; results of the old identity are dropped.
      if ((this.options.auth ?? "guest") === "guest") {
        this.token = null;
        this.storage?.removeItem(TOKEN_KEY);
      }
      this.restart(conn);
      return;
    }
    this.scheduleReconnect(conn);
  }

  /**
   * The socket of `conn` delivered something: it is alive. Only a time is noted (this runs for
   * every message); the one heartbeat timer checks it when it fires.
   */
  private heard(conn: Connection): void {
    conn.heardAt = Date.now();
    if (conn.pinged) {
      // The answer to a ping: the pending timer is its deadline; the next ping is due after the
      // usual quiet period.
      conn.pinged = false;
      this.stopBeat(conn);
    }
    if (!conn.beat) this.armBeat(conn, this.options.heartbeatMs ?? 5_000);
  }

  private armBeat(conn: Connection, delay: number): void {
    conn.beat = unref(setTimeout(() => this.beat(conn), delay));
  }

  /**
   * The heartbeat timer fired: a ping without an answer since means the socket is half-open (its
   * close would wait for a peer that is gone), and it is abandoned as if it had closed (a new one
   * connects, its subscriptions resume); a socket quiet for `heartbeatMs` is pinged; otherwise
   * the timer waits for the rest of the quiet period.
   */
  private beat(conn: Connection): void {
    conn.beat = null;
    const ws = conn.ws;
    if (!ws || ws.readyState !== 1) return;
    if (conn.pinged) {
      try {
        ws.close(4002, "no heartbeat");
      } catch {
        // already closing
      }
      this.socketClosed(conn, ws, 4002);
      return;
    }
    const every = this.options.heartbeatMs ?? 5_000;
    const quiet = Date.now() - conn.heardAt;
    if (quiet < every) {
      this.armBeat(conn, every - quiet);
      return;
    }
    try {
      ws.send(PING);
    } catch {
      // failing: onclose follows
    }
    conn.pinged = true;
    this.armBeat(conn, this.options.heartbeatTimeoutMs ?? 5_000);
  }

  private stopBeat(conn: Connection): void {
    if (conn.beat) clearTimeout(conn.beat);
    conn.beat = null;
  }

  private scheduleReconnect(conn: Connection): void {
    if (this.closed || this.connections.get(conn.object) !== conn || conn.timer) return;
    const min = this.options.minBackoffMs ?? 100;
    const max = this.options.maxBackoffMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** conn.attempts) * (0.5 + Math.random() / 2);
    conn.attempts++;
    conn.timer = setTimeout(() => {
      conn.timer = null;
      void this.open(conn);
    }, delay);
    this.updateConnectionState();
  }

  private sendSub(conn: Connection, sub: Subscription): void {
    const message: ClientMessage = { t: "sub", id: sub.id, path: sub.path, args: sub.args };
    conn.ws?.send(JSON.stringify(message));
  }

  private onMessage(conn: Connection, data: string): void {
    const msg = JSON.parse(data) as ServerMessage;
    if (msg.id === null) return; // about a message the server could not read
    if (msg.t === "synced") {
      conn.syncs.get(msg.id)?.();
      return;
    }
    const sub = conn.subs.get(msg.id);
    if (!sub) return;
    if (msg.t === "error") {
      this.fail(sub, new LunoraError(msg.error.code, msg.error.message));
      return;
    }
    if (msg.t === "result") {
      sub.value = msg.value;
      sub.version = msg.version;
    } else {
      if (sub.version !== msg.from || sub.value === undefined) {
        // A gap: ask for a fresh result rather than apply a delta to the wrong base.
        sub.version = null;
        sub.value = undefined;
        this.sendSub(conn, sub);
        return;
      }
      sub.value = applyDelta(sub.value, msg.delta);
      sub.version = msg.version;
    }
    const state: QueryState = { status: "success", data: decodeValue(sub.value), error: undefined };
    if (this.optimistic.holds(sub.key)) {
      sub.held = { state, version: sub.version };
      return;
    }
    sub.server = state;
    sub.serverVersion = sub.version;
    sub.held = null;
    this.show(sub);
  }

  /** Closes every WebSocket; the client cannot be used for subscriptions afterwards. */
  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) {
      if (conn.timer) clearTimeout(conn.timer);
      this.stopBeat(conn);
      const ws = conn.ws;
      conn.ws = null;
      ws?.close(1000, "client closed");
    }
    this.connections.clear();
    this.subs.clear();
    for (const stop of this.unlisten.splice(0)) stop();
    this.updateConnectionState();
  }

  /** Test hook: drops every WebSocket as a network failure would (the client reconnects). */
  dropConnections(): void {
    for (const conn of this.connections.values()) conn.ws?.close(4000, "dropped");
  }
}

/** A timer that does not keep Node alive by itself (browsers have no `unref`). */
function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

