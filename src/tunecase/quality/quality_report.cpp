#include "tunecase/quality/quality_report.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tunecase/core/output_dir.h"
#include "tunecase/core/suggest.h"
#include "tunecase/data/csv_reader.h"
#include "tunecase/data/csv_writer.h"
#include "tunecase/data/normalize.h"
#include "tunecase/quality/quality_html.h"
#include "tunecase/report/eval_report.h"
#include "tunecase/report/markdown.h"
#include "tunecase/report/quality_words.h"

namespace tunecase {
namespace {

std::string pct(double share) {
  return fmt::format("{:.1f}%", 100.0 * share);
}

std::string interval_text(const ShareEstimate& i) {
  return fmt::format("{} (95% CI {} to {})", pct(i.estimate), pct(i.low), pct(i.high));
}

// One line of a Markdown table cell (markdown_text), at most `width` characters of the text.
std::string cell(std::string_view text, std::size_t width = 80) {
  if (text.size() <= width) return markdown_text(text);
  return markdown_text(text.substr(0, grapheme_cut(text, width))) + "…";
}

void pairs_table(std::string& md, const std::vector<PairExample>& pairs) {
  if (pairs.empty()) return;
  md += "\n| similarity | text | label | near-copy | label |\n|---|---|---|---|---|\n";
  for (const auto& p : pairs) {
    md +=
        fmt::format("| {:.2f} | {} ({}) | {} | {} ({}) | {} |\n", p.similarity, cell(p.a_text),
                    p.a_split, cell(p.a_label, 30), cell(p.b_text), p.b_split, cell(p.b_label, 30));
  }
}

void variants_section(std::string& md, const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  md += "\n## Label variants (measured)\n\n";
  const std::string trimmed = s.trimmed_labels_said();
  // Plain text quoting labels: shown as written ("'<b>'" had vanished as a tag).
  md += trimmed.empty() ? "- No label had surrounding whitespace or invisible characters.\n"
                        : "- " + markdown_text(trimmed) + ".\n";
  if (std::string composed = s.composed_labels_said(); !composed.empty())
    md += "- " + markdown_text(composed) + ".\n";
  if (s.label_variants.empty()) {
    md += "- No label is written in two ways (compared after case-folding and Unicode NFKC).\n";
    return;
  }
  md += fmt::format("- {} {} written in more than one way: {}.\n", s.label_variants.size(),
                    s.label_variants.size() == 1 ? "label is" : "labels are",
                    s.labels_normalized
                        ? fmt::format("mapped to the most frequent spelling ({} rows changed; "
                                      "[data] normalize_labels = true)",
                                      s.label_rows_normalized)
                        : "kept apart, so a model learns them as different labels; set [data] "
                          "normalize_labels = true to map each group to its most frequent "
                          "spelling");
  md += "\n| label | spellings (rows) |\n|---|---|\n";
  for (const auto& g : s.label_variants) {
    std::vector<std::string> parts;
    for (const auto& [spelling, n] : g.spellings)
      // Quoted, not a code span: a table cell ends at '|' even inside one, and a label's own
      // backticks had broken the span (\u{200B} shows, not nothing).
      parts.push_back(fmt::format("\"{}\" ({})", markdown_text(visible(spelling)), n));
    md += fmt::format("| {} | {} |\n", cell(g.canonical, 40), fmt::join(parts, ", "));
  }
}

// Labels in a sentence, each a code span: shown as written (a label "<b>" had turned the rest
// of the line bold), and a label's own commas or spaces cannot blur where it ends.
std::string label_list(const std::vector<std::string>& labels) {
  if (labels.empty()) return "none";
  std::vector<std::string> spans;
  for (const auto& label : labels) spans.push_back(code_span(label));
  return fmt::format("{}", fmt::join(spans, ", "));
}

void balance_section(std::string& md, const DataQuality& q) {
  const LabelBalance& b = q.balance;
  md += "\n## Balance (measured, train split)\n\n";
  md += fmt::format(
      "- {} labels in train; largest {} ({} rows), smallest {} ({} rows): "
      "imbalance ratio {:.1f}.\n",
      b.train_counts.size(), code_span(b.largest),
      b.largest.empty() ? 0 : b.train_counts.at(b.largest), code_span(b.smallest),
      b.smallest.empty() ? 0 : b.train_counts.at(b.smallest), b.imbalance_ratio);
  md += fmt::format("- Labels under {} train rows ([data] min_label_count): {}.\n",
                    q.options.min_label_count, label_list(b.below_min));
  md += fmt::format(
      "- Labels in test but absent from train: {}; in test but under {} rows in "
      "train: {}.\n",
      label_list(b.test_absent_from_train), q.options.min_label_count,
      label_list(b.test_tiny_in_train));
}

void duplicates_section(std::string& md, const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  md += "\n## Duplicates and leakage (measured)\n\n";
  md += "- " + exact_duplicates_text(s) + "\n";
  if (!s.conflict_samples.empty()) {
    md +=
        fmt::format("\nThe first {} texts with conflicting labels:\n\n", s.conflict_samples.size());
    md += "| text | labels (rows) | kept |\n|---|---|---|\n";
    for (const auto& c : s.conflict_samples) {
      std::string counts;
      for (const auto& [label, n] : c.label_counts)
        counts += fmt::format("{}{} ({})", counts.empty() ? "" : ", ", cell(label, 40), n);
      md += fmt::format("| {} | {} | {} |\n", cell(c.text), counts,
                        c.chosen.empty() ? "none: no majority, dropped" : cell(c.chosen, 40));
    }
    md += "\n";
  }
  if (!s.leak_conflict_samples.empty()) {
    md += fmt::format(
        "\nThe first {} dev and test rows removed as copies of a row with another label (one of "
        "the two labels is wrong; the removed row is not scored, the kept one is trained or "
        "scored on its label):\n\n",
        s.leak_conflict_samples.size());
    md += "| text | removed (its label) | kept copy (its label) |\n|---|---|---|\n";
    for (const auto& c : s.leak_conflict_samples)
      md += fmt::format("| {} | {} {} ({}) | {} {} ({}) |\n", cell(c.text), c.removed_split,
                        cell(c.removed_id, 40), cell(c.removed_label, 40), c.kept_split,
                        cell(c.kept_id, 40), cell(c.kept_label, 40));
    md += "\n";
  }
  md += fmt::format(
      "- Near-duplicates (Jaccard of character 5-gram sets >= {:.2f}) within train: {} pairs in "
      "{} clusters; {} rows repeat another and over-weight what they say.\n",
      q.options.near_duplicate_similarity, q.train_near.pairs, q.train_near.clusters,
      q.train_near.redundant_rows);
  pairs_table(md, q.train_near_examples);
  md += fmt::format(
      "\n- Test rows that are near-copies of a train or dev text (leakage the exact check "
      "misses): {} of {}; dev rows near-copies of train: {}.\n",
      q.test_near_leaked_count, s.test, q.dev_near_leaked_count);
  pairs_table(md, q.leak_examples);
}

}  // namespace

std::string exact_duplicates_text(const DatasetSummary& s) {
  return fmt::format(
      "Exact duplicates (equal after case-folding, NFKC and whitespace) removed: {} rows. "
      "Texts written with conflicting labels: {}{}. Test rows removed as exact copies of "
      "train/dev: {}. Dev rows removed as exact copies of train: {}.{}",
      s.duplicates_removed, s.label_conflicts,
      s.label_ties_dropped > 0
          ? fmt::format(" (the majority label kept; {} of those texts had no majority label and "
                        "were dropped, every copy)",
                        s.label_ties_dropped)
          : std::string(s.label_conflicts > 0 ? " (the majority label kept)" : ""),
      s.leaked_into_train, s.dev_leaked_into_train,
      s.leaked_with_other_label > 0
          ? fmt::format(" Of those test and dev rows, {} carry another label than the copy kept "
                        "(the files label the same text differently: check which is right).",
                        s.leaked_with_other_label)
          : std::string());
}

std::string unjudged_text(const LabelNoise& n) {
  return fmt::format(
      "{} row{} could not be judged: {} label has no other row for the model judging {} to "
      "learn it from (a label with one row, say), so {} left out of the figures and the "
      "suspects, and their share of wrong labels is taken to be the others'. Add rows of such "
      "labels, or check them by hand.",
      n.unjudged_rows, n.unjudged_rows == 1 ? "" : "s", n.unjudged_rows == 1 ? "its" : "their",
      n.unjudged_rows == 1 ? "it" : "them", n.unjudged_rows == 1 ? "it is" : "they are");
}

namespace {

// How far the judging model can be trusted: its agreement with the given labels (measured)
// and the estimate on half of train.
std::string judge_text(const LabelNoise& n) {
  std::string out = fmt::format(
      "The judging model's top class is the given label for {} of the rows it did not train on "
      "(measured).",
      pct(n.judge_accuracy));
  if (n.limit == LabelNoise::Limit::few_rows)
    return out + fmt::format(" The share is an upper bound, however high: {}.", bound_reason(n));
  if (n.limit == LabelNoise::Limit::wide_interval)
    return out + fmt::format(
                     " Read the share as an upper bound: {}. More labelled rows, or a person "
                     "going through the suspects, tell the two apart.",
                     bound_reason(n));
  if (!n.half_estimate) return out;
  if (!n.model_limited()) {
    // Said as far as it holds: 3.5% on all of train against 5.7% on half had read "it does not
    // hinge on the amount of data".
    const double moved = *n.half_estimate - n.wrong_share.estimate;
    if (std::fabs(moved) < 0.01)
      return out + fmt::format(
                       " On a stratified half of train the estimate is {}, against {} on all of "
                       "it: it barely moves with the amount of data.",
                       pct(*n.half_estimate), pct(n.wrong_share.estimate));
    if (moved < 0)
      return out + fmt::format(
                       " On a stratified half of train the estimate is {}, against {} on all of "
                       "it: lower with fewer rows, not higher as it is when the judging model is "
                       "still learning.",
                       pct(*n.half_estimate), pct(n.wrong_share.estimate));
    return out + fmt::format(
                     " On a stratified half of train the estimate is {}, against {} on all of "
                     "it: higher with fewer rows, by less than the 3 points (and half the "
                     "interval's width) past which the share is read as an upper bound.",
                     pct(*n.half_estimate), pct(n.wrong_share.estimate));
  }
  std::string why =
      n.limit == LabelNoise::Limit::hinges_on_rows
          ? fmt::format(
                " On a stratified half of train the estimate is {}, against {} on all "
                "of it: the judging model is still learning, and confident learning "
                "counts its confident mistakes as wrong labels, which do not thin out as "
                "rows are added.",
                pct(*n.half_estimate), pct(n.wrong_share.estimate))
          : fmt::format(
                " The estimate ({}, {} on half of train) calls more labels wrong than "
                "the model even disputes ({}): much of it is the model's own confident "
                "mistakes.",
                pct(n.wrong_share.estimate), pct(*n.half_estimate), pct(1.0 - n.judge_accuracy));
  return out + why +
         " Read the figure as an upper bound; more labelled rows, or a person going through the "
         "suspects, tell the two apart.";
}

void noise_section(std::string& md, const DataQuality& q) {
  md += "\n## Label noise (estimated)\n\n";
  if (!q.noise) {
    md +=
        "Not estimated (needs two or more labels in train, one of them with two or more rows, "
        "and is off under --no-noise).\n";
    return;
  }
  const LabelNoise& n = *q.noise;
  md += fmt::format(
      "- {} of wrong labels in train: {}, about {:.0f} of {} rows. Confident "
      "learning on out-of-fold probabilities of a logistic-regression model over TF-IDF "
      "({}-fold on train); the interval is a bootstrap over rows and does not include the "
      "model's own errors.\n",
      n.model_limited() ? "Share" : "Estimated share",
      n.model_limited()
          ? fmt::format("at most {} (an upper bound: next point)", pct(n.wrong_share.estimate))
          : interval_text(n.wrong_share),
      n.estimated_wrong_rows, n.rows, n.folds);
  md += "- " + judge_text(n) + "\n";
  if (n.unjudged_rows > 0) md += fmt::format("- {}\n", unjudged_text(n));
  md += fmt::format(
      "- {} rows are listed in suspect_labels.csv, most doubtful first, for a person to "
      "review. Nothing was relabelled.\n",
      n.suspects.size());
  md += "\n| label | rows | estimated wrong | suspects |\n|---|---|---|---|\n";
  for (const auto& l : n.by_label) {
    md += fmt::format("| {} | {} | {} | {} |\n", cell(l.label, 40), l.rows,
                      l.judged > 0 ? interval_text(l.wrong_share) : "not judged", l.suspects);
  }
  if (q.suspects.empty()) return;
  md +=
      "\nThe most doubtful labels:\n\n| text | given | suggested | confidence |\n"
      "|---|---|---|---|\n";
  for (std::size_t i = 0; i < q.suspects.size() && i < 10; ++i) {
    const SuspectRow& r = q.suspects[i];
    md += fmt::format("| {} | {} | {} | {:.2f} |\n", cell(r.text), cell(r.given, 30),
                      cell(r.suggested, 30), r.confidence);
  }
}

}  // namespace

std::string noise_headline(const LabelNoise& n) {
  if (!n.model_limited()) return interval_text(n.wrong_share);
  if (n.limit == LabelNoise::Limit::few_rows || n.limit == LabelNoise::Limit::wide_interval ||
      !n.half_estimate) {
    return fmt::format("at most {} (an upper bound: {})", pct(n.wrong_share.estimate),
                       bound_reason(n));
  }
  return fmt::format(
      "at most {} (an upper bound: the model judging the labels agrees with {} of "
      "them; on half of train the figure is {})",
      pct(n.wrong_share.estimate), pct(n.judge_accuracy), pct(*n.half_estimate));
}

std::string high_quality_text(const DataQuality& q) {
  return high_quality_count_text(q.high_quality_examples, q.high_quality_examples_high);
}

std::string high_quality_basis(const DataQuality& q) {
  return high_quality_basis_text(q.noise.has_value());
}

std::string data_quality_markdown(const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  std::string md = "# Data quality\n\n";
  md += fmt::format(
      "{} rows read; {} labelled rows in train, {} in dev, {} in test after de-duplication "
      "(measured). High-quality examples: **{}** ({}{}).\n",
      s.rows, s.train, s.dev, s.test, high_quality_text(q), high_quality_basis(q),
      q.high_quality_examples_high ? "; the wrong labels are an upper bound, see Label noise" : "");
  if (s.delimiter != 0) md += fmt::format("\nCSV delimiter: {}.\n", delimiter_name(s.delimiter));
  if (s.skipped_rows > 0) {
    md += fmt::format("\n{} row{} skipped (empty text or malformed).\n", s.skipped_rows,
                      s.skipped_rows == 1 ? "" : "s");
    if (std::string skipped = skipped_rows_warning(s.to_json()); !skipped.empty())
      md += "\n" + markdown_text(skipped) + "\n";
  }
  if (s.unlabelled > 0) {
    md += fmt::format(
        "\n{} rows have no label (measured): they are not trained on or scored, and count in "
        "none of the figures below.\n",
        s.unlabelled);
  }
  variants_section(md, q);
  balance_section(md, q);
  duplicates_section(md, q);
  noise_section(md, q);
  return md;
}

std::string data_quality_summary(const DataQuality& q) {
  const DatasetSummary& s = q.summary;
  // Every split's labels, as eval.json's dataset.labels counts them; train's when fewer.
  const std::size_t in_train = q.balance.train_counts.size();
  const std::size_t labels = std::max(s.labels, in_train);
  std::string out = fmt::format(
      "{} labelled rows (train {}, dev {}, test {}), {} labels{}{}\n", s.train + s.dev + s.test,
      s.train, s.dev, s.test, labels,
      in_train < labels ? fmt::format(" ({} in train)", in_train) : "",
      s.unlabelled > 0 ? fmt::format("; {} rows without a label left out", s.unlabelled) : "");
  if (s.empty_text > 0)
    out += fmt::format("note: {} of the {} rows read have an empty text and are in no split\n",
                       s.empty_text, s.rows);
  if (std::string skipped = skipped_rows_warning(s.to_json()); !skipped.empty())
    out += skipped + "\n";
  out += fmt::format("label variants: {} group{}{}; {}\n", s.label_variants.size(),
                     s.label_variants.size() == 1 ? "" : "s",
                     s.label_variants.empty() ? ""
                     : s.labels_normalized    ? " (normalized)"
                                              : " (kept apart; [data] normalize_labels = true "
                                                "would merge each group)",
                     s.labels_trimmed == 0 ? "no label trimmed" : s.trimmed_labels_said());
  if (std::string composed = s.composed_labels_said(); !composed.empty())
    out += "note: " + composed + "\n";
  out += fmt::format(
      "balance: imbalance ratio {:.1f}; {} label{} under {} train rows; {} test "
      "label{} absent from train\n",
      q.balance.imbalance_ratio, q.balance.below_min.size(),
      q.balance.below_min.size() == 1 ? "" : "s", q.options.min_label_count,
      q.balance.test_absent_from_train.size(),
      q.balance.test_absent_from_train.size() == 1 ? "" : "s");
  out += fmt::format(
      "duplicates: {} exact removed{}{}; {} near-duplicate rows in train; {} test rows "
      "near-copies of train/dev\n",
      s.duplicates_removed,
      s.label_ties_dropped > 0
          ? fmt::format(" and {} text{} dropped whose copies' labels tied", s.label_ties_dropped,
                        s.label_ties_dropped == 1 ? "" : "s")
          : "",
      s.copies_removed().empty() ? "" : ", " + s.copies_removed(), q.train_near.redundant_rows,
      q.test_near_leaked_count);
  if (q.noise) {
    out += fmt::format("label noise (estimated): {} of train labels wrong; {} suspects\n",
                       noise_headline(*q.noise), q.noise->suspects.size());
  }
  out += fmt::format("high-quality examples ({}): {}\n", q.noise ? "estimated" : "measured",
                     high_quality_text(q));
  out += q.noise ? "counts are measured on the data; label noise and high-quality examples are "
                   "estimated\n"
         : q.options.label_noise
             ? "counts are measured on the data; label noise was not estimated (it needs "
               "two or more labels in train, one of them with two or more rows)\n"
             : "counts are measured on the data; label noise was not estimated "
               "(--no-noise)\n";
  return out;
}

namespace {

// The reason a label-noise figure is an upper bound, in a few words for the footer.
const char* bound_short(LabelNoise::Limit limit) {
  switch (limit) {
    case LabelNoise::Limit::exceeds_disagreement:
      return "more than the judging model disputes";
    case LabelNoise::Limit::few_rows:
      return "too few rows per label to judge them";
    case LabelNoise::Limit::wide_interval:
      return "too few rows to show any label wrong";
    case LabelNoise::Limit::none:
    case LabelNoise::Limit::hinges_on_rows:
      break;
  }
  return "the judging model is still learning";
}

}  // namespace

std::string data_quality_footer(const DataQuality& q) {
  std::string noise =
      q.noise ? q.noise->model_limited()
                    ? fmt::format("at most {} labels wrong (upper bound: {})",
                                  pct(q.noise->wrong_share.estimate), bound_short(q.noise->limit))
                    : fmt::format("{} labels estimated wrong [{}, {}]",
                                  pct(q.noise->wrong_share.estimate), pct(q.noise->wrong_share.low),
                                  pct(q.noise->wrong_share.high))
              : "label noise not estimated";
  const DatasetSummary& s = q.summary;
  return fmt::format(
      "data: {}, {} near-duplicate train rows, {} test rows near-copies of train, "
      "{} label variant{}{}{} (details: data.md)",
      noise, q.train_near.redundant_rows, q.test_near_leaked_count, s.label_variants.size(),
      s.label_variants.size() == 1 ? "" : "s",
      s.label_variants.empty() ? ""
      : s.labels_normalized    ? " (merged: normalize_labels)"
                               : " (kept apart)",
      s.leaked_with_other_label > 0
          ? fmt::format(", {} test/dev rows copying train with another label",
                        s.leaked_with_other_label)
          : "");
}

void write_suspect_labels(const std::filesystem::path& file, const DataQuality& q) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(q.suspects.size());
  for (const auto& s : q.suspects) {
    rows.push_back({s.id, s.text, s.given, s.suggested, fmt::format("{:.4f}", s.confidence),
                    fmt::format("{:.4f}", s.given_probability)});
  }
  write_csv(
      file,
      {"id", "text", "given_label", "suggested_label", "confidence", "given_label_probability"},
      rows);
}

void write_data_quality(const std::filesystem::path& dir, const DataQuality& q) {
  create_output_dir(dir);
  write_file(dir / "data.json", q.to_json().dump(2) + "\n");
  write_file(dir / "data.md", data_quality_markdown(q));
  write_file(dir / "data.html", data_quality_html(q));
  write_suspect_labels(dir / "suspect_labels.csv", q);
}

const std::vector<std::string>& data_quality_files() {
  static const std::vector<std::string> files = {"data.json", "data.md", "data.html",
                                                 "suspect_labels.csv"};
  return files;
}

}  // namespace tunecase
