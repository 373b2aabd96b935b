#include "tunecase/economics/memo_tables.h"

#include <cmath>

#include <fmt/format.h>

#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

std::string tag(const Figure& f) {
  return provenance_label(f);
}

std::string with_tag(const std::string& text, const Figure& f) {
  return fmt::format("{} ({})", text, tag(f));
}

std::string rate_or_accuracy(const Scenario& s, double rate) {
  return s.business.harmful_mode ? percent(rate) + " harmful" : percent(1 - rate);
}

std::string months_text(const std::optional<double>& m) {
  return m ? fmt::format("{:.1f}", *m) : "never";
}

std::string payback_text(const ApproachResult& r) {
  if (r.is_baseline) return "-";
  return r.net.known() ? months_text(r.payback_months) : "UNKNOWN";
}

Figure weakest_of(std::initializer_list<Figure> figures) {
  Figure out{0.0, Source::measured, false};
  for (const auto& f : figures) out = combine(out, f, 0.0);
  return out;
}

}  // namespace

std::string simulated_warning() {
  return "SIMULATED: accuracy, latency and token figures marked \"simulated\" come from the "
         "offline LLM stand-in, not from a real model. Do not act on them.";
}

std::string quality_text(const Scenario& s, const ApproachInputs& a) {
  std::string point = rate_or_accuracy(s, a.error_rate.get());
  if (a.error_rate_low.get() == a.error_rate_high.get()) return point;
  double lo = a.error_rate_high.get(), hi = a.error_rate_low.get();
  return fmt::format("{} [{}, {}]", point, rate_or_accuracy(s, lo), rate_or_accuracy(s, hi));
}

Table business_inputs_table(const Decision& d) {
  const BusinessInputs& b = d.scenario.business;
  Table t{{"input", "value", "source"}, {}};
  t.rows.push_back(
      {"queries per month", count(b.queries_per_month.get()), tag(b.queries_per_month)});
  t.rows.push_back({b.harmful_mode ? "cost per harmful incident" : "cost per error",
                    money(b.cost_per_error), tag(b.cost_per_error)});
  t.rows.push_back(
      {"engineer cost per week", money(b.engineer_usd_per_week), tag(b.engineer_usd_per_week)});
  t.rows.push_back(
      {"horizon (months)", fmt::format("{:g}", b.horizon_months.get()), tag(b.horizon_months)});
  t.rows.push_back({"days per month", fmt::format("{:g}", b.days_per_month), "assumed"});
  t.rows.push_back({"baseline", b.baseline, "assumed"});
  return t;
}

Table quality_table(const Decision& d) {
  const Scenario& s = d.scenario;
  std::string q = s.business.harmful_mode ? "harmful-error rate" : "accuracy [95% CI]";
  Table t{{"approach", "type", q, "errors / month", "latency p50", "$ per query", "cost basis"},
          {}};
  for (size_t i = 0; i < s.approaches.size(); ++i) {
    const ApproachInputs& a = s.approaches[i];
    std::string latency =
        a.latency_p50_ms.known()
            ? with_tag(fmt::format("{:.3g} ms", a.latency_p50_ms.get()), a.latency_p50_ms)
            : "-";
    t.rows.push_back({a.name, a.trained ? "trained / self-hosted" : "prompting",
                      with_tag(quality_text(s, a), a.error_rate),
                      count(d.analysis.results[i].errors_per_month.get()), latency,
                      with_tag(money(a.usd_per_query), a.usd_per_query),
                      a.cost_basis.empty() ? "-" : a.cost_basis});
  }
  return t;
}

Table cost_value_table(const Decision& d) {
  Table t{{"approach", "one-time", "running / month", "cost over horizon", "value over horizon",
           "cost of delay", "net benefit", "net at interval ends", "payback (months)", "source"},
          {}};
  for (const auto& r : d.analysis.results) {
    std::string ends = r.net_low.known() && r.net_low.get() != r.net_high.get()
                           ? fmt::format("{} .. {}", money(r.net_low), money(r.net_high))
                           : "-";
    Figure src = weakest_of({r.horizon_cost, r.value});
    t.rows.push_back({r.name + (r.is_baseline ? " (baseline)" : ""), money(r.cost.one_time),
                      money(r.cost.recurring_per_month), money(r.horizon_cost), money(r.value),
                      money(r.cost_of_delay), money(r.net), ends, payback_text(r), tag(src)});
  }
  return t;
}

