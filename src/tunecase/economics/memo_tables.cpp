#include "tunecase/economics/memo_tables.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/number_format.h"
#include "tunecase/core/suggest.h"
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

// A model fine-tuned at a provider is trained on the labels but served (and billed) per query by
// the provider, not hosted by the team.
std::string approach_type_text(const ApproachInputs& a) {
  if (!a.trained) return "prompting";
  return a.self_hosted ? "trained / self-hosted" : "fine-tuned / provider-hosted";
}

}  // namespace

Figure weakest_of(std::initializer_list<Figure> figures) {
  Figure out{0.0, Source::measured, false};
  for (const auto& f : figures) out = combine(out, f, 0.0);
  return out;
}

std::string volume_text(double queries_per_month) {
  // "9.78e-06" had stood for a volume no one runs at.
  if (queries_per_month > 0 && queries_per_month < 1) return "under 1";
  if (queries_per_month < 100) return significant_fixed(queries_per_month, 3);
  return count(queries_per_month);
}

// Points of accuracy or of a rate, to three significant digits, and 0 below a thousandth of a
// point ("-0.000000000561 points" at a cost per error of ten million).
std::string points_text(double points) {
  return std::fabs(points) < 0.001 ? "0" : significant_fixed(points, 3);
}

std::string cost_basis_text(const ApproachInputs& a) {
  if (a.hosting_usd_per_month.get() <= 0) return a.cost_basis.empty() ? "-" : a.cost_basis;
  // A bill raised to the instances the volume needs (an estimate from the measured throughput)
  // is the volume's, not one "whatever the volume": fewer instances carry less.
  std::string fixed =
      a.hosting_sized_to_volume
          ? fmt::format(
                "hosting bill, {} a month at this volume (instances added to carry it at "
                "the measured throughput; fewer at a lower volume, though break-even "
                "volumes take it as fixed)",
                money(a.hosting_usd_per_month))
          : fmt::format("fixed hosting bill, {} a month whatever the volume",
                        money(a.hosting_usd_per_month));
  if (a.usd_per_query.get() > 0) fixed += ", plus a price per query";
  return fixed;
}

std::string price_text(const Decision& d, const ApproachInputs& a) {
  std::string per_query = with_tag(money(a.usd_per_query), a.usd_per_query);
  double volume = d.scenario.business.queries_per_month.get();
  // A fixed bill over no queries has no price per query: "$0" would hide the bill.
  if (a.hosting_usd_per_month.get() > 0 && volume <= 0)
    return fmt::format("none at 0 queries a month (fixed hosting, {} a month, {})",
                       money(a.hosting_usd_per_month), tag(a.hosting_usd_per_month));
  if (a.hosting_usd_per_month.get() <= 0 || volume <= 0 || !a.usd_per_query.known())
    return per_query;
  // Effective price = (fixed bill + per-query price x volume) / volume.
  double effective = a.hosting_usd_per_month.get() / volume + a.usd_per_query.get();
  return fmt::format("{} effective at {} queries a month (fixed hosting, {})", money(effective),
                     count(volume), tag(a.hosting_usd_per_month));
}

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
  std::string per_error = money(b.cost_per_error);
  if (b.harmful_error_rate && b.cost_per_incident_usd)
    per_error += fmt::format(" ({} of errors harmful x {} per incident)",
                             percent(*b.harmful_error_rate), money(*b.cost_per_incident_usd));
  if (!b.cost_by_label.empty()) {
    // Per-label costs: the flat cost is the labels' the table does not name, and each
    // approach's errors cost what their true labels do (the money below prices them so).
    std::vector<std::pair<double, std::string>> by_cost;
    for (const auto& [label, usd] : b.cost_by_label) by_cost.emplace_back(-usd, label);
    std::sort(by_cost.begin(), by_cost.end());
    std::vector<std::string> named;
    for (const auto& [usd, label] : by_cost)
      named.push_back(fmt::format("{} {}", visible(label), money(-usd)));
    t.rows.push_back(
        {"cost per error, by true label", fmt::format("{}", fmt::join(named, ", ")), "assumed"});
    per_error += " (every other label)";
  }
  t.rows.push_back({b.harmful_mode ? "cost per harmful incident" : "cost per error", per_error,
                    tag(b.cost_per_error)});
  if (!b.cost_by_label.empty()) {
    std::vector<std::string> means;
    Figure weakest = b.cost_per_error;
    for (const ApproachInputs& a : d.scenario.approaches) {
      Figure cost = error_cost(a, b);
      means.push_back(fmt::format("{} {}{}", a.name, money(cost),
                                  a.mean_error_cost_assumed_mix
                                      ? " (no test error: as if its errors fell like the test "
                                        "split's items)"
                                      : ""));
      weakest = weakest_of({weakest, cost});
    }
    t.rows.push_back({"mean cost of an error (its test-split errors by true label)",
                      fmt::format("{}", fmt::join(means, "; ")), tag(weakest)});
  }
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
    const Figure& errors = d.analysis.results[i].errors_per_month;
    t.rows.push_back({a.name, approach_type_text(a), with_tag(quality_text(s, a), a.error_rate),
                      with_tag(count(errors.get()), errors), latency, price_text(d, a),
                      cost_basis_text(a)});
  }
  return t;
}

