// `lunora migrate apply --local` / `status` against real local D1 (wrangler
// 4.86.0): apply twice (the second applies nothing), a failing migration
// leaves D1 unchanged, an edited applied migration stops the run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, symlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const repo = resolve(pkg, "../..");
const wrangler = join(pkg, "node_modules", ".bin", "wrangler");

// Quiet, offline wrangler that writes nothing into $HOME (as scripts/env.sh).
const scratch = join(repo, ".scratch");
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  XDG_CONFIG_HOME: join(scratch, "xdg-config"),
  XDG_CACHE_HOME: join(scratch, "xdg-cache"),
  WRANGLER_LOG_PATH: join(scratch, "wrangler-logs"),
  NO_COLOR: "1",
  LUNORA_MIGRATION_TIMESTAMP: undefined,
};
delete env.LUNORA_MIGRATION_TIMESTAMP;

function lunoraBin() {
  execFileSync("cargo", ["build", "--quiet", "-p", "lunora_cli"], { cwd: repo, stdio: "inherit" });
  const target = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
  return join(target, "debug", "lunora");
}

function run(bin, args, cwd, extraEnv = {}) {
  const r = spawnSync(bin, args, { cwd, env: { ...env, ...extraEnv }, encoding: "utf8" });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sql(app, command) {
  const out = execFileSync(wrangler, ["d1", "execute", "DB", "--local", "--json", "--command", command], {
    cwd: app,
    env,
    encoding: "utf8",
  });
  return JSON.parse(out).map((set) => set.results);
}

const SCHEMA = `import { defineSchema, defineTable, v } from "lunorash/server";

export const schema = defineSchema({
    channels: defineTable({
        name: v.string(),
        topic: v.optional(v.string()),
    })
        .global()
        .index("by_name", ["name"], { unique: true }),
});
`;

test("migrate apply/status on local D1", { timeout: 300_000 }, () => {
  const lunora = lunoraBin();
  mkdirSync(scratch, { recursive: true });
  const app = mkdtempSync(join(tmpdir(), "lunora-migrate-d1-"));
  try {
    mkdirSync(join(app, "lunora"));
    writeFileSync(join(app, "lunora", "schema.ts"), SCHEMA);
    writeFileSync(
      join(app, "wrangler.jsonc"),
      `{
  // the D1 database of the global tables
  "name": "migrate-d1-test",
  "compatibility_date": "2026-05-01",
  "d1_databases": [
    { "binding": "DB", "database_name": "app", "database_id": "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "migrations_dir": "lunora/migrations" },
  ],
}
`,
    );
    // The app's own wrangler: node_modules/.bin/wrangler, as in a real app.
    symlinkSync(join(pkg, "node_modules"), join(app, "node_modules"), "dir");

    // A missing D1 binding is a diagnostic pointing into wrangler.jsonc.
    const good = readFileSync(join(app, "wrangler.jsonc"), "utf8");
    writeFileSync(join(app, "wrangler.jsonc"), `{ "name": "x" }\n`);
    let r = run(lunora, ["migrate", "apply", "--local"], app);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /config\/d1-binding/);
    assert.match(r.stderr, /wrangler\.jsonc:1:1/);
    writeFileSync(join(app, "wrangler.jsonc"), good);

    r = run(lunora, ["migrate", "generate", "init"], app, { LUNORA_MIGRATION_TIMESTAMP: "20260501000000" });
    assert.equal(r.code, 0, r.stderr);
    const init = "20260501000000_init";

    // First apply: one migration.
    r = run(lunora, ["migrate", "apply", "--local"], app);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied 1 migration\(s\) to D1 `DB` \(--local\)/);

    // Second apply: nothing.
    r = run(lunora, ["migrate", "apply"], app);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to apply/);

    const [objects, inserted, tracked] = sql(
      app,
      "SELECT name FROM sqlite_master WHERE type IN ('table','index') AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name; " +
        "INSERT INTO channels VALUES ('c1', 1, 'general', NULL); " +
        "SELECT name, checksum, applied_at FROM _lunora_migrations",
    );
    assert.deepEqual(
      objects.map((row) => row.name),
      ["_lunora_migrations", "channels", "channels__by_name", "users", "users__by_subject"],
    );
    assert.deepEqual(inserted, []);
    assert.equal(tracked.length, 1);
    assert.equal(tracked[0].name, init);
    assert.match(tracked[0].checksum, /^[0-9a-f]{64}$/);
    assert.match(tracked[0].applied_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // A migration whose last statement fails: D1 keeps nothing of it.
    const bad = "20260502000000_bad";
    writeFileSync(
      join(app, "lunora", "migrations", `${bad}.sql`),
      `CREATE TABLE "extra" ("x" TEXT);\nINSERT INTO "channels" VALUES ('c2', 2, 'random', NULL);\nINSERT INTO "nosuch" VALUES (1);\n`,
    );
    r = run(lunora, ["migrate", "apply", "--local"], app);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`migration \`${bad}\` failed`));
    assert.match(r.stderr, /nosuch/);
    const [after] = sql(
      app,
      "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'extra') AS extra, (SELECT group_concat(_id) FROM channels) AS ids, (SELECT group_concat(name) FROM _lunora_migrations) AS applied",
    );
    assert.deepEqual(after, [{ extra: 0, ids: "c1", applied: init }]);

    // status: applied + pending; then the applied one is edited.
    rmSync(join(app, "lunora", "migrations", `${bad}.sql`));
    const initSql = join(app, "lunora", "migrations", `${init}.sql`);
    writeFileSync(initSql, readFileSync(initSql, "utf8") + "\n-- edited\n");
    writeFileSync(join(app, "lunora", "migrations", `${bad}.sql`), `CREATE TABLE "extra" ("x" TEXT);\n`);
    r = run(lunora, ["migrate", "status", "--local"], app);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${init}  CHANGED since it was applied`));
    assert.match(r.stdout, new RegExp(`${bad}  pending`));
    r = run(lunora, ["migrate", "apply", "--local"], app);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /migrate\/applied-changed/);
    const [still] = sql(app, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'extra'");
    assert.deepEqual(still, [{ n: 0 }], "the pending migration did not run");
    assert.deepEqual(readdirSync(join(app, "lunora", "migrations")).filter((f) => f.endsWith(".sql")).length, 2);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
