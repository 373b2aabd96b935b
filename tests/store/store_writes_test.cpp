// Conformance, write side: predictions, feedback, registry, alerts, meta, schema. Every test
// runs on SQLite and on PostgreSQL.

#include <fmt/format.h>

#include <random>
#include <set>
#include <thread>

#include "store_fixture.h"
#include "tunecase/core/error.h"
#include "tunecase/core/hash.h"
#include "tunecase/store/schema.h"

namespace tunecase::testing {
namespace {

TEST(PredictionIds, AreUniqueHexThatSortByTimeOfMaking) {
  std::set<std::string> seen;
  std::string first = make_prediction_id();
  for (int i = 0; i < 10000; ++i) {
    std::string id = make_prediction_id();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  EXPECT_LT(first, make_prediction_id());  // a later millisecond sorts later
  EXPECT_NE(make_random_id().substr(0, 8), make_random_id().substr(0, 8));
}

// The ids and text hashes are written digit by digit instead of through fmt: the same digits.
TEST(PredictionIds, HexDigitsAreFmtsZeroPaddedLowercaseHex) {
  std::mt19937_64 random(7);
  for (int digits = 1; digits <= 16; ++digits) {
    for (uint64_t value : {uint64_t{0}, ~uint64_t{0}, uint64_t{0xabc}, random(), random()}) {
      uint64_t low = digits == 16 ? value : value & ((uint64_t{1} << (4 * digits)) - 1);
      std::string out = "id:";
      append_hex(out, value, digits);
      ASSERT_EQ(out, fmt::format("id:{:0{}x}", low, digits)) << digits << " " << value;
    }
  }
  EXPECT_EQ(text_hash("I was charged twice"),
            fmt::format("{:016x}", fnv1a64("I was charged twice")));
}

TYPED_TEST(StoreConformance, LogsPredictionsAndReadsThemBackFieldByField) {
  PredictionRecord full = prediction("T-1", "llm", Arm::challenger, "billing", kT0 + 5);
  full.segment = "enterprise";
  full.confidence = 0.75;
  full.abstained = true;
  full.error = "time-out after 2000 ms";
  full.fallback = true;
  full.simulated = true;
  PredictionRecord bare = prediction("T-2", "linear", Arm::champion, "refund", kT0 + 6);
  bare.cost_usd.reset();
  this->store_->log_predictions({full, bare});

  auto got = this->store_->find_prediction(full.prediction_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->request_id, "T-1");
  EXPECT_EQ(got->arm, Arm::challenger);
  EXPECT_EQ(got->segment, "enterprise");
  EXPECT_EQ(got->confidence, 0.75);
  EXPECT_TRUE(got->abstained && got->fallback && got->simulated);
  EXPECT_EQ(got->error, "time-out after 2000 ms");
  EXPECT_EQ(got->cost_usd, 0.001);
  EXPECT_EQ(got->created_at_ms, kT0 + 5);
  EXPECT_EQ(got->model_version, "v1");
  auto other = this->store_->find_prediction(bare.prediction_id);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->confidence || other->cost_usd || other->error);
  EXPECT_FALSE(this->store_->find_prediction("no-such-id"));
}

TYPED_TEST(StoreConformance, BatchWithADuplicatePredictionIdWritesNothing) {
  PredictionRecord first = prediction("T-1", "linear", Arm::champion, "billing", kT0);
  this->store_->log_predictions({first});
  PredictionRecord fresh = prediction("T-2", "linear", Arm::champion, "billing", kT0);
  // RecordsRefused, on both backends: the same rows would fail again, so the gateway's log
  // stores the batch in parts instead of trying it again.
  EXPECT_THROW(this->store_->log_predictions({fresh, first}), RecordsRefused);
  EXPECT_FALSE(this->store_->find_prediction(fresh.prediction_id));
  EXPECT_EQ(this->store_->pilot_counts({}).arms.at(0).requests, 1);
}

// A group commit's audit rows and progress record go in its transaction: all of it or none.
TYPED_TEST(StoreConformance, ACommitsExtrasAreWrittenWithItsPredictionsOrNotAtAll) {
  AuditRecord sent{
      "r1", "http://127.0.0.1:9/v1/chat/completions", true, kT0 + 1, std::string(64, 'c'), 300,
      "{}"};
  PredictionRecord first = prediction("T-1", "linear", Arm::champion, "billing", kT0);
  this->store_->log_predictions({first}, {{sent}, "serve.log.r1", R"({"committed":1})"});
  EXPECT_TRUE(this->store_->find_prediction(first.prediction_id));
  EXPECT_EQ(this->store_->audit_records(0, kT0 + kDay).size(), 1u);
  EXPECT_EQ(this->store_->meta("serve.log.r1"), R"({"committed":1})");

  PredictionRecord fresh = prediction("T-2", "linear", Arm::champion, "billing", kT0);
  sent.at_ms = kT0 + 2;
  EXPECT_ANY_THROW(this->store_->log_predictions(
      {fresh, first}, {{sent}, "serve.log.r1", R"({"committed":2})"}));  // a duplicate id
  EXPECT_EQ(this->store_->audit_records(0, kT0 + kDay).size(), 1u);
  EXPECT_EQ(this->store_->meta("serve.log.r1"), R"({"committed":1})");

  this->store_->log_predictions({}, {{sent}, "serve.log.r1", R"({"committed":1,"clean":true})"});
  EXPECT_EQ(this->store_->audit_records(0, kT0 + kDay).size(), 2u) << "extras without predictions";
  EXPECT_EQ(this->store_->meta("serve.log.r1"), R"({"committed":1,"clean":true})");
  EXPECT_EQ(this->store_->pilot_counts({}).arms.at(0).requests, 1);
}

TYPED_TEST(StoreConformance, SameFeedbackTwiceCountsOnceAndAChangeSaysWhatItReplaced) {
  this->store_->log_predictions({prediction("T-1", "linear", Arm::champion, "billing", kT0)});
  FeedbackResult first = this->store_->record_feedback(feedback("T-1", "billing"));
  EXPECT_EQ(first.outcome, FeedbackOutcome::recorded);
  EXPECT_EQ(first.predictions, 1);
  EXPECT_EQ(this->store_->record_feedback(feedback("T-1", "billing")).outcome,
            FeedbackOutcome::unchanged);
  auto counts = this->store_->pilot_counts({});
  EXPECT_EQ(counts.arms.at(0).labelled, 1);
  EXPECT_EQ(counts.arms.at(0).correct, 1);

  FeedbackResult changed = this->store_->record_feedback(feedback("T-1", "refund"));
  EXPECT_EQ(changed.outcome, FeedbackOutcome::replaced);
  EXPECT_EQ(changed.previous_label, "billing");
  counts = this->store_->pilot_counts({});
  EXPECT_EQ(counts.arms.at(0).labelled, 1);
  EXPECT_EQ(counts.arms.at(0).correct, 0);
  ASSERT_EQ(counts.confusion.size(), 1u);
  EXPECT_EQ(counts.confusion[0].gold, "refund");
  EXPECT_EQ(counts.confusion[0].predicted, "billing");
}

TYPED_TEST(StoreConformance, FeedbackForAnUnknownIdIsReportedAndChangesNothing) {
  this->store_->log_predictions({prediction("T-1", "linear", Arm::champion, "billing", kT0)});
  EXPECT_EQ(this->store_->record_feedback(feedback("T-404", "billing")).outcome,
            FeedbackOutcome::unknown_id);
  EXPECT_EQ(
      this->store_->record_feedback(feedback("feedbeef", "billing", Feedback::By::prediction_id))
          .outcome,
      FeedbackOutcome::unknown_id);
  EXPECT_EQ(this->store_->pilot_counts({}).arms.at(0).labelled, 0);
  EXPECT_FALSE(this->store_->last_feedback_at_ms());
}

TYPED_TEST(StoreConformance, FeedbackByPredictionIdAlsoLabelsTheShadowAnswerToTheSameItem) {
  PredictionRecord champion = prediction("T-1", "linear", Arm::champion, "billing", kT0);
  PredictionRecord shadow = prediction("T-1", "llm", Arm::shadow, "refund", kT0 + 1);
  // The same client id, another ticket: not the same item.
  PredictionRecord later = prediction("T-1", "linear", Arm::champion, "billing", kT0 + 2);
  later.text_hash = "another-text";
  this->store_->log_predictions({champion, shadow, later});
  FeedbackResult r = this->store_->record_feedback(
      feedback(champion.prediction_id, "refund", Feedback::By::prediction_id));
  EXPECT_EQ(r.predictions, 2);
  EXPECT_EQ(this->store_->gold_label(shadow.prediction_id), "refund");
  EXPECT_FALSE(this->store_->gold_label(later.prediction_id));
  // By request id, every prediction under that id is labelled.
  EXPECT_EQ(this->store_->record_feedback(feedback("T-1", "refund")).predictions, 3);
  EXPECT_EQ(this->store_->gold_label(later.prediction_id), "refund");
}

// A repeat of an item answered before the item's feedback arrived and committed after it (a
// client's retry on another replica, its answer still in that replica's queue) takes the item's
// label, roll-ups included; a repeat answered after the feedback does not, nor another ticket
// under the same id. The retry had stayed unlabelled for good.
TYPED_TEST(StoreConformance, ARepeatCommittedAfterItsItemsFeedbackTakesTheLabel) {
  this->store_->log_predictions({prediction("T-1", "linear", Arm::champion, "billing", kT0)});
  Feedback label{Feedback::By::request_id, "T-1", "refund", kT0 + 100};
  EXPECT_EQ(this->store_->record_feedback(label).predictions, 1);
  PredictionRecord retry = prediction("T-1", "llm", Arm::challenger, "refund", kT0 + 50);
  PredictionRecord later = prediction("T-1", "llm", Arm::challenger, "refund", kT0 + 200);
  PredictionRecord other_ticket = prediction("T-1", "llm", Arm::challenger, "refund", kT0 + 60);
  other_ticket.text_hash = "another-text";
  PredictionRecord unrelated = prediction("T-2", "llm", Arm::challenger, "refund", kT0 + 60);
  this->store_->log_predictions({retry, later, other_ticket, unrelated});
  EXPECT_EQ(this->store_->gold_label(retry.prediction_id), "refund");
  EXPECT_FALSE(this->store_->gold_label(later.prediction_id));
  EXPECT_FALSE(this->store_->gold_label(other_ticket.prediction_id));
  EXPECT_FALSE(this->store_->gold_label(unrelated.prediction_id));
  PilotCounts counts = this->store_->pilot_counts({});
  int64_t labelled = 0, correct = 0;
  for (const auto& arm : counts.arms) {
    labelled += arm.labelled;
    correct += arm.correct;
  }
  EXPECT_EQ(labelled, 2);
  EXPECT_EQ(correct, 1);
  // Replaced later, the retry's label follows as any prediction's does.
  EXPECT_EQ(this->store_->record_feedback({Feedback::By::request_id, "T-1", "billing", kT0 + 300})
                .predictions,
            4);
}

TYPED_TEST(StoreConformance, BatchFeedbackReportsEachLineInOrder) {
  this->store_->log_predictions({prediction("A", "linear", Arm::champion, "x", kT0)});
  auto results = this->store_->record_feedback_batch(
      {feedback("A", "x"), feedback("missing", "x"), feedback("A", "x"), feedback("A", "y")});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].outcome, FeedbackOutcome::recorded);
  EXPECT_EQ(results[1].outcome, FeedbackOutcome::unknown_id);
  EXPECT_EQ(results[2].outcome, FeedbackOutcome::unchanged);
  EXPECT_EQ(results[3].outcome, FeedbackOutcome::replaced);
  EXPECT_EQ(this->store_->pilot_counts({}).arms.at(0).correct, 0);
}

