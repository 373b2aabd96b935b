#!/usr/bin/env bash
# The gateway's benchmarks (docs/benchmarks.md "Gateway"), every figure measured in the same run:
#   1. overhead at ~5,000 requests/s in front of a fixed fast upstream (an nginx location that
#      answers a fixed Chat Completions body), against nginx proxy_pass in front of the same
#      upstream: "added" latency = end-to-end minus going to the upstream directly;
#   2. a local approach (linear) at full load: classifications per second, every one logged;
#   3. 1,000 upstream requests in flight (sim-llm holding each answer 2 s): the gateway's memory.
# Usage: bench/gateway.sh [BUILD_DIR]   (needs nginx and wrk: scripts/install-deps installs them)
# Env: SECONDS_PER_RUN (default 15), CONNECTIONS (50), DELAY_MS (10: 50 x 1/10ms = ~5,000/s),
#      HELD_SECONDS (30: part 3's length), PARTS (123: which parts to run), SERVE_THREADS (2:
#      serve's --threads in part 1).
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

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % 20000))  # below the ephemeral range (32768+): no outgoing connection holds it
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port" >&2; exit 1
}
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2; exit 1
}
run_wrk() {  # kind port connections delay_ms seconds -> the RESULT line
  WRK_KIND=$1 WRK_DELAY_MS=$4 wrk -t2 -c"$3" -d"$5"s --timeout 10s \
    -s "$here/gateway_wrk.lua" "http://127.0.0.1:$2" | grep '^RESULT'
}
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }

upstream=$(free_port); proxy=$(free_port); gateway=$(free_port)
body='{"id":"chatcmpl-bench","object":"chat.completion","model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"billing"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":6,"total_tokens":126}}'
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
data='[data]
path = "tickets.csv"
text = "text"
label = "category"
'
cat >"$work/gateway.toml" <<CONF
$data
[[approach]]
name = "upstream"
kind = "openai"
base_url = "http://127.0.0.1:$upstream/v1"
model = "bench"
prompt = "zero_shot"
structured_output = false
price = { input = 0.15, output = 0.60 }   # assumed
CONF
cat >"$work/linear.toml" <<CONF
$data
[[approach]]
name = "local-linear"
kind = "linear"
CONF
"$tunecase" eval --config "$work/linear.toml" --out "$work/eval" >/dev/null

want() { [[ "${PARTS:-123}" == *"$1"* ]]; }

if want 1; then
echo "== 1. overhead at ~$((connections * 1000 / delay_ms)) requests/s ($connections connections, ${duration}s each)"
"$tunecase" serve --config "$work/gateway.toml" --store "$work/gateway.db" --port "$gateway" --no-cache \
  --threads "${SERVE_THREADS:-2}" >"$work/serve.log" 2>&1 &
pids+=($!); serve_pid=$!
wait_port "$gateway"
run_wrk chat "$upstream" "$connections" "$delay_ms" 3 >/dev/null  # warm-up
run_wrk classify "$gateway" "$connections" "$delay_ms" 3 >/dev/null
# CPU time (utime + stime, in clock ticks) of processes, read around each run: the nginx
# workers serve both the upstream and the proxy, so the proxy's share is their time in the nginx
# run minus their time in the direct run, per request.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
# The workers of both instances: with UPSTREAM=shared they are the same.
nginx_workers=$(ps -o pid=,ppid= -e | awk -v a="$(cat "$work/nginx/nginx.pid")" \
  -v b="$(cat "$work/upstream/nginx.pid" 2>/dev/null)" '$2 == a || $2 == b {print $1}')
