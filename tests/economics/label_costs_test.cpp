// [business] cost_per_error_by_label: each approach's test errors priced by their true labels.
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/analysis.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/memo_html.h"
#include "tunecase/economics/memo_tables.h"
#include "tunecase/economics/pilot_rule.h"
#include "tunecase/economics/recommendation.h"
#include "tunecase/report/html.h"

namespace tunecase::econ {
namespace {

const char* kLabelCostsConfig = R"(
[data]
path = "tickets.csv"
[business]
queries_per_day = 10000
cost_per_error_usd = 1.5
cost_per_error_by_label = { urgent = 40.0 }
engineer_usd_per_week = 4000
baseline = "api-zero-shot"
[[approach]]
name = "api-zero-shot"
kind = "openai"
[[approach]]
name = "api-retrieval"
kind = "openai"
[[approach]]
name = "local-linear"
kind = "linear"
[[approach]]
name = "api-unpriced"
kind = "openai"
)";

// 200 test items: 20 "urgent", 180 "normal"; each approach's errors split between them as its
// recalls say (the fixture's accuracies: 0.70, 0.84, 0.855, 0.88).
nlohmann::json eval_with_recalls() {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  const std::map<std::string, std::pair<double, double>> recalls = {
      {"api-zero-shot", {10.0 / 20, 130.0 / 180}},  // 10 + 50 errors
      {"api-retrieval", {8.0 / 20, 160.0 / 180}},   // 12 + 20
      {"local-linear", {20.0 / 20, 151.0 / 180}},   // 0 + 29
      {"api-unpriced", {16.0 / 20, 160.0 / 180}}};  // 4 + 20
  for (auto& a : eval["approaches"]) {
    const auto& [urgent, normal] = recalls.at(a["name"].get<std::string>());
    a["per_class"] = {{"urgent", {{"recall", urgent}, {"support", 20}}},
                      {"normal", {{"recall", normal}, {"support", 180}}}};
  }
  return eval;
}

const ApproachResult& cost_result(const Decision& d, const std::string& name) {
  for (const auto& r : d.analysis.results)
    if (r.name == name) return r;
  throw std::runtime_error("no result " + name);
}

TEST(LabelCosts, EachApproachsErrorsArePricedByTheirTrueLabels) {
  nlohmann::json eval = eval_with_recalls();
  Decision d = decide(read_scenario(parse_config(kLabelCostsConfig, "c.toml"), &eval));
  const double month = 10000 * 30.0;
  // The baseline: 10 urgent errors at $40 and 50 others at $1.50, over its 60 errors.
  const double base_cost = (10 * 40.0 + 50 * 1.5) / 60;
  EXPECT_NEAR(d.analysis.at_risk.get(), month * 0.30 * base_cost * 12, 1e-6 * month);
  // local-linear misses no urgent ticket: its errors cost $1.50 each.
  EXPECT_NEAR(cost_result(d, "local-linear").value_per_month.get(),
              month * (0.30 * base_cost - 0.145 * 1.5), 1e-6 * month);
  // api-retrieval is more accurate than the baseline yet misses more urgent tickets a month:
  // with one flat cost it would gain, here it loses.
  const double retrieval_cost = (12 * 40.0 + 20 * 1.5) / 32;
  EXPECT_NEAR(cost_result(d, "api-retrieval").value_per_month.get(),
              month * (0.30 * base_cost - 0.16 * retrieval_cost), 1e-6 * month);
  EXPECT_LT(cost_result(d, "api-retrieval").value_per_month.get(), 0);
  // The memo and decision.json say what the money rests on.
  const std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("| cost per error, by true label | urgent $40 | assumed |"),
            std::string::npos)
      << memo;
  EXPECT_NE(memo.find("$1.50 (every other label)"), std::string::npos);
  EXPECT_NE(memo.find("api-zero-shot $7.92"), std::string::npos) << memo;
  const nlohmann::json j = decision_json(d);
  EXPECT_EQ(j["business"]["cost_per_error_by_label"]["usd"]["urgent"], 40.0);
  bool found = false;
  for (const auto& a : j["approaches"])
    if (a["name"] == "local-linear") {
      EXPECT_DOUBLE_EQ(a["inputs"]["mean_error_cost_usd"]["value"].get<double>(), 1.5);
      EXPECT_EQ(a["inputs"]["mean_error_cost_usd"]["source"], "assumed");
      found = true;
    }
  EXPECT_TRUE(found);
}

