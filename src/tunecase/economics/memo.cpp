#include "tunecase/economics/memo.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/economics/finetune_note.h"
#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/money.h"
#include "tunecase/report/markdown.h"

namespace tunecase::econ {
namespace {

std::string markdown(const Table& t) {
  if (t.rows.empty()) return "_Nothing to show._\n\n";
  std::string out = "|";
  for (const auto& h : t.header) out += fmt::format(" {} |", markdown_text(h));
  out += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& c : row) out += fmt::format(" {} |", markdown_text(c));
    out += "\n";
  }
  return out + "\n";
}

// Plain-text items (reasons, risks: they quote labels and approach names) shown as written: a
// label "<b>" had vanished as a tag, "**n**" turned bold.
std::string bullets(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "- " + markdown_text(i) + "\n";
  return out + "\n";
}

std::string data_used(const Decision& d) {
  const Scenario& s = d.scenario;
  std::string out = "## Data used\n\n";
  // The prices as the cost table tags them: an all-local config's are assumed hosting prices,
  // and this line had called them estimated beside a table that says assumed.
  out += s.from_eval ? "Accuracy, latency and prices come from `tunecase eval` (eval.json): "
                       "**measured** on held-out test data; prices **estimated** from measured "
                       "tokens or throughput and a price, or **assumed** where the price itself "
                       "is (the cost table's source column says which).\n\n"
                     : "Scenario mode: no eval.json. Every accuracy and error rate below is "
                       "**assumed** from the config; measure them with `tunecase eval` before "
                       "committing money.\n\n";
  const Figure& n = s.business.labelled_examples;
  if (n.known())
    out += fmt::format("Labelled examples: {} ({}).\n\n", count(n.get()), provenance_label(n));
  out += markdown(business_inputs_table(d));
  return out;
}

std::string cost_value(const Decision& d) {
  std::string out = "## Cost and value\n\n";
  out += fmt::format(
      "Over {:g} months the baseline's errors put {} ({}) at risk, and keeping it costs {} "
      "({}; its running cost: it runs today, so its one-time costs are spent). Value is "
      "errors avoided against the baseline times the cost of an error{}, earned only once an "
      "approach ships; cost over the horizon adds one-time training and engineering, running "
      "costs, and the baseline's running costs while the approach is built. Net benefit is the "
      "gain over keeping the baseline: value minus the extra cost. UNKNOWN means a price is "
      "missing: it is never counted as $0.\n\n",
      d.scenario.business.horizon_months.get(), money(d.analysis.at_risk),
      provenance_label(d.analysis.at_risk), money(d.analysis.keep_baseline_cost),
      provenance_label(d.analysis.keep_baseline_cost),
      d.scenario.business.cost_by_label.empty()
          ? ""
          : " (each approach's errors at the mean cost of its own test-split errors, priced by "
            "their true labels)");
  out += markdown(cost_table(d)) + markdown(net_table(d));
  // Which interval the ends are: the reader compares them with the checklist's low end.
  std::vector<std::string> paired, own;
  for (const auto& r : d.analysis.results) {
    if (r.is_baseline || !r.net_low.known() || same_money(r.net_low.get(), r.net_high.get()))
      continue;
    (r.paired_ends ? paired : own).push_back(r.name);
  }
  const std::string& base = d.scenario.approaches[d.analysis.baseline].name;
  if (!paired.empty() || !own.empty())
    out += fmt::format(
        "Net at interval ends: {}{}{}.\n\n",
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
  const std::string delay = cost_of_delay_text(d);
  return out + (delay.empty() ? "" : delay + "\n\n");
}

std::string sensitivity_section(const Decision& d) {
  std::string out = "## Sensitivity\n\n";
  out += fmt::format(
      "Each assumed input moved by -50% and +50% with everything else held; \"flips\" means "
      "the recommendation changes. Shown: the inputs that flip it or move the net benefit of {} "
      "by more than {}.\n\n",
      d.sensitivity.watched, percent(d.sensitivity.threshold));
  out += markdown(sensitivity_table(d));
  std::string folded = sensitivity_folded(d);
  return folded.empty() ? out : out + folded + "\n\n";
}

std::string recommendation_section(const Decision& d) {
  // Plain text, as the bullets: it names approaches and labels ("<b>" had been a tag).
  std::string out = "## Recommendation\n\n**" + markdown_text(d.headline) + "**\n\n";
  return out + bullets(d.reasons);
}

std::string next_step_section(const Decision& d) {
  std::string out = "## Next step\n\n" + markdown_text(d.next_step) + "\n\n";
  if (!d.pilot.needed) return out;
  const PilotPlan& p = d.pilot;
  out += fmt::format("- traffic share: {} to {}, the rest to {}\n", percent(p.traffic_share),
                     markdown_text(p.approach), markdown_text(p.against));
  out += fmt::format("- duration: {} days{}\n", p.days, pilot_duration_note(d));
  out +=
      "- measure daily: accuracy against delayed ground truth, latency, cost per query, and "
      "which mistakes change\n\n";
  return out + markdown(pilot_outcomes_table(d));
}

}  // namespace

std::string memo_markdown(const Decision& d) {
  std::string out = "# Decision memo\n\n";
  if (d.scenario.simulated) out += "> **" + simulated_warning() + "**\n\n";
  out +=
      "## The question\n\nWhich model investment is proportional to the business problem: "
      "keep the baseline, improve the prompt, or train and host a model on our labels?\n\n";
  out += "**Answer: " + markdown_text(d.headline) + "**\n\n";
  out += data_used(d);
  // In scenario mode nothing is measured: the heading says so (it had read "Measured results"
  // over a table of assumed accuracies).
  out += std::string(d.scenario.from_eval ? "## Measured results" : "## Results (assumed)") +
         "\n\n" + markdown(quality_table(d));
  out += cost_value(d);
  if (auto lines = finetune_lines(d.scenario); !lines.empty())
    out += "## Fine-tuning\n\n" + bullets(lines);
  out +=
      "## Break-even\n\nMonthly volume at which two approaches' running costs are equal "
      "(one-time costs excluded; see payback).\n\n" +
      markdown(break_even_table(d));
  out += sensitivity_section(d);
  out += "## What would it take\n\n" + markdown(what_it_takes_table(d));
  out += fmt::format(
      "## Checklist\n\nScore {} of 6: **{}** (5 or more: a trained model, fine-tuned or "
      "self-hosted, is probably worth it; 3-4: borderline, run a pilot; fewer: stick with "
      "prompting). Unknown answers count as no.\n\n",
      d.checklist.score, checklist_verdict_text(d.checklist));
  out += markdown(checklist_table(d));
  out += recommendation_section(d);
  out += "## Risks\n\n" + (d.risks.empty() ? std::string("_None found._\n\n") : bullets(d.risks));
  out += next_step_section(d);
  if (d.operation_plan)
    out +=
        "\n## After launch\n\nWho watches the alerts, when we retrain and what triggers it, the "
        "alert thresholds, the monitoring and retraining budget and the rollback procedure: the "
        "one-page operation plan, [plan.md](plan.md).\n";
  return out;
}

}  // namespace tunecase::econ
