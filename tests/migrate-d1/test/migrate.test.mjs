// `lunora migrate apply --local` / `status` against REAL local D1 (wrangler
// 4.86.0, offline): what wrangler does with a `--file`, the tutorial's first
// migration applied (twice), a migration failing midway, an edited applied
// migration, and two concurrent runs.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, symlinkSync, rmSync, copyFileSync, chmodSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const repo = resolve(pkg, "../..");
const wrangler = join(pkg, "node_modules", ".bin", "wrangler");
const tutorialSchema = join(repo, "fixtures", "valid", "chat", "lunora", "schema.ts");

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
};
delete env.LUNORA_MIGRATION_TIMESTAMP;

let lunora;
const apps = [];

before(() => {
  execFileSync("cargo", ["build", "--quiet", "-p", "lunora_cli"], { cwd: repo, stdio: "inherit" });
  const target = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
  lunora = join(target, "debug", "lunora");
  mkdirSync(scratch, { recursive: true });
});

process.on("exit", () => {
  for (const app of apps) rmSync(app, { recursive: true, force: true });
});

const WRANGLER_JSONC = `{
  // the D1 database of the global tables
  "name": "migrate-d1-test",
  "compatibility_date": "2026-05-01",
  "d1_databases": [
    { "binding": "DB", "database_name": "app", "database_id": "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "migrations_dir": "lunora/migrations" },
  ],
}
`;

/** A fresh app (own local D1 under .wrangler/) with the tutorial's schema. */
function makeApp() {
  const app = mkdtempSync(join(tmpdir(), "lunora-migrate-d1-"));
  apps.push(app);
  mkdirSync(join(app, "lunora", "migrations"), { recursive: true });
  copyFileSync(tutorialSchema, join(app, "lunora", "schema.ts"));
  writeFileSync(join(app, "wrangler.jsonc"), WRANGLER_JSONC);
  // The app's own wrangler (node_modules/.bin/wrangler), as in a real app.
  symlinkSync(join(pkg, "node_modules"), join(app, "node_modules"), "dir");
  return app;
}

function run(app, args, extraEnv = {}) {
  const started = performance.now();
  const r = spawnSync(lunora, args, { cwd: app, env: { ...env, ...extraEnv }, encoding: "utf8" });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - started) / 1000 };
}