// Without per-label costs the same eval.json prices every error alike (the figures before the
// key existed).
TEST(LabelCosts, WithoutThemEveryErrorCostsTheFlatCost) {
  std::string flat = kLabelCostsConfig;
  flat.erase(flat.find("cost_per_error_by_label"),
             std::string("cost_per_error_by_label = { urgent = 40.0 }\n").size());
  nlohmann::json eval = eval_with_recalls();
  Decision d = decide(read_scenario(parse_config(flat, "c.toml"), &eval));
  EXPECT_NEAR(cost_result(d, "api-retrieval").value_per_month.get(), 300000 * (0.30 - 0.16) * 1.5,
              1e-3);
  EXPECT_EQ(memo_markdown(d).find("by true label"), std::string::npos);
}

// The pilot rule prices each arm's errors at its own mean cost, as the memo does: a point of
// accuracy at the challenger's mean, plus what the two error mixes' difference is worth, so that
// at the offline gain its net is the memo's (the baseline's mean alone had priced the live gain
// above the memo's net), and it says so, in the memo and in the verdict.
TEST(LabelCosts, ThePilotRulePricesEachArmsErrorsAtItsOwnMean) {
  nlohmann::json eval = eval_with_recalls();
  Decision d = decide(read_scenario(parse_config(kLabelCostsConfig, "c.toml"), &eval));
  ASSERT_TRUE(d.pilot.needed);
  const PilotRule& rule = d.pilot.rule;
  const ApproachResult& pick = cost_result(d, rule.challenger);
  const ApproachInputs* challenger = nullptr;
  for (const auto& a : d.scenario.approaches)
    if (a.name == rule.challenger) challenger = &a;
  ASSERT_NE(challenger, nullptr);
  EXPECT_NEAR(rule.cost_per_error_usd, *challenger->mean_error_cost_usd, 1e-9);
  const double offline_gain = 0.30 - challenger->error_rate.get();
  EXPECT_NEAR(pilot_net(rule, offline_gain, std::nullopt), pick.net.get(), 1.0);
  EXPECT_NE(
      memo_markdown(d).find(fmt::format("the mean cost of {}'s test errors", rule.challenger)),
      std::string::npos);
  // decision.json keeps the mix; a rule read back from it judges the same.
  const PilotRule back = pilot_rule_from_json(to_json(rule));
  EXPECT_DOUBLE_EQ(back.error_mix_usd, rule.error_mix_usd);
  PilotArm base{200, 140}, ch{200, 170};
  PilotVerdict v = judge_pilot(rule, ch, base);
  EXPECT_NE(v.reason.find("per-label error costs"), std::string::npos) << v.reason;
}

// The net-benefit range of an approach eval scored on the same items as the baseline is at the
// ends of the paired interval of their difference (the checklist's low end); the memo says which
// interval each row's range is.
TEST(LabelCosts, TheNetRangeSaysWhichIntervalItIs) {
  nlohmann::json eval = load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
  eval["pairwise"].push_back({{"a", "api-zero-shot"},
                              {"b", "local-linear"},
                              {"mcnemar_p", 0.0001},
                              {"a_only_correct", 5},
                              {"b_only_correct", 36},
                              {"n", 200}});
  std::string flat = kLabelCostsConfig;
  flat.erase(flat.find("cost_per_error_by_label"),
             std::string("cost_per_error_by_label = { urgent = 40.0 }\n").size());
  Decision d = decide(read_scenario(parse_config(flat, "c.toml"), &eval));
  EXPECT_TRUE(cost_result(d, "local-linear").paired_ends);
  EXPECT_FALSE(cost_result(d, "api-retrieval").paired_ends);
  // local-linear's low end: the baseline's error rate less the paired interval's low end.
  const Interval diff = *paired_accuracy_difference(d.scenario, "local-linear", "api-zero-shot");
  const ApproachResult& r = cost_result(d, "local-linear");
  const double live = r.value.get() / r.value_per_month.get();
  EXPECT_NEAR(r.net_low.get(), live * 300000 * diff.lo * 1.5 - r.extra_cost.get(), 1.0);
  const std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("Net at interval ends: local-linear at the ends of the 95% paired interval "
                      "of its accuracy difference with api-zero-shot"),
            std::string::npos)
      << memo;
  EXPECT_NE(memo.find("; api-retrieval at the ends of its own 95% accuracy interval, "
                      "api-zero-shot at its measured accuracy."),
            std::string::npos)
      << memo;
}

