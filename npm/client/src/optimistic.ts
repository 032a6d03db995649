// Optimistic updates: what the live queries show while mutations are in flight. Each pending
// mutation may carry an update that edits the local results (`OptimisticLocalStore`); the shown
// value of a query is its server result with every pending update applied, in the order the
// mutations were issued. A new server result re-applies them on top of it; an update is dropped
// when its mutation is confirmed (the live queries on its object reflect it) or failed (rolled back).

import { decodeValue, encodeValue, type JsonValue } from "./codec.js";
import type { Commit } from "./protocol.js";
import type { ArgsOf, FunctionRef, ReturnOf } from "./refs.js";

/** The local results of the live queries, as an optimistic update sees and edits them. */
export interface OptimisticLocalStore {
  /** The query's result as shown now (with earlier updates applied); `undefined` while loading or not subscribed. */
  getQuery<Q extends FunctionRef<"query">>(ref: Q, args?: ArgsOf<Q>): ReturnOf<Q> | undefined;
  /**
   * Shows `value` for the query until the mutation is confirmed or fails (`undefined`: loading).
   * Only queries this client is subscribed to can be set; others are ignored.
   */
  setQuery<Q extends FunctionRef<"query">>(ref: Q, args: ArgsOf<Q>, value: ReturnOf<Q> | undefined): void;
  /** Every subscribed query of this function, with its args and shown result. */
  getAllQueries<Q extends FunctionRef<"query">>(ref: Q): Array<{ args: ArgsOf<Q>; value: ReturnOf<Q> | undefined }>;
}

/** An optimistic update of a mutation: edits the local store from the mutation's args. */
export type OptimisticUpdate<Args> = (localStore: OptimisticLocalStore, args: Args) => void;

/** What the layer needs to know of a live query. */
export interface LocalQuery {
  readonly key: string;
  readonly path: string;
  readonly args: JsonValue;
  readonly object: string | null;
  /** The object version of the server result shown (null: none yet). */
  readonly version: number | null;
  /** The server result, decoded (`undefined`: none). */
  readonly value: unknown;
}

interface Pending {
  readonly run: (store: OptimisticLocalStore) => void;
  /** The mutation's commit, once its reply arrived: results at or past it already include it. */
  commit: Commit | null;
  /** The queries it set in the last `apply`. */
  wrote: Set<string>;
}

/** The pending optimistic updates of one client. */
export class OptimisticLayer {
  private pending: Pending[] = [];

  get empty(): boolean {
    return this.pending.length === 0;
  }

  /** Registers an update (shown at once); returns its handle for `committed` and `drop`. */
  add<Args>(update: OptimisticUpdate<Args>, args: Args): object {
    const p: Pending = { run: (store) => update(store, args), commit: null, wrote: new Set() };
    this.pending.push(p);
    return p;
  }

  /** The mutation's reply: results of its object at or past `commit` no longer need the update. */
  committed(handle: object, commit: Commit | undefined): void {
    const p = this.pending.find((x) => x === handle);
    if (p && commit) p.commit = commit;
  }

  /**
   * Whether a new server result of this query must wait: an update whose mutation has no reply
   * yet set it. The result may already include that mutation (its socket can be faster than the
   * reply), and applying the update on top would show the change twice; once the reply names the
   * commit, the result is shown with only the updates it does not include.
   */
  holds(key: string): boolean {
    return this.pending.some((p) => p.commit === null && p.wrote.has(key));
  }

  /** The mutation is confirmed everywhere or failed: its update is gone. */
  drop(handle: object): void {
    this.pending = this.pending.filter((x) => x !== handle);
  }

  /**
   * The shown value of every query an update set (`undefined`: loading); queries not in the map
   * show their server result. An update that throws is skipped (and reported), never half-applied
   * to the others.
   */
  apply(queries: Iterable<LocalQuery>, report: (error: unknown) => void): Map<string, unknown> {
    const byKey = new Map<string, LocalQuery>();
    for (const q of queries) byKey.set(q.key, q);
    const shown = new Map<string, unknown>();
    const current = (q: LocalQuery) => (shown.has(q.key) ? shown.get(q.key) : q.value);
    for (const p of this.pending) {
      const writes = new Map<string, unknown>();
      const read = (q: LocalQuery) => (writes.has(q.key) ? writes.get(q.key) : current(q));
      const find = (ref: FunctionRef<"query">, args: unknown) => byKey.get(queryKey(ref.path, encodeValue(args ?? {})));
      const store: OptimisticLocalStore = {
        getQuery: (ref, args) => {
          const q = find(ref, args);
          return (q ? read(q) : undefined) as never;
        },
        setQuery: (ref, args, value) => {
          const q = find(ref, args);
          if (!q) return;
          // This result was computed after the mutation committed: it already shows it.
          if (p.commit && q.object === p.commit.object && q.version !== null && q.version >= p.commit.version) return;
          writes.set(q.key, value);
        },
        getAllQueries: (ref) =>
          [...byKey.values()].filter((q) => q.path === ref.path).map((q) => ({ args: decodeValue(q.args) as never, value: read(q) as never })),
      };
      try {
        p.run(store);
      } catch (error) {
        report(error);
        p.wrote = new Set();
        continue;
      }
      p.wrote = new Set(writes.keys());
      for (const [key, value] of writes) shown.set(key, value);
    }
    return shown;
  }
}

/** The key of a live query: its function and its encoded args. */
export function queryKey(path: string, args: JsonValue): string {
  return `${path}\u0000${JSON.stringify(args)}`;
}
