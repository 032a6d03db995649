// The worker of fixtures/valid/convex-file-storage, built with the real codegen and started on
// workerd with Miniflare's local R2 (shared by files.test.mjs and files-browser.test.mjs).
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorker, codegen, migrationSql, repo } from "../scripts/build-app.mjs";
import { startApp } from "./helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function startFileStorageApp(name = "convex-file-storage") {
  const dir = path.join(root, ".build", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "src"), { recursive: true });
  cpSync(path.join(repo, "fixtures/valid/convex-file-storage/lunora"), path.join(dir, "lunora"), { recursive: true });
  writeFileSync(
    path.join(dir, "src/worker.ts"),
    `import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";
const lunora = createWorker(wiring, { testHooks: true });
export default lunora.worker;
export const LunoraShard = lunora.Shard;
`,
  );
  codegen(dir);
  const ddl = migrationSql(dir);
  await bundleWorker(path.join(dir, "src/worker.ts"), path.join(dir, "worker.mjs"));
  return startApp({ scriptPath: path.join(dir, "worker.mjs"), ddl });
}
