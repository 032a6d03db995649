// `node npm/check-binary.mjs <platform-key> <file>`: checks that a release binary is what
// its platform package promises, from the file's headers alone (npm/release.sh runs it on
// every binary before packing; binaries that can run here are also run there):
//   linux-*   ELF for the right machine; musl builds static (no interpreter, no libraries);
//             glibc builds with the system interpreter, only glibc's own libraries, and the
//             newest glibc symbol version they need
//   darwin-*  64-bit Mach-O executable for the right CPU, linking only /usr/lib and
//             /System/Library, with a code signature on arm64 (macOS kills unsigned arm64 code)
//   win32-*   PE console executable for the right machine, importing only DLLs that every
//             Windows has (no libgcc_s, libwinpthread or libunwind beside it)
// Prints one line of facts; exits 1 naming every problem.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const EXPECT = {
  "linux-x64-gnu": { format: "elf", machine: 62, libc: "gnu", interp: "/lib64/ld-linux-x86-64.so.2" },
  "linux-x64-musl": { format: "elf", machine: 62, libc: "musl" },
  "linux-arm64-gnu": { format: "elf", machine: 183, libc: "gnu", interp: "/lib/ld-linux-aarch64.so.1" },
  "linux-arm64-musl": { format: "elf", machine: 183, libc: "musl" },
  "darwin-x64": { format: "macho", cpu: 0x01000007 },
  "darwin-arm64": { format: "macho", cpu: 0x0100000c },
  "win32-x64": { format: "pe", machine: 0x8664 },
  "win32-arm64": { format: "pe", machine: 0xaa64 },
};

const GLIBC_LIBS = /^(libc|libm|libdl|libpthread|librt|libutil|libgcc_s|ld-linux-[\w-]+)\.so(\.\d+)*$/;
const WINDOWS_DLLS =
  /^(kernel32|ntdll|advapi32|bcrypt|bcryptprimitives|userenv|ws2_32|msvcrt|ucrtbase|shell32|ole32|oleaut32|user32|secur32|crypt32|synchronization|api-ms-win-[\w-]+)\.dll$/i;

const cstr = (buf, at) => {
  const end = buf.indexOf(0, at);
  return buf.subarray(at, end < 0 ? buf.length : end).toString("latin1");
};

function checkElf(buf, want, facts, problems) {
  if (buf.readUInt32BE(0) !== 0x7f454c46) return problems.push("not an ELF file");
  if (buf[4] !== 2 || buf[5] !== 1) return problems.push("not a 64-bit little-endian ELF file");
  const u16 = (o) => buf.readUInt16LE(o);
  const u32 = (o) => buf.readUInt32LE(o);
  const u64 = (o) => Number(buf.readBigUInt64LE(o));
  const machine = u16(0x12);
  facts.push(`ELF machine ${machine}`);
  if (machine !== want.machine) problems.push(`ELF machine ${machine}, expected ${want.machine}`);
  const phoff = u64(0x20);
  const phentsize = u16(0x36);
  const phnum = u16(0x38);
  let interp = null;
  let dynamic = null;
  const loads = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const type = u32(ph);
    const offset = u64(ph + 8);
    const vaddr = u64(ph + 16);
    const filesz = u64(ph + 32);
    if (type === 3) interp = cstr(buf, offset);
    if (type === 2) dynamic = { offset, size: filesz };
    if (type === 1) loads.push({ offset, vaddr, filesz });
  }
  const fileOffset = (vaddr) => {
    const seg = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
    return seg ? vaddr - seg.vaddr + seg.offset : null;
  };
  const entries = [];
  if (dynamic) {
    for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
      const tag = u64(at);
      if (tag === 0) break;
      entries.push([tag, u64(at + 8)]);
    }
  }
  const tag = (t) => entries.filter(([k]) => k === t).map(([, v]) => v);
  const strtab = tag(5).map(fileOffset)[0];
  const needed = strtab == null ? [] : tag(1).map((off) => cstr(buf, strtab + off));
  if (want.libc === "musl") {
    facts.push(interp || needed.length ? "dynamic" : "static");
    if (interp) problems.push(`has an interpreter (${interp}); a musl build must be static`);
    if (needed.length) problems.push(`needs shared libraries (${needed.join(", ")}); a musl build must be static`);
    return;
  }
  facts.push(`interpreter ${interp}`, `needs ${needed.join(" ") || "nothing"}`);
  if (interp !== want.interp) problems.push(`interpreter ${interp}, expected ${want.interp}`);
  const foreign = needed.filter((lib) => !GLIBC_LIBS.test(lib));
  if (foreign.length) problems.push(`needs libraries beyond glibc: ${foreign.join(", ")}`);
  // The newest GLIBC_x.y among the version requirements (DT_VERNEED, DT_VERNEEDNUM).
  let newest = null;
  const verneed = tag(0x6ffffffe).map(fileOffset)[0];
  const count = tag(0x6fffffff)[0] ?? 0;
  for (let i = 0, at = verneed; strtab != null && at != null && i < count; i++) {
    for (let j = 0, aux = at + u32(at + 8); j < u16(at + 2); j++) {
      const name = cstr(buf, strtab + u32(aux + 8));
      const m = /^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$/.exec(name);
      if (m) {
        const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
        if (!newest || v[0] > newest[0] || (v[0] === newest[0] && (v[1] > newest[1] || (v[1] === newest[1] && v[2] > newest[2])))) newest = v;
      }
      const next = u32(aux + 12);
      if (!next) break;
      aux += next;
    }
    const next = u32(at + 12);
    if (!next) break;
    at += next;
  }
  facts.push(`glibc >= ${newest ? newest.filter((n, k) => k < 2 || n).join(".") : "?"}`);
  if (want.maxGlibc && newest && (newest[0] > want.maxGlibc[0] || (newest[0] === want.maxGlibc[0] && newest[1] > want.maxGlibc[1]))) {
    problems.push(`needs glibc ${newest.join(".")}, newer than ${want.maxGlibc.join(".")}`);
  }
}

