// The read side of Store::pilot_counts: whole hours from the roll-ups, the partial hours at the
// window's ends from the logged rows, merged in C++ into the same per-arm sums.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "tunecase/store/rollup.h"
#include "tunecase/store/sql_store.h"

namespace tunecase::store_detail {
namespace {

using ArmKey = std::pair<std::string, std::string>;  // approach, arm

// [from_ms, to_ms) as whole hours [first_hour, end_hour) plus up to two partial ranges.
struct Window {
  int64_t first_hour = 0;
  int64_t end_hour = 0;
  std::vector<std::pair<int64_t, int64_t>> edges;
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
  a.fallbacks = r.fallbacks;
  a.abstained = r.abstained;
  a.abstained_labelled = r.abstained_labelled;
  a.abstained_correct = r.abstained_correct;
  a.simulated = r.simulated;
  a.tokens_in = r.tokens_in;
  a.tokens_out = r.tokens_out;
  a.cost_usd = r.cost_usd;
  a.costed = r.costed;
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
  d.fallbacks = r.fallbacks;
  d.abstained = r.abstained;
  d.tokens_in = r.tokens_in;
  d.tokens_out = r.tokens_out;
  d.cost_usd = r.cost_usd;
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

HourRow hour_row_from(const SqlRow& r) {
  HourRow h;
  h.requests = as_int(r[3]);
  h.errors = as_int(r[4]);
  h.fallbacks = as_int(r[5]);
  h.abstained = as_int(r[6]);
  h.simulated = as_int(r[7]);
  h.tokens_in = as_int(r[8]);
  h.tokens_out = as_int(r[9]);
  h.cost_usd = as_double(r[10]);
  h.costed = as_int(r[11]);
  h.latency_sum = as_double(r[12]);
  h.upstream_sum = as_double(r[13]);
  h.first_ms = as_int(r[14]);
  h.last_ms = as_int(r[15]);
  h.latency = LatencyHistogram::decode(as_string(r[16]));
  h.upstream = LatencyHistogram::decode(as_string(r[17]));
  h.labelled = as_int(r[18]);
  h.correct = as_int(r[19]);
  h.abstained_labelled = as_int(r[20]);
  h.abstained_correct = as_int(r[21]);
  return h;
}

void add_whole_hours(SqlSession& s, const Window& w, Accumulator& acc) {
  if (w.first_hour >= w.end_hour) return;
  std::vector<SqlValue> range = {w.first_hour, w.end_hour};
  for (const SqlRow& r :
       s.query("SELECT approach, arm, hour, requests, errors, fallbacks, abstained, simulated, "
               "tokens_in, tokens_out, cost_usd, costed, latency_sum, upstream_sum, first_ms, "
               "last_ms, latency_hist, upstream_hist, labelled, correct, abstained_labelled, "
               "abstained_correct FROM rollup_hours WHERE hour >= $1 AND hour < $2",
               range)) {
    acc.add_hour(as_string(r[0]), as_string(r[1]), as_int(r[2]), hour_row_from(r));
  }
  for (const SqlRow& r :
       s.query("SELECT approach, arm, gold, predicted, SUM(n) FROM rollup_confusion "
               "WHERE hour >= $1 AND hour < $2 GROUP BY approach, arm, gold, predicted",
               range)) {
    acc.add_confusion(as_string(r[0]), as_string(r[1]), as_string(r[2]), as_string(r[3]),
                      as_int(r[4]));
  }
  for (const SqlRow& r :
       s.query("SELECT approach, arm, segment, SUM(labelled), SUM(correct) FROM rollup_segments "
               "WHERE hour >= $1 AND hour < $2 GROUP BY approach, arm, segment",
               range)) {
    acc.add_segment(as_string(r[0]), as_string(r[1]), as_string(r[2]), as_int(r[3]), as_int(r[4]));
  }
}

// Logged rows of a partial hour, counted exactly as the roll-ups count them.
void add_rows(SqlSession& s, int64_t from_ms, int64_t to_ms, Accumulator& acc) {
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
      acc.add_confusion(p.approach, arm, g, p.label, 1);
      acc.add_segment(p.approach, arm, p.segment, 1, g == p.label ? 1 : 0);
    }
    acc.add_hour(p.approach, arm, hour_of(p.created_at_ms), row);
  }
}

PairedOutcomes paired_outcomes(SqlSession& s, const PilotQuery& q) {
  PairedOutcomes out;
  out.first = q.paired->first;
  out.second = q.paired->second;
  SqlRows rows = s.query(R"(
    SELECT SUM(CASE WHEN ca = 1 AND cb = 1 THEN 1 ELSE 0 END),
           SUM(CASE WHEN ca = 1 AND cb = 0 THEN 1 ELSE 0 END),
           SUM(CASE WHEN ca = 0 AND cb = 1 THEN 1 ELSE 0 END),
           SUM(CASE WHEN ca = 0 AND cb = 0 THEN 1 ELSE 0 END)
    FROM (SELECT MAX(CASE WHEN approach = $1 THEN correct END) AS ca,
                 MAX(CASE WHEN approach = $2 THEN correct END) AS cb
          FROM feedback
          WHERE approach IN ($1, $2) AND created_at >= $3 AND created_at < $4
          GROUP BY request_id, text_hash) items
    WHERE ca IS NOT NULL AND cb IS NOT NULL)",
                         {out.first, out.second, q.from_ms, q.to_ms});
  if (rows.empty()) return out;
  out.both_right = as_int(rows[0][0]);
  out.only_first = as_int(rows[0][1]);
  out.only_second = as_int(rows[0][2]);
  out.both_wrong = as_int(rows[0][3]);
  return out;
}

}  // namespace

PilotCounts query_pilot_counts(SqlSession& s, const PilotQuery& query) {
  PilotCounts out;
  Accumulator acc(query);
  Window w = split_window(query.from_ms, query.to_ms);
  add_whole_hours(s, w, acc);
  for (const auto& [from, to] : w.edges) add_rows(s, from, to, acc);
  acc.finish(out);
  if (query.paired) out.paired = paired_outcomes(s, query);
  return out;
}

}  // namespace tunecase::store_detail
