// Function builders (`query.input({...}).query(handler)`), registered function
// objects, function references and the wiring manifest type.

import type { Auth, GenericDatabaseReader, GenericDatabaseWriter, GenericDataModel, IdentityTable } from "./db.js";
import type { WiringHttp } from "./http.js";
import type { WiringCrons } from "./crons.js";
import type { SchemaDefinition } from "./schema.js";
import type { Scheduler, StorageActionWriter, StorageReader, StorageWriter, SystemReader } from "./scheduler.js";
import {
  isValidator,
  v,
  type Infer,
  type ObjectType,
  type PropertyValidators,
  type Validator,
  type VObject,
} from "./values.js";

export type FunctionKind = "query" | "mutation" | "action";
export type FunctionVisibility = "public" | "internal";

/** Arguments of a function declared without `.input(...)`. */
export type EmptyArgs = Record<string, never>;

/** `api.messages.list`: `{ __lunora: "ref", path: "messages:list", kind: "query" }`. */
export interface FunctionReference<
  Kind extends FunctionKind = FunctionKind,
  Args = any,
  Returns = any,
  Visibility extends FunctionVisibility = FunctionVisibility,
> {
  readonly __lunora: "ref";
  /** `<module>:<export>`, sent on the wire. */
  readonly path: string;
  readonly kind: Kind;
  /** Type-level only. */
  readonly __args?: Args;
  /** Type-level only. */
  readonly __returns?: Returns;
  /** Type-level only. */
  readonly __visibility?: Visibility;
}

export type FunctionArgs<Ref> = Ref extends FunctionReference<any, infer Args, any, any> ? Args : never;
export type FunctionReturnType<Ref> = Ref extends FunctionReference<any, any, infer Returns, any> ? Returns : never;

export interface GenericQueryCtx<DataModel extends GenericDataModel> {
  db: GenericDatabaseReader<DataModel> & { system: SystemReader };
  auth: Auth<IdentityTable<DataModel>>;
  /** Stored files: `getUrl`, `getMetadata`. */
  storage: StorageReader;
}

export interface GenericMutationCtx<DataModel extends GenericDataModel> {
  db: GenericDatabaseWriter<DataModel> & { system: SystemReader };
  auth: Auth<IdentityTable<DataModel>>;
  /** Schedules mutations and actions, in this mutation's transaction. */
  scheduler: Scheduler;
  /** Stored files: also `generateUploadUrl` and `delete`. */
  storage: StorageWriter;
}

/** The args of a call: optional when the function takes none (Convex's `ctx.runQuery(ref)`). */
export type OptionalArgs<Ref> = {} extends FunctionArgs<Ref> ? [args?: FunctionArgs<Ref>] : [args: FunctionArgs<Ref>];

export interface ActionCtx<UserTable extends string = "users"> {
  auth: Auth<UserTable>;
  /** Schedules mutations and actions (the jobs live in the root object). */
  scheduler: Scheduler;
  /** Stored files: also `store` and `get`. */
  storage: StorageActionWriter;
  runQuery<Ref extends FunctionReference<"query", any, any, any>>(
    ref: Ref,
    ...args: OptionalArgs<Ref>
  ): Promise<FunctionReturnType<Ref>>;
  runMutation<Ref extends FunctionReference<"mutation", any, any, any>>(
    ref: Ref,
    ...args: OptionalArgs<Ref>
  ): Promise<FunctionReturnType<Ref>>;
  /** Another action (Convex's `ctx.runAction`, e.g. an `internalAction`), run in this Worker. */
  runAction<Ref extends FunctionReference<"action", any, any, any>>(
    ref: Ref,
    ...args: OptionalArgs<Ref>
  ): Promise<FunctionReturnType<Ref>>;
  runAction<Ref extends FunctionReference<"action", any, any, any>>(
    ref: Ref,
    args: FunctionArgs<Ref>,
  ): Promise<FunctionReturnType<Ref>>;
}
export type GenericActionCtx<DataModel extends GenericDataModel = GenericDataModel> = ActionCtx<IdentityTable<DataModel>>;

