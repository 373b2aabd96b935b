#include "tunecase/store/rollup_sql.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace tunecase::store_detail {

const char* const kRollupColumns =
    "requests, errors, fallbacks, abstained, simulated, tokens_in, tokens_out, cost_usd, costed, "
    "latency_sum, upstream_sum, first_ms, last_ms, latency_hist, upstream_hist, labelled, "
    "correct, abstained_labelled, abstained_correct, timeouts, cached, costed_errors, "
    "unpriced_attempts";

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
  h.timeouts = as_int(r[22]);
  h.cached = as_int(r[23]);
  h.costed_errors = as_int(r[24]);
  h.unpriced_attempts = as_int(r[25]);
  return h;
}

// The upsert takes the row lock (PostgreSQL), so the histograms read back and merged below cannot
// be overwritten by another replica meanwhile.
void add_to_bucket(SqlSession& s, const Grain& g, const HourKey& k, const HourRow& r) {
  std::string upsert = fmt::format(R"(
    INSERT INTO {0}(approach, arm, hour, {1})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '', '',
      $17, $18, $19, $20, $21, $22, $23, $24)
    ON CONFLICT (approach, arm, hour) DO UPDATE SET
      requests = {0}.requests + excluded.requests,
      errors = {0}.errors + excluded.errors,
      fallbacks = {0}.fallbacks + excluded.fallbacks,
      abstained = {0}.abstained + excluded.abstained,
      simulated = {0}.simulated + excluded.simulated,
      tokens_in = {0}.tokens_in + excluded.tokens_in,
      tokens_out = {0}.tokens_out + excluded.tokens_out,
      cost_usd = {0}.cost_usd + excluded.cost_usd,
      costed = {0}.costed + excluded.costed,
      latency_sum = {0}.latency_sum + excluded.latency_sum,
      upstream_sum = {0}.upstream_sum + excluded.upstream_sum,
      first_ms = CASE WHEN excluded.first_ms < {0}.first_ms
                      THEN excluded.first_ms ELSE {0}.first_ms END,
      last_ms = CASE WHEN excluded.last_ms > {0}.last_ms
                     THEN excluded.last_ms ELSE {0}.last_ms END,
      labelled = {0}.labelled + excluded.labelled,
      correct = {0}.correct + excluded.correct,
      abstained_labelled = {0}.abstained_labelled + excluded.abstained_labelled,
      abstained_correct = {0}.abstained_correct + excluded.abstained_correct,
      timeouts = {0}.timeouts + excluded.timeouts,
      cached = {0}.cached + excluded.cached,
      costed_errors = {0}.costed_errors + excluded.costed_errors,
      unpriced_attempts = {0}.unpriced_attempts + excluded.unpriced_attempts
    RETURNING latency_hist, upstream_hist)",
                                   g.hours, kRollupColumns);
  SqlRows old = s.query(
      upsert, {k.approach,  k.arm,       k.hour,          r.requests,           r.errors,
               r.fallbacks, r.abstained, r.simulated,     r.tokens_in,          r.tokens_out,
               r.cost_usd,  r.costed,    r.latency_sum,   r.upstream_sum,       r.first_ms,
               r.last_ms,   r.labelled,  r.correct,       r.abstained_labelled, r.abstained_correct,
               r.timeouts,  r.cached,    r.costed_errors, r.unpriced_attempts});
  LatencyHistogram latency = LatencyHistogram::decode(as_string(old.at(0)[0]));
  LatencyHistogram upstream = LatencyHistogram::decode(as_string(old.at(0)[1]));
  latency.merge(r.latency);
  upstream.merge(r.upstream);
  s.exec(fmt::format("UPDATE {} SET latency_hist = $1, upstream_hist = $2 "
                     "WHERE approach = $3 AND arm = $4 AND hour = $5",
                     g.hours),
         {latency.encode(), upstream.encode(), k.approach, k.arm, k.hour});
}

void add_pair_outcome(PairCells& c, bool first_right, bool second_right, int sign) {
  if (first_right && second_right) c.both_right += sign;
  if (first_right && !second_right) c.only_first += sign;
  if (!first_right && second_right) c.only_second += sign;
  if (!first_right && !second_right) c.both_wrong += sign;
}