std::string labelled_examples_text(const Decision& d) {
  const Figure& n = d.scenario.business.labelled_examples;
  return n.known() ? fmt::format("Labelled examples: {} ({}).", count(n.get()), provenance_label(n))
                   : std::string();
}

std::string cost_value_text(const Decision& d) {
  return fmt::format(
      "Over {:g} months the baseline's errors put {} ({}) at risk, and keeping it costs {} "
      "({}; its running cost: it runs today, so its one-time costs are spent). Value is "
      "errors avoided against the baseline times the cost of an error{}, earned only once an "
      "approach ships; cost over the horizon adds one-time training and engineering, running "
      "costs, and the baseline's running costs while the approach is built. Net benefit is the "
      "gain over keeping the baseline: value minus the extra cost. UNKNOWN means a price is "
      "missing: it is never counted as $0.",
      d.scenario.business.horizon_months.get(), money(d.analysis.at_risk),
      provenance_label(d.analysis.at_risk), money(d.analysis.keep_baseline_cost),
      provenance_label(d.analysis.keep_baseline_cost),
      d.scenario.business.cost_by_label.empty()
          ? ""
          : " (each approach's errors at the mean cost of its own test-split errors, priced by "
            "their true labels)");
}

std::string net_ends_text(const Decision& d) {
  // Which interval the ends are: the reader compares them with the checklist's low end.
  std::vector<std::string> paired, own;
  for (const auto& r : d.analysis.results) {
    if (r.is_baseline || !r.net_low.known() || same_money(r.net_low.get(), r.net_high.get()))
      continue;
    (r.paired_ends ? paired : own).push_back(r.name);
  }
  if (paired.empty() && own.empty()) return "";
  const std::string& base = d.scenario.approaches[d.analysis.baseline].name;
  return fmt::format(
      "Net at interval ends: {}{}{}.",
      paired.empty()
          ? ""
          : fmt::format("{} at the ends of the 95% paired interval of {} accuracy difference "
                        "with {} (the test items where exactly one of the two was right; the "
                        "interval the checklist and the ranking use)",
                        fmt::join(paired, ", "), paired.size() == 1 ? "its" : "each one's", base),
      !paired.empty() && !own.empty() ? "; " : "",
      own.empty()
          ? ""
          : fmt::format("{} at the ends of {} own 95% accuracy interval, {} at its "
                        "measured accuracy",
                        fmt::join(own, ", "), own.size() == 1 ? "its" : "each one's", base));
}

std::string break_even_text() {
  return "Monthly volume at which two approaches' running costs are equal (one-time costs "
         "excluded; see payback).";
}

std::string sensitivity_text(const Decision& d) {
  return fmt::format(
      "Each assumed input moved by -50% and +50% with everything else held; \"flips\" means "
      "the recommendation changes. Shown: the inputs that flip it or move the net benefit of {} "
      "by more than {}.",
      d.sensitivity.watched, percent(d.sensitivity.threshold));
}

