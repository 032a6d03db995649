// Random Lunora apps for the storage property test (schemas.test.mjs): a fast-check arbitrary of
// schemas (three tables, one per placement, whose fields are random validator trees of every
// kind, with random single and compound indexes over the indexable fields), the app's source text
// (lunora/schema.ts, lunora/t.ts, src/worker.ts), and for each validator the arbitrary of the
// values it accepts.
import fc from "fast-check";
import { anyValue, bytes, int64, key, num, objectOf, str } from "./values.mjs";

/** The tables of every random schema: one per placement. */
export const PLACEMENTS = [
  { table: "g0", placement: "global", d1: true, shard: null },
  { table: "r0", placement: "root", d1: false, shard: null },
  { table: "s0", placement: "sharded", d1: false, shard: "shard" },
];

// Top-level field names include SQL keywords and names of the storage's own columns.
const TOP_NAMES = ["a", "b", "c", "d", "order", "group", "select", "key", "value", "doc", "index", "camelCase", "snake_case", "x1"];
// Nested object field names include the codec's tag names.
const NESTED_NAMES = ["x", "y", "z", "$int64", "$bytes", "$object", "has space", "é", "order"];
const LITERALS = fc.oneof(
  fc.constantFrom("open", "", "a b", "é", "true", "null", "5"),
  fc.constantFrom(0, 5, -1.5, 2 ** 53 + 2, 1e21),
  fc.boolean(),
);

const leaf = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(
    { k: "string" },
    { k: "number" },
    { k: "float64" },
    { k: "boolean" },
    { k: "int64" },
    { k: "bytes" },
    { k: "null" },
    { k: "any" },
    { k: "id" },
  ) },
  { weight: 1, arbitrary: LITERALS.map((value) => ({ k: "literal", value })) },
);

/** Validators an index may name, so that most tables have some. */
const indexableLeaf = fc.oneof(
  fc.constantFrom({ k: "string" }, { k: "number" }, { k: "int64" }, { k: "boolean" }, { k: "id" }),
  fc.uniqueArray(fc.constantFrom("open", "closed", "", "é", "Z"), { minLength: 2, maxLength: 3 }).map((values) => ({
    k: "union",
    members: values.map((value) => ({ k: "literal", value })),
  })),
);

const uniqueFields = (names, value, maxLength) =>
  fc.uniqueArray(fc.record({ name: fc.constantFrom(...names), optional: fc.boolean(), v: value }), {
    selector: (f) => f.name,
    maxLength,
  });

/** A validator tree of at most `depth` levels of nesting. */
function validator(depth) {
  if (depth === 0) return leaf;
  const inner = validator(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(inner, { minLength: 2, maxLength: 3 }).map((members) => ({ k: "union", members })) },
    { weight: 1, arbitrary: inner.map((element) => ({ k: "array", element })) },
    { weight: 1, arbitrary: uniqueFields(NESTED_NAMES, inner, 3).map((fields) => ({ k: "object", fields })) },
    { weight: 1, arbitrary: inner.map((value) => ({ k: "record", value })) },
    { weight: 1, arbitrary: inner.map((inner) => ({ k: "nullable", inner })) },
  );
}

/** Nullable indexable validators (`v.nullable(T)`; in D1 not of an int64). */
const nullableIndexableLeaf = indexableLeaf.map((inner) => ({ k: "nullable", inner }));

/**
 * Whether an index may name the field (the analyzer's rule: `index_refusal` in schema.rs): a
 * value kind with an order, or a required nullable one (in a global table not of an int64).
 */
export function indexable(f, global) {
  const stringLike = (v) => v.k === "string" || v.k === "id" || (v.k === "literal" && typeof v.value === "string") || (v.k === "union" && v.members.every(stringLike));
  const ordered = (v) => ["string", "id", "number", "float64", "boolean", "int64", "literal"].includes(v.k) || (v.k === "union" && stringLike(v));
  if (f.v.k === "nullable") return !f.optional && ordered(f.v.inner) && !(global && f.v.inner.k === "int64");
  return ordered(f.v);
}

