// Memo wording a product manager reads literally.
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/money.h"
#include "tunecase/economics/recommendation.h"

namespace tunecase::econ {
namespace {

const char* kConfig = R"(
[data]
path = "tickets.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 1.5
engineer_usd_per_week = 4000
baseline = "api-zero-shot"
infra_expertise = true
task_stable_months = 12
data_sensitive = true
[[approach]]
name = "api-zero-shot"
kind = "openai"
[[approach]]
name = "api-retrieval"
kind = "openai"
engineering_weeks = 2
[[approach]]
name = "local-linear"
kind = "linear"
engineering_weeks = 3
retrain_every_months = 1
retrain_usd = 100
)";

Decision decide_with(double mcnemar_p) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["pairwise"][0]["mcnemar_p"] = mcnemar_p;
  return decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
}

TEST(MemoWording, TrainedVerdictIsNotCalledFineTune) {
  Decision d = decide_with(0.41);
  ASSERT_EQ(d.checklist.verdict, "fine-tune");
  ASSERT_EQ(d.pick, "local-linear");  // a TF-IDF model, not a fine-tuned LLM
  std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("**a trained model (fine-tuned or self-hosted) is probably worth it**"),
            std::string::npos);
  EXPECT_EQ(memo.find("**fine-tune**"), std::string::npos);
  EXPECT_EQ(memo.find("which says: fine-tune"), std::string::npos);
}

// "Keep" names what a trained approach behind a prompting one would need, never a figure for
// one already ahead: that figure is where it would fall behind, and "would need 91.7% to beat"
// beside a measured 95% read backwards.
TEST(MemoWording, KeepDoesNotAskAnApproachAlreadyAheadToCatchUp) {
  std::string config = kConfig;
  config.replace(config.find("baseline = \"api-zero-shot\""), 26, "baseline = \"local-linear\" ");
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  Decision d = decide(read_scenario(parse_config(config, "w.toml"), &eval));
  ASSERT_EQ(d.pick, "local-linear");
  ASSERT_FALSE(d.pilot.needed);
  bool ahead = false;
  for (const auto& w : d.what_it_takes) ahead = ahead || (w.already_ahead && w.required_error_rate);
  ASSERT_TRUE(ahead) << "the fixture has a trained approach ahead with a figure";
  EXPECT_TRUE(d.next_step.starts_with("Keep local-linear.")) << d.next_step;
  EXPECT_EQ(d.next_step.find("would need"), std::string::npos) << d.next_step;
}

// A scenario-mode figure typed beside a measurement is not used; the memo says so rather than
// pricing the flat measured errors in silence.
TEST(MemoWording, ATypedAccuracyBesideAMeasurementIsSaidToBeIgnored) {
  std::string config = kConfig;
  config.replace(config.find("engineering_weeks = 3"), 21,
                 "engineering_weeks = 3\nharmful_error_rate = 0.25");
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  Decision d = decide(read_scenario(parse_config(config, "w.toml"), &eval));
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_TRUE(
      d.warnings[0].starts_with("IGNORED: [[approach]] 'local-linear' sets "
                                "harmful_error_rate = 0.25, which decide does not use "
                                "with --eval"))
      << d.warnings[0];
  EXPECT_NE(std::find(d.risks.begin(), d.risks.end(), d.warnings[0]), d.risks.end());
  EXPECT_TRUE(decide_with(0.41).warnings.empty());
}

std::string unsettled_risk(const Decision& d) {
  for (const auto& r : d.risks) {
    if (r.find("McNemar") != std::string::npos) return r;
  }
  return "";
}

TEST(MemoWording, SettledAccuracyWithOverlappingMoneySaysWhich) {
  std::string risk = unsettled_risk(decide_with(0.0001));
  EXPECT_NE(risk.find("accuracy difference between api-retrieval and local-linear is settled "
                      "(McNemar p < 0.001)"),
            std::string::npos)
      << risk;
  EXPECT_NE(risk.find("net benefits overlap"), std::string::npos);
  EXPECT_EQ(risk.find("does not settle"), std::string::npos);
  std::string neither = unsettled_risk(decide_with(0.41));
  EXPECT_NE(neither.find("Neither the accuracy difference"), std::string::npos);
  EXPECT_NE(neither.find("p = 0.410"), std::string::npos);
}

