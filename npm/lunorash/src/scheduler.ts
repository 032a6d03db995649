// `ctx.scheduler` (mutations and actions) and `ctx.db.system` (the `_scheduled_functions` view),
// typed as Convex types them (docs/ARCHITECTURE.md, "Scheduled functions").

import type { FunctionArgs, FunctionReference } from "./functions.js";
import type { GenericId } from "./values.js";

/** A function that can be scheduled: a mutation or an action, public or internal. */
export type SchedulableFunctionReference = FunctionReference<"mutation" | "action", any, any, any>;

/** The args of a scheduled call: optional when the function takes none. */
export type OptionalRestArgs<Ref> = keyof FunctionArgs<Ref> extends never ? [args?: FunctionArgs<Ref>] : [args: FunctionArgs<Ref>];

/**
 * Schedules mutations and actions. Scheduling from a mutation is part of its transaction (a
 * mutation that throws schedules nothing). Scheduled mutations run exactly once, scheduled actions
 * at most once.
 */
export interface Scheduler {
  /** Runs `ref` with `args` after `delayMs` milliseconds (0: as soon as the scheduling mutation commits). */
  runAfter<Ref extends SchedulableFunctionReference>(
    delayMs: number,
    ref: Ref,
    ...args: OptionalRestArgs<Ref>
  ): Promise<GenericId<"_scheduled_functions">>;
  /** Runs `ref` with `args` at `timestamp` (milliseconds since the epoch, or a Date). */
  runAt<Ref extends SchedulableFunctionReference>(
    timestamp: number | Date,
    ref: Ref,
    ...args: OptionalRestArgs<Ref>
  ): Promise<GenericId<"_scheduled_functions">>;
  /** Cancels a pending job (a finished one keeps its state). */
  cancel(id: GenericId<"_scheduled_functions">): Promise<void>;
}

/** A scheduled function's state. */
export type ScheduledFunctionState =
  | { kind: "pending" }
  | { kind: "inProgress" }
  | { kind: "success" }
  | { kind: "failed"; error: string }
  | { kind: "canceled" };

/** A document of the `_scheduled_functions` system table. */
export interface ScheduledFunctionDoc {
  _id: GenericId<"_scheduled_functions">;
  _creationTime: number;
  /** The function, `<module>:<export>`. */
  name: string;
  args: unknown[];
  scheduledTime: number;
  completedTime?: number;
  state: ScheduledFunctionState;
}

export interface SystemQuery {
  order(order: "asc" | "desc"): SystemQuery;
  filter(predicate: (doc: ScheduledFunctionDoc) => unknown): SystemQuery;
  collect(): Promise<ScheduledFunctionDoc[]>;
  take(n: number): Promise<ScheduledFunctionDoc[]>;
  first(): Promise<ScheduledFunctionDoc | null>;
  unique(): Promise<ScheduledFunctionDoc | null>;
  [Symbol.asyncIterator](): AsyncIterator<ScheduledFunctionDoc>;
}

/** `ctx.db.system`: the jobs of the object the function runs in. */
export interface SystemReader {
  get(id: GenericId<"_scheduled_functions">): Promise<ScheduledFunctionDoc | null>;
  query(table: "_scheduled_functions"): SystemQuery;
}
