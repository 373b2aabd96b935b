#include "tunecase/quality/quality_html.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/quality/quality_report.h"
#include "tunecase/report/html.h"

namespace tunecase {
namespace {

std::string h2(const std::string& title) {
  return "<h2>" + html::escape(title) + "</h2>\n";
}
std::string p(const std::string& text) {
  return "<p>" + html::escape(text) + "</p>\n";
}
std::string pct(double share) {
  return fmt::format("{:.1f}%", 100.0 * share);
}

std::string pairs(const std::vector<PairExample>& examples) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : examples) {
    rows.push_back({fmt::format("{:.2f}", e.similarity), e.a_text + " (" + e.a_split + ")",
                    e.a_label, e.b_text + " (" + e.b_split + ")", e.b_label});
  }
  if (rows.empty()) return "";
  return html::table({"similarity", "text", "label", "near-copy", "label"}, rows);
}

std::string variants(const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  std::string out = h2("Label variants (measured)");
  out += p(fmt::format(
      "{}. {} {} written in more than one way{}.",
      s.labels_trimmed == 0 ? "No label had surrounding whitespace or invisible "
                              "characters"
                            : s.trimmed_labels_said(),
      s.label_variants.size(), s.label_variants.size() == 1 ? "label is" : "labels are",
      s.label_variants.empty() ? ""
      : s.labels_normalized    ? fmt::format(" and were mapped to their most frequent spelling ({} "
                                                "rows changed)",
                                             s.label_rows_normalized)
                            : "; they stay separate labels unless [data] normalize_labels = true"));
  if (std::string composed = s.composed_labels_said(); !composed.empty()) out += p(composed + ".");
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : s.label_variants) {
    std::vector<std::string> parts;
    for (const auto& [spelling, n] : g.spellings)
      parts.push_back(fmt::format("\"{}\" ({})", spelling, n));
    rows.push_back({g.canonical, fmt::format("{}", fmt::join(parts, ", "))});
  }
  if (!rows.empty()) out += html::table({"label", "spellings (rows)"}, rows);
  return out;
}

std::string balance(const DataQuality& q) {
  const LabelBalance& b = q.balance;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [label, n] : b.train_counts) {
    auto test = b.test_counts.find(label);
    rows.push_back(
        {label, std::to_string(n), std::to_string(test == b.test_counts.end() ? 0 : test->second)});
  }
  for (const auto& label : b.test_absent_from_train)
    rows.push_back({label, "0", std::to_string(b.test_counts.at(label))});
  return h2("Balance (measured)") +
         p(fmt::format("Imbalance ratio {:.1f} (largest train label / smallest). Labels under {} "
                       "train rows: {}. Test labels absent from train: {}.",
                       b.imbalance_ratio, q.options.min_label_count, b.below_min.size(),
                       b.test_absent_from_train.size())) +
         html::table({"label", "train rows", "test rows"}, rows);
}

// What data.md says of duplicates and leakage, each finding with its rows: the page had said
// "Exact duplicates removed: 0" on a file whose test rows leaked from train.
std::string duplicates(const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  std::string out = h2("Duplicates and leakage (measured)");
  out += p(exact_duplicates_text(s));
  std::vector<std::vector<std::string>> conflicts;
  for (const auto& c : s.conflict_samples) {
    std::vector<std::string> counts;
    for (const auto& [label, n] : c.label_counts)
      counts.push_back(fmt::format("{} ({})", label, n));
    conflicts.push_back({c.text, fmt::format("{}", fmt::join(counts, ", ")),
                         c.chosen.empty() ? "none: no majority, dropped" : c.chosen});
  }
  if (!conflicts.empty()) out += html::table({"text", "labels (rows)", "kept"}, conflicts);
  std::vector<std::vector<std::string>> leaks;
  for (const auto& c : s.leak_conflict_samples)
    leaks.push_back({c.text,
                     fmt::format("{} {} ({})", c.removed_split, c.removed_id, c.removed_label),
                     fmt::format("{} {} ({})", c.kept_split, c.kept_id, c.kept_label)});
  if (!leaks.empty())
    out += html::table({"text", "removed (its label)", "kept copy (its label)"}, leaks);
  out += p(fmt::format(
      "Near-duplicates within train (Jaccard of character 5-grams >= {:.2f}): {} pairs in {} "
      "clusters; {} rows repeat another.",
      q.options.near_duplicate_similarity, q.train_near.pairs, q.train_near.clusters,
      q.train_near.redundant_rows));
  out += pairs(q.train_near_examples);
  out += p(fmt::format(
      "Test rows that are near-copies of a train or dev text: {} of {}; dev rows near-copies of "
      "train: {}.",
      q.test_near_leaked_count, s.test, q.dev_near_leaked_count));
  return out + pairs(q.leak_examples);
}

std::string noise(const DataQuality& q) {
  std::string out = h2("Label noise (estimated)");
  if (!q.noise) return out + p("Not estimated.");
  const LabelNoise& n = *q.noise;
  out += p(fmt::format(
      "{}share of wrong labels in train: {} (confident learning on {}-fold out-of-fold "
      "probabilities; the interval covers sampling variation only). {} rows are in "
      "suspect_labels.csv for review; nothing was relabelled.",
      n.model_limited() ? "The " : "Estimated ", noise_headline(n), n.folds, n.suspects.size()));
  if (n.unjudged_rows > 0) out += p(unjudged_text(n));
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : n.by_label) {
    rows.push_back({l.label, std::to_string(l.rows),
                    l.judged > 0 ? fmt::format("{} [{}, {}]", pct(l.wrong_share.estimate),
                                               pct(l.wrong_share.low), pct(l.wrong_share.high))
                                 : std::string("not judged"),
                    std::to_string(l.suspects)});
  }
  out += html::table({"label", "rows", "estimated wrong (95% CI)", "suspects"}, rows);
  std::vector<std::vector<std::string>> top;
  for (std::size_t i = 0; i < q.suspects.size() && i < 20; ++i) {
    const SuspectRow& s = q.suspects[i];
    top.push_back({s.text, s.given, s.suggested, fmt::format("{:.2f}", s.confidence)});
  }
  if (!top.empty()) out += html::table({"text", "given", "suggested", "confidence"}, top);
  return out;
}

}  // namespace

std::string data_quality_html(const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  std::string body = p(fmt::format(
      "{} rows read; {} train, {} dev, {} test after de-duplication (measured). High-quality "
      "examples: {} ({}{}).",
      s.rows, s.train, s.dev, s.test, high_quality_text(q), high_quality_basis(q),
      q.high_quality_examples_high ? "; the wrong labels are an upper bound, see Label noise"
                                   : ""));
  if (s.skipped_rows > 0)
    body += p(fmt::format("{} row{} skipped (empty text or malformed).", s.skipped_rows,
                          s.skipped_rows == 1 ? "" : "s"));
  if (s.unlabelled > 0)
    body += p(fmt::format(
        "{} rows have no label (measured): they are not trained on or scored, and count in none "
        "of the figures below.",
        s.unlabelled));
  body += variants(q) + balance(q) + duplicates(q) + noise(q);
  return html::page("Data quality", body);
}

}  // namespace tunecase
