// `ctx.scheduler` (mutations and actions) and `ctx.db.system` (the `_scheduled_functions` view),
// typed as Convex types them (docs/ARCHITECTURE.md, "Scheduled functions").

import type { FunctionReference, OptionalArgs } from "./functions.js";
import type { GenericId } from "./values.js";

/** A function that can be scheduled: a mutation or an action, public or internal. */
export type SchedulableFunctionReference = FunctionReference<"mutation" | "action", any, any, any>;


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
    ...args: OptionalArgs<Ref>
  ): Promise<GenericId<"_scheduled_functions">>;
  /** Runs `ref` with `args` at `timestamp` (milliseconds since the epoch, or a Date). */
  runAt<Ref extends SchedulableFunctionReference>(
    timestamp: number | Date,
    ref: Ref,
    ...args: OptionalArgs<Ref>
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

/** A document of the `_storage` system table (a stored file; docs/ARCHITECTURE.md, "File storage"). */
export interface FileDoc {
  _id: GenericId<"_storage">;
  _creationTime: number;
  /** base64 of the SHA-256 of the bytes. */
  sha256: string;
  size: number;
  contentType?: string;
}

/** `ctx.storage.getMetadata`'s result (deprecated in Convex: read `ctx.db.system.get(id)`). */
export interface FileMetadata {
  storageId: GenericId<"_storage">;
  /** hex of the SHA-256 of the bytes. */
  sha256: string;
  size: number;
  contentType: string | null;
}

export interface FileQuery {
  order(order: "asc" | "desc"): FileQuery;
  filter(predicate: (doc: FileDoc) => unknown): FileQuery;
  collect(): Promise<FileDoc[]>;
  take(n: number): Promise<FileDoc[]>;
  first(): Promise<FileDoc | null>;
  unique(): Promise<FileDoc | null>;
  [Symbol.asyncIterator](): AsyncIterator<FileDoc>;
}

/** `ctx.db.system`: the jobs of the object the function runs in, and the app's stored files. */
export interface SystemReader {
  get(id: GenericId<"_scheduled_functions">): Promise<ScheduledFunctionDoc | null>;
  get(id: GenericId<"_storage">): Promise<FileDoc | null>;
  query(table: "_scheduled_functions"): SystemQuery;
  query(table: "_storage"): FileQuery;
}

/** A query's `ctx.storage`. */
export interface StorageReader {
  /** A URL serving the file (through the Worker, with its content type), or null when there is no such file. */
  getUrl(storageId: GenericId<"_storage">): Promise<string | null>;
  /** @deprecated read `ctx.db.system.get(storageId)` (as in Convex). */
  getMetadata(storageId: GenericId<"_storage">): Promise<FileMetadata | null>;
}

/** A mutation's `ctx.storage`. */
export interface StorageWriter extends StorageReader {
  /** A signed URL, valid one hour, that a client POSTs a file to; the reply is `{ storageId }`. */
  generateUploadUrl(): Promise<string>;
  /** Deletes the file once the mutation has committed (an error if there is no such file). */
  delete(storageId: GenericId<"_storage">): Promise<void>;
}

/** An action's `ctx.storage`. */
export interface StorageActionWriter extends StorageWriter {
  /** Stores a file and returns its id (the size cap of uploads applies). */
  store(blob: Blob): Promise<GenericId<"_storage">>;
  /** The file's bytes, or null when there is no such file. */
  get(storageId: GenericId<"_storage">): Promise<Blob | null>;
}
