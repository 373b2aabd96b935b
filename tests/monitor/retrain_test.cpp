// `tunecase retrain` on the synthetic tickets: a champion trained before the Autopilot launch,
// feedback with kept texts in a real SQLite store, and the champion/challenger gate; plus the
// promotion rule on hand-made answers (refusals for each reason) and the policy's "due" check.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <cctype>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "monitor_fixture.h"
#include "tunecase/approaches/model_folder.h"
#include "tunecase/approaches/registry.h"
#include "tunecase/core/error.h"
#include "tunecase/data/synthetic.h"
#include "tunecase/monitor/alert_rules.h"
#include "tunecase/monitor/replay.h"
#include "tunecase/monitor/retrain.h"

namespace tunecase::monitor {
namespace {

using testing::kT0;
using testing::StoreTest;

std::vector<ReplayItem> tickets() {
  return replay_items(testing::synthetic_examples(6000));
}

class Retrain : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    approach_ = default_approach("linear", "linear");
    approach_.linear.char_ngrams = {0, 0};  // words only: faster, the same story
    config_.approaches = {approach_};
    items_ = tickets();
    first_day_ = items_.front().day;
  }

  // The champion: trained on the first `days` days, saved where `eval` would put it.
  void train_champion(int days, Examples* original) {
    std::set<std::string> label_set;
    for (const auto& it : items_) {
      if (it.day >= first_day_ + days) break;
      Example e;
      e.text = it.text;
      e.label = it.label;
      original->push_back(e);
      label_set.insert(it.label);
    }
    std::vector<std::string> labels(label_set.begin(), label_set.end());
    auto model = make_classifier(approach_);
    model->train(*original, {}, labels);
    save_model(model_folder(approach_, dir_ / "eval"), approach_, *model, labels, original->size());
  }

  // Traffic from day `from` to day `to` (relative to the first ticket) logged with its text and
  // its gold label as feedback.
  int64_t log_traffic(int from, int to) {
    return testing::log_labelled_traffic(*store_, items_, first_day_ + from, first_day_ + to,
                                         "linear");
  }

  RetrainRequest request(int64_t now_ms, const Examples& original) {
    RetrainRequest r;
    r.now_ms = now_ms;
    r.eval_dir = dir_ / "eval";
    r.out_dir = dir_ / "retrain";
    r.original = original;
    r.holdout_days = 14;
    return r;
  }

  ApproachConfig approach_;
  ProjectConfig config_;
  std::vector<ReplayItem> items_;
  int64_t first_day_ = 0;
};

