// JSON wire codec. Lunora values are JSON plus `bigint` (v.int64) and `ArrayBuffer` (v.bytes);
// they travel as `{ "$int64": "<decimal>" }` and `{ "$bytes": "<base64>" }`. `undefined` object
// members are dropped, as in JSON.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromBase64(text: string): ArrayBuffer {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

/** Converts a Lunora value to plain JSON. */
export function encodeValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new Error(`cannot encode non-finite number ${value}`);
      return value;
    case "bigint":
      return { $int64: value.toString() };
    case "object": {
      if (value instanceof ArrayBuffer) return { $bytes: toBase64(new Uint8Array(value)) };
      if (ArrayBuffer.isView(value)) {
        return { $bytes: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
      }
      if (Array.isArray(value)) return value.map((item) => encodeValue(item));
      const out: { [key: string]: JsonValue } = {};
      for (const key of Object.keys(value)) {
        const member = (value as Record<string, unknown>)[key];
        if (member !== undefined) out[key] = encodeValue(member);
      }
      return out;
    }
    default:
      throw new Error(`cannot encode a value of type ${typeof value}`);
  }
}

/** Inverse of `encodeValue`. */
export function decodeValue(value: JsonValue): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => decodeValue(item));
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const int64 = value["$int64"];
    if (typeof int64 === "string") return BigInt(int64);
    const bytes = value["$bytes"];
    if (typeof bytes === "string") return fromBase64(bytes);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = decodeValue(value[key] as JsonValue);
  return out;
}

/** Canonical text of an encoded value (object keys sorted): equal values, equal text. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
}
