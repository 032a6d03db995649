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
      const value = args[route.arg];
      if (typeof value !== "string" && typeof value !== "number") {
        throw new LunoraRuntimeError("bad_args", `shard key argument "${route.arg}" must be a string or number`);
      }
      return `${route.key}:${value}`;
    }
  }
}

/** Which local placement family an object name holds ("root" or the shard key field). */
export function familyOf(name: string): string {
  return name === ROOT ? ROOT : name.slice(0, name.indexOf(":"));
}
