#include "tunecase/optimize/optimize_report.h"

#include <fmt/format.h>

#include "tunecase/core/output_dir.h"
#include "tunecase/report/html.h"
#include "tunecase/report/svg_chart.h"

namespace tunecase {
namespace {

std::string money(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("${:.4f}", v.get<double>()) : std::string("unknown");
}

std::string accuracy_text(const nlohmann::json& s) {
  if (!s.is_object() || s.value("n", 0) == 0) return "-";
  const std::size_t errors = s.value("errors", std::size_t{0});
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]{}", s["accuracy"].get<double>(),
                     s["accuracy_ci95"][0].get<double>(), s["accuracy_ci95"][1].get<double>(),
                     errors > 0 ? fmt::format(" ({} of {} failed, counted wrong)", errors,
                                              s["n"].get<std::size_t>())
                                : "");
}

std::vector<std::vector<std::string>> candidate_rows(const nlohmann::json& doc) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : doc["candidates"]) {
    const auto& dev = c["dev"];
    // A candidate that answered no dev item has no price or latency measured.
    const bool measured = dev.is_object() && dev.value("n", 0) > 0;
    rows.push_back({c["name"].get<std::string>(), c["status"].get<std::string>(),
                    dev.is_object() ? std::to_string(dev["n"].get<std::size_t>()) : "0",
                    accuracy_text(dev), measured ? money(dev["usd_per_1k"]) : "-",
                    measured ? fmt::format("{:.0f}", dev["p95_ms"].get<double>()) : "-",
                    c["pareto"].get<bool>() ? "yes" : "", c["reason"].get<std::string>()});
  }
  return rows;
}

const std::vector<std::string> kHeader = {"candidate",  "status", "dev n",  "dev accuracy [95% CI]",
                                          "$/1k calls", "p95 ms", "Pareto", "why"};

std::string simulated_note(const nlohmann::json& doc) {
  return doc.value("simulated", false)
             ? "Simulated: the answers came from tunecase sim-llm, the offline stand-in, not a "
               "real model."
             : "";
}

// The caps the search ran under, as its notes name them: a search capped by max_calls alone had
// read "The budget ended the search".
std::string caps_that_ended(const nlohmann::json& search) {
  const bool money = search.value("budget_usd", nlohmann::json()).is_number() ||
                     search.value("max_cost_usd", nlohmann::json()).is_number();
  const bool calls = search.value("max_calls", nlohmann::json()).is_number();
  if (money && calls) return "the budget or the call cap (max_calls)";
  return calls ? "the call cap (max_calls)" : "the budget";
}

std::string capitalised(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string winner_summary(const nlohmann::json& doc) {
  const auto& w = doc["winner"];
  if (w.is_null()) return "No winner: " + no_winner_reason(doc) + ".";
  const auto& t = w["test"];
  if (t.is_null())
    return fmt::format(
        "Winner: {} (chosen on dev: {}). NOT scored on the test split: {}. The same command "
        "again with --yes (or a --max-cost that covers it) scores it; the search's answers come "
        "from the cache.",
        w["name"].get<std::string>(), accuracy_text(w["dev"]), w.value("test_not_run", ""));
  return fmt::format(
             "Winner: {} (chosen on dev: {}). Scored once on the test split: accuracy {:.3f} "
             "[{:.3f}, {:.3f}] on {} items, {} per 1k calls (estimated).",
             w["name"].get<std::string>(), accuracy_text(w["dev"]), t["accuracy"].get<double>(),
             t["accuracy_ci95"][0].get<double>(), t["accuracy_ci95"][1].get<double>(),
             t["n"].get<std::size_t>(), money(t["usd_per_1k"])) +
         // As the terminal says it: the report forwarded had left the failures out.
         (t.value("errors", int64_t{0}) > 0
              ? fmt::format(" ERRORS: {} of the {} test requests failed and count as wrong "
                            "answers: the test accuracy is partly the endpoint's failures.",
                            t["errors"].get<int64_t>(), t["n"].get<std::size_t>())
              : std::string()) +
         (t.contains("partial_note") ? " PARTIAL: " + t["partial_note"].get<std::string>() + "."
                                     : "") +
         (w.contains("warning") ? " WARNING: " + w["warning"].get<std::string>() + "." : "");
}

std::string search_summary(const nlohmann::json& doc) {
  const auto& s = doc["search"];
  std::string sizes;
  for (const auto& n : s["sample_sizes"]) sizes += (sizes.empty() ? "" : ", ") + n.dump();
  std::string decided = s.value("decided_by", std::string());
  return fmt::format(
      "{} candidates, successive halving on nested dev samples of {} items (dev split: {}). "
      "Rule: {}. Search spend ${:.4f} ({}, new requests only) in {} requests{}.{}{}",
      s["candidates"].get<std::size_t>(), sizes, s["dev_size"].get<std::size_t>(),
      s["winner_rule"].get<std::string>(), s["spent_usd"].get<double>(),
      std::string(doc.value("simulated", false) ? "simulated: sim-llm's answers" : "measured") +
          (doc.contains("spent") && doc["spent"].value("charged_worst_case", std::size_t{0}) > 0
               ? fmt::format(", with {} answers charged their worst case",
                             doc["spent"]["charged_worst_case"].get<std::size_t>())
               : std::string()),
      s["requests"].get<std::size_t>(),
      doc.contains("spent") && doc["spent"]["test_usd"].is_number()
          ? fmt::format("; with the winner's test run ${:.4f} in {} requests in all",
                        doc["spent"]["usd"].get<double>(),
                        doc["spent"]["requests"].get<std::size_t>())
          : std::string(),
      s["budget_forced"].get<bool>()
          ? " " + capitalised(caps_that_ended(s)) + " ended the search before the dev split did."
          : std::string(),
      decided.empty() ? "" : " Decided by " + decided + ".");
}

std::string pareto_chart(const nlohmann::json& doc) {
  svg::Series all{"candidates (last dev sample)", {}, false, true, false, false, ""};
  svg::Series front{"Pareto set", {}, true, true, false, true, ""};
  for (const auto& c : doc["candidates"]) {
    const auto& dev = c["dev"];
    if (!dev.is_object() || dev.value("n", 0) == 0 || !dev["usd_per_1k"].is_number()) continue;
    svg::Point p{dev["usd_per_1k"].get<double>(), dev["accuracy"].get<double>(),
                 dev["accuracy_ci95"][0].get<double>(), dev["accuracy_ci95"][1].get<double>(), ""};
    if (c["status"] == "winner") p.label = "winner";
    all.points.push_back(p);
    if (c["pareto"].get<bool>()) front.points.push_back(p);
  }
  std::sort(front.points.begin(), front.points.end(),
            [](const svg::Point& a, const svg::Point& b) { return a.x < b.x; });
  svg::ChartOptions o;
  o.title = "Prompt search: dev accuracy vs cost";
  o.x = {"$ per 1k calls (estimated)", true, std::nullopt, std::nullopt, "{:g}", "$", ""};
  o.y = {"dev accuracy (95% CI)", false, std::nullopt, std::nullopt, "{:.2f}", "", ""};
  o.note = simulated_note(doc);
  return svg::line_chart(o, {all, front});
}

}  // namespace

