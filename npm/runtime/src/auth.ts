// Auth: signed guest identities (HMAC-SHA256, secret LUNORA_AUTH_SECRET) and pluggable verifiers.
//
// A guest token is `<base64url(JSON payload)>.<base64url(HMAC-SHA256(secret, payload part))>`,
// payload `{ "v": 2, "kid": <key id>, "aud": <deployment>, "uid": "users:...", "sub": "guest:<id>",
// "iat": <ms>, "exp": <ms> }`. A token past `exp` (or without one), for another audience, or signed
// with a key that is neither LUNORA_AUTH_SECRET nor one of LUNORA_AUTH_PREVIOUS_SECRETS is refused. The `users` row with that `subject` is created (in D1)
// when the token is issued.

import { bumpStmt, ensureCommitTables } from "./commit.js";
import { newId, quoteIdent } from "./ids.js";
import { LunoraRuntimeError } from "./types.js";

export interface Identity {
  /** The id of the signed-in user's identity row (`users`, or `_identities` when the app owns `users`). */
  userId: string;
  subject: string;
  /** When the identity ends (ms since the epoch): a socket opened with it is closed then. */
  expiresAt?: number;
}

/**
 * Convex's `UserIdentity`, as `ctx.auth.getUserIdentity()` returns it: `subject` is the `users`
 * row's subject (`guest:<id>` for a guest, the verifier's subject otherwise), `issuer` is
 * `ISSUER`, `tokenIdentifier` is `<issuer>|<subject>` (unique per user, stable across tokens).
 */
export interface UserIdentity {
  subject: string;
  issuer: string;
  tokenIdentifier: string;
  name?: string;
}

export const ISSUER = "lunora";

/**
 * `ctx.auth` of a function run: `userId` (the `users` id) and `getUserIdentity()`, which reads
 * the user's row through `lookup` only when called (in a query, a read like any other).
 */
export function functionAuth(
  userId: string | null,
  lookup: (userId: string) => Promise<{ subject: string; name?: string | null } | null>,
): { userId: string | null; getUserIdentity(): Promise<UserIdentity | null> } {
  return {
    userId,
    async getUserIdentity() {
      if (userId === null) return null;
      const user = await lookup(userId);
      if (!user) return null;
      const identity: UserIdentity = { subject: user.subject, issuer: ISSUER, tokenIdentifier: `${ISSUER}|${user.subject}` };
      if (typeof user.name === "string") identity.name = user.name;
      return identity;
    },
  };
}

/**
 * A production verifier: given a bearer token, returns the verified subject (e.g. a JWT `sub`) or
 * null when the token is invalid. The runtime maps the subject to a `users` row (creating it).
 */
export type TokenVerifier = (
  token: string,
  env: Record<string, unknown>,
) => Promise<{ subject: string; name?: string; /** ms since the epoch, e.g. a JWT's `exp` * 1000 */ expiresAt?: number } | null>;

const encoder = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
  }
  return key;
}

export function secretOf(env: Record<string, unknown>): string {
  const secret = env["LUNORA_AUTH_SECRET"];
  if (typeof secret !== "string" || secret.length < 16) {
    throw new LunoraRuntimeError(
      "misconfigured",
      "LUNORA_AUTH_SECRET is missing or shorter than 16 characters (set it in .dev.vars)",
      500,
    );
  }
  return secret;
}

/** Default lifetime of a guest token: 30 days. */
export const GUEST_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The key id of a secret: the first 16 characters of base64url(HMAC-SHA256(secret, "lunora-kid")).
 * It names the key a token was signed with, so a rotated secret keeps its tokens valid (while it is
 * listed in `LUNORA_AUTH_PREVIOUS_SECRETS`) without revealing anything about it.
 */
async function keyId(secret: string): Promise<string> {
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode("lunora-kid")));
  return b64url(sig).slice(0, 16);
}

/** The secrets that verify guest tokens: the current one, then `LUNORA_AUTH_PREVIOUS_SECRETS` (comma-separated). */
function verifyingSecrets(env: Record<string, unknown>): string[] {
  const previous = env["LUNORA_AUTH_PREVIOUS_SECRETS"];
  const list = typeof previous === "string" ? previous.split(",").map((x) => x.trim()).filter((x) => x.length >= 16) : [];
  return [secretOf(env), ...list];
}

/**
 * Signs a guest token: payload `{ v: 2, kid, aud, uid, sub, iat, exp }`. `aud` names the deployment
 * (`LUNORA_AUTH_AUDIENCE`, else the Worker's host): a token of a preview never signs in to production.
 */
export async function signGuestToken(
  env: Record<string, unknown>,
  identity: Identity,
  audience: string,
  ttlMs = GUEST_TOKEN_TTL_MS,
): Promise<string> {
  const now = Date.now();
  const secret = secretOf(env);
  const claims = { v: 2, kid: await keyId(secret), aud: audience, uid: identity.userId, sub: identity.subject, iat: now, exp: now + ttlMs };
  const payload = b64url(encoder.encode(JSON.stringify(claims)));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload)));
  return `${payload}.${b64url(sig)}`;
}

