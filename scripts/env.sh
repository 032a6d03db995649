# Sourced by scripts: keep wrangler, miniflare and Chromium quiet, offline and
# out of the home directory.
LUNORA_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LUNORA_REPO
export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$LUNORA_REPO/.scratch/xdg-config"
export XDG_CACHE_HOME="$LUNORA_REPO/.scratch/xdg-cache"
export WRANGLER_LOG_PATH="$LUNORA_REPO/.scratch/wrangler-logs"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$WRANGLER_LOG_PATH"