export type CtxFor<Kind extends FunctionKind, DataModel extends GenericDataModel> = Kind extends "query"
  ? GenericQueryCtx<DataModel>
  : Kind extends "mutation"
    ? GenericMutationCtx<DataModel>
    : GenericActionCtx<DataModel>;

/** What the runtime calls: the registered function object. */
export interface RegisteredFunction<
  Kind extends FunctionKind = FunctionKind,
  Visibility extends FunctionVisibility = FunctionVisibility,
  Args = any,
  Returns = unknown,
  Ctx = any,
> {
  readonly __lunora: "function";
  readonly kind: Kind;
  readonly visibility: Visibility;
  /** The `.input({...})` (or `args`) validators as one object validator; null without them. */
  readonly args: VObject<PropertyValidators> | null;
  /** The `.returns(v)` (or `returns`) validator, checked on every result; null without one. */
  readonly returns: Validator<any, false> | null;
  /** Both forms end here: the object form's `(ctx, args)` handler is wrapped into this shape. */
  readonly handler: (input: { ctx: Ctx; args: Args }) => Returns;
}

/** The awaited return type of a registered function (used by the generated `api.ts`). */
export type HandlerReturnType<F> = F extends RegisteredFunction<any, any, any, infer Returns, any>
  ? Awaited<Returns>
  : never;
/** The handler's argument type of a registered function. */
export type HandlerArgs<F> = F extends RegisteredFunction<any, any, infer Args, any, any> ? Args : never;

type Define<Kind extends FunctionKind, Visibility extends FunctionVisibility, DataModel extends GenericDataModel, Args> = {
  [K in Kind]: <Returns>(
    handler: (input: { ctx: CtxFor<Kind, DataModel>; args: Args }) => Returns,
  ) => RegisteredFunction<Kind, Visibility, Args, Returns, CtxFor<Kind, DataModel>>;
};

/** `.returns(v)` fixes the handler's result type to the validator's. */
type DefineReturning<
  Kind extends FunctionKind,
  Visibility extends FunctionVisibility,
  DataModel extends GenericDataModel,
  Args,
  Output,
> = {
  [K in Kind]: (
    handler: (input: { ctx: CtxFor<Kind, DataModel>; args: Args }) => Output | Promise<Output>,
  ) => RegisteredFunction<Kind, Visibility, Args, Promise<Output>, CtxFor<Kind, DataModel>>;
};

type WithReturns<Kind extends FunctionKind, Visibility extends FunctionVisibility, DataModel extends GenericDataModel, Args> = {
  returns<R extends Validator<any, false>>(validator: R): DefineReturning<Kind, Visibility, DataModel, Args, Infer<R>>;
};

/** Convex's `args`: an object of validators or `v.object({...})`. */
export type ArgsValidator = PropertyValidators | VObject<PropertyValidators>;
/** The handler's args for an `args` validator (none: no arguments). */
export type ArgsOf<A> =
  A extends VObject<infer F>
    ? ArgsOf<F>
    : A extends PropertyValidators
      ? [keyof A] extends [never]
        ? EmptyArgs
        : ObjectType<A>
      : EmptyArgs;

/** Convex's object form: `query({ args?, returns?, handler: (ctx, args) => ... })` or `query(handler)`. */
export interface ObjectForm<Kind extends FunctionKind, Visibility extends FunctionVisibility, DataModel extends GenericDataModel> {
  <R extends Validator<any, false>, const A extends ArgsValidator = {}>(definition: {
    args?: A;
    returns: R;
    handler: (ctx: CtxFor<Kind, DataModel>, args: ArgsOf<A>) => Infer<R> | Promise<Infer<R>>;
  }): RegisteredFunction<Kind, Visibility, ArgsOf<A>, Promise<Infer<R>>, CtxFor<Kind, DataModel>>;
  <Returns, const A extends ArgsValidator = {}>(definition: {
    args?: A;
    handler: (ctx: CtxFor<Kind, DataModel>, args: ArgsOf<A>) => Returns;
  }): RegisteredFunction<Kind, Visibility, ArgsOf<A>, Returns, CtxFor<Kind, DataModel>>;
  <Returns>(
    handler: (ctx: CtxFor<Kind, DataModel>, args: EmptyArgs) => Returns,
  ): RegisteredFunction<Kind, Visibility, EmptyArgs, Returns, CtxFor<Kind, DataModel>>;
}

