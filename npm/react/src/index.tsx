// React bindings: LunoraProvider, useQuery (live), useMutation, useAction.

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
import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from "react";

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
