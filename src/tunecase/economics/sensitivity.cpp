#include "tunecase/economics/sensitivity.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/economics/analysis.h"
#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

// One input a user typed in, and every figure of the scenario that holds it.
struct Knob {
  std::string label;
  InputKind kind;
  std::vector<Figure*> figures;
};

bool movable(const Figure& f) {
  return f.source == Source::assumed && f.known() && f.get() != 0;
}

void add(std::vector<Knob>& out, std::string label, InputKind kind, Figure& f) {
  if (movable(f)) out.push_back({std::move(label), kind, {&f}});
}

// An approach's monitoring equal to [business] monitoring_usd_per_month is taken as inherited
// from it (the scenario keeps no other trace), so it moves with the business-wide key.
bool inherits_monitoring(const ApproachInputs& a, const BusinessInputs& b) {
  return a.monitoring_usd_per_month.get() == b.monitoring_usd_per_month.get();
}

void add_business(std::vector<Knob>& out, Scenario& s) {
  BusinessInputs& b = s.business;
  add(out, "queries per month", InputKind::count, b.queries_per_month);
  std::string per_error = "cost per error";
  if (b.harmful_mode) {
    per_error = "cost per incident";
  } else if (!b.cost_by_label.empty()) {
    std::vector<std::string> labels;
    for (const auto& [label, usd] : b.cost_by_label)
      labels.push_back(fmt::format("{} {}", label, money(usd)));
    per_error = fmt::format(
        "cost per error (every label's cost moved by the same share: {}, the others as shown)",
        fmt::join(labels, ", "));
  }
  add(out, per_error, InputKind::money, b.cost_per_error);
  add(out, "engineer $ per week", InputKind::money, b.engineer_usd_per_week);
  add(out, "horizon months", InputKind::months, b.horizon_months);
  if (!movable(b.monitoring_usd_per_month)) return;
  Knob monitoring{
      "monitoring $ per month (business-wide)", InputKind::money, {&b.monitoring_usd_per_month}};
  for (auto& a : s.approaches) {
    if (inherits_monitoring(a, b)) monitoring.figures.push_back(&a.monitoring_usd_per_month);
  }
  out.push_back(monitoring);
}

void add_approach(std::vector<Knob>& out, ApproachInputs& a, const BusinessInputs& b) {
  std::string p = a.name + ": ";
  add(out, p + (b.harmful_mode ? "harmful-error rate" : "error rate (1 - accuracy)"),
      InputKind::rate, a.error_rate);
  add(out, p + "$ per query", InputKind::money, a.usd_per_query);
  add(out, p + "hosting $ per month", InputKind::money, a.hosting_usd_per_month);
  add(out, p + "training $", InputKind::money, a.training_usd);
  add(out, p + "engineering weeks", InputKind::weeks, a.engineering_weeks);
  add(out, p + "retrain every (months)", InputKind::months, a.retrain_every_months);
  add(out, p + "retrain $", InputKind::money, a.retrain_usd);
  add(out, p + "maintenance weeks per month", InputKind::weeks, a.maintenance_weeks_per_month);
  if (!inherits_monitoring(a, b))
    add(out, p + "monitoring $ per month", InputKind::money, a.monitoring_usd_per_month);
  add(out, p + "time to ship weeks", InputKind::weeks, a.time_to_ship_weeks);
}

std::vector<Knob> knobs(Scenario& s) {
  std::vector<Knob> out;
  add_business(out, s);
  for (auto& a : s.approaches) add_approach(out, a, s.business);
  return out;
}

double moved(const Knob& k, double factor) {
  double v = k.figures.front()->get() * factor;
  return k.kind == InputKind::rate ? std::min(v, 1.0) : v;
}

Scenario scaled(const Scenario& s, size_t input, double factor) {
  Scenario copy = s;
  Knob k = knobs(copy)[input];
  double v = moved(k, factor);
  for (Figure* f : k.figures) f->value = v;
  for (auto& a : copy.approaches) {  // keep interval ends in step with a moved rate
    if (&a.error_rate == k.figures.front()) a.error_rate_low = a.error_rate_high = a.error_rate;
  }
  return copy;
}

