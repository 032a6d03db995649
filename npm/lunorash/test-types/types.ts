// Type-level tests: compiled with `tsc --noEmit`; every `@ts-expect-error` must see an error
// (an unused one fails the build), every other line must compile.
import {
  createFunctionBuilders,
  defineSchema,
  defineTable,
  v,
  type FunctionArgs,
  type FunctionReference,
  type FunctionReturnType,
  type GenericId,
  type HandlerArgs,
  type HandlerReturnType,
  type Infer,
  type VBuilder,
} from "../src/server.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

// Validator types.
const doc = v.object({
  s: v.string(),
  o: v.optional(v.number()),
  l: v.union(v.literal("a"), v.literal(2), v.null()),
  a: v.array(v.int64()),
  r: v.record(v.string(), v.boolean()),
  id: v.id("channels"),
});
assertType<
  Equal<
    Infer<typeof doc>,
    { s: string; o?: number; l: "a" | 2 | null; a: bigint[]; r: Record<string, boolean>; id: GenericId<"channels"> }
  >
>(true);
// @ts-expect-error optional of optional
v.optional(v.optional(v.string()));

// v.id restricted to table names.
const appV: VBuilder<"channels" | "messages"> = v;
appV.id("channels");
// @ts-expect-error unknown table
appV.id("chanels");

// Schema: index fields must be fields of the table (or _creationTime), shardBy a field.
defineTable({ a: v.string() }).index("by_a", ["a", "_creationTime"]);
// @ts-expect-error not a field
defineTable({ a: v.string() }).index("by_b", ["b"]);
// @ts-expect-error not a field
defineTable({ a: v.string() }).shardBy("b");
defineSchema({ t: defineTable({ a: v.string() }).global() });

// A data model as the emitter writes it.
type DataModel = {
  messages: {
    document: { _id: GenericId<"messages">; _creationTime: number; channelId: GenericId<"channels">; n: number; note?: string };
    insert: { channelId: GenericId<"channels">; n: number; note?: string };
    indexes: { by_channel: ["channelId", "n", "_creationTime"] };
  };
  channels: {
    document: { _id: GenericId<"channels">; _creationTime: number; name: string };
    insert: { name: string };
    indexes: {};
  };
};
const { query, mutation, action } = createFunctionBuilders<DataModel>();

const list = query.input({ channelId: v.id("channels") }).query(async ({ ctx, args }) => {
  const ok = ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", args.channelId).gt("n", 1).lte("n", 5));
  // @ts-expect-error range on the second index field before an equality on the first
  ctx.db.query("messages").withIndex("by_channel", (q) => q.gt("n", 1));
  // @ts-expect-error wrong value type for the field
  ctx.db.query("messages").withIndex("by_channel", (q) => q.eq("channelId", 3));
  // @ts-expect-error the channels table has no index
  ctx.db.query("channels").withIndex("by_channel");
  // @ts-expect-error readers cannot insert
  ctx.db.insert("channels", { name: "x" });
  return ok.order("desc").take(10);
});
assertType<Equal<HandlerReturnType<typeof list>, DataModel["messages"]["document"][]>>(true);

mutation.mutation(async ({ ctx, args }) => {
  assertType<Equal<typeof args, Record<string, never>>>(true);
  const channel = await ctx.db.insert("channels", { name: "general" });
  assertType<Equal<typeof channel, GenericId<"channels">>>(true);
  await ctx.db.insert("messages", { channelId: channel, n: 1 });
  // @ts-expect-error an id of the wrong table
  await ctx.db.insert("messages", { channelId: ctx.auth.userId!, n: 1 });
  await ctx.db.patch(channel, { name: "renamed" });
  // @ts-expect-error field of another table
  await ctx.db.patch(channel, { n: 2 });
  const got = await ctx.db.get(channel);
  assertType<Equal<typeof got, DataModel["channels"]["document"] | null>>(true);
  // Table first, as Convex writes it.
  const again = await ctx.db.get("channels", channel);
  assertType<Equal<typeof again, DataModel["channels"]["document"] | null>>(true);
  await ctx.db.patch("channels", channel, { name: "again" });
  await ctx.db.replace("channels", channel, { name: "replaced" });
  await ctx.db.delete("channels", channel);
  // @ts-expect-error the id is of another table
  await ctx.db.get("messages", channel);
  // @ts-expect-error a field of another table
  await ctx.db.patch("channels", channel, { n: 2 });
  const normalized = ctx.db.normalizeId("channels", "channels:x");
  assertType<Equal<typeof normalized, GenericId<"channels"> | null>>(true);
  // The filter builder and a plain predicate; for await over a query.
  const open = ctx.db.query("messages").filter((q) => q.and(q.eq(q.field("n"), 1), q.gt(q.add(q.field("n"), 1), 0)));
  ctx.db.query("messages").filter((m) => m.n > 1);
  // @ts-expect-error no such field
  ctx.db.query("messages").filter((q) => q.eq(q.field("nope"), 1));
  for await (const m of open) {
    const n: number = m.n;
    void n;
  }
  const identity = await ctx.auth.getUserIdentity();
  if (identity) {
    const token: string = identity.tokenIdentifier;
    void token;
  }
});

