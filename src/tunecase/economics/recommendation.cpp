#include "tunecase/economics/recommendation.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/suggest.h"
#include "tunecase/economics/hosting_cost.h"
#include "tunecase/economics/money.h"

namespace tunecase::econ {
namespace {

// The horizon in months as typed (a horizon of 0.5 months is not "0 months").
std::string horizon_text(const Scenario& s) {
  return fmt::format("{:g}", s.business.horizon_months.get());
}

// A runner-up within this share of the pick's gain is a close call.
constexpr double kCloseCall = 0.05;

std::string rate_text(const Scenario& s, double rate) {
  return s.business.harmful_mode ? percent(rate) + " harmful" : percent(1 - rate) + " accuracy";
}

// "A reaches 84% of B's gain for 12% of its cost", against the trained approach worth most.
void cheaper_alternative_reason(const Decision& d, const ApproachResult& pick,
                                std::vector<std::string>& reasons) {
  const ApproachResult* rival = nullptr;
  for (const auto& r : d.analysis.results) {
    if (r.name == pick.name || !r.trained || !r.value.known() || !r.horizon_cost.known()) continue;
    if (r.value.get() <= pick.value.get() || r.horizon_cost.get() <= pick.horizon_cost.get())
      continue;
    if (!rival || r.value.get() > rival->value.get()) rival = &r;
  }
  if (!rival || rival->value.get() <= 0 || pick.value.get() <= 0) return;
  reasons.push_back(
      fmt::format("{} earns {} of the value of {} for {} of its cost over the "
                  "horizon.",
                  pick.name, percent(pick.value.get() / rival->value.get()), rival->name,
                  percent(pick.horizon_cost.get() / rival->horizon_cost.get())));
}

std::string p_text(double p) {
  return p < 0.001 ? "p < 0.001" : fmt::format("p = {:.3f}", p);
}

// Says which question the data settles: the accuracy difference (McNemar) and the ranking by
// net benefit (overlapping ranges across the accuracy intervals) are different questions.
std::string unsettled_text(const UnsettledPair& u, bool measured) {
  // Scenario mode has assumed accuracies and no data: the nets overlap only where the assumed
  // figures make them (nearly) equal.
  if (!measured)
    return fmt::format(
        "The net benefits of {} and {} are within each other's range at the assumed accuracies "
        "(scenario mode: no data); measure them with tunecase eval before choosing between them.",
        u.a, u.b);
  const char* how = u.paired ? "trade places across the interval of their accuracy difference"
                             : "overlap across the accuracy intervals";
  if (u.mcnemar_p && *u.mcnemar_p < 0.05)
    return fmt::format(
        "The accuracy difference between {} and {} is settled (McNemar {}), but their net "
        "benefits {}: the money does not separate them.",
        u.a, u.b, p_text(*u.mcnemar_p), how);
  if (u.mcnemar_p)
    return fmt::format(
        "Neither the accuracy difference between {} and {} (McNemar {}) nor their net benefits "
        "(which {}) separate them.",
        u.a, u.b, p_text(*u.mcnemar_p), how);
  return fmt::format(
      "The net benefits of {} and {} overlap across the accuracy intervals: the data does not "
      "settle which earns more.",
      u.a, u.b);
}

bool unsettled_pair(const Analysis& a, const std::string& x, const std::string& y) {
  for (const auto& u : a.unsettled) {
    if ((u.a == x && u.b == y) || (u.a == y && u.b == x)) return true;
  }
  return false;
}

// The runner-up close behind the pick: within kCloseCall of the pick's gain over the baseline
// (or, when the pick is the baseline, of the value the runner-up would bring). Approaches are
// compared by what they are ranked by (standing): with the baseline's price unknown, their value
// minus their own cost.
void close_call_risk(Decision& d, const ApproachResult& pick) {
  const Analysis& a = d.analysis;
  const ApproachResult* runner = nullptr;
  for (const auto& r : a.results) {
    if (r.name == pick.name || !standing(a, r).known()) continue;
    if (!runner || standing(a, r).get() > standing(a, *runner).get()) runner = &r;
  }
  if (!runner || unsettled_pair(a, pick.name, runner->name)) return;
  double gap = standing(a, pick).get() - standing(a, *runner).get();
  bool priced = a.keep_baseline_cost.known();
  // Against the pick's gain, but never less than 5% of its value: a gain near $0 made every
  // runner-up "far" behind in relative terms, and the close call never fired where it is closest.
  double scale = pick.is_baseline ? runner->value.get()
                                  : std::max(std::fabs((priced ? pick.net : pick.net_floor).get()),
                                             kCloseCall * std::fabs(pick.value.get()));
  if (scale <= 0 || gap > kCloseCall * scale) return;
  d.risks.push_back(fmt::format(
      "Close call: {} is only {} ({}) behind {} on {}; a small error in an assumed input "
      "can reverse the order, so check the sensitivity table before committing.",
      runner->name, money(gap), percent(gap / scale), pick.name,
      priced ? "net benefit" : "value minus its own cost"));
}

void task_change_risk(Decision& d) {
  const Figure& stable = d.scenario.business.task_stable_months;
  if (!stable.known()) {
    d.risks.push_back(
        "How long the task stays stable is unknown ([business] task_stable_months not set): a "
        "trained model must be retrained each time the labels or rules change, a prompt only "
        "edited.");
    return;
  }
  if (stable.get() > 6) return;
  d.risks.push_back(fmt::format(
      "The task is expected to change within {:g} months: a trained model must be retrained "
      "each time, a prompt only edited.",
      stable.get()));
}

// With per-label costs: how the pick and the baseline answer each label priced above the flat
// cost, on the test split, and what one of each's errors costs on average (the money rests on
// where the errors fall, which accuracy alone does not show).
std::string label_cost_reason(const Decision& d, const ApproachResult& pick) {
  const Scenario& s = d.scenario;
  const BusinessInputs& b = s.business;
  if (b.cost_by_label.empty()) return "";
  const ApproachInputs* chosen = s.approach_named(pick.name);
  const ApproachInputs& base = s.approaches[d.analysis.baseline];
  if (!chosen) return "";
  auto recall = [](const ApproachInputs& a, const std::string& label) -> std::string {
    auto n = a.support_by_label.find(label);
    if (n == a.support_by_label.end() || n->second <= 0) return "no test item";
    const auto wrong = a.errors_by_label.count(label) ? a.errors_by_label.at(label) : 0;
    return fmt::format("{} of {} right", n->second - wrong, n->second);
  };
  std::vector<std::string> parts;
  for (const auto& [label, usd] : b.cost_by_label) {
    if (usd <= b.cost_per_error_as_given) continue;
    parts.push_back(chosen == &base ? fmt::format("'{}' ({} a miss): {} {}", label, money(usd),
                                                  chosen->name, recall(*chosen, label))
                                    : fmt::format("'{}' ({} a miss): {} {}, {} {}", label,
                                                  money(usd), chosen->name, recall(*chosen, label),
                                                  base.name, recall(base, label)));
  }
  if (parts.empty()) return "";
  return fmt::format(
      "Errors are priced by their true labels ([business] cost_per_error_by_label). On the test "
      "split, the labels that cost most: {}. One error of {} costs {} on average{}{}.",
      fmt::join(parts, "; "), chosen->name, money(error_cost(*chosen, b)),
      chosen->mean_error_cost_assumed_mix
          ? " (it made no test error: as if its errors fell like the test split's items)"
          : "",
      chosen == &base ? std::string()
                      : fmt::format(", one of {} {}", base.name, money(error_cost(base, b))));
}

void add_reasons(Decision& d, const ApproachResult& pick) {
  const Scenario& s = d.scenario;
  const std::string months = horizon_text(s);
  const std::string& base = s.approaches[d.analysis.baseline].name;
  if (pick.is_baseline)
    d.reasons.push_back(
        fmt::format("No alternative earns more than it costs over keeping {} for {} months ({} a "
                    "month to run, {}).",
                    base, months, money(pick.cost.recurring_per_month),
                    provenance_label(pick.cost.recurring_per_month)));
  else if (!d.analysis.keep_baseline_cost.known())
    d.reasons.push_back(fmt::format(
        "{} ranks first among the approaches with a known price: its value over {} months, {}, "
        "minus its own cost over them, {}, is {} ({}). Against keeping {} it gains that plus "
        "what running {} would cost over the months it is live, which is UNKNOWN (no price).",
        pick.name, months, money(pick.value), money(pick.own_cost), money(pick.net_floor),
        provenance_label(pick.net_floor), base, base));
  else
    d.reasons.push_back(fmt::format(
        "{} has the highest net benefit over {} months: {} more than keeping {} (value {} minus "
        "extra cost {}; its own cost over the horizon is {}, keeping {} costs {}; {}).",
        pick.name, months, money(pick.net), base, money(pick.value), money(pick.extra_cost),
        money(pick.horizon_cost), base, money(d.analysis.keep_baseline_cost),
        provenance_label(pick.net)));
  // A tie to the cent goes to the baseline, then to the cheaper approach (best_of): the reader
  // must see that it was a tie, not that the pick earns more.
  for (const auto& r : d.analysis.results) {
    if (r.name == pick.name || !standing(d.analysis, r).known() ||
        !same_money(standing(d.analysis, r).get(), standing(d.analysis, pick).get()))
      continue;
    const bool priced = d.analysis.keep_baseline_cost.known();
    const Figure& mine = priced ? pick.horizon_cost : pick.own_cost;
    const Figure& theirs = priced ? r.horizon_cost : r.own_cost;
    bool cheaper = !same_money(mine.get(), theirs.get());
    d.reasons.push_back(fmt::format(
        "{} ties with {} on net benefit, to the cent: {} is recommended because {}. Neither earns "
        "more; what settles the choice is what the memo does not price (risk, effort to run, "
        "which mistakes each makes).",
        pick.name, r.name, pick.name,
        pick.is_baseline ? std::string("it is what runs now: switching would gain nothing")
        : cheaper ? fmt::format("it costs less over the horizon ({} against {})", money(mine),
                                money(theirs))
                  : std::string("it comes first in the config")));
  }
  cheaper_alternative_reason(d, pick, d.reasons);
  for (const auto& r : d.analysis.results) {
    if (r.name != pick.name && !r.own_cost.known())
      d.reasons.push_back(fmt::format("{} is not ranked: its price is UNKNOWN.", r.name));
  }
  d.reasons.push_back(fmt::format("The checklist scores {} of 6, which says: {}.",
                                  d.checklist.score, checklist_verdict_text(d.checklist)));
  int flips = 0;
  for (const auto& row : d.sensitivity.rows) flips += row.flips ? 1 : 0;
  d.reasons.push_back(flips == 0 ? "No assumed input flips this choice when moved by 50% "
                                   "either way."
                                 : fmt::format("{} assumed input(s) flip this choice when moved "
                                               "by 50%: see the sensitivity table.",
                                               flips));
}

// Labels written in several spellings that differ only in case, width, spacing or a decimal part
// ("billing", "Billing", "billing "; "3", "3.0"), kept apart as labels of their own: every model
// learns them apart, an answer in another spelling of the right label counts as wrong, and the
// wrong-label estimate counts the spellings' rows. The data report names them; the memo had not,
// and sent the reader to relabelling or more data instead of the one setting that merges them.
void label_variants_risk(Decision& d) {
  const std::vector<std::string>& groups = d.scenario.label_variant_groups;
  if (groups.empty()) return;
  constexpr std::size_t kNamed = 3;
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < groups.size() && i < kNamed; ++i)
    shown.push_back("[" + groups[i] + "]");
  std::string list = fmt::format("{}", fmt::join(shown, "; "));
  if (groups.size() > kNamed) list += fmt::format("; and {} more", groups.size() - kNamed);
  d.risks.push_back(fmt::format(
      "{} label{} {} written in several spellings that differ only in case, width, spacing or a "
      "decimal part (\"3\" and \"3.0\"), and each spelling is kept as a label of its own: {}. "
      "Every model here learnt them apart, "
      "an answer in another spelling of the right label counted as wrong, and the wrong-label "
      "estimate counts their rows. Set [data] normalize_labels = true (each group becomes its "
      "most frequent spelling), or mend the file, and run eval again before deciding.",
      groups.size(), groups.size() == 1 ? "" : "s", groups.size() == 1 ? "is" : "are", list));
}

// Above this estimated share of wrong labels, training or fine-tuning learns the errors and the
// test split scores against them: the memo names it as a risk. Label-noise studies (Northcutt et
// al., 2021) put common benchmarks at 3-6%; a team's own labels above 5% deserve a review first.
constexpr double kLabelNoiseRiskLevel = 0.05;

void label_noise_risk(Decision& d) {
  const nlohmann::json& q = d.scenario.data_quality;
  if (!q.is_object() || !q.contains("label_noise") || !q["label_noise"].is_object()) return;
  const nlohmann::json& noise = q["label_noise"];
  double share = noise.value("estimate", 0.0);
  if (share <= kLabelNoiseRiskLevel) return;
  if (noise.value("model_limited", false)) {
    // data.json from before bound_reason: the one reason there was then.
    std::string why = noise.value("bound_reason", "");
    if (why.empty()) {
      why = fmt::format(
          "on this much data the model judging the labels agrees with only {:.1f}% of them and "
          "its own mistakes count as wrong labels",
          100 * noise.value("judge_accuracy", 0.0));
    }
    d.risks.push_back(fmt::format(
        "The share of wrong training labels is not pinned down: confident learning gives at "
        "most {:.1f}%, an upper bound, because {}. A person going through the top of "
        "suspect_labels.csv, or more labelled rows, settles whether the labels are above the "
        "{:.0f}% level this memo flags.",
        100 * share, why, 100 * kLabelNoiseRiskLevel));
    return;
  }
  d.risks.push_back(fmt::format(
      "About {:.1f}% of the training labels are estimated wrong (95% CI {:.1f}% to {:.1f}%, "
      "confident learning), above the {:.0f}% level this memo flags: a trained or fine-tuned "
      "model learns those errors and the test split scores against them. Review "
      "suspect_labels.csv before training.",
      100 * share, 100 * noise["ci95"][0].get<double>(), 100 * noise["ci95"][1].get<double>(),
      100 * kLabelNoiseRiskLevel));
}

// Labels with fewer training rows than the data check's minimum (eval.json's
// dataset.quality.balance.below_min): a trained or fine-tuned model sees too few of them to
// learn them, and the test split holds a row or two of each, so their accuracy is a guess.
// Named, fewest first: the memo had said nothing of them.
void thin_labels_risk(Decision& d) {
  const nlohmann::json& q = d.scenario.data_quality;
  std::vector<std::string> named;  // "\"press\" (2 rows)", fewest first
  std::size_t count = 0;
  int minimum = 10;
  if (q.is_object() && q.contains("balance") && q["balance"].is_object()) {
    const nlohmann::json& b = q["balance"];
    const nlohmann::json below = b.value("below_min", nlohmann::json::array());
    const nlohmann::json counts = b.value("train_counts", nlohmann::json::object());
    if (!below.is_array() || !counts.is_object()) return;
    std::vector<std::pair<int64_t, std::string>> thin;
    for (const auto& label : below)
      if (label.is_string())
        thin.emplace_back(counts.value(label.get<std::string>(), int64_t{0}),
                          label.get<std::string>());
    std::sort(thin.begin(), thin.end());
    for (const auto& [rows, label] : thin)
      named.push_back(fmt::format("\"{}\" ({} row{})", label, rows, rows == 1 ? "" : "s"));
    minimum = b.value("min_label_count", 10);
  } else {
    // eval --no-inspect: the split's own count ("press (2)"), fewest first.
    named = d.scenario.thin_train_labels;
  }
  count = named.size();
  if (count == 0) return;
  constexpr std::size_t kNamed = 5;
  std::string list = fmt::format(
      "{}", fmt::join(named.begin(),
                      named.begin() + static_cast<std::ptrdiff_t>(std::min(count, kNamed)), ", "));
  if (count > kNamed) list += fmt::format(" and {} more", count - kNamed);
  d.risks.push_back(fmt::format(
      "{} label{} {} fewer than {} training rows: {}. A trained or fine-tuned model sees too "
      "few of them to learn them, and the test split holds a row or two of each, so their "
      "accuracy here is a guess; label more rows of them (or merge them into a neighbour) "
      "before relying on any approach for them.",
      count, count == 1 ? "" : "s", count == 1 ? "has" : "have", minimum, list));
}

// Fewer test items than this make every measured accuracy wide enough to say so in the memo.
constexpr int64_t kFewTestItems = 100;

void small_test_risk(Decision& d, const ApproachInputs* pick) {
  int64_t fewest = 0;
  for (const auto& a : d.scenario.approaches) {
    if (a.test_items > 0 && (fewest == 0 || a.test_items < fewest)) fewest = a.test_items;
  }
  if (fewest == 0 || fewest >= kFewTestItems) return;
  std::string width;
  if (pick && pick->error_rate_low.known() && pick->error_rate_high.known())
    width = fmt::format(" ({}'s 95% interval spans {:.0f} points of accuracy)", pick->name,
                        100 * (pick->error_rate_high.get() - pick->error_rate_low.get()));
  d.risks.push_back(fmt::format(
      "The accuracies here come from {} test item{}{}: too few to rank the approaches or to "
      "price their errors with confidence. Label more rows (a few hundred test items) and run "
      "tunecase eval again before committing money.",
      fewest, fewest == 1 ? "" : "s", width));
}

// Labels the approach never answered right, most test items first: `"fraud" (54 test items)`.
std::string never_right_list(const ApproachInputs& a) {
  constexpr std::size_t kNamed = 5;
  std::vector<std::string> named;
  for (std::size_t i = 0; i < a.never_right.size() && i < kNamed; ++i)
    named.push_back(fmt::format("\"{}\" ({} test item{})", a.never_right[i].first,
                                a.never_right[i].second, a.never_right[i].second == 1 ? "" : "s"));
  std::string out = fmt::format("{}", fmt::join(named, ", "));
  if (a.never_right.size() > kNamed)
    out += fmt::format(" and {} more label{}", a.never_right.size() - kNamed,
                       a.never_right.size() - kNamed == 1 ? "" : "s");
  return out;
}

// The first-ranked approach against always answering the most frequent label (eval.json's
// majority_baseline): on an imbalanced task a model can rank first, and price well with one
// flat cost per error, while it never catches the rare label that matters. Also its labels
// never answered right when they are a visible share of the test split.
void majority_floor_risk(Decision& d, const ApproachInputs* first) {
  const Scenario& s = d.scenario;
  if (!first || !first->accuracy.known() || first->accuracy.source != Source::measured) return;
  const double acc = first->accuracy.get();
  int64_t missed = 0;
  for (const auto& [label, items] : first->never_right) missed += items;
  const std::string never = first->never_right.empty() ? std::string()
                                                       : fmt::format(" It never answered {} right.",
                                                                     never_right_list(*first));
  const std::string advice =
      s.business.cost_by_label.empty()
          ? " Accuracy hides what it misses, and one flat cost_per_error prices a missed rare "
            "label like any other error: read its per-label recall in eval's report.md, give "
            "what a miss of each label costs as [business] cost_per_error_by_label, and "
            "consider more training rows of the labels it misses or another approach before "
            "committing money."
          : " Accuracy hides what it misses: read its per-label recall in eval's report.md "
            "(the money prices its errors by [business] cost_per_error_by_label), and consider "
            "more training rows of the labels it misses or another approach before committing "
            "money.";
  if (s.majority) {
    const auto& floor = *s.majority;
    if (acc <= floor.accuracy) {
      d.warnings.push_back(fmt::format(
          "BELOW THE MAJORITY FLOOR: {}'s measured accuracy, {:.1f}%, is no better than always "
          "answering \"{}\" ({:.1f}% of the test split, measured).{}{}",
          first->name, 100 * acc, floor.label, 100 * floor.accuracy, never, advice));
      d.risks.push_back(d.warnings.back());
      return;
    }
    if (first->accuracy_ci95 && first->accuracy_ci95->first < floor.accuracy) {
      d.warnings.push_back(fmt::format(
          "NOT CLEARLY ABOVE THE MAJORITY FLOOR: {}'s measured accuracy, {:.1f}% (95% interval "
          "{:.1f}-{:.1f}%), is within its interval of always answering \"{}\" ({:.1f}% of the "
          "test split, measured).{}{}",
          first->name, 100 * acc, 100 * first->accuracy_ci95->first,
          100 * first->accuracy_ci95->second, floor.label, 100 * floor.accuracy, never, advice));
      d.risks.push_back(d.warnings.back());
      return;
    }
  }
  // Clear of the floor, but a share of the test split it never gets right.
  if (first->test_items > 0 && missed >= 10 &&
      static_cast<double>(missed) >= 0.02 * static_cast<double>(first->test_items))
    d.risks.push_back(fmt::format("LABELS NEVER ANSWERED RIGHT by {}, {} of {} test items: {}.{}",
                                  first->name, missed, first->test_items, never_right_list(*first),
                                  advice));
}

// A baseline no better than always answering the most frequent label: every value and net
// benefit is counted against it, so each approach's gain includes what a constant answer gets
// for nothing (a 10% baseline against a 79% floor counted millions a trivial rule would save).
void baseline_floor_risk(Decision& d) {
  const Scenario& s = d.scenario;
  if (!s.majority || s.approaches.empty()) return;
  const ApproachInputs& base = s.approaches[s.baseline_index()];
  if (!base.accuracy.known() || base.accuracy.source != Source::measured) return;
  const double acc = base.accuracy.get();
  if (acc > s.majority->accuracy) return;
  d.risks.push_back(fmt::format(
      "BASELINE BELOW THE MAJORITY FLOOR: the baseline {} is measured at {:.1f}%, no better than "
      "always answering \"{}\" ({:.1f}% of the test split, measured). Every value and net "
      "benefit here is counted against it, so each includes errors a constant answer would "
      "avoid for nothing: judge the approaches against the floor as well, or make a working "
      "approach the baseline ([business] baseline).",
      base.name, 100 * acc, visible(s.majority->label), 100 * s.majority->accuracy));
}

// Test labels no train row has: every trained approach's accuracy is capped by them, so the
// comparison with a prompted LLM (told the whole label set) is lopsided.
void unseen_labels_risk(Decision& d) {
  const Scenario& s = d.scenario;
  if (s.test_labels_unseen.empty()) return;
  bool any_trained = std::any_of(s.approaches.begin(), s.approaches.end(),
                                 [](const ApproachInputs& a) { return a.trained; });
  if (!any_trained) return;
  std::size_t n = s.test_labels_unseen.size();
  std::string rows = s.test_rows_unseen > 0 && s.test_rows > 0
                         ? fmt::format(" ({} of {} test items)", s.test_rows_unseen, s.test_rows)
                         : "";
  d.risks.push_back(fmt::format(
      "The test split has {} no training row has: {}{}. A trained model cannot answer "
      "them, so its accuracy here is capped below 100% while a prompted LLM, told the label "
      "set, can; add training rows of {} (or check the split) before comparing the two.",
      n == 1 ? "a label" : "labels", quoted_list(s.test_labels_unseen, n), rows,
      n == 1 ? "it" : "them"));
}

// The risks of the measurements themselves, whatever is picked: a memo without a recommendation
// says them too. `first` is the first-ranked approach, if any.
void add_data_risks(Decision& d, const ApproachInputs* first) {
  const Scenario& s = d.scenario;
  for (const auto& ignored : s.ignored_inputs) {
    d.warnings.push_back("IGNORED: " + ignored);
    d.risks.push_back(d.warnings.back());
  }
  majority_floor_risk(d, first);
  baseline_floor_risk(d);
  small_test_risk(d, first);
  unseen_labels_risk(d);
  label_variants_risk(d);
  label_noise_risk(d);
  thin_labels_risk(d);
  if (!s.from_eval)
    d.risks.push_back(
        "Every accuracy here is ASSUMED (scenario mode): measure the approaches on "
        "your labelled data with tunecase eval before committing money.");
  if (s.simulated)
    d.risks.push_back(
        "Accuracy, latency and token figures are SIMULATED (offline stand-in): "
        "measure the real endpoints before acting on this memo.");
  if (!s.changed_since_eval.empty())
    d.risks.push_back(fmt::format(
        "CHANGED SINCE MEASURED (accepted with --accept-changed): {}. The accuracies and "
        "latencies are those of the settings eval ran with, not of the config this memo was "
        "written from; re-run tunecase eval before committing money.",
        fmt::join(s.changed_since_eval, "; ")));
  if (!s.not_comparable_with_eval.empty())
    d.risks.push_back(fmt::format(
        "NOT CHECKED against the config: eval.json records no settings for {} (written by an "
        "older tunecase, or edited), so whether the config still matches what was measured is "
        "unknown; re-run tunecase eval to have it checked.",
        fmt::join(s.not_comparable_with_eval, ", ")));
  if (s.curve.is_object() && !s.curve.contains("data_settings"))
    d.risks.push_back(
        "NOT CHECKED: the learning curve (--curve) records no data settings (written by an "
        "older tunecase, or edited), so only its train size was compared: whether it was "
        "measured on this data and split is unknown; re-run tunecase curve to have it checked.");
  for (const auto& a : s.approaches) {
    if (!a.partial.empty())
      d.risks.push_back(fmt::format(
          "PARTIAL measurement of {}: {} (accepted with --accept-partial). Its accuracy comes "
          "from part of the test split only, so its interval is wider and its figures less "
          "certain; finish the run before committing money.",
          a.name, a.partial));
    if (!a.failures.empty())
      d.risks.push_back(fmt::format(
          "FAILED REQUESTS of {}: {}. Its accuracy is a floor: the approach may be better "
          "than measured, and in production such failures need a fallback; find why they "
          "failed (eval's predictions.jsonl has each error) before committing money.",
          a.name, a.failures));
  }
}

void add_risks(Decision& d, const ApproachResult& pick) {
  const Scenario& s = d.scenario;
  const ApproachInputs& in = s.approaches[*d.analysis.best];
  add_data_risks(d, &in);
  for (const auto& u : d.analysis.unsettled) {
    if (u.a == pick.name || u.b == pick.name) d.risks.push_back(unsettled_text(u, s.from_eval));
  }
  // The pick's cost rests on keys nobody typed: its one-time and running costs may be far from
  // what the memo counts, and the pick with them. Training and retraining keys matter for a
  // trained approach only.
  if (!pick.is_baseline) {
    std::vector<std::string> zero;
    bool hosting = false;
    for (const std::string& key : in.defaults_used) {
      if (key == "hosting") {
        hosting = true;
      } else if (in.trained ||
                 (key != "training_usd" && key != "retrain_usd" && key != "retrain_every_months")) {
        zero.push_back(key);
      }
    }
    if (!zero.empty() || hosting)
      d.risks.push_back(fmt::format(
          "COSTS NOT GIVEN for {} (left out of its [[approach]] table): {}{}{}. Set them before "
          "forwarding this memo.",
          pick.name,
          zero.empty() ? ""
                       : fmt::format("{} {} counted as 0", fmt::join(zero, ", "),
                                     zero.size() == 1 ? "is" : "are"),
          !zero.empty() && hosting ? "; " : "",
          hosting ? fmt::format("its hosting is the assumed default instance (${:.2f} an hour)",
                                kAssumedUsdPerHour)
                  : ""));
  }
  close_call_risk(d, pick);
  if (in.trained && in.retrain_every_months.get() == 0)
    d.risks.push_back(
        fmt::format("{} has no retraining plan (retrain_every_months): a trained "
                    "model drifts as the incoming texts change; budget retraining and daily "
                    "accuracy monitoring before launch.",
                    pick.name));
  if (in.trained) task_change_risk(d);
  if (pick.cost.ship_months.get() > 1)
    d.risks.push_back(
        fmt::format("{} takes {:.1f} months to ship; the value forgone meanwhile "
                    "is {}.",
                    pick.name, pick.cost.ship_months.get(), money(pick.cost_of_delay)));
  std::string flipping;
  for (const auto& row : d.sensitivity.rows) {
    if (row.flips) flipping += (flipping.empty() ? "" : ", ") + row.input;
  }
  if (!flipping.empty())
    d.risks.push_back("The choice flips when one of these assumptions is 50% off: " + flipping +
                      ". Check them first.");
}

void set_next_step(Decision& d) {
  const Scenario& s = d.scenario;
  if (d.pilot.needed) {
    const PilotPlan& p = d.pilot;
    if (s.business.queries_per_month.get() <= 0) {
      d.next_step = fmt::format(
          "No pilot can judge {} against {}: at 0 queries a month it collects no labelled "
          "queries. Give [business] queries_per_day (or queries_per_month) for a plan; at no "
          "volume the recommendation rests on running costs alone.",
          p.approach, p.against);
      return;
    }
    if (!p.callable) {
      d.next_step = fmt::format(
          "A pilot of {} on {} of live traffic against {} would collect about {} labelled "
          "queries per arm in {} days, fewer than the {:g} either call needs (at this share "
          "that takes about {} days). Raise [business] pilot_traffic_share, or judge {} on the "
          "offline figures and on which mistakes change, on a sample of live traffic read by a "
          "person.",
          p.approach, percent(p.traffic_share), p.against, count(p.collected_per_arm), p.days,
          kMinLabelledForACall, count(p.days_for_a_call.value_or(0)), p.approach);
    } else {
      d.next_step = fmt::format(
          "Pilot {} on {} of live traffic against {} for {} days, then judge it by the three "
          "outcomes below, which weigh the live gain in money.",
          p.approach, percent(p.traffic_share), p.against, p.days);
    }
    if (p.days > p.horizon_days)
      d.next_step += fmt::format(
          " The pilot's {} days outlast the horizon the net benefit is counted over ({}, {} "
          "days): lengthen [business] horizon_months to the time {} would really serve.",
          p.days, horizon_text(s) + " months", count(p.horizon_days), p.approach);
    return;
  }
  d.next_step = fmt::format(
      "Keep {}. Re-run tunecase decide when the volume, the cost of an "
      "error or the measured accuracy changes.",
      d.pick);
  // What a trained approach behind its prompting rival would need; one already ahead needs
  // nothing (its required figure is where it would fall behind: the memo's table says that).
  for (const auto& w : d.what_it_takes) {
    if (w.required_error_rate && !w.already_ahead)
      d.next_step += fmt::format(" {} would need {} to beat {}.", w.trained,
                                 rate_text(s, *w.required_error_rate), w.prompting);
  }
}

// A checklist that says a trained model is probably worth it, beside the memo's money: when no
// trained approach compared here pays for itself over the horizon, or none is compared, it says
// so, or the memo would advise training in one place and show that it cannot pay in another.
// Nothing is said when the baseline is itself trained (keeping it is keeping a trained model).
std::string trained_model_note(const Scenario& s, const Analysis& analysis, const Checklist& c) {
  if (c.verdict != "fine-tune" || s.approaches[analysis.baseline].trained) return "";
  const ApproachResult* best = nullptr;
  bool any_trained = false;
  for (const auto& r : analysis.results) {
    if (!r.trained || r.is_baseline) continue;
    any_trained = true;
    if (!standing(analysis, r).known()) continue;
    if (best == nullptr || standing(analysis, r).get() > standing(analysis, *best).get()) best = &r;
  }
  if (!any_trained)
    return " (no trained approach is compared here: evaluate one to price that choice)";
  if (best == nullptr || standing(analysis, *best).get() > 0) return "";
  // Its net benefit as the memo's table shows it (against keeping the baseline), or value minus
  // its own cost when the baseline's price is unknown, as the ranking reads it.
  const Figure& net = best->net.known() ? best->net : best->net_floor;
  return fmt::format(
      "; but at these inputs no trained approach compared here pays for itself over {} months "
      "(the best, {}, {} {}): the score weighs the team's situation, the money is this memo's",
      horizon_text(s), best->name,
      best->net.known() ? "has a net benefit of" : "has value minus its own cost of", money(net));
}

}  // namespace

