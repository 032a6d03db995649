import { mutation, query, v } from "./_generated/server";

// The storage codec tests (test/storage.test.mjs): the same functions over a table of each
// placement (kindsGlobal in D1, kindsRoot in the root object, kindsShard in one object per shard).

const base = {
  s: "x",
  n: 1,
  b: false,
  i: 0n,
  by: new ArrayBuffer(0),
  nu: null,
  ls: "open" as const,
  ln: 5 as const,
  lb: true as const,
  u: null,
  status: "open" as const,
  mix: null,
  a: null,
  arr: [],
  obj: { x: 0n, z: null, w: {} },
  rec: {},
};

/** Values a handler may compute that no storage can hold (each refused with bad_document). */
function bad(what: string): Record<string, unknown> {
  switch (what) {
    case "nan":
      return { n: NaN };
    case "infinity":
      return { n: Infinity };
    case "date":
      return { a: new Date(0) };
    case "map":
      return { rec: { m: new Map() } };
    case "int64-range":
      return { i: 2n ** 63n };
    default:
      throw new Error(`unknown case ${what}`);
  }
}

export const insertGlobal = mutation.input({ docs: v.array(v.any()) }).mutation(async ({ ctx, args }) => {
  const ids = [];
  for (const doc of args.docs) ids.push(await ctx.db.insert("kindsGlobal", { ...doc }));
  return ids;
});

export const getGlobal = query.input({ id: v.id("kindsGlobal") }).query(async ({ ctx, args }) => ctx.db.get(args.id));

export const allGlobal = query.input({  }).query(async ({ ctx }) => ctx.db.query("kindsGlobal").collect());

export const rangeGlobal = query
  .input({
    index: v.union(v.literal("by_i"), v.literal("by_n"), v.literal("by_s"), v.literal("by_oi"), v.literal("by_u")),
    field: v.union(v.literal("i"), v.literal("n"), v.literal("s"), v.literal("oi"), v.literal("u")),
    gt: v.optional(v.any()),
    gte: v.optional(v.any()),
    lt: v.optional(v.any()),
    lte: v.optional(v.any()),
    eq: v.optional(v.any()),
    order: v.union(v.literal("asc"), v.literal("desc")),
  })
  .query(async ({ ctx, args }) => {
    return ctx.db
      .query("kindsGlobal")
      .withIndex(args.index as "by_i", (q: any) => {
        if (args.eq !== undefined) return q.eq(args.field, args.eq);
        let r = q;
        if (args.gt !== undefined) r = r.gt(args.field, args.gt);
        if (args.gte !== undefined) r = r.gte(args.field, args.gte);
        if (args.lt !== undefined) r = r.lt(args.field, args.lt);
        if (args.lte !== undefined) r = r.lte(args.field, args.lte);
        return r;
      })
      .order(args.order)
      .collect();
  });

export const byStatusGlobal = query
  .input({ status: v.string(), gt: v.int64() })
  .query(async ({ ctx, args }) => {
    return ctx.db
      .query("kindsGlobal")
      .withIndex("by_status", (q: any) => q.eq("status", args.status).gt("i", args.gt))
      .collect();
  });

export const patchGlobal = mutation
  .input({ id: v.id("kindsGlobal"), fields: v.any(), remove: v.optional(v.array(v.string())) })
  .mutation(async ({ ctx, args }) => {
    // \`undefined\` does not travel on the wire: \`remove\` names the fields the patch removes.
    const fields: Record<string, unknown> = { ...args.fields };
    for (const name of args.remove ?? []) fields[name] = undefined;
    await ctx.db.patch(args.id, fields);
  });

export const replaceGlobal = mutation.input({ id: v.id("kindsGlobal"), doc: v.any() }).mutation(async ({ ctx, args }) => {
  await ctx.db.replace(args.id, { ...args.doc });
});

export const clearGlobal = mutation.input({  }).mutation(async ({ ctx }) => {
  for (const doc of await ctx.db.query("kindsGlobal").collect()) await ctx.db.delete(doc._id);
});

