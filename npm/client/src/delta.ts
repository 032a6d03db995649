// Delta envelopes for live query results (wire format, see docs/ARCHITECTURE.md "Wire protocol").
//
// A result is an encoded JSON value. When it is a list of documents with distinct `_id`s (what
// `collect`/`take` return), the delta is keyed: the ids that left (or moved), the documents that
// entered at their final index, and the kept documents whose content changed. Anything else is sent
// whole. `applyDelta(old, computeDelta(old, next))` equals `next` exactly.

import { canonicalJson, type JsonValue } from "./codec.js";

export type Delta =
  | { k: "replace"; value: JsonValue }
  | {
      k: "list";
      /** ids removed from the old list (including moved ones). */
      remove: string[];
      /** [final index, document], ascending index: inserted after removal. */
      insert: [number, JsonValue][];
      /** [final index, document]: kept documents whose content changed. */
      update: [number, JsonValue][];
    };

function docIds(value: JsonValue): string[] | null {
  if (!Array.isArray(value)) return null;
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const item of value) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return null;
    const id = item["_id"];
    if (typeof id !== "string" || seen.has(id)) return null;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/** Delta turning `prev` into `next`, or null when they are equal. */
export function computeDelta(prev: JsonValue, next: JsonValue): Delta | null {
  const prevIds = docIds(prev);
  const nextIds = docIds(next);
  if (prevIds === null || nextIds === null) {
    return canonicalJson(prev) === canonicalJson(next) ? null : { k: "replace", value: next };
  }
  const prevList = prev as JsonValue[];
  const nextList = next as JsonValue[];
  const prevIndex = new Map<string, number>();
  prevIds.forEach((id, i) => prevIndex.set(id, i));
  // Keep the old documents that stay in increasing old order; everything else is (re)inserted.
  const kept = new Set<string>();
  let lastOld = -1;
  for (const id of nextIds) {
    const oi = prevIndex.get(id);
    if (oi !== undefined && oi > lastOld) {
      kept.add(id);
      lastOld = oi;
    }
  }
  const remove = prevIds.filter((id) => !kept.has(id));
  const insert: [number, JsonValue][] = [];
  const update: [number, JsonValue][] = [];
  nextIds.forEach((id, i) => {
    const doc = nextList[i] as JsonValue;
    if (!kept.has(id)) insert.push([i, doc]);
    else if (canonicalJson(prevList[prevIndex.get(id) as number] as JsonValue) !== canonicalJson(doc)) {
      update.push([i, doc]);
    }
  });
  if (remove.length === 0 && insert.length === 0 && update.length === 0) return null;
  const listDelta: Delta = { k: "list", remove, insert, update };
  // A whole replacement is smaller when most of the list changed.
  if (JSON.stringify(listDelta).length >= JSON.stringify(next).length) return { k: "replace", value: next };
  return listDelta;
}

/** Applies a delta to the previous encoded result (not mutated) and returns the new one. */
export function applyDelta(prev: JsonValue, delta: Delta): JsonValue {
  if (delta.k === "replace") return delta.value;
  if (!Array.isArray(prev)) throw new Error("list delta applied to a non-list result");
  const removed = new Set(delta.remove);
  const out: JsonValue[] = prev.filter((doc) => {
    const id = (doc as { [key: string]: JsonValue })["_id"];
    return !(typeof id === "string" && removed.has(id));
  });
  for (const [index, doc] of delta.insert) out.splice(index, 0, doc);
  for (const [index, doc] of delta.update) out[index] = doc;
  return out;
}
