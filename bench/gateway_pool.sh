#!/usr/bin/env bash
# Part 1 of bench/gateway.sh pooled over many sittings: one sitting's seven rounds rarely settle
# a floor on a machine whose latencies drift from minute to minute (the interval of the p99
# ratio is 0.3 or more wide either side); the rounds of several sittings narrow it.
#   ROUNDS_FILE=rounds.txt PACING=poisson PARTS=1 bench/gateway.sh build   # as often as wanted
#   bench/gateway_pool.sh rounds.txt
# Prints, for the rounds of one pacing (PACING, default poisson): the median over all rounds of
# nginx's and serve's added p50 and p99 (added = the path minus the direct run of its round), the
# p99 ratio and its 90% interval from a two-stage bootstrap (sittings drawn again with
# replacement, then each drawn sitting's rounds), which counts the drift between sittings as
# well as the rounds' own spread, and the floors' verdicts. The same for `also` when the rounds
# ran one (ALSO=DIR).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/gateway_pool.sh ROUNDS_FILE... (written by ROUNDS_FILE=F bench/gateway.sh)" >&2; exit 2; }
for f in "$@"; do [ -r "$f" ] || { echo "cannot read $f" >&2; exit 2; }; done
pacing=${PACING:-poisson}
here=$(cd "$(dirname "$0")" && pwd)
awk -v pacing="$pacing" "$(cat "$here/gateway_stats.awk")"'
  function v(key,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] } return "" }
  v("pacing") == pacing {
    sitting = v("sitting")
    # A sitting is a run of consecutive lines with the same stamp (its rounds are written in order).
    if (sitting != last) { sittings++; first[sittings] = rounds + 1; last = sitting; stamp[sittings] = sitting }
    rounds++; count[sittings]++
    d50 = v("direct_p50"); d99 = v("direct_p99")
    n50[rounds] = (v("nginx_p50") - d50) / 1000; n99[rounds] = (v("nginx_p99") - d99) / 1000
    s50[rounds] = (v("serve_p50") - d50) / 1000; s99[rounds] = (v("serve_p99") - d99) / 1000
    if (v("also_p99") != "") { also++; x50[rounds] = (v("also_p50") - d50) / 1000; x99[rounds] = (v("also_p99") - d99) / 1000 }
  }
  END {
    if (rounds == 0) { printf "no rounds with pacing=%s in the files\n", pacing; exit 1 }
    printf "%d rounds in %d sittings (%s pacing), from %s to %s\n", rounds, sittings, pacing, stamp[1], stamp[sittings]
    b50 = median(n50, rounds); b99 = median(n99, rounds); a50 = median(s50, rounds); a99 = median(s99, rounds)
    printf "median added over all rounds (ms): nginx p50 %.3f, p99 %.3f; serve p50 %.3f, p99 %.3f\n", b50, b99, a50, a99
    printf "floor added p50 <= nginx + 0.1 ms: %.3f <= %.3f: %s\n", a50, b50 + 0.1, (a50 <= b50 + 0.1 ? "met" : "NOT met")
    ratio_interval(s99, n99, first, count, sittings)
    printf "floor added p99 <= 1.5 x nginx: ratio %.2f, 90%% interval %.2f-%.2f: %s\n", (b99 > 0 ? a99 / b99 : 0), lo, hi, floor_verdict(lo, hi)
    if (also == rounds) {
      c50 = median(x50, rounds); c99 = median(x99, rounds); ratio_interval(x99, n99, first, count, sittings)
      printf "also: added p50 %.3f, p99 %.3f; p99 ratio %.2f, 90%% interval %.2f-%.2f: %s\n", c50, c99, (b99 > 0 ? c99 / b99 : 0), lo, hi, floor_verdict(lo, hi)
    }
  }' "$@"
