// pilot_report_text(): the terminal view of the pilot report (declared in pilot_report.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tunecase/core/number_format.h"
#include "tunecase/core/suggest.h"
#include "tunecase/serve/pilot_report.h"

namespace tunecase::serve {
namespace {

std::string percent(const nlohmann::json& value) {
  return value.is_number() ? fmt::format("{:.1f}%", 100 * value.get<double>()) : "-";
}

std::string number(const nlohmann::json& value, const char* format = "{:.1f}") {
  return value.is_number() ? fmt::format(fmt::runtime(format), value.get<double>()) : "-";
}

}  // namespace

std::string pilot_report_text(const nlohmann::json& r) {
  std::string out = fmt::format(
      "pilot ({}, {}): {} vs {}\n", r["mode"].get<std::string>(), r["basis"].get<std::string>(),
      r["champion"].get<std::string>(),
      r["challenger"].is_string() ? r["challenger"].get<std::string>() : std::string("-"));
  out += fmt::format("{:<12} {:<20} {:>9} {:>9} {:>9} {:>17} {:>9} {:>9} {:>7} {:>9} {:>9}\n",
                     "arm", "approach", "requests", "labelled", "accuracy", "95% CI", "p50 ms",
                     "p99 ms", "errors", "time-outs", "$/1k");
  for (const auto& a : r["arms"]) {
    // The arm as /v1/pilot and the log name it: a shadow pilot's challenger is arm "shadow".
    out += fmt::format("{:<12} {:<20} {:>9} {:>9} {:>9} {:>17} {:>9} {:>9} {:>7} {:>9} {:>9}\n",
                       a.value("arm", a["role"].get<std::string>()),
                       a["approach"].get<std::string>(), a["requests"].get<int64_t>(),
                       a["labelled"].get<int64_t>(), percent(a["accuracy"]),
                       a["accuracy_ci95"].is_array()
                           ? percent(a["accuracy_ci95"][0]) + "-" + percent(a["accuracy_ci95"][1])
                           : std::string("-"),
                       number(a["latency_ms"]["p50"], "{:.2f}"),
                       number(a["latency_ms"]["p99"], "{:.2f}"), a["errors"].get<int64_t>(),
                       a.value("timeouts", int64_t{0}), number(a["usd_per_1k"], "{:.3f}"));
  }
  for (const auto& a : r["arms"])
    if (a.value("cost_unknown", int64_t{0}) > 0 ||
        (a["cost_usd"].is_number() && a.value("cost_basis", "measured") != "measured"))
      out +=
          fmt::format("{}: {}\n", a["role"].get<std::string>(), a["cost_basis"].get<std::string>());
  // Imbalanced traffic: an accuracy no better than always answering the most frequent label
  // says little, and a gain on it can hide a rare class missed (per-label accuracy and macro-F1
  // in the report's error patterns say which).
  for (const auto& a : r["arms"]) {
    const auto& floor = a.value("majority_floor", nlohmann::json());
    if (!floor.is_object() || !a["accuracy"].is_number()) continue;
    const double share = floor["accuracy"].get<double>();
    // Imbalanced: one label holds 80% or more (a two-label task is always at half or more, and
    // a balanced one had been warned about too).
    if (share < 0.8 && a["accuracy"].get<double>() > share) continue;
    out += fmt::format(
        "{}: always answering '{}' would score {} of its labelled items{}; judge it on "
        "macro-F1 ({}) and per-label accuracy (error_patterns), not accuracy alone\n",
        a["role"].get<std::string>(), visible(floor["label"].get<std::string>()),
        percent(floor["accuracy"]),
        a["accuracy"].get<double>() <= share
            ? fmt::format(", at least its accuracy ({})", percent(a["accuracy"]))
            : "",
        number(a.value("macro_f1", nlohmann::json()), "{:.3f}"));
  }
  // Per-label accuracy of both arms, which the lines above send the reader to: the labels where
  // the arms differ most first, at most ten (--json has them all, and per segment).
  if (r.contains("error_patterns") && r["error_patterns"].contains("per_label") &&
      r["challenger"].is_string()) {
    struct Row {
      double gap;
      std::string line;
    };
    std::vector<Row> rows;
    for (const auto& l : r["error_patterns"]["per_label"]) {
      const auto& ch = l["champion"];
      const auto& cl = l["challenger"];
      const double gap =
          ch["accuracy"].is_number() && cl["accuracy"].is_number()
              ? std::fabs(cl["accuracy"].get<double>() - ch["accuracy"].get<double>())
              : -1;
      std::string line = fmt::format(
          "  {:<24} {:>9} of {:<6} {:>9} of {:<6}{}", visible(l["label"].get<std::string>()),
          percent(ch["accuracy"]), ch["labelled"].get<int64_t>(), percent(cl["accuracy"]),
          cl["labelled"].get<int64_t>(),
          l.value("enough_labelled", false) ? "" : "  (too few labelled to tell)");
      line.erase(line.find_last_not_of(' ') + 1);  // no trailing spaces after the last column
      rows.push_back({gap, line + "\n"});
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.gap > b.gap; });
    if (!rows.empty()) {
      out += fmt::format("per label (champion, challenger; the largest differences first{}):\n",
                         rows.size() > 10 ? fmt::format(", 10 of {}; --json has all", rows.size())
                                          : std::string());
      for (std::size_t i = 0; i < rows.size() && i < 10; ++i) out += rows[i].line;
    }
  }
  // Abstentions went to a person: their count and what the arm got right of what it answered
  // (accuracy scores the label the model would have given them).
  for (const auto& a : r["arms"]) {
    const int64_t abstained = a.value("abstentions", int64_t{0});
    if (abstained == 0) continue;
    out += fmt::format(
        "{} abstained on {} requests ({} of them labelled; \"needs a human\"): accuracy counts "
        "the label its model would have given, accuracy on what it answered {}\n",
        a["role"].get<std::string>(), abstained, a.value("abstentions_labelled", int64_t{0}),
        percent(a.value("accuracy_answered", nlohmann::json())));
  }
  if (r.contains("difference") && !r["difference"]["accuracy_gain"].is_number()) {
    out += "gain: not measured yet (no labelled item for both arms)\n";
  } else if (r.contains("difference")) {
    const auto& d = r["difference"];
    out += fmt::format("gain {:+.1f} points, always-valid interval {:+.1f} to {:+.1f}\n",
                       100 * d["accuracy_gain"].get<double>(),
                       100 * d["always_valid_interval"][0].get<double>(),
                       100 * d["always_valid_interval"][1].get<double>());
  }
  const auto& v = r["verdict"];
  out += fmt::format("verdict: {}\n", v["outcome"].get<std::string>());
  for (const auto& reason : v["reasons"]) out += "  - " + reason.get<std::string>() + "\n";
  if (r.contains("plan")) {
    const auto& p = r["plan"];
    // Past the planned days the count reads as such ("day 52.6 of 14" had read as a slip).
    const double elapsed = p["days_elapsed"].get<double>();
    const int planned = p["days_planned"].get<int>();
    out += fmt::format(
        "plan: {}, labelled {} / {} (champion) and {} / {} "
        "(challenger)\n",
        elapsed > planned
            ? fmt::format("day {}, past the {} planned", tenths_down(elapsed), planned)
            : fmt::format("day {} of {}", tenths_down(elapsed), planned),
        p["labelled_champion"].get<int64_t>(), p["labelled_planned_per_arm"].get<double>(),
        p["labelled_challenger"].get<int64_t>(), p["labelled_planned_per_arm"].get<double>());
  }
  return out;
}

}  // namespace tunecase::serve
