// File storage on R2 (`ctx.storage`, the `_storage` system table); docs/ARCHITECTURE.md, "File storage".
// Bytes live in the R2 bucket bound as `STORAGE` under the file's id; metadata rows live in root's
// SQLite (`_lunora_storage`), written only after the R2 put completed, so a file without a row
// was never uploaded as far as every API is concerned.

import { secretOf } from "./auth.js";
import { readLimited } from "./http.js";
import { newId, tableOfId } from "./ids.js";
import { LunoraRuntimeError } from "./types.js";

/** Files larger than this are refused (`too_large`, 413): uploads are hashed in memory. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
/** How long an upload URL of `generateUploadUrl` stays valid (Convex: one hour). */
export const UPLOAD_URL_TTL_MS = 60 * 60 * 1000;
export const STORAGE_TABLE = "_storage";
export const STORAGE_PREFIX = "/api/storage/";

/** A metadata row. */
export interface FileRow {
  id: string;
  creation: number;
  /** base64 of the SHA-256 of the bytes. */
  sha256: string;
  size: number;
  contentType: string | null;
}

type Sql = { exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] } };

export function ensureFilesTable(sql: Sql): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS _lunora_storage (id TEXT PRIMARY KEY, creation REAL NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT)`,
  );
}

function rowOf(r: Record<string, unknown>): FileRow {
  return {
    id: String(r["id"]),
    creation: Number(r["creation"]),
    sha256: String(r["sha256"]),
    size: Number(r["size"]),
    contentType: r["content_type"] === null || r["content_type"] === undefined ? null : String(r["content_type"]),
  };
}

/** Root's side: the metadata rows. */
export const fileRows = {
  get(sql: Sql, id: unknown): FileRow | null {
    if (!isStorageId(id)) return null;
    ensureFilesTable(sql);
    const r = sql.exec(`SELECT * FROM _lunora_storage WHERE id = ?`, id).toArray()[0];
    return r ? rowOf(r) : null;
  },
  list(sql: Sql): FileRow[] {
    ensureFilesTable(sql);
    return sql.exec(`SELECT * FROM _lunora_storage ORDER BY creation, id`).toArray().map(rowOf);
  },
  insert(sql: Sql, row: FileRow): void {
    ensureFilesTable(sql);
    sql.exec(
      `INSERT INTO _lunora_storage (id, creation, sha256, size, content_type) VALUES (?, ?, ?, ?, ?)`,
      row.id,
      row.creation,
      row.sha256,
      row.size,
      row.contentType,
    );
  },
  delete(sql: Sql, id: unknown): boolean {
    if (!isStorageId(id)) return false;
    ensureFilesTable(sql);
    const had = sql.exec(`SELECT id FROM _lunora_storage WHERE id = ?`, id).toArray().length > 0;
    sql.exec(`DELETE FROM _lunora_storage WHERE id = ?`, id);
    return had;
  },
};

export function isStorageId(id: unknown): id is string {
  return typeof id === "string" && tableOfId(id) === STORAGE_TABLE && /^_storage:[a-z2-7]{20}$/.test(id);
}

/** The `_storage` system document (Convex's shape). */
export function fileDoc(row: FileRow): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: row.id, _creationTime: row.creation, sha256: row.sha256, size: row.size };
  if (row.contentType !== null) doc["contentType"] = row.contentType;
  return doc;
}

/** `getMetadata`'s (deprecated in Convex) shape: the hash in hex. */
export function fileMetadata(row: FileRow): Record<string, unknown> {
  const bin = atob(row.sha256);
  let hex = "";
  for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return { storageId: row.id, sha256: hex, size: row.size, contentType: row.contentType };
}

export function fileUrl(origin: string, id: string): string {
  return `${origin}${STORAGE_PREFIX}${id}`;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();
function key(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    // Domain-separated from the guest tokens' key: an upload token is never a sign-in token.
    k = crypto.subtle.importKey("raw", encoder.encode(`lunora-storage-upload:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, k);
  }
  return k;
}
function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A signed, expiring upload URL: `<origin>/api/storage/upload?token=<expiry>.<nonce>.<HMAC>`. */
export async function uploadUrl(env: Record<string, unknown>, origin: string, now = Date.now()): Promise<string> {
  const nonce = crypto.randomUUID().replace(/-/g, "");
  const payload = `${now + UPLOAD_URL_TTL_MS}.${nonce}`;
  const sig = hex(await crypto.subtle.sign("HMAC", await key(secretOf(env)), encoder.encode(payload)));
  return `${origin}${STORAGE_PREFIX}upload?token=${payload}.${sig}`;
}

/** A checked upload token: its nonce is spent by the upload's commit, so one URL stores one file. */
export interface UploadToken {
  nonce: string;
  expiry: number;
}