void RollupDeltas::add_label_of(const LabelTarget& t, const std::string& gold, int sign) {
  int64_t hour = hour_of(t.created_at);
  bool correct = gold == t.label;
  for (int g = 0; g < 2; ++g) {
    int64_t bucket = bucket_of(kGrains[g], hour);
    add_label(hours_[{g, t.approach, t.arm, bucket}], t.abstained, correct, sign);
    confusion_[{g, t.approach, t.arm, bucket, gold, t.label}] += sign;
    auto& seg = segments_[{g, t.approach, t.arm, bucket, t.segment}];
    seg.first += sign;
    seg.second += correct ? sign : 0;
  }
}

void RollupDeltas::add_item(const std::vector<LabelTarget>& targets, const std::string& gold) {
  struct State {
    bool old_labelled = false, old_right = false, new_right = false, changed = false;
    int64_t first_at = std::numeric_limits<int64_t>::max();
    std::string segment;  // the item's (its first prediction's)
  };
  std::map<std::string, State> by_approach;  // sorted: pairs come out first < second
  for (const LabelTarget& t : targets) {
    State& st = by_approach[t.approach];
    if (t.created_at < st.first_at) st.segment = t.segment;
    st.first_at = std::min(st.first_at, t.created_at);
    if (t.old_gold) {
      st.old_labelled = true;
      st.old_right = st.old_right || *t.old_gold == t.label;
    }
    st.new_right = st.new_right || gold == t.label;
    if (t.old_gold == gold) continue;
    st.changed = true;
    if (t.old_gold) add_label_of(t, *t.old_gold, -1);
    add_label_of(t, gold, +1);
  }
  for (auto a = by_approach.begin(); a != by_approach.end(); ++a) {
    for (auto b = std::next(a); b != by_approach.end(); ++b) {
      if (!a->second.changed && !b->second.changed) continue;
      const bool a_first = a->second.first_at <= b->second.first_at;
      int64_t hour = hour_of(a_first ? a->second.first_at : b->second.first_at);
      const std::string& segment = a_first ? a->second.segment : b->second.segment;
      for (PairCells* cells : {&pairs_[{a->first, b->first, hour}],
                               &pair_segments_[{a->first, b->first, hour, segment}]}) {
        if (a->second.old_labelled && b->second.old_labelled)
          add_pair_outcome(*cells, a->second.old_right, b->second.old_right, -1);
        add_pair_outcome(*cells, a->second.new_right, b->second.new_right, +1);
      }
    }
  }
}

