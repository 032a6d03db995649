// Validators: runtime objects `{ kind, isOptional, ...children }` with
// `validate(value, path?) -> string | null`, carrying their TypeScript value type.
// Runtime shapes are the contract with @lunora/runtime (docs/ARCHITECTURE.md).

/** A document id: `<table>:<random>`, branded with its table name. */
export type GenericId<TableName extends string> = string & { readonly __tableName: TableName };

export type ValidatorKind =
  | "string"
  | "number"
  | "boolean"
  | "null"
  | "int64"
  | "bytes"
  | "any"
  | "id"
  | "literal"
  | "optional"
  | "array"
  | "object"
  | "record"
  | "union";

/**
 * Every validator. `Type` is the TypeScript type of a valid value; it exists
 * only at the type level (`__type` is never set at runtime).
 */
export interface Validator<Type = unknown, IsOptional extends boolean = boolean> {
  readonly kind: ValidatorKind;
  readonly isOptional: IsOptional;
  /** Type-level only. */
  readonly __type?: Type;
  /** An error message naming `path` (default `"value"`), or null when valid. */
  validate(value: unknown, path?: string): string | null;
}

export interface VString extends Validator<string, false> {
  readonly kind: "string";
}
export interface VNumber extends Validator<number, false> {
  readonly kind: "number";
}
export interface VBoolean extends Validator<boolean, false> {
  readonly kind: "boolean";
}
export interface VNull extends Validator<null, false> {
  readonly kind: "null";
}
export interface VInt64 extends Validator<bigint, false> {
  readonly kind: "int64";
}
export interface VBytes extends Validator<ArrayBuffer, false> {
  readonly kind: "bytes";
}
export interface VAny extends Validator<any, false> {
  readonly kind: "any";
}
export interface VId<TableName extends string> extends Validator<GenericId<TableName>, false> {
  readonly kind: "id";
  readonly tableName: TableName;
}
export type LiteralValue = string | number | boolean;
export interface VLiteral<T extends LiteralValue> extends Validator<T, false> {
  readonly kind: "literal";
  readonly value: T;
}
export interface VOptional<Inner extends Validator<any, false>>
  extends Validator<Infer<Inner> | undefined, true> {
  readonly kind: "optional";
  readonly inner: Inner;
}
export interface VArray<Element extends Validator<any, false>>
  extends Validator<Infer<Element>[], false> {
  readonly kind: "array";
  readonly element: Element;
}
export type PropertyValidators = Record<string, Validator<any, boolean>>;
export interface VObject<Fields extends PropertyValidators>
  extends Validator<ObjectType<Fields>, false> {
  readonly kind: "object";
  readonly fields: Fields;
}
export interface VRecord<
  Keys extends Validator<string, false>,
  Values extends Validator<any, false>,
> extends Validator<Record<Infer<Keys>, Infer<Values>>, false> {
  readonly kind: "record";
  readonly keys: Keys;
  readonly values: Values;
}
export interface VUnion<Members extends readonly Validator<any, false>[]>
  extends Validator<Infer<Members[number]>, false> {
  readonly kind: "union";
  readonly members: Members;
}

/** The TypeScript type a validator accepts. */
export type Infer<V> = V extends Validator<infer T, boolean> ? T : never;

type Expand<T> = T extends object ? { [K in keyof T]: T[K] } : T;

type OptionalKeys<Fields extends PropertyValidators> = {
  [K in keyof Fields]: Fields[K] extends Validator<any, true> ? K : never;
}[keyof Fields];
type RequiredKeys<Fields extends PropertyValidators> = Exclude<keyof Fields, OptionalKeys<Fields>>;

/** `{ a: v.string(), b: v.optional(v.number()) }` → `{ a: string; b?: number }`. */
export type ObjectType<Fields extends PropertyValidators> = Expand<
  { [K in RequiredKeys<Fields>]: Infer<Fields[K]> } & {
    [K in OptionalKeys<Fields>]?: Exclude<Infer<Fields[K]>, undefined>;
  }
>;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "array";
  if (value instanceof ArrayBuffer) return "bytes";
  if (typeof value === "number") return Number.isInteger(value) ? `number ${value}` : "number";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return typeof value;
}

