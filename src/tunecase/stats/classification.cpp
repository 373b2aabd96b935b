#include "tunecase/stats/classification.h"

#include <stdexcept>
#include <unordered_map>

namespace tunecase {
namespace {

double ratio_or_zero(double num, double den) {
  return den > 0 ? num / den : 0;
}

std::size_t row_sum(const ConfusionMatrix& cm, std::size_t gold) {
  std::size_t sum = cm.no_prediction[gold];
  for (std::size_t count : cm.matrix[gold]) sum += count;
  return sum;
}

std::size_t column_sum(const ConfusionMatrix& cm, std::size_t pred) {
  std::size_t sum = 0;
  for (const auto& row : cm.matrix) sum += row[pred];
  return sum;
}

ClassMetrics class_metrics(const ConfusionMatrix& cm, std::size_t label) {
  ClassMetrics m;
  const double tp = static_cast<double>(cm.matrix[label][label]);
  m.support = row_sum(cm, label);
  m.precision = ratio_or_zero(tp, static_cast<double>(column_sum(cm, label)));
  m.recall = ratio_or_zero(tp, static_cast<double>(m.support));
  m.f1 = ratio_or_zero(2 * m.precision * m.recall, m.precision + m.recall);
  return m;
}

}  // namespace

std::size_t ConfusionMatrix::total() const {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) sum += row_sum(*this, i);
  return sum;
}

std::size_t ConfusionMatrix::correct() const {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) sum += matrix[i][i];
  return sum;
}

ConfusionMatrix confusion_matrix(const std::vector<std::string>& gold,
                                 const std::vector<std::string>& predicted,
                                 const std::vector<std::string>& labels) {
  if (gold.size() != predicted.size())
    throw std::invalid_argument("confusion_matrix: gold and predicted differ in length");
  ConfusionMatrix cm;
  std::unordered_map<std::string, std::size_t> index;
  auto add_label = [&](const std::string& label) {
    if (index.emplace(label, cm.labels.size()).second) cm.labels.push_back(label);
  };
  for (const auto& label : labels) add_label(label);
  for (const auto& label : gold) add_label(label);
  const std::size_t k = cm.labels.size();
  cm.matrix.assign(k, std::vector<std::size_t>(k, 0));
  cm.no_prediction.assign(k, 0);
  for (std::size_t i = 0; i < gold.size(); ++i) {
    const std::size_t g = index.at(gold[i]);
    auto p = predicted[i].empty() ? index.end() : index.find(predicted[i]);
    if (p == index.end()) {
      ++cm.no_prediction[g];
    } else {
      ++cm.matrix[g][p->second];
    }
  }
  return cm;
}

std::map<std::string, ClassMetrics> per_class_metrics(const ConfusionMatrix& cm) {
  std::map<std::string, ClassMetrics> out;
  for (std::size_t i = 0; i < cm.labels.size(); ++i) out[cm.labels[i]] = class_metrics(cm, i);
  return out;
}

double macro_f1(const ConfusionMatrix& cm) {
  double sum = 0;
  std::size_t counted = 0;
  for (std::size_t i = 0; i < cm.labels.size(); ++i) {
    const ClassMetrics m = class_metrics(cm, i);
    if (m.support == 0 && column_sum(cm, i) == 0) continue;  // neither in gold nor predicted
    sum += m.f1;
    ++counted;
  }
  return ratio_or_zero(sum, static_cast<double>(counted));
}

double accuracy(const ConfusionMatrix& cm) {
  return ratio_or_zero(static_cast<double>(cm.correct()), static_cast<double>(cm.total()));
}

}  // namespace tunecase
