# Functions shared by the awk programs of bench/gateway.sh, gateway_pool.sh and gateway_pair.sh
# (each puts this file's text before its own program).

function sort_numbers(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}
function median(a, n,   i, b) {
  for (i = 1; i <= n; i++) b[i] = a[i]
  sort_numbers(b, n)
  return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
# A 90% interval for median(x) / median(y) over rounds in sittings (sitting s holds the rounds
# first[s] to first[s] + count[s] - 1, each round keeping its own x and y): a two-stage bootstrap,
# 1,000 times the sittings drawn again with replacement, then each drawn sitting's rounds. With
# one sitting, its rounds drawn again. A fixed seed: the same rounds give the same interval.
# Sets the globals lo and hi.
function ratio_interval(x, y, first, count, sittings,   b, s, k, i, r, n, rx, ry, m, boot) {
  srand(1)
  for (b = 1; b <= 1000; b++) {
    n = 0
    for (s = 1; s <= sittings; s++) {
      k = int(rand() * sittings) + 1
      for (i = 1; i <= count[k]; i++) { r = first[k] + int(rand() * count[k]); n++; rx[n] = x[r]; ry[n] = y[r] }
    }
    m = median(ry, n); boot[b] = (m > 0 ? median(rx, n) / m : 99)
  }
  sort_numbers(boot, 1000)
  lo = boot[50]; hi = boot[951]
}
# The p99 floor (at most 1.5 times nginx's added p99) against such an interval.
function floor_verdict(lo, hi) {
  return hi <= 1.5 ? "met across the interval" : (lo > 1.5 ? "NOT met across the interval" : "not settled: the interval straddles 1.5")
}
