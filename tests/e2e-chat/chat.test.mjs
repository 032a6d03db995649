// The chat tutorial end to end, in a real browser (Debian Chromium driven by
// playwright-core): scaffold with the packed npm packages (scripts/demo.sh
// --setup-only: lunora init --packages, the tutorial's schema/messages/Chat,
// pnpm install, pnpm lunora migrate generate init), `pnpm lunora deploy
// --dry-run`, then `pnpm dev`; two tabs on #general see each other's messages
// without reload, a third tab on #random does not, and the two channels are
// served by two Durable Objects; a schema error while running is reported and
// the last good app keeps serving. Screenshots and the dev log go to
// tests/e2e-chat/artifacts/ (gitignored). Ctrl-C (SIGINT to `pnpm dev`'s
// process group) must leave no process behind and free both ports.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const artifacts = join(here, "artifacts");
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), "lunora-e2e-chat-"));
const app = join(scratch, "chat");
const base = "http://localhost:5173";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const timings = {};
const timed = async (name, fn) => {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round(performance.now() - t0);
  }
};

/** Environment of every wrangler/chromium command: offline, quiet, no writes to $HOME. */
const env = (() => {
  const { LUNORA_BINARY: _, ...rest } = process.env;
  const x = join(scratch, "xdg");
  return {
    ...rest,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    XDG_CONFIG_HOME: join(x, "config"),
    XDG_CACHE_HOME: join(x, "cache"),
    WRANGLER_LOG_PATH: join(x, "wrangler-logs"),
    NO_COLOR: "1",
    LUNORA_PACKS: join(scratch, "packs"),
  };
})();

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}
const show = (r) => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const portOpen = (port) =>
  new Promise((resolve) => {
    const s = createConnection({ host: "localhost", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

async function until(what, fn, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Pids of live processes whose working directory is inside the app. */
function processesInApp() {
  const found = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === app || cwd.startsWith(`${app}/`)) found.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

let dev = null;
let devExited = null;
let browser = null;
after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    try {
      process.kill(-dev.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const pid of processesInApp()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  console.log(`E2E ${JSON.stringify(timings)}`);
  rmSync(scratch, { recursive: true, force: true });
});

async function api(path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const texts = (page) => page.$$eval("li", (items) => items.map((li) => li.textContent));

test("the chat tutorial in two tabs", { timeout: 15 * 60_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (.ci/run installs the Debian package)`);
  assert.ok(!(await portOpen(5173)) && !(await portOpen(8787)), "ports 5173 and 8787 must be free before the test");

  await t.test("scaffold: pack, init --packages, tutorial code, install, migrate generate init", async () => {
    const r = await timed("scaffold", () => run("bash", [join(repo, "scripts/demo.sh"), "--setup-only", app], repo));
    assert.equal(r.status, 0, show(r));
    const migrations = readdirSync(join(app, "lunora/migrations"));
    assert.equal(migrations.filter((f) => f.endsWith("_init.sql")).length, 1, migrations.join(", "));
  });

  await t.test("pnpm lunora deploy --dry-run", async () => {
    const r = await timed("deployDryRun", () => run("pnpm", ["--silent", "lunora", "deploy", "--dry-run"], app));
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /migrations are up to date with the schema/, show(r));
    assert.match(r.stderr, /wrangler\.jsonc is valid/, show(r));
    assert.match(r.stderr, /lunora\/migrations\/\d{14}_init\.sql/, "says what it would apply");
    assert.match(r.stderr, /dry run passed/, show(r));
    assert.ok(existsSync(join(app, "lunora/_generated/wiring.ts")), "deploy ran codegen");
    assert.ok(existsSync(join(app, ".wrangler/lunora-dry-run/index.js")), "wrangler bundled the Worker");
  });

  await t.test("pnpm dev serves the app and the API through vite", async () => {
    const log = createWriteStream(join(artifacts, "dev.log"));
    dev = spawn("pnpm", ["dev"], { cwd: app, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    dev.stdout.pipe(log);
    dev.stderr.pipe(log);
    devExited = new Promise((resolve) => dev.once("exit", (code, signal) => resolve({ code, signal })));
    await timed("devReady", () =>
      until(
        "vite and the Worker",
        async () => {
          if (dev.exitCode !== null) throw new Error(`pnpm dev exited ${dev.exitCode}; see artifacts/dev.log`);
          const page = await fetch(`${base}/`);
          if (!page.ok) return false;
          const guest = await api("/api/auth/guest");
          return guest.status === 200 && typeof guest.body.token === "string";
        },
        180_000,
      ),
    );
  });

  await t.test("a message sent in one tab appears in the other; another channel does not get it", async () => {
    browser = await chromium.launchPersistentContext(join(scratch, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    let tab = 0;
    const open = async (channel) => {
      const page = await browser.newPage();
      const name = `tab-${++tab}-${channel}`;
      const log = createWriteStream(join(artifacts, `${name}.console.log`));
      page.on("console", (m) => log.write(`${m.type()}: ${m.text()}\n`));
      page.on("pageerror", (e) => log.write(`pageerror: ${e.stack ?? e}\n`));
      await page.goto(`${base}/?channel=${channel}`);
      try {
        await page.waitForSelector(`h1:has-text("#${channel}")`, { timeout: 30_000 });
        await page.waitForSelector("form input", { timeout: 30_000 });
      } catch (e) {
        await page.screenshot({ path: join(artifacts, `${name}-failed.png`) });
        throw e;
      }
      return page;
    };
    const [a, b, c] = await timed("openTabs", async () => [await open("general"), await open("general"), await open("random")]);

    const text = `hello from tab A ${Date.now()}`;
    await timed("deliver", async () => {
      await a.fill("form input", text);
      await a.click("button[type=submit]");
      await b.waitForFunction((t) => [...document.querySelectorAll("li")].some((li) => li.textContent === t), text, { timeout: 15_000 });
    });
    await a.waitForFunction((t) => [...document.querySelectorAll("li")].some((li) => li.textContent === t), text, { timeout: 15_000 });

    // #random is live (its own message arrives) but never gets #general's.
    const other = `hello from tab C ${Date.now()}`;
    await c.fill("form input", other);
    await c.click("button[type=submit]");
    await c.waitForFunction((t) => [...document.querySelectorAll("li")].some((li) => li.textContent === t), other, { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(!(await texts(c)).includes(text), "#random received #general's message");
    assert.ok(!(await texts(a)).includes(other), "#general received #random's message");
    assert.ok(!(await texts(b)).includes(other), "#general received #random's message");

    // A send the server refuses (a message over the 1 MiB frame limit: too_large) is shown by the
    // template's App, although the tutorial's Chat drops the promise (`void send(...)`).
    assert.equal(await a.locator("[role=alert]").count(), 0, "no alert before a failed send");
    await a.fill("form input", "x".repeat(1100 * 1024));
    await a.click("button[type=submit]");
    await a.waitForSelector('[role=alert]:has-text("Not sent: too_large")', { timeout: 15_000 });
    assert.ok(!(await texts(b)).some((t) => t.length > 1024), "the refused message reached nobody");
    await a.click('[role=alert] button:has-text("Dismiss")');
    assert.equal(await a.locator("[role=alert]").count(), 0, "dismissed");

    // No reload happened: the tabs still hold the page they first loaded.
    const navigations = await b.evaluate(() => performance.getEntriesByType("navigation").length);
    assert.equal(navigations, 1);

    await a.screenshot({ path: join(artifacts, "tab-a-general.png") });
    await b.screenshot({ path: join(artifacts, "tab-b-general.png") });
    await c.screenshot({ path: join(artifacts, "tab-c-random.png") });
  });

  await t.test("8 tabs sending at once on one channel converge: every message once, in every tab", async () => {
    const pages = [];
    for (let i = 0; i < 8; i++) {
      const page = await browser.newPage();
      const log = createWriteStream(join(artifacts, `busy-tab-${i}.console.log`));
      page.on("console", (m) => log.write(`${m.type()}: ${m.text()}\n`));
      page.on("pageerror", (e) => log.write(`pageerror: ${e.stack ?? e}\n`));
      await page.goto(`${base}/?channel=busy`);
      await page.waitForSelector("form input", { timeout: 30_000 });
      pages.push(page);
    }
    const sent = [];
    await timed("eightTabsSend", () =>
      Promise.all(
        pages.map(async (page, i) => {
          for (let k = 0; k < 5; k++) {
            const text = `tab ${i} message ${k}`;
            sent.push(text);
            await page.fill("form input", text);
            // Enter submits the form wherever it is: the list above grows with every message
            // from the other tabs, and a mouse click aimed at the moving button can land on a
            // list item instead (the message then is never sent).
            await page.press("form input", "Enter");
          }
        }),
      ),
    );
    for (const [i, page] of pages.entries()) {
      try {
        await page.waitForFunction(
          (want) => {
            const have = [...document.querySelectorAll("li")].map((li) => li.textContent);
            return want.every((t) => have.includes(t));
          },
          sent,
          { timeout: 30_000 },
        );
      } catch (e) {
        await page.screenshot({ path: join(artifacts, `busy-tab-${i}-failed.png`), fullPage: true });
        const have = await texts(page);
        const alerts = await page.$$eval("[role=alert]", (items) => items.map((a) => a.textContent));
        const missing = sent.filter((t) => !have.includes(t));
        throw new Error(`tab ${i} misses ${JSON.stringify(missing)}; alerts: ${JSON.stringify(alerts)}; shows ${have.length} items`, { cause: e });
      }
      const have = await texts(page);
      for (const text of sent) assert.equal(have.filter((t) => t === text).length, 1, `tab ${i} shows "${text}" once`);
      assert.equal(have.length, sent.length, `tab ${i} shows only the sent messages`);
    }
    for (const page of pages) await page.close();
  });

  await t.test("the two channels live in two Durable Objects", async () => {
    const { body: guest } = await api("/api/auth/guest");
    const ids = {};
    const objects = {};
    for (const name of ["general", "random"]) {
      const opened = await api("/api/call", { path: "channels:open", args: { name } }, guest.token);
      assert.equal(opened.body.ok, true, JSON.stringify(opened.body));
      ids[name] = opened.body.value;
      const resolved = await api("/api/resolve", { path: "messages:list", args: { channelId: ids[name] } }, guest.token);
      assert.equal(resolved.body.ok, true, JSON.stringify(resolved.body));
      objects[name] = resolved.body.value.object;
    }
    assert.equal(objects.general, `channelId:${ids.general}`);
    assert.equal(objects.random, `channelId:${ids.random}`);
    assert.notEqual(objects.general, objects.random);
    // And on disk: wrangler dev keeps one SQLite file per Durable Object
    // instance; root (global functions) plus one per channel.
    const doDir = join(app, ".wrangler/state/v3/do");
    const sqlite = readdirSync(doDir)
      .filter((d) => d.includes("LunoraShard"))
      .flatMap((d) => readdirSync(join(doDir, d)).filter((f) => f.endsWith(".sqlite") && statSync(join(doDir, d, f)).size > 0));
    assert.ok(sqlite.length >= 3, `expected the root object and two channel objects, found ${sqlite.join(", ")}`);
  });

  await t.test("a schema error while running shows the diagnostic and keeps the last good app running", async () => {
    const schemaPath = join(app, "lunora/schema.ts");
    const good = readFileSync(schemaPath, "utf8");
    const wiring = readFileSync(join(app, "lunora/_generated/wiring.ts"), "utf8");
    writeFileSync(schemaPath, good.replace("text: v.string()", "text: v.strng()"));
    await until("the diagnostic in the dev output", async () => readFileSync(join(artifacts, "dev.log"), "utf8").includes("v.strng"), 20_000);
    assert.equal(readFileSync(join(app, "lunora/_generated/wiring.ts"), "utf8"), wiring, "_generated/ kept");
    const { body: guest } = await api("/api/auth/guest");
    const opened = await api("/api/call", { path: "channels:open", args: { name: "general" } }, guest.token);
    assert.equal(opened.body.ok, true, JSON.stringify(opened.body));
    writeFileSync(schemaPath, good);
    assert.equal(dev.exitCode, null, "pnpm dev still running");
  });

  await t.test("Ctrl-C stops everything: no process left, ports free", async () => {
    await browser.close();
    browser = null;
    await timed("shutdown", async () => {
      process.kill(-dev.pid, "SIGINT");
      await Promise.race([devExited, new Promise((_, reject) => setTimeout(() => reject(new Error("pnpm dev did not exit")), 30_000))]);
      await until("every process of the app to exit", async () => processesInApp().length === 0, 15_000);
      await until("ports 5173 and 8787 to be free", async () => !(await portOpen(5173)) && !(await portOpen(8787)), 10_000);
    });
  });
});
