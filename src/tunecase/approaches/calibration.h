#pragma once

#include <cstddef>
#include <vector>

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

// softmax(scores / temperature) of the highest score: the calibrated confidence of the
// predicted label. 1 for fewer than two scores.
double top_softmax(const std::vector<double>& scores, double temperature);

}  // namespace tunecase
