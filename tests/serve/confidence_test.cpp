// Local approaches answer with a confidence in [0, 1] (what abstain_below compares against).

#include "gateway_fixture.h"

namespace tunecase::serve::testing {
namespace {

void expect_confidences(const std::string& kind, const nlohmann::json& extra = {}) {
  auto dir = temp_folder("confidence");
  ProjectConfig config = write_config(dir, base_config());
  PreparedData data = prepare_data(config.data);
  ApproachConfig approach = default_approach(kind, kind);
  if (!extra.is_null()) approach.linear.model = extra.value("model", approach.linear.model);
  auto classifier = make_classifier(approach);
  classifier->train(data.splits.train, data.splits.dev, data.labels);
  double lowest = 1, highest = 0;
  for (const auto& example : data.splits.test) {
    Prediction p = classifier->classify(example.text);
    ASSERT_TRUE(p.confidence) << kind;
    EXPECT_GE(*p.confidence, 1.0 / double(data.labels.size()) - 1e-9) << kind;
    EXPECT_LE(*p.confidence, 1.0) << kind;
    lowest = std::min(lowest, *p.confidence);
    highest = std::max(highest, *p.confidence);
  }
  EXPECT_LT(lowest, highest) << kind << ": a confidence that never varies tells nothing";
  std::filesystem::remove_all(dir);
}

TEST(Confidence, LinearSvmGivesItsCalibratedProbability) {
  expect_confidences("linear");
}

TEST(Confidence, LogisticRegressionGivesItsCalibratedProbability) {
  expect_confidences("linear", {{"model", "logreg"}});
}

TEST(Confidence, RetrievalGivesTheWinningVoteShare) {
  expect_confidences("retrieval");
}

}  // namespace
}  // namespace tunecase::serve::testing
