// HTTP plumbing shared by the Worker and the Durable Object: JSON replies, wire errors, capped
// request bodies, bearer tokens.

import type { CallReply } from "@lunora/client";
import { DEFAULT_LIMITS, LunoraRuntimeError } from "./types.js";

export function json(body: unknown, status = 200, cors = "*"): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "access-control-allow-origin": cors,
    },
  });
}

export function errorResponse(error: unknown, cors = "*"): Response {
  const { code, message, status } = toWireError(error);
  const reply: CallReply = { ok: false, error: { code, message } };
  return json(reply, status, cors);
}

/** Normalises a thrown value into a wire error. */
export function toWireError(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof LunoraRuntimeError) return { code: error.code, message: error.message, status: error.status };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "function_error", message, status: 400 };
}


/** Largest request body / WebSocket message accepted from a client (bytes). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Most live subscriptions one socket may hold by default (each is a stored row; `limits`). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = DEFAULT_LIMITS.subscriptionsPerSocket;

export function tooLarge(size: number): LunoraRuntimeError {
  return new LunoraRuntimeError("too_large", `message of ${size} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`, 413);
}

/**
 * A body's bytes, refusing more than `max` as they arrive (a chunked upload has no
 * content-length: reading it whole first would buffer whatever the client sends). `tooLarge`
 * builds the error from the bytes read so far. Client messages and file uploads both read this way.
 */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  tooLarge: (size: number) => Error,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
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

function readCapped(request: Request): Promise<Uint8Array> {
  return readLimited(request.body, MAX_MESSAGE_BYTES, tooLarge);
}

/** Reads a client's JSON body `{ path, args }`, refusing oversized and malformed ones. */
export async function readCallBody(request: Request): Promise<{ path?: unknown; args?: unknown; mutationId?: unknown }> {
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
  return body as { path?: unknown; args?: unknown; mutationId?: unknown };
}

export function bearer(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || null;
  return null;
}