TEST_F(Retrain, AfterTheLaunchTheChallengerLearnsTheNewCategoryAndIsPromoted) {
  Examples original;
  train_champion(120, &original);
  // Traffic up to six weeks after the launch (month 8, about day 212).
  int64_t last = log_traffic(120, 255);
  RetrainRun run = run_retrain(config_, *store_, request(last + kDayMs, original));
  ASSERT_EQ(run.approaches.size(), 1u);
  const ApproachRetrain& r = run.approaches[0];
  std::cout << retrain_markdown(run);
  EXPECT_GT(r.train_feedback, 1000);
  EXPECT_GE(r.comparison.holdout, 100);
  EXPECT_GT(r.comparison.challenger_right, r.comparison.champion_right + r.comparison.holdout / 20)
      << "the challenger trained on the launch's labels should be clearly better";
  EXPECT_LT(r.comparison.mcnemar.p_value, 0.01);
  ASSERT_EQ(r.comparison.new_labels.size(), 1u) << "the launch brings one new category";
  EXPECT_TRUE(r.comparison.uncovered.empty());
  EXPECT_TRUE(r.comparison.promote);
  EXPECT_TRUE(r.promoted);
  EXPECT_NE(r.challenger_version, r.champion_version);

  // The registry: the eval model as the previous champion (registered by the retrain), the
  // challenger as champion, with a loadable folder and its holdout metrics.
  auto models = store_->models("linear");
  ASSERT_EQ(models.size(), 2u);
  const ModelVersion* champion = nullptr;
  for (const auto& m : models)
    if (m.status == ModelStatus::champion) champion = &m;
  ASSERT_NE(champion, nullptr);
  EXPECT_EQ(champion->version, r.challenger_version);
  EXPECT_EQ(champion->promoted_by, "tunecase retrain");
  EXPECT_EQ(model_fingerprint(champion->path), champion->version);
  LoadedModel loaded = load_model(champion->path);
  EXPECT_EQ(loaded.labels.size(),
            load_model(model_folder(approach_, dir_ / "eval")).labels.size() + 1);
  EXPECT_NE(champion->metrics_json.find("\"accuracy\""), std::string::npos);
  auto doc = retrain_json(run);
  EXPECT_EQ(doc["approaches"][0]["promoted"], true);

  // The next retrain starts from the new champion; with no newer labels it is no better, so it
  // does not count as a gain over itself (same data: the same model, nothing changes).
  // The champion, trained again to the same version, shows this holdout's figure (`tunecase
  // models` calls it the last retrain's that trained it; it had kept an older one).
  ASSERT_TRUE(store_->set_model_metrics("linear", r.challenger_version, "{\"stale\": true}"));
  RetrainRun again = run_retrain(config_, *store_, request(last + kDayMs, original));
  EXPECT_EQ(again.approaches[0].champion_version, r.challenger_version);
  EXPECT_FALSE(again.approaches[0].promoted);
  EXPECT_EQ(store_->models("linear").size(), 2u);
  ASSERT_EQ(again.approaches[0].challenger_version, r.challenger_version);
  for (const auto& m : store_->models("linear"))
    if (m.version == r.challenger_version) {
      const nlohmann::json metrics = nlohmann::json::parse(m.metrics_json);
      EXPECT_FALSE(metrics.contains("stale")) << m.metrics_json;
      EXPECT_FALSE(metrics.contains("promoted")) << m.metrics_json;
      EXPECT_EQ(metrics["measured_as"], "champion, trained again on the same data");
      EXPECT_EQ(metrics["holdout_items"].get<int64_t>(), again.approaches[0].comparison.holdout);
    }

  // A wider holdout reaches back into what the new champion was trained on: those items are
  // left out of the comparison, and the report says so (they had judged it on its own training
  // data).
  RetrainRequest wider = request(last + kDayMs, original);
  wider.holdout_days = 28;
  wider.dry_run = true;
  RetrainRun widened = run_retrain(config_, *store_, wider);
  const Comparison& c = widened.approaches[0].comparison;
  std::string reasons = fmt::format("{}", fmt::join(c.reasons, "\n"));
  EXPECT_NE(reasons.find("held-out items from before"), std::string::npos) << reasons;
  // ... and the challenger, trained on less feedback than the champion, is never promoted.
  EXPECT_FALSE(c.promote);
  EXPECT_NE(reasons.find("knows less than the champion"), std::string::npos) << reasons;
  EXPECT_EQ(c.holdout, r.comparison.holdout) << "only the items after the champion's data";

  // Someone rolls the new champion back: the next retrain, on the same labels, trains that same
  // version again and does not promote it over the person's decision.
  ASSERT_TRUE(store_->set_model_status("linear", r.champion_version, ModelStatus::champion,
                                       last + 2 * kDayMs, "rollback by oncall"));
  RetrainRun after_rollback = run_retrain(config_, *store_, request(last + 3 * kDayMs, original));
  const ApproachRetrain& b = after_rollback.approaches[0];
  EXPECT_EQ(b.challenger_version, r.challenger_version);
  EXPECT_FALSE(b.comparison.promote);
  EXPECT_FALSE(b.promoted);
  std::string why = fmt::format("{}", fmt::join(b.comparison.reasons, "\n"));
  EXPECT_NE(why.find("a retrain does not promote a rolled-back version again"), std::string::npos)
      << why;
  for (const auto& m : store_->models("linear"))
    if (m.version == r.challenger_version) {
      EXPECT_EQ(m.status, ModelStatus::rolled_back);
    }
}

// A holdout that nearly all carries one label the training data holds far less often looks like
// a broken label pipeline, not like labels (16% against 14% had been promoted).
TEST(PromotionRule, AHoldoutCollapsedToOneLabelIsNotJudged) {
  Examples train;
  for (int i = 0; i < 100; ++i)
    train.push_back(Example{"", "t" + std::to_string(i), i % 4 == 0 ? "billing" : "other", "", 0});
  std::vector<std::string> held(98, "billing");
  held.push_back("refund");
  held.push_back("login");
  auto why = collapsed_labels(held, train);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("98 of the 100 held-out items (98.0%) are labelled 'billing'"),
            std::string::npos)
      << *why;
  held.resize(80);
  for (int i = 0; i < 20; ++i) held.push_back("refund");  // 80%: a shift, not a collapse
  EXPECT_FALSE(collapsed_labels(held, train).has_value());
}

