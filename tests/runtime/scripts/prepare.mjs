// Bundles the test app's Worker (and the client for Node-side tests) with esbuild, from the
// workspace packages' TypeScript sources, into .build/.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";

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

// 2. The D1 tables come from the real `lunora migrate generate` (fixed timestamp), run on a copy
// of the app's sources in a temp folder, so the runtime's D1 adapter is tested against what the
// migrations really create. The SQL lands in .build/d1.sql (test/helpers.mjs applies it).
const tmp = mkdtempSync(path.join(os.tmpdir(), "lunora-migrate-"));
try {
  mkdirSync(path.join(tmp, "lunora"));
  for (const entry of readdirSync(path.join(root, "app/lunora"))) {
    if (entry.endsWith(".ts")) cpSync(path.join(root, "app/lunora", entry), path.join(tmp, "lunora", entry));
  }
  const migrate = spawnSync("cargo", ["run", "--quiet", "-p", "lunora_cli", "--", "migrate", "generate", "init", "--root", tmp], {
    cwd: repo,
    stdio: "inherit",
    env: { ...process.env, LUNORA_MIGRATION_TIMESTAMP: "20260101000000" },
  });
  if (migrate.status !== 0) {
    console.error(`lunora migrate generate failed (exit ${migrate.status ?? migrate.signal})`);
    process.exit(1);
  }
  const dir = path.join(tmp, "lunora/migrations");
  const sql = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  if (sql.length !== 1 || sql[0] !== "20260101000000_init.sql") {
    console.error(`expected one migration 20260101000000_init.sql, got ${JSON.stringify(sql)}`);
    process.exit(1);
  }
  mkdirSync(path.join(root, ".build"), { recursive: true });
  writeFileSync(path.join(root, ".build/d1.sql"), readFileSync(path.join(dir, sql[0]), "utf8"));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// 3. Bundle.
for (const entry of ["worker", "worker-noguest", "worker-limits"]) {
  await build({
    entryPoints: [path.join(root, `app/src/${entry}.ts`)],
    outfile: path.join(root, `.build/${entry}.mjs`),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    alias,
    logLevel: "warning",
  });
}

await build({
  entryPoints: [path.join(repo, "npm/client/src/index.ts")],
  outfile: path.join(root, ".build/client.mjs"),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  logLevel: "warning",
});
