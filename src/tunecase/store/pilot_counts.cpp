// The read side of Store::pilot_counts: whole hours from the roll-ups, the partial hours at the
// window's ends from the logged rows, merged in C++ into the same per-arm sums.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "tunecase/store/rollup_sql.h"
#include "tunecase/store/sql_store.h"

namespace tunecase::store_detail {
namespace {

using ArmKey = std::pair<std::string, std::string>;  // approach, arm

// [from_ms, to_ms) as whole days, the whole hours around them, and up to two partial ranges
// at the ends. Hour ranges are [first, end) in hours since 1970.
struct Window {
  std::vector<std::pair<int64_t, int64_t>> days;   // at most one range, from rollup_days
  std::vector<std::pair<int64_t, int64_t>> hours;  // up to two ranges, from rollup_hours
  int64_t first_hour = 0, end_hour = 0;            // every whole hour (the pairs' range)
  std::vector<std::pair<int64_t, int64_t>> edges;  // milliseconds, from the logged rows
};

Window split_window(int64_t from_ms, int64_t to_ms) {
  Window w;
  if (from_ms >= to_ms) return w;
  int64_t first = hour_of(from_ms) + (from_ms % kHourMs != 0 ? 1 : 0);
  int64_t end = hour_of(to_ms);
  if (first >= end) {
    w.edges.push_back({from_ms, to_ms});
    return w;
  }
  w.first_hour = first;
  w.end_hour = end;
  int64_t first_day = bucket_of(kDayGrain, first + kDayHours - 1);
  int64_t end_day = bucket_of(kDayGrain, end);
  if (first_day < end_day) {
    w.days.push_back({first_day, end_day});
    if (first < first_day) w.hours.push_back({first, first_day});
    if (end_day < end) w.hours.push_back({end_day, end});
  } else {
    w.hours.push_back({first, end});
  }
  if (from_ms < first * kHourMs) w.edges.push_back({from_ms, first * kHourMs});
  if (end * kHourMs < to_ms) w.edges.push_back({end * kHourMs, to_ms});
  return w;
}

class Accumulator {
 public:
  explicit Accumulator(const PilotQuery& q) : only_(q.approaches.begin(), q.approaches.end()) {}

  bool wanted(const std::string& approach) const {
    return only_.empty() || only_.count(approach) > 0;
  }

  void add_hour(const std::string& approach, const std::string& arm, int64_t hour,
                const HourRow& row) {
    if (!wanted(approach)) return;
    merge(arms_[{approach, arm}], row);
    merge(days_[{day_of_hour(hour), approach, arm}], row);
  }
  void add_confusion(const std::string& approach, const std::string& arm, const std::string& gold,
                     const std::string& predicted, int64_t n) {
    if (wanted(approach)) confusion_[{approach, arm, gold, predicted}] += n;
  }
  void add_segment(const std::string& approach, const std::string& arm, const std::string& segment,
                   int64_t labelled, int64_t correct) {
    if (!wanted(approach)) return;
    auto& s = segments_[{approach, arm, segment}];
    s.first += labelled;
    s.second += correct;
  }

  void finish(PilotCounts& out) const;