type ListRef = FunctionReference<"query", { channelId: string }, HandlerReturnType<typeof list>, "public">;
assertType<Equal<FunctionArgs<ListRef>, { channelId: string }>>(true);
assertType<Equal<FunctionReturnType<ListRef>, DataModel["messages"]["document"][]>>(true);

action.action(async ({ ctx }) => {
  const listRef = { __lunora: "ref", path: "m:list", kind: "query" } as ListRef;
  const rows = await ctx.runQuery(listRef, { channelId: "channels:x" });
  assertType<Equal<typeof rows, DataModel["messages"]["document"][]>>(true);
  // @ts-expect-error wrong args
  await ctx.runQuery(listRef, { channel: "x" });
  // @ts-expect-error a query is not a mutation
  await ctx.runMutation(listRef, { channelId: "x" });
  // Convex's ctx.runAction: another action, typed by its reference
  const chargeRef = { __lunora: "ref", path: "m:charge", kind: "action" } as FunctionReference<"action", { cents: number }, boolean, "internal">;
  const approved = await ctx.runAction(chargeRef, { cents: 5 });
  assertType<Equal<typeof approved, boolean>>(true);
  // @ts-expect-error a query is not an action
  await ctx.runAction(listRef, { channelId: "x" });
  // Convex's ctx.runQuery(ref): args may be left out when the function takes none, not otherwise
  const countRef = { __lunora: "ref", path: "m:count", kind: "query" } as FunctionReference<"query", Record<string, never>, number, "internal">;
  const n: number = await ctx.runQuery(countRef);
  void n;
  // @ts-expect-error channelId is required
  await ctx.runQuery(listRef);
});

// Convex's object form: same registered function and API types as the builder form.
const listObject = query({
  args: { channelId: v.id("channels") },
  handler: async (ctx, args) => {
    // @ts-expect-error readers cannot insert
    ctx.db.insert("channels", { name: "x" });
    return ctx.db
      .query("messages")
      .withIndex("by_channel", (q) => q.eq("channelId", args.channelId).gt("n", 1).lte("n", 5))
      .order("desc")
      .take(10);
  },
});
assertType<Equal<HandlerReturnType<typeof listObject>, HandlerReturnType<typeof list>>>(true);
assertType<Equal<HandlerArgs<typeof listObject>, HandlerArgs<typeof list>>>(true);
query({
  args: v.object({ n: v.number() }),
  handler: async (_ctx, args) => {
    assertType<Equal<typeof args, { n: number }>>(true);
  },
});
mutation({
  handler: async (ctx, args) => {
    assertType<Equal<typeof args, Record<string, never>>>(true);
    await ctx.db.insert("channels", { name: "general" });
  },
});
// @ts-expect-error args of the wrong shape for the validators
query({ args: { n: v.number() }, handler: (_ctx, args: { n: string }) => args.n });
const typed = query({ returns: v.union(v.string(), v.null()), handler: async () => null });
assertType<Equal<HandlerReturnType<typeof typed>, string | null>>(true);
// @ts-expect-error the handler's result does not match `returns`
query({ returns: v.string(), handler: async () => 42 });
const chainedReturns = query.input({ n: v.number() }).returns(v.number()).query(async ({ args }) => args.n);
assertType<Equal<HandlerReturnType<typeof chainedReturns>, number>>(true);
// @ts-expect-error the handler's result does not match `.returns(...)`
query.returns(v.string()).query(() => 1);

// Convex's schema vocabulary.
const convexTable = defineTable(v.object({ a: v.float64(), b: v.nullable(v.string()) }))
  .index("by_a", { fields: ["a"], staged: false })
  .index("by_b", ["b", "a"]);
assertType<Equal<NonNullable<typeof convexTable.__document>, { a: number; b: string | null }>>(true);
// @ts-expect-error not a field
defineTable(v.object({ a: v.number() })).index("by_x", { fields: ["x"] });
defineSchema({ t: convexTable }, { schemaValidation: true, strictTableNameTypes: false });