// With eval's discordant counts and the items compared, a pair is judged on the paired interval
// of its accuracy difference: two approaches whose own intervals overlap but that the same test
// items separate (McNemar) are not called unsettled (the memo's headline had said the test data
// did not settle a choice its own McNemar test settled).
Decision decide_with_pair(std::size_t a_only, std::size_t b_only) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["pairwise"][0]["a_only_correct"] = a_only;
  eval["pairwise"][0]["b_only_correct"] = b_only;
  eval["pairwise"][0]["n"] = 200;
  eval["pairwise"][0]["mcnemar_p"] = 0.5;  // not what decides
  return decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
}

bool unsettled(const Decision& d, const std::string& a, const std::string& b) {
  for (const auto& u : d.analysis.unsettled)
    if ((u.a == a && u.b == b) || (u.a == b && u.b == a)) return true;
  return false;
}

TEST(MemoWording, PairsMeasuredOnTheSameItemsAreJudgedPaired) {
  // api-retrieval 0.84 and local-linear 0.855 on 200 items: their own intervals overlap.
  Decision apart = decide_with_pair(0, 12);  // every disagreement goes one way (McNemar p < 0.001)
  EXPECT_FALSE(unsettled(apart, "api-retrieval", "local-linear"));
  Decision close = decide_with_pair(40, 43);  // as many disagreements each way, nearly
  ASSERT_TRUE(unsettled(close, "api-retrieval", "local-linear"));
  std::string risk = unsettled_risk(close);
  EXPECT_NE(risk.find("trade places across the interval of their accuracy difference"),
            std::string::npos)
      << risk;
}

// Checklist question 2 takes the low end of the paired interval against the baseline where eval
// measured the two on the same items: it had taken each approach's own low end against the
// baseline's point figure, and answered "yes, even at the low end" beside a risk saying McNemar
// did not separate the two.
TEST(MemoWording, TheValueQuestionTakesThePairedIntervalAgainstTheBaseline) {
  auto answer_with = [](std::size_t only_approach, std::size_t only_baseline) {
    nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
    for (const char* other : {"api-retrieval", "local-linear", "api-unpriced"})
      eval["pairwise"].push_back({{"a", other},
                                  {"b", "api-zero-shot"},
                                  {"mcnemar_p", 0.5},
                                  {"a_only_correct", only_approach},
                                  {"b_only_correct", only_baseline},
                                  {"n", 200}});
    return decide(read_scenario(parse_config(kConfig, "w.toml"), &eval)).checklist.items[1];
  };
  // Without the rows each approach's own interval answers: yes.
  nlohmann::json plain = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  ASSERT_EQ(
      decide(read_scenario(parse_config(kConfig, "w.toml"), &plain)).checklist.items[1].answer,
      std::optional<bool>(true));
  EXPECT_EQ(answer_with(32, 2).answer, std::optional<bool>(true));  // separated: still yes
  ChecklistItem close = answer_with(3, 1);  // 4 discordant items: the low end is a loss
  EXPECT_EQ(close.answer, std::optional<bool>(false)) << close.evidence;
}

// The checklist weighs a trained model: its question 2 asks about a trained approach's gain
// when one is compared (a prompting approach's gain had counted towards "a trained model is
// probably worth it"), and a verdict for a trained model beside a memo where none pays says so.
TEST(MemoWording, TheChecklistsTrainedModelVerdictAgreesWithTheMemosMoney) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  std::string dear = kConfig;
  const std::string weeks = "engineering_weeks = 3\n";
  dear.replace(dear.find(weeks), weeks.size(), "engineering_weeks = 5000\n");
  Decision d = decide(read_scenario(parse_config(dear, "w.toml"), &eval));
  ASSERT_EQ(d.checklist.verdict, "fine-tune");
  EXPECT_NE(d.checklist.items[1].evidence.find("local-linear"), std::string::npos)
      << d.checklist.items[1].evidence;
  const std::string verdict = checklist_verdict_text(d.checklist);
  EXPECT_NE(verdict.find("no trained approach compared here pays for itself over 12 months (the "
                         "best, local-linear, has a net benefit of -$"),
            std::string::npos)
      << verdict;
  EXPECT_NE(memo_markdown(d).find(verdict), std::string::npos);
  // The figure is the net table's, against keeping the baseline (it had been value minus its
  // own cost, off by what keeping the baseline costs).
  for (const auto& r : d.analysis.results)
    if (r.name == "local-linear") {
      EXPECT_NE(verdict.find("has a net benefit of " + money(r.net)), std::string::npos) << verdict;
    }
  // At the config's own costs local-linear pays: nothing is added.
  Decision plain = decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
  ASSERT_EQ(plain.checklist.verdict, "fine-tune");
  EXPECT_EQ(plain.checklist.economics_note, "");
}