TYPED_TEST(StoreConformance, FeedbackFlowIsCountedByWhenItArrived) {
  this->store_->log_predictions({prediction("A", "linear", Arm::champion, "x", kT0),
                                 prediction("B", "linear", Arm::champion, "x", kT0)});
  this->store_->record_feedback(Feedback{Feedback::By::request_id, "A", "x", kT0 + kDay});
  this->store_->record_feedback(Feedback{Feedback::By::request_id, "B", "y", kT0 + 2 * kDay});
  EXPECT_EQ(this->store_->feedback_received(kT0 + kDay, kT0 + 2 * kDay), 1);
  EXPECT_EQ(this->store_->feedback_received(kT0, kT0 + 3 * kDay), 2);
  EXPECT_EQ(this->store_->last_feedback_at_ms(), kT0 + 2 * kDay);
}

TYPED_TEST(StoreConformance, PromotingAModelRetiresThePreviousChampion) {
  ModelVersion v1{
      "linear v1",           "linear", "v1",    "sha256:aa",  kT0,    R"({"accuracy":0.87})",
      ModelStatus::champion, kT0,      "serve", "/models/v1", "serve"};
  ModelVersion v2{"linear v2",
                  "linear",
                  "v2",
                  "sha256:bb",
                  kT0 + kDay,
                  "{}",
                  ModelStatus::challenger,
                  std::nullopt,
                  "",
                  "/models/v2",
                  "tunecase retrain"};
  this->store_->register_model(v1);
  this->store_->register_model(v2);
  EXPECT_THROW(this->store_->register_model(v2), UserError);
  EXPECT_TRUE(this->store_->set_model_status("linear", "v2", ModelStatus::champion, kT0 + kDay,
                                             "tunecase retrain"));
  EXPECT_FALSE(this->store_->set_model_status("linear", "v9", ModelStatus::champion, kT0));
  auto models = this->store_->models("linear");
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].status, ModelStatus::retired);
  EXPECT_EQ(models[0].metrics_json, R"({"accuracy":0.87})");
  EXPECT_EQ(models[1].status, ModelStatus::champion);
  EXPECT_EQ(models[0].path, "/models/v1");
  EXPECT_EQ(models[0].promoted_by, "serve");
  EXPECT_EQ(models[1].promoted_at_ms, kT0 + kDay);
  EXPECT_EQ(models[1].promoted_by, "tunecase retrain");
  EXPECT_EQ(models[1].data_fingerprint, "sha256:bb");
  EXPECT_TRUE(this->store_->models("other").empty());
  EXPECT_EQ(this->store_->models("").size(), 2u);
  // A rollback brings v1 back and marks v2 as rolled back, not merely retired.
  EXPECT_TRUE(this->store_->set_model_status("linear", "v1", ModelStatus::champion, kT0 + 2 * kDay,
                                             "rollback by ops"));
  models = this->store_->models("linear");
  EXPECT_EQ(models[0].status, ModelStatus::champion);
  EXPECT_EQ(models[0].promoted_at_ms, kT0 + 2 * kDay);
  EXPECT_EQ(models[1].status, ModelStatus::rolled_back);
  // The history keeps every step, not only each version's last promotion.
  std::vector<std::string> steps;
  for (const ModelEvent& e : this->store_->model_events("linear"))
    steps.push_back(fmt::format("{} {} {} {}", e.at_ms - kT0, e.version, e.event, e.by));
  EXPECT_EQ(steps,
            (std::vector<std::string>{"0 v1 registered serve", "0 v1 champion serve",
                                      fmt::format("{} v2 registered tunecase retrain", kDay),
                                      fmt::format("{} v1 retired tunecase retrain", kDay),
                                      fmt::format("{} v2 champion tunecase retrain", kDay),
                                      fmt::format("{} v2 rolled_back rollback by ops", 2 * kDay),
                                      fmt::format("{} v1 champion rollback by ops", 2 * kDay)}));
  EXPECT_TRUE(this->store_->model_events("other").empty());
  EXPECT_EQ(this->store_->model_events("").size(), steps.size());
}

