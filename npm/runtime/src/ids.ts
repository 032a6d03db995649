// Document ids and SQL identifiers.

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A new id `<table>:<20 random base32 chars>`. */
export function newId(table: string): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += BASE32[b & 31];
  return `${table}:${out}`;
}

/** Whether `key` is the random part of an id `newId` makes (20 base32 characters). */
export function isIdKey(key: string): boolean {
  return key.length === 20 && [...key].every((c) => BASE32.includes(c));
}

export function tableOfId(id: unknown): string | null {
  if (typeof id !== "string") return null;
  const at = id.lastIndexOf(":");
  return at > 0 ? id.slice(0, at) : null;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
