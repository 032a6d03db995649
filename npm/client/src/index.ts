export {
  canonicalJson,
  CodecError,
  decodeValue,
  encodeStored,
  encodeValue,
  INT64_MAX,
  INT64_MIN,
  parse,
  stringify,
  type JsonValue,
} from "./codec.js";
export { applyDelta, computeDelta, type Delta } from "./delta.js";
export type { OptimisticLocalStore, OptimisticUpdate } from "./optimistic.js";
export type { CallReply, CallRequest, ClientMessage, Commit, ServerMessage, WireError } from "./protocol.js";
export { authProtocol, PING, PONG, tokenFromProtocols, WS_PROTOCOL } from "./protocol.js";
export {
  LunoraClient,
  LunoraError,
  type ArgsOf,
  type ClientOptions,
  type ConnectionState,
  type FunctionKind,
  type FunctionRef,
  type MutationOptions,
  type QueryState,
  type ReturnOf,
  type TokenStorage,
  type WebSocketLike,
} from "./client.js";
