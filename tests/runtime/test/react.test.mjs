// @lunora/react against the real app on workerd: useQuery throws a failing query's error to the
// error boundary and renders again after a reset once the query succeeds; useQueryWithStatus
// returns the states; "skip"; no value of other args or another identity is shown.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { Component, createElement as h } from "react";
import TestRenderer, { act } from "react-test-renderer";
import { LunoraClient, LunoraProvider, useConnectionState, useMutation, usePaginatedQuery, useQuery, useQueryWithStatus } from "../.build/react.mjs";
import { startApp, ref, until } from "./helpers.mjs";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

let app;
const clients = [];
before(async () => {
  app = await startApp();
});
after(async () => {
  for (const c of clients) c.close();
  await app?.dispose();
});

function client(options = {}) {
  const c = new LunoraClient(app.url, { storage: null, WebSocket, minBackoffMs: 20, maxBackoffMs: 200, ...options });
  clients.push(c);
  return c;
}

const even = ref("counters:even");
const inc = ref("counters:incRoot", "mutation");

class Boundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }
  static getDerivedStateFromError(error) {
    return { error };
  }
  componentDidCatch() {}
  render() {
    return this.state.error ? h("p", null, `boundary: ${this.state.error.code}: ${this.state.error.message}`) : this.props.children;
  }
}

/** Renders, then waits (inside act) until the renderer's text satisfies `pred`. */
async function untilText(renderer, pred, what) {
  let text = "";
  await until(async () => {
    await act(async () => new Promise((r) => setTimeout(r, 10)));
    text = JSON.stringify(renderer.toJSON());
    return pred(text);
  }, 5000, `${what} (last: ${text})`);
  return text;
}

test("useQuery: a failing query reaches the error boundary (with its code); after the data changes and the boundary resets, it renders again", async () => {
  const c = client();
  const id = await app.ok("counters:create", { name: "react-boundary" });
  function Value() {
    const n = useQuery(even, { id });
    return h("p", null, n === undefined ? "Loading..." : `n=${n}`);
  }
  const tree = (key) => h(LunoraProvider, { client: c }, h(Boundary, { key }, h(Value)));
  const origError = console.error;
  console.error = () => {}; // React logs every caught render error
  let renderer;
  try {
    await act(async () => {
      renderer = TestRenderer.create(tree(1));
    });
    await untilText(renderer, (t) => t.includes("n=0"), "first result");
    await c.mutation(inc, { id });
    await untilText(renderer, (t) => t.includes("boundary: function_error: counter is odd: 1"), "error reaches the boundary");
    await c.mutation(inc, { id });
    await act(async () => renderer.update(tree(2)));
    await untilText(renderer, (t) => t.includes("n=2"), "renders again after reset");
  } finally {
    console.error = origError;
    await act(async () => renderer?.unmount());
  }
});

test("useQueryWithStatus: loading -> success -> error -> success without a boundary; 'skip' stays loading and subscribes nothing", async () => {
  const c = client();
  const id = await app.ok("counters:create", { name: "react-status" });
  const seen = [];
  function Status({ args }) {
    const s = useQueryWithStatus(even, args);
    seen.push(s.status);
    return h("p", null, `${s.status}|${s.data ?? ""}|${s.error?.code ?? ""}`);
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(LunoraProvider, { client: c }, h(Status, { args: "skip" })));
  });
  await act(async () => new Promise((r) => setTimeout(r, 100)));
  assert.equal(renderer.toJSON().children[0], "loading||");
  assert.equal(c.queryState(even, { id }).status, "loading", "skip subscribes nothing");

  await act(async () => renderer.update(h(LunoraProvider, { client: c }, h(Status, { args: { id } }))));
  await untilText(renderer, (t) => t.includes("success|0|"), "success");
  await c.mutation(inc, { id });
  await untilText(renderer, (t) => t.includes("error||function_error"), "error");
  await c.mutation(inc, { id });
  await untilText(renderer, (t) => t.includes("success|2|"), "success again");
  assert.deepEqual([...new Set(seen)], ["loading", "success", "error"]);
  await act(async () => renderer.unmount());
});