/** One table: 1 to 6 top-level fields and up to 3 indexes over its indexable fields. */
const tableArb = (global) =>
  uniqueFields(TOP_NAMES, fc.oneof(indexableLeaf, nullableIndexableLeaf, validator(2)), 6)
  .filter((fields) => fields.length > 0)
  .chain((fields) => {
    const candidates = fields.filter((f) => indexable(f, global)).map((f) => f.name);
    const index = candidates.length === 0 ? fc.constant([]) : fc.uniqueArray(fc.uniqueArray(fc.constantFrom(...candidates), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3, selector: (f) => f.join(",") });
    return index.map((indexes) => ({ fields, indexes: indexes.map((fields, k) => ({ name: `by_${k}`, fields })) }));
  });

/**
 * Shard keys of every kind the analyzer allows (a required scalar), each with the value the test
 * writes under: the object of that value is `shard:<value>` (routing.ts `shardObject`).
 */
const SHARD_KEYS = [
  { v: { k: "string" }, value: "s1" },
  { v: { k: "number" }, value: 1.5 },
  { v: { k: "int64" }, value: 2n ** 60n },
  { v: { k: "boolean" }, value: true },
  { v: { k: "id" }, value: "r0:aaaaaaaaaaaaaaaaaaaa" },
  { v: { k: "literal", value: "only" }, value: "only" },
];

export const schemaArb = fc
  .tuple(tableArb(true), tableArb(false), tableArb(false), fc.constantFrom(...SHARD_KEYS))
  .map(([g, r, s, shardKey]) => [g, r, { ...s, shardKey }].map((t, k) => ({ ...PLACEMENTS[k], ...t })));

// --- source text ----------------------------------------------------------------------------

export function render(v) {
  switch (v.k) {
    case "literal":
      return `v.literal(${JSON.stringify(v.value)})`;
    case "id":
      return `v.id("r0")`;
    case "union":
      return `v.union(${v.members.map(render).join(", ")})`;
    case "array":
      return `v.array(${render(v.element)})`;
    case "object":
      return `v.object({ ${v.fields.map((f) => `${JSON.stringify(f.name)}: ${field(f)}`).join(", ")} })`;
    case "record":
      return `v.record(v.string(), ${render(v.value)})`;
    case "nullable":
      return `v.nullable(${render(v.inner)})`;
    default:
      return `v.${v.k}()`;
  }
}

const field = (f) => (f.optional ? `v.optional(${render(f.v)})` : render(f.v));

/** `lunora/schema.ts`, `lunora/t.ts` and `src/worker.ts` of the app of `schema`. */
export function appSources(schema) {
  const tables = schema.map((t) => {
    const fields = [...(t.shard ? [`    ${t.shard}: ${render(t.shardKey.v)},`] : []), ...t.fields.map((f) => `    ${JSON.stringify(f.name)}: ${field(f)},`)];
    const chain = [t.placement === "global" ? ".global()" : "", t.shard ? `.shardBy("${t.shard}")` : "", ...t.indexes.map((i) => `.index("${i.name}", ${JSON.stringify(i.fields)})`)];
    return `  ${t.table}: defineTable({\n${fields.join("\n")}\n  })${chain.join("")},`;
  });
  const schemaTs = `import { defineSchema, defineTable, v } from "lunorash/server";\n\nexport const schema = defineSchema({\n${tables.join("\n")}\n});\n`;
  const functions = schema.map((t) => functionsOf(t)).join("\n");
  const functionsTs = `import { mutation, query, v } from "./_generated/server";\n\n${functions}`;
  const workerTs = `import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";

const lunora = createWorker(wiring, { testHooks: true });
export default lunora.worker;
export const LunoraShard = lunora.Shard;
`;
  return { "lunora/schema.ts": schemaTs, "lunora/t.ts": functionsTs, "src/worker.ts": workerTs };
}

