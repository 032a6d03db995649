export { createWorker, objectName, type LunoraWorker, type WorkerOptions } from "./worker.js";
export { authenticate, createGuest, signGuestToken, verifyGuestToken, type Identity, type TokenVerifier } from "./auth.js";
export { Db, DoBackend, D1Backend, QueryBuilder, newId, tableOfId, type Doc } from "./db.js";
export { LunoraRuntimeError, type Route, type Wiring, type WiringFunction, type WiringTable, type Validator } from "./types.js";
