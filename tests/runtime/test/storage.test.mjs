// The storage codec on real workerd: random documents with a field of every validator kind
// (tests/runtime/app/lunora/schema.ts: kindsGlobal in D1, kindsRoot, kindsShard) written through
// mutations and read back through get, collect, withIndex ranges and a live subscription, deep-equal
// (bigint, bytes, -0 included); index ranges agree with a JavaScript reference comparator; DO
// query plans use the int64 index.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { startApp, ref, until } from "./helpers.mjs";
import { INT64_MAX, INT64_MIN, anyValue, bytes, int64, key, num, objectOf, opt, refCompare, same, show, str } from "./values.mjs";

let app;
let client;
before(async () => {
  app = await startApp();
  client = app.client();
});
after(async () => {
  await app?.dispose();
});

const PLACEMENTS = [
  { name: "Global", table: "kindsGlobal", args: {}, object: "root", d1: true },
  { name: "Root", table: "kindsRoot", args: {}, object: "root", d1: false },
  { name: "Shard", table: "kindsShard", args: { shard: "s1" }, object: "shard:s1", d1: false },
];

const docArb = fc
  .record({
    s: str,
    n: num,
    b: fc.boolean(),
    i: int64,
    by: bytes,
    nu: fc.constant(null),
    ls: fc.constant("open"),
    ln: fc.constant(5),
    lb: fc.constant(true),
    os: opt(str),
    on: opt(num),
    oi: opt(int64),
    u: fc.oneof(str, fc.constant(null)),
    status: fc.constantFrom("open", "closed"),
    mix: fc.oneof(int64, str, bytes, fc.constant(null), fc.array(num, { maxLength: 3 }), str.map((s) => ({ $int64: s }))),
    a: anyValue,
    arr: fc.array(fc.oneof(num, int64, fc.constant(false)), { maxLength: 4 }),
    obj: fc.record(
      { x: int64, y: opt(bytes), z: fc.constant(null), w: fc.array(fc.tuple(key, fc.oneof(num, str)), { maxLength: 3 }).map(objectOf) },
    ),
    rec: fc.array(fc.tuple(key, anyValue), { maxLength: 3 }).map(objectOf),
    ref: opt(fc.constantFrom("channels:aaaaaaaaaaaaaaaaaaaa", "channels:b234567zzzzzzzzzzzzz")),
  })
  .map(dropUndefined);

function dropUndefined(doc) {
  const out = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === undefined) continue;
    out[k] = k === "obj" ? dropUndefined(v) : v;
  }
  return out;
}

// --- comparison ------------------------------------------------------------------------------

function fieldsOf(doc, placement) {
  const { _id, _creationTime, ...rest } = doc;
  if (placement.name === "Shard") delete rest.shard;
  return rest;
}

function reference(placement, docs, field, { gte, lt, eq, order }) {
  const inRange = (v) => {
    // Documents without the field sort first (Convex's `undefined` is below every value): in an
    // unbounded range or under an upper bound only.
    if (v === undefined) return eq === undefined && gte === undefined;
    if (eq !== undefined) return refCompare(placement.d1, v, eq) === 0;
    if (gte !== undefined && refCompare(placement.d1, v, gte) < 0) return false;
    if (lt !== undefined && refCompare(placement.d1, v, lt) >= 0) return false;
    return true;
  };
  const out = docs.map((d, index) => ({ d, index })).filter(({ d }) => inRange(d[field]));
  const cmp = (a, b) => (a === undefined || b === undefined ? Number(b === undefined) - Number(a === undefined) : refCompare(placement.d1, a, b));
  out.sort((x, y) => cmp(x.d[field], y.d[field]) || x.index - y.index);
  if (order === "desc") out.reverse();
  return out.map(({ d }) => d);
}

const fn = (placement, name, kind = "query") => ref(`kinds:${name}${placement.name}`, kind);

// --- the property ----------------------------------------------------------------------------

const FIELDS = [
  { field: "i", index: "by_i", value: int64 },
  { field: "n", index: "by_n", value: num },
  { field: "s", index: "by_s", value: str },
  { field: "oi", index: "by_oi", value: int64 },
];

