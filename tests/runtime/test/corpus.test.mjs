// The Convex-style corpus (issue 15): every `fixtures/valid/convex-*` app, found by listing the
// folder, goes through the real `lunora codegen` and `lunora migrate generate`, type-checks with
// its generated code under `tsc --strict`, and runs on workerd the calls its own `smoke.json`
// declares (at least one mutation, or an action running mutations, then a query whose result
// must show the write).
//
// smoke.json:
//   {
//     "auth": "guest",                         // optional: every call carries one guest's token
//     "run": [
//       { "mutation": "tasks:add", "args": { "text": "a" }, "as": "task" },
//       { "query": "tasks:get", "args": {}, "expect": [{ "_id": "$task", "text": "a" }] }
//     ]
//   }
// Each step is a `query`, `mutation` or `action` (a public function id) with `args`; `as` names
// its result, and a string "$name" anywhere in later `args` or `expect` stands for that result.
// `expect` matches the result: objects by the keys `expect` lists (other keys are ignored),
// arrays element by element with the same length, anything else exactly. `"error": "<code>"`
// instead of `expect` asserts the call fails with that error code.
//
// Build steps are shared: one `cargo build` of the CLI, one esbuild run for every Worker, one
// `tsc` program over every app (so the apps import `_generated/` relatively, as Convex apps do;
// the `@/` alias of an app's own tsconfig is not available here).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { repo } from "../scripts/build-app.mjs";
import { startApp } from "./helpers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = path.join(root, ".build/corpus");
const fixtures = path.join(repo, "fixtures/valid");
const apps = readdirSync(fixtures)
  .filter((name) => name.startsWith("convex-"))
  .sort();

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", ...options });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

/** The CLI binary of this repository's cargo build (built once, then run directly). */
function lunoraBinary() {
  const out = run("cargo", ["build", "--quiet", "--locked", "-p", "lunora_cli", "--message-format=json"], { cwd: repo });
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    const msg = JSON.parse(line);
    if (msg.reason === "compiler-artifact" && msg.target?.kind?.includes("bin") && msg.executable) {
      if (path.basename(msg.executable).startsWith("lunora")) return msg.executable;
    }
  }
  throw new Error("cargo build -p lunora_cli reported no lunora executable");
}

const workerSource = `import { createWorker } from "@lunora/runtime";
import { wiring } from "../lunora/_generated/wiring";
const lunora = createWorker(wiring, {
  testHooks: true,
  verifyToken: async (token) => (token.startsWith("ext:") ? { subject: token.slice(4), name: "Ext" } : null),
});
export default lunora.worker;
export const LunoraShard = lunora.Shard;
`;

const built = new Map(); // app → { ddl, scriptPath, smoke }
let tscErrors = ""; // the one tsc run's output

before(async () => {
  const started = Date.now();
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const lunora = lunoraBinary();
  for (const name of apps) {
    const dir = path.join(work, name);
    cpSync(path.join(fixtures, name), dir, { recursive: true });
    const smokeFile = path.join(dir, "smoke.json");
    const smoke = existsSync(smokeFile) ? JSON.parse(readFileSync(smokeFile, "utf8")) : null;
    mkdirSync(path.join(dir, "src"), { recursive: true });
    writeFileSync(path.join(dir, "src/worker.ts"), workerSource);
    run(lunora, ["codegen", "--root", dir]);
    run(lunora, ["migrate", "generate", "init", "--root", dir], {
      env: { ...process.env, LUNORA_MIGRATION_TIMESTAMP: "20260101000000" },
    });
    const ddl = readFileSync(path.join(dir, "lunora/migrations/20260101000000_init.sql"), "utf8");
    built.set(name, { ddl, scriptPath: path.join(dir, "worker.mjs"), smoke });
  }
  // One tsc program over every app's lunora/ (the app tsconfig of tests/typecheck, without `@/`).
  const tsconfig = JSON.parse(readFileSync(path.join(repo, "tests/typecheck/app/tsconfig.json"), "utf8"));
  delete tsconfig.compilerOptions.baseUrl;
  delete tsconfig.compilerOptions.paths;
  tsconfig.include = apps.map((name) => `${name}/lunora`);
  writeFileSync(path.join(work, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(work, "tsconfig.json"), "--pretty", "false"], {
    cwd: work,
    encoding: "utf8",
  });
  tscErrors = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 && !/error TS/.test(tscErrors)) throw new Error(`tsc failed to run:\n${tscErrors}`);
  // One esbuild run for every Worker.
  await build({
    entryPoints: Object.fromEntries(apps.map((name) => [`${name}/worker`, path.join(work, name, "src/worker.ts")])),
    outdir: work,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    alias: {
      "lunorash/server": path.join(repo, "npm/lunorash/src/server.ts"),
      "@lunora/runtime": path.join(repo, "npm/runtime/src/index.ts"),
    },
    logLevel: "warning",
  });
  console.log(`# corpus: ${apps.length} apps built (codegen, migrations, tsc, esbuild) in ${Date.now() - started} ms`);
});

