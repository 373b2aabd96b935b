// The business case from measurements (eval.json): provenance, unknown prices, simulated
// figures, and rankings the data does not settle.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tunecase/config/config.h"
#include "tunecase/config/measured_settings.h"
#include "tunecase/core/error.h"
#include "tunecase/economics/decide.h"
#include "tunecase/economics/decision_json.h"
#include "tunecase/economics/memo.h"
#include "tunecase/economics/memo_tables.h"
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
data_sensitive = false
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
[[approach]]
name = "api-unpriced"
kind = "openai"
)";

nlohmann::json eval_fixture() {
  return load_eval_json(std::filesystem::path(TUNECASE_FIXTURES) / "economics");
}

Decision decide_fixture() {
  nlohmann::json eval = eval_fixture();
  return decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
}

const ApproachInputs& inputs(const Decision& d, const std::string& name) {
  for (const auto& a : d.scenario.approaches) {
    if (a.name == name) return a;
  }
  throw std::runtime_error(name);
}

TEST(EvalMode, MeasuredAccuracyCarriesProvenanceAndSimulatedFlag) {
  Decision d = decide_fixture();
  const ApproachInputs& api = inputs(d, "api-zero-shot");
  EXPECT_EQ(api.accuracy.source, Source::measured);
  EXPECT_TRUE(api.accuracy.simulated);
  EXPECT_NEAR(api.error_rate_high.get(), 1 - 0.633, 1e-12);
  EXPECT_EQ(api.usd_per_query.source, Source::estimated);
  EXPECT_NEAR(api.usd_per_query.get(), 0.004, 1e-12);
  EXPECT_FALSE(inputs(d, "local-linear").accuracy.simulated);
  EXPECT_TRUE(d.scenario.simulated);
}

// decision.json keeps no derived figure without its provenance: a break-even, payback or
// what-it-takes figure built on sim-llm's tokens or accuracy says simulated, as the memo does.
TEST(EvalMode, DerivedFiguresInTheJsonSayWhereTheyComeFrom) {
  Decision d = decide_fixture();
  nlohmann::json j = decision_json(d);
  ASSERT_FALSE(j["break_even"].empty());
  for (const auto& be : j["break_even"]) {
    ASSERT_TRUE(be.contains("source")) << be;
    const bool llm = be["a"].get<std::string>().starts_with("api-") ||
                     be["b"].get<std::string>().starts_with("api-");
    EXPECT_EQ(be["source"]["simulated"], llm) << be;  // the fixture's API approaches are simulated
  }
  for (const auto& a : j["approaches"]) EXPECT_TRUE(a["payback_source"].contains("source")) << a;
  for (const auto& w : j["what_it_takes"]) {
    EXPECT_EQ(w["source"]["simulated"], true) << w;    // rests on the prompting rival's accuracy
    EXPECT_EQ(w["source"]["source"], "assumed") << w;  // and on the typed cost per error
  }
  EXPECT_TRUE(j["sensitivity"]["nets_source"].is_object()) << j["sensitivity"];
  const nlohmann::json& pilot = j["recommendation"]["pilot"];
  ASSERT_TRUE(pilot.is_object()) << "the fixture's pick is not the baseline: a pilot is planned";
  EXPECT_EQ(pilot["offline_rates_source"]["source"], "measured") << pilot;
  std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("the offline rates show, measured"), std::string::npos) << memo;
}

// The memo's bullets are plain text quoting labels: shown as written in memo.md (a label "<b>"
// had vanished as a tag, "**n**" turned bold).
TEST(EvalMode, MemoBulletsShowLabelsAsWritten) {
  Decision d = decide_fixture();
  d.risks.push_back("It never answered \"<b>\" (40 test items), \"**n**\" (10 test items) right.");
  const std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("It never answered \"\\<b>\" (40 test items), \"\\*\\*n\\*\\*\" (10"),
            std::string::npos)
      << memo;
}

TEST(EvalMode, LabelledExamplesAreCountedFromTheSplits) {
  Decision d = decide_fixture();
  EXPECT_EQ(d.scenario.business.labelled_examples.get(), 1000);
  EXPECT_EQ(d.checklist.items[0].source, "measured");
  EXPECT_EQ(d.checklist.items[0].answer, true);
}

