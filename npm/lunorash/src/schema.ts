// defineSchema / defineTable: the runtime schema object read by @lunora/runtime.

import {
  isValidator,
  v,
  type ObjectType,
  type PropertyValidators,
  type Validator,
  type VObject,
  type VUnion,
} from "./values.js";

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
  /**
   * The document's user fields as an object validator (system fields excluded). For a union
   * table, the merge of its variants (`mergeVariants`): the columns it is stored in.
   */
  readonly fields: VObject<Fields>;
  /** What a document's user fields must match: `fields` itself, or a union table's `v.union(...)`. */
  readonly document: Validator;
  readonly placement: Placement;
  readonly indexes: readonly IndexDefinition[];
  readonly searchIndexes: readonly SearchIndexDefinition[];
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
  /**
   * A text search index (Convex's): `searchField` is a string field, `filterFields` fields a
   * search may filter by equality (`withSearchIndex(name, q => q.search(f, text).eq(g, x))`).
   */
  searchIndex<const Name extends string, const SearchField extends keyof Fields & string, const FilterFields extends keyof Fields & string = never>(
    name: Name,
    config: { searchField: SearchField; filterFields?: readonly FilterFields[]; staged?: boolean },
  ): TableDefinition<Fields, Indexes>;
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

export interface SearchIndexDefinition {
  readonly name: string;
  readonly searchField: string;
  readonly filterFields: readonly string[];
}

function makeTable(
  fields: VObject<PropertyValidators>,
  document: Validator,
  placement: Placement,
  indexes: readonly IndexDefinition[],
  searchIndexes: readonly SearchIndexDefinition[] = Object.freeze([]),
): TableDefinition<any, any> {
  return Object.freeze({
    __lunora: "table" as const,
    fields,
    document,
    placement,
    indexes,
    searchIndexes,
    global() {
      return makeTable(fields, document, "global", indexes, searchIndexes);
    },
    searchIndex(name: string, config: { searchField: string; filterFields?: readonly string[] }) {
      if (typeof config?.searchField !== "string" || !Object.hasOwn(fields.fields, config.searchField)) {
        throw new TypeError(`.searchIndex(${JSON.stringify(name)}): searchField must name a field of this table`);
      }
      if (indexes.some((i) => i.name === name) || searchIndexes.some((i) => i.name === name)) {
        throw new TypeError(`.searchIndex(${JSON.stringify(name)}): duplicate index name`);
      }
      const index: SearchIndexDefinition = Object.freeze({
        name,
        searchField: config.searchField,
        filterFields: Object.freeze([...(config.filterFields ?? [])]),
      });
      return makeTable(fields, document, placement, indexes, Object.freeze([...searchIndexes, index]));
    },
    shardBy(field: string) {
      if (typeof field !== "string" || !Object.hasOwn(fields.fields, field)) {
        throw new TypeError(`.shardBy(${JSON.stringify(field)}): not a field of this table`);
      }
      return makeTable(fields, document, Object.freeze({ shardBy: field }), indexes, searchIndexes);
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
      return makeTable(fields, document, placement, Object.freeze([...indexes, index]), searchIndexes);
    },
  });
}

type Any = Validator & {
  inner?: Any;
  element?: Any;
  fields?: Record<string, Any>;
  keys?: Any;
  values?: Any;
  members?: readonly Any[];
  value?: unknown;
  tableName?: string;
};

/** Structural equality of two validators (the analyzer's `Validator` equality). */
function sameValidator(a: Any | undefined, b: Any | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.kind !== b.kind) return false;
  switch (a.kind) {
    case "id":
      return a.tableName === b.tableName;
    case "literal":
      return Object.is(a.value, b.value);
    case "optional":
      return sameValidator(a.inner, b.inner);
    case "array":
      return sameValidator(a.element, b.element);
    case "record":
      return sameValidator(a.keys, b.keys) && sameValidator(a.values, b.values);
    case "union": {
      const am = a.members ?? [];
      const bm = b.members ?? [];
      return am.length === bm.length && am.every((m, i) => sameValidator(m, bm[i]));
    }
    case "object": {
      const ak = Object.keys(a.fields ?? {});
      const bk = Object.keys(b.fields ?? {});
      return ak.length === bk.length && ak.every((k, i) => k === bk[i] && sameValidator(a.fields![k], b.fields![k]));
    }
    default:
      return true;
  }
}

