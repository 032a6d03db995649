// Text search over a search index (docs/ARCHITECTURE.md "Text search"): an SQLite FTS5 table
// `"<table>__<index>"` whose rowid is the document row's rowid, kept in sync by triggers on the
// document table (crates/emit/src/search.rs), in Durable Object storage and in D1 alike.

import { quoteIdent } from "./ids.js";
import type { FieldSql, RangeCond, SqlValue } from "./storage/plan.js";
import { bindable } from "./storage/plan.js";
import { LunoraRuntimeError, type WiringTable } from "./types.js";

/** Most documents one search returns (Convex's limit is 1024 too). */
export const MAX_SEARCH_RESULTS = 1024;
/** Terms of the search text beyond these are ignored (Convex's limit is 16 terms). */
export const MAX_SEARCH_TERMS = 16;

export interface SearchIndexSpec {
  readonly name: string;
  readonly searchField: string;
  readonly filterFields: readonly string[];
}

export interface SearchPlan {
  index: SearchIndexSpec;
  text: string;
  /** `eq` conditions on filter fields (op "="). */
  filters: RangeCond[];
}

/**
 * The FTS5 query of a search text: its terms (letters, digits and private-use characters, as
 * FTS5's unicode61 tokenizer splits them), each quoted, joined by OR (a document matches any
 * term), the last one a prefix. Null when the text has no term: such a search finds nothing.
 */
export function ftsQuery(text: string): string | null {
  const terms = (text.match(/[\p{L}\p{N}\p{M}\p{Co}]+/gu) ?? []).slice(0, MAX_SEARCH_TERMS);
  if (terms.length === 0) return null;
  return terms.map((t, i) => `"${t}"${i === terms.length - 1 ? "*" : ""}`).join(" OR ");
}

/**
 * SQL of a search: the FTS5 matches with their bm25 rank (lower is more relevant), joined to the
 * document table by rowid, filtered by the filter fields' equalities (the same column expressions
 * and encodings as `withIndex`), in relevance order (ties by rowid), `limit` after `offset`.
 */
export function searchSql(
  table: string,
  plan: SearchPlan,
  f: FieldSql,
  select: string,
  limit: number,
  offset: number,
): { sql: string; params: SqlValue[] } | null {
  const match = ftsQuery(plan.text);
  if (match === null) return null;
  const fts = quoteIdent(`${table}__${plan.index.name}`);
  const t = quoteIdent(table);
  const params: SqlValue[] = [match];
  const where: string[] = [];
  for (const c of plan.filters) {
    if (c.value === null || c.value === undefined) {
      where.push(`${f.col(c.field)} IS NULL`);
      continue;
    }
    where.push(`${f.col(c.field)} = ${f.placeholder(c.field)}`);
    const key = f.key(c.field, c.value);
    params.push(f.param ? f.param(c.field, key) : bindable(key));
  }
  params.push(limit, offset);
  const sql =
    `WITH _hits AS (SELECT rowid AS _hit, rank AS _rank FROM ${fts} WHERE ${fts} MATCH ?) ` +
    `SELECT ${select} FROM _hits JOIN ${t} ON ${t}.rowid = _hits._hit` +
    (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "") +
    ` ORDER BY _hits._rank, ${t}.rowid LIMIT ? OFFSET ?`;
  return { sql, params };
}

/** A `withSearchIndex` callback's conditions: `search(searchField, text)` first, then `eq` on filter fields. */
export function searchPlanOf(table: string, index: SearchIndexSpec, build: ((q: any) => unknown) | undefined): SearchPlan {
  let text: string | null = null;
  const filters: RangeCond[] = [];
  const bad = (msg: string): never => {
    throw new LunoraRuntimeError("bad_query", `withSearchIndex("${index.name}") on "${table}": ${msg}`);
  };
  const filter = {
    eq(field: string, value: unknown) {
      if (!index.filterFields.includes(field)) bad(`"${field}" is not a filter field`);
      filters.push({ field, op: "=", value });
      return filter;
    },
  };
  const q = {
    search(field: string, value: unknown) {
      if (field !== index.searchField) bad(`search("${field}"): the search field is "${index.searchField}"`);
      if (typeof value !== "string") bad(`search("${field}", ...) needs a string`);
      text = value as string;
      return filter;
    },
  };
  build?.(q);
  if (text === null) bad(`no q.search("${index.searchField}", text)`);
  return { index, text: text as unknown as string, filters };
}

/**
 * A Durable Object's search indexes that a deploy removed or redefined on another field: their
 * FTS tables and triggers are dropped (the object's DDL, applied right after, creates a redefined
 * one anew and fills it from the rows). Which field each FTS table indexes is recorded in
 * `_lunora_meta` (`fts:<table>__<index>`); a table recorded before this existed counts as current.
 * D1's search indexes are migrations' business.
 */
export function dropStaleSearchIndexes(
  sql: SqlStorage,
  tables: Readonly<Record<string, WiringTable>>,
): void {
  const expected = new Map<string, string>();
  for (const [table, spec] of Object.entries(tables)) {
    if (spec.placement === "global") continue;
    for (const index of spec.searchIndexes ?? []) expected.set(`${table}__${index.name}`, index.searchField);
  }
  const present = sql
    .exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'`)
    .toArray()
    .map((r) => String(r["name"]));
  const recorded = (name: string) => sql.exec(`SELECT v FROM _lunora_meta WHERE k = ?`, `fts:${name}`).toArray()[0]?.["v"];
  for (const name of present) {
    const field = expected.get(name);
    const was = recorded(name);
    if (field !== undefined && (was === undefined || was === field)) continue;
    for (const what of ["insert", "update", "delete"]) sql.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(`${name}__${what}`)}`);
    sql.exec(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
    sql.exec(`DELETE FROM _lunora_meta WHERE k = ?`, `fts:${name}`);
  }
  for (const [name, field] of expected) sql.exec(`INSERT OR REPLACE INTO _lunora_meta (k, v) VALUES (?, ?)`, `fts:${name}`, field);
}
