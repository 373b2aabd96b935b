#include "tunecase/report/eval_report.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/number_format.h"
#include "tunecase/core/suggest.h"
#include "tunecase/data/utf8_check.h"
#include "tunecase/report/markdown.h"
#include "tunecase/report/quality_words.h"

namespace tunecase {
namespace {

using nlohmann::json;

// What "$ per 1k" is, from each approach's cost_provenance: "estimated" when any figure is, each
// assumed one named with why; "assumed" alone when none is estimated (a figure resting on an
// assumed input is assumed: the footer had said "estimated, on an assumed hosting price" and
// "estimated, ..., assumed for" the same approaches). `markdown` bolds the tag and spells out
// what an estimate is.
std::string cost_tag_phrase(const json& eval, bool markdown) {
  // Why an approach's figure is assumed, and the approaches for each reason, in first-seen order.
  std::vector<std::pair<std::string, std::vector<std::string>>> reasons;
  bool any_estimated = false, any_priced = false;
  for (const auto& a : eval["approaches"]) {
    if (!a.value("usd_per_1k", json()).is_number()) continue;
    any_priced = true;
    if (a.value("cost_provenance", "") != "assumed") {
      any_estimated = true;
      continue;
    }
    const std::string kind = a.value("cost_kind", "");
    const bool default_price = a.value("hosting_assumed", false);
    std::string why =
        kind == "hosting_per_query" && !default_price
            ? "per-query hosting at the throughput typed in the config, not the measured one"
        : !a.value("usd_per_month", json()).is_number() && kind == "hosting_fixed"
            ? "the default instance price over the measured throughput, one instance at full "
              "load: set hosting.usd_per_hour in the approach"
        : default_price
            ? "a fixed hosting bill at the default instance price, nothing measured behind it: "
              "set hosting.usd_per_hour in the approach"
            : "a fixed hosting price, nothing measured behind it";
    auto at =
        std::find_if(reasons.begin(), reasons.end(), [&](const auto& r) { return r.first == why; });
    if (at == reasons.end()) at = reasons.insert(reasons.end(), {why, {}});
    at->second.push_back(a.value("name", ""));
  }
  const std::string estimated =
      markdown ? "**estimated** (measured tokens × prices, the catalogue's or ones typed in the "
                 "config, or hosting $/hour ÷ measured throughput)"
               : "estimated";
  if (!any_priced) return markdown ? "**unknown**" : "unknown";
  std::string out = any_estimated ? estimated : markdown ? "**assumed**" : "assumed";
  if (reasons.empty()) return out;
  // One reason for every approach, all priced, nothing estimated: the reason alone (with one
  // unpriced, "assumed (reason)" had read as covering it too).
  if (!any_estimated && reasons.size() == 1 &&
      reasons.front().second.size() == eval["approaches"].size())
    return out + " (" + reasons.front().first + ")";
  std::vector<std::string> parts;
  for (const auto& [why, names] : reasons)
    parts.push_back(fmt::format("{}{} ({})", any_estimated ? "assumed for " : "for ",
                                fmt::join(names, ", "), why));
  return out + (any_estimated ? ", " : ": ") + fmt::format("{}", fmt::join(parts, "; "));
}

std::string pct(double v) {
  return fmt::format("{:.1f}%", 100.0 * v);
}

// "–" for an approach that scored no test item (its accuracy is null).
std::string accuracy_cell(const json& a) {
  if (!a.contains("accuracy") || !a["accuracy"].is_number() || !a["accuracy_ci95"].is_array())
    return "–";
  return fmt::format("{} [{:.1f}–{:.1f}]", pct(a["accuracy"].get<double>()),
                     100.0 * a["accuracy_ci95"][0].get<double>(),
                     100.0 * a["accuracy_ci95"][1].get<double>());
}

std::string ms(const json& v) {
  if (v.is_null()) return "–";
  double x = v.get<double>();
  return x < 10 ? fmt::format("{:.2f}", x) : fmt::format("{:.0f}", x);
}

bool is_partial(const json& a) {
  return a.value("partial", false) || a.value("not_run", 0) > 0;
}

std::string display_name(const json& a) {
  std::string name = a.value("name", "");
  if (a.value("simulated", false)) name += " (simulated)";
  return is_partial(a) ? name + " (partial)" : name;
}

// 1076 -> "1,076".
std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "334/1,076 scored, stopped by budget" for a partial run.
std::string partial_text(const json& a) {
  std::size_t scored = a.value("scored", a.value("n", std::size_t{0}));
  std::size_t total = scored + a.value("not_run", std::size_t{0});
  std::string reason = a.value("not_run_reason", std::string("budget reached"));
  std::string why = reason == "budget reached" ? "stopped by budget" : "not run: " + reason;
  return fmt::format("{}/{} scored, {}", with_commas(scored), with_commas(total), why);
}

// One line per partial run, under a table that marks it "(partial)".
std::string partial_notes(const json& eval) {
  std::string out;
  for (const auto& a : eval["approaches"]) {
    if (!is_partial(a)) continue;
    out += fmt::format(
        "(partial) {}: {}; its figures are on the scored items only, a seeded random sample of "
        "the test split\n",
        a.value("name", ""), partial_text(a));
  }
  return out;
}

// One line per approach whose requests failed (retried first where the error might pass): the
// table's "invalid" column counts answers that map to no label, not requests that got no answer,
// and both count as wrong.
std::string error_notes(const json& eval) {
  std::string out;
  for (const auto& a : eval["approaches"]) {
    const double rate = a.value("error_rate", 0.0);
    if (rate <= 0) continue;
    out += rate >= 1 ? fmt::format(
                           "(errors) {}: every request failed (each retried first where its "
                           "error might pass), so its "
                           "accuracy is no measure of the model; see report.md (\"Invalid "
                           "answers and errors\") and fix the endpoint first\n",
                           display_name(a))
                     : fmt::format(
                           "(errors) {}: {} of requests failed (retried first where the error "
                           "might pass) and count as "
                           "wrong (report.md, \"Invalid answers and errors\")\n",
                           display_name(a), pct(rate));
  }
  return out;
}

std::vector<std::vector<std::string>> summary_rows(const json& eval) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : eval["approaches"]) {
    rows.push_back({display_name(a), accuracy_cell(a),
                    a.contains("macro_f1") && a["macro_f1"].is_number()
                        ? fmt::format("{:.3f}", a["macro_f1"].get<double>())
                        : "–",
                    pct(a.value("invalid_rate", 0.0)),
                    ms(a["latency_ms"]["p50"]) + " / " + ms(a["latency_ms"]["p95"]),
                    format_usd(a["usd_per_1k"]), format_usd(a["usd_per_month"])});
  }
  return rows;
}