for (const placement of PLACEMENTS) {
  test(`random documents of every validator kind round-trip: ${placement.table}`, async () => {
    let live;
    const unsub = client.subscribe(fn(placement, "all"), placement.args, (v) => (live = v));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(docArb, { minLength: 1, maxLength: 6 }),
          fc.constantFrom(...FIELDS).chain((f) =>
            fc.record({ f: fc.constant({ field: f.field, index: f.index }), gte: opt(f.value), lt: opt(f.value), eq: opt(f.value), order: fc.constantFrom("asc", "desc") }),
          ),
          docArb,
          docArb,
          async (docs, range, patchFrom, replacement) => {
            try {
              await roundTrip(placement, () => live, docs, range, patchFrom, replacement);
            } catch (error) {
              console.error(`${placement.table}: ${error?.message ?? error}`);
              throw error;
            }
          },
        ),
        {
          numRuns: Number(process.env.LUNORA_STORAGE_RUNS ?? 12),
          endOnFailure: true,
          // A failure prints `{ seed, path }`: LUNORA_STORAGE_SEED=<seed> LUNORA_STORAGE_PATH=<path> replays it.
          ...(process.env.LUNORA_STORAGE_SEED ? { seed: Number(process.env.LUNORA_STORAGE_SEED), path: process.env.LUNORA_STORAGE_PATH } : {}),
        },
      );
    } finally {
      unsub();
    }
  });
}

async function roundTrip(placement, current, docs, range, patchFrom, replacement) {
  await client.mutation(fn(placement, "clear", "mutation"), placement.args);
  // Inserted one mutation per document: insertion order = creation order = rowid order.
  const ids = [];
  for (const doc of docs) ids.push(...(await client.mutation(fn(placement, "insert", "mutation"), { ...placement.args, docs: [doc] })));
  const written = docs.map((d, k) => ({ ...d, _id: ids[k] }));

  // get
  for (const w of written) {
    const got = await client.query(fn(placement, "get"), { ...placement.args, id: w._id });
    assert.ok(same(fieldsOf(got, placement), fieldsOf(w, placement)), `get: ${show(got)} != ${show(w)}`);
  }
  // collect (creation order)
  const all = await client.query(fn(placement, "all"), placement.args);
  assert.deepEqual(all.map((d) => d._id), ids);
  all.forEach((d, k) => assert.ok(same(fieldsOf(d, placement), docs[k]), `collect: ${show(d)} != ${show(docs[k])}`));

  // withIndex range (or equality) against the reference comparator
  const { f, gte, lt, eq, order } = range;
  const bounds = eq !== undefined ? { eq } : { ...(gte !== undefined ? { gte } : {}), ...(lt !== undefined ? { lt } : {}) };
  const got = await client.query(fn(placement, "range"), { ...placement.args, index: f.index, field: f.field, ...bounds, order });
  const want = reference(placement, written, f.field, { ...bounds, order });
  assert.deepEqual(
    got.map((d) => d._id),
    want.map((d) => d._id),
    `${f.index} ${show(bounds)} ${order}: got ${show(got.map((d) => d[f.field]))}, want ${show(want.map((d) => d[f.field]))}`,
  );

  // the live subscription converges to the same documents
  await until(() => {
    const live = current();
    return Array.isArray(live) && live.length === all.length && live.every((d, k) => same(d, all[k]));
  }, 5000, "live result");

  // patch (a subset of another document's fields, removing an optional one), replace
  const target = written[0];
  const patch = { s: patchFrom.s, i: patchFrom.i, a: patchFrom.a, mix: patchFrom.mix };
  await client.mutation(fn(placement, "patch", "mutation"), { ...placement.args, id: target._id, fields: patch, remove: ["oi"] });
  const expectPatched = { ...fieldsOf(target, placement), s: patchFrom.s, i: patchFrom.i, a: patchFrom.a, mix: patchFrom.mix };
  delete expectPatched.oi;
  const patched = await client.query(fn(placement, "get"), { ...placement.args, id: target._id });
  assert.ok(same(fieldsOf(patched, placement), expectPatched), `patch: ${show(patched)} != ${show(expectPatched)}`);
  await client.mutation(fn(placement, "replace", "mutation"), { ...placement.args, id: target._id, doc: replacement });
  const replaced = await client.query(fn(placement, "get"), { ...placement.args, id: target._id });
  assert.ok(same(fieldsOf(replaced, placement), replacement), `replace: ${show(replaced)} != ${show(replacement)}`);
}

// --- fixed cases -----------------------------------------------------------------------------

const base = {
  s: "x",
  n: 1,
  b: false,
  i: 0n,
  by: new ArrayBuffer(0),
  nu: null,
  ls: "open",
  ln: 5,
  lb: true,
  u: null,
  status: "open",
  mix: null,
  a: null,
  arr: [],
  obj: { x: 0n, z: null, w: {} },
  rec: {},
};

