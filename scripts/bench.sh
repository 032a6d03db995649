#!/usr/bin/env bash
# Whole-process benchmarks of the release `lunora` binary on the synthetic apps
# of crates/bench (issue 8). Usage: scripts/bench.sh [small|medium|large|all]
#
# Per size it prints one Markdown table row: the parse-only floor (a process
# that lists, reads and oxc-parses the same files; `lunora-bench parse`),
# measured interleaved with cold `lunora codegen` in the same run; CPU time
# (user + sys) of both and codegen's peak memory (max RSS), from GNU time;
# incremental regeneration after editing one function module and after
# editing the schema, two ways: in-process with the incremental engine of
# `codegen --watch` (`lunora-bench incremental`: `Incremental::update`), and
# as whole `lunora codegen` processes (no cache between processes: a full run
# after a one-file edit);
# and `lunora migrate generate` of the first migration. Times are medians in
# ms over BENCH_RUNS runs (default: 21 small, 11 medium, 7 large); ratios are
# to the floor. Every app must pass `lunora codegen` with zero diagnostics (checked).
# No assertion on times: CI runs the small size so it cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

which_sizes="${1:-all}"
case "$which_sizes" in
small | medium | large) sizes=("$which_sizes") ;;
all) sizes=(small medium large) ;;
*)
    echo "usage: scripts/bench.sh [small|medium|large|all]" >&2
    exit 2
    ;;
esac

cargo build --release --locked -q -p lunora_cli -p lunora_bench
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
lunora="$target_dir/release/lunora"
bench="$target_dir/release/lunora-bench"

# Peak memory needs GNU time; install it when missing (CI machines are bare).
if [ ! -x /usr/bin/time ]; then
    if command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq time) >/dev/null 2>&1 || true
    fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LUNORA_MIGRATION_TIMESTAMP=20260101000000

# Wall time of one command in ms (3 decimals), from bash's EPOCHREALTIME.
ms() {
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || {
        echo "bench: command failed: $*" >&2
        "$@" >&2 || true
        exit 1
    }
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

printf '| size | files | KiB on disk | parse-only floor ms | cold codegen ms | CPU ms floor / codegen | peak RSS MB | watch engine update ms, module / schema edit | process after module edit ms | process after schema edit ms | migrate generate ms |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for size in "${sizes[@]}"; do
    case "$size" in
    small) runs="${BENCH_RUNS:-21}" ;;
    medium) runs="${BENCH_RUNS:-11}" ;;
    large) runs="${BENCH_RUNS:-7}" ;;
    esac
    app="$work/$size"
    "$bench" gen "$size" "$app" >/dev/null
    files=$(find "$app/lunora" -name '*.ts' | wc -l)
    kib=$(du -sk "$app/lunora" | cut -f1)
    # Warm the page cache once, and check the app is clean: `lunora codegen`
    # must succeed with zero diagnostics (errors or warnings).
    "$bench" parse "$app" >/dev/null
    report="$("$lunora" codegen --root "$app" --format json 2>/dev/null)" || {
        echo "bench: lunora codegen failed on the $size app" >&2
        exit 1
    }
    if ! printf '%s' "$report" | tr -d ' \n' | grep -q '"diagnostics":\[\],"summary":{"errors":0,"warnings":0}'; then
        echo "bench: the $size app has diagnostics:" >&2
        printf '%s\n' "$report" >&2
        exit 1
    fi

    floor=() cold=() module=() schema=() migrate=()
    for ((i = 0; i < runs; i++)); do
        floor+=("$(ms "$bench" parse "$app")")
        rm -rf "$app/lunora/_generated"
        cold+=("$(ms "$lunora" codegen --root "$app")")
    done
    # CPU time (user + sys, all threads) and peak RSS from GNU time, in a
    # separate loop so its fork/wait does not skew the wall times above. Its
    # resolution is 10 ms: meaningful for medium and large only.
    fcpu=() ccpu=() rss_kb=0
    if [ -x /usr/bin/time ]; then
        for ((i = 0; i < runs; i++)); do
            fcpu+=("$(/usr/bin/time -f '%U %S' "$bench" parse "$app" 2>&1 >/dev/null | awk '{ printf "%.0f\n", ($1 + $2) * 1000 }')")
            rm -rf "$app/lunora/_generated"
            out=$(/usr/bin/time -f '%U %S %M' "$lunora" codegen --root "$app" 2>&1 >/dev/null | tail -1)
            ccpu+=("$(awk -v o="$out" 'BEGIN { split(o, a, " "); printf "%.0f\n", (a[1] + a[2]) * 1000 }')")
            kb=$(awk -v o="$out" 'BEGIN { split(o, a, " "); print a[3] }')
            if [ "$kb" -gt "$rss_kb" ]; then rss_kb=$kb; fi
        done
    fi
    for ((i = 0; i < runs; i++)); do
        rm -rf "$app/lunora/migrations"
        migrate+=("$(ms "$lunora" migrate generate init --root "$app")")
    done
    rm -rf "$app/lunora/migrations"
    for ((i = 0; i < runs; i++)); do
        "$bench" touch-module "$app"
        module+=("$(ms "$lunora" codegen --root "$app")")
        "$bench" touch-schema "$app"
        schema+=("$(ms "$lunora" codegen --root "$app")")
    done

    # The incremental engine of `codegen --watch`, in-process (what watch mode
    # and the language server do per change), on the same app.
    inc=$("$bench" incremental "$app" "$runs")
    inc_m=$(printf '%s' "$inc" | sed -n 's/.*module edit \([0-9.]*\) ms.*/\1/p')
    inc_s=$(printf '%s' "$inc" | sed -n 's/.*schema edit \([0-9.]*\) ms.*/\1/p')

    f=$(printf '%s\n' "${floor[@]}" | median)
    c=$(printf '%s\n' "${cold[@]}" | median)
    m=$(printf '%s\n' "${module[@]}" | median)
    s=$(printf '%s\n' "${schema[@]}" | median)
    g=$(printf '%s\n' "${migrate[@]}" | median)
    if [ "${#ccpu[@]}" -gt 0 ]; then
        fc=$(printf '%s\n' "${fcpu[@]}" | median)
        cc=$(printf '%s\n' "${ccpu[@]}" | median)
        cpu="$fc / $cc ($(ratio "$cc" "$fc"))"
        rss=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
    else
        cpu="n/a" rss="n/a"
    fi
    printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s / %s | %s (%s) | %s (%s) | %s (%s) |\n' \
        "$size" "$files" "$kib" "$f" "$c" "$(ratio "$c" "$f")" "$cpu" "$rss" "$inc_m" "$inc_s" \
        "$m" "$(ratio "$m" "$f")" "$s" "$(ratio "$s" "$f")" "$g" "$(ratio "$g" "$f")"
done
echo "(medians of ${BENCH_RUNS:-21/11/7 (small/medium/large)} runs; $(nproc) CPUs; ratios to the parse-only floor)"
