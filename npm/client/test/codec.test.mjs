import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CodecError, decodeValue, encodeStored, encodeValue, parse, stringify } from "../dist/index.js";

// Lunora values: JSON plus bigint (int64 range), ArrayBuffer, -0, tag-like keys, __proto__.
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("$int64", "$bytes", "$object", "$number", "$x", "$", "__proto__", "a"));
const bytes = fc.uint8Array({ maxLength: 12 }).map((u) => u.slice().buffer);
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, 1e300, -1e300, 5e-324, Number.MAX_SAFE_INTEGER + 2),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  bytes,
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.array(fc.tuple(key, tie("value")), { maxLength: 4 }).map((entries) => {
    const out = {};
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  }),
}));

/** Deep equality that tells -0 from 0, compares ArrayBuffers by bytes and keys as own props. */
function same(a, b) {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    if (!(a instanceof ArrayBuffer && b instanceof ArrayBuffer)) return false;
    return Buffer.from(a).equals(Buffer.from(b));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

test("random values round-trip through the wire form (encodeValue, JSON.stringify, JSON.parse, decodeValue)", () => {
  fc.assert(
    fc.property(value, (v) => {
      const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(v))));
      assert.ok(same(back, v), `${stringify(encodeStored(v))}`);
    }),
    { numRuns: 2000 },
  );
});

test("random values round-trip through the stored form (encodeStored, stringify, parse, decodeValue)", () => {
  fc.assert(
    fc.property(value, (v) => {
      const text = stringify(encodeStored(v));
      assert.ok(same(decodeValue(parse(text)), v), text);
      // stringify agrees with JSON.stringify except for -0
      if (!text.includes("-0")) assert.equal(text, JSON.stringify(encodeStored(v)));
    }),
    { numRuns: 2000 },
  );
});

test("user objects shaped like tags, __proto__ keys, -0 and 1e300 round-trip", () => {
  const proto = JSON.parse('{"__proto__":{"polluted":true}}');
  const cases = [
    { $int64: "5" },
    { $bytes: "AAAA" },
    { $object: { a: 1 } },
    { $number: "-0" },
    { $int64: 5n },
    { $x: 1 },
    { $int64: "1", other: 2 },
    proto,
    { a: [proto, { $object: {} }] },
    -0,
    [-0, 0],
    { n: -0 },
    1e300,
    -1e-300,
  ];
  for (const v of cases) {
    assert.ok(same(decodeValue(JSON.parse(JSON.stringify(encodeValue(v)))), v), JSON.stringify(encodeValue(v)));
    assert.ok(same(decodeValue(parse(stringify(encodeStored(v)))), v), stringify(encodeStored(v)));
  }
  assert.deepEqual(encodeValue({ $int64: "5" }), { $object: { $int64: "5" } });
  assert.deepEqual(encodeValue({ $object: { $x: 1 } }), { $object: { $object: { $object: { $x: 1 } } } });
  assert.deepEqual(encodeValue(-0), { $number: "-0" });
  assert.equal(stringify(encodeStored({ n: -0 })), '{"n":-0}');
  const decoded = decodeValue(proto);
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.ok(Object.hasOwn(decoded, "__proto__"));
  assert.equal({}.polluted, undefined);
  assert.equal(decoded.polluted, undefined);
});

test("NaN, Infinity, Date, Map, Set, class instances, functions and symbols are refused by name", () => {
  class Point {
    constructor() {
      this.x = 1;
    }
  }
  const refused = [
    [NaN, /cannot store NaN/],
    [Infinity, /cannot store Infinity/],
    [{ a: [-Infinity] }, /value\.a\[0\]: cannot store -Infinity/],
    [new Date(0), /cannot store a Date \(store a number \(date\.getTime\(\)\) or an ISO string\)/],
    [{ m: new Map() }, /value\.m: cannot store a Map/],
    [new Set([1]), /cannot store a Set \(store an array/],
    [new Point(), /cannot store a Point/],
    [() => 1, /cannot store a function/],
    [Symbol("s"), /cannot store a symbol/],
    [2n ** 63n, /bigint 9223372036854775808 is out of the int64 range/],
    [{ a: -(2n ** 63n) - 1n }, /value\.a: bigint -9223372036854775809 is out of the int64 range/],
  ];
  for (const [v, message] of refused) {
    assert.throws(() => encodeValue(v), (e) => e instanceof CodecError && message.test(e.message), String(message));
    assert.throws(() => encodeStored(v), (e) => e instanceof CodecError && message.test(e.message), String(message));
  }
  assert.throws(() => encodeStored([undefined]), /cannot store undefined/);
  assert.equal(encodeValue(undefined), null);
});

test("malformed tags are refused when decoding", () => {
  for (const bad of [
    { $int64: "x" },
    { $int64: 5 },
    { $int64: "9223372036854775808" },
    { $int64: "01" },
    { $bytes: "%%" },
    { $number: "1" },
    { $object: { a: 1 } },
    { $object: [] },
    { $what: 1 },
  ]) {
    assert.throws(() => decodeValue(bad), CodecError, JSON.stringify(bad));
  }
  assert.equal(decodeValue({ $int64: "-9223372036854775808" }), -(2n ** 63n));
});