function checkMachO(buf, want, facts, problems) {
  if (buf.readUInt32LE(0) !== 0xfeedfacf) return problems.push("not a 64-bit Mach-O file (fat or 32-bit binaries are not built)");
  const cpu = buf.readUInt32LE(4);
  const filetype = buf.readUInt32LE(12);
  const ncmds = buf.readUInt32LE(16);
  facts.push(`Mach-O ${{ 0x01000007: "x86_64", 0x0100000c: "arm64" }[cpu] ?? `cpu 0x${cpu.toString(16)}`}`);
  if (cpu !== want.cpu) problems.push(`CPU type 0x${cpu.toString(16)}, expected 0x${want.cpu.toString(16)}`);
  if (filetype !== 2) problems.push(`file type ${filetype}, expected an executable (2)`);
  const dylibs = [];
  let signed = false;
  let minos = null;
  for (let i = 0, at = 32; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB, LC_LOAD_UPWARD_DYLIB
    if ([0xc, 0x80000018, 0x8000001f, 0x20, 0x80000023].includes(cmd)) dylibs.push(cstr(buf, at + buf.readUInt32LE(at + 8)));
    if (cmd === 0x1d) signed = verifySignature(buf, buf.readUInt32LE(at + 8), problems);
    if (cmd === 0x32) {
      const v = buf.readUInt32LE(at + 12);
      minos = `${v >>> 16}.${(v >>> 8) & 0xff}`;
    }
    at += size;
  }
  facts.push(`macOS >= ${minos ?? "?"}`, `links ${dylibs.join(" ")}`, signed || "unsigned");
  const foreign = dylibs.filter((d) => !d.startsWith("/usr/lib/") && !d.startsWith("/System/Library/"));
  if (foreign.length) problems.push(`links libraries outside the system: ${foreign.join(", ")}`);
  if (!dylibs.includes("/usr/lib/libSystem.B.dylib")) problems.push("does not link /usr/lib/libSystem.B.dylib");
  // Apple silicon refuses unsigned code; Intel Macs run it (Apple's own linker signs only arm64).
  if (!signed && cpu === 0x0100000c) problems.push("has no embedded code signature");
}

/**
 * The embedded code signature at `offset` (LC_CODE_SIGNATURE): a SuperBlob whose
 * CodeDirectory hashes every page of the file up to its code limit, and the other
 * blobs (requirements, entitlements) in its special slots. Checks every hash, as
 * macOS does before it runs the code; returns a description, or null (with problems).
 */
