// defineSchema / defineTable: the runtime schema object read by @lunora/runtime.

import { isValidator, v, type ObjectType, type PropertyValidators, type VObject } from "./values.js";

export type Placement = "root" | "global" | { readonly shardBy: string };

export interface IndexDefinition {
  readonly name: string;
  readonly fields: readonly string[];
  readonly unique: boolean;
}

/** Field names an index may use: the table's own fields plus `_creationTime`. */
export type IndexableField<Fields extends PropertyValidators> = (keyof Fields & string) | "_creationTime";

export interface TableDefinition<
  Fields extends PropertyValidators = PropertyValidators,
  Indexes extends Record<string, readonly string[]> = {},
> {
  readonly __lunora: "table";
  /** The document's user fields as an object validator (system fields excluded). */
  readonly fields: VObject<Fields>;
  readonly placement: Placement;
  readonly indexes: readonly IndexDefinition[];
  /** Type-level only: the index map. */
  readonly __indexes?: Indexes;
  /** Type-level only: the document type without system fields. */
  readonly __document?: ObjectType<Fields>;
  /** Stores the table in D1 (shared by every shard). */
  global(): TableDefinition<Fields, Indexes>;
  /** One Durable Object per value of `field`. */
  shardBy(field: keyof Fields & string): TableDefinition<Fields, Indexes>;
  index<const Name extends string, const IndexFields extends readonly IndexableField<Fields>[]>(
    name: Name,
    fields: IndexFields,
    options?: { unique?: boolean },
  ): TableDefinition<Fields, Indexes & Record<Name, IndexFields>>;
  /** Convex's form: `.index(name, { fields, staged? })` (a staged index is a plain index here). */
  index<const Name extends string, const IndexFields extends readonly IndexableField<Fields>[]>(
    name: Name,
    config: { fields: IndexFields; staged?: boolean; unique?: boolean },
  ): TableDefinition<Fields, Indexes & Record<Name, IndexFields>>;
}

export interface SchemaDefinition<Tables extends Record<string, TableDefinition<any, any>> = Record<string, TableDefinition<any, any>>> {
  readonly __lunora: "schema";
  readonly tables: Tables;
}

function makeTable(
  fields: VObject<PropertyValidators>,
  placement: Placement,
  indexes: readonly IndexDefinition[],
): TableDefinition<any, any> {
  return Object.freeze({
    __lunora: "table" as const,
    fields,
    placement,
    indexes,
    global() {
      return makeTable(fields, "global", indexes);
    },
    shardBy(field: string) {
      if (typeof field !== "string" || !Object.hasOwn(fields.fields, field)) {
        throw new TypeError(`.shardBy(${JSON.stringify(field)}): not a field of this table`);
      }
      return makeTable(fields, Object.freeze({ shardBy: field }), indexes);
    },
    index(
      name: string,
      fieldsOrConfig: readonly string[] | { fields: readonly string[]; staged?: boolean; unique?: boolean },
      maybeOptions?: { unique?: boolean },
    ) {
      const config = Array.isArray(fieldsOrConfig) ? null : (fieldsOrConfig as { fields: readonly string[]; unique?: boolean });
      const indexFields = config === null ? (fieldsOrConfig as readonly string[]) : config.fields;
      const options = config === null ? maybeOptions : config;
      if (!Array.isArray(indexFields)) {
        throw new TypeError(`.index(${JSON.stringify(name)}): fields must be an array of field names`);
      }
      if (indexes.some((index) => index.name === name)) {
        throw new TypeError(`.index(${JSON.stringify(name)}): duplicate index name`);
      }
      const index: IndexDefinition = Object.freeze({
        name,
        fields: Object.freeze([...indexFields]),
        unique: options?.unique === true,
      });
      return makeTable(fields, placement, Object.freeze([...indexes, index]));
    },
  });
}

/** A table: its fields (or Convex's `v.object({...})`), then `.global()` / `.shardBy(f)` and `.index(...)`. */
export function defineTable<Fields extends PropertyValidators>(fields: Fields | VObject<Fields>): TableDefinition<Fields, {}> {
  if (isValidator(fields)) {
    if (fields.kind !== "object") throw new TypeError("defineTable(...) takes an object of validators or v.object({...})");
    return makeTable(fields as VObject<Fields>, "root", Object.freeze([]));
  }
  return makeTable(v.object(fields as Fields), "root", Object.freeze([]));
}

/** Convex's schema options; Lunora always validates documents and types table names strictly. */
export interface SchemaOptions {
  readonly schemaValidation?: boolean;
  readonly strictTableNameTypes?: boolean;
}

/** The app schema. */
export function defineSchema<Tables extends Record<string, TableDefinition<any, any>>>(
  tables: Tables,
  _options?: SchemaOptions,
): SchemaDefinition<Tables> {
  for (const [name, table] of Object.entries(tables)) {
    if (typeof table !== "object" || table === null || (table as { __lunora?: unknown }).__lunora !== "table") {
      throw new TypeError(`defineSchema: "${name}" is not a defineTable(...)`);
    }
  }
  return Object.freeze({ __lunora: "schema" as const, tables });
}
