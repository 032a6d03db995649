// The optimistic layer alone: updates compose in issue order, a result computed at or after an
// update's commit no longer gets it, an update that throws is skipped whole, and a query an
// update without a reply set holds new results back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OptimisticLayer, queryKey } from "../dist/optimistic.js";

const list = { __lunora: "ref", path: "m:list", kind: "query" };
const query = (value, version, object = "o") => ({ key: queryKey("m:list", { c: "1" }), path: "m:list", args: { c: "1" }, object, version, value });
const append = (text) => (store, args) => {
  const cur = store.getQuery(list, { c: "1" });
  if (cur) store.setQuery(list, { c: "1" }, [...cur, `${text}${args.n}`]);
};
const silent = () => {};

test("updates compose in the order issued, each seeing the ones before it", () => {
  const layer = new OptimisticLayer();
  layer.add(append("a"), { n: 1 });
  layer.add(append("b"), { n: 2 });
  const shown = layer.apply([query(["x"], 3)], silent);
  assert.deepEqual(shown.get(queryKey("m:list", { c: "1" })), ["x", "a1", "b2"]);
});

test("a result at or past an update's commit on that object already includes it", () => {
  const layer = new OptimisticLayer();
  const a = layer.add(append("a"), { n: 1 });
  layer.add(append("b"), { n: 2 });
  layer.committed(a, { object: "o", version: 5 });
  const key = queryKey("m:list", { c: "1" });
  assert.deepEqual(layer.apply([query(["x"], 4)], silent).get(key), ["x", "a1", "b2"], "older result: both");
  assert.deepEqual(layer.apply([query(["x", "a1"], 5)], silent).get(key), ["x", "a1", "b2"], "at the commit: only b");
  assert.deepEqual(layer.apply([query(["x", "a1"], 5, "other")], silent).get(key), ["x", "a1", "a1", "b2"], "another object's version says nothing");
});

test("an update that throws is skipped whole and reported; the others apply", () => {
  const layer = new OptimisticLayer();
  const errors = [];
  layer.add((store) => {
    store.setQuery(list, { c: "1" }, ["half"]);
    throw new Error("boom");
  }, {});
  layer.add(append("b"), { n: 2 });
  const shown = layer.apply([query(["x"], 1)], (e) => errors.push(e.message));
  assert.deepEqual(shown.get(queryKey("m:list", { c: "1" })), ["x", "b2"]);
  assert.deepEqual(errors, ["boom"]);
});

test("a query set by an update without a reply holds new results; dropped or committed, it does not", () => {
  const layer = new OptimisticLayer();
  const key = queryKey("m:list", { c: "1" });
  const a = layer.add(append("a"), { n: 1 });
  layer.apply([query(["x"], 1)], silent);
  assert.equal(layer.holds(key), true);
  assert.equal(layer.holds(queryKey("m:list", { c: "2" })), false, "a query it did not set");
  layer.committed(a, { object: "o", version: 2 });
  assert.equal(layer.holds(key), false);
  layer.drop(a);
  assert.equal(layer.empty, true);
  assert.equal(layer.apply([query(["x"], 1)], silent).size, 0);
});

test("setQuery on a query nobody subscribed to is ignored; getAllQueries lists the subscribed ones", () => {
  const layer = new OptimisticLayer();
  let all;
  layer.add((store) => {
    store.setQuery(list, { c: "nobody" }, ["y"]);
    all = store.getAllQueries(list);
  }, {});
  const shown = layer.apply([query(["x"], 1)], silent);
  assert.equal(shown.size, 0);
  assert.deepEqual(all, [{ args: { c: "1" }, value: ["x"] }]);
});
