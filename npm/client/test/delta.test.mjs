import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyDelta, computeDelta, decodeValue, encodeValue } from "../dist/index.js";

const doc = fc.record({
  _id: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"),
  n: fc.integer({ min: 0, max: 3 }),
  s: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
});
const docList = fc.uniqueArray(doc, { selector: (d) => d._id, maxLength: 8 }).map((l) => encodeValue(l));
const anyJson = fc.jsonValue({ maxDepth: 3 });

test("applyDelta(prev, computeDelta(prev, next)) reproduces next exactly (document lists)", () => {
  fc.assert(
    fc.property(docList, docList, (prev, next) => {
      const delta = computeDelta(prev, next);
      if (delta === null) {
        assert.deepEqual(prev, next);
        return;
      }
      assert.deepEqual(applyDelta(prev, delta), next);
    }),
    { numRuns: 2000 },
  );
});

test("deltas compose over random sequences of results", () => {
  fc.assert(
    fc.property(fc.array(docList, { minLength: 1, maxLength: 12 }), (results) => {
      let client = results[0];
      for (let i = 1; i < results.length; i++) {
        const delta = computeDelta(results[i - 1], results[i]);
        if (delta) client = applyDelta(client, delta);
        assert.deepEqual(client, results[i]);
      }
    }),
    { numRuns: 500 },
  );
});

test("non-list values are replaced whole, and equal values give no delta", () => {
  fc.assert(
    fc.property(anyJson, anyJson, (prev, next) => {
      const delta = computeDelta(prev, next);
      if (delta === null) return;
      assert.deepEqual(applyDelta(prev, delta), next);
    }),
    { numRuns: 500 },
  );
  assert.equal(computeDelta({ a: 1, b: 2 }, { b: 2, a: 1 }), null);
});

test("an insertion at the front of a long list sends only the new document", () => {
  const prev = Array.from({ length: 50 }, (_, i) => ({ _id: `m${i}`, text: `t${i}` }));
  const next = [{ _id: "new", text: "hello" }, ...prev.slice(0, 49)];
  const delta = computeDelta(prev, next);
  assert.deepEqual(delta, { k: "list", remove: ["m49"], insert: [[0, { _id: "new", text: "hello" }]], update: [] });
});

test("int64 and bytes survive the wire codec", () => {
  const value = { n: 9223372036854775807n, b: new Uint8Array([1, 2, 255]).buffer, list: [1, "x", null] };
  const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));
  assert.equal(back.n, value.n);
  assert.deepEqual([...new Uint8Array(back.b)], [1, 2, 255]);
  assert.deepEqual(back.list, [1, "x", null]);
});