test("useQuery: other args never show the previous args' value; a new identity goes back to loading", async () => {
  const c = client();
  const a = await app.ok("counters:create", { name: "react-a" });
  const b = await app.ok("counters:create", { name: "react-b" });
  await app.ok("counters:incRoot", { id: b });
  await app.ok("counters:incRoot", { id: b });
  const renders = [];
  function Value({ id }) {
    const n = useQuery(even, { id });
    renders.push([id, n]);
    return h("p", null, n === undefined ? "Loading..." : `n=${n}`);
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(LunoraProvider, { client: c }, h(Value, { id: a })));
  });
  await untilText(renderer, (t) => t.includes("n=0"), "a's value");
  await act(async () => renderer.update(h(LunoraProvider, { client: c }, h(Value, { id: b }))));
  await untilText(renderer, (t) => t.includes("n=2"), "b's value");
  for (const [id, n] of renders) if (n !== undefined) assert.equal(n, id === a ? 0 : 2, "every rendered value belongs to its args");

  // Signing out drops the old identity's results: loading, then the new identity's result.
  renders.length = 0;
  await act(async () => c.signOut());
  assert.equal(renderer.toJSON().children[0], "Loading...", "no result of the old identity after signOut");
  await untilText(renderer, (t) => t.includes("n=2"), "result under the new identity");
  await act(async () => renderer.unmount());
});

test("useConnectionState: connected, reconnecting with the attempt count after the socket drops, connected again at once on reconnectNow (the online / visible-tab path); the query catches up", async () => {
  // A long backoff: without reconnectNow the socket would stay down for a minute.
  const c = client({ minBackoffMs: 60_000, maxBackoffMs: 60_000 });
  const id = await app.ok("counters:create", { name: "react-conn" });
  const seen = [];
  function Status() {
    const conn = useConnectionState();
    const n = useQuery(even, { id });
    const label = conn.status === "reconnecting" ? `reconnecting(${conn.attempt})` : conn.status;
    if (seen.at(-1) !== label) seen.push(label);
    return h("p", null, `${label}|${n ?? "..."}`);
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(LunoraProvider, { client: c }, h(Status)));
  });
  await untilText(renderer, (t) => t.includes("connected|0"), "connected with a result");
  await act(async () => c.dropConnections());
  await untilText(renderer, (t) => t.includes("reconnecting(1)|0"), "reconnecting, the last result kept");
  await app.ok("counters:incRoot", { id });
  await app.ok("counters:incRoot", { id });
  await act(async () => new Promise((r) => setTimeout(r, 300)));
  assert.ok(JSON.stringify(renderer.toJSON()).includes("reconnecting(1)|0"), "still down: the backoff is a minute");
  await act(async () => c.reconnectNow());
  await untilText(renderer, (t) => t.includes("connected|2"), "connected again, caught up");
  const changes = seen.filter((l) => l !== "reconnecting(0)").filter((l, i, all) => i === 0 || all[i - 1] !== l);
  assert.deepEqual(changes, ["connected", "reconnecting(1)", "connected"]);
  await act(async () => renderer.unmount());
});