function expected(path: string, what: string, value: unknown): string {
  return `${path}: expected ${what}, got ${describe(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function make<V extends Validator<any, boolean>>(
  shape: Omit<V, "validate" | "__type">,
  check: (value: unknown, path: string) => string | null,
): V {
  const validator = {
    ...shape,
    validate(value: unknown, path?: string): string | null {
      return check(value, path ?? "value");
    },
  };
  return Object.freeze(validator) as unknown as V;
}

/** The part of an id after `<table>:`: 20 characters of RFC 4648 base32, lower case (ids.ts `newId`). */
const ID_KEY = /^[a-z2-7]{20}$/;

/** The table an id belongs to (the part before the last `:`), or null if not an id. */
export function tableNameFromId(id: string): string | null {
  const at = id.lastIndexOf(":");
  if (at <= 0 || at === id.length - 1) return null;
  return id.slice(0, at);
}

function primitive<V extends Validator<any, false>>(
  kind: V["kind"],
  test: (value: unknown) => boolean,
  what: string,
): V {
  return make<V>({ kind, isOptional: false } as Omit<V, "validate" | "__type">, (value, path) =>
    test(value) ? null : expected(path, what, value),
  );
}

function id<TableName extends string>(tableName: TableName): VId<TableName> {
  if (typeof tableName !== "string" || tableName.length === 0) {
    throw new TypeError("v.id(table) needs a table name");
  }
  return make<VId<TableName>>({ kind: "id", isOptional: false, tableName }, (value, path) => {
    if (typeof value !== "string") return expected(path, `an id of table "${tableName}"`, value);
    const table = tableNameFromId(value);
    if (table !== tableName) {
      return `${path}: expected an id of table "${tableName}", got ${
        table === null ? describe(value) : `an id of table "${table}"`
      }`;
    }
    if (!ID_KEY.test(value.slice(table.length + 1))) {
      return `${path}: expected an id of table "${tableName}", got a malformed id ${describe(value)} (ids are "${tableName}:" and 20 characters a-z, 2-7)`;
    }
    return null;
  });
}

function literal<const T extends LiteralValue>(value: T): VLiteral<T> {
  if (!["string", "number", "boolean"].includes(typeof value)) {
    throw new TypeError("v.literal(x) needs a string, number or boolean");
  }
  return make<VLiteral<T>>({ kind: "literal", isOptional: false, value }, (actual, path) =>
    Object.is(actual, value) || actual === value ? null : expected(path, JSON.stringify(value), actual),
  );
}

function optional<Inner extends Validator<any, false>>(inner: Inner): VOptional<Inner> {
  if (inner.isOptional) throw new TypeError("v.optional(x): x is already optional");
  return make<VOptional<Inner>>({ kind: "optional", isOptional: true, inner }, (value, path) =>
    value === undefined ? null : inner.validate(value, path),
  );
}

function array<Element extends Validator<any, false>>(element: Element): VArray<Element> {
  return make<VArray<Element>>({ kind: "array", isOptional: false, element }, (value, path) => {
    if (!Array.isArray(value)) return expected(path, "an array", value);
    for (let i = 0; i < value.length; i++) {
      const error = element.validate(value[i], `${path}[${i}]`);
      if (error !== null) return error;
    }
    return null;
  });
}

function object<Fields extends PropertyValidators>(fields: Fields): VObject<Fields> {
  const names = Object.keys(fields);
  return make<VObject<Fields>>({ kind: "object", isOptional: false, fields }, (value, path) => {
    if (!isPlainObject(value)) return expected(path, "an object", value);
    for (const name of names) {
      const field = fields[name]!;
      const fieldValue = Object.hasOwn(value, name) ? value[name] : undefined;
      if (fieldValue === undefined && !field.isOptional) {
        return `${childPath(path, name)}: missing required field`;
      }
      const error = field.validate(fieldValue, childPath(path, name));
      if (error !== null) return error;
    }
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(fields, key)) {
        // An explicit `undefined` for an unknown key is still an unknown key.
        return `${childPath(path, key)}: unexpected field (expected one of: ${names.join(", ") || "no fields"})`;
      }
    }
    return null;
  });
}

function record<Keys extends Validator<string, false>, Values extends Validator<any, false>>(
  keys: Keys,
  values: Values,
): VRecord<Keys, Values> {
  return make<VRecord<Keys, Values>>(
    { kind: "record", isOptional: false, keys, values },
    (value, path) => {
      if (!isPlainObject(value)) return expected(path, "an object", value);
      for (const [key, item] of Object.entries(value)) {
        const keyError = keys.validate(key, `${path} key ${JSON.stringify(key)}`);
        if (keyError !== null) return keyError;
        const error = values.validate(item, childPath(path, key));
        if (error !== null) return error;
      }
      return null;
    },
  );
}

function union<const Members extends readonly Validator<any, false>[]>(
  ...members: Members
): VUnion<Members> {
  if (members.length === 0) throw new TypeError("v.union() needs at least one member");
  return make<VUnion<Members>>({ kind: "union", isOptional: false, members }, (value, path) => {
    const errors: string[] = [];
    for (const member of members) {
      const error = member.validate(value, path);
      if (error === null) return null;
      errors.push(error);
    }
    return errors.length === 1 ? errors[0]! : `${path}: matches no member of the union (${errors.join("; ")})`;
  });
}

const stringV = primitive<VString>("string", (x) => typeof x === "string", "a string");
const numberV = primitive<VNumber>("number", (x) => typeof x === "number", "a number");
const booleanV = primitive<VBoolean>("boolean", (x) => typeof x === "boolean", "a boolean");
const nullV = primitive<VNull>("null", (x) => x === null, "null");
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const int64V = make<VInt64>({ kind: "int64", isOptional: false }, (value, path) => {
  if (typeof value !== "bigint") return expected(path, "a bigint (int64)", value);
  if (value < INT64_MIN || value > INT64_MAX) {
    return `${path}: bigint ${value} is out of the int64 range (-2^63 to 2^63-1)`;
  }
  return null;
});
const bytesV = primitive<VBytes>("bytes", (x) => x instanceof ArrayBuffer, "an ArrayBuffer (bytes)");
const anyV = primitive<VAny>("any", (x) => x !== undefined, "any value");

/**
 * The validator builder. `TableNames` restricts `v.id(...)`: the generated
 * `server.ts` re-exports this as `VBuilder<TableName>`.
 */
export interface VBuilder<TableNames extends string = string> {
  string(): VString;
  number(): VNumber;
  /** Convex's name for `v.number()`: the same validator. */
  float64(): VNumber;
  boolean(): VBoolean;
  null(): VNull;
  int64(): VInt64;
  bytes(): VBytes;
  any(): VAny;
  /** An id of one of the app's tables, or of the `_scheduled_functions` or `_storage` system table. */
  id<TableName extends TableNames | "_scheduled_functions" | "_storage">(tableName: TableName): VId<TableName>;
  literal<const T extends LiteralValue>(value: T): VLiteral<T>;
  optional<Inner extends Validator<any, false>>(inner: Inner): VOptional<Inner>;
  array<Element extends Validator<any, false>>(element: Element): VArray<Element>;
  object<Fields extends PropertyValidators>(fields: Fields): VObject<Fields>;
  record<Keys extends Validator<string, false>, Values extends Validator<any, false>>(
    keys: Keys,
    values: Values,
  ): VRecord<Keys, Values>;
  union<const Members extends readonly Validator<any, false>[]>(...members: Members): VUnion<Members>;
  /** `v.union(inner, v.null())`. */
  nullable<Inner extends Validator<any, false>>(inner: Inner): VUnion<[Inner, VNull]>;
}

export const v: VBuilder<string> = Object.freeze({
  string: () => stringV,
  number: () => numberV,
  float64: () => numberV,
  boolean: () => booleanV,
  null: () => nullV,
  int64: () => int64V,
  bytes: () => bytesV,
  any: () => anyV,
  id,
  literal,
  optional,
  array,
  object,
  record,
  union,
  nullable: <Inner extends Validator<any, false>>(inner: Inner): VUnion<[Inner, VNull]> => union<[Inner, VNull]>(inner, nullV),
});

/** True for any validator object made by `v`. */
export function isValidator(value: unknown): value is Validator {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { validate?: unknown }).validate === "function"
  );
}

/**
 * Convex's `paginationOptsValidator`: the args of a paginated query,
 * `{ numItems, cursor, endCursor? }`, as `.paginate(args.paginationOpts)` takes them. `endCursor`
 * (set by `usePaginatedQuery` on every loaded page but the last) pins the page's end: the page is
 * every document after `cursor` up to `endCursor`, however many, so loaded pages never overlap or
 * leave a gap while documents come and go.
 */
export const paginationOptsValidator: VObject<{
  numItems: VNumber;
  cursor: VUnion<[VString, VNull]>;
  endCursor: VOptional<VUnion<[VString, VNull]>>;
}> = object({
  numItems: numberV,
  cursor: union<[VString, VNull]>(stringV, nullV),
  endCursor: optional(union<[VString, VNull]>(stringV, nullV)),
});