 private:
  std::set<std::string> only_;
  std::map<ArmKey, HourRow> arms_;
  std::map<std::tuple<int64_t, std::string, std::string>, HourRow> days_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t> confusion_;
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int64_t, int64_t>>
      segments_;
};

Arm arm_of(const std::string& name) {
  return parse_arm(name).value_or(Arm::champion);
}

ArmFigures arm_figures(const ArmKey& key, const HourRow& r) {
  ArmFigures a;
  a.approach = key.first;
  a.arm = arm_of(key.second);
  a.requests = r.requests;
  a.labelled = r.labelled;
  a.correct = r.correct;
  a.errors = r.errors;
  a.timeouts = r.timeouts;
  a.cached = r.cached;
  a.fallbacks = r.fallbacks;
  a.abstained = r.abstained;
  a.abstained_labelled = r.abstained_labelled;
  a.abstained_correct = r.abstained_correct;
  a.simulated = r.simulated;
  a.tokens_in = r.tokens_in;
  a.tokens_out = r.tokens_out;
  a.cost_usd = r.cost_usd;
  a.costed = r.costed;
  a.costed_errors = r.costed_errors;
  a.unpriced_attempts = r.unpriced_attempts;
  a.latency = r.latency.summary(r.latency_sum);
  a.upstream = r.upstream.summary(r.upstream_sum);
  a.first_at_ms = r.first_ms;
  a.last_at_ms = r.last_ms;
  return a;
}

DayFigures day_figures(int64_t day, const ArmKey& key, const HourRow& r) {
  DayFigures d;
  d.day = day;
  d.approach = key.first;
  d.arm = arm_of(key.second);
  d.requests = r.requests;
  d.labelled = r.labelled;
  d.correct = r.correct;
  d.errors = r.errors;
  d.timeouts = r.timeouts;
  d.fallbacks = r.fallbacks;
  d.abstained = r.abstained;
  d.tokens_in = r.tokens_in;
  d.tokens_out = r.tokens_out;
  d.cost_usd = r.cost_usd;
  d.costed = r.costed;
  d.costed_errors = r.costed_errors;
  d.unpriced_attempts = r.unpriced_attempts;
  d.cached = r.cached;
  d.latency = r.latency.summary(r.latency_sum);
  return d;
}

void Accumulator::finish(PilotCounts& out) const {
  for (const auto& [key, row] : arms_) {
    if (row.requests > 0) out.arms.push_back(arm_figures(key, row));
  }
  for (const auto& [key, row] : days_) {
    const auto& [day, approach, arm] = key;
    if (row.requests > 0) out.days.push_back(day_figures(day, {approach, arm}, row));
  }
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int64_t, int64_t>> labels;
  for (const auto& [key, n] : confusion_) {
    const auto& [approach, arm, gold, predicted] = key;
    if (n == 0) continue;
    out.confusion.push_back({approach, arm_of(arm), gold, predicted, n});
    auto& l = labels[{approach, arm, gold}];
    l.first += n;
    l.second += gold == predicted ? n : 0;
  }
  for (const auto& [key, v] : labels) {
    const auto& [approach, arm, label] = key;
    out.labels.push_back({approach, arm_of(arm), label, v.first, v.second});
  }
  for (const auto& [key, v] : segments_) {
    const auto& [approach, arm, segment] = key;
    if (v.first != 0) out.segments.push_back({approach, arm_of(arm), segment, v.first, v.second});
  }
}

// Roll-up rows of one grain whose bucket starts in [first_hour, end_hour). Rows are summed here
// rather than by GROUP BY: the accumulator's maps do it faster than the engine's sort.
void add_buckets(SqlSession& s, const Grain& g, int64_t first_hour, int64_t end_hour,
                 bool breakdowns, Accumulator& acc) {
  std::vector<SqlValue> range = {first_hour, end_hour};
  for (const SqlRow& r :
       s.query(fmt::format("SELECT approach, arm, hour, {} FROM {} WHERE hour >= $1 AND hour < $2",
                           kRollupColumns, g.hours),
               range)) {
    acc.add_hour(as_string(r[0]), as_string(r[1]), as_int(r[2]), hour_row_from(r));
  }
  if (!breakdowns) return;
  for (const SqlRow& r : s.query(fmt::format("SELECT approach, arm, gold, predicted, n FROM {} "
                                             "WHERE hour >= $1 AND hour < $2",
                                             g.confusion),
                                 range)) {
    acc.add_confusion(as_string(r[0]), as_string(r[1]), as_string(r[2]), as_string(r[3]),
                      as_int(r[4]));
  }
  for (const SqlRow& r : s.query(fmt::format("SELECT approach, arm, segment, labelled, correct "
                                             "FROM {} WHERE hour >= $1 AND hour < $2",
                                             g.segments),
                                 range)) {
    acc.add_segment(as_string(r[0]), as_string(r[1]), as_string(r[2]), as_int(r[3]), as_int(r[4]));
  }
}

// Logged rows of a partial hour, counted exactly as the roll-ups count them.
void add_rows(SqlSession& s, int64_t from_ms, int64_t to_ms, bool breakdowns, Accumulator& acc) {
  std::string columns;
  for (const std::string& c : prediction_columns()) columns += "p." + c + ", ";
  std::string sql = fmt::format(
      "SELECT {}f.label FROM predictions p LEFT JOIN feedback f "
      "ON f.prediction_id = p.prediction_id WHERE p.created_at >= $1 AND p.created_at < $2",
      columns);
  for (const SqlRow& r : s.query(sql, {from_ms, to_ms})) {
    PredictionRecord p = prediction_from_row(r);
    std::string arm(arm_name(p.arm));
    HourRow row;
    add_prediction(row, p);
    const SqlValue& gold = r[prediction_columns().size()];
    if (!is_null(gold)) {
      std::string g = as_string(gold);
      add_label(row, p.abstained, g == p.label, +1);
      if (breakdowns) {
        acc.add_confusion(p.approach, arm, g, p.label, 1);
        acc.add_segment(p.approach, arm, p.segment, 1, g == p.label ? 1 : 0);
      }
    }
    acc.add_hour(p.approach, arm, hour_of(p.created_at_ms), row);
  }
}

// McNemar's table of the query's pair: whole hours from rollup_pairs, the partial hours from the
// feedback rows of items whose earliest prediction of the two falls in them.
PairedOutcomes paired_outcomes(SqlSession& s, const PilotQuery& q, const Window& w) {
  PairedOutcomes out;
  out.first = q.paired->first;
  out.second = q.paired->second;
  bool swapped = out.second < out.first;
  const std::string& a = swapped ? out.second : out.first;
  const std::string& b = swapped ? out.first : out.second;
  PairCells cells;
  std::map<std::string, PairCells> by_segment;
  auto add = [&](PairCells& to, const PairCells& c) {
    to.both_right += c.both_right;
    to.only_first += c.only_first;
    to.only_second += c.only_second;
    to.both_wrong += c.both_wrong;
  };
  const bool segments = q.breakdowns;
  // Items of [from, to) read from their feedback rows, as the roll-ups count them.
  auto from_rows = [&](int64_t from, int64_t to, bool into_all) {
    SqlRows rows = s.query(
        // CROSS JOIN makes SQLite start from the few items of the range (PostgreSQL plans it
        // the same way without being told). The segment is the prediction's ("" for a feedback
        // row whose prediction is gone: its pair still counts).
        "SELECT f.request_id, f.text_hash, f.approach, f.created_at, f.correct, "
        "COALESCE(p.segment, '') "
        "FROM (SELECT DISTINCT request_id FROM feedback WHERE approach IN ($1, $2) "
        "AND created_at >= $3 AND created_at < $4) items CROSS JOIN feedback f "
        "LEFT JOIN predictions p ON p.prediction_id = f.prediction_id "
        "WHERE f.request_id = items.request_id AND f.approach IN ($1, $2)",
        {a, b, from, to});
    for (const auto& [segment, c] : pair_cells_between(rows, a, b, from, to, true)) {
      if (into_all) add(cells, c);
      if (segments) add(by_segment[segment], c);
    }
  };
  if (w.first_hour < w.end_hour) {
    std::map<int64_t, PairCells> hours;  // rollup_pairs, hour by hour
    for (const SqlRow& r : s.query("SELECT hour, both_right, only_first, only_second, both_wrong "
                                   "FROM rollup_pairs WHERE approach_a = $1 AND approach_b = $2 "
                                   "AND hour >= $3 AND hour < $4",
                                   {a, b, w.first_hour, w.end_hour})) {
      PairCells c{as_int(r[1]), as_int(r[2]), as_int(r[3]), as_int(r[4])};
      add(cells, c);
      hours[as_int(r[0])] = c;
    }
    if (segments) {
      std::map<int64_t, std::vector<std::pair<std::string, PairCells>>> per_hour;
      for (const SqlRow& r :
           s.query("SELECT hour, segment, both_right, only_first, only_second, both_wrong "
                   "FROM rollup_pair_segments WHERE approach_a = $1 AND approach_b = $2 "
                   "AND hour >= $3 AND hour < $4",
                   {a, b, w.first_hour, w.end_hour}))
        per_hour[as_int(r[0])].push_back(
            {as_string(r[1]), {as_int(r[2]), as_int(r[3]), as_int(r[4]), as_int(r[5])}});
      // An hour whose segments do not add up to its pairs was labelled in part by a writer
      // that keeps no segment cells (a replica of an earlier build still running after the
      // store was migrated under it): that hour's segments are read from its rows instead of
      // left short for good.
      // Cell by cell: a label changed by such a writer moves an item between cells, not in or
      // out of the hour.
      auto same = [](const PairCells& x, const PairCells& y) {
        return x.both_right == y.both_right && x.only_first == y.only_first &&
               x.only_second == y.only_second && x.both_wrong == y.both_wrong;
      };
      for (const auto& [hour, c] : hours) {
        PairCells in_segments;
        auto it = per_hour.find(hour);
        if (it != per_hour.end())
          for (const auto& [segment, sc] : it->second) add(in_segments, sc);
        if (same(in_segments, c)) {
          if (it != per_hour.end())
            for (const auto& [segment, sc] : it->second) add(by_segment[segment], sc);
        } else {
          from_rows(hour * kHourMs, (hour + 1) * kHourMs, /*into_all=*/false);
        }
      }
    }
  }
  for (const auto& [from, to] : w.edges) from_rows(from, to, /*into_all=*/true);
  auto oriented = [&](const PairCells& c) {
    return PairCells{c.both_right, swapped ? c.only_second : c.only_first,
                     swapped ? c.only_first : c.only_second, c.both_wrong};
  };
  const PairCells all = oriented(cells);
  out.both_right = all.both_right;
  out.only_first = all.only_first;
  out.only_second = all.only_second;
  out.both_wrong = all.both_wrong;
  for (const auto& [segment, c] : by_segment) {
    const PairCells o = oriented(c);
    if (o.both_right + o.only_first + o.only_second + o.both_wrong == 0) continue;
    out.segments.push_back({segment, o.both_right, o.only_first, o.only_second, o.both_wrong});
  }
  return out;
}

}  // namespace

PilotCounts query_pilot_counts(SqlSession& s, const PilotQuery& query) {
  PilotCounts out;
  Accumulator acc(query);
  Window w = split_window(query.from_ms, query.to_ms);
  const bool b = query.breakdowns;
  for (const auto& [first, end] : w.days) add_buckets(s, kDayGrain, first, end, b, acc);
  for (const auto& [first, end] : w.hours) add_buckets(s, kHourGrain, first, end, b, acc);
  for (const auto& [from, to] : w.edges) add_rows(s, from, to, b, acc);
  acc.finish(out);
  if (query.paired) out.paired = paired_outcomes(s, query, w);
  return out;
}

}  // namespace tunecase::store_detail
