// createWorker(wiring): the Worker entry (HTTP RPC, auth, WebSocket upgrade) and the Durable Object
// class (object.ts). The wire protocol is documented in docs/ARCHITECTURE.md ("Wire protocol").

import type { DurableObject } from "cloudflare:workers";
import { decodeValue, encodeValue, tokenFromProtocols, type CallReply, type Commit, type JsonValue } from "@lunora/client";
import { authAudience, authenticate, createGuest, functionAuth, type Identity, type TokenVerifier } from "./auth.js";
import { runCrons } from "./crons.js";
import { bearer, errorResponse, json, readCallBody } from "./http.js";
import { isLunoraPath, serveHttpAction } from "./httpRoutes.js";
import { createShardClass } from "./object.js";
import { actionScheduler } from "./scheduler.js";
import { familyOf, objectName, publicFunction, ROOT, validatedArgs } from "./routing.js";
import { identityTable } from "./storage/fields.js";
import { bucket, checkUploadToken, fileMetadata, fileUrl, isStorageId, readCapped, storeFile, STORAGE_PREFIX, uploadUrl, type FileRow, type UploadToken } from "./files.js";
import { DEFAULT_LIMITS, LunoraRuntimeError, type Limits, type Wiring, type WiringFunction } from "./types.js";

export { objectName } from "./routing.js";
export { MAX_MESSAGE_BYTES, MAX_SUBSCRIPTIONS_PER_SOCKET } from "./http.js";

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
  /** Name of the R2 binding of file storage (default `STORAGE`). */
  storageBinding?: string;
  /** Value of the CORS `Access-Control-Allow-Origin` header (default `*`). */
  corsOrigin?: string;
  /**
   * Serve the Durable Objects' test hooks (`/debug`, `/debug/abort`, `/debug/fault`, reachable only
   * through a stub, never from the internet). Off by default; for tests.
   */
  testHooks?: boolean;
  /** What one client may cost; see `Limits` for each and its default. */
  limits?: Partial<Limits>;
  /**
   * A Workers Rate Limiting binding (its name in `wrangler.jsonc`'s `ratelimits`) that limits guest
   * sign-ins per client address; without one, root counts them (`limits.guestSignInsPerMinute`).
   */
  guestRateLimitBinding?: string;
}

type Env = Record<string, unknown>;

/** What `createWorker` returns: export `worker` as default and `Shard` as the DO class. */
export interface LunoraWorker {
  worker: {
    fetch(request: Request, env: any): Promise<Response>;
    /** Cloudflare Cron Triggers: runs `lunora/crons.ts`'s jobs for `controller.cron`. */
    scheduled(controller: { readonly cron: string; readonly scheduledTime: number }, env: any, ctx?: unknown): Promise<void>;
  };
  Shard: new (state: DurableObjectState, env: any) => DurableObject;
}

