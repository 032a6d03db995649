// The `lunora` shim (npm/lunorash/bin/lunora.cjs): binary resolution, the
// message when no binary fits, LUNORA_BINARY, exit codes and signals.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import assert from "node:assert/strict";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shimSource = join(repo, "npm/lunorash/bin/lunora.cjs");
const scratch = mkdtempSync(join(tmpdir(), "lunora-shim-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A copy of the shim in a folder without node_modules: no platform package resolves.
const lonely = join(scratch, "lonely/bin/lunora.cjs");
mkdirSync(dirname(lonely), { recursive: true });
copyFileSync(shimSource, lonely);

/** A fake binary: a Node script the shim runs in place of lunora. */
function fakeBinary(name, body) {
  const file = join(scratch, name);
  writeFileSync(file, `#!/usr/bin/env node\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function runShim(shim, args, env = {}) {
  const { LUNORA_BINARY: _, ...base } = process.env;
  return spawnSync(process.execPath, [shim, ...args], { env: { ...base, ...env }, encoding: "utf8" });
}

test("a missing platform package names the platform and the fixes", () => {
  const r = runShim(lonely, ["--version"]);
  assert.equal(r.status, 2, r.stderr);
  const key = `${process.platform}-${process.arch}`;
  assert.match(r.stderr, new RegExp(`lunora: the package @lunora/cli-${key}-?\\w* that holds the binary for this platform \\(${key}`));
  assert.match(r.stderr, /--omit=optional/);
  assert.match(r.stderr, /LUNORA_BINARY/);
  assert.equal(r.stdout, "");
});

test("an installed platform package without its binary is reported", () => {
  const app = join(scratch, "nobinary");
  const key = `${process.platform}-${process.arch}${process.platform === "linux" ? "-gnu" : ""}`;
  const pkg = join(app, "node_modules/@lunora", `cli-${key}`);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: `@lunora/cli-${key}`, version: "0.0.0" }));
  const shim = join(app, "node_modules/lunorash/bin/lunora.cjs");
  mkdirSync(dirname(shim), { recursive: true });
  copyFileSync(shimSource, shim);
  const r = runShim(shim, []);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`@lunora/cli-${key} is installed but has no binary`));
});

test("a platform binary packed without its executable bit still runs", () => {
  const app = join(scratch, "nomode");
  const key = `${process.platform}-${process.arch}${process.platform === "linux" ? "-gnu" : ""}`;
  const pkg = join(app, "node_modules/@lunora", `cli-${key}`);
  mkdirSync(join(pkg, "bin"), { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: `@lunora/cli-${key}`, version: "0.0.0" }));
  writeFileSync(join(pkg, "bin/lunora"), "#!/bin/sh\necho \"ran $*\"\nexit 1\n", { mode: 0o644 });
  const shim = join(app, "node_modules/lunorash/bin/lunora.cjs");
  mkdirSync(dirname(shim), { recursive: true });
  copyFileSync(shimSource, shim);
  const r = runShim(shim, ["x"]);
  assert.equal(r.stdout, "ran x\n", r.stderr);
  assert.equal(r.status, 1);
});

test("LUNORA_BINARY overrides resolution and arguments pass through", () => {
  const echo = fakeBinary("echo.mjs", "console.log(JSON.stringify(process.argv.slice(2)));");
  const r = runShim(lonely, ["codegen", "--check", "a b"], { LUNORA_BINARY: echo });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ["codegen", "--check", "a b"]);
});

test("LUNORA_BINARY pointing nowhere is a clear error", () => {
  const r = runShim(lonely, [], { LUNORA_BINARY: join(scratch, "missing") });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /LUNORA_BINARY is set to `.*missing`, but no file exists there/);
});

test("exit codes pass through unchanged", () => {
  for (const code of [0, 1, 2, 3, 42]) {
    const bin = fakeBinary(`exit${code}.mjs`, `process.exit(${code});`);
    assert.equal(runShim(lonely, [], { LUNORA_BINARY: bin }).status, code);
  }
});

test("a child killed by a signal kills the shim with the same signal", () => {
  const bin = fakeBinary("selfkill.mjs", "process.kill(process.pid, 'SIGTERM');");
  const r = runShim(lonely, [], { LUNORA_BINARY: bin });
  assert.equal(r.status, null);
  assert.equal(r.signal, "SIGTERM");
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  test(`${signal} sent to the shim reaches the binary`, async () => {
    const marker = join(scratch, `got-${signal}`);
    const bin = fakeBinary(
      `trap-${signal}.mjs`,
      `import { writeFileSync } from "node:fs";
process.on(${JSON.stringify(signal)}, () => { writeFileSync(${JSON.stringify(marker)}, "yes"); process.exit(130); });
console.log("ready");
setInterval(() => {}, 1000);`,
    );
    const { LUNORA_BINARY: _, ...base } = process.env;
    const child = spawn(process.execPath, [lonely], { env: { ...base, LUNORA_BINARY: bin }, stdio: ["ignore", "pipe", "pipe"] });
    await new Promise((resolve, reject) => {
      child.stdout.on("data", (d) => String(d).includes("ready") && resolve());
      child.on("exit", () => reject(new Error("exited before ready")));
    });
    child.kill(signal); // the shim alone, as a process manager would
    const [code, sig] = await new Promise((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    assert.equal(readFileSync(marker, "utf8"), "yes");
    assert.equal(code, 130);
    assert.equal(sig, null);
  });
}

test("the shim is plain CommonJS with no dependencies", () => {
  const text = readFileSync(shimSource, "utf8");
  const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.ok(required.every((r) => r.startsWith("node:")), required.join(", "));
  assert.ok(existsSync(shimSource));
});
