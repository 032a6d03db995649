// Builds a Lunora app for the runtime tests the way a user's build does: the real `lunora codegen`
// and `lunora migrate generate` of this repository's cargo build, then esbuild bundles from the
// workspace packages' TypeScript sources. Used by scripts/prepare.mjs (the fixed test app) and, through
// buildWorker / buildFixtureWorker, by every test that builds its own app (random schemas, fixtures).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../../..");
const alias = {
  "lunorash/server": path.join(repo, "npm/lunorash/src/server.ts"),
  "@lunora/runtime": path.join(repo, "npm/runtime/src/index.ts"),
  "@lunora/client": path.join(repo, "npm/client/src/index.ts"),
};

function lunora(args, env = {}) {
  const run = spawnSync("cargo", ["run", "--quiet", "-p", "lunora_cli", "--", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  if (run.status !== 0) {
    throw new Error(`lunora ${args.join(" ")} failed (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
  }
}

/** `lunora codegen` of the app at `appRoot` (writes `lunora/_generated/`). */
export function codegen(appRoot) {
  lunora(["codegen", "--root", appRoot]);
  if (!existsSync(path.join(appRoot, "lunora/_generated/wiring.ts"))) {
    throw new Error(`lunora codegen wrote no lunora/_generated/wiring.ts under ${appRoot}`);
  }
}

/**
 * The D1 schema of the app at `appRoot` as the real `lunora migrate generate` writes it (fixed
 * timestamp), run on a copy of the app's `lunora/*.ts` in a temp folder: the SQL text.
 */
export function migrationSql(appRoot) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lunora-migrate-"));
  try {
    mkdirSync(path.join(tmp, "lunora"));
    for (const entry of readdirSync(path.join(appRoot, "lunora"))) {
      if (entry.endsWith(".ts")) cpSync(path.join(appRoot, "lunora", entry), path.join(tmp, "lunora", entry));
    }
    lunora(["migrate", "generate", "init", "--root", tmp], { LUNORA_MIGRATION_TIMESTAMP: "20260101000000" });
    const dir = path.join(tmp, "lunora/migrations");
    const sql = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    if (sql.length !== 1 || sql[0] !== "20260101000000_init.sql") {
      throw new Error(`expected one migration 20260101000000_init.sql, got ${JSON.stringify(sql)}`);
    }
    return readFileSync(path.join(dir, sql[0]), "utf8");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Bundles a Worker entry (ESM, workerd's `cloudflare:*` modules external). */
export async function bundleWorker(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    alias,
    logLevel: "warning",
  });
}

/** Bundles the client for Node-side tests. */
export async function bundleClient(outfile) {
  await build({
    entryPoints: [path.join(repo, "npm/client/src/index.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    logLevel: "warning",
  });
}

/** @lunora/react from its sources, with its own copy of the client and the tests' React. */
export async function bundleReact(outfile) {
  await build({
    entryPoints: [path.join(repo, "npm/react/src/index.tsx")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    jsx: "automatic",
    external: ["react", "react/jsx-runtime"],
    alias: { "@lunora/client": path.join(repo, "npm/client/src/index.ts") },
    logLevel: "warning",
  });
}

/**
 * The Worker entry the template writes: `createWorker(<wiring>, <options>)`, its worker and its
 * Durable Object class exported. `options` is TypeScript source (default: test hooks on).
 */
export function workerEntry({ wiring = "wiring", options = "{ testHooks: true }" } = {}) {
  return `import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";
const lunora = createWorker(${wiring}${options ? `, ${options}` : ""});
export default lunora.worker;
export const LunoraShard = lunora.Shard;
`;
}

/**
 * An app as a Worker bundle in `tests/runtime/.build/<buildName>/`: `files` (path under the app →
 * text, or `{ copy: <path> }` to copy a file or folder), the Worker entry `worker` at
 * `src/worker.ts`, the real codegen, the D1 migration SQL and the esbuild bundle. Returns
 * `{ dir, scriptPath, ddl }` (what `startApp` takes, plus the folder).
 */
export async function buildWorker(buildName, files, worker = workerEntry()) {
  const dir = path.join(repo, "tests/runtime/.build", buildName);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "src"), { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    if (typeof text === "string") writeFileSync(path.join(dir, file), text);
    else cpSync(text.copy, path.join(dir, file), { recursive: true });
  }
  writeFileSync(path.join(dir, "src/worker.ts"), worker);
  codegen(dir);
  const ddl = migrationSql(dir);
  const scriptPath = path.join(dir, "worker.mjs");
  await bundleWorker(path.join(dir, "src/worker.ts"), scriptPath);
  return { dir, scriptPath, ddl };
}

/**
 * A fixture app (`fixtures/valid/<fixture>`) as a Worker bundle in `.build/<buildName>/`: its
 * `lunora/` copied and [`buildWorker`]'s steps. `worker` is the entry (default: test hooks on).
 */
export async function buildFixtureWorker(fixture, buildName = fixture, worker = workerEntry()) {
  return buildWorker(buildName, { lunora: { copy: path.join(repo, "fixtures/valid", fixture, "lunora") } }, worker);
}
