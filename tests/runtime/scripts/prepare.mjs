// Bundles the test app's Worker (and the client for Node-side tests) with esbuild, from the
// workspace packages' TypeScript sources, into .build/.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const repo = path.resolve(root, "../..");
const alias = {
  "lunorash/server": path.join(repo, "npm/lunorash/src/server.ts"),
  "@lunora/runtime": path.join(repo, "npm/runtime/src/index.ts"),
  "@lunora/client": path.join(repo, "npm/client/src/index.ts"),
};

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