// Every money figure in the memo's prose and tables says how it was obtained, and the baseline's
// row shows no range of nets (keeping it against keeping it is $0 at any accuracy).
TEST(MemoWording, MoneyInProseAndSensitivityIsTaggedAndTheBaselineHasNoRange) {
  Decision d = decide_with(0.41);
  const std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("| flips? | source |"), std::string::npos) << memo;
  const std::size_t risk = memo.find("the baseline's errors put ");
  ASSERT_NE(risk, std::string::npos);
  const std::string sentence = memo.substr(risk, memo.find('.', risk) - risk);
  EXPECT_NE(sentence.find("(assumed"), std::string::npos) << sentence;
  EXPECT_NE(memo.find("has the highest net benefit over"), std::string::npos);
  for (const std::string& reason : d.reasons)
    if (reason.find("has the highest net benefit") != std::string::npos) {
      EXPECT_NE(reason.find("; assumed"), std::string::npos) << reason;
    }
  for (const auto& r : d.analysis.results)
    if (r.is_baseline) {
      EXPECT_EQ(r.net_low.get(), 0.0);
      EXPECT_EQ(r.net_high.get(), 0.0);
    }
  EXPECT_NE(memo.find("| api-zero-shot (baseline) | $0 | $0 | - |"), std::string::npos) << memo;
}

// Three test items per approach, the pick and the baseline at the same accuracy: the memo once
// said "Move to ...: net benefit $..." as if the data had settled it.
Decision decide_on_a_tiny_test_split() {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  for (auto& a : eval["approaches"]) {
    a["n"] = 3;
    a["accuracy"] = a["name"] == "api-zero-shot" ? 1.0 / 3 : 2.0 / 3;
    a["accuracy_ci95"] =
        a["name"] == "api-zero-shot" ? nlohmann::json{0.061, 0.792} : nlohmann::json{0.208, 0.939};
  }
  eval["pairwise"] = nlohmann::json::array();
  for (const char* other : {"api-retrieval", "local-linear", "api-unpriced"})
    eval["pairwise"].push_back({{"a", "api-zero-shot"}, {"b", other}, {"mcnemar_p", 1.0}});
  return decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
}

TEST(MemoWording, AHeadlineTheDataDoesNotSettleSaysSo) {
  Decision d = decide_on_a_tiny_test_split();
  ASSERT_NE(d.pick, "api-zero-shot");
  EXPECT_EQ(d.headline.rfind("Lean towards " + d.pick, 0), 0u) << d.headline;
  EXPECT_NE(d.headline.find("does not settle"), std::string::npos);
  bool named = false;
  for (const auto& r : d.risks) named = named || r.find("from 3 test items") != std::string::npos;
  EXPECT_TRUE(named) << "no risk names the test split's size";
  // 200 items and a settled difference: the firm wording, and no such risk.
  Decision settled = decide_with(0.0001);
  if (settled.pick != "api-zero-shot") {
    EXPECT_EQ(settled.headline.rfind("Move to ", 0), 0u) << settled.headline;
  }
  for (const auto& r : settled.risks) EXPECT_EQ(r.find("test items"), std::string::npos) << r;
}