test("the network cut for 10 s (the server closes the sockets, reconnects and calls fail) and restored: the UI shows reconnecting, the mutations sent while offline commit once each, in order, and every message shows once", async () => {
  const network = { down: false };
  const refused = [];
  // While down, every socket fails to connect and every fetch fails as a dead network does.
  class GatedSocket extends WebSocket {
    constructor(url, protocols) {
      if (network.down) refused.push(url);
      super(network.down ? "ws://127.0.0.1:1/" : url, protocols);
    }
  }
  const gatedFetch = (input, init) => (network.down ? Promise.reject(new TypeError("fetch failed: network down")) : fetch(input, init));
  const c = client({ WebSocket: GatedSocket, fetch: gatedFetch, minBackoffMs: 50, maxBackoffMs: 1_000 });
  const { token } = await app.guest();
  const channelId = await app.ok("channels:create", { name: "react-cut" }, token);
  const list = ref("messages:list");
  const send = ref("messages:send", "mutation");
  const labels = [];
  function Chat() {
    const conn = useConnectionState();
    const messages = useQuery(list, { channelId, limit: 100 });
    const label = conn.status === "reconnecting" ? "reconnecting" : conn.status;
    if (labels.at(-1) !== label) labels.push(label);
    const texts = messages ? messages.map((m) => m.text).reverse().join(",") : "...";
    return h("p", null, `${label}|${texts}`);
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(LunoraProvider, { client: c }, h(Chat)));
  });
  await c.mutation(send, { channelId, text: "a" });
  await untilText(renderer, (t) => t.includes("connected|a"), "online, the first message shown");

  network.down = true;
  await app.restart(`channelId:${channelId}`); // the server closes the sockets
  await untilText(renderer, (t) => t.includes("reconnecting|a"), "reconnecting, the last result kept");
  // Sent while offline: queued, retried with their ids until the network is back.
  const offline = ["b", "c", "d"].map((text) => c.mutation(send, { channelId, text }));
  let settled = 0;
  for (const p of offline) p.then(() => settled++, () => settled++);
  // Others keep writing meanwhile.
  await app.ok("messages:send", { channelId, text: "x" }, token);
  await new Promise((r) => setTimeout(r, 10_000));
  assert.equal(settled, 0, "no mutation settles while the network is down");
  assert.ok(refused.length >= 3, `reconnects were tried and refused (${refused.length})`);
  assert.ok(JSON.stringify(renderer.toJSON()).includes("reconnecting|a"), "still reconnecting, still the last result");

  network.down = false;
  await act(async () => c.reconnectNow());
  await Promise.all(offline);
  await untilText(renderer, (t) => t.includes("connected|a,x,b,c,d"), "connected, caught up: every message once, in order");
  const stored = (await app.ok("messages:list", { channelId, limit: 100 }, token)).map((m) => m.text).reverse();
  assert.deepEqual(stored, ["a", "x", "b", "c", "d"], "stored once each");
  assert.deepEqual(labels.filter((l, i, all) => i === 0 || all[i - 1] !== l).slice(-3), ["connected", "reconnecting", "connected"]);
  await act(async () => renderer.unmount());
});

test("optimistic updates: shown before the server answers, composed in order while in flight, replaced by the server's result without a duplicate, rolled back when the mutation fails", async () => {
  // Mutations wait at a gate, so what renders before the server answers is the optimistic value.
  const gate = { open: true, waiting: [] };
  const gatedFetch = async (input, init) => {
    if (!gate.open && String(input).endsWith("/api/call")) await new Promise((r) => gate.waiting.push(r));
    return fetch(input, init);
  };
  const release = () => {
    gate.open = true;
    for (const r of gate.waiting.splice(0)) r();
  };
  const c = client({ fetch: gatedFetch });
  const { token } = await app.guest();
  const channelId = await app.ok("channels:create", { name: "react-optimistic" }, token);
  await app.ok("messages:send", { channelId, text: "first" }, token);
  const list = ref("messages:list");
  const args = { channelId, limit: 100 };
  const renders = [];
  let send;
  function Chat() {
    const messages = useQuery(list, args);
    send = useMutation(ref("messages:send", "mutation")).withOptimisticUpdate((store, { text }) => {
      const current = store.getQuery(list, args);
      if (current !== undefined) store.setQuery(list, args, [{ _id: `optimistic:${text}`, text: String(text) }, ...current]);
    });
    const shown = messages ? messages.map((m) => `${m._id.startsWith("optimistic:") ? "~" : ""}${m.text}`).reverse() : null;
    if (shown) renders.push(shown);
    return h("p", null, shown ? shown.join(",") : "...");
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(LunoraProvider, { client: c }, h(Chat)));
  });
  await untilText(renderer, (t) => t.includes('"first"'), "the server's result");

  gate.open = false;
  let a;
  let b;
  await act(async () => {
    a = send({ channelId, text: "a" });
    b = send({ channelId, text: "b" });
  });
  assert.equal(renderer.toJSON().children[0], "first,~a,~b", "both shown at once, in order, before any reply");
  renders.length = 0;
  await act(async () => {
    release();
    await Promise.all([a, b]);
  });
  await untilText(renderer, (t) => t.includes('"first,a,b"'), "the server's messages replace the optimistic ones");
  for (const shown of renders) {
    const texts = shown.map((t) => t.replace(/^~/, ""));
    assert.equal(new Set(texts).size, texts.length, `no message shown twice: ${shown.join(",")}`);
  }

  // A mutation the server refuses (bad args): shown, then rolled back.
  gate.open = false;
  let refused;
  await act(async () => {
    refused = send({ channelId, text: 42 });
  });
  assert.equal(renderer.toJSON().children[0], "first,a,b,~42", "shown before the server answers");
  await act(async () => {
    release();
    await assert.rejects(refused, (e) => e.code === "bad_args");
  });
  await untilText(renderer, (t) => t.includes('"first,a,b"'), "rolled back");
  const stored = (await app.ok("messages:list", args, token)).map((m) => m.text).reverse();
  assert.deepEqual(stored, ["first", "a", "b"]);
  await act(async () => renderer.unmount());
});