export async function checkUploadToken(env: Record<string, unknown>, token: string | null, now = Date.now()): Promise<UploadToken> {
  const parts = (token ?? "").split(".");
  const bad = () => new LunoraRuntimeError("unauthenticated", "invalid or expired upload URL: get a new one from `ctx.storage.generateUploadUrl()`", 401);
  if (parts.length !== 3 || !/^\d+$/.test(parts[0]!) || !/^[0-9a-f]{64}$/.test(parts[2]!)) throw bad();
  const sig = new Uint8Array(parts[2]!.match(/../g)!.map((h) => parseInt(h, 16)));
  const ok = await crypto.subtle.verify("HMAC", await key(secretOf(env)), sig, encoder.encode(`${parts[0]}.${parts[1]}`));
  if (!ok || Number(parts[0]) < now) throw bad();
  return { nonce: parts[1]!, expiry: Number(parts[0]) };
}

/**
 * Spent upload tokens are kept this long past their expiry, so a Worker whose clock is behind
 * root's still finds a token spent (a token past its expiry is refused before it reaches root).
 */
const SPENT_TOKEN_MARGIN_MS = 10 * 60 * 1000;

/**
 * Root's side, inside the upload's commit transaction: marks the token spent by `fileId`. A token
 * spent by another file throws (`unauthenticated`, 401), which rolls the commit back.
 */
export function spendUploadToken(sql: Sql, token: UploadToken, fileId: string, now = Date.now()): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS _lunora_upload_tokens (nonce TEXT PRIMARY KEY, expiry REAL NOT NULL, file TEXT NOT NULL)`);
  sql.exec(`DELETE FROM _lunora_upload_tokens WHERE expiry < ?`, now - SPENT_TOKEN_MARGIN_MS);
  const spent = sql.exec(`SELECT file FROM _lunora_upload_tokens WHERE nonce = ?`, token.nonce).toArray()[0];
  if (spent) {
    if (spent["file"] === fileId) return;
    throw new LunoraRuntimeError("unauthenticated", "this upload URL was already used: each URL of `ctx.storage.generateUploadUrl()` uploads one file", 401);
  }
  sql.exec(`INSERT INTO _lunora_upload_tokens (nonce, expiry, file) VALUES (?, ?, ?)`, token.nonce, token.expiry, fileId);
}

export function bucket(env: Record<string, unknown>, binding: string): R2Bucket {
  const b = env[binding] as R2Bucket | undefined;
  if (!b) throw new LunoraRuntimeError("misconfigured", `no R2 binding "${binding}": add \`"r2_buckets": [{ "binding": "${binding}", "bucket_name": "<name>" }]\` to wrangler.jsonc`, 500);
  return b;
}

/** Reads a body up to the cap: a body that ends early (an aborted upload) throws here. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, declared: string | null): Promise<Uint8Array> {
  const tooLarge = () => new LunoraRuntimeError("too_large", `the file is larger than the ${MAX_FILE_BYTES / (1024 * 1024)} MiB limit of file storage`, 413);
  if (declared !== null && Number(declared) > MAX_FILE_BYTES) throw tooLarge();
  const out = await readLimited(body, MAX_FILE_BYTES, tooLarge);
  if (declared !== null && Number(declared) !== out.byteLength) {
    throw new LunoraRuntimeError("bad_request", `the upload ended after ${out.byteLength} of ${declared} bytes`, 400);
  }
  return out;
}

/**
 * Stores `bytes`: the R2 put first, then the metadata row through `commit` (root). A failed commit
 * removes the object again; an object left behind by a crash between the two has no row, so no API
 * ever shows it.
 */
export async function storeFile(
  r2: R2Bucket,
  bytes: Uint8Array,
  contentType: string | null,
  commit: (row: FileRow) => Promise<void>,
): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let bin = "";
  for (const b of digest) bin += String.fromCharCode(b);
  const id = newId(STORAGE_TABLE);
  await r2.put(id, bytes, { httpMetadata: contentType ? { contentType } : {}, sha256: hex(digest.buffer) });
  try {
    await commit({ id, creation: Date.now(), sha256: btoa(bin), size: bytes.byteLength, contentType });
  } catch (error) {
    await r2.delete(id).catch(() => {});
    throw error;
  }
  return id;
}

/** An in-memory `ctx.db.system.query("_storage")` over the rows (creation order). */
export function fileQuery(load: () => Promise<FileRow[]>) {
  let order: "asc" | "desc" = "asc";
  const filters: ((d: any) => unknown)[] = [];
  const docs = async () => {
    let all = (await load()).map(fileDoc);
    if (order === "desc") all = all.reverse();
    return all.filter((d) => filters.every((f) => f(d)));
  };
  const q = {
    order(o: "asc" | "desc") {
      order = o;
      return q;
    },
    filter(p: (d: any) => unknown) {
      filters.push(p);
      return q;
    },
    collect: docs,
    take: async (n: number) => (await docs()).slice(0, n),
    first: async () => (await docs())[0] ?? null,
    unique: async () => {
      const all = await docs();
      if (all.length > 1) throw new LunoraRuntimeError("not_unique", "more than one file matches", 400);
      return all[0] ?? null;
    },
    async *[Symbol.asyncIterator]() {
      for (const d of await docs()) yield d;
    },
  };
  return q;
}
