// Shared by the storage property tests (storage.test.mjs, schemas.test.mjs): fast-check
// arbitraries for the values of each validator kind, and a deep equality that tells -0 from 0,
// compares bytes by content and checks prototypes.
import fc from "fast-check";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export const str = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.constantFrom("", "true", "null", "5", '"q"', "\\", "é", "😀", "{\"$int64\":\"1\"}", "a\u0000b", "Z", "a"),
);
export const num = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, 1, -1, 1e300, -1e300, 5e-324, 2 ** 53 + 2, 0.1),
);
export const int64 = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.bigInt({ min: -20n, max: 20n }),
  fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n),
);
export const bytes = fc.uint8Array({ maxLength: 6 }).map((u) => u.slice().buffer);
/** Object keys, including the codec's tag names and `__proto__`. */
export const key = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom("$int64", "$bytes", "$object", "$x", "__proto__"));

/** A plain object with these own enumerable entries (`__proto__` as a key, not the prototype). */
export function objectOf(entries) {
  const out = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** A value of `v.any()`: every kind, nested. */
export const { anyValue } = fc.letrec((tie) => ({
  anyValue: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    str,
    num,
    fc.boolean(),
    fc.constant(null),
    int64,
    bytes,
    fc.array(tie("anyValue"), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie("anyValue")), { maxLength: 3 }).map(objectOf),
  ),
}));

export const opt = (arb) => fc.option(arb, { nil: undefined });

/** Deep equality telling -0 from 0, comparing ArrayBuffers by bytes, prototypes and own keys. */
export function same(a, b) {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    return a instanceof ArrayBuffer && b instanceof ArrayBuffer && Buffer.from(a).equals(Buffer.from(b));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

export function show(value) {
  return JSON.stringify(value, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : v instanceof ArrayBuffer ? `bytes(${Buffer.from(v).toString("hex")})` : Object.is(v, -0) ? "-0" : v,
  );
}

/**
 * The reference order of one index field's values: absent first, then null (a nullable field in a
 * Durable Object, Convex's order), then by value (strings by UTF-8
 * bytes, as SQLite's BINARY collation; false before true). In D1 a `-0` number is stored as a BLOB
 * (a REAL column would store 0), so it sorts after every number (docs/ARCHITECTURE.md, "D1
 * migrations").
 */
export function refCompare(d1, a, b) {
  const rank = (v) => (v === undefined ? 0 : v === null ? 1 : d1 && Object.is(v, -0) ? 3 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra !== 2) return 0;
  if (typeof a === "string") return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
  return a < b ? -1 : a > b ? 1 : 0;
}
