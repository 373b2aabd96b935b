#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tunecase/store/queries.h"

namespace tunecase {

// Latencies counted in logarithmic buckets 1% wide (bucket b >= 1 holds [1.01^(b-1), 1.01^b)
// microseconds; bucket 0 holds everything up to 1 us). Percentiles read back as a bucket's
// geometric middle, within 0.5% of the exact value; one hour of one arm is a few hundred
// buckets whatever the traffic, which is what lets the store answer percentiles over a million
// predictions from roll-ups.
class LatencyHistogram {
 public:
  void add(double ms, int64_t count = 1);
  void merge(const LatencyHistogram& other);
  bool empty() const { return counts_.empty(); }
  int64_t total() const;

  // Nearest rank: the smallest value with at least ceil(q * n) values at or below it.
  double quantile(double q) const;
  // n, p50, p95, p99 and mean (from the exact sum of the values, kept by the caller).
  LatencySummary summary(double sum_ms) const;

  // "bucket:count bucket:count ..." in bucket order; decode("") is empty. decode throws
  // std::runtime_error on text that encode() did not write.
  std::string encode() const;
  static LatencyHistogram decode(std::string_view text);

 private:
  // (bucket, count) sorted by bucket, one entry per bucket: a year of daily roll-ups merges as
  // sorted runs, without a tree node per bucket (docs/benchmarks.md "Store").
  std::vector<std::pair<int32_t, int64_t>> counts_;
};

}  // namespace tunecase
