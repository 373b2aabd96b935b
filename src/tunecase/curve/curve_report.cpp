#include "tunecase/curve/curve_report.h"

#include <fmt/format.h>

#include <cmath>

#include "tunecase/core/output_dir.h"
#include "tunecase/report/html.h"
#include "tunecase/report/svg_chart.h"

namespace tunecase {
namespace {

bool any_simulated(const nlohmann::json& doc) {
  for (const auto& a : doc["approaches"])
    if (a.value("simulated", false)) return true;
  return false;
}

// "failed": test requests that failed at the endpoint after their retries, over the point's runs,
// scored wrong (its ERRORS warning sends the reader here).
const std::vector<std::string> kHeader = {"approach", "labels", "mean accuracy (measured)", "min",
                                          "max",      "std",    "95% CI of the mean",       "runs",
                                          "failed"};

// An approach's name as the tables and lines show it: a simulated one says so on every row.
std::string shown_name(const nlohmann::json& a) {
  return a["name"].get<std::string>() + (a.value("simulated", false) ? " (simulated)" : "");
}

std::vector<std::vector<std::string>> point_rows(const nlohmann::json& doc) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : doc["approaches"])
    for (const auto& p : a["points"])
      rows.push_back({shown_name(a), p["labels"].dump(),
                      fmt::format("{:.3f}", p["mean_accuracy"].get<double>()),
                      fmt::format("{:.3f}", p["min"].get<double>()),
                      fmt::format("{:.3f}", p["max"].get<double>()),
                      fmt::format("{:.3f}", p["std"].get<double>()),
                      fmt::format("[{:.3f}, {:.3f}]", p["accuracy_ci95"][0].get<double>(),
                                  p["accuracy_ci95"][1].get<double>()),
                      p["runs"].dump(), p.value("errors", nlohmann::json(0)).dump()});
  return rows;
}

// "0.912 (95% CI 0.890 to 0.925)": a projection with its bootstrap interval when there is one.
std::string projection_text(const nlohmann::json& p) {
  std::string out = fmt::format("{:.3f}", p["accuracy"].get<double>());
  if (p.contains("ci95"))
    out += fmt::format(
        " (95% CI {:.3f} to {:.3f}, from the measured points' spread: the curve's "
        "shape beyond them is not in it)",
        p["ci95"][0].get<double>(), p["ci95"][1].get<double>());
  return out;
}

std::string saturation_text(const nlohmann::json& fit) {
  // What the points measured comes first: a fit flagged for missing them (or too steep) had hidden
  // points that level off.
  if (fit.contains("levels_off")) {
    const auto& l = fit["levels_off"];
    return fmt::format(
        "the measured points level off: from {} to {} labels accuracy went from {:.3f} to {:.3f} "
        "({:+.1f} points a doubling), so more labels buy little here, whatever the fit projects",
        l["from_labels"].get<double>(), l["to_labels"].get<double>(),
        l["from_accuracy"].get<double>(), l["to_accuracy"].get<double>(),
        100 * l["gain_per_doubling"].get<double>());
  }
  if (fit.value("steep", false))
    return fmt::format(
        "its ceiling at {:.3f} is not one to trust (a fit too steep: see the warning)",
        fit["a"].get<double>());
  if (fit.value("projection_below_measured", false))
    return fmt::format(
        "its ceiling at {:.3f} is not one to trust (the fit misses the points: see the warning)",
        fit["a"].get<double>());
  if (!fit.value("saturation_visible", true))
    return "no saturation visible in the data (the fitted asymptote sits at its bound, 1.0)";
  // The ceiling is the least certain part of a fit: on few rows a label, more labels can go
  // several points past it.
  return fmt::format(
      "the fit levels off near {:.3f} (estimated: a fitted ceiling is the least certain part of "
      "the curve, and more labels often go past it when each label has few rows)",
      fit["a"].get<double>());
}

