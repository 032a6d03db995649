// Query plans over either backend: index conditions, sort keys, SQL text, and SQLite's value
// ordering (for merging a mutation's pending global writes into a scan). Each backend says how a
// field is written in SQL (`FieldSql`): its expression, its parameter placeholder and the stored
// encoding of a value, so the merge orders pending documents exactly as SQLite orders the rows.

import { quoteIdent } from "../ids.js";
import type { Doc, IndexSpec, Validator } from "../types.js";
import { nullable } from "./fields.js";

/** A value `sql.exec` / D1 `bind` accepts. */
export type SqlValue = string | number | null | ArrayBuffer;
/** A stored value as SQLite compares it: INTEGER values may be bigints (beyond 2^53). */
export type SqlKey = SqlValue | bigint;

/** bigint → its decimal string (bound through `CAST(? AS INTEGER)`). */
export function bindable(value: SqlKey): SqlValue {
  return typeof value === "bigint" ? value.toString() : value;
}

export interface RangeCond {
  field: string;
  op: "=" | ">" | ">=" | "<" | "<=";
  value: unknown;
}

export interface Plan {
  table: string;
  /** The table's fields (name → validator): they decide each field's SQL encoding. */
  fields: Record<string, Validator>;
  index: IndexSpec | null;
  conds: RangeCond[];
  order: "asc" | "desc";
  /** Keyset position after which to start (pagination), in sort-key order. */
  after: unknown[] | null;
  /** Keyset position at which to stop, inclusive (a pinned page's `endCursor`). */
  upTo: unknown[] | null;
  limit: number | null;
}

/** How one backend writes a table's fields in SQL. */
export interface FieldSql {
  /** The SQL expression of a field (the same text as its index expression). */
  col(field: string): string;
  /** The placeholder of a parameter compared with `col(field)`: `?` or `CAST(? AS INTEGER)`. */
  placeholder(field: string): string;
  /** The stored encoding of a value of `field` (undefined: absent → NULL), as SQLite compares it. */
  key(field: string, value: unknown): SqlKey;
  /** The parameter bound for `placeholder(field)` from a `key` (default: `bindable`). */
  param?(field: string, key: SqlKey): SqlValue;
}

function param(f: FieldSql, field: string, key: SqlKey): SqlValue {
  return f.param ? f.param(field, key) : bindable(key);
}

export interface Backend {
  readonly kind: "do" | "d1";
  get(table: string, id: string): Promise<Doc | null>;
  scan(plan: Plan): Promise<Iterable<Scanned>>;
  /** SQL text and parameters of a plan (exposed for EXPLAIN QUERY PLAN checks). */
  planSql(plan: Plan): { sql: string; params: SqlValue[] };
  fieldSql(table: string, fields: Record<string, Validator>): FieldSql;
}

/** A document with its SQLite rowid (the last sort key: every index ends in it implicitly). */
export type Scanned = { doc: Doc; rowid: number };

/**
 * The ORDER BY (and keyset) columns: the index fields not fixed by an equality, then
 * `_creationTime` and `rowid` (which every index ends in). Equality-fixed expression columns are
 * left out: SQLite would otherwise sort in a temporary B-tree instead of walking the index.
 */
export function sortKey(plan: Plan): string[] {
  const fixed = new Set(plan.conds.filter((c) => c.op === "=").map((c) => c.field));
  const fields = plan.index ? plan.index.fields.filter((f) => !fixed.has(f)) : [];
  const keys = [...fields, "_creationTime", "rowid"];
  return keys.filter((k, i) => keys.indexOf(k) === i);
}

/** The sort-key values of a scanned document, in stored encoding. */
export function rowKey(plan: Plan, f: FieldSql, row: Scanned): SqlKey[] {
  return sortKey(plan).map((k) => (k === "rowid" ? row.rowid : f.key(k, row.doc[k])));
}

/** The stored encoding of a keyset position (`plan.after`, `plan.upTo`). */
export function positionKey(plan: Plan, f: FieldSql, position: unknown[]): SqlKey[] {
  const keys = sortKey(plan);
  // An absent field is `null` in a position (a cursor is JSON): NULL, as the column holds it (a
  // field is either optional or nullable, never both: schema/unindexable-field).
  return position.map((v, i) => (keys[i] === "rowid" ? (v as number) : v === null || v === undefined ? null : f.key(keys[i]!, v)));
}

/**
 * Whether a row's sort key lies within the plan's keyset bounds (`after`, `upTo`), as a test
 * whose bounds are encoded once.
 */
export function withinPositions(plan: Plan, f: FieldSql): (key: SqlKey[]) => boolean {
  const dir = plan.order === "asc" ? 1 : -1;
  const after = plan.after ? positionKey(plan, f, plan.after) : null;
  const upTo = plan.upTo ? positionKey(plan, f, plan.upTo) : null;
  return (key) => (!after || dir * compareKeys(key, after) > 0) && (!upTo || dir * compareKeys(key, upTo) <= 0);
}