/** Verifies a guest token for `audience`; null when forged, tampered, malformed, expired or for another deployment. */
export async function verifyGuestToken(env: Record<string, unknown>, token: string, audience: string): Promise<Identity | null> {
  const parts = token.split(".");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  let sig: Uint8Array;
  let payload: { v?: unknown; kid?: unknown; aud?: unknown; uid?: unknown; sub?: unknown; exp?: unknown };
  try {
    sig = fromB64url(parts[1]);
    payload = JSON.parse(new TextDecoder().decode(fromB64url(parts[0]))) as typeof payload;
  } catch {
    return null;
  }
  if (payload === null || typeof payload !== "object" || payload.v !== 2 || typeof payload.kid !== "string") return null;
  let secret: string | null = null;
  for (const candidate of verifyingSecrets(env)) {
    if ((await keyId(candidate)) === payload.kid) {
      secret = candidate;
      break;
    }
  }
  if (secret === null) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), sig, encoder.encode(parts[0]));
  if (!ok) return null;
  if (payload.aud !== audience || typeof payload.uid !== "string" || typeof payload.sub !== "string") return null;
  if (!payload.sub.startsWith("guest:")) return null;
  if (typeof payload.exp !== "number" || !(payload.exp > Date.now())) return null;
  return { userId: payload.uid, subject: payload.sub, expiresAt: payload.exp };
}

/** The audience guest tokens are signed for and checked against. */
export function authAudience(env: Record<string, unknown>, request: Request): string {
  const configured = env["LUNORA_AUTH_AUDIENCE"];
  return typeof configured === "string" && configured.length > 0 ? configured : new URL(request.url).host;
}

function requireDb(env: Record<string, unknown>): D1Database {
  const db = env["DB"] as D1Database | undefined;
  if (!db) throw new LunoraRuntimeError("misconfigured", "auth needs the D1 binding \"DB\" (the users table)", 500);
  return db;
}

/** Creates a guest's row in the identity table `table` and returns its signed token. */
export async function createGuest(
  env: Record<string, unknown>,
  table: string,
  audience: string,
  ttlMs = GUEST_TOKEN_TTL_MS,
): Promise<{ token: string; userId: string }> {
  const db = requireDb(env);
  const userId = newId(table);
  const subject = `guest:${userId.slice(table.length + 1)}`;
  // With the table's version bump (commit.ts): mutations that read the table see the change.
  await ensureCommitTables(db);
  await db.batch([
    db.prepare(`INSERT INTO ${quoteIdent(table)} ("_id", "_creationTime", "subject") VALUES (?, ?, ?)`).bind(userId, Date.now(), subject),
    bumpStmt(db, table),
  ]);
  return { token: await signGuestToken(env, { userId, subject }, audience, ttlMs), userId };
}

/** Verified subjects seen by this isolate and their `users` ids (bounded: oldest dropped first). */
const subjectCache = new Map<string, string>();
const SUBJECT_CACHE_MAX = 10_000;

/**
 * Maps a verified external subject to its row of the identity table `table` (`users`, or
 * `_identities` when the app owns `users`), creating it on first sight (then calling `created`,
 * so live queries on that table can be told).
 */
export async function userForSubject(
  env: Record<string, unknown>,
  table: string,
  subject: string,
  name?: string,
  created?: () => Promise<void>,
): Promise<string> {
  const cached = subjectCache.get(subject);
  if (cached) return cached;
  const db = requireDb(env);
  const id = newId(table);
  await ensureCommitTables(db);
  const [res] = await db.batch([
    db
      .prepare(`INSERT INTO ${quoteIdent(table)} ("_id", "_creationTime", "subject", "name") VALUES (?, ?, ?, ?) ON CONFLICT("subject") DO NOTHING`)
      .bind(id, Date.now(), subject, name ?? null),
    bumpStmt(db, table),
  ]);
  if ((res?.meta?.changes ?? 0) > 0) await created?.();
  const row = await db.prepare(`SELECT "_id" FROM ${quoteIdent(table)} WHERE "subject" = ?`).bind(subject).first<{ _id: string }>();
  if (!row) throw new LunoraRuntimeError("auth_failed", "could not create the user row", 500);
  subjectCache.set(subject, row._id);
  if (subjectCache.size > SUBJECT_CACHE_MAX) subjectCache.delete(subjectCache.keys().next().value as string);
  return row._id;
}

/**
 * Authenticates a request's bearer token: null when there is none (anonymous), an error when it is
 * present but invalid.
 */
export async function authenticate(
  env: Record<string, unknown>,
  token: string | null,
  verifier: TokenVerifier | undefined,
  usersWritten: (() => Promise<void>) | undefined,
  guestAuth: boolean,
  audience: string,
  table: string,
): Promise<Identity | null> {
  if (!token) return null;
  // With guest auth off, a guest token is not an identity, however well it is signed.
  const guest = guestAuth && token.split(".").length === 2 ? await verifyGuestToken(env, token, audience) : null;
  if (guest) return guest;
  if (verifier) {
    const verified = await verifier(token, env);
    if (verified) {
      // Guest subjects belong to guest tokens: a verifier cannot sign in as a guest's row.
      if (verified.subject.startsWith("guest:")) {
        throw new LunoraRuntimeError("unauthenticated", `a verified subject may not start with "guest:" (that namespace is the guests')`, 401);
      }
      const userId = await userForSubject(env, table, verified.subject, verified.name, usersWritten);
      return { subject: verified.subject, userId, ...(typeof verified.expiresAt === "number" ? { expiresAt: verified.expiresAt } : {}) };
    }
  }
  throw new LunoraRuntimeError("unauthenticated", "invalid or tampered auth token", 401);
}