// One sentence per approach: the fit and its projections, each marked as such.
std::vector<std::string> projection_lines(const nlohmann::json& doc) {
  std::vector<std::string> out;
  for (const auto& a : doc["approaches"]) {
    const auto& f = a["fit"];
    std::string name = shown_name(a);
    if (a.contains("not_measured") && !a["not_measured"].empty()) {
      std::vector<std::string> sizes;
      for (const auto& m : a["not_measured"]) sizes.push_back(m["labels"].dump());
      out.push_back(fmt::format("{}: not measured at {} labels: {}.", name, fmt::join(sizes, ", "),
                                a["not_measured"][0]["why"].get<std::string>()));
    }
    if (!f.value("fitted", false)) {
      out.push_back(fmt::format(
          "{}: no fit ({}).{}", name, f.value("why", std::string()),
          f.contains("warning") ? " Warning: " + f["warning"].get<std::string>() : std::string()));
      continue;
    }
    const double b = f["b"].get<double>();
    std::string line = fmt::format(
        "{}: fit acc(n) = {:.3f} {} {:.3f} n^-{:.3f} (RMSE {:.3f}). Projection: {} with {} "
        "labels (2x), {} with {} (4x); {}.",
        name, f["a"].get<double>(), b < 0 ? "+" : "-", std::fabs(b), f["c"].get<double>(),
        f["rmse"].get<double>(), projection_text(f["projection_2x"]),
        f["projection_2x"]["labels"].dump(), projection_text(f["projection_4x"]),
        f["projection_4x"]["labels"].dump(), saturation_text(f));
    if (f.contains("target")) {
      const auto& t = f["target"];
      line += t.contains("met_by")
                  ? fmt::format(" Target {:.3f}: met ({}).", t["accuracy"].get<double>(),
                                t["met_by"].get<std::string>())
              : t["reachable"].get<bool>()
                  ? fmt::format(" Projection: about {:.0f} labels reach {:.3f}.",
                                t["labels_needed"].get<double>(), t["accuracy"].get<double>())
                  : fmt::format(" Target {:.3f}: {}.", t["accuracy"].get<double>(),
                                t["why"].get<std::string>());
    }
    if (f.contains("note")) line += " " + f["note"].get<std::string>();
    if (f.contains("warning")) line += " Warning: " + f["warning"].get<std::string>();
    out.push_back(line);
  }
  return out;
}

// One sentence per fine-tuned approach: its jobs and what they cost, simulated or measured.
std::vector<std::string> finetune_lines(const nlohmann::json& doc) {
  std::vector<std::string> out;
  for (const auto& a : doc["approaches"]) {
    if (!a.value("fine_tuned", false)) continue;
    std::vector<std::string> jobs;
    for (const auto& p : a["points"]) {
      const auto& usd = p["training_usd"];
      jobs.push_back(fmt::format(
          "{} labels: {} ({})", p["labels"].dump(), p.value("fine_tuned_model", std::string()),
          usd.is_number() ? fmt::format("${:.4f} {}", usd.get<double>(),
                                        p.value("training_usd_is", std::string()))
                          : std::string("training cost unknown")));
    }
    const auto& total = a["training_usd"];
    out.push_back(fmt::format(
        "{}: fine-tuned from {} once per size, one provider job each, and scored on the test "
        "split with the same prompt; training {} in all. {}.",
        a["name"].get<std::string>(), a.value("base_model", std::string()),
        total.is_number() ? fmt::format("${:.4f} ({})", total.get<double>(),
                                        a.value("training_usd_is", std::string()))
                          : std::string("cost unknown (no price in the catalogue)"),
        fmt::join(jobs, "; ")));
  }
  return out;
}

std::string chart(const nlohmann::json& doc) {
  std::vector<svg::Series> series;
  std::size_t i = 0;
  static const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73",
                                   "#CC79A7", "#56B4E9", "#D55E00"};
  for (const auto& a : doc["approaches"]) {
    std::string color = kPalette[i++ % 6];
    svg::Series measured{a["name"].get<std::string>(), {}, true, true, true, false, color};
    for (const auto& p : a["points"])
      measured.points.push_back({p["labels"].get<double>(), p["mean_accuracy"].get<double>(),
                                 p["accuracy_ci95"][0].get<double>(),
                                 p["accuracy_ci95"][1].get<double>(), ""});
    series.push_back(measured);
    const auto& f = a["fit"];
    if (!f.value("fitted", false)) continue;
    svg::Series fitted{"", {}, true, false, false, true, color};
    double lo = a["points"].front()["labels"].get<double>();
    double hi = 4 * doc["train_labels"].get<double>();
    for (int k = 0; k <= 40; ++k) {
      double n = lo * std::pow(hi / lo, k / 40.0);
      fitted.points.push_back(
          {n, f["a"].get<double>() - f["b"].get<double>() * std::pow(n, -f["c"].get<double>()), NAN,
           NAN, ""});
    }
    series.push_back(fitted);
  }
  svg::ChartOptions o;
  o.title = "Learning curve: test accuracy vs training labels";
  o.x = {"training labels (log scale)", true, std::nullopt, std::nullopt, "{:g}", "", ""};
  o.y = {"test accuracy (95% CI band of the mean)",
         false,
         std::nullopt,
         std::nullopt,
         "{:.2f}",
         "",
         ""};
  o.note = "Dashed: the fitted curve; beyond the train size it is a projection, not a measurement.";
  if (any_simulated(doc)) o.note += " LLM answers simulated (sim-llm).";
  return svg::line_chart(o, series);
}

