// The worker of fixtures/valid/convex-file-storage, built with the real codegen and started on
// workerd with Miniflare's local R2 (shared by files.test.mjs and files-browser.test.mjs).
import { buildFixtureWorker } from "../scripts/build-app.mjs";
import { startApp } from "./helpers.mjs";

export async function startFileStorageApp(name = "convex-file-storage") {
  return startApp(await buildFixtureWorker("convex-file-storage", name));
}
