#include "tunecase/economics/memo_charts.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/money.h"
#include "tunecase/report/svg_chart.h"

namespace tunecase::econ {
namespace {

std::string simulated_note(const Decision& d) {
  return d.scenario.simulated ? "SIMULATED accuracy: offline LLM stand-in, not a real model" : "";
}

struct Dot {
  std::string name;
  double cost, rate, rate_lo, rate_hi;
};

std::vector<Dot> known_dots(const Decision& d) {
  std::vector<Dot> dots;
  for (size_t i = 0; i < d.scenario.approaches.size(); ++i) {
    const auto& a = d.scenario.approaches[i];
    const auto& r = d.analysis.results[i];
    if (!r.cost.recurring_per_month.known()) continue;
    dots.push_back({a.name, r.cost.recurring_per_month.get(), a.error_rate.get(),
                    a.error_rate_low.get(), a.error_rate_high.get()});
  }
  return dots;
}

svg::Series make_series(const std::string& name, bool line, bool markers) {
  svg::Series s;
  s.name = name;
  s.line = line;
  s.markers = markers;
  return s;
}

svg::Point make_point(double x, double y) {
  svg::Point p;
  p.x = x;
  p.y = y;
  return p;
}

// Built whole rather than assigned field by field: g++ 12 warns falsely (-Wrestrict) on
// assigning short literals to the options' strings.
svg::Axis axis(std::string title, std::string prefix, std::string suffix, bool log = false) {
  svg::Axis a;
  a.title = std::move(title);
  a.prefix = std::move(prefix);
  a.suffix = std::move(suffix);
  a.log = log;
  return a;
}

double shown(const Decision& d, double rate) {
  return 100 * (d.scenario.business.harmful_mode ? rate : 1 - rate);
}

}  // namespace

bool dominates(double cost_a, double rate_a, double cost_b, double rate_b) {
  return cost_a <= cost_b && rate_a <= rate_b && (cost_a < cost_b || rate_a < rate_b);
}

std::string accuracy_cost_chart(const Decision& d) {
  std::vector<Dot> dots = known_dots(d);
  std::vector<svg::Series> series;
  std::vector<Dot> frontier;
  for (const auto& a : dots) {
    svg::Series s = make_series(a.name, false, true);
    svg::Point p = make_point(a.cost, shown(d, a.rate));
    p.label = a.name;
    if (a.rate_lo != a.rate_hi) {
      p.y_lo = std::min(shown(d, a.rate_lo), shown(d, a.rate_hi));
      p.y_hi = std::max(shown(d, a.rate_lo), shown(d, a.rate_hi));
    }
    s.points.push_back(p);
    series.push_back(s);
    bool dominated = std::any_of(dots.begin(), dots.end(), [&](const Dot& b) {
      return dominates(b.cost, b.rate, a.cost, a.rate);
    });
    if (!dominated) frontier.push_back(a);
  }
  std::sort(frontier.begin(), frontier.end(), [](auto& x, auto& y) { return x.cost < y.cost; });
  for (auto& s : series) {
    for (const auto& f : frontier) {
      if (s.name == f.name) s.points[0].label += " (frontier)";
    }
  }
  svg::Series line = make_series("Pareto frontier", true, false);
  line.dashed = true;
  line.color = "#555555";
  for (const auto& f : frontier) line.points.push_back(make_point(f.cost, shown(d, f.rate)));
  series.push_back(line);
  svg::ChartOptions o;
  o.title = d.scenario.business.harmful_mode ? "Harmful-error rate vs monthly cost"
                                             : "Accuracy vs monthly cost";
  o.x = axis("running cost per month (USD)", "$", "");
  o.y = axis(d.scenario.business.harmful_mode ? "harmful-error rate" : "accuracy", "", "%");
  o.note = simulated_note(d);
  return svg::line_chart(o, series);
}

std::string cost_volume_chart(const Decision& d) {
  double volume = std::max(1.0, d.scenario.business.queries_per_month.get());
  double lo = volume / 100, hi = volume * 100;
  std::vector<svg::Series> series;
  for (const auto& r : d.analysis.results) {
    if (!r.cost.line.per_query.known() || !r.cost.line.fixed_per_month.known()) continue;
    svg::Series s = make_series(r.name, true, false);
    for (int k = 0; k <= 40; ++k) {
      double v = lo * std::pow(hi / lo, k / 40.0);
      s.points.push_back(make_point(v, r.cost.line.at(assumed(v)).get()));
    }
    series.push_back(s);
  }
  svg::ChartOptions o;
  o.title = "Monthly running cost vs volume";
  // Log-log: fixed and per-query costs both stay readable across four decades of volume.
  o.x = axis("queries per month", "", "", true);
  o.y = axis("USD per month", "$", "", true);
  o.note = fmt::format("break-even points marked; your volume: {} queries a month{}", count(volume),
                       d.scenario.simulated ? "; LLM costs SIMULATED" : "");
  for (const auto& be : d.break_evens) {
    if (be.crossing != Crossing::at_volume || be.queries_per_month < lo ||
        be.queries_per_month > hi)
      continue;
    for (const auto& r : d.analysis.results) {
      if (r.name != be.a) continue;
      o.markers.push_back({be.queries_per_month,
                           r.cost.line.at(assumed(be.queries_per_month)).get(),
                           volume_text(be.queries_per_month)});
    }
  }
  return svg::line_chart(o, series);
}

std::string tornado(const Decision& d) {
  std::vector<svg::TornadoBar> bars;
  for (const auto& row : d.sensitivity.rows) {
    if (!row.matters) continue;
    std::string label = row.flips ? row.input + " (flips)" : row.input;
    bars.push_back({label, row.net_low, row.net_high, money(row.net_low), money(row.net_high)});
  }
  svg::ChartOptions o;
  o.title = "Sensitivity: net benefit of " + d.sensitivity.watched;
  o.x = axis("net benefit over the horizon (USD), input at -50% / +50%", "$", "");
  o.note = simulated_note(d);
  return svg::tornado_chart(o, d.sensitivity.base_net, bars);
}

}  // namespace tunecase::econ
