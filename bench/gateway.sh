#!/usr/bin/env bash
# The gateway's benchmarks (docs/benchmarks.md "Gateway"), every figure measured in the same run:
#   1. overhead at ~5,000 requests/s in front of a fixed fast upstream (an nginx location that
#      answers a fixed Chat Completions body), against nginx proxy_pass in front of the same
#      upstream: "added" latency = end-to-end minus going to the upstream directly, in the same
#      round; the three paths take turns in short rounds and the medians over rounds are compared;
#   2. a local approach (linear) at full load: classifications per second, every one logged;
#   3. 1,000 upstream requests in flight (sim-llm holding each answer 2 s): the gateway's memory.
# Usage: bench/gateway.sh [BUILD_DIR]   (needs nginx and wrk: scripts/install-deps installs them)
# Env: ROUNDS (7) and SECONDS_PER_ROUND (4): part 1's rounds, each path once per round;
#      SECONDS_PER_RUN (default 15: part 2's length), CONNECTIONS (50), DELAY_MS (10: 50 x 1/10ms
#      = ~5,000/s), PACING (part 1's load, run once for each named: "poisson fixed" by default;
#      poisson: each connection waits a random time, exponential with mean DELAY_MS, after each
#      answer, so requests arrive independently; fixed: exactly DELAY_MS, which keeps the
#      connections in step so that their requests arrive in bursts of all of them),
#      HELD_SECONDS (30: part 3's length), PARTS (123: which parts to run),
#      SERVE_THREADS (serve's --threads in every part; unset: serve's default, twice the
#      hardware threads),
#      ROUNDS_FILE (a file: part 1's rounds are appended to it, each line naming its pacing and
#      its sitting, for bench/gateway_pool.sh to pool over many sittings),
#      ALSO (a folder holding another `tunecase`, e.g. a temporary build or a script that
#      `exec`s one with a variable set: part 1 then runs it as a fourth path, "also", in every
#      round, with a store of its own, and prints its added latency and CPU beside serve's),
#      SERVE_SESSION (own, the default: each serve starts in a session of its own, as nginx
#      does, so neither shares a scheduling group with wrk; shared: in the script's session,
#      as before 2026-12-04 16:00 UTC; bench/gateway_common.sh, start_gateway).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
tunecase="$build/tunecase"
duration=${SECONDS_PER_RUN:-15}
connections=${CONNECTIONS:-50}
delay_ms=${DELAY_MS:-10}
work=$(mktemp -d /tmp/tunecase-gateway-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for pidfile in "$work/nginx/nginx.pid" "$work/upstream/nginx.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

source "$here/gateway_common.sh"
for wrk_pacing in ${PACING:-poisson fixed}; do check_pacing "$wrk_pacing"; done

upstream=$(free_port); proxy=$(free_port); gateway=$(free_port); also_port=$(free_port)
also=${ALSO:+$(cd "$ALSO" && pwd)/tunecase}
body=$chat_body
# Two nginx instances: the upstream in processes of its own, as a real upstream is, and the
# proxy with 2 workers. (One instance serving both would let a proxy worker answer its own
# upstream request without waking another process, a shortcut serve cannot take.)
# UPSTREAM=shared puts both in one instance, as runs before 2026-12-01 did.
mkdir -p "$work/nginx" "$work/upstream"
upstream_server="server {
    listen 127.0.0.1:$upstream;
    location / { default_type application/json; return 200 '$body'; }
  }"
