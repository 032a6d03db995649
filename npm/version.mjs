// The one version of Lunora: [workspace.package] version in the root Cargo.toml.
// `node npm/version.mjs` prints it; `--stamp` writes it into every npm/*/package.json
// (npm versions move in lockstep with Cargo); `--check` exits 1 naming every package that disagrees.
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(npmDir);

export function cargoVersion() {
  const toml = readFileSync(join(root, "Cargo.toml"), "utf8");
  const section = toml.split(/^\[workspace\.package\]$/m)[1];
  const match = section && /^version\s*=\s*"([^"]+)"/m.exec(section.split(/^\[/m)[0]);
  if (!match) throw new Error("no [workspace.package] version in Cargo.toml");
  return match[1];
}

export function npmPackages() {
  return readdirSync(npmDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(npmDir, e.name, "package.json")))
    .map((e) => join(npmDir, e.name, "package.json"))
    .sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = cargoVersion();
  const mode = process.argv[2];
  if (mode === "--stamp") {
    for (const file of npmPackages()) {
      const text = readFileSync(file, "utf8");
      const next = text.replace(/^(  "version": )"[^"]*"/m, `$1"${version}"`);
      if (next !== text) writeFileSync(file, next);
    }
  } else if (mode === "--check") {
    const bad = npmPackages().filter((f) => JSON.parse(readFileSync(f, "utf8")).version !== version);
    for (const f of bad) console.error(`${f}: version differs from Cargo's ${version}`);
    process.exit(bad.length ? 1 : 0);
  }
  console.log(version);
}