std::string no_winner_reason(const nlohmann::json& doc) {
  const std::string prefix = "no winner: ";
  for (const auto& note : doc["search"].value("notes", nlohmann::json::array())) {
    std::string text = note.get<std::string>();
    if (text.rfind(prefix, 0) == 0) return text.substr(prefix.size());
  }
  return "no candidate met the limits of [optimize]";
}

std::string optimize_markdown(const nlohmann::json& doc) {
  std::string md = "# Prompt search\n\n";
  if (doc.value("simulated", false)) md += "> " + simulated_note(doc) + "\n\n";
  md += winner_summary(doc) + "\n\n" + search_summary(doc) + "\n\n";
  const std::string cap = caps_that_ended(doc["search"]);
  md += fmt::format(
      "Dev figures are from each candidate's last (largest) sample; candidates dropped early "
      "were measured on fewer items, so their intervals are wider. When {0} stopped a round "
      "part-way, the winner and the finalists show the largest sample all of them answered, the "
      "one they were ranked on; an unmeasured candidate shows what it answered before {0} "
      "stopped it.\n\n",
      cap);
  md += "| " + fmt::format("{}", fmt::join(kHeader, " | ")) + " |\n|";
  for (std::size_t i = 0; i < kHeader.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& row : candidate_rows(doc))
    md += "| " + fmt::format("{}", fmt::join(row, " | ")) + " |\n";
  if (!doc["winner"].is_null())
    md += "\n## The winner, ready to paste\n\n```toml\n" +
          doc["winner"]["approach_toml"].get<std::string>() + "```\n";
  return md;
}

std::string optimize_html(const nlohmann::json& doc) {
  std::string body = "<p>" + html::escape(winner_summary(doc)) + "</p>";
  body += "<p>" + html::escape(search_summary(doc)) + "</p>";
  body += pareto_chart(doc);
  body += html::table(kHeader, candidate_rows(doc));
  if (!doc["winner"].is_null())
    body += "<h2>The winner, ready to paste</h2><pre>" +
            html::escape(doc["winner"]["approach_toml"].get<std::string>()) + "</pre>";
  return html::page("Prompt search", body);
}

void write_optimize_outputs(const nlohmann::json& doc, const std::filesystem::path& dir) {
  create_output_dir(dir);
  write_file(dir / "optimize.json", doc.dump(2) + "\n");
  write_file(dir / "optimize.md", optimize_markdown(doc));
  write_file(dir / "optimize.html", optimize_html(doc));
  if (!doc["winner"].is_null()) {
    write_file(dir / "winner.toml",
               "# The prompt search's winner (tunecase optimize); paste into your config.\n" +
                   doc["winner"]["approach_toml"].get<std::string>());
  }
}

}  // namespace tunecase
