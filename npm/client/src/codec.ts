// The Lunora value codec, shared by the client and the runtime (wire format and Durable Object
// documents; docs/ARCHITECTURE.md "Wire protocol"). Lunora values are JSON values plus `bigint`
// (v.int64), `ArrayBuffer` (v.bytes) and `-0`. The tagged JSON form is self-describing:
//
// - `bigint`        → `{"$int64":"<decimal>"}`
// - `ArrayBuffer`   → `{"$bytes":"<base64>"}` (typed arrays and DataViews encode as their bytes)
// - `-0`            → `{"$number":"-0"}` on the wire (any JSON serializer keeps it); in stored
//                     documents (`encodeStored`) the number `-0`, written as `-0` by `stringify`
//                     so SQLite's json_extract reads it as a number
// - a user object with exactly one key, and that key starting with `$` → `{"$object":{...}}`, so
//   a user object is never mistaken for a tag
//
// Decoding a single-key object whose key starts with `$` and is not one of the tags above is an
// error. `undefined` object members are dropped, as in JSON; `__proto__` keys are own properties.
// NaN, ±Infinity and values JSON cannot hold (Date, Map, Set, RegExp, class instances, functions,
// symbols; `undefined` in a stored value, where JSON would write null) are refused with a `CodecError` naming the
// type and what to store instead.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value the codec refuses to encode or decode; `path` locates it (`value.a[2]`). */
export class CodecError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "CodecError";
    this.path = path;
  }
}

const MAX_DEPTH = 64;

/** The int64 range (`v.int64()`): bigints outside it are refused. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function fromBase64(text: string, path: string): ArrayBuffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new CodecError(path, `invalid base64 in "$bytes"`);
  }
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Sets `key` as an own enumerable property (also for `__proto__`, which `=` would not). */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function typeName(value: object): string {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = proto?.constructor?.name;
  return typeof name === "string" && name ? name : "object";
}

const INSTEAD: Record<string, string> = {
  Date: "store a number (date.getTime()) or an ISO string",
  Map: "store an object (Object.fromEntries(map)) or an array of [key, value] pairs",
  Set: "store an array ([...set])",
  RegExp: "store its source as a string",
};

function refuseObject(value: object, path: string): never {
  const name = typeName(value);
  const hint = INSTEAD[name] ?? "store a plain object, an array or a primitive";
  throw new CodecError(path, `cannot store a ${name} (${hint})`);
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function encode(value: unknown, path: string, depth: number, stored: boolean): JsonValue {
  if (depth > MAX_DEPTH) throw new CodecError(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (value === null) return null;
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) {
        throw new CodecError(path, `cannot store ${value} (only finite numbers; store null or a string instead)`);
      }
      if (Object.is(value, -0) && !stored) return { $number: "-0" };
      return value;
    case "bigint":
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new CodecError(path, `bigint ${value} is out of the int64 range (-2^63 to 2^63-1; store a decimal string instead)`);
      }
      return { $int64: value.toString() };
    case "undefined":
      // On the wire, as in JSON (a handler that returns nothing replies null); never stored.
      if (!stored) return null;
      throw new CodecError(path, "cannot store undefined (leave the field out, or store null)");
    case "object": {
      if (value instanceof ArrayBuffer) return { $bytes: toBase64(new Uint8Array(value)) };
      if (ArrayBuffer.isView(value)) {
        return { $bytes: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
      }
      if (Array.isArray(value)) {
        const out: JsonValue[] = [];
        for (let i = 0; i < value.length; i++) out.push(encode(value[i], `${path}[${i}]`, depth + 1, stored));
        return out;
      }
      if (!isPlain(value)) refuseObject(value, path);
      const out: { [key: string]: JsonValue } = {};
      const keys = Object.keys(value);
      let count = 0;
      for (const key of keys) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        define(out, key, encode(member, childPath(path, key), depth + 1, stored));
        count++;
      }
      if (count === 1 && Object.keys(out)[0]!.startsWith("$")) return { $object: out };
      return out;
    }
    case "function":
      throw new CodecError(path, "cannot store a function");
    case "symbol":
      throw new CodecError(path, "cannot store a symbol (store a string instead)");
    default:
      throw new CodecError(path, `cannot store a value of type ${typeof value}`);
  }
}

/**
 * A Lunora value in the tagged JSON wire form (`-0` tagged, so `JSON.stringify` keeps it;
 * `undefined` is null, as in JSON).
 */
export function encodeValue(value: unknown, path = "value"): JsonValue {
  return encode(value, path, 0, false);
}

/**
 * A Lunora value in the stored document form: as `encodeValue`, but `-0` is the number `-0`
 * (serialize it with `stringify`, which writes `-0`) and `undefined` (in an array) is refused.
 */
export function encodeStored(value: unknown, path = "value"): JsonValue {
  return encode(value, path, 0, true);
}

function decode(value: JsonValue, path: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new CodecError(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new CodecError(path, `invalid number ${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => decode(item, `${path}[${i}]`, depth + 1));
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0]!.startsWith("$")) {
    const tag = keys[0]!;
    const inner = value[tag];
    switch (tag) {
      case "$int64": {
        if (typeof inner !== "string" || !/^-?(0|[1-9][0-9]*)$/.test(inner)) {
          throw new CodecError(path, `invalid "$int64" (expected a decimal string)`);
        }
        const n = BigInt(inner);
        if (n < INT64_MIN || n > INT64_MAX) throw new CodecError(path, `"$int64" out of the signed 64-bit range`);
        return n;
      }
      case "$bytes":
        if (typeof inner !== "string") throw new CodecError(path, `invalid "$bytes" (expected a base64 string)`);
        return fromBase64(inner, path);
      case "$number":
        if (inner !== "-0") throw new CodecError(path, `invalid "$number" (only "-0" is tagged)`);
        return -0;
      case "$object": {
        if (inner === null || typeof inner !== "object" || Array.isArray(inner)) {
          throw new CodecError(path, `invalid "$object" (expected an object)`);
        }
        const innerKeys = Object.keys(inner);
        if (innerKeys.length !== 1 || !innerKeys[0]!.startsWith("$")) {
          throw new CodecError(path, `invalid "$object" (it wraps only objects with one "$" key)`);
        }
        return decodeMembers(inner, path, depth);
      }
      default:
        throw new CodecError(path, `unknown tag ${JSON.stringify(tag)} (objects with one "$" key are wrapped in "$object")`);
    }
  }
  return decodeMembers(value, path, depth);
}

function decodeMembers(value: { [key: string]: JsonValue }, path: string, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) define(out, key, decode(value[key] as JsonValue, childPath(path, key), depth + 1));
  return out;
}

/** Inverse of `encodeValue` and `encodeStored`; a malformed tag throws a `CodecError`. */
export function decodeValue(value: JsonValue, path = "value"): unknown {
  return decode(value, path, 0);
}

/** JSON text of an encoded value, writing the number `-0` as `-0` (JSON.stringify writes `0`). */
export function stringify(value: JsonValue): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : JSON.stringify(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringify).join(",")}]`;
  return `{${Object.keys(value)
    .map((k) => `${JSON.stringify(k)}:${stringify(value[k] as JsonValue)}`)
    .join(",")}}`;
}

/** Parses JSON text (as `JSON.parse`, which keeps `-0` and makes `__proto__` an own key). */
export function parse(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}

/** Canonical text of an encoded value (object keys sorted): equal values, equal text. */
export function canonicalJson(value: JsonValue): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : JSON.stringify(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
}
