// Hand-written stand-in for `lunora codegen` output (see docs/ARCHITECTURE.md); replaced by the
// generated file once the compiler emits it.
import { createFunctionBuilders, v as baseV } from "lunorash/server";

const builders = createFunctionBuilders<any>();
export const query = builders.query;
export const mutation = builders.mutation;
export const action = builders.action;
export const internalQuery = builders.internalQuery;
export const internalMutation = builders.internalMutation;
export const internalAction = builders.internalAction;
export const v = baseV;
