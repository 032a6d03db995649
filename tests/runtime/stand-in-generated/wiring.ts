// Hand-written stand-in for `lunora codegen` output (the manifest of docs/ARCHITECTURE.md).
import type { LunoraWiring } from "lunorash/server";
import { schema } from "../schema";
import * as m0 from "../channels";
import * as m1 from "../messages";
import * as m2 from "../notes";

const shard = { kind: "shard", key: "channelId", arg: "channelId" } as const;
const root = { kind: "root" } as const;
const global = { kind: "global" } as const;

export const wiring = {
  version: 1,
  schema,
  functions: {
    "channels:byName": { kind: "query", visibility: "public", fn: m0.byName, route: global },
    "channels:countMessages": { kind: "action", visibility: "public", fn: m0.countMessages, route: { kind: "worker" } },
    "channels:create": { kind: "mutation", visibility: "public", fn: m0.create, route: global },
    "channels:createTwoThenFail": { kind: "mutation", visibility: "public", fn: m0.createTwoThenFail, route: global },
    "channels:list": { kind: "query", visibility: "public", fn: m0.list, route: global },
    "messages:count": { kind: "query", visibility: "internal", fn: m1.count, route: shard },
    "messages:list": { kind: "query", visibility: "public", fn: m1.list, route: shard },
    "messages:send": { kind: "mutation", visibility: "public", fn: m1.send, route: shard },
    "messages:sendAndCreateChannel": { kind: "mutation", visibility: "public", fn: m1.sendAndCreateChannel, route: shard },
    "messages:setTopic": { kind: "mutation", visibility: "public", fn: m1.setTopic, route: shard },
    "notes:add": { kind: "mutation", visibility: "public", fn: m2.add, route: root },
    "notes:addMany": { kind: "mutation", visibility: "public", fn: m2.addMany, route: root },
    "notes:above": { kind: "query", visibility: "public", fn: m2.above, route: root },
    "notes:all": { kind: "query", visibility: "public", fn: m2.all, route: root },
    "notes:byRank": { kind: "query", visibility: "public", fn: m2.byRank, route: root },
    "notes:byTitle": { kind: "query", visibility: "public", fn: m2.byTitle, route: root },
    "notes:filtered": { kind: "query", visibility: "public", fn: m2.filtered, route: root },
    "notes:firstByRank": { kind: "query", visibility: "public", fn: m2.firstByRank, route: root },
    "notes:get": { kind: "query", visibility: "public", fn: m2.get, route: root },
    "notes:openByRank": { kind: "query", visibility: "public", fn: m2.openByRank, route: root },
    "notes:page": { kind: "query", visibility: "public", fn: m2.page, route: root },
    "notes:patch": { kind: "mutation", visibility: "public", fn: m2.patch, route: root },
    "notes:rangeDesc": { kind: "query", visibility: "public", fn: m2.rangeDesc, route: root },
    "notes:rangeGteLt": { kind: "query", visibility: "public", fn: m2.rangeGteLt, route: root },
    "notes:rangeGtLte": { kind: "query", visibility: "public", fn: m2.rangeGtLte, route: root },
    "notes:remove": { kind: "mutation", visibility: "public", fn: m2.remove, route: root },
    "notes:replace": { kind: "mutation", visibility: "public", fn: m2.replace, route: root },
    "notes:uniqueRank": { kind: "query", visibility: "public", fn: m2.uniqueRank, route: root },
  },
  tables: {
    channels: { placement: "global", indexes: [{ name: "by_name", fields: ["name"], unique: true }] },
    messages: { placement: { shardBy: "channelId" }, indexes: [{ name: "by_channel", fields: ["channelId", "createdAt"], unique: false }] },
    notes: {
      placement: "root",
      indexes: [
        { name: "by_rank", fields: ["rank"], unique: false },
        { name: "by_done_rank", fields: ["done", "rank"], unique: false },
        { name: "by_title", fields: ["title"], unique: true },
      ],
    },
    users: { placement: "global", builtin: true, indexes: [{ name: "by_subject", fields: ["subject"], unique: true }] },
  },
  storage: {
    messages: [
      'CREATE TABLE IF NOT EXISTS "messages" (_id TEXT PRIMARY KEY, _creationTime REAL NOT NULL, doc TEXT NOT NULL)',
      "CREATE INDEX IF NOT EXISTS \"messages__by_channel\" ON \"messages\"(json_extract(doc,'$.channelId'), json_extract(doc,'$.createdAt'), _creationTime)",
    ],
    notes: [
      'CREATE TABLE IF NOT EXISTS "notes" (_id TEXT PRIMARY KEY, _creationTime REAL NOT NULL, doc TEXT NOT NULL)',
      "CREATE INDEX IF NOT EXISTS \"notes__by_rank\" ON \"notes\"(json_extract(doc,'$.rank'), _creationTime)",
      "CREATE INDEX IF NOT EXISTS \"notes__by_done_rank\" ON \"notes\"(json_extract(doc,'$.done'), json_extract(doc,'$.rank'), _creationTime)",
      "CREATE UNIQUE INDEX IF NOT EXISTS \"notes__by_title\" ON \"notes\"(json_extract(doc,'$.title'))",
    ],
  },
} as const satisfies LunoraWiring;
