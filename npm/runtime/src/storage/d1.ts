// D1 storage (global tables): one column per field, as `lunora migrate` creates them. Each field
// is written and read by the codec its validator decides (storage/fields.ts `columnCodec`); SQL
// NULL always means "field absent".

import { CodecError, decodeValue, encodeStored, parse, stringify } from "@lunora/client";
import type { Doc } from "../types.js";
import { quoteIdent } from "../ids.js";
import { LunoraRuntimeError, type Validator, type Wiring } from "../types.js";
import { asBadDocument, columnCodec, fieldsOf, isNumber, jsonKey, type ColumnCodec } from "./fields.js";
import { searchSql, type SearchPlan } from "../search.js";
import { bindable, buildSql, type Backend, type FieldSql, type Plan, type Scanned, type SqlKey, type SqlValue } from "./plan.js";

type Row = Record<string, unknown>;

/** `-0` in a REAL column (which would store it as 0): the BLOB `X'2D30'` ("-0"). */
const NEG_ZERO = [0x2d, 0x30];

function negZeroBlob(): ArrayBuffer {
  return new Uint8Array(NEG_ZERO).buffer;
}

/** The stored encoding of a field value in its column (undefined → NULL: absent). */
export function encodeColumn(codec: ColumnCodec, value: unknown, path: string): SqlKey {
  if (value === undefined) return null;
  switch (codec) {
    case "text":
      if (typeof value !== "string") throw new CodecError(path, `expected a string, got ${typeof value}`);
      return value;
    case "real":
      if (typeof value !== "number") throw new CodecError(path, `expected a number, got ${typeof value}`);
      if (!Number.isFinite(value)) throw new CodecError(path, `cannot store ${value} (only finite numbers; store null or a string instead)`);
      return Object.is(value, -0) ? negZeroBlob() : value;
    case "bool":
      if (typeof value !== "boolean") throw new CodecError(path, `expected a boolean, got ${typeof value}`);
      return value ? 1 : 0;
    case "int64":
      if (typeof value !== "bigint") throw new CodecError(path, `expected a bigint, got ${typeof value}`);
      return value;
    case "bytes":
      if (!(value instanceof ArrayBuffer)) throw new CodecError(path, `expected an ArrayBuffer`);
      return value.slice(0);
    case "json":
      return stringify(encodeStored(value, path));
  }
}