// A version-5 store (no history) starts its history with each version's registration and last
// promotion, and records every step from then on.
TYPED_TEST(StoreConformance, AVersionFiveStoreStartsItsHistoryFromTheRegistry) {
  ModelVersion v1{"linear v1",           "linear",    "v1",    "sha256:aa",  kT0, "{}",
                  ModelStatus::champion, kT0 + kHour, "serve", "/models/v1", ""};
  this->store_->register_model(v1);
  this->store_.reset();
  TypeParam::undo_version_10(this->location_);
  TypeParam::undo_versions_8_and_9(this->location_);
  for (const char* sql :
       {"DROP TABLE model_events", "ALTER TABLE predictions DROP COLUMN cached",
        "ALTER TABLE rollup_hours DROP COLUMN cached", "ALTER TABLE rollup_days DROP COLUMN cached",
        "UPDATE schema_version SET version = 5"})
    TypeParam::exec_raw(this->location_, sql);
  this->store_ = open_store(this->location_);
  EXPECT_EQ(this->store_->schema_version(), store_detail::kSchemaVersion);
  auto events = this->store_->model_events("linear");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "registered");
  EXPECT_EQ(events[0].at_ms, kT0);
  EXPECT_EQ(events[1].event, "champion");
  EXPECT_EQ(events[1].at_ms, kT0 + kHour);
  EXPECT_EQ(events[1].by, "serve");
  EXPECT_TRUE(
      this->store_->set_model_status("linear", "v1", ModelStatus::retired, kT0 + kDay, "ops"));
  events = this->store_->model_events("linear");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].event, "retired");
  EXPECT_EQ(events[2].by, "ops");
}

