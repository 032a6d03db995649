# Sourced by scripts/test.sh, scripts/demo.sh, npm/release.sh and .ci/run:
# `lunora_setup WHAT...` installs what this machine lacks, at pinned versions, so the
# README's commands work on a fresh machine (Rust 1.95 and Node 20 are the only
# prerequisites). Every step checks first: with everything present it takes well
# under a second.
#
#   rust       rustfmt and clippy
#   pnpm       pnpm (npm i -g)
#   insta      cargo-insta
#   chromium   Debian's chromium (the browser end-to-end test)
#   zig        zig and cargo-zigbuild from PyPI: the linker of every cross target
#   targets    `rustup target add` for the TRIPLES in $LUNORA_SETUP_TARGETS
#   qemu       qemu-user-static and arm64 glibc (runs the Linux arm64 builds)
#   wine       wine64 (runs the Windows x64 build)
#   rcodesign  apple-codesign's rcodesign (ad-hoc signs and verifies the macOS builds)

LUNORA_PNPM_VERSION=10.34.9
LUNORA_INSTA_VERSION=1.49.0
LUNORA_ZIG_VERSION=0.15.2
LUNORA_ZIGBUILD_VERSION=0.24.1
LUNORA_RCODESIGN_VERSION=0.29.0

_lunora_note() { printf '==> setup: %s\n' "$*" >&2; }

_lunora_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

# Debian packages not installed yet, installed with one `apt-get update` per shell.
_lunora_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  _lunora_note "apt-get install ${missing[*]}"
  if [ -z "${_LUNORA_APT_UPDATED:-}" ]; then
    _lunora_root apt-get update -qq
    _LUNORA_APT_UPDATED=1
  fi
  _lunora_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

_lunora_pip() {
  _lunora_note "pip install $*"
  python3 -m pip install -q --disable-pip-version-check "$@" 2>/dev/null ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages "$@"
}

lunora_setup() {
  local what
  for what in "$@"; do
    case "$what" in
      rust)
        if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
          _lunora_note "rustup component add rustfmt clippy"
          rustup component add rustfmt clippy >/dev/null
        fi
        ;;
      pnpm)
        if ! command -v pnpm >/dev/null 2>&1; then
          _lunora_note "npm install -g pnpm@$LUNORA_PNPM_VERSION"
          npm install -g --silent "pnpm@$LUNORA_PNPM_VERSION"
        fi
        ;;
      insta)
        if ! command -v cargo-insta >/dev/null 2>&1; then
          _lunora_note "cargo install cargo-insta $LUNORA_INSTA_VERSION"
          cargo install -q cargo-insta --locked --version "$LUNORA_INSTA_VERSION"
        fi
        ;;
      chromium)
        command -v chromium >/dev/null 2>&1 || _lunora_apt chromium ||
          _lunora_note "warning: chromium could not be installed; the browser test will fail"
        ;;
      zig)
        if [ "$(python3 -m ziglang version 2>/dev/null)" != "$LUNORA_ZIG_VERSION" ] ||
          [ "$(cargo-zigbuild --version 2>/dev/null)" != "cargo-zigbuild $LUNORA_ZIGBUILD_VERSION" ]; then
          _lunora_pip "ziglang==$LUNORA_ZIG_VERSION" "cargo-zigbuild==$LUNORA_ZIGBUILD_VERSION"
          hash -r
        fi
        ;;
      targets)
        local installed triple missing=()
        installed="$(rustup target list --installed)"
        for triple in ${LUNORA_SETUP_TARGETS:-}; do
          grep -qx "$triple" <<<"$installed" || missing+=("$triple")
        done
        if [ ${#missing[@]} -gt 0 ]; then
          _lunora_note "rustup target add ${missing[*]}"
          rustup target add "${missing[@]}" >/dev/null
        fi
        ;;
      qemu)
        _lunora_apt qemu-user-static libc6-arm64-cross
        ;;
      wine)
        _lunora_apt wine64
        ;;
      rcodesign)
        if [ "$(rcodesign --version 2>/dev/null)" != "rcodesign $LUNORA_RCODESIGN_VERSION" ]; then
          # Without the default `notarize` feature (an AWS and App Store Connect client).
          _lunora_note "cargo install apple-codesign $LUNORA_RCODESIGN_VERSION (a few minutes, once)"
          cargo install -q apple-codesign --locked --no-default-features --version "$LUNORA_RCODESIGN_VERSION"
        fi
        ;;
      *)
        echo "lunora_setup: unknown component '$what'" >&2
        return 2
        ;;
    esac
  done
}
