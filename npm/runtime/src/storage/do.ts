// Durable Object SQLite storage (root and shard tables): one row per document, the document as
// tagged JSON in `doc` (`encodeStored` + `stringify`, self-describing, so documents written under
// an older schema still decode: DO storage has no migrations), one expression index per Lunora
// index (DDL from the generated wiring, crates/emit/src/storage.rs).

import { decodeValue, encodeStored, parse, stringify, type JsonValue } from "@lunora/client";
import type { Doc, Validator } from "../types.js";
import { quoteIdent } from "../ids.js";
import { asBadDocument, isInt64, isNumber, jsonKey } from "./fields.js";
import { searchSql, type SearchPlan } from "../search.js";
import { bindable, buildSql, type Backend, type FieldSql, type Plan, type Scanned, type SqlKey, type SqlValue } from "./plan.js";

type Row = Record<string, unknown>;

function jsonPath(field: string): string {
  const simple = /^[A-Za-z0-9_]+$/.test(field);
  return simple ? `$.${field}` : `$."${field.replace(/"/g, '\\"')}"`;
}

/**
 * The SQL expression of a field: the same text as the generated DDL (crates/emit storage.rs), so
 * SQLite uses the index. int64 fields (stored `{"$int64":"<decimal>"}`) compare as integers:
 * `CAST(json_extract(doc,'$.f."$int64"') AS INTEGER)`; every other field `json_extract(doc,'$.f')`.
 */
export function doFieldExpr(field: string, validator: Validator | undefined): string {
  if (field === "_id" || field === "_creationTime" || field === "rowid") return field;
  const path = jsonPath(field);
  if (isInt64(validator)) return `CAST(json_extract(doc,'${`${path}."$int64"`.replace(/'/g, "''")}') AS INTEGER)`;
  return `json_extract(doc,'${path.replace(/'/g, "''")}')`;
}

/** The value `json_extract` (or the CAST of an int64) gives for a stored value. */
function doKey(value: unknown): SqlKey {
  // Kinds the analyzer refuses in indexes (schema/unindexable-field): their JSON text.
  if (value !== null && typeof value === "object") return stringify(encodeStored(value));
  return jsonKey(value);
}

/** A document's fields as stored: each member tagged (the document itself is never wrapped). */
export function encodeDoc(table: string, fields: Record<string, unknown>): string {
  const out: { [key: string]: JsonValue } = {};
  try {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value === undefined) continue;
      const encoded = encodeStored(value, `${table}.${key}`);
      if (key === "__proto__") Object.defineProperty(out, key, { value: encoded, enumerable: true, writable: true, configurable: true });
      else out[key] = encoded;
    }
  } catch (error) {
    throw asBadDocument(error, table);
  }
  return stringify(out);
}

export function decodeDoc(text: string): Record<string, unknown> {
  const stored = parse(text) as { [key: string]: JsonValue };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(stored)) {
    const value = decodeValue(stored[key] as JsonValue, key);
    if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** Durable Object SQLite: `"<table>"(_id, _creationTime, doc)` with JSON documents. */
export class DoBackend implements Backend {
  readonly kind = "do" as const;
  /** The last scans' SQL (newest last), so tests can check their query plans. */
  readonly recent: { sql: string; params: SqlValue[] }[] = [];
  /**
   * `ready` says whether the object's tables exist: an object no write has reached has none (it
   * creates them on its first write), and reads find nothing there.
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly ready: () => boolean = () => true,
  ) {}

  fieldSql(_table: string, fields: Record<string, Validator>): FieldSql {
    return {
      col: (field) => doFieldExpr(field, fields[field]),
      placeholder: (field) => (isInt64(fields[field]) ? "CAST(? AS INTEGER)" : isNumber(fields[field]) ? "json_extract(?,'$')" : "?"),
      key: (_field, value) => doKey(value),
      param: (field, key) => (isNumber(fields[field]) && typeof key === "number" ? stringify(key) : bindable(key)),
    };
  }

  private decode(row: Row): Doc {
    const fields = decodeDoc(String(row["doc"]));
    return { ...fields, _id: String(row["_id"]), _creationTime: Number(row["_creationTime"]) };
  }

  async get(table: string, id: string): Promise<Doc | null> {
    if (!this.ready()) return null;
    const rows = this.sql.exec(`SELECT _id, _creationTime, doc FROM ${quoteIdent(table)} WHERE _id = ?`, id).toArray();
    return rows[0] ? this.decode(rows[0]) : null;
  }

  planSql(plan: Plan) {
    return buildSql(plan, this.fieldSql(plan.table, plan.fields), "_id, _creationTime, doc, rowid AS _rowid");
  }

  async scan(plan: Plan): Promise<Iterable<Scanned>> {
    if (!this.ready()) return [];
    const { sql, params } = this.planSql(plan);
    this.recent.push({ sql, params });
    if (this.recent.length > 20) this.recent.shift();
    const cursor = this.sql.exec(sql, ...params.map(bindable));
    const decode = (row: Row) => this.decode(row);
    return (function* () {
      for (const row of cursor) yield { doc: decode(row), rowid: Number(row["_rowid"]) };
    })();
  }

  /** A search's rows (search.ts); none before the object's tables exist. */
  async searchRows(table: string, fields: Record<string, Validator>, plan: SearchPlan, limit: number, offset: number): Promise<Scanned[]> {
    if (!this.ready()) return [];
    const t = quoteIdent(table);
    const q = searchSql(table, plan, this.fieldSql(table, fields), `${t}._id, ${t}._creationTime, ${t}.doc, ${t}.rowid AS _rowid`, limit, offset);
    if (q === null) return [];
    this.recent.push(q);
    if (this.recent.length > 20) this.recent.shift();
    return this.sql.exec(q.sql, ...q.params).toArray().map((row) => ({ doc: this.decode(row), rowid: Number(row["_rowid"]) }));
  }

  insert(table: string, doc: Doc): void {
    const { _id, _creationTime, ...fields } = doc;
    const text = encodeDoc(table, fields);
    this.sql.exec(`INSERT INTO ${quoteIdent(table)} (_id, _creationTime, doc) VALUES (?, ?, ?)`, _id, _creationTime, text);
  }

  replace(table: string, doc: Doc): void {
    const { _id, _creationTime: _c, ...fields } = doc;
    const text = encodeDoc(table, fields);
    this.sql.exec(`UPDATE ${quoteIdent(table)} SET doc = ? WHERE _id = ?`, text, _id);
  }

  delete(table: string, id: string): void {
    this.sql.exec(`DELETE FROM ${quoteIdent(table)} WHERE _id = ?`, id);
  }
}