function runAsync(app, args, extraEnv = {}) {
  return new Promise((done, fail) => {
    const child = spawn(lunora, args, { cwd: app, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Raw `wrangler d1 execute DB --local --json`: the result sets, or the error text. */
function d1(app, args) {
  const r = spawnSync(wrangler, ["d1", "execute", "DB", "--local", "--json", ...args], { cwd: app, env, encoding: "utf8" });
  if (r.error) throw r.error;
  const out = JSON.parse(r.stdout);
  if (r.status === 0) return { sets: out.map((set) => set.results) };
  return { error: out.error?.text ?? JSON.stringify(out), code: r.status };
}

function sql(app, command) {
  const r = d1(app, ["--command", command]);
  assert.equal(r.error, undefined, r.error);
  return r.sets;
}

function sqlFile(app, text) {
  const file = join(app, `probe-${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, text);
  return d1(app, ["--file", file]);
}

/** User objects of the database (tables and indexes), sorted. */
function objects(app) {
  const [rows] = sql(
    app,
    "SELECT name FROM sqlite_master WHERE type IN ('table','index') AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
  );
  return rows.map((row) => row.name);
}

/** Every user object's SQL and every row of every table, in one read. */
function dump(app) {
  const [tables] = sql(app, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name");
  const selects = tables.map((t) => `SELECT * FROM "${t.name}" ORDER BY rowid`);
  const sets = sql(app, ["SELECT type, name, sql FROM sqlite_master ORDER BY name", ...selects].join("; "));
  return { schema: sets[0], rows: Object.fromEntries(tables.map((t, i) => [t.name, sets[i + 1]])) };
}

function tracked(app) {
  const [rows] = sql(app, "SELECT name, checksum, applied_at FROM _lunora_migrations ORDER BY name");
  return rows;
}

function generateInit(app) {
  const r = run(app, ["migrate", "generate", "init"], { LUNORA_MIGRATION_TIMESTAMP: "20260501000000" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote lunora\/migrations\/20260501000000_init\.sql/);
  return "20260501000000_init";
}

function addMigration(app, name, text) {
  writeFileSync(join(app, "lunora", "migrations", `${name}.sql`), text);
}

const TUTORIAL_OBJECTS = ["_lunora_migrations", "channels", "channels__by_name", "users", "users__by_subject"];

test("wrangler local D1 runs a --file as one transaction (what the runner relies on)", () => {
  const app = makeApp();
  sql(app, 'CREATE TABLE "t" ("x" INTEGER PRIMARY KEY)');

  // A statement failing midway: the ones before it are rolled back too.
  let r = sqlFile(app, 'INSERT INTO "t" VALUES (1);\nCREATE TABLE "u" ("y");\nINSERT INTO "nosuch" VALUES (1);\nINSERT INTO "t" VALUES (2);\n');
  assert.match(r.error, /no such table: nosuch/);
  assert.equal(r.code, 1, "wrangler exits 1");
  assert.deepEqual(sql(app, "SELECT (SELECT count(*) FROM t) AS t, (SELECT count(*) FROM sqlite_master WHERE name = 'u') AS u"), [[{ t: 0, u: 0 }]]);

  // `BEGIN TRANSACTION;` / `COMMIT;` are stripped by wrangler: still one unit.
  r = sqlFile(app, 'INSERT INTO "t" VALUES (10);\nBEGIN TRANSACTION;\nINSERT INTO "t" VALUES (11);\nCOMMIT;\nINSERT INTO "nosuch" VALUES (1);\n');
  assert.match(r.error, /nosuch/);
  // SAVEPOINT is refused by D1.
  r = sqlFile(app, 'INSERT INTO "t" VALUES (20);\nSAVEPOINT a;\nRELEASE a;\n');
  assert.match(r.error, /BEGIN TRANSACTION or SAVEPOINT/);
  // So is a bare `BEGIN;` (wrangler strips only `BEGIN TRANSACTION;`).
  r = sqlFile(app, 'INSERT INTO "t" VALUES (40);\nBEGIN;\nINSERT INTO "t" VALUES (41);\nCOMMIT;\n');
  assert.match(r.error, /BEGIN TRANSACTION or SAVEPOINT/);
  assert.deepEqual(sql(app, "SELECT count(*) AS n FROM t"), [[{ n: 0 }]]);

  // The runner's unit: tracking row first, then the migration. A second
  // application of the same name fails on the PRIMARY KEY as a whole.
  sql(app, 'CREATE TABLE "_lunora_migrations" ("name" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)');
  const unit = `INSERT INTO "_lunora_migrations" VALUES ('m1', 'sum', 'now');\nINSERT INTO "t" VALUES (30);\n`;
  assert.equal(sqlFile(app, unit).error, undefined);
  r = sqlFile(app, unit.replace("(30)", "(31)"));
  assert.match(r.error, /UNIQUE constraint failed: _lunora_migrations\.name/);
  assert.deepEqual(sql(app, "SELECT group_concat(x) AS xs FROM t"), [[{ xs: "30" }]]);
});

test("tutorial step 3, then apply --local twice, status (human and JSON)", () => {
  const app = makeApp();
  const init = generateInit(app);

  let r = run(app, ["migrate", "status", "--local"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${init}  pending`));
  assert.match(r.stdout, /0 applied, 1 pending, 0 need attention/);

  const first = run(app, ["migrate", "apply", "--local"]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /applied 1 migration\(s\) to D1 `DB` \(--local\)/);
  assert.match(first.stderr, new RegExp(`applied ${init}`));
  assert.deepEqual(objects(app), TUTORIAL_OBJECTS);
  const rows = tracked(app);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].name, init);
  const fileSql = readFileSync(join(app, "lunora", "migrations", `${init}.sql`));
  assert.equal(rows[0].checksum, createHash("sha256").update(fileSql).digest("hex"));
  assert.match(rows[0].applied_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  // The tables work: the unique index holds.
  sql(app, "INSERT INTO channels (_id, _creationTime, name) VALUES ('c1', 1, 'general')");
  assert.match(d1(app, ["--command", "INSERT INTO channels (_id, _creationTime, name) VALUES ('c2', 2, 'general')"]).error, /UNIQUE/);

  // Twice: nothing applied, nothing changed (the default target is --local).
  const second = run(app, ["migrate", "apply"]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /nothing to apply: D1 `DB` \(--local\) has all 1 migration\(s\)/);
  assert.deepEqual(tracked(app), rows);
  assert.deepEqual(sql(app, "SELECT _id FROM channels"), [[{ _id: "c1" }]]);

  r = run(app, ["migrate", "status"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${init}  applied ${rows[0].applied_at}`));
  assert.match(r.stdout, /1 applied, 0 pending, 0 need attention/);

  r = run(app, ["migrate", "status", "--local", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    database: { binding: "DB", target: "local" },
    diagnostics: [],
    migrations: [{ applied_at: rows[0].applied_at, name: init, state: "applied" }],
    summary: { errors: 0, warnings: 0 },
    version: 1,
  });
  r = run(app, ["migrate", "apply", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).applied, []);
  assert.deepEqual(JSON.parse(r.stdout).applied_elsewhere, []);

  console.log(
    `TIMING migrate apply --local: first (1 migration) ${first.seconds.toFixed(2)} s, second (nothing to apply) ${second.seconds.toFixed(2)} s`,
  );
});

test("a migration failing midway leaves D1 exactly as it was; earlier ones stay applied", () => {
  const app = makeApp();
  const init = generateInit(app);
  assert.equal(run(app, ["migrate", "apply", "--local"]).code, 0);
  sql(app, "INSERT INTO channels (_id, _creationTime, name) VALUES ('c1', 1, 'general')");
  const before = objects(app);

  const good = "20260502000000_good";
  const bad = "20260503000000_bad";
  const later = "20260504000000_later";
  addMigration(app, good, 'CREATE TABLE "audit" ("_id" TEXT PRIMARY KEY NOT NULL);\nINSERT INTO "audit" VALUES (\'a1\');\n');
  addMigration(
    app,
    bad,
    'CREATE TABLE "extra" ("x" TEXT);\nINSERT INTO "channels" (_id, _creationTime, name) VALUES (\'c2\', 2, \'random\');\nUPDATE "channels" SET "topic" = \'changed\';\nINSERT INTO "nosuch" VALUES (1);\nCREATE TABLE "after_failure" ("y" TEXT);\n',
  );
  addMigration(app, later, 'CREATE TABLE "later" ("z" TEXT);\n');

  let r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /migrate\/apply-failed/);
  assert.match(r.stderr, new RegExp(`× lunora/migrations/${bad}\\.sql: migration \`${bad}\` failed`));
  assert.match(r.stderr, /help: nothing of it was applied/);
  assert.match(r.stderr, /1 migration\(s\) applied to D1 `DB` \(--local\) before it stopped/);
  // Again, as JSON: `good` is applied now, `bad` fails the same way, and the
  // whole database (schema and every row) is byte-for-byte what it was.
  const dumpBefore = dump(app);
  r = run(app, ["migrate", "apply", "--local", "--format", "json"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(dump(app), dumpBefore);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.applied, []);
  assert.equal(doc.diagnostics.length, 1);
  assert.equal(doc.diagnostics[0].code, "migrate/apply-failed");
  assert.equal(doc.diagnostics[0].file, `lunora/migrations/${bad}.sql`);
  assert.equal(doc.diagnostics[0].message, `migration \`${bad}\` failed on D1 \`DB\` (--local): no such table: nosuch: SQLITE_ERROR`);
  assert.match(doc.diagnostics[0].help, /the migrations before it stay applied \(0 by this run\)/);

  // `good` applied; nothing of `bad` (no table, no row, no update), `later` not run.
  assert.deepEqual(objects(app), [...before, "audit"].sort());
  assert.deepEqual(sql(app, "SELECT _id, topic FROM channels ORDER BY _id"), [[{ _id: "c1", topic: null }]]);
  assert.deepEqual(tracked(app).map((row) => row.name), [init, good]);

  r = run(app, ["migrate", "status", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).migrations.map((m) => [m.name, m.state]),
    [[init, "applied"], [good, "applied"], [bad, "pending"], [later, "pending"]],
  );

  // Fixed: the run resumes with `bad`, then `later`.
  addMigration(app, bad, 'CREATE TABLE "extra" ("x" TEXT);\n');
  r = run(app, ["migrate", "apply", "--local", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).applied, [bad, later]);
  assert.deepEqual(tracked(app).map((row) => row.name), [init, good, bad, later]);
});

test("an edited applied migration stops the run with a diagnostic; nothing applied", () => {
  const app = makeApp();
  const init = generateInit(app);
  assert.equal(run(app, ["migrate", "apply", "--local"]).code, 0);
  const next = "20260502000000_next";
  addMigration(app, next, 'CREATE TABLE "next" ("x" TEXT);\n');
  const initSql = join(app, "lunora", "migrations", `${init}.sql`);
  writeFileSync(initSql, readFileSync(initSql, "utf8") + "\n-- edited\n");

  let r = run(app, ["migrate", "status", "--local"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`${init}  CHANGED since it was applied`));
  assert.match(r.stdout, new RegExp(`${next}  pending`));

  r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error\[migrate\/applied-changed\]|migrate\/applied-changed/);
  assert.match(r.stderr, new RegExp(`lunora/migrations/${init}\\.sql`));
  assert.match(r.stderr, /help: restore the file from version control/);

  r = run(app, ["migrate", "apply", "--local", "--format", "json"]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.applied, []);
  assert.deepEqual(
    doc.diagnostics.map((d) => [d.code, d.file, d.severity]),
    [["migrate/applied-changed", `lunora/migrations/${init}.sql`, "error"]],
  );
  assert.deepEqual(doc.summary, { errors: 1, warnings: 0 });

  assert.ok(!objects(app).includes("next"), "the pending migration did not run");
  assert.deepEqual(tracked(app).map((row) => row.name), [init]);
});

for (const [how, extraArgs] of [
  ["the lock file", []],
  ["the tracking row's PRIMARY KEY alone (lock disabled)", ["--no-lock"]],
]) {
  test(`two concurrent \`migrate apply --local\` runs apply each migration exactly once: ${how}`, async () => {
    await concurrentRuns(extraArgs, how);
  });
}

async function concurrentRuns(extraArgs, how) {
  const app = makeApp();
  const init = generateInit(app);
  // Not idempotent on their own: applied twice they would log twice or fail.
  const names = [init];
  for (let i = 1; i <= 3; i++) {
    const name = `2026050${i + 1}000000_step${i}`;
    names.push(name);
    addMigration(
      app,
      name,
      `${i === 1 ? 'CREATE TABLE "log" ("step" INTEGER NOT NULL);\n' : ""}INSERT INTO "log" VALUES (${i});\n`,
    );
  }
  const started = performance.now();
  const [a, b] = await Promise.all([
    runAsync(app, ["migrate", "apply", "--local", "--format", "json", ...extraArgs]),
    runAsync(app, ["migrate", "apply", "--local", "--format", "json", ...extraArgs]),
  ]);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const docA = JSON.parse(a.stdout);
  const docB = JSON.parse(b.stdout);
  const appliedA = docA.applied;
  const appliedB = docB.applied;
  // Each migration applied by exactly one of the runs; one that a run saw
  // pending but lost to the other (PRIMARY KEY) is reported as applied elsewhere.
  assert.deepEqual([...appliedA, ...appliedB].sort(), names, `a: ${appliedA}, b: ${appliedB}`);
  for (const name of docA.applied_elsewhere) assert.ok(appliedB.includes(name), name);
  for (const name of docB.applied_elsewhere) assert.ok(appliedA.includes(name), name);
  const collisions = docA.applied_elsewhere.length + docB.applied_elsewhere.length;
  if (!extraArgs.includes("--no-lock")) assert.equal(collisions, 0, "the lock serializes the runs");
  assert.deepEqual(tracked(app).map((row) => row.name), names);
  assert.deepEqual(sql(app, "SELECT step FROM log ORDER BY rowid"), [[{ step: 1 }, { step: 2 }, { step: 3 }]]);
  console.log(
    `TIMING two concurrent migrate apply --local runs (${how}), 4 migrations in all: ${seconds.toFixed(2)} s; applied by a: ${appliedA.length}, by b: ${appliedB.length}, lost to the other run (PRIMARY KEY): ${collisions}`,
  );
}

/** The workerd binary wrangler's miniflare runs (what `MINIFLARE_WORKERD_PATH` overrides). */
function realWorkerd() {
  const fromWrangler = createRequire(realpathSync(join(pkg, "node_modules", "wrangler", "package.json")));
  return createRequire(fromWrangler.resolve("miniflare"))("workerd").default;
}

test("a local D1 runtime that fails to start is retried: the migration is applied once", () => {
  const app = makeApp();
  const init = generateInit(app);
  // A workerd that crashes on its 2nd and 3rd starts (the first two attempts
  // of the migration's unit; the 1st start is the tracking-table read), as
  // workerd did under heavy load: miniflare reports "The Workers runtime
  // failed to start" before wrangler sends any statement.
  const counter = join(app, "workerd-starts");
  const wrapper = join(app, "flaky-workerd");
  writeFileSync(
    wrapper,
    `#!/bin/sh
n=$(($(cat "${counter}" 2>/dev/null || echo 0) + 1))
echo "$n" > "${counter}"
case "$n" in 2|3) cat > /dev/null; echo "simulated workerd crash" >&2; exit 1 ;; esac
exec "${realWorkerd()}" "$@"
`,
  );
  chmodSync(wrapper, 0o755);
  const r = run(app, ["migrate", "apply", "--local", "--format", "json"], { MINIFLARE_WORKERD_PATH: wrapper });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).applied, [init]);
  assert.equal(readFileSync(counter, "utf8").trim(), "4", "read, two failed starts, the unit");
  assert.deepEqual(objects(app), TUTORIAL_OBJECTS);
  assert.deepEqual(tracked(app).map((row) => row.name), [init]);
});