TYPED_TEST(StoreConformance, AnOpenAlertIsNotFiredTwiceButFiresAgainOnceResolved) {
  Alert a{0, "accuracy_floor", "linear", kT0, std::nullopt, "accuracy 0.71 < 0.80", R"({"n":90})"};
  Store::FiredAlert first = this->store_->fire_alert(a);
  EXPECT_TRUE(first.fired);
  Store::FiredAlert again = this->store_->fire_alert(a);
  EXPECT_FALSE(again.fired);
  EXPECT_EQ(again.id, first.id);
  Alert other = a;
  other.approach = "llm";
  EXPECT_TRUE(this->store_->fire_alert(other).fired);
  EXPECT_EQ(this->store_->alerts(true).size(), 2u);

  EXPECT_TRUE(this->store_->resolve_alert("accuracy_floor", "linear", kT0 + kDay));
  EXPECT_FALSE(this->store_->resolve_alert("accuracy_floor", "linear", kT0 + kDay));
  EXPECT_TRUE(this->store_->fire_alert(a).fired);
  auto all = this->store_->alerts(false);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].resolved_at_ms, kT0 + kDay);
  EXPECT_EQ(all[0].details_json, R"({"n":90})");
  EXPECT_EQ(this->store_->alerts(true).size(), 2u);
}

TYPED_TEST(StoreConformance, MetaKeepsTheFirstSaltAndOverwritesOnRequest) {
  EXPECT_FALSE(this->store_->meta("pilot_salt"));
  EXPECT_EQ(this->store_->put_meta_if_absent("pilot_salt", "aaa"), "aaa");
  EXPECT_EQ(this->store_->put_meta_if_absent("pilot_salt", "bbb"), "aaa");
  this->store_->set_meta("started_at", "1");
  this->store_->set_meta("started_at", "2");
  EXPECT_EQ(this->store_->meta("started_at"), "2");
  // By prefix, in key order; '_' and '%' are the prefix's own characters, not patterns.
  this->store_->set_meta("serve.log.b:1", "B");
  this->store_->set_meta("serve.log.a_1", "A");
  this->store_->set_meta("serve.logX", "not one");
  auto records = this->store_->meta_with_prefix("serve.log.");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], (std::pair<std::string, std::string>{"serve.log.a_1", "A"}));
  EXPECT_EQ(records[1], (std::pair<std::string, std::string>{"serve.log.b:1", "B"}));
  EXPECT_TRUE(this->store_->meta_with_prefix("serve.log.a%").empty());
}

