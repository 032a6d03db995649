// Routing: which function a client may call, its validated arguments, and the Durable Object that
// runs it (docs/ARCHITECTURE.md, "Routing").

import { decodeValue, type JsonValue } from "@lunora/client";
import { LunoraRuntimeError, type Route, type Wiring, type WiringFunction } from "./types.js";

/** The root Durable Object's name. */
export const ROOT = "root";

/** Finds a function callable from a client (internal ones are reported as unknown). */
export function publicFunction(wiring: Wiring, path: unknown, internal = false): WiringFunction {
  if (typeof path !== "string") throw new LunoraRuntimeError("bad_request", "missing function path");
  const fn = Object.prototype.hasOwnProperty.call(wiring.functions, path) ? wiring.functions[path] : undefined;
  if (!fn || (fn.visibility !== "public" && !internal)) {
    throw new LunoraRuntimeError("not_found", `no public function "${path}"`, 404);
  }
  return fn;
}

/** Decodes and validates arguments with the function's validator. */
export function validatedArgs(fn: WiringFunction, path: string, raw: unknown): Record<string, unknown> {
  let args: unknown;
  try {
    args = decodeValue((raw ?? {}) as JsonValue);
  } catch (error) {
    // e.g. {"$int64":"x"}, {"$bytes":"%"} or nesting deeper than the stack
    throw new LunoraRuntimeError("bad_args", `${path}: undecodable arguments: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    throw new LunoraRuntimeError("bad_args", `${path}: arguments must be an object`);
  }
  const validator = fn.fn.args;
  if (validator) {
    const error = validator.validate(args, "args");
    if (error) throw new LunoraRuntimeError("bad_args", `${path}: invalid arguments: ${error}`);
  } else if (Object.keys(args).length > 0) {
    throw new LunoraRuntimeError("bad_args", `${path}: takes no arguments`);
  }
  return args as Record<string, unknown>;
}

/** The Durable Object name a call runs in, from the route and the *validated* arguments. */
export function objectName(route: Route, args: Record<string, unknown>): string | null {
  switch (route.kind) {
    case "root":
    case "global":
      return ROOT;
    case "worker":
      return null;
    case "shard": {
      const name = shardObject(route.key, args[route.arg]);
      if (name === null) {
        throw new LunoraRuntimeError("bad_args", `shard key argument "${route.arg}" must be a string, number, int64 or boolean`);
      }
      return name;
    }
  }
}

/**
 * The name of the object that holds the documents whose shard key `key` is `value`:
 * `<key>:<value>` (a number in JavaScript's shortest form, `-0` as `0`; an int64 in decimal; a
 * boolean as `true`/`false`), or null for a value no shard key can have. The analyzer reserves
 * the key `root` (`schema/reserved-name`), so no shard shares the root object's family.
 */
export function shardObject(key: string, value: unknown): string | null {
  switch (typeof value) {
    case "string":
    case "bigint":
    case "boolean":
      return `${key}:${value}`;
    case "number":
      return Number.isFinite(value) ? `${key}:${value}` : null;
    default:
      return null;
  }
}

/** Which local placement family an object name holds ("root" or the shard key field). */
export function familyOf(name: string): string {
  return name === ROOT ? ROOT : name.slice(0, name.indexOf(":"));
}