const std::vector<std::string> kHeader = {"approach",   "accuracy [95% CI]",  "macro-F1",
                                          "invalid",    "latency p50/p95 ms", "$ per 1k",
                                          "$ per month"};

// Every cell is escaped (markdown_text): labels and names are the user's and may hold '|', '<'
// or a line break.
std::string markdown_table(const std::vector<std::string>& header,
                           const std::vector<std::vector<std::string>>& rows) {
  std::string out = "|";
  for (const auto& h : header) out += " " + markdown_text(h) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < header.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    for (const auto& cell : row) out += " " + markdown_text(cell) + " |";
    out += "\n";
  }
  return out;
}

// Lines of terminal text (warnings that quote labels) as Markdown lines, each escaped.
std::string markdown_lines(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    out += markdown_text(text.substr(0, end)) + "\n";
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return out;
}

// Test labels no train row has: a trained model cannot answer those rows, so its accuracy is
// capped and the comparison with an LLM (which the label set tells about them) is lopsided. A
// time split shows new categories this way. "" when there are none.
std::string unseen_labels_warning(const json& d) {
  if (!d.contains("test_labels_unseen_in_train") || d["test_labels_unseen_in_train"].empty())
    return "";
  auto labels = d["test_labels_unseen_in_train"].get<std::vector<std::string>>();
  std::size_t rows = d.value("test_rows_unseen_in_train", std::size_t{0});
  std::size_t test = d.value("test", std::size_t{0});
  bool one = labels.size() == 1, counted = rows > 0 && test > 0;
  const char* them = one ? "it" : "them";
  return fmt::format(
      "warning: {} test label{} never appear{} in train ({}){}: a trained model cannot answer "
      "{}, so its accuracy is capped at {}; an LLM approach can (the label set names them). "
      "Add train rows of {}, or check the split\n",
      labels.size(), one ? "" : "s", one ? "s" : "", fmt::join(labels, ", "),
      counted ? fmt::format(", {} of {} test rows", rows, test) : "", them,
      counted ? pct(1.0 - static_cast<double>(rows) / static_cast<double>(test)) : "below 100%",
      them);
}

