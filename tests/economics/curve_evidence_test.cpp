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

TEST(CurveEvidence, SaysNothingWithoutACurve) {
  EXPECT_EQ(curve_evidence(nullptr), "");
  EXPECT_EQ(curve_evidence(nlohmann::json::object()), "");
  EXPECT_EQ(curve_evidence({{"approaches", {{{"name", "x"}}}}}), "");
}

}  // namespace
}  // namespace tunecase::econ
