// `lunorash/server`: schema, validators, function builders and the typed
// surface of ctx/db. Everything here loads in a Worker, a Durable Object and Node.

export * from "./values.js";
export * from "./schema.js";
export * from "./db.js";
export * from "./functions.js";
export * from "./http.js";
export * from "./scheduler.js";
export * from "./crons.js";