function functionsOf(t) {
  const T = t.table;
  const shardArg = t.shard ? `${t.shard}: ${render(t.shardKey.v)}, ` : "";
  const withShard = t.shard ? `, ${t.shard}: args.${t.shard}` : "";
  const out = [
    `export const insert_${T} = mutation.input({ ${shardArg}docs: v.array(v.any()) }).mutation(async ({ ctx, args }) => {
  const ids = [];
  for (const doc of args.docs) ids.push(await ctx.db.insert("${T}", { ...doc${withShard} }));
  return ids;
});`,
    `export const get_${T} = query.input({ ${shardArg}id: v.id("${T}") }).query(async ({ ctx, args }) => ctx.db.get(args.id));`,
    `export const all_${T} = query.input({ ${shardArg} }).query(async ({ ctx }) => ctx.db.query("${T}").collect());`,
    `export const patch_${T} = mutation
  .input({ ${shardArg}id: v.id("${T}"), fields: v.any(), remove: v.array(v.string()) })
  .mutation(async ({ ctx, args }) => {
    const fields: Record<string, unknown> = { ...args.fields };
    for (const name of args.remove) fields[name] = undefined;
    await ctx.db.patch(args.id, fields);
  });`,
    `export const replace_${T} = mutation.input({ ${shardArg}id: v.id("${T}"), doc: v.any() }).mutation(async ({ ctx, args }) => {
  await ctx.db.replace(args.id, { ...args.doc${withShard} });
});`,
    `export const clear_${T} = mutation.input({ ${shardArg} }).mutation(async ({ ctx }) => {
  for (const doc of await ctx.db.query("${T}").collect()) await ctx.db.delete(doc._id);
});`,
  ];
  if (t.indexes.length > 0) {
    const names = t.indexes.map((i) => `v.literal("${i.name}")`);
    out.push(`export const range_${T} = query
  .input({
    ${shardArg}index: ${names.length === 1 ? names[0] : `v.union(${names.join(", ")})`},
    fields: v.array(v.string()),
    eqs: v.array(v.any()),
    gte: v.optional(v.any()),
    lt: v.optional(v.any()),
    order: v.union(v.literal("asc"), v.literal("desc")),
    page: v.optional(v.object({ numItems: v.number(), cursor: v.union(v.string(), v.null()) })),
  })
  .query(async ({ ctx, args }) => {
    const q = ctx.db
      .query("${T}")
      .withIndex(args.index as "${t.indexes[0].name}", (q: any) => {
        let r = q;
        args.eqs.forEach((value, k) => (r = r.eq(args.fields[k], value)));
        const next = args.fields[args.eqs.length];
        if (args.gte !== undefined) r = r.gte(next, args.gte);
        if (args.lt !== undefined) r = r.lt(next, args.lt);
        return r;
      })
      .order(args.order);
    return args.page ? q.paginate(args.page) : q.collect();
  });`);
  }
  return `${out.join("\n\n")}\n`;
}

// --- values ---------------------------------------------------------------------------------

const ID = fc.stringMatching(/^[a-z2-7]{20}$/).map((s) => `r0:${s}`);

/** The arbitrary of the values `v` accepts. */
export function valueOf(v) {
  switch (v.k) {
    case "string":
      return str;
    case "number":
    case "float64":
      return num;
    case "boolean":
      return fc.boolean();
    case "int64":
      return int64;
    case "bytes":
      return bytes;
    case "null":
      return fc.constant(null);
    case "any":
      return anyValue;
    case "id":
      return ID;
    case "literal":
      return fc.constant(v.value);
    case "union":
      return fc.oneof(...v.members.map(valueOf));
    case "array":
      return fc.array(valueOf(v.element), { maxLength: 3 });
    case "object":
      return objectValue(v.fields);
    case "record":
      return fc.array(fc.tuple(key, valueOf(v.value)), { maxLength: 3 }).map(objectOf);
    case "nullable":
      return fc.oneof(valueOf(v.inner), fc.constant(null));
    default:
      throw new Error(`unknown validator kind ${v.k}`);
  }
}

/** An object of these fields; an optional field is absent (not `undefined`) or has a value. */
export function objectValue(fields) {
  return fc
    .tuple(...fields.map((f) => (f.optional ? fc.option(valueOf(f.v), { nil: undefined }) : valueOf(f.v))))
    .map((values) => objectOf(fields.map((f, k) => [f.name, values[k]]).filter(([, value]) => value !== undefined)));
}

/** The source of a schema, for a failure message. */
export function describe(schema) {
  return appSources(schema)["lunora/schema.ts"];
}