/**
 * `query`, `mutation`, ...: the builder chain (`.input({...})` and `.returns(v)`
 * optional, then `.query(handler)` or `.mutation`/`.action`) and Convex's object
 * form (`query({ args, returns, handler })`), one value for both.
 */
export type FunctionBuilder<
  Kind extends FunctionKind,
  Visibility extends FunctionVisibility,
  DataModel extends GenericDataModel,
> = ObjectForm<Kind, Visibility, DataModel> &
  Define<Kind, Visibility, DataModel, EmptyArgs> &
  WithReturns<Kind, Visibility, DataModel, EmptyArgs> & {
    input<Fields extends PropertyValidators>(
      fields: Fields,
    ): Define<Kind, Visibility, DataModel, ObjectType<Fields>> &
      WithReturns<Kind, Visibility, DataModel, ObjectType<Fields>>;
  };

export interface FunctionBuilders<DataModel extends GenericDataModel> {
  query: FunctionBuilder<"query", "public", DataModel>;
  mutation: FunctionBuilder<"mutation", "public", DataModel>;
  action: FunctionBuilder<"action", "public", DataModel>;
  internalQuery: FunctionBuilder<"query", "internal", DataModel>;
  internalMutation: FunctionBuilder<"mutation", "internal", DataModel>;
  internalAction: FunctionBuilder<"action", "internal", DataModel>;
}

function checkedReturns(returns: unknown, where: string): Validator<any, false> {
  if (!isValidator(returns) || returns.isOptional) {
    throw new TypeError(`${where}: returns must be a (non-optional) validator`);
  }
  return returns as Validator<any, false>;
}

function register(
  kind: FunctionKind,
  visibility: FunctionVisibility,
  args: VObject<PropertyValidators> | null,
  returns: Validator<any, false> | null,
  handler: unknown,
): RegisteredFunction {
  if (typeof handler !== "function") {
    throw new TypeError(`.${kind}(handler): handler must be a function`);
  }
  const run = handler as RegisteredFunction["handler"];
  return Object.freeze({
    __lunora: "function" as const,
    kind,
    visibility,
    args,
    returns,
    handler: returns === null ? run : checkedHandler(kind, returns, run),
  });
}

/** The handler, with its result checked against the `returns` validator (on the server). */
function checkedHandler(
  kind: FunctionKind,
  returns: Validator<any, false>,
  run: RegisteredFunction["handler"],
): RegisteredFunction["handler"] {
  return async (input) => {
    const value: unknown = await run(input);
    const error = returns.validate(value, "return value");
    if (error !== null) {
      throw new Error(`${kind} returned a value its \`returns\` validator rejects: ${error}`);
    }
    return value;
  };
}

function argsObject(fields: unknown, where: string): VObject<PropertyValidators> {
  if (isValidator(fields)) {
    if (fields.kind !== "object") throw new TypeError(`${where} takes an object of validators or v.object({...})`);
    return fields as VObject<PropertyValidators>;
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new TypeError(`${where} takes an object of validators`);
  }
  for (const [name, validator] of Object.entries(fields)) {
    if (!isValidator(validator)) {
      throw new TypeError(`${where}: "${name}" is not a validator`);
    }
  }
  return v.object(fields as PropertyValidators);
}