struct Outcome {
  std::string pick;
  double net_of = 0;
};

// The net benefit the table watches; with the baseline's price unknown, its floor (value minus
// the approach's own cost), as the recommendation ranks by: an unknown read as $0 had shown
// "$0 .. $0" for every input and listed the ones that moved the floor by half as moving nothing.
double watched_figure(const ApproachResult& r) {
  return r.net.known() ? r.net.get() : r.net_floor.get();
}

// The pick under a changed scenario, and the net benefit of `watched` there.
Outcome outcome(const Scenario& s, const std::string& watched) {
  Analysis a = analyse(s);
  Outcome o;
  if (a.best) o.pick = a.results[*a.best].name;
  for (const auto& r : a.results) {
    if (r.name == watched) o.net_of = watched_figure(r);
  }
  return o;
}

// The pick, or when the pick is the baseline the alternative with the highest known net.
const ApproachResult& watched_result(const Analysis& a) {
  const ApproachResult* best = &a.results[*a.best];
  if (!best->is_baseline) return *best;
  const ApproachResult* alt = nullptr;
  for (const auto& r : a.results) {
    if (r.is_baseline || !r.net_floor.known()) continue;
    if (!alt || watched_figure(r) > watched_figure(*alt)) alt = &r;
  }
  return alt ? *alt : *best;
}

}  // namespace

Sensitivity sensitivity(const Scenario& s, double swing) {
  Sensitivity out;
  Analysis base = analyse(s);
  if (!base.best) return out;
  out.base_pick = base.results[*base.best].name;
  const ApproachResult& watched = watched_result(base);
  out.watched = watched.name;
  out.base_net = watched_figure(watched);
  double scale = std::max(std::fabs(out.base_net), 1.0);
  Scenario probe = s;
  std::vector<Knob> inputs = knobs(probe);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Outcome lo = outcome(scaled(s, i, 1 - swing), out.watched);
    Outcome hi = outcome(scaled(s, i, 1 + swing), out.watched);
    SensitivityRow row{inputs[i].label,
                       inputs[i].kind,
                       inputs[i].figures.front()->get(),
                       moved(inputs[i], 1 - swing),
                       moved(inputs[i], 1 + swing),
                       lo.pick,
                       hi.pick,
                       lo.net_of,
                       hi.net_of};
    row.flips = lo.pick != out.base_pick || hi.pick != out.base_pick;
    double swing_of_net =
        std::max(std::fabs(lo.net_of - out.base_net), std::fabs(hi.net_of - out.base_net));
    row.matters = row.flips || swing_of_net > out.threshold * scale;
    out.rows.push_back(row);
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const auto& x, const auto& y) {
    return std::fabs(x.net_high - x.net_low) > std::fabs(y.net_high - y.net_low);
  });
  return out;
}

std::string input_value_text(const Scenario& s, InputKind kind, double value) {
  switch (kind) {
    case InputKind::money:
      // An input moved by half may fall between cents ($0.75 to $0.375 and $1.125): shown as
      // it is used, not rounded to the cent half-even ($0.38 and $1.12 read as an uneven move).
      if (std::fabs(value) >= 0.1 && std::fabs(value) < 10 &&
          std::fabs(value * 100 - std::round(value * 100)) > 1e-6)
        return fmt::format("{}${:.3f}", value < 0 ? "-" : "", std::fabs(value));
      return money(value);
    case InputKind::count:
      return count(value);
    case InputKind::rate:
      return s.business.harmful_mode
                 ? percent(value)
                 : fmt::format("{} (accuracy {})", percent(value), percent(1 - value));
    case InputKind::months:
      return fmt::format("{:.3g} months", value);
    case InputKind::weeks:
      return fmt::format("{:.3g} weeks", value);
  }
  return fmt::format("{:g}", value);
}

}  // namespace tunecase::econ