std::string checklist_text(const Decision& d, bool bold_verdict) {
  const std::string mark = bold_verdict ? "**" : "";
  return fmt::format(
      "Score {} of 6: {}{}{} (5 or more: a trained model, fine-tuned or self-hosted, is probably "
      "worth it; 3-4: borderline, run a pilot; fewer: stick with prompting). Unknown answers "
      "count as no.",
      d.checklist.score, mark, checklist_verdict_text(d.checklist), mark);
}

std::string cost_of_delay_text(const Decision& d) {
  std::string parts;
  for (const auto& r : d.analysis.results) {
    if (r.cost_of_delay.get() <= 0) continue;
    parts += fmt::format("{}{} {} ({})", parts.empty() ? "" : ", ", r.name, money(r.cost_of_delay),
                         tag(r.cost_of_delay));
  }
  return parts.empty() ? "" : "Cost of delay (value forgone while building): " + parts + ".";
}

Table cost_table(const Decision& d) {
  const std::string& base = d.scenario.approaches[d.analysis.baseline].name;
  Table t{{"approach", "one-time", "running / month", "cost over horizon", "extra vs " + base,
           "source"},
          {}};
  for (const auto& r : d.analysis.results) {
    t.rows.push_back({r.name + (r.is_baseline ? " (baseline)" : ""), money(r.cost.one_time),
                      money(r.cost.recurring_per_month), money(r.horizon_cost), money(r.extra_cost),
                      tag(weakest_of({r.horizon_cost, r.extra_cost}))});
  }
  return t;
}

Table net_table(const Decision& d) {
  const std::string& base = d.scenario.approaches[d.analysis.baseline].name;
  Table t{{"approach", "value over horizon", "net benefit vs keeping " + base,
           "net at interval ends", "payback (months)", "source"},
          {}};
  for (const auto& r : d.analysis.results) {
    std::string ends = r.net_low.known() && !same_money(r.net_low.get(), r.net_high.get())
                           ? fmt::format("{} .. {}", money(r.net_low), money(r.net_high))
                           : "-";
    Figure src = net_source(r);
    t.rows.push_back({r.name + (r.is_baseline ? " (baseline)" : ""), money(r.value), money(r.net),
                      ends, payback_text(r), tag(src)});
  }
  return t;
}

// The approach of that name (the memo's tables name approaches, their figures carry the source).
const ApproachInputs& approach_named(const Decision& d, const std::string& name) {
  const ApproachInputs* a = d.scenario.approach_named(name);
  return a ? *a : d.scenario.approaches.front();
}

// Where an approach's running cost comes from: its price per query, and its hosting bill when it
// has one (an API approach's unset hosting, taken as $0, says nothing of its cost).
Figure running_cost_source(const ApproachInputs& a) {
  if (a.hosting_usd_per_month.known() && a.hosting_usd_per_month.get() > 0)
    return weakest_of({a.usd_per_query, a.hosting_usd_per_month});
  return weakest_of({a.usd_per_query});
}

// ... and a comparison of two approaches' running costs.
Figure running_cost_source(const Decision& d, const std::string& a, const std::string& b) {
  return weakest_of(
      {running_cost_source(approach_named(d, a)), running_cost_source(approach_named(d, b))});
}

Figure what_it_takes_source(const Decision& d, const WhatItTakes& w) {
  return weakest_of(
      {running_cost_source(d, w.trained, w.prompting), approach_named(d, w.trained).error_rate,
       approach_named(d, w.prompting).error_rate, d.scenario.business.cost_per_error});
}

Figure net_source(const ApproachResult& r) {
  return weakest_of({r.horizon_cost, r.value});
}