proxy_server="upstream fast { server 127.0.0.1:$upstream; keepalive 256; }
  server {
    listen 127.0.0.1:$proxy;
    access_log $work/nginx/proxy.log combined buffer=64k;  # every request logged, as serve does
    location / {
      proxy_pass http://fast;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
nginx_conf() {  # folder, workers, servers
  cat <<CONF
worker_processes $2;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 8192; }
http {
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  access_log off;
  $3
}
CONF
}
if [ "${UPSTREAM:-separate}" = shared ]; then
  nginx_conf "$work/nginx" 2 "$upstream_server
  $proxy_server" >"$work/nginx.conf"
else
  nginx_conf "$work/upstream" 1 "$upstream_server" >"$work/upstream.conf"
  nginx -c "$work/upstream.conf" -p "$work/upstream"
  nginx_conf "$work/nginx" 2 "$proxy_server" >"$work/nginx.conf"
fi
nginx -c "$work/nginx.conf" -p "$work/nginx"
wait_port "$upstream"; wait_port "$proxy"

# A labelled dataset and a trained linear model for part 2 (its labels are the label set).
"$tunecase" generate --out "$work/tickets.csv" --tickets 3000 >/dev/null
write_gateway_config "$work/gateway.toml" "$upstream"
cat >"$work/linear.toml" <<CONF
$data_toml
[[approach]]
name = "local-linear"
kind = "linear"
CONF
"$tunecase" eval --config "$work/linear.toml" --out "$work/eval" >/dev/null

want() { [[ "${PARTS:-123}" == *"$1"* ]]; }

if want 1; then
rounds=${ROUNDS:-7}
round_s=${SECONDS_PER_ROUND:-4}
# Part 1 once per pacing (a fresh serve and store each time).
sitting=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for wrk_pacing in ${PACING:-poisson fixed}; do
rm -f "$work"/gateway.db*
echo "== 1. overhead at ~$((connections * 1000 / delay_ms)) requests/s ($connections connections, $wrk_pacing pacing; $rounds rounds of ${round_s}s per path, the paths taking turns)"
start_gateway "$tunecase" serve --config "$work/gateway.toml" --store "$work/gateway.db" --port "$gateway" \
  --no-cache ${SERVE_THREADS:+--threads "$SERVE_THREADS"} >"$work/serve.log" 2>&1
pids+=($started); serve_pid=$started
wait_port "$gateway"
paths="direct nginx serve"
if [ -n "$also" ]; then
  rm -f "$work"/also.db*
  start_gateway "$also" serve --config "$work/gateway.toml" --store "$work/also.db" --port "$also_port" \
    --no-cache ${SERVE_THREADS:+--threads "$SERVE_THREADS"} >"$work/also.log" 2>&1
  pids+=($started); also_pid=$started
  wait_port "$also_port"
  run_wrk classify "$also_port" "$connections" "$delay_ms" 3 >/dev/null
  paths+=" also"
fi
run_wrk chat "$upstream" "$connections" "$delay_ms" 3 >/dev/null  # warm-up
run_wrk chat "$proxy" "$connections" "$delay_ms" 3 >/dev/null
warm=$(run_wrk classify "$gateway" "$connections" "$delay_ms" 3)
# CPU time (utime + stime, in clock ticks) of processes, read around each run: the nginx
# workers serve both the upstream and the proxy, so the proxy's share is their time in the nginx
# runs minus their time in the direct runs, per request.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
# The workers of both instances: with UPSTREAM=shared they are the same.
nginx_workers=$(ps -o pid=,ppid= -e | awk -v a="$(cat "$work/nginx/nginx.pid")" \
  -v b="$(cat "$work/upstream/nginx.pid" 2>/dev/null)" '$2 == a || $2 == b {print $1}')
# Per thread too: serve's event loops and its log writer are told apart by how busy they are.
thread_ticks() { for t in /proc/"$serve_pid"/task/*; do echo "$(basename "$t") $(awk '{print $14 + $15}' "$t/stat")"; done; }
# The paths take turns in short rounds, each round in another order, so that a slow spell of
# the machine (this VM's latencies drift by a third from minute to minute) falls on all of them
# alike; "added" is computed within a round, against that round's direct run.
declare -A ticks=([direct]=0 [nginx]=0 [serve]=0 [also]=0) served=([direct]=0 [nginx]=0 [serve]=0 [also]=0)
: >"$work/rounds"
thread_ticks >"$work/threads.0"
for r in $(seq 1 "$rounds"); do
  line="round=$r"
  # Each round starts one path further on: every path takes every place in turn.
  read -ra order <<<"$paths"
  shift_by=$(((r - 1) % ${#order[@]}))
  for path in "${order[@]:shift_by}" "${order[@]:0:shift_by}"; do
    procs=$nginx_workers; port=$upstream; kind=chat
    [ "$path" = nginx ] && port=$proxy
    [ "$path" = serve ] && { procs=$serve_pid; port=$gateway; kind=classify; }
    [ "$path" = also ] && { procs=$also_pid; port=$also_port; kind=classify; }
    t0=$(cpu_ticks $procs)
    result=$(run_wrk "$kind" "$port" "$connections" "$delay_ms" "$round_s")
    t1=$(cpu_ticks $procs)
    n=$(field "$result" requests)
    ticks[$path]=$((ticks[$path] + t1 - t0)); served[$path]=$((served[$path] + n))
    line+=" ${path}_p50=$(field "$result" p50_us) ${path}_p99=$(field "$result" p99_us) ${path}_rps=$(awk -v n="$n" -v s="$(field "$result" seconds)" 'BEGIN { printf "%.0f", n / s }') ${path}_errors=$(( $(field "$result" errors) + $(field "$result" non2xx) ))"
  done
  echo "$line" >>"$work/rounds"
  if [ -n "${ROUNDS_FILE:-}" ]; then echo "$line pacing=$wrk_pacing sitting=$sitting" >>"$ROUNDS_FILE"; fi
done
thread_ticks >"$work/threads.1"
join "$work/threads.0" "$work/threads.1" | awk -v n="${served[serve]}" -v hz="$(getconf CLK_TCK)" \
  '$3 > $2 { printf "%s%.0f", (k++ ? ", " : "serve threads over the whole part, us of CPU per request it served (busiest are the event loops and the log writer): "), ($3 - $2) * 1e6 / hz / n } END { print "" }'
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
[ -n "$also" ] && { kill "$also_pid"; wait "$also_pid" 2>/dev/null || true; }
logged=$("$tunecase" pilot --config "$work/gateway.toml" --store "$work/gateway.db" --json "$work/pilot.json" >/dev/null && \
  sed -n 's/.*"requests": \([0-9]*\).*/\1/p' "$work/pilot.json" | head -1)
awk -v also_dir="${ALSO:-}" -v logged="$logged" -v served="$((served[serve] + $(field "$warm" requests)))" -v hz="$(getconf CLK_TCK)" \
  -v dt="${ticks[direct]}" -v dn="${served[direct]}" -v nt="${ticks[nginx]}" -v nn="${served[nginx]}" \
  -v st="${ticks[serve]}" -v sn="${served[serve]}" -v at="${ticks[also]}" -v an="${served[also]}" "$(cat "$here/gateway_stats.awk")"'
  function v(key,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] + 0 } return -1 }
  BEGIN { printf "%-6s %-17s %-17s %-17s %-15s %-15s %s\n", "round", "direct p50/p99", "nginx p50/p99", "serve p50/p99", "nginx added", "serve added", "req/s d/n/s" }
  {
    r = NR; dp50 = v("direct_p50") / 1000; dp99 = v("direct_p99") / 1000
    n50[r] = v("nginx_p50") / 1000 - dp50; n99[r] = v("nginx_p99") / 1000 - dp99
    s50[r] = v("serve_p50") / 1000 - dp50; s99[r] = v("serve_p99") / 1000 - dp99
    errors += v("direct_errors") + v("nginx_errors") + v("serve_errors") + (an ? v("also_errors") : 0)
    if (an) { x50[r] = v("also_p50") / 1000 - dp50; x99[r] = v("also_p99") / 1000 - dp99 }
    met50 += (s50[r] <= n50[r] + 0.1); met99 += (s99[r] <= 1.5 * n99[r])
    printf "%-6d %7.3f/%-9.3f %7.3f/%-9.3f %7.3f/%-9.3f %6.3f/%-8.3f %6.3f/%-8.3f %d/%d/%d", r, dp50, dp99, v("nginx_p50") / 1000, v("nginx_p99") / 1000, v("serve_p50") / 1000, v("serve_p99") / 1000, n50[r], n99[r], s50[r], s99[r], v("direct_rps"), v("nginx_rps"), v("serve_rps")
    printf (an ? sprintf("   also added %.3f/%.3f\n", x50[r], x99[r]) : "\n")
  }
  END {
    a50 = median(s50, NR); a99 = median(s99, NR); b50 = median(n50, NR); b99 = median(n99, NR)
    printf "median added over %d rounds (ms): nginx p50 %.3f, p99 %.3f; serve p50 %.3f, p99 %.3f\n", NR, b50, b99, a50, a99
    printf "errors (socket + non-2xx) over all runs: %d; predictions in the store: %s (the %d served in the rounds and the warm-up)\n", errors, logged, served
    printf "floor added p50 <= nginx + 0.1 ms: %.3f <= %.3f: %s (met in %d of %d rounds)\n", a50, b50 + 0.1, (a50 <= b50 + 0.1 ? "met" : "NOT met"), met50, NR
    printf "floor added p99 <= 1.5 x nginx:    %.3f <= %.3f (ratio %.2f): %s (met in %d of %d rounds)\n", a99, 1.5 * b99, (b99 > 0 ? a99 / b99 : 0), (a99 <= 1.5 * b99 ? "met" : "NOT met"), met99, NR
    first[1] = 1; count[1] = NR; ratio_interval(s99, n99, first, count, 1)
    printf "  the p99 ratio'"'"'s 90%% bootstrap interval over the rounds: %.2f-%.2f: %s (one sitting rarely settles it: bench/gateway_pool.sh)\n", lo, hi, floor_verdict(lo, hi)
    us = 1e6 / hz
    proxy_us = (nt / nn - dt / dn) * us; serve_us = st * us / sn
    printf "CPU per proxied request (measured, whole process, clock ticks of %.0f us): nginx proxy %.0f us, serve %.0f us (%.1fx nginx)\n", us, proxy_us, serve_us, (proxy_us > 0 ? serve_us / proxy_us : 0)
    if (an) {
      c50 = median(x50, NR); c99 = median(x99, NR); also_us = at * us / an
      ratio_interval(x99, n99, first, count, 1)
      printf "also (ALSO=%s): median added p50 %.3f, p99 %.3f (ratio to nginx %.2f, interval %.2f-%.2f); CPU per request %.0f us (%.1fx nginx)\n", also_dir, c50, c99, (b99 > 0 ? c99 / b99 : 0), lo, hi, also_us, (proxy_us > 0 ? also_us / proxy_us : 0)
    }
  }' "$work/rounds"
