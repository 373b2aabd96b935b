#include "tunecase/monitor/daily.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

namespace tunecase::monitor {

int64_t day_of_ms(int64_t ms) {
  return ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs);
}

// Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil inverse).
std::string pct(double fraction) {
  return fmt::format("{:.1f}%", 100 * fraction);
}

std::string iso_date(int64_t day) {
  int64_t z = day + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04}-{:02}-{:02}", m <= 2 ? y + 1 : y, m, d);
}

std::string day_spans(const std::set<int64_t>& days) {
  std::string out;
  for (auto it = days.begin(); it != days.end();) {
    int64_t first = *it, last = *it;
    for (++it; it != days.end() && *it == last + 1; ++it) last = *it;
    out += (out.empty() ? "" : ", ") +
           (first == last ? iso_date(first)
                          : fmt::format("{} to {}", iso_date(first), iso_date(last)));
  }
  return out;
}

namespace {

DayPoint empty_day(int64_t day) {
  DayPoint p;
  p.day = day;
  p.date = iso_date(day);
  return p;
}

void fill(DayPoint& p, const DayFigures& f, int64_t min_labelled, bool priced) {
  p.requests = f.requests;
  p.labelled = f.labelled;
  p.correct = f.correct;
  p.errors = f.errors;
  p.timeouts = f.timeouts;
  if (f.labelled > 0) {
    p.accuracy = static_cast<double>(f.correct) / static_cast<double>(f.labelled);
    p.accuracy_ci95 =
        wilson_interval(static_cast<std::size_t>(f.correct), static_cast<std::size_t>(f.labelled));
  }
  p.counted = f.labelled >= min_labelled;
  p.error_rate =
      f.requests > 0 ? static_cast<double>(f.errors) / static_cast<double>(f.requests) : 0;
  p.latency_p50_ms = f.latency.p50;
  p.latency_p95_ms = f.latency.p95;
  if (f.costed > 0) p.cost_usd = f.cost_usd;  // tokens without a price are no cost of $0
  p.cost_unknown =
      cost_unknown(f.requests, f.errors, f.costed, f.costed_errors, f.unpriced_attempts, priced);
  if (p.cost_unknown > 0)
    p.cost_estimated_usd = estimated_cost_usd(f.cost_usd, f.costed - f.cached, p.cost_unknown);
}

}  // namespace

std::vector<ApproachSeries> series_from_days(const std::vector<DayFigures>& days,
                                             const DailyQuery& query) {
  if (query.end_day <= query.first_day)
    throw std::invalid_argument(fmt::format("the window of days [{}, {}) is empty",
                                            iso_date(query.first_day), iso_date(query.end_day)));
  std::map<std::pair<std::string, int>, ApproachSeries> by_key;
  for (const std::string& a : query.approaches) by_key[{a, static_cast<int>(Arm::champion)}];
  for (const DayFigures& f : days) {
    if (f.day < query.first_day || f.day >= query.end_day) continue;
    by_key[{f.approach, static_cast<int>(f.arm)}];
  }
  std::vector<ApproachSeries> out;
  for (auto& [key, series] : by_key) {
    series.approach = key.first;
    series.arm = static_cast<Arm>(key.second);
    series.name = series.arm == Arm::champion
                      ? series.approach
                      : fmt::format("{} ({})", series.approach, arm_name(series.arm));
    for (int64_t d = query.first_day; d < query.end_day; ++d) series.days.push_back(empty_day(d));
    for (const DayFigures& f : days) {
      if (f.approach != series.approach || f.arm != series.arm) continue;
      if (f.day < query.first_day || f.day >= query.end_day) continue;
      fill(series.days[static_cast<std::size_t>(f.day - query.first_day)], f, query.min_labelled,
           query.priced.count(f.approach) > 0);
      series.requests += f.requests;
      series.labelled += f.labelled;
      series.correct += f.correct;
    }
    out.push_back(std::move(series));
  }
  return out;
}

std::vector<ApproachSeries> daily_figures(Store& store, const DailyQuery& query) {
  if (query.end_day <= query.first_day)
    throw std::invalid_argument(fmt::format("the window of days [{}, {}) is empty",
                                            iso_date(query.first_day), iso_date(query.end_day)));
  PilotQuery q;
  q.from_ms = query.first_day * kDayMs;
  q.to_ms = std::min(query.end_day * kDayMs, query.until_ms);
  q.approaches = query.approaches;
  PilotCounts counts = store.pilot_counts(q);
  DailyQuery with_prices = query;
  if (with_prices.priced.empty()) with_prices.priced = priced_approaches(store);
  std::vector<ApproachSeries> out = series_from_days(counts.days, with_prices);
  for (ApproachSeries& s : out)
    for (const ArmFigures& a : counts.arms)
      if (a.approach == s.approach && a.arm == s.arm && a.simulated > 0) s.simulated = true;
  // By label: the window's figures, then its last days' and their mistakes (an accuracy alert
  // names labels to look at; nothing in the report had said which).
  PilotQuery recent = q;
  recent.from_ms = std::max(q.from_ms, (query.end_day - kRecentDays) * kDayMs);
  PilotCounts last = store.pilot_counts(recent);
  for (ApproachSeries& s : out) {
    std::map<std::string, LabelPoint> by_label;
    auto add = [&](const std::vector<LabelFigures>& figures, bool is_recent) {
      for (const LabelFigures& l : figures) {
        if (l.approach != s.approach || l.arm != s.arm) continue;
        LabelPoint& p = by_label[l.label];
        p.label = l.label;
        (is_recent ? p.recent_labelled : p.labelled) += l.labelled;
        (is_recent ? p.recent_correct : p.correct) += l.correct;
      }
    };
    add(counts.labels, false);
    add(last.labels, true);
    for (auto& [label, point] : by_label) s.labels.push_back(point);
    for (const ConfusionPair& c : last.confusion)
      if (c.approach == s.approach && c.arm == s.arm && c.gold != c.predicted && c.count > 0)
        s.confusions.push_back({c.gold, c.predicted, c.count});
    std::stable_sort(
        s.confusions.begin(), s.confusions.end(),
        [](const ConfusionPoint& a, const ConfusionPoint& b) { return a.count > b.count; });
    if (s.confusions.size() > kTopConfusions) s.confusions.resize(kTopConfusions);
  }
  return out;
}

}  // namespace tunecase::monitor
