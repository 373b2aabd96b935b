#!/usr/bin/env bash
# Two builds of the gateway compared on one machine at the same time: both serve in front of
# the same fast upstream (as bench/gateway.sh part 1), and the load alternates between them in
# short rounds, so a slow spell of the machine falls on both alike. Reports each one's CPU per
# request (measured, from /proc) and its latency, and the ratio of the CPU figures.
# Usage: bench/gateway_pair.sh OLD_BUILD_DIR NEW_BUILD_DIR   (each holding a `tunecase`)
# Env: ROUNDS (10), SECONDS_PER_ROUND (3), CONNECTIONS (50), DELAY_MS (10), PACING (poisson,
# the default, or fixed: as in bench/gateway.sh), SERVE_THREADS (2;
# set but empty: serve's own default, twice the hardware threads), OLD_ARGS and NEW_ARGS (more
# `serve` options for one side: the same build twice with `SERVE_THREADS= OLD_ARGS="--threads 4"
# NEW_ARGS="--threads 6"` compares two settings), SERVE_SESSION (own, the default: each serve in
# a session, so a scheduling group, of its own; shared: in the script's, with wrk; as in
# bench/gateway.sh). Each round also loads
# the upstream directly once, and the medians of those runs are printed as the baseline; the
# rounds' p99s follow, in round order, for a paired look.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
old=$(cd "$1" && pwd)/tunecase
new=$(cd "$2" && pwd)/tunecase
rounds=${ROUNDS:-10}
seconds=${SECONDS_PER_ROUND:-3}
connections=${CONNECTIONS:-50}
delay_ms=${DELAY_MS:-10}
serve_threads=${SERVE_THREADS-2}
wrk_pacing=${PACING:-poisson}
work=$(mktemp -d /tmp/tunecase-gateway-pair.XXXXXX)
pids=()
source "$here/gateway_common.sh"
trap stop_gateways_and_upstream EXIT
check_pacing "$wrk_pacing"
start_upstream "$work/upstream"
"$old" generate --out "$work/tickets.csv" --tickets 3000 >/dev/null
write_gateway_config "$work/gateway.toml" "$upstream"
ports=()
serve_pids=()
for side in old new; do
  bin=$old; extra=${OLD_ARGS:-}
  [ "$side" = new ] && bin=$new && extra=${NEW_ARGS:-}
  port=$(free_port)
  start_gateway "$bin" serve --config "$work/gateway.toml" --store "$work/$side.db" --port "$port" \
    --no-cache ${serve_threads:+--threads "$serve_threads"} $extra >"$work/$side.log" 2>&1
  pids+=($started); serve_pids+=($started); ports+=("$port")
  wait_port "$port"
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { run_wrk classify "$1" "$connections" "$delay_ms" "$2"; }  # port seconds
for i in 0 1; do run "${ports[$i]}" 2 >/dev/null; done  # warm-up
direct_p50s=""; direct_p99s=""
declare -a cpu=(0 0) requests=(0 0) p50s=("" "") p99s=("" "")
for r in $(seq 1 "$rounds"); do
  # Alternate which goes first, so neither always follows the other.
  order="0 1"; [ $((r % 2)) = 0 ] && order="1 0"
  line=$(run_wrk chat "$upstream" "$connections" "$delay_ms" "$seconds")
  direct_p50s+="$(field "$line" p50_us) "; direct_p99s+="$(field "$line" p99_us) "
  for i in $order; do
    t0=$(ticks "${serve_pids[$i]}")
    line=$(run "${ports[$i]}" "$seconds")
    t1=$(ticks "${serve_pids[$i]}")
    cpu[$i]=$((cpu[i] + t1 - t0))
    requests[$i]=$((requests[i] + $(field "$line" requests)))
    p50s[$i]+="$(field "$line" p50_us) "
    p99s[$i]+="$(field "$line" p99_us) "
  done
done
echo "p99 of each round (us): direct ${direct_p99s}; old ${p99s[0]}; new ${p99s[1]}"
hz=$(getconf CLK_TCK)
median() { tr ' ' '\n' | grep -v '^$' | awk "$(cat "$here/gateway_stats.awk")"'{a[NR]=$1} END {print median(a, NR)}'; }
awk -v p50="$(median <<<"$direct_p50s")" -v p99="$(median <<<"$direct_p99s")" \
  'BEGIN { printf "direct to the upstream, median of rounds: p50 %.3f ms, p99 %.3f ms\n", p50 / 1000, p99 / 1000 }'
for i in 0 1; do
  name=old; [ "$i" = 1 ] && name=new
  awk -v n="$name" -v c="${cpu[$i]}" -v r="${requests[$i]}" -v hz="$hz" \
    -v p50="$(median <<<"${p50s[$i]}")" -v p99="$(median <<<"${p99s[$i]}")" \
    'BEGIN { printf "%s: %d requests, CPU %.1f us per request (measured), median of rounds: p50 %.3f ms, p99 %.3f ms\n", n, r, c * 1e6 / hz / r, p50 / 1000, p99 / 1000 }'
done
awk -v a="${cpu[0]}" -v ra="${requests[0]}" -v b="${cpu[1]}" -v rb="${requests[1]}" \
  'BEGIN { printf "new/old CPU per request: %.3f\n", (b / rb) / (a / ra) }'
