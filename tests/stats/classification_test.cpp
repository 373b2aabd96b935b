#include "tunecase/stats/classification.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace tunecase {
namespace {

// gold a a a b b c, predicted a a b b "" a, label d never seen.
ConfusionMatrix worked_example() {
  return confusion_matrix({"a", "a", "a", "b", "b", "c"}, {"a", "a", "b", "b", "", "a"},
                          {"a", "b", "c", "d"});
}

TEST(ConfusionMatrix, CountsGoldAgainstPredicted) {
  const ConfusionMatrix cm = worked_example();
  ASSERT_EQ(cm.labels, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(cm.matrix[0], (std::vector<std::size_t>{2, 1, 0, 0}));
  EXPECT_EQ(cm.matrix[1], (std::vector<std::size_t>{0, 1, 0, 0}));
  EXPECT_EQ(cm.matrix[2], (std::vector<std::size_t>{1, 0, 0, 0}));
  EXPECT_EQ(cm.no_prediction, (std::vector<std::size_t>{0, 1, 0, 0}));
  EXPECT_EQ(cm.total(), 6u);
  EXPECT_EQ(cm.correct(), 3u);
}

TEST(ConfusionMatrix, LabelOutsideTheSetIsNoPrediction) {
  const ConfusionMatrix cm = confusion_matrix({"a", "b"}, {"banana", "b"}, {"a", "b"});
  EXPECT_EQ(cm.no_prediction[0], 1u);
  EXPECT_EQ(cm.matrix[0][0] + cm.matrix[0][1], 0u);
  EXPECT_EQ(cm.labels.size(), 2u);
}

TEST(ConfusionMatrix, GoldLabelMissingFromTheSetIsAppendedNotDropped) {
  const ConfusionMatrix cm = confusion_matrix({"a", "new", "new"}, {"a", "a", "new"}, {"a"});
  ASSERT_EQ(cm.labels, (std::vector<std::string>{"a", "new"}));
  EXPECT_EQ(cm.matrix[1][0], 1u);
  EXPECT_EQ(cm.matrix[1][1], 1u);
  EXPECT_EQ(cm.total(), 3u);
}

TEST(ConfusionMatrix, RejectsVectorsOfDifferentLength) {
  EXPECT_THROW(confusion_matrix({"a"}, {"a", "a"}, {"a"}), std::invalid_argument);
}

TEST(PerClassMetrics, MatchesHandComputedValues) {
  const auto m = per_class_metrics(worked_example());
  EXPECT_NEAR(m.at("a").precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.at("a").recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.at("a").f1, 2.0 / 3, 1e-12);
  EXPECT_EQ(m.at("a").support, 3u);
  // b: the invalid answer counts in support and against recall.
  EXPECT_NEAR(m.at("b").precision, 0.5, 1e-12);
  EXPECT_NEAR(m.at("b").recall, 0.5, 1e-12);
  EXPECT_EQ(m.at("b").support, 2u);
}

TEST(PerClassMetrics, ClassNeverPredictedHasZeroPrecisionNotNaN) {
  const auto m = per_class_metrics(worked_example());
  EXPECT_EQ(m.at("c").precision, 0.0);
  EXPECT_EQ(m.at("c").recall, 0.0);
  EXPECT_EQ(m.at("c").f1, 0.0);
  EXPECT_EQ(m.at("c").support, 1u);
  EXPECT_EQ(m.at("d").support, 0u);
  EXPECT_EQ(m.at("d").f1, 0.0);
}

TEST(MacroF1, AveragesOnlyLabelsSeenInGoldOrPredictions) {
  // (2/3 + 1/2 + 0) / 3: d is neither gold nor predicted and is left out.
  EXPECT_NEAR(macro_f1(worked_example()), (2.0 / 3 + 0.5) / 3, 1e-12);
}

TEST(MacroF1, LabelPredictedButNeverGoldCountsAsZero) {
  // gold all a; b predicted once. a: P=1, R=2/3, F1=0.8; b: F1=0 -> 0.4 (sklearn agrees).
  const ConfusionMatrix cm = confusion_matrix({"a", "a", "a"}, {"a", "a", "b"}, {"a", "b", "c"});
  EXPECT_NEAR(macro_f1(cm), 0.4, 1e-12);
}

TEST(Accuracy, AllCorrectIsOne) {
  const ConfusionMatrix cm = confusion_matrix({"x", "y", "y"}, {"x", "y", "y"}, {"x", "y"});
  EXPECT_EQ(accuracy(cm), 1.0);
  EXPECT_EQ(macro_f1(cm), 1.0);
  for (const auto& [label, m] : per_class_metrics(cm)) {
    EXPECT_EQ(m.precision, 1.0) << label;
    EXPECT_EQ(m.recall, 1.0) << label;
  }
}

TEST(Accuracy, CountsNoPredictionAsWrong) {
  EXPECT_NEAR(accuracy(worked_example()), 0.5, 1e-12);
}

TEST(Accuracy, EmptyTestSetIsZeroEverywhere) {
  const ConfusionMatrix cm = confusion_matrix({}, {}, {"a", "b"});
  EXPECT_EQ(cm.total(), 0u);
  EXPECT_EQ(accuracy(cm), 0.0);
  EXPECT_EQ(macro_f1(cm), 0.0);
  EXPECT_EQ(per_class_metrics(cm).at("a").support, 0u);
}

}  // namespace
}  // namespace tunecase
