// Function builders (`query.input({...}).query(handler)`), registered function
// objects, function references and the wiring manifest type.

import type { Auth, GenericDatabaseReader, GenericDatabaseWriter, GenericDataModel } from "./db.js";
import type { SchemaDefinition } from "./schema.js";
import { isValidator, v, type ObjectType, type PropertyValidators, type VObject } from "./values.js";

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
  db: GenericDatabaseReader<DataModel>;
  auth: Auth;
}

export interface GenericMutationCtx<DataModel extends GenericDataModel> {
  db: GenericDatabaseWriter<DataModel>;
  auth: Auth;
}

export interface ActionCtx {
  auth: Auth;
  runQuery<Ref extends FunctionReference<"query", any, any, any>>(
    ref: Ref,
    args: FunctionArgs<Ref>,
  ): Promise<FunctionReturnType<Ref>>;
  runMutation<Ref extends FunctionReference<"mutation", any, any, any>>(
    ref: Ref,
    args: FunctionArgs<Ref>,
  ): Promise<FunctionReturnType<Ref>>;
}
export type GenericActionCtx<_DataModel extends GenericDataModel = GenericDataModel> = ActionCtx;

export type CtxFor<Kind extends FunctionKind, DataModel extends GenericDataModel> = Kind extends "query"
  ? GenericQueryCtx<DataModel>
  : Kind extends "mutation"
    ? GenericMutationCtx<DataModel>
    : ActionCtx;

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
  /** The `.input({...})` validators as one object validator; null without `.input`. */
  readonly args: VObject<PropertyValidators> | null;
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

/** `query`, `mutation`, ...: `.input({...})` is optional, then `.query(handler)` (or `.mutation`/`.action`). */
export type FunctionBuilder<
  Kind extends FunctionKind,
  Visibility extends FunctionVisibility,
  DataModel extends GenericDataModel,
> = Define<Kind, Visibility, DataModel, EmptyArgs> & {
  input<Fields extends PropertyValidators>(
    fields: Fields,
  ): Define<Kind, Visibility, DataModel, ObjectType<Fields>>;
};

export interface FunctionBuilders<DataModel extends GenericDataModel> {
  query: FunctionBuilder<"query", "public", DataModel>;
  mutation: FunctionBuilder<"mutation", "public", DataModel>;
  action: FunctionBuilder<"action", "public", DataModel>;
  internalQuery: FunctionBuilder<"query", "internal", DataModel>;
  internalMutation: FunctionBuilder<"mutation", "internal", DataModel>;
  internalAction: FunctionBuilder<"action", "internal", DataModel>;
}

function register(
  kind: FunctionKind,
  visibility: FunctionVisibility,
  args: VObject<PropertyValidators> | null,
  handler: unknown,
): RegisteredFunction {
  if (typeof handler !== "function") {
    throw new TypeError(`.${kind}(handler): handler must be a function`);
  }
  return Object.freeze({
    __lunora: "function" as const,
    kind,
    visibility,
    args,
    handler: handler as RegisteredFunction["handler"],
  });
}

function builder(kind: FunctionKind, visibility: FunctionVisibility): unknown {
  return Object.freeze({
    [kind]: (handler: unknown) => register(kind, visibility, null, handler),
    input(fields: unknown) {
      if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
        throw new TypeError(".input(...) takes an object of validators");
      }
      for (const [name, validator] of Object.entries(fields)) {
        if (!isValidator(validator)) {
          throw new TypeError(`.input(...): "${name}" is not a validator`);
        }
      }
      const args = v.object(fields as PropertyValidators);
      return Object.freeze({
        [kind]: (handler: unknown) => register(kind, visibility, args, handler),
      });
    },
  });
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
}