// A model that answers nearly everything with one or two labels has not learnt the data (a
// fastText at its defaults on a few hundred rows, a min_df above the row count): its accuracy
// then says little about the approach. One line per such approach; "" when there is none.
std::string collapse_warnings(const json& eval) {
  std::string out;
  for (const auto& a : eval.value("approaches", json::array())) {
    if (!a.contains("confusion") || !a["confusion"].contains("matrix")) continue;
    const json& c = a["confusion"];
    auto labels = c["labels"].get<std::vector<std::string>>();
    std::vector<std::size_t> predicted(labels.size(), 0);
    // A label is in the test split whether or not the answers to its items named a label (an
    // approach that mostly answered prose had counted only the labels of its readable answers).
    const json no_prediction = c.value("no_prediction", json::array());
    std::size_t items = 0, present = 0, unread = 0;
    for (std::size_t g = 0; g < labels.size(); ++g) {
      std::size_t support = 0;
      for (std::size_t p = 0; p < labels.size(); ++p) {
        std::size_t n = c["matrix"][g][p].get<std::size_t>();
        predicted[p] += n;
        support += n;
      }
      items += support;
      const std::size_t none =
          g < no_prediction.size() ? no_prediction[g].get<std::size_t>() : std::size_t{0};
      unread += none;
      present += support + none > 0;
    }
    std::size_t used = 0, top = 0;
    for (std::size_t p = 0; p < labels.size(); ++p) {
      used += predicted[p] > 0;
      if (predicted[p] > predicted[top]) top = p;
    }
    // At least 4 labels in the test split, and at most a quarter of them ever answered.
    if (present < 4 || items == 0 || used * 4 > present) continue;
    out += fmt::format(
        "warning: {} answers only {} of the {} labels in the test split ('{}' for {} of {} "
        "items{}): {}\n",
        display_name(a), used, present, visible(labels[top]), predicted[top], items,
        unread == 0 ? std::string()
                    : fmt::format("; {} more item{} got no label", unread, unread == 1 ? "" : "s"),
        a.value("kind", "") == "fasttext"
            ? "it has not learnt this data, so its accuracy says little about the approach; give "
              "it more rows or more epochs (its defaults need a few thousand), or let autotune "
              "search"
        : !a.contains("runner")  // an LLM approach's entry carries its runner's summary
            ? "it has not learnt this data, so its accuracy says little about the approach; give "
              "it more rows or check its settings (min_df, features)"
            // An LLM learns nothing here: its prompt, its labels or its answers are at fault.
            : "check its prompt (prompts/ in the output folder), its label descriptions and its "
              "invalid answers (report.md) before reading its accuracy");
  }
  return out;
}

}  // namespace

std::string skipped_rows_warning(const json& d) {
  std::size_t invalid = d.value("invalid_rows", std::size_t{0});
  if (invalid == 0) return {};
  std::size_t extra = d.value("invalid_lines", std::size_t{0});
  auto samples = d.value("invalid_samples", std::vector<std::string>{});
  return fmt::format(
      "warning: {} malformed row{} skipped (skip_invalid){}: in no split and no figure; {}{}",
      invalid, invalid == 1 ? "" : "s",
      extra > 0 ? fmt::format(", {} lines of the file (a row with a stray quote runs over several)",
                              invalid + extra)
                : "",
      samples.size() == 1 ? "it: " : "the first: ", samples.empty() ? "" : samples.front());
}