// Feedback only inside the holdout window: the challenger is trained on the champion's data
// alone and is not promoted however the holdout comes out; a rerun a day later (the same data)
// trains the same version and registers nothing new.
TEST_F(Retrain, WithNoFeedbackOutsideTheHoldoutNothingIsPromoted) {
  Examples original;
  train_champion(120, &original);
  int64_t last = log_traffic(120, 130);  // ten days, inside the 14-day holdout
  RetrainRequest r = request(last + kDayMs, original);
  r.rule.min_holdout = 10;
  r.rule.min_gain = -1;  // any accuracy would pass the gain check
  RetrainRun run = run_retrain(config_, *store_, r);
  const ApproachRetrain& a = run.approaches[0];
  EXPECT_EQ(a.train_feedback, 0);
  EXPECT_GE(a.comparison.holdout, 10);
  EXPECT_FALSE(a.comparison.promote);
  EXPECT_FALSE(a.promoted);
  ASSERT_FALSE(a.comparison.reasons.empty());
  EXPECT_NE(a.comparison.reasons.back().find("no feedback label outside the holdout"),
            std::string::npos)
      << a.comparison.reasons.back();
  std::size_t registered = store_->models("linear").size();
  // The registry then shows the later measurement of that version (it kept the first one's, so
  // a version promoted by a later run showed a figure that run had not measured).
  ASSERT_TRUE(store_->set_model_metrics("linear", a.challenger_version, "{\"stale\": true}"));
  EXPECT_FALSE(store_->set_model_metrics("linear", "no-such-version", "{}"));
  r.now_ms += kDayMs;
  RetrainRun again = run_retrain(config_, *store_, r);
  EXPECT_EQ(again.approaches[0].challenger_version, a.challenger_version);
  EXPECT_EQ(store_->models("linear").size(), registered);
  bool seen = false;
  for (const auto& m : store_->models("linear")) {
    if (m.version != a.challenger_version) continue;
    seen = true;
    nlohmann::json metrics = nlohmann::json::parse(m.metrics_json);
    EXPECT_FALSE(metrics.contains("stale")) << m.metrics_json;
    EXPECT_EQ(metrics["holdout_items"].get<int64_t>(), again.approaches[0].comparison.holdout);
  }
  EXPECT_TRUE(seen);
}

TEST_F(Retrain, ADryRunRegistersNothingAndTooSmallAHoldoutPromotesNothing) {
  Examples original;
  train_champion(120, &original);
  int64_t last = log_traffic(120, 255);
  RetrainRequest dry = request(last + kDayMs, original);
  dry.dry_run = true;
  RetrainRun run = run_retrain(config_, *store_, dry);
  EXPECT_TRUE(run.approaches[0].comparison.promote);
  EXPECT_FALSE(run.approaches[0].promoted);
  EXPECT_TRUE(store_->models("").empty());

  RetrainRequest strict = request(last + kDayMs, original);
  strict.rule.min_holdout = 1'000'000;
  run = run_retrain(config_, *store_, strict);
  EXPECT_FALSE(run.approaches[0].promoted);
  ASSERT_FALSE(run.approaches[0].comparison.reasons.empty());
  EXPECT_NE(run.approaches[0].comparison.reasons[0].find("holdout"), std::string::npos);
  // The challenger is registered (refused), the eval model is the champion.
  auto models = store_->models("linear");
  ASSERT_EQ(models.size(), 2u);
  for (const auto& m : models)
    EXPECT_EQ(m.status, m.version == run.approaches[0].champion_version ? ModelStatus::champion
                                                                        : ModelStatus::challenger);
}

// A [data] file that holds the served traffic (exported after it): the held-out items whose
// texts are in the original training data are left out of the holdout and said, instead of
// scoring a challenger trained on them as "never trained on".
TEST_F(Retrain, HeldOutTextsInTheOriginalDataAreLeftOutAndSaid) {
  Examples original;
  train_champion(120, &original);
  int64_t last = log_traffic(120, 255);
  RetrainRequest clean = request(last + kDayMs, original);
  clean.dry_run = true;
  RetrainRun before = run_retrain(config_, *store_, clean);
  const int64_t held_out = before.approaches[0].comparison.holdout;
  ASSERT_GT(held_out, 100);
  // The original data now holds every ticket, the holdout's days included, as an export that
  // upper-cased them and doubled their spaces writes them: the same texts all the same.
  Examples everything = original;
  for (const auto& it : items_) {
    if (it.day < first_day_ + 120 || it.day >= first_day_ + 255) continue;
    std::string exported;
    for (char c : it.text) {
      exported += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (c == ' ') exported += ' ';
    }
    everything.push_back(Example{"", exported, it.label});
  }
  RetrainRequest leaky = request(last + kDayMs, everything);
  leaky.dry_run = true;
  RetrainRun after = run_retrain(config_, *store_, leaky);
  // The synthetic traffic repeats a few tickets: held-out repeats of the feedback before the
  // holdout, which only the challenger trains on, are left out too (and said).
  EXPECT_GT(before.holdout_in_feedback, 0);
  EXPECT_EQ(retrain_json(before)["holdout"]["left_out_in_feedback"], before.holdout_in_feedback);
  EXPECT_NE(retrain_markdown(before).find("which only the challenger trained on"),
            std::string::npos);
  EXPECT_EQ(after.holdout_in_original,
            held_out + before.holdout_in_original + before.holdout_in_feedback);
  EXPECT_EQ(after.holdout_in_feedback, 0);
  EXPECT_EQ(after.approaches[0].comparison.holdout, 0);
  EXPECT_FALSE(after.approaches[0].comparison.promote);
  EXPECT_NE(retrain_markdown(after).find("left out of the holdout"), std::string::npos);
  EXPECT_EQ(retrain_json(after)["holdout"]["left_out_in_original"], after.holdout_in_original);
}

