#include "tunecase/economics/checklist.h"

#include <algorithm>

#include <fmt/format.h>

#include "tunecase/economics/analysis.h"
#include "tunecase/economics/cost_model.h"
#include "tunecase/economics/curve_evidence.h"
#include "tunecase/economics/money.h"
#include "tunecase/economics/value_model.h"

namespace tunecase::econ {
namespace {

ChecklistItem labelled_examples(const Scenario& s) {
  ChecklistItem item{"More than 500 labelled examples?", std::nullopt, "", "unknown"};
  const Figure& n = s.business.labelled_examples;
  if (!n.known()) {
    item.evidence = "no eval.json and no [business] labelled_examples";
    return item;
  }
  item.answer = n.get() > 500;
  item.source = to_string(n.source);
  item.evidence = fmt::format("{} labelled examples", count(n.get()));
  const nlohmann::json& q = s.data_quality;
  if (q.is_object() && q.contains("high_quality_examples")) {
    // The seed asks for high-quality examples: what is left once estimated wrong labels and
    // near-duplicate rows are taken out (tunecase inspect).
    double good = q.value("high_quality_examples", 0.0);
    item.answer = good > 500;
    item.source = "estimated";
    const nlohmann::json& dup = q["duplicates"];
    std::size_t near = dup.value("train_near_redundant_rows", std::size_t{0}) +
                       dup.value("test_near_leaked", std::size_t{0}) +
                       dup.value("dev_near_leaked", std::size_t{0});
    double wrong = n.get() - good - static_cast<double>(near);
    item.evidence = fmt::format(
        "{} high-quality examples: {} labelled rows minus about {} estimated wrong labels minus "
        "{} near-duplicate rows (data.md)",
        count(good), count(n.get()), count(std::max(0.0, wrong)), count(static_cast<double>(near)));
    // The wrong-label figure is an upper bound (data.json's bound_reason says why): the count
    // lies between the two ends, and only an answer both ends give holds.
    auto high = q.find("high_quality_examples_high");
    if (high != q.end() && high->is_number() && high->get<double>() != good) {
      double most = high->get<double>();
      item.answer = good > 500    ? std::optional<bool>(true)
                    : most <= 500 ? std::optional<bool>(false)
                                  : std::nullopt;
      std::string why = q["label_noise"].value("bound_reason", "");
      item.evidence = fmt::format(
          "between {} and {} high-quality examples: {} labelled rows minus {} near-duplicate "
          "rows, minus up to {} wrong labels (an upper bound{}; data.md)",
          count(good), count(most), count(n.get()), count(static_cast<double>(near)),
          count(std::max(0.0, wrong)), why.empty() ? "" : ": " + why);
    }
  }
  // Spellings of one label kept apart count as wrong labels in the estimate: said, so that the
  // answer is not read as a call to relabel (the risks name them and the fix).
  if (!s.label_variant_groups.empty() && q.is_object() && q.contains("high_quality_examples"))
    item.evidence += fmt::format(
        "; {} label{} written in several spellings kept apart inflate{} the wrong-label "
        "estimate ([data] normalize_labels = true merges them)",
        s.label_variant_groups.size(), s.label_variant_groups.size() == 1 ? "" : "s",
        s.label_variant_groups.size() == 1 ? "s" : "");
  std::string curve = curve_evidence(s.curve);
  if (!curve.empty()) item.evidence += "; learning curve: " + curve;
  return item;
}

// The best monthly gain over the baseline at the pessimistic end of an approach's accuracy
// interval, net of the extra running cost it brings: volume x (base rate - own high rate) x
// cost per error - (own running cost - baseline running cost).
// When the baseline's price is unknown, the gain is taken with the baseline free to run, a floor
// under the true one: a positive floor still answers yes, anything else is unknown.
struct BestGain {
  double per_month = 0;
  std::string who;
  Figure figure;                // the best gain with its provenance (weakest of its inputs)
  bool baseline_priced = true;  // false: per_month is a floor (the baseline's price unknown)
  // The best net gain of an approach whose accuracy earns nothing at that end (no more accurate
  // than the baseline, or no cost per error): a saving on running costs, not an accuracy gain.
  double saving_per_month = 0;
  std::string saver;
};

// The checklist weighs a trained model: when the scenario compares one besides the baseline,
// the gain asked about is a trained approach's (a prompting approach's gain had answered yes
// towards "a trained model is probably worth it").
bool compares_a_trained_alternative(const Scenario& s) {
  const std::string& base = s.approaches[s.baseline_index()].name;
  return std::any_of(s.approaches.begin(), s.approaches.end(),
                     [&](const ApproachInputs& a) { return a.trained && a.name != base; });
}

BestGain best_net_gain(const Scenario& s) {
  const ApproachInputs& base = s.approaches[s.baseline_index()];
  Figure base_running = cost_of(base, s.business).recurring_per_month;
  BestGain best;
  best.baseline_priced = base_running.known();
  const bool trained_only = compares_a_trained_alternative(s);
  for (const auto& a : s.approaches) {
    if (a.name == base.name || (trained_only && !a.trained)) continue;
    // Measured on the same test items as the baseline: the low end of the paired interval of
    // the two accuracies' difference, which counts the baseline's uncertainty too (the
    // approach's own low end against the baseline's point figure had answered "yes, even at the
    // low end" where the memo's risks, on McNemar, said the two were not separated).
    Figure pessimistic = a.error_rate_high;
    if (!s.business.harmful_mode)
      if (std::optional<Interval> diff = paired_accuracy_difference(s, a.name, base.name))
        pessimistic = Figure{std::clamp(base.error_rate.get() - diff->lo, 0.0, 1.0),
                             a.error_rate_high.source, a.error_rate_high.simulated};
    Figure v = monthly_value(s.business.queries_per_month, base.error_rate,
                             error_cost(base, s.business), pessimistic, error_cost(a, s.business));
    Figure own = cost_of(a, s.business).recurring_per_month;
    Figure net = best.baseline_priced ? v - (own - base_running) : v - own;
    if (!net.known()) continue;
    // The figure (its provenance) is the largest gain's, positive or not: a "no" rests on the
    // same assumed money as a "yes".
    if (!best.figure.known() || net.get() > best.figure.get()) best.figure = net;
    if (!(v.known() && v.get() > 0)) {
      if (net.get() > best.saving_per_month) {
        best.saving_per_month = net.get();
        best.saver = a.name;
      }
      continue;
    }
    if (net.get() > best.per_month) {
      best.per_month = net.get();
      best.who = a.name;
    }
  }
  return best;
}

// What a cheaper approach saves is no accuracy gain: the answer says so rather than count it.
std::string saving_note(const BestGain& best) {
  if (best.saving_per_month <= 0) return "";
  return fmt::format(
      "; {} is worth {} a month net only through its lower running cost: at the low end of its "
      "interval its accuracy earns nothing more (a saving, not an accuracy gain)",
      best.saver, money(best.saving_per_month));
}

// Yes when some approach is still worth more than its extra running cost at the pessimistic end
// of its measured interval. In scenario mode nothing is measured, so the answer is unknown.
ChecklistItem gain_helps(const Scenario& s) {
  ChecklistItem item{"Will the accuracy gain help the business (measured, not assumed)?", false, "",
                     s.from_eval ? "measured" : "assumed"};
  const std::string& base = s.approaches[s.baseline_index()].name;
  BestGain best = best_net_gain(s);
  if (!s.from_eval) {
    item.answer = std::nullopt;
    item.evidence =
        best.per_month > 0
            ? fmt::format(
                  "not measured (scenario mode): on assumed accuracies {} would be worth {}{} "
                  "a month over {} net of its {} running cost; run tunecase eval to answer",
                  best.who, best.baseline_priced ? "" : "at least ", money(best.per_month), base,
                  best.baseline_priced ? "extra" : "own")
            : fmt::format(
                  "not measured (scenario mode): on assumed accuracies no approach is "
                  "worth more than its extra running cost over {}{}",
                  base, saving_note(best));
    return item;
  }
  // The accuracies are measured; the money rests on the assumed volume and cost of an error (and
  // on simulated answers where sim-llm gave them): the tag is the weakest of its inputs.
  if (best.figure.known()) item.source = provenance_label(best.figure);
  if (!best.baseline_priced && best.per_month <= 0) {
    item.answer = std::nullopt;
    item.source = "unknown";
    item.evidence = fmt::format(
        "unknown: {}'s price is UNKNOWN, and even with {} free to run no approach is worth more "
        "than its running cost at the low end of its interval",
        base, base);
    return item;
  }
  item.answer = best.per_month > 0;
  // The approaches weighed: the trained ones when the scenario compares one (a prompting
  // approach that pays had read as "no approach").
  const char* which = compares_a_trained_alternative(s) ? "trained approach" : "approach";
  item.evidence =
      best.per_month <= 0
          ? fmt::format(
                "at the low end of its interval no {} is worth more than its extra running "
                "cost over {}{}{}",
                which, base, best.saving_per_month > 0 ? " through its accuracy" : "",
                saving_note(best))
      : best.baseline_priced
          ? fmt::format(
                "{} is worth {} a month over {} net of its extra running cost, even at the low "
                "end of its interval",
                best.who, money(best.per_month), base)
          : fmt::format(
                "{} is worth at least {} a month over {} net of its own running cost, even at "
                "the low end of its interval ({}'s price is UNKNOWN: counted as free to run)",
                best.who, money(best.per_month), base, base);
  return item;
}

ChecklistItem volume(const Scenario& s) {
  double v = s.business.queries_per_month.get();
  return ChecklistItem{"More than 10,000 inferences per month?", v > 10000,
                       fmt::format("{} queries a month", count(v)), "assumed"};
}

ChecklistItem from_config(const std::string& question, const std::optional<bool>& answer,
                          const std::string& key) {
  ChecklistItem item{question, answer, "", answer ? "config" : "unknown"};
  item.evidence = answer ? fmt::format("[business] {} = {}", key, *answer ? "true" : "false")
                         : fmt::format("[business] {} not set: counted as no", key);
  return item;
}

// Question 6: [business] data_sensitive when set, else what [privacy] says; with [privacy] the
// evidence names the approaches that keep data in and those that send it out.
ChecklistItem data_leaving(const Scenario& s) {
  const std::string question = "Sensitive to data leaving your systems?";
  const BusinessInputs& b = s.business;
  ChecklistItem item = from_config(question, b.data_sensitive, "data_sensitive");
  if (b.data_evidence.empty()) return item;
  item.evidence = b.data_sensitive_from_privacy
                      ? b.data_evidence
                      : fmt::format("{}; {}", item.evidence, b.data_evidence);
  return item;
}

ChecklistItem task_stable(const Scenario& s) {
  const Figure& m = s.business.task_stable_months;
  if (!m.known())
    return from_config("Task definition stable for more than 6 months?", std::nullopt,
                       "task_stable_months");
  return ChecklistItem{"Task definition stable for more than 6 months?", m.get() > 6,
                       fmt::format("[business] task_stable_months = {}", m.get()), "config"};
}

}  // namespace

std::string checklist_verdict(int score) {
  if (score >= 5) return "fine-tune";
  if (score >= 3) return "pilot";
  return "prompting";
}

std::string checklist_verdict_text(const std::string& verdict) {
  if (verdict == "fine-tune")
    return "a trained model (fine-tuned or self-hosted) is probably worth it";
  if (verdict == "pilot") return "borderline: run a pilot";
  return "stick with prompting";
}

std::string checklist_verdict_text(const Checklist& checklist) {
  std::string text = checklist_verdict_text(checklist.verdict);
  if (checklist.verdict == "prompting" && !checklist.prompting_compared)
    text += " (no approach compared here prompts an API: add one to price that choice)";
  if (!checklist.economics_note.empty()) text += checklist.economics_note;
  return text;
}

Checklist fill_checklist(const Scenario& s) {
  Checklist c;
  c.items.push_back(labelled_examples(s));
  c.items.push_back(gain_helps(s));
  c.items.push_back(volume(s));
  c.items.push_back(from_config("Infrastructure expertise in the team?", s.business.infra_expertise,
                                "infra_expertise"));
  c.items.push_back(task_stable(s));
  c.items.push_back(data_leaving(s));
  for (const auto& item : c.items) c.score += item.answer.value_or(false) ? 1 : 0;
  c.verdict = checklist_verdict(c.score);
  c.prompting_compared = std::any_of(s.approaches.begin(), s.approaches.end(),
                                     [](const ApproachInputs& a) { return !a.trained; });
  return c;
}

}  // namespace tunecase::econ
