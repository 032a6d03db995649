import { defineSchema, defineTable, v } from "lunorash/server";

export const schema = defineSchema({
    // Global: one D1 table that every shard can see.
    channels: defineTable({
        name: v.string(),
        topic: v.optional(v.string()),
    })
        .global()
        .index("by_name", ["name"], { unique: true }),

    // Root: lives in the single root Durable Object until you shard it.
    messages: defineTable({
        channelId: v.id("channels"),
        text: v.string(),
    }).index("by_channel", ["channelId"]),
});