TYPED_TEST(StoreConformance, AuditRecordsAreKeptInOrderAndReadByWindow) {
  AuditRecord a{"r1",
                "https://api.example.com/v1/chat/completions",
                false,
                kT0 + 5,
                std::string(64, 'a'),
                2048,
                R"({"email":2})"};
  AuditRecord b{
      "r2", "http://127.0.0.1:9/v1/chat/completions", true, kT0 + 1, std::string(64, 'b'), 10,
      "{}"};
  this->store_->append_audit({a, b});
  auto all = this->store_->audit_records(0, kT0 + kDay);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].instance, "r2");
  EXPECT_TRUE(all[0].local);
  EXPECT_EQ(all[1].endpoint, a.endpoint);
  EXPECT_FALSE(all[1].local);
  EXPECT_EQ(all[1].bytes, 2048);
  EXPECT_EQ(all[1].redacted_json, R"({"email":2})");
  EXPECT_EQ(this->store_->audit_records(kT0 + 2, kT0 + 6).size(), 1u);
}

TYPED_TEST(StoreConformance, ReopeningKeepsEverything) {
  this->store_->log_predictions({prediction("T-1", "linear", Arm::champion, "billing", kT0)});
  this->store_->record_feedback(feedback("T-1", "billing"));
  this->store_.reset();
  auto store = open_store(this->location_);
  EXPECT_EQ(store->schema_version(), store_detail::kSchemaVersion);
  auto counts = store->pilot_counts({});
  EXPECT_EQ(counts.arms.at(0).requests, 1);
  EXPECT_EQ(counts.arms.at(0).correct, 1);
}

// Failed requests that carried a cost (an answer naming no label, a fallback's champion call)
// are counted apart, so that answers without usage are counted once; a version-9 store gains
// the count from the predictions it holds, in the hour and the day roll-ups.
TYPED_TEST(StoreConformance, FailedRequestsThatCarriedACostAreCountedAndFilledOnMigration) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 12; ++i) {
    PredictionRecord p = prediction("C" + std::to_string(i), "llm", Arm::challenger, "a",
                                    kT0 + i * (kDay / 4));  // three days
    if (i % 4 == 0) p.error = "the answer maps to no label: ...";
    p.cost_usd = i % 2 == 0 ? std::optional<double>(0.001) : std::nullopt;  // every failed one
    batch.push_back(p);
  }
  this->store_->log_predictions(batch);
  PilotQuery within_a_day;
  within_a_day.from_ms = kT0 + kHour;  // hour roll-ups at the ends, day roll-ups between
  within_a_day.to_ms = kT0 + 2 * kDay + kHour;
  auto check = [&](const char* when) {
    for (const PilotQuery& q : {PilotQuery{}, within_a_day}) {
      auto counts = this->store_->pilot_counts(q);
      ASSERT_EQ(counts.arms.size(), 1u) << when;
      const ArmFigures& a = counts.arms[0];
      int64_t failed_with_cost = 0;
      for (const auto& p : batch)
        failed_with_cost +=
            p.error && p.cost_usd && p.created_at_ms >= q.from_ms && p.created_at_ms < q.to_ms;
      EXPECT_EQ(a.costed_errors, failed_with_cost) << when;
      // Answered without usage: every odd one in the window, whatever the failures' costs.
      int64_t without_usage = 0;
      for (const auto& p : batch)
        without_usage +=
            !p.error && !p.cost_usd && p.created_at_ms >= q.from_ms && p.created_at_ms < q.to_ms;
      EXPECT_EQ(cost_unknown(a.requests, a.errors, a.costed, a.costed_errors, a.unpriced_attempts),
                without_usage)
          << when;
    }
  };
  check("as logged");
  this->store_.reset();
  TypeParam::undo_version_10(this->location_);
  TypeParam::exec_raw(this->location_, "UPDATE schema_version SET version = 9");
  this->store_ = open_store(this->location_);
  EXPECT_EQ(this->store_->schema_version(), store_detail::kSchemaVersion);
  check("after the migration");
}

