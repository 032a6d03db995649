// Bundles the test app's Worker (and the client for Node-side tests) with esbuild, from the
// workspace packages' TypeScript sources, into .build/.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const repo = path.resolve(root, "../..");
const alias = {
  "lunorash/server": path.join(repo, "npm/lunorash/src/server.ts"),
  "@lunora/runtime": path.join(repo, "npm/runtime/src/index.ts"),
  "@lunora/client": path.join(repo, "npm/client/src/index.ts"),
};

// 1. `lunora codegen` from this repository's cargo build writes app/lunora/_generated/.
const generated = path.join(root, "app/lunora/_generated");
const run = spawnSync("cargo", ["run", "--quiet", "-p", "lunora_cli", "--", "codegen", "--root", path.join(root, "app")], {
  cwd: repo,
  stdio: "inherit",
});
if (run.status !== 0) {
  console.error(`lunora codegen failed (exit ${run.status ?? run.signal})`);
  process.exit(1);
}
if (!existsSync(path.join(generated, "wiring.ts"))) {
  console.error("lunora codegen wrote no lunora/_generated/wiring.ts for the test app");
  process.exit(1);
}

// 2. Bundle.
await build({
  entryPoints: [path.join(root, "app/src/worker.ts")],
  outfile: path.join(root, ".build/worker.mjs"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["cloudflare:*"],
  alias,
  logLevel: "warning",
});

await build({
  entryPoints: [path.join(repo, "npm/client/src/index.ts")],
  outfile: path.join(root, ".build/client.mjs"),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  logLevel: "warning",
});
