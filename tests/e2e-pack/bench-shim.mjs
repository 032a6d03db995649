// Startup overhead of the shim: median wall time of `lunora --version` through
// `node lunora.cjs` vs the binary directly. Usage: node bench-shim.mjs <binary> [runs]
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const binary = process.argv[2] ?? join(repo, "npm/cli-linux-x64-gnu/bin/lunora");
const runs = Number(process.argv[3] ?? 30);
const shim = join(repo, "npm/lunorash/bin/lunora.cjs");

function median(cmd, args, env) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: "ignore" });
    if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const direct = median(binary, ["--version"], process.env);
const viaShim = median(process.execPath, [shim, "--version"], { ...process.env, LUNORA_BINARY: binary });
console.log(`direct ${direct.toFixed(1)} ms, via shim ${viaShim.toFixed(1)} ms, overhead ${(viaShim - direct).toFixed(1)} ms (median of ${runs})`);