test("the corpus holds the Convex-style apps of issue 15", () => {
  const invalid = readdirSync(path.join(repo, "fixtures/invalid")).filter((n) => n.startsWith("convex-"));
  assert.ok(apps.length + invalid.length >= 30, `${apps.length} valid + ${invalid.length} invalid convex-* fixtures`);
});

/** Replaces every "$name" string of `value` with the bound result. */
function bind(value, vars) {
  if (typeof value === "string" && /^\$[A-Za-z_]\w*$/.test(value)) {
    const name = value.slice(1);
    assert.ok(vars.has(name), `smoke.json: "${value}" is not the "as" of an earlier step`);
    return vars.get(name);
  }
  if (Array.isArray(value)) return value.map((v) => bind(v, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, vars)]));
  }
  return value;
}

/** Asserts that `actual` matches `expected` (objects: the listed keys; arrays: every element). */
function matches(actual, expected, where) {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length of ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => matches(actual[i], e, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    assert.ok(
      actual !== null && typeof actual === "object" && !Array.isArray(actual),
      `${where}: expected an object, got ${JSON.stringify(actual)}`,
    );
    for (const [k, e] of Object.entries(expected)) matches(actual[k], e, `${where}.${k}`);
  } else {
    assert.deepEqual(actual, expected, where);
  }
}

const KINDS = ["query", "mutation", "action"];

for (const name of apps) {
  test(`fixtures/valid/${name}: tsc --strict, then its smoke.json on workerd`, async () => {
    const { ddl, scriptPath, smoke } = built.get(name);
    const own = tscErrors
      .split("\n")
      .filter((line) => line.startsWith(`${name}/`))
      .join("\n");
    assert.equal(own, "", `tsc --strict errors in ${name}`);
    assert.ok(smoke, `fixtures/valid/${name}/smoke.json is missing (every convex-* app declares its smoke run)`);
    const steps = smoke.run ?? [];
    const kinds = steps.map((s) => KINDS.find((k) => k in s));
    // A write: a mutation, or an action (whose writes are internal mutations it runs).
    const firstWrite = kinds.findIndex((k) => k === "mutation" || k === "action");
    assert.ok(firstWrite >= 0, `${name}/smoke.json runs no mutation`);
    assert.ok(
      steps.some((s, i) => kinds[i] === "query" && i > firstWrite && "expect" in s),
      `${name}/smoke.json checks no query result after a mutation`,
    );
    const app = await startApp({ scriptPath, ddl });
    try {
      const token = smoke.auth === "guest" ? (await app.guest()).token : smoke.auth;
      const vars = new Map();
      for (const [i, step] of steps.entries()) {
        const kind = kinds[i];
        assert.ok(kind, `${name}/smoke.json step ${i}: no query, mutation or action`);
        const where = `${name} step ${i} (${kind} ${step[kind]})`;
        const res = await app.call(step[kind], bind(step.args ?? {}, vars), "auth" in step ? step.auth : token);
        if ("error" in step) {
          assert.equal(res.body.ok, false, `${where}: expected error ${step.error}, got ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, step.error, `${where}: ${JSON.stringify(res.body)}`);
          continue;
        }
        assert.equal(res.status, 200, `${where}: ${JSON.stringify(res.body)}`);
        if ("expect" in step) matches(res.body.value, bind(step.expect, vars), where);
        if (step.as) vars.set(step.as, res.body.value);
      }
    } finally {
      await app.dispose();
    }
  });
}