/** Inserts inside the mutation, then reads an int64 range: the pending writes merged in. */
export const insertThenRangeGlobal = mutation
  .input({ docs: v.array(v.any()), gte: v.int64(), order: v.union(v.literal("asc"), v.literal("desc")) })
  .mutation(async ({ ctx, args }) => {
    for (const doc of args.docs) await ctx.db.insert("kindsGlobal", { ...doc });
    return ctx.db
      .query("kindsGlobal")
      .withIndex("by_i", (q) => q.gte("i", args.gte))
      .order(args.order)
      .collect();
  });

export const insertRoot = mutation.input({ docs: v.array(v.any()) }).mutation(async ({ ctx, args }) => {
  const ids = [];
  for (const doc of args.docs) ids.push(await ctx.db.insert("kindsRoot", { ...doc }));
  return ids;
});

export const getRoot = query.input({ id: v.id("kindsRoot") }).query(async ({ ctx, args }) => ctx.db.get(args.id));

export const allRoot = query.input({  }).query(async ({ ctx }) => ctx.db.query("kindsRoot").collect());

export const rangeRoot = query
  .input({
    index: v.union(v.literal("by_i"), v.literal("by_n"), v.literal("by_s"), v.literal("by_oi"), v.literal("by_u")),
    field: v.union(v.literal("i"), v.literal("n"), v.literal("s"), v.literal("oi"), v.literal("u")),
    gt: v.optional(v.any()),
    gte: v.optional(v.any()),
    lt: v.optional(v.any()),
    lte: v.optional(v.any()),
    eq: v.optional(v.any()),
    order: v.union(v.literal("asc"), v.literal("desc")),
  })
  .query(async ({ ctx, args }) => {
    return ctx.db
      .query("kindsRoot")
      .withIndex(args.index as "by_i", (q: any) => {
        if (args.eq !== undefined) return q.eq(args.field, args.eq);
        let r = q;
        if (args.gt !== undefined) r = r.gt(args.field, args.gt);
        if (args.gte !== undefined) r = r.gte(args.field, args.gte);
        if (args.lt !== undefined) r = r.lt(args.field, args.lt);
        if (args.lte !== undefined) r = r.lte(args.field, args.lte);
        return r;
      })
      .order(args.order)
      .collect();
  });

export const byStatusRoot = query
  .input({ status: v.string(), gt: v.int64() })
  .query(async ({ ctx, args }) => {
    return ctx.db
      .query("kindsRoot")
      .withIndex("by_status", (q: any) => q.eq("status", args.status).gt("i", args.gt))
      .collect();
  });

export const patchRoot = mutation
  .input({ id: v.id("kindsRoot"), fields: v.any(), remove: v.optional(v.array(v.string())) })
  .mutation(async ({ ctx, args }) => {
    // \`undefined\` does not travel on the wire: \`remove\` names the fields the patch removes.
    const fields: Record<string, unknown> = { ...args.fields };
    for (const name of args.remove ?? []) fields[name] = undefined;
    await ctx.db.patch(args.id, fields);
  });

export const replaceRoot = mutation.input({ id: v.id("kindsRoot"), doc: v.any() }).mutation(async ({ ctx, args }) => {
  await ctx.db.replace(args.id, { ...args.doc });
});

export const clearRoot = mutation.input({  }).mutation(async ({ ctx }) => {
  for (const doc of await ctx.db.query("kindsRoot").collect()) await ctx.db.delete(doc._id);
});

/** Inserts inside the mutation, then reads an int64 range: the pending writes merged in. */
export const insertThenRangeRoot = mutation
  .input({ docs: v.array(v.any()), gte: v.int64(), order: v.union(v.literal("asc"), v.literal("desc")) })
  .mutation(async ({ ctx, args }) => {
    for (const doc of args.docs) await ctx.db.insert("kindsRoot", { ...doc });
    return ctx.db
      .query("kindsRoot")
      .withIndex("by_i", (q) => q.gte("i", args.gte))
      .order(args.order)
      .collect();
  });

export const insertShard = mutation.input({ shard: v.string(), docs: v.array(v.any()) }).mutation(async ({ ctx, args }) => {
  const ids = [];
  for (const doc of args.docs) ids.push(await ctx.db.insert("kindsShard", { ...doc, shard: args.shard }));
  return ids;
});

