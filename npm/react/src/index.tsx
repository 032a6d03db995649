// React bindings: LunoraProvider, useQuery (live), usePaginatedQuery, useMutation, useAction.

import {
  LunoraClient,
  encodeValue,
  type ArgsOf,
  type ClientOptions,
  type ConnectionState,
  type FunctionRef,
  type OptimisticUpdate,
  type QueryState,
  type ReturnOf,
} from "@lunora/client";
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useState, useSyncExternalStore, type ReactNode } from "react";

export { LunoraClient, LunoraError, type ConnectionState, type OptimisticLocalStore, type OptimisticUpdate, type QueryState } from "@lunora/client";

const LunoraContext = createContext<LunoraClient | null>(null);

export interface LunoraProviderProps {
  /** An existing client, or `url` (+ `options`) to create one. */
  client?: LunoraClient;
  url?: string;
  options?: ClientOptions;
  children?: ReactNode;
}

export function LunoraProvider({ client, url, options, children }: LunoraProviderProps) {
  const value = useMemo(() => {
    if (client) return client;
    if (!url) throw new Error("LunoraProvider needs `client` or `url`");
    return new LunoraClient(url, options);
    // the client is created once per url
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, url]);
  return <LunoraContext.Provider value={value}>{children}</LunoraContext.Provider>;
}

/** The client of the nearest `LunoraProvider`. */
export function useLunora(): LunoraClient {
  const client = useContext(LunoraContext);
  if (!client) throw new Error("useQuery/useMutation must be used inside <LunoraProvider>");
  return client;
}

type QueryRef = FunctionRef<"query">;

const SKIPPED: QueryState<never> = Object.freeze({ status: "loading", data: undefined, error: undefined });

/**
 * The state of a live query, `{ status: "loading" | "success" | "error", data, error }`,
 * re-rendering on every change; for code that prefers no error boundary. Pass `"skip"` as args to
 * not subscribe (the status stays `loading`). The state is keyed by the client, the function, the
 * args and the identity: after a change of any of them nothing of the previous one is returned.
 */
