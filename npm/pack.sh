#!/usr/bin/env bash
# npm/pack.sh <outdir>: build the release binary and every npm package, stamp the
# one version (the workspace Cargo version) everywhere, and pack every npm
# package into <outdir>/*.tgz. `lunora init <dir> --packages <outdir>` uses them.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: npm/pack.sh <outdir>" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
cd "$root"

version="$(node npm/version.mjs --stamp)"
echo "==> lunora $version"

echo "==> cargo build --release -p lunora_cli"
cargo build --release --locked -p lunora_cli

# Only the host's platform package gets a binary here; a release pipeline fills the others.
host="$(node -e '
const { platform, arch } = process;
const libc = platform === "linux" ? (process.report.getReport().header.glibcVersionRuntime ? "gnu" : "musl") : null;
console.log(platform === "linux" ? `${platform}-${arch}-${libc}` : platform === "win32" ? `${platform}-${arch}-msvc` : `${platform}-${arch}`);
')"
exe=lunora
[ "${host#win32}" != "$host" ] && exe=lunora.exe
if [ ! -d "npm/cli-$host" ]; then
  echo "error: no npm/cli-$host package for this host" >&2
  exit 2
fi
mkdir -p "npm/cli-$host/bin"
cp "target/release/$exe" "npm/cli-$host/bin/$exe"
chmod +x "npm/cli-$host/bin/$exe"
built="$("npm/cli-$host/bin/$exe" --version)"
if [ "$built" != "lunora $version" ]; then
  echo "error: the binary says '$built', expected 'lunora $version'" >&2
  exit 2
fi

echo "==> pnpm build (npm/*)"
pnpm install --frozen-lockfile --silent
pnpm -r --filter './npm/*' run build

echo "==> pnpm pack -> $outdir"
rm -f "$outdir"/*.tgz
for pkg in npm/*/; do
  [ -f "$pkg/package.json" ] || continue
  (cd "$pkg" && pnpm pack --pack-destination "$outdir" >/dev/null)
done
ls -1 "$outdir"