n0=$(cpu_ticks $nginx_workers)
direct=$(run_wrk chat "$upstream" "$connections" "$delay_ms" "$duration")
n1=$(cpu_ticks $nginx_workers)
via_nginx=$(run_wrk chat "$proxy" "$connections" "$delay_ms" "$duration")
# Per thread too: serve's event loops and its log writer are told apart by how busy they are.
thread_ticks() { for t in /proc/"$serve_pid"/task/*; do echo "$(basename "$t") $(awk '{print $14 + $15}' "$t/stat")"; done; }
n2=$(cpu_ticks $nginx_workers); s0=$(cpu_ticks "$serve_pid"); thread_ticks >"$work/threads.0"
via_serve=$(run_wrk classify "$gateway" "$connections" "$delay_ms" "$duration")
s1=$(cpu_ticks "$serve_pid"); thread_ticks >"$work/threads.1"
serve_requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$via_serve")
join "$work/threads.0" "$work/threads.1" | awk -v n="$serve_requests" -v hz="$(getconf CLK_TCK)" \
  '$3 > $2 { printf "%s%.0f", (k++ ? ", " : "serve threads, us of CPU per request (busiest are the event loops and the log writer): "), ($3 - $2) * 1e6 / hz / n } END { print "" }'
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
cpu="direct_ticks=$((n1 - n0)) nginx_ticks=$((n2 - n1)) serve_ticks=$((s1 - s0)) hz=$(getconf CLK_TCK)"
logged=$("$tunecase" pilot --config "$work/gateway.toml" --store "$work/gateway.db" --json "$work/pilot.json" >/dev/null && \
  sed -n 's/.*"requests": \([0-9]*\).*/\1/p' "$work/pilot.json" | head -1)
awk -v d="$direct" -v n="$via_nginx" -v s="$via_serve" -v logged="$logged" -v cpu="$cpu" '
  function f(line, key,   m) { match(line, key "=[0-9.]+"); return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) + 0 }
  BEGIN {
    dp50 = f(d, "p50_us") / 1000; dp99 = f(d, "p99_us") / 1000
    np50 = f(n, "p50_us") / 1000; np99 = f(n, "p99_us") / 1000
    sp50 = f(s, "p50_us") / 1000; sp99 = f(s, "p99_us") / 1000
    printf "%-28s %10s %10s %10s %12s %12s\n", "path", "req/s", "p50 ms", "p99 ms", "added p50", "added p99"
    printf "%-28s %10.0f %10.3f %10.3f %12s %12s\n", "direct to the upstream", f(d, "requests") / f(d, "seconds"), dp50, dp99, "-", "-"
    printf "%-28s %10.0f %10.3f %10.3f %12.3f %12.3f\n", "nginx proxy_pass", f(n, "requests") / f(n, "seconds"), np50, np99, np50 - dp50, np99 - dp99
    printf "%-28s %10.0f %10.3f %10.3f %12.3f %12.3f\n", "tunecase serve (logged)", f(s, "requests") / f(s, "seconds"), sp50, sp99, sp50 - dp50, sp99 - dp99
    printf "errors: direct %d, nginx %d, serve %d (non-2xx %d); predictions in the store: %s (these %d and the warm-up)\n", f(d, "errors"), f(n, "errors"), f(s, "errors"), f(s, "non2xx"), logged, f(s, "requests")
    a50 = sp50 - dp50; n50 = np50 - dp50; a99 = sp99 - dp99; n99 = np99 - dp99
    printf "floor added p50 <= nginx + 0.1 ms: %.3f <= %.3f: %s\n", a50, n50 + 0.1, (a50 <= n50 + 0.1 ? "met" : "NOT met")
    printf "floor added p99 <= 1.5 x nginx:    %.3f <= %.3f (ratio %.2f): %s\n", a99, 1.5 * n99, (n99 > 0 ? a99 / n99 : 0), (a99 <= 1.5 * n99 ? "met" : "NOT met")
    us = 1e6 / f(cpu, "hz")
    proxy_us = (f(cpu, "nginx_ticks") / f(n, "requests") - f(cpu, "direct_ticks") / f(d, "requests")) * us
    serve_us = f(cpu, "serve_ticks") * us / f(s, "requests")
    printf "CPU per proxied request (measured, whole process, clock ticks of %.0f us): nginx proxy %.0f us, serve %.0f us (%.1fx nginx)\n", us, proxy_us, serve_us, (proxy_us > 0 ? serve_us / proxy_us : 0)
  }'

fi

if want 2; then
echo "== 2. local linear model at full load (64 connections, ${duration}s)"
"$tunecase" serve --config "$work/linear.toml" --eval "$work/eval" --store "$work/linear.db" \
  --port "$gateway" --threads 2 >"$work/serve-linear.log" 2>&1 &
pids+=($!); serve_pid=$!
wait_port "$gateway"
run_wrk classify "$gateway" 64 0 3 >/dev/null
local_run=$(run_wrk classify "$gateway" 64 0 "$duration")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
awk -v r="$local_run" 'function f(line, key) { match(line, key "=[0-9.]+"); return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) + 0 }
  BEGIN { answered = (f(r, "requests") - f(r, "non2xx") - f(r, "errors")) / f(r, "seconds")
          printf "linear: %.0f classifications/s answered 200 (p50 %.3f ms, p99 %.3f ms over all answers); %d answered 503 (prediction log queue full: overload refused, not queued), %d socket errors; floor 10,000/s: %s\n", answered, f(r, "p50_us") / 1000, f(r, "p99_us") / 1000, f(r, "non2xx"), f(r, "errors"), (answered >= 10000 ? "met" : "NOT met") }'

fi

want 3 || exit 0
echo "== 3. 1,000 upstream requests in flight (each held 2 s by sim-llm), memory of serve"
sim=$(free_port)
"$tunecase" sim-llm --port "$sim" --latency-ms 2000 --threads 2 >/dev/null 2>&1 &
pids+=($!)
wait_port "$sim"
sed "s#http://127.0.0.1:$upstream/v1#http://127.0.0.1:$sim/v1#" "$work/gateway.toml" >"$work/held.toml"
"$tunecase" serve --config "$work/held.toml" --store "$work/held.db" --port "$gateway" \
  --threads 2 >"$work/serve-held.log" 2>&1 &
pids+=($!); serve_pid=$!
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