export function useQueryWithStatus<R extends QueryRef>(ref: R, args?: ArgsOf<R> | "skip"): QueryState<ReturnOf<R>> {
  const client = useLunora();
  const skip = args === "skip";
  const argsKey = skip ? "skip" : JSON.stringify(encodeValue(args ?? {}));
  const path = ref.path;
  // args are identified by their encoded text, so a new object literal each render is fine
  const stableArgs = useMemo(() => (skip ? undefined : args), [argsKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (skip) return () => {};
      return client.watch(ref, stableArgs as ArgsOf<R>, onChange);
    },
    [client, path, argsKey], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const getSnapshot = useCallback(
    () => (skip ? (SKIPPED as QueryState<ReturnOf<R>>) : client.queryState(ref, stableArgs as ArgsOf<R>)),
    [client, path, argsKey], // eslint-disable-line react-hooks/exhaustive-deps
  );
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

/**
 * Subscribes to a live query: `undefined` while loading, then the current result, re-rendering on
 * every update. The returned value keeps its identity until the result changes. Pass `"skip"` as
 * args to not subscribe. When the query fails (it threw, its args were refused, a limit), the
 * error (a `LunoraError` with its `code`) is thrown during render, to the nearest error boundary;
 * once a later run succeeds (or the boundary is reset after the data changed), it renders again.
 * `useQueryWithStatus` returns the error instead.
 */
export function useQuery<R extends QueryRef>(ref: R, args?: ArgsOf<R> | "skip"): ReturnOf<R> | undefined {
  const state = useQueryWithStatus(ref, args);
  if (state.status === "error") throw state.error;
  return state.data;
}

/**
 * The client's connection: `{ status: "connected" }`, `{ status: "reconnecting", attempt }` (failed
 * attempts so far) or `{ status: "offline" }`, re-rendering on every change.
 */
export function useConnectionState(): ConnectionState {
  const client = useLunora();
  const subscribe = useCallback((onChange: () => void) => client.watchConnection(onChange), [client]);
  const getSnapshot = useCallback(() => client.connectionState(), [client]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}

/**
 * `useMutation`'s result: call it to run the mutation; `withOptimisticUpdate(update)` returns a
 * variant that first applies `update(localStore, args)` to the live queries' local results (shown
 * at once, replaced by the server's results, rolled back if the mutation fails).
 */
export interface ReactMutation<R extends FunctionRef<"mutation">> {
  (args?: ArgsOf<R>): Promise<ReturnOf<R>>;
  withOptimisticUpdate(update: OptimisticUpdate<ArgsOf<R>>): ReactMutation<R>;
}

function reactMutation<R extends FunctionRef<"mutation">>(client: LunoraClient, ref: R, update: OptimisticUpdate<ArgsOf<R>> | undefined): ReactMutation<R> {
  const run = (args?: ArgsOf<R>) => client.mutation(ref, args, { optimisticUpdate: update });
  return Object.assign(run, {
    withOptimisticUpdate: (next: OptimisticUpdate<ArgsOf<R>>) => reactMutation(client, ref, next),
  });
}

/** A stable function that runs the mutation and resolves with its result (see `ReactMutation`). */
export function useMutation<R extends FunctionRef<"mutation">>(ref: R): ReactMutation<R> {
  const client = useLunora();
  const path = ref.path;
  return useMemo(() => reactMutation(client, ref, undefined), [client, path]); // eslint-disable-line react-hooks/exhaustive-deps
}

/** A stable function that runs the action. */
export function useAction<R extends FunctionRef<"action">>(ref: R): (args?: ArgsOf<R>) => Promise<ReturnOf<R>> {
  const client = useLunora();
  const path = ref.path;
  return useCallback((args?: ArgsOf<R>) => client.action(ref, args), [client, path]); // eslint-disable-line react-hooks/exhaustive-deps
}

/** Where a paginated query stands (Convex's names). */
export type PaginationStatus = "LoadingFirstPage" | "CanLoadMore" | "LoadingMore" | "Exhausted";

/** A query whose args take `paginationOpts` and that returns `.paginate(...)`'s result. */
type PaginatedRef = FunctionRef<"query", { paginationOpts: { numItems: number; cursor: string | null; endCursor?: string | null } }, any>;
type PageItem<R> = ReturnOf<R> extends { page: readonly (infer T)[] } ? T : never;
type PaginatedArgs<R> = Omit<ArgsOf<R>, "paginationOpts">;
type PageResult = { page: unknown[]; isDone: boolean; continueCursor: string };

interface Page {
  cursor: string | null;
  numItems: number;
  /** Set once a later page is loaded: the page ends there (inclusive), however it grows. */
  endCursor?: string;
  /** While the pinned page has no result yet: its args before pinning, whose result is shown. */
  before?: Page;
}

export interface PaginatedQueryResult<T> {
  /** The loaded pages' documents, in order. */
  results: T[];
  status: PaginationStatus;
  isLoading: boolean;
  /** Loads `numItems` more after the last page (only while `status` is `CanLoadMore`). */
  loadMore(numItems: number): void;
}

/**
 * A live, paginated query (Convex's `usePaginatedQuery`): the query takes
 * `paginationOpts: paginationOptsValidator` and returns `.paginate(args.paginationOpts)`. Every
 * loaded page stays live. When a page is followed by another, its end is pinned (`endCursor`): it
 * then holds every document between its cursor and that end, so an insert into a loaded page
 * shows in it, a delete leaves it, and pages never overlap or skip a document while documents come,
 * go and move. Pass `"skip"` as args to not subscribe. A failing page throws to the error boundary.
 */
export function usePaginatedQuery<R extends PaginatedRef>(
  ref: R,
  args: PaginatedArgs<R> | "skip",
  options: { initialNumItems: number },
): PaginatedQueryResult<PageItem<R>> {
  const client = useLunora();
  const skip = args === "skip";
  const key = `${ref.path}\u0000${skip ? "skip" : JSON.stringify(encodeValue(args ?? {}))}`;
  const initial = (): { key: string; pages: Page[] } => ({ key, pages: [{ cursor: null, numItems: options.initialNumItems }] });
  const [model, setModel] = useState(initial);
  // Other args (or another function): start again from the first page.
  const current = model.key === key ? model : initial();
  if (current !== model) setModel(current);
  const pageArgs = (p: Page) => ({
    ...(args as object),
    paginationOpts: p.endCursor === undefined ? { numItems: p.numItems, cursor: p.cursor } : { numItems: p.numItems, cursor: p.cursor, endCursor: p.endCursor },
  });
  const [, rerender] = useReducer((n: number) => n + 1, 0);

  // Each page's state; a page just pinned shows its earlier result until the pinned one arrives.
  const states = skip
    ? []
    : current.pages.map((p) => {
        const state = client.queryState(ref, pageArgs(p) as ArgsOf<R>);
        if (state.status !== "success" && p.before) {
          const before = client.queryState(ref, pageArgs(p.before) as ArgsOf<R>);
          if (before.status === "success") return { state: before, pinned: false };
        }
        return { state, pinned: true };
      });
  const watched = skip
    ? []
    : current.pages.flatMap((p, i) => (p.before && !states[i]!.pinned ? [pageArgs(p), pageArgs(p.before)] : [pageArgs(p)]));
  const watchedKey = JSON.stringify(encodeValue(watched as never));
  useEffect(() => {
    const stops = watched.map((a) => client.watch(ref, a as ArgsOf<R>, rerender));
    rerender();
    return () => {
      for (const stop of stops) stop();
    };
  }, [client, watchedKey]); // eslint-disable-line react-hooks/exhaustive-deps

  const results: PageItem<R>[] = [];
  let loaded = 0;
  for (const { state } of states) {
    if (state.status === "error") throw state.error;
    if (state.status !== "success") break;
    results.push(...((state.data as PageResult).page as PageItem<R>[]));
    loaded++;
  }
  const last = states.at(-1)?.state;
  const status: PaginationStatus =
    skip || loaded === 0
      ? "LoadingFirstPage"
      : loaded < states.length
        ? "LoadingMore"
        : (last!.data as PageResult).isDone
          ? "Exhausted"
          : "CanLoadMore";

  const loadMore = useCallback(
    (numItems: number) => {
      if (status !== "CanLoadMore") return;
      const lastPage = current.pages.at(-1)!;
      const end = (last!.data as PageResult).continueCursor;
      setModel((m) => {
        if (m.key !== current.key || m.pages.at(-1) !== lastPage) return m;
        const pinned: Page = { cursor: lastPage.cursor, numItems: lastPage.numItems, endCursor: end, before: lastPage };
        return { key: m.key, pages: [...m.pages.slice(0, -1), pinned, { cursor: end, numItems }] };
      });
    },
    [status, current, last],
  );
  return { results, status, isLoading: status === "LoadingFirstPage" || status === "LoadingMore", loadMore };
}
