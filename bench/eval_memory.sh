#!/usr/bin/env bash
# Peak memory (max RSS) of `tunecase eval` with the local approaches on ROWS synthetic tickets.
# Usage: bench/eval_memory.sh [BUILD_DIR] [ROWS]     (defaults: build, 100000)
# Floor (issue 2): under 500 MB for 100,000 rows.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rows=${2:-100000}
bin="$build/tunecase"
[ -x "$bin" ] || { echo "build $bin first: cmake --build $build -j2 --target tunecase" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" generate --tickets "$rows" --out "$work/tickets.csv" >/dev/null
/usr/bin/time -v "$bin" eval --quiet --data "$work/tickets.csv" --label category \
  --out "$work/out" 2>"$work/time.txt" >"$work/table.txt"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
cat "$work/table.txt"
echo "rows=$rows max_rss_mb=$((rss_kb / 1024)) wall=$wall"
