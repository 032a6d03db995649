// The wire protocol between `@lunora/client` and `@lunora/runtime`, one module for both sides
// (docs/ARCHITECTURE.md, "Wire protocol"). Values inside are encoded with `encodeValue`.

import type { JsonValue } from "./codec.js";
import type { Delta } from "./delta.js";

/** An error as the server reports it: a documented code and a message. */
export interface WireError {
  code: string;
  message: string;
}

/** `POST /api/call` body. `mutationId` makes a mutation's retries apply once (see ARCHITECTURE). */
export interface CallRequest {
  path: string;
  args: JsonValue;
  mutationId?: string;
}

/**
 * Reply of `POST /api/call` and `POST /api/resolve`. A mutation's reply names the object it ran in
 * and that object's version after it (`commit`): the client's live queries on that object reflect
 * it once the object has answered a `sync` sent after the reply.
 */
export type CallReply = { ok: true; value: JsonValue; commit?: Commit } | { ok: false; error: WireError };

export interface Commit {
  object: string;
  version: number;
}

/** WebSocket messages the client sends. */
export type ClientMessage =
  | { t: "sub"; id: string; path: string; args: JsonValue }
  | { t: "unsub"; id: string }
  /** Answered with `synced` once every update due to this socket's subscriptions has been sent. */
  | { t: "sync"; id: string };

/**
 * WebSocket messages the server sends. An error about a message that could not be read (too
 * large, not JSON, no id) has `id: null`.
 */
export type ServerMessage =
  | { t: "result"; id: string; version: number; value: JsonValue }
  | { t: "delta"; id: string; from: number; version: number; delta: Delta }
  | { t: "error"; id: string | null; error: WireError }
  | { t: "synced"; id: string; version: number };

/**
 * The heartbeat: the client sends `PING` when a socket was quiet for a while and expects `PONG`
 * (or any message) soon after, else it treats the socket as half-open and reconnects. The object
 * answers `PING` through workerd's WebSocket auto-response, without waking from hibernation.
 * Both are exact strings, never parsed as other messages.
 */
export const PING = '{"t":"ping"}';
export const PONG = '{"t":"pong"}';

/**
 * WebSocket subprotocols: `lunora` (the server answers with it) and, when signed in,
 * `lunora.auth.<base64url(token)>`: the token travels in the `Sec-WebSocket-Protocol` header,
 * never in the URL (which ends up in access logs). Browsers cannot set other headers there.
 */
export const WS_PROTOCOL = "lunora";
export const WS_AUTH_PREFIX = "lunora.auth.";

export function authProtocol(token: string): string {
  const bytes = new TextEncoder().encode(token);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return WS_AUTH_PREFIX + btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The token of a `Sec-WebSocket-Protocol` header (null: none; undefined: a malformed one). */
export function tokenFromProtocols(header: string | null): string | null | undefined {
  if (!header) return null;
  const auth = header
    .split(",")
    .map((p) => p.trim())
    .find((p) => p.startsWith(WS_AUTH_PREFIX));
  if (!auth) return null;
  try {
    const bin = atob(auth.slice(WS_AUTH_PREFIX.length).replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))) || undefined;
  } catch {
    return undefined;
  }
}
