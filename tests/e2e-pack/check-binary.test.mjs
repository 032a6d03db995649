// npm/check-binary.mjs, the header check npm/release.sh runs on every release binary:
// on this machine's own ELF files and on small Mach-O and PE files built here, both
// well-formed and broken in the ways a cross build goes wrong.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkBinary } from "../../npm/check-binary.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("a glibc ELF: interpreter, libraries and the newest glibc symbol version", () => {
  const node = readFileSync(process.execPath);
  const ok = checkBinary("linux-x64-gnu", node);
  assert.match(ok.facts.join(", "), /interpreter \/lib64\/ld-linux-x86-64\.so\.2/);
  assert.match(ok.facts.join(", "), /glibc >= 2\.\d+/);
  const old = checkBinary("linux-x64-gnu", node, { maxGlibc: [2, 0] });
  assert.ok(old.problems.some((p) => /newer than 2\.0/.test(p)), old.problems.join("; "));
  // The wrong machine, and a dynamic file where a static musl build is expected.
  assert.ok(checkBinary("linux-arm64-gnu", node).problems.some((p) => /ELF machine 62, expected 183/.test(p)));
  assert.ok(checkBinary("linux-x64-musl", node).problems.some((p) => /must be static/.test(p)));
  assert.ok(checkBinary("darwin-arm64", node).problems.some((p) => /not a 64-bit Mach-O/.test(p)));
  assert.ok(checkBinary("win32-x64", node).problems.some((p) => /not a PE file/.test(p)));
});

/** A Mach-O executable: `dylibs`, a build version, and an ad-hoc signature over its pages. */
function machO({ cpu = 0x0100000c, dylibs = ["/usr/lib/libSystem.B.dylib"], sign = true } = {}) {
  const cmds = [];
  for (const name of dylibs) {
    const size = Math.ceil((24 + name.length + 1) / 8) * 8;
    const c = Buffer.alloc(size);
    c.writeUInt32LE(0xc, 0);
    c.writeUInt32LE(size, 4);
    c.writeUInt32LE(24, 8);
    c.write(name, 24, "latin1");
    cmds.push(c);
  }
  const build = Buffer.alloc(24);
  build.writeUInt32LE(0x32, 0);
  build.writeUInt32LE(24, 4);
  build.writeUInt32LE(1, 8); // macOS
  build.writeUInt32LE(11 << 16, 12); // minos 11.0
  cmds.push(build);
  const codeLimit = 3 * 4096;
  const sigCmd = Buffer.alloc(16);
  sigCmd.writeUInt32LE(0x1d, 0);
  sigCmd.writeUInt32LE(16, 4);
  sigCmd.writeUInt32LE(codeLimit, 8);
  if (sign) cmds.push(sigCmd);
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(cpu, 4);
  header.writeUInt32LE(2, 12); // MH_EXECUTE
  header.writeUInt32LE(cmds.length, 16);
  header.writeUInt32LE(cmds.reduce((n, c) => n + c.length, 0), 20);
  const code = Buffer.alloc(codeLimit, 0x90);
  Buffer.concat([header, ...cmds]).copy(code);
  if (!sign) return code;
  const ident = Buffer.from("lunora\0");
  const hashOffset = 44 + ident.length;
  const cd = Buffer.alloc(hashOffset + 3 * 32);
  cd.writeUInt32BE(0xfade0c02, 0);
  cd.writeUInt32BE(cd.length, 4);
  cd.writeUInt32BE(0x20001, 8);
  cd.writeUInt32BE(0x2, 12); // adhoc
  cd.writeUInt32BE(hashOffset, 16);
  cd.writeUInt32BE(44, 20);
  cd.writeUInt32BE(3, 28); // code slots
  cd.writeUInt32BE(codeLimit, 32);
  cd[36] = 32;
  cd[37] = 2; // SHA-256
  cd[39] = 12; // 4096-byte pages
  ident.copy(cd, 44);
  for (let i = 0; i < 3; i++) {
    createHash("sha256").update(code.subarray(i * 4096, (i + 1) * 4096)).digest().copy(cd, hashOffset + i * 32);
  }
  const sb = Buffer.alloc(20);
  sb.writeUInt32BE(0xfade0cc0, 0);
  sb.writeUInt32BE(20 + cd.length, 4);
  sb.writeUInt32BE(1, 8);
  sb.writeUInt32BE(0, 12); // CodeDirectory
  sb.writeUInt32BE(20, 16);
  return Buffer.concat([code, sb, cd]);
}