// At $0 per error accuracy earns nothing: a cheaper approach's saving is no "yes" to whether
// the accuracy gain helps the business.
TEST(EvalMode, ASavingIsNotAnAccuracyGain) {
  auto gain_item = [](const Decision& d) {
    for (const auto& item : d.checklist.items)
      if (item.question.starts_with("Will the accuracy gain help")) return item;
    throw std::runtime_error("no accuracy-gain item");
  };
  EXPECT_EQ(gain_item(decide_fixture()).answer, true);
  std::string config = kConfig;
  config.replace(config.find("cost_per_error_usd = 1.5"), 24, "cost_per_error_usd = 0");
  nlohmann::json eval = eval_fixture();
  Decision free = decide(read_scenario(parse_config(config, "tickets.toml"), &eval));
  ChecklistItem item = gain_item(free);
  EXPECT_EQ(item.answer, false) << item.evidence;
  EXPECT_THAT(item.evidence, testing::HasSubstr("a saving, not an accuracy gain")) << item.evidence;
}

TEST(EvalMode, SelfHostedCostIsEvalsMonthlyHostingNotPerQuery) {
  Decision d = decide_fixture();
  const ApproachInputs& linear = inputs(d, "local-linear");
  EXPECT_NEAR(linear.hosting_usd_per_month.get(), 72, 1e-9);
  EXPECT_EQ(linear.usd_per_query.get(), 0);
}

TEST(EvalMode, SelfHostedCostFromAnEvalWithoutVolumeIsStillAMonthlyBill) {
  // eval without [business]: no monthly bill, and a $ per 1k of one instance at full load.
  nlohmann::json eval = eval_fixture();
  for (auto& a : eval["approaches"]) {
    if (a["name"] != "local-linear") continue;
    a["cost_kind"] = "hosting_fixed";
    a["usd_per_month"] = nullptr;
    a["usd_per_1k"] = 4.0e-7;
    a["throughput_per_s"] = 70000;
  }
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  const ApproachInputs& linear = inputs(d, "local-linear");
  EXPECT_NEAR(linear.hosting_usd_per_month.get(), 72, 1e-9);  // $0.10/hour x 24 x 30
  EXPECT_EQ(linear.hosting_usd_per_month.source, Source::assumed);
  EXPECT_EQ(linear.usd_per_query.get(), 0);
  EXPECT_EQ(linear.cost_basis, "hosting, 1 instance x $0.10/hour, running all month");
}

TEST(EvalMode, TheDefaultHostingBillIsAssumedAndListedAsADefault) {
  nlohmann::json eval = eval_fixture();
  for (auto& a : eval["approaches"]) {
    if (a["name"] != "local-linear") continue;
    a["cost_provenance"] = "assumed";  // as eval writes a bill that is the price alone
    a["hosting_assumed"] = true;       // ... of the default instance
  }
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  const ApproachInputs& linear = inputs(d, "local-linear");
  EXPECT_EQ(linear.hosting_usd_per_month.source, Source::assumed);
  EXPECT_NE(std::find(linear.defaults_used.begin(), linear.defaults_used.end(), "hosting"),
            linear.defaults_used.end());
  const ApproachInputs& older = inputs(decide_fixture(), "local-linear");
  EXPECT_EQ(older.hosting_usd_per_month.source, Source::estimated);  // no cost_provenance
}

// eval priced the default instance at 30 days a month; decide reads days_per_month = 20: the
// assumed bill is priced again at decide's month, as a hosting table written out would be (the
// two had cost $72 and $48 for the same model, and the recommendation followed the difference).
TEST(EvalMode, TheDefaultHostingBillIsPricedAtDecidesMonth) {
  nlohmann::json eval = eval_fixture();
  for (auto& a : eval["approaches"]) {
    if (a["name"] != "local-linear") continue;
    a["cost_provenance"] = "assumed";
    a["hosting_assumed"] = true;
  }
  std::string config = kConfig;
  config.replace(config.find("[business]\n"), 11, "[business]\ndays_per_month = 20\n");
  Decision d = decide(read_scenario(parse_config(config, "tickets.toml"), &eval));
  EXPECT_NEAR(inputs(d, "local-linear").hosting_usd_per_month.get(), 0.10 * 24 * 20, 1e-9);
}