std::string intro(const nlohmann::json& doc) {
  return fmt::format(
      "Stratified, nested subsamples of the {} training labels, {} seeds each, every run scored "
      "on the same {} test items. Every accuracy in the table is measured (simulated where the "
      "approach's name says so): mean, min/max and standard deviation over the seeds; the "
      "interval is the mean's: Wilson's on the test items, which every run shares, widened by "
      "the seeds' spread. The fits below are projections, not measurements.",
      doc["train_labels"].get<std::size_t>(), doc["seeds"].get<int>(),
      doc["test_items"].get<std::size_t>());
}

}  // namespace

std::string curve_markdown(const nlohmann::json& doc) {
  std::string md = "# Learning curve\n\n" + intro(doc) + "\n\n";
  if (any_simulated(doc)) md += "> LLM answers are simulated (sim-llm), not a real model.\n\n";
  if (doc.contains("spend")) {
    const auto& spend = doc["spend"];
    const int64_t cached = spend.value("cached_answers", int64_t{0});
    md += fmt::format(
        "This run's LLM answers cost ${:.4f} ({}{}{}){}.\n\n", spend["spent_usd"].get<double>(),
        any_simulated(doc) ? "simulated" : "measured",
        spend["max_cost_usd"].is_number()
            ? fmt::format(", against a cap of ${:.4f}, which the fine-tuning jobs this run "
                          "started count against too",
                          spend["max_cost_usd"].get<double>())
            : std::string(),
        finetune_lines(doc).empty() ? "" : "; the jobs' own cost is in the fine-tuned rows",
        // Cached: an earlier run's answers, or a prompt this run had sent already (a size and
        // seed that draw the same examples): paid for once either way.
        cached > 0 ? fmt::format("; {} more answers came from the response cache at no cost ({}; "
                                 "{} requests sent in this one)",
                                 cached,
                                 spend.value("cache_existed", true)
                                     ? "an earlier run's, or a prompt this run had already sent"
                                     : "prompts this run had already sent, for another size or "
                                       "seed",
                                 spend.value("requests_sent", int64_t{0}))
                   : std::string());
  }
  md += "| " + fmt::format("{}", fmt::join(kHeader, " | ")) + " |\n|";
  for (std::size_t i = 0; i < kHeader.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& row : point_rows(doc))
    md += "| " + fmt::format("{}", fmt::join(row, " | ")) + " |\n";
  md += "\n## Fits and projections\n\n";
  for (const auto& line : projection_lines(doc)) md += "- " + line + "\n";
  auto tuned = finetune_lines(doc);
  if (!tuned.empty()) md += "\n## Fine-tuned\n\n";
  for (const auto& line : tuned) md += "- " + line + "\n";
  return md;
}

std::string curve_html(const nlohmann::json& doc) {
  std::string body = "<p>" + html::escape(intro(doc)) + "</p>" + chart(doc);
  body += html::table(kHeader, point_rows(doc));
  body += "<h2>Fits and projections</h2><ul>";
  for (const auto& line : projection_lines(doc)) body += "<li>" + html::escape(line) + "</li>";
  body += "</ul>";
  auto tuned = finetune_lines(doc);
  if (!tuned.empty()) body += "<h2>Fine-tuned</h2><ul>";
  for (const auto& line : tuned) body += "<li>" + html::escape(line) + "</li>";
  if (!tuned.empty()) body += "</ul>";
  return html::page("Learning curve", body);
}

void write_curve_outputs(const nlohmann::json& doc, const std::filesystem::path& dir) {
  create_output_dir(dir);
  write_file(dir / "curve.json", doc.dump(2) + "\n");
  write_file(dir / "curve.md", curve_markdown(doc));
  write_file(dir / "curve.html", curve_html(doc));
}

}  // namespace tunecase
