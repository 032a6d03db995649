// The tarball flow: npm/pack.sh -> lunora init --packages -> pnpm install ->
// pnpm lunora codegen / migrate generate / typecheck, in a fresh temp app.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import assert from "node:assert/strict";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "lunora-pack-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const outdir = join(scratch, "packs");
const app = join(scratch, "app");

function run(cmd, args, cwd) {
  const { LUNORA_BINARY: _, ...env } = process.env;
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}
const show = (r) => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const tarFile = (tgz, path) => run("tar", ["-xzOf", tgz, `package/${path}`], scratch);

const cargoVersion = run(process.execPath, [join(repo, "npm/version.mjs")], repo).stdout.trim();
/** A step whose command is not built yet says so; anything else must succeed. */
const pending = (r) => /is not implemented yet/.test(r.stderr);

test("the tarball flow", async (t) => {
  await t.test("npm/pack.sh packs every package with one version", () => {
    const r = run("bash", [join(repo, "npm/pack.sh"), outdir], repo);
    assert.equal(r.status, 0, show(r));
    const tarballs = readdirSync(outdir).filter((f) => f.endsWith(".tgz"));
    const packages = readdirSync(join(repo, "npm")).filter((d) => existsSync(join(repo, "npm", d, "package.json")));
    assert.equal(tarballs.length, packages.length, tarballs.join(", "));
    for (const tgz of tarballs) {
      const manifest = JSON.parse(tarFile(join(outdir, tgz), "package.json").stdout);
      assert.equal(manifest.version, cargoVersion, tgz);
      const deps = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
      for (const [name, spec] of Object.entries(deps)) {
        assert.ok(!String(spec).startsWith("workspace:"), `${tgz}: ${name}@${spec} was not rewritten`);
      }
    }
    const lunorash = JSON.parse(tarFile(join(outdir, `lunorash-${cargoVersion}.tgz`), "package.json").stdout);
    assert.equal(lunorash.optionalDependencies["@lunora/cli-linux-x64-gnu"], cargoVersion);
    assert.equal(lunorash.bin.lunora, "bin/lunora.cjs");
    assert.equal(lunorash.scripts?.postinstall, undefined, "no postinstall");
    const shim = tarFile(join(outdir, `lunorash-${cargoVersion}.tgz`), "bin/lunora.cjs");
    assert.equal(shim.status, 0, "the shim is in the lunorash tarball");
    const bin = tarFile(join(outdir, `lunora-cli-linux-x64-gnu-${cargoVersion}.tgz`), "bin/lunora");
    assert.equal(bin.status, 0, "the binary is in the platform tarball");
    assert.ok(bin.stdout.length > 100_000);
  });

  const need = ["lunora-runtime", "lunora-react"].filter((n) => !existsSync(join(outdir, `${n}-${cargoVersion}.tgz`)));
  if (need.length) {
    await t.test("init, install, codegen, typecheck", (s) =>
      s.skip(`PENDING: ${need.join(", ")} not on main yet (npm/runtime, npm/react)`),
    );
    return;
  }

  await t.test("lunora init --packages", () => {
    const r = run(join(repo, "npm/cli-linux-x64-gnu/bin/lunora"), ["init", app, "--packages", outdir], scratch);
    assert.equal(r.status, 0, show(r));
    const pkg = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
    assert.equal(pkg.dependencies.lunorash, `file:${join(outdir, `lunorash-${cargoVersion}.tgz`)}`);
  });

  await t.test("pnpm install", () => {
    const r = run("pnpm", ["install", "--reporter=append-only"], app);
    assert.equal(r.status, 0, show(r));
    const store = readdirSync(join(app, "node_modules/.pnpm"));
    assert.ok(store.some((d) => d.startsWith("@lunora+cli-linux-x64-gnu@")), "platform package installed");
  });

  await t.test("pnpm lunora --version agrees with npm", () => {
    const r = run("pnpm", ["--silent", "lunora", "--version"], app);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.trim(), `lunora ${cargoVersion}`);
    const installed = JSON.parse(readFileSync(join(app, "node_modules/lunorash/package.json"), "utf8"));
    assert.equal(installed.version, cargoVersion);
  });

  let codegenDone = false;
  await t.test("pnpm lunora codegen", (s) => {
    const r = run("pnpm", ["--silent", "lunora", "codegen"], app);
    if (pending(r)) return s.skip("PENDING: `lunora codegen` not on main yet");
    // The pipeline exists before the emitter does; an app with functions that yields no files is
    // the emitter missing, reported as pending rather than passed.
    if (r.status === 0 && /generated 0 files/.test(r.stdout + r.stderr) && !existsSync(join(app, "lunora/_generated"))) {
      return s.skip(`PENDING: lunora_emit not on main yet (codegen said: ${(r.stdout + r.stderr).trim()})`);
    }
    assert.equal(r.status, 0, show(r));
    for (const f of ["api.ts", "server.ts", "dataModel.ts", "wiring.ts"]) {
      assert.ok(existsSync(join(app, "lunora/_generated", f)), f);
    }
    codegenDone = true;
  });

  await t.test("pnpm lunora migrate generate init", (s) => {
    const r = run("pnpm", ["--silent", "lunora", "migrate", "generate", "init"], app);
    if (pending(r)) return s.skip("PENDING: `lunora migrate generate` not on main yet (migrations engineer)");
    assert.equal(r.status, 0, show(r));
    const files = readdirSync(join(app, "lunora/migrations"));
    assert.ok(files.some((f) => /^\d{14}_init\.sql$/.test(f)), files.join(", "));
    assert.ok(files.some((f) => /^\d{14}_init\.snapshot\.json$/.test(f)), files.join(", "));
    const sql = readFileSync(join(app, "lunora/migrations", files.find((f) => f.endsWith(".sql"))), "utf8");
    assert.match(sql, /CREATE TABLE "channels"/);
  });

  await t.test("pnpm exec tsc --noEmit and pnpm typecheck", (s) => {
    if (!codegenDone) return s.skip("PENDING: needs lunora/_generated from codegen");
    const tsc = run("pnpm", ["exec", "tsc", "--noEmit"], app);
    assert.equal(tsc.status, 0, show(tsc));
    const typecheck = run("pnpm", ["typecheck"], app);
    assert.equal(typecheck.status, 0, show(typecheck));
  });
});