// An approach's entry in eval.json, to edit.
nlohmann::json& approach_record(nlohmann::json& eval, const std::string& name) {
  for (auto& a : eval["approaches"])
    if (a["name"] == name) return a;
  throw std::runtime_error(name);
}

// eval.json's record of a fixed hosting table of `instances` at `usd_per_hour`.
nlohmann::json hosting_record(double usd_per_hour, int instances) {
  return {{"usd_per_hour", usd_per_hour},
          {"usd_per_month", nullptr},
          {"instances", instances},
          {"billing", "fixed"},
          {"throughput_per_s", nullptr}};
}

// eval priced a hosting table of its config (2 instances at $0.50/hour, 30 days: $720) that
// decide's config does not repeat: decide prices the table eval.json records at its own month,
// 31 days ($744), as its label "running all month" says (the bill had stayed at $720).
TEST(EvalMode, AHostingTableEvalPricedIsPricedAgainAtDecidesMonth) {
  nlohmann::json eval = eval_fixture();
  nlohmann::json& linear_record = approach_record(eval, "local-linear");
  linear_record["cost_provenance"] = "assumed";
  linear_record["usd_per_month"] = 720;
  linear_record["hosting"] = hosting_record(0.5, 2);
  std::string config = kConfig;
  config.replace(config.find("[business]\n"), 11, "[business]\ndays_per_month = 31\n");
  Decision d = decide(read_scenario(parse_config(config, "tickets.toml"), &eval));
  const ApproachInputs& linear = inputs(d, "local-linear");
  EXPECT_NEAR(linear.hosting_usd_per_month.get(), 0.5 * 2 * 24 * 31, 1e-9);
  EXPECT_EQ(linear.hosting_usd_per_month.source, Source::assumed);
  EXPECT_EQ(linear.cost_basis, "hosting, 2 instances x $0.50/hour, running all month");
  EXPECT_EQ(std::find(linear.defaults_used.begin(), linear.defaults_used.end(), "hosting"),
            linear.defaults_used.end());
}

// A bill raised to the instances the volume needs is the volume's: the memo does not call it
// fixed "whatever the volume" (a model carrying 0.01 queries/s needs 12 instances for 10,000 a
// day, one for a hundred).
TEST(EvalMode, AHostingBillSizedToTheVolumeIsSaidToBe) {
  nlohmann::json eval = eval_fixture();
  nlohmann::json& linear_record = approach_record(eval, "local-linear");
  linear_record["throughput_per_s"] = 0.01;
  linear_record["hosting"] = hosting_record(0.5, 1);
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  const ApproachInputs& linear = inputs(d, "local-linear");
  EXPECT_TRUE(linear.hosting_sized_to_volume);
  EXPECT_NEAR(linear.hosting_usd_per_month.get(), 0.5 * 12 * 24 * 30, 1e-9);
  EXPECT_NE(cost_basis_text(linear).find("a month at this volume"), std::string::npos)
      << cost_basis_text(linear);
  EXPECT_EQ(cost_basis_text(linear).find("whatever the volume"), std::string::npos);
}

TEST(EvalMode, PerQueryHostingOverATypedThroughputIsAssumedAndPrintedUnrounded) {
  Scenario s = read_scenario(parse_config(R"([data]
path = "x.csv"
[business]
queries_per_day = 100
cost_per_error_usd = 1
engineer_usd_per_week = 1000
[[approach]]
name = "slow"
kind = "linear"
accuracy = 0.5
hosting = { usd_per_hour = 0.1, billing = "per_query", throughput_per_s = 0.001 }
)",
                                          "p.toml"),
                             nullptr);
  const ApproachInputs& slow = s.approaches.at(0);
  EXPECT_EQ(slow.usd_per_query.source, Source::assumed);
  EXPECT_NE(slow.cost_basis.find("(0.001 queries/s x 50% utilisation)"), std::string::npos)
      << slow.cost_basis;
}

