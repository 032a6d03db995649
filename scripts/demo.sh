#!/usr/bin/env bash
# The main job: the chat tutorial (../shared/spec/chat-tutorial.md) on this
# machine, with the npm packages packed from this clone instead of the registry.
#
#   bash scripts/demo.sh               scaffold .scratch/demo-chat and run `pnpm dev`:
#                                      the chat stays open at http://localhost:5173
#                                      (/?channel=general, /?channel=random ...) until Ctrl-C
#   bash scripts/demo.sh --setup-only [DIR]
#                                      scaffold only (non-interactive; the browser
#                                      end-to-end test uses this), default DIR .scratch/demo-chat
#
# Steps, as in the tutorial: pack the packages (npm/pack.sh), `lunora init
# --packages`, replace lunora/schema.ts, lunora/messages.ts and
# src/client/Chat.tsx with the tutorial's code (fixtures/valid/chat holds it
# verbatim), `pnpm install`, `pnpm lunora migrate generate init`, `pnpm dev`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
source scripts/env.sh
source scripts/setup.sh
lunora_setup pnpm

serve=1
if [ "${1:-}" = "--setup-only" ]; then
  serve=0
  shift
fi
app="${1:-.scratch/demo-chat}"
packs="${LUNORA_PACKS:-.scratch/packs}"

echo "==> npm/pack.sh $packs"
bash npm/pack.sh "$packs" >/dev/null

echo "==> lunora init $app --packages $packs"
rm -rf "$app"
mkdir -p "$(dirname "$app")"
npm/cli-linux-x64-gnu/bin/lunora init "$app" --packages "$packs"
app="$(cd "$app" && pwd)"

echo "==> the tutorial's schema, queries/mutations and Chat panel"
cp fixtures/valid/chat/lunora/schema.ts "$app/lunora/schema.ts"
cp fixtures/valid/chat/lunora/messages.ts "$app/lunora/messages.ts"
cp fixtures/valid/chat/src/client/Chat.tsx "$app/src/client/Chat.tsx"

cd "$app"
echo "==> pnpm install"
pnpm install --ignore-workspace --reporter=append-only --config.confirmModulesPurge=false </dev/null
echo "==> pnpm lunora migrate generate init"
pnpm --silent lunora migrate generate init

if [ "$serve" = 0 ]; then
  echo "scaffolded $app"
  exit 0
fi
echo "==> pnpm dev  (open http://localhost:5173/?channel=general in two tabs; Ctrl-C stops)"
exec pnpm dev