function verifySignature(buf, offset, problems) {
  if (offset + 12 > buf.length || buf.readUInt32BE(offset) !== 0xfade0cc0) {
    problems.push("LC_CODE_SIGNATURE points at no signature SuperBlob");
    return null;
  }
  const count = buf.readUInt32BE(offset + 8);
  const blobs = new Map();
  for (let i = 0; i < count; i++) {
    const type = buf.readUInt32BE(offset + 12 + i * 8);
    const at = offset + buf.readUInt32BE(offset + 16 + i * 8);
    blobs.set(type, buf.subarray(at, at + buf.readUInt32BE(at + 4)));
  }
  const cd = blobs.get(0);
  if (!cd || cd.readUInt32BE(0) !== 0xfade0c02) {
    problems.push("the signature has no CodeDirectory");
    return null;
  }
  const flags = cd.readUInt32BE(12);
  const hashOffset = cd.readUInt32BE(16);
  const identity = cstr(cd, cd.readUInt32BE(20));
  const nSpecial = cd.readUInt32BE(24);
  const nCode = cd.readUInt32BE(28);
  const codeLimit = cd.readUInt32BE(32);
  const hashSize = cd[36];
  const algorithm = { 1: "sha1", 2: "sha256" }[cd[37]];
  const pageSize = 2 ** cd[39];
  if (!algorithm) {
    problems.push(`the CodeDirectory uses unknown hash type ${cd[37]}`);
    return null;
  }
  const digest = (bytes) => createHash(algorithm).update(bytes).digest().subarray(0, hashSize);
  let bad = 0;
  for (let i = 0; i < nCode; i++) {
    const page = buf.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
    if (!digest(page).equals(cd.subarray(hashOffset + i * hashSize, hashOffset + (i + 1) * hashSize))) bad++;
  }
  if (bad) problems.push(`${bad} of ${nCode} code pages do not match the signature's hashes`);
  if (Math.ceil(codeLimit / pageSize) !== nCode) problems.push("the signature does not cover the whole code");
  for (const [type, blob] of blobs) {
    if (type === 0 || type >= 0x1000 || type > nSpecial) continue;
    const slot = cd.subarray(hashOffset - type * hashSize, hashOffset - (type - 1) * hashSize);
    if (!digest(blob).equals(slot)) problems.push(`signature blob ${type} does not match its special slot`);
  }
  const adhoc = (flags & 0x2) !== 0;
  return `signed (${adhoc ? "ad-hoc" : "certificate"}, ${algorithm}, ${nCode} pages, identifier ${identity})`;
}

function checkPe(buf, want, facts, problems) {
  if (buf.toString("latin1", 0, 2) !== "MZ") return problems.push("not a PE file (no MZ header)");
  const pe = buf.readUInt32LE(0x3c);
  if (buf.readUInt32BE(pe) !== 0x50450000) return problems.push("not a PE file (no PE signature)");
  const machine = buf.readUInt16LE(pe + 4);
  const nsections = buf.readUInt16LE(pe + 6);
  const optSize = buf.readUInt16LE(pe + 20);
  const opt = pe + 24;
  facts.push(`PE machine 0x${machine.toString(16)}`);
  if (machine !== want.machine) problems.push(`PE machine 0x${machine.toString(16)}, expected 0x${want.machine.toString(16)}`);
  if (buf.readUInt16LE(opt) !== 0x20b) problems.push("not a PE32+ (64-bit) image");
  const subsystem = buf.readUInt16LE(opt + 68);
  if (subsystem !== 3) problems.push(`subsystem ${subsystem}, expected the console (3)`);
  const sections = [];
  for (let i = 0, at = opt + optSize; i < nsections; i++, at += 40) {
    sections.push({ va: buf.readUInt32LE(at + 12), vsize: buf.readUInt32LE(at + 8), raw: buf.readUInt32LE(at + 20) });
  }
  const fileOffset = (rva) => {
    const s = sections.find((x) => rva >= x.va && rva < x.va + x.vsize);
    return s ? rva - s.va + s.raw : null;
  };
  const importRva = buf.readUInt32LE(opt + 112 + 8); // data directory 1: imports
  const dlls = [];
  for (let at = fileOffset(importRva); at != null; at += 20) {
    const nameRva = buf.readUInt32LE(at + 12);
    if (!nameRva) break;
    dlls.push(cstr(buf, fileOffset(nameRva)));
  }
  facts.push(`imports ${dlls.join(" ")}`);
  const foreign = dlls.filter((d) => !WINDOWS_DLLS.test(d));
  if (foreign.length) problems.push(`imports DLLs that Windows does not ship: ${foreign.join(", ")}`);
}

export function checkBinary(key, buf, options = {}) {
  const want = { ...EXPECT[key], ...options };
  if (!EXPECT[key]) return { facts: [], problems: [`unknown platform ${key}`] };
  const facts = [];
  const problems = [];
  if (buf.length < 4096) problems.push(`only ${buf.length} bytes`);
  else if (want.format === "elf") checkElf(buf, want, facts, problems);
  else if (want.format === "macho") checkMachO(buf, want, facts, problems);
  else checkPe(buf, want, facts, problems);
  return { facts, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [key, file] = process.argv.slice(2);
  if (!key || !file) {
    console.error("usage: node npm/check-binary.mjs <platform-key> <file>");
    process.exit(2);
  }
  // LUNORA_MAX_GLIBC=2.17: fail a glibc build that needs a newer glibc.
  const max = process.env.LUNORA_MAX_GLIBC?.split(".").map(Number);
  const { facts, problems } = checkBinary(key, readFileSync(file), max ? { maxGlibc: max } : {});
  console.log(`${key}: ${facts.join(", ")}`);
  for (const p of problems) console.error(`${key}: ${p}`);
  process.exit(problems.length ? 1 : 0);
}
