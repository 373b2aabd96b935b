#pragma once

// The write side of the roll-ups: every write that changes a figure updates, in the same
// transaction, the hour row and the day row it falls in (and, for feedback, the shadow-pair
// row), so a read of any window needs only whole days, whole hours and the partial hours at its
// ends.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tunecase/store/rollup.h"
#include "tunecase/store/sql_database.h"

namespace tunecase::store_detail {

// One grain of the roll-ups. Day tables have the hour tables' columns; their `hour` holds the
// first hour of the UTC day.
struct Grain {
  std::string_view hours;
  std::string_view confusion;
  std::string_view segments;
  int64_t width_hours = 1;
};
inline constexpr Grain kHourGrain{"rollup_hours", "rollup_confusion", "rollup_segments", 1};
inline constexpr Grain kDayGrain{"rollup_days", "rollup_day_confusion", "rollup_day_segments",
                                 kDayHours};
inline constexpr Grain kGrains[] = {kHourGrain, kDayGrain};

// The first hour of the grain's bucket holding `hour`.
inline int64_t bucket_of(const Grain& g, int64_t hour) {
  return g.width_hours == 1 ? hour : day_of_hour(hour) * kDayHours;
}

// Adds a batch's counts to its row of the grain (key.hour is the bucket's first hour).
void add_to_bucket(SqlSession& s, const Grain& g, const HourKey& key, const HourRow& row);

// McNemar's four cells of one pair of approaches, first < second by name.
struct PairCells {
  int64_t both_right = 0, only_first = 0, only_second = 0, both_wrong = 0;
};

// A prediction that feedback applies to, with its gold label before this feedback.
struct LabelTarget {
  std::string prediction_id, request_id, text_hash, approach, arm, segment, label;
  bool abstained = false;
  int64_t created_at = 0;
  std::optional<std::string> old_gold;
};

// What one item's feedback changes in every roll-up. Summed over a transaction's items and
// applied in key order, so concurrent transactions lock rows in the same order (no deadlock
// between replicas).
class RollupDeltas {
 public:
  // `targets` are all predictions of one item; `gold` is the label they now have.
  void add_item(const std::vector<LabelTarget>& targets, const std::string& gold);
  void apply(SqlSession& s) const;

  // Adds (sign = +1) or removes (-1) one gold label of one prediction, in both grains.
  void add_label_of(const LabelTarget& t, const std::string& gold, int sign);

 private:
  using BucketKey = std::tuple<int, std::string, std::string, int64_t>;  // grain, approach, arm
  std::map<BucketKey, HourRow> hours_;
  std::map<std::tuple<int, std::string, std::string, int64_t, std::string, std::string>, int64_t>
      confusion_;
  std::map<std::tuple<int, std::string, std::string, int64_t, std::string>,
           std::pair<int64_t, int64_t>>
      segments_;
  std::map<std::tuple<std::string, std::string, int64_t>, PairCells> pairs_;
  // The same per request segment (first, second, hour, segment).
  std::map<std::tuple<std::string, std::string, int64_t, std::string>, PairCells> pair_segments_;
};

// Adds (sign = +1) or removes (-1) one labelled item to the cell its two outcomes name.
void add_pair_outcome(PairCells& cells, bool first_right, bool second_right, int sign);

// The pair cells of the items in `feedback_rows` (request_id, text_hash, approach, created_at,
// correct, and segment when `by_segment`) labelled for both approaches whose earliest prediction
// of the two falls in [from_ms, to_ms), per segment ("" for all when not `by_segment`).
// `first` < `second`.
std::map<std::string, PairCells> pair_cells_between(const SqlRows& feedback_rows,
                                                    const std::string& first,
                                                    const std::string& second, int64_t from_ms,
                                                    int64_t to_ms, bool by_segment = false);

// The columns of a roll-up row, in the order hour_row_from reads them after (approach, arm,
// hour).
extern const char* const kRollupColumns;
HourRow hour_row_from(const SqlRow& r);  // r[3..] are kRollupColumns

// Schema version 2: fills the day grain and the pair roll-up of a version-1 store from its hour
// rows and its feedback.
void backfill_day_and_pair_rollups(SqlSession& s);

// Schema version 12: fills the shadow pairs' cells per segment from the store's feedback and
// the segments of its predictions.
void backfill_pair_segments(SqlSession& s);

}  // namespace tunecase::store_detail
