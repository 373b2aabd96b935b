#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tunecase {

// Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017): a
// classifier's scores for the labels are divided by one temperature T, fitted on rows the model
// was not trained on, and softmax(scores / T) is read as the labels' probabilities. T above 1
// softens an overconfident model (a fastText softmax after many epochs), T below 1 sharpens an
// underconfident one (an SVM's margins spread over many labels). The order of the scores, hence
// the predicted label, never changes.
struct CalibrationRows {
  std::vector<std::vector<double>> scores;  // per held-out row, one score per label
  std::vector<std::size_t> truth;           // per row, the index of its true label in its scores
};

// Fewer held-out rows than this leave the temperature too loose to fit: the model keeps its
// uncalibrated confidence.
inline constexpr std::size_t kMinCalibrationRows = 50;

// The temperature that minimises the rows' mean negative log-likelihood of their true labels
// (the likelihood is convex in 1/T: a golden-section search over T in [0.001, 1000]); 1 when
// there are no rows.
double fit_temperature(const CalibrationRows& rows);

// The mean negative log-likelihood of the rows' true labels under softmax(scores / temperature).
double mean_negative_log_likelihood(const CalibrationRows& rows, double temperature);

// A model's calibration, kept with the model as describe()["confidence"].
struct Calibration {
  double temperature = 0;  // 0: none fitted; the model answers its uncalibrated confidence
  std::size_t rows = 0;    // held-out rows it was fitted on
  std::string fitted_on;   // which rows: "dev split", "a fifth of train", ...
  // With `isotonic`: the share of the held-out rows answered right, as a non-decreasing function
  // of their temperature-scaled confidence ((confidence, share right) points, by confidence;
  // linear between them, flat beyond). One temperature cannot fix a model whose least sure
  // answers are under-confident while its sure ones are not (fastText, whose log-probabilities
  // are floored: its lowest fifth said 0.05 and was right 41% of the time). Empty: none.
  std::vector<std::pair<double, double>> isotonic;

  bool fitted() const { return temperature > 0; }
  // Fitted on `held_out` when it has kMinCalibrationRows rows or more; else not fitted. With
  // `isotonic`, the isotonic map is fitted on the same rows after the temperature.
  static Calibration fit(const CalibrationRows& held_out, std::string fitted_on,
                         bool isotonic = false);
  // The calibrated confidence of an answer whose temperature-scaled confidence is `scaled`.
  double map(double scaled) const;
  // method, temperature, fitted_on and rows when fitted; else only `uncalibrated` as the method.
  nlohmann::json to_json(std::string_view method, std::string_view uncalibrated) const;
  // What to_json wrote; an empty object (a model saved before calibration) is not fitted.
  static Calibration from_json(const nlohmann::json& confidence);
};

// Without a dev split, train row i is held out for calibration when this is true: every fifth
// row, so each label keeps its share of the rows.
inline bool held_out_for_calibration(std::size_t i) {
  return i % 5 == 4;
}

// softmax(scores / temperature) of the highest score: the calibrated confidence of the
// predicted label. 1 for fewer than two scores.
double top_softmax(const std::vector<double>& scores, double temperature);

}  // namespace tunecase
