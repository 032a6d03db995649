#!/usr/bin/env bash
# The main job: build `lunora`, copy the chat tutorial app (fixtures/valid/chat)
# to .scratch/demo-chat, run codegen and generate its first D1 migration, and
# show what was written.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p lunora_cli
lunora=target/release/lunora
app=.scratch/demo-chat
rm -rf "$app"
mkdir -p .scratch
cp -r fixtures/valid/chat "$app"
"$lunora" codegen --root "$app"
"$lunora" migrate generate init --root "$app"
echo
echo "Files written under $app/lunora:"
(cd "$app" && find lunora -type f | sort)
echo
cat "$app"/lunora/migrations/*.sql
