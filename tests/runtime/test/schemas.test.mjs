// The storage codec over random schemas, on real workerd: for each seed, a random app (three
// tables, global/D1, root and sharded, whose fields are random validator trees of every kind, with
// random single and compound indexes; test/random-schema.mjs) is built with the real `lunora
// codegen` and `lunora migrate generate`, and random documents of its schema are written through
// mutations and read back through get, collect, a live subscription and index ranges (compared
// with a JavaScript reference comparator), then patched and replaced.
//
// LUNORA_SCHEMA_SEEDS=1,2,3 picks the schema seeds (default: a fixed list, so CI is
// reproducible); LUNORA_SCHEMA_RUNS the documents' runs per table. A failure names the seed and
// prints the schema.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { startApp, ref, until } from "./helpers.mjs";
import { same, show, refCompare } from "./values.mjs";
import { appSources, describe, objectValue, schemaArb, valueOf } from "./random-schema.mjs";
import { buildWorker } from "../scripts/build-app.mjs";

const SEEDS = (process.env.LUNORA_SCHEMA_SEEDS ?? "11,22,33,44,55").split(",").map(Number);
const RUNS = Number(process.env.LUNORA_SCHEMA_RUNS ?? 6);

async function buildApp(seed, schema) {
  const { "src/worker.ts": worker, ...files } = appSources(schema);
  return buildWorker(`random/${seed}`, files, worker);
}

for (const seed of SEEDS) {
  const [schema] = fc.sample(schemaArb, { seed, numRuns: 1 });
  test(`random schema (seed ${seed}): documents round-trip and index ranges agree with the reference`, async (t) => {
    let app;
    try {
      app = await startApp(await buildApp(seed, schema));
      const client = app.client();
      for (const table of schema) {
        await t.test(`${table.table} (${table.placement})`, async () => {
          try {
            await property(client, table);
          } catch (error) {
            console.error(`seed ${seed}, table ${table.table}: ${error?.cause?.message ?? ""}\n${describe(schema)}`);
            throw error;
          }
        });
      }
    } finally {
      await app?.dispose();
    }
  });
}

async function property(client, table) {
  const args = table.shard ? { [table.shard]: table.shardKey.value } : {};
  const fn = (name, kind = "query") => ref(`t:${name}_${table.table}`, kind);
  const doc = objectValue(table.fields);
  const optional = table.fields.filter((f) => f.optional).map((f) => f.name);
  let live;
  const unsub = client.subscribe(fn("all"), args, (value) => (live = value));
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(doc, { minLength: 1, maxLength: 5 }),
        rangeArb(table),
        doc,
        doc,
        fc.subarray(table.fields.map((f) => f.name)),
        fc.subarray(optional),
        fc.integer({ min: 1, max: 3 }),
        async (docs, range, patchFrom, replacement, patched, removed, pageSize) => {
          await client.mutation(fn("clear", "mutation"), args);
          // One mutation per document: insertion order = creation order.
          const ids = [];
          for (const d of docs) ids.push(...(await client.mutation(fn("insert", "mutation"), { ...args, docs: [d] })));
          const written = docs.map((d, k) => ({ d, id: ids[k] }));

          for (const w of written) {
            const got = await client.query(fn("get"), { ...args, id: w.id });
            assert.ok(same(fieldsOf(table, got), w.d), `get: ${show(got)} != ${show(w.d)}`);
          }
          const all = await client.query(fn("all"), args);
          assert.deepEqual(all.map((d) => d._id), ids);
          all.forEach((d, k) => assert.ok(same(fieldsOf(table, d), docs[k]), `collect: ${show(d)} != ${show(docs[k])}`));
          await until(() => Array.isArray(live) && live.length === all.length && live.every((d, k) => same(d, all[k])), 5000, "the live result");

          // An index range, and a live subscription to it that must follow the patch and replace
          // below (live queries re-run only when a write touches a range they read).
          let liveRange;
          let stopRange = () => {};
          const bounds = range && resolve(range, docs);
          if (bounds) {
            const got = await client.query(fn("range"), { ...args, ...bounds });
            const want = reference(table, written, bounds);
            assert.deepEqual(
              got.map((d) => d._id),
              want,
              `${bounds.index} ${show(bounds)}: got ${show(got.map((d) => bounds.fields.map((f) => d[f])))}`,
            );
            // The same range in pages of `pageSize`: the pages, in order, are the whole range.
            const pages = [];
            for (let cursor = null, n = 0; ; n++) {
              assert.ok(n <= got.length + 1, "paginate does not end");
              const page = await client.query(fn("range"), { ...args, ...bounds, page: { numItems: pageSize, cursor } });
              pages.push(...page.page);
              if (page.isDone) break;
              cursor = page.continueCursor;
            }
            assert.deepEqual(pages.map((d) => d._id), want, `pages of ${pageSize}`);
            stopRange = client.subscribe(fn("range"), { ...args, ...bounds }, (value) => (liveRange = value));
            await until(() => Array.isArray(liveRange) && same(liveRange, got), 5000, "the live range");
          }

          // patch: some fields of another document, and remove some optional ones
          const target = written[0];
          const fields = {};
          for (const name of patched) if (Object.hasOwn(patchFrom, name)) fields[name] = patchFrom[name];
          const remove = removed.filter((name) => !Object.hasOwn(fields, name));
          await client.mutation(fn("patch", "mutation"), { ...args, id: target.id, fields, remove });
          const expect = { ...target.d, ...fields };
          for (const name of remove) delete expect[name];
          const afterPatch = await client.query(fn("get"), { ...args, id: target.id });
          assert.ok(same(fieldsOf(table, afterPatch), expect), `patch ${show(fields)} -${show(remove)}: ${show(afterPatch)} != ${show(expect)}`);

          await client.mutation(fn("replace", "mutation"), { ...args, id: target.id, doc: replacement });
          const afterReplace = await client.query(fn("get"), { ...args, id: target.id });
          assert.ok(same(fieldsOf(table, afterReplace), replacement), `replace: ${show(afterReplace)} != ${show(replacement)}`);

          if (bounds) {
            const now = await client.query(fn("range"), { ...args, ...bounds });
            await until(() => same(liveRange, now), 5000, `the live range after patch and replace (${show(bounds)})`);
            stopRange();
          }
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
  } finally {
    unsub();
  }
}

