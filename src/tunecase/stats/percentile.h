#pragma once

#include <vector>

namespace tunecase {

// The p-th percentile by the nearest-rank method: the smallest value such that at least p% of
// the values are <= it, i.e. sorted[ceil(p/100 * N) - 1]. Always one of the observed values
// (no interpolation), which is what latency SLOs mean by "p95".
// NaN values (e.g. the latency of a request that never completed) are ignored.
// No values -> NaN. Throws std::invalid_argument unless 0 < p <= 100.
double percentile_nearest_rank(std::vector<double> values, double p);

}  // namespace tunecase