export function createWorker(wiring: Wiring, options: WorkerOptions = {}): LunoraWorker {
  const shardBinding = options.shardBinding ?? "LUNORA_SHARD";
  const d1Binding = options.d1Binding ?? "DB";
  const storageBinding = options.storageBinding ?? "STORAGE";
  /** The origin requests reach this Worker on (file URLs are absolute on it). */
  let origin = "";
  const cors = options.corsOrigin ?? "*";
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  /** Where guests and verified subjects live (`users`, or `_identities` when the app owns `users`). */
  const identities = identityTable(wiring);

  /** The client's address as Cloudflare reports it. */
  function address(request: Request): string {
    return request.headers.get("cf-connecting-ip") ?? request.headers.get("x-real-ip") ?? "unknown";
  }

  /** Guest sign-ins per address per minute, before anything is written or woken. */
  async function limitGuests(env: Env, request: Request): Promise<void> {
    const key = `guest:${address(request)}`;
    const binding = options.guestRateLimitBinding ? (env[options.guestRateLimitBinding] as RateLimit | undefined) : undefined;
    let allowed: boolean;
    let retryAfterMs = 60_000;
    if (binding) allowed = (await binding.limit({ key })).success;
    else {
      const res = await stub(env, ROOT).fetch("https://lunora.internal/limit", {
        method: "POST",
        headers: { "x-lunora-object": ROOT, "content-type": "application/json" },
        body: JSON.stringify({ key, limit: limits.guestSignInsPerMinute, windowMs: 60_000 }),
      });
      const reply = (await res.json()) as { ok: boolean; value?: { allowed: boolean; retryAfterMs: number } };
      allowed = reply.ok && reply.value?.allowed === true;
      retryAfterMs = reply.value?.retryAfterMs ?? retryAfterMs;
    }
    if (!allowed) {
      throw new LunoraRuntimeError(
        "rate_limited",
        `too many guest sign-ins from this address: at most ${limits.guestSignInsPerMinute} a minute; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
        429,
      );
    }
  }
  const shardFamilies = new Set(
    Object.values(wiring.tables).flatMap((t) => (typeof t.placement === "object" ? [t.placement.shardBy] : [])),
  );
  /**
   * The Worker itself wrote `users` (a new guest, or a verified subject seen for the first time):
   * tell root, as a mutation in a shard object would, so live queries on `users` re-run.
   */
  function usersWritten(env: Env): () => Promise<void> {
    return async () => {
      // The row is written: telling root must not fail the request (retried a few times).
      for (let attempt = 1; attempt <= 4; attempt++) {
        try {
          const res = await stub(env, ROOT).fetch("https://lunora.internal/invalidate", {
            method: "POST",
            headers: { "x-lunora-object": ROOT },
            body: JSON.stringify({ tables: [identities] }),
          });
          await res.body?.cancel();
          if (res.ok) return;
        } catch (error) {
          if (attempt === 4) console.error(`lunora: telling root about a new user failed: ${String(error)}`);
        }
        await new Promise((r) => setTimeout(r, 25 * attempt));
      }
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

  /**
   * Runs a call wherever its route says; used by the Worker and by actions. When the object does
   * not answer (restarted mid-call, connection lost), a query, or a mutation with a client's
   * mutation id (applied once however often it is sent), is sent again.
   */
  async function dispatch(
    env: Env,
    path: string,
    rawArgs: unknown,
    identity: Identity | null,
    internal: boolean,
    mutationId?: unknown,
  ): Promise<{ value: JsonValue; commit?: Commit }> {
    const fn = publicFunction(wiring, path, internal);
    const args = validatedArgs(fn, path, rawArgs);
    const name = objectName(fn.route, args);
    if (name === null) return { value: await runAction(env, fn, args, identity) };
    const body = JSON.stringify({ path, args: rawArgs ?? {}, uid: identity?.userId ?? null, internal, mutationId: fn.kind === "mutation" ? mutationId : undefined });
    const resend = fn.kind === "query" || (fn.kind === "mutation" && typeof mutationId === "string");
    let res: Response | null = null;
    for (let attempt = 1; res === null; attempt++) {
      try {
        res = await stub(env, name).fetch("https://lunora.internal/call", {
          method: "POST",
          headers: { "x-lunora-object": name, "content-type": "application/json", "x-lunora-origin": origin },
          body,
        });
      } catch (error) {
        if (!resend || attempt >= 4) {
          throw new LunoraRuntimeError("unavailable", `the object "${name}" did not answer: ${String((error as Error)?.message ?? error)}`, 503);
        }
        await new Promise((r) => setTimeout(r, 25 * attempt));
      }
    }
    const reply = (await res.json()) as CallReply;
    if (!reply.ok) throw new LunoraRuntimeError(reply.error.code, reply.error.message, res.status);
    return reply.commit ? { value: reply.value, commit: reply.commit } : { value: reply.value };
  }

  async function runAction(env: Env, fn: WiringFunction, args: Record<string, unknown>, identity: Identity | null): Promise<JsonValue> {
    if (fn.kind !== "action") throw new LunoraRuntimeError("misconfigured", "only actions run in the Worker", 500);
    return encodeValue(await fn.fn.handler({ ctx: actionCtx(env, identity), args }));
  }

  /** An action's ctx (also an HTTP action's): calls run as `identity`, and may reach internal functions. */
  function actionCtx(env: Env, identity: Identity | null) {
    return {
      auth: functionAuth(identity?.userId ?? null, async () => (identity ? { subject: identity.subject } : null)),
      runQuery: async (ref: { path: string }, a?: unknown) => decodeValue((await dispatch(env, ref.path, encodeValue(a ?? {}), identity, true)).value),
      runMutation: async (ref: { path: string }, a?: unknown) =>
        decodeValue((await dispatch(env, ref.path, encodeValue(a ?? {}), identity, true)).value),
      runAction: async (ref: { path: string }, a?: unknown) => decodeValue((await dispatch(env, ref.path, encodeValue(a ?? {}), identity, true)).value),
      // An action's jobs live in root (docs/ARCHITECTURE.md, "Scheduled functions").
      scheduler: actionScheduler((route, body) => rootCall(env, route, body)),
      storage: {
        getUrl: async (id: unknown) => ((await fileRow(env, id)) ? fileUrl(origin, String(id)) : null),
        getMetadata: async (id: unknown) => {
          const row = await fileRow(env, id);
          return row ? fileMetadata(row) : null;
        },
        generateUploadUrl: () => uploadUrl(env, origin),
        delete: async (id: unknown) => {
          if (!(await rootCall(env, "/storage/delete", { id }))) throw new LunoraRuntimeError("not_found", `no stored file ${JSON.stringify(id)}`, 404);
        },
        store: async (blob: Blob) => {
          if (!(blob instanceof Blob)) throw new LunoraRuntimeError("bad_request", "`ctx.storage.store` takes a Blob");
          const bytes = await readCapped(blob.stream(), String(blob.size));
          return storeFile(bucket(env, storageBinding), bytes, blob.type || null, (row) => commitFile(env, row));
        },
        get: async (id: unknown) => {
          const row = await fileRow(env, id);
          if (!row) return null;
          const object = await bucket(env, storageBinding).get(row.id);
          if (!object) return null;
          return new Blob([await object.arrayBuffer()], row.contentType ? { type: row.contentType } : {});
        },
      },
    };
  }

  async function fileRow(env: Env, id: unknown): Promise<FileRow | null> {
    if (!isStorageId(id)) return null;
    return (await rootCall(env, "/storage/meta", { id })) as FileRow | null;
  }

  /** Root commits the file's row (and, for an upload, spends its token in the same transaction). */
  async function commitFile(env: Env, row: FileRow, upload?: UploadToken): Promise<void> {
    await rootCall(env, "/storage/commit", { row, upload });
  }

  /** `/api/storage/upload?token=` (POST, the body is the file) and `/api/storage/<id>` (GET, HEAD). */
  async function serveStorage(env: Env, request: Request, url: URL): Promise<Response> {
    const rest = url.pathname.slice(STORAGE_PREFIX.length);
    if (rest === "upload") {
      if (request.method !== "POST") throw new LunoraRuntimeError("bad_request", "upload with POST", 405);
      const token = await checkUploadToken(env, url.searchParams.get("token"));
      const bytes = await readCapped(request.body, request.headers.get("content-length"));
      const type = request.headers.get("content-type");
      const storageId = await storeFile(bucket(env, storageBinding), bytes, type || null, (row) => commitFile(env, row, token));
      return json({ storageId }, 200, cors);
    }
    if (request.method !== "GET" && request.method !== "HEAD") throw new LunoraRuntimeError("bad_request", "files are read with GET", 405);
    const row = await fileRow(env, decodeURIComponent(rest));
    const object = row ? await bucket(env, storageBinding).get(row.id) : null;
    if (!row || !object) throw new LunoraRuntimeError("not_found", "no such file", 404);
    const headers: Record<string, string> = {
      "content-length": String(row.size),
      "access-control-allow-origin": cors,
      "x-content-type-options": "nosniff",
      etag: `"${row.sha256}"`,
      "cache-control": "private, max-age=31536000, immutable",
    };
    if (row.contentType) headers["content-type"] = row.contentType;
    if (request.method === "HEAD") {
      await object.body.cancel();
      return new Response(null, { headers });
    }
    return new Response(object.body, { headers });
  }

  /** An HTTP action's identity: its bearer token's, or anonymous (also for a token that is not Lunora's, e.g. a webhook's). */
  async function httpIdentity(env: Env, request: Request): Promise<Identity | null> {
    try {
      return await authenticate(env, bearer(request), options.verifyToken, usersWritten(env), options.guestAuth !== false, authAudience(env, request), identities);
    } catch (error) {
      if (error instanceof LunoraRuntimeError && error.code === "unauthenticated") return null;
      throw error;
    }
  }

  /** A call to one of root's internal routes (`/schedule`, `/cancel`). */
  async function rootCall(env: Env, route: string, body: unknown): Promise<JsonValue> {
    const res = await stub(env, ROOT).fetch(`https://lunora.internal${route}`, {
      method: "POST",
      headers: { "x-lunora-object": ROOT, "content-type": "application/json", "x-lunora-origin": origin },
      body: JSON.stringify(body),
    });
    const reply = (await res.json()) as CallReply;
    if (!reply.ok) throw new LunoraRuntimeError(reply.error.code, reply.error.message, res.status);
    return reply.value;
  }

  const worker = {
    /** A Cron Trigger fired: its jobs run as internal calls without a user, as actions' calls do. */
    async scheduled(controller: { readonly cron: string; readonly scheduledTime: number }, env: Env): Promise<void> {
      await runCrons(wiring.crons, controller.cron, controller.scheduledTime, (path, args, mutationId) =>
        dispatch(env, path, encodeValue(args), null, true, mutationId),
      );
    },
    async fetch(request: Request, env: Env): Promise<Response> {
      const url = new URL(request.url);
      origin = url.origin;
      // Lunora's own paths (every one under /api/) first, then lunora/http.ts's routes.
      if (!isLunoraPath(url.pathname)) {
        return serveHttpAction(wiring.http, request, async () => actionCtx(env, await httpIdentity(env, request)));
      }
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
        if (url.pathname.startsWith(STORAGE_PREFIX)) return await serveStorage(env, request, url);
        if (url.pathname === "/api/auth/guest" && request.method === "POST") {
          if (options.guestAuth === false) throw new LunoraRuntimeError("not_found", "guest auth is disabled", 404);
          await limitGuests(env, request);
          const guest = await createGuest(env, identities, authAudience(env, request), options.guestTokenTtlMs);
          await usersWritten(env)();
          return json(guest, 200, cors);
        }
        if (url.pathname === "/api/call" && request.method === "POST") {
          const identity = await authenticate(env, bearer(request), options.verifyToken, usersWritten(env), options.guestAuth !== false, authAudience(env, request), identities);
          const body = await readCallBody(request);
          if (typeof body.path !== "string") throw new LunoraRuntimeError("bad_request", "missing function path");
          const reply: CallReply = { ok: true, ...(await dispatch(env, body.path, body.args, identity, false, body.mutationId)) };
          return json(reply, 200, cors);
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
          if (url.searchParams.has("token")) {
            throw new LunoraRuntimeError("bad_request", "the token goes in the Sec-WebSocket-Protocol header (lunora.auth.<base64url>), never in the URL");
          }
          const token = tokenFromProtocols(request.headers.get("sec-websocket-protocol"));
          if (token === undefined) throw new LunoraRuntimeError("unauthenticated", "malformed auth subprotocol", 401);
          const identity = await authenticate(env, token, options.verifyToken, usersWritten(env), options.guestAuth !== false, authAudience(env, request), identities);
          const headers = new Headers(request.headers);
          headers.set("x-lunora-object", object);
          headers.set("x-lunora-origin", origin);
          headers.set("x-lunora-user", identity?.userId ?? "");
          headers.set("x-lunora-addr", address(request));
          headers.set("x-lunora-user-expires", identity?.expiresAt !== undefined ? String(identity.expiresAt) : "");
          return stub(env, object).fetch(new Request("https://lunora.internal/ws", { headers }));
        }
        return json({ ok: false, error: { code: "not_found", message: `no route ${url.pathname}` } }, 404, cors);
      } catch (error) {
        return errorResponse(error, cors);
      }
    },
  };

  return {
    worker,
    Shard: createShardClass(wiring, {
      shardBinding,
      d1Binding,
      storageBinding,
      testHooks: options.testHooks === true,
      limits,
      // A scheduled action runs in the object that owns its job, without a user (as in Convex).
      runAction: (env, fn, args) => runAction(env, fn, args, null),
    }),
  };
}
