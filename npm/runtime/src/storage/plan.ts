// Query plans over either backend: index conditions, sort keys, SQL text, and SQLite's value
// ordering (for merging a mutation's pending global writes into a scan).

import { encodeValue } from "@lunora/client";
import { quoteIdent } from "../ids.js";
import type { Doc } from "../types.js";
import type { IndexSpec } from "../types.js";

export type SqlValue = string | number | null | ArrayBuffer;

export function sqlParam(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "number") return value;
  if (value instanceof ArrayBuffer) return value;
  return JSON.stringify(encodeValue(value));
}

export interface RangeCond {
  field: string;
  op: "=" | ">" | ">=" | "<" | "<=";
  value: unknown;
}

export interface Plan {
  table: string;
  index: IndexSpec | null;
  conds: RangeCond[];
  order: "asc" | "desc";
  /** Keyset position after which to start (pagination), in sort-key order. */
  after: unknown[] | null;
  limit: number | null;
}

export interface Backend {
  readonly kind: "do" | "d1";
  get(table: string, id: string): Promise<Doc | null>;
  scan(plan: Plan): Promise<Iterable<Scanned>>;
  /** SQL text and parameters of a plan (exposed for EXPLAIN QUERY PLAN checks). */
  planSql(plan: Plan): { sql: string; params: SqlValue[] };
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

export function buildSql(plan: Plan, col: (field: string) => string, select: string): { sql: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  for (const c of plan.conds) {
    if (c.value === null || c.value === undefined) {
      if (c.op === "=") where.push(`${col(c.field)} IS NULL`);
      else where.push("0");
      continue;
    }
    where.push(`${col(c.field)} ${c.op} ?`);
    params.push(sqlParam(c.value));
  }
  const dedup = sortKey(plan);
  if (plan.after) {
    const cmp = plan.order === "asc" ? ">" : "<";
    where.push(`(${dedup.map(col).join(", ")}) ${cmp} (${dedup.map(() => "?").join(", ")})`);
    for (const v of plan.after) params.push(sqlParam(v));
  }
  const dir = plan.order === "asc" ? "ASC" : "DESC";
  let sql = `SELECT ${select} FROM ${quoteIdent(plan.table)}`;
  if (where.length) sql += ` WHERE ${where.join(" AND ")}`;
  sql += ` ORDER BY ${dedup.map((k) => `${col(k)} ${dir}`).join(", ")}`;
  if (plan.limit !== null) sql += ` LIMIT ${plan.limit}`;
  return { sql, params };
}

/** SQLite's ordering of values (BINARY collation): NULL < numbers < text (UTF-8 bytes) < blobs. */
export function compareSql(a: SqlValue, b: SqlValue): number {
  const rank = (v: SqlValue) => (v === null ? 0 : typeof v === "number" ? 1 : typeof v === "string" ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 2 || ra === 3) {
    const x = ra === 2 ? new TextEncoder().encode(a as string) : new Uint8Array(a as ArrayBuffer);
    const y = ra === 2 ? new TextEncoder().encode(b as string) : new Uint8Array(b as ArrayBuffer);
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  }
  return 0;
}

export function compareKeys(a: SqlValue[], b: SqlValue[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareSql(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Whether a document satisfies a plan's index conditions, with SQL's NULL semantics. */
export function matches(plan: Plan, doc: Doc): boolean {
  return plan.conds.every((c) => {
    const have = sqlParam(doc[c.field]);
    if (c.value === null || c.value === undefined) return c.op === "=" && have === null;
    if (have === null) return false;
    const cmp = compareSql(have, sqlParam(c.value));
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