TEST_F(Retrain, WithoutKeptTextsTheStoreHasNothingToTrainOnAndSaysSo) {
  Examples original;
  train_champion(60, &original);
  log_day("linear", 0, 10, 10, 10);  // no text kept
  try {
    run_retrain(config_, *store_, request(kT0 + 2 * kDayMs, original));
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("keep_texts"), std::string::npos) << e.what();
  }
}

std::vector<std::string> repeat(const std::string& label, int n) {
  return std::vector<std::string>(static_cast<std::size_t>(n), label);
}
std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(PromotionRule, RefusesAChallengerThatIsWorseOnALargeLabelEvenWhenBetterOverall) {
  // 200 "a" items: the challenger fixes 120 the champion missed; 60 "b" items: it breaks 30.
  auto gold = concat(repeat("a", 200), repeat("b", 60));
  auto champion = concat(concat(repeat("a", 80), repeat("x", 120)), repeat("b", 60));
  auto challenger = concat(repeat("a", 200), concat(repeat("b", 30), repeat("x", 30)));
  PromotionRule rule;
  Comparison c = compare_on_holdout(gold, champion, challenger, {"a", "b"}, {"a", "b"}, rule);
  EXPECT_GT(c.challenger_right, c.champion_right);
  EXPECT_FALSE(c.promote);
  ASSERT_EQ(c.labels.size(), 2u);
  EXPECT_FALSE(c.labels[0].worse);
  EXPECT_TRUE(c.labels[1].worse);
  // A small label is not held against it.
  rule.large_label = 61;
  c = compare_on_holdout(gold, champion, challenger, {"a", "b"}, {"a", "b"}, rule);
  EXPECT_TRUE(c.promote);
}

TEST(PromotionRule, RefusesBelowTheRequiredGainAndOnLabelsNeverTrainedOn) {
  auto gold = concat(repeat("a", 150), repeat("new", 10));
  auto champion = concat(repeat("a", 140), repeat("x", 20));
  auto challenger = concat(repeat("a", 145), repeat("x", 15));
  PromotionRule rule;
  rule.min_gain = 0.05;
  Comparison c = compare_on_holdout(gold, champion, challenger, {"a"}, {"a", "new"}, rule);
  EXPECT_FALSE(c.promote);
  EXPECT_EQ(c.new_labels, std::vector<std::string>{"new"});
  rule.min_gain = 0;
  c = compare_on_holdout(gold, champion, challenger, {"a"}, {"a", "new"}, rule);
  EXPECT_TRUE(c.promote);
  c = compare_on_holdout(gold, champion, challenger, {"a"}, {"a"}, rule);
  EXPECT_FALSE(c.promote);
  EXPECT_EQ(c.uncovered, std::vector<std::string>{"new"});
  EXPECT_THROW(compare_on_holdout(gold, champion, {"a"}, {"a"}, {"a"}, rule),
               std::invalid_argument);
}

// Feedback collapsed to one label (an export that wrote one value): a challenger trained on it
// answers that label to everything and "wins" on a holdout of that label alone. It was promoted,
// at 34% against 11.5%.
TEST(PromotionRule, RefusesAHoldoutOfOneLabel) {
  auto gold = repeat("billing", 300);
  auto champion = concat(repeat("billing", 30), repeat("refund", 270));
  auto challenger = concat(repeat("billing", 100), repeat("refund", 200));
  PromotionRule rule;
  Comparison c = compare_on_holdout(gold, champion, challenger, {"billing", "refund", "login"},
                                    {"billing", "refund", "login"}, rule);
  EXPECT_FALSE(c.promote);
  ASSERT_FALSE(c.reasons.empty());
  EXPECT_NE(c.reasons.front().find("every one of the 300 held-out items is labelled 'billing'"),
            std::string::npos)
      << c.reasons.front();
  // A classifier of one label has nothing else to be judged on.
  c = compare_on_holdout(gold, champion, challenger, {"billing"}, {"billing"}, rule);
  EXPECT_TRUE(c.promote);
}