test("no D1 binding in wrangler.jsonc: a diagnostic pointing into the file", () => {
  const app = makeApp();
  writeFileSync(join(app, "wrangler.jsonc"), `{ "name": "x" }\n`);
  let r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /config\/d1-binding/);
  assert.match(r.stderr, /wrangler\.jsonc:1:1/);
  r = run(app, ["migrate", "status", "--format", "json"]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(
    doc.diagnostics.map((d) => [d.code, d.file, d.start.line, d.start.column]),
    [["config/d1-binding", "wrangler.jsonc", 1, 1]],
  );
  assert.deepEqual(readdirSync(app).includes(".wrangler"), false, "no database was touched");
});

// A search index (SQLite FTS5 with triggers: `CREATE TRIGGER ... BEGIN ...; END`) added by a
// migration to a D1 table that has rows, applied through wrangler's `--file`: the rows are found,
// and the triggers keep the index in sync with later writes.
test("a migration adding a search index applies through wrangler --file and indexes existing rows", () => {
  const app = makeApp();
  generateInit(app);
  let r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 0, r.stderr);
  sql(app, "INSERT INTO channels (_id, _creationTime, name) VALUES ('channels:a', 1, 'general chat')");
  const schema = readFileSync(tutorialSchema, "utf8").replace(
    '.index("by_name", ["name"], { unique: true })',
    '.index("by_name", ["name"], { unique: true })\n        .searchIndex("search_name", { searchField: "name" })',
  );
  assert.notEqual(schema, readFileSync(tutorialSchema, "utf8"), "the tutorial schema has the by_name index");
  writeFileSync(join(app, "lunora", "schema.ts"), schema);
  r = run(app, ["migrate", "generate", "search"], { LUNORA_MIGRATION_TIMESTAMP: "20260502000000" });
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(join(app, "lunora", "migrations", "20260502000000_search.sql"), "utf8");
  assert.match(text, /CREATE TRIGGER/);
  r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  const found = (term) =>
    sql(app, `SELECT c."_id" AS id FROM "channels__search_name" s JOIN channels c ON c.rowid = s.rowid WHERE "channels__search_name" MATCH '${term}' ORDER BY id`)[0].map((row) => row.id);
  assert.deepEqual(found("general"), ["channels:a"]);
  sql(app, "INSERT INTO channels (_id, _creationTime, name) VALUES ('channels:b', 2, 'random general')");
  assert.deepEqual(found("general"), ["channels:a", "channels:b"]);
  sql(app, "UPDATE channels SET name = 'off topic' WHERE _id = 'channels:a'");
  assert.deepEqual(found("general"), ["channels:b"]);
  assert.deepEqual(found("topic"), ["channels:a"]);
});

