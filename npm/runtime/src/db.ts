// `ctx.db`: one API over Durable Object SQLite (root and shard tables: JSON documents with
// expression indexes, storage/do.ts) and D1 (global tables: real columns created by migrations,
// storage/d1.ts).

import { decodeValue, encodeValue, type JsonValue } from "@lunora/client";
import { predicateOf } from "./filter.js";
import { isIdKey, newId, tableOfId } from "./ids.js";
import { D1Backend } from "./storage/d1.js";
import { DoBackend } from "./storage/do.js";
import { fieldsOf } from "./storage/fields.js";
import { compareKeys, matches, rowKey, sortKey, withinPositions, type FieldSql, type Plan, type RangeCond, type Scanned, type SqlValue } from "./storage/plan.js";
import { bumpStmt, commitRecordStmts, Conflict, guardStmt, readVersion, readVersions } from "./commit.js";
import { shardObject } from "./routing.js";
import { MAX_SEARCH_RESULTS, searchPlanOf, type SearchIndexSpec, type SearchPlan } from "./search.js";
import type { ReadSet, WriteSet } from "./readset.js";
import { LunoraRuntimeError, type Doc, type IndexSpec, type Validator, type Wiring } from "./types.js";

export type { Doc } from "./types.js";

// ---------------------------------------------------------------------------------------------
// The query builder and ctx.db

type IndexRangeBuilder = {
  eq(field: string, value: unknown): IndexRangeBuilder;
  gt(field: string, value: unknown): IndexRangeBuilder;
  gte(field: string, value: unknown): IndexRangeBuilder;
  lt(field: string, value: unknown): IndexRangeBuilder;
  lte(field: string, value: unknown): IndexRangeBuilder;
};

