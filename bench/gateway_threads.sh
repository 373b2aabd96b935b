#!/usr/bin/env bash
# Where one serve's CPU goes, thread by thread, under part 1's load of bench/gateway.sh (the
# same fast upstream, 50 connections, poisson pacing at a mean of 10 ms: about 4,800 requests/s).
# Prints each thread's CPU (utime + stime from /proc/PID/task/TID/stat, read before and after the
# load) per request served, and the whole process's; the serve log's last line (the prediction
# log's own counts).
# Usage: bench/gateway_threads.sh [BUILD_DIR]   (holding a `tunecase`; default build)
# Env: SECONDS_OF_LOAD (10), SERVE_SESSION (as in bench/gateway.sh), PERF_OUT (a file: the whole
# process is also recorded with `perf record -F 4000 --call-graph dwarf,16384` for 4 s from the
# load's third second; then `perf report -i FILE --children --tid TID` for one thread).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tunecase=$(cd "${1:-$here/../build}" && pwd)/tunecase
seconds=${SECONDS_OF_LOAD:-10}
wrk_pacing=poisson
work=$(mktemp -d /tmp/tunecase-gateway-threads.XXXXXX)
pids=()
source "$here/gateway_common.sh"
trap stop_gateways_and_upstream EXIT
start_upstream "$work/upstream"
"$tunecase" generate --out "$work/tickets.csv" --tickets 3000 >/dev/null
write_gateway_config "$work/gateway.toml" "$upstream"
port=$(free_port)
start_gateway "$tunecase" serve --config "$work/gateway.toml" --store "$work/serve.db" \
  --port "$port" --no-cache >"$work/serve.log" 2>&1
serve_pid=$started; pids+=($started)
wait_port "$port"
run_wrk classify "$port" 50 10 2 >/dev/null  # warm-up
snapshot() {  # tid comm cpu_ticks, one line per thread
  for t in "/proc/$serve_pid/task/"*; do
    echo "$(basename "$t") $(tr ' ' _ <"$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
  done | sort
}
snapshot >"$work/before"
if [ -n "${PERF_OUT:-}" ]; then
  ( sleep 3; perf record -F 4000 --call-graph dwarf,16384 -p "$serve_pid" -o "$PERF_OUT" \
      -- sleep 4 >/dev/null 2>&1 ) &
  perf_job=$!
fi
line=$(run_wrk classify "$port" 50 10 "$seconds")
snapshot >"$work/after"
[ -n "${PERF_OUT:-}" ] && wait "$perf_job"
requests=$(field "$line" requests)
echo "$requests requests in ${seconds}s (p50 $(field "$line" p50_us) us, p99 $(field "$line" p99_us) us)"
join "$work/before" "$work/after" | awk -v n="$requests" -v hz="$(getconf CLK_TCK)" '
  { d = $5 - $3; total += d; if (d > 0) printf "thread %-8s %-16s %6.1f us of CPU per request\n", $1, $2, d * 1e6 / hz / n }
  END { printf "whole process             %6.1f us of CPU per request (measured)\n", total * 1e6 / hz / n }'
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
tail -1 "$work/serve.log"
