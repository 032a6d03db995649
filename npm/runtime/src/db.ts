// `ctx.db`: one API over Durable Object SQLite (root and shard tables: JSON documents with
// expression indexes) and D1 (global tables: real columns created by migrations).

import { decodeValue, encodeValue, type JsonValue } from "@lunora/client";
import { LunoraRuntimeError, type IndexSpec, type Validator, type Wiring } from "./types.js";

export type Doc = { _id: string; _creationTime: number; [field: string]: unknown };
type Row = Record<string, unknown>;
type SqlValue = string | number | null | ArrayBuffer;

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A new id `<table>:<20 random base32 chars>`. */
export function newId(table: string): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += BASE32[b & 31];
  return `${table}:${out}`;
}

export function tableOfId(id: unknown): string | null {
  if (typeof id !== "string") return null;
  const at = id.lastIndexOf(":");
  return at > 0 ? id.slice(0, at) : null;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function sqlParam(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "number") return value;
  if (value instanceof ArrayBuffer) return value;
  return JSON.stringify(encodeValue(value));
}

/** The kind of each top-level field of a table (from the schema validators), when known. */
function fieldKinds(fields: Validator | undefined): Map<string, string> {
  const out = new Map<string, string>();
  // lunorash/server: an object validator has `fields`, an optional one `inner`.
  const children = (fields as { fields?: Record<string, Validator> } | undefined)?.fields;
  if (!children || typeof children !== "object") return out;
  for (const [name, validator] of Object.entries(children)) {
    let v: Validator | undefined = validator;
    while (v && v.kind === "optional") v = (v as { inner?: Validator }).inner;
    if (v) out.set(name, v.kind);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Storage backends

interface RangeCond {
  field: string;
  op: "=" | ">" | ">=" | "<" | "<=";
  value: unknown;
}

interface Plan {
  table: string;
  index: IndexSpec | null;
  conds: RangeCond[];
  order: "asc" | "desc";
  /** Keyset position after which to start (pagination), in sort-key order. */
  after: unknown[] | null;
  limit: number | null;
}

interface Backend {
  readonly kind: "do" | "d1";
  get(table: string, id: string): Promise<Doc | null>;
  scan(plan: Plan): Promise<Iterable<Scanned>>;
  /** SQL text and parameters of a plan (exposed for EXPLAIN QUERY PLAN checks). */
  planSql(plan: Plan): { sql: string; params: SqlValue[] };
}

/** A document with its SQLite rowid (the last sort key: every index ends in it implicitly). */
type Scanned = { doc: Doc; rowid: number };

/**
 * The ORDER BY (and keyset) columns: the index fields not fixed by an equality, then
 * `_creationTime` and `rowid` (which every index ends in). Equality-fixed expression columns are
 * left out: SQLite would otherwise sort in a temporary B-tree instead of walking the index.
 */
function sortKey(plan: Plan): string[] {
  const fixed = new Set(plan.conds.filter((c) => c.op === "=").map((c) => c.field));
  const fields = plan.index ? plan.index.fields.filter((f) => !fixed.has(f)) : [];
  const keys = [...fields, "_creationTime", "rowid"];
  return keys.filter((k, i) => keys.indexOf(k) === i);
}

function buildSql(plan: Plan, col: (field: string) => string, select: string): { sql: string; params: SqlValue[] } {
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

/** Durable Object SQLite: `"<table>"(_id, _creationTime, doc)` with JSON documents. */
export class DoBackend implements Backend {
  readonly kind = "do" as const;
  /** The last scans' SQL (newest last), so tests can check their query plans. */
  readonly recent: { sql: string; params: SqlValue[] }[] = [];
  constructor(private readonly sql: SqlStorage) {}

  /** Same expression text as the generated DDL (crates/emit storage.rs), so SQLite uses the index. */
  static col(field: string): string {
    if (field === "_id" || field === "_creationTime" || field === "rowid") return field;
    const simple = /^[A-Za-z0-9_]+$/.test(field);
    const path = simple ? `$.${field}` : `$."${field.replace(/"/g, '\\"')}"`;
    return `json_extract(doc,'${path.replace(/'/g, "''")}')`;
  }

  private decode(row: Row): Doc {
    const fields = decodeValue(JSON.parse(String(row["doc"])) as JsonValue) as Record<string, unknown>;
    return { _id: String(row["_id"]), _creationTime: Number(row["_creationTime"]), ...fields };
  }

  async get(table: string, id: string): Promise<Doc | null> {
    const rows = this.sql.exec(`SELECT _id, _creationTime, doc FROM ${quoteIdent(table)} WHERE _id = ?`, id).toArray();
    return rows[0] ? this.decode(rows[0]) : null;
  }

  planSql(plan: Plan) {
    return buildSql(plan, DoBackend.col, "_id, _creationTime, doc, rowid AS _rowid");
  }

  async scan(plan: Plan): Promise<Iterable<Scanned>> {
    const { sql, params } = this.planSql(plan);
    this.recent.push({ sql, params });
    if (this.recent.length > 20) this.recent.shift();
    const cursor = this.sql.exec(sql, ...params);
    const decode = (row: Row) => this.decode(row);
    return (function* () {
      for (const row of cursor) yield { doc: decode(row), rowid: Number(row["_rowid"]) };
    })();
  }

  insert(table: string, doc: Doc): void {
    const { _id, _creationTime, ...fields } = doc;
    this.sql.exec(
      `INSERT INTO ${quoteIdent(table)} (_id, _creationTime, doc) VALUES (?, ?, ?)`,
      _id,
      _creationTime,
      JSON.stringify(encodeValue(fields)),
    );
  }

  replace(table: string, doc: Doc): void {
    const { _id, _creationTime: _c, ...fields } = doc;
    this.sql.exec(`UPDATE ${quoteIdent(table)} SET doc = ? WHERE _id = ?`, JSON.stringify(encodeValue(fields)), _id);
  }

  delete(table: string, id: string): void {
    this.sql.exec(`DELETE FROM ${quoteIdent(table)} WHERE _id = ?`, id);
  }
}

/** D1: global tables with one column per field (as created by `lunora migrate`). */
export class D1Backend implements Backend {
  readonly kind = "d1" as const;
  constructor(
    readonly d1: D1Database,
    private readonly wiring: Wiring,
  ) {}

  static col(field: string): string {
    return field === "rowid" ? field : quoteIdent(field);
  }

  private kinds(table: string): Map<string, string> {
    return fieldKinds(this.wiring.schema.tables[table]?.fields);
  }

  decode(table: string, row: Row): Doc {
    const kinds = this.kinds(table);
    const doc: Doc = { _id: String(row["_id"]), _creationTime: Number(row["_creationTime"]) };
    for (const [name, raw] of Object.entries(row)) {
      if (name === "_id" || name === "_creationTime" || name === "_rowid" || raw === null || raw === undefined) continue;
      const kind = kinds.get(name);
      if (kind === "boolean") doc[name] = raw === 1 || raw === true;
      else if (kind === "int64") doc[name] = BigInt(raw as number);
      else if (kind === "bytes") doc[name] = raw instanceof ArrayBuffer ? raw : new Uint8Array(raw as number[]).buffer;
      else if (kind === "string" || kind === "id" || kind === "number") doc[name] = raw;
      else if (kind === "literal") doc[name] = typeof raw === "string" && /^[[{"]|^(true|false|null)$/.test(raw) ? safeParse(raw) : raw;
      else if (kind !== undefined && typeof raw === "string") doc[name] = decodeValue(JSON.parse(raw) as JsonValue);
      else doc[name] = raw;
    }
    return doc;
  }

  async get(table: string, id: string): Promise<Doc | null> {
    const row = await this.d1.prepare(`SELECT * FROM ${quoteIdent(table)} WHERE "_id" = ?`).bind(id).first<Row>();
    return row ? this.decode(table, row) : null;
  }

  planSql(plan: Plan) {
    return buildSql(plan, D1Backend.col, "*, rowid AS _rowid");
  }

  async scan(plan: Plan): Promise<Iterable<Scanned>> {
    const { sql, params } = this.planSql(plan);
    const res = await this.d1.prepare(sql).bind(...params).all<Row>();
    return res.results.map((row) => ({ doc: this.decode(plan.table, row), rowid: Number(row["_rowid"]) }));
  }

  /** Statements (not yet run) writing a document. */
  insertStmt(table: string, doc: Doc): D1PreparedStatement {
    const cols = Object.keys(doc).filter((k) => doc[k] !== undefined);
    return this.d1
      .prepare(
        `INSERT INTO ${quoteIdent(table)} (${cols.map(quoteIdent).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
      )
      .bind(...cols.map((c) => sqlParam(doc[c])));
  }

  replaceStmt(table: string, doc: Doc, previous: Doc): D1PreparedStatement {
    const cols = new Set([...Object.keys(previous), ...Object.keys(doc)]);
    cols.delete("_id");
    cols.delete("_creationTime");
    const list = [...cols];
    return this.d1
      .prepare(`UPDATE ${quoteIdent(table)} SET ${list.map((c) => `${quoteIdent(c)} = ?`).join(", ")} WHERE "_id" = ?`)
      .bind(...list.map((c) => sqlParam(doc[c])), doc._id);
  }

  /** Rowids of existing documents (those not found are absent from the map). */
  async rowids(table: string, ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      const res = await this.d1
        .prepare(`SELECT "_id", rowid AS _rowid FROM ${quoteIdent(table)} WHERE "_id" IN (${chunk.map(() => "?").join(", ")})`)
        .bind(...chunk)
        .all<Row>();
      for (const row of res.results) out.set(String(row["_id"]), Number(row["_rowid"]));
    }
    return out;
  }

  deleteStmt(table: string, id: string): D1PreparedStatement {
    return this.d1.prepare(`DELETE FROM ${quoteIdent(table)} WHERE "_id" = ?`).bind(id);
  }
}

/** SQLite's ordering of values (BINARY collation): NULL < numbers < text (UTF-8 bytes) < blobs. */
function compareSql(a: SqlValue, b: SqlValue): number {
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

function compareKeys(a: SqlValue[], b: SqlValue[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareSql(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Whether a document satisfies a plan's index conditions, with SQL's NULL semantics. */
function matches(plan: Plan, doc: Doc): boolean {
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

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

// ---------------------------------------------------------------------------------------------
// The query builder and ctx.db

type IndexRangeBuilder = {
  eq(field: string, value: unknown): IndexRangeBuilder;
  gt(field: string, value: unknown): IndexRangeBuilder;
  gte(field: string, value: unknown): IndexRangeBuilder;
  lt(field: string, value: unknown): IndexRangeBuilder;
  lte(field: string, value: unknown): IndexRangeBuilder;
};

function encodeCursor(key: unknown[]): string {
  return btoa(JSON.stringify(encodeValue(key)));
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const value = decodeValue(JSON.parse(atob(cursor)) as JsonValue);
    if (Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new LunoraRuntimeError("bad_args", "invalid pagination cursor");
}

export class QueryBuilder {
  private plan: Plan;
  private filters: ((doc: any) => boolean)[] = [];

  constructor(
    private readonly db: Db,
    table: string,
  ) {
    this.plan = { table, index: null, conds: [], order: "asc", after: null, limit: null };
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

  order(order: "asc" | "desc"): this {
    if (order !== "asc" && order !== "desc") throw new LunoraRuntimeError("bad_query", `order must be "asc" or "desc"`);
    this.plan.order = order;
    return this;
  }

  filter(predicate: (doc: any) => boolean): this {
    this.filters.push(predicate);
    return this;
  }

  /** SQL of this query (for tests: EXPLAIN QUERY PLAN). */
  toSql(): { sql: string; params: SqlValue[] } {
    return this.db.backendFor(this.plan.table).planSql(this.plan);
  }

  private async scanned(limit: number | null): Promise<Scanned[]> {
    this.db.noteRead(this.plan.table);
    const plan = { ...this.plan, limit: this.filters.length === 0 ? limit : null };
    const backend = this.db.backendFor(this.plan.table);
    const rows = backend instanceof D1Backend ? await this.db.scanGlobal(backend, plan) : await backend.scan(plan);
    const out: Scanned[] = [];
    for (const row of rows) {
      if (limit !== null && out.length >= limit) break;
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

  async paginate(opts: { numItems: number; cursor: string | null }): Promise<{
    page: Doc[];
    isDone: boolean;
    continueCursor: string;
  }> {
    const n = opts.numItems;
    if (!Number.isInteger(n) || n < 1) throw new LunoraRuntimeError("bad_query", `paginate: numItems must be a positive integer`);
    this.plan.after = opts.cursor ? decodeCursor(opts.cursor) : null;
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
  readonly writtenTables = new Set<string>();
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
  ) {}

  noteRead(table: string): void {
    this.readTables.add(table);
  }

  private tableInfo(table: string) {
    const info = this.wiring.tables[table];
    if (!info) throw new LunoraRuntimeError("bad_query", `unknown table "${table}"`);
    return info;
  }

  indexSpec(table: string, name: string): IndexSpec {
    const spec = this.tableInfo(table).indexes.find((i) => i.name === name);
    if (!spec) throw new LunoraRuntimeError("bad_query", `unknown index "${name}" on table "${table}"`);
    return spec;
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
    if (!table || !this.wiring.tables[table]) return null;
    this.noteRead(table);
    if (this.d1Overlay.has(id)) return this.d1Overlay.get(id) ?? null;
    return this.backendFor(table).get(table, id);
  }

  private assertWritable(): void {
    if (!this.writable) throw new LunoraRuntimeError("read_only", "ctx.db is read-only in a query");
  }

  private validateDoc(table: string, fields: Record<string, unknown>): void {
    const validator = this.wiring.schema.tables[table]?.fields;
    for (const key of Object.keys(fields)) {
      if (key.startsWith("_")) throw new LunoraRuntimeError("bad_document", `field "${key}" is reserved (system fields start with "_")`);
    }
    const error = validator?.validate(fields, table);
    if (error) throw new LunoraRuntimeError("bad_document", error);
  }

  async insert(table: string, fields: Record<string, unknown>): Promise<string> {
    this.assertWritable();
    const info = this.tableInfo(table);
    this.validateDoc(table, fields);
    const doc: Doc = { ...fields, _id: newId(table), _creationTime: Date.now() };
    const backend = this.backendFor(table);
    this.writtenTables.add(table);
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
    const doc = table && this.wiring.tables[table] ? await this.get(id) : null;
    if (!table || !doc) throw new LunoraRuntimeError("not_found", `document ${JSON.stringify(id)} does not exist`);
    return { table, doc };
  }

  private async write(table: string, next: Doc, previous: Doc): Promise<void> {
    const { _id, _creationTime, ...fields } = next;
    this.validateDoc(table, fields);
    const backend = this.backendFor(table);
    this.writtenTables.add(table);
    if (backend instanceof DoBackend) {
      try {
        backend.replace(table, next);
      } catch (error) {
        throw uniqueError(error, table, this.tableInfo(table).indexes);
      }
    } else {
      this.d1Pending.push({ table, stmt: backend.replaceStmt(table, next, previous) });
      this.d1Overlay.set(_id, next);
    }
    void _creationTime;
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
    const { table } = await this.existing(id);
    const backend = this.backendFor(table);
    this.writtenTables.add(table);
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
    const keys = sortKey(plan);
    const keyOf = (r: Scanned) => keys.map((k) => (k === "rowid" ? r.rowid : sqlParam(r.doc[k])));
    for (const [id, doc] of pending) {
      if (!doc) continue;
      const row: Scanned = { doc, rowid: rowids.get(id) ?? this.pseudoRowid(id) };
      if (!matches(plan, doc)) continue;
      if (plan.after) {
        const c = compareKeys(keyOf(row), plan.after.map(sqlParam));
        if (plan.order === "asc" ? c <= 0 : c >= 0) continue;
      }
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

  /** Applies the pending D1 writes as one atomic batch. */
  async flushGlobal(): Promise<void> {
    if (this.d1Pending.length === 0 || !this.global) return;
    try {
      await this.global.d1.batch(this.d1Pending.map((p) => p.stmt));
    } catch (error) {
      const message = String((error as Error)?.message ?? error);
      if (/UNIQUE constraint failed/i.test(message)) {
        throw new LunoraRuntimeError("unique_violation", `unique index violated in a global table: ${message}`);
      }
      throw error;
    }
  }

  /** The reader view handed to queries. */
  reader() {
    return {
      get: (id: string) => this.get(id),
      query: (table: string) => this.query(table),
    };
  }

  /** The writer view handed to mutations. */
  writer() {
    return {
      get: (id: string) => this.get(id),
      query: (table: string) => this.query(table),
      insert: (table: string, doc: Record<string, unknown>) => this.insert(table, doc),
      patch: (id: string, partial: Record<string, unknown>) => this.patch(id, partial),
      replace: (id: string, doc: Record<string, unknown>) => this.replace(id, doc),
      delete: (id: string) => this.delete(id),
    };
  }
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

/** Normalises a thrown value into a wire error. */
export function toWireError(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof LunoraRuntimeError) return { code: error.code, message: error.message, status: error.status };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "function_error", message, status: 400 };
}

export type { SqlValue };
