// Builds the test app (app/) into .build/: codegen, the D1 migration SQL (test/helpers.mjs applies
// it), the three Worker entries, the client and @lunora/react for Node-side tests.
import { fileURLToPath } from "node:url";
import path from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { bundleClient, bundleReact, bundleWorker, codegen, migrationSql } from "./build-app.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const app = path.join(root, "app");
const out = path.join(root, ".build");
try {
  codegen(app);
  const sql = migrationSql(app);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "d1.sql"), sql);
  for (const entry of ["worker", "worker-noguest", "worker-limits"]) {
    await bundleWorker(path.join(app, `src/${entry}.ts`), path.join(out, `${entry}.mjs`));
  }
  await bundleClient(path.join(out, "client.mjs"));
  await bundleReact(path.join(out, "react.mjs"));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