Table break_even_table(const Decision& d) {
  Table t{{"pair", "break-even (queries / month)", "cheaper below", "cheaper above", "source"}, {}};
  for (const auto& be : d.break_evens) {
    const std::string source = tag(running_cost_source(d, be.a, be.b));
    std::string at = be.crossing == Crossing::at_volume ? volume_text(be.queries_per_month)
                     : be.crossing == Crossing::never   ? "never"
                                                        : "UNKNOWN (price unknown)";
    bool crosses = be.crossing == Crossing::at_volume;
    if (be.crossing == Crossing::unknown) {
      t.rows.push_back({be.a + " vs " + be.b, at, "-", "-", source});
      continue;
    }
    if (be.cheaper_below.empty()) {
      t.rows.push_back({be.a + " vs " + be.b, at, "same cost", "same cost", source});
      continue;
    }
    t.rows.push_back({be.a + " vs " + be.b, at,
                      be.crossing == Crossing::unknown ? "-" : be.cheaper_below,
                      crosses                          ? be.cheaper_above
                      : be.crossing == Crossing::never ? be.cheaper_below + " (always)"
                                                       : "-",
                      source});
  }
  return t;
}

Table sensitivity_table(const Decision& d) {
  const Sensitivity& sens = d.sensitivity;
  const std::string& base = d.scenario.approaches[d.analysis.baseline].name;
  Table t{{"assumed input", "base value", "moved to (-50% / +50%)", "pick at -50% / +50%",
           "net of " + sens.watched + " vs keeping " + base, "flips?", "source"},
          {}};
  // The nets are the watched approach's net benefit computed again: tagged as it is.
  std::string source = "assumed";
  for (const auto& r : d.analysis.results)
    if (r.name == sens.watched) source = tag(net_source(r));
  for (const auto& row : sens.rows) {
    if (!row.matters) continue;
    auto value = [&](double v) { return input_value_text(d.scenario, row.kind, v); };
    t.rows.push_back({row.input, value(row.base_value),
                      value(row.low_value) + " / " + value(row.high_value),
                      row.pick_low + " / " + row.pick_high,
                      fmt::format("{} .. {}", money(row.net_low), money(row.net_high)),
                      row.flips ? "YES" : "no", source});
  }
  return t;
}

std::string sensitivity_folded(const Decision& d) {
  std::vector<std::string> minor;
  for (const auto& row : d.sensitivity.rows) {
    if (!row.matters) minor.push_back(row.input);
  }
  if (minor.empty()) return "";
  std::string names;
  for (const auto& m : minor) names += (names.empty() ? "" : ", ") + m;
  return fmt::format(
      "{} other assumed input{} move{} the net of {} by less than {} either way and never "
      "change the pick: {}.",
      minor.size(), minor.size() == 1 ? "" : "s", minor.size() == 1 ? "s" : "",
      d.sensitivity.watched, percent(d.sensitivity.threshold), names);
}

