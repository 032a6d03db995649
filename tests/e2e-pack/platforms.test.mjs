// The shim (npm/lunorash/bin/lunora.cjs) picks the right platform package on every
// platform npm/release.sh builds for. Each case runs the real shim in a child Node
// whose process.platform / process.arch / libc are faked by a preload (--require):
// the fake binary of every installed package prints its own package name.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import assert from "node:assert/strict";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shimSource = join(repo, "npm/lunorash/bin/lunora.cjs");
const scratch = mkdtempSync(join(tmpdir(), "lunora-platforms-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Every platform package lunorash lists, with the binary name the shim must run.
const lunorash = JSON.parse(readFileSync(join(repo, "npm/lunorash/package.json"), "utf8"));
const packages = Object.keys(lunorash.optionalDependencies).sort();

const KEYS = ["darwin-arm64", "darwin-x64", "linux-arm64-gnu", "linux-arm64-musl", "linux-x64-gnu", "linux-x64-musl", "win32-x64"];
// Platforms whose binary is another platform's package: Windows 11 on arm64 emulates x64.
const EMULATED = { "win32-arm64": "win32-x64" };

test("lunorash lists exactly the platforms the shim knows, each a package in npm/", () => {
  assert.deepEqual(packages, KEYS.map((k) => `@lunora/cli-${k}`));
  for (const key of KEYS) {
    const manifest = JSON.parse(readFileSync(join(repo, "npm", `cli-${key}`, "package.json"), "utf8"));
    const [os, cpu, libc] = key.split("-");
    const alsoFor = Object.keys(EMULATED).filter((k) => EMULATED[k] === key).map((k) => k.split("-")[1]);
    assert.equal(manifest.name, `@lunora/cli-${key}`);
    assert.deepEqual(manifest.os, [os]);
    assert.deepEqual(manifest.cpu, [cpu, ...alsoFor]);
    assert.deepEqual(manifest.libc, libc ? [{ gnu: "glibc", musl: "musl" }[libc]] : undefined);
    assert.deepEqual(manifest.files, [os === "win32" ? "bin/lunora.exe" : "bin/lunora"]);
  }
  const shim = readFileSync(shimSource, "utf8");
  for (const key of KEYS) assert.match(shim, new RegExp(`"${key}": "@lunora/cli-${key}"`));
  for (const [key, to] of Object.entries(EMULATED)) assert.match(shim, new RegExp(`"${key}": "@lunora/cli-${to}"`));
});

// A minimal ELF64 file whose only program header is PT_INTERP `interp`: what the shim
// reads of the running Node when there is no process report.
function fakeElf(file, interp) {
  const path = Buffer.from(`${interp}\0`, "latin1");
  const buf = Buffer.alloc(64 + 56 + path.length);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // 64-bit
  buf[5] = 1; // little-endian
  buf.writeBigUInt64LE(64n, 0x20); // e_phoff
  buf.writeUInt16LE(56, 0x36); // e_phentsize
  buf.writeUInt16LE(1, 0x38); // e_phnum
  buf.writeUInt32LE(3, 64); // PT_INTERP
  buf.writeBigUInt64LE(120n, 64 + 8); // p_offset
  buf.writeBigUInt64LE(BigInt(path.length), 64 + 32); // p_filesz
  path.copy(buf, 120);
  writeFileSync(file, buf);
  return file;
}

// --require'd before the shim: fakes the platform, the arch and what libc detection sees.
const preload = join(scratch, "fake-platform.cjs");
writeFileSync(
  preload,
  `"use strict";
const env = process.env;
Object.defineProperty(process, "platform", { value: env.FAKE_PLATFORM });
Object.defineProperty(process, "arch", { value: env.FAKE_ARCH });
if (env.FAKE_REPORT) {
  const header = env.FAKE_REPORT === "glibc" ? { glibcVersionRuntime: "2.36" } : {};
  Object.defineProperty(process, "report", { value: env.FAKE_REPORT === "none" ? undefined : { getReport: () => ({ header }) } });
}
if (env.FAKE_EXEC_PATH) Object.defineProperty(process, "execPath", { value: env.FAKE_EXEC_PATH });
`,
);

/** An app whose node_modules holds lunorash and the given platform packages. */
function app(name, installed) {
  const dir = join(scratch, name);
  const shim = join(dir, "node_modules/lunorash/bin/lunora.cjs");
  mkdirSync(dirname(shim), { recursive: true });
  copyFileSync(shimSource, shim);
  for (const key of installed) {
    const pkg = join(dir, "node_modules/@lunora", `cli-${key}`);
    mkdirSync(join(pkg, "bin"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: `@lunora/cli-${key}`, version: "0.0.0" }));
    // The same script under both names: the test asserts which name the shim ran.
    for (const exe of ["lunora", "lunora.exe"]) {
      writeFileSync(join(pkg, "bin", exe), `#!/bin/sh\necho "${key} ${exe} $*"\n`, { mode: 0o755 });
    }
  }
  return shim;
}

function runAs(shim, { platform, arch, report, execPath }, args = ["--version"]) {
  const { LUNORA_BINARY: _, ...base } = process.env;
  const env = { ...base, FAKE_PLATFORM: platform, FAKE_ARCH: arch };
  if (report) env.FAKE_REPORT = report;
  if (execPath) env.FAKE_EXEC_PATH = execPath;
  return spawnSync(process.execPath, ["--require", preload, shim, ...args], { env, encoding: "utf8" });
}

const everything = app("everything", KEYS);

const CASES = [
  // [platform, arch, libc as detection sees it, expected package key, binary]
  ["darwin", "arm64", {}, "darwin-arm64", "lunora"],
  ["darwin", "x64", {}, "darwin-x64", "lunora"],
  ["linux", "arm64", { report: "glibc" }, "linux-arm64-gnu", "lunora"],
  ["linux", "arm64", { report: "musl" }, "linux-arm64-musl", "lunora"],
  ["linux", "x64", { report: "glibc" }, "linux-x64-gnu", "lunora"],
  ["linux", "x64", { report: "musl" }, "linux-x64-musl", "lunora"],
  ["win32", "x64", {}, "win32-x64", "lunora.exe"],
  ["win32", "arm64", {}, "win32-x64", "lunora.exe"],
];

for (const [platform, arch, libc, key, exe] of CASES) {
  test(`${platform} ${arch}${libc.report ? ` (${libc.report} report)` : ""} runs @lunora/cli-${key}/bin/${exe}`, () => {
    const r = runAs(everything, { platform, arch, ...libc }, ["codegen", "--check"]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, `${key} ${exe} codegen --check\n`);
    assert.equal(r.status, 0);
  });
}

test("without a process report, the ELF interpreter of Node tells musl from glibc", () => {
  const musl = fakeElf(join(scratch, "node-musl"), "/lib/ld-musl-aarch64.so.1");
  const gnu = fakeElf(join(scratch, "node-gnu"), "/lib/ld-linux-aarch64.so.1");
  const r1 = runAs(everything, { platform: "linux", arch: "arm64", report: "none", execPath: musl });
  assert.equal(r1.stdout, "linux-arm64-musl lunora --version\n", r1.stderr);
  const r2 = runAs(everything, { platform: "linux", arch: "arm64", report: "none", execPath: gnu });
  assert.equal(r2.stdout, "linux-arm64-gnu lunora --version\n", r2.stderr);
});

test("a musl report with only the musl package installed needs no detection", () => {
  const shim = app("only-musl", ["linux-x64-musl"]);
  // Detection would say gnu here; the one installed package of the pair wins.
  const r = runAs(shim, { platform: "linux", arch: "x64", report: "glibc" });
  assert.equal(r.stdout, "linux-x64-musl lunora --version\n", r.stderr);
});

test("with only the gnu package of the pair installed, the package manager's libc filter wins", () => {
  const shim = app("gnu-and-darwin", ["linux-x64-gnu", "linux-arm64-gnu", "darwin-arm64"]);
  const r = runAs(shim, { platform: "linux", arch: "arm64", report: "musl" });
  assert.equal(r.stdout, "linux-arm64-gnu lunora --version\n", r.stderr);
});

for (const [platform, arch, libc, key] of CASES) {
  test(`${platform}-${arch} with @lunora/cli-${key} missing names @lunora/cli-${key} and LUNORA_BINARY`, () => {
    const others = KEYS.filter((k) => k !== key && !k.startsWith(`${platform}-${arch}-`));
    const shim = app(`missing-${platform}-${arch}-${key}`, others);
    const r = runAs(shim, { platform, arch, ...libc });
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, new RegExp(`the package @lunora/cli-${key} that holds the binary for this platform \\(${platform}-${arch}`));
    assert.match(r.stderr, /LUNORA_BINARY/);
    assert.equal(r.stdout, "");
  });
}

for (const [platform, arch] of [["freebsd", "x64"], ["linux", "riscv64"], ["win32", "ia32"], ["darwin", "ppc64"]]) {
  test(`${platform} ${arch} has no package: the error lists the supported ones and LUNORA_BINARY`, () => {
    const r = runAs(everything, { platform, arch, report: "glibc" });
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /no prebuilt binary for this platform/);
    assert.match(r.stderr, new RegExp(`Supported: ${[...KEYS, ...Object.keys(EMULATED)].sort().join(", ")}\\.`));
    assert.match(r.stderr, /set LUNORA_BINARY to its path/);
  });
}