test("a string field made nullable re-encodes its rows as JSON through wrangler --file", () => {
  const app = makeApp();
  generateInit(app);
  let r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 0, r.stderr);
  sql(app, `INSERT INTO channels (_id, _creationTime, name, topic) VALUES ('channels:a', 1, 'a', 'general "chat"'), ('channels:b', 2, 'b', ''), ('channels:c', 3, 'c', NULL)`);
  // `topic: v.optional(v.string())` → `v.optional(v.union(v.string(), v.null()))`: still TEXT, now tagged JSON.
  const schema = readFileSync(tutorialSchema, "utf8").replace("topic: v.optional(v.string()),", "topic: v.optional(v.union(v.string(), v.null())),");
  assert.notEqual(schema, readFileSync(tutorialSchema, "utf8"), "the tutorial schema has `topic: v.optional(v.string()),`");
  writeFileSync(join(app, "lunora", "schema.ts"), schema);
  r = run(app, ["migrate", "generate", "nullable_topic"], { LUNORA_MIGRATION_TIMESTAMP: "20260502000000" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(`${r.stdout}${r.stderr}`, /re-encoded text → json/);
  r = run(app, ["migrate", "apply", "--local"]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  const [rows] = sql(app, "SELECT _id, name, topic FROM channels ORDER BY _id");
  assert.deepEqual(rows, [
    { _id: "channels:a", name: "a", topic: '"general \\"chat\\""' },
    { _id: "channels:b", name: "b", topic: '""' },
    { _id: "channels:c", name: "c", topic: null },
  ]);
  assert.deepEqual(rows.slice(0, 2).map((row) => JSON.parse(row.topic)), ['general "chat"', ""]);
  // The unique index came back with the rebuild.
  assert.ok(objects(app).includes("channels__by_name"), objects(app).join(", "));
});
