// The store's reads for `tunecase monitor`: the predicted-label mix and the kept request texts
// (schema 3), on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "store_fixture.h"
#include "tunecase/store/schema.h"

namespace tunecase::testing {
namespace {

TYPED_TEST(StoreConformance, PredictedLabelsCountAnsweredPredictionsInTheWindow) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(prediction("P" + std::to_string(i), "linear", Arm::champion,
                               i < 7 ? "billing" : "bug", kT0 + i * kHour));
  PredictionRecord failed = prediction("F", "linear", Arm::champion, "", kT0 + kHour);
  failed.error = "upstream 500";
  batch.push_back(failed);
  batch.push_back(prediction("late", "linear", Arm::champion, "billing", kT0 + 2 * kDay));
  this->store_->log_predictions(batch);
  auto counts = this->store_->predicted_labels(kT0, kT0 + kDay);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].label, "billing");
  EXPECT_EQ(counts[0].count, 7);
  EXPECT_EQ(counts[1].label, "bug");
  EXPECT_EQ(counts[1].count, 3);
  EXPECT_TRUE(this->store_->predicted_labels(kT0 + 3 * kDay, kT0 + 4 * kDay).empty());
}

// Which version answered a day: the monitor sets a day aside only when another version did.
TYPED_TEST(StoreConformance, PredictionsOfOtherVersionsAreCountedByApproachAndDay) {
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 4; ++i) {
    PredictionRecord p =
        prediction("V" + std::to_string(i), "linear", Arm::champion, "billing", kT0 + i * kHour);
    p.model_version = i < 3 ? "v1" : "v2";
    batch.push_back(p);
  }
  PredictionRecord other = prediction("O", "llm", Arm::shadow, "billing", kT0 + kHour);
  other.model_version = "v9";
  batch.push_back(other);
  this->store_->log_predictions(batch);
  EXPECT_EQ(this->store_->predictions_of_other_versions("linear", "v1", kT0, kT0 + kDay), 1);
  EXPECT_EQ(this->store_->predictions_of_other_versions("linear", "v2", kT0, kT0 + kDay), 3);
  EXPECT_EQ(this->store_->predictions_of_other_versions("linear", "v1", kT0, kT0 + 3 * kHour), 0);
  EXPECT_EQ(this->store_->predictions_of_other_versions("linear", "v1", kT0 + kDay, kT0 + 2 * kDay),
            0);
}

// One item answered twice (T1: the champion and a shadow), one answered once (T2, `t2_text`),
// each with its text kept.
std::vector<PredictionRecord> two_kept_items(const std::string& t2_text) {
  PredictionRecord a = prediction("T1", "linear", Arm::champion, "billing", kT0 + 2 * kHour);
  a.text = "refund my invoice";
  PredictionRecord shadow = prediction("T1", "llm", Arm::shadow, "billing", kT0 + 2 * kHour);
  shadow.text_hash = a.text_hash;
  shadow.text = a.text;
  PredictionRecord b = prediction("T2", "linear", Arm::champion, "bug", kT0 + kHour);
  b.text = t2_text;
  return {a, shadow, b};
}

TYPED_TEST(StoreConformance, KeptTextsComeBackOncePerItemOldestFirst) {
  auto batch = two_kept_items("l'écran reste noir — 画面");
  const PredictionRecord a = batch[0], b = batch[2];  // copies: the batch grows below
  batch.push_back(prediction("T3", "linear", Arm::champion, "bug", kT0 + 3 * kHour));  // no text
  this->store_->log_predictions(batch);
  auto texts = this->store_->texts(kT0, kT0 + kDay, 100);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].text, b.text);
  EXPECT_EQ(texts[0].label, "bug");
  EXPECT_EQ(texts[1].text, a.text);
  EXPECT_EQ(this->store_->texts(kT0, kT0 + kDay, 1).size(), 1u);
  EXPECT_TRUE(this->store_->texts(kT0 + kDay, kT0 + 2 * kDay, 100).empty());
}

// Retraining data: items with a kept text and a gold label, once per item, oldest first.
TYPED_TEST(StoreConformance, LabelledTextsJoinKeptTextsWithTheirGoldLabel) {
  auto batch = two_kept_items("the screen stays black");
  PredictionRecord unlabelled = prediction("T3", "linear", Arm::champion, "bug", kT0 + 3 * kHour);
  unlabelled.text = "no label yet";
  batch.push_back(unlabelled);
  batch.push_back(prediction("T4", "linear", Arm::champion, "bug", kT0 + 4 * kHour));  // no text
  this->store_->log_predictions(batch);
  for (const char* id : {"T1", "T2", "T4"})
    this->store_->record_feedback(Feedback{Feedback::By::request_id, id, "refund", kT0 + kDay});
  auto rows = this->store_->labelled_texts(kT0, kT0 + kDay);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].request_id, "T2");
  EXPECT_EQ(rows[0].text, "the screen stays black");
  EXPECT_EQ(rows[0].label, "refund");
  EXPECT_EQ(rows[0].created_at_ms, kT0 + kHour);
  EXPECT_EQ(rows[1].request_id, "T1");
  EXPECT_TRUE(this->store_->labelled_texts(kT0, kT0 + kHour).empty());
}

// A version-2 store (no request_texts, no audit, no model paths) is migrated to the current
// version and keeps texts.
TYPED_TEST(StoreConformance, AVersionTwoStoreGainsTheTextTable) {
  this->store_->log_predictions({prediction("old", "linear", Arm::champion, "billing", kT0)});
  this->store_.reset();
  TypeParam::undo_version_10(this->location_);
  TypeParam::undo_versions_8_and_9(this->location_);
  for (const char* sql :
       {"DROP TABLE request_texts", "DROP TABLE audit_requests",
        "ALTER TABLE models DROP COLUMN path", "ALTER TABLE models DROP COLUMN promoted_by",
        "DROP TABLE model_events", "ALTER TABLE predictions DROP COLUMN cached",
        "ALTER TABLE rollup_hours DROP COLUMN cached", "ALTER TABLE rollup_days DROP COLUMN cached",
        "UPDATE schema_version SET version = 2"})
    TypeParam::exec_raw(this->location_, sql);
  this->store_ = open_store(this->location_);
  EXPECT_EQ(this->store_->schema_version(), store_detail::kSchemaVersion);
  PredictionRecord p = prediction("new", "linear", Arm::champion, "billing", kT0 + kHour);
  p.text = "a new ticket";
  this->store_->log_predictions({p});
  auto texts = this->store_->texts(kT0, kT0 + kDay, 10);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0].text, "a new ticket");
  EXPECT_EQ(this->store_->pilot_counts({}).arms.at(0).requests, 2);
}

}  // namespace
}  // namespace tunecase::testing
