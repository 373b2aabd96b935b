#include "tunecase/economics/memo_html.h"

#include <fmt/format.h>

#include "tunecase/economics/finetune_note.h"
#include "tunecase/economics/memo_charts.h"
#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/money.h"
#include "tunecase/report/html.h"

namespace tunecase::econ {
namespace {

std::string h2(const std::string& title) {
  return "<h2>" + html::escape(title) + "</h2>\n";
}
std::string p(const std::string& text) {
  return "<p>" + html::escape(text) + "</p>\n";
}
std::string table(const Table& t) {
  return t.rows.empty() ? p("Nothing to show.") : html::table(t.header, t.rows) + "\n";
}

std::string list(const std::vector<std::string>& items) {
  std::string out = "<ul>\n";
  for (const auto& i : items) out += "<li>" + html::escape(i) + "</li>\n";
  return out + "</ul>\n";
}

std::string warning(const Decision& d) {
  if (!d.scenario.simulated) return "";
  return "<p style=\"border:2px solid #b00;padding:8px;font-weight:bold\">" +
         html::escape(simulated_warning()) + "</p>\n";
}

std::string next_step(const Decision& d) {
  std::string out = h2("Next step") + p(d.next_step);
  if (!d.pilot.needed) return out;
  out +=
      p(fmt::format("{} of traffic for {} days{}; measure accuracy against delayed ground "
                    "truth, latency, cost per query and error patterns daily.",
                    percent(d.pilot.traffic_share), d.pilot.days, pilot_duration_note(d)));
  return out + table(pilot_outcomes_table(d));
}

std::string after_launch(const Decision& d) {
  if (!d.operation_plan) return "";
  return h2("After launch") +
         "<p>Who watches the alerts, when we retrain and what triggers it, the alert thresholds, "
         "the monitoring and retraining budget and the rollback procedure: the one-page "
         "<a href=\"plan.html\">operation plan</a>.</p>\n";
}

}  // namespace

std::string memo_html(const Decision& d) {
  std::string b = warning(d);
  b += h2("The question") +
       p("Which model investment is proportional to the business problem: keep the baseline, "
         "improve the prompt, or train and host a model on our labels?");
  b += "<p><strong>" + html::escape(d.headline) + "</strong></p>\n";
  b += h2("Data used") +
       p(d.scenario.from_eval
             ? "Accuracy, latency and prices come from tunecase eval (eval.json): measured on "
               "held-out test data; prices estimated from measured tokens or throughput and a "
               "price, or assumed where the price itself is (the cost table's source column says "
               "which)."
             : "Scenario mode: no eval.json. Every accuracy and error rate below is assumed from "
               "the config; measure them with tunecase eval before committing money.");
  if (std::string n = labelled_examples_text(d); !n.empty()) b += p(n);
  b += table(business_inputs_table(d));
  b += h2(d.scenario.from_eval ? "Measured results" : "Results (assumed)") +
       table(quality_table(d)) + accuracy_cost_chart(d);
  b += h2("Cost and value") + p(cost_value_text(d)) + table(cost_table(d)) + table(net_table(d));
  if (std::string ends = net_ends_text(d); !ends.empty()) b += p(ends);
  if (std::string delay = cost_of_delay_text(d); !delay.empty()) b += p(delay);
  if (auto lines = finetune_lines(d.scenario); !lines.empty()) b += h2("Fine-tuning") + list(lines);
  b += h2("Break-even") + p(break_even_text()) + table(break_even_table(d)) + cost_volume_chart(d);
  b += h2("Sensitivity") + p(sensitivity_text(d)) + table(sensitivity_table(d));
  std::string folded = sensitivity_folded(d);
  if (!folded.empty()) b += p(folded);
  if (!sensitivity_table(d).rows.empty()) b += tornado(d);
  b += h2("What would it take") + table(what_it_takes_table(d));
  b += h2("Checklist") + p(checklist_text(d)) + table(checklist_table(d));
  b += h2("Recommendation") + "<p><strong>" + html::escape(d.headline) + "</strong></p>\n" +
       list(d.reasons);
  b += h2("Risks") + (d.risks.empty() ? p("None found.") : list(d.risks));
  b += next_step(d);
  b += after_launch(d);
  return html::page("Decision memo", b);
}

}  // namespace tunecase::econ
