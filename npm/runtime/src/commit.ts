// The commit protocol on D1 (docs/ARCHITECTURE.md, "Mutations: commit protocol"):
//
// - `_lunora_versions` holds a counter per global table, bumped by every batch that writes the
//   table. A mutation reads a table's counter before its first read of the table; its commit
//   batch starts with one guard per table it read, which fails the whole batch (D1 batches are one
//   SQLite transaction) when the counter moved: optimistic concurrency at table granularity, so
//   mutations are serializable. A failed guard is a `Conflict`: the mutation runs again.
// - `_lunora_commits` holds one row per committed batch (its commit id): when D1's reply is lost,
//   `fence` tells whether the batch applied, and makes sure a batch still in flight never will
//   (it inserts the id as aborted: the batch's own insert then fails on the primary key).

import { LunoraRuntimeError } from "./types.js";

const META_DDL = [
  `CREATE TABLE IF NOT EXISTS "_lunora_versions" ("tbl" TEXT PRIMARY KEY NOT NULL, "v" INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS "_lunora_commits" ("id" TEXT PRIMARY KEY NOT NULL, "state" TEXT NOT NULL, "at" INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS "_lunora_guard" ("ok" INTEGER CONSTRAINT "lunora_conflict" CHECK ("ok" = 1))`,
];

/** How long commit records are kept (a lost reply is resolved long before). */
const COMMIT_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

const ready = new WeakMap<D1Database, Promise<void>>();

/** Creates the commit protocol's tables once per D1 binding object (idempotent DDL). */
export function ensureCommitTables(d1: D1Database): Promise<void> {
  let p = ready.get(d1);
  if (!p) {
    p = d1
      .batch(META_DDL.map((s) => d1.prepare(s)))
      .then(() => undefined)
      .catch((error: unknown) => {
        ready.delete(d1);
        throw error;
      });
    ready.set(d1, p);
  }
  return p;
}

/** A global table's version counter (0 before its first write). */
export async function readVersion(d1: D1Database, table: string): Promise<number> {
  await ensureCommitTables(d1);
  const row = await d1.prepare(`SELECT "v" FROM "_lunora_versions" WHERE "tbl" = ?`).bind(table).first<{ v: number }>();
  return row ? Number(row.v) : 0;
}

/** The version counters of several global tables, read in one statement (one snapshot). */
export async function readVersions(d1: D1Database, tables: string[]): Promise<Map<string, number>> {
  await ensureCommitTables(d1);
  const out = new Map(tables.map((t) => [t, 0]));
  if (tables.length === 0) return out;
  const { results } = await d1
    .prepare(`SELECT "tbl", "v" FROM "_lunora_versions" WHERE "tbl" IN (${tables.map(() => "?").join(", ")})`)
    .bind(...tables)
    .all<{ tbl: string; v: number }>();
  for (const row of results) out.set(String(row.tbl), Number(row.v));
  return out;
}

/** The statement that fails the batch unless `table`'s version is still `version`. */
export function guardStmt(d1: D1Database, table: string, version: number): D1PreparedStatement {
  return d1
    .prepare(`INSERT INTO "_lunora_guard" ("ok") SELECT coalesce((SELECT "v" FROM "_lunora_versions" WHERE "tbl" = ?), 0) = ?`)
    .bind(table, version);
}

/** Bumps a written table's version. */
export function bumpStmt(d1: D1Database, table: string): D1PreparedStatement {
  return d1
    .prepare(`INSERT INTO "_lunora_versions" ("tbl", "v") VALUES (?, 1) ON CONFLICT ("tbl") DO UPDATE SET "v" = "v" + 1`)
    .bind(table);
}

/** The batch's last statements: its commit record (and, now and then, old records pruned). */
export function commitRecordStmts(d1: D1Database, commitId: string): D1PreparedStatement[] {
  const now = Date.now();
  const out = [
    d1.prepare(`DELETE FROM "_lunora_guard"`),
    d1.prepare(`INSERT INTO "_lunora_commits" ("id", "state", "at") VALUES (?, 'committed', ?)`).bind(commitId, now),
  ];
  if (Math.random() < 0.01) out.push(d1.prepare(`DELETE FROM "_lunora_commits" WHERE "at" < ?`).bind(now - COMMIT_RECORD_TTL_MS));
  return out;
}

/** A batch refused by a guard: another commit wrote a table this mutation read. */
export class Conflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Conflict";
  }
}

export function isGuardFailure(error: unknown): boolean {
  return /lunora_conflict/.test(String((error as Error)?.message ?? error));
}

/**
 * After a batch failed (or its reply was lost): did it commit? Inserts the id as aborted unless
 * it is there, then reads it back, in one batch. Retried a few times; throws `unavailable` when
 * D1 cannot be asked (the outcome is then unknown and the caller keeps its intent record).
 */
export async function fence(d1: D1Database, commitId: string): Promise<"committed" | "aborted"> {
  let last: unknown = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await ensureCommitTables(d1);
      const [, read] = await d1.batch<{ state: string }>([
        d1.prepare(`INSERT OR IGNORE INTO "_lunora_commits" ("id", "state", "at") VALUES (?, 'aborted', ?)`).bind(commitId, Date.now()),
        d1.prepare(`SELECT "state" FROM "_lunora_commits" WHERE "id" = ?`).bind(commitId),
      ]);
      const state = read?.results[0]?.state;
      if (state === "committed" || state === "aborted") return state;
      last = new Error(`commit record ${commitId} has no state`);
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
  }
  throw new LunoraRuntimeError(
    "unavailable",
    `D1 did not answer whether the mutation committed (${String((last as Error)?.message ?? last)}); it will be resolved before the next mutation of this object`,
    503,
  );
}
