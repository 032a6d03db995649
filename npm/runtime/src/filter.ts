// Convex's filter builder: `.filter((q) => q.eq(q.field("done"), false))`. Each method builds an
// expression evaluated per document; values compare in Convex's order (undefined < null < int64 <
// number < boolean < string < bytes < array < object), equality is by value.

import { compareBytes } from "./storage/plan.js";

/** An expression of the filter builder, evaluated against one document. */
export class FilterExpr {
  constructor(readonly evaluate: (doc: Record<string, unknown>) => unknown) {}
}

type Operand = unknown;
const value = (x: Operand, doc: Record<string, unknown>): unknown => (x instanceof FilterExpr ? x.evaluate(doc) : x);

function rank(x: unknown): number {
  if (x === undefined) return 0;
  if (x === null) return 1;
  if (typeof x === "bigint") return 2;
  if (typeof x === "number") return 3;
  if (typeof x === "boolean") return 4;
  if (typeof x === "string") return 5;
  if (x instanceof ArrayBuffer) return 6;
  if (Array.isArray(x)) return 7;
  return 8;
}

/** Convex's total order of values. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2:
    case 3:
      return Number.isNaN(a) || Number.isNaN(b) ? (Number.isNaN(a) ? 1 : 0) - (Number.isNaN(b) ? 1 : 0) : (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 4:
      return Number(a) - Number(b);
    case 5:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 6:
      return compareBytes(new Uint8Array(a as ArrayBuffer), new Uint8Array(b as ArrayBuffer));
    case 7: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 8: {
      const x = Object.entries(a as object).sort(([k], [l]) => (k < l ? -1 : k > l ? 1 : 0));
      const y = Object.entries(b as object).sort(([k], [l]) => (k < l ? -1 : k > l ? 1 : 0));
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = x[i]![0] < y[i]![0] ? -1 : x[i]![0] > y[i]![0] ? 1 : compareValues(x[i]![1], y[i]![1]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default:
      return 0;
  }
}

const compare = (test: (c: number) => boolean) => (l: Operand, r: Operand) =>
  new FilterExpr((doc) => test(compareValues(value(l, doc), value(r, doc))));

const arithmetic = (op: (a: number, b: number) => number, big: (a: bigint, b: bigint) => bigint) => (l: Operand, r: Operand) =>
  new FilterExpr((doc) => {
    const a = value(l, doc);
    const b = value(r, doc);
    if (typeof a === "bigint" && typeof b === "bigint") return big(a, b);
    if (typeof a === "number" && typeof b === "number") return op(a, b);
    return undefined;
  });

/** The `q` of `.filter((q) => ...)`. */
export const filterBuilder = Object.freeze({
  field: (path: string) =>
    new FilterExpr((doc) => {
      let cur: unknown = doc;
      for (const key of String(path).split(".")) {
        if (cur === null || typeof cur !== "object" || Array.isArray(cur) || cur instanceof ArrayBuffer) return undefined;
        cur = (cur as Record<string, unknown>)[key];
      }
      return cur;
    }),
  eq: compare((c) => c === 0),
  neq: compare((c) => c !== 0),
  lt: compare((c) => c < 0),
  lte: compare((c) => c <= 0),
  gt: compare((c) => c > 0),
  gte: compare((c) => c >= 0),
  and: (...xs: Operand[]) => new FilterExpr((doc) => xs.every((x) => value(x, doc) === true)),
  or: (...xs: Operand[]) => new FilterExpr((doc) => xs.some((x) => value(x, doc) === true)),
  not: (x: Operand) => new FilterExpr((doc) => value(x, doc) !== true),
  add: arithmetic((a, b) => a + b, (a, b) => a + b),
  sub: arithmetic((a, b) => a - b, (a, b) => a - b),
  mul: arithmetic((a, b) => a * b, (a, b) => a * b),
  div: arithmetic((a, b) => a / b, (a, b) => (b === 0n ? 0n : a / b)),
  mod: arithmetic((a, b) => a % b, (a, b) => (b === 0n ? 0n : a % b)),
  neg: (x: Operand) =>
    new FilterExpr((doc) => {
      const a = value(x, doc);
      return typeof a === "number" || typeof a === "bigint" ? -a : undefined;
    }),
});

/**
 * A `.filter(...)` argument as a document predicate: Convex's builder form (the callback returns
 * an expression when given `filterBuilder`) or Lunora's plain predicate `(doc) => boolean`.
 */
export function predicateOf(callback: (x: unknown) => unknown): (doc: Record<string, unknown>) => boolean {
  let built: unknown;
  try {
    built = callback(filterBuilder);
  } catch {
    built = undefined; // a plain predicate reading fields of a document
  }
  if (built instanceof FilterExpr) return (doc) => built.evaluate(doc) === true;
  return (doc) => Boolean(callback(doc));
}
