#!/usr/bin/env bash
# npm/pack.sh <outdir>: build the release binary and every npm package, stamp the
# one version (the workspace Cargo version) everywhere, and pack every npm
# package into <outdir>/*.tgz. `lunora init <dir> --packages <outdir>` uses them.
# Only the host's platform package gets a binary (the host build); with
# LUNORA_BINARIES=<dir> (npm/release.sh) every platform package gets <dir>/<key>/lunora[.exe].
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

# No binary from an earlier run may end up in a tarball of this one.
rm -f npm/cli-*/bin/lunora npm/cli-*/bin/lunora.exe

if [ -n "${LUNORA_BINARIES:-}" ]; then
  # npm/release.sh: every platform's binary, built and checked, in $LUNORA_BINARIES/<key>/.
  for dir in npm/cli-*/; do
    key="$(basename "$dir")"
    key="${key#cli-}"
    exe=lunora
    [ "${key#win32}" != "$key" ] && exe=lunora.exe
    if [ ! -f "$LUNORA_BINARIES/$key/$exe" ]; then
      echo "error: no $LUNORA_BINARIES/$key/$exe for @lunora/cli-$key" >&2
      exit 2
    fi
    mkdir -p "$dir/bin"
    cp "$LUNORA_BINARIES/$key/$exe" "$dir/bin/$exe"
    chmod +x "$dir/bin/$exe"
  done
else
  echo "==> cargo build --release -p lunora_cli"
  cargo build --release --locked -p lunora_cli

  # Only the host's platform package gets a binary here; npm/release.sh fills them all.
  host="$(node -e '
const { platform, arch } = process;
const libc = platform === "linux" ? (process.report.getReport().header.glibcVersionRuntime ? "gnu" : "musl") : null;
console.log(platform === "linux" ? `${platform}-${arch}-${libc}` : `${platform}-${arch}`);
')"
  exe=lunora
  [ "${host#win32}" != "$host" ] && exe=lunora.exe
  if [ ! -d "npm/cli-$host" ]; then
    echo "error: no npm/cli-$host package for this host" >&2
    exit 2
  fi
  mkdir -p "npm/cli-$host/bin"
  cp "${CARGO_TARGET_DIR:-target}/release/$exe" "npm/cli-$host/bin/$exe"
  chmod +x "npm/cli-$host/bin/$exe"
  built="$("npm/cli-$host/bin/$exe" --version)"
  if [ "$built" != "lunora $version" ]; then
    echo "error: the binary says '$built', expected 'lunora $version'" >&2
    exit 2
  fi
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