TEST_F(StoreTest, ARetrainIsDueOnScheduleOrWhileAnAccuracyAlertIsOpen) {
  RetrainSettings policy;
  EXPECT_FALSE(retrain_due(policy, *store_, "linear", kT0).due);
  policy.policy = "scheduled";
  EXPECT_TRUE(retrain_due(policy, *store_, "linear", kT0).due);  // nothing registered
  ModelVersion m;
  m.approach = "linear";
  m.version = "v1";
  m.created_at_ms = kT0;
  m.status = ModelStatus::champion;
  store_->register_model(m);
  EXPECT_FALSE(retrain_due(policy, *store_, "linear", kT0 + 27 * kDayMs).due);
  EXPECT_TRUE(retrain_due(policy, *store_, "linear", kT0 + 28 * kDayMs).due);
  policy.policy = "triggered";
  EXPECT_FALSE(retrain_due(policy, *store_, "linear", kT0 + 100 * kDayMs).due);
  store_->fire_alert(
      {0, kAccuracyBelowFloor, "linear", kT0 + 3'600'000, std::nullopt, "low", "{}"});
  EXPECT_TRUE(retrain_due(policy, *store_, "linear", kT0 + kDayMs).due);
  EXPECT_FALSE(retrain_due(policy, *store_, "other", kT0 + kDayMs).due);
  // A retrain after the alert opened answered it: not due again while the same alert is open.
  m.version = "v2";
  m.created_at_ms = kT0 + 2 * kDayMs;
  m.status = ModelStatus::challenger;
  store_->register_model(m);
  EXPECT_FALSE(retrain_due(policy, *store_, "linear", kT0 + 3 * kDayMs).due);
  // v2 was refused (still a challenger): tried again while the alert stays open, once a fresh
  // holdout window has passed since it was made, and the wait is said meanwhile.
  Due waiting = retrain_due(policy, *store_, "linear", kT0 + 8 * kDayMs);
  EXPECT_FALSE(waiting.due);
  EXPECT_NE(waiting.why.find("was not promoted"), std::string::npos) << waiting.why;
  EXPECT_NE(waiting.why.find("tried again from"), std::string::npos) << waiting.why;
  Due again = retrain_due(policy, *store_, "linear", kT0 + 9 * kDayMs);
  EXPECT_TRUE(again.due) << again.why;
  // A promoted one answered the alert for good: not due while the same alert is open.
  store_->set_model_status("linear", "v2", ModelStatus::champion, kT0 + 2 * kDayMs, "test");
  EXPECT_FALSE(retrain_due(policy, *store_, "linear", kT0 + 30 * kDayMs).due);
  // Rolled back, it did not stay: v1, the model the alert is about, serves again. Tried again a
  // fresh holdout window after the rollback (it had never been due again).
  store_->set_model_status("linear", "v1", ModelStatus::champion, kT0 + 32 * kDayMs,
                           "rollback by test");
  Due rolled = retrain_due(policy, *store_, "linear", kT0 + 33 * kDayMs);
  EXPECT_FALSE(rolled.due);
  EXPECT_NE(rolled.why.find("was rolled back on"), std::string::npos) << rolled.why;
  EXPECT_NE(rolled.why.find("tried again from"), std::string::npos) << rolled.why;
  EXPECT_TRUE(retrain_due(policy, *store_, "linear", kT0 + 39 * kDayMs).due);
}

}  // namespace
// A dry run that trains the champion again (the same data, the same fingerprint) says it is
// already the champion, as the run without --dry-run does (it said "would be promoted").
TEST(RetrainReport, TheSameModelTrainedAgainIsAlreadyTheChampionInADryRun) {
  RetrainRun run;
  run.dry_run = true;
  ApproachRetrain a;
  a.approach = "linear";
  a.champion_version = a.challenger_version = "159665eae3a6";
  a.comparison.promote = true;
  a.comparison.holdout = 10;
  run.approaches.push_back(a);
  std::string md = retrain_markdown(run);
  EXPECT_NE(md.find("## linear: already the champion"), std::string::npos) << md;
  EXPECT_EQ(md.find("would be promoted"), std::string::npos) << md;
}

}  // namespace tunecase::monitor