// Requests billed with no usage to price them (a time-out, a cut 2xx, a resent copy) are summed
// in both roll-up grains and in the partial hours read from the rows, and make the arm's cost
// unknown for that many; a version-10 store opens with none counted (nothing recorded them).
TYPED_TEST(StoreConformance, RequestsBilledWithoutUsageAreCountedInEveryGrain) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 12; ++i) {
    PredictionRecord p = prediction("U" + std::to_string(i), "llm", Arm::challenger, "a",
                                    kT0 + i * (kDay / 4));  // three days
    p.cost_usd = 0.001;
    p.unpriced_attempts = i % 3;
    if (i % 3 == 2) p.error = "failed after 2 attempts: timed out";
    batch.push_back(p);
  }
  this->store_->log_predictions(batch);
  PilotQuery within;
  within.from_ms = kT0 + kHour;  // hour roll-ups at the ends, day roll-ups between
  within.to_ms = kT0 + 2 * kDay + kHour;
  for (const PilotQuery& q : {PilotQuery{}, within}) {
    int64_t unpriced = 0;
    for (const auto& p : batch)
      if (p.created_at_ms >= q.from_ms && p.created_at_ms < q.to_ms)
        unpriced += p.unpriced_attempts;
    auto counts = this->store_->pilot_counts(q);
    ASSERT_EQ(counts.arms.size(), 1u);
    const ArmFigures& a = counts.arms[0];
    EXPECT_EQ(a.unpriced_attempts, unpriced);
    EXPECT_EQ(cost_unknown(a.requests, a.errors, a.costed, a.costed_errors, a.unpriced_attempts),
              unpriced)
        << "every answer carried its cost";
    int64_t by_day = 0;
    for (const DayFigures& d : counts.days) by_day += d.unpriced_attempts;
    EXPECT_EQ(by_day, unpriced);
  }
  this->store_.reset();
  TypeParam::undo_version_11(this->location_);
  TypeParam::exec_raw(this->location_, "UPDATE schema_version SET version = 10");
  this->store_ = open_store(this->location_);
  EXPECT_EQ(this->store_->schema_version(), store_detail::kSchemaVersion);
  auto counts = this->store_->pilot_counts({});
  EXPECT_EQ(counts.arms.at(0).unpriced_attempts, 0);
  EXPECT_EQ(counts.arms.at(0).requests, 12);
  PredictionRecord again = batch[1];
  again.prediction_id = make_prediction_id();
  this->store_->log_predictions({again});
  EXPECT_EQ(this->store_->pilot_counts({}).arms.at(0).unpriced_attempts, 1);
}

// A version-1 store (hour roll-ups only) gains the day grain and the shadow pairs, filled from
// its data, when a newer tunecase opens it: every figure reads the same after the migration.
TYPED_TEST(StoreConformance, AVersionOneStoreIsMigratedWithItsDayAndPairRollupsFilled) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 60; ++i) {
    std::string id = "M" + std::to_string(i);
    int64_t at = kT0 + i * (kDay / 20);  // three days
    batch.push_back(prediction(id, "linear", Arm::champion, i % 3 ? "a" : "b", at));
    batch.push_back(prediction(id, "llm", Arm::shadow, i % 4 ? "a" : "b", at + 7));
  }
  this->store_->log_predictions(batch);
  for (int i = 0; i < 60; i += 2)
    this->store_->record_feedback(feedback("M" + std::to_string(i), "a"));
  PilotQuery q;
  q.paired = {{"llm", "linear"}};
  q.from_ms = kT0 + kHour / 2;  // partial hours, whole hours and a whole day
  q.to_ms = kT0 + 2 * kDay + 5 * kHour + 17;
  auto before = this->store_->pilot_counts(q);
  auto all_before = this->store_->pilot_counts({});
  this->store_.reset();
  TypeParam::undo_version_10(this->location_);
  TypeParam::undo_versions_8_and_9(this->location_);
  for (const char* sql :
       {"DROP TABLE request_texts", "DROP TABLE rollup_days", "DROP TABLE rollup_day_confusion",
        "DROP TABLE rollup_day_segments", "DROP TABLE rollup_pairs", "DROP INDEX feedback_request",
        "ALTER TABLE predictions DROP COLUMN timed_out",
        "ALTER TABLE rollup_hours DROP COLUMN timeouts",
        "ALTER TABLE predictions DROP COLUMN cached", "ALTER TABLE rollup_hours DROP COLUMN cached",
        "DROP TABLE audit_requests", "ALTER TABLE models DROP COLUMN path",
        "ALTER TABLE models DROP COLUMN promoted_by", "DROP TABLE model_events",
        "UPDATE schema_version SET version = 1"})
    TypeParam::exec_raw(this->location_, sql);
  this->store_ = open_store(this->location_);
  EXPECT_EQ(this->store_->schema_version(), store_detail::kSchemaVersion);
  for (const auto& [query, expected] :
       {std::pair{q, before}, std::pair{PilotQuery{}, all_before}}) {
    auto after = this->store_->pilot_counts(query);
    ASSERT_EQ(after.arms.size(), expected.arms.size());
    for (std::size_t i = 0; i < after.arms.size(); ++i) {
      EXPECT_EQ(after.arms[i].requests, expected.arms[i].requests);
      EXPECT_EQ(after.arms[i].labelled, expected.arms[i].labelled);
      EXPECT_EQ(after.arms[i].correct, expected.arms[i].correct);
      EXPECT_NEAR(after.arms[i].latency.p95, expected.arms[i].latency.p95, 1e-9);
    }
    EXPECT_EQ(after.days.size(), expected.days.size());
    EXPECT_EQ(after.confusion.size(), expected.confusion.size());
    EXPECT_EQ(after.segments.size(), expected.segments.size());
  }
  auto after = this->store_->pilot_counts(q);
  ASSERT_TRUE(after.paired && before.paired);
  EXPECT_EQ(after.paired->both_right, before.paired->both_right);
  EXPECT_EQ(after.paired->only_first, before.paired->only_first);
  EXPECT_EQ(after.paired->only_second, before.paired->only_second);
  EXPECT_EQ(after.paired->both_wrong, before.paired->both_wrong);
  EXPECT_GT(before.paired->only_first + before.paired->only_second, 0);
}