/** A small seeded generator (mulberry32): the same seed, the same run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("usePaginatedQuery over 500 notes while notes are inserted, deleted and moved in loaded and unloaded ranges: the pages are always a gap-free, duplicate-free prefix of the reference list", async () => {
  const c = client();
  const paged = ref("convex:paged");
  // The reference: every note by rank (ranks are distinct).
  const notes = new Map();
  await app.ok("notes:addMany", { titles: Array.from({ length: 500 }, (_, i) => `p${i}`) });
  for (const n of await app.ok("notes:byRank")) notes.set(n._id, n.rank);
  assert.equal(notes.size, 500);
  const reference = () => [...notes].sort((a, b) => a[1] - b[1]).map(([id]) => id);

  let view;
  function List() {
    view = usePaginatedQuery(paged, {}, { initialNumItems: 40 });
    return h("p", null, `${view.status}|${view.results.length}`);
  }
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(h(LunoraProvider, { client: c }, h(List)));
  });
  const settled = async (what) => {
    let last = "";
    await until(async () => {
      await act(async () => new Promise((r) => setTimeout(r, 5)));
      const ids = view.results.map((n) => n._id);
      const want = reference();
      last = `${view.status}, ${ids.length} shown of ${want.length}`;
      if (view.isLoading) return false;
      if (new Set(ids).size !== ids.length) return false;
      if (view.status === "Exhausted" && ids.length !== want.length) return false;
      return ids.every((id, i) => id === want[i]);
    }, 10_000, `${what}: the pages are a prefix of the reference`).catch((e) => {
      throw new Error(`${e.message} (last: ${last})`);
    });
  };
  await settled("the first page");
  assert.equal(view.results.length, 40);
  assert.equal(view.status, "CanLoadMore");

  const next = random(20261203);
  let k = 0;
  let loads = 0;
  for (let step = 0; step < 60; step++) {
    const ids = reference();
    const shown = view.results.length;
    const r = next();
    if (r < 0.25 && view.status === "CanLoadMore") {
      loads++;
      await act(async () => view.loadMore(20 + Math.floor(next() * 60)));
    } else if (r < 0.5) {
      // An insert, half the time inside the loaded range.
      const at = next() < 0.5 ? Math.floor(next() * shown) : shown + Math.floor(next() * Math.max(1, ids.length - shown));
      const below = notes.get(ids[Math.min(at, ids.length - 1)]) ?? 0;
      const rank = below - next() * 0.5;
      const id = await app.ok("notes:add", { title: `q${k++}`, rank });
      notes.set(id, rank);
    } else if (r < 0.75 && ids.length > 1) {
      const id = ids[next() < 0.5 ? Math.floor(next() * shown) : Math.floor(next() * ids.length)];
      await app.ok("notes:remove", { id });
      notes.delete(id);
    } else {
      // A move: into or out of the loaded range.
      const id = ids[Math.floor(next() * ids.length)];
      const rank = (next() * 600) - 50 + next() * 1e-3;
      await app.ok("notes:patch", { id, rank });
      notes.set(id, rank);
    }
    await settled(`step ${step}`);
  }
  assert.ok(loads >= 5, `loadMore ran ${loads} times`);
  // Load the rest: Exhausted with exactly the reference list.
  while (view.status === "CanLoadMore") {
    await act(async () => view.loadMore(100));
    await settled("loading the rest");
  }
  assert.equal(view.status, "Exhausted");
  assert.deepEqual(view.results.map((n) => n._id), reference());
  await act(async () => renderer.unmount());
});
