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
  if (std::string n = labelled_examples_text(d); !n.empty()) out += n + "\n\n";
  out += markdown(business_inputs_table(d));
  return out;
}

std::string cost_value(const Decision& d) {
  std::string out = "## Cost and value\n\n" + markdown_text(cost_value_text(d)) + "\n\n";
  out += markdown(cost_table(d)) + markdown(net_table(d));
  if (std::string ends = net_ends_text(d); !ends.empty()) out += markdown_text(ends) + "\n\n";
  const std::string delay = cost_of_delay_text(d);
  return out + (delay.empty() ? "" : delay + "\n\n");
}

std::string sensitivity_section(const Decision& d) {
  std::string out = "## Sensitivity\n\n" + markdown_text(sensitivity_text(d)) + "\n\n";
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
  out += "## Break-even\n\n" + break_even_text() + "\n\n" + markdown(break_even_table(d));
  out += sensitivity_section(d);
  out += "## What would it take\n\n" + markdown(what_it_takes_table(d));
  out += "## Checklist\n\n" + checklist_text(d, /*bold_verdict=*/true) + "\n\n";
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
