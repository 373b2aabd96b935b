#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tunecase/store/records.h"

namespace tunecase {

// What the pilot report and the monitor ask the store. The window is [from_ms, to_ms) on the
// predictions' created_at, exact to the millisecond: whole hours come from roll-ups kept on every
// write, the partial hours at either end from the logged rows.
struct PilotQuery {
  int64_t from_ms = 0;
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  std::vector<std::string> approaches;  // empty: every approach
  // Shadow pairs: items answered and labelled for both approaches (first, second).
  std::optional<std::pair<std::string, std::string>> paired;
  // Per-label, per-segment and confusion figures; false reads only the per-arm and per-day sums
  // (the dashboard's year of history, where the breakdowns would be most of the work).
  bool breakdowns = true;
};

// Latency percentiles by nearest rank over logarithmic buckets 1% wide: each figure is within
// 0.5% of the exact order statistic. All zero when n == 0.
struct LatencySummary {
  int64_t n = 0;
  double mean = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
};

// One arm of one approach (an approach promoted mid-window appears under both arms).
// `correct` counts labelled predictions whose label equals the gold label, abstentions included;
// `abstained_labelled` / `abstained_correct` let a caller compute accuracy on answered items.
struct ArmFigures {
  std::string approach;
  Arm arm = Arm::champion;
  int64_t requests = 0;
  int64_t labelled = 0;
  int64_t correct = 0;
  int64_t errors = 0;
  int64_t timeouts = 0;  // of the errors, time-outs
  int64_t cached = 0;    // answered from the LLM response cache (no upstream call, $0)
  int64_t fallbacks = 0;
  int64_t abstained = 0;
  int64_t abstained_labelled = 0;
  int64_t abstained_correct = 0;
  int64_t simulated = 0;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;
  int64_t costed = 0;             // predictions that carried a cost
  int64_t costed_errors = 0;      // of those, failed requests (no label, or a fallback's call)
  int64_t unpriced_attempts = 0;  // requests billed at a cost unknown (PredictionRecord's)
  LatencySummary latency;
  LatencySummary upstream;
  int64_t first_at_ms = 0;  // first and last prediction in the window
  int64_t last_at_ms = 0;
};

// Answered requests that carried no cost where others of the same arm did: an API that left
// out its token usage (a proxy, a self-hosted server). Their cost is unknown, never $0; an
// estimate takes each at the mean of the known ones (estimated_cost_usd). 0 when no request
// carried a cost and the approach is not `priced` (a local model: no per-request cost at all);
// a priced approach none of whose answers carried one has every answer's cost unknown, and no
// estimate.
// `costed_errors`: failed requests that carried a cost (counted in both `errors` and `costed`;
// subtracting both had let each cancel out one answer without usage).
// `unpriced_attempts`: requests that reached the provider and brought back no usage (a time-out,
// a 2xx cut off or unreadable, a resent copy): each may have been billed, at a cost unknown.
inline int64_t cost_unknown(int64_t requests, int64_t errors, int64_t costed, int64_t costed_errors,
                            int64_t unpriced_attempts, bool priced = false) {
  return costed > 0 || priced ? std::max<int64_t>(0, requests - errors - (costed - costed_errors)) +
                                    unpriced_attempts
                              : 0;
}
// The spend with each unknown one at the mean of the answers that were paid for: `paid` are those
// that carried a cost less the response cache's (a cached answer costs $0, and had priced every
// unknown call at $0). None when `unknown` answers had no paid one to be priced by.
inline std::optional<double> estimated_cost_usd(double cost_usd, int64_t paid, int64_t unknown) {
  if (unknown == 0) return cost_usd;
  if (paid <= 0) return std::nullopt;
  return cost_usd + double(unknown) * cost_usd / double(paid);
}

// Labelled predictions of one arm whose gold label is `label`.
struct LabelFigures {
  std::string approach;
  Arm arm = Arm::champion;
  std::string label;
  int64_t labelled = 0;
  int64_t correct = 0;
};

struct SegmentFigures {
  std::string approach;
  Arm arm = Arm::champion;
  std::string segment;
  int64_t labelled = 0;
  int64_t correct = 0;
};

struct ConfusionPair {
  std::string approach;
  Arm arm = Arm::champion;
  std::string gold;
  std::string predicted;
  int64_t count = 0;
};

// McNemar's table of one segment's items (PairedOutcomes::segments).
struct SegmentPairs {
  std::string segment;
  int64_t both_right = 0;
  int64_t only_first = 0;
  int64_t only_second = 0;
  int64_t both_wrong = 0;
};

// Items labelled for both approaches of PilotQuery::paired (McNemar's table), and the same per
// request segment (with PilotQuery::breakdowns; by segment name, none left out).
struct PairedOutcomes {
  std::string first;
  std::string second;
  int64_t both_right = 0;
  int64_t only_first = 0;
  int64_t only_second = 0;
  int64_t both_wrong = 0;
  std::vector<SegmentPairs> segments;
};

// One UTC day of one arm (day = days since 1970-01-01).
struct DayFigures {
  int64_t day = 0;
  std::string approach;
  Arm arm = Arm::champion;
  int64_t requests = 0;
  int64_t labelled = 0;
  int64_t correct = 0;
  int64_t errors = 0;
  int64_t timeouts = 0;
  int64_t fallbacks = 0;
  int64_t abstained = 0;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double cost_usd = 0;
  int64_t costed = 0;             // predictions that carried a cost
  int64_t costed_errors = 0;      // of those, failed requests (no label, or a fallback's call)
  int64_t unpriced_attempts = 0;  // requests billed at a cost unknown (PredictionRecord's)
  int64_t cached = 0;             // answered from the LLM response cache ($0)
  LatencySummary latency;
};

// How often an approach answered `label` (answered predictions only, every arm): the monitor's
// prediction-mix drift, which needs no ground truth.
struct PredictedLabelCount {
  std::string approach;
  std::string label;
  int64_t count = 0;
};

// A kept request text with its gold label (feedback): training data for `tunecase retrain`.
struct LabelledText {
  std::string request_id;
  int64_t created_at_ms = 0;  // when the item was classified
  std::string text;
  std::string label;  // the gold label
};

// A kept request text (PredictionRecord::text) with what its approach answered.
struct TextSample {
  std::string prediction_id;
  std::string approach;
  std::string label;
  int64_t created_at_ms = 0;
  std::string text;
};

// Everything the pilot page shows, from one call. Vectors are sorted by approach, arm, then key.
struct PilotCounts {
  std::vector<ArmFigures> arms;
  std::vector<LabelFigures> labels;
  std::vector<SegmentFigures> segments;
  std::vector<ConfusionPair> confusion;  // off-diagonal and diagonal pairs
  std::optional<PairedOutcomes> paired;
  std::vector<DayFigures> days;
};

}  // namespace tunecase
