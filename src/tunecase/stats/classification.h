#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace tunecase {

// Precision, recall and F1 of one label, with its support (number of gold rows).
struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  std::size_t support = 0;
};

// Counts of gold label against predicted label over a test set.
struct ConfusionMatrix {
  std::vector<std::string> labels;
  std::vector<std::vector<std::size_t>> matrix;  // [gold][pred], indices into labels
  // Per gold label: rows whose prediction was no label at all (invalid output, failed call, or
  // a label outside the label set). They count as wrong in accuracy and recall.
  std::vector<std::size_t> no_prediction;

  std::size_t total() const;    // every row, including no_prediction
  std::size_t correct() const;  // the diagonal
};

// Tallies gold[i] against predicted[i]. A prediction that is "" or not in `labels` goes to
// no_prediction. A gold label missing from `labels` is appended to the label list (in order of
// first appearance) rather than dropped, so that every row is counted.
// Throws std::invalid_argument when gold and predicted differ in length.
ConfusionMatrix confusion_matrix(const std::vector<std::string>& gold,
                                 const std::vector<std::string>& predicted,
                                 const std::vector<std::string>& labels);

// Per label: precision = TP / predicted as the label, recall = TP / support,
// F1 = 2PR / (P + R). Every ratio with a zero denominator is 0 (scikit-learn's
// zero_division=0), so a label that is never predicted has precision 0, not NaN.
std::map<std::string, ClassMetrics> per_class_metrics(const ConfusionMatrix& cm);

// Unweighted mean of per-label F1 over the labels that occur in gold or are predicted at least
// once (scikit-learn's default label set: the union of y_true and y_pred). 0 when there are none.
double macro_f1(const ConfusionMatrix& cm);

// Correct rows / all rows (no_prediction rows count as wrong). 0 for an empty test set.
double accuracy(const ConfusionMatrix& cm);

}  // namespace tunecase