void RollupDeltas::apply(SqlSession& s) const {
  for (const auto& [k, r] : hours_) {
    const auto& [g, approach, arm, bucket] = k;
    s.exec(
        fmt::format("UPDATE {} SET labelled = labelled + $1, correct = correct + $2, "
                    "abstained_labelled = abstained_labelled + $3, "
                    "abstained_correct = abstained_correct + $4 "
                    "WHERE approach = $5 AND arm = $6 AND hour = $7",
                    kGrains[g].hours),
        {r.labelled, r.correct, r.abstained_labelled, r.abstained_correct, approach, arm, bucket});
  }
  for (const auto& [k, n] : confusion_) {
    const auto& [g, approach, arm, bucket, gold, predicted] = k;
    if (n == 0) continue;
    s.exec(fmt::format("INSERT INTO {0}(approach, arm, hour, gold, predicted, n) "
                       "VALUES ($1, $2, $3, $4, $5, $6) "
                       "ON CONFLICT (approach, arm, hour, gold, predicted) "
                       "DO UPDATE SET n = {0}.n + excluded.n",
                       kGrains[g].confusion),
           {approach, arm, bucket, gold, predicted, n});
  }
  for (const auto& [k, v] : segments_) {
    const auto& [g, approach, arm, bucket, segment] = k;
    if (v.first == 0 && v.second == 0) continue;
    s.exec(fmt::format("INSERT INTO {0}(approach, arm, hour, segment, labelled, correct) "
                       "VALUES ($1, $2, $3, $4, $5, $6) "
                       "ON CONFLICT (approach, arm, hour, segment) "
                       "DO UPDATE SET labelled = {0}.labelled + excluded.labelled, "
                       "correct = {0}.correct + excluded.correct",
                       kGrains[g].segments),
           {approach, arm, bucket, segment, v.first, v.second});
  }
  for (const auto& [k, c] : pairs_) {
    const auto& [first, second, hour] = k;
    if (c.both_right == 0 && c.only_first == 0 && c.only_second == 0 && c.both_wrong == 0) continue;
    s.exec(
        "INSERT INTO rollup_pairs(approach_a, approach_b, hour, both_right, only_first, "
        "only_second, "
        "both_wrong) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (approach_a, approach_b, hour) DO UPDATE SET "
        "both_right = rollup_pairs.both_right + excluded.both_right, "
        "only_first = rollup_pairs.only_first + excluded.only_first, "
        "only_second = rollup_pairs.only_second + excluded.only_second, "
        "both_wrong = rollup_pairs.both_wrong + excluded.both_wrong",
        {first, second, hour, c.both_right, c.only_first, c.only_second, c.both_wrong});
  }
  for (const auto& [k, c] : pair_segments_) {
    const auto& [first, second, hour, segment] = k;
    if (c.both_right == 0 && c.only_first == 0 && c.only_second == 0 && c.both_wrong == 0) continue;
    s.exec(
        "INSERT INTO rollup_pair_segments(approach_a, approach_b, hour, segment, both_right, "
        "only_first, only_second, both_wrong) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (approach_a, approach_b, hour, segment) DO UPDATE SET "
        "both_right = rollup_pair_segments.both_right + excluded.both_right, "
        "only_first = rollup_pair_segments.only_first + excluded.only_first, "
        "only_second = rollup_pair_segments.only_second + excluded.only_second, "
        "both_wrong = rollup_pair_segments.both_wrong + excluded.both_wrong",
        {first, second, hour, segment, c.both_right, c.only_first, c.only_second, c.both_wrong});
  }
}

namespace {

struct ItemState {
  bool right = false;
  int64_t first_at = std::numeric_limits<int64_t>::max();
  std::string segment;  // its first prediction's, when the rows carry one
};

// Feedback rows (request_id, text_hash, approach, created_at, correct[, segment]) grouped by
// item, in any order; `visit` sees each item's answers per approach.
template <typename Visit>
void for_each_item(const SqlRows& rows, Visit visit) {
  std::map<std::pair<std::string, std::string>, std::map<std::string, ItemState>> items;
  for (const SqlRow& r : rows) {
    ItemState& st = items[{as_string(r[0]), as_string(r[1])}][as_string(r[2])];
    if (r.size() > 5 && as_int(r[3]) < st.first_at) st.segment = as_string(r[5]);
    st.first_at = std::min(st.first_at, as_int(r[3]));
    st.right = st.right || as_int(r[4]) != 0;
  }
  for (const auto& [item, answers] : items) visit(answers);
}

// The item's time and segment: its earliest prediction of the two.
const ItemState& earlier(const ItemState& a, const ItemState& b) {
  return a.first_at <= b.first_at ? a : b;
}

}  // namespace

std::map<std::string, PairCells> pair_cells_between(const SqlRows& rows, const std::string& first,
                                                    const std::string& second, int64_t from_ms,
                                                    int64_t to_ms, bool by_segment) {
  std::map<std::string, PairCells> out;
  for_each_item(rows, [&](const std::map<std::string, ItemState>& answers) {
    auto a = answers.find(first), b = answers.find(second);
    if (a == answers.end() || b == answers.end()) return;
    const ItemState& item = earlier(a->second, b->second);
    if (item.first_at >= from_ms && item.first_at < to_ms)
      add_pair_outcome(out[by_segment ? item.segment : std::string()], a->second.right,
                       b->second.right, +1);
  });
  return out;
}

