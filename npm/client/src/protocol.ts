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

/** Reply of `POST /api/call` and `POST /api/resolve`. */
export type CallReply = { ok: true; value: JsonValue } | { ok: false; error: WireError };

/** WebSocket messages the client sends. */
export type ClientMessage = { t: "sub"; id: string; path: string; args: JsonValue } | { t: "unsub"; id: string };

/**
 * WebSocket messages the server sends. An error about a message that could not be read (too
 * large, not JSON, no id) has `id: null`.
 */
export type ServerMessage =
  | { t: "result"; id: string; version: number; value: JsonValue }
  | { t: "delta"; id: string; from: number; version: number; delta: Delta }
  | { t: "error"; id: string | null; error: WireError };