Decision decide(const Scenario& s) {
  Decision d;
  d.scenario = s;
  d.analysis = analyse(s);
  d.break_evens = all_break_evens(d.analysis);
  d.checklist = fill_checklist(s);
  d.checklist.economics_note = trained_model_note(s, d.analysis, d.checklist);
  d.sensitivity = sensitivity(s);
  d.what_it_takes = what_it_takes(s);
  if (!d.analysis.best) {
    d.headline = "No recommendation: no approach has a known cost (prices UNKNOWN).";
    d.next_step =
        "Add usd_per_query or hosting to the approaches whose price is unknown, or add "
        "their models to the price catalogue, and run tunecase decide again.";
    add_data_risks(d, nullptr);
    return d;
  }
  const ApproachResult& pick = d.analysis.results[*d.analysis.best];
  const std::string& baseline = s.approaches[d.analysis.baseline].name;
  const std::string months = horizon_text(s);
  // The baseline's price unknown: every net benefit against keeping it is unknown, but the
  // first-ranked approach's value minus its own cost is a floor under it (keeping the baseline
  // costs at least nothing). A positive floor still recommends; otherwise nothing can be said.
  const bool baseline_unpriced = !d.analysis.keep_baseline_cost.known() && !pick.is_baseline;
  const Figure& floor = pick.net_floor;
  if (baseline_unpriced && !(floor.known() && floor.get() > 0)) {
    d.headline = fmt::format(
        "No recommendation: whether {} pays for itself depends on what keeping {} costs, and "
        "{}'s price is UNKNOWN.",
        pick.name, baseline, baseline);
    d.next_step = fmt::format(
        "Give {} a price (usd_per_query, hosting, or its model in the price catalogue), or make "
        "an approach with a known price the [business] baseline, and run tunecase decide again.",
        baseline);
    add_data_risks(d, &s.approaches[*d.analysis.best]);
    return d;
  }
  d.pick = pick.name;
  if (baseline_unpriced) {
    d.headline = fmt::format(
        "Move to {}: net benefit at least {} over {} months against keeping {} (more by what "
        "keeping {} costs, whose price is UNKNOWN).",
        pick.name, money(floor), months, baseline, baseline);
  } else if (pick.is_baseline) {
    d.headline = fmt::format("Keep {}: no alternative pays for itself.", pick.name);
  } else if (unsettled_pair(d.analysis, pick.name, baseline)) {
    // The money follows the measured accuracies, which the test data does not tell apart: the
    // headline must not read firmer than the Risks section.
    d.headline =
        s.from_eval
            ? fmt::format(
                  "Lean towards {}: net benefit {} over {} months against keeping {} at the "
                  "measured accuracies, but the test data does not settle which of the two is "
                  "better (see Risks); pilot it before committing.",
                  pick.name, money(pick.net), months, baseline)
            : fmt::format(
                  "Lean towards {}: net benefit {} over {} months against keeping {} at the "
                  "assumed accuracies, which barely separate the two (see Risks); measure them "
                  "with tunecase eval before committing.",
                  pick.name, money(pick.net), months, baseline);
  } else {
    d.headline = fmt::format("Move to {}: net benefit {} over {} months against keeping {}.",
                             pick.name, money(pick.net), months, baseline);
  }
  add_reasons(d, pick);
  if (std::string costs = label_cost_reason(d, pick); !costs.empty()) d.reasons.push_back(costs);
  add_risks(d, pick);
  d.pilot = plan_pilot(s, d.analysis, *d.analysis.best);
  set_next_step(d);
  return d;
}

}  // namespace tunecase::econ