export const getShard = query.input({ shard: v.string(), id: v.id("kindsShard") }).query(async ({ ctx, args }) => ctx.db.get(args.id));

export const allShard = query.input({ shard: v.string(),  }).query(async ({ ctx }) => ctx.db.query("kindsShard").collect());

export const rangeShard = query
  .input({
    shard: v.string(), index: v.union(v.literal("by_i"), v.literal("by_n"), v.literal("by_s"), v.literal("by_oi"), v.literal("by_u")),
    field: v.union(v.literal("i"), v.literal("n"), v.literal("s"), v.literal("oi"), v.literal("u")),
    gt: v.optional(v.any()),
    gte: v.optional(v.any()),
    lt: v.optional(v.any()),
    lte: v.optional(v.any()),
    eq: v.optional(v.any()),
    order: v.union(v.literal("asc"), v.literal("desc")),
  })
  .query(async ({ ctx, args }) => {
    return ctx.db
      .query("kindsShard")
      .withIndex(args.index as "by_i", (q: any) => {
        if (args.eq !== undefined) return q.eq(args.field, args.eq);
        let r = q;
        if (args.gt !== undefined) r = r.gt(args.field, args.gt);
        if (args.gte !== undefined) r = r.gte(args.field, args.gte);
        if (args.lt !== undefined) r = r.lt(args.field, args.lt);
        if (args.lte !== undefined) r = r.lte(args.field, args.lte);
        return r;
      })
      .order(args.order)
      .collect();
  });

export const byStatusShard = query
  .input({ shard: v.string(), status: v.string(), gt: v.int64() })
  .query(async ({ ctx, args }) => {
    return ctx.db
      .query("kindsShard")
      .withIndex("by_status", (q: any) => q.eq("status", args.status).gt("i", args.gt))
      .collect();
  });

export const patchShard = mutation
  .input({ shard: v.string(), id: v.id("kindsShard"), fields: v.any(), remove: v.optional(v.array(v.string())) })
  .mutation(async ({ ctx, args }) => {
    // \`undefined\` does not travel on the wire: \`remove\` names the fields the patch removes.
    const fields: Record<string, unknown> = { ...args.fields };
    for (const name of args.remove ?? []) fields[name] = undefined;
    await ctx.db.patch(args.id, fields);
  });

export const replaceShard = mutation.input({ shard: v.string(), id: v.id("kindsShard"), doc: v.any() }).mutation(async ({ ctx, args }) => {
  await ctx.db.replace(args.id, { ...args.doc, shard: args.shard });
});

export const clearShard = mutation.input({ shard: v.string(),  }).mutation(async ({ ctx }) => {
  for (const doc of await ctx.db.query("kindsShard").collect()) await ctx.db.delete(doc._id);
});

/** Inserts inside the mutation, then reads an int64 range: the pending writes merged in. */
export const insertThenRangeShard = mutation
  .input({ shard: v.string(), docs: v.array(v.any()), gte: v.int64(), order: v.union(v.literal("asc"), v.literal("desc")) })
  .mutation(async ({ ctx, args }) => {
    for (const doc of args.docs) await ctx.db.insert("kindsShard", { ...doc, shard: args.shard });
    return ctx.db
      .query("kindsShard")
      .withIndex("by_i", (q) => q.gte("i", args.gte))
      .order(args.order)
      .collect();
  });

export const insertBadGlobal = mutation.input({ what: v.string() }).mutation(async ({ ctx, args }) => {
  await ctx.db.insert("kindsGlobal", { ...base, ...bad(args.what) } as any);
});

export const insertBadRoot = mutation.input({ what: v.string() }).mutation(async ({ ctx, args }) => {
  await ctx.db.insert("kindsRoot", { ...base, ...bad(args.what) } as any);
});

export const insertBadShard = mutation.input({ shard: v.string(), what: v.string() }).mutation(async ({ ctx, args }) => {
  await ctx.db.insert("kindsShard", { ...base, ...bad(args.what), shard: args.shard } as any);
});