done
unset wrk_pacing

fi

if want 2; then
echo "== 2. local linear model at full load (64 connections, ${duration}s)"
start_gateway "$tunecase" serve --config "$work/linear.toml" --eval "$work/eval" --store "$work/linear.db" \
  --port "$gateway" ${SERVE_THREADS:+--threads "$SERVE_THREADS"} >"$work/serve-linear.log" 2>&1
pids+=($started); serve_pid=$started
wait_port "$gateway"
run_wrk classify "$gateway" 64 0 3 >/dev/null
local_run=$(run_wrk classify "$gateway" 64 0 "$duration")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
awk -v r="$local_run" 'function f(line, key) { match(line, key "=[0-9.]+"); return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) + 0 }
  BEGIN { answered = (f(r, "requests") - f(r, "non2xx") - f(r, "errors")) / f(r, "seconds")
          printf "linear: %.0f classifications/s answered 200 (p50 %.3f ms, p99 %.3f ms over all answers); %d answered 503 (prediction log queue full: overload refused, not queued), %d socket errors; floor 10,000/s: %s\n", answered, f(r, "p50_us") / 1000, f(r, "p99_us") / 1000, f(r, "non2xx"), f(r, "errors"), (answered >= 10000 ? "met" : "NOT met") }'
grep -h 'serve stopped' "$work/serve-linear.log" || true  # the prediction log's own counts