// memo.html is the same memo as memo.md: the prose that says what each figure is (what the net
// benefit is, which interval its ends are, how sensitivity moved the inputs, the checklist's
// scale, the labelled examples) is in both (the page had dropped it).
TEST(LabelCosts, MemoHtmlSaysWhatMemoMdSays) {
  nlohmann::json eval = eval_with_recalls();
  Decision d = decide(read_scenario(parse_config(kLabelCostsConfig, "c.toml"), &eval));
  const std::string md = memo_markdown(d), html = memo_html(d);
  for (const std::string& text : {labelled_examples_text(d), cost_value_text(d), net_ends_text(d),
                                  break_even_text(), sensitivity_text(d), checklist_text(d)}) {
    ASSERT_FALSE(text.empty());
    EXPECT_NE(html.find(html::escape(text)), std::string::npos) << text;
    EXPECT_NE(md.find(text.substr(0, 12)), std::string::npos) << text;
  }
}

// An approach that made no test error has no mean cost of its errors: it is priced as if its
// errors fell like the test split's items, and the memo says so.
TEST(LabelCosts, AnApproachWithoutTestErrorsIsPricedByTheSplitsMixAndSaysSo) {
  nlohmann::json eval = eval_with_recalls();
  for (auto& a : eval["approaches"])
    if (a["name"] == "api-unpriced")
      a["per_class"] = {{"urgent", {{"recall", 1.0}, {"support", 20}}},
                        {"normal", {{"recall", 1.0}, {"support", 180}}}};
  Decision d = decide(read_scenario(parse_config(kLabelCostsConfig, "c.toml"), &eval));
  for (const auto& a : d.scenario.approaches) {
    EXPECT_EQ(a.mean_error_cost_assumed_mix, a.name == "api-unpriced") << a.name;
    if (a.name == "api-unpriced")
      EXPECT_NEAR(*a.mean_error_cost_usd, (20 * 40.0 + 180 * 1.5) / 200, 1e-9);
  }
  EXPECT_NE(memo_markdown(d).find("api-unpriced $5.35 (no test error: as if its errors fell like "
                                  "the test split's items)"),
            std::string::npos)
      << memo_markdown(d);
}

TEST(LabelCosts, ALabelNoTestItemCarriesIsRefusedWithTheLabels) {
  std::string config = kLabelCostsConfig;
  config.replace(config.find("urgent = 40.0"), 6, "urgnet");
  nlohmann::json eval = eval_with_recalls();
  try {
    read_scenario(parse_config(config, "c.toml"), &eval);
    FAIL() << "a misspelt label was accepted";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("c.toml:7"), std::string::npos) << what;
    EXPECT_NE(what.find("did you mean `urgent`?"), std::string::npos) << what;
    EXPECT_NE(what.find("'normal', 'urgent'"), std::string::npos) << what;
  }
}

TEST(LabelCosts, ScenarioModeAndApproachesWithoutPerLabelFiguresAreRefused) {
  EXPECT_THROW(read_scenario(parse_config(kLabelCostsConfig, "c.toml"), nullptr), UserError);
  nlohmann::json eval = eval_with_recalls();
  eval["approaches"][1].erase("per_class");
  try {
    read_scenario(parse_config(kLabelCostsConfig, "c.toml"), &eval);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'api-retrieval'"), std::string::npos) << e.what();
  }
}

TEST(LabelCosts, TheTableIsCheckedWhereItIsWritten) {
  auto error_of = [](const std::string& business) {
    try {
      parse_config("[business]\n" + business, "c.toml");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("cost_per_error_by_label = { urgent = 40.0 }\n")
                .find("needs cost_per_error_usd beside it"),
            std::string::npos);
  EXPECT_NE(error_of("cost_per_error_usd = 1\ncost_per_error_by_label = { urgent = -4.0 }\n")
                .find("cost_per_error_by_label.urgent"),
            std::string::npos);
  EXPECT_NE(error_of("cost_per_error_usd = 1\ncost_per_error_by_label = {}\n").find("is empty"),
            std::string::npos);
  EXPECT_NE(error_of("cost_per_error_usd = 1\ncost_per_error_by_label = 40\n")
                .find("must be a table of label = USD"),
            std::string::npos);
  EXPECT_NE(error_of("cost_per_incident_usd = 100\nharmful_error_rate = 0.1\n"
                     "cost_per_error_by_label = { urgent = 4.0 }\n")
                .find("prices harmful incidents"),
            std::string::npos);
  EXPECT_EQ(error_of("cost_per_error_usd = 1\ncost_per_error_by_label = { urgent = 4.0, "
                     "\"account access\" = 2 }\n"),
            "");
}

}  // namespace
}  // namespace tunecase::econ