Table break_even_table(const Decision& d) {
  Table t{{"pair", "break-even (queries / month)", "cheaper below", "cheaper above"}, {}};
  for (const auto& be : d.break_evens) {
    std::string at = be.crossing == Crossing::at_volume ? count(std::ceil(be.queries_per_month))
                     : be.crossing == Crossing::never   ? "never"
                                                        : "UNKNOWN (price unknown)";
    bool crosses = be.crossing == Crossing::at_volume;
    if (be.crossing == Crossing::unknown) {
      t.rows.push_back({be.a + " vs " + be.b, at, "-", "-"});
      continue;
    }
    if (be.cheaper_below.empty()) {
      t.rows.push_back({be.a + " vs " + be.b, at, "same cost", "same cost"});
      continue;
    }
    t.rows.push_back({be.a + " vs " + be.b, at,
                      be.crossing == Crossing::unknown ? "-" : be.cheaper_below,
                      crosses                          ? be.cheaper_above
                      : be.crossing == Crossing::never ? be.cheaper_below + " (always)"
                                                       : "-"});
  }
  return t;
}

Table sensitivity_table(const Decision& d) {
  Table t{{"assumed input (-50% / +50%)", "base value", "pick at -50%", "pick at +50%",
           "net of " + d.sensitivity.base_pick, "flips?"},
          {}};
  for (const auto& row : d.sensitivity.rows) {
    t.rows.push_back({row.input, fmt::format("{:g}", row.base_value), row.pick_low, row.pick_high,
                      fmt::format("{} .. {}", money(row.net_low), money(row.net_high)),
                      row.flips ? "YES" : "no"});
  }
  return t;
}

Table what_it_takes_table(const Decision& d) {
  const Scenario& s = d.scenario;
  Table t{{"trained approach", "to beat", "needs", "or a volume of (queries / month)"}, {}};
  for (const auto& w : d.what_it_takes) {
    std::string needs = w.already_ahead         ? "already ahead"
                        : w.required_error_rate ? rate_or_accuracy(s, *w.required_error_rate) +
                                                      (s.business.harmful_mode ? "" : " accuracy")
                                                : "out of reach (even zero errors would not pay)";
    std::string volume =
        w.required_queries_per_month ? count(*w.required_queries_per_month) : "never";
    t.rows.push_back({w.trained, w.prompting, needs, volume});
  }
  return t;
}

Table checklist_table(const Decision& d) {
  Table t{{"#", "question", "answer", "evidence", "source"}, {}};
  int n = 1;
  for (const auto& item : d.checklist.items) {
    std::string answer = item.answer ? (*item.answer ? "yes" : "no") : "unknown (no)";
    t.rows.push_back({std::to_string(n++), item.question, answer, item.evidence, item.source});
  }
  return t;
}

Table pilot_outcomes_table(const Decision& d) {
  const PilotPlan& p = d.pilot;
  const Scenario& s = d.scenario;
  Table t{{"outcome", "live result of " + p.approach, "then"}, {}};
  auto shown = [&](double rate) {
    return rate_or_accuracy(s, rate) + (s.business.harmful_mode ? "" : " accuracy");
  };
  std::string better = s.business.harmful_mode ? "at or below" : "at or above";
  std::string worse = s.business.harmful_mode ? "at or above" : "at or below";
  t.rows.push_back({"clear win",
                    fmt::format("{} {} (offline: {}), cost per query as modelled, "
                                "no new kinds of mistakes",
                                better, shown(p.clear_win_rate), shown(p.expected_rate)),
                    "scale to 100% of traffic"});
  t.rows.push_back(
      {"marginal",
       fmt::format("between {} and {}", shown(p.baseline_rate), shown(p.clear_win_rate)),
       "gain smaller than expected: keep " + p.against + ", keep improving prompts, archive " +
           p.approach});
  t.rows.push_back({"worse", fmt::format("{} {} ({})", worse, shown(p.baseline_rate), p.against),
                    "abandon " + p.approach});
  return t;
}

}  // namespace tunecase::econ
