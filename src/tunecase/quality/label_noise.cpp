#include "tunecase/quality/label_noise.h"

#include <algorithm>
#include <map>
#include <random>

#include "tunecase/stats/percentile.h"

namespace tunecase {
namespace {

// Thresholds, the confident joint and the calibrated wrong-label shares of the rows, each row
// weighted by `weight` (1 each for the data, draw counts for a bootstrap resample).
struct Joint {
  std::vector<double> threshold;     // per class
  std::vector<double> given;         // weighted rows per given label
  std::vector<double> joint;         // K x K, row = given, column = confident class
  std::vector<int> confident_class;  // per row: j*, or -1 (filled when asked)
};

Joint confident_joint(const OutOfFold& oof, const std::vector<double>& weight, bool keep_rows) {
  const std::size_t K = oof.classes.size(), n = oof.rows();
  Joint j;
  j.threshold.assign(K, 0);
  j.given.assign(K, 0);
  j.joint.assign(K * K, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (weight[i] == 0) continue;
    auto g = static_cast<std::size_t>(oof.given[i]);
    j.given[g] += weight[i];
    j.threshold[g] += weight[i] * oof.row(i)[g];
  }
  for (std::size_t c = 0; c < K; ++c)
    if (j.given[c] > 0) j.threshold[c] /= j.given[c];
  if (keep_rows) j.confident_class.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    if (weight[i] == 0) continue;
    const float* p = oof.row(i);
    auto g = static_cast<std::size_t>(oof.given[i]);
    int best = -1;
    for (std::size_t c = 0; c < K; ++c) {
      // A label nobody was given has no threshold: it cannot be confidently suggested.
      if (j.given[c] == 0 || p[c] < j.threshold[c]) continue;
      // Nor can one the model finds less likely than the given label. This matters for a
      // label with few rows: the folds that held them out barely learnt it, so its threshold
      // (their mean probability) is near zero, and every row would clear it (cleanlab drops
      // such rows from its issues the same way: its prediction is the given label).
      if (c != g && p[c] <= p[g]) continue;
      if (best < 0 || p[c] > p[best]) best = static_cast<int>(c);
    }
    if (keep_rows) j.confident_class[i] = best;
    if (best >= 0) j.joint[static_cast<std::size_t>(oof.given[i]) * K + best] += weight[i];
  }
  return j;
}

// Per label: the calibrated off-diagonal share; overall: weighted by rows per label.
std::vector<double> wrong_shares(const Joint& j, std::size_t K, double& overall) {
  std::vector<double> share(K, 0);
  double wrong = 0, total = 0;
  for (std::size_t c = 0; c < K; ++c) {
    double row = 0;
    for (std::size_t d = 0; d < K; ++d) row += j.joint[c * K + d];
    share[c] = row > 0 ? 1.0 - j.joint[c * K + c] / row : 0.0;
    wrong += share[c] * j.given[c];
    total += j.given[c];
  }
  overall = total > 0 ? wrong / total : 0;
  return share;
}

}  // namespace

