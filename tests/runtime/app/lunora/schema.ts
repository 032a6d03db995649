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
});
