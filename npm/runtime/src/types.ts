// Structural views of what `lunorash/server` and the generated `wiring.ts` provide (see
// docs/ARCHITECTURE.md "Runtime shapes"). The runtime only relies on these members.

import type { WiringCrons } from "./crons.js";
import type { WiringHttp } from "./httpRoutes.js";

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
  /** Text search indexes (absent: none). */
  readonly searchIndexes?: readonly { readonly name: string; readonly searchField: string; readonly filterFields: readonly string[] }[];
}

export interface SchemaLike {
  readonly tables: { readonly [name: string]: { readonly fields?: Validator; readonly document?: Validator } | undefined };
}

export interface Wiring {
  readonly version: number;
  readonly schema: SchemaLike;
  readonly functions: { readonly [id: string]: WiringFunction };
  readonly tables: { readonly [name: string]: WiringTable };
  readonly storage: { readonly [table: string]: readonly string[] };
  /** `lunora/http.ts`'s router and route table (absent without that file). */
  readonly http?: WiringHttp;
  /** `lunora/crons.ts`'s jobs and their Cron Trigger expressions (absent without that file). */
  readonly crons?: WiringCrons;
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

/**
 * What one client may cost (docs/ARCHITECTURE.md, "Limits"); each is a `createWorker` option
 * (`limits: { ... }`), these are the defaults.
 */
export interface Limits {
  /** Guest sign-ins (`POST /api/auth/guest`) per client address per minute: then 429 `rate_limited`. */
  guestSignInsPerMinute: number;
  /** Sockets one user (or, anonymous, one address) may hold on one object: then 429 `too_many`. */
  socketsPerUser: number;
  /** Live subscriptions per socket: then `too_many`. */
  subscriptionsPerSocket: number;
  /** Live subscriptions per object (all sockets): then `too_many`. */
  subscriptionsPerObject: number;
  /** Documents one query or mutation may read: then `too_many_reads`. */
  rowsReadPerQuery: number;
}

export const DEFAULT_LIMITS: Limits = {
  guestSignInsPerMinute: 10,
  socketsPerUser: 100,
  subscriptionsPerSocket: 1000,
  subscriptionsPerObject: 20_000,
  rowsReadPerQuery: 16_384,
};
