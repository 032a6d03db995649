// Type-level checks: argument and return types flow from lunorash's FunctionReference.
import type { FunctionReference } from "lunorash/server";
import { useConnectionState, useMutation, usePaginatedQuery, useQuery, useQueryWithStatus } from "../src/index.js";

type Message = { _id: string; text: string };
declare const list: FunctionReference<"query", { channelId: string; limit?: number }, Promise<Message[]>>;
declare const send: FunctionReference<"mutation", { channelId: string; text: string }, null>;
type Page<T> = { page: T[]; isDone: boolean; continueCursor: string };
type Opts = { numItems: number; cursor: string | null; endCursor?: string | null };
declare const paged: FunctionReference<"query", { channelId: string; paginationOpts: Opts }, Promise<Page<Message>>>;

export function Chat() {
  const messages = useQuery(list, { channelId: "c" });
  const first: Message | undefined = messages?.[0];
  // @ts-expect-error wrong argument type
  useQuery(list, { channelId: 1 });
  // @ts-expect-error unknown argument
  useQuery(list, { channelId: "c", nope: true });
  // @ts-expect-error a mutation is not a query
  useQuery(send, { channelId: "c", text: "x" });
  const run = useMutation(send);
  void run({ channelId: "c", text: "hi" });
  // @ts-expect-error missing text
  void run({ channelId: "c" });
  const status = useQueryWithStatus(list, { channelId: "c" });
  if (status.status === "success") {
    const data: Message[] = status.data;
    void data;
  } else if (status.status === "error") {
    const code: string = status.error.code;
    void code;
  } else {
    const none: undefined = status.data;
    void none;
  }
  // @ts-expect-error data may be undefined until the status is narrowed to success
  const unchecked: Message[] = status.data;
  void unchecked;
  useQueryWithStatus(list, "skip");
  // @ts-expect-error wrong argument type
  useQueryWithStatus(list, { channelId: 1 });
  // Optimistic updates: the store is typed by the query refs, the args by the mutation.
  const optimistic = useMutation(send).withOptimisticUpdate((store, args) => {
    const text: string = args.text;
    const current = store.getQuery(list, { channelId: args.channelId });
    if (current !== undefined) store.setQuery(list, { channelId: args.channelId }, [...current, { _id: "optimistic", text }]);
    // @ts-expect-error a message without its text
    store.setQuery(list, { channelId: args.channelId }, [{ _id: "x" }]);
    // @ts-expect-error a number where the query returns messages
    store.setQuery(list, { channelId: args.channelId }, 5);
    // @ts-expect-error wrong args of the query
    store.getQuery(list, { channelId: 1 });
    // @ts-expect-error the mutation has no such arg
    void args.nope;
    for (const q of store.getAllQueries(list)) {
      const channel: string = q.args.channelId;
      void channel;
    }
  });
  void optimistic({ channelId: "c", text: "hi" });
  // @ts-expect-error the optimistic variant takes the same args
  void optimistic({ channelId: "c" });
  // Pagination: the items are the page's documents; the args leave out paginationOpts.
  const pages = usePaginatedQuery(paged, { channelId: "c" }, { initialNumItems: 10 });
  const item: Message | undefined = pages.results[0];
  void item;
  if (pages.status === "CanLoadMore") pages.loadMore(10);
  usePaginatedQuery(paged, "skip", { initialNumItems: 10 });
  // @ts-expect-error wrong argument type
  usePaginatedQuery(paged, { channelId: 1 }, { initialNumItems: 10 });
  // @ts-expect-error not a paginated query
  usePaginatedQuery(list, { channelId: "c" }, { initialNumItems: 10 });
  // @ts-expect-error no such status
  void (pages.status === "Done");
  const conn = useConnectionState();
  const attempt: number | null = conn.status === "reconnecting" ? conn.attempt : null;
  void attempt;
  // @ts-expect-error attempt exists only while reconnecting
  void conn.attempt;
  return first ? <p>{first.text}</p> : null;
}