TEST(EvalMode, ACurveOfAnotherTrainSplitIsRefused) {
  nlohmann::json eval = eval_fixture();  // 700 train rows
  auto out = std::filesystem::temp_directory_path() /
             ("tunecase_curve_mismatch_" + std::to_string(::getpid()));
  ProjectConfig config = parse_config(kConfig, "tickets.toml");
  nlohmann::json other = {{"train_labels", 1044}, {"approaches", nlohmann::json::array()}};
  try {
    run_decide(config, &eval, out, &other);
    ADD_FAILURE() << "a curve of 1,044 train labels was quoted beside an eval of 700";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("train split of 1,044 labels, but --eval's eval.json "
                                         "trained on 700"),
              std::string::npos)
        << e.what();
  }
  nlohmann::json same = {{"train_labels", 700}, {"approaches", nlohmann::json::array()}};
  EXPECT_NO_THROW(run_decide(config, &eval, out, &same));
  // A curve.json without data settings (an older tunecase) is compared by its train size alone,
  // and the memo says the rest was not checked.
  std::ifstream memo(out / "memo.md");
  std::string text((std::istreambuf_iterator<char>(memo)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("NOT CHECKED: the learning curve (--curve) records no data settings"),
            std::string::npos)
      << text;
  std::filesystem::remove_all(out);
}