std::vector<std::string> dataset_warnings(const json& d) {
  std::vector<std::string> out;
  if (d.value("future_rows", 0) > 0) {
    const int n = d.value("future_rows", 0);
    out.push_back(fmt::format(
        "warning: {} row{} {} dated after today ({}{}): a mistyped year? A time split puts such "
        "rows in the test period and replay on days to come; fix the time column",
        n, n == 1 ? "" : "s", n == 1 ? "is" : "are",
        fmt::join(d.value("future_samples", std::vector<std::string>{}), ", "),
        n > 3 ? ", ..." : ""));
  }
  if (std::string skipped = skipped_rows_warning(d); !skipped.empty())
    out.push_back(std::move(skipped));
  if (std::string unseen = unseen_labels_warning(d); !unseen.empty()) {
    unseen.pop_back();  // its line end
    out.push_back(std::move(unseen));
  }
  if (d.contains("thin_train_labels") && !d["thin_train_labels"].empty()) {
    auto thin = d["thin_train_labels"].get<std::vector<std::string>>();
    // Shown as they can be read: a label's control characters had reached the terminal raw (an
    // escape sequence in a label set its title and cleared its screen).
    for (std::string& label : thin) label = visible(label);
    constexpr std::size_t kNamed = 8;
    std::size_t named = std::min(thin.size(), kNamed);
    out.push_back(fmt::format(
        "warning: {} label{} {} fewer than {} train rows ({}{}): {} per-label figures and the "
        "macro-F1 rest on few rows of each, and a trained model barely learns {}; add rows, "
        "or merge {} into a broader label ([data] min_label_count sets this threshold)",
        thin.size(), thin.size() == 1 ? "" : "s", thin.size() == 1 ? "has" : "have",
        d.value("min_label_count", 0),
        fmt::join(std::vector<std::string>(thin.begin(), thin.begin() + static_cast<long>(named)),
                  ", "),
        thin.size() > named ? fmt::format(" and {} more", thin.size() - named) : "",
        thin.size() == 1 ? "its" : "their", thin.size() == 1 ? "it" : "them",
        thin.size() == 1 ? "it" : "them"));
  }
  // Trimming a label's whitespace merged it into the label written without it: said, since
  // the two may have been meant apart.
  if (d.contains("trimmed_labels")) {
    std::vector<std::string> merged;
    for (const auto& t : d["trimmed_labels"])
      if (t.value("rows_as_written", std::size_t{0}) > 0)
        merged.push_back(fmt::format(
            "'{}' ({} rows written with whitespace, {} without)", visible(t.value("label", "")),
            t.value("rows_trimmed", std::size_t{0}), t.value("rows_as_written", std::size_t{0})));
      else if (t.value("spellings_trimmed", std::size_t{0}) > 1)
        merged.push_back(
            fmt::format("'{}' ({} rows written {} ways with whitespace or invisible "
                        "characters)",
                        visible(t.value("label", "")), t.value("rows_trimmed", std::size_t{0}),
                        t.value("spellings_trimmed", std::size_t{0})));
    if (!merged.empty())
      out.push_back(fmt::format(
          "note: trimming surrounding whitespace and invisible characters merged the "
          "spellings of {} label{} into one: {}; "
          "fix the file if they were meant apart",
          merged.size(), merged.size() == 1 ? "" : "s",
          fmt::format(
              "{}{}",
              fmt::join(merged.begin(),
                        merged.begin() + std::min<long>(3, static_cast<long>(merged.size())), "; "),
              merged.size() > 3 ? fmt::format("; and {} more", merged.size() - 3) : "")));
  }
  if (std::size_t shared = d.value("duplicate_ids", std::size_t{0}); shared > 0) {
    auto samples = d.value("duplicate_id_samples", std::vector<std::string>{});
    out.push_back(fmt::format(
        "warning: {} rows have an id an earlier row of a different text already has (e.g. {}): "
        "per-item outputs and feedback by id cannot tell them apart; make the [data] id column "
        "unique",
        shared, quoted_list(samples, samples.size())));
  }
  double asked = d.value("test_fraction", 0.0), got = d.value("test_share", 0.0);
  if (asked > 0 && std::fabs(got - asked) > kSplitShareSlack) {
    out.push_back(fmt::format(
        "warning: the test split holds {:.0f}% of the rows, not the {:.0f}% of [data] "
        "test_fraction: every label with two or more rows gives at least one test row and each "
        "label's share is rounded, so with few rows per label the split departs from it (train "
        "has {} rows); more rows per label bring it back",
        100 * got, 100 * asked, d.value("train", 0)));
  }
  return out;
}

