#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "tunecase/store/latency_histogram.h"
#include "tunecase/store/records.h"

namespace tunecase::store_detail {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayHours = 24;

// Floor division, so that times before 1970 land in the right hour.
inline int64_t hour_of(int64_t ms) {
  return ms >= 0 ? ms / kHourMs : -((-ms + kHourMs - 1) / kHourMs);
}
inline int64_t day_of_hour(int64_t hour) {
  return hour >= 0 ? hour / kDayHours : -((-hour + kDayHours - 1) / kDayHours);
}

// One row of rollup_hours: what one arm of one approach did in one UTC hour.
struct HourKey {
  std::string approach;
  std::string arm;
  int64_t hour = 0;
  auto operator<=>(const HourKey&) const = default;
};

struct HourRow {
  int64_t requests = 0, errors = 0, timeouts = 0, fallbacks = 0, abstained = 0, simulated = 0;
  int64_t tokens_in = 0, tokens_out = 0, costed = 0, cached = 0;
  double cost_usd = 0, latency_sum = 0, upstream_sum = 0;
  int64_t first_ms = 0, last_ms = 0;
  LatencyHistogram latency, upstream;
  int64_t labelled = 0, correct = 0, abstained_labelled = 0, abstained_correct = 0;
  // Failed requests that carried a cost (an answer naming no label, a fallback's champion call):
  // counted in both errors and costed, so that answers without usage are counted once.
  int64_t costed_errors = 0;
  // Requests that reached the provider with no usage to price them (PredictionRecord's).
  int64_t unpriced_attempts = 0;
};

// Counts one prediction in `row` (not its label: see add_label).
void add_prediction(HourRow& row, const PredictionRecord& p);
// Adds (sign = +1) or removes (sign = -1) one gold label of a prediction.
void add_label(HourRow& row, bool abstained, bool correct, int sign);
// Adds everything of `other` to `row`.
void merge(HourRow& row, const HourRow& other);

}  // namespace tunecase::store_detail