// A shadow pilot's pairs per request segment: whole hours from the roll-up, partial hours from
// the rows, a changed label moving an item between cells, and a version-11 store filled from
// its feedback when a newer tunecase opens it.
TYPED_TEST(StoreConformance, ShadowPairsAreCountedPerSegment) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 48; ++i) {
    std::string id = "S" + std::to_string(i);
    int64_t at = kT0 + i * (kHour / 4);  // twelve hours
    PredictionRecord champion = prediction(id, "linear", Arm::champion, i % 3 ? "a" : "b", at);
    PredictionRecord shadow = prediction(id, "llm", Arm::shadow, i % 4 ? "a" : "b", at + 7);
    champion.segment = shadow.segment = i % 2 ? "enterprise" : "smb";
    batch.push_back(champion);
    batch.push_back(shadow);
  }
  this->store_->log_predictions(batch);
  for (int i = 0; i < 48; ++i)
    this->store_->record_feedback(feedback("S" + std::to_string(i), "a"));
  this->store_->record_feedback(feedback("S0", "b"));  // S0 (smb): both wrong -> both right
  // By hand: linear is right where i % 3 != 0 (or i == 0), llm where i % 4 != 0 (or i == 0).
  auto expected = [&](const std::string& segment, int64_t from, int64_t to) {
    SegmentPairs e{segment};
    for (int i = 0; i < 48; ++i) {
      int64_t at = kT0 + i * (kHour / 4);
      if ((i % 2 ? "enterprise" : "smb") != segment || at < from || at >= to) continue;
      bool linear = i == 0 || i % 3 != 0, llm = i == 0 || i % 4 != 0;
      // first = llm, second = linear (the query's order)
      if (llm && linear)
        ++e.both_right;
      else if (llm)
        ++e.only_first;
      else if (linear)
        ++e.only_second;
      else
        ++e.both_wrong;
    }
    return e;
  };
  PilotQuery q;
  q.paired = {{"llm", "linear"}};
  auto check = [&](const char* when) {
    for (auto [from, to] : {std::pair{int64_t{0}, std::numeric_limits<int64_t>::max()},
                            std::pair{kT0 + kHour / 2, kT0 + 7 * kHour + 17}}) {
      q.from_ms = from;
      q.to_ms = to;
      auto counts = this->store_->pilot_counts(q);
      ASSERT_TRUE(counts.paired) << when;
      ASSERT_EQ(counts.paired->segments.size(), 2u) << when;
      int64_t total = 0;
      for (const SegmentPairs& got : counts.paired->segments) {
        SegmentPairs want = expected(got.segment, from, to);
        EXPECT_EQ(got.both_right, want.both_right) << when << " " << got.segment;
        EXPECT_EQ(got.only_first, want.only_first) << when << " " << got.segment;
        EXPECT_EQ(got.only_second, want.only_second) << when << " " << got.segment;
        EXPECT_EQ(got.both_wrong, want.both_wrong) << when << " " << got.segment;
        total += got.both_right + got.only_first + got.only_second + got.both_wrong;
      }
      const PairedOutcomes& all = *counts.paired;
      EXPECT_EQ(total, all.both_right + all.only_first + all.only_second + all.both_wrong) << when;
    }
  };
  check("as recorded");
  this->store_.reset();
  TypeParam::undo_version_12(this->location_);
  TypeParam::exec_raw(this->location_, "UPDATE schema_version SET version = 11");
  this->store_ = open_store(this->location_);
  EXPECT_EQ(this->store_->schema_version(), store_detail::kSchemaVersion);
  check("after the migration");
  // A writer that keeps no segment cells (a replica of an earlier build, still running when the
  // store was migrated under it): the hours whose segments do not add up to their pairs are
  // read from their rows (they had been left short for good).
  this->store_.reset();
  TypeParam::exec_raw(this->location_,
                      "DELETE FROM rollup_pair_segments WHERE segment = 'smb' AND hour % 2 = 0");
  TypeParam::exec_raw(this->location_,
                      "UPDATE rollup_pair_segments SET both_right = both_right - 1, "
                      "only_first = only_first + 1 WHERE segment = 'enterprise' AND hour % 3 = 0 "
                      "AND both_right > 0");
  this->store_ = open_store(this->location_);
  check("after a writer that keeps no segment cells");
}