namespace {

std::string dataset_section(const json& d, const json& approaches) {
  std::string out = "## Data\n\n";
  out += fmt::format(
      "{} rows, {} labels: train {}, dev {}, test {} (measured). Duplicates removed: {}{}; test "
      "rows that leaked into train and were removed: {}; dev rows likewise: {}{}; rows skipped: "
      "{}.\n",
      d.value("rows", 0), d.value("labels", 0), d.value("train", 0), d.value("dev", 0),
      d.value("test", 0), d.value("duplicates_removed", 0),
      d.value("label_ties_dropped", 0) > 0
          ? fmt::format(", and {} texts whose copies' labels tied (dropped)",
                        d.value("label_ties_dropped", 0))
          : "",
      d.value("leaked_into_train", 0), d.value("dev_leaked_into_train", 0),
      d.value("leaked_with_other_label", 0) > 0
          ? fmt::format("; of those test and dev rows, {} had another label than the copy kept "
                        "(the files label the same text differently: data.md names them)",
                        d.value("leaked_with_other_label", 0))
          : "",
      d.value("skipped_rows", 0));
  if (d.value("unlabelled", 0) > 0) {
    out += fmt::format("Rows without a label (not trained on or scored): {}.\n",
                       d.value("unlabelled", 0));
  }
  if (d.value("label_conflicts", 0) > 0) {
    out += fmt::format(
        "Label conflicts (same text, different labels; majority kept, a tie dropped): {}{}.\n",
        d.value("label_conflicts", 0),
        d.value("label_ties_dropped", 0) > 0
            ? fmt::format(" ({} with no majority, dropped)", d.value("label_ties_dropped", 0))
            : "");
  }
  if (d.contains("majority_baseline")) {
    const double floor = d["majority_baseline"].value("accuracy", 0.0);
    // Named here too: an approach no better than a constant answer had been listed with its
    // figures and nothing said (a prompt that matched nothing in a script it could not read).
    std::vector<std::string> below;
    for (const auto& a : approaches) {
      auto acc = a.find("accuracy");
      if (acc != a.end() && acc->is_number() && acc->get<double>() <= floor)
        below.push_back(
            fmt::format("{} ({})", markdown_text(a.value("name", "")), pct(acc->get<double>())));
    }
    out += fmt::format(
        "Always answering '{}', the most frequent test label, scores {} (measured): the floor "
        "any approach should clear.{}\n",
        markdown_text(d["majority_baseline"].value("label", "")), pct(floor),
        below.empty() ? ""
                      : fmt::format(" **Not cleared by {}**: no better than that constant answer; "
                                    "look at its predictions before pricing anything against it.",
                                    fmt::join(below, ", ")));
  }
  if (d.contains("time_spans") && !d["time_spans"].empty()) {
    std::vector<std::string> spans;
    for (const auto& t : d["time_spans"])
      spans.push_back(fmt::format("{} {} to {}", t.value("split", ""), t.value("first", ""),
                                  t.value("last", "")));
    out += fmt::format("Times (UTC): {}.\n", fmt::join(spans, "; "));
  }
  for (const std::string& warning : dataset_warnings(d)) out += markdown_lines(warning);
  if (d.contains("rare_labels") && !d["rare_labels"].empty()) {
    out +=
        fmt::format("Labels too rare to split (train only): {}.\n",
                    markdown_text(fmt::format(
                        "{}", fmt::join(d["rare_labels"].get<std::vector<std::string>>(), ", "))));
  }
  return out + "\n";
}

// Accuracy with and without the test rows that are near-copies of train or dev texts (from the
// data-quality report): how much of each figure rests on leakage.
std::string leakage_section(const json& eval) {
  const json& d = eval["dataset"];
  if (!d.contains("quality")) return "";
  const json& q = d["quality"];
  std::string out = "## Data quality\n\n" + q.value("footer", "") + ".\n\n";
  std::optional<double> high;
  auto h = q.find("high_quality_examples_high");
  if (h != q.end() && h->is_number()) high = h->get<double>();
  bool noise = q.contains("label_noise") && !q["label_noise"].is_null();
  out += fmt::format("High-quality examples: {} ({}).\n\n",
                     high_quality_count_text(q.value("high_quality_examples", 0.0), high),
                     high_quality_basis_text(noise));
  std::size_t leaked = q["duplicates"].value("test_near_leaked", std::size_t{0});
  if (leaked == 0) return out;
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : eval["approaches"]) {
    if (!a.contains("without_near_leaked_test")) continue;
    const json& w = a["without_near_leaked_test"];
    rows.push_back(
        {display_name(a),
         a["accuracy"].is_number() ? fmt::format("{:.3f}", a["accuracy"].get<double>()) : "–",
         fmt::format("{:.3f} [{:.3f}, {:.3f}]", w.value("accuracy", 0.0),
                     w["accuracy_ci95"][0].get<double>(), w["accuracy_ci95"][1].get<double>()),
         std::to_string(w.value("n", 0))});
  }
  out += fmt::format(
      "{} test rows are near-copies of a train or dev text. Accuracy without them "
      "(measured):\n\n",
      leaked);
  return out + markdown_table({"approach", "accuracy", "without near-leaked (95% CI)", "n"}, rows) +
         "\n";
}

