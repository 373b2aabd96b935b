#include <gtest/gtest.h>

#include "tunecase/economics/curve_evidence.h"

namespace tunecase::econ {
namespace {

TEST(CurveEvidence, QuotesThePointNearest500AndTheProjection) {
  nlohmann::json curve = {
      {"train_labels", 3200},
      {"approaches",
       {{{"name", "local-linear"},
         {"points",
          {{{"labels", 250}, {"mean_accuracy", 0.79}, {"runs", 3}},
           {{"labels", 600}, {"mean_accuracy", 0.84}, {"runs", 3}},
           {{"labels", 3200}, {"mean_accuracy", 0.88}, {"runs", 1}}}},
         {"fit", {{"fitted", true}, {"projection_2x", {{"accuracy", 0.9}, {"labels", 6400}}}}}}}}};
  std::string text = curve_evidence(curve);
  EXPECT_NE(text.find("with 600 labels local-linear reaches 84.0%"), std::string::npos) << text;
  EXPECT_NE(text.find("3,200"), std::string::npos) << text;
  EXPECT_NE(text.find("90.0% at 6,400 labels (projection)"), std::string::npos) << text;
}

TEST(CurveEvidence, QuotesNoProjectionBelowWhatAllOfTrainMeasured) {
  nlohmann::json curve = {{"train_labels", 1044},
                          {"approaches",
                           {{{"name", "local-linear"},
                             {"points",
                              {{{"labels", 40}, {"mean_accuracy", 0.3}, {"runs", 2}},
                               {{"labels", 1044}, {"mean_accuracy", 0.757}, {"runs", 1}}}},
                             {"fit",
                              {{"fitted", true},
                               {"projection_below_measured", true},
                               {"projection_2x", {{"accuracy", 0.696}, {"labels", 2088}}}}}}}}};
  std::string text = curve_evidence(curve);
  EXPECT_EQ(text.find("69.6%"), std::string::npos) << text;
  EXPECT_NE(text.find("gives no projection"), std::string::npos) << text;
}

// What the curve itself says not to trust is not quoted as a projection in the memo: a curve the
// spend cap stopped at 100 of 1,914 labels, one that measures the class balance, and one of too
// few sizes to test its shape (quoted, but as a rough guide).
TEST(CurveEvidence, QuotesNoProjectionTheCurveWarnsAbout) {
  auto curve_with = [](nlohmann::json points, nlohmann::json fit) {
    return nlohmann::json{
        {"train_labels", 1914},
        {"approaches", {{{"name", "sim-rfs"}, {"points", points}, {"fit", fit}}}}};
  };
  nlohmann::json projection = {{"accuracy", 0.796}, {"labels", 3828}};
  std::string capped =
      curve_evidence(curve_with({{{"labels", 50}, {"mean_accuracy", 0.5}, {"runs", 3}},
                                 {{"labels", 100}, {"mean_accuracy", 0.6}, {"runs", 3}}},
                                {{"fitted", true}, {"projection_2x", projection}}));
  EXPECT_EQ(capped.find("79.6%"), std::string::npos) << capped;
  EXPECT_NE(capped.find("measured only up to 100 labels (the spend cap"), std::string::npos)
      << capped;
  nlohmann::json whole = {{{"labels", 500}, {"mean_accuracy", 0.11}, {"runs", 3}},
                          {{"labels", 1914}, {"mean_accuracy", 0.11}, {"runs", 1}}};
  std::string majority = curve_evidence(curve_with(
      whole, {{"fitted", true}, {"majority_only", true}, {"projection_2x", projection}}));
  EXPECT_EQ(majority.find("79.6%"), std::string::npos) << majority;
  EXPECT_NE(majority.find("measures the class balance"), std::string::npos) << majority;
  std::string few = curve_evidence(curve_with(
      whole,
      {{"fitted", true}, {"note", "Only 4 measured points"}, {"projection_2x", projection}}));
  EXPECT_NE(few.find("79.6% at 3,828 labels (projection, a rough guide"), std::string::npos) << few;
}

TEST(CurveEvidence, SaysNothingWithoutACurve) {
  EXPECT_EQ(curve_evidence(nullptr), "");
  EXPECT_EQ(curve_evidence(nlohmann::json::object()), "");
  EXPECT_EQ(curve_evidence({{"approaches", {{{"name", "x"}}}}}), "");
}

}  // namespace
}  // namespace tunecase::econ
