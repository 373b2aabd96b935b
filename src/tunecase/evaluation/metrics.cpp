#include "tunecase/evaluation/metrics.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "tunecase/stats/classification.h"
#include "tunecase/stats/mcnemar.h"
#include "tunecase/stats/percentile.h"
#include "tunecase/stats/proportion.h"

namespace tunecase {
namespace {

nlohmann::json latency_json(const std::vector<Prediction>& predictions) {
  std::vector<double> latencies;
  latencies.reserve(predictions.size());
  for (const auto& p : predictions) {
    if (!p.error) latencies.push_back(p.latency_ms);
  }
  auto rounded = [&](double pct) -> nlohmann::json {
    if (latencies.empty()) return nullptr;
    double v = percentile_nearest_rank(latencies, pct);
    return std::round(v * 1000) / 1000;
  };
  return {{"p50", rounded(50)}, {"p95", rounded(95)}, {"p99", rounded(99)}};
}

// A label neither in the test split nor ever predicted has no precision, recall or F1 (0 / 0):
// null, and macro_f1 leaves it out too, so the table's F1s average to it. It had read 0.000,
// and macro-F1 was not the mean of the table beside it.
nlohmann::json per_class_json(const ConfusionMatrix& confusion) {
  std::map<std::string, std::size_t> predicted;
  for (std::size_t p = 0; p < confusion.labels.size(); ++p)
    for (const auto& row : confusion.matrix) predicted[confusion.labels[p]] += row[p];
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [label, m] : per_class_metrics(confusion)) {
    if (m.support == 0 && predicted[label] == 0) {
      out[label] = {{"precision", nullptr}, {"recall", nullptr}, {"f1", nullptr}, {"support", 0}};
      continue;
    }
    out[label] = {
        {"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1}, {"support", m.support}};
  }
  return out;
}

// Why items were not run ("budget reached"), from the first such item's error.
std::string not_run_reason(const std::vector<Prediction>& predictions) {
  for (const auto& p : predictions) {
    if (!was_not_run(p)) continue;
    std::string reason = p.error->substr(std::string("not run").size());
    return reason.rfind(": ", 0) == 0 ? reason.substr(2) : reason;
  }
  return "";
}

}  // namespace

bool was_not_run(const Prediction& p) {
  return p.error && p.error->rfind("not run", 0) == 0;
}

nlohmann::json quality_json(const std::vector<std::string>& all_gold,
                            const std::vector<Prediction>& all_predictions,
                            const std::vector<std::string>& labels) {
  std::vector<std::string> gold;
  std::vector<Prediction> predictions;
  for (std::size_t i = 0; i < all_predictions.size(); ++i) {
    if (was_not_run(all_predictions[i])) continue;
    gold.push_back(all_gold[i]);
    predictions.push_back(all_predictions[i]);
  }
  std::vector<std::string> predicted;
  predicted.reserve(predictions.size());
  std::size_t correct = 0, invalid = 0, errors = 0;
  double tokens_in = 0, tokens_out = 0;
  std::size_t with_usage = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const Prediction& p = predictions[i];
    bool usable = !p.error && !p.invalid;
    predicted.push_back(usable ? p.label : std::string());
    if (usable && p.label == gold[i]) ++correct;
    if (p.invalid) ++invalid;
    if (p.error) ++errors;
    if (p.tokens_in > 0) {  // an answer that reported its usage
      ++with_usage;
      tokens_in += static_cast<double>(p.tokens_in);
      tokens_out += static_cast<double>(p.tokens_out);
    }
  }
  // Over the answers that reported usage: failures and answers without a usage block sent
  // tokens nobody counted, and had pulled the mean down as zeros.
  const double usage_denom = with_usage == 0 ? 1.0 : static_cast<double>(with_usage);
  std::size_t n = predictions.size();
  ConfusionMatrix confusion = confusion_matrix(gold, predicted, labels);
  Interval ci = wilson_interval(correct, n);
  double denom = n == 0 ? 1.0 : static_cast<double>(n);
  std::size_t not_run = all_predictions.size() - n;
  nlohmann::json out = {{"n", n},
                        {"scored", n},
                        {"not_run", not_run},
                        {"partial", not_run > 0},
                        {"correct", correct},
                        {"accuracy", n == 0 ? 0.0 : static_cast<double>(correct) / denom},
                        {"accuracy_ci95", {ci.lo, ci.hi}},
                        {"macro_f1", macro_f1(confusion)},
                        {"invalid_rate", static_cast<double>(invalid) / denom},
                        {"error_rate", static_cast<double>(errors) / denom},
                        {"errors", errors},
                        {"latency_ms", latency_json(predictions)},
                        {"tokens_in_mean", tokens_in / usage_denom},
                        {"tokens_out_mean", tokens_out / usage_denom},
                        {"per_class", per_class_json(confusion)},
                        {"confusion",
                         {{"labels", confusion.labels},
                          {"matrix", confusion.matrix},
                          {"no_prediction", confusion.no_prediction}}}};
  if (not_run > 0) out["not_run_reason"] = not_run_reason(all_predictions);
  return out;
}

namespace {

// One pair: McNemar on the items both approaches scored. When either left items unscored (a
// partial run), the entry says so; when they share no scored item, the test is omitted.
nlohmann::json pair_json(const ScoredApproach& x, const ScoredApproach& y) {
  std::vector<bool> a, b;
  std::size_t x_scored = 0, y_scored = 0;
  for (std::size_t k = 0; k < x.correct.size(); ++k) {
    x_scored += x.ran[k];
    y_scored += y.ran[k];
    if (!x.ran[k] || !y.ran[k]) continue;
    a.push_back(x.correct[k]);
    b.push_back(y.correct[k]);
  }
  nlohmann::json out = {{"a", x.name}, {"b", y.name}, {"n", a.size()}};
  bool partial = x_scored < x.correct.size() || y_scored < y.correct.size();
  out["compared_on"] = partial ? "common_scored_items" : "all_items";
  if (a.empty()) {
    out["mcnemar_p"] = nullptr;
    out["a_only_correct"] = out["b_only_correct"] = 0;
    out["omitted"] = "no test item was scored by both approaches";
    return out;
  }
  McNemarResult r = mcnemar_exact(a, b);
  out["mcnemar_p"] = r.p_value;
  out["a_only_correct"] = r.a_only_correct;
  out["b_only_correct"] = r.b_only_correct;
  if (partial) {
    out["note"] =
        fmt::format("compared only on the {} items both scored ({} scored {}, {} scored {} of {})",
                    a.size(), x.name, x_scored, y.name, y_scored, x.correct.size());
  }
  return out;
}

}  // namespace

nlohmann::json pairwise_json(const std::vector<ScoredApproach>& approaches) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < approaches.size(); ++i) {
    for (std::size_t j = i + 1; j < approaches.size(); ++j)
      out.push_back(pair_json(approaches[i], approaches[j]));
  }
  return out;
}

}  // namespace tunecase