std::string per_class_section(const json& a) {
  std::vector<std::vector<std::string>> rows;
  // null: a label neither in the test split nor predicted, left out of macro-F1 too.
  auto figure = [](const json& m, const char* key) {
    return m.contains(key) && m[key].is_number() ? fmt::format("{:.3f}", m[key].get<double>())
                                                 : std::string("—");
  };
  bool undefined = false;
  for (const auto& [label, m] : a["per_class"].items()) {
    undefined = undefined || !(m.contains("f1") && m["f1"].is_number());
    rows.push_back({label, figure(m, "precision"), figure(m, "recall"), figure(m, "f1"),
                    std::to_string(m.value("support", 0))});
  }
  return fmt::format("### {}\n\n", markdown_text(display_name(a))) +
         markdown_table({"label", "precision", "recall", "F1", "support"}, rows) +
         (undefined ? "\n— : not in the test split and never predicted: no figure, and not in "
                      "macro-F1.\n"
                    : "") +
         "\n";
}

std::string confusion_section(const json& a) {
  const json& c = a["confusion"];
  auto labels = c["labels"].get<std::vector<std::string>>();
  std::vector<std::tuple<std::size_t, std::string, std::string>> pairs;
  for (std::size_t g = 0; g < labels.size(); ++g) {
    for (std::size_t p = 0; p < labels.size(); ++p) {
      std::size_t n = c["matrix"][g][p].get<std::size_t>();
      if (g != p && n > 0) pairs.emplace_back(n, labels[g], labels[p]);
    }
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  std::string out = fmt::format("**{}** most frequent confusions (gold → predicted): ",
                                markdown_text(display_name(a)));
  if (pairs.empty()) return out + "none.\n\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(5, pairs.size()); ++i) {
    out += fmt::format("{}{} → {} ({})", i ? "; " : "", markdown_text(std::get<1>(pairs[i])),
                       markdown_text(std::get<2>(pairs[i])), std::get<0>(pairs[i]));
  }
  return out + ".\n\n";
}

std::string pairwise_section(const json& eval) {
  std::vector<std::vector<std::string>> rows;
  std::string notes;
  // Each approach as the tables above name it, "(simulated)" included: a row of this table is
  // often copied alone, and had read as a comparison with a real model.
  auto named = [&](const std::string& name) {
    for (const auto& a : eval["approaches"])
      if (a.value("name", std::string()) == name) return display_name(a);
    return name;
  };
  for (const auto& p : eval["pairwise"]) {
    std::string pair = named(p.value("a", "")) + " / " + named(p.value("b", ""));
    if (!p.contains("mcnemar_p") || !p["mcnemar_p"].is_number()) {
      notes += fmt::format("- {}: not tested: {}.\n", pair, p.value("omitted", std::string("?")));
      continue;
    }
    double pv = p["mcnemar_p"].get<double>();
    rows.push_back({named(p.value("a", "")), named(p.value("b", "")),
                    std::to_string(p.value("n", 0)), std::to_string(p.value("a_only_correct", 0)),
                    std::to_string(p.value("b_only_correct", 0)), fmt::format("{:.3g}", pv),
                    pv < 0.05 ? "yes" : "no"});
    if (p.contains("note")) notes += fmt::format("- {}: {}.\n", pair, p["note"].get<std::string>());
  }
  return "## Pairwise tests\n\nMcNemar's exact test on the test items where exactly one of the two "
         "is right, counted over the items both scored (measured). \"Differ\" means p < 0.05.\n\n" +
         markdown_table({"a", "b", "items", "only a right", "only b right", "p", "differ"}, rows) +
         (notes.empty() ? "" : "\n" + notes) + "\n";
}

