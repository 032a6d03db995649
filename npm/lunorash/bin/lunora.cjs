#!/usr/bin/env node
// The `lunora` command on npm: finds the native binary in the per-platform
// package installed through `optionalDependencies` and runs it. No
// postinstall, no download. `LUNORA_BINARY` overrides the binary path.
// Exit codes and signals pass through unchanged.
"use strict";

const { spawn } = require("node:child_process");
const { accessSync, chmodSync, closeSync, constants, existsSync, openSync, readSync } = require("node:fs");
const path = require("node:path");

/** Package name per `${process.platform}-${process.arch}[-libc]`; npm/release.sh fills them all. */
const PLATFORMS = {
  "darwin-arm64": "@lunora/cli-darwin-arm64",
  "darwin-x64": "@lunora/cli-darwin-x64",
  "linux-arm64-gnu": "@lunora/cli-linux-arm64-gnu",
  "linux-arm64-musl": "@lunora/cli-linux-arm64-musl",
  "linux-x64-gnu": "@lunora/cli-linux-x64-gnu",
  "linux-x64-musl": "@lunora/cli-linux-x64-musl",
  // No native arm64 build yet: Windows 11 on arm64 runs the x64 binary through its
  // emulation (the package lists both CPUs, so package managers install it there).
  "win32-arm64": "@lunora/cli-win32-x64",
  "win32-x64": "@lunora/cli-win32-x64",
};

/**
 * "gnu" or "musl" on Linux, without running `ldd`: a glibc Node reports its glibc
 * version in the process report, a musl Node does not. Without a report, the ELF
 * interpreter of the running Node decides (`/lib/ld-musl-*` is musl).
 */
function libc() {
  if (process.platform !== "linux") return null;
  const report = typeof process.report?.getReport === "function" ? process.report.getReport() : null;
  const header = report && typeof report === "object" ? report.header : undefined;
  if (header) return header.glibcVersionRuntime ? "gnu" : "musl";
  const interpreter = elfInterpreter(process.execPath);
  return interpreter && interpreter.includes("musl") ? "musl" : "gnu";
}

/** The PT_INTERP path of an ELF file, or null (not ELF, static, unreadable). */
function elfInterpreter(file) {
  // The program headers and the interpreter path sit in the first page.
  const data = Buffer.alloc(4096);
  try {
    const fd = openSync(file, "r");
    try {
      readSync(fd, data, 0, data.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return null;
  const is64 = data[4] === 2;
  const le = data[5] === 1;
  const u16 = (o) => (le ? data.readUInt16LE(o) : data.readUInt16BE(o));
  const u32 = (o) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const word = (o) => (is64 ? Number(le ? data.readBigUInt64LE(o) : data.readBigUInt64BE(o)) : u32(o));
  const phoff = word(is64 ? 0x20 : 0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + phentsize > data.length || u32(ph) !== 3) continue; // PT_INTERP
    const offset = word(is64 ? ph + 8 : ph + 4);
    const size = word(is64 ? ph + 32 : ph + 16);
    return data.subarray(offset, offset + size).toString("latin1").replace(/\0+$/, "");
  }
  return null;
}

/** Whether the platform package `pkg` is installed (resolvable from here). */
function installed(pkg) {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function platformKey() {
  const { platform, arch } = process;
  if (platform === "linux") {
    // The package manager installed only the package whose `libc` matches; when exactly
    // one of the two is present, skip libc detection (the process report costs ~4 ms).
    const gnu = installed(PLATFORMS[`linux-${arch}-gnu`] ?? "-");
    const musl = installed(PLATFORMS[`linux-${arch}-musl`] ?? "-");
    if (gnu !== musl) return `${platform}-${arch}-${gnu ? "gnu" : "musl"}`;
    return `${platform}-${arch}-${libc()}`;
  }
  return `${platform}-${arch}`;
}

function fail(message) {
  process.stderr.write(`lunora: ${message}\n`);
  process.exit(2);
}

function resolveBinary() {
  const override = process.env.LUNORA_BINARY;
  if (override) {
    if (!existsSync(override)) {
      fail(`LUNORA_BINARY is set to \`${override}\`, but no file exists there.`);
    }
    return override;
  }
  const key = platformKey();
  const pkg = PLATFORMS[key];
  if (!pkg) {
    fail(
      `no prebuilt binary for this platform (${key}).\n` +
        `Supported: ${Object.keys(PLATFORMS).join(", ")}.\n` +
        "Build it from source (`cargo build --release -p lunora_cli`) and set LUNORA_BINARY to its path.",
    );
  }
  const exe = process.platform === "win32" ? "lunora.exe" : "lunora";
  let manifest;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch {
    fail(
      `the package ${pkg} that holds the binary for this platform (${key}) is not installed.\n` +
        "It is an optional dependency of lunorash: reinstall without --no-optional / --omit=optional,\n" +
        "and make sure your lockfile was not created on another platform (delete it and node_modules, then install again).\n" +
        "Or set LUNORA_BINARY to the path of a lunora binary.",
    );
  }
  const binary = path.join(path.dirname(manifest), "bin", exe);
  if (!existsSync(binary)) {
    fail(`${pkg} is installed but has no binary at ${binary}. Reinstall it, or set LUNORA_BINARY.`);
  }
  ensureExecutable(binary);
  return binary;
}

// Some packers (pnpm pack) drop the executable bit of files that are not `bin`
// entries; restore it once instead of failing with EACCES.
function ensureExecutable(binary) {
  if (process.platform === "win32") return;
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    try {
      chmodSync(binary, 0o755);
    } catch (error) {
      fail(`${binary} is not executable and cannot be made so (${error.message}); run \`chmod +x\` on it.`);
    }
  }
}

function main() {
  const binary = resolveBinary();
  const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: false });

  // Ctrl-C in a terminal reaches the whole process group; forwarding is for
  // signals sent to the shim alone (`kill -INT <pid>`, process managers).
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);

  child.on("error", (error) => {
    fail(`could not run ${binary}: ${error.message}`);
  });
  child.on("exit", (code, signal) => {
    for (const s of signals) process.removeListener(s, forward);
    if (signal) {
      // Die of the same signal so the caller sees it unchanged.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

main();