/** A document's own fields (no system fields, no shard key). */
function fieldsOf(table, doc) {
  assert.ok(doc && typeof doc === "object", `not a document: ${show(doc)}`);
  const out = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === "_id" || k === "_creationTime" || k === table.shard) continue;
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * A range over one of the table's indexes: equalities on a prefix of its fields (each a random
 * value or the value of a written document, so that some match), then optional bounds on the next
 * field.
 */
function rangeArb(table) {
  if (table.indexes.length === 0) return fc.constant(null);
  const byName = Object.fromEntries(table.fields.map((f) => [f.name, f.v]));
  return fc.constantFrom(...table.indexes).chain((index) =>
    fc.integer({ min: 0, max: index.fields.length }).chain((prefix) => {
      const next = index.fields[prefix];
      const bound = next === undefined ? fc.constant(undefined) : fc.option(valueOf(byName[next]), { nil: undefined });
      return fc.record({
        index: fc.constant(index),
        eqs: fc.tuple(...index.fields.slice(0, prefix).map((f) => fc.record({ value: valueOf(byName[f]), from: fc.nat() }))),
        gte: bound,
        lt: bound,
        order: fc.constantFrom("asc", "desc"),
      });
    }),
  );
}

/** The call arguments of a range: an equality takes a written document's value when it has one. */
function resolve(range, docs) {
  const fields = range.index.fields;
  const eqs = range.eqs.map(({ value, from }, k) => {
    const d = docs[from % docs.length];
    return Object.hasOwn(d, fields[k]) && from % 2 === 0 ? d[fields[k]] : value;
  });
  const out = { index: range.index.name, fields, eqs, order: range.order };
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  return out;
}

/**
 * The ids a range returns by the reference comparator: an absent field lies below every value
 * (Convex's `undefined`), so an equality or a lower bound leaves it out and an upper bound keeps
 * it; the result is ordered by the index's fields (absent first), then by creation; `desc`
 * reverses the whole order.
 */
function reference(table, written, { fields, eqs, gte, lt, order }) {
  const cmp = (a, b) => refCompare(table.d1, a, b);
  const next = fields[eqs.length];
  const hits = written.filter(({ d }) => {
    if (!eqs.every((value, k) => d[fields[k]] !== undefined && cmp(d[fields[k]], value) === 0)) return false;
    const v = d[next];
    if (gte !== undefined && (v === undefined || cmp(v, gte) < 0)) return false;
    if (lt !== undefined && v !== undefined && cmp(v, lt) >= 0) return false;
    return true;
  });
  const position = new Map(written.map((w, k) => [w.id, k]));
  hits.sort((x, y) => {
    for (const f of fields) {
      const c = cmp(x.d[f], y.d[f]);
      if (c !== 0) return c;
    }
    return position.get(x.id) - position.get(y.id);
  });
  if (order === "desc") hits.reverse();
  return hits.map((w) => w.id);
}