// Test labels no train row has cap every trained approach: the memo says so, as eval does.
TEST(MemoWording, TestLabelsUnseenInTrainAreARisk) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["dataset"]["test"] = 200;
  eval["dataset"]["test_labels_unseen_in_train"] = {"review"};
  eval["dataset"]["test_rows_unseen_in_train"] = 8;
  Decision d = decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
  bool named = false;
  for (const auto& r : d.risks)
    named = named || r.find("label no training row has: 'review' (8 of 200 test items)") !=
                         std::string::npos;
  EXPECT_TRUE(named);
  Decision plain = decide_with(0.41);
  for (const auto& r : plain.risks) EXPECT_EQ(r.find("no training row has"), std::string::npos);
}

std::string risk_starting(const Decision& d, const std::string& start) {
  for (const auto& r : d.risks)
    if (r.starts_with(start)) return r;
  return "";
}

// On an imbalanced task the pick can rank first while a constant answer does as well: the memo
// says so first among its risks, and names the labels the pick never gets right.
TEST(MemoWording, APickNoBetterThanTheMajorityLabelIsTheFirstRisk) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["dataset"]["majority_baseline"] = {{"label", "normal"}, {"accuracy", 0.86}};
  for (auto& a : eval["approaches"])
    if (a["name"] == "local-linear")
      a["per_class"] = {{"normal", {{"precision", 0.86}, {"recall", 1.0}, {"support", 172}}},
                        {"fraud", {{"precision", nullptr}, {"recall", 0.0}, {"support", 28}}}};
  Decision d = decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
  ASSERT_EQ(d.pick, "local-linear");
  ASSERT_FALSE(d.risks.empty());
  EXPECT_TRUE(
      d.risks[0].starts_with("BELOW THE MAJORITY FLOOR: local-linear's measured "
                             "accuracy, 85.5%, is no better than always answering "
                             "\"normal\" (86.0% of the test split, measured)."))
      << d.risks[0];
  EXPECT_NE(d.risks[0].find("never answered \"fraud\" (28 test items) right"), std::string::npos);
  EXPECT_EQ(d.warnings, std::vector<std::string>{d.risks[0]});  // said beside the headline too
  // The baseline (api-zero-shot, 70.0%) is below the floor too: every gain is counted from it.
  EXPECT_NE(risk_starting(d,
                          "BASELINE BELOW THE MAJORITY FLOOR: the baseline api-zero-shot is "
                          "measured at 70.0%, no better than always answering \"normal\" "
                          "(86.0% of the test split, measured)."),
            "");
  // Above the point but inside the pick's interval (80.0-89.7%): not clearly above.
  eval["dataset"]["majority_baseline"]["accuracy"] = 0.82;
  d = decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
  EXPECT_NE(risk_starting(d, "NOT CLEARLY ABOVE THE MAJORITY FLOOR: local-linear's"), "");
  // Clear of the floor: no floor risk, but 28 of 200 items never right is still said.
  eval["dataset"]["majority_baseline"]["accuracy"] = 0.5;
  d = decide(read_scenario(parse_config(kConfig, "w.toml"), &eval));
  EXPECT_EQ(risk_starting(d, "NOT CLEARLY ABOVE"), "");
  EXPECT_EQ(risk_starting(d, "BELOW THE MAJORITY"), "");
  EXPECT_EQ(risk_starting(d, "BASELINE BELOW"), "");
  EXPECT_NE(risk_starting(d,
                          "LABELS NEVER ANSWERED RIGHT by local-linear, 28 of 200 test items: "
                          "\"fraud\" (28 test items)."),
            "");
  // Without per-label figures or a floor (an older eval.json), nothing is claimed.
  Decision plain = decide_with(0.41);
  for (const auto& r : plain.risks) EXPECT_EQ(r.find("MAJORITY"), std::string::npos) << r;
}

TEST(MemoWording, FixedHostingShowsTheEffectivePricePerQuery) {
  Decision d = decide_with(0.41);
  Table t = quality_table(d);
  const std::vector<std::string>* linear = nullptr;
  for (const auto& row : t.rows) {
    if (row[0] == "local-linear") linear = &row;
  }
  ASSERT_NE(linear, nullptr);
  // $72 a month over 300,000 queries.
  EXPECT_EQ((*linear)[5].rfind("$0.00024 effective at 300,000 queries a month", 0), 0u)
      << (*linear)[5];
  EXPECT_EQ((*linear)[6], "fixed hosting bill, $72 a month whatever the volume");
}

}  // namespace
}  // namespace tunecase::econ