LabelNoise confident_learning(const OutOfFold& oof, uint64_t seed, int bootstrap) {
  const std::size_t K = oof.classes.size(), n = oof.rows();
  LabelNoise out;
  out.rows = n;
  for (int f : oof.fold) out.folds = std::max(out.folds, f + 1);
  out.folds = std::max(out.folds, 1);
  // A row can be judged only when its fold's judge learnt its label from other rows.
  const int folds = out.folds;
  std::vector<std::size_t> of_label(K, 0), in_fold(static_cast<std::size_t>(folds) * K, 0);
  for (std::size_t i = 0; i < n; ++i) {
    auto g = static_cast<std::size_t>(oof.given[i]);
    ++of_label[g];
    ++in_fold[static_cast<std::size_t>(oof.fold[i]) * K + g];
  }
  std::vector<double> judged(n, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    auto g = static_cast<std::size_t>(oof.given[i]);
    if (of_label[g] == in_fold[static_cast<std::size_t>(oof.fold[i]) * K + g]) {
      judged[i] = 0;
      ++out.unjudged_rows;
    }
  }
  Joint j = confident_joint(oof, judged, true);
  double overall = 0;
  std::vector<double> share = wrong_shares(j, K, overall);

  // Bootstrap: n draws with replacement, as counts per row.
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, n == 0 ? 0 : n - 1);
  std::vector<double> overall_draws;
  std::vector<std::vector<double>> label_draws(K);
  std::vector<double> weight(n);
  for (int b = 0; b < bootstrap && n > 0; ++b) {
    std::fill(weight.begin(), weight.end(), 0.0);
    for (std::size_t d = 0; d < n; ++d) weight[pick(rng)] += 1;
    for (std::size_t i = 0; i < n; ++i) weight[i] *= judged[i];
    double o = 0;
    std::vector<double> s = wrong_shares(confident_joint(oof, weight, false), K, o);
    overall_draws.push_back(o);
    for (std::size_t c = 0; c < K; ++c) label_draws[c].push_back(s[c]);
  }
  auto interval = [](double estimate, std::vector<double>& draws) {
    if (draws.empty()) return ShareEstimate{estimate, estimate, estimate};
    return ShareEstimate{estimate, percentile_nearest_rank(draws, 2.5),
                         percentile_nearest_rank(draws, 97.5)};
  };
  out.wrong_share = interval(overall, overall_draws);
  std::size_t agree = 0;
  const std::size_t judged_rows = n - out.unjudged_rows;
  for (std::size_t i = 0; i < n; ++i) {
    if (judged[i] == 0) continue;
    const float* p = oof.row(i);
    agree += static_cast<int>(std::max_element(p, p + K) - p) == oof.given[i];
  }
  out.judge_accuracy =
      judged_rows > 0 ? static_cast<double>(agree) / static_cast<double>(judged_rows) : 0;
  out.estimated_wrong_rows = overall * static_cast<double>(n);
  std::vector<double> label_rows(K, 0);
  for (std::size_t i = 0; i < n; ++i) label_rows[static_cast<std::size_t>(oof.given[i])] += 1;
  std::erase(label_rows, 0.0);
  // The median proper: with an even number of labels, the mean of the middle two (the lower one
  // had called two labels of 140 and 3 rows "a median of 3").
  if (!label_rows.empty()) {
    std::sort(label_rows.begin(), label_rows.end());
    const std::size_t mid = label_rows.size() / 2;
    out.median_label_rows =
        label_rows.size() % 2 == 1 ? label_rows[mid] : (label_rows[mid - 1] + label_rows[mid]) / 2;
  }

  for (std::size_t i = 0; i < n; ++i) {
    int c = j.confident_class[i];
    if (c < 0 || c == oof.given[i]) continue;
    const float* p = oof.row(i);
    out.suspects.push_back({i, oof.given[i], c, p[c], p[oof.given[i]]});
  }
  std::sort(out.suspects.begin(), out.suspects.end(), [](const auto& a, const auto& b) {
    double ma = a.confidence - a.given_probability, mb = b.confidence - b.given_probability;
    if (ma != mb) return ma > mb;
    return a.row < b.row;
  });
  for (std::size_t c = 0; c < K; ++c) {
    LabelNoiseByLabel l;
    l.label = oof.classes[c];
    l.rows = of_label[c];
    l.judged = static_cast<std::size_t>(j.given[c]);
    l.threshold = j.threshold[c];
    l.wrong_share = interval(share[c], label_draws[c]);
    out.by_label.push_back(std::move(l));
  }
  for (const auto& s : out.suspects) ++out.by_label[static_cast<std::size_t>(s.given)].suspects;
  return out;
}

LabelNoise::Limit model_limit(const ShareEstimate& full, double half, double judge_accuracy) {
  double drop = half - full.estimate;
  if (drop > 0.03 && drop > (full.high - full.low) / 2) return LabelNoise::Limit::hinges_on_rows;
  if (full.low > 1.0 - judge_accuracy) return LabelNoise::Limit::exceeds_disagreement;
  return LabelNoise::Limit::none;
}