std::string invalid_section(const json& eval) {
  std::string out;
  for (const auto& a : eval["approaches"]) {
    double rate = a.value("invalid_rate", 0.0) + a.value("error_rate", 0.0);
    if (rate <= 0) continue;
    out += fmt::format(
        "**{}**: {} of answers mapped to no label, {} of requests failed after "
        "all retries (both count as wrong).\n\n",
        markdown_text(display_name(a)), pct(a.value("invalid_rate", 0.0)),
        pct(a.value("error_rate", 0.0)));
    auto quoted = [](std::string sample) {
      std::replace(sample.begin(), sample.end(), '`', '\'');
      std::replace(sample.begin(), sample.end(), '\n', ' ');
      return "`" + sample + "`";
    };
    for (const std::string& sample : a.value("invalid_samples", std::vector<std::string>{}))
      out += "- " + quoted(sample) + "\n";
    // Why requests failed, in the endpoint's words (predictions.jsonl has each item's).
    const json errors = a.value("error_samples", json::array());
    if (!errors.empty()) {
      out += "\nWhy requests failed, most frequent first (items it ended):\n\n";
      for (const auto& e : errors)
        out += fmt::format("- {}: {}\n", e.value("items", int64_t{0}),
                           quoted(e.value("error", std::string())));
    }
    out += "\n";
  }
  if (out.empty()) return out;
  return std::string("## Invalid answers and errors\n\n").append(out);
}

// What [privacy] replaced before the texts were sent (docs/privacy.md), and, with
// --compare-redaction, each LLM approach's accuracy with and without it.
std::string privacy_section(const json& eval) {
  std::string out;
  for (const auto& a : eval["approaches"]) {
    const json redaction = a.value("redaction", json::object());
    if (!redaction.value("on", false)) continue;
    std::string counts;
    const json redacted = redaction.value("redacted", json::object());
    for (const auto& [kind, n] : redacted.items())
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n.get<int64_t>(), kind);
    out += fmt::format(
        "- **{}**: redacted before sending: {} (distinct values per request, "
        "over every test item; measured).\n",
        display_name(a), counts.empty() ? "nothing found" : counts);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : eval.value("redaction", json::array()))
    rows.push_back({c.value("approach", ""), accuracy_cell(c["redacted"]),
                    accuracy_cell(c["unredacted"]),
                    c["accuracy_change"].is_number()
                        ? fmt::format("{:+.1f} pts", 100 * c["accuracy_change"].get<double>())
                        : "–"});
  if (!rows.empty())
    out += "\nAccuracy with and without redaction (`--compare-redaction`, measured):\n\n" +
           markdown_table({"approach", "redacted", "unredacted", "change"}, rows);
  return out.empty() ? out : "## Privacy\n\n" + out + "\n";
}

// Whether every approach was scored on the whole test split, or which ones stopped early.
std::string coverage_sentence(const json& eval) {
  std::vector<std::string> partial;
  for (const auto& a : eval["approaches"]) {
    if (is_partial(a))
      partial.push_back(
          fmt::format("{} ({})", markdown_text(a.value("name", "")), partial_text(a)));
  }
  if (partial.empty()) return "Every approach was scored on the same held-out test split. ";
  return fmt::format(
      "Every approach was run on the same held-out test split, but **not every item was scored**: "
      "{}. ",
      fmt::join(partial, "; "));
}

}  // namespace

std::string format_usd(const json& value) {
  if (value.is_null()) return "unknown";
  double v = value.get<double>();
  if (v == 0) return "$0";
  if (std::fabs(v) >= 100) return whole_dollars(v);
  if (std::fabs(v) >= 1) return fmt::format("${:.2f}", v);
  return (v < 0 ? "-$" : "$") + significant_cents(std::fabs(v));
}

