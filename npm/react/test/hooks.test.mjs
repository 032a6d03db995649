import { test } from "node:test";
import assert from "node:assert/strict";
import { StrictMode, createElement as h } from "react";
import TestRenderer, { act } from "react-test-renderer";
import { LunoraProvider, useMutation, useQuery } from "../dist/index.js";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

/** A stand-in for LunoraClient with the same watch/queryState/mutation contract (tests/runtime/test/react.test.mjs runs the hooks against the real client and app). */
function fakeClient() {
  const subs = new Map();
  return {
    subs,
    subscribeCalls: 0,
    mutations: [],
    watch(ref, args, onValue) {
      this.subscribeCalls++;
      const key = `${ref.path}:${JSON.stringify(args)}`;
      let sub = subs.get(key);
      if (!sub) subs.set(key, (sub = { listeners: new Set(), state: LOADING }));
      sub.listeners.add(onValue);
      return () => {
        sub.listeners.delete(onValue);
        if (sub.listeners.size === 0) subs.delete(key);
      };
    },
    queryState(ref, args) {
      return subs.get(`${ref.path}:${JSON.stringify(args)}`)?.state ?? LOADING;
    },
    push(path, args, value) {
      const sub = subs.get(`${path}:${JSON.stringify(args)}`);
      sub.state = { status: "success", data: value, error: undefined };
      for (const l of sub.listeners) l();
    },
    async mutation(ref, args) {
      this.mutations.push([ref.path, args]);
      return "ok";
    },
  };
}

const LOADING = { status: "loading", data: undefined, error: undefined };
const list = { __lunora: "ref", path: "messages:list", kind: "query" };
const send = { __lunora: "ref", path: "messages:send", kind: "mutation" };

test("useQuery: undefined while loading, then live; stable identity; one subscription under StrictMode", async () => {
  const client = fakeClient();
  const renders = [];
  let sendFn;
  const sendFns = new Set();
  function Chat({ channelId }) {
    const messages = useQuery(list, { channelId });
    sendFn = useMutation(send);
    sendFns.add(sendFn);
    renders.push(messages);
    return h("p", null, messages === undefined ? "Loading..." : messages.map((m) => m.text).join(","));
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(StrictMode, null, h(LunoraProvider, { client }, h(Chat, { channelId: "c1" }))));
  });
  assert.equal(renderer.toJSON().children[0], "Loading...");
  assert.equal(client.subs.size, 1);
  assert.equal([...client.subs.values()][0].listeners.size, 1, "StrictMode leaves exactly one live listener");

  const value = [{ _id: "m1", text: "hi" }];
  await act(async () => client.push("messages:list", { channelId: "c1" }, value));
  assert.equal(renderer.toJSON().children[0], "hi");
  assert.equal(renders.at(-1), value);

  // re-render with an equal (new) args object: same subscription, same value identity
  const before = client.subscribeCalls;
  await act(async () => renderer.update(h(StrictMode, null, h(LunoraProvider, { client }, h(Chat, { channelId: "c1" })))));
  assert.equal(client.subscribeCalls, before, "equal args do not resubscribe");
  assert.equal(renders.at(-1), value);
  assert.equal(sendFns.size, 1, "useMutation returns a stable function");

  await act(async () => client.push("messages:list", { channelId: "c1" }, [...value, { _id: "m2", text: "there" }]));
  assert.equal(renderer.toJSON().children[0], "hi,there");

  assert.equal(await sendFn({ channelId: "c1", text: "x" }), "ok");
  assert.deepEqual(client.mutations, [["messages:send", { channelId: "c1", text: "x" }]]);

  // switching channel subscribes to the new args and drops the old subscription
  await act(async () => renderer.update(h(StrictMode, null, h(LunoraProvider, { client }, h(Chat, { channelId: "c2" })))));
  assert.equal(renderer.toJSON().children[0], "Loading...");
  assert.deepEqual([...client.subs.keys()], ['messages:list:{"channelId":"c2"}']);

  await act(async () => renderer.unmount());
  assert.equal(client.subs.size, 0);
});
