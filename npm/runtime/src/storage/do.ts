// Durable Object SQLite storage (root and shard tables): one row per document, the document as
// JSON in `doc`, one expression index per Lunora index (DDL from the generated wiring).

import { decodeValue, encodeValue, type JsonValue } from "@lunora/client";
import type { Doc } from "../types.js";
import { quoteIdent } from "../ids.js";
import { buildSql, type Backend, type Plan, type Scanned, type SqlValue } from "./plan.js";

type Row = Record<string, unknown>;

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
