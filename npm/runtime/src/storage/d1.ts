// D1 storage (global tables): one column per field, as `lunora migrate` creates them.

import { decodeValue, type JsonValue } from "@lunora/client";
import type { Doc } from "../types.js";
import { quoteIdent } from "../ids.js";
import type { Validator, Wiring } from "../types.js";
import { buildSql, sqlParam, type Backend, type Plan, type Scanned } from "./plan.js";

type Row = Record<string, unknown>;

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

  /** Sets exactly the given columns of a document (`undefined`: the field is removed). */
  updateStmt(table: string, id: string, fields: Record<string, unknown>): D1PreparedStatement {
    const list = Object.keys(fields);
    return this.d1
      .prepare(`UPDATE ${quoteIdent(table)} SET ${list.map((c) => `${quoteIdent(c)} = ?`).join(", ")} WHERE "_id" = ?`)
      .bind(...list.map((c) => sqlParam(fields[c])), id);
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

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
