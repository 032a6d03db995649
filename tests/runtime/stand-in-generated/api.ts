// Hand-written stand-in for `lunora codegen` output.
import type { FunctionReference } from "lunorash/server";

function ref<K extends "query" | "mutation" | "action">(path: string, kind: K): FunctionReference<K, any, any> {
  return { __lunora: "ref", path, kind } as FunctionReference<K, any, any>;
}

export const api = {
  channels: {
    create: ref("channels:create", "mutation"),
    list: ref("channels:list", "query"),
    byName: ref("channels:byName", "query"),
    createTwoThenFail: ref("channels:createTwoThenFail", "mutation"),
    countMessages: ref("channels:countMessages", "action"),
  },
  messages: {
    list: ref("messages:list", "query"),
    send: ref("messages:send", "mutation"),
    setTopic: ref("messages:setTopic", "mutation"),
    sendAndCreateChannel: ref("messages:sendAndCreateChannel", "mutation"),
  },
  notes: {
    add: ref("notes:add", "mutation"),
    addMany: ref("notes:addMany", "mutation"),
    get: ref("notes:get", "query"),
    patch: ref("notes:patch", "mutation"),
    replace: ref("notes:replace", "mutation"),
    remove: ref("notes:remove", "mutation"),
    all: ref("notes:all", "query"),
    byRank: ref("notes:byRank", "query"),
    rangeGteLt: ref("notes:rangeGteLt", "query"),
    rangeGtLte: ref("notes:rangeGtLte", "query"),
    rangeDesc: ref("notes:rangeDesc", "query"),
    above: ref("notes:above", "query"),
    openByRank: ref("notes:openByRank", "query"),
    filtered: ref("notes:filtered", "query"),
    firstByRank: ref("notes:firstByRank", "query"),
    byTitle: ref("notes:byTitle", "query"),
    uniqueRank: ref("notes:uniqueRank", "query"),
    page: ref("notes:page", "query"),
  },
};

export const internal = {
  messages: {
    count: ref("messages:count", "query"),
  },
};