for (const placement of PLACEMENTS) {
  test(`int64 indexes order and compare by value, beyond 2^53: ${placement.table}`, async () => {
    await client.mutation(fn(placement, "clear", "mutation"), placement.args);
    const values = [10n, 5n, 9n, -1n, INT64_MAX, INT64_MIN, 2n ** 53n + 1n, 2n ** 53n];
    for (const i of values) await client.mutation(fn(placement, "insert", "mutation"), { ...placement.args, docs: [{ ...base, i, oi: i }] });
    const range = (args) => client.query(fn(placement, "range"), { ...placement.args, index: "by_i", field: "i", order: "asc", ...args });
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual((await range({})).map((d) => d.i), sorted);
    assert.deepEqual((await range({ eq: 5n })).map((d) => d.i), [5n]);
    assert.deepEqual((await range({ eq: 2n ** 53n + 1n })).map((d) => d.i), [2n ** 53n + 1n]);
    assert.deepEqual((await range({ gte: 5n, lt: 11n })).map((d) => d.i), [5n, 9n, 10n]);
    assert.deepEqual((await range({ gte: 2n ** 53n + 1n, order: "desc" })).map((d) => d.i), [INT64_MAX, 2n ** 53n + 1n]);
    const oi = await client.query(fn(placement, "range"), { ...placement.args, index: "by_oi", field: "oi", order: "desc", lt: 0n });
    assert.deepEqual(oi.map((d) => d.oi), [-1n, INT64_MIN]);
    // a compound index: equality on a string-literal union, then an int64 range
    const open = await client.query(fn(placement, "byStatus"), { ...placement.args, status: "open", gt: 9n });
    assert.deepEqual(open.map((d) => d.i), [10n, 2n ** 53n, 2n ** 53n + 1n, INT64_MAX]);
    // read-your-writes inside a mutation: pending writes merged in index order
    const merged = await client.mutation(fn(placement, "insertThenRange", "mutation"), {
      ...placement.args,
      docs: [{ ...base, i: 7n }, { ...base, i: 2n ** 60n }, { ...base, i: -5n }],
      gte: 6n,
      order: "desc",
    });
    assert.deepEqual(merged.map((d) => d.i), [INT64_MAX, 2n ** 60n, 2n ** 53n + 1n, 2n ** 53n, 10n, 9n, 7n]);

    if (!placement.d1) {
      const { plans } = await app.debug(placement.object);
      const scans = plans.filter((p) => p.sql.includes(`CAST(json_extract(doc,'$.i."$int64"') AS INTEGER) >= CAST(? AS INTEGER)`));
      assert.ok(scans.length > 0, JSON.stringify(plans.map((p) => p.sql)));
      for (const p of scans) {
        assert.ok(p.plan.some((d) => d.includes(`INDEX ${placement.table}__by_i`)), JSON.stringify(p));
        assert.ok(!p.plan.some((d) => d.includes("TEMP B-TREE")), JSON.stringify(p));
      }
      const status = plans.findLast((p) => p.sql.includes(`json_extract(doc,'$.status') = ?`));
      assert.ok(status?.plan.some((d) => d.includes(`INDEX ${placement.table}__by_status`)), JSON.stringify(status));
    }
  });

  test(`an absent field lies below every value, as Convex's undefined: ${placement.table}`, async () => {
    await client.mutation(fn(placement, "clear", "mutation"), placement.args);
    const { oi: _, ...withoutOi } = base;
    const insert = (doc) => client.mutation(fn(placement, "insert", "mutation"), { ...placement.args, docs: [doc] });
    const [none] = await insert(withoutOi);
    await insert({ ...base, oi: 1n });
    await insert({ ...base, oi: 5n });
    const range = async (args, order = "asc") =>
      (await client.query(fn(placement, "range"), { ...placement.args, index: "by_oi", field: "oi", order, ...args })).map((d) => d.oi ?? "absent");
    assert.deepEqual(await range({}), ["absent", 1n, 5n]);
    assert.deepEqual(await range({ lt: 3n }), ["absent", 1n]);
    assert.deepEqual(await range({ lte: 1n }, "desc"), [1n, "absent"]);
    assert.deepEqual(await range({ lt: 0n }), ["absent"]);
    assert.deepEqual(await range({ gte: 0n }), [1n, 5n]);
    assert.deepEqual(await range({ gte: 0n, lt: 3n }), [1n]);
    assert.deepEqual(await range({ eq: 1n }), [1n]);
    // A live `lt` range re-runs when a document without the field is written (the read set
    // agrees with the SQL), and when one leaves the range.
    let live;
    const unsub = client.subscribe(fn(placement, "range"), { ...placement.args, index: "by_oi", field: "oi", order: "asc", lt: 3n }, (v) => (live = v));
    try {
      await until(() => live?.length === 2, 5000, "the initial live range");
      await insert(withoutOi);
      await until(() => live?.length === 3, 5000, "an inserted absent field to enter the live range");
      await client.mutation(fn(placement, "patch", "mutation"), { ...placement.args, id: none, fields: { oi: 9n }, remove: [] });
      await until(() => live?.length === 2 && live.every((d) => d._id !== none), 5000, "a patched document to leave the live range");
    } finally {
      unsub();
    }
  });

  // A required `v.union(T, v.null())` is indexable (D1: through json_extract of its JSON column): a
  // null lies below every value (Convex's order), `eq(null)` finds the nulls, `gt(null)` the values.
  {
    test(`a nullable field's index puts null below every value: ${placement.table}`, async () => {
      await client.mutation(fn(placement, "clear", "mutation"), placement.args);
      const insert = (u) => client.mutation(fn(placement, "insert", "mutation"), { ...placement.args, docs: [{ ...base, u }] });
      const [nulled] = await insert(null);
      await insert("b");
      await insert("a");
      await insert(null);
      const range = async (args, order = "asc") =>
        (await client.query(fn(placement, "range"), { ...placement.args, index: "by_u", field: "u", order, ...args })).map((d) => d.u);
      assert.deepEqual(await range({}), [null, null, "a", "b"]);
      assert.deepEqual(await range({}, "desc"), ["b", "a", null, null]);
      assert.deepEqual(await range({ eq: null }), [null, null]);
      assert.deepEqual(await range({ eq: "a" }), ["a"]);
      assert.deepEqual(await range({ gt: null }), ["a", "b"]);
      assert.deepEqual(await range({ gte: null }), [null, null, "a", "b"]);
      assert.deepEqual(await range({ lte: null }), [null, null]);
      assert.deepEqual(await range({ lt: null }), []);
      assert.deepEqual(await range({ lt: "b" }), [null, null, "a"]);
      assert.deepEqual(await range({ lte: "a" }, "desc"), ["a", null, null]);
      assert.deepEqual(await range({ gte: "a" }), ["a", "b"]);
      // A bound at null with a value bound (found by schemas.test: the nulls were left out).
      assert.deepEqual(await range({ gte: null, lt: "b" }), [null, null, "a"]);
      assert.deepEqual(await range({ gt: null, lt: "b" }), ["a"]);
      // Scans use the index; a live `eq(null)` range follows a null leaving it.
      if (placement.d1) {
        const plan = await app.db
          .prepare(`EXPLAIN QUERY PLAN SELECT _id FROM "kindsGlobal" WHERE json_extract("kindsGlobal"."u", '$') < ? ORDER BY json_extract("kindsGlobal"."u", '$')`)
          .bind("b")
          .all();
        assert.ok(plan.results.some((r) => String(r.detail).includes("INDEX kindsGlobal__by_u")), JSON.stringify(plan.results));
      } else {
        const { plans } = await app.debug(placement.object);
        const scan = plans.findLast((p) => p.sql.includes(`json_extract(doc,'$.u')`));
        assert.ok(scan?.plan.some((d) => d.includes(`INDEX ${placement.table}__by_u`)), JSON.stringify(scan));
      }
      let live;
      const unsub = client.subscribe(fn(placement, "range"), { ...placement.args, index: "by_u", field: "u", order: "asc", eq: null }, (v) => (live = v));
      try {
        await until(() => live?.length === 2, 5000, "the initial live range");
        await client.mutation(fn(placement, "patch", "mutation"), { ...placement.args, id: nulled, fields: { u: "c" }, remove: [] });
        await until(() => live?.length === 1 && live.every((d) => d._id !== nulled), 5000, "a patched null to leave the live range");
        await insert(null);
        await until(() => live?.length === 2, 5000, "an inserted null to enter the live range");
      } finally {
        unsub();
      }
    });
  }

  test(`a live query whose args hold an int64 re-runs after a write: ${placement.table}`, async () => {
    await client.mutation(fn(placement, "clear", "mutation"), placement.args);
    const seen = [];
    let failed = null;
    const unsub = client.subscribe(fn(placement, "byStatus"), { ...placement.args, status: "open", gt: 2n ** 60n }, (v) => seen.push(v), (e) => (failed = e));
    try {
      await until(() => seen.length > 0 || failed, 5000, "the first result");
      assert.equal(failed, null);
      assert.deepEqual(seen.at(-1), []);
      await client.mutation(fn(placement, "insert", "mutation"), { ...placement.args, docs: [{ ...base, i: 2n ** 61n }, { ...base, i: 5n }] });
      // The re-run decodes the stored args again (they were encoded twice: bad_args on re-run).
      await until(() => failed || seen.at(-1)?.length === 1, 5000, "the re-run");
      assert.equal(failed, null, String(failed));
      assert.deepEqual(seen.at(-1).map((d) => d.i), [2n ** 61n]);
    } finally {
      unsub();
    }
  });

  test(`number index bounds match the stored numbers exactly: ${placement.table}`, async () => {
    await client.mutation(fn(placement, "clear", "mutation"), placement.args);
    // Doubles SQLite's text-to-double conversion parses one ulp off (found by schemas.test.mjs).
    const values = [1.2200137046337045e-249, 1.916012621283971e-294, -1.797693134862313e308, 0.1, 5e-324, 1e300];
    for (const n of values) await client.mutation(fn(placement, "insert", "mutation"), { ...placement.args, docs: [{ ...base, n }] });
    const range = (args) => client.query(fn(placement, "range"), { ...placement.args, index: "by_n", field: "n", order: "asc", ...args });
    for (const n of values) {
      assert.deepEqual((await range({ eq: n })).map((d) => d.n), [n], `eq ${n}`);
      assert.deepEqual((await range({ gte: n, lt: n * (n > 0 ? 2 : 0.5) })).map((d) => d.n), [n], `[${n}, 2n)`);
    }
    assert.deepEqual((await range({})).map((d) => d.n), [...values].sort((a, b) => a - b));
  });

  test(`values the storage cannot hold are refused with bad_document: ${placement.table}`, async () => {
    await client.mutation(fn(placement, "clear", "mutation"), placement.args);
    for (const [what, message] of [
      ["nan", /cannot store NaN/],
      ["infinity", /cannot store Infinity/],
      ["date", /cannot store a Date/],
      ["map", /cannot store a Map/],
      ["int64-range", /out of the int64 range/],
    ]) {
      const res = await app.call(`kinds:insertBad${placement.name}`, { ...placement.args, what });
      assert.equal(res.body.ok, false, what);
      assert.equal(res.body.error.code, "bad_document", `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, message, what);
    }
    assert.deepEqual(await client.query(fn(placement, "all"), placement.args), []);
  });
}

test("D1 columns: -0 is kept (a BLOB in a REAL column), required null is JSON null, literals keep their type", async () => {
  const placement = PLACEMENTS[0];
  await client.mutation(fn(placement, "clear", "mutation"), {});
  const [id] = await client.mutation(fn(placement, "insert", "mutation"), {
    docs: [{ ...base, n: -0, s: "true", u: "null", a: "5", mix: "x", i: INT64_MAX }],
  });
  const got = await client.query(fn(placement, "get"), { id });
  assert.ok(Object.is(got.n, -0));
  assert.equal(got.s, "true");
  assert.equal(got.u, "null");
  assert.equal(got.a, "5");
  assert.equal(got.ln, 5);
  assert.equal(got.lb, true);
  assert.equal(got.nu, null);
  assert.equal(got.i, INT64_MAX);
  const row = await app.db.prepare(`SELECT typeof("n") AS tn, "nu", typeof("nu") AS tnu, "ln", "lb", "u", CAST("i" AS TEXT) AS i FROM "kindsGlobal"`).first();
  assert.deepEqual(row, { tn: "blob", nu: "null", tnu: "text", ln: "5", lb: "true", u: '"null"', i: "9223372036854775807" });
  // -0 in a D1 number index sorts after every number (it is a BLOB there)
  await client.mutation(fn(placement, "insert", "mutation"), { docs: [{ ...base, n: 1e300 }, { ...base, n: 0 }] });
  const byN = await client.query(fn(placement, "range"), { index: "by_n", field: "n", order: "asc" });
  assert.deepEqual(byN.map((d) => (Object.is(d.n, -0) ? "-0" : d.n)), [0, 1e300, "-0"]);
});
