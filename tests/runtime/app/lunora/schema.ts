import { defineSchema, defineTable, v } from "lunorash/server";

export const schema = defineSchema({
  channels: defineTable({
    name: v.string(),
    topic: v.optional(v.string()),
  })
    .global()
    .index("by_name", ["name"], { unique: true }),

  messages: defineTable({
    channelId: v.id("channels"),
    userId: v.id("users"),
    text: v.string(),
    createdAt: v.number(),
  })
    .shardBy("channelId")
    .index("by_channel", ["channelId", "createdAt"]),

  // Read-modify-write target of the concurrency and fault tests (integrity.test.mjs).
  counters: defineTable({
    name: v.string(),
    n: v.number(),
    a: v.optional(v.string()),
    b: v.optional(v.string()),
  }).global(),

  notes: defineTable({
    title: v.string(),
    rank: v.number(),
    done: v.boolean(),
    tags: v.optional(v.array(v.string())),
  })
    .index("by_rank", ["rank"])
    .index("by_done_rank", ["done", "rank"])
    .index("by_title", ["title"], { unique: true }),
  // One field of every validator kind (nested kinds and unions too), on each placement: the
  // storage codec tests (test/storage.test.mjs).
  kindsGlobal: defineTable({
    s: v.string(),
    n: v.number(),
    b: v.boolean(),
    i: v.int64(),
    by: v.bytes(),
    nu: v.null(),
    ls: v.literal("open"),
    ln: v.literal(5),
    lb: v.literal(true),
    os: v.optional(v.string()),
    on: v.optional(v.number()),
    oi: v.optional(v.int64()),
    u: v.union(v.string(), v.null()),
    status: v.union(v.literal("open"), v.literal("closed")),
    mix: v.union(v.int64(), v.string(), v.bytes(), v.null(), v.array(v.number()), v.object({ $int64: v.string() })),
    a: v.any(),
    arr: v.array(v.union(v.number(), v.int64(), v.literal(false))),
    obj: v.object({ x: v.int64(), y: v.optional(v.bytes()), z: v.null(), w: v.record(v.string(), v.union(v.number(), v.string())) }),
    rec: v.record(v.string(), v.any()),
    ref: v.optional(v.id("channels")),
  })
    .global()
    .index("by_i", ["i"])
    .index("by_n", ["n"])
    .index("by_s", ["s"])
    .index("by_oi", ["oi"])
    .index("by_status", ["status", "i"])
    // A nullable field: D1 indexes its JSON column through json_extract.
    .index("by_u", ["u"]),

  kindsRoot: defineTable({
    s: v.string(),
    n: v.number(),
    b: v.boolean(),
    i: v.int64(),
    by: v.bytes(),
    nu: v.null(),
    ls: v.literal("open"),
    ln: v.literal(5),
    lb: v.literal(true),
    os: v.optional(v.string()),
    on: v.optional(v.number()),
    oi: v.optional(v.int64()),
    u: v.union(v.string(), v.null()),
    status: v.union(v.literal("open"), v.literal("closed")),
    mix: v.union(v.int64(), v.string(), v.bytes(), v.null(), v.array(v.number()), v.object({ $int64: v.string() })),
    a: v.any(),
    arr: v.array(v.union(v.number(), v.int64(), v.literal(false))),
    obj: v.object({ x: v.int64(), y: v.optional(v.bytes()), z: v.null(), w: v.record(v.string(), v.union(v.number(), v.string())) }),
    rec: v.record(v.string(), v.any()),
    ref: v.optional(v.id("channels")),
  })
    .index("by_i", ["i"])
    .index("by_n", ["n"])
    .index("by_s", ["s"])
    .index("by_oi", ["oi"])
    .index("by_status", ["status", "i"])
    // A nullable field: null orders below every value.
    .index("by_u", ["u"]),

  kindsShard: defineTable({
    shard: v.string(),
    s: v.string(),
    n: v.number(),
    b: v.boolean(),
    i: v.int64(),
    by: v.bytes(),
    nu: v.null(),
    ls: v.literal("open"),
    ln: v.literal(5),
    lb: v.literal(true),
    os: v.optional(v.string()),
    on: v.optional(v.number()),
    oi: v.optional(v.int64()),
    u: v.union(v.string(), v.null()),
    status: v.union(v.literal("open"), v.literal("closed")),
    mix: v.union(v.int64(), v.string(), v.bytes(), v.null(), v.array(v.number()), v.object({ $int64: v.string() })),
    a: v.any(),
    arr: v.array(v.union(v.number(), v.int64(), v.literal(false))),
    obj: v.object({ x: v.int64(), y: v.optional(v.bytes()), z: v.null(), w: v.record(v.string(), v.union(v.number(), v.string())) }),
    rec: v.record(v.string(), v.any()),
    ref: v.optional(v.id("channels")),
  })
    .shardBy("shard")
    .index("by_i", ["i"])
    .index("by_n", ["n"])
    .index("by_s", ["s"])
    .index("by_oi", ["oi"])
    .index("by_status", ["status", "i"])
    // A nullable field: null orders below every value.
    .index("by_u", ["u"]),
});
