// Function references as the generated `api` holds them: the one shape the client, the React
// bindings and optimistic updates type their arguments and results with.

export type FunctionKind = "query" | "mutation" | "action";

/**
 * The shape of a generated function reference (`api.messages.list`). Only `path` travels on the
 * wire; the type parameters carry argument and return types (from `lunorash/server`'s
 * `FunctionReference`, which is structurally compatible).
 */
export interface FunctionRef<Kind extends FunctionKind = FunctionKind, Args = any, Return = any> {
  readonly __lunora: "ref";
  readonly path: string;
  readonly kind: Kind;
  /** Phantom members: never present at run time. */
  readonly __args?: Args;
  readonly __returns?: Return;
}

export type ArgsOf<R> = R extends { readonly __args?: infer A } ? (unknown extends A ? Record<string, unknown> : A) : never;
export type ReturnOf<R> = R extends { readonly __returns?: infer T } ? Awaited<T> : never;