std::string eval_table_text(const json& eval) {
  auto rows = summary_rows(eval);
  std::vector<std::size_t> width(kHeader.size());
  for (std::size_t i = 0; i < kHeader.size(); ++i) width[i] = display_width(kHeader[i]);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], display_width(row[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string pad(width[i] - display_width(cells[i]), ' ');
      out += i == 0 ? cells[i] + pad : pad + cells[i];
      out += i + 1 < cells.size() ? "  " : "\n";
    }
    return out;
  };
  std::string out = line(kHeader);
  for (const auto& row : rows) out += line(row);
  bool any_simulated = false;
  for (const auto& a : eval["approaches"]) any_simulated |= a.value("simulated", false);
  out += partial_notes(eval);
  out += error_notes(eval);
  bool any_month = false;
  for (const auto& a : eval["approaches"])
    any_month |= a.value("usd_per_month", json()).is_number();
  out +=
      fmt::format("accuracy, latency: measured on the test split; $ per 1k: {}; $ per month: {}\n",
                  cost_tag_phrase(eval, false),
                  any_month ? "assumed, as the daily volume it rests on is (see report.md)"
                            : "unknown, no daily volume given (--queries-per-day, or [business] "
                              "queries_per_day)");
  if (eval.contains("dataset") && eval["dataset"].contains("quality"))
    out += eval["dataset"]["quality"].value("footer", "") + "\n";
  if (eval.contains("dataset")) {
    // On imbalanced data the floor is high: said beside the table.
    const json& floor = eval["dataset"].value("majority_baseline", json());
    if (floor.is_object() && floor.value("accuracy", 0.0) >= 0.5)
      out += fmt::format(
          "note: always answering '{}' (the most frequent test label) scores {}: compare the "
          "accuracies above with that, not with 0%\n",
          floor.value("label", ""), pct(floor.value("accuracy", 0.0)));
    for (const std::string& warning : dataset_warnings(eval["dataset"])) out += warning + "\n";
  }
  out += collapse_warnings(eval);
  if (any_simulated) {
    out += "(simulated): answered by the offline stand-in sim-llm, not a real model\n";
  }
  return out;
}

std::string eval_markdown(const json& eval) {
  std::string out = "# Evaluation report\n\n" + coverage_sentence(eval);
  bool any_month = false;
  for (const auto& a : eval["approaches"])
    any_month |= a.value("usd_per_month", json()).is_number();
  out += fmt::format(
      "Accuracy, macro-F1, "
      "invalid-output rate and latency are **measured**; $ per 1k is {}; $ per month is {}.\n\n",
      cost_tag_phrase(eval, true),
      any_month ? "**assumed**, as the daily volume (the config's or --queries-per-day) it rests "
                  "on is"
                : "**unknown**: no daily volume was given (--queries-per-day, or [business] "
                  "queries_per_day)");
  bool any_simulated = false;
  for (const auto& a : eval["approaches"]) any_simulated |= a.value("simulated", false);
  if (any_simulated) {
    out +=
        "> Rows marked *(simulated)* were answered by `tunecase sim-llm`, the offline stand-in "
        "for an LLM API. Their numbers describe that stand-in, not a real model.\n\n";
  }
  out += markdown_table(kHeader, summary_rows(eval)) + "\n";
  if (std::string collapsed = collapse_warnings(eval); !collapsed.empty())
    out += markdown_lines(collapsed) + "\n";
  for (const auto& a : eval["approaches"]) {
    if (is_partial(a))
      out += fmt::format(
          "- **{} is a partial run: {}.** Its figures are on the scored items only (sent in a "
          "seeded random order, so they are a random sample of the test split); it is compared "
          "with the others only on the items both scored.\n",
          markdown_text(a.value("name", "")), partial_text(a));
  }
  for (const auto& a : eval["approaches"]) {
    for (const auto& note : a.value("cost_notes", std::vector<std::string>{})) {
      // Tagged as the figure it explains is (every note had read "assumed", beside an estimate).
      out += fmt::format("- {}: {} ({})\n", markdown_text(a.value("name", "")), note,
                         a.value("cost_provenance", "estimated"));
    }
    out += fmt::format("- {}: cost basis: {}\n", markdown_text(a.value("name", "")),
                       a.value("cost_basis", ""));
    if (a.contains("texts_cut") && a["texts_cut"].value("count", 0) > 0) {
      const json& cut = a["texts_cut"];
      out += fmt::format(
          "- {}: {} of {} test texts were longer than {} characters and were cut to that in the "
          "prompt (max_text_chars); its accuracy and cost are those of the cut texts\n",
          markdown_text(a.value("name", "")), cut.value("count", 0), cut.value("of", 0),
          cut.value("max_text_chars", 0));
    }
  }
  out += "\n";
  out += dataset_section(eval["dataset"], eval.value("approaches", json::array()));
  out += leakage_section(eval);
  out += pairwise_section(eval);
  out += invalid_section(eval);
  out += privacy_section(eval);
  out += "## Confusions\n\n";
  for (const auto& a : eval["approaches"]) out += confusion_section(a);
  out += "## Per-class results\n\n";
  for (const auto& a : eval["approaches"]) out += per_class_section(a);
  return out;
}

}  // namespace tunecase
