// Per-field storage codecs, decided by the field's validator (never by the value): how a
// top-level field is stored in a D1 column, and which SQL expression an index over it uses in
// Durable Object SQLite. docs/ARCHITECTURE.md ("DO storage", "D1 migrations") states the rules;
// crates/emit/src/storage.rs writes the same index expressions into the DDL.

import { CodecError } from "@lunora/client";
import { LunoraRuntimeError, type Validator, type Wiring } from "../types.js";

type Any = Validator & {
  inner?: Validator;
  members?: readonly Validator[];
  value?: unknown;
  fields?: Record<string, Validator>;
};

/** The validator without its `v.optional(...)` wrapper. */
export function required(validator: Validator | undefined): Validator | undefined {
  let v = validator as Any | undefined;
  while (v && v.kind === "optional") v = v.inner as Any | undefined;
  return v;
}

/**
 * The validator an index orders by: without `v.optional(...)` and without the `v.null()` members
 * of a union (`v.union(T, v.null())` → `T`). A null, like an absent field, is SQL NULL in an index
 * expression; the analyzer allows one of the two per field, never both (schema/unindexable-field).
 */
export function nonNull(validator: Validator | undefined): Validator | undefined {
  const v = required(validator) as Any | undefined;
  if (v?.kind !== "union") return v;
  const members = (v.members ?? []).filter((m) => (m as Any).kind !== "null");
  if (members.length === (v.members ?? []).length) return v;
  return members.length === 1 ? members[0] : ({ ...v, members } as Validator);
}

/** Whether a field's index expression can be SQL NULL: it is optional, or a union with `v.null()`. */
export function nullable(validator: Validator | undefined): boolean {
  const v = validator as Any | undefined;
  if (!v) return false;
  if (v.kind === "optional") return true;
  return v.kind === "union" && (v.members ?? []).some((m) => (m as Any).kind === "null");
}

function stringLike(v: Validator): boolean {
  const a = v as Any;
  if (a.kind === "string" || a.kind === "id") return true;
  if (a.kind === "literal") return typeof a.value === "string";
  if (a.kind === "union") return (a.members ?? []).every(stringLike);
  return false;
}

/**
 * How a field is stored in its D1 column (the column type comes from the migration,
 * crates/emit/src/migrate/snapshot.rs `SqlType::of`; SQL NULL always means "field absent"):
 * - `text`: string, id, string literal, unions of only those → the string (TEXT)
 * - `real`: number → REAL; `-0` (which a REAL column would turn into 0) → the BLOB `X'2D30'`
 * - `bool`: boolean → INTEGER 0/1
 * - `int64`: int64 → INTEGER (bound as a decimal string through `CAST(? AS INTEGER)`, read
 *   through `CAST(col AS TEXT)`: D1 cannot bind a bigint and reads INTEGER as a lossy number)
 * - `bytes`: bytes → BLOB
 * - `json`: everything else (number/boolean literals, null, other unions, any, array, object,
 *   record) → TEXT holding the tagged JSON of `encodeStored` (`stringify`)
 */
export type ColumnCodec = "text" | "real" | "bool" | "int64" | "bytes" | "json";

export function columnCodec(validator: Validator | undefined): ColumnCodec {
  const v = required(validator);
  if (!v) return "json";
  if (stringLike(v)) return "text";
  switch (v.kind) {
    case "number":
      return "real";
    case "boolean":
      return "bool";
    case "int64":
      return "int64";
    case "bytes":
      return "bytes";
    default:
      return "json";
  }
}

/** The fields of a table (name → validator), from the schema's object validator. */
export function tableFields(fields: Validator | undefined): Record<string, Validator> {
  const children = (fields as Any | undefined)?.fields;
  return children && typeof children === "object" ? children : {};
}

const STRING = { kind: "string", validate: () => null } as Validator;
/**
 * The built-in `users` table (docs/ARCHITECTURE.md) is in the wiring but not in the app's schema
 * object: its fields, as the IR adds them (`name: v.optional(v.string()), subject: v.string()`).
 */
const BUILTIN_USERS: Record<string, Validator> = {
  name: { kind: "optional", isOptional: true, inner: STRING, validate: () => null } as Validator,
  subject: STRING,
};

/** The fields of a table of the app (the built-in identity table included). */
export function fieldsOf(wiring: Wiring, table: string): Record<string, Validator> {
  const schema = wiring.schema.tables[table];
  if (!schema && wiring.tables[table]?.builtin) return BUILTIN_USERS;
  return tableFields(schema?.fields);
}

/**
 * The table identities live in: the built-in `users`, `_identities` when the app owns `users`
 * (the analyzer adds it then), or the app's `users` in the built-in's shape.
 */
export function identityTable(wiring: Wiring): string {
  for (const [name, t] of Object.entries(wiring.tables)) if (t.builtin) return name;
  return "users";
}

/**
 * Whether a field holds numbers (number, float64, a number literal; optional or nullable). Its index
 * bounds are bound as JSON text and parsed by SQLite (`json_extract(?,'$')`), as the stored number
 * is (the document's in a Durable Object, a nullable field's JSON column in D1): SQLite's
 * text-to-double conversion is not correctly rounded for every double (about one in seven random
 * bit patterns, e.g. `1.2200137046337045e-249`, parses one ulp off), so a bound bound as a REAL
 * would not equal the same number read out of the JSON.
 */
export function isNumber(validator: Validator | undefined): boolean {
  const v = nonNull(validator) as Any | undefined;
  return v?.kind === "number" || (v?.kind === "literal" && typeof v.value === "number");
}

/** The value `json_extract` gives for a stored value (a Durable Object document's, a D1 JSON column's). */
export function jsonKey(value: unknown): string | number | bigint | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "string") return value;
  return null;
}

/** Whether a field orders by its stored expression in a Durable Object index as an int64. */
export function isInt64(validator: Validator | undefined): boolean {
  return nonNull(validator)?.kind === "int64";
}

/** A CodecError (value the codec cannot store) as the runtime's `bad_document`. */
export function asBadDocument(error: unknown, table: string): unknown {
  if (error instanceof CodecError) return new LunoraRuntimeError("bad_document", `${table}: ${error.message}`);
  return error;
}

/** Checks an index bound against the field's validator (`bad_query` when it cannot match). */
export function checkBound(table: string, field: string, validator: Validator | undefined, value: unknown): void {
  if (!validator) return;
  const error = required(validator)?.validate(value, `${table}.${field}`);
  if (error) throw new LunoraRuntimeError("bad_query", `index bound: ${error}`);
}