Table what_it_takes_table(const Decision& d) {
  const Scenario& s = d.scenario;
  Table t{{"trained approach", "to beat", "needs", "or a volume of (queries / month)", "source"},
          {}};
  for (const auto& w : d.what_it_takes) {
    std::string needs = w.already_ahead         ? "already ahead"
                        : w.required_error_rate ? rate_or_accuracy(s, *w.required_error_rate) +
                                                      (s.business.harmful_mode ? "" : " accuracy")
                                                : "out of reach (even zero errors would not pay)";
    std::string volume =
        w.required_queries_per_month ? volume_text(*w.required_queries_per_month) : "never";
    t.rows.push_back({w.trained, w.prompting, needs, volume, tag(what_it_takes_source(d, w))});
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

std::string pilot_duration_note(const Decision& d) {
  const PilotPlan& p = d.pilot;
  if (d.scenario.business.queries_per_month.get() <= 0)
    return " (at 0 queries a month it collects no labelled queries: no call can be made)";
  if (!p.callable)
    return fmt::format(
        " (about {} labelled queries per arm, fewer than the {:g} a call needs: no call can be "
        "made in that time)",
        count(p.collected_per_arm), kMinLabelledForACall);
  if (p.difference_detectable)
    return fmt::format(
        " ({} labelled queries per arm to detect the difference the offline rates show, {})",
        count(p.queries_per_arm), provenance_label(p.offline_rates));
  return " (the expected difference is too small to confirm at this volume: judge on cost and "
         "error patterns)";
}

Table pilot_outcomes_table(const Decision& d) {
  const PilotPlan& p = d.pilot;
  const PilotRule& r = p.rule;
  Table t{{"outcome", "live result of " + p.approach + " against " + p.against, "then"}, {}};
  std::optional<double> gain = min_paying_gain(r);
  std::string unit = r.accuracy_mode ? " points of accuracy" : " points of harmful-error rate";
  // A challenger cheaper than the baseline pays even when it loses a little accuracy: its bar is
  // below 0 (judge_pilot's rule), and the memo says so rather than rounding it up to 0.
  // Without a cost per error (or volume) accuracy earns nothing: a cheaper challenger pays
  // whatever its accuracy, a dearer one never does (judge_pilot's rule, said as it applies).
  // When accuracy cannot change the call, the rows say so rather than a bar beyond -100 or
  // +100 points: without a cost per error (or volume) a cheaper challenger pays whatever its
  // accuracy and a dearer one never does; at a low volume a cheaper one's savings may outweigh
  // losing every answer (judge_pilot's rule, said as it applies).
  const bool free_errors = !gain;
  const bool pays_anyway = free_errors ? r.extra_cost_usd <= 0 : *gain <= -1;
  const bool never_pays = free_errors ? r.extra_cost_usd > 0 : *gain > 1;
  std::string needed =
      free_errors ? std::string()
      : *gain < 0 ? fmt::format(
                        "{}{} (it costs less than keeping {}: a loss of up to {} points "
                        "is paid for by what it saves)",
                        points_text(*gain * 100), unit, p.against, points_text(-*gain * 100))
                  : points_text(*gain * 100) + unit;
  std::string latency = r.max_latency_p50_ms ? fmt::format(", and latency p50 at most {:.3g} ms",
                                                           *r.max_latency_p50_ms)
                                             : "";
  // With per-label costs a point is priced at the mean cost of the challenger's errors, and
  // the two arms' error mixes add their difference.
  // The mix term is said for what it is: the challenger's remaining errors cost more (or less)
  // on average than the baseline's, so the gain makes up (or is helped by) their difference.
  const std::string mix =
      r.error_mix_usd < 0
          ? fmt::format(
                "its remaining errors cost more on average than {}'s, so the gain must "
                "also make up {} for the two arms' error mixes",
                p.against, money(-r.error_mix_usd))
          : fmt::format(
                "its remaining errors cost less on average than {}'s, which adds {} "
                "for the two arms' error mixes",
                p.against, money(r.error_mix_usd));
  const std::string per_error =
      d.scenario.business.cost_by_label.empty()
          ? money(r.cost_per_error_usd)
          : fmt::format(
                "{} (the mean cost of {}'s test errors, priced by their true labels; {}, "
                "as if live errors fall on the labels as on the test split: the pilot "
                "measures accuracy, and its per-label accuracy shows where the errors "
                "fall)",
                money(r.cost_per_error_usd), p.approach, mix);
  const std::string why_free =
      free_errors ? fmt::format(
                        "at {} per error and {} queries a month accuracy earns nothing in the "
                        "business case",
                        per_error, count(r.queries_per_month))
                  : fmt::format("at {} queries a month and {} per error, {}",
                                count(r.queries_per_month), per_error,
                                pays_anyway ? "what it saves outweighs even losing every answer"
                                            : "no gain of accuracy is worth its extra cost");
  // The extra cost's own tag (estimated prices, assumed volume), said beside it.
  std::string extra_tag = "assumed";
  for (const auto& result : d.analysis.results)
    if (result.name == p.approach) extra_tag = tag(result.extra_cost);
  if (pays_anyway || never_pays)
    t.rows.push_back(
        {"clear win",
         pays_anyway
             ? fmt::format("any live accuracy, once both arms have {:g} labelled queries{}: {}, "
                           "and {} costs {} ({}) less than keeping {} over {:.1f} live months",
                           kMinLabelledForACall, latency, why_free, p.approach,
                           money(-r.extra_cost_usd), extra_tag, p.against, r.live_months)
             : fmt::format("cannot happen: {}, so no gain pays for the extra {} ({})", why_free,
                           money(r.extra_cost_usd), extra_tag),
         "scale to 100% of traffic"});
  else
    t.rows.push_back(
        {"clear win",
         fmt::format(
             "the gain over {}, at the low end of its 95% interval, is at least {}: what {} "
             "over {:.1f} live months at {} queries a month and {} per "
             "error (offline gain: {:.1f}{}, {}){}",
             p.against, needed,
             d.analysis.keep_baseline_cost.known()
                 ? (r.extra_cost_usd < 0 ? fmt::format("its lower cost ({} less, {}) allows",
                                                       money(-r.extra_cost_usd), extra_tag)
                                         : fmt::format("pays for the extra {} ({})",
                                                       money(r.extra_cost_usd), extra_tag))
                 : fmt::format("pays for its own cost, {} ({}; {} has no price: counted as free "
                               "to keep)",
                               money(r.extra_cost_usd), extra_tag, p.against),
             r.live_months, count(r.queries_per_month), per_error,
             (p.baseline_rate - p.expected_rate) * 100, unit, tag(p.offline_rates), latency),
         "scale to 100% of traffic"});
  // The sample serve waits for is the rule's: the planned one, or, when the volume cannot
  // reach it in the longest pilot, what the pilot's days collect.
  t.rows.push_back(
      {"marginal",
       r.queries_per_month <= 0
           ? std::string("cannot be judged: at 0 queries a month the pilot collects no labelled "
                         "queries; give [business] queries_per_day for a plan")
       : !p.callable
           ? fmt::format("cannot be called in the {} days: about {} labelled queries per arm "
                         "come in at this volume and share, fewer than the {:g} any call needs "
                         "(about {} days at this share)",
                         p.days, count(p.collected_per_arm), kMinLabelledForACall,
                         count(p.days_for_a_call.value_or(0)))
       : p.difference_detectable
           ? fmt::format("neither a clear win nor worse once the planned {} labelled queries per "
                         "arm and {} days are in (the interval too wide for either call{})",
                         count(r.min_labelled_per_arm), p.days,
                         latency.empty() ? "" : ", or latency above the limit")
           : fmt::format("neither a clear win nor worse once the {} days are in, with about {} "
                         "labelled queries per arm, all they collect at this volume and share "
                         "({}; the interval too wide for either call{})",
                         p.days, count(p.collected_per_arm),
                         p.queries_per_arm > 0
                             ? fmt::format("the {} that would confirm the expected difference "
                                           "are out of reach",
                                           count(p.queries_per_arm))
                             : std::string("offline the two are as accurate, so no sample would "
                                           "confirm a difference"),
                         latency.empty() ? "" : ", or latency above the limit"),
       // Prompts are only there to improve when some approach prompts an API.
       std::any_of(d.scenario.approaches.begin(), d.scenario.approaches.end(),
                   [](const auto& a) { return !a.trained && !a.self_hosted; })
           ? "keep " + p.against + ", keep improving prompts, archive " + p.approach
           : "keep " + p.against + ", archive " + p.approach});
  t.rows.push_back(
      {"worse",
       pays_anyway
           ? fmt::format("cannot happen on accuracy: {}, and {} costs less", why_free, p.approach)
       : gain && *gain < 0
           ? fmt::format("less accurate than {} live even at the high end of the 95% interval, "
                         "and by more than its lower cost pays for (that end below {}{})",
                         p.against, points_text(*gain * 100), unit)
           : "less accurate than " + p.against + " live even at the high end of the 95% interval",
       "abandon " + p.approach});
  t.rows.push_back(
      {"test set unrepresentative (reported beside the outcome)",
       // A harmful-error rate is worse upwards: the live interval lies wholly above the offline
       // interval's worse end (the rule serve applies, pilot_rule.h).
       r.accuracy_mode
           ? fmt::format(
                 "the live interval of {} lies wholly below the offline low end ({})", p.approach,
                 rate_or_accuracy(d.scenario, r.offline_error_rate_high.value_or(1)) + " accuracy")
           : fmt::format("the live interval of {} lies wholly above the offline high end ({})",
                         p.approach,
                         rate_or_accuracy(d.scenario, r.offline_error_rate_high.value_or(1))),
       "the test set may not represent live traffic: compare live errors with the test set "
       "before deciding"});
  return t;
}

}  // namespace tunecase::econ