/** An own member (never one inherited from Object.prototype, e.g. `__proto__`). */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function bytesOf(raw: unknown): Uint8Array | null {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (Array.isArray(raw) && raw.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return new Uint8Array(raw as number[]);
  return null;
}

/** Inverse of `encodeColumn` for what D1 returns (INTEGER int64 columns selected as TEXT). */
export function decodeColumn(codec: ColumnCodec, raw: unknown, path: string): unknown {
  const bad = (what: string): never => {
    throw new LunoraRuntimeError("bad_document", `${path}: stored value is not ${what} (${typeof raw}); the column does not match the schema`, 500);
  };
  switch (codec) {
    case "text":
      return typeof raw === "string" ? raw : bad("TEXT");
    case "real": {
      if (typeof raw === "number") return raw;
      const b = bytesOf(raw);
      if (b && b.length === 2 && b[0] === NEG_ZERO[0] && b[1] === NEG_ZERO[1]) return -0;
      return bad("REAL");
    }
    case "bool":
      return raw === 1 ? true : raw === 0 ? false : bad("0 or 1");
    case "int64":
      return typeof raw === "string" && /^-?[0-9]+$/.test(raw) ? BigInt(raw) : bad("an INTEGER");
    case "bytes": {
      const b = bytesOf(raw);
      return b ? b.slice().buffer : bad("a BLOB");
    }
    case "json":
      if (typeof raw !== "string") return bad("JSON TEXT");
      try {
        return decodeValue(parse(raw), path);
      } catch (error) {
        throw new LunoraRuntimeError("bad_document", `${path}: stored JSON does not decode: ${(error as Error).message}`, 500);
      }
  }
}

/** D1: global tables with one column per field (as created by `lunora migrate`). */
export class D1Backend implements Backend {
  readonly kind = "d1" as const;
  constructor(
    readonly d1: D1Database,
    private readonly wiring: Wiring,
  ) {}

  private fields(table: string): Record<string, Validator> {
    return fieldsOf(this.wiring, table);
  }

  private codec(table: string, field: string): ColumnCodec {
    if (field === "_id") return "text";
    if (field === "_creationTime") return "real";
    return columnCodec(this.fields(table)[field]);
  }

  /**
   * Columns are qualified (`"t"."f"`) in WHERE and ORDER BY: an int64 column is selected as
   * `CAST("f" AS TEXT) AS "f"`, and an unqualified ORDER BY "f" would sort by that alias.
   */
  fieldSql(table: string, fields: Record<string, Validator> = this.fields(table)): FieldSql {
    const codec = (field: string): ColumnCodec =>
      field === "_id" ? "text" : field === "_creationTime" ? "real" : columnCodec(fields[field]);
    // A JSON column in an index is a nullable field's (the analyzer allows no other): the index
    // reads it through `json_extract(c, '$')` (crates/emit migrate `json_key`), so do WHERE and
    // ORDER BY, and its keys are what that gives (the string, number, 1/0, NULL for null).
    const json = (field: string) => field !== "rowid" && codec(field) === "json";
    return {
      col: (field) => {
        if (field === "rowid") return `${quoteIdent(table)}.rowid`;
        const column = `${quoteIdent(table)}.${quoteIdent(field)}`;
        return json(field) ? `json_extract(${column}, '$')` : column;
      },
      placeholder: (field) => {
        if (field === "rowid") return "?";
        if (codec(field) === "int64") return "CAST(? AS INTEGER)";
        return json(field) && isNumber(fields[field]) ? "json_extract(?,'$')" : "?";
      },
      param: (field, key) => (json(field) && isNumber(fields[field]) && typeof key === "number" ? stringify(key) : bindable(key)),
      key: (field, value) => {
        if (field === "rowid") return value as number;
        if (json(field)) return jsonKey(value);
        try {
          return encodeColumn(codec(field), value, `${table}.${field}`);
        } catch (error) {
          if (error instanceof CodecError) throw new LunoraRuntimeError("bad_query", error.message);
          throw error;
        }
      },
    };
  }

  /** The placeholder for a value of `field` in SQL (`CAST(? AS INTEGER)` for int64 columns). */
  placeholder(table: string, field: string): string {
    return this.codec(table, field) === "int64" ? "CAST(? AS INTEGER)" : "?";
  }

  /**
   * The columns of a document as bound parameters (absent optional fields → null; int64 as a
   * decimal string: compare it through `placeholder(table, field)`). Bad values: `bad_document`.
   */
  encodeRow(table: string, doc: Record<string, unknown>): Record<string, SqlValue> {
    const out: Record<string, SqlValue> = {};
    const names = new Set(["_id", "_creationTime", ...Object.keys(this.fields(table)), ...Object.keys(doc)]);
    try {
      for (const name of names) {
        const value = bindable(encodeColumn(this.codec(table, name), own(doc, name), `${table}.${name}`));
        if (name === "__proto__") Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
        else out[name] = value;
      }
    } catch (error) {
      throw asBadDocument(error, table);
    }
    return out;
  }

  decode(table: string, row: Row): Doc {
    const doc: Doc = { _id: String(row["_id"]), _creationTime: Number(row["_creationTime"]) };
    for (const name of Object.keys(this.fields(table))) {
      const raw = row[name];
      if (raw === null || raw === undefined) continue;
      const value = decodeColumn(this.codec(table, name), raw, `${table}.${name}`);
      if (name === "__proto__") Object.defineProperty(doc, name, { value, enumerable: true, writable: true, configurable: true });
      else doc[name] = value;
    }
    return doc;
  }

  /** The select list: system columns, each field (int64 as exact decimal text), rowid. */
  private selectList(table: string): string {
    const cols = [`"_id"`, `"_creationTime"`];
    for (const name of Object.keys(this.fields(table))) {
      const q = quoteIdent(name);
      cols.push(this.codec(table, name) === "int64" ? `CAST(${quoteIdent(table)}.${q} AS TEXT) AS ${q}` : `${quoteIdent(table)}.${q}`);
    }
    return cols.join(", ");
  }

  async get(table: string, id: string): Promise<Doc | null> {
    const row = await this.d1.prepare(`SELECT ${this.selectList(table)} FROM ${quoteIdent(table)} WHERE "_id" = ?`).bind(id).first<Row>();
    return row ? this.decode(table, row) : null;
  }

  planSql(plan: Plan) {
    return buildSql(plan, this.fieldSql(plan.table), `${this.selectList(plan.table)}, ${quoteIdent(plan.table)}.rowid AS _rowid`);
  }

  async scan(plan: Plan): Promise<Iterable<Scanned>> {
    const { sql, params } = this.planSql(plan);
    const res = await this.d1.prepare(sql).bind(...params).all<Row>();
    return res.results.map((row) => ({ doc: this.decode(plan.table, row), rowid: Number(row["_rowid"]) }));
  }

  /** A search's rows (search.ts). */
  async searchRows(table: string, fields: Record<string, Validator>, plan: SearchPlan, limit: number, offset: number): Promise<Scanned[]> {
    const q = searchSql(table, plan, this.fieldSql(table, fields), `${this.selectList(table)}, ${quoteIdent(table)}.rowid AS _rowid`, limit, offset);
    if (q === null) return [];
    const res = await this.d1.prepare(q.sql).bind(...q.params).all<Row>();
    return res.results.map((row) => ({ doc: this.decode(table, row), rowid: Number(row["_rowid"]) }));
  }

  /** Statement (not yet run) inserting a document. */
  insertStmt(table: string, doc: Doc): D1PreparedStatement {
    const row = this.encodeRow(table, doc);
    const cols = Object.keys(row).filter((c) => row[c] !== null);
    return this.d1
      .prepare(
        `INSERT INTO ${quoteIdent(table)} (${cols.map(quoteIdent).join(", ")}) VALUES (${cols.map((c) => this.placeholder(table, c)).join(", ")})`,
      )
      .bind(...cols.map((c) => row[c] as SqlValue));
  }

  /**
   * Statement setting exactly the given fields of a document (`undefined` → NULL: the optional
   * field is removed). System fields cannot be set.
   */
  updateStmt(table: string, id: string, fields: Record<string, unknown>): D1PreparedStatement {
    const cols = Object.keys(fields);
    for (const c of cols) {
      if (c === "_id" || c === "_creationTime") throw new LunoraRuntimeError("bad_document", `cannot change system field "${c}"`);
    }
    if (cols.length === 0) return this.d1.prepare(`SELECT 1 WHERE 0`);
    let values: SqlValue[];
    try {
      values = cols.map((c) => bindable(encodeColumn(this.codec(table, c), own(fields, c), `${table}.${c}`)));
    } catch (error) {
      throw asBadDocument(error, table);
    }
    return this.d1
      .prepare(`UPDATE ${quoteIdent(table)} SET ${cols.map((c) => `${quoteIdent(c)} = ${this.placeholder(table, c)}`).join(", ")} WHERE "_id" = ?`)
      .bind(...values, id);
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
