#include "tunecase/approaches/calibration.h"

#include <algorithm>
#include <cmath>
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

Calibration Calibration::fit(const CalibrationRows& held_out, std::string fitted_on) {
  Calibration c;
  if (held_out.scores.size() < kMinCalibrationRows) return c;
  c.temperature = fit_temperature(held_out);
  c.rows = held_out.scores.size();
  c.fitted_on = std::move(fitted_on);
  return c;
}

nlohmann::json Calibration::to_json(std::string_view method, std::string_view uncalibrated) const {
  if (!fitted()) return {{"method", uncalibrated}};
  return {
      {"method", method}, {"temperature", temperature}, {"fitted_on", fitted_on}, {"rows", rows}};
}

Calibration Calibration::from_json(const nlohmann::json& confidence) {
  Calibration c;
  if (!confidence.is_object()) return c;
  c.temperature = confidence.value("temperature", 0.0);
  c.rows = confidence.value("rows", std::size_t{0});
  c.fitted_on = confidence.value("fitted_on", std::string());
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
