export { createWorker, objectName, MAX_MESSAGE_BYTES, MAX_SUBSCRIPTIONS_PER_SOCKET, type LunoraWorker, type WorkerOptions } from "./worker.js";
export { authenticate, createGuest, signGuestToken, verifyGuestToken, type Identity, type TokenVerifier } from "./auth.js";
export { Db, QueryBuilder, type Doc } from "./db.js";
export { DoBackend } from "./storage/do.js";
export { D1Backend } from "./storage/d1.js";
export { newId, tableOfId } from "./ids.js";
export { DEFAULT_LIMITS, LunoraRuntimeError, type Limits, type Route, type Wiring, type WiringFunction, type WiringTable, type Validator } from "./types.js";