/**
 * The columns of a union table: every field of any variant, in order of first appearance. A
 * field in every variant with one validator keeps it; differing validators become their union
 * (members of unions flattened, duplicates dropped, first seen first); a field missing from, or
 * optional in, any variant is optional. The analyzer computes the same (crates/analyzer/src/
 * schema.rs `merge_variants`), so the runtime's column codecs match the migrations' columns.
 */
export function mergeVariants(variants: readonly VObject<PropertyValidators>[]): PropertyValidators {
  const names: string[] = [];
  for (const variant of variants) for (const name of Object.keys(variant.fields)) if (!names.includes(name)) names.push(name);
  const out: PropertyValidators = {};
  for (const name of names) {
    let optional = false;
    const members: Any[] = [];
    for (const variant of variants) {
      let field = (Object.hasOwn(variant.fields, name) ? variant.fields[name] : undefined) as Any | undefined;
      if (field === undefined) {
        optional = true;
        continue;
      }
      if (field.kind === "optional") {
        optional = true;
        field = field.inner as Any;
      }
      if (!members.some((m) => sameValidator(m, field))) members.push(field);
    }
    let merged: Validator<any, false>;
    if (members.length === 1) merged = members[0] as Validator<any, false>;
    else {
      const flat: Any[] = [];
      for (const m of members) {
        for (const part of m.kind === "union" ? (m.members ?? []) : [m]) if (!flat.some((f) => sameValidator(f, part))) flat.push(part);
      }
      merged = v.union(...(flat as Validator<any, false>[]));
    }
    out[name] = optional ? v.optional(merged) : merged;
  }
  return out;
}

/** Every field name of any member of a union of objects. */
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** A union table's fields for `shardBy`/`index` typing: every field of any variant. */
export type UnionFields<Members extends readonly Validator<any, false>[]> = {
  [K in KeysOfUnion<Members[number] extends VObject<infer F> ? F : never> & string]: Validator<any, boolean>;
};

/**
 * A table: its fields (or Convex's `v.object({...})`), or Convex's union table
 * `v.union(v.object({...}), ...)` of several document shapes; then `.global()` / `.shardBy(f)`
 * and `.index(...)`.
 */
export function defineTable<const Members extends readonly VObject<any>[]>(
  document: VUnion<Members>,
): TableDefinition<UnionFields<Members>, {}>;
export function defineTable<Fields extends PropertyValidators>(fields: Fields | VObject<Fields>): TableDefinition<Fields, {}>;
export function defineTable(fields: PropertyValidators | Validator): TableDefinition<any, {}> {
  if (isValidator(fields)) {
    if (fields.kind === "union") {
      const members = (fields as VUnion<readonly Validator<any, false>[]>).members;
      if (members.length === 0 || members.some((m) => m.kind !== "object")) {
        throw new TypeError("defineTable(v.union(...)): each member of a union table is v.object({...})");
      }
      const merged = v.object(mergeVariants(members as readonly VObject<PropertyValidators>[]));
      return makeTable(merged, fields, "root", Object.freeze([]));
    }
    if (fields.kind !== "object") {
      throw new TypeError("defineTable(...) takes an object of validators, v.object({...}) or v.union(v.object({...}), ...)");
    }
    return makeTable(fields as VObject<PropertyValidators>, fields, "root", Object.freeze([]));
  }
  const object = v.object(fields as PropertyValidators);
  return makeTable(object, object, "root", Object.freeze([]));
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
