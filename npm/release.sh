#!/usr/bin/env bash
# npm/release.sh <outdir> [platform...]: the release build. Cross-builds the `lunora`
# binary for every platform package from one Linux x86_64 machine, checks each binary
# (runs it where this machine can: natively, under qemu-user or under wine; otherwise
# checks its headers), then packs every npm package into <outdir>/*.tgz with
# npm/pack.sh — the tarballs `lunora init --packages <outdir>` takes.
#
# With platforms named (e.g. `npm/release.sh .scratch/r linux-x64-musl`), only those are
# built and checked, and nothing is packed (CI does that with one cross target).
#
# Installs what it lacks through scripts/setup.sh: Rust targets, zig + cargo-zigbuild
# (PyPI), qemu-user-static, wine64 (and rcodesign, should a macOS binary need signing).
# Every binary is linked by zig (cargo-zigbuild): glibc builds against glibc 2.17, musl
# builds static, macOS builds without Apple's SDK (crates/engine/Cargo.toml and crates/cli/Cargo.toml say how).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: npm/release.sh <outdir> [platform...]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
shift
cd "$root"
source scripts/env.sh
source scripts/setup.sh

# platform key -> Rust target (zig's glibc version after the dot)
declare -A TARGET=(
  [linux-x64-gnu]=x86_64-unknown-linux-gnu.2.17
  [linux-x64-musl]=x86_64-unknown-linux-musl
  [linux-arm64-gnu]=aarch64-unknown-linux-gnu.2.17
  [linux-arm64-musl]=aarch64-unknown-linux-musl
  [darwin-x64]=x86_64-apple-darwin
  [darwin-arm64]=aarch64-apple-darwin
  [win32-x64]=x86_64-pc-windows-gnu
)
ALL=(linux-x64-gnu linux-x64-musl linux-arm64-gnu linux-arm64-musl win32-x64 darwin-x64 darwin-arm64)

platforms=("$@")
[ ${#platforms[@]} -eq 0 ] && platforms=("${ALL[@]}")
for key in "${platforms[@]}"; do
  if [ -z "${TARGET[$key]:-}" ]; then
    echo "error: unknown platform '$key' (known: ${ALL[*]})" >&2
    exit 2
  fi
done
pack=0
[ ${#platforms[@]} -eq ${#ALL[@]} ] && pack=1

# How this machine runs a platform's binary ("" natively), or "-" when it cannot.
runner() {
  case "$1" in
    linux-x64-*) echo "" ;;
    linux-arm64-gnu) echo "qemu-aarch64-static -L /usr/aarch64-linux-gnu" ;;
    linux-arm64-musl) echo "qemu-aarch64-static" ;;
    win32-x64) echo "wine" ;;
    *) echo "-" ;;
  esac
}

triples=""
need=(pnpm zig targets)
for key in "${platforms[@]}"; do
  triples+=" ${TARGET[$key]%%.*}"
  case "$key" in
    linux-arm64-*) need+=(qemu) ;;
    win32-x64) need+=(wine) ;;
  esac
done
LUNORA_SETUP_TARGETS="$triples" lunora_setup $(printf '%s\n' "${need[@]}" | sort -u)

# wine: a prefix in the scratch folder, no Mono/Gecko prompts, no debug noise.
export WINEPREFIX="$root/.scratch/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Debian's wine 8.0 has no bcryptprimitives.dll (Windows 10+ does; Rust's std imports ProcessPrng
# from it): the prefix gets a stand-in built by zig (npm/wine/bcryptprimitives.c), for the check only.
wine_prefix() {
  local dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  [ -f "$dll" ] && return 0
  wineboot --init >/dev/null 2>&1 || true
  wineserver -w 2>/dev/null || true
  python3 -m ziglang cc -target x86_64-windows-gnu -shared -O2 -o "$dll" npm/wine/bcryptprimitives.c -ladvapi32
}

version="$(node npm/version.mjs --stamp)"
echo "==> lunora $version: ${platforms[*]}"
# Binaries and check output beside <outdir>, one folder per outdir (runs may overlap).
stage="$root/.scratch/release-$(basename "$outdir")/bin"
work="$root/.scratch/release-$(basename "$outdir")/work"
rm -rf "$stage" "$work"
mkdir -p "$stage" "$work"
started=$(date +%s)

# All targets in one cargo run: one job graph keeps both cores busy and builds the
# build scripts and proc macros once. --keep-going: a target that fails to build is
# reported below and does not stop the others.
target_args=()
for key in "${platforms[@]}"; do
  target_args+=(--target "${TARGET[$key]}")