void backfill_day_and_pair_rollups(SqlSession& s) {
  std::map<HourKey, HourRow> days;
  for (const SqlRow& r : s.query(
           fmt::format("SELECT approach, arm, hour, {} FROM rollup_hours", kRollupColumns), {})) {
    merge(days[{as_string(r[0]), as_string(r[1]), bucket_of(kDayGrain, as_int(r[2]))}],
          hour_row_from(r));
  }
  for (const auto& [key, row] : days) add_to_bucket(s, kDayGrain, key, row);

  std::map<std::tuple<std::string, std::string, int64_t, std::string, std::string>, int64_t>
      confusion;
  for (const SqlRow& r :
       s.query("SELECT approach, arm, hour, gold, predicted, n FROM rollup_confusion", {})) {
    confusion[{as_string(r[0]), as_string(r[1]), bucket_of(kDayGrain, as_int(r[2])),
               as_string(r[3]), as_string(r[4])}] += as_int(r[5]);
  }
  for (const auto& [k, n] : confusion) {
    const auto& [approach, arm, day, gold, predicted] = k;
    s.exec(
        "INSERT INTO rollup_day_confusion(approach, arm, hour, gold, predicted, n) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {approach, arm, day, gold, predicted, n});
  }
  std::map<std::tuple<std::string, std::string, int64_t, std::string>, std::pair<int64_t, int64_t>>
      segments;
  for (const SqlRow& r :
       s.query("SELECT approach, arm, hour, segment, labelled, correct FROM rollup_segments", {})) {
    auto& v = segments[{as_string(r[0]), as_string(r[1]), bucket_of(kDayGrain, as_int(r[2])),
                        as_string(r[3])}];
    v.first += as_int(r[4]);
    v.second += as_int(r[5]);
  }
  for (const auto& [k, v] : segments) {
    const auto& [approach, arm, day, segment] = k;
    s.exec(
        "INSERT INTO rollup_day_segments(approach, arm, hour, segment, labelled, correct) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {approach, arm, day, segment, v.first, v.second});
  }

  std::map<std::tuple<std::string, std::string, int64_t>, PairCells> pairs;
  for_each_item(
      s.query("SELECT request_id, text_hash, approach, created_at, correct FROM feedback", {}),
      [&](const std::map<std::string, ItemState>& answers) {
        for (auto a = answers.begin(); a != answers.end(); ++a) {
          for (auto b = std::next(a); b != answers.end(); ++b) {
            int64_t hour = hour_of(std::min(a->second.first_at, b->second.first_at));
            add_pair_outcome(pairs[{a->first, b->first, hour}], a->second.right, b->second.right,
                             +1);
          }
        }
      });
  for (const auto& [k, c] : pairs) {
    const auto& [first, second, hour] = k;
    s.exec(
        "INSERT INTO rollup_pairs(approach_a, approach_b, hour, both_right, only_first, "
        "only_second, "
        "both_wrong) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {first, second, hour, c.both_right, c.only_first, c.only_second, c.both_wrong});
  }
}

void backfill_pair_segments(SqlSession& s) {
  std::map<std::tuple<std::string, std::string, int64_t, std::string>, PairCells> pairs;
  for_each_item(s.query("SELECT f.request_id, f.text_hash, f.approach, f.created_at, f.correct, "
                        "COALESCE(p.segment, '') FROM feedback f LEFT JOIN predictions p "
                        "ON p.prediction_id = f.prediction_id",
                        {}),
                [&](const std::map<std::string, ItemState>& answers) {
                  for (auto a = answers.begin(); a != answers.end(); ++a) {
                    for (auto b = std::next(a); b != answers.end(); ++b) {
                      const ItemState& item = earlier(a->second, b->second);
                      add_pair_outcome(
                          pairs[{a->first, b->first, hour_of(item.first_at), item.segment}],
                          a->second.right, b->second.right, +1);
                    }
                  }
                });
  for (const auto& [k, c] : pairs) {
    const auto& [first, second, hour, segment] = k;
    s.exec(
        "INSERT INTO rollup_pair_segments(approach_a, approach_b, hour, segment, both_right, "
        "only_first, only_second, both_wrong) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {first, second, hour, segment, c.both_right, c.only_first, c.only_second, c.both_wrong});
  }
}

}  // namespace tunecase::store_detail
