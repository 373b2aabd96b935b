// The pilot report's figures from a store filled by hand, where each figure can be counted.
#include <gtest/gtest.h>

#include <filesystem>

#include "gateway_fixture.h"
#include "tunecase/serve/pilot_report.h"
#include "tunecase/store/store.h"

namespace tunecase::serve::testing {
namespace {

// The report of a production run of approach "a", as of t = 10 s.
// The i-th request of approach "a" on the champion arm, answered "x", logged at 1,000 + i ms.
PredictionRecord request_of_a(int i) {
  PredictionRecord p;
  p.prediction_id = make_prediction_id();
  p.request_id = "R-" + std::to_string(i);
  p.approach = "a";
  p.label = "x";
  p.text_hash = p.request_id;
  p.created_at_ms = 1'000 + i;
  return p;
}

nlohmann::json report_of(Store& store) {
  PilotPlan plan;
  plan.champion = "a";
  ReportContext context;
  context.now_ms = 10'000;
  return pilot_report(store, plan, context);
}

// A failed request is stored without a label: it is a miss of its gold label, not a class of
// its own (each labelled error lowered macro-F1 by about one class more).
TEST(PilotReport, MacroF1CountsAFailedRequestAsAMissNotAClass) {
  auto dir = temp_folder("pilot-report");
  auto store = open_store((dir / "store.db").string());
  std::vector<PredictionRecord> batch;
  std::vector<Feedback> feedback;
  const std::vector<std::pair<std::string, std::string>> answers = {
      {"x", "x"}, {"x", "x"}, {"y", "x"}, {"", "y"}};  // (answer, gold)
  for (std::size_t i = 0; i < answers.size(); ++i) {
    PredictionRecord p;
    p.prediction_id = make_prediction_id();
    p.request_id = "R-" + std::to_string(i);
    p.approach = "a";
    p.label = answers[i].first;
    if (p.label.empty()) p.error = "upstream 500";
    p.text_hash = p.request_id;
    p.created_at_ms = 1'000 + static_cast<int64_t>(i);
    batch.push_back(p);
    feedback.push_back({Feedback::By::request_id, p.request_id, answers[i].second, 5'000});
  }
  store->log_predictions(batch);
  store->record_feedback_batch(feedback);
  nlohmann::json report = report_of(*store);
  const nlohmann::json& arm = report["arms"][0];
  // x: 2 right, 1 missed (F1 0.8); y: 1 answered wrongly for x, 1 missed (F1 0).
  EXPECT_NEAR(arm["macro_f1"].get<double>(), 0.4, 1e-9) << arm.dump(2);
  // No request carried a cost (a local model's is its hosting): not "measured" beside a null.
  EXPECT_TRUE(arm["cost_usd"].is_null()) << arm.dump(2);
  EXPECT_TRUE(
      arm["cost_basis"].get<std::string>().starts_with("not measured: no request of this "
                                                       "arm carried a cost"))
      << arm.dump(2);
  // Gold x on 3 of the 4 labelled items: always answering x would score 75%, more than the
  // arm's 50%, which the terminal view says.
  EXPECT_EQ(arm["majority_floor"]["label"], "x") << arm.dump(2);
  EXPECT_NEAR(arm["majority_floor"]["accuracy"].get<double>(), 0.75, 1e-9);
  EXPECT_NE(pilot_report_text(report).find("always answering 'x' would score 75.0% of its "
                                           "labelled items, at least its accuracy (50.0%)"),
            std::string::npos)
      << pilot_report_text(report);
  // A label holding a terminal escape sequence is written with it escaped, not sent raw.
  report["arms"][0]["majority_floor"]["label"] = "x\x1b[2J";
  const std::string text = pilot_report_text(report);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("always answering 'x\\u{001B}[2J'"), std::string::npos) << text;
  // The plan line: within the planned days "day N of M"; past them, said so.
  report["plan"] = {{"days_planned", 14},
                    {"days_elapsed", 52.66},
                    {"labelled_champion", 10},
                    {"labelled_challenger", 9},
                    {"labelled_planned_per_arm", 30.0}};
  EXPECT_NE(pilot_report_text(report).find("plan: day 52.6, past the 14 planned"),
            std::string::npos)
      << pilot_report_text(report);
  report["plan"]["days_elapsed"] = 3.25;
  EXPECT_NE(pilot_report_text(report).find("plan: day 3.2 of 14"), std::string::npos);
  // Per-label accuracy of both arms, which the lines above send the reader to, the largest
  // difference first; too few labelled is said.
  report["challenger"] = "b";
  report["error_patterns"]["per_label"] =
      nlohmann::json::array({{{"label", "small"},
                              {"champion", {{"labelled", 40}, {"accuracy", 0.5}}},
                              {"challenger", {{"labelled", 40}, {"accuracy", 0.55}}},
                              {"enough_labelled", true}},
                             {{"label", "fraud"},
                              {"champion", {{"labelled", 5}, {"accuracy", 0.2}}},
                              {"challenger", {{"labelled", 6}, {"accuracy", 0.5}}},
                              {"enough_labelled", false}}});
  const std::string labels = pilot_report_text(report);
  const std::size_t fraud = labels.find("  fraud "), small = labels.find("  small ");
  ASSERT_NE(fraud, std::string::npos) << labels;
  ASSERT_NE(small, std::string::npos) << labels;
  EXPECT_LT(fraud, small) << labels;
  EXPECT_NE(labels.find("50.0% of 6"), std::string::npos) << labels;
  EXPECT_NE(labels.find("(too few labelled to tell)\n"), std::string::npos) << labels;
  EXPECT_EQ(labels.find(" \n"), std::string::npos) << labels;
  std::filesystem::remove_all(dir);
}

// A shadow pilot's segment is judged on its pairs: 80 labelled items in segment "vip", 60 both
// right, 8 only the champion's, 1 only the challenger's, 11 neither. Taken as two independent
// samples (85.0% against 76.3%) the interval crossed 0 and the segment was not called worse;
// paired, it lies below 0 (McNemar's exact p is 0.039).
TEST(PilotReport, AShadowPilotsSegmentsAreJudgedOnTheirPairs) {
  auto dir = temp_folder("pilot-report");
  auto store = open_store((dir / "store.db").string());
  std::vector<PredictionRecord> batch;
  std::vector<Feedback> feedback;
  for (int i = 0; i < 80; ++i) {
    const bool champion_right = i < 68, challenger_right = i < 60 || i == 68;
    for (bool shadow : {false, true}) {
      PredictionRecord p;
      p.prediction_id = make_prediction_id();
      p.request_id = "V-" + std::to_string(i);
      p.approach = shadow ? "b" : "a";
      p.arm = shadow ? Arm::shadow : Arm::champion;
      p.segment = "vip";
      p.label = (shadow ? challenger_right : champion_right) ? "x" : "y";
      p.text_hash = p.request_id;
      p.created_at_ms = 1'000 + i;
      batch.push_back(p);
    }
    feedback.push_back({Feedback::By::request_id, "V-" + std::to_string(i), "x", 5'000});
  }
  store->log_predictions(batch);
  store->record_feedback_batch(feedback);
  PilotPlan plan;
  plan.champion = "a";
  plan.challenger = "b";
  plan.mode = ServeMode::shadow;
  plan.rule.mode = econ::PilotMode::shadow;
  ReportContext context;
  context.now_ms = 10'000;
  nlohmann::json report = pilot_report(*store, plan, context);
  const nlohmann::json& vip = report["error_patterns"]["per_segment"][0];
  EXPECT_EQ(vip["segment"], "vip") << vip.dump();
  EXPECT_EQ(vip["pairs"], 80) << vip.dump();
  EXPECT_EQ(vip["interval"], "paired (Newcombe)");
  EXPECT_NEAR(vip["difference"].get<double>(), -0.0875, 1e-9);
  EXPECT_NEAR(vip["difference_ci95"][0].get<double>(), -0.168, 1e-3) << vip.dump();
  EXPECT_NEAR(vip["difference_ci95"][1].get<double>(), -0.011, 1e-3) << vip.dump();
  EXPECT_EQ(vip["challenger_significantly_worse"], true) << vip.dump();
  std::filesystem::remove_all(dir);
}

// A split pilot of "a" (champion, half right) against "b" (challenger, 95% right), 200 labelled
// requests each, under a memo's business case; `b_cost` is what each of b's answers cost, none
// when its endpoint reported no usage; each of b's requests also paid `b_unpriced` requests
// whose cost is unknown (time-outs, cut-off answers).
nlohmann::json split_pilot_report(Store& store, std::optional<double> b_cost,
                                  int64_t b_unpriced = 0) {
  std::vector<PredictionRecord> batch;
  std::vector<Feedback> feedback;
  for (int i = 0; i < 400; ++i) {
    PredictionRecord p;
    p.prediction_id = make_prediction_id();
    p.request_id = "R-" + std::to_string(i);
    const bool challenger = i % 2 == 1;
    p.approach = challenger ? "b" : "a";
    p.arm = challenger ? Arm::challenger : Arm::champion;
    const bool right = challenger ? (i / 2) % 20 != 0 : (i / 2) % 2 == 0;
    p.label = right ? "x" : "y";
    p.text_hash = p.request_id;
    p.created_at_ms = 1'000 + i;
    if (challenger && b_cost) p.cost_usd = *b_cost;
    if (challenger) p.unpriced_attempts = b_unpriced;
    if (!challenger && i < 20) {  // ten of the champion's requests failed
      p.label.clear();
      p.error = "upstream 500";
    }
    batch.push_back(p);
    feedback.push_back({Feedback::By::request_id, p.request_id, "x", 5'000});
  }
  store.log_predictions(batch);
  store.record_feedback_batch(feedback);
  store.set_meta(kPricedApproachesKey, R"(["b"])");
  PilotPlan plan;
  plan.champion = "a";
  plan.challenger = "b";
  plan.mode = ServeMode::split;
  plan.share = 0.5;
  plan.rule.challenger = "b";
  plan.rule.baseline = "a";
  plan.rule.min_labelled_per_arm = 100;
  plan.rule.queries_per_month = 300000;
  plan.rule.cost_per_error_usd = 2;
  plan.rule.live_months = 12;
  plan.rule.extra_cost_usd = 1000;
  plan.rule.usd_per_query = 0.001;
  plan.rule.offline_error_rate = 0.05;
  plan.rule.challenger_share = 0.5;
  plan.rule_source = "decision.json (test)";
  ReportContext context;
  context.now_ms = 20 * 86'400'000LL;
  return pilot_report(store, plan, context);
}

// A clear win is worth money at the challenger's live price: with none of its answers carrying
// a cost, that price is unknown, and the verdict says so instead of judging at the memo's price
// (a money-losing challenger had read as a paying clear win).
TEST(PilotReport, NoClearWinAtALivePriceNobodyMeasured) {
  auto dir = temp_folder("pilot-report-unknown-price");
  auto priced = open_store((dir / "priced.db").string());
  nlohmann::json known = split_pilot_report(*priced, 0.001);
  EXPECT_EQ(known["verdict"]["outcome"], "clear win") << known["verdict"].dump(2);
  // The champion's failures are part of the gain, and a reason says so.
  bool said = false;
  for (const auto& r : known["verdict"]["reasons"])
    said = said || r.get<std::string>().starts_with(
                       "the champion (a) failed 10 of its 200 "
                       "requests (5%, 0 timed out)");
  EXPECT_TRUE(said) << known["verdict"].dump(2);
  auto unpriced = open_store((dir / "unpriced.db").string());
  nlohmann::json unknown = split_pilot_report(*unpriced, std::nullopt);
  EXPECT_EQ(unknown["verdict"]["outcome"], "blocked") << unknown["verdict"].dump(2);
  EXPECT_NE(unknown["verdict"]["reasons"][0].get<std::string>().find(
                "the challenger's live cost is unknown: none of its 200 answered requests "
                "reported token usage"),
            std::string::npos)
      << unknown["verdict"].dump(2);
  std::filesystem::remove_all(dir);
}

// Requests the provider billed with no answer to price are paid on top of the answers: the
// verdict prices the challenger with them (at the known mean), not at its answers' price alone.
TEST(PilotReport, RequestsBilledWithoutAnAnswerCountInTheLivePrice) {
  auto dir = temp_folder("pilot-report-unpriced-attempts");
  auto answers_only = open_store((dir / "answers.db").string());
  EXPECT_EQ(split_pilot_report(*answers_only, 0.3)["verdict"]["outcome"], "clear win");
  auto with_timeouts = open_store((dir / "timeouts.db").string());
  nlohmann::json report = split_pilot_report(*with_timeouts, 0.3, 2);
  EXPECT_NE(report["verdict"]["outcome"], "clear win") << report["verdict"].dump(2);
  const nlohmann::json& b = report["arms"][1];
  EXPECT_EQ(b["unpriced_attempts"], 400) << b.dump(2);
  EXPECT_EQ(b["cost_unknown"], 400) << b.dump(2);
  std::filesystem::remove_all(dir);
}

// An LLM arm whose model has no price: its answers report tokens and carry no cost. Its cost is
// unknown, never $0, and the basis says why (its days had read $0.00 and "measured").
TEST(PilotReport, AnLlmArmWithoutAPriceHasAnUnknownCost) {
  auto dir = temp_folder("pilot-report-no-price");
  auto store = open_store((dir / "store.db").string());
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 4; ++i) {
    PredictionRecord p = request_of_a(i);
    p.tokens_in = 1000;
    p.tokens_out = 5;
    batch.push_back(p);
  }
  store->log_predictions(batch);
  store->set_meta(kPricedApproachesKey, R"(["a"])");  // serve records every LLM arm
  nlohmann::json arm = report_of(*store)["arms"][0];
  EXPECT_EQ(arm["cost_unknown"], 4) << arm.dump(2);
  EXPECT_TRUE(arm["cost_usd"].is_null()) << arm.dump(2);
  EXPECT_TRUE(arm["cost_basis"].get<std::string>().starts_with(
      "unknown: the model has no price in the catalogue, so the 4000 input and 20 output tokens"))
      << arm.dump(2);
  std::filesystem::remove_all(dir);
}

// A store from before schema 11 counted no requests billed without an answer: its time-outs
// make the arm's cost a floor, said also when another part of it is estimated (the clause had
// gone then).
TEST(PilotReport, TimeOutsNotCountedAsBilledMakeTheCostAFloor) {
  auto dir = temp_folder("pilot-report-old-timeouts");
  auto store = open_store((dir / "store.db").string());
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 6; ++i) {
    PredictionRecord p = request_of_a(i);
    if (i < 3) p.cost_usd = 0.002;  // 3 priced, 1 without usage, 2 timed out
    if (i >= 4) {
      p.label.clear();
      p.error = "failed after 1 attempt: timed out";
      p.timed_out = true;
    }
    batch.push_back(p);
  }
  store->log_predictions(batch);
  nlohmann::json arm = report_of(*store)["arms"][0];
  const std::string basis = arm["cost_basis"].get<std::string>();
  EXPECT_TRUE(basis.starts_with("estimated: 1 of 4 answered requests")) << basis;
  EXPECT_NE(basis.find(", a floor: 2 requests timed out"), std::string::npos) << basis;
  std::filesystem::remove_all(dir);
}

// An arm with requests and no feedback yet has no accuracy and no interval: Wilson's [0, 1] of
// no items was printed as "0.0%-100.0%", a figure the arm never measured.
TEST(PilotReport, AnArmWithoutLabelsHasNoInterval) {
  auto dir = temp_folder("pilot-report-unlabelled");
  auto store = open_store((dir / "store.db").string());
  PredictionRecord p = request_of_a(0);
  store->log_predictions({p});
  nlohmann::json report = report_of(*store);
  const nlohmann::json& arm = report["arms"][0];
  EXPECT_EQ(arm["requests"], 1) << arm.dump(2);
  EXPECT_TRUE(arm["accuracy"].is_null()) << arm.dump(2);
  EXPECT_TRUE(arm["accuracy_ci95"].is_null()) << arm.dump(2);
  const std::string text = pilot_report_text(report);
  EXPECT_EQ(text.find("100.0%"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

// An arm of whose answers half reported no token usage: their cost is unknown, never $0. The
// day's spend takes each at the mean of the known ones and says so; $ per 1k is the known
// answers' mean. It had summed the known ones alone, and said nothing.
TEST(PilotReport, AnswersWithoutUsageAreCountedAtTheKnownMeanAndSaid) {
  auto dir = temp_folder("pilot-report-unpriced");
  auto store = open_store((dir / "store.db").string());
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 6; ++i) {
    PredictionRecord p = request_of_a(i);
    if (i < 3) {
      p.cost_usd = 0.002;
      p.tokens_in = 100;
      p.tokens_out = 2;
    }
    if (i == 5) {  // a failure: no answer, so no cost to estimate
      p.label.clear();
      p.error = "upstream 500";
    }
    batch.push_back(p);
  }
  store->log_predictions(batch);
  nlohmann::json report = report_of(*store);
  const nlohmann::json& arm = report["arms"][0];
  EXPECT_EQ(arm["cost_unknown"], 2) << arm.dump(2);
  EXPECT_NEAR(arm["cost_usd"].get<double>(), 0.006, 1e-12);
  EXPECT_NEAR(arm["usd_per_1k"].get<double>(), 2.0, 1e-9);
  const double days = 1.0 / 24;  // the report's least elapsed time
  EXPECT_NEAR(arm["usd_per_day"].get<double>(), 0.010 / days, 1e-9);
  EXPECT_NE(arm["cost_basis"].get<std::string>().find("2 of 5 answered requests reported no token "
                                                      "usage"),
            std::string::npos)
      << arm.dump(2);
  EXPECT_NE(pilot_report_text(report).find("reported no token usage"), std::string::npos);
  // An approach the gateway prices none of whose answers reported usage (an API that never
  // does): every answer's cost is unknown, not an arm without a per-request cost.
  auto unpriced = open_store((dir / "unpriced.db").string());
  for (auto& p : batch) {
    p.prediction_id = make_prediction_id();
    p.cost_usd.reset();
    p.tokens_in = p.tokens_out = 0;
  }
  unpriced->log_predictions(batch);
  nlohmann::json local = report_of(*unpriced)["arms"][0];
  EXPECT_EQ(local["cost_unknown"], 0) << "not priced: a local model's arm";
  unpriced->set_meta(kPricedApproachesKey, R"(["a"])");
  nlohmann::json none = report_of(*unpriced)["arms"][0];
  EXPECT_EQ(none["cost_unknown"], 5) << none.dump(2);
  EXPECT_TRUE(none["usd_per_day"].is_null());
  EXPECT_NE(none["cost_basis"].get<std::string>().find("none of the 5 answered requests that "
                                                       "called the API reported token usage"),
            std::string::npos)
      << none.dump(2);
  // Answers from the response cache cost $0 and carry that cost: they price nothing else (one
  // had made every unknown call cost $0, and the ceiling quiet).
  auto cached = open_store((dir / "cached.db").string());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].prediction_id = make_prediction_id();
    if (i == 0) {
      batch[i].cached = true;
      batch[i].cost_usd = 0.0;
    }
  }
  cached->log_predictions(batch);
  cached->set_meta(kPricedApproachesKey, R"(["a"])");
  nlohmann::json with_cache = report_of(*cached)["arms"][0];
  EXPECT_EQ(with_cache["cost_unknown"], 4) << with_cache.dump(2);
  EXPECT_TRUE(with_cache["usd_per_day"].is_null()) << with_cache.dump(2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunecase::serve::testing