done
echo
echo "==> cargo zigbuild --release ${target_args[*]}"
t0=$(date +%s)
cargo zigbuild --release --locked --keep-going -p lunora_cli "${target_args[@]}" \
  --message-format=json-render-diagnostics >"$work/cargo.json" || true
build_seconds=$(($(date +%s) - t0))
built() {
  grep -o '"executable":"[^"]*"' "$work/cargo.json" | cut -d'"' -f4 | grep "/$1/release/$2\$" || true
}

# The reference output: codegen of the chat fixture by a build for this machine, the
# linux-x64-gnu release binary when it is among the platforms (it is a host build,
# linked by zig), else $LUNORA_RELEASE_REFERENCE (a lunora binary), else the plain host build.
reference="$(built x86_64-unknown-linux-gnu lunora)"
[ -z "$reference" ] && reference="${LUNORA_RELEASE_REFERENCE:-}"
if [ -z "$reference" ]; then
  echo "==> host build (the reference output)"
  cargo build --release --locked -p lunora_cli
  reference="${CARGO_TARGET_DIR:-target}/release/lunora"
fi
cp -r fixtures/valid/chat "$work/reference"
rm -rf "$work/reference/lunora/_generated"
"$reference" codegen --root "$work/reference" >/dev/null
host="${CARGO_TARGET_DIR:-target}/release/lunora"
if [ "$reference" != "$host" ] && [ -x "$host" ]; then
  # A plain host build from npm/pack.sh is at hand: it must agree with the zig-linked one.
  cp -r fixtures/valid/chat "$work/host"
  rm -rf "$work/host/lunora/_generated"
  "$host" codegen --root "$work/host" >/dev/null
  diff -r "$work/reference" "$work/host"
fi

summary=()
failed=0
for key in "${platforms[@]}"; do
  triple="${TARGET[$key]%%.*}"
  exe=lunora
  [ "${key#win32}" != "$key" ] && exe=lunora.exe
  echo
  echo "==> $key ($triple)"
  # The binary this run built (a failed target's old binary must not pass).
  binary="$(built "$triple" "$exe")"
  if [ -z "$binary" ]; then
    summary+=("$(printf '%-17s FAILED: did not build (see the cargo output above)' "$key")")
    failed=1
    continue
  fi
  mkdir -p "$stage/$key"
  bin="$stage/$key/$exe"
  cp "$binary" "$bin"

  problems=""
  if [ "${key#darwin}" != "$key" ] && ! node npm/check-binary.mjs "$key" "$bin" >/dev/null 2>&1; then
    # macOS runs no unsigned arm64 code. zig's linker signs ad hoc (no certificate), as
    # Apple's does; should a binary come out unsigned or stale, rcodesign signs it.
    lunora_setup rcodesign
    rcodesign sign "$bin" >/dev/null
  fi
  max_glibc=""
  [ "${key%-gnu}" != "$key" ] && max_glibc=2.17
  facts="$(LUNORA_MAX_GLIBC="$max_glibc" node npm/check-binary.mjs "$key" "$bin")" || problems+=" headers"
  echo "$facts"

  run="$(runner "$key")"
  if [ "$run" = "-" ]; then
    ran="built, not run (headers checked)"
  else
    [ "$key" = win32-x64 ] && { wine_prefix || problems+=" wine prefix"; }
    # --version, then codegen of the chat fixture, byte-identical to the host build's.
    said="$($run "$bin" --version | tr -d '\r')" || true
    [ "$said" = "lunora $version" ] || problems+=" --version said '$said'"
    app="$work/$key"
    cp -r fixtures/valid/chat "$app"
    rm -rf "$app/lunora/_generated"
    (cd "$app" && $run "$bin" codegen >/dev/null) || problems+=" codegen failed"
    diff -r "$work/reference" "$app" >"$work/$key.diff" 2>&1 || problems+=" codegen output differs ($work/$key.diff)"
    ran="ran ${run:-natively}: --version, codegen identical"
  fi
  size=$(stat -c %s "$bin")
  line="$(printf '%-17s %5.1f MiB  %s' "$key" "$(awk "BEGIN { print $size / 1048576 }")" "$ran")"
  if [ -n "$problems" ]; then
    line+="  FAILED:$problems"
    failed=1
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "==> release of ${#platforms[@]} platforms: ${build_seconds}s cross build, $(($(date +%s) - started))s in all"
printf '%s\n' "${summary[@]}"
if [ "$failed" = 1 ]; then
  echo "error: a binary failed its checks; nothing packed" >&2
  exit 1
fi
if [ "$pack" = 1 ]; then
  echo
  LUNORA_BINARIES="$stage" bash npm/pack.sh "$outdir"
else
  echo "(some platforms only: checked, not packed)"
fi