function stage(kind: FunctionKind, visibility: FunctionVisibility, args: VObject<PropertyValidators> | null): object {
  return Object.freeze({
    [kind]: (handler: unknown) => register(kind, visibility, args, null, handler),
    returns(returns: unknown) {
      const checked = checkedReturns(returns, ".returns(...)");
      return Object.freeze({
        [kind]: (handler: unknown) => register(kind, visibility, args, checked, handler),
      });
    },
  });
}

function builder(kind: FunctionKind, visibility: FunctionVisibility): unknown {
  // Convex's object form: the builder is callable.
  const objectForm = (definition: unknown): RegisteredFunction => {
    const toInput = (handler: unknown) => {
      if (typeof handler !== "function") {
        throw new TypeError(`${kind}({ handler }): handler must be a function`);
      }
      return (input: { ctx: unknown; args: unknown }) =>
        (handler as (ctx: unknown, args: unknown) => unknown)(input.ctx, input.args);
    };
    if (typeof definition === "function") {
      return register(kind, visibility, null, null, toInput(definition));
    }
    if (typeof definition !== "object" || definition === null) {
      throw new TypeError(`${kind}(...) takes { args?, returns?, handler } or a handler`);
    }
    const def = definition as { args?: unknown; returns?: unknown; handler?: unknown };
    const args = def.args === undefined ? null : argsObject(def.args, `${kind}({ args })`);
    const returns = def.returns === undefined ? null : checkedReturns(def.returns, `${kind}({ returns })`);
    return register(kind, visibility, args, returns, toInput(def.handler));
  };
  const chain = stage(kind, visibility, null);
  return Object.freeze(
    Object.assign(objectForm, chain, {
      input(fields: unknown) {
        return stage(kind, visibility, argsObject(fields, ".input(...)"));
      },
    }),
  );
}

/** The builders bound to a data model; the generated `server.ts` calls this once. */
export function createFunctionBuilders<DataModel extends GenericDataModel>(): FunctionBuilders<DataModel> {
  return Object.freeze({
    query: builder("query", "public"),
    mutation: builder("mutation", "public"),
    action: builder("action", "public"),
    internalQuery: builder("query", "internal"),
    internalMutation: builder("mutation", "internal"),
    internalAction: builder("action", "internal"),
  }) as FunctionBuilders<DataModel>;
}

/** True for a registered function object. */
export function isRegisteredFunction(value: unknown): value is RegisteredFunction {
  return typeof value === "object" && value !== null && (value as { __lunora?: unknown }).__lunora === "function";
}

export type Route =
  | { readonly kind: "root" }
  | { readonly kind: "global" }
  | { readonly kind: "shard"; readonly key: string; readonly arg: string }
  | { readonly kind: "worker" };

export interface WiringFunction {
  readonly kind: FunctionKind;
  readonly visibility: FunctionVisibility;
  readonly fn: RegisteredFunction<any, any, any, any, any>;
  readonly route: Route;
}

export interface WiringTable {
  readonly placement: "root" | "global" | { readonly shardBy: string };
  readonly builtin?: boolean;
  readonly indexes: readonly { readonly name: string; readonly fields: readonly string[]; readonly unique: boolean }[];
  readonly searchIndexes?: readonly { readonly name: string; readonly searchField: string; readonly filterFields: readonly string[] }[];
}

/** The generated `wiring.ts` manifest read by `createWorker`. */
export interface LunoraWiring {
  readonly version: 1;
  readonly schema: SchemaDefinition<any>;
  /** By function id `<module>:<export>`. */
  readonly functions: { readonly [id: string]: WiringFunction };
  /** Every table (including the built-in `users`), in declaration order. */
  readonly tables: { readonly [table: string]: WiringTable };
  /** Durable Object SQLite DDL (root and shard tables), idempotent statements. */
  readonly storage: { readonly [table: string]: readonly string[] };
  /** `lunora/http.ts`'s router and its route table; absent without that file. */
  readonly http?: WiringHttp;
  /** `lunora/crons.ts`'s jobs and their Cron Trigger expressions; absent without that file. */
  readonly crons?: WiringCrons;
}
