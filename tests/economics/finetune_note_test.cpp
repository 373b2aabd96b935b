// The memo's fine-tuning paragraph: each fine-tuned model's training data, cost and accuracy, and
// what the subset run predicted about the run on more data.
#include <gtest/gtest.h>

#include "tunecase/economics/finetune_note.h"

namespace tunecase::econ {
namespace {

ApproachInputs tuned(const std::string& name, double fraction, int64_t examples, double accuracy,
                     double usd) {
  ApproachInputs a;
  a.name = name;
  a.accuracy = Figure{accuracy, Source::measured, true};
  a.error_rate_low = Figure{1 - accuracy - 0.02, Source::measured, true};
  a.error_rate_high = Figure{1 - accuracy + 0.02, Source::measured, true};
  a.training_usd = Figure{usd, Source::measured, true};
  a.finetune = ApproachInputs::FinetuneRun{"gpt-4.1-mini", fraction, examples, 3769};
  return a;
}

TEST(FinetuneNote, SaysWhatTheSubsetRunPredictedAboutTheFullRun) {
  Scenario s;
  ApproachInputs prompt;
  prompt.name = "zero-shot";
  s.approaches = {prompt, tuned("ft-30", 0.3, 1131, 0.779, 5.89),
                  tuned("ft-all", 1.0, 3769, 0.799, 19.6)};
  auto lines = finetune_lines(s);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("ft-30: gpt-4.1-mini fine-tuned on 1131 examples (from 30.0% of the "
                          "train split's 3769 rows)"),
            std::string::npos)
      << lines[0];
  // A cost no price gives is UNKNOWN, with nothing "measured" about it.
  s.approaches[2].training_usd = Figure{std::nullopt, Source::measured, true};
  const std::string unknown = finetune_lines(s)[1];
  EXPECT_NE(unknown.find("training cost UNKNOWN (no training price for the base model)"),
            std::string::npos)
      << unknown;
  EXPECT_EQ(unknown.find("measured, UNKNOWN"), std::string::npos) << unknown;
  EXPECT_NE(lines[0].find("simulated"), std::string::npos) << lines[0];
  EXPECT_NE(lines[2].find("Subset first: the 30.0% run (ft-30"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("low (+2.0 points"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("inside the subset run's interval"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("30.1% of its training cost"), std::string::npos) << lines[2];
}

// An accuracy typed into the config (decide without --eval) is assumed, with no interval: it had
// read "80.0% [80.0%–80.0%] (measured)" beside a table that called it assumed.
TEST(FinetuneNote, ATypedAccuracyIsAssumedWithoutAnInterval) {
  Scenario s;
  ApproachInputs typed = tuned("ft", 1.0, 3769, 0.8, 20);
  typed.accuracy = Figure{0.8, Source::assumed, false};
  typed.error_rate_low = typed.error_rate_high = Figure{0.2, Source::assumed, false};
  typed.training_usd = Figure{20, Source::measured, false};
  s.approaches = {typed};
  auto lines = finetune_lines(s);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("accuracy 80.0% (assumed)"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("[80.0%"), std::string::npos) << lines[0];
}

TEST(FinetuneNote, IsEmptyWithoutFineTunedModelsAndComparesOnlyOneBaseModel) {
  Scenario s;
  s.approaches = {ApproachInputs{}};
  EXPECT_TRUE(finetune_lines(s).empty());
  ApproachInputs other = tuned("ft-other", 1.0, 3769, 0.9, 20);
  other.finetune->base_model = "another-model";
  s.approaches = {tuned("ft-30", 0.3, 1131, 0.7, 6), other};
  EXPECT_EQ(finetune_lines(s).size(), 2u) << "different base models: no subset comparison";
}

}  // namespace
}  // namespace tunecase::econ
