// Structural views of what `lunorash/server` and the generated `wiring.ts` provide (see
// docs/ARCHITECTURE.md "Runtime shapes"). The runtime only relies on these members.

export interface Validator {
  readonly kind: string;
  readonly isOptional?: boolean;
  validate(value: unknown, path?: string): string | null;
}

export type FunctionKind = "query" | "mutation" | "action";

export interface RegisteredFunction {
  readonly __lunora: "function";
  readonly kind: FunctionKind;
  readonly visibility: "public" | "internal";
  readonly args: Validator | null;
  readonly handler: (input: { ctx: any; args: any }) => unknown;
}

export type Route =
  | { readonly kind: "root" }
  | { readonly kind: "global" }
  | { readonly kind: "shard"; readonly key: string; readonly arg: string }
  | { readonly kind: "worker" };

export interface WiringFunction {
  readonly kind: FunctionKind;
  readonly visibility: "public" | "internal";
  readonly fn: RegisteredFunction;
  readonly route: Route;
}

export interface IndexSpec {
  readonly name: string;
  readonly fields: readonly string[];
  readonly unique: boolean;
}

export type Placement = "root" | "global" | { readonly shardBy: string };

export interface WiringTable {
  readonly placement: Placement;
  readonly builtin?: boolean;
  readonly indexes: readonly IndexSpec[];
}

export interface SchemaLike {
  readonly tables: { readonly [name: string]: { readonly fields?: Validator } | undefined };
}

export interface Wiring {
  readonly version: number;
  readonly schema: SchemaLike;
  readonly functions: { readonly [id: string]: WiringFunction };
  readonly tables: { readonly [name: string]: WiringTable };
  readonly storage: { readonly [table: string]: readonly string[] };
}

/** Error with a wire code and HTTP status, reported to the client as `{ code, message }`. */
export class LunoraRuntimeError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** A stored document: system fields plus the table's fields. */
export type Doc = { _id: string; _creationTime: number; [field: string]: unknown };