// A curve records its data and split; one of another split (here another seed) with the same
// train size is refused too, and so is a curve.json whose accuracies are not accuracies.
TEST(EvalMode, ACurveOfOtherDataOrDamagedFiguresIsRefused) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tunecase_curve_settings_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tickets.csv") << "text,label\nrefund please,billing\n";
  ProjectConfig config = parse_config(kConfig, (dir / "tickets.toml").string());
  nlohmann::json eval = eval_fixture();  // 700 train rows
  eval["dataset"]["settings"] = measured_data_settings(config.data);
  for (auto& m : eval["approaches"])
    for (const auto& a : config.approaches)
      if (m["name"] == a.name) m["settings"] = measured_approach_settings(a);
  nlohmann::json curve = {{"train_labels", 700},
                          {"data_settings", measured_data_settings(config.data)},
                          {"approaches", nlohmann::json::array()}};
  auto error_of = [&](const nlohmann::json& c, const nlohmann::json* e) -> std::string {
    try {
      run_decide(config, e, dir / "out", &c);
    } catch (const UserError& error) {
      return error.what();
    }
    return "(decided)";
  };
  EXPECT_EQ(error_of(curve, &eval), "(decided)");
  // Against the config's [data]: the curve passes (the config, without --eval, lacks assumed
  // accuracies, which is another matter).
  EXPECT_EQ(error_of(curve, nullptr).find("--curve"), std::string::npos);
  nlohmann::json reseeded = curve;
  reseeded["data_settings"]["seed"] = 8;
  std::string error = error_of(reseeded, &eval);
  EXPECT_NE(error.find("--curve: the learning curve was measured on other data or another split "
                       "than --eval's eval.json"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("seed"), std::string::npos) << error;
  EXPECT_NE(error_of(reseeded, nullptr).find("than this config's [data]"), std::string::npos);
  nlohmann::json damaged = curve;
  damaged["approaches"] = {
      {{"name", "lin"},
       {"points", {{{"labels", 700}, {"mean_accuracy", 0.8}, {"runs", 1}}}},
       {"fit", {{"fitted", true}, {"projection_2x", {{"accuracy", 1.7}, {"labels", 1400}}}}}}};
  EXPECT_NE(error_of(damaged, &eval).find("a projection_2x of 1.7, not an accuracy"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

// A price typed in an LLM approach's table now, other than the rates eval priced its tokens at,
// prices the measured tokens again (the memo had kept eval's figure and "catalogue price").
TEST(EvalMode, APriceTypedInTheConfigSinceEvalPricesTheMeasuredTokensAgain) {
  nlohmann::json eval = eval_fixture();
  for (auto& m : eval["approaches"])
    if (m["name"] == "api-zero-shot")  // 180 tokens in, 5 out: $4 per 1k at $20 / $80
      m["runner"]["price"] = {
          {"input_per_mtok", 20.0}, {"cached_input_per_mtok", 10.0}, {"output_per_mtok", 80.0}};
  std::string config = kConfig;
  const std::string name = "name = \"api-zero-shot\"\nkind = \"openai\"\n";
  config.replace(config.find(name), name.size(), name + "price = { input = 2.0, output = 8.0 }\n");
  Decision d = decide(read_scenario(parse_config(config, "tickets.toml"), &eval));
  const ApproachInputs& a = inputs(d, "api-zero-shot");
  EXPECT_NEAR(a.usd_per_query.get(), 0.004 / 10, 1e-12);
  EXPECT_NE(a.cost_basis.find("the price typed in the config now ($2.00 in / $8.00 out per 1M"),
            std::string::npos)
      << a.cost_basis;
  // The same rates as eval's: eval's figure stands.
  config.replace(config.find("input = 2.0, output = 8.0"), 25, "input = 20.0, output = 80.0");
  Decision same = decide(read_scenario(parse_config(config, "tickets.toml"), &eval));
  EXPECT_NEAR(inputs(same, "api-zero-shot").usd_per_query.get(), 0.004, 1e-12);
}

// eval.json records what its figures depend on; decide compares the config with it and refuses
// a config changed since (other data, another split, another C) unless told to accept it, and
// then names the changes under the memo's risks. Business figures and where a model is served
// may change freely: they are decide's inputs, not measurements.
TEST(EvalMode, AConfigChangedSinceEvalIsRefusedOrNamedAsARisk) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tunecase_changed_since_eval_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tickets.csv") << "text,label\nrefund please,billing\n";
  const std::string config_text = kConfig;
  ProjectConfig measured = parse_config(config_text, (dir / "tickets.toml").string());
  nlohmann::json eval = eval_fixture();
  eval["dataset"]["settings"] = measured_data_settings(measured.data);
  for (auto& m : eval["approaches"])
    for (const auto& a : measured.approaches)
      if (m["name"] == a.name) m["settings"] = measured_approach_settings(a);
  auto decide_with = [&](const std::string& text, bool accept) {
    return run_decide(parse_config(text, (dir / "tickets.toml").string()), &eval, dir / "out",
                      nullptr, false, accept);
  };
  auto error_of = [&](const std::string& text) -> std::string {
    try {
      decide_with(text, false);
    } catch (const UserError& e) {
      return e.what();
    }
    return "(decided)";
  };

  EXPECT_EQ(error_of(config_text), "(decided)");
  std::string business_and_serving = config_text;
  business_and_serving.replace(business_and_serving.find("queries_per_day = 10000"), 23,
                               "queries_per_day = 20000");
  business_and_serving += "base_url = \"http://127.0.0.1:9/v1\"\nrpm = 60\n";  // api-unpriced
  EXPECT_EQ(error_of(business_and_serving), "(decided)");

  std::string other_c = config_text;
  other_c.replace(other_c.find("retrain_usd = 100"), 17, "retrain_usd = 100\nC = 0.01");
  std::string error = error_of(other_c);
  EXPECT_NE(error.find("approach 'local-linear': C = 0.01 now, not set when measured"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("--accept-changed"), std::string::npos) << error;

  std::string other_split = config_text;
  other_split.replace(other_split.find("path = \"tickets.csv\""), 20,
                      "path = \"tickets.csv\"\ntest_fraction = 0.5");
  error = error_of(other_split);
  EXPECT_NE(error.find("[data] test_fraction = 0.5 now, 0.2 when measured"), std::string::npos)
      << error;

  std::ofstream(dir / "tickets.csv", std::ios::app) << "login fails,login\n";
  error = error_of(config_text);
  EXPECT_NE(error.find("[data] path: the file does not hold the data that was measured"),
            std::string::npos)
      << error;
  DecisionResult accepted = decide_with(config_text, true);
  EXPECT_NE(accepted.memo_md.find("CHANGED SINCE MEASURED"), std::string::npos);
  EXPECT_NE(accepted.memo_md.find("the file does not hold the data that was measured"),
            std::string::npos);
  EXPECT_EQ(accepted.memo_md.find("NOT CHECKED"), std::string::npos);

  // What every LLM prompt carries: a task description written since eval changes every prompt
  // (it had been accepted without a word).
  std::ofstream(dir / "tickets.csv") << "text,label\nrefund please,billing\n";
  eval["dataset"]["settings"] = measured_data_settings(measured.data);
  eval["dataset"]["prompt_settings"] = measured_prompt_settings(measured);
  EXPECT_EQ(error_of(config_text), "(decided)");
  error = error_of(config_text + "[task]\ndescription = \"Sort each ticket by its mood.\"\n");
  EXPECT_NE(error.find("prompts: [task] description = \"Sort each ticket by its mood.\" now, not "
                       "set when measured"),
            std::string::npos)
      << error;
  error = error_of(config_text + "[labels]\nbilling = \"money back, chargebacks\"\n");
  EXPECT_NE(error.find("prompts: [labels] billing ="), std::string::npos) << error;

  // An eval.json without the settings (an older tunecase, or edited): the check is skipped, and
  // the memo says so (it was skipped without a word).
  eval["dataset"].erase("settings");
  DecisionResult unchecked = decide_with(config_text, false);
  EXPECT_NE(unchecked.memo_md.find("NOT CHECKED against the config: eval.json records no "
                                   "settings for [data]"),
            std::string::npos)
      << unchecked.memo_md;
  std::filesystem::remove_all(dir);
}

TEST(EvalMode, UnknownPriceIsShownUnknownAndNeverRecommended) {
  Decision d = decide_fixture();
  EXPECT_NE(d.pick, "api-unpriced");  // the most accurate, but its cost is unknown
  for (const auto& r : d.analysis.results) {
    if (r.name == "api-unpriced") {
      EXPECT_FALSE(r.net.known());
    }
  }
  nlohmann::json j = decision_json(d);
  EXPECT_TRUE(j["approaches"][3]["net_benefit"]["value"].is_null());
  std::string memo = memo_markdown(d);
  EXPECT_NE(memo.find("UNKNOWN"), std::string::npos);
  EXPECT_NE(memo.find("api-unpriced is not ranked"), std::string::npos);
}

// A baseline without a price: keeping it is still $0 net against itself, and the first-ranked
// approach is recommended only when its value minus its own cost is positive, a floor under
// its unknown net benefit (keeping the baseline costs at least nothing); the headline says "at
// least" and why. With that floor at or below 0, there is no recommendation.
TEST(EvalMode, AnUnpricedBaselineRecommendsOnlyOnAPositiveFloor) {
  // api-zero-shot (70%) as the baseline, its price removed: local-linear (85.5%, $72 a month)
  // earns far more than it costs on its own.
  nlohmann::json eval = eval_fixture();
  for (auto& a : eval["approaches"])
    if (a["name"] == "api-zero-shot") a["usd_per_1k"] = a["usd_per_month"] = nullptr;
  Decision d = decide(read_scenario(parse_config(kConfig, "tickets.toml"), &eval));
  const ApproachResult& base = d.analysis.results[d.analysis.baseline];
  EXPECT_EQ(base.name, "api-zero-shot");
  EXPECT_FALSE(d.analysis.keep_baseline_cost.known());
  ASSERT_TRUE(base.net.known());
  EXPECT_EQ(base.net.get(), 0.0);
  EXPECT_EQ(d.pick, "local-linear") << d.headline;
  EXPECT_NE(d.headline.find("net benefit at least $"), std::string::npos) << d.headline;
  EXPECT_NE(d.headline.find("whose price is UNKNOWN"), std::string::npos) << d.headline;
  EXPECT_NE(memo_markdown(d).find("local-linear ranks first among the approaches with a known "
                                  "price"),
            std::string::npos);
  // The ranking's uncertainty is judged on the same floors (it vanished with the nets): the
  // pairs whose floors overlap across the accuracy intervals stay unsettled.
  for (const auto& r : d.analysis.results) {
    if (r.is_baseline || !r.own_cost.known()) continue;
    EXPECT_TRUE(r.net_floor_low.known()) << r.name;
    EXPECT_LE(r.net_floor_low.get(), r.net_floor.get()) << r.name;
    EXPECT_GE(r.net_floor_high.get(), r.net_floor.get()) << r.name;
  }
  bool unsettled = false;
  for (const auto& u : d.analysis.unsettled)
    unsettled = unsettled || u.a == "local-linear" || u.b == "local-linear";
  EXPECT_TRUE(unsettled) << "local-linear and api-retrieval overlap with the baseline priced too";
  std::string all_risks = fmt::format("{}", fmt::join(d.risks, "\n"));
  EXPECT_EQ(unsettled, all_risks.find("overlap across the accuracy intervals") != std::string::npos)
      << all_risks;

  // api-unpriced (88%, the most accurate) as the baseline: every other approach loses value
  // against it, and whether one pays for itself depends on the baseline's unknown cost.
  std::string config = kConfig;
  config.replace(config.find("baseline = \"api-zero-shot\""), 26, "baseline = \"api-unpriced\"");
  Decision unsure = decide(read_scenario(parse_config(config, "tickets.toml"), &eval));
  EXPECT_TRUE(unsure.pick.empty()) << unsure.headline;
  EXPECT_NE(unsure.headline.find("No recommendation: whether local-linear pays for itself "
                                 "depends on what keeping api-unpriced costs"),
            std::string::npos)
      << unsure.headline;
  EXPECT_NE(unsure.next_step.find("Give api-unpriced a price"), std::string::npos);
  EXPECT_NE(memo_markdown(unsure).find("No recommendation"), std::string::npos);
  EXPECT_TRUE(decision_json(unsure).is_object());
  // Without a recommendation the memo still says what is wrong with the measurements (it had
  // no risks at all).
  std::string unsure_risks = fmt::format("{}", fmt::join(unsure.risks, "\n"));
  EXPECT_NE(unsure_risks.find("SIMULATED"), std::string::npos) << unsure_risks;
}

TEST(EvalMode, SimulatedFiguresAreLabelledInTheMemo) {
  std::string memo = memo_markdown(decide_fixture());
  EXPECT_NE(memo.find("SIMULATED"), std::string::npos);
  EXPECT_NE(memo.find("measured, simulated"), std::string::npos);
}

TEST(EvalMode, OverlappingIntervalsLeaveTheRankingUnsettled) {
  Decision d = decide_fixture();
  bool found = false;
  for (const auto& u : d.analysis.unsettled) {
    if ((u.a == "api-retrieval" && u.b == "local-linear") ||
        (u.b == "api-retrieval" && u.a == "local-linear")) {
      found = true;
      ASSERT_TRUE(u.mcnemar_p.has_value());
      EXPECT_DOUBLE_EQ(*u.mcnemar_p, 0.41);
    }
  }
  EXPECT_TRUE(found);
  nlohmann::json j = decision_json(d);
  EXPECT_FALSE(j["unsettled_rankings"].empty());
}

TEST(EvalMode, NetBenefitIntervalBracketsThePointEstimate) {
  Decision d = decide_fixture();
  for (const auto& r : d.analysis.results) {
    if (!r.net.known()) continue;
    EXPECT_LE(r.net_low.get(), r.net.get() + 1e-9) << r.name;
    EXPECT_GE(r.net_high.get(), r.net.get() - 1e-9) << r.name;
  }
}

}  // namespace
}  // namespace tunecase::econ

namespace tunecase::econ {
namespace {

TEST(EvalMode, ConfigPricePerQueryReplacesTheEstimateAndSaysSo) {
  nlohmann::json eval = eval_fixture();
  std::string text = std::string(kConfig);
  text.replace(text.find("name = \"api-unpriced\"\nkind = \"openai\"\n"),
               std::string("name = \"api-unpriced\"\nkind = \"openai\"\n").size(),
               "name = \"api-unpriced\"\nkind = \"openai\"\nusd_per_query = 0.02\n");
  Decision d = decide(read_scenario(parse_config(text, "t.toml"), &eval));
  const ApproachInputs& a = inputs(d, "api-unpriced");
  EXPECT_EQ(a.usd_per_query.source, Source::assumed);
  EXPECT_NEAR(a.usd_per_query.get(), 0.02, 1e-12);
  EXPECT_EQ(a.cost_basis, "assumed price per query");
  for (const auto& r : d.analysis.results) {
    EXPECT_TRUE(r.net.known()) << r.name;
  }
}

}  // namespace
}  // namespace tunecase::econ