LabelNoise::Limit model_limit(const LabelNoise& noise, std::optional<double> half) {
  if (noise.median_label_rows < kFewLabelRows) return LabelNoise::Limit::few_rows;
  // Up to twice as many, with a judge that agrees with few of the labels: still too little to
  // learn (10 generated tickets a label, a judge agreeing with 52% of them, had read 28.4%, 20.4%
  // to 39.9%, as an estimate; the same data on more rows read 11%).
  if (noise.median_label_rows < 2 * kFewLabelRows && noise.judge_accuracy < kWeakJudge)
    return LabelNoise::Limit::few_rows;
  const ShareEstimate& share = noise.wrong_share;
  if (share.high - share.low > kWideNoiseInterval && share.low < kNoiseFlagShare)
    return LabelNoise::Limit::wide_interval;
  // Without a half-train figure only the disagreement check can speak (no drop to see).
  return model_limit(noise.wrong_share, half.value_or(noise.wrong_share.estimate),
                     noise.judge_accuracy);
}

std::string bound_reason(const LabelNoise& n) {
  switch (n.limit) {
    case LabelNoise::Limit::none:
      return "";
    case LabelNoise::Limit::hinges_on_rows:
      return fmt::format(
          "on this much data the model judging the labels agrees with only {:.1f}% of them and "
          "its own mistakes count as wrong labels (on half of train the figure is {:.1f}%)",
          100 * n.judge_accuracy, 100 * n.half_estimate.value_or(n.wrong_share.estimate));
    case LabelNoise::Limit::exceeds_disagreement:
      return fmt::format(
          "it calls more labels wrong than the model judging them even disputes ({:.1f}%): much "
          "of it is that model's own confident mistakes",
          100 * (1.0 - n.judge_accuracy));
    case LabelNoise::Limit::few_rows:
      return fmt::format(
          "with a median of {:g} training rows per label the model judging the labels learns "
          "too little of each{} to tell its own mistakes from wrong labels{}",
          n.median_label_rows,
          n.median_label_rows < 2 ? " (a label's only row is never in its training data)" : "",
          n.median_label_rows >= kFewLabelRows
              ? fmt::format(" (it agrees with only {:.1f}% of them)", 100 * n.judge_accuracy)
              : "");
    case LabelNoise::Limit::wide_interval:
      return fmt::format(
          "on {} training rows its 95% interval runs from {:.1f}% to {:.1f}%, so the rows do "
          "not show that any label is wrong; the model judging them agrees with only {:.1f}% "
          "of the labels, and its own confident mistakes count as wrong labels",
          n.rows, 100 * n.wrong_share.low, 100 * n.wrong_share.high, 100 * n.judge_accuracy);
  }
  return "";
}

const char* limit_name(LabelNoise::Limit limit) {
  switch (limit) {
    case LabelNoise::Limit::none:
      return "";
    case LabelNoise::Limit::hinges_on_rows:
      return "hinges_on_rows";
    case LabelNoise::Limit::exceeds_disagreement:
      return "exceeds_disagreement";
    case LabelNoise::Limit::few_rows:
      return "few_rows";
    case LabelNoise::Limit::wide_interval:
      return "wide_interval";
  }
  return "";
}

bool model_limited_estimate(const ShareEstimate& full, double half, double judge_accuracy) {
  return model_limit(full, half, judge_accuracy) != LabelNoise::Limit::none;
}

std::vector<std::size_t> stratified_half(const std::vector<int>& given, uint64_t seed) {
  std::map<int, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < given.size(); ++i) by_label[given[i]].push_back(i);
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> out;
  for (auto& [label, rows] : by_label) {
    std::shuffle(rows.begin(), rows.end(), rng);
    out.insert(out.end(), rows.begin(),
               rows.begin() + static_cast<std::ptrdiff_t>((rows.size() + 1) / 2));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tunecase