fi

want 3 || exit 0
echo "== 3. 1,000 upstream requests in flight (each held 2 s by sim-llm), memory of serve"
sim=$(free_port)
"$tunecase" sim-llm --port "$sim" --latency-ms 2000 --threads 2 >/dev/null 2>&1 &
pids+=($!)
wait_port "$sim"
sed "s#http://127.0.0.1:$upstream/v1#http://127.0.0.1:$sim/v1#" "$work/gateway.toml" >"$work/held.toml"
start_gateway "$tunecase" serve --config "$work/held.toml" --store "$work/held.db" --port "$gateway" \
  ${SERVE_THREADS:+--threads "$SERVE_THREADS"} >"$work/serve-held.log" 2>&1
pids+=($started); serve_pid=$started
wait_port "$gateway"
rss() { awk '/VmRSS/ { print $2 }' "/proc/$serve_pid/status"; }
idle=$(rss)
held_s=${HELD_SECONDS:-30}  # longer runs show where the store's page cache levels off
n=$((held_s / 2 - 1))
( WRK_KIND=classify wrk -t2 -c1000 -d"${held_s}"s --timeout 10s -s "$here/gateway_wrk.lua" \
    "http://127.0.0.1:$gateway" | grep '^RESULT' >"$work/held.result" ) &
wrk_pid=$!
samples=()
for i in $(seq 1 "$n"); do sleep 2; samples+=("$(rss)"); done
wait "$wrk_pid"
held=$(cat "$work/held.result")
echo "serve RSS idle ${idle} kB; every 2 s under 1,000 held connections: ${samples[*]} kB"
third=$((n * 2 / 3))
awk -v r="$held" -v first="${samples[2]}" -v last="${samples[n - 1]}" -v late="${samples[third]}" \
  -v n="$n" -v third="$third" 'function f(line, key) { match(line, key "=[0-9.]+"); return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) + 0 }
  BEGIN { printf "answered %d in %.0f s (%.0f/s at 2 s each = %.0f in flight), errors %d; RSS from 6 s to %d s: %+.1f%%, from %d s to %d s: %+.1f%%\n", f(r, "requests"), f(r, "seconds"), f(r, "requests") / f(r, "seconds"), 2 * f(r, "requests") / f(r, "seconds"), f(r, "errors") + f(r, "non2xx"), 2 * n, 100 * (last - first) / first, 2 * (third + 1), 2 * n, 100 * (last - late) / late }'