TYPED_TEST(StoreConformance, AStoreFromANewerTunecaseIsAClearError) {
  this->store_.reset();
  TypeParam::exec_raw(this->location_, "UPDATE schema_version SET version = 99");
  try {
    open_store(this->location_);
    FAIL() << "opened a store with schema version 99";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Upgrade tunecase"), std::string::npos) << e.what();
  }
}

// A version row removed by hand: the migrations ran again from 0 over the existing tables, and
// the user read "internal error: table meta already exists".
TYPED_TEST(StoreConformance, AStoreWithoutItsVersionRowIsCalledDamaged) {
  this->store_.reset();
  TypeParam::exec_raw(this->location_, "DELETE FROM schema_version");
  try {
    open_store(this->location_);
    FAIL() << "opened a store without its version row";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "is damaged or another application's: its schema_version table holds no row"),
              std::string::npos)
        << e.what();
  }
}

// Another application's tables where the store's belong (a `meta` table of its own, a
// `schema_version` whose version row leads the migrations into its tables): a clear refusal
// that changes nothing, not "internal error, please report".
TYPED_TEST(StoreConformance, AnotherApplicationsTablesAreRefusedAndLeftAsTheyWere) {
  this->store_.reset();
  TypeParam::exec_raw(this->location_, "UPDATE schema_version SET version = 4");
  TypeParam::exec_raw(this->location_, "DROP TABLE model_events");
  TypeParam::exec_raw(this->location_, "DROP TABLE models");
  TypeParam::exec_raw(this->location_, "CREATE TABLE models (id INTEGER, name TEXT)");
  try {
    open_store(this->location_);
    FAIL() << "migrated another application's tables";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("holds tables that are not a tunecase store's"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("Nothing was changed"), std::string::npos) << e.what();
  }
  // A lone schema_version holding a whole number, no meta beside it: another application's.
  std::string other = TypeParam::new_location();
  if (!other.empty()) {
    TypeParam::exec_raw(other, "CREATE TABLE schema_version (version INTEGER NOT NULL)");
    TypeParam::exec_raw(other, "INSERT INTO schema_version VALUES (9)");
    try {
      open_store(other);
      FAIL() << "took another application's schema_version for a store";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("not a tunecase store's"), std::string::npos)
          << e.what();
    }
  }
  // At the current version no migration step runs to find another application's meta table:
  // its columns are checked (it had failed later with "internal error, please report").
  std::string current = TypeParam::new_location();
  if (!current.empty()) {
    TypeParam::exec_raw(current, "CREATE TABLE schema_version (version INTEGER NOT NULL)");
    TypeParam::exec_raw(current, fmt::format("INSERT INTO schema_version VALUES ({})",
                                             store_detail::kSchemaVersion));
    TypeParam::exec_raw(current, "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT)");
    try {
      open_store(current);
      FAIL() << "took another application's meta table for a store's";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(
                    fmt::format("holds tables that are not a tunecase store's at its schema "
                                "version {}",
                                store_detail::kSchemaVersion)),
                std::string::npos)
          << e.what();
    }
  }
  // Rolled back: no column added to the foreign table, the version row as it was.
  EXPECT_ANY_THROW(TypeParam::exec_raw(this->location_, "SELECT path FROM models"));
  EXPECT_NO_THROW(TypeParam::exec_raw(
      this->location_, "SELECT 1/(version - 3) FROM schema_version WHERE version = 4"));
}

// Threads of one process (and, on PostgreSQL, its connection pool) lose no write, and racing
// feedback for one item counts once.
TYPED_TEST(StoreConformance, ConcurrentThreadsLoseNothingAndRacingFeedbackCountsOnce) {
  constexpr int kThreads = 4, kBatches = 10, kPerBatch = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<PredictionRecord> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          std::string id = "R" + std::to_string((t * kBatches + b) * kPerBatch + i);
          batch.push_back(prediction(id, "linear", Arm::champion, "a", kT0 + i * 1000));
        }
        this->store_->log_predictions(batch);
        this->store_->record_feedback(feedback("R0", "a"));  // every thread, again and again
        this->store_->record_feedback(feedback(batch[0].request_id, "a"));
      }
    });
  }
  for (auto& th : threads) th.join();
  auto counts = this->store_->pilot_counts({});
  ASSERT_EQ(counts.arms.size(), 1u);
  EXPECT_EQ(counts.arms[0].requests, kThreads * kBatches * kPerBatch);
  EXPECT_EQ(counts.arms[0].labelled, kThreads * kBatches);  // R0 is one of the batch heads
  EXPECT_EQ(counts.arms[0].correct, kThreads * kBatches);
}

}  // namespace
}  // namespace tunecase::testing
