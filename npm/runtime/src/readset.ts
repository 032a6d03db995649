// Read and write sets of function runs: what a live query read (documents by id, index ranges)
// and what commits wrote (document images), so that a commit re-runs only the live queries it may
// change (docs/ARCHITECTURE.md, "Live queries").

import type { Doc } from "./types.js";
import { matches, type FieldSql, type Plan } from "./storage/plan.js";

/** What one run read of one table: documents by id, and index ranges (with their backend's SQL view). */
export interface TableReads {
  ids: Set<string>;
  ranges: { plan: Plan; f: FieldSql }[];
}
/** What one run read, per table. */
export type ReadSet = Map<string, TableReads>;
/**
 * What commits wrote, per table: every document image they touched (before and after each
 * write), or null when that is not known (a notification from another object, a recovery).
 */
export type WriteSet = Map<string, Doc[] | null>;

/**
 * Whether writes may change the result of a run that read `reads`: a written table it read with
 * unknown documents, or a written document (before or after) that it read by id or that lies in
 * one of its index ranges (the range's conditions, without its limit or cursor: a superset).
 */
export function touches(reads: ReadSet, written: WriteSet): boolean {
  for (const [table, docs] of written) {
    const r = reads.get(table);
    if (!r) continue;
    if (docs === null) return true;
    for (const doc of docs) {
      if (r.ids.has(doc._id)) return true;
      if (r.ranges.some(({ plan, f }) => matches(plan, f, doc))) return true;
    }
  }
  return false;
}

/** Adds `more` to `into` (null, unknown, wins). */
export function mergeWrites(into: WriteSet, more: WriteSet): void {
  for (const [table, docs] of more) {
    const have = into.get(table);
    if (have === null || docs === null) into.set(table, null);
    else into.set(table, [...(have ?? []), ...docs]);
  }
}

/**
 * Notes that a run read `table` as a whole (a system table read without ranges: the scheduler's
 * jobs, the stored files): any write to it re-runs the live query.
 */
export function noteWholeTable(reads: { readTables: Set<string>; readSet: ReadSet }, table: string): void {
  reads.readTables.add(table);
  if (!reads.readSet.has(table)) reads.readSet.set(table, { ids: new Set(), ranges: [] });
}

/** Writes to these tables by documents not known here (every live query that read them re-runs). */
export function unknownWrites(tables: Iterable<string>): WriteSet {
  return new Map([...tables].map((t) => [t, null]));
}