export function buildSql(plan: Plan, f: FieldSql, select: string): { sql: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  for (const c of plan.conds) {
    if (c.value === null || c.value === undefined) {
      // A bound at NULL (a null, or an absent field), the lowest key: `>` is every value, `>=`
      // everything, `<` nothing, `=` and `<=` only the NULLs.
      const col = f.col(c.field);
      where.push(c.op === "=" || c.op === "<=" ? `${col} IS NULL` : c.op === ">" ? `${col} IS NOT NULL` : c.op === ">=" ? "1" : "0");
      continue;
    }
    // An absent field or a null (NULL) sorts before every value, as Convex orders `undefined` and
    // `null`: an upper bound keeps it, a lower bound or an equality leaves it out. Only an optional
    // or nullable field without a lower bound can be NULL in range: elsewhere the plain bound keeps
    // SQLite's range scan.
    const col = f.col(c.field);
    const test = `${col} ${c.op} ${f.placeholder(c.field)}`;
    const upper = c.op === "<" || c.op === "<=";
    // (A bound at NULL decides about NULL itself, in its own clause above.)
    const lowered = plan.conds.some((o) => o.field === c.field && o.value !== null && o.value !== undefined && (o.op === ">" || o.op === ">=" || o.op === "="));
    where.push(upper && !lowered && nullable(plan.fields[c.field]) ? `(${test} OR ${col} IS NULL)` : test);
    params.push(param(f, c.field, f.key(c.field, c.value)));
  }
  const dedup = sortKey(plan);
  const bound = (position: unknown[], cmp: ">" | "<" | ">=" | "<=") => {
    const keys = positionKey(plan, f, position);
    // SQLite's row-value comparison is NULL (false) as soon as it reaches a NULL, but an absent
    // field (NULL) sorts before every value. It is right for `>`/`>=` bounds without NULLs (a
    // NULL it reaches lies below the bound anyway) and keeps the index range scan; every other
    // bound is spelled out lexicographically with NULL ordered first.
    if ((cmp === ">" || cmp === ">=") && keys.every((k) => k !== null)) {
      where.push(`(${dedup.map((k) => f.col(k)).join(", ")}) ${cmp} (${dedup.map((k) => f.placeholder(k)).join(", ")})`);
      keys.forEach((v, i) => params.push(param(f, dedup[i]!, v)));
      return;
    }
    const equal = (i: number) => {
      if (keys[i] === null) return `${f.col(dedup[i]!)} IS NULL`;
      params.push(param(f, dedup[i]!, keys[i]!));
      return `${f.col(dedup[i]!)} = ${f.placeholder(dedup[i]!)}`;
    };
    const beyond = (i: number) => {
      const col = f.col(dedup[i]!);
      if (cmp[0] === ">") {
        if (keys[i] === null) return `${col} IS NOT NULL`;
        params.push(param(f, dedup[i]!, keys[i]!));
        return `${col} > ${f.placeholder(dedup[i]!)}`;
      }
      if (keys[i] === null) return "0";
      params.push(param(f, dedup[i]!, keys[i]!));
      return `(${col} < ${f.placeholder(dedup[i]!)} OR ${col} IS NULL)`;
    };
    const terms: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const parts: string[] = [];
      for (let j = 0; j < i; j++) parts.push(equal(j));
      parts.push(beyond(i));
      terms.push(parts.join(" AND "));
    }
    if (cmp.length === 2) terms.push(keys.map((_, j) => equal(j)).join(" AND "));
    where.push(`(${terms.map((t) => `(${t})`).join(" OR ")})`);
  };
  if (plan.after) bound(plan.after, plan.order === "asc" ? ">" : "<");
  if (plan.upTo) bound(plan.upTo, plan.order === "asc" ? "<=" : ">=");
  const dir = plan.order === "asc" ? "ASC" : "DESC";
  let sql = `SELECT ${select} FROM ${quoteIdent(plan.table)}`;
  if (where.length) sql += ` WHERE ${where.join(" AND ")}`;
  sql += ` ORDER BY ${dedup.map((k) => `${f.col(k)} ${dir}`).join(", ")}`;
  if (plan.limit !== null) sql += ` LIMIT ${plan.limit}`;
  return { sql, params };
}

const encoder = new TextEncoder();

/**
 * SQLite's ordering of values (BINARY collation): NULL < numbers (INTEGER and REAL by value;
 * bigints are INTEGERs beyond 2^53) < text (UTF-8 bytes) < blobs (bytes).
 */
export function compareSql(a: SqlKey, b: SqlKey): number {
  const rank = (v: SqlKey) => (v === null ? 0 : typeof v === "number" || typeof v === "bigint" ? 1 : typeof v === "string" ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return (a as number | bigint) < (b as number | bigint) ? -1 : (a as number | bigint) > (b as number | bigint) ? 1 : 0;
  if (ra === 2 || ra === 3) {
    const x = ra === 2 ? encoder.encode(a as string) : new Uint8Array(a as ArrayBuffer);
    const y = ra === 2 ? encoder.encode(b as string) : new Uint8Array(b as ArrayBuffer);
    return compareBytes(x, y);
  }
  return 0;
}

/** Byte-wise order (memcmp, then length), as SQLite compares BLOBs and UTF-8 text. */
export function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function compareKeys(a: SqlKey[], b: SqlKey[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareSql(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * Whether a document satisfies a plan's index conditions, as `buildSql`'s WHERE does: an absent
 * field or a null (NULL) lies below every value (Convex's `undefined` and `null`), so it passes
 * `<`/`<=` a value only, and a bound at NULL is the lowest key.
 */
export function matches(plan: Plan, f: FieldSql, doc: Doc): boolean {
  return plan.conds.every((c) => {
    const have = f.key(c.field, doc[c.field]);
    if (c.value === null || c.value === undefined) {
      if (have === null) return c.op === "=" || c.op === "<=" || c.op === ">=";
      return c.op === ">" || c.op === ">=";
    }
    if (have === null) return c.op === "<" || c.op === "<=";
    const cmp = compareSql(have, f.key(c.field, c.value));
    switch (c.op) {
      case "=":
        return cmp === 0;
      case ">":
        return cmp > 0;
      case ">=":
        return cmp >= 0;
      case "<":
        return cmp < 0;
      case "<=":
        return cmp <= 0;
    }
  });
}
