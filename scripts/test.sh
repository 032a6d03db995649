#!/usr/bin/env bash
# Runs every test of the repository. This is the README's test command and what
# CI (.ci/run) runs. It first installs what the machine lacks (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/setup.sh
lunora_setup rust pnpm insta chromium

step() { printf '\n==> %s\n' "$*"; }

# No test may change a tracked file (regenerated code, snapshots, lockfiles, stamped versions):
# the tree's status now is compared with its status at the end.
tree_before="$(git status --porcelain 2>/dev/null || true)"

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (rustdoc warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "cargo test (insta, orphan snapshots rejected)"
cargo build --locked -p lunora_cli
cargo insta test --workspace --unreferenced reject --check

step "fuzz targets compile (their own workspace; fuzzing itself: fuzz/README.md)"
cargo check --locked --quiet --manifest-path fuzz/Cargo.toml

step "benchmark harness, small size (runs, no timing assertions)"
scripts/bench.sh small
cargo bench --locked -q -p lunora_bench --bench stages -- --test small

step "npm packages: install, build, type-check and test"
pnpm install --frozen-lockfile
pnpm run build
pnpm run test

step "release build, one cross target: linux-x64-musl built by zig, run natively (npm/release.sh)"
bash npm/release.sh .scratch/release/ci linux-x64-musl

step "the tests changed no tracked file"
tree_after="$(git status --porcelain 2>/dev/null || true)"
if [ "$tree_before" != "$tree_after" ]; then
  echo "error: the test run changed the working tree:" >&2
  diff <(printf '%s\n' "$tree_before") <(printf '%s\n' "$tree_after") >&2 || true
  git --no-pager diff --stat >&2 || true
  exit 1
fi
