#include "tunecase/approaches/calibration.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace tunecase {
namespace {

// log sum_k exp(s_k * beta), stable for any scale.
double log_sum_exp(const std::vector<double>& scores, double beta) {
  double top = *std::max_element(scores.begin(), scores.end()) * beta;
  double sum = 0;
  for (double s : scores) sum += std::exp(s * beta - top);
  return top + std::log(sum);
}

double nll_at_beta(const CalibrationRows& rows, double beta) {
  double total = 0;
  for (std::size_t i = 0; i < rows.scores.size(); ++i) {
    const auto& s = rows.scores[i];
    total += log_sum_exp(s, beta) - s[rows.truth[i]] * beta;
  }
  return total / static_cast<double>(rows.scores.size());
}

}  // namespace

double mean_negative_log_likelihood(const CalibrationRows& rows, double temperature) {
  if (rows.scores.empty()) return 0;
  return nll_at_beta(rows, 1.0 / temperature);
}

double fit_temperature(const CalibrationRows& rows) {
  if (rows.scores.size() != rows.truth.size())
    throw std::invalid_argument("calibration rows: one true label per row of scores");
  for (std::size_t i = 0; i < rows.scores.size(); ++i) {
    if (rows.truth[i] >= rows.scores[i].size())
      throw std::invalid_argument("calibration rows: a true label outside its row's scores");
  }
  if (rows.scores.empty()) return 1.0;
  // The likelihood is convex in beta = 1/T, so unimodal in log(beta): golden-section search.
  double lo = std::log(1e-3), hi = std::log(1e3);
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = nll_at_beta(rows, std::exp(a)), fb = nll_at_beta(rows, std::exp(b));
  for (int i = 0; i < 80; ++i) {
    if (fa <= fb) {
      hi = b, b = a, fb = fa;
      a = hi - ratio * (hi - lo);
      fa = nll_at_beta(rows, std::exp(a));
    } else {
      lo = a, a = b, fa = fb;
      b = lo + ratio * (hi - lo);
      fb = nll_at_beta(rows, std::exp(b));
    }
  }
  return 1.0 / std::exp((lo + hi) / 2);
}

namespace {

// Pool-adjacent-violators over the rows sorted by confidence: blocks whose share right never
// falls as confidence rises. Each block's share is shrunk toward its own mean confidence by two
// rows' weight, so a block of one row maps to neither 0 nor 1.
std::vector<std::pair<double, double>> isotonic_map(const CalibrationRows& rows,
                                                    double temperature) {
  std::vector<std::pair<double, double>> points;  // (confidence, right: 0 or 1)
  for (std::size_t i = 0; i < rows.scores.size(); ++i) {
    const auto& s = rows.scores[i];
    const std::size_t top =
        static_cast<std::size_t>(std::distance(s.begin(), std::max_element(s.begin(), s.end())));
    const double confidence = top_softmax(s, temperature);
    // A row whose scores give no number is left out: NaN would break the sort's ordering.
    if (std::isnan(confidence)) continue;
    points.emplace_back(confidence, top == rows.truth[i] ? 1.0 : 0.0);
  }
  std::sort(points.begin(), points.end());
  struct Block {
    double confidence = 0, right = 0, n = 0;
    double share() const { return right / n; }
  };
  // Rows of one confidence are one block from the start (sorted with their wrong answers first,
  // they would split into misses below hits); then pool adjacent violators.
  std::vector<Block> groups;
  double last_confidence = -1;
  for (const auto& [confidence, right] : points) {
    const bool same = !groups.empty() && confidence == last_confidence;
    last_confidence = confidence;
    if (same) {
      groups.back().confidence += confidence;
      groups.back().right += right;
      groups.back().n += 1;
    } else {
      groups.push_back({confidence, right, 1});
    }
  }
  std::vector<Block> blocks;
  for (const Block& g : groups) {
    blocks.push_back(g);
    while (blocks.size() > 1 && blocks[blocks.size() - 2].share() >= blocks.back().share()) {
      Block last = blocks.back();
      blocks.pop_back();
      blocks.back().confidence += last.confidence;
      blocks.back().right += last.right;
      blocks.back().n += last.n;
    }
  }
  std::vector<std::pair<double, double>> out;
  double floor = 0;
  for (const Block& b : blocks) {
    const double mean = b.confidence / b.n;
    const double share = std::max(floor, (b.right + 2 * mean) / (b.n + 2));
    out.emplace_back(mean, share);
    floor = share;
  }
  return out;
}

}  // namespace

Calibration Calibration::fit(const CalibrationRows& held_out, std::string fitted_on,
                             bool isotonic) {
  Calibration c;
  if (held_out.scores.size() < kMinCalibrationRows) return c;
  c.temperature = fit_temperature(held_out);
  c.rows = held_out.scores.size();
  c.fitted_on = std::move(fitted_on);
  if (isotonic) c.isotonic = isotonic_map(held_out, c.temperature);
  return c;
}

double Calibration::map(double scaled) const {
  // Not a number (scores the model could not give) stays as it is: no point to look up.
  if (isotonic.empty() || std::isnan(scaled)) return scaled;
  if (scaled <= isotonic.front().first) return isotonic.front().second;
  if (scaled >= isotonic.back().first) return isotonic.back().second;
  auto next = std::upper_bound(
      isotonic.begin(), isotonic.end(), scaled,
      [](double x, const std::pair<double, double>& point) { return x < point.first; });
  auto prev = std::prev(next);
  const double span = next->first - prev->first;
  if (span <= 0) return next->second;
  return prev->second + (next->second - prev->second) * (scaled - prev->first) / span;
}

nlohmann::json Calibration::to_json(std::string_view method, std::string_view uncalibrated) const {
  if (!fitted()) return {{"method", uncalibrated}};
  nlohmann::json j = {
      {"method", method}, {"temperature", temperature}, {"fitted_on", fitted_on}, {"rows", rows}};
  if (!isotonic.empty()) {
    j["method"] = std::string(method) + ", then an isotonic map of the confidence on the same rows";
    j["isotonic"] = isotonic;
  }
  return j;
}

Calibration Calibration::from_json(const nlohmann::json& confidence) {
  Calibration c;
  if (!confidence.is_object()) return c;
  c.temperature = confidence.value("temperature", 0.0);
  c.rows = confidence.value("rows", std::size_t{0});
  c.fitted_on = confidence.value("fitted_on", std::string());
  if (confidence.contains("isotonic") && confidence["isotonic"].is_array())
    for (const auto& point : confidence["isotonic"])
      if (point.is_array() && point.size() == 2 && point[0].is_number() && point[1].is_number())
        c.isotonic.emplace_back(point[0].get<double>(), point[1].get<double>());
  return c;
}

double top_softmax(const std::vector<double>& scores, double temperature) {
  if (scores.size() < 2) return 1.0;
  double beta = 1.0 / temperature;
  double top = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (double s : scores) sum += std::exp((s - top) * beta);
  return 1.0 / sum;
}

}  // namespace tunecase