/** A cursor: base64 of the UTF-8 JSON of the sort key (any string key, "é" or emoji included). */
function encodeCursor(key: unknown[]): string {
  let bin = "";
  for (const byte of new TextEncoder().encode(JSON.stringify(encodeValue(key)))) bin += String.fromCharCode(byte);
  return btoa(bin);
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const bytes = Uint8Array.from(atob(cursor), (c) => c.charCodeAt(0));
    const value = decodeValue(JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as JsonValue);
    if (Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new LunoraRuntimeError("bad_args", "invalid pagination cursor");
}

/**
 * Convex's indexes of every table (the analyzer's `BUILTIN_INDEXES`): no DDL, the storage orders
 * by these columns itself (`_creationTime`, then rowid; `_id` is the primary key).
 */
const BUILTIN_INDEXES: readonly IndexSpec[] = [
  { name: "by_creation_time", fields: ["_creationTime"], unique: false },
  { name: "by_id", fields: ["_id"], unique: true },
];

export class QueryBuilder {
  private plan: Plan;
  private filters: ((doc: any) => boolean)[] = [];
  /** Set by `withSearchIndex`: results in relevance order (search.ts). */
  private search: SearchPlan | null = null;

  constructor(
    private readonly db: Db,
    table: string,
  ) {
    this.plan = { table, fields: db.fieldValidators(table), index: null, conds: [], order: "asc", after: null, upTo: null, limit: null };
  }

  withIndex(name: string, range?: (q: IndexRangeBuilder) => unknown): this {
    const spec = this.db.indexSpec(this.plan.table, name);
    this.plan.index = spec;
    const fields = spec.fields;
    const conds: RangeCond[] = [];
    let next = 0; // index of the next field an `eq` may constrain
    let rangeField: string | null = null;
    const check = (field: string, op: RangeCond["op"]) => {
      if (rangeField !== null && (op === "=" || field !== rangeField)) {
        throw new LunoraRuntimeError("bad_query", `withIndex("${name}"): only one range field may follow the equalities`);
      }
      if (op === "=") {
        if (fields[next] !== field) {
          throw new LunoraRuntimeError(
            "bad_query",
            `withIndex("${name}"): eq("${field}") out of index order (expected "${fields[next] ?? "<none>"}")`,
          );
        }
        next++;
      } else {
        if (rangeField === null && fields[next] !== field) {
          throw new LunoraRuntimeError(
            "bad_query",
            `withIndex("${name}"): range on "${field}" out of index order (expected "${fields[next] ?? "<none>"}")`,
          );
        }
        rangeField = field;
      }
    };
    const builder: IndexRangeBuilder = {
      eq: (f, v) => (check(f, "="), conds.push({ field: f, op: "=", value: v }), builder),
      gt: (f, v) => (check(f, ">"), conds.push({ field: f, op: ">", value: v }), builder),
      gte: (f, v) => (check(f, ">="), conds.push({ field: f, op: ">=", value: v }), builder),
      lt: (f, v) => (check(f, "<"), conds.push({ field: f, op: "<", value: v }), builder),
      lte: (f, v) => (check(f, "<="), conds.push({ field: f, op: "<=", value: v }), builder),
    };
    range?.(builder);
    this.plan.conds = conds;
    return this;
  }

  /** Convex's `withSearchIndex(name, (q) => q.search(field, text).eq(filterField, value))`. */
  withSearchIndex(name: string, build?: (q: any) => unknown): this {
    if (this.plan.index !== null || this.search !== null) throw new LunoraRuntimeError("bad_query", `withSearchIndex("${name}"): one index per query`);
    this.search = searchPlanOf(this.plan.table, this.db.searchIndexSpec(this.plan.table, name), build);
    return this;
  }

  order(order: "asc" | "desc"): this {
    if (this.search !== null) throw new LunoraRuntimeError("bad_query", "a search query is in relevance order: it takes no .order(...)");
    if (order !== "asc" && order !== "desc") throw new LunoraRuntimeError("bad_query", `order must be "asc" or "desc"`);
    this.plan.order = order;
    return this;
  }

  /** Convex's `(q) => q.eq(q.field("x"), 1)` or a plain `(doc) => boolean` (filter.ts). */
  filter(predicate: (x: any) => unknown): this {
    this.filters.push(predicateOf(predicate));
    return this;
  }

  /** `for await (const doc of ctx.db.query(...))`: the documents `collect()` returns, one by one. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Doc> {
    for (const doc of await this.collect()) yield doc;
  }

  /** SQL of this query (for tests: EXPLAIN QUERY PLAN). */
  toSql(): { sql: string; params: SqlValue[] } {
    return this.db.backendFor(this.plan.table).planSql(this.plan);
  }

  private async searched(limit: number | null, offset = 0): Promise<Scanned[]> {
    const rows = await this.db.searchScan(this.plan.table, this.search!, this.filters.length === 0 ? limit : null, offset);
    const out: Scanned[] = [];
    for (const row of rows) {
      if (limit !== null && out.length >= limit) break;
      this.db.countRead(1);
      if (this.filters.every((f) => f(row.doc))) out.push(row);
    }
    return out;
  }

  private async scanned(limit: number | null): Promise<Scanned[]> {
    if (this.search !== null) return this.searched(limit);
    await this.db.beforeRead(this.plan.table);
    const plan = { ...this.plan, limit: this.filters.length === 0 ? limit : null };
    const backend = this.db.backendFor(this.plan.table);
    this.db.noteRange({ ...plan, conds: [...plan.conds] }, backend.fieldSql(plan.table, plan.fields));
    const rows = backend instanceof D1Backend ? await this.db.scanGlobal(backend, plan) : await backend.scan(plan);
    const out: Scanned[] = [];
    for (const row of rows) {
      if (limit !== null && out.length >= limit) break;
      this.db.countRead(1);
      if (this.filters.every((f) => f(row.doc))) out.push(row);
    }
    return out;
  }

  private async run(limit: number | null): Promise<Doc[]> {
    return (await this.scanned(limit)).map((r) => r.doc);
  }

  collect(): Promise<Doc[]> {
    return this.run(null);
  }

  take(n: number): Promise<Doc[]> {
    if (!Number.isInteger(n) || n < 0) throw new LunoraRuntimeError("bad_query", `take(n) needs a non-negative integer, got ${n}`);
    return this.run(n);
  }

  async first(): Promise<Doc | null> {
    return (await this.run(1))[0] ?? null;
  }

  async unique(): Promise<Doc | null> {
    const rows = await this.run(2);
    if (rows.length > 1) throw new LunoraRuntimeError("not_unique", `unique(): more than one document in "${this.plan.table}"`);
    return rows[0] ?? null;
  }

  async paginate(opts: { numItems: number; cursor: string | null; endCursor?: string | null | undefined }): Promise<{
    page: Doc[];
    isDone: boolean;
    continueCursor: string;
  }> {
    const n = opts.numItems;
    if (!Number.isInteger(n) || n < 1) throw new LunoraRuntimeError("bad_query", `paginate: numItems must be a positive integer`);
    if (this.search !== null) {
      // A search page's cursor is its offset in relevance order (within the first
      // MAX_SEARCH_RESULTS results); `endCursor` pins a live page's end.
      const offsetOf = (c: string | null | undefined) => {
        if (!c) return 0;
        const p = decodeCursor(c);
        if (p.length !== 2 || p[0] !== "search" || !Number.isInteger(p[1]) || (p[1] as number) < 0) {
          throw new LunoraRuntimeError("bad_args", "invalid pagination cursor (not one this query returned)");
        }
        return p[1] as number;
      };
      const start = offsetOf(opts.cursor);
      const end = opts.endCursor ? offsetOf(opts.endCursor) : null;
      const want = end !== null ? Math.max(0, end - start) : n;
      const rows = this.filters.length === 0 ? await this.searched(want + 1, start) : (await this.searched(null)).slice(start, start + want + 1);
      const page = rows.slice(0, want);
      const next = end ?? start + page.length;
      return {
        page: page.map((r) => r.doc),
        isDone: end === null && (rows.length <= want || next >= MAX_SEARCH_RESULTS),
        continueCursor: encodeCursor(["search", next]),
      };
    }
    if (opts.cursor !== null && opts.cursor !== undefined && typeof opts.cursor !== "string") {
      throw new LunoraRuntimeError("bad_args", "paginate: cursor must be a string or null");
    }
    if (opts.endCursor !== null && opts.endCursor !== undefined && typeof opts.endCursor !== "string") {
      throw new LunoraRuntimeError("bad_args", "paginate: endCursor must be a string, null or absent");
    }
    // A cursor is a position in this query's sort order: one scalar per sort column.
    const scalar = (x: unknown) =>
      x === null || ["string", "number", "boolean", "bigint"].includes(typeof x) || x instanceof ArrayBuffer;
    const position = (cursor: string) => {
      const p = decodeCursor(cursor);
      if (p.length !== sortKey(this.plan).length || !p.every(scalar)) {
        throw new LunoraRuntimeError("bad_args", "invalid pagination cursor (not one this query returned)");
      }
      return p;
    };
    this.plan.after = opts.cursor ? position(opts.cursor) : null;
    if (opts.endCursor) {
      // A pinned page: every document after `cursor` up to `endCursor`, however many (live pages
      // keep their ends, so they never overlap or leave a gap).
      this.plan.upTo = position(opts.endCursor);
      const rows = await this.scanned(null);
      return { page: rows.map((r) => r.doc), isDone: false, continueCursor: opts.endCursor };
    }
    const rows = await this.scanned(n + 1);
    const page = rows.slice(0, n);
    const last = page[page.length - 1];
    const keys = sortKey(this.plan);
    const continueCursor = last
      ? encodeCursor(keys.map((k) => (k === "rowid" ? last.rowid : (last.doc[k] ?? null))))
      : (opts.cursor ?? "");
    return { page: page.map((r) => r.doc), isDone: rows.length <= n, continueCursor };
  }
}

/** Pending D1 write (applied in one batch when the mutation commits). */
interface D1Pending {
  table: string;
  stmt: D1PreparedStatement;
}

/**
 * `ctx.db` for one function run. Reads and writes of root/shard tables go to this Durable Object's
 * SQLite inside the mutation's transaction; writes to global tables are collected and applied as
 * one atomic D1 batch at commit; reads of global tables inside the same mutation see those writes
 * (`get` through the overlay, `query` through `scanGlobal`).
 */
export class Db {
  readonly readTables = new Set<string>();
  /** What this run read (live queries re-run only when a write touches it). */
  readonly readSet: ReadSet = new Map();
  /** What this run wrote: every document image, per table. */
  readonly writeSet: WriteSet = new Map();
  /** Documents read so far (bounded by `maxReads`). */
  private reads = 0;
  /** Most documents this run may read (Limits.rowsReadPerQuery). */
  maxReads = Number.POSITIVE_INFINITY;
  readonly writtenTables = new Set<string>();
  /** Global tables read by this mutation, with their version before the first read (commit.ts). */
  private readonly readVersions = new Map<string, number>();
  private readonly d1Pending: D1Pending[] = [];
  /** Documents written to D1 in this mutation (null: deleted), for `get`. */
  private readonly d1Overlay = new Map<string, Doc | null>();

  constructor(
    private readonly wiring: Wiring,
    private readonly local: DoBackend | null,
    private readonly global: D1Backend | null,
    private readonly writable: boolean,
    /** Placements this object may hold locally: "root" or a shard key field. */
    private readonly localFamily: string | null,
    /** This object's name (`root`, `<key>:<value>`): documents of sharded tables must belong to it. */
    private readonly objectName: string | null = null,
  ) {}

  /** A table's fields (name → validator): they decide how each field is stored and compared. */
  fieldValidators(table: string): Record<string, Validator> {
    return fieldsOf(this.wiring, table);
  }

  /**
   * Called before every read of `table`. In a mutation, the first read of a global table first
   * reads its version: the commit batch checks it is unchanged (optimistic concurrency, commit.ts).
   */
  async beforeRead(table: string): Promise<void> {
    this.readTables.add(table);
    if (!this.readSet.has(table)) this.readSet.set(table, { ids: new Set(), ranges: [] });
    this.countRead(0);
    if (!this.writable || !this.global || this.readVersions.has(table)) return;
    if (this.tableInfo(table).placement !== "global") return;
    this.readVersions.set(table, await readVersion(this.global.d1, table));
  }

  private tableInfo(table: string) {
    const info = Object.hasOwn(this.wiring.tables, table) ? this.wiring.tables[table] : undefined;
    if (!info) throw new LunoraRuntimeError("bad_query", `unknown table "${table}"`);
    return info;
  }

  indexSpec(table: string, name: string): IndexSpec {
    const spec = this.tableInfo(table).indexes.find((i) => i.name === name) ?? BUILTIN_INDEXES.find((i) => i.name === name);
    if (!spec) throw new LunoraRuntimeError("bad_query", `unknown index "${name}" on table "${table}"`);
    return spec;
  }

  searchIndexSpec(table: string, name: string): SearchIndexSpec {
    const spec = (this.tableInfo(table).searchIndexes ?? []).find((i) => i.name === name);
    if (!spec) throw new LunoraRuntimeError("bad_query", `unknown search index "${name}" on table "${table}"`);
    return spec;
  }

  /**
   * The documents of a search, in relevance order, at most MAX_SEARCH_RESULTS in all. Its read is
   * recorded as the table filtered by the filter fields' equalities (the search text is not
   * considered): a write of any document that passes them re-runs a live search. In a mutation, a
   * D1 search sees the mutation's own patches and deletes, not its inserts (D1 has them only at commit).
   */
  async searchScan(table: string, plan: SearchPlan, limit: number | null, offset: number): Promise<Scanned[]> {
    await this.beforeRead(table);
    const backend = this.backendFor(table);
    const fields = this.fieldValidators(table);
    const f = backend instanceof D1Backend ? backend.fieldSql(table, fields) : backend.fieldSql(table, fields);
    this.noteRange({ table, fields, index: null, conds: [...plan.filters], order: "asc", after: null, upTo: null, limit: null }, f);
    const cap = Math.max(0, Math.min(limit ?? MAX_SEARCH_RESULTS, MAX_SEARCH_RESULTS - offset));
    if (cap === 0) return [];
    const rows = await backend.searchRows(table, fields, plan, cap, offset);
    if (!(backend instanceof D1Backend) || this.d1Overlay.size === 0) return rows;
    const out: Scanned[] = [];
    for (const row of rows) {
      if (!this.d1Overlay.has(row.doc._id)) out.push(row);
      else {
        const doc = this.d1Overlay.get(row.doc._id);
        if (doc && matches({ table, fields, index: null, conds: plan.filters, order: "asc", after: null, upTo: null, limit: null }, f, doc)) out.push({ doc, rowid: row.rowid });
      }
    }
    return out;
  }

  backendFor(table: string): DoBackend | D1Backend {
    const placement = this.tableInfo(table).placement;
    if (placement === "global") {
      if (!this.global) throw new LunoraRuntimeError("misconfigured", `table "${table}" is global but no D1 binding "DB" is configured`, 500);
      return this.global;
    }
    const family = placement === "root" ? "root" : placement.shardBy;
    if (!this.local || family !== this.localFamily) {
      throw new LunoraRuntimeError(
        "wrong_object",
        `table "${table}" is not stored in this ${this.local ? `object (${this.localFamily})` : "Worker"}`,
        500,
      );
    }
    return this.local;
  }

  query(table: string): QueryBuilder {
    this.tableInfo(table);
    return new QueryBuilder(this, table);
  }

  async get(id: string): Promise<Doc | null> {
    const table = tableOfId(id);
    if (!table || !Object.hasOwn(this.wiring.tables, table)) return null;
    await this.beforeRead(table);
    this.readSet.get(table)!.ids.add(id);
    this.countRead(1);
    if (this.d1Overlay.has(id)) return this.d1Overlay.get(id) ?? null;
    return this.backendFor(table).get(table, id);
  }

  /** Records an index range read by a scan. */
  noteRange(plan: Plan, f: FieldSql): void {
    this.readSet.get(plan.table)?.ranges.push({ plan, f });
  }

  private noteWrite(table: string, ...docs: Doc[]): void {
    const have = this.writeSet.get(table);
    if (have) have.push(...docs);
    else this.writeSet.set(table, docs);
  }

  private assertWritable(): void {
    if (!this.writable) throw new LunoraRuntimeError("read_only", "ctx.db is read-only in a query");
  }

  private validateDoc(table: string, fields: Record<string, unknown>): void {
    const schema = this.wiring.schema.tables[table];
    // A union table checks its `v.union(...)`; `fields` is then only the merge it is stored in.
    const validator = schema?.document ?? schema?.fields;
    for (const key of Object.keys(fields)) {
      if (key.startsWith("_")) throw new LunoraRuntimeError("bad_document", `field "${key}" is reserved (system fields start with "_")`);
    }
    const error = validator?.validate(fields, table);
    if (error) throw new LunoraRuntimeError("bad_document", error);
    this.checkShard(table, fields);
  }

  /** A document of a sharded table must belong to this object: its shard key names this object. */
  private checkShard(table: string, fields: Record<string, unknown>): void {
    const placement = this.tableInfo(table).placement;
    if (typeof placement !== "object" || this.objectName === null) return;
    const value = fields[placement.shardBy];
    const owner = shardObject(placement.shardBy, value);
    if (owner !== this.objectName) {
      throw new LunoraRuntimeError(
        "wrong_shard",
        `a "${table}" document with ${placement.shardBy} ${JSON.stringify(value ?? null)} belongs to the object "${owner ?? "?"}", ` +
          `not to this one ("${this.objectName}"): write it from a function whose ${placement.shardBy} argument is that value`,
      );
    }
  }

  async insert(table: string, fields: Record<string, unknown>): Promise<string> {
    this.assertWritable();
    const info = this.tableInfo(table);
    this.validateDoc(table, fields);
    const doc: Doc = { ...fields, _id: newId(table), _creationTime: Date.now() };
    const backend = this.backendFor(table);
    this.writtenTables.add(table);
    this.noteWrite(table, doc);
    if (backend instanceof DoBackend) {
      try {
        backend.insert(table, doc);
      } catch (error) {
        throw uniqueError(error, table, info.indexes);
      }
    } else {
      this.d1Pending.push({ table, stmt: backend.insertStmt(table, doc) });
      this.d1Overlay.set(doc._id, doc);
      this.pseudoRowid(doc._id);
    }
    return doc._id;
  }

  private async existing(id: string): Promise<{ table: string; doc: Doc }> {
    const table = tableOfId(id);
    const doc = table && Object.hasOwn(this.wiring.tables, table) ? await this.get(id) : null;
    if (!table || !doc) throw new LunoraRuntimeError("not_found", `document ${JSON.stringify(id)} does not exist`);
    return { table, doc };
  }

  private async write(table: string, next: Doc, previous: Doc): Promise<void> {
    const { _id, _creationTime: _c, ...fields } = next;
    this.validateDoc(table, fields);
    const backend = this.backendFor(table);
    this.writtenTables.add(table);
    this.noteWrite(table, previous, next);
    if (backend instanceof DoBackend) {
      try {
        backend.replace(table, next);
      } catch (error) {
        throw uniqueError(error, table, this.tableInfo(table).indexes);
      }
    } else {
      // Only the fields that changed: a concurrent write of other fields is not overwritten.
      const changed: Record<string, unknown> = {};
      for (const key of new Set([...Object.keys(previous), ...Object.keys(next)])) {
        if (key === "_id" || key === "_creationTime") continue;
        if (!sameValue(previous[key], next[key])) changed[key] = next[key];
      }
      if (Object.keys(changed).length > 0) this.d1Pending.push({ table, stmt: backend.updateStmt(table, _id, changed) });
      this.d1Overlay.set(_id, next);
    }
  }

  async patch(id: string, partial: Record<string, unknown>): Promise<void> {
    this.assertWritable();
    const { table, doc } = await this.existing(id);
    const next: Doc = { ...doc };
    for (const [key, value] of Object.entries(partial)) {
      if (key === "_id" || key === "_creationTime") {
        if (value !== doc[key]) throw new LunoraRuntimeError("bad_document", `cannot change system field "${key}"`);
        continue;
      }
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    await this.write(table, next, doc);
  }

  async replace(id: string, fields: Record<string, unknown>): Promise<void> {
    this.assertWritable();
    const { table, doc } = await this.existing(id);
    const { _id: _i, _creationTime: _c, ...rest } = fields;
    await this.write(table, { ...rest, _id: doc._id, _creationTime: doc._creationTime }, doc);
  }

  async delete(id: string): Promise<void> {
    this.assertWritable();
    const { table, doc } = await this.existing(id);
    const backend = this.backendFor(table);
    this.writtenTables.add(table);
    this.noteWrite(table, doc);
    if (backend instanceof DoBackend) backend.delete(table, id);
    else {
      this.d1Pending.push({ table, stmt: backend.deleteStmt(table, id) });
      this.d1Overlay.set(id, null);
    }
  }

  /**
   * A scan of a global table that sees this mutation's pending D1 writes (read-your-writes): the
   * D1 rows minus the documents written here, plus those written here that match the plan,
   * ordered and cut as SQLite would (same sort key, same value ordering).
   */
  async scanGlobal(backend: D1Backend, plan: Plan): Promise<Iterable<Scanned>> {
    const pending = [...this.d1Overlay].filter(([id]) => tableOfId(id) === plan.table);
    if (pending.length === 0) return backend.scan(plan);
    const touched = new Set(pending.map(([id]) => id));
    const base = [...(await backend.scan({ ...plan, limit: null }))].filter((r) => !touched.has(r.doc._id));
    const rowids = await backend.rowids(plan.table, [...touched]);
    const f = backend.fieldSql(plan.table, plan.fields);
    const keyOf = (r: Scanned) => rowKey(plan, f, r);
    const within = withinPositions(plan, f);
    for (const [id, doc] of pending) {
      if (!doc) continue;
      const row: Scanned = { doc, rowid: rowids.get(id) ?? this.pseudoRowid(id) };
      if (!matches(plan, f, doc)) continue;
      if (!within(keyOf(row))) continue;
      base.push(row);
    }
    const dir = plan.order === "asc" ? 1 : -1;
    const sorted = base
      .map((r) => ({ r, k: keyOf(r) }))
      .sort((a, b) => dir * compareKeys(a.k, b.k))
      .map((x) => x.r);
    return plan.limit === null ? sorted : sorted.slice(0, plan.limit);
  }

  /** Rowids of documents inserted in this mutation: after every existing row, in insertion order. */
  private readonly insertedOrder = new Map<string, number>();
  private pseudoRowid(id: string): number {
    let n = this.insertedOrder.get(id);
    if (n === undefined) {
      n = Number.MAX_SAFE_INTEGER - 1_000_000 + this.insertedOrder.size;
      this.insertedOrder.set(id, n);
    }
    return n;
  }

  /** Global tables written in this run. */
  globalWrites(): string[] {
    return [...new Set(this.d1Pending.map((p) => p.table))];
  }

  /** Counts documents read; past the limit the run fails (`too_many_reads`), nothing written. */
  countRead(n: number): void {
    this.reads += n;
    if (this.reads > this.maxReads) {
      throw new LunoraRuntimeError(
        "too_many_reads",
        `read more than ${this.maxReads} documents: narrow the query with an index range, take(n) or paginate`,
      );
    }
  }

  /**
   * The D1 commit batch of this mutation (commit.ts), or null when it needs none: one guard per
   * global table it read (when it wrote anything), its global writes, a version bump per written
   * global table, its commit record.
   */
  /**
   * A mutation that wrote nothing sends no batch, so its global reads are checked here instead:
   * if a table it read changed since its first read, its reads may not come from one moment, and
   * it runs again (`Conflict`), as a writing mutation whose guard fails does.
   */
  async validateReadOnly(): Promise<void> {
    if (this.writtenTables.size > 0 || !this.global || this.readVersions.size === 0) return;
    const now = await readVersions(this.global.d1, [...this.readVersions.keys()].sort());
    for (const [table, version] of this.readVersions) {
      if (now.get(table) !== version) throw new Conflict(`global table "${table}" changed while a read-only mutation read it`);
    }
  }

  commitBatch(commitId: string): D1PreparedStatement[] | null {
    const wrote = this.writtenTables.size > 0;
    if (!this.global || (this.d1Pending.length === 0 && !(wrote && this.readVersions.size > 0))) return null;
    const d1 = this.global.d1;
    const out: D1PreparedStatement[] = [];
    if (wrote) for (const [table, version] of [...this.readVersions].sort()) out.push(guardStmt(d1, table, version));
    for (const p of this.d1Pending) out.push(p.stmt);
    for (const table of this.globalWrites().sort()) out.push(bumpStmt(d1, table));
    out.push(...commitRecordStmts(d1, commitId));
    return out;
  }

  /** The reader view handed to queries. */
  reader() {
    return {
      // Each takes the id alone or, as Convex also does, the table first: `get("tasks", id)`.
      get: (...a: unknown[]) => this.get(this.idOf("get", a, 1)),
      query: (table: string) => this.query(table),
      normalizeId: (table: string, id: unknown) => this.normalizeId(table, id),
    };
  }

  /** The writer view handed to mutations. */
  writer() {
    return {
      ...this.reader(),
      insert: (table: string, doc: Record<string, unknown>) => this.insert(table, doc),
      patch: (...a: unknown[]) => this.patch(this.idOf("patch", a, 2), a.at(-1) as Record<string, unknown>),
      replace: (...a: unknown[]) => this.replace(this.idOf("replace", a, 2), a.at(-1) as Record<string, unknown>),
      delete: (...a: unknown[]) => this.delete(this.idOf("delete", a, 1)),
    };
  }

  /**
   * The id of a `get/patch/replace/delete` call: `(id, ...)` with `arity` arguments, or the
   * table-first `(table, id, ...)` with one more, whose id must be of that table.
   */
  private idOf(method: string, a: unknown[], arity: number): string {
    if (a.length <= arity) return a[0] as string;
    const [table, id] = a;
    if (typeof table !== "string" || !Object.hasOwn(this.wiring.tables, table)) {
      throw new LunoraRuntimeError("bad_args", `ctx.db.${method}: unknown table ${JSON.stringify(table)}`);
    }
    if (this.normalizeId(table, id) === null) {
      throw new LunoraRuntimeError("bad_args", `ctx.db.${method}("${table}", id): ${JSON.stringify(id)} is not an id of "${table}"`);
    }
    return id as string;
  }

  /** The `users` row of a signed-in user (for `ctx.auth.getUserIdentity()`), read like any document. */
  async user(userId: string): Promise<{ subject: string; name?: string | null } | null> {
    const doc = await this.get(userId);
    return doc && typeof doc["subject"] === "string" ? { subject: doc["subject"], name: typeof doc["name"] === "string" ? doc["name"] : null } : null;
  }

  /** Convex's `normalizeId(table, id)`: the id when it is a well-formed id of `table`, else null. */
  normalizeId(table: string, id: unknown): string | null {
    if (!Object.hasOwn(this.wiring.tables, table)) throw new LunoraRuntimeError("bad_args", `normalizeId: unknown table ${JSON.stringify(table)}`);
    return typeof id === "string" && tableOfId(id) === table && isIdKey(id.slice(table.length + 1)) ? id : null;
  }
}

/** Equality of two stored values (documents are validated: JSON values, bigint, ArrayBuffer). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    if (!(a instanceof ArrayBuffer && b instanceof ArrayBuffer) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    return x.every((byte, i) => byte === y[i]);
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * A global batch that did not commit, as the caller's error: `unique_violation` for a unique index,
 * `misconfigured` when D1 lacks a table or column (migrations not applied), otherwise
 * `unavailable` (D1 failed or could not be reached: nothing was written, the client may retry).
 */
export function d1Error(error: unknown): LunoraRuntimeError {
  if (error instanceof LunoraRuntimeError) return error;
  const message = String((error as Error)?.message ?? error);
  if (/UNIQUE constraint failed/i.test(message)) {
    return new LunoraRuntimeError("unique_violation", `unique index violated in a global table: ${message}`);
  }
  if (/no such (table|column)|has no column/i.test(message)) {
    return new LunoraRuntimeError("misconfigured", `D1 does not match the schema (are the migrations applied?): ${message}`, 500);
  }
  return new LunoraRuntimeError("unavailable", `D1 failed; nothing was written: ${message}`, 503);
}

function uniqueError(error: unknown, table: string, indexes: readonly IndexSpec[]): unknown {
  const message = String((error as Error)?.message ?? error);
  if (!/UNIQUE constraint failed/i.test(message)) return error;
  const unique = indexes.filter((i) => i.unique).map((i) => i.name);
  return new LunoraRuntimeError(
    "unique_violation",
    `unique index ${unique.length ? unique.map((n) => `"${n}"`).join(" or ") : ""} on "${table}" violated`,
  );
}