test("a Mach-O: CPU, system libraries only, and every page hash of the signature checked", () => {
  const ok = checkBinary("darwin-arm64", machO());
  assert.deepEqual(ok.problems, []);
  assert.match(ok.facts.join(", "), /Mach-O arm64, macOS >= 11\.0, links \/usr\/lib\/libSystem\.B\.dylib, signed \(ad-hoc, sha256, 3 pages, identifier lunora\)/);
  assert.ok(checkBinary("darwin-x64", machO()).problems.some((p) => /CPU type 0x100000c, expected 0x1000007/.test(p)));
  assert.deepEqual(checkBinary("darwin-x64", machO({ cpu: 0x01000007 })).problems, []);
  const foreign = checkBinary("darwin-arm64", machO({ dylibs: ["/usr/lib/libSystem.B.dylib", "/opt/homebrew/lib/libzstd.1.dylib"] }));
  assert.ok(foreign.problems.some((p) => /outside the system: \/opt\/homebrew\/lib\/libzstd/.test(p)));
  assert.ok(checkBinary("darwin-arm64", machO({ sign: false })).problems.includes("has no embedded code signature"));
  // A byte changed after signing (a strip or patch that did not re-sign).
  const tampered = machO();
  tampered[5000] ^= 1;
  assert.ok(checkBinary("darwin-arm64", tampered).problems.some((p) => /1 of 3 code pages do not match/.test(p)));
});

/** A PE32+ console executable importing `dlls`. */
function pe({ machine = 0x8664, dlls = ["KERNEL32.dll", "msvcrt.dll"], subsystem = 3 } = {}) {
  const buf = Buffer.alloc(8192);
  buf.write("MZ", 0, "latin1");
  buf.writeUInt32LE(0x40, 0x3c);
  buf.writeUInt32BE(0x50450000, 0x40);
  buf.writeUInt16LE(machine, 0x44);
  buf.writeUInt16LE(1, 0x46); // one section
  buf.writeUInt16LE(240, 0x54); // optional header size
  const opt = 0x58;
  buf.writeUInt16LE(0x20b, opt);
  buf.writeUInt16LE(subsystem, opt + 68);
  buf.writeUInt32LE(0x1000, opt + 120); // import directory RVA
  const section = opt + 240;
  buf.writeUInt32LE(0x1000, section + 8); // virtual size
  buf.writeUInt32LE(0x1000, section + 12); // RVA
  buf.writeUInt32LE(0x1000, section + 20); // file offset
  let names = 0x1000 + 20 * (dlls.length + 1);
  dlls.forEach((dll, i) => {
    buf.writeUInt32LE(names, 0x1000 + i * 20 + 12);
    buf.write(`${dll}\0`, names, "latin1");
    names += dll.length + 1;
  });
  return buf;
}

test("a PE: machine, console subsystem, and only DLLs that Windows ships", () => {
  const ok = checkBinary("win32-x64", pe());
  assert.deepEqual(ok.problems, []);
  assert.match(ok.facts.join(", "), /PE machine 0x8664, imports KERNEL32\.dll msvcrt\.dll/);
  assert.ok(checkBinary("win32-arm64", pe()).problems.some((p) => /expected 0xaa64/.test(p)));
  assert.deepEqual(checkBinary("win32-arm64", pe({ machine: 0xaa64 })).problems, []);
  const mingw = checkBinary("win32-x64", pe({ dlls: ["KERNEL32.dll", "libgcc_s_seh-1.dll", "libwinpthread-1.dll"] }));
  assert.ok(mingw.problems.some((p) => /Windows does not ship: libgcc_s_seh-1\.dll, libwinpthread-1\.dll/.test(p)));
  assert.ok(checkBinary("win32-x64", pe({ subsystem: 2 })).problems.some((p) => /expected the console/.test(p)));
});

test("every platform package has an expectation", () => {
  const lunorash = JSON.parse(readFileSync(join(repo, "npm/lunorash/package.json"), "utf8"));
  for (const pkg of Object.keys(lunorash.optionalDependencies)) {
    const key = pkg.replace("@lunora/cli-", "");
    assert.ok(!checkBinary(key, Buffer.alloc(8192)).problems.includes(`unknown platform ${key}`), key);
  }
});
